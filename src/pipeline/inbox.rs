//! Inbox: the period folders of an inbox, the files of one period, what to
//! ignore (lock files, OS litter), and each file's real format sniffed from its
//! first bytes — never from its extension.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::model::{FileFormat, IgnoredFile, InboxFile, Period};

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("无法读取收件目录 {path}：{}", crate::fsx::reason(.source))]
    ReadDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("收件目录 {0} 不存在：请用 --inbox 指定存放各期文件夹（如 2023-07/）的目录")]
    Missing(PathBuf),
    #[error("收件目录中的文件夹{}都表示 {period} 期，无法判断以哪个为准：请把文件合并到一个文件夹（如 {period}）、删除其余的后重新运行", names(.dirs))]
    AmbiguousPeriod { period: Period, dirs: Vec<PathBuf> },
}

fn names(dirs: &[PathBuf]) -> String {
    dirs.iter()
        .map(|d| format!("“{}”", d.display()))
        .collect::<Vec<_>>()
        .join("和")
}

/// Largest file read into memory; larger ones are refused (a ledger is a few MB at most).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Deepest sub-folder of a period folder that is still read.
pub const MAX_DEPTH: usize = 16;

/// The period folders of an inbox, sorted by period: `2023-07`, `2023-7` or
/// `202307`. A folder may be a symbolic link to a directory elsewhere, but not
/// to the inbox itself or one of its parents. Two folders naming the same
/// period are refused ([`InboxError::AmbiguousPeriod`]), naming both.
pub fn period_folders(inbox: &Path) -> Result<Vec<(Period, PathBuf)>, InboxError> {
    if !inbox.is_dir() {
        return Err(InboxError::Missing(inbox.to_path_buf()));
    }
    let read_err = |source| InboxError::ReadDir {
        path: inbox.to_path_buf(),
        source,
    };
    let inbox_real = std::fs::canonicalize(inbox).map_err(read_err)?;
    let entries = std::fs::read_dir(inbox).map_err(read_err)?;
    let mut out: Vec<(Period, PathBuf)> = Vec::new();
    for e in entries.filter_map(|e| e.ok()) {
        let Some(period) = Period::parse_period(&e.file_name().to_string_lossy()) else {
            continue;
        };
        let path = e.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let is_dir = if meta.file_type().is_symlink() {
            // A link to the inbox or above it would read every period at once.
            std::fs::canonicalize(&path).is_ok_and(|t| t.is_dir() && !inbox_real.starts_with(&t))
        } else {
            meta.is_dir()
        };
        if is_dir {
            out.push((period, path));
        }
    }
    out.sort();
    for pair in out.windows(2) {
        if pair[0].0 == pair[1].0 {
            let period = pair[0].0;
            return Err(InboxError::AmbiguousPeriod {
                period,
                dirs: out
                    .iter()
                    .filter(|(p, _)| *p == period)
                    .map(|(_, d)| d.clone())
                    .collect(),
            });
        }
    }
    Ok(out)
}

/// Period sub-folders (`2023-07/`, `2023-7/`, `202307/`) of an inbox, sorted.
pub fn list_periods(inbox: &Path) -> Result<Vec<Period>, InboxError> {
    Ok(period_folders(inbox)?.into_iter().map(|(p, _)| p).collect())
}

/// The folder of a period inside an inbox (`2023-07`, `2023-7` or `202307`,
/// whichever exists; `2023-07` when none does).
pub fn period_dir(inbox: &Path, period: Period) -> PathBuf {
    period_folders(inbox)
        .ok()
        .and_then(|v| v.into_iter().find(|(p, _)| *p == period))
        .map_or_else(|| inbox.join(period.to_string()), |(_, d)| d)
}

/// Why a file name is ignored, if it is.
pub fn ignore_reason(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    if name.starts_with("~$") || name.starts_with(".~lock.") {
        Some("Office/WPS 临时锁文件")
    } else if lower == ".ds_store" || name.starts_with("._") {
        Some("macOS 系统文件")
    } else if lower == "thumbs.db" || lower == "desktop.ini" {
        Some("Windows 系统文件")
    } else if name.starts_with('.') {
        Some("隐藏文件")
    } else if lower.ends_with(".tmp")
        || lower.ends_with(".bak")
        || lower.ends_with(".crdownload")
        || lower.ends_with(".part")
    {
        Some("临时或未下载完成的文件")
    } else {
        None
    }
}

