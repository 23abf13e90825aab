//! Panics of third-party code on bad input (a reader on a malformed file, the
//! writer on a full disk), caught and turned into errors. While such code runs
//! under [`caught`], a panic hook can tell ([`active`]) and stay quiet: the
//! caller reports the failure in Chinese instead.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

thread_local! {
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`; a panic inside it comes back as `Err` with its message.
pub fn caught<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let outer = ACTIVE.with(|g| g.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    ACTIVE.with(|g| g.set(outer));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default()
    })
}

/// True while this thread runs code under [`caught`].
pub fn active() -> bool {
    ACTIVE.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_and_the_flag_is_restored() {
        assert!(!active());
        let r: Result<(), String> = caught(|| {
            assert!(active());
            panic!("boom {}", 1)
        });
        assert_eq!(r, Err("boom 1".to_string()));
        assert!(!active());
        assert_eq!(caught(|| 7), Ok(7));
    }
}
