//! Reader edge cases (issue 3, "Tests that must exist and pass"): small
//! ledgers built here — with rust_xlsxwriter, or written byte by byte (CSV in
//! UTF-8/GBK, HTML and SpreadsheetML 2003 exports, a hand-made ODS and CFB) —
//! read through the library entry points (`inbox::sniff` → `ingest::read` →
//! `normalize::parse_file`) or the real CLI, asserting the exact 元 read, the
//! exact finding id and cell, and the row accounting of the manifest.
//!
//! `tests/it/checks.rs` has one fixture per check id; this file is about what
//! the READER makes of the input. Every ledger here is 南昌市's July 2023
//! ledger of four real library projects (so nothing but the point of each test
//! fires), in the layout of [`base_sheet`]:
//!
//! ```text
//! row 1  2023年1-7月全省新基建项目推进情况调度表                  (merged A1:I1)
//! row 2  填报单位：南昌市发展和改革委员会          填报时间：2023年8月3日
//! row 3  单位：万元
//! row 4  序号 | 项目代码 | 项目名称 | 总投资 | 2023年投资完成情况 (E4:G4)      | 建设状态 | 实际开工时间
//! row 5       |          |          |        | 年度计划投资 | 7月完成投资 | 1-7月累计完成 |
//! row 6… one row per project (A4:A5, B4:B5, … merged vertically)
//! ```
//!
//! Tests marked `#[ignore = "BUG: …"]` assert the correct behaviour the code
//! lacks; the reason names the cause.

use assert_cmd::Command;
use rust_xlsxwriter::{Format, Formula, Workbook};
use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use taizhang::model::{
    FileFormat, Finding, InboxFile, LedgerRow, ParsedFile, ProjectRecord, Severity, Status,
    StoredPeriod, YearMonth,
};
use taizhang::parse::MoneyUnit;
use taizhang::pipeline::normalize::Context;
use taizhang::pipeline::{inbox, ingest, normalize, Setup};
use taizhang::seeds::Project;

// ---------------------------------------------------------------- setup

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn setup() -> &'static Setup {
    static S: OnceLock<Setup> = OnceLock::new();
    S.get_or_init(|| {
        taizhang::pipeline::setup(&root(), &["new-infra".to_string()], None)
            .expect("new-infra pipeline and library load")
    })
}

fn ctx() -> Context<'static> {
    let s = setup();
    Context {
        specs: &s.specs,
        unselected: &[],
        libraries: &s.libraries,
        units: &s.units,
        period: None,
    }
}

/// The first four library projects of 南昌市.
fn nc() -> Vec<&'static Project> {
    let v: Vec<&Project> = setup().libraries.get().unwrap()[0]
        .projects
        .iter()
        .filter(|p| p.unit == "南昌市")
        .take(4)
        .collect();
    assert_eq!(v.len(), 4, "南昌市 owns fewer than 4 projects");
    v
}

/// This month's and the cumulative figure (元) of project `i` in every fixture:
/// exact in 万元 with two decimals, cumulative = 7 × month.
fn month_of(i: usize) -> i64 {
    [1_234_500, 2_000_100, 56_700, 3_333_300][i]
}

fn ytd_of(i: usize) -> i64 {
    7 * month_of(i)
}

// ---------------------------------------------------------------- cells and sheets

#[derive(Debug, Clone)]
enum V {
    S(String),
    N(f64),
    /// A number with a date format (an Excel date cell), as its serial.
    D(f64),
    /// A formula with its cached result; `None`: no cached value at all.
    F(String, Option<String>),
    Blank,
}

fn s(t: &str) -> V {
    V::S(t.to_string())
}

/// 元 → a 万元 number cell.
fn wan(yuan: i64) -> V {
    V::N(yuan as f64 / 10_000.0)
}

/// One worksheet: absolute rows (row 0 = sheet row 1) and merged ranges
/// (first row, first col, last row, last col), the value in the first cell.
#[derive(Debug, Clone)]
struct Sheet {
    name: String,
    hidden: bool,
    rows: Vec<Vec<V>>,
    merges: Vec<(u32, u16, u32, u16)>,
    hidden_rows: Vec<u32>,
}

impl Sheet {
    fn new(name: &str, rows: Vec<Vec<V>>) -> Sheet {
        Sheet {
            name: name.to_string(),
            hidden: false,
            rows,
            merges: Vec::new(),
            hidden_rows: Vec::new(),
        }
    }

    fn covered(&self, r: u32, c: u16) -> bool {
        self.merges
            .iter()
            .any(|m| (m.0..=m.2).contains(&r) && (m.1..=m.3).contains(&c) && (r, c) != (m.0, m.1))
    }

    fn merge_at(&self, r: u32, c: u16) -> Option<(u32, u16)> {
        self.merges
            .iter()
            .find(|m| (m.0, m.1) == (r, c))
            .map(|m| (m.2 - m.0 + 1, m.3 - m.1 + 1))
    }
}

/// Standard columns (0-based).
const SEQ: usize = 0;
const CODE: usize = 1;
const NAME: usize = 2;
const TOTAL: usize = 3;
const PLAN: usize = 4;
const MONTH: usize = 5;
const YTD: usize = 6;
const START: usize = 8;

/// Sheet row (0-based) of the first data row of [`base_sheet`].
const FIRST: u32 = 5;
/// Sheet row (0-based) of the first data row of [`flat_sheet`] and [`value_sheet`].
const FLAT_FIRST: u32 = 4;

fn title_rows() -> Vec<Vec<V>> {
    vec![
        vec![s("2023年1-7月全省新基建项目推进情况调度表")],
        vec![
            s("填报单位：南昌市发展和改革委员会"),
            V::Blank,
            V::Blank,
            V::Blank,
            V::Blank,
            V::Blank,
            s("填报时间：2023年8月3日"),
        ],
        vec![s("单位：万元")],
    ]
}

/// A data row of project `i` of [`nc`].
fn data_row(i: usize) -> Vec<V> {
    let p = nc()[i];
    vec![
        V::N((i + 1) as f64),
        s(&p.code),
        s(&p.name),
        wan(p.total_investment),
        wan(p.annual_plan),
        wan(month_of(i)),
        wan(ytd_of(i)),
        s("在建"),
        s("2023年3月"),
    ]
}

/// The standard ledger (module doc): two-row merged header under three title lines.
fn base_sheet(projects: &[usize]) -> Sheet {
    let mut rows = title_rows();
    rows.push(vec![
        s("序号"),
        s("项目代码"),
        s("项目名称"),
        s("总投资"),
        s("2023年投资完成情况"),
        V::Blank,
        V::Blank,
        s("建设状态"),
        s("实际开工时间"),
    ]);
    rows.push(vec![
        V::Blank,
        V::Blank,
        V::Blank,
        V::Blank,
        s("年度计划投资"),
        s("7月完成投资"),
        s("1-7月累计完成"),
        V::Blank,
        V::Blank,
    ]);
    rows.extend(projects.iter().map(|i| data_row(*i)));
    let mut merges = vec![(0, 0, 0, 8), (3, 4, 3, 6)];
    merges.extend([0u16, 1, 2, 3, 7, 8].iter().map(|c| (3, *c, 4, *c)));
    Sheet {
        merges,
        ..Sheet::new("调度表", rows)
    }
}

/// The same ledger with a one-row header (what a CSV export has).
fn flat_sheet() -> Sheet {
    let mut rows = title_rows();
    rows.push(
        [
            "序号",
            "项目代码",
            "项目名称",
            "总投资",
            "年度计划投资",
            "7月完成投资",
            "1-7月累计完成投资",
            "建设状态",
            "实际开工时间",
        ]
        .iter()
        .map(|h| s(h))
        .collect(),
    );
    rows.extend((0..4).map(data_row));
    Sheet::new("调度表", rows)
}

// ---------------------------------------------------------------- writers

