//! The unit's own number formats (`#,##0.00`, `0.0000`, `yyyy"年"m"月"`) of an
//! xlsx / xlsm, captured while the workbook is read, so the feedback workbook
//! can show the unit's numbers as the unit saw them (calamine only says
//! whether a format is a date). `xl/styles.xml` gives the format code of each
//! cell style (`numFmts` and `cellXfs`), once per workbook; each sheet's XML,
//! already inflated for [`super::scan_sheet_xml`], gives its number cells'
//! `s=` attributes, scanned with memchr (no XML parser).
//!
//! Kept as runs down a column ([`FormatRun`]): a ledger's money column is one
//! run however many rows it has. Bounded: at most [`MAX_RUNS`] runs per
//! workbook, [`MAX_CUSTOM`] custom codes, [`MAX_XFS`] cell styles. Anything
//! unexpected (cells out of order, a position past the sheet's limits, more
//! runs than allowed) gives the sheet no formats — the copy then shows its
//! numbers in General — never an error.

use memchr::memmem;
use std::collections::HashMap;
use std::sync::Arc;

use crate::model::{CellFormats, FormatRun};

/// Runs kept per workbook, at most.
pub(super) const MAX_RUNS: usize = 4_000_000;
/// Custom formats (`numFmt`) read from a styles part, at most.
const MAX_CUSTOM: usize = 10_000;
/// Cell styles (`cellXfs/xf`) read from a styles part, at most.
const MAX_XFS: usize = 100_000;

/// The workbook's format codes and, per cell style (`cellXfs` index), the
/// index of its code (none for General).
#[derive(Debug, Default)]
pub(super) struct StyleCodes {
    codes: Arc<[String]>,
    xf_code: Vec<Option<u16>>,
}

impl StyleCodes {
    /// From the bytes of `xl/styles.xml`.
    pub(super) fn parse(xml: &[u8]) -> StyleCodes {
        let mut custom: HashMap<u32, String> = HashMap::new();
        for (_, el) in tags(xml, "numFmt").take(MAX_CUSTOM) {
            let id = attr(el, b"numFmtId").and_then(number);
            if let (Some(id), Some(code)) = (id, attr(el, b"formatCode")) {
                custom.insert(id, unescape(code));
            }
        }
        let mut codes: Vec<String> = Vec::new();
        let mut index: HashMap<String, u16> = HashMap::new();
        let xf_code = cell_xfs(xml)
            .map(|id| {
                let code = custom.get(&id).map(String::as_str).or(builtin(id))?;
                if code.eq_ignore_ascii_case("general") {
                    return None;
                }
                if let Some(&i) = index.get(code) {
                    return Some(i);
                }
                let i = u16::try_from(codes.len()).ok()?;
                codes.push(code.to_string());
                index.insert(code.to_string(), i);
                Some(i)
            })
            .collect();
        StyleCodes {
            codes: codes.into(),
            xf_code,
        }
    }

    /// Whether any cell style has a format other than General.
    fn any(&self) -> bool {
        self.xf_code.iter().any(Option::is_some)
    }
}

/// The `numFmtId` of each `xf` of `cellXfs` (not of `cellStyleXfs`), in order.
fn cell_xfs(xml: &[u8]) -> impl Iterator<Item = u32> + '_ {
    let section = tags(xml, "cellXfs")
        .next()
        .filter(|(_, attrs)| !attrs.ends_with(b"/"))
        .map_or(&[][..], |(after, _)| {
            let rest = &xml[after..];
            let end = memmem::find(rest, b"cellXfs>").unwrap_or(rest.len());
            &rest[..end]
        });
    tags(section, "xf")
        .take(MAX_XFS)
        .map(|(_, el)| attr(el, b"numFmtId").and_then(number).unwrap_or(0))
}