/// Lists the files of a period folder (recursively, sorted by relative name)
/// and the ones ignored, with the reason.
///
/// Only regular files are listed. Nothing is opened here: types come from
/// `symlink_metadata`, so a FIFO, device or socket is listed as ignored
/// without ever being opened (opening a FIFO blocks). Symbolic links are
/// followed only when their target lies inside the period folder; every real
/// file and directory is visited once (by device and inode, or by canonical
/// path where there are no inodes), so a link loop such as `ln -s . loop` or
/// a second link to a ledger is listed as ignored instead of read again.
pub fn scan(dir: &Path) -> Result<(Vec<PathBuf>, Vec<IgnoredFile>), InboxError> {
    let read_err = |source| InboxError::ReadDir {
        path: dir.to_path_buf(),
        source,
    };
    let root_real = std::fs::canonicalize(dir).map_err(read_err)?;
    let root_meta = std::fs::metadata(dir).map_err(read_err)?;
    let mut walk = Walk {
        root: dir,
        root_real,
        dirs: HashMap::new(),
        seen: HashMap::new(),
        files: Vec::new(),
        ignored: Vec::new(),
    };
    walk.dirs.insert(identity(&root_meta, dir), String::new());
    walk.walk(dir, 0).map_err(read_err)?;
    let Walk {
        mut files,
        mut ignored,
        ..
    } = walk;
    files.sort();
    ignored.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((files, ignored))
}

/// What identifies one real file or directory.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    #[cfg_attr(not(unix), allow(dead_code))]
    Inode(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Path(PathBuf),
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata, _path: &Path) -> Identity {
    use std::os::unix::fs::MetadataExt;
    Identity::Inode(meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata, path: &Path) -> Identity {
    Identity::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// Why an entry that is neither a regular file nor a directory is not read.
fn special_reason(ft: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "命名管道（FIFO），不是普通文件，未打开；台账请以普通文件放入本文件夹";
        }
        if ft.is_char_device() || ft.is_block_device() {
            return "设备文件，不是普通文件，未打开；台账请以普通文件放入本文件夹";
        }
        if ft.is_socket() {
            return "套接字文件，不是普通文件，未打开；台账请以普通文件放入本文件夹";
        }
    }
    let _ = ft;
    "不是普通文件，未打开；台账请以普通文件放入本文件夹"
}

struct Walk<'a> {
    root: &'a Path,
    root_real: PathBuf,
    /// Directories visited, with their name relative to the period folder.
    dirs: HashMap<Identity, String>,
    /// Files listed, with their name relative to the period folder.
    seen: HashMap<Identity, String>,
    files: Vec<PathBuf>,
    ignored: Vec<IgnoredFile>,
}