/// An xlsx workbook of `sheets`, as bytes.
fn xlsx(sheets: &[Sheet]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let plain = Format::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let mut no_cache = Vec::new();
    for (si, sh) in sheets.iter().enumerate() {
        let ws = wb.add_worksheet();
        ws.set_name(&sh.name).unwrap();
        for m in &sh.merges {
            let text = match sh.rows.get(m.0 as usize).and_then(|r| r.get(m.1 as usize)) {
                Some(V::S(t)) => t.clone(),
                _ => String::new(),
            };
            ws.merge_range(m.0, m.1, m.2, m.3, &text, &plain).unwrap();
        }
        for (r, row) in sh.rows.iter().enumerate() {
            let r = r as u32;
            for (c, v) in row.iter().enumerate() {
                let c = c as u16;
                if sh.covered(r, c) || sh.merge_at(r, c).is_some() {
                    continue;
                }
                match v {
                    V::S(t) => {
                        ws.write_string(r, c, t).unwrap();
                    }
                    V::N(n) => {
                        ws.write_number(r, c, *n).unwrap();
                    }
                    V::D(n) => {
                        ws.write_number_with_format(r, c, *n, &date).unwrap();
                    }
                    V::F(f, Some(result)) => {
                        ws.write_formula(r, c, Formula::new(f).set_result(result))
                            .unwrap();
                    }
                    V::F(f, None) => {
                        ws.write_formula(r, c, Formula::new(f).set_result("0"))
                            .unwrap();
                        no_cache.push((si, taizhang::text::a1(r, c as u32)));
                    }
                    V::Blank => {}
                }
            }
        }
        for r in &sh.hidden_rows {
            ws.set_row_hidden(*r).unwrap();
        }
        if sh.hidden {
            ws.set_hidden(true);
        }
    }
    let bytes = wb.save_to_buffer().unwrap();
    if no_cache.is_empty() {
        return bytes;
    }
    // rust_xlsxwriter always writes a cached <v>: take it out again.
    patch_zip(&bytes, |name, xml| {
        let mut xml = xml;
        for (si, addr) in &no_cache {
            if name == format!("xl/worksheets/sheet{}.xml", si + 1) {
                let re = regex::Regex::new(&format!(
                    r#"<c r="{addr}"[^>]*>(<f>[^<]*</f>)<v>[^<]*</v></c>"#
                ))
                .unwrap();
                assert!(re.is_match(&xml), "formula cell {addr} not found");
                xml = re
                    .replace(&xml, format!(r#"<c r="{addr}">$1</c>"#))
                    .to_string();
            }
        }
        xml
    })
}

/// Rewrites the XML parts of a zip through `f(part name, text)`.
fn patch_zip(bytes: &[u8], f: impl Fn(&str, String) -> String) -> Vec<u8> {
    let mut zin = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut zout = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let mut e = zin.by_index(i).unwrap();
        let name = e.name().unwrap().to_string();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        if name.ends_with(".xml") || name.ends_with(".rels") {
            data = f(&name, String::from_utf8(data).unwrap()).into_bytes();
        }
        zout.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zout.write_all(&data).unwrap();
    }
    zout.finish().unwrap().into_inner()
}

fn text_of(v: &V) -> String {
    match v {
        V::S(t) => t.clone(),
        V::N(n) | V::D(n) => format!("{n}"),
        V::F(_, r) => r.clone().unwrap_or_default(),
        V::Blank => String::new(),
    }
}

/// Delimited text of a sheet (quotes where needed; merges ignored), each line
/// as long as its row.
fn delimited(sh: &Sheet, delim: char) -> String {
    let mut out = String::new();
    for row in &sh.rows {
        let fields: Vec<String> = row
            .iter()
            .map(|v| {
                let t = text_of(v);
                if t.contains(delim) || t.contains('"') || t.contains('\n') {
                    format!("\"{}\"", t.replace('"', "\"\""))
                } else {
                    t
                }
            })
            .collect();
        out.push_str(&fields.join(&delim.to_string()));
        out.push_str("\r\n");
    }
    out
}

fn xml_escape(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An HTML table export (what web systems save as `.xls`), merges as rowspan/colspan.
fn html(sh: &Sheet) -> Vec<u8> {
    let mut out = String::from(
        "<html xmlns:x=\"urn:schemas-microsoft-com:office:excel\">\n<head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head>\n<body>\n<table border=\"1\">\n",
    );
    for (r, row) in sh.rows.iter().enumerate() {
        out.push_str("<tr>");
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            if sh.covered(r, c) {
                continue;
            }
            let mut attrs = String::new();
            if let Some((rs, cs)) = sh.merge_at(r, c) {
                if rs > 1 {
                    attrs.push_str(&format!(" rowspan=\"{rs}\""));
                }
                if cs > 1 {
                    attrs.push_str(&format!(" colspan=\"{cs}\""));
                }
            }
            out.push_str(&format!("<td{attrs}>{}</td>", xml_escape(&text_of(v))));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n</body>\n</html>\n");
    out.into_bytes()
}

/// A SpreadsheetML 2003 workbook (Excel's "XML 表格"), as Excel writes it:
/// `ss:Index` only where a cell does not follow the previous one.
fn spreadsheetml(sh: &Sheet) -> Vec<u8> {
    let mut out = String::from(
        "<?xml version=\"1.0\"?>\n<?mso-application progid=\"Excel.Sheet\"?>\n<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\"\n xmlns:o=\"urn:schemas-microsoft-com:office:office\"\n xmlns:x=\"urn:schemas-microsoft-com:office:excel\"\n xmlns:ss=\"urn:schemas-microsoft-com:office:spreadsheet\">\n",
    );
    out.push_str(&format!(
        " <Worksheet ss:Name=\"{}\">\n  <Table>\n",
        xml_escape(&sh.name)
    ));
    for (r, row) in sh.rows.iter().enumerate() {
        out.push_str("   <Row>");
        let mut next = 0u16;
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            if sh.covered(r, c) || matches!(v, V::Blank) && sh.merge_at(r, c).is_none() {
                continue;
            }
            let mut attrs = String::new();
            if c != next {
                attrs.push_str(&format!(" ss:Index=\"{}\"", c + 1));
            }
            let mut width = 1;
            if let Some((rs, cs)) = sh.merge_at(r, c) {
                if cs > 1 {
                    attrs.push_str(&format!(" ss:MergeAcross=\"{}\"", cs - 1));
                }
                if rs > 1 {
                    attrs.push_str(&format!(" ss:MergeDown=\"{}\"", rs - 1));
                }
                width = cs;
            }
            next = c + width;
            let data = match v {
                V::N(n) | V::D(n) => format!("<Data ss:Type=\"Number\">{n}</Data>"),
                V::Blank => String::new(),
                other => format!(
                    "<Data ss:Type=\"String\">{}</Data>",
                    xml_escape(&text_of(other))
                ),
            };
            out.push_str(&format!("<Cell{attrs}>{data}</Cell>"));
        }
        out.push_str("</Row>\n");
    }
    out.push_str("  </Table>\n </Worksheet>\n</Workbook>\n");
    out.into_bytes()
}

/// A minimal OpenDocument spreadsheet (mimetype stored first, content.xml, manifest).
fn ods(sh: &Sheet) -> Vec<u8> {
    let mut body = String::new();
    for (r, row) in sh.rows.iter().enumerate() {
        body.push_str("<table:table-row>");
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            if sh.covered(r, c) {
                body.push_str("<table:covered-table-cell/>");
                continue;
            }
            let mut attrs = String::new();
            if let Some((rs, cs)) = sh.merge_at(r, c) {
                attrs.push_str(&format!(
                    " table:number-rows-spanned=\"{rs}\" table:number-columns-spanned=\"{cs}\""
                ));
            }
            match v {
                V::N(n) | V::D(n) => body.push_str(&format!(
                    "<table:table-cell{attrs} office:value-type=\"float\" office:value=\"{n}\"><text:p>{n}</text:p></table:table-cell>"
                )),
                V::Blank => body.push_str(&format!("<table:table-cell{attrs}/>")),
                other => body.push_str(&format!(
                    "<table:table-cell{attrs} office:value-type=\"string\"><text:p>{}</text:p></table:table-cell>",
                    xml_escape(&text_of(other))
                )),
            }
        }
        body.push_str("</table:table-row>\n");
    }
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:version=\"1.2\"><office:body><office:spreadsheet><table:table table:name=\"{}\">\n{body}</table:table></office:spreadsheet></office:body></office:document-content>\n",
        xml_escape(&sh.name)
    );
    let manifest = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.2\"><manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/><manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/></manifest:manifest>\n";
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    z.start_file("mimetype", stored).unwrap();
    z.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    z.start_file("content.xml", zip::write::SimpleFileOptions::default())
        .unwrap();
    z.write_all(content.as_bytes()).unwrap();
    z.start_file(
        "META-INF/manifest.xml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    z.write_all(manifest.as_bytes()).unwrap();
    z.finish().unwrap().into_inner()
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

/// A compound file (512-byte sectors) with the given directory entries after
/// the root (names only, empty streams): one FAT sector, one directory sector.
fn cfb(streams: &[&str]) -> Vec<u8> {
    let mut b = vec![0u8; 512];
    b[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    b[0x18..0x1A].copy_from_slice(&0x3Eu16.to_le_bytes()); // minor version
    b[0x1A..0x1C].copy_from_slice(&3u16.to_le_bytes()); // major version 3
    b[0x1C..0x1E].copy_from_slice(&0xFFFEu16.to_le_bytes()); // little endian
    b[0x1E..0x20].copy_from_slice(&9u16.to_le_bytes()); // 512-byte sectors
    b[0x20..0x22].copy_from_slice(&6u16.to_le_bytes()); // 64-byte mini sectors
    b[0x2C..0x30].copy_from_slice(&1u32.to_le_bytes()); // one FAT sector
    b[0x30..0x34].copy_from_slice(&1u32.to_le_bytes()); // directory at sector 1
    b[0x38..0x3C].copy_from_slice(&4096u32.to_le_bytes()); // mini stream cutoff
    b[0x3C..0x40].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes()); // no mini FAT
    b[0x44..0x48].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes()); // no DIFAT
    for i in 0..109 {
        let v: u32 = if i == 0 { 0 } else { 0xFFFF_FFFF };
        b[0x4C + 4 * i..0x50 + 4 * i].copy_from_slice(&v.to_le_bytes());
    }
    // Sector 0: the FAT (sector 0 = FAT, sector 1 = end of the directory chain).
    let mut fat = vec![0xFFu8; 512];
    fat[0..4].copy_from_slice(&0xFFFF_FFFDu32.to_le_bytes());
    fat[4..8].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
    b.extend(fat);
    // Sector 1: four 128-byte directory entries.
    let mut dir = vec![0u8; 512];
    let entry = |dir: &mut Vec<u8>, i: usize, name: &str, kind: u8, right: u32, child: u32| {
        let e = &mut dir[128 * i..128 * (i + 1)];
        let n = utf16le(name);
        e[..n.len()].copy_from_slice(&n);
        e[0x40..0x42].copy_from_slice(&((n.len() + 2) as u16).to_le_bytes());
        e[0x42] = kind;
        e[0x43] = 1; // black
        e[0x44..0x48].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
        e[0x48..0x4C].copy_from_slice(&right.to_le_bytes());
        e[0x4C..0x50].copy_from_slice(&child.to_le_bytes());
        e[0x74..0x78].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
    };
    let none = 0xFFFF_FFFFu32;
    entry(
        &mut dir,
        0,
        "Root Entry",
        5,
        none,
        if streams.is_empty() { none } else { 1 },
    );
    for (k, name) in streams.iter().enumerate().take(3) {
        let right = if k + 1 < streams.len().min(3) {
            k as u32 + 2
        } else {
            none
        };
        entry(&mut dir, k + 1, name, 2, right, none);
    }
    b.extend(dir);
    b
}

// ---------------------------------------------------------------- reading

/// Sniffs, reads and parses one file with the library entry points.
fn parse(name: &str, bytes: &[u8]) -> ParsedFile {
    let format = inbox::sniff(bytes, name);
    let raw =
        ingest::read(format, bytes).unwrap_or_else(|e| panic!("{name} ({format:?}) not read: {e}"));
    let c = ctx();
    assert_eq!(
        normalize::classify_program(name, &raw, &c),
        Some(0),
        "{name}: program not recognised"
    );
    let file = InboxFile {
        path: PathBuf::from(name),
        name: name.to_string(),
        size: bytes.len() as u64,
        sha256: String::new(),
        format,
        modified: 0,
    };
    normalize::parse_file(file, raw, 0, &c)
}

fn rows(pf: &ParsedFile) -> Vec<&LedgerRow> {
    pf.tables.iter().flat_map(|t| t.rows.iter()).collect()
}

/// The figures a row was read to.
#[derive(Debug, Clone, PartialEq)]
struct Fig {
    code: Option<String>,
    name: Option<String>,
    total: Option<i64>,
    plan: Option<i64>,
    month: Option<i64>,
    ytd: Option<i64>,
    status: Option<Status>,
    start: Option<YearMonth>,
}

fn fig(r: &LedgerRow) -> Fig {
    Fig {
        code: r.code.clone(),
        name: r.name.clone(),
        total: r.total_investment,
        plan: r.annual_plan,
        month: r.month_done,
        ytd: r.ytd_done,
        status: r.status,
        start: r.start_date,
    }
}

/// What [`data_row`] `i` must read to.
fn want(i: usize) -> Fig {
    let p = nc()[i];
    Fig {
        code: Some(p.code.clone()),
        name: Some(p.name.clone()),
        total: Some(p.total_investment),
        plan: Some(p.annual_plan),
        month: Some(month_of(i)),
        ytd: Some(ytd_of(i)),
        status: Some(Status::UnderConstruction),
        start: Some(YearMonth {
            year: 2023,
            month: 3,
        }),
    }
}

fn all_findings(pf: &ParsedFile) -> Vec<&Finding> {
    pf.findings
        .iter()
        .chain(rows(pf).into_iter().flat_map(|r| r.findings.iter()))
        .collect()
}

fn dump(pf: &ParsedFile) -> String {
    all_findings(pf)
        .iter()
        .map(|f| format!("  {} {} {} {}", f.id, f.sheet, f.cell, f.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts a file reads to the four projects of [`data_row`], exactly, with no finding.
fn assert_base_figures(name: &str, bytes: &[u8], format: FileFormat) {
    assert_eq!(inbox::sniff(bytes, name), format, "{name}");
    let pf = parse(name, bytes);
    assert!(all_findings(&pf).is_empty(), "{name}:\n{}", dump(&pf));
    let got: Vec<Fig> = rows(&pf).into_iter().map(fig).collect();
    let want: Vec<Fig> = (0..4).map(want).collect();
    assert_eq!(got, want, "{name}");
    let t = &pf.tables[0];
    let skipped: usize = pf.tables.iter().map(|t| t.skipped.len()).sum();
    assert_eq!(t.rows_read, 4 + skipped, "{name}: {:?}", t.skipped);
    for c in t.columns.iter().filter(|c| {
        matches!(
            c.field.as_str(),
            "total_investment" | "annual_plan" | "month_done" | "ytd_done"
        )
    }) {
        assert_eq!(c.unit, Some(MoneyUnit::Wan), "{name}: {c:?}");
    }
}

// ---------------------------------------------------------------- CLI runs

const JULY: &str = "2023-07";
const NC_FILE: &str = "南昌市新基建项目调度表（2023年7月）.xlsx";

struct Run {
    manifest: serde_json::Value,
    findings: Vec<Finding>,
    records: Vec<ProjectRecord>,
}

impl Run {
    fn input(&self, file: &str) -> &serde_json::Value {
        self.manifest["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["file"] == file)
            .unwrap_or_else(|| panic!("no input {file}: {}", self.manifest["inputs"]))
    }

    fn of(&self, id: &str) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.id == id).collect()
    }

    fn record(&self, code: &str) -> &ProjectRecord {
        self.records
            .iter()
            .find(|r| r.code == code)
            .unwrap_or_else(|| panic!("no record {code}"))
    }

    fn dump(&self) -> String {
        self.findings
            .iter()
            .filter(|f| f.id != "W402" && f.id != "W401")
            .map(|f| format!("  {} {} {} {} {}", f.id, f.file, f.sheet, f.cell, f.message))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Row accounting invariant of one input, and its skipped reasons.
    fn accounting(&self, file: &str) -> BTreeMap<String, u64> {
        let i = self.input(file);
        let n = |k: &str| i[k].as_u64().unwrap();
        assert_eq!(
            n("rows_read"),
            n("accepted") + n("rejected") + n("skipped"),
            "{file}: {i}"
        );
        let reasons: BTreeMap<String, u64> = i["skipped_reasons"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect();
        assert_eq!(reasons.values().sum::<u64>(), n("skipped"), "{file}: {i}");
        reasons
    }
}

/// Runs `taizhang run` for July on an inbox holding `files`.
fn run(files: &[(&str, Vec<u8>)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let period = dir.path().join("inbox").join(JULY);
    std::fs::create_dir_all(&period).unwrap();
    for (name, bytes) in files {
        std::fs::write(period.join(name), bytes).unwrap();
    }
    let out = dir.path().join("out");
    Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(root())
        .args(["run", "--quiet", "--pipeline", "new-infra", "--inbox"])
        .arg(dir.path().join("inbox"))
        .arg("--out")
        .arg(&out)
        .args(["--period", JULY])
        .assert()
        .success();
    let read = |p: &Path| std::fs::read_to_string(p).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&read(
        &out.join("new-infra").join(JULY).join("manifest.json"),
    ))
    .unwrap();
    let findings: Vec<Finding> = serde_json::from_value(manifest["findings"].clone()).unwrap();
    let stored: StoredPeriod = serde_json::from_str(&read(
        &out.join("history")
            .join("new-infra")
            .join(format!("{JULY}.json")),
    ))
    .unwrap();
    Run {
        manifest,
        findings,
        records: stored.records,
    }
}

// ================================================================ 1. formats

#[test]
fn ingest_edge_xlsx_saved_as_xls_reads_by_content() {
    let bytes = xlsx(&[base_sheet(&[0, 1, 2, 3])]);
    assert_base_figures(
        "南昌市新基建项目调度表（2023年7月）.xlsx",
        &bytes,
        FileFormat::Xlsx,
    );
    assert_base_figures(
        "南昌市新基建项目调度表（2023年7月）.xls",
        &bytes,
        FileFormat::Xlsx,
    );
    // The merged header is read as one path.
    let pf = parse("南昌市新基建.xls", &bytes);
    let t = &pf.tables[0];
    assert_eq!(t.header_rows, (3, 4));
    let ytd = t.columns.iter().find(|c| c.field == "ytd_done").unwrap();
    assert_eq!(
        (ytd.col, ytd.header.as_str()),
        (6, "2023年投资完成情况/1-7月累计完成")
    );
}

#[test]
fn ingest_edge_csv_utf8_with_bom() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend(delimited(&flat_sheet(), ',').into_bytes());
    assert_base_figures("南昌市新基建项目调度表.csv", &bytes, FileFormat::Csv);
}

#[test]
fn ingest_edge_csv_utf8_without_bom() {
    let bytes = delimited(&flat_sheet(), ',').into_bytes();
    assert_base_figures("南昌市新基建项目调度表.csv", &bytes, FileFormat::Csv);
}

/// A BIFF5 workbook (Excel 5.0/95: 8-bit text in code page 936) holding `sh`,
/// in a compound file written by the cfb crate. `codepage`: whether the
/// CODEPAGE record is written (files from Chinese Excel 95 often lack it).
fn biff5_gbk(sh: &Sheet, codepage: bool) -> Vec<u8> {
    fn rec(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
        out.extend(typ.to_le_bytes());
        out.extend((data.len() as u16).to_le_bytes());
        out.extend(data);
    }
    let gbk = |t: &str| {
        let (b, _, bad) = encoding_rs::GBK.encode(t);
        assert!(!bad, "{t}");
        b.into_owned()
    };
    let bof = |dt: u16| -> Vec<u8> {
        [0x0500u16, dt, 0x0DBB, 0x07CC]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect()
    };
    let name = gbk(&sh.name);
    let mut book = Vec::new();
    rec(&mut book, 0x0809, &bof(0x0005));
    if codepage {
        rec(&mut book, 0x0042, &936u16.to_le_bytes());
    }
    // BOUNDSHEET then EOF come next; the sheet's BOF follows them.
    let sheet_at = book.len() + (4 + 7 + name.len()) + 4;
    let mut bs = (sheet_at as u32).to_le_bytes().to_vec();
    bs.extend([0, 0, name.len() as u8]);
    bs.extend(&name);
    rec(&mut book, 0x0085, &bs);
    rec(&mut book, 0x000A, &[]);
    assert_eq!(book.len(), sheet_at);
    rec(&mut book, 0x0809, &bof(0x0010));
    for (r, row) in sh.rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let mut d: Vec<u8> = [r as u16, c as u16, 0]
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect();
            match v {
                V::S(t) => {
                    let b = gbk(t);
                    d.extend((b.len() as u16).to_le_bytes());
                    d.extend(&b);
                    rec(&mut book, 0x0204, &d);
                }
                V::N(x) | V::D(x) => {
                    d.extend(x.to_le_bytes());
                    rec(&mut book, 0x0203, &d);
                }
                V::F(..) => panic!("BIFF5 fixtures hold values only"),
                V::Blank => {}
            }
        }
    }
    rec(&mut book, 0x000A, &[]);
    let mut cf =
        cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new())).unwrap();
    cf.create_stream("/Book").unwrap().write_all(&book).unwrap();
    cf.flush().unwrap();
    cf.into_inner().into_inner()
}

