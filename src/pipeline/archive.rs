//! Archives in the inbox: a `.zip` holding ledgers is opened in memory and
//! each member handed back as if it had been dropped in the period folder,
//! named `archive.zip/folder/member.xlsx`.
//!
//! Everything here works on bytes the inbox has already read (nothing is
//! written, nothing extracted to disk), and is bounded by the archive's real
//! size, never by a size or count it declares: at most [`MAX_MEMBERS`]
//! entries, every member and the whole inflated content within a budget
//! ([`budget`]), archives inside archives [`MAX_NESTING`] levels deep at most.
//! Member names are decoded from GBK (GB18030) when the archive does not flag
//! them UTF-8, as Windows' own “压缩(zipped)文件夹” writes them. A name that
//! would leave the archive (`../`, `/etc/…`, `C:\…`) is refused, never read.
//!
//! A `.7z` is read the same way (sevenz-rust2, pure Rust: LZMA / LZMA2 / copy,
//! its decoder memory capped by [`MAX_DECODER_KB`]). A `.rar` is recognised
//! and refused with a message saying to unpack it or send a `.zip`: no
//! well-kept RAR reader without a system library exists.

use std::io::Read;

use crate::model::FileFormat;

use super::inbox;

/// Most entries (files and folders) one archive may list.
pub const MAX_MEMBERS: usize = 1_000;

/// Archives inside archives: the file in the inbox is level 1, a zip inside
/// it level 2; deeper ones are refused.
pub const MAX_NESTING: usize = 2;

/// Inflated bytes allowed per byte of the archive, and the floor of that
/// budget (ledgers compress about 5:1 at most; an xlsx hardly at all).
pub const MAX_RATIO: u64 = 100;
pub const MIN_BUDGET: u64 = 64 * 1024 * 1024;

/// Most memory one 7z decoder may take (its dictionary; 7-Zip's “ultra”
/// level uses 64 MB).
pub const MAX_DECODER_KB: usize = 256 * 1024;

/// The kind of archive a file is, from its bytes and sniffed format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Zip,
    SevenZip,
    Rar,
}

/// Whether a file whose format sniffed as unknown is an archive: a zip that
/// is not an Office / OpenDocument package (those are documents, refused as
/// not spreadsheets), a 7z or a RAR.
pub fn kind(bytes: &[u8], format: FileFormat) -> Option<Kind> {
    if format != FileFormat::Unknown {
        return None;
    }
    if bytes.starts_with(b"7z\xBC\xAF\x27\x1C") {
        return Some(Kind::SevenZip);
    }
    if bytes.starts_with(b"Rar!\x1A\x07") {
        return Some(Kind::Rar);
    }
    if !(bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")) {
        return None;
    }
    let Ok(zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return None;
    };
    let package = zip.file_names_raw().any(|n| {
        n.eq_ignore_ascii_case(b"[Content_Types].xml")
            || n == b"mimetype"
            || n == b"META-INF/manifest.xml"
    });
    (!package).then_some(Kind::Zip)
}

/// Why a whole archive is not read.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("压缩包损坏或不完整（{0}），未读取；请重新压缩后报送，或直接报送其中的台账文件")]
    Broken(String),
    #[error("压缩包内有 {0} 个文件或文件夹，超过上限 {MAX_MEMBERS} 个，未读取；请只压缩本期台账，或直接报送台账文件")]
    TooMany(usize),
    #[error("压缩包解压后超过 {} MB（压缩包本身 {} KB），疑似“压缩炸弹”，为安全起见未读取；请直接报送台账文件", .budget / 1024 / 1024, .size.div_ceil(1024))]
    Bomb { size: u64, budget: u64 },
    #[error("压缩包设置了密码，无法读取；请去掉压缩密码后重新报送，或直接报送台账文件")]
    Encrypted,
    #[error("{0} 压缩包无法直接读取；请解压后把其中的台账文件放入本期文件夹，或改用 .zip 格式压缩后报送")]
    Unsupported(&'static str),
}

impl ArchiveError {
    /// The check a refused archive is reported under.
    pub fn check_id(&self) -> &'static str {
        match self {
            ArchiveError::Unsupported(_) => "E003",
            ArchiveError::Encrypted => "E002",
            _ => "E001",
        }
    }
}

