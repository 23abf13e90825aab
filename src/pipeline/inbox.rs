//! Inbox: the period folders of an inbox, the files of one period, what to
//! ignore (lock files, OS litter), and each file's real format sniffed from its
//! first bytes — never from its extension.

use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::model::{FileFormat, IgnoredFile, InboxFile, Period};

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("无法读取收件目录 {path}：{source}")]
    ReadDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("收件目录 {0} 不存在：请用 --inbox 指定存放各期文件夹（如 2023-07/）的目录")]
    Missing(PathBuf),
}

/// Largest file read into memory; larger ones are refused (a ledger is a few MB at most).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Period sub-folders (`2023-07/`) of an inbox, sorted.
pub fn list_periods(inbox: &Path) -> Result<Vec<Period>, InboxError> {
    if !inbox.is_dir() {
        return Err(InboxError::Missing(inbox.to_path_buf()));
    }
    let entries = std::fs::read_dir(inbox).map_err(|source| InboxError::ReadDir {
        path: inbox.to_path_buf(),
        source,
    })?;
    let mut out: Vec<Period> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| Period::parse_period(&e.file_name().to_string_lossy()))
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// The folder of a period inside an inbox (`2023-07` or `202307`).
pub fn period_dir(inbox: &Path, period: Period) -> PathBuf {
    let a = inbox.join(period.to_string());
    if a.is_dir() {
        return a;
    }
    let b = inbox.join(format!("{:04}{:02}", period.year, period.month));
    if b.is_dir() {
        b
    } else {
        a
    }
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
/// and the ones ignored.
pub fn scan(dir: &Path) -> Result<(Vec<PathBuf>, Vec<IgnoredFile>), InboxError> {
    let mut files = Vec::new();
    let mut ignored = Vec::new();
    walk(dir, dir, &mut files, &mut ignored)?;
    files.sort();
    ignored.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((files, ignored))
}

fn walk(
    root: &Path,
    dir: &Path,
    files: &mut Vec<PathBuf>,
    ignored: &mut Vec<IgnoredFile>,
) -> Result<(), InboxError> {
    let entries = std::fs::read_dir(dir).map_err(|source| InboxError::ReadDir {
        path: dir.to_path_buf(),
        source,
    })?;
    for e in entries.filter_map(|e| e.ok()) {
        let path = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if let Some(reason) = ignore_reason(&name) {
            ignored.push(IgnoredFile {
                name: rel_name(root, &path),
                reason: reason.to_string(),
            });
        } else if path.is_dir() {
            walk(root, &path, files, ignored)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
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
pub fn load(root: &Path, path: &Path) -> std::io::Result<(InboxFile, Vec<u8>)> {
    let meta = std::fs::metadata(path)?;
    let mut bytes = Vec::new();
    if meta.len() <= MAX_FILE_BYTES {
        std::fs::File::open(path)?.read_to_end(&mut bytes)?;
    }
    let sha256 = hex(&Sha256::digest(&bytes));
    let name = rel_name(root, path);
    let format = if meta.len() > MAX_FILE_BYTES {
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
            size: meta.len(),
            sha256,
            format,
            modified,
        },
        bytes,
    ))
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
