//! Ingest: bytes of one file → [`RawWorkbook`] (cells by absolute position,
//! merged regions, sheet visibility). The only module that imports calamine.
//! Also reads CSV (UTF-8/GBK), HTML tables and SpreadsheetML 2003, which
//! calamine does not.

use calamine::{Data, Reader};
use memchr::memmem;
use std::io::Cursor;

use crate::model::{Cell, FileFormat, Merge, RawSheet, RawWorkbook};

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

/// Reads a file's bytes according to its sniffed format. A panic inside a
/// reader (calamine on a malformed file) is caught and reported as a corrupt
/// file, so one bad file never stops the month-end run.
pub fn read(format: FileFormat, bytes: &[u8]) -> Result<RawWorkbook, IngestError> {
    match format {
        FileFormat::Xls => check_cfb_chains(bytes)?,
        FileFormat::Xlsx | FileFormat::Ods => check_zip_sizes(bytes)?,
        _ => {}
    }
    crate::guard::caught(|| read_unguarded(format, bytes)).unwrap_or_else(|_| {
        Err(IngestError::Corrupt(
            "文件结构异常，读取程序无法解析".to_string(),
        ))
    })
}

fn read_unguarded(format: FileFormat, bytes: &[u8]) -> Result<RawWorkbook, IngestError> {
    match format {
        FileFormat::Xlsx => read_xlsx(bytes),
        FileFormat::Xls => read_xls(bytes),
        FileFormat::Ods => read_ods(bytes),
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
/// 1000:1 above 100 MB.
fn check_zip_sizes(bytes: &[u8]) -> Result<(), IngestError> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(()); // not a readable zip: the reader reports it as corrupt
    };
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

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]))
}

/// Walks the allocation-table chains of a compound file (xls) that calamine
/// follows without a bound: a chain that loops or leaves the file would make it
/// allocate without end. Refused as corrupt.
fn check_cfb_chains(b: &[u8]) -> Result<(), IngestError> {
    let bad = |why: &str| Err(IngestError::Corrupt(format!("复合文档结构损坏（{why}）")));
    let shift = b
        .get(0x1E..0x20)
        .map(|x| u16::from_le_bytes([x[0], x[1]]))
        .unwrap_or(9);
    if !(7..=16).contains(&shift) {
        return bad("扇区大小无效");
    }
    let size = 1usize << shift;
    let sectors = (b.len().saturating_sub(512)).div_ceil(size);
    let sector = |n: u32| -> Option<&[u8]> {
        let start = 512usize.checked_add((n as usize).checked_mul(size)?)?;
        b.get(start..start + size)
    };
    // FAT sector numbers: 109 in the header, the rest through the DIFAT chain.
    let mut fat_secs: Vec<u32> = (0..109)
        .filter_map(|i| u32_at(b, 0x4C + 4 * i))
        .filter(|&s| s < 0xFFFF_FFFA)
        .collect();
    let mut difat = u32_at(b, 0x44).unwrap_or(0xFFFF_FFFE);
    let mut steps = 0;
    while difat < 0xFFFF_FFFA {
        steps += 1;
        if steps > sectors + 1 {
            return bad("DIFAT 链循环");
        }
        let Some(sec) = sector(difat) else {
            return bad("DIFAT 越界");
        };
        let per = size / 4;
        for i in 0..per - 1 {
            if let Some(s) = u32_at(sec, 4 * i).filter(|&s| s < 0xFFFF_FFFA) {
                fat_secs.push(s);
            }
        }
        difat = u32_at(sec, 4 * (per - 1)).unwrap_or(0xFFFF_FFFE);
    }
    let mut fat: Vec<u32> = Vec::new();
    for s in fat_secs {
        let Some(sec) = sector(s) else {
            return bad("FAT 越界");
        };
        fat.extend((0..size / 4).filter_map(|i| u32_at(sec, 4 * i)));
    }
    for start_at in [0x30usize, 0x3C] {
        let mut cur = u32_at(b, start_at).unwrap_or(0xFFFF_FFFE);
        let mut seen = std::collections::HashSet::new();
        while cur < 0xFFFF_FFFA {
            if !seen.insert(cur) || seen.len() > sectors + 1 {
                return bad("扇区链循环");
            }
            cur = match fat.get(cur as usize) {
                Some(&next) => next,
                None => return bad("扇区链越界"),
            };
        }
    }
    Ok(())
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
        Data::String(s) => Cell::Text(s),
        Data::Bool(b) => Cell::Bool(b),
        Data::DateTime(dt) => Cell::Date(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s),
        Data::Error(e) => Cell::Error(e.to_string()),
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

fn read_xlsx(bytes: &[u8]) -> Result<RawWorkbook, IngestError> {
    let mut wb: calamine::Xlsx<_> = calamine::Xlsx::new(Cursor::new(bytes)).map_err(corrupt)?;
    wb.with_header_row(calamine::HeaderRow::Row(0));
    let is_1904 = wb.has_1904_epoch();
    let meta = worksheets(&wb);
    let mut parts = XlsxParts::open(bytes);
    let mut sheets = Vec::new();
    for (name, visible) in meta {
        let range = wb.worksheet_range(&name).map_err(corrupt)?;
        let mut rows = range_to_rows(range)?;
        // Merges, hidden rows and formulas without a saved result from one plain
        // scan of the sheet XML: calamine has no hidden-row API, reads such a
        // formula as an empty cell, and its merge API parses the whole sheet again.
        let extras = parts
            .as_mut()
            .and_then(|p| p.sheet_xml(&name))
            .map(|xml| scan_sheet_xml(&xml))
            .unwrap_or_default();
        for &(r, c) in &extras.uncached_formulas {
            if r as usize >= rows.len() && r < 1_048_576 {
                rows.resize_with(r as usize + 1, Vec::new);
            }
            let Some(row) = rows.get_mut(r as usize) else {
                continue;
            };
            if row.len() <= c as usize {
                row.resize(c as usize + 1, Cell::Empty);
            }
            if row[c as usize] == Cell::Empty {
                row[c as usize] = Cell::Error(UNCACHED_FORMULA.to_string());
            }
        }
        sheets.push(RawSheet {
            name,
            visible,
            rows,
            merges: extras.merges,
            hidden_rows: extras.hidden_rows,
        });
    }
    Ok(RawWorkbook { sheets, is_1904 })
}

/// The zip of an xlsx with its sheet name → part path map, opened once per workbook.
struct XlsxParts<'a> {
    zip: zip::ZipArchive<Cursor<&'a [u8]>>,
    paths: Vec<(String, String)>,
}

