//! The unit's own number formats (`#,##0.00`, `0.0000`, `yyyy"年"m"月"`) of an
//! xlsx / xlsm file, so the re-rendered sheet shows its numbers as the unit
//! saw them. calamine only says whether a format is a date, so the parts are
//! read here: `xl/workbook.xml` (sheet names → parts), `xl/styles.xml`
//! (`numFmts` and `cellXfs`) and each sheet's `s=` attributes.
//!
//! Bounded by the file's real size: the file is read once (at most
//! `MAX_FILE_BYTES`), and only when it still has the sha256 it was read with
//! (an archive member, whose path is the archive, never does); each part is
//! streamed with at most [`PART_BYTES`] inflated bytes; at most
//! [`MAX_CELLS`] formatted cells are kept per workbook. Anything unexpected
//! gives no formats (the copy then shows the numbers as before), never an error.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read};

use crate::model::{FileFormat, InboxFile};

/// Inflated bytes read from one part, at most.
const PART_BYTES: u64 = 512 * 1024 * 1024;
/// Formatted cells kept per workbook, at most.
const MAX_CELLS: usize = 4_000_000;

/// A multiplicative hasher for small integer keys (cell positions): looked
/// up once per cell of a re-rendered sheet, where SipHash was a visible cost.
/// Not exposed to input-chosen collisions in any way that matters: the keys
/// are bounded positions and the maps are bounded by [`MAX_CELLS`].
#[derive(Default, Clone, Copy)]
pub struct CellHasher(u64);

impl std::hash::Hasher for CellHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Hash maps and sets keyed by cell position.
pub type CellBuild = std::hash::BuildHasherDefault<CellHasher>;
pub type CellMap<V> = HashMap<(u32, u32), V, CellBuild>;

/// Number format codes by sheet name and 0-based (row, column).
#[derive(Debug, Default)]
pub struct Formats {
    codes: Vec<String>,
    cells: HashMap<String, CellMap<u32>>,
}

/// The number formats of one sheet.
#[derive(Debug, Clone, Copy)]
pub struct SheetFormats<'a> {
    codes: &'a [String],
    cells: &'a CellMap<u32>,
}

impl Formats {
    /// The formats of sheet `name` (none: no cell of it has one).
    pub fn sheet(&self, name: &str) -> Option<SheetFormats<'_>> {
        Some(SheetFormats {
            codes: &self.codes,
            cells: self.cells.get(name)?,
        })
    }
}

impl<'a> SheetFormats<'a> {
    /// The format code of a cell, when the unit gave it one other than General.
    pub fn get(&self, row: u32, col: u32) -> Option<&'a str> {
        let i = *self.cells.get(&(row, col))?;
        self.codes.get(i as usize).map(String::as_str)
    }
}

/// The formats of `file` (xlsx / xlsm only; anything else gives none).
pub fn read(file: &InboxFile) -> Formats {
    if !matches!(file.format, FileFormat::Xlsx) {
        return Formats::default();
    }
    let Some(bytes) = same_bytes(file) else {
        return Formats::default();
    };
    parse(&bytes).unwrap_or_default()
}

/// The file's bytes, when it is still the regular file that was read.
fn same_bytes(file: &InboxFile) -> Option<Vec<u8>> {
    let meta = std::fs::metadata(&file.path).ok()?;
    if !meta.is_file() || meta.len() != file.size {
        return None;
    }
    let mut bytes = Vec::new();
    std::fs::File::open(&file.path)
        .ok()?
        .take(crate::pipeline::inbox::MAX_FILE_BYTES)
        .read_to_end(&mut bytes)
        .ok()?;
    let sha = crate::pipeline::publish::hex(&Sha256::digest(&bytes));
    (sha == file.sha256).then_some(bytes)
}

type Zip<'a> = zip::ZipArchive<std::io::Cursor<&'a [u8]>>;

/// Parses the parts; `None` on anything unexpected.
fn parse(bytes: &[u8]) -> Option<Formats> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    let sheets = sheet_parts(&mut zip)?;
    let (codes, xf_code) = styles(&mut zip)?;
    let mut out = Formats {
        codes,
        cells: HashMap::new(),
    };
    let mut kept = 0usize;
    for (name, part) in sheets {
        let Ok(entry) = zip.by_name(&part) else {
            continue;
        };
        let mut cells = CellMap::default();
        let mut rd = Reader::from_reader(BufReader::new(entry.take(PART_BYTES)));
        sheet_cells(
            &mut rd,
            &xf_code,
            &mut cells,
            MAX_CELLS.saturating_sub(kept),
        );
        kept += cells.len();
        out.cells.insert(name, cells);
    }
    Some(out)
}

/// The value of attribute `key` (local name, any prefix) of a tag.
fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == key)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// The start (or empty) tags of a part, in order, with their local names.
fn for_each_tag<R: BufRead>(rd: &mut Reader<R>, mut f: impl FnMut(&str, &BytesStart<'_>) -> bool) {
    let mut buf = Vec::new();
    loop {
        match rd.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if !f(e.local_name().as_ref(), &e) => return,
            Ok(Event::Eof) | Err(_) => return,
            _ => {}
        }
        buf.clear();
    }
}

type PartReader<'z, 'b> =
    Reader<BufReader<std::io::Take<zip::read::ZipFile<'z, std::io::Cursor<&'b [u8]>>>>>;

fn part_reader<'z, 'b>(zip: &'z mut Zip<'b>, name: &str) -> Option<PartReader<'z, 'b>> {
    let entry = zip.by_name(name).ok()?;
    Some(Reader::from_reader(BufReader::new(entry.take(PART_BYTES))))
}