/// One entry of an archive, as the run sees it.
#[derive(Debug)]
pub struct Member {
    /// `archive.zip/folder/member.xlsx` (relative to the period folder).
    pub name: String,
    /// Modification time stored in the archive (seconds since epoch), if any.
    pub modified: Option<u64>,
    pub outcome: Outcome,
}

#[derive(Debug)]
pub enum Outcome {
    /// Read: the member's bytes.
    Read(Vec<u8>),
    /// Not read, with the check id and the Chinese reason.
    Refused(&'static str, String),
    /// Litter (`~$…`, `__MACOSX/`, `Thumbs.db`): listed as ignored.
    Ignored(String),
}

/// The inflated bytes allowed for an archive of `size` bytes.
pub fn budget(size: u64) -> u64 {
    size.saturating_mul(MAX_RATIO)
        .clamp(MIN_BUDGET, inbox::MAX_FILE_BYTES)
}

/// Opens an archive of kind `kind` named `name` (relative to the period
/// folder) and returns its members in archive order, archives inside it
/// expanded in place. Folders are skipped.
pub fn expand(name: &str, bytes: &[u8], kind: Kind) -> Result<Vec<Member>, ArchiveError> {
    let mut left = budget(bytes.len() as u64);
    let mut out = Vec::new();
    let whole = Whole {
        size: bytes.len() as u64,
    };
    expand_at(&whole, name, bytes, kind, 1, &mut left, &mut out)?;
    Ok(out)
}

/// The archive in the inbox, whose size sets the budget of everything in it.
struct Whole {
    size: u64,
}

impl Whole {
    fn bomb(&self) -> ArchiveError {
        ArchiveError::Bomb {
            size: self.size,
            budget: budget(self.size),
        }
    }
}

fn expand_at(
    whole: &Whole,
    name: &str,
    bytes: &[u8],
    kind: Kind,
    level: usize,
    left: &mut u64,
    out: &mut Vec<Member>,
) -> Result<(), ArchiveError> {
    match kind {
        Kind::Zip => expand_zip(whole, name, bytes, level, left, out),
        Kind::SevenZip => expand_7z(whole, name, bytes, level, left, out),
        Kind::Rar => Err(ArchiveError::Unsupported("RAR")),
    }
}

fn expand_zip(
    whole: &Whole,
    name: &str,
    bytes: &[u8],
    level: usize,
    left: &mut u64,
    out: &mut Vec<Member>,
) -> Result<(), ArchiveError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| ArchiveError::Broken(e.to_string()))?;
    if zip.len() > MAX_MEMBERS {
        return Err(ArchiveError::TooMany(zip.len()));
    }
    let mut seen = std::collections::HashSet::new();
    for i in 0..zip.len() {
        let entry = zip
            .by_index_data(i)
            .map_err(|e| ArchiveError::Broken(e.to_string()))?;
        let utf8 = entry.flags().as_u16() & 0x0800 != 0;
        let raw_name = decode_name(entry.name_raw(), utf8);
        let is_dir = entry.is_dir() || raw_name.ends_with('/') || raw_name.ends_with('\\');
        let encrypted = entry.encrypted();
        let declared = entry.size();
        let modified = entry.last_modified().and_then(|t| {
            epoch_seconds(
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
            )
        });
        drop(entry);
        if is_dir {
            continue;
        }
        let Some(full) = admit(name, &raw_name, modified, &mut seen, out) else {
            continue;
        };
        if encrypted {
            out.push(Member {
                name: full,
                modified,
                outcome: Outcome::Refused(
                    "E002",
                    "压缩包内的此文件设置了密码，无法读取；请去掉压缩密码后重新报送".to_string(),
                ),
            });
            continue;
        }
        let limit = (*left).min(inbox::MAX_FILE_BYTES);
        let mut data = Vec::new();
        let read = zip
            .by_index(i)
            .map_err(std::io::Error::other)
            .and_then(|f| {
                data.reserve(declared.min(limit) as usize);
                f.take(limit + 1).read_to_end(&mut data)
            });
        if let Err(e) = read {
            out.push(Member {
                name: full,
                modified,
                outcome: Outcome::Refused(
                    "E001",
                    format!(
                        "压缩包内的此文件无法解压（{e}）；请用系统自带的“压缩(zipped)文件夹”重新压缩，或直接报送该文件"
                    ),
                ),
            });
            continue;
        }
        if data.len() as u64 > limit {
            return Err(whole.bomb());
        }
        *left -= data.len() as u64;
        place(whole, full, data, modified, level, left, out)?;
    }
    Ok(())
}