impl<'a> XlsxParts<'a> {
    fn open(bytes: &'a [u8]) -> Option<XlsxParts<'a>> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
        let wb = read_part(&mut zip, "xl/workbook.xml")?;
        let rels = read_part(&mut zip, "xl/_rels/workbook.xml.rels")?;
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
            let path = match target.strip_prefix('/') {
                Some(t) => t.to_string(),
                None => format!("xl/{target}"),
            };
            paths.push((xml_unescape(&name), path));
        }
        Some(XlsxParts { zip, paths })
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
    // Sized once from the declared size (no doubling and copying as it grows);
    // never inflated past a sane size (zip bombs): the part is skipped instead.
    // Kept as bytes: the scans below look for ASCII markup only.
    let mut s = Vec::with_capacity(f.size().min(LIMIT) as usize);
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
        sheets.push(RawSheet {
            name,
            visible,
            rows,
            merges: m,
            hidden_rows: Vec::new(),
        });
    }
    Ok(RawWorkbook { sheets, is_1904 })
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
        });
    }
    Ok(RawWorkbook {
        sheets,
        is_1904: false,
    })
}

/// Decodes text bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030.
pub fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).to_string();
    }
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return encoding_rs::UTF_16LE.decode(bytes).0.to_string();
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return encoding_rs::UTF_16BE.decode(bytes).0.to_string();
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.to_string(),
    }
}

/// A cell of text input: numbers stay text (the normaliser parses them like typed text).
fn text_cell(s: &str) -> Cell {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s.to_string())
    }
}

fn read_csv(bytes: &[u8]) -> Result<RawWorkbook, IngestError> {
    let text = decode_text(bytes);
    // The delimiter is judged over the first lines, not the first alone: a
    // title line above the table often has no delimiter at all.
    let (tabs, commas) = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(30)
        .fold((0, 0), |(t, c), l| {
            (t + l.matches('\t').count(), c + l.matches(',').count())
        });
    let delim = if tabs > commas { '\t' } else { ',' };
    let records = parse_delimited(&text, delim);
    let cells: u64 = records.iter().map(|r| r.len() as u64).sum();
    if cells > MAX_CELLS {
        return Err(IngestError::TooLarge(format!("{} 行", records.len())));
    }
    let rows = records
        .into_iter()
        .map(|r| r.iter().map(|s| text_cell(s)).collect())
        .collect();
    Ok(RawWorkbook {
        sheets: vec![RawSheet {
            name: "CSV".to_string(),
            visible: true,
            rows,
            merges: Vec::new(),
            hidden_rows: Vec::new(),
        }],
        is_1904: false,
    })
}

/// RFC 4180 style parsing: quoted fields with doubled quotes, CRLF or LF.
pub fn parse_delimited(text: &str, delim: char) -> Vec<Vec<String>> {
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

fn read_html(bytes: &[u8]) -> Result<RawWorkbook, IngestError> {
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
        });
    }
    if sheets.is_empty() {
        return Err(IngestError::NotSpreadsheet);
    }
    Ok(RawWorkbook {
        sheets,
        is_1904: false,
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
                                "Error" => Cell::Error(data.clone()),
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
