//! Ingest: bytes of one file → [`RawWorkbook`] (cells by absolute position,
//! merged regions, sheet visibility). The only module that imports calamine.
//! Also reads CSV (UTF-8/GBK), HTML tables and SpreadsheetML 2003, which
//! calamine does not.

use calamine::{Data, DataRef, Reader};
use memchr::memmem;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::io::Cursor;
use std::sync::Arc;

use crate::model::{Cell, CellFormats, FileFormat, Merge, RawSheet, RawWorkbook};

mod formats;

/// Why a file could not be read. Each maps to a check id and a Chinese message.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("文件已加密（设置了打开密码），无法读取")]
    Encrypted,
    #[error("文件为空（0 字节）")]
    Empty,
    #[error("WPS 表格 .et 格式无法直接读取")]
    WpsEt,
    #[error("不是电子表格文件（无法识别的格式）")]
    NotSpreadsheet,
    #[error("文件损坏或不完整（{0}）")]
    Corrupt(String),
    #[error("文件过大或单元格数量异常（{0}），为安全起见拒绝读取")]
    TooLarge(String),
    #[error("读取超过 {0} 秒仍未完成，文件结构可能异常，为安全起见放弃读取")]
    Timeout(u64),
}

impl IngestError {
    /// The check id this error is reported as.
    pub fn check_id(&self) -> &'static str {
        match self {
            IngestError::Encrypted => "E002",
            IngestError::Empty => "E004",
            IngestError::WpsEt | IngestError::NotSpreadsheet => "E003",
            IngestError::Corrupt(_) | IngestError::TooLarge(_) | IngestError::Timeout(_) => "E001",
        }
    }
}

/// Most cells one sheet may expand to (guards against repeated-cell bombs).
pub const MAX_CELLS: u64 = 20_000_000;

/// Most seconds one file may take to read; a slower reader is abandoned.
pub const READ_TIMEOUT_SECS: u64 = 60;

/// Rows and columns of the largest worksheet Excel can hold; a cell beyond
/// them does not come from a spreadsheet program.
pub const MAX_SHEET_ROWS: u32 = 1_048_576;
pub const MAX_SHEET_COLS: u32 = 16_384;

/// Most worksheets one workbook may have.
pub const MAX_SHEETS: usize = 10_000;

/// Most merged regions one sheet may have (a ledger has a few hundred).
pub const MAX_MERGES: usize = 50_000;

/// What reading one file may allocate, from its real size — never from a
/// count the file declares. `cells`: grid slots (a cell or an empty row, ~32
/// bytes each); `text`: bytes of cell text materialised (a shared string
/// used by 1,000 cells counts 1,000 times).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub cells: u64,
    pub text: u64,
}

impl Limits {
    /// 8 slots and 16 text bytes per byte of file, at least 4 million slots
    /// and 64 MB of text (any ledger fits), at most [`MAX_CELLS`] slots and
    /// 1 GB of text.
    pub fn for_size(len: usize) -> Limits {
        let len = len as u64;
        Limits {
            cells: len.saturating_mul(8).clamp(4_000_000, MAX_CELLS),
            text: len.saturating_mul(16).clamp(64 << 20, 1 << 30),
        }
    }
}

/// What one read has allocated so far, against its [`Limits`].
#[derive(Debug)]
struct Spent {
    limits: Limits,
    cells: u64,
    text: u64,
}

impl Spent {
    fn new(limits: Limits) -> Spent {
        Spent {
            limits,
            cells: 0,
            text: 0,
        }
    }

    fn cells(&mut self, n: u64) -> Result<(), IngestError> {
        self.cells = self.cells.saturating_add(n);
        if self.cells > self.limits.cells {
            return Err(too_many_cells(self.limits));
        }
        Ok(())
    }

    fn text(&mut self, n: u64) -> Result<(), IngestError> {
        self.text = self.text.saturating_add(n);
        if self.text > self.limits.text {
            return Err(too_much_text(self.limits));
        }
        Ok(())
    }
}

fn too_many_cells(limits: Limits) -> IngestError {
    IngestError::TooLarge(format!(
        "表格范围超过 {} 万个单元格，远超此文件大小应有的规模",
        limits.cells / 10_000
    ))
}

fn too_much_text(limits: Limits) -> IngestError {
    IngestError::TooLarge(format!(
        "单元格文字展开后超过 {} MB，远超此文件大小应有的规模",
        limits.text >> 20
    ))
}

fn too_many_sheets(n: usize) -> IngestError {
    IngestError::TooLarge(format!("工作表多达 {n} 个"))
}

/// [`read`] under a watchdog: the reader runs on its own thread and a file that
/// takes longer than `timeout` is refused (the thread is left to finish alone),
/// so no single file can hang the month-end run.
pub fn read_bounded(
    format: FileFormat,
    bytes: Vec<u8>,
    timeout: std::time::Duration,
) -> Result<RawWorkbook, IngestError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("taizhang-read".to_string())
        .spawn(move || {
            let _ = tx.send(read(format, &bytes));
        });
    if spawned.is_err() {
        return Err(IngestError::Corrupt("无法启动读取线程".to_string()));
    }
    rx.recv_timeout(timeout)
        .unwrap_or(Err(IngestError::Timeout(timeout.as_secs())))
}

/// Reads a file's bytes according to its sniffed format.
///
/// Every reader is bounded by the file's real size ([`Limits`]): before
/// calamine sees a workbook, whatever in it would make calamine allocate by a
/// count the file declares is checked (compound-file chains, BIFF records,
/// zip sizes, `uniqueCount`, ODS repeats) and the file refused, or the
/// in-memory copy sanitised (the input file is never written). A panic inside
/// a reader (calamine on a malformed file) is caught and reported as a
/// corrupt file, so one bad file never stops the month-end run.
pub fn read(format: FileFormat, bytes: &[u8]) -> Result<RawWorkbook, IngestError> {
    crate::guard::caught(|| read_checked(format, bytes)).unwrap_or_else(|_| {
        Err(IngestError::Corrupt(
            "文件结构异常，读取程序无法解析".to_string(),
        ))
    })
}

fn read_checked(format: FileFormat, bytes: &[u8]) -> Result<RawWorkbook, IngestError> {
    let limits = Limits::for_size(bytes.len());
    match format {
        FileFormat::Xlsx => {
            let bytes = prepare_xlsx(bytes, limits)?;
            read_xlsx(&bytes, limits)
        }
        FileFormat::Xls => {
            let bytes = prepare_xls(bytes, limits)?;
            read_xls(&bytes)
        }
        FileFormat::Ods => {
            check_zip_sizes(bytes)?;
            check_ods(bytes, limits)?;
            read_ods(bytes)
        }
        FileFormat::Csv => read_csv(bytes),
        FileFormat::Html => read_html(bytes),
        FileFormat::SpreadsheetMl => read_spreadsheetml(bytes),
        FileFormat::Encrypted => Err(IngestError::Encrypted),
        FileFormat::WpsEt => Err(IngestError::WpsEt),
        FileFormat::Empty => Err(IngestError::Empty),
        FileFormat::Unknown => Err(IngestError::NotSpreadsheet),
    }
}

/// Most bytes the parts of one xlsx/ods may inflate to (a ledger is a few MB).
pub const MAX_INFLATED: u64 = 1 << 30;

/// Refuses zip bombs before any part is inflated: the declared sizes of all
/// parts must stay under [`MAX_INFLATED`], and no part may claim a ratio over
/// 1000:1 above 100 MB. (The zip reader enforces the declared size: a part
/// that inflates to more is an error, not more memory.)
fn check_zip_sizes(bytes: &[u8]) -> Result<(), IngestError> {
    match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(mut zip) => check_zip_archive(&mut zip),
        Err(_) => Ok(()), // not a readable zip: the reader reports it as corrupt
    }
}

fn check_zip_archive(zip: &mut zip::ZipArchive<Cursor<&[u8]>>) -> Result<(), IngestError> {
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let Ok(f) = zip.by_index_raw(i) else { continue };
        let (size, packed) = (f.size(), f.compressed_size().max(1));
        total = total.saturating_add(size);
        if total > MAX_INFLATED || size > 100 << 20 && size / packed > 1000 {
            return Err(IngestError::TooLarge(format!(
                "解压后超过 {} MB，疑似压缩炸弹",
                total >> 20
            )));
        }
    }
    Ok(())
}

/// The xlsx as calamine may read it. Zip sizes are checked, and the shared
/// strings part too: calamine reserves `uniqueCount` strings up front (24
/// bytes each, so `uniqueCount="4294967295"` asks for 103 GB and aborts the
/// process). A count larger than the part could hold is removed from an
/// in-memory copy of the workbook (the input file is not touched); the
/// strings themselves must fit in the file's [`Limits`].
fn prepare_xlsx(bytes: &[u8], limits: Limits) -> Result<Cow<'_, [u8]>, IngestError> {
    use std::io::{Read, Write};
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(Cow::Borrowed(bytes)); // the reader reports it as corrupt
    };
    check_zip_archive(&mut zip)?;
    let mut fixed: Vec<(usize, Vec<u8>)> = Vec::new();
    for i in 0..zip.len() {
        let is_sst = zip
            .name_for_index(i)
            .and_then(|n| n.ok())
            .is_some_and(|n| n.to_ascii_lowercase().ends_with("sharedstrings.xml"));
        if !is_sst {
            continue;
        }
        let Ok(mut f) = zip.by_index(i) else { continue };
        // Each string (`<si>…</si>`, 9 bytes at least) costs calamine a
        // 24-byte String plus its text: at most 11/3 of the part's size (the
        // zip reader holds the part to its declared size). Only a part too
        // large for that bound is inflated here to count its strings.
        let size = f.size();
        let roomy = size.saturating_mul(11) / 3 <= limits.text;
        if size > limits.text {
            return Err(too_much_text(limits));
        }
        // The `<sst>` tag is at the start: read the rest only to rewrite it
        // (or when something pushed the tag further in).
        let mut xml = Vec::new();
        if (&mut f).take(4096).read_to_end(&mut xml).is_err() {
            continue; // calamine reports the broken part
        }
        let fine = sst_tag(&xml).is_some_and(|tag| !unique_count_is_bogus(&xml[tag], size));
        if fine && roomy {
            continue;
        }
        if f.take(MAX_INFLATED).read_to_end(&mut xml).is_err() {
            continue;
        }
        let strings = memmem::find_iter(&xml, b"si>").count() as u64 / 2 + 1;
        if strings.saturating_mul(24).saturating_add(xml.len() as u64) > limits.text {
            return Err(too_much_text(limits));
        }
        if let Some(x) = without_bogus_unique_count(&xml) {
            fixed.push((i, x));
        }
    }
    if fixed.is_empty() {
        return Ok(Cow::Borrowed(bytes));
    }
    let broken = |e: &dyn std::fmt::Display| IngestError::Corrupt(format!("压缩包结构异常：{e}"));
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(bytes.len())));
    for i in 0..zip.len() {
        match fixed.iter().find(|(j, _)| *j == i) {
            Some((_, xml)) => {
                let name = zip
                    .name_for_index(i)
                    .and_then(|n| n.ok())
                    .map(|n| n.to_string())
                    .unwrap_or_default();
                let opts = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated);
                out.start_file(name, opts).map_err(|e| broken(&e))?;
                out.write_all(xml).map_err(|e| broken(&e))?;
            }
            None => {
                let f = zip.by_index_raw(i).map_err(|e| broken(&e))?;
                out.raw_copy_file(f).map_err(|e| broken(&e))?;
            }
        }
    }
    let out = out.finish().map_err(|e| broken(&e))?;
    Ok(Cow::Owned(out.into_inner()))
}

/// The shared strings XML with its `uniqueCount` attribute renamed (so that
/// calamine reserves nothing) when the count is not a number the part could
/// hold (each string takes at least `<si>` + `</si>`); `None` when it is fine.
fn without_bogus_unique_count(xml: &[u8]) -> Option<Vec<u8>> {
    let tag = sst_tag(xml)?;
    if !unique_count_is_bogus(&xml[tag.clone()], xml.len() as u64) {
        return None;
    }
    let mut out = xml.to_vec();
    for h in memmem::find_iter(&xml[tag.clone()], UNIQUE_COUNT) {
        // `uniqueCount` → `uniqueCounx`: same length, an attribute nobody reads.
        out[tag.start + h + UNIQUE_COUNT.len() - 1] = b'x';
    }
    Some(out)
}

const UNIQUE_COUNT: &[u8] = b"uniqueCount";