fn expand_7z(
    whole: &Whole,
    name: &str,
    bytes: &[u8],
    level: usize,
    left: &mut u64,
    out: &mut Vec<Member>,
) -> Result<(), ArchiveError> {
    use sevenz_rust2::{ArchiveReader, EntryDecision, Error, Password};
    let broken = |e: Error| match e {
        Error::PasswordRequired | Error::MaybeBadPassword(_) => ArchiveError::Encrypted,
        e => ArchiveError::Broken(e.to_string()),
    };
    let mut reader = ArchiveReader::new_with_memory_limit(
        std::io::Cursor::new(bytes),
        Password::empty(),
        MAX_DECODER_KB,
    )
    .map_err(broken)?;
    reader.set_thread_count(1);
    let count = reader.archive().files.len();
    if count > MAX_MEMBERS {
        return Err(ArchiveError::TooMany(count));
    }
    // Every entry's data is read (a solid archive decodes it anyway), within
    // the budget; directories have none.
    let mut read: Vec<(String, Vec<u8>)> = Vec::new();
    let mut over = false;
    reader
        .for_each_entries_with_decision(|entry, r| {
            if entry.is_directory() || entry.is_anti_item() {
                return Ok(EntryDecision::Continue);
            }
            let limit = (*left).min(inbox::MAX_FILE_BYTES);
            let mut data = Vec::new();
            r.take(limit + 1).read_to_end(&mut data)?;
            if data.len() as u64 > limit {
                over = true;
                return Ok(EntryDecision::Stop);
            }
            *left -= data.len() as u64;
            read.push((entry.name().to_string(), data));
            Ok(EntryDecision::Continue)
        })
        .map_err(broken)?;
    if over {
        return Err(whole.bomb());
    }
    let mut seen = std::collections::HashSet::new();
    for (raw_name, data) in read {
        if let Some(full) = admit(name, &raw_name, None, &mut seen, out) {
            place(whole, full, data, None, level, left, out)?;
        }
    }
    Ok(())
}

/// The member's full name, or `None` when it is not read: a name leaving
/// the archive (refused), litter or a second member of the same name
/// (ignored) — those pushed to `out` with the reason.
fn admit(
    name: &str,
    raw_name: &str,
    modified: Option<u64>,
    seen: &mut std::collections::HashSet<String>,
    out: &mut Vec<Member>,
) -> Option<String> {
    let Some(rel) = safe_name(raw_name) else {
        out.push(Member {
            name: format!("{name}/{}", raw_name.replace('\\', "/")),
            modified,
            outcome: Outcome::Refused(
                "E001",
                format!(
                    "压缩包内的文件名“{raw_name}”指向压缩包以外（含 .. 或绝对路径），为安全起见未读取；请把台账直接放入压缩包后重新报送"
                ),
            ),
        });
        return None;
    };
    let full = format!("{name}/{rel}");
    let why = if let Some(why) = litter(&rel) {
        format!("压缩包内的{why}")
    } else if !seen.insert(rel) {
        "压缩包内有同名文件，只读取了第一个；请核对压缩包内容".to_string()
    } else {
        return Some(full);
    };
    out.push(Member {
        name: full,
        modified,
        outcome: Outcome::Ignored(why),
    });
    None
}

/// A member read: an archive inside the archive is expanded in place (up to
/// [`MAX_NESTING`] levels), anything else handed back.
fn place(
    whole: &Whole,
    full: String,
    data: Vec<u8>,
    modified: Option<u64>,
    level: usize,
    left: &mut u64,
    out: &mut Vec<Member>,
) -> Result<(), ArchiveError> {
    let format = inbox::sniff(&data, &full);
    let Some(k) = kind(&data, format) else {
        out.push(Member {
            name: full,
            modified,
            outcome: Outcome::Read(data),
        });
        return Ok(());
    };
    if level >= MAX_NESTING {
        out.push(Member {
            name: full,
            modified,
            outcome: Outcome::Refused(
                "E001",
                format!("压缩包嵌套超过 {MAX_NESTING} 层，未读取；请解压后把台账直接放入压缩包"),
            ),
        });
        return Ok(());
    }
    match expand_at(whole, &full, &data, k, level + 1, left, out) {
        Ok(()) => Ok(()),
        Err(e @ (ArchiveError::Bomb { .. } | ArchiveError::TooMany(_))) => Err(e),
        Err(e) => {
            out.push(Member {
                name: full,
                modified,
                outcome: Outcome::Refused(e.check_id(), e.to_string()),
            });
            Ok(())
        }
    }
}

