//! One run at a time per output folder and history store.
//!
//! The lock is an OS file lock (`File::try_lock`) on `DIR/.taizhang.lock`,
//! which the OS releases when the process ends however it ends, so a lock
//! left by a killed run is simply taken over. The file itself records which
//! run holds it (process id, start time, command) for the message a second run
//! prints; it is emptied, never deleted, when the run ends (deleting a lock
//! file lets two runs lock two different files).

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const LOCK_FILE: &str = ".taizhang.lock";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("另一个 taizhang 正在使用 {dir}（{holder}）。请等它结束后再运行，或加 --wait 秒数 让本次运行排队等待")]
    Busy { dir: PathBuf, holder: String },
    #[error("无法锁定 {path}：{source}")]
    Io {
        path: PathBuf,
        source: crate::fsx::Why,
    },
}

/// A held lock; released (and its file emptied) on drop.
#[derive(Debug)]
pub struct RunLock {
    file: std::fs::File,
    path: PathBuf,
    /// What the previous holder recorded, when it ended without releasing
    /// (a killed run whose lock was taken over).
    pub taken_over: Option<String>,
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

impl RunLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Locks `dir` (created if missing), waiting up to `wait` for another run to
/// finish. `command` is recorded for the message another run would print.
pub fn acquire(dir: &Path, wait: Duration, command: &str) -> Result<RunLock, LockError> {
    let path = dir.join(LOCK_FILE);
    let io = |source: std::io::Error| LockError::Io {
        path: path.clone(),
        source: crate::fsx::Why(source),
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) => {
                if started.elapsed() >= wait {
                    return Err(LockError::Busy {
                        dir: dir.to_path_buf(),
                        holder: holder_text(&read_all(&mut file)),
                    });
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
    }
    let previous = read_all(&mut file);
    let taken_over = (!previous.trim().is_empty()).then(|| holder_text(&previous));
    let record = format!(
        "pid={}\nstarted={}\ncommand={command}\n",
        std::process::id(),
        chrono::Local::now().format("%Y-%m-%d %H:%M:%S")
    );
    let written = file
        .set_len(0)
        .and_then(|_| file.rewind())
        .and_then(|_| file.write_all(record.as_bytes()))
        .and_then(|_| file.flush());
    if let Err(e) = written {
        let _ = file.unlock();
        return Err(io(e));
    }
    Ok(RunLock {
        file,
        path,
        taken_over,
    })
}

fn read_all(file: &mut std::fs::File) -> String {
    let mut s = String::new();
    let _ = file.rewind().and_then(|_| file.read_to_string(&mut s));
    s
}

/// `pid=…/started=…/command=…` as a Chinese phrase.
fn holder_text(record: &str) -> String {
    let get = |k: &str| {
        record
            .lines()
            .find_map(|l| l.strip_prefix(k).map(|v| v.trim().to_string()))
            .unwrap_or_else(|| "未知".to_string())
    };
    format!(
        "进程 {}，开始于 {}，命令 {}",
        get("pid="),
        get("started="),
        get("command=")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_with_the_holder_named() {
        let dir = tempfile::tempdir().unwrap();
        let a = acquire(dir.path(), Duration::ZERO, "taizhang run").unwrap();
        assert!(a.taken_over.is_none());
        let e = acquire(dir.path(), Duration::from_millis(250), "taizhang run").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("进程 {}", std::process::id())),
            "{msg}"
        );
        drop(a);
        let b = acquire(dir.path(), Duration::ZERO, "x").unwrap();
        assert!(b.taken_over.is_none(), "a released lock is not stale");
    }

    #[test]
    fn a_lock_left_by_a_killed_run_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(LOCK_FILE),
            "pid=999999\nstarted=2023-08-03 09:00:00\ncommand=taizhang run\n",
        )
        .unwrap();
        let l = acquire(dir.path(), Duration::ZERO, "taizhang run").unwrap();
        assert!(l.taken_over.as_deref().unwrap_or("").contains("999999"));
    }
}