/// The attributes of the first start tag whose local name is `sst` (the one
/// calamine reads `uniqueCount` from), if it is complete in `xml`.
fn sst_tag(xml: &[u8]) -> Option<std::ops::Range<usize>> {
    let mut at = 0;
    loop {
        let lt = at + memchr::memchr(b'<', xml.get(at..)?)?;
        at = lt + 1;
        if matches!(xml.get(at), Some(b'?' | b'!' | b'/')) {
            continue;
        }
        let name_len = xml[at..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || matches!(b, b'>' | b'/'))?;
        let name = &xml[at..at + name_len];
        let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
        if local == b"sst" {
            let end = at + memchr::memchr(b'>', &xml[at..])?;
            return Some(at..end);
        }
    }
}

/// Whether any `uniqueCount` in the tag is not a plain number of strings a
/// part of `part_len` bytes could hold.
fn unique_count_is_bogus(tag: &[u8], part_len: u64) -> bool {
    let plausible = part_len / 9 + 1;
    memmem::find_iter(tag, UNIQUE_COUNT).any(|h| {
        let rest = tag[h + UNIQUE_COUNT.len()..].trim_ascii_start();
        let Some(rest) = rest.strip_prefix(b"=") else {
            return true;
        };
        let Some((&quote, value)) = rest.trim_ascii_start().split_first() else {
            return true;
        };
        let value = value.iter().position(|&b| b == quote).map(|c| &value[..c]);
        match value {
            Some(v) if !v.is_empty() && v.len() <= 12 && v.iter().all(u8::is_ascii_digit) => {
                std::str::from_utf8(v)
                    .ok()
                    .and_then(|v| v.parse::<u64>().ok())
                    .is_none_or(|n| n > plausible)
            }
            _ => true,
        }
    })
}

// ---------------------------------------------------------------- xls: compound file and BIFF records

const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const RESERVED_SECTORS: u32 = 0xFFFF_FFFA;
const DIF_SECT: u32 = 0xFFFF_FFFC;

/// Why a compound file is refused, or that calamine would stop on it by itself.
enum CfbIssue {
    /// calamine returns an error (or panics, which is caught) before it
    /// allocates anything unbounded: nothing to guard.
    ReaderFails,
    Refuse(IngestError),
}

fn cfb_bad(why: &str) -> CfbIssue {
    CfbIssue::Refuse(IngestError::Corrupt(format!("复合文档结构损坏（{why}）")))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]))
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|x| u16::from_le_bytes([x[0], x[1]]))
}

fn u32s(b: &[u8]) -> impl Iterator<Item = u32> + '_ {
    b.chunks_exact(4)
        .map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]))
}

/// A compound file (the container of an xls) as calamine 0.38's `cfb.rs`
/// reads it: the same header fields, the same sector numbering (sector `k`
/// at `header + k × size`, `maxid = file length / size`), the same FAT.
struct Cfb<'a> {
    b: &'a [u8],
    /// Sector size, 512 or 4096; the header takes one sector.
    size: usize,
    maxid: u32,
    fat: Vec<u32>,
}

/// A stream read out of a compound file, with where each byte came from.
struct CfbStream {
    data: Vec<u8>,
    /// File offset of each `unit`-sized piece of `data`.
    pieces: Vec<usize>,
    unit: usize,
}

impl CfbStream {
    fn file_offset(&self, at: usize) -> Option<usize> {
        Some(self.pieces.get(at / self.unit)? + at % self.unit)
    }
}

impl<'a> Cfb<'a> {
    /// Sector `id`: `Err(ReaderFails)` past calamine's `maxid`; refused when
    /// it starts past the end of the file (calamine would read stale zeros
    /// or panic); the last one may be short.
    fn sector(&self, id: u32) -> Result<(&'a [u8], usize), CfbIssue> {
        if id > self.maxid {
            return Err(CfbIssue::ReaderFails);
        }
        let start = self.size + id as usize * self.size;
        if start >= self.b.len() {
            return Err(cfb_bad("扇区超出文件末尾"));
        }
        let end = (start + self.size).min(self.b.len());
        Ok((&self.b[start..end], start))
    }

    /// Reads the header, the DIFAT chain and the FAT. `Ok(None)`: calamine
    /// fails on this header by itself.
    fn open(b: &'a [u8]) -> Result<Cfb<'a>, CfbIssue> {
        if b.len() < 512 {
            return Err(CfbIssue::ReaderFails);
        }
        let size = match u16_at(b, 0x1E) {
            Some(9) => 512,
            Some(12) => 4096,
            _ => return Err(CfbIssue::ReaderFails),
        };
        if u16_at(b, 0x20) != Some(6) || b.len() < size {
            return Err(CfbIssue::ReaderFails);
        }
        let maxid = u32::try_from(b.len() / size).unwrap_or(u32::MAX);
        let mut cfb = Cfb {
            b,
            size,
            maxid,
            fat: Vec::new(),
        };
        // DIFAT: 109 entries in the header, then a chain of DIFAT sectors
        // whose last entry points to the next one (calamine pops it).
        let mut difat: Vec<u32> = u32s(&b[76..512]).collect();
        let mut seen = vec![false; maxid as usize + 1];
        let mut id = u32_at(b, 0x44).unwrap_or(END_OF_CHAIN);
        while id < RESERVED_SECTORS {
            let (sector, _) = cfb.sector(id)?;
            if std::mem::replace(&mut seen[id as usize], true) {
                return Err(cfb_bad("DIFAT 链成环"));
            }
            difat.extend(u32s(sector));
            id = difat.pop().ok_or(CfbIssue::ReaderFails)?;
        }
        // Each listed FAT sector is loaded, repeats included: more than the
        // file has sectors (plus the header's 109) is not a FAT but a way to
        // make the table grow with the square of the file size.
        let fat_sectors: Vec<u32> = difat.into_iter().filter(|&s| s < DIF_SECT).collect();
        if fat_sectors.len() > maxid as usize + 110 {
            return Err(cfb_bad("FAT 扇区表异常"));
        }
        let mut fat = Vec::with_capacity(fat_sectors.len() * size / 4);
        for s in fat_sectors {
            fat.extend(u32s(cfb.sector(s)?.0));
        }
        cfb.fat = fat;
        Ok(cfb)
    }

    /// The sectors calamine's `get_chain` visits from `start` until the end
    /// of the chain or `len` bytes. A sector visited twice is refused:
    /// calamine would go round the loop until `len` (up to 4 GB declared, no
    /// limit at all for the directory) — the hostile case.
    fn chain(&self, start: u32, len: u64, what: &str) -> Result<Vec<(usize, usize)>, CfbIssue> {
        let mut out = Vec::new();
        let mut seen = vec![false; self.maxid as usize + 1];
        let (mut id, mut got) = (start, 0u64);
        while id != END_OF_CHAIN {
            let (sector, at) = self.sector(id)?;
            if std::mem::replace(&mut seen[id as usize], true) {
                return Err(cfb_bad(&format!("{what}扇区链成环")));
            }
            let take = (sector.len() as u64).min(len - got) as usize;
            out.push((at, take));
            got += take as u64;
            if got >= len {
                break;
            }
            id = *self.fat.get(id as usize).ok_or(CfbIssue::ReaderFails)?;
        }
        Ok(out)
    }

    fn bytes(&self, pieces: &[(usize, usize)]) -> Vec<u8> {
        let mut v = Vec::with_capacity(pieces.iter().map(|p| p.1).sum());
        for &(at, n) in pieces {
            v.extend_from_slice(&self.b[at..at + n]);
        }
        v
    }
}

fn u32_le(b: &[u8], at: usize) -> u32 {
    u32_at(b, at).unwrap_or(0)
}

/// One directory entry as calamine reads it.
struct DirEntry {
    name: String,
    start: u32,
    len: u64,
}

/// Checks every chain calamine follows in an xls (DIFAT, FAT, directory,
/// mini FAT, mini stream, the workbook stream in the FAT or the mini FAT),
/// then the BIFF records of the workbook stream ([`scan_biff`]). Returns the
/// bytes calamine is to read: the file itself, or a patched copy.
fn prepare_xls(bytes: &[u8], limits: Limits) -> Result<Cow<'_, [u8]>, IngestError> {
    match prepare_xls_inner(bytes, limits) {
        Ok(b) => Ok(b),
        Err(CfbIssue::ReaderFails) => Ok(Cow::Borrowed(bytes)),
        Err(CfbIssue::Refuse(e)) => Err(e),
    }
}

fn prepare_xls_inner(bytes: &[u8], limits: Limits) -> Result<Cow<'_, [u8]>, CfbIssue> {
    let cfb = Cfb::open(bytes)?;
    let dir_pieces = cfb.chain(u32_le(bytes, 0x30), u64::MAX, "目录")?;
    let dir_bytes = cfb.bytes(&dir_pieces);
    let dirs: Vec<DirEntry> = dir_bytes
        .chunks_exact(128)
        .map(|c| {
            let mut name = encoding_rs::UTF_16LE.decode(&c[..64]).0.into_owned();
            if let Some(l) = name.find('\0') {
                name.truncate(l);
            }
            let len = if cfb.size == 512 {
                u64::from(u32_le(c, 120))
            } else {
                u32_at(c, 120).map_or(0, u64::from) | u64::from(u32_le(c, 124)) << 32
            };
            DirEntry {
                name,
                start: u32_le(c, 116),
                len,
            }
        })
        .collect();
    let Some(root) = dirs.first() else {
        return Err(CfbIssue::ReaderFails);
    };
    let version = u16_at(bytes, 0x1A).unwrap_or(0);
    if version != 3 && root.start == END_OF_CHAIN {
        return Err(CfbIssue::ReaderFails);
    }
    // Mini FAT and mini stream, read whenever the header declares a mini FAT.
    let mini_fat_len = u32_le(bytes, 0x40) as u64;
    let (mini_fat, mini_pieces): (Vec<u32>, Vec<(usize, usize)>) = if mini_fat_len > 0 {
        let ministream = cfb.chain(root.start, root.len, "迷你流")?;
        let minifat = cfb.chain(
            u32_le(bytes, 0x3C),
            mini_fat_len.saturating_mul(cfb.size as u64),
            "迷你 FAT ",
        )?;
        (u32s(&cfb.bytes(&minifat)).collect(), ministream)
    } else {
        (Vec::new(), Vec::new())
    };
    // calamine asks for "Workbook", and for "Book" when that fails in any way.
    let stream = match workbook_stream(&cfb, &dirs, "Workbook", &mini_fat, &mini_pieces) {
        Ok(s) => s,
        Err(CfbIssue::ReaderFails) => {
            workbook_stream(&cfb, &dirs, "Book", &mini_fat, &mini_pieces)?
        }
        Err(e) => return Err(e),
    };
    let patches = scan_biff(&stream.data, limits)?;
    if patches.is_empty() {
        return Ok(Cow::Borrowed(bytes));
    }
    let mut out = bytes.to_vec();
    for (at, value) in patches {
        for (i, v) in value.into_iter().enumerate() {
            let Some(pos) = stream.file_offset(at + i) else {
                return Err(cfb_bad("数据流映射异常"));
            };
            out[pos] = v;
        }
    }
    Ok(Cow::Owned(out))
}

/// The stream `name` as calamine's `get_stream` reads it: under 4096
/// declared bytes from the mini stream (64-byte mini sectors chained by the
/// mini FAT), else from the FAT. A declared size larger than the file is
/// refused: no stream can be.
fn workbook_stream(
    cfb: &Cfb<'_>,
    dirs: &[DirEntry],
    name: &str,
    mini_fat: &[u32],
    mini_pieces: &[(usize, usize)],
) -> Result<CfbStream, CfbIssue> {
    let d = dirs
        .iter()
        .find(|d| d.name.as_bytes().eq_ignore_ascii_case(name.as_bytes()))
        .ok_or(CfbIssue::ReaderFails)?;
    if d.len > cfb.b.len() as u64 {
        return Err(cfb_bad(&format!(
            "数据流声明长度 {} 字节，超过文件本身的 {} 字节",
            d.len,
            cfb.b.len()
        )));
    }
    if d.len >= 4096 {
        let pieces = cfb.chain(d.start, d.len, "数据流")?;
        if pieces.iter().any(|p| p.1 != cfb.size) && pieces.len() > 1 {
            // Only the last piece may be short; a short one inside would
            // shift every offset after it.
            let inner_short = pieces[..pieces.len() - 1].iter().any(|p| p.1 != cfb.size);
            if inner_short {
                return Err(cfb_bad("数据流扇区不完整"));
            }
        }
        return Ok(CfbStream {
            data: cfb.bytes(&pieces),
            pieces: pieces.iter().map(|p| p.0).collect(),
            unit: cfb.size,
        });
    }
    // Mini stream: its bytes live in the FAT chain `mini_pieces`; the bytes
    // taken from a mini sector must lie inside it (the last one may be cut).
    let ministream_len: usize = mini_pieces.iter().map(|p| p.1).sum();
    let mini_offset = |m: u32, take: usize| -> Option<usize> {
        let at = m as usize * 64;
        if at + take > ministream_len {
            return None;
        }
        let piece = mini_pieces.get(at / cfb.size)?;
        (at % cfb.size + take <= piece.1).then_some(piece.0 + at % cfb.size)
    };
    let mut pieces = Vec::new();
    let mut data = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut id = d.start;
    while id != END_OF_CHAIN {
        if id > cfb.maxid.saturating_mul(8) {
            return Err(CfbIssue::ReaderFails);
        }
        let take = 64.min(d.len as usize - data.len());
        let Some(at) = mini_offset(id, take) else {
            return Err(cfb_bad("迷你扇区超出迷你流"));
        };
        if !seen.insert(id) {
            return Err(cfb_bad("迷你数据流扇区链成环"));
        }
        data.extend_from_slice(&cfb.b[at..at + take]);
        pieces.push(at);
        if data.len() >= d.len as usize {
            break;
        }
        id = *mini_fat.get(id as usize).ok_or(CfbIssue::ReaderFails)?;
    }
    Ok(CfbStream {
        data,
        pieces,
        unit: 64,
    })
}