#[test]
fn ingest_edge_biff5_xls_with_gbk_text() {
    for codepage in [true, false] {
        let bytes = biff5_gbk(&flat_sheet(), codepage);
        // The sheet name and every label are GBK bytes, not UTF-16.
        let (gbk_name, _, _) = encoding_rs::GBK.encode("项目名称");
        assert!(bytes.windows(gbk_name.len()).any(|w| w == &gbk_name[..]));
        assert_base_figures("南昌市新基建项目调度表.xls", &bytes, FileFormat::Xls);
        let pf = parse("南昌市新基建项目调度表.xls", &bytes);
        assert_eq!(pf.tables[0].sheet, "调度表", "codepage record: {codepage}");
    }
}

#[test]
fn ingest_edge_csv_gbk() {
    let text = delimited(&flat_sheet(), ',');
    let (gbk, _, bad) = encoding_rs::GBK.encode(&text);
    assert!(!bad);
    assert!(
        std::str::from_utf8(&gbk).is_err(),
        "fixture must not be UTF-8"
    );
    assert_base_figures("南昌市新基建项目调度表.csv", &gbk, FileFormat::Csv);
}

/// Every row padded to the sheet's width, as Excel's 另存为 CSV / 文本文件 writes them.
fn padded(mut sh: Sheet) -> Sheet {
    let w = sh.rows.iter().map(Vec::len).max().unwrap_or(0);
    for r in &mut sh.rows {
        r.resize(w, V::Blank);
    }
    sh
}