/// The start (or empty) tags `<name …>` (also `<x:name …>`) of an XML text:
/// the index just past each tag's `>` and its attribute text (between the
/// name and the `>`, a trailing `/` included).
fn tags<'x>(xml: &'x [u8], name: &str) -> impl Iterator<Item = (usize, &'x [u8])> + 'x {
    let finder = memmem::Finder::new(name.as_bytes()).into_owned();
    let mut from = 0;
    std::iter::from_fn(move || loop {
        let i = from + finder.find(&xml[from..])?;
        from = i + finder.needle().len();
        let ends = matches!(
            xml.get(from),
            Some(b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/')
        );
        if !ends || !opens_tag(xml, i) {
            continue;
        }
        let end = memchr::memchr(b'>', &xml[from..]).map_or(xml.len(), |e| from + e);
        return Some(((end + 1).min(xml.len()), &xml[from..end]));
    })
}

/// Whether the name at `i` follows `<`, or `<prefix:` (not `</`).
fn opens_tag(xml: &[u8], i: usize) -> bool {
    match i.checked_sub(1).map(|b| xml[b]) {
        Some(b'<') => true,
        Some(b':') => {
            let prefix = xml[..i - 1]
                .iter()
                .rev()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
                .count();
            let lt = (i - 1).checked_sub(prefix + 1);
            prefix > 0 && lt.is_some_and(|lt| xml[lt] == b'<')
        }
        _ => false,
    }
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

/// The formats of one sheet's number cells, from its XML; `room` is what is
/// left of the workbook's [`MAX_RUNS`], reduced by what this sheet keeps.
pub(super) fn sheet_formats(xml: &[u8], styles: &StyleCodes, room: &mut usize) -> CellFormats {
    if !styles.any() {
        return CellFormats::default();
    }
    match runs(xml, &styles.xf_code, *room) {
        Some(runs) if !runs.is_empty() => {
            *room -= runs.len();
            CellFormats {
                codes: styles.codes.clone(),
                runs,
            }
        }
        _ => CellFormats::default(),
    }
}

/// A run still growing down its column.
#[derive(Clone, Copy)]
struct Open {
    first_row: u32,
    last_row: u32,
    code: u16,
}

/// The runs of a sheet's number cells with a format, sorted by (column, first
/// row); `None` when the cells are not in order, a position is out of range,
/// or there are more than `room` runs.
fn runs(xml: &[u8], xf_code: &[Option<u16>], room: usize) -> Option<Vec<FormatRun>> {
    let mut acc = Runs::new(xf_code, room);
    if !scan_plain(xml, &mut acc)? {
        // Prefixed tags or cells without `r`: every tag is looked at.
        acc = Runs::new(xf_code, room);
        scan_tags(xml, &mut acc)?;
    }
    acc.finish()
}

/// The runs as the cells come, in order.
struct Runs<'s> {
    xf_code: &'s [Option<u16>],
    room: usize,
    open: Vec<Option<Open>>,
    runs: Vec<FormatRun>,
    last: Option<(u32, u32)>,
}

/// What a cell tag says.
#[derive(Default)]
struct CellTag<'x> {
    at: Option<&'x [u8]>,
    style: Option<&'x [u8]>,
    kind: Option<&'x [u8]>,
    /// `<c …/>`: no value.
    empty: bool,
}

impl<'x> CellTag<'x> {
    /// From the attribute text of a `<c …>` tag.
    fn of(attrs: &'x [u8]) -> Option<CellTag<'x>> {
        let mut t = CellTag {
            empty: attrs.ends_with(b"/"),
            ..CellTag::default()
        };
        each_attr(attrs, |k, v| match k {
            b"r" => t.at = Some(v),
            b"s" => t.style = Some(v),
            b"t" => t.kind = Some(v),
            _ => {}
        })?;
        Some(t)
    }
}

impl<'s> Runs<'s> {
    fn new(xf_code: &'s [Option<u16>], room: usize) -> Runs<'s> {
        Runs {
            xf_code,
            room,
            open: Vec::new(),
            runs: Vec::new(),
            last: None,
        }
    }

    /// The cell at (r, c); `None` when out of order or out of range.
    fn cell(&mut self, (r, c): (u32, u32), tag: &CellTag<'_>) -> Option<()> {
        if r >= super::MAX_SHEET_ROWS || c >= super::MAX_SHEET_COLS || self.last >= Some((r, c)) {
            return None;
        }
        self.last = Some((r, c));
        // Only cells calamine reads as numbers (or dates) are ever looked up:
        // no value (`<c …/>`) or another type (`t="s"`, `"str"`, `"b"` …) is skipped.
        if tag.empty || tag.kind.is_some_and(|t| t != b"n") {
            return Some(());
        }
        let style = tag.style.map_or(Some(0), number)?;
        let code = self.xf_code.get(style as usize).copied().flatten();
        let col = c as usize;
        if self.open.len() <= col {
            self.open.resize(col + 1, None);
        }
        match (self.open[col], code) {
            (Some(o), Some(k)) if o.code == k => self.open[col] = Some(Open { last_row: r, ..o }),
            (was, _) => {
                if let Some(o) = was {
                    self.close(col, o)?;
                }
                self.open[col] = code.map(|code| Open {
                    first_row: r,
                    last_row: r,
                    code,
                });
            }
        }
        Some(())
    }

    fn close(&mut self, col: usize, o: Open) -> Option<()> {
        if self.runs.len() >= self.room {
            return None;
        }
        self.runs.push(FormatRun {
            col: col as u16,
            first_row: o.first_row,
            last_row: o.last_row,
            code: o.code,
        });
        Some(())
    }

    fn finish(mut self) -> Option<Vec<FormatRun>> {
        for (col, o) in std::mem::take(&mut self.open).into_iter().enumerate() {
            if let Some(o) = o {
                self.close(col, o)?;
            }
        }
        self.runs.sort_unstable();
        self.runs.shrink_to_fit();
        Some(self.runs)
    }
}

/// The common case, fast: unprefixed `<c r="…" …>` tags, found by a
/// precompiled search, everything between them skipped. `Some(false)` when
/// the sheet needs [`scan_tags`] (prefixed tags, a cell without `r`).
fn scan_plain(xml: &[u8], acc: &mut Runs<'_>) -> Option<bool> {
    let Some(start) = memmem::find(xml, b"<sheetData") else {
        return Some(memmem::find(xml, b"sheetData").is_none());
    };
    let data = &xml[start..];
    let data = &data[..memmem::find(data, b"</sheetData>").unwrap_or(data.len())];
    for at in memmem::find_iter(data, b"<c") {
        let tag = &data[at + 2..];
        match tag.first() {
            Some(b' ') => {}
            Some(b'\t' | b'\r' | b'\n' | b'>' | b'/') | None => return Some(false),
            _ => continue,
        }
        let end = memchr::memchr(b'>', tag)?;
        let cell = CellTag::of(&tag[..end])?;
        let Some(v) = cell.at else {
            return Some(false);
        };
        acc.cell(a1(v)?, &cell)?;
    }
    Some(true)
}

/// Every tag of the sheet data: rows and cells without `r` follow the
/// previous one, prefixes (`<x:c>`) are allowed.
fn scan_tags(xml: &[u8], acc: &mut Runs<'_>) -> Option<()> {
    let start = memmem::find(xml, b"sheetData")?;
    let xml = &xml[start..];
    let (mut next_row, mut row, mut next_col) = (0u32, 0u32, 0u32);
    for lt in memchr::memchr_iter(b'<', xml) {
        let tag = &xml[lt + 1..];
        let name_len = tag
            .iter()
            .position(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/'))
            .unwrap_or(tag.len());
        let name = &tag[..name_len];
        let local = memchr::memrchr(b':', name).map_or(name, |i| &name[i + 1..]);
        match local {
            b"c" | b"row" => {}
            b"sheetData" if name.first() == Some(&b'/') => break,
            _ => continue,
        }
        let end = memchr::memchr(b'>', tag)?;
        let attrs = &tag[name_len..end];
        if local == b"row" {
            row = match attr(attrs, b"r") {
                Some(r) => number(r)?.checked_sub(1)?,
                None => next_row,
            };
            next_row = row.checked_add(1)?;
            next_col = 0;
            continue;
        }
        let cell = CellTag::of(attrs)?;
        let (r, c) = match cell.at {
            Some(v) => a1(v)?,
            None => (row, next_col),
        };
        acc.cell((r, c), &cell)?;
        (row, next_col) = (r, c + 1);
    }
    Some(())
}

/// Calls `f` with each attribute (name, value) of a start tag's attribute
/// text, in order (double or single quotes, spaces around `=` allowed; values
/// not unescaped); `None` when the text is not attributes. One pass of plain
/// loops: a cell tag is a few dozen bytes, read once per cell.
#[inline]
fn each_attr<'a>(text: &'a [u8], mut f: impl FnMut(&'a [u8], &'a [u8])) -> Option<()> {
    // XML's white space is 0x20, 0x09, 0x0D, 0x0A; any control byte counts here.
    let skip_ws = |rest: &'a [u8]| {
        let n = rest.iter().position(|&b| b > b' ').unwrap_or(rest.len());
        &rest[n..]
    };
    let mut rest = text;
    loop {
        rest = skip_ws(rest);
        match rest.first() {
            None | Some(b'/') => return Some(()),
            _ => {}
        }
        let n = rest
            .iter()
            .position(|&b| b == b'=' || b <= b' ')
            .unwrap_or(rest.len());
        let name = &rest[..n];
        rest = skip_ws(&rest[n..]);
        rest = skip_ws(rest.strip_prefix(b"=")?);
        let (&quote, tail) = rest.split_first()?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let len = tail.iter().position(|&b| b == quote)?;
        f(name, &tail[..len]);
        rest = &tail[len + 1..];
    }
}

/// The value of attribute `key` in a start tag's attribute text.
fn attr<'a>(text: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut found = None;
    each_attr(text, |k, v| {
        if found.is_none() && k == key {
            found = Some(v);
        }
    })?;
    found
}

/// 0-based (row, column) of an A1 reference (`B3`, `xfd1048576`), without
/// allocating; `None` for anything else.
fn a1(v: &[u8]) -> Option<(u32, u32)> {
    let letters = v.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    if !(1..=3).contains(&letters) {
        return None;
    }
    let col = v[..letters].iter().fold(0u32, |c, b| {
        c * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1
    });
    let row = number(&v[letters..])?.checked_sub(1)?;
    Some((row, col - 1))
}

/// A decimal attribute value (`u32`, digits only).
fn number(v: &[u8]) -> Option<u32> {
    if v.is_empty() {
        return None;
    }
    v.iter().try_fold(0u32, |n, &b| {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n.checked_mul(10)?.checked_add(u32::from(d))
    })
}

/// An attribute value with XML's entities and character references resolved
/// (`yyyy&quot;年&quot;m&quot;月&quot;` → `yyyy"年"m"月"`); a reference it
/// cannot resolve is kept as written.
fn unescape(v: &[u8]) -> String {
    let s = String::from_utf8_lossy(v);
    if !s.contains('&') {
        return s.into_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest: &str = &s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(semi) = rest.find(';').filter(|&j| j <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let ch = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "amp" => Some('&'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .map(|h| u32::from_str_radix(h, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const STYLES: &str = r##"<?xml version="1.0"?><styleSheet xmlns="x">
<numFmts count="3"><numFmt numFmtId="164" formatCode="#,##0.00"/><numFmt numFmtId="165" formatCode="yyyy&quot;年&quot;m&quot;月&quot;"/><numFmt numFmtId='166' formatCode='0.0000'/></numFmts>
<cellStyleXfs count="2"><xf numFmtId="164"/><xf numFmtId="4"/></cellStyleXfs>
<cellXfs count="7"><xf numFmtId="0" fontId="0"/><xf numFmtId="164" applyNumberFormat="1"><alignment/></xf><xf numFmtId="165"/><xf numFmtId="4"/><xf fontId="1"/><xf numFmtId = "166"/><xf numFmtId="10"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0"/></cellStyles></styleSheet>"##;

    fn sheet(rows: &str) -> String {
        format!(
            r#"<worksheet><dimension ref="A1:C9"/><sheetData>{rows}</sheetData><mergeCells count="0"/></worksheet>"#
        )
    }

    fn run(col: u16, first_row: u32, last_row: u32, code: u16) -> FormatRun {
        FormatRun {
            col,
            first_row,
            last_row,
            code,
        }
    }

    fn formats(xml: &str) -> CellFormats {
        let mut room = MAX_RUNS;
        sheet_formats(
            xml.as_bytes(),
            &StyleCodes::parse(STYLES.as_bytes()),
            &mut room,
        )
    }

    #[test]
    fn styles_give_each_cell_style_its_code() {
        let s = StyleCodes::parse(STYLES.as_bytes());
        // Distinct codes in first use, General none, built-in 4 and 10 named,
        // entities resolved, cellStyleXfs not counted.
        assert_eq!(
            &*s.codes,
            ["#,##0.00", "yyyy\"年\"m\"月\"", "0.0000", "0.00%"].map(String::from)
        );
        assert_eq!(
            s.xf_code,
            [None, Some(0), Some(1), Some(0), None, Some(2), Some(3)]
        );
        assert!(s.any());
        // No cellXfs, or a styles part that is not XML: no formats at all.
        assert!(!StyleCodes::parse(b"<styleSheet><cellXfs count=\"0\"/></styleSheet>").any());
        assert!(!StyleCodes::parse(b"\x00\xff garbage").any());
    }

    #[test]
    fn runs_down_columns_of_number_cells() {
        let xml = sheet(concat!(
            r#"<row r="1"><c r="A1" s="1" t="s"><v>0</v></c><c r="B1" s="1"/></row>"#,
            r#"<row r="2"><c r="A2" s="1"><v>1.5</v></c><c r="B2" s="2"><v>45000</v></c><c r="C2" s="5"><v>0.1</v></c></row>"#,
            r#"<row r="3"><c r="A3" s="3"><v>2</v></c><c r="B3" s="2"><v>45001</v></c><c r="C3" s="5" t="n"><v>0.2</v></c></row>"#,
            // A General cell breaks B's run; C3's run goes on across a row without C.
            r#"<row r="4"><c r="A4" s="1"><v>3</v></c><c r="B4" s="4"><v>9</v></c></row>"#,
            r#"<row r="5"><c r="A5" s="1"><f>A4</f><v>3</v></c><c r="B5" s="2"><v>7</v></c><c r="C5" s="5"><v>0.3</v></c></row>"#,
            // Text and booleans are never numbers: skipped, even styled.
            r#"<row r="6"><c r="A6" s="6" t="str"><v>x</v></c><c r="B6" s="6" t="b"><v>1</v></c></row>"#,
        ));
        let f = formats(&xml);
        assert_eq!(f.codes.len(), 4);
        // A2..A5 share one code (xf 1 and 3 both "#,##0.00").
        assert_eq!(
            f.runs,
            [
                run(0, 1, 4, 0),
                run(1, 1, 2, 1),
                run(1, 4, 4, 1),
                run(2, 1, 4, 2),
            ]
        );
    }

    #[test]
    fn cells_without_positions_follow_the_previous_one_and_prefixes_are_read() {
        let xml = sheet(concat!(
            r#"<x:row><x:c s="1"><x:v>1</x:v></x:c><x:c s="5"><x:v>2</x:v></x:c></x:row>"#,
            r#"<x:row r="3"><x:c r="B3" s="5"><x:v>3</x:v></x:c><x:c s="2"><x:v>4</x:v></x:c></x:row>"#,
        ))
        .replace("sheetData>", "x:sheetData>");
        let f = formats(&xml);
        assert_eq!(f.runs, [run(0, 0, 0, 0), run(1, 0, 2, 2), run(2, 2, 2, 1)]);
    }

    #[test]
    fn anything_unexpected_gives_no_formats() {
        let ok = r#"<row r="1"><c r="A1" s="1"><v>1</v></c></row>"#;
        assert_eq!(formats(&sheet(ok)).runs.len(), 1);
        for bad in [
            // Cells out of order, or twice.
            r#"<row r="2"><c r="B2" s="1"><v>1</v></c><c r="A2" s="1"><v>1</v></c></row>"#,
            r#"<row r="2"><c r="A2" s="1"><v>1</v></c></row><row r="1"><c r="A1" s="1"><v>1</v></c></row>"#,
            r#"<row r="1"><c r="A1" s="1"><v>1</v></c><c r="A1" s="1"><v>1</v></c></row>"#,
            // Positions past the sheet's limits, or not positions.
            r#"<row r="1"><c r="XFE1" s="1"><v>1</v></c></row>"#,
            r#"<row r="1048577"><c s="1"><v>1</v></c></row>"#,
            r#"<row r="0"><c s="1"><v>1</v></c></row>"#,
            r#"<row r="1"><c r="1A" s="1"><v>1</v></c></row>"#,
            r#"<row r="1"><c r="A1" s="one"><v>1</v></c></row>"#,
        ] {
            assert!(formats(&sheet(bad)).runs.is_empty(), "{bad}");
        }
        // A tag never closed.
        assert!(formats(r#"<sheetData><row r="1"><c r="A1" s="1""#)
            .runs
            .is_empty());
        // No sheetData, or styles without any format: nothing.
        assert!(formats("<worksheet/>").runs.is_empty());
        let mut room = MAX_RUNS;
        let plain = StyleCodes::parse(b"<cellXfs count=\"1\"><xf numFmtId=\"0\"/></cellXfs>");
        assert!(sheet_formats(sheet(ok).as_bytes(), &plain, &mut room)
            .runs
            .is_empty());
        // A style past the table is General.
        let far = r#"<row r="1"><c r="A1" s="99"><v>1</v></c></row>"#;
        assert!(formats(&sheet(far)).runs.is_empty());
    }

    #[test]
    fn runs_are_capped_per_workbook() {
        // Alternating codes down a column: one run per cell.
        let rows: String = (1..=10)
            .map(|r| {
                format!(
                    r#"<row r="{r}"><c r="A{r}" s="{}"><v>1</v></c></row>"#,
                    1 + r % 2
                )
            })
            .collect();
        let xml = sheet(&rows);
        let styles = StyleCodes::parse(STYLES.as_bytes());
        let mut room = 25;
        assert_eq!(
            sheet_formats(xml.as_bytes(), &styles, &mut room).runs.len(),
            10
        );
        assert_eq!(
            sheet_formats(xml.as_bytes(), &styles, &mut room).runs.len(),
            10
        );
        assert_eq!(room, 5);
        // The third sheet does not fit: it keeps none, the room stays.
        assert!(sheet_formats(xml.as_bytes(), &styles, &mut room)
            .runs
            .is_empty());
        assert_eq!(room, 5);
    }

    #[test]
    fn attribute_values() {
        assert_eq!(attr(b" r=\"B3\" s=\"2\"", b"s"), Some(&b"2"[..]));
        assert_eq!(attr(b" rs=\"1\" s = '7'", b"s"), Some(&b"7"[..]));
        assert_eq!(attr(b" t=\"s\"", b"s"), None);
        assert_eq!(attr(b" s=2", b"s"), None);
        assert_eq!(attr(b" r=\"A1\" s=\"3\"/", b"s"), Some(&b"3"[..]));
        assert_eq!(attr(b" r=\"A1\" junk s=\"3\"", b"s"), None);
        assert_eq!(a1(b"B3"), Some((2, 1)));
        assert_eq!(a1(b"xfd1048576"), Some((1_048_575, 16_383)));
        for bad in [
            &b"A0"[..],
            b"3B",
            b"B",
            b"ABCD1",
            b"B+3",
            b"B99999999999",
            b"",
        ] {
            assert_eq!(a1(bad), None, "{bad:?}");
        }
        // Empty tags, prefixes; end tags are not start tags.
        let xml = b"<x:cellXfs><x:xf/><x:xf numFmtId=\"4\"></x:xf><xf>\n</xf></x:cellXfs>";
        assert_eq!(cell_xfs(xml).collect::<Vec<_>>(), [0, 4, 0]);
        assert_eq!(unescape(b"0.0&#x25;&#37;&amp;&bogus;&"), "0.0%%&&bogus;&");
    }
}