/// One BIFF record as calamine's `RecordIter` cuts it: type, data, and the
/// CONTINUE records that follow it.
struct BiffRecord<'a> {
    typ: u16,
    /// Offset of `data` in the stream.
    at: usize,
    data: &'a [u8],
    conts: Vec<&'a [u8]>,
    /// Bytes of the stream the record and its continuations take.
    span: usize,
}

/// The records from `pos`; `None` ends the walk where calamine would stop
/// with an error (or at the end of the stream).
fn biff_records(stream: &[u8], pos: usize) -> impl Iterator<Item = Option<BiffRecord<'_>>> {
    let mut at = pos;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let rest = stream.get(at..).unwrap_or_default();
        if rest.len() < 4 {
            done = true;
            return if rest.is_empty() { None } else { Some(None) };
        }
        let typ = u16::from_le_bytes([rest[0], rest[1]]);
        let len = u16::from_le_bytes([rest[2], rest[3]]) as usize;
        if rest.len() < len + 4 {
            done = true;
            return Some(None);
        }
        let start = at;
        let data = &rest[4..4 + len];
        let data_at = at + 4;
        at += 4 + len;
        let mut conts = Vec::new();
        let next = &stream[at..];
        if next.len() > 4 && u16::from_le_bytes([next[0], next[1]]) == 0x003C {
            loop {
                let s = &stream[at..];
                if !(s.len() > 4 && u16::from_le_bytes([s[0], s[1]]) == 0x003C) {
                    break;
                }
                let l = u16::from_le_bytes([s[2], s[3]]) as usize;
                if s.len() < l + 4 {
                    done = true;
                    return Some(None);
                }
                conts.push(&s[4..4 + l]);
                at += 4 + l;
            }
        }
        Some(Some(BiffRecord {
            typ,
            at: data_at,
            data,
            conts,
            span: at - start,
        }))
    })
}

/// Upper bound of the UTF-8 bytes of each string of an SST record, walking
/// it as calamine's `parse_sst` does (`None`: calamine fails on it).
fn sst_sizes<'a>(rec: &BiffRecord<'a>) -> Option<Vec<u32>> {
    let mut data: &'a [u8] = rec.data.get(8..)?;
    let mut conts = rec.conts.iter();
    let mut next = |data: &mut &'a [u8]| -> bool {
        match conts.next() {
            Some(c) => {
                *data = c;
                true
            }
            None => false,
        }
    };
    let mut out = Vec::new();
    loop {
        if data.is_empty() && !next(&mut data) {
            break;
        }
        if data.is_empty() {
            out.push(0);
            continue;
        }
        if data.len() < 3 {
            return None;
        }
        let cch = u16::from_le_bytes([data[0], data[1]]) as usize;
        let flags = data[2];
        data = &data[3..];
        let mut high = flags & 1 != 0;
        let mut c_run = 0usize;
        let mut ext = 0usize;
        if flags & 0x8 != 0 {
            c_run = u16_at(data, 0)? as usize;
            data = &data[2..];
        }
        if flags & 0x4 != 0 {
            ext = i32::from_le_bytes(data.get(..4)?.try_into().ok()?) as usize;
            data = &data[4..];
        }
        let mut left = cch;
        while left > 0 {
            let l = if high {
                (data.len() / 2).min(left)
            } else {
                data.len().min(left)
            };
            data = &data[if high { 2 * l } else { l }..];
            left -= l;
            if left > 0 {
                if !next(&mut data) {
                    return None;
                }
                high = data.first()? & 1 != 0;
                data = &data[1..];
            }
        }
        for mut skip in [c_run.checked_mul(4)?, ext] {
            while skip > 0 {
                if data.is_empty() && !next(&mut data) {
                    return None;
                }
                let l = skip.min(data.len());
                data = &data[l..];
                skip -= l;
            }
        }
        out.push(u32::try_from(cch * 3).unwrap_or(u32::MAX));
    }
    Some(out)
}

/// Bounding box of cell positions, as `Range::from_sparse` computes it.
#[derive(Default, Clone, Copy)]
struct BBox(Option<(u32, u32, u32, u32)>);

impl BBox {
    fn add(&mut self, r: u32, c: u32) {
        self.0 = Some(match self.0 {
            None => (r, r, c, c),
            Some((r0, r1, c0, c1)) => (r0.min(r), r1.max(r), c0.min(c), c1.max(c)),
        });
    }

    /// Slots of `from_sparse` over these cells.
    fn cells(&self) -> u64 {
        self.0.map_or(0, |(r0, r1, c0, c1)| {
            u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1)
        })
    }

    /// Slots of the range calamine builds from row 0 (`HeaderRow::Row(0)`).
    fn cells_from_row0(&self) -> u64 {
        self.0.map_or(0, |(_, r1, c0, c1)| {
            u64::from(r1 + 1) * u64::from(c1 - c0 + 1)
        })
    }
}

/// Walks the BIFF records of a workbook stream as calamine's
/// `parse_workbook` does and returns the patches (stream offset, new bytes)
/// that keep calamine bounded by the file:
///
/// - `Dimensions` declaring more cells than the sheet has: zeroed (calamine
///   reserves rows × columns up front, up to 2⁴⁸ cells);
/// - `Label`/`RString`/`String` declaring more characters than the record
///   holds: the count cut to what is there (calamine reserves the declared
///   count for each cell and keeps it);
/// - `Formula`: the token length set to 0 (calamine renders every formula
///   to text, which can grow a hundredfold and take quadratic time; nothing
///   here reads xls formulas).
///
/// and refuses what cannot be patched: cell positions spanning a grid far
/// beyond the file's [`Limits`] (calamine allocates the whole bounding box,
/// twice, and again from row 0), shared strings copied into more text than
/// the limits allow, sheets whose record ranges overlap (each would be
/// parsed again), more than [`MAX_SHEETS`] sheets, and CONTINUE chains that
/// make calamine's SST parsing quadratic.
fn scan_biff(stream: &[u8], limits: Limits) -> Result<Vec<(usize, Vec<u8>)>, CfbIssue> {
    let refuse = |e: IngestError| CfbIssue::Refuse(e);
    let mut biff8 = true;
    let mut sheets: Vec<(usize, bool)> = Vec::new();
    let mut sst: Vec<u32> = Vec::new();
    let mut cont_work: u64 = 0;
    for rec in biff_records(stream, 0) {
        let rec = rec.ok_or(CfbIssue::ReaderFails)?;
        match rec.typ {
            0x002F if u16_at(rec.data, 0) != Some(0) => return Err(CfbIssue::ReaderFails),
            0x0809 => {
                let v = u16_at(rec.data, 0).ok_or(CfbIssue::ReaderFails)?;
                let dt = u16_at(rec.data, 2).unwrap_or(0);
                let older = matches!(v, 0x0200 | 0x0002 | 0x0007 | 0x0300 | 0x0400 | 0x0500);
                biff8 = !(older || v == 0 && dt == 0x1000);
            }
            0x0085 => {
                let pos = u32_at(rec.data, 0).ok_or(CfbIssue::ReaderFails)? as usize;
                let state = *rec.data.get(4).ok_or(CfbIssue::ReaderFails)? & 0x3F;
                let dt = *rec.data.get(5).ok_or(CfbIssue::ReaderFails)?;
                if state > 2 || !matches!(dt, 0 | 1 | 2 | 6) {
                    return Err(CfbIssue::ReaderFails); // calamine: Unrecognized BoundSheet8
                }
                sheets.push((pos, dt == 0));
                if sheets.len() > MAX_SHEETS {
                    return Err(refuse(too_many_sheets(sheets.len())));
                }
            }
            0x00FC => {
                // calamine takes each CONTINUE with `Vec::remove(0)`.
                let n = rec.conts.len() as u64;
                cont_work = cont_work.saturating_add(n * n);
                if cont_work > 400_000_000 {
                    return Err(cfb_bad("共享字符串续表记录异常多"));
                }
                sst = sst_sizes(&rec).ok_or(CfbIssue::ReaderFails)?;
            }
            0x000A => break,
            _ => {}
        }
    }
    let mut patches = Vec::new();
    let mut grid: u64 = 0;
    let mut text: u64 = 0;
    let mut scanned: usize = 0;
    for (pos, worksheet) in sheets {
        if pos > stream.len() {
            return Err(CfbIssue::ReaderFails);
        }
        let (mut cells, mut formulas) = (BBox::default(), BBox::default());
        let mut n_cells: u64 = 0;
        let mut dims: Vec<(usize, usize, u64)> = Vec::new();
        let mut sheet_text: u64 = 0;
        let mut fmla_pos = (0u32, 0u32);
        let (mut seen_bof, mut depth) = (false, 0usize);
        for rec in biff_records(stream, pos) {
            let rec = rec.ok_or(CfbIssue::ReaderFails)?;
            scanned += rec.span;
            if scanned > stream.len() {
                return Err(cfb_bad("工作表数据区重叠"));
            }
            let d = rec.data;
            if depth > 0 {
                match rec.typ {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => {}
                }
                continue;
            }
            let pos_of = |d: &[u8]| -> (u32, u32) {
                (
                    u32::from(u16_at(d, 0).unwrap_or(0)),
                    u32::from(u16_at(d, 2).unwrap_or(0)),
                )
            };
            let mut cell = |r: u32, c: u32| {
                cells.add(r, c);
                n_cells += 1;
            };
            match rec.typ {
                0x0809 if seen_bof => depth += 1,
                0x0809 => seen_bof = true,
                0x0200 => {
                    let (rf, rl, cf, cl) = match d.len() {
                        10 => (
                            u32::from(u16_at(d, 0).unwrap_or(0)),
                            u32::from(u16_at(d, 2).unwrap_or(0)),
                            u32::from(u16_at(d, 4).unwrap_or(0)),
                            u32::from(u16_at(d, 6).unwrap_or(0)),
                        ),
                        14 | 16 => (
                            u32_le(d, 0),
                            u32_le(d, 4),
                            u32::from(u16_at(d, 8).unwrap_or(0)),
                            u32::from(u16_at(d, 10).unwrap_or(0)),
                        ),
                        _ => return Err(CfbIssue::ReaderFails),
                    };
                    let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
                    let reserve = if rl >= 1 && cl >= 1 {
                        let rows = (rl - 1).wrapping_sub(rf).wrapping_add(1) as u64;
                        let cols = (cl - 1).wrapping_sub(cf).wrapping_add(1) as u64;
                        rows.saturating_mul(cols)
                    } else {
                        1
                    };
                    dims.push((rec.at, d.len(), reserve));
                }
                0x0203 | 0x027E => {
                    if d.len() < if rec.typ == 0x0203 { 14 } else { 10 } {
                        return Err(CfbIssue::ReaderFails);
                    }
                    let (r, c) = pos_of(d);
                    cell(r, c);
                }
                0x0205 => {
                    if d.len() < 8 {
                        return Err(CfbIssue::ReaderFails);
                    }
                    let (r, c) = pos_of(d);
                    cell(r, c);
                }
                0x0204 | 0x00D6 => {
                    if d.len() < 6 {
                        return Err(CfbIssue::ReaderFails);
                    }
                    let (r, c) = pos_of(d);
                    cell(r, c);
                    if let Some((fix, bytes)) = string_count_fix(&d[6..], biff8) {
                        patches.push((rec.at + 6, fix));
                        sheet_text += bytes;
                    }
                }
                0x0207 => {
                    cell(fmla_pos.0, fmla_pos.1);
                    if let Some((fix, bytes)) = string_count_fix(d, biff8) {
                        patches.push((rec.at, fix));
                        sheet_text += bytes;
                    }
                }
                0x00FD => {
                    if d.len() < 10 {
                        return Err(CfbIssue::ReaderFails);
                    }
                    let (r, c) = pos_of(d);
                    if let Some(&n) = sst.get(u32_le(d, 6) as usize) {
                        cell(r, c);
                        sheet_text += u64::from(n);
                    }
                }
                0x00BD => {
                    if d.len() < 6 {
                        return Err(CfbIssue::ReaderFails);
                    }
                    let (r, first) = pos_of(d);
                    let last = u16_at(d, d.len() - 2).unwrap_or(0);
                    let n = (last.wrapping_sub(first as u16).wrapping_add(1)) as usize;
                    if d.len() != 6 + 6 * n {
                        return Err(CfbIssue::ReaderFails);
                    }
                    for k in 0..n as u32 {
                        cell(r, first + k);
                    }
                }
                0x0006 => {
                    if d.len() < 20 {
                        return Err(CfbIssue::ReaderFails);
                    }
                    fmla_pos = pos_of(d);
                    cell(fmla_pos.0, fmla_pos.1);
                    formulas.add(fmla_pos.0, fmla_pos.1);
                    if u16_at(d, 20).unwrap_or(0) != 0 {
                        patches.push((rec.at + 20, vec![0, 0]));
                    }
                }
                0x000A => break,
                _ => {}
            }
        }
        for (at, len, reserve) in dims {
            if reserve > n_cells.max(4096) {
                patches.push((at, vec![0; len]));
            }
        }
        // The sheet's range and formula range (`from_sparse`), and for a
        // worksheet the clone `worksheet_range` returns and the range it
        // rebuilds from row 0.
        grid = grid.saturating_add(cells.cells() + formulas.cells());
        // A LabelSst cell owns a copy of its shared string; the clone copies it again.
        text = text.saturating_add(sheet_text);
        if worksheet {
            grid = grid.saturating_add(cells.cells() + cells.cells_from_row0());
            text = text.saturating_add(sheet_text);
        }
        if grid > limits.cells.saturating_mul(2) {
            return Err(refuse(too_many_cells(limits)));
        }
        if text > limits.text {
            return Err(refuse(too_much_text(limits)));
        }
    }
    Ok(patches)
}