#[test]
fn ingest_edge_csv_tab_separated_named_xls() {
    // Text exports named .xls are common; a tab-separated one must be read too.
    let bytes = delimited(&padded(flat_sheet()), '\t').into_bytes();
    assert_base_figures("南昌市新基建项目调度表.xls", &bytes, FileFormat::Csv);
    // Thousands separators inside quoted comma-separated fields stay one field.
    let mut sh = flat_sheet();
    sh.rows[FLAT_FIRST as usize][TOTAL] = s(&{
        let y = nc()[0].total_investment;
        format!(
            "{},{:03}.{:04}",
            y / 10_000 / 1000,
            y / 10_000 % 1000,
            y % 10_000
        )
    });
    let pf = parse("南昌市新基建项目调度表.csv", delimited(&sh, ',').as_bytes());
    assert_eq!(
        rows(&pf)[0].total_investment,
        Some(nc()[0].total_investment),
        "{}",
        dump(&pf)
    );
}

#[test]
fn ingest_edge_tab_separated_with_a_bare_title_line() {
    // A web system's 文本导出: the title and 填报单位 lines carry no trailing tabs.
    let bytes = delimited(&flat_sheet(), '\t').into_bytes();
    assert_base_figures("南昌市新基建项目调度表.txt", &bytes, FileFormat::Csv);
}

#[test]
fn ingest_edge_html_table_named_xls() {
    let bytes = html(&base_sheet(&[0, 1, 2, 3]));
    // Through the CLI: sniffed as html, every project stored to the yuan.
    let name = "南昌市新基建项目调度表（2023年7月）.xls";
    let r = run(&[(name, bytes.clone())]);
    let i = r.input(name);
    assert_eq!(
        (i["format"].as_str(), i["accepted"].as_u64()),
        (Some("html"), Some(4)),
        "{i}"
    );
    for (k, p) in nc().iter().enumerate() {
        let rec = r.record(&p.code);
        assert_eq!(
            (
                rec.total_investment,
                rec.annual_plan,
                rec.month_done,
                rec.ytd_done
            ),
            (p.total_investment, p.annual_plan, month_of(k), ytd_of(k))
        );
    }
    assert_base_figures("南昌市新基建项目调度表.xls", &bytes, FileFormat::Html);
    let pf = parse("南昌市新基建项目调度表.xls", &bytes);
    let t = &pf.tables[0];
    assert_eq!(t.header_rows, (3, 4));
    let ytd = t.columns.iter().find(|c| c.field == "ytd_done").unwrap();
    assert_eq!(
        (ytd.col, ytd.header.as_str()),
        (6, "2023年投资完成情况/1-7月累计完成")
    );
}

#[test]
fn ingest_edge_spreadsheetml_2003_named_xls() {
    let bytes = spreadsheetml(&base_sheet(&[0, 1, 2, 3]));
    assert_base_figures(
        "南昌市新基建项目调度表.xls",
        &bytes,
        FileFormat::SpreadsheetMl,
    );
    let pf = parse("南昌市新基建项目调度表.xls", &bytes);
    let ytd = pf.tables[0]
        .columns
        .iter()
        .find(|c| c.field == "ytd_done")
        .unwrap();
    assert_eq!(
        (ytd.col, ytd.header.as_str()),
        (6, "2023年投资完成情况/1-7月累计完成")
    );
}

#[test]
fn ingest_edge_ods_hand_built() {
    let bytes = ods(&base_sheet(&[0, 1, 2, 3]));
    assert_base_figures("南昌市新基建项目调度表.ods", &bytes, FileFormat::Ods);
}

#[test]
fn ingest_edge_corpus_xls_named_xlsx_in_both_date_epochs() {
    // BIFF8 cannot be written here: two calamine corpus files, the same date
    // (2021-01-01) saved in the 1900 and the 1904 epoch, misnamed .xlsx.
    let dir = root().join("../shared/corpus/spreadsheets/calamine");
    if !dir.join("date_1904.xls").exists() {
        eprintln!("skipped: {} not present", dir.display());
        return;
    }
    for (file, is_1904, serial) in [
        ("date.xls", false, 44_197.0),
        ("date_1904.xls", true, 42_735.0),
    ] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        assert_eq!(
            inbox::sniff(&bytes, "南昌市.xlsx"),
            FileFormat::Xls,
            "{file}"
        );
        let raw = ingest::read(FileFormat::Xls, &bytes).unwrap();
        assert_eq!(raw.is_1904, is_1904, "{file}");
        let cell = raw.sheets[0].cell(0, 0).clone();
        assert_eq!(cell, taizhang::model::Cell::Date(serial), "{file}");
        assert_eq!(
            taizhang::parse::month_from_serial(serial, raw.is_1904),
            Some(YearMonth {
                year: 2021,
                month: 1
            }),
            "{file}"
        );
    }
}

#[test]
fn ingest_edge_refused_files_get_their_check_id_and_a_chinese_message() {
    let xl = xlsx(&[base_sheet(&[0, 1, 2, 3])]);
    // A zip cut short: no central directory.
    let truncated = xl[..xl.len() * 2 / 3].to_vec();
    let files: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        // (name, bytes, check id, manifest format)
        (
            "南昌市新基建（加密）.xlsx",
            cfb(&["EncryptionInfo", "EncryptedPackage"]),
            "E002",
            "encrypted",
        ),
        (
            "九江市新基建.et",
            cfb(&["Workbook", "SummaryInformation"]),
            "E003",
            "wpset",
        ),
        ("赣州市新基建.xlsx", Vec::new(), "E004", "empty"),
        ("上饶市新基建.xlsx", truncated, "E001", "xlsx"),
        (
            "吉安市新基建.xls",
            b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n".to_vec(),
            "E003",
            "unknown",
        ),
    ];
    let inbox: Vec<(&str, Vec<u8>)> = files.iter().map(|f| (f.0, f.1.clone())).collect();
    let r = run(&inbox);
    for (name, _, id, format) in &files {
        let i = r.input(name);
        assert_eq!(i["status"], "rejected", "{name}: {i}");
        assert_eq!(i["format"], *format, "{name}: {i}");
        let error = i["error"].as_str().unwrap_or_default();
        assert!(
            error
                .chars()
                .any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)),
            "{name}: error not in Chinese: {error:?}"
        );
        let f: Vec<&Finding> = r.findings.iter().filter(|f| f.file == *name).collect();
        assert_eq!(f.len(), 1, "{name}: {}", r.dump());
        assert_eq!(
            (f[0].id.as_str(), f[0].cell.as_str(), f[0].severity),
            (*id, "", Severity::Error),
            "{name}"
        );
        assert!(
            f[0].message.starts_with(&format!("文件“{name}”：【{id} ")),
            "{}",
            f[0].message
        );
        assert!(f[0].message.contains("处理："), "{}", f[0].message);
    }
    let msg = |name: &str| {
        r.findings
            .iter()
            .find(|f| f.file == name)
            .unwrap()
            .message
            .clone()
    };
    assert!(msg("南昌市新基建（加密）.xlsx").contains("密码"));
    assert!(msg("九江市新基建.et").contains("WPS"));
    assert!(msg("赣州市新基建.xlsx").contains("0 字节"));
    assert!(msg("上饶市新基建.xlsx").contains("损坏"));
}