impl Walk<'_> {
    fn ignore(&mut self, path: &Path, reason: String) {
        self.ignored.push(IgnoredFile {
            name: rel_name(self.root, path),
            reason,
        });
    }

    /// Lists one directory, in name order (so which of two links to one file
    /// is read does not depend on the order the OS lists them in).
    fn walk(&mut self, dir: &Path, depth: usize) -> std::io::Result<()> {
        let mut entries: Vec<std::fs::DirEntry> =
            std::fs::read_dir(dir)?.filter_map(|e| e.ok()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if let Some(reason) = ignore_reason(&name) {
                self.ignore(&path, reason.to_string());
                continue;
            }
            let lmeta = match std::fs::symlink_metadata(&path) {
                Ok(m) => m,
                Err(err) => {
                    self.ignore(
                        &path,
                        format!("无法读取文件信息（{err}），未读取；请检查文件权限"),
                    );
                    continue;
                }
            };
            let meta = if lmeta.file_type().is_symlink() {
                let Ok(real) = std::fs::canonicalize(&path) else {
                    self.ignore(
                        &path,
                        "符号链接无法解析（目标不存在或链接成环），未读取；请放入文件本身"
                            .to_string(),
                    );
                    continue;
                };
                if !real.starts_with(&self.root_real) {
                    self.ignore(
                        &path,
                        format!(
                            "符号链接，指向本期文件夹以外的“{}”，为安全起见未读取；如需处理，请把文件本身复制到本期文件夹",
                            real.display()
                        ),
                    );
                    continue;
                }
                match std::fs::metadata(&real) {
                    Ok(m) => m,
                    Err(err) => {
                        self.ignore(&path, format!("符号链接的目标无法读取（{err}），未读取"));
                        continue;
                    }
                }
            } else {
                lmeta
            };
            let ft = meta.file_type();
            let id = identity(&meta, &path);
            if ft.is_dir() {
                if let Some(first) = self.dirs.get(&id) {
                    let first = if first.is_empty() {
                        "本期文件夹本身".to_string()
                    } else {
                        format!("已读取的文件夹“{first}”")
                    };
                    self.ignore(
                        &path,
                        format!("链接指向{first}（循环或重复的链接），未重复读取"),
                    );
                    continue;
                }
                if depth >= MAX_DEPTH {
                    self.ignore(
                        &path,
                        format!("文件夹层级超过 {MAX_DEPTH} 层，未读取；请把台账放在本期文件夹或其浅层子文件夹中"),
                    );
                    continue;
                }
                self.dirs.insert(id, rel_name(self.root, &path));
                if let Err(err) = self.walk(&path, depth + 1) {
                    self.ignore(
                        &path,
                        format!("无法读取此文件夹（{err}），其中的文件未处理；请检查文件夹权限"),
                    );
                }
            } else if ft.is_file() {
                if let Some(first) = self.seen.get(&id) {
                    let why = format!("与“{first}”是同一个文件（链接），只读取一次");
                    self.ignore(&path, why);
                    continue;
                }
                self.seen.insert(id, rel_name(self.root, &path));
                self.files.push(path);
            } else {
                self.ignore(&path, special_reason(&ft).to_string());
            }
        }
        Ok(())
    }
}