/// For a BIFF string (`cch` u16, then a flags byte in BIFF8, then the
/// characters) whose count claims more characters than the record holds:
/// the count cut to the bytes there (calamine decodes the same characters,
/// as it stops at the end of the record, but reserves only that much).
/// Returns the new count's bytes and the text bytes the string may decode to.
fn string_count_fix(d: &[u8], biff8: bool) -> Option<(Vec<u8>, u64)> {
    let head = if biff8 { 3 } else { 2 };
    let cch = u16_at(d, 0)?;
    let avail = d.len().checked_sub(head)?;
    let bytes = 3 * avail.min(cch as usize) as u64;
    if (cch as usize) <= avail {
        return None;
    }
    Some((
        u16::try_from(avail)
            .unwrap_or(u16::MAX)
            .to_le_bytes()
            .to_vec(),
        bytes,
    ))
}

// ---------------------------------------------------------------- ods: repeats

/// calamine's caps on ODS repeats (rows per table, columns per row).
const ODS_MAX_ROWS: u64 = 1_048_576;
const ODS_MAX_COLUMNS: u64 = 16_384;

/// One table row as calamine's `read_row` leaves it.
#[derive(Default)]
struct OdsRow {
    repeats: u64,
    /// First and last column holding a value / a formula.
    values: Option<(u64, u64)>,
    formulas: Option<(u64, u64)>,
    /// Cells pushed (each also pushes a formula string).
    pushed: u64,
    /// Text bytes of the values and formulas pushed.
    text: u64,
}

/// What one ODS cell element holds, as calamine's `get_datatype` reads it.
struct OdsCell {
    value: bool,
    formula: bool,
    text: u64,
    /// calamine reads the content (string cells) or skips to the end tag.
    content_read: bool,
}

/// Estimates what calamine will allocate for the tables of an ODS before it
/// reads them, walking `content.xml` as calamine does: a cell's
/// `number-columns-repeated` clones its value (up to 16,384 times per row
/// element), a row's `number-rows-repeated` clones the whole row (up to
/// 1,048,576 rows), `<text:s text:c="…"/>` pushes that many spaces — all
/// counts the file declares. Refused when the cells or text exceed the
/// file's [`Limits`]; an XML error is left for calamine to report.
fn check_ods(bytes: &[u8], limits: Limits) -> Result<(), IngestError> {
    use quick_xml::events::Event;
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let Ok(content) = zip.by_name("content.xml") else {
        return Ok(());
    };
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let config = xml.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    let mut buf = Vec::new();
    let mut spent = Spent::new(limits);
    let mut tables = 0usize;
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name().as_ref() == "table:table" => {
                if ods_attr(&e, "table:name").is_none() {
                    continue;
                }
                tables += 1;
                if tables > MAX_SHEETS {
                    return Err(too_many_sheets(tables));
                }
                match ods_table(&mut xml, &mut spent) {
                    Ok(Some(())) => {}
                    Ok(None) => return Ok(()), // calamine reports the error
                    Err(e) => return Err(e),
                }
            }
            Ok(Event::Eof) | Err(_) => return Ok(()),
            _ => {}
        }
    }
}

fn ods_attr(e: &quick_xml::events::BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .filter_map(|a| a.ok())
        .find(|a| a.key.as_ref() == key)
        .map(|a| a.value.into_owned())
}

fn ods_count(s: &str) -> Option<u64> {
    s.parse::<u64>().ok().or_else(|| {
        // calamine parses into usize: a larger number is an error there.
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then_some(u64::MAX)
    })
}

/// One table; `Ok(None)` where calamine stops with an error.
fn ods_table<R: std::io::BufRead>(
    xml: &mut quick_xml::Reader<R>,
    spent: &mut Spent,
) -> Result<Option<()>, IngestError> {
    use quick_xml::events::Event;
    let mut rows: Vec<OdsRow> = Vec::new();
    let mut total_rows = 0u64;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name().as_ref() == "table:table-row" => {
                let repeats = match ods_attr(&e, "table:number-rows-repeated") {
                    Some(v) => match ods_count(&v) {
                        Some(n) => n,
                        None => return Ok(None),
                    },
                    None => 1,
                };
                let repeats = repeats.min(ODS_MAX_ROWS.saturating_sub(total_rows));
                total_rows += repeats;
                let Some(mut row) = ods_row(xml, spent)? else {
                    return Ok(None);
                };
                row.repeats = repeats;
                // The cells and formula strings `read_row` pushes.
                spent.cells(row.pushed.saturating_mul(2))?;
                spent.text(row.text)?;
                rows.push(row);
            }
            Ok(Event::End(e)) if e.name().as_ref() == "table:table" => break,
            Ok(Event::Eof) | Err(_) => return Ok(None),
            _ => {}
        }
    }
    // `get_range`, once for the values and once for the formulas: the
    // smallest box holding every non-empty cell, each row cloned `repeats`
    // times; the value range is cloned again by `worksheet_range` and rebuilt
    // from row 0.
    for formulas in [false, true] {
        let span = |r: &OdsRow| if formulas { r.formulas } else { r.values };
        let Some(first) = rows.iter().position(|r| span(r).is_some()) else {
            continue;
        };
        let last = rows
            .iter()
            .rposition(|r| span(r).is_some())
            .unwrap_or(first);
        let c0 = rows
            .iter()
            .filter_map(|r| span(r).map(|s| s.0))
            .min()
            .unwrap_or(0);
        let c1 = rows
            .iter()
            .filter_map(|r| span(r).map(|s| s.1))
            .max()
            .unwrap_or(0);
        let width = c1 + 1 - c0;
        let height: u64 = rows[first..=last].iter().map(|r| r.repeats).sum();
        let before: u64 = rows[..first].iter().map(|r| r.repeats).sum();
        let copies = if formulas { 1 } else { 2 };
        spent.cells(height.saturating_mul(width).saturating_mul(copies))?;
        if !formulas {
            spent.cells(before.saturating_add(height).saturating_mul(width))?;
        }
        let text: u64 = rows[first..=last]
            .iter()
            .map(|r| r.repeats.saturating_mul(r.text))
            .fold(0u64, u64::saturating_add);
        spent.text(text.saturating_mul(copies + 1))?;
    }
    Ok(Some(()))
}

/// One row element; `Ok(None)` where calamine stops with an error.
fn ods_row<R: std::io::BufRead>(
    xml: &mut quick_xml::Reader<R>,
    spent: &mut Spent,
) -> Result<Option<OdsRow>, IngestError> {
    use quick_xml::events::Event;
    let mut row = OdsRow::default();
    let mut pending_empty = 0u64;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e))
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                let e = e.into_owned();
                let repeats = match ods_attr(&e, "table:number-columns-repeated") {
                    Some(v) => match ods_count(&v) {
                        Some(n) => n,
                        None => return Ok(None),
                    },
                    None => 1,
                };
                let Some(cell) = ods_cell(xml, &e, spent)? else {
                    return Ok(None);
                };
                let empty = pending_empty.min(ODS_MAX_COLUMNS.saturating_sub(row.pushed));
                row.pushed += empty;
                pending_empty = 0;
                let repeats = repeats.min(ODS_MAX_COLUMNS.saturating_sub(row.pushed));
                if !cell.value && !cell.formula {
                    pending_empty = repeats;
                } else if repeats > 0 {
                    let (a, b) = (row.pushed, row.pushed + repeats - 1);
                    let widen = |s: Option<(u64, u64)>| {
                        Some(s.map_or((a, b), |(x, y)| (x.min(a), y.max(b))))
                    };
                    if cell.value {
                        row.values = widen(row.values);
                    }
                    if cell.formula {
                        row.formulas = widen(row.formulas);
                    }
                    row.pushed += repeats;
                    row.text = row.text.saturating_add(repeats.saturating_mul(cell.text));
                    // The clones are made while the row is read: stop early.
                    if row.text > spent.limits.text {
                        return Err(too_much_text(spent.limits));
                    }
                }
                if !cell.content_read {
                    let end = e.name().as_ref().to_string();
                    let mut skip = Vec::new();
                    if xml
                        .read_to_end_into(quick_xml::name::QName(&end), &mut skip)
                        .is_err()
                    {
                        return Ok(None);
                    }
                }
            }
            Ok(Event::End(e)) if e.name().as_ref() == "table:table-row" => return Ok(Some(row)),
            _ => return Ok(None),
        }
    }
}

/// One cell element as calamine's `get_datatype` reads it; `Ok(None)` where
/// calamine stops with an error.
fn ods_cell<R: std::io::BufRead>(
    xml: &mut quick_xml::Reader<R>,
    e: &quick_xml::events::BytesStart<'_>,
    spent: &mut Spent,
) -> Result<Option<OdsCell>, IngestError> {
    use quick_xml::events::Event;
    let (mut is_string, mut is_error, mut set) = (false, false, false);
    let (mut value, mut text, mut formula) = (false, 0u64, 0u64);
    let mut empty_string = false;
    for a in e.attributes().with_checks(false).filter_map(|a| a.ok()) {
        let v: &str = a.value.as_ref();
        match a.key.as_ref() {
            "office:value" | "office:boolean-value" if !set => {
                (value, set) = (true, true);
            }
            "office:string-value" | "office:date-value" | "office:time-value" if !set => {
                (value, set, text) = (true, true, v.len() as u64);
                empty_string = v.is_empty() && a.key.as_ref() == "office:string-value";
            }
            "office:value-type" if !set => is_string = v == "string",
            "calcext:value-type" => is_error = v == "error",
            "table:formula" => formula = v.len() as u64,
            _ => {}
        }
    }
    let text_of = |text: u64| text.saturating_add(formula);
    if !(!set && is_string || is_error && empty_string) {
        return Ok(Some(OdsCell {
            value,
            formula: formula > 0,
            text: text_of(text),
            content_read: false,
        }));
    }
    // The content is the value: paragraphs, spaces (`text:s`, repeated
    // `text:c` times), tabs and line breaks.
    let mut len = 0u64;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let ev = match xml.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(_) => return Ok(None),
        };
        match ev {
            Event::Text(t) => len = len.saturating_add(t.len() as u64),
            Event::GeneralRef(_) => len = len.saturating_add(4),
            Event::End(end)
                if matches!(
                    end.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                return Ok(Some(OdsCell {
                    value: true,
                    formula: formula > 0,
                    text: text_of(len),
                    content_read: true,
                }));
            }
            Event::Start(s) if s.name().as_ref() == "office:annotation" => {
                let mut skip = Vec::new();
                loop {
                    skip.clear();
                    match xml.read_event_into(&mut skip) {
                        Ok(Event::End(x)) if x.name().as_ref() == "office:annotation" => break,
                        Err(_) | Ok(Event::Eof) => return Ok(None),
                        _ => {}
                    }
                }
            }
            Event::Start(s) if s.name().as_ref() == "text:s" => {
                let n = match ods_attr(&s, "text:c") {
                    Some(v) => match ods_count(&v) {
                        Some(n) => n,
                        None => return Ok(None),
                    },
                    None => 1,
                };
                len = len.saturating_add(n);
            }
            Event::Start(_) => len = len.saturating_add(1),
            Event::Eof => return Ok(None),
            _ => {}
        }
        if len > spent.limits.text {
            return Err(too_much_text(spent.limits));
        }
    }
}