#[test]
fn ingest_edge_lock_files_and_os_litter_are_ignored_and_listed() {
    let ledger = xlsx(&[base_sheet(&[0, 1, 2, 3])]);
    let r = run(&[
        (NC_FILE, ledger.clone()),
        // A lock file holds the owner's name, not a workbook; even a full copy is not read.
        ("~$南昌市新基建项目调度表（2023年7月）.xlsx", ledger),
        (".DS_Store", vec![0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31]),
        ("Thumbs.db", cfb(&["Catalog"])),
    ]);
    let ignored: BTreeMap<String, String> = r.manifest["ignored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap().to_string(),
                e["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        ignored.keys().cloned().collect::<Vec<_>>(),
        vec![
            ".DS_Store".to_string(),
            "Thumbs.db".to_string(),
            "~$南昌市新基建项目调度表（2023年7月）.xlsx".to_string(),
        ],
        "{ignored:?}"
    );
    assert!(ignored.values().all(|why| !why.is_empty()), "{ignored:?}");
    assert!(ignored["~$南昌市新基建项目调度表（2023年7月）.xlsx"].contains("锁"));
    let inputs = r.manifest["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 1, "{inputs:?}");
    assert_eq!(inputs[0]["file"], NC_FILE);
    assert_eq!(inputs[0]["accepted"], 4);
    // Nothing about the litter anywhere (no W008 for a second 南昌市 file).
    assert!(
        r.findings
            .iter()
            .all(|f| f.file.is_empty() || f.file == NC_FILE),
        "{}",
        r.dump()
    );
}

// ================================================================ 2. sheets

#[test]
fn ingest_edge_instructions_two_batches_empty_and_hidden_sheets() {
    let notes = Sheet::new(
        "填报说明",
        vec![
            vec![s("2023年新基建项目推进情况调度表填报说明")],
            vec![s("一、请各设区市于每月5日前报送。")],
            vec![s("二、金额单位为万元，保留两位小数。")],
        ],
    );
    let mut first = base_sheet(&[0, 1]);
    first.name = "第一批".to_string();
    let mut second = base_sheet(&[2, 3]);
    second.name = "第二批".to_string();
    let empty = Sheet::new("Sheet2", Vec::new());
    // Last month's ledger kept in a hidden sheet, with other figures.
    let mut hidden = base_sheet(&[0, 1, 2, 3]);
    hidden.name = "6月".to_string();
    hidden.hidden = true;
    for row in hidden.rows.iter_mut().skip(FIRST as usize) {
        row[YTD] = V::N(1.0);
    }
    let r = run(&[(NC_FILE, xlsx(&[notes, first, empty, second, hidden]))]);
    let i = r.input(NC_FILE);
    assert_eq!(i["status"], "ok", "{i}");
    assert_eq!(i["sheet"], "第一批, 第二批");
    assert_eq!(i["accepted"], 4, "{}", r.dump());
    assert_eq!(i["rows_read"], 4);
    r.accounting(NC_FILE);
    let skipped: Vec<&str> = i["skipped_sheets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert!(skipped[0].starts_with("填报说明："), "{skipped:?}");
    assert!(
        skipped[1].starts_with("Sheet2：") && skipped[1].contains("空"),
        "{skipped:?}"
    );
    assert!(
        skipped[2].starts_with("6月：") && skipped[2].contains("隐藏"),
        "{skipped:?}"
    );
    // Both batches counted, the hidden sheet not.
    for (k, p) in nc().iter().enumerate() {
        let rec = r.record(&p.code);
        assert!(rec.reported && !rec.carried, "{rec:?}");
        assert_eq!((rec.month_done, rec.ytd_done), (month_of(k), ytd_of(k)));
    }
    assert_eq!(
        r.manifest["totals"]["ytd_done_yuan"],
        (0..4).map(ytd_of).sum::<i64>()
    );
    let w: Vec<&Finding> = r.of("W010");
    assert_eq!(w.len(), 1, "{}", r.dump());
    assert_eq!((w[0].sheet.as_str(), w[0].cell.as_str()), ("6月", ""));
    assert!(r.of("E203").is_empty(), "{}", r.dump());
}

#[test]
fn ingest_edge_hidden_data_row_warned_at_its_cell_and_counted() {
    let mut sh = base_sheet(&[0, 1, 2, 3]);
    sh.hidden_rows = vec![FIRST + 2];
    let r = run(&[(NC_FILE, xlsx(&[sh]))]);
    let w: Vec<&Finding> = r.of("W010");
    assert_eq!(w.len(), 1, "{}", r.dump());
    // At the row's identity cell: its project code, sheet row FIRST+3.
    assert_eq!(
        (w[0].sheet.as_str(), w[0].cell.as_str()),
        ("调度表", format!("B{}", FIRST + 3).as_str())
    );
    assert_eq!(w[0].severity, Severity::Warning);
    let i = r.input(NC_FILE);
    assert_eq!(
        (i["accepted"].as_u64(), i["skipped"].as_u64()),
        (Some(4), Some(0))
    );
    let rec = r.record(&nc()[2].code);
    assert_eq!(rec.ytd_done, ytd_of(2));
    assert_eq!(
        r.manifest["totals"]["ytd_done_yuan"],
        (0..4).map(ytd_of).sum::<i64>()
    );
}

#[test]
fn ingest_edge_hidden_data_row_w010_names_its_project() {
    let mut sh = base_sheet(&[0, 1, 2, 3]);
    sh.hidden_rows = vec![FIRST + 2];
    let pf = parse(NC_FILE, &xlsx(&[sh]));
    let w: Vec<&Finding> = all_findings(&pf)
        .into_iter()
        .filter(|f| f.id == "W010")
        .collect();
    assert_eq!(w.len(), 1, "{}", dump(&pf));
    assert_eq!(w[0].project_code, nc()[2].code);
}

// ================================================================ 3. headers

#[test]
fn ingest_edge_three_row_merged_header_under_title_fill_and_unit_lines() {
    let mut grid = title_rows();
    grid.push(vec![
        s("序号"),
        s("项目代码"),
        s("项目名称"),
        s("总投资"),
        s("2023年投资完成情况"),
        V::Blank,
        V::Blank,
        s("建设状态"),
        s("实际开工时间"),
    ]);
    grid.push(vec![
        V::Blank,
        V::Blank,
        V::Blank,
        V::Blank,
        s("年度计划投资"),
        s("完成情况"),
        V::Blank,
        V::Blank,
        V::Blank,
    ]);
    grid.push(vec![
        V::Blank,
        V::Blank,
        V::Blank,
        V::Blank,
        V::Blank,
        s("7月完成"),
        s("1-7月累计完成"),
        V::Blank,
        V::Blank,
    ]);
    grid.extend((0..4).map(data_row));
    let mut merges = vec![(0, 0, 0, 8), (3, 4, 3, 6), (4, 4, 5, 4), (4, 5, 4, 6)];
    merges.extend([0u16, 1, 2, 3, 7, 8].iter().map(|c| (3, *c, 5, *c)));
    let sh = Sheet {
        merges,
        ..Sheet::new("调度表", grid)
    };
    let pf = parse(NC_FILE, &xlsx(&[sh]));
    assert!(all_findings(&pf).is_empty(), "{}", dump(&pf));
    let t = &pf.tables[0];
    assert_eq!(t.header_rows, (3, 5));
    let col = |k: &str| t.columns.iter().find(|c| c.field == k).unwrap();
    assert_eq!(
        (col("ytd_done").col, col("ytd_done").header.as_str()),
        (6, "2023年投资完成情况/完成情况/1-7月累计完成")
    );
    assert_eq!(
        (col("month_done").col, col("month_done").header.as_str()),
        (5, "2023年投资完成情况/完成情况/7月完成")
    );
    assert_eq!(
        (col("annual_plan").col, col("annual_plan").header.as_str()),
        (4, "2023年投资完成情况/年度计划投资")
    );
    assert_eq!(col("code").header, "项目代码");
    assert_eq!(
        rows(&pf).into_iter().map(fig).collect::<Vec<_>>(),
        (0..4).map(want).collect::<Vec<_>>()
    );
    assert_eq!(pf.unit_id.as_deref(), Some(nc()[0].unit_id.as_str()));
    assert_eq!(pf.filled_on.as_deref(), Some("2023年8月3日"));
    assert_eq!(
        pf.declared_period,
        Some(YearMonth {
            year: 2023,
            month: 7
        })
    );
}

#[test]
fn ingest_edge_header_noise_is_removed() {
    let mut sh = flat_sheet();
    sh.rows[3] = [
        "序　号",
        "项目代码",
        "项目　名称",
        "总投资\n（万元）",
        "年度计划投资        (万元)",
        "本月完成投资（万元）",
        "1-  月累计完成投资（万元）",
        "建设 　状态",
        "实际开工时间",
    ]
    .iter()
    .map(|h| s(h))
    .collect();
    // Without the 单位 line: every unit comes from the header itself.
    sh.rows[2] = vec![];
    let pf = parse(NC_FILE, &xlsx(&[sh]));
    assert!(all_findings(&pf).is_empty(), "{}", dump(&pf));
    let t = &pf.tables[0];
    let mapped: Vec<(&str, u32)> = t
        .columns
        .iter()
        .map(|c| (c.field.as_str(), c.col))
        .collect();
    assert_eq!(
        mapped,
        vec![
            ("seq", 0),
            ("code", 1),
            ("name", 2),
            ("total_investment", 3),
            ("annual_plan", 4),
            ("month_done", 5),
            ("ytd_done", 6),
            ("status", 7),
            ("start_date", 8),
        ]
    );
    for c in &t.columns[3..7] {
        assert_eq!(c.unit, Some(MoneyUnit::Wan), "{c:?}");
    }
    assert_eq!(
        rows(&pf).into_iter().map(fig).collect::<Vec<_>>(),
        (0..4).map(want).collect::<Vec<_>>()
    );
}

/// A flat ledger with `unit_line` in row 3 and `headers` for the four money columns,
/// its money cells all written as `value` (in whatever unit the column is).
fn unit_ledger(unit_line: Option<&str>, headers: [&str; 4], value: f64) -> Sheet {
    let mut sh = flat_sheet();
    sh.rows[2] = unit_line.map(|u| vec![s(u)]).unwrap_or_default();
    for (k, h) in headers.iter().enumerate() {
        sh.rows[3][TOTAL + k] = s(h);
    }
    for row in sh.rows.iter_mut().skip(4) {
        for v in &mut row[TOTAL..=YTD] {
            *v = V::N(value);
        }
    }
    sh
}

#[test]
fn ingest_edge_unit_from_header_else_unit_line_else_default() {
    let money = |pf: &ParsedFile| -> Vec<(Option<MoneyUnit>, Option<i64>)> {
        let t = &pf.tables[0];
        let r = &t.rows[0];
        let v = [r.total_investment, r.annual_plan, r.month_done, r.ytd_done];
        t.columns[3..7]
            .iter()
            .zip(v)
            .map(|(c, v)| (c.unit, v))
            .collect()
    };
    let (yuan, wan_, yi) = (
        Some(MoneyUnit::Yuan),
        Some(MoneyUnit::Wan),
        Some(MoneyUnit::Yi),
    );
    // Header units win over the 单位 line; unmarked columns take the line.
    let a = parse(
        NC_FILE,
        &xlsx(&[unit_ledger(
            Some("单位：亿元"),
            [
                "总投资(万元)",
                "年度计划投资（元）",
                "本月完成投资",
                "1-7月累计完成投资",
            ],
            1.5,
        )]),
    );
    assert_eq!(
        money(&a),
        vec![
            (wan_, Some(15_000)),
            (yuan, Some(2)),
            (yi, Some(150_000_000)),
            (yi, Some(150_000_000))
        ]
    );
    // 计量单位 line, written with spaces and a half-width colon.
    let b = parse(
        NC_FILE,
        &xlsx(&[unit_ledger(
            Some("计量单位: 元"),
            [
                "总投资",
                "年度计划投资",
                "本月完成投资",
                "1-7月累计完成投资",
            ],
            1.5,
        )]),
    );
    assert_eq!(money(&b), vec![(yuan, Some(2)); 4]);
    // Neither: the pipeline's default_unit (万元).
    let c = parse(
        NC_FILE,
        &xlsx(&[unit_ledger(
            None,
            [
                "总投资",
                "年度计划投资",
                "本月完成投资",
                "1-7月累计完成投资",
            ],
            1.5,
        )]),
    );
    assert_eq!(money(&c), vec![(wan_, Some(15_000)); 4]);
}

#[test]
fn ingest_edge_one_sheet_mixing_yi_and_wan_columns() {
    let mut sh = flat_sheet();
    sh.rows[3][TOTAL] = s("总投资（亿元）");
    // 总投资 in 亿元 with four decimals; the others in 万元 per the 单位 line.
    let totals = [123_456_789_000i64, 1_000_000, 250_000_000, 99_990_000];
    for (k, t) in totals.iter().enumerate() {
        sh.rows[FLAT_FIRST as usize + k][TOTAL] = V::N(*t as f64 / 100_000_000.0);
    }
    let pf = parse(NC_FILE, &xlsx(&[sh]));
    let t = &pf.tables[0];
    let unit = |k: &str| t.columns.iter().find(|c| c.field == k).unwrap().unit;
    assert_eq!(unit("total_investment"), Some(MoneyUnit::Yi));
    assert_eq!(unit("annual_plan"), Some(MoneyUnit::Wan));
    assert_eq!(unit("ytd_done"), Some(MoneyUnit::Wan));
    let got: Vec<(Option<i64>, Option<i64>, Option<i64>)> = t
        .rows
        .iter()
        .map(|r| (r.total_investment, r.annual_plan, r.ytd_done))
        .collect();
    let want: Vec<(Option<i64>, Option<i64>, Option<i64>)> = (0..4)
        .map(|k| (Some(totals[k]), Some(nc()[k].annual_plan), Some(ytd_of(k))))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn ingest_edge_field_matched_by_two_columns_e102_names_both_reads_first() {
    let mut sh = flat_sheet();
    sh.rows[3].push(s("本年累计完成投资"));
    for row in sh.rows.iter_mut().skip(FLAT_FIRST as usize) {
        row.push(V::N(1.0));
    }
    let pf = parse(NC_FILE, &xlsx(&[sh]));
    let e: Vec<&Finding> = all_findings(&pf)
        .into_iter()
        .filter(|f| f.id == "E102")
        .collect();
    assert_eq!(e.len(), 1, "{}", dump(&pf));
    assert_eq!((e[0].sheet.as_str(), e[0].cell.as_str()), ("调度表", "G4"));
    assert!(
        e[0].message.contains("第 G 列和第 J 列"),
        "{}",
        e[0].message
    );
    assert_eq!(e[0].severity, Severity::Error);
    // The first column is the one read.
    assert_eq!(
        rows(&pf).iter().map(|r| r.ytd_done).collect::<Vec<_>>(),
        (0..4).map(|k| Some(ytd_of(k))).collect::<Vec<_>>()
    );
}

// ================================================================ 4. values

/// Project 0's row with `v` in column `col` (all else as in [`data_row`]).
fn with_cell(col: usize, v: V) -> Vec<V> {
    let mut r = data_row(0);
    r[col] = v;
    r
}

fn value_sheet(data: Vec<Vec<V>>) -> Sheet {
    let mut sh = flat_sheet();
    sh.rows.truncate(FLAT_FIRST as usize);
    sh.rows.extend(data);
    sh
}

/// Findings of a row as (id, cell).
fn ids(r: &LedgerRow) -> Vec<(String, String)> {
    r.findings
        .iter()
        .map(|f| (f.id.clone(), f.cell.clone()))
        .collect()
}

#[test]
fn ingest_edge_numbers_typed_as_text() {
    let cases: Vec<(&str, Option<i64>, Option<&str>)> = vec![
        // (text in 1-7月累计完成投资, 元 read, finding)
        ("1,234.50", Some(12_345_000), None),
        ("１２３４", Some(12_340_000), None),
        ("１，２３４．５", Some(12_345_000), None),
        ("1234万元", Some(12_340_000), Some("W210")),
        ("1.2亿", Some(120_000_000), Some("W210")),
        (" 56 ", Some(560_000), None),
        ("\u{3000}56\u{3000}", Some(560_000), None),
        ("0.0001", Some(1), None),
        ("(12.5)", None, Some("E207")),
    ];
    let sh = value_sheet(cases.iter().map(|c| with_cell(YTD, s(c.0))).collect());
    let pf = parse(NC_FILE, &xlsx(&[sh]));
    let rs = rows(&pf);
    assert_eq!(rs.len(), cases.len());
    for (k, (text, yuan, id)) in cases.iter().enumerate() {
        let r = rs[k];
        let cell = format!("G{}", FLAT_FIRST + 1 + k as u32);
        assert_eq!(r.ytd_done, *yuan, "{text:?}");
        let want: Vec<(String, String)> =
            id.iter().map(|i| (i.to_string(), cell.clone())).collect();
        assert_eq!(ids(r), want, "{text:?}");
        if let Some(f) = r.findings.first() {
            assert_eq!(f.value, *text, "{text:?}");
        }
    }
    // W210 says what it was read as.
    let w = &rs[4].findings[0];
    assert!(w.message.contains("12,000.00万元"), "{}", w.message);
}

#[test]
fn ingest_edge_null_markers_and_lone_spaces_are_empty() {
    let markers = ["-", "—", "/", "无", " ", "\u{3000}", "——", "－"];
    // In 本月完成投资: empty, no finding (the row keeps its cumulative figure).
    let sh = value_sheet(markers.iter().map(|m| with_cell(MONTH, s(m))).collect());
    let pf = parse(NC_FILE, &xlsx(&[sh]));
    let rs = rows(&pf);
    assert_eq!(rs.len(), markers.len(), "{:?}", pf.tables[0].skipped);
    for (k, m) in markers.iter().enumerate() {
        assert_eq!(
            (rs[k].month_done, rs[k].ytd_done),
            (None, Some(ytd_of(0))),
            "{m:?}"
        );
        assert!(rs[k].findings.is_empty(), "{m:?}: {:?}", ids(rs[k]));
    }
    // A row whose cells are all lone spaces is a blank row, not data.
    let mut sh = value_sheet(vec![data_row(0), vec![s(" "); 9], data_row(1)]);
    sh.rows[FLAT_FIRST as usize + 1][2] = s("\u{3000}");
    let pf = parse(NC_FILE, &xlsx(&[sh]));
    let t = &pf.tables[0];
    assert_eq!(t.rows.len(), 2);
    assert_eq!(
        t.skipped,
        vec![(FLAT_FIRST + 1, taizhang::model::SkipReason::Blank)]
    );
}

#[test]
fn ingest_edge_start_dates_in_every_form() {
    let ym = |y, m| Some(YearMonth { year: y, month: m });
    let cases: Vec<(V, Option<YearMonth>)> = vec![
        (V::D(45_108.0), ym(2023, 7)), // date cell 2023-07-01
        (V::D(45_077.5), ym(2023, 5)), // 2023-05-31 12:00
        (V::N(45_108.0), ym(2023, 7)), // serial without a date format
        (s("2023.7"), ym(2023, 7)),
        (V::N(2023.7), ym(2023, 7)), // typed as a number
        (s("2023.07"), ym(2023, 7)),
        (s("2023年7月"), ym(2023, 7)),
        (s("2023-07-15"), ym(2023, 7)),
        (s("2023/7"), ym(2023, 7)),
        (s("202307"), ym(2023, 7)),
        (V::N(202_307.0), ym(2023, 7)), // typed as a number
        (s("2023年7月15日"), ym(2023, 7)),
        (s("２０２３年７月"), ym(2023, 7)),
        (s("-"), None),
    ];
    let sh = value_sheet(
        cases
            .iter()
            .map(|c| with_cell(START, c.0.clone()))
            .collect(),
    );
    let pf = parse(NC_FILE, &xlsx(&[sh]));
    let rs = rows(&pf);
    for (k, (v, want)) in cases.iter().enumerate() {
        assert_eq!(rs[k].start_date, *want, "{v:?}");
        assert!(rs[k].findings.is_empty(), "{v:?}: {:?}", ids(rs[k]));
    }
}

#[test]
fn ingest_edge_start_dates_1904_epoch() {
    // 1904 epoch: serial 43 646 is 2023-07-01 (1462 days fewer than in 1900).
    let sh = value_sheet(vec![
        with_cell(START, V::D(43_646.0)),
        with_cell(START, V::D(43_615.0)),
    ]);
    let bytes = patch_zip(&xlsx(&[sh]), |name, xml| {
        if name == "xl/workbook.xml" {
            assert!(xml.contains("<workbookPr"), "{xml}");
            xml.replacen("<workbookPr", "<workbookPr date1904=\"1\"", 1)
        } else {
            xml
        }
    });
    let raw = ingest::read(FileFormat::Xlsx, &bytes).unwrap();
    assert!(raw.is_1904);
    let pf = parse(NC_FILE, &bytes);
    let rs = rows(&pf);
    assert_eq!(
        (rs[0].start_date, rs[1].start_date),
        (
            Some(YearMonth {
                year: 2023,
                month: 7
            }),
            Some(YearMonth {
                year: 2023,
                month: 5
            })
        )
    );
}

#[test]
fn ingest_edge_formula_with_cached_value_is_used() {
    let cached = with_cell(
        YTD,
        V::F("=123.45*70".to_string(), Some("8641.5".to_string())),
    );
    let pf = parse(NC_FILE, &xlsx(&[value_sheet(vec![cached])]));
    let r = rows(&pf)[0];
    assert_eq!(r.ytd_done, Some(86_415_000));
    assert!(r.findings.is_empty(), "{:?}", ids(r));
}

#[test]
fn ingest_edge_error_cells_are_findings_at_their_address() {
    let sh = value_sheet(vec![
        with_cell(YTD, V::F("=#REF!+1".to_string(), Some("#REF!".to_string()))),
        with_cell(TOTAL, V::F("=1/0".to_string(), Some("#DIV/0!".to_string()))),
        with_cell(MONTH, V::F("=NA()".to_string(), Some("#N/A".to_string()))),
    ]);
    let pf = parse(NC_FILE, &xlsx(&[sh]));
    let rs = rows(&pf);
    let want = [
        ("#REF!", format!("G{}", FLAT_FIRST + 1)),
        ("#DIV/0!", format!("D{}", FLAT_FIRST + 2)),
        ("#N/A", format!("F{}", FLAT_FIRST + 3)),
    ];
    for (k, (e, cell)) in want.iter().enumerate() {
        assert_eq!(ids(rs[k]), vec![("E212".to_string(), cell.clone())], "{e}");
        assert_eq!(rs[k].findings[0].value, *e);
        assert!(rs[k].is_rejected());
    }
}

#[test]
fn ingest_edge_formula_without_cached_value_is_e212_at_its_cell() {
    let sh = value_sheet(vec![
        with_cell(MONTH, V::F("=SUM(H1:H2)".to_string(), None)),
        data_row(1),
    ]);
    let pf = parse(NC_FILE, &xlsx(&[sh]));
    let rs = rows(&pf);
    assert_eq!(rs.len(), 2);
    assert_eq!(
        ids(rs[0]),
        vec![("E212".to_string(), format!("F{}", FLAT_FIRST + 1))],
        "{}",
        dump(&pf)
    );
    assert!(rs[1].findings.is_empty());
}

#[test]
fn ingest_edge_marked_names_still_match_the_library() {
    let p = nc();
    let mut sh = base_sheet(&[0, 1, 2, 3]);
    // With its code: ★ prefix plus a trailing （南平段）.
    let marked = format!("★{}（南平段）", p[1].name);
    sh.rows[FIRST as usize + 1][NAME] = s(&marked);
    // Without a code: ★ prefix plus a section suffix, matched by the loose name.
    let marked2 = format!("★{}(一期)", p[2].name);
    sh.rows[FIRST as usize + 2][CODE] = V::Blank;
    sh.rows[FIRST as usize + 2][NAME] = s(&marked2);
    let r = run(&[(NC_FILE, xlsx(&[sh]))]);
    let w202 = r.of("W202");
    assert_eq!(w202.len(), 1, "{}", r.dump());
    assert_eq!(w202[0].cell, format!("C{}", FIRST + 2));
    assert_eq!(w202[0].expected, p[1].name);
    assert!(
        w202[0].value.starts_with('★') && w202[0].value.contains("南平段"),
        "{}",
        w202[0].value
    );
    assert!(
        w202[0].message.contains("名称带有标记或后缀"),
        "{}",
        w202[0].message
    );
    let w213 = r.of("W213");
    assert_eq!(w213.len(), 1, "{}", r.dump());
    assert_eq!(
        (w213[0].cell.as_str(), w213[0].expected.as_str()),
        (format!("B{}", FIRST + 3).as_str(), p[2].code.as_str())
    );
    assert!(
        w213[0].message.contains("去除标记和后缀"),
        "{}",
        w213[0].message
    );
    assert_eq!(r.input(NC_FILE)["accepted"], 4);
    for (k, q) in p.iter().enumerate().take(3).skip(1) {
        let rec = r.record(&q.code);
        assert_eq!((rec.reported, rec.ytd_done), (true, ytd_of(k)));
        assert_eq!(rec.name, q.name);
    }
}

#[test]
fn ingest_edge_marked_name_finding_shows_the_name_as_typed() {
    let p = nc();
    let mut sh = base_sheet(&[0, 1, 2, 3]);
    let marked = format!("★{}（南平段）", p[1].name);
    sh.rows[FIRST as usize + 1][NAME] = s(&marked);
    let r = run(&[(NC_FILE, xlsx(&[sh]))]);
    let w202 = r.of("W202");
    assert_eq!(w202.len(), 1, "{}", r.dump());
    assert_eq!(w202[0].value, marked);
}

// ================================================================ 5. totals and groups

fn label_row(cells: &[(usize, V)]) -> Vec<V> {
    let mut row = vec![V::Blank; 9];
    for (c, v) in cells {
        row[*c] = v.clone();
    }
    row
}

#[test]
fn ingest_edge_totals_groups_and_footers_are_skipped_with_their_reason() {
    let sum: i64 = (0..4).map(ytd_of).sum();
    let plan: i64 = nc().iter().map(|p| p.annual_plan).sum();
    let mut sh = base_sheet(&[]);
    let body = vec![
        // 合计 right under the header, with the right figures.
        label_row(&[(SEQ, s("合计")), (PLAN, wan(plan)), (YTD, wan(sum))]),
        label_row(&[(SEQ, s("一、信息基础设施（48项）"))]),
        label_row(&[(NAME, s("（一）在建（11项）"))]),
        data_row(0),
        data_row(1),
        label_row(&[
            (SEQ, s("南昌县合计14个")),
            (YTD, wan(ytd_of(0) + ytd_of(1))),
        ]),
        label_row(&[]),
        data_row(2),
        label_row(&[(SEQ, s("合 计")), (YTD, wan(sum))]),
        data_row(3),
        label_row(&[(SEQ, s("总计")), (CODE, s("131个"))]),
        label_row(&[(SEQ, s("备注：项目性质是指新开工或续建，金额单位为万元。"))]),
        label_row(&[(
            SEQ,
            s("填报人：张三    联系电话：0791-86888888    审核人：李四"),
        )]),
    ];
    sh.rows.extend(body);
    let r = run(&[(NC_FILE, xlsx(&[sh]))]);
    let reasons = r.accounting(NC_FILE);
    let want: BTreeMap<String, u64> = [("合计", 4), ("分组", 2), ("footer", 2), ("blank", 1)]
        .iter()
        .map(|(k, n)| (k.to_string(), *n))
        .collect();
    assert_eq!(reasons, want);
    let i = r.input(NC_FILE);
    assert_eq!(
        (
            i["rows_read"].as_u64(),
            i["accepted"].as_u64(),
            i["rejected"].as_u64()
        ),
        (Some(13), Some(4), Some(0)),
        "{}",
        r.dump()
    );
    assert!(r.of("W214").is_empty(), "{}", r.dump());
    assert_eq!(r.manifest["totals"]["ytd_done_yuan"], sum);
    let bad: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.file == NC_FILE && f.id != "W402")
        .collect();
    assert!(bad.is_empty(), "{}", r.dump());
}

#[test]
fn ingest_edge_total_row_mismatch_w214_names_both_figures() {
    let sum: i64 = (0..4).map(ytd_of).sum();
    let stated = sum + 12_345_600;
    let mut sh = base_sheet(&[]);
    sh.rows
        .push(label_row(&[(NAME, s("合计（4项）")), (YTD, wan(stated))]));
    sh.rows.extend((0..4).map(data_row));
    let pf = parse(NC_FILE, &xlsx(&[sh]));
    let message = one_w214(&pf, FIRST, stated, sum);
    let (a, b) = (
        taizhang::parse::fmt_wan(stated),
        taizhang::parse::fmt_wan(sum),
    );
    assert!(message.contains(&a) && message.contains(&b), "{message}");
    assert_eq!(
        rows(&pf).iter().map(|r| r.ytd_done).collect::<Vec<_>>(),
        (0..4).map(|k| Some(ytd_of(k))).collect::<Vec<_>>()
    );
    assert_eq!(
        pf.tables[0].skipped,
        vec![(FIRST, taizhang::model::SkipReason::Total)]
    );
}

/// The one W214 of a parsed file, asserted at `row` (0-based sheet row) of the
/// 累计 column G with the stated and the recomputed figure (元); its message.
fn one_w214(pf: &ParsedFile, row: u32, stated: i64, sum: i64) -> String {
    let w: Vec<&Finding> = all_findings(pf)
        .into_iter()
        .filter(|f| f.id == "W214")
        .collect();
    assert_eq!(w.len(), 1, "{}", dump(pf));
    let at = (w[0].sheet.as_str(), w[0].cell.as_str());
    assert_eq!(
        at,
        ("调度表", format!("G{}", row + 1).as_str()),
        "{}",
        dump(pf)
    );
    let (a, b) = (
        taizhang::parse::fmt_wan(stated),
        taizhang::parse::fmt_wan(sum),
    );
    assert_eq!(
        (w[0].value.as_str(), w[0].expected.as_str()),
        (a.as_str(), b.as_str())
    );
    w[0].message.clone()
}

#[test]
fn ingest_edge_subtotal_checked_against_the_rows_since_the_last_total() {
    let (a, b) = (ytd_of(0) + ytd_of(1), ytd_of(2) + ytd_of(3));
    let wrong = a + 3_000_000; // 300 万元 too much
    let mut sh = base_sheet(&[]);
    sh.rows.extend(vec![
        label_row(&[(SEQ, s("（一）南昌县"))]),
        data_row(0),
        data_row(1),
        label_row(&[(NAME, s("南昌县小计")), (YTD, wan(wrong))]),
        label_row(&[(SEQ, s("（二）进贤县"))]),
        data_row(2),
        data_row(3),
        label_row(&[(NAME, s("进贤县合计2个")), (YTD, wan(b))]),
        label_row(&[(SEQ, s("合计")), (YTD, wan(a + b))]),
    ]);
    let pf = parse(NC_FILE, &xlsx(&[sh]));
    // Only the wrong subtotal, 南昌县小计.
    let message = one_w214(&pf, FIRST + 3, wrong, a);
    assert!(
        message.contains("南昌县小计") && message.contains("所辖 2 行明细之和"),
        "{message}"
    );
    // The four projects are still read, the three total rows and two headings skipped.
    assert_eq!(rows(&pf).len(), 4);
}

#[test]
fn ingest_edge_numbered_heading_with_figures_checked_against_its_group() {
    let (a, b) = (ytd_of(0) + ytd_of(1), ytd_of(2) + ytd_of(3));
    let wrong = b - 1_234_500;
    let mut sh = base_sheet(&[]);
    sh.rows.extend(vec![
        label_row(&[(SEQ, s("合计")), (YTD, wan(a + b))]),
        label_row(&[(SEQ, s("一、续建项目（2项）")), (YTD, wan(a))]),
        label_row(&[(SEQ, s("（一）信息基础设施")), (YTD, wan(a))]),
        data_row(0),
        data_row(1),
        label_row(&[(SEQ, s("二、新开工项目（2项）")), (YTD, wan(wrong))]),
        data_row(2),
        data_row(3),
        // 其中 is a breakdown, never summed.
        label_row(&[(SEQ, s("其中：5G基站")), (YTD, wan(1))]),
    ]);
    let pf = parse(NC_FILE, &xlsx(&[sh]));
    let message = one_w214(&pf, FIRST + 5, wrong, b);
    assert!(message.contains("二、新开工项目"), "{message}");
}

#[test]
fn ingest_edge_leading_subtotals_cover_the_rows_below_them() {
    let (a, b) = (ytd_of(0) + ytd_of(1), ytd_of(2) + ytd_of(3));
    let wrong = b + 10_000; // 1 万元 off
    let mut sh = base_sheet(&[]);
    sh.rows.extend(vec![
        label_row(&[(SEQ, s("合计")), (YTD, wan(a + b))]),
        label_row(&[(SEQ, s("南昌县合计2个")), (YTD, wan(a))]),
        data_row(0),
        data_row(1),
        label_row(&[(SEQ, s("进贤县合计2个")), (YTD, wan(wrong))]),
        data_row(2),
        data_row(3),
    ]);
    let pf = parse(NC_FILE, &xlsx(&[sh]));
    one_w214(&pf, FIRST + 4, wrong, b);
}

#[test]
fn ingest_edge_subtotal_whose_stated_count_the_rows_do_not_bear_out_is_not_checked() {
    let mut sh = base_sheet(&[]);
    sh.rows.extend(vec![
        data_row(0),
        data_row(1),
        // Says 3 projects, closes 2 rows: the span is not what it assumes.
        label_row(&[(NAME, s("南昌县小计（3项）")), (YTD, wan(1))]),
        data_row(2),
        data_row(3),
        label_row(&[(NAME, s("进贤县小计（2项）")), (YTD, wan(2))]),
    ]);
    let pf = parse(NC_FILE, &xlsx(&[sh]));
    // Only 进贤县 (2 rows, as stated) is checked, and it is wrong.
    one_w214(&pf, FIRST + 5, 2, ytd_of(2) + ytd_of(3));
}

/// Layouts where a subtotal must not be mistaken (review findings): a group
/// without its own 小计 before a closing 小计, a 其中 row inside a leading
/// subtotal's group, a `其中…合计` breakdown under the 合计.
#[test]
fn ingest_edge_subtotals_in_mixed_layouts_raise_nothing_when_right() {
    let ytd = |ks: &[usize]| -> i64 { ks.iter().map(|&k| ytd_of(k)).sum() };
    let all = ytd(&[0, 1, 2, 3]);
    let layouts: Vec<(&str, Vec<Vec<V>>)> = vec![
        (
            "closing 小计 after a group without one",
            vec![
                label_row(&[(SEQ, s("一、省直单位"))]),
                data_row(0),
                label_row(&[(SEQ, s("二、南昌市"))]),
                data_row(1),
                data_row(2),
                data_row(3),
                label_row(&[(NAME, s("小计")), (YTD, wan(ytd(&[1, 2, 3])))]),
                label_row(&[(SEQ, s("合计")), (YTD, wan(all))]),
            ],
        ),
        (
            "其中 inside a leading subtotal's group",
            vec![
                label_row(&[(SEQ, s("合计")), (YTD, wan(all))]),
                label_row(&[(NAME, s("南昌县小计")), (YTD, wan(ytd(&[0, 1, 2])))]),
                data_row(0),
                label_row(&[(NAME, s("其中：新开工项目"))]),
                data_row(1),
                data_row(2),
                label_row(&[(NAME, s("进贤县小计")), (YTD, wan(ytd(&[3])))]),
                data_row(3),
            ],
        ),
        (
            "其中…合计 breakdown under the 合计",
            vec![
                label_row(&[(SEQ, s("合计")), (YTD, wan(all))]),
                label_row(&[(NAME, s("其中：新开工项目合计")), (YTD, wan(ytd(&[1])))]),
                data_row(0),
                data_row(1),
                data_row(2),
                data_row(3),
            ],
        ),
    ];
    for (what, body) in layouts {
        let mut sh = base_sheet(&[]);
        sh.rows.extend(body);
        let pf = parse(NC_FILE, &xlsx(&[sh]));
        assert!(
            all_findings(&pf).iter().all(|f| f.id != "W214"),
            "{what}:\n{}",
            dump(&pf)
        );
        assert_eq!(rows(&pf).len(), 4, "{what}");
    }
    // The first layout with a wrong 小计: reported against the rows of its heading.
    let wrong = ytd(&[1, 2, 3]) + 5_000_000;
    let mut sh = base_sheet(&[]);
    sh.rows.extend(vec![
        label_row(&[(SEQ, s("一、省直单位"))]),
        data_row(0),
        label_row(&[(SEQ, s("二、南昌市"))]),
        data_row(1),
        data_row(2),
        data_row(3),
        label_row(&[(NAME, s("小计")), (YTD, wan(wrong))]),
    ]);
    let pf = parse(NC_FILE, &xlsx(&[sh]));
    one_w214(&pf, FIRST + 6, wrong, ytd(&[1, 2, 3]));
}
