//! File-system helpers every writing stage shares: atomic writes with unique
//! temp names, the Chinese reason for an I/O error, clean-up of what a killed
//! run left behind, and a test-only write fault.
//!
//! Every output of a run (workbooks, manifests, store entries) is written by
//! [`write_atomic`]: a temp file beside the target named
//! `.NAME.taizhang-tmp-PID-SEQ`, synced, then renamed over the target. A
//! failed write removes its temp file; a killed run's temp files are removed by
//! [`clean_stale`] at the next run, under the run lock.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Marker in the names of temp files and staging folders this tool creates;
/// nothing else is ever removed by [`clean_stale`].
pub const TMP_MARK: &str = ".taizhang-tmp-";
/// Prefix of a period's staging folder (see `pipeline::publish`).
pub const STAGING_PREFIX: &str = ".taizhang-staging-";

static SEQ: AtomicU64 = AtomicU64::new(0);

/// Environment variable of the fault test: total bytes the process may write
/// through [`write_atomic`] before a write fails as if the disk were full.
pub const FAULT_ENV: &str = "TAIZHANG_FAULT_WRITE_AFTER";

/// Bytes left before the injected fault (`u64::MAX`: no fault).
static FAULT_BUDGET: AtomicU64 = AtomicU64::new(u64::MAX);
static FAULT_INIT: std::sync::Once = std::sync::Once::new();

fn fault_budget() -> &'static AtomicU64 {
    FAULT_INIT.call_once(|| {
        if let Some(n) = std::env::var(FAULT_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            FAULT_BUDGET.store(n, Ordering::SeqCst);
        }
    });
    &FAULT_BUDGET
}

/// Takes `len` bytes from the fault budget; returns how many may be written
/// (fewer than `len` means the write must fail after them).
fn take_budget(len: u64) -> u64 {
    let budget = fault_budget();
    let mut left = budget.load(Ordering::SeqCst);
    loop {
        if left == u64::MAX {
            return len;
        }
        let take = left.min(len);
        match budget.compare_exchange(left, left - take, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => return take,
            Err(now) => left = now,
        }
    }
}

/// A unique temp path beside `path`.
pub fn temp_path(path: &Path) -> PathBuf {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}{TMP_MARK}{}-{seq}", std::process::id()))
}

/// Writes bytes to `path` atomically: a unique temp file beside it, synced,
/// then renamed over it. On any failure the temp file is removed and `path`
/// is left as it was.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        let allowed = take_budget(bytes.len() as u64) as usize;
        f.write_all(&bytes[..allowed.min(bytes.len())])?;
        if allowed < bytes.len() {
            return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
        }
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Like [`write_atomic`], but the content is streamed by `fill` into a
/// buffered writer on the temp file (a large store entry is never held in
/// memory whole).
pub fn write_atomic_with<F>(path: &Path, fill: F) -> std::io::Result<()>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = temp_path(path);
    let result = (|| {
        let f = std::fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, Budgeted(f));
        fill(&mut w)?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.0.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A writer that honours the test-only write fault budget.
struct Budgeted(std::fs::File);

impl Write for Budgeted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let allowed = take_budget(buf.len() as u64) as usize;
        if allowed == 0 && !buf.is_empty() {
            return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
        }
        self.0.write(&buf[..allowed.min(buf.len())])
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// An I/O error shown to a user: the Chinese reason and what to do, with the
/// system's own words in brackets for IT staff.
#[derive(Debug)]
pub struct Why(pub std::io::Error);

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}（系统报告：{}）", reason(&self.0), self.0)
    }
}