fn corrupt(e: impl std::fmt::Display) -> IngestError {
    let msg = e.to_string();
    let lower = msg.to_lowercase();
    if lower.contains("password") || lower.contains("encrypt") {
        IngestError::Encrypted
    } else {
        // The reader's own words are for IT staff; the user reads the Chinese
        // around them.
        IngestError::Corrupt(format!("读取程序报告：{msg}"))
    }
}

/// Moves a calamine value into our cell (strings are moved, not copied).
fn to_cell(d: Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::Int(i) => Cell::Number(i as f64),
        Data::Float(f) => Cell::Number(f),
        Data::String(s) => Cell::Text(s.into()),
        Data::Bool(b) => Cell::Bool(b),
        Data::DateTime(dt) => Cell::Date(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.into()),
        Data::Error(e) => Cell::Error(e.to_string().into()),
    }
}

/// Turns a range into rows by absolute position, consuming its cells.
fn range_to_rows(mut range: calamine::Range<Data>) -> Result<Vec<Vec<Cell>>, IngestError> {
    let Some((r0, c0)) = range.start() else {
        return Ok(Vec::new());
    };
    let (h, w) = range.get_size();
    let cells = (r0 as u64 + h as u64) * (c0 as u64 + w as u64);
    if cells > MAX_CELLS {
        return Err(IngestError::TooLarge(format!(
            "{} 行 × {} 列",
            r0 as usize + h,
            c0 as usize + w
        )));
    }
    let mut rows: Vec<Vec<Cell>> = Vec::with_capacity(r0 as usize + h);
    rows.resize_with(r0 as usize, Vec::new);
    for i in 0..h {
        let src = &mut range[i];
        let used = src
            .iter()
            .rposition(|d| !matches!(d, Data::Empty))
            .map_or(0, |p| p + 1);
        let mut out = Vec::with_capacity(c0 as usize + used);
        out.resize(c0 as usize, Cell::Empty);
        out.extend(src[..used].iter_mut().map(|d| to_cell(std::mem::take(d))));
        rows.push(out);
    }
    while rows.last().is_some_and(|r| r.is_empty()) {
        rows.pop();
    }
    Ok(rows)
}

fn merges(dims: Vec<calamine::Dimensions>) -> Vec<Merge> {
    dims.into_iter()
        .map(|d| Merge {
            first_row: d.start.0,
            first_col: d.start.1,
            last_row: d.end.0,
            last_col: d.end.1,
        })
        .collect()
}

/// Worksheets (not chart sheets) of a workbook with their visibility, in order.
fn worksheets<RS: std::io::Read + std::io::Seek, R: Reader<RS>>(wb: &R) -> Vec<(String, bool)> {
    wb.sheets_metadata()
        .iter()
        .filter(|s| s.typ == calamine::SheetType::WorkSheet)
        .map(|s| (s.name.clone(), s.visible == calamine::SheetVisible::Visible))
        .collect()
}

/// The `taizhang.` custom document properties of a workbook (a fill-in
/// template's identity, see `crate::template`); empty when it has none or
/// they do not read — the file is then read like any other.
fn template_properties<E>(
    props: Result<calamine::WorkbookProperties, E>,
) -> std::collections::BTreeMap<String, String> {
    props
        .map(|p| {
            p.custom_properties
                .into_iter()
                .filter(|(k, _)| k.starts_with(crate::model::PROPERTY_PREFIX))
                .collect()
        })
        .unwrap_or_default()
}

fn read_xlsx(bytes: &[u8], limits: Limits) -> Result<RawWorkbook, IngestError> {
    let mut wb: calamine::Xlsx<_> = calamine::Xlsx::new(Cursor::new(bytes)).map_err(corrupt)?;
    let is_1904 = wb.has_1904_epoch();
    let meta = worksheets(&wb);
    if meta.len() > MAX_SHEETS {
        return Err(too_many_sheets(meta.len()));
    }
    let mut parts = XlsxParts::open(bytes);
    if let Some(p) = &parts {
        // Several sheets on one part would each parse it again.
        let mut paths: Vec<&str> = p.paths.iter().map(|(_, path)| path.as_str()).collect();
        paths.sort_unstable();
        if paths.windows(2).any(|w| w[0].eq_ignore_ascii_case(w[1])) {
            return Err(IngestError::Corrupt("多个工作表指向同一份数据".to_string()));
        }
    }
    let mut spent = Spent::new(limits);
    let mut shared = SharedTexts::default();
    let styles = parts.as_mut().map(XlsxParts::styles).unwrap_or_default();
    let mut room = formats::MAX_RUNS;
    let mut sheets = Vec::new();
    for (name, visible) in meta {
        let mut rows = xlsx_rows(&mut wb, &name, &mut spent, &mut shared)?;
        // Merges, hidden rows, formulas without a saved result and number
        // formats from plain scans of the sheet XML: calamine has no hidden-row
        // API, reads such a formula as an empty cell, its merge API parses the
        // whole sheet again, and it only tells whether a format is a date.
        let xml = parts.as_mut().and_then(|p| p.sheet_xml(&name));
        let extras = xml.as_deref().map(scan_sheet_xml).unwrap_or_default();
        let formats = xml.as_deref().map_or_else(Default::default, |xml| {
            formats::sheet_formats(xml, &styles, &mut room)
        });
        for &(r, c) in &extras.uncached_formulas {
            let empty = rows
                .get(r as usize)
                .and_then(|row| row.get(c as usize))
                .is_none_or(|cell| *cell == Cell::Empty);
            if empty {
                let cell = Cell::Error(UNCACHED_FORMULA.into());
                place(&mut rows, (r, c), cell, &mut spent)?;
            }
        }
        if extras.merges.len() > MAX_MERGES {
            return Err(IngestError::TooLarge(format!(
                "工作表“{name}”有 {} 个合并单元格区域",
                extras.merges.len()
            )));
        }
        sheets.push(RawSheet {
            name,
            visible,
            rows,
            merges: extras.merges,
            hidden_rows: extras.hidden_rows,
            formats,
        });
    }
    Ok(RawWorkbook {
        sheets,
        is_1904,
        properties: template_properties(wb.workbook_properties()),
    })
}

/// The cells of one worksheet, streamed from calamine's cell reader straight
/// into rows by absolute position (calamine's `worksheet_range` would first
/// allocate the bounding box of all positions, however sparse, and copy each
/// shared string once per cell). Every slot and every byte of text is
/// counted against the file's [`Limits`] as it is made.
fn xlsx_rows<RS: std::io::Read + std::io::Seek>(
    wb: &mut calamine::Xlsx<RS>,
    name: &str,
    spent: &mut Spent,
    shared: &mut SharedTexts,
) -> Result<Vec<Vec<Cell>>, IngestError> {
    let mut cells = match wb.worksheet_cells_reader(name) {
        Ok(r) => r,
        Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(Vec::new()),
        Err(e) => return Err(corrupt(e)),
    };
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    while let Some(c) = cells.next_cell().map_err(corrupt)? {
        let cell = match c.get_value() {
            DataRef::Empty => continue,
            DataRef::Int(i) => Cell::Number(*i as f64),
            DataRef::Float(f) => Cell::Number(*f),
            DataRef::Bool(b) => Cell::Bool(*b),
            DataRef::DateTime(dt) => Cell::Date(dt.as_f64()),
            DataRef::Error(e) => Cell::Error(e.to_string().into()),
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
                spent.text(s.len() as u64)?;
                Cell::Text(s.as_str().into())
            }
            DataRef::SharedString(s) => {
                spent.text(s.len() as u64)?;
                Cell::Text(shared.get(s))
            }
        };
        place(&mut rows, c.get_position(), cell, spent)?;
    }
    // Rows grow cell by cell (capacity doubling); kept until the feedback
    // workbook is written, they are trimmed to their cells.
    for row in &mut rows {
        row.shrink_to_fit();
    }
    rows.shrink_to_fit();
    Ok(rows)
}

/// One `Arc<str>` per shared string of a workbook: calamine lends a cell its
/// shared string by reference, and the cells repeating one (a ledger's
/// 责任单位, 县区, 状态 … in every row) share one copy. Keyed by the string's
/// address and length in calamine's table, which lives, unchanged, for the
/// whole read.
#[derive(Default)]
struct SharedTexts(HashMap<(usize, usize), Arc<str>, BuildHasherDefault<AddrHasher>>);

impl SharedTexts {
    fn get(&mut self, s: &str) -> Arc<str> {
        self.0
            .entry((s.as_ptr() as usize, s.len()))
            .or_insert_with(|| s.into())
            .clone()
    }
}

/// A multiplicative hasher for [`SharedTexts`]' address keys.
#[derive(Default)]
struct AddrHasher(u64);

impl std::hash::Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Puts a cell at its absolute position, growing the rows as needed; every
/// new slot (a cell, or an empty row) is counted.
fn place(
    rows: &mut Vec<Vec<Cell>>,
    (r, c): (u32, u32),
    cell: Cell,
    spent: &mut Spent,
) -> Result<(), IngestError> {
    if r >= MAX_SHEET_ROWS || c >= MAX_SHEET_COLS {
        return Err(IngestError::Corrupt(format!(
            "单元格位置（第 {} 行第 {} 列）超出电子表格的行列上限",
            u64::from(r) + 1,
            u64::from(c) + 1
        )));
    }
    let (r, c) = (r as usize, c as usize);
    if rows.len() <= r {
        spent.cells((r + 1 - rows.len()) as u64)?;
        rows.resize_with(r + 1, Vec::new);
    }
    let row = &mut rows[r];
    if row.len() <= c {
        spent.cells((c + 1 - row.len()) as u64)?;
        row.resize(c + 1, Cell::Empty);
    }
    row[c] = cell;
    Ok(())
}

/// The zip of an xlsx with its sheet name → part path map and its styles
/// part, opened once per workbook.
struct XlsxParts<'a> {
    zip: zip::ZipArchive<Cursor<&'a [u8]>>,
    paths: Vec<(String, String)>,
    styles: String,
}

impl<'a> XlsxParts<'a> {
    fn open(bytes: &'a [u8]) -> Option<XlsxParts<'a>> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
        let wb = read_part(&mut zip, "xl/workbook.xml")?;
        let rels = read_part(&mut zip, "xl/_rels/workbook.xml.rels")?;
        let part = |target: &str| match target.strip_prefix('/') {
            Some(t) => t.to_string(),
            None => format!("xl/{target}"),
        };
        let styles = elements(&rels, "Relationship")
            .find(|r| attr(r, "Type").is_some_and(|t| t.ends_with("/styles")))
            .and_then(|r| attr(r, "Target"))
            .map_or_else(|| "xl/styles.xml".to_string(), |t| part(&t));
        let mut paths = Vec::new();
        for el in elements(&wb, "sheet") {
            let (Some(name), Some(rid)) = (attr(el, "name"), attr(el, "r:id")) else {
                continue;
            };
            let Some(target) = elements(&rels, "Relationship")
                .find(|r| attr(r, "Id").as_deref() == Some(rid.as_str()))
                .and_then(|r| attr(r, "Target"))
            else {
                continue;
            };
            paths.push((xml_unescape(&name), part(&target)));
        }
        Some(XlsxParts { zip, paths, styles })
    }

    /// The format codes of the workbook's cell styles (none when its styles
    /// part is missing or unreadable).
    fn styles(&mut self) -> formats::StyleCodes {
        read_part(&mut self.zip, &self.styles)
            .map(|xml| formats::StyleCodes::parse(&xml))
            .unwrap_or_default()
    }

    fn sheet_xml(&mut self, sheet: &str) -> Option<Vec<u8>> {
        let path = self.paths.iter().find(|(n, _)| n == sheet)?.1.clone();
        read_part(&mut self.zip, &path)
    }
}