/// Name of a file relative to the period folder, with `/` separators.
pub fn rel_name(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// Reads a file once: its bytes, sha256 and sniffed format.
///
/// Only a regular file inside the period folder `root` is opened (a link
/// leading out of it, a FIFO or a device is an error, whatever [`scan`] saw
/// earlier), opened non-blocking so that a FIFO swapped in meanwhile cannot
/// hang the run, and checked again on the open handle. At most
/// [`MAX_FILE_BYTES`] + 1 bytes are read whatever the metadata says; a file
/// over the limit comes back with no bytes, its size over the limit and
/// format [`FileFormat::Unknown`] (the caller refuses it as too large).
pub fn load(root: &Path, path: &Path) -> std::io::Result<(InboxFile, Vec<u8>)> {
    let refuse = |why: &str| std::io::Error::other(why.to_string());
    let lmeta = std::fs::symlink_metadata(path)?;
    if lmeta.file_type().is_symlink() {
        let real = std::fs::canonicalize(path)?;
        if !real.starts_with(std::fs::canonicalize(root)?) {
            return Err(refuse("符号链接指向本期文件夹以外，为安全起见未读取"));
        }
    }
    if !std::fs::metadata(path)?.is_file() {
        return Err(refuse("不是普通文件（命名管道、设备等），未读取"));
    }
    let file = open_read_only(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(refuse("不是普通文件（命名管道、设备等），未读取"));
    }
    let mut bytes = Vec::new();
    let mut size = meta.len();
    if size <= MAX_FILE_BYTES {
        bytes.reserve_exact(size as usize);
        file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
        size = bytes.len() as u64;
        if size > MAX_FILE_BYTES {
            // Grew while being read, or its metadata lied.
            bytes = Vec::new();
        }
    }
    let too_large = size > MAX_FILE_BYTES;
    let sha256 = hex(&Sha256::digest(&bytes));
    let name = rel_name(root, path);
    let format = if too_large {
        FileFormat::Unknown
    } else {
        sniff(&bytes, &name)
    };
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    Ok((
        InboxFile {
            path: path.to_path_buf(),
            name,
            size,
            sha256,
            format,
            modified,
        },
        bytes,
    ))
}

/// A file read from inside an archive: `name` is `archive.zip/member.xlsx`,
/// `path` the archive on disk; size, sha256 and format come from the
/// member's own bytes.
pub fn member(path: &Path, name: String, bytes: &[u8], modified: u64) -> InboxFile {
    InboxFile {
        path: path.to_path_buf(),
        size: bytes.len() as u64,
        sha256: hex(&Sha256::digest(bytes)),
        format: sniff(bytes, &name),
        name,
        modified,
    }
}

/// Opens a file read-only and, on Unix, non-blocking (a FIFO opened for
/// reading would otherwise wait for a writer forever; the caller has already
/// checked the type, this covers a swap in between).
fn open_read_only(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    opts.open(path)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Sniffs a file's real format from its bytes (the name only breaks ties such as WPS `.et`).
pub fn sniff(bytes: &[u8], name: &str) -> FileFormat {
    let ext = name.rsplit('.').next().unwrap_or("").to_lowercase();
    if bytes.is_empty() {
        return FileFormat::Empty;
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        let Ok(zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
            return FileFormat::Xlsx; // truncated zip: let the reader say it is broken
        };
        let names: Vec<String> = zip
            .file_names()
            .filter_map(|n| n.ok().map(|n| n.to_string()))
            .collect();
        if names.iter().any(|n| {
            n.eq_ignore_ascii_case("xl/workbook.xml") || n.eq_ignore_ascii_case("xl/workbook.bin")
        }) {
            return FileFormat::Xlsx;
        }
        if names.iter().any(|n| n == "content.xml")
            && bytes
                .windows(46)
                .any(|w| w == b"application/vnd.oasis.opendocument.spreadsheet")
        {
            return FileFormat::Ods;
        }
        return FileFormat::Unknown;
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        if contains(bytes, &utf16le("EncryptedPackage")) {
            return FileFormat::Encrypted;
        }
        if ext == "et" || ext == "ett" {
            return FileFormat::WpsEt;
        }
        if contains(bytes, &utf16le("Workbook")) || contains(bytes, &utf16le("Book")) {
            return FileFormat::Xls;
        }
        return FileFormat::Unknown;
    }
    // BIFF5/BIFF2-4 without a CFB container are rare; treat text-like content next.
    let head = &bytes[..bytes.len().min(4096)];
    let head_text = String::from_utf8_lossy(head).to_lowercase();
    let trimmed = head_text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with("<?xml") || trimmed.starts_with("<workbook") {
        if head_text.contains("urn:schemas-microsoft-com:office:spreadsheet")
            || head_text.contains("<workbook")
        {
            return FileFormat::SpreadsheetMl;
        }
        if head_text.contains("<html") || head_text.contains("<table") {
            return FileFormat::Html;
        }
        return FileFormat::Unknown;
    }
    if trimmed.starts_with("<!doctype html")
        || trimmed.starts_with("<html")
        || trimmed.starts_with("<table")
        || trimmed.starts_with("<meta")
        || (head_text.contains("<table") && head_text.contains("<tr"))
    {
        return FileFormat::Html;
    }
    if bytes.starts_with(b"%PDF")
        || bytes.starts_with(b"\x7fELF")
        || bytes.starts_with(b"\x89PNG")
        || bytes.starts_with(b"\xFF\xD8\xFF")
        || bytes.starts_with(b"Rar!")
        || bytes.starts_with(b"7z\xBC\xAF")
    {
        return FileFormat::Unknown;
    }
    if looks_like_text_table(head) {
        return FileFormat::Csv;
    }
    FileFormat::Unknown
}

/// Text (UTF-8 or GBK) with no NUL bytes and at least one comma, tab or line break.
fn looks_like_text_table(head: &[u8]) -> bool {
    if head.contains(&0) {
        return false;
    }
    let text = match std::str::from_utf8(head) {
        Ok(s) => s.to_string(),
        Err(e) if e.valid_up_to() + 4 >= head.len() => String::from_utf8_lossy(head).to_string(),
        Err(_) => {
            let (s, _, bad) = encoding_rs::GB18030.decode(head);
            if bad {
                return false;
            }
            s.to_string()
        }
    };
    let controls = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        .count();
    controls == 0 && (text.contains(',') || text.contains('\t') || text.contains('\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_litter() {
        assert!(ignore_reason("~$南昌市.xlsx").is_some());
        assert!(ignore_reason(".DS_Store").is_some());
        assert!(ignore_reason("Thumbs.db").is_some());
        assert!(ignore_reason("南昌市.xlsx").is_none());
    }

    #[test]
    fn period_folders_in_every_spelling_and_never_two_for_one_period() {
        let dir = tempfile::tempdir().unwrap();
        for d in ["2023-7", "202306", "2023-05", "notes"] {
            std::fs::create_dir(dir.path().join(d)).unwrap();
        }
        let p = |y, m| Period { year: y, month: m };
        assert_eq!(
            list_periods(dir.path()).unwrap(),
            vec![p(2023, 5), p(2023, 6), p(2023, 7)]
        );
        assert_eq!(
            period_dir(dir.path(), p(2023, 7)),
            dir.path().join("2023-7")
        );
        assert_eq!(
            period_dir(dir.path(), p(2023, 6)),
            dir.path().join("202306")
        );
        assert_eq!(
            period_dir(dir.path(), p(2023, 8)),
            dir.path().join("2023-08")
        );
        std::fs::create_dir(dir.path().join("2023-07")).unwrap();
        let err = list_periods(dir.path()).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, InboxError::AmbiguousPeriod { .. }), "{msg}");
        assert!(msg.contains("2023-07”") && msg.contains("2023-7”"), "{msg}");
    }

    #[cfg(unix)]
    #[test]
    fn scan_lists_only_regular_files_once() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("a.xlsx"), b"x").unwrap();
        std::fs::create_dir(d.join("sub")).unwrap();
        std::fs::write(d.join("sub").join("b.xlsx"), b"y").unwrap();
        symlink(".", d.join("loop")).unwrap();
        symlink("..", d.join("sub").join("up")).unwrap();
        symlink("a.xlsx", d.join("z-link.xlsx")).unwrap();
        symlink("/dev/null", d.join("dev.xlsx")).unwrap();
        symlink("nowhere", d.join("dangling.xlsx")).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(d.join("fifo.xlsx"))
            .status();
        let fifo = status.is_ok_and(|s| s.success());
        let (files, ignored) = scan(d).unwrap();
        let names: Vec<String> = files.iter().map(|f| rel_name(d, f)).collect();
        assert_eq!(names, vec!["a.xlsx", "sub/b.xlsx"]);
        let why = |n: &str| {
            ignored
                .iter()
                .find(|i| i.name == n)
                .map(|i| i.reason.clone())
                .unwrap_or_else(|| panic!("{n} not ignored: {ignored:?}"))
        };
        assert!(why("loop").contains("本期文件夹本身"));
        assert!(why("sub/up").contains("本期文件夹本身"));
        assert!(why("z-link.xlsx").contains("a.xlsx"));
        assert!(why("dev.xlsx").contains("本期文件夹以外"));
        assert!(why("dangling.xlsx").contains("无法解析"));
        if fifo {
            assert!(why("fifo.xlsx").contains("命名管道"));
            // Never opened: loading it is refused, not blocked on.
            assert!(load(d, &d.join("fifo.xlsx")).is_err());
        }
        assert!(load(d, &d.join("dev.xlsx")).is_err());
        let (f, bytes) = load(d, &d.join("z-link.xlsx")).unwrap();
        assert_eq!((f.size, bytes), (1, b"x".to_vec()));
    }

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff(b"", "a.xlsx"), FileFormat::Empty);
        assert_eq!(sniff(b"%PDF-1.4", "a.xlsx"), FileFormat::Unknown);
        assert_eq!(
            sniff("项目代码,项目名称\n1,2\n".as_bytes(), "a.xls"),
            FileFormat::Csv
        );
        assert_eq!(
            sniff(b"<html><table><tr><td>1</td></tr></table></html>", "a.xls"),
            FileFormat::Html
        );
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?><Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\">", "a.xls"),
            FileFormat::SpreadsheetMl
        );
        let (gbk, _, _) = encoding_rs::GBK.encode("项目代码,项目名称\n");
        assert_eq!(sniff(&gbk, "a.csv"), FileFormat::Csv);
    }
}