/// Sheet name → its part (`xl/worksheets/sheet1.xml`).
fn sheet_parts(zip: &mut Zip<'_>) -> Option<Vec<(String, String)>> {
    let mut sheets: Vec<(String, String)> = Vec::new();
    {
        let mut rd = part_reader(zip, "xl/workbook.xml")?;
        for_each_tag(&mut rd, |name, e| {
            if name == "sheet" {
                if let (Some(n), Some(id)) = (attr(e, "name"), attr(e, "id")) {
                    sheets.push((n, id));
                }
            }
            sheets.len() < 10_000
        });
    }
    let mut targets: BTreeMap<String, String> = BTreeMap::new();
    {
        let mut rd = part_reader(zip, "xl/_rels/workbook.xml.rels")?;
        for_each_tag(&mut rd, |name, e| {
            if name == "Relationship" {
                if let (Some(id), Some(t)) = (attr(e, "Id"), attr(e, "Target")) {
                    targets.insert(id, t);
                }
            }
            targets.len() < 10_000
        });
    }
    Some(
        sheets
            .into_iter()
            .filter_map(|(n, id)| {
                let t = targets.get(&id)?;
                let part = match t.strip_prefix('/') {
                    Some(abs) => abs.to_string(),
                    None => format!("xl/{t}"),
                };
                Some((n, part))
            })
            .collect(),
    )
}

/// Excel's built-in number formats that are not General.
fn builtin(id: u32) -> Option<&'static str> {
    Some(match id {
        1 => "0",
        2 => "0.00",
        3 => "#,##0",
        4 => "#,##0.00",
        9 => "0%",
        10 => "0.00%",
        11 => "0.00E+00",
        12 => "# ?/?",
        13 => "# ??/??",
        14 => "yyyy-mm-dd",
        15 => "d-mmm-yy",
        16 => "d-mmm",
        17 => "mmm-yy",
        18 => "h:mm AM/PM",
        19 => "h:mm:ss AM/PM",
        20 => "h:mm",
        21 => "h:mm:ss",
        22 => "yyyy-mm-dd h:mm",
        37 => "#,##0 ;(#,##0)",
        38 => "#,##0 ;[Red](#,##0)",
        39 => "#,##0.00;(#,##0.00)",
        40 => "#,##0.00;[Red](#,##0.00)",
        45 => "mm:ss",
        46 => "[h]:mm:ss",
        47 => "mm:ss.0",
        48 => "##0.0E+0",
        49 => "@",
        _ => return None,
    })
}

/// The distinct format codes, and for each cell style (`cellXfs` index) the
/// index of its code (none for General).
fn styles(zip: &mut Zip<'_>) -> Option<(Vec<String>, Vec<Option<u32>>)> {
    let mut custom: HashMap<u32, String> = HashMap::new();
    let mut xf_ids: Vec<u32> = Vec::new();
    let mut in_xfs = false;
    let mut rd = part_reader(zip, "xl/styles.xml")?;
    rd.config_mut().trim_text(true);
    let mut buf = Vec::new();
    loop {
        match rd.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                "numFmt" => {
                    let id = attr(&e, "numFmtId").and_then(|v| v.parse().ok());
                    if let (Some(id), Some(code)) = (id, attr(&e, "formatCode")) {
                        if custom.len() < 10_000 {
                            custom.insert(id, code);
                        }
                    }
                }
                "cellXfs" => in_xfs = true,
                "xf" if in_xfs && xf_ids.len() < 100_000 => {
                    xf_ids.push(
                        attr(&e, "numFmtId")
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(0),
                    );
                }
                _ => {}
            },
            Ok(Event::End(e)) if e.local_name().as_ref() == "cellXfs" => break,
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    let mut codes: Vec<String> = Vec::new();
    let mut index: HashMap<String, u32> = HashMap::new();
    let xf_code = xf_ids
        .iter()
        .map(|id| {
            let code = custom
                .get(id)
                .map(String::as_str)
                .or_else(|| builtin(*id))?;
            if code.eq_ignore_ascii_case("general") {
                return None;
            }
            let n = codes.len() as u32;
            Some(*index.entry(code.to_string()).or_insert_with(|| {
                codes.push(code.to_string());
                n
            }))
        })
        .collect();
    Some((codes, xf_code))
}

/// 0-based (row, column) of an A1 reference.
fn a1(r: &str) -> Option<(u32, u32)> {
    crate::text::parse_a1(r)
}

/// The formatted cells of one sheet part, at most `room`.
fn sheet_cells<R: BufRead>(
    rd: &mut Reader<R>,
    xf_code: &[Option<u32>],
    out: &mut CellMap<u32>,
    room: usize,
) {
    // Cells without `r` follow the previous one (rows likewise).
    let mut row: u32 = 0;
    let mut next_row: u32 = 0;
    let mut col: u32 = 0;
    for_each_tag(rd, |name, e| {
        match name {
            "row" => {
                row = attr(e, "r")
                    .and_then(|v| v.parse::<u32>().ok())
                    .map_or(next_row, |r| r.saturating_sub(1));
                next_row = row.saturating_add(1);
                col = 0;
            }
            "c" => {
                // `r` and `s` carry no entities: read in place, no allocation.
                let (mut at, mut style) = (None, None);
                for a in e.attributes().with_checks(false).flatten() {
                    let v: &str = a.value.as_ref();
                    match a.key.local_name().as_ref() {
                        "r" => at = a1(v),
                        "s" => style = v.parse::<usize>().ok(),
                        _ => {}
                    }
                }
                let at = at.unwrap_or((row, col));
                row = at.0;
                col = at.1 + 1;
                if let Some(code) = style.and_then(|s| xf_code.get(s).copied().flatten()) {
                    out.insert(at, code);
                }
            }
            _ => {}
        }
        out.len() < room
    });
}