fn read_part(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Option<Vec<u8>> {
    use std::io::Read;
    const LIMIT: u64 = 512 * 1024 * 1024;
    let f = zip.by_name(name).ok()?;
    // Sized once from the declared size (no doubling and copying as it grows),
    // but never beyond what the compressed bytes can inflate to (deflate
    // stays under 1032:1) nor past a sane size (zip bombs): the part is
    // skipped instead. Kept as bytes: the scans below look for ASCII markup only.
    let most = f
        .compressed_size()
        .saturating_mul(1032)
        .saturating_add(4096);
    let mut s = Vec::with_capacity(f.size().min(most).min(LIMIT) as usize);
    f.take(LIMIT).read_to_end(&mut s).ok()?;
    Some(s)
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The start tags `<tag …>` (also `<x:tag …>`) of an XML text, without the `<tag` and `>`.
fn elements<'x>(xml: &'x [u8], tag: &str) -> impl Iterator<Item = &'x [u8]> + 'x {
    let finder = memmem::Finder::new(tag.as_bytes()).into_owned();
    let mut from = 0;
    std::iter::from_fn(move || loop {
        let i = from + finder.find(&xml[from..])?;
        from = i + finder.needle().len();
        let before = i.checked_sub(1).map(|b| xml[b]);
        let after = xml.get(from).copied();
        if !matches!(before, Some(b'<' | b':')) || !after.is_some_and(|a| a.is_ascii_whitespace()) {
            continue;
        }
        let end = memchr::memchr(b'>', &xml[from..]).map_or(xml.len(), |e| from + e);
        return Some(&xml[from..end]);
    })
}

/// What the sheet XML tells beyond the cells.
#[derive(Debug, Default, PartialEq)]
struct SheetExtras {
    merges: Vec<Merge>,
    hidden_rows: Vec<u32>,
    /// Cells holding a formula with no cached value (0-based row, col).
    uncached_formulas: Vec<(u32, u32)>,
}

/// What a formula cell with no saved result is read as (reported as E212).
pub const UNCACHED_FORMULA: &str = "公式无计算结果";

fn scan_sheet_xml(xml: &[u8]) -> SheetExtras {
    let mut out = SheetExtras::default();
    let hidden = memmem::Finder::new("hidden=");
    for el in elements(xml, "row") {
        if hidden.find(el).is_some()
            && matches!(attr(el, "hidden").as_deref(), Some("1") | Some("true"))
        {
            if let Some(r) = attr(el, "r").and_then(|r| r.parse::<u32>().ok()) {
                out.hidden_rows.push(r.saturating_sub(1));
            }
        }
    }
    // Formula cells: `<c r="D12"><f>SUM(D5:D11)</f></c>` with no `<v>`.
    let (open_c, close_c, value) = (
        memmem::FinderRev::new("<c "),
        memmem::Finder::new("</c>"),
        memmem::Finder::new("<v"),
    );
    for at in memmem::find_iter(xml, "<f") {
        if !matches!(xml.get(at + 2), Some(b'>' | b' ' | b'/')) {
            continue;
        }
        let (Some(open), Some(close)) = (open_c.rfind(&xml[..at]), close_c.find(&xml[at..])) else {
            continue;
        };
        if value.find(&xml[at..at + close]).is_some() {
            continue;
        }
        let el = &xml[open + 3..at];
        if let Some((r, c)) = attr(el, "r").and_then(|a| crate::text::parse_a1(&a)) {
            out.uncached_formulas.push((r, c));
        }
    }
    if let Some(at) = memmem::find(xml, b"mergeCells") {
        for el in elements(&xml[at..], "mergeCell") {
            let Some(r) = attr(el, "ref") else { continue };
            let (a, b) = r.split_once(':').unwrap_or((r.as_str(), r.as_str()));
            if let (Some((r0, c0)), Some((r1, c1))) =
                (crate::text::parse_a1(a), crate::text::parse_a1(b))
            {
                out.merges.push(Merge {
                    first_row: r0.min(r1),
                    first_col: c0.min(c1),
                    last_row: r0.max(r1),
                    last_col: c0.max(c1),
                });
            }
        }
    }
    out
}

/// The value of `key="…"` in a start tag's attributes.
fn attr(el: &[u8], key: &str) -> Option<String> {
    let pat = format!("{key}=\"");
    for at in memmem::find_iter(el, pat.as_bytes()) {
        if at == 0 || el[at - 1].is_ascii_whitespace() {
            let start = at + pat.len();
            let len = memchr::memchr(b'"', &el[start..])?;
            return Some(String::from_utf8_lossy(&el[start..start + len]).into_owned());
        }
    }
    None
}

fn read_xls(bytes: &[u8]) -> Result<RawWorkbook, IngestError> {
    let first = read_xls_with(bytes, None);
    // BIFF5 files written by Chinese Excel often lack a code page record: retry as GBK.
    match first {
        Ok(wb) if !looks_mojibake(&wb) => Ok(wb),
        Ok(wb) => Ok(read_xls_with(bytes, Some(936)).unwrap_or(wb)),
        Err(IngestError::Corrupt(_)) => read_xls_with(bytes, Some(936)),
        Err(e) => Err(e),
    }
}

fn looks_mojibake(wb: &RawWorkbook) -> bool {
    let mut latin_ext = 0usize;
    let mut cjk = 0usize;
    for s in &wb.sheets {
        for row in s.rows.iter().take(40) {
            for c in row {
                if let Cell::Text(t) = c {
                    for ch in t.chars() {
                        match ch as u32 {
                            0x00C0..=0x024F => latin_ext += 1,
                            0x4E00..=0x9FFF => cjk += 1,
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    latin_ext > 10 && cjk == 0
}

fn read_xls_with(bytes: &[u8], codepage: Option<u16>) -> Result<RawWorkbook, IngestError> {
    let mut opts = calamine::XlsOptions::default();
    opts.force_codepage = codepage;
    let mut wb = calamine::Xls::new_with_options(Cursor::new(bytes), opts).map_err(corrupt)?;
    wb.with_header_row(calamine::HeaderRow::Row(0));
    let is_1904 = wb.has_1904_epoch();
    let meta = worksheets(&wb);
    let mut sheets = Vec::new();
    for (name, visible) in meta {
        let range = wb.worksheet_range(&name).map_err(corrupt)?;
        let rows = range_to_rows(range)?;
        let m = wb
            .merge_cells_by_sheet_name(&name)
            .map(merges)
            .unwrap_or_default();
        if m.len() > MAX_MERGES {
            return Err(IngestError::TooLarge(format!(
                "工作表“{name}”有 {} 个合并单元格区域",
                m.len()
            )));
        }
        sheets.push(RawSheet {
            name,
            visible,
            rows,
            merges: m,
            hidden_rows: Vec::new(),
            formats: CellFormats::default(),
        });
    }
    Ok(RawWorkbook {
        sheets,
        is_1904,
        properties: template_properties(wb.workbook_properties()),
    })
}

fn read_ods(bytes: &[u8]) -> Result<RawWorkbook, IngestError> {
    let mut wb: calamine::Ods<_> = calamine::Ods::new(Cursor::new(bytes)).map_err(corrupt)?;
    wb.with_header_row(calamine::HeaderRow::Row(0));
    let meta: Vec<(String, bool)> = wb
        .sheets_metadata()
        .iter()
        .map(|s| (s.name.clone(), s.visible == calamine::SheetVisible::Visible))
        .collect();
    let mut sheets = Vec::new();
    for (name, visible) in meta {
        let range = wb.worksheet_range(&name).map_err(corrupt)?;
        let rows = range_to_rows(range)?;
        sheets.push(RawSheet {
            name,
            visible,
            rows,
            merges: Vec::new(),
            hidden_rows: Vec::new(),
            formats: CellFormats::default(),
        });
    }
    Ok(RawWorkbook {
        sheets,
        is_1904: false,
        properties: template_properties(wb.workbook_properties()),
    })
}

/// Decodes text bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030.
pub fn decode_text(bytes: &[u8]) -> String {
    decode_text_cow(bytes).into_owned()
}

/// [`decode_text`] without a copy when the bytes already are UTF-8.
fn decode_text_cow(bytes: &[u8]) -> Cow<'_, str> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest);
    }
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return Cow::Owned(encoding_rs::UTF_16LE.decode(bytes).0.into_owned());
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Cow::Owned(encoding_rs::UTF_16BE.decode(bytes).0.into_owned());
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(encoding_rs::GB18030.decode(bytes).0.into_owned()),
    }
}

/// A cell of text input: numbers stay text (the normaliser parses them like typed text).
fn text_cell(s: &str) -> Cell {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s.into())
    }
}

fn read_csv(bytes: &[u8]) -> Result<RawWorkbook, IngestError> {
    let text = decode_text_cow(bytes);
    // The delimiter is judged over the first lines, not the first alone: a
    // title line above the table often has no delimiter at all.
    let (tabs, commas) = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(30)
        .fold((0, 0), |(t, c), l| {
            (t + l.matches('\t').count(), c + l.matches(',').count())
        });
    let delim = if tabs > commas { b'\t' } else { b',' };
    // First pass: count, so that an oversized table is refused before any
    // cell is allocated. Both passes are linear in the text.
    let (mut rows, mut cells, mut widest, mut width) = (0u64, 0u64, 0u64, 0u64);
    for_each_field(&text, delim, |_, end| {
        cells += 1;
        width += 1;
        if end {
            rows += 1;
            widest = widest.max(width);
            width = 0;
        }
    });
    if rows > u64::from(MAX_SHEET_ROWS) || widest > u64::from(MAX_SHEET_COLS) {
        return Err(IngestError::TooLarge(format!(
            "{rows} 行、最多 {widest} 列，超出电子表格的行列上限"
        )));
    }
    if cells > MAX_CELLS {
        return Err(IngestError::TooLarge(format!(
            "{rows} 行、{cells} 个单元格"
        )));
    }
    let mut out: Vec<Vec<Cell>> = Vec::with_capacity(rows as usize);
    let mut row: Vec<Cell> = Vec::new();
    for_each_field(&text, delim, |field, end| {
        row.push(text_cell(field));
        if end {
            out.push(std::mem::take(&mut row));
        }
    });
    Ok(RawWorkbook {
        sheets: vec![RawSheet {
            name: "CSV".to_string(),
            visible: true,
            rows: out,
            merges: Vec::new(),
            hidden_rows: Vec::new(),
            formats: CellFormats::default(),
        }],
        is_1904: false,
        properties: Default::default(),
    })
}

/// RFC 4180 style parsing: quoted fields with doubled quotes, CRLF or LF.
pub fn parse_delimited(text: &str, delim: char) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut push = |field: &str, end: bool| {
        row.push(field.to_string());
        if end {
            rows.push(std::mem::take(&mut row));
        }
    };
    if delim.is_ascii() {
        for_each_field(text, delim as u8, &mut push);
    } else {
        for_each_field_chars(text, delim, &mut push);
    }
    rows
}

/// [`for_each_field`] for a delimiter that is not ASCII, one character at a time.
fn for_each_field_chars(text: &str, delim: char, mut f: impl FnMut(&str, bool)) {
    let mut field = String::new();
    let mut row_open = false;
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' && chars.peek() == Some(&'"') {
                field.push('"');
                chars.next();
            } else if c == '"' {
                in_quotes = false;
            } else {
                field.push(c);
            }
        } else if c == '"' && field.is_empty() {
            in_quotes = true;
        } else if c == delim {
            f(&field, false);
            field.clear();
            row_open = true;
        } else if c == '\n' || c == '\r' {
            if c == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
            }
            f(&field, true);
            field.clear();
            row_open = false;
        } else {
            field.push(c);
        }
    }
    if !field.is_empty() || row_open {
        f(&field, true);
    }
}