/// A member name as text: UTF-8 when the archive flags it (bit 11) or it is
/// valid UTF-8, else GBK / GB18030 (Windows' own zip writes the ANSI code
/// page, 936 on a Chinese system).
pub fn decode_name(raw: &[u8], utf8_flag: bool) -> String {
    if utf8_flag {
        return String::from_utf8_lossy(raw).into_owned();
    }
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030
            .decode_without_bom_handling(raw)
            .0
            .into_owned(),
    }
}

/// The member's path inside the archive with `/` separators, or `None` when
/// it would leave the archive: an absolute path, a drive letter, a `..`
/// component, or a NUL byte.
pub fn safe_name(name: &str) -> Option<String> {
    let name = name.replace('\\', "/");
    if name.starts_with('/') || name.contains('\0') {
        return None;
    }
    let parts: Vec<&str> = name
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.is_empty() || parts.contains(&"..") {
        return None;
    }
    if parts[0].len() == 2 && parts[0].ends_with(':') {
        return None;
    }
    Some(parts.join("/"))
}

/// Why a member is litter (its own name, or a folder such as `__MACOSX/`).
fn litter(rel: &str) -> Option<&'static str> {
    if rel.split('/').any(|p| p == "__MACOSX") {
        return Some("macOS 系统文件");
    }
    let base = rel.rsplit('/').next().unwrap_or(rel);
    inbox::ignore_reason(base)
}

/// Seconds since the epoch of a zip's DOS time, taken as Beijing time (UTC+8:
/// the archives come from units in China); `None` when it is no date.
fn epoch_seconds(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> Option<u64> {
    if !(1980..=2107).contains(&y) || !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let (y, m) = (i64::from(y), i64::from(mo));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s) - 8 * 3600;
    u64::try_from(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in entries {
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn names_decoded_and_checked() {
        let (gbk, _, _) = encoding_rs::GBK.encode("南昌市/新基建.xlsx");
        assert_eq!(decode_name(&gbk, false), "南昌市/新基建.xlsx");
        assert_eq!(decode_name("南昌.xlsx".as_bytes(), true), "南昌.xlsx");
        assert_eq!(safe_name("a\\b/./c.xlsx").as_deref(), Some("a/b/c.xlsx"));
        assert_eq!(safe_name("../c.xlsx"), None);
        assert_eq!(safe_name("a/../../c.xlsx"), None);
        assert_eq!(safe_name("/etc/passwd"), None);
        assert_eq!(safe_name("C:/x.xlsx"), None);
        assert_eq!(safe_name(""), None);
    }

    #[test]
    fn dos_time_to_epoch() {
        // 2023-08-01 08:00:00 Beijing = 2023-08-01 00:00:00 UTC.
        assert_eq!(epoch_seconds(2023, 8, 1, 8, 0, 0), Some(1_690_848_000));
        assert_eq!(epoch_seconds(1970, 1, 1, 0, 0, 0), None);
    }

    #[test]
    fn bomb_refused_and_litter_ignored() {
        let big = vec![b'a'; (MIN_BUDGET + 10) as usize];
        let z = zip_of(&[("x.csv", &big)]);
        assert!(matches!(
            expand("a.zip", &z, Kind::Zip),
            Err(ArchiveError::Bomb { .. })
        ));
        let z = zip_of(&[("__MACOSX/._x.csv", b"x"), ("d/x.csv", b"a,b\n1,2\n")]);
        let m = expand("a.zip", &z, Kind::Zip).unwrap();
        assert_eq!(m.len(), 2);
        assert!(matches!(m[0].outcome, Outcome::Ignored(_)));
        assert_eq!(m[1].name, "a.zip/d/x.csv");
        assert!(matches!(&m[1].outcome, Outcome::Read(b) if b == b"a,b\n1,2\n"));
        assert_eq!(kind(&z, FileFormat::Unknown), Some(Kind::Zip));
        let docx = zip_of(&[("[Content_Types].xml", b"<x/>")]);
        assert_eq!(kind(&docx, FileFormat::Unknown), None);
    }
}