impl std::error::Error for Why {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl From<std::io::Error> for Why {
    fn from(e: std::io::Error) -> Why {
        Why(e)
    }
}

/// The Chinese reason for an I/O error, with what to do.
pub fn reason(e: &std::io::Error) -> &'static str {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::StorageFull | K::QuotaExceeded => {
            "磁盘空间不足，请清理磁盘空间或换一个输出目录后重新运行"
        }
        K::PermissionDenied => {
            "无写入权限，请检查该文件夹的权限，或用 --out / --store 换一个可写的目录"
        }
        K::ReadOnlyFilesystem => "磁盘为只读，请换一个可写的输出目录",
        K::IsADirectory | K::DirectoryNotEmpty => {
            "路径被同名文件夹占用，请移走或改名该文件夹后重新运行"
        }
        K::NotADirectory | K::AlreadyExists => "路径被同名文件占用，请移走或改名该文件后重新运行",
        K::NotFound => "路径不存在，请检查目录是否被移动或删除",
        K::FileTooLarge => "文件超过磁盘允许的大小",
        K::InvalidFilename => "文件名或路径无效（过长或含不允许的字符）",
        K::WouldBlock | K::ResourceBusy => "文件正被其他程序占用，请关闭后重新运行",
        _ => match e.raw_os_error() {
            Some(28) => "磁盘空间不足，请清理磁盘空间或换一个输出目录后重新运行",
            Some(21) => "路径被同名文件夹占用，请移走或改名该文件夹后重新运行",
            Some(20) => "路径被同名文件占用，请移走或改名该文件后重新运行",
            _ => "读写失败，请检查磁盘和文件夹权限后重新运行",
        },
    }
}

/// Checks that `dir` can be created and written: a probe file is written and
/// removed. Returns the error a write there would meet.
pub fn probe_writable(dir: &Path) -> std::io::Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(std::io::Error::from(std::io::ErrorKind::NotADirectory));
    }
    std::fs::create_dir_all(dir)?;
    let probe = temp_path(&dir.join("probe"));
    let result = std::fs::File::create(&probe).and_then(|mut f| f.write_all(b"ok"));
    let _ = std::fs::remove_file(&probe);
    result
}

/// Removes the temp files and staging folders a killed or failed run left
/// under `dir` (down to `depth` levels), and nothing else: only names carrying
/// [`TMP_MARK`] or starting with [`STAGING_PREFIX`], and the `.NAME.PID.tmp`
/// temp files of earlier versions. Returns how many were removed.
pub fn clean_stale(dir: &Path, depth: usize) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().to_string();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() && name.starts_with(STAGING_PREFIX) {
            if std::fs::remove_dir_all(e.path()).is_ok() {
                removed += 1;
            }
        } else if ft.is_file() && (name.contains(TMP_MARK) || is_old_temp(&name)) {
            if std::fs::remove_file(e.path()).is_ok() {
                removed += 1;
            }
        } else if ft.is_dir() && depth > 0 {
            removed += clean_stale(&e.path(), depth - 1);
        }
    }
    removed
}

/// `.NAME.PID.tmp`, the temp-file name of earlier versions.
fn is_old_temp(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
        return false;
    };
    rest.rsplit_once('.')
        .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

/// Frees a large value (a period's files, records, a rendered workbook) on a
/// helper thread, so the run does not wait for the allocator. Dropped in place
/// if no thread can be started.
pub fn drop_later<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("taizhang-free".to_string())
        .spawn(move || drop(value));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn failed_write_keeps_target_and_removes_temp() {
        let dir = tempfile::tempdir().unwrap();
        // A folder squatting on the target: the rename fails.
        let p = dir.path().join("a.xlsx");
        std::fs::create_dir(&p).unwrap();
        std::fs::write(p.join("keep.txt"), b"x").unwrap();
        let e = write_atomic(&p, b"data").unwrap_err();
        assert!(reason(&e).contains("文件夹占用"), "{e:?}");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert_eq!(names, ["a.xlsx"]);
    }

    #[test]
    fn stale_cleanup_touches_only_its_own_names() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("p/2023-07/feedback")).unwrap();
        std::fs::create_dir_all(d.join(format!("p/{STAGING_PREFIX}2023-07-12"))).unwrap();
        for n in [
            "p/2023-07/.a.xlsx.taizhang-tmp-12-0",
            "p/2023-07/feedback/.b.xlsx.taizhang-tmp-1-3",
            "p/2023-07/.c.xlsx.4411.tmp",
            "p/2023-07/我的备注.txt",
            "p/2023-07/feedback/已发送.tmp",
            "p/2023-07/.hidden",
        ] {
            std::fs::write(d.join(n), b"x").unwrap();
        }
        assert_eq!(clean_stale(d, 4), 4);
        assert!(d.join("p/2023-07/我的备注.txt").exists());
        assert!(d.join("p/2023-07/feedback/已发送.tmp").exists());
        assert!(d.join("p/2023-07/.hidden").exists());
    }

    #[test]
    fn reasons_are_chinese() {
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        assert!(Why(full).to_string().starts_with("磁盘空间不足"));
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert!(reason(&denied).contains("无写入权限"));
    }
}