/// Calls `f(field, ends_row)` for each field of delimited text, in one pass
/// over the bytes (`delim` is ASCII, so splitting on it and on quotes and
/// line breaks never cuts a UTF-8 character). A field is opened as quoted by
/// a `"` while it is still empty; inside quotes `""` is a quote; `\r\n`,
/// `\n` and `\r` end a row; a last line without a line break still counts.
fn for_each_field(text: &str, delim: u8, mut f: impl FnMut(&str, bool)) {
    let b = text.as_bytes();
    let mut field: Vec<u8> = Vec::new();
    let mut row_open = false;
    let mut in_quotes = false;
    let mut i = 0;
    let emit = |field: &mut Vec<u8>, end: bool, f: &mut dyn FnMut(&str, bool)| {
        f(std::str::from_utf8(field).unwrap_or_default(), end);
        field.clear();
    };
    while i < b.len() {
        let c = b[i];
        if in_quotes {
            // Copy everything up to the next quote at once.
            match memchr::memchr(b'"', &b[i..]) {
                None => {
                    field.extend_from_slice(&b[i..]);
                    i = b.len();
                }
                Some(q) => {
                    field.extend_from_slice(&b[i..i + q]);
                    i += q + 1;
                    if b.get(i) == Some(&b'"') {
                        field.push(b'"');
                        i += 1;
                    } else {
                        in_quotes = false;
                    }
                }
            }
            continue;
        }
        if c == b'"' && field.is_empty() {
            in_quotes = true;
            i += 1;
        } else if c == delim {
            emit(&mut field, false, &mut f);
            row_open = true;
            i += 1;
        } else if c == b'\n' || c == b'\r' {
            i += if c == b'\r' && b.get(i + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
            emit(&mut field, true, &mut f);
            row_open = false;
        } else {
            // Plain bytes up to the next special one.
            let end = b[i..]
                .iter()
                .position(|&x| x == delim || x == b'"' || x == b'\n' || x == b'\r')
                .map_or(b.len(), |p| i + p);
            let end = end.max(i + 1);
            field.extend_from_slice(&b[i..end]);
            i = end;
        }
    }
    if !field.is_empty() || row_open {
        emit(&mut field, true, &mut f);
    }
}

/// Places cells with row/col spans into a grid, recording merges.
struct GridBuilder {
    rows: Vec<Vec<Cell>>,
    occupied: std::collections::HashSet<(u32, u32)>,
    merges: Vec<Merge>,
    cells: u64,
}

impl GridBuilder {
    fn new() -> Self {
        GridBuilder {
            rows: Vec::new(),
            occupied: Default::default(),
            merges: Vec::new(),
            cells: 0,
        }
    }

    /// Puts a cell at the first free column from `col` in `row`; returns the next column.
    fn place(
        &mut self,
        row: u32,
        mut col: u32,
        cell: Cell,
        rowspan: u32,
        colspan: u32,
    ) -> Result<u32, IngestError> {
        while self.occupied.contains(&(row, col)) {
            col += 1;
        }
        let (rs, cs) = (rowspan.clamp(1, 1000), colspan.clamp(1, 1000));
        self.cells += (rs * cs) as u64;
        if self.cells > MAX_CELLS / 4 || row > 1_000_000 || col > 16_384 {
            return Err(IngestError::TooLarge("表格跨行跨列过多".to_string()));
        }
        for r in row..row + rs {
            for c in col..col + cs {
                self.occupied.insert((r, c));
            }
        }
        if rs > 1 || cs > 1 {
            self.merges.push(Merge {
                first_row: row,
                first_col: col,
                last_row: row + rs - 1,
                last_col: col + cs - 1,
            });
        }
        let r = row as usize;
        if self.rows.len() <= r {
            self.rows.resize(r + 1, Vec::new());
        }
        let line = &mut self.rows[r];
        if line.len() <= col as usize {
            line.resize(col as usize + 1, Cell::Empty);
        }
        line[col as usize] = cell;
        Ok(col + cs)
    }
}

/// Largest HTML table read: its document tree costs about 25 times the
/// file, and web exports of a ledger are a few MB.
pub const MAX_HTML_BYTES: usize = 64 << 20;

fn read_html(bytes: &[u8]) -> Result<RawWorkbook, IngestError> {
    if bytes.len() > MAX_HTML_BYTES {
        return Err(IngestError::TooLarge(format!(
            "网页格式的表格有 {} MB，超过 {} MB；请在 Excel 中另存为 .xlsx 后重新报送",
            bytes.len() >> 20,
            MAX_HTML_BYTES >> 20
        )));
    }
    let text = decode_html(bytes);
    let doc = scraper::Html::parse_document(&text);
    let (Ok(table_sel), Ok(tr_sel), Ok(cell_sel)) = (
        scraper::Selector::parse("table"),
        scraper::Selector::parse("tr"),
        scraper::Selector::parse("td, th"),
    ) else {
        return Err(IngestError::NotSpreadsheet);
    };
    let mut sheets = Vec::new();
    for (i, table) in doc.select(&table_sel).enumerate() {
        let mut grid = GridBuilder::new();
        for (r, tr) in table.select(&tr_sel).enumerate() {
            let mut col = 0u32;
            for td in tr.select(&cell_sel) {
                let txt: String = td.text().collect::<Vec<_>>().join("");
                let txt = txt.replace('\u{a0}', " ");
                let span = |k: &str| {
                    td.value()
                        .attr(k)
                        .and_then(|v| v.trim().parse::<u32>().ok())
                        .unwrap_or(1)
                };
                col = grid.place(
                    r as u32,
                    col,
                    text_cell(txt.trim()),
                    span("rowspan"),
                    span("colspan"),
                )?;
            }
        }
        if grid.rows.is_empty() {
            continue;
        }
        sheets.push(RawSheet {
            name: format!("表{}", i + 1),
            visible: true,
            rows: grid.rows,
            merges: grid.merges,
            hidden_rows: Vec::new(),
            formats: CellFormats::default(),
        });
    }
    if sheets.is_empty() {
        return Err(IngestError::NotSpreadsheet);
    }
    Ok(RawWorkbook {
        sheets,
        is_1904: false,
        properties: Default::default(),
    })
}

/// HTML exports from Chinese systems are often GBK with a `<meta charset>`.
fn decode_html(bytes: &[u8]) -> String {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_lowercase();
    if (head.contains("charset=gb") || head.contains("charset=\"gb"))
        && std::str::from_utf8(bytes).is_err()
    {
        return encoding_rs::GB18030.decode(bytes).0.to_string();
    }
    decode_text(bytes)
}

fn read_spreadsheetml(bytes: &[u8]) -> Result<RawWorkbook, IngestError> {
    use quick_xml::events::Event;
    let text = decode_text(bytes);
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut sheets = Vec::new();
    let mut grid: Option<(String, bool, GridBuilder)> = None;
    let mut row: i64 = -1;
    let mut col: u32 = 0;
    let mut cell_span: (u32, u32) = (1, 1);
    let mut cell_type = String::new();
    let mut in_data = false;
    let mut data = String::new();
    let local = |n: &str| -> String { n.rsplit(':').next().unwrap_or("").to_string() };
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| IngestError::Corrupt(format!("XML 结构错误：{e}")))?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let self_closing = matches!(ev, Event::Empty(_));
                let name = local(e.name().as_ref());
                let attrs: Vec<(String, String)> = e
                    .attributes()
                    .filter_map(|a| a.ok())
                    .map(|a| (local(a.key.as_ref()), a.value.to_string()))
                    .collect();
                let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                match name.as_str() {
                    "Worksheet" => {
                        let visible = true;
                        grid = Some((
                            get("Name").unwrap_or_else(|| format!("Sheet{}", sheets.len() + 1)),
                            visible,
                            GridBuilder::new(),
                        ));
                        row = -1;
                    }
                    "Row" => {
                        row = match get("Index").and_then(|v| v.parse::<i64>().ok()) {
                            Some(i) => i - 1,
                            None => row + 1,
                        };
                        col = 0;
                    }
                    "Cell" => {
                        if let Some(i) = get("Index").and_then(|v| v.parse::<u32>().ok()) {
                            col = i.saturating_sub(1);
                        }
                        let across = get("MergeAcross")
                            .and_then(|v| v.parse::<u32>().ok())
                            .unwrap_or(0);
                        let down = get("MergeDown")
                            .and_then(|v| v.parse::<u32>().ok())
                            .unwrap_or(0);
                        cell_span = (down + 1, across + 1);
                        data.clear();
                        cell_type.clear();
                        if let Some((_, _, g)) = grid.as_mut() {
                            // Reserve the position now; the value is set at </Cell>.
                            col = g.place(
                                row.max(0) as u32,
                                col,
                                Cell::Empty,
                                cell_span.0,
                                cell_span.1,
                            )? - cell_span.1;
                        }
                        if self_closing {
                            col += cell_span.1;
                        }
                    }
                    "Data" => {
                        in_data = true;
                        cell_type = get("Type").unwrap_or_default();
                    }
                    _ => {}
                }
            }
            Event::Text(t) if in_data => {
                data.push_str(&t.xml10_content());
            }
            Event::GeneralRef(r) if in_data => {
                let name = AsRef::<str>::as_ref(&r).to_string();
                data.push_str(match name.as_str() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "",
                });
                if let Some(num) = name.strip_prefix('#') {
                    let code = if let Some(h) = num.strip_prefix('x') {
                        u32::from_str_radix(h, 16).ok()
                    } else {
                        num.parse().ok()
                    };
                    if let Some(ch) = code.and_then(char::from_u32) {
                        data.push(ch);
                    }
                }
            }
            Event::End(e) => {
                let name = local(e.name().as_ref());
                match name.as_str() {
                    "Data" => in_data = false,
                    "Cell" => {
                        if let Some((_, _, g)) = grid.as_mut() {
                            let cell = match cell_type.as_str() {
                                "Number" => data
                                    .trim()
                                    .parse::<f64>()
                                    .map(Cell::Number)
                                    .unwrap_or_else(|_| text_cell(&data)),
                                "Boolean" => Cell::Bool(data.trim() == "1"),
                                "Error" => Cell::Error(data.as_str().into()),
                                _ => text_cell(&data),
                            };
                            let r = row.max(0) as usize;
                            if g.rows.len() <= r {
                                g.rows.resize(r + 1, Vec::new());
                            }
                            let line = &mut g.rows[r];
                            if line.len() <= col as usize {
                                line.resize(col as usize + 1, Cell::Empty);
                            }
                            line[col as usize] = cell;
                        }
                        col += cell_span.1;
                    }
                    "Worksheet" => {
                        if let Some((name, visible, g)) = grid.take() {
                            sheets.push(RawSheet {
                                name,
                                visible,
                                rows: g.rows,
                                merges: g.merges,
                                hidden_rows: Vec::new(),
                                formats: CellFormats::default(),
                            });
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if sheets.is_empty() {
        return Err(IngestError::NotSpreadsheet);
    }
    Ok(RawWorkbook {
        sheets,
        is_1904: false,
        properties: Default::default(),
    })
}

/// The baseline of the ingest benchmark: opens a workbook with calamine and
/// visits every cell of every sheet, doing nothing else. Returns the number of
/// non-empty cells.
pub fn bare_cell_count(bytes: &[u8]) -> usize {
    let Ok(mut wb) = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)) else {
        return 0;
    };
    let names = wb.sheet_names();
    let mut n = 0;
    for name in names {
        if let Ok(range) = wb.worksheet_range(&name) {
            n += range
                .used_cells()
                .filter(|(_, _, c)| !matches!(c, Data::Empty))
                .count();
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Random bytes behind each format's magic never panic or hang a reader.
        #[test]
        fn readers_survive_random_bytes(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048), which in 0usize..6) {
            let (format, magic): (FileFormat, &[u8]) = match which {
                0 => (FileFormat::Xlsx, b"PK\x03\x04"),
                1 => (FileFormat::Xls, &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]),
                2 => (FileFormat::Ods, b"PK\x03\x04"),
                3 => (FileFormat::Csv, b""),
                4 => (FileFormat::Html, b"<html><table><tr><td>"),
                _ => (FileFormat::SpreadsheetMl, b"<?xml version=\"1.0\"?><Workbook>"),
            };
            let mut bytes = magic.to_vec();
            bytes.extend(body);
            let _ = read(format, &bytes);
        }
    }

    #[test]
    fn bounded_read_returns_the_result_or_times_out() {
        let wb = read_bounded(
            FileFormat::Csv,
            "项目名称,总投资\n甲,1\n".as_bytes().to_vec(),
            std::time::Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(wb.sheets[0].rows.len(), 2);
        let err = read_bounded(
            FileFormat::Csv,
            vec![b'a'; 10],
            std::time::Duration::from_nanos(1),
        );
        assert!(matches!(err, Err(IngestError::Timeout(_)) | Ok(_)));
    }

    #[test]
    fn zip_bombs_are_refused_before_inflating() {
        use std::io::Write;
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .large_file(true);
            z.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
            let chunk = vec![b' '; 1 << 20];
            for _ in 0..200 {
                z.write_all(&chunk).unwrap();
            }
            z.finish().unwrap();
        }
        let err = check_zip_sizes(buf.get_ref()).unwrap_err();
        assert!(matches!(err, IngestError::TooLarge(_)), "{err}");
    }

    /// The character-by-character parser this module had before, kept as
    /// the reference the one-pass byte parser must agree with.
    fn parse_delimited_reference(text: &str, delim: char) -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        let mut row = Vec::new();
        let mut field = String::new();
        let mut in_quotes = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if in_quotes {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        field.push('"');
                        chars.next();
                    } else {
                        in_quotes = false;
                    }
                } else {
                    field.push(c);
                }
            } else if c == '"' && field.is_empty() {
                in_quotes = true;
            } else if c == delim {
                row.push(std::mem::take(&mut field));
            } else if c == '\n' || c == '\r' {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            } else {
                field.push(c);
            }
        }
        if !field.is_empty() || !row.is_empty() {
            row.push(field);
            rows.push(row);
        }
        rows
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// The byte parser splits exactly as the old character parser did.
        #[test]
        fn csv_parser_agrees_with_the_reference(
            parts in proptest::collection::vec(proptest::sample::select(vec!["a", "项目", ",", "\t", "\"", "\"\"", "\n", "\r", "\r\n", " ", "；"]), 0..40),
            tab in proptest::bool::ANY,
        ) {
            let text: String = parts.concat();
            let delim = if tab { '\t' } else { ',' };
            proptest::prop_assert_eq!(parse_delimited(&text, delim), parse_delimited_reference(&text, delim));
            proptest::prop_assert_eq!(parse_delimited(&text, '；'), parse_delimited_reference(&text, '；'));
        }
    }

    #[test]
    fn csv_over_the_sheet_limits_is_refused_before_building_cells() {
        let text = "1\n".repeat(MAX_SHEET_ROWS as usize + 1);
        let err = read_csv(text.as_bytes()).unwrap_err();
        assert!(matches!(err, IngestError::TooLarge(_)), "{err}");
        let wide = ",".repeat(MAX_SHEET_COLS as usize);
        assert!(matches!(
            read_csv(wide.as_bytes()),
            Err(IngestError::TooLarge(_))
        ));
        let fits = ",".repeat(MAX_SHEET_COLS as usize - 1);
        assert_eq!(
            read_csv(fits.as_bytes()).unwrap().sheets[0].rows[0].len(),
            16_384
        );
    }

    #[test]
    fn limits_follow_the_real_size() {
        assert_eq!(Limits::for_size(10_000).cells, 4_000_000);
        assert_eq!(Limits::for_size(1 << 20).cells, 8 << 20);
        assert_eq!(Limits::for_size(1 << 30).cells, MAX_CELLS);
        assert_eq!(Limits::for_size(10_000).text, 64 << 20);
        assert_eq!(Limits::for_size(1 << 30).text, 1 << 30);
    }

    #[test]
    fn unique_count_larger_than_the_part_is_renamed() {
        let sst = |n: &str| {
            format!("<?xml version=\"1.0\"?><!-- c --><x:sst xmlns:x=\"m\" count=\"2\" uniqueCount=\"{n}\"><x:si><x:t>a</x:t></x:si></x:sst>")
        };
        assert_eq!(without_bogus_unique_count(sst("1").as_bytes()), None);
        for bad in ["4294967295", "18446744073709551615", "+1", "1e9", ""] {
            let fixed = without_bogus_unique_count(sst(bad).as_bytes()).unwrap();
            let fixed = String::from_utf8(fixed).unwrap();
            assert!(
                fixed.contains("uniqueCounx=") && !fixed.contains("uniqueCount="),
                "{fixed}"
            );
            assert_eq!(fixed.len(), sst(bad).len());
        }
        assert_eq!(
            without_bogus_unique_count(b"<other uniqueCount=\"9\"/>"),
            None
        );
    }

    /// A compound file of 512-byte sectors: header, FAT in sector 0,
    /// directory in sector 1 (root + `Workbook`), `extra` zero sectors.
    fn cfb_bytes(fat: &[u32], stream: (u32, u32), extra: usize) -> Vec<u8> {
        let mut b = vec![0u8; 512];
        b[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
        b[0x1A..0x1C].copy_from_slice(&3u16.to_le_bytes());
        b[0x1E..0x20].copy_from_slice(&9u16.to_le_bytes());
        b[0x20..0x22].copy_from_slice(&6u16.to_le_bytes());
        b[0x30..0x34].copy_from_slice(&1u32.to_le_bytes());
        b[0x3C..0x40].copy_from_slice(&END_OF_CHAIN.to_le_bytes());
        b[0x44..0x48].copy_from_slice(&END_OF_CHAIN.to_le_bytes());
        for i in 0..109 {
            let v: u32 = if i == 0 { 0 } else { u32::MAX };
            b[0x4C + 4 * i..0x50 + 4 * i].copy_from_slice(&v.to_le_bytes());
        }
        let mut f = vec![u32::MAX; 128];
        f[..fat.len()].copy_from_slice(fat);
        b.extend(f.iter().flat_map(|x| x.to_le_bytes()));
        let mut dir = vec![0u8; 512];
        for (i, (name, start, len)) in [
            ("Root Entry", END_OF_CHAIN, 0),
            ("Workbook", stream.0, stream.1),
        ]
        .into_iter()
        .enumerate()
        {
            let e = &mut dir[i * 128..(i + 1) * 128];
            let n: Vec<u8> = name.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
            e[..n.len()].copy_from_slice(&n);
            e[116..120].copy_from_slice(&start.to_le_bytes());
            e[120..124].copy_from_slice(&len.to_le_bytes());
        }
        b.extend(dir);
        b.extend(vec![0u8; 512 * extra]);
        b
    }

    #[test]
    fn compound_file_loops_are_refused_before_calamine() {
        let fat = 0xFFFF_FFFD;
        let limits = Limits::for_size(0);
        let refused = |b: &[u8]| match prepare_xls(b, limits) {
            Err(IngestError::Corrupt(why)) => why,
            other => panic!("not refused: {:?}", other.map(|c| c.len())),
        };
        // Directory chain on itself.
        assert!(refused(&cfb_bytes(&[fat, 1], (END_OF_CHAIN, 0), 0)).contains("目录扇区链成环"));
        // Stream 2 → 3 → 2, declaring 8 KB (less than the file).
        assert!(
            refused(&cfb_bytes(&[fat, END_OF_CHAIN, 3, 2], (2, 8192), 16))
                .contains("数据流扇区链成环")
        );
        // A declared stream larger than the file.
        assert!(refused(&cfb_bytes(
            &[fat, END_OF_CHAIN, END_OF_CHAIN],
            (2, 1 << 30),
            1
        ))
        .contains("超过文件本身"));
        // The DIFAT chain on itself.
        let mut b = cfb_bytes(&[fat, END_OF_CHAIN, END_OF_CHAIN], (2, 4096), 1);
        b[0x44..0x48].copy_from_slice(&2u32.to_le_bytes());
        b[1536 + 508..1536 + 512].copy_from_slice(&2u32.to_le_bytes());
        assert!(refused(&b).contains("DIFAT"));
        // A sane chain passes through untouched (calamine reports what it thinks).
        let ok = cfb_bytes(
            &[fat, END_OF_CHAIN, 3, 4, 5, 6, 7, 8, 9, END_OF_CHAIN],
            (2, 4096),
            8,
        );
        assert!(matches!(prepare_xls(&ok, limits), Ok(Cow::Borrowed(_))));
    }

    /// BIFF records of a workbook stream: globals with one BOUNDSHEET, then
    /// the sheet's `records`.
    fn biff(records: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let rec = |out: &mut Vec<u8>, typ: u16, d: &[u8]| {
            out.extend(typ.to_le_bytes());
            out.extend((d.len() as u16).to_le_bytes());
            out.extend(d);
        };
        let mut s = Vec::new();
        rec(&mut s, 0x0809, &[0, 6, 5, 0]);
        let sheet_at = s.len() + 4 + 8 + 4;
        let mut bs = (sheet_at as u32).to_le_bytes().to_vec();
        bs.extend([0, 0, 1, 0, b'S']);
        rec(&mut s, 0x0085, &bs[..8]);
        rec(&mut s, 0x000A, &[]);
        assert_eq!(s.len(), sheet_at);
        rec(&mut s, 0x0809, &[0, 6, 0x10, 0]);
        for (t, d) in records {
            rec(&mut s, *t, d);
        }
        rec(&mut s, 0x000A, &[]);
        s
    }

    #[test]
    fn biff_counts_are_patched_and_grids_bounded() {
        let limits = Limits::for_size(0);
        let number = |r: u16, c: u16| {
            let mut d: Vec<u8> = [r, c, 0].iter().flat_map(|x| x.to_le_bytes()).collect();
            d.extend(1.0f64.to_le_bytes());
            (0x0203u16, d)
        };
        // DIMENSIONS of 4 billion rows: zeroed. A label claiming 65,535
        // characters and holding 2: cut to 2.
        let mut dims = vec![0u8; 14];
        dims[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        dims[10..12].copy_from_slice(&256u16.to_le_bytes());
        let mut label: Vec<u8> = [0u16, 1, 0, u16::MAX]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        label.extend([0, b'o', b'k']);
        let stream = biff(&[(0x0200, dims), number(0, 0), (0x0204, label)]);
        let patches = scan_biff(&stream, limits).ok().unwrap();
        assert_eq!(patches.len(), 2, "{patches:?}");
        assert!(patches.iter().any(|(_, v)| *v == vec![0u8; 14]));
        assert!(patches
            .iter()
            .any(|(_, v)| *v == 2u16.to_le_bytes().to_vec()));
        // Two cells at opposite corners of a BIFF sheet: 4 billion slots.
        let corner = biff(&[number(0, 0), number(65_535, 65_535)]);
        assert!(matches!(
            scan_biff(&corner, limits),
            Err(CfbIssue::Refuse(IngestError::TooLarge(_)))
        ));
        // A sane sheet needs nothing.
        assert!(scan_biff(&biff(&[number(3, 4)]), limits)
            .ok()
            .unwrap()
            .is_empty());
    }

    #[test]
    fn csv_quotes_and_gbk() {
        let rows = parse_delimited("a,\"b,c\",\"d\"\"e\"\r\n1,2,3\n", ',');
        assert_eq!(rows, vec![vec!["a", "b,c", "d\"e"], vec!["1", "2", "3"]]);
        let (gbk, _, _) = encoding_rs::GBK.encode("项目名称,总投资\n九江数据中心,1200\n");
        let wb = read_csv(&gbk).unwrap();
        assert_eq!(wb.sheets[0].rows[1][0], Cell::Text("九江数据中心".into()));
    }

    #[test]
    fn html_table_with_spans() {
        let html = "<html><meta charset=utf-8><table><tr><td colspan=2>标题</td></tr><tr><td rowspan=2>项目名称</td><td>总投资</td></tr><tr><td>12</td></tr></table></html>";
        let wb = read_html(html.as_bytes()).unwrap();
        let s = &wb.sheets[0];
        assert_eq!(s.cell(0, 0), &Cell::Text("标题".into()));
        assert_eq!(s.cell(1, 1), &Cell::Text("总投资".into()));
        assert_eq!(s.cell(2, 1), &Cell::Text("12".into()));
        assert_eq!(s.merges.len(), 2);
    }

    #[test]
    fn spreadsheetml_cells() {
        let xml = r#"<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="台账"><Table><Row><Cell ss:MergeAcross="1"><Data ss:Type="String">标题 &amp; 说明</Data></Cell></Row><Row><Cell><Data ss:Type="String">项目名称</Data></Cell><Cell ss:Index="3"><Data ss:Type="Number">12.5</Data></Cell></Row></Table></Worksheet></Workbook>"#;
        let wb = read_spreadsheetml(xml.as_bytes()).unwrap();
        let s = &wb.sheets[0];
        assert_eq!(s.name, "台账");
        assert_eq!(s.cell(0, 0), &Cell::Text("标题 & 说明".into()));
        assert_eq!(s.cell(1, 2), &Cell::Number(12.5));
        assert_eq!(s.merges.len(), 1);
    }

    #[test]
    fn hidden_rows_and_merges_from_sheet_xml() {
        let xml = r#"<sheetData><row r="1" spans="1:3"><c r="A1"/></row><x:row r="5" hidden="1"><c/></x:row><rowBreaks/></sheetData><mergeCells count="2"><mergeCell ref="A1:H1"/><mergeCell ref="B4:B5"/></mergeCells>"#;
        let e = scan_sheet_xml(xml.as_bytes());
        assert_eq!(e.hidden_rows, vec![4]);
        let f = scan_sheet_xml(
            r#"<row r="3"><c r="D3"><f>SUM(D1:D2)</f></c><c r="E3"><f>1+1</f><v>2</v></c><c r="F3" t="s"><v>0</v></c></row>"#
                .as_bytes(),
        );
        assert_eq!(f.uncached_formulas, vec![(2, 3)]);
        assert_eq!(e.merges.len(), 2);
        assert_eq!(
            e.merges[1],
            Merge {
                first_row: 3,
                first_col: 1,
                last_row: 4,
                last_col: 1
            }
        );
    }
}
