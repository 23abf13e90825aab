//! The feedback workbook (退回修改) for one unit: what to fix first, and the
//! unit's own table re-rendered with the offending cells filled and noted.
//!
//! Sheet 1 (`退回修改说明`): title, what was sent, the deadline and contact
//! line (`[feedback]` of the pipeline file), counts by check and severity, a
//! “先改这些” list (errors first, then by check id) and every finding of the
//! unit with what it means for its data (采纳情况).
//! Then, for each of the unit's files and each sheet that had a ledger table
//! (or a finding at a cell), the sheet as it was read, at the same cell
//! addresses, merged regions re-merged, the unit's own number formats kept
//! (xlsx / xlsm: `numfmt`), offending cells filled (red = error, yellow =
//! warning, green = 已核实) with one note per cell listing its findings, the
//! rejecting ones first.
//!
//! A finding's effect on the data is decided once per finding ([`Effect`]):
//! a cell on a rejected row never reads 数据已采纳, nor does anything of a
//! unit that sent nothing. Every sheet prints at 100% on A4 (never shrunk to
//! fit; wide sheets landscape, header rows repeated, wrapped rows as high as
//! their text). A sheet longer than `style::STREAM_ROWS` rows is written to a
//! constant-memory worksheet, strictly top to bottom.
//! rust_xlsxwriter cannot edit workbooks, so the sheet is rebuilt from the raw
//! cells; fonts and fills of the original are not carried over.

mod numfmt;

use rust_xlsxwriter::{
    Color, Format, FormatAlign, FormatBorder, Note, Workbook, Worksheet, XlsxError,
};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use super::style::{text_height, wrapped_lines, Styles, BODY_FONT, HEAD_FONT, STREAM_ROWS};
use super::{properties, save, xerr, ReportError};
use crate::config::PipelineSpec;
use crate::model::{
    Cell, FileStatus, Finding, Merge, ParsedFile, Period, RawSheet, Severity, SkipReason,
};
use crate::text::{display_width, parse_a1};

/// One unit's feedback.
pub struct FeedbackInput<'a> {
    pub spec: &'a PipelineSpec,
    pub period: Period,
    /// Unit name (`南昌市`).
    pub unit: &'a str,
    /// The unit's files this period (raw workbooks kept); empty when it sent nothing.
    pub files: &'a [&'a ParsedFile],
    /// Every finding about this unit (file-level and row-level), sorted.
    pub findings: &'a [Finding],
}

/// Name of the first sheet.
pub const SUMMARY_SHEET: &str = "退回修改说明";

/// Most cell notes on one re-rendered sheet. A note costs rust_xlsxwriter
/// some kilobytes (kept and cloned until the save), so a sheet with tens of
/// thousands of faulty cells would cost gigabytes; past this the cells are
/// still coloured and every finding is still listed on the summary sheet.
pub const MAX_NOTES: usize = 1000;

/// Excel's limits.
const MAX_ROW: u32 = 1_048_575;
const MAX_COL: u32 = 16_383;
/// Larger merged regions are not re-merged.
const MAX_MERGE_CELLS: u64 = 100_000;

/// Printable width of A4 at 100% with the margins below, in column units
/// (one unit is 7 px in Excel, about 7.4 px in LibreOffice, at 96 dpi):
/// landscape and portrait.
const LANDSCAPE_UNITS: f64 = 128.0;
const PORTRAIT_UNITS: f64 = 88.0;
/// Narrowest a wrapped text column of a copied sheet gets to fit the page.
const MIN_TEXT_W: f64 = 14.0;

/// Fills of an offending cell (Excel's “差” / “适中” / “好” styles).
const ERROR_FILL: u32 = 0xFFC7CE;
const ERROR_FONT: u32 = 0x9C0006;
const WARN_FILL: u32 = 0xFFEB9C;
const WARN_FONT: u32 = 0x9C5700;
const WAIVED_FILL: u32 = 0xC6EFCE;
const WAIVED_FONT: u32 = 0x006100;

/// How a cell of a re-rendered sheet is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Mark {
    Error,
    Warning,
    Waived,
}

fn mark_of(f: &Finding) -> Mark {
    match (f.waived, f.severity) {
        (true, _) => Mark::Waived,
        (false, Severity::Error) => Mark::Error,
        (false, Severity::Warning) => Mark::Warning,
    }
}

fn level_label(f: &Finding) -> &'static str {
    if f.waived {
        "已核实"
    } else {
        f.severity.label()
    }
}

/// What one finding means for the unit's data: decided once per finding, so
/// a cell never reads both 未被采纳 and 数据已采纳.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Effect {
    /// An error: its row (or file) is not counted.
    Rejected,
    /// A warning on a row, sheet or file an error rejected.
    RowRejected,
    /// The unit sent nothing this period (W402, and anything else about it).
    NothingSent,
    /// A project nobody sent (W401).
    NotReported,
    /// A warning on a counted row.
    Accepted,
    /// Confirmed (waivers.toml).
    Waived,
}

impl Effect {
    /// Short label: the 采纳情况 column and the cell notes.
    fn label(self) -> &'static str {
        match self {
            Effect::Rejected => "未被采纳：请改正后立即重新报送",
            Effect::RowRejected => "所在行有错误，未被采纳：请与该行错误一并改正后立即重新报送",
            Effect::NothingSent => "未收到台账，没有数据被采纳：请尽快报送",
            Effect::NotReported => "该项目本期没有数据被采纳：请立即补报",
            Effect::Accepted => "数据已采纳：请核实，如有误请改正后重新报送",
            Effect::Waived => "已核实：无需处理",
        }
    }

    /// A few words, for a check whose findings differ in effect.
    fn short(self) -> &'static str {
        match self {
            Effect::Rejected => "未被采纳",
            Effect::RowRejected => "所在行有错误、未被采纳",
            Effect::NothingSent => "未收到台账",
            Effect::NotReported => "无数据被采纳",
            Effect::Accepted => "数据已采纳",
            Effect::Waived => "已核实",
        }
    }
}

/// What errors rejected: rows (file, sheet, row digits), sheets (file,
/// sheet; sheet empty = the whole file).
struct Rejections<'a> {
    rows: HashSet<(&'a str, &'a str, &'a str)>,
    sheets: HashSet<(&'a str, &'a str)>,
    /// The unit sent no file.
    nothing_sent: bool,
}

/// The row a finding sits on (file, sheet, row digits of its cell), if any.
fn row_of(f: &Finding) -> Option<(&str, &str, &str)> {
    let digits = f.cell.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    (!f.cell.is_empty() && !digits.is_empty()).then_some((
        f.file.as_str(),
        f.sheet.as_str(),
        digits,
    ))
}

impl<'a> Rejections<'a> {
    fn new(all: &'a [Finding], files: &[&'a ParsedFile]) -> Rejections<'a> {
        let mut rows = HashSet::new();
        let mut sheets = HashSet::new();
        for f in all
            .iter()
            .filter(|f| f.severity == Severity::Error && !f.waived)
        {
            match row_of(f) {
                Some(rk) => {
                    rows.insert(rk);
                }
                None if !f.file.is_empty() => {
                    sheets.insert((f.file.as_str(), f.sheet.as_str()));
                }
                None => {}
            }
        }
        for pf in files.iter().filter(|p| p.status == FileStatus::Rejected) {
            sheets.insert((pf.file.name.as_str(), ""));
        }
        Rejections {
            rows,
            sheets,
            nothing_sent: files.is_empty(),
        }
    }

    fn effect(&self, f: &Finding) -> Effect {
        if f.waived {
            return Effect::Waived;
        }
        if f.severity == Severity::Error {
            return Effect::Rejected;
        }
        if f.id == "W402" || self.nothing_sent {
            return Effect::NothingSent;
        }
        if f.id == "W401" {
            return Effect::NotReported;
        }
        let on_rejected = row_of(f).is_some_and(|rk| self.rows.contains(&rk))
            || (!f.file.is_empty()
                && (self.sheets.contains(&(f.file.as_str(), ""))
                    || self.sheets.contains(&(f.file.as_str(), f.sheet.as_str()))));
        if on_rejected {
            Effect::RowRejected
        } else {
            Effect::Accepted
        }
    }
}

/// What a group of findings of one check means for the unit's data.
fn effect_of(fs: &[&Finding], rej: &Rejections<'_>) -> String {
    let mut by: BTreeMap<Effect, usize> = BTreeMap::new();
    for f in fs {
        *by.entry(rej.effect(f)).or_default() += 1;
    }
    if by.len() == 1 {
        return by
            .keys()
            .next()
            .map_or(String::new(), |e| e.label().to_string());
    }
    let parts: Vec<String> = by
        .iter()
        .map(|(e, n)| format!("{} {n} 条", e.short()))
        .collect();
    format!("其中{}；逐条见“三、问题明细”的“采纳情况”", parts.join("，"))
}

fn check_title(id: &str) -> &'static str {
    crate::checks::lookup(id).map_or("", |d| d.title)
}

/// `2023年8月8日` for the July period and day 8: the day of the month after
/// (the feedback's and the fill-in template's deadline).
pub(crate) fn deadline_text(p: Period, day: u32) -> String {
    let (y, m) = if p.month >= 12 {
        (p.year + 1, 1)
    } else {
        (p.year, p.month + 1)
    };
    format!("{y}年{m}月{day}日")
}

/// Writes `dir/<unit>-退回修改-<period>.xlsx`; returns its file name.
pub fn write(inp: &FeedbackInput<'_>, dir: &Path) -> Result<String, ReportError> {
    let spec = inp.spec;
    let p = inp.period;
    let name = format!(
        "{}.xlsx",
        spec.fill(&spec.reports.feedback, p.year, p.month, inp.unit)
    );
    let path = dir.join(&name);
    let e = xerr(&path);
    let title = format!(
        "{}{}年{}月{}台账退回修改通知",
        inp.unit, p.year, p.month, spec.name
    );
    let mut wb = Workbook::new();
    wb.set_properties(&properties(&title, &spec.issuer, p));

    let mut files: Vec<&ParsedFile> = inp.files.to_vec();
    files.sort_by(|a, b| a.file.name.cmp(&b.file.name));
    let plans = plan_sheets(&files, inp.findings);
    let rej = Rejections::new(inp.findings, &files);

    let st = Styles::new();
    let summary = Summary {
        st: &st,
        inp,
        title: &title,
        files: &files,
        plans: &plans,
        rej: &rej,
    };
    let stream = inp.findings.len() > STREAM_ROWS;
    add_sheet(&mut wb, SUMMARY_SHEET, stream, |ws| summary.write(ws)).map_err(&e)?;
    for plan in &plans {
        let stream = plan.sheet.rows.len() > STREAM_ROWS;
        add_sheet(&mut wb, &plan.out_name, stream, |ws| {
            write_sheet(ws, plan, &rej, &spec.issuer)
        })
        .map_err(&e)?;
    }
    save(&mut wb, &path)?;
    Ok(name)
}

/// Adds a sheet named `name` written by `body`: a constant-memory worksheet
/// when `stream` (rows flushed as they are finished; formats numbered as they
/// are first used, in writing order, one thread), else an ordinary one. A
/// streamed sheet writes to a temp file, and rust_xlsxwriter panics if that
/// write fails (a full disk): the panic becomes an error.
fn add_sheet(
    wb: &mut Workbook,
    name: &str,
    stream: bool,
    body: impl FnOnce(&mut Worksheet) -> Result<(), XlsxError>,
) -> Result<(), XlsxError> {
    let ws = if stream {
        wb.new_worksheet_with_constant_memory().ok()
    } else {
        None
    };
    let mut ws = ws.unwrap_or_default();
    ws.set_name(name)?;
    crate::guard::caught(|| body(&mut ws)).map_err(|why| {
        XlsxError::IoError(std::io::Error::other(format!(
            "写出“{name}”表时临时文件写入失败（磁盘空间不足？）：{why}"
        )))
    })??;
    wb.push_worksheet(ws);
    Ok(())
}

/// One sheet to re-render.
struct SheetPlan<'a> {
    file: &'a ParsedFile,
    sheet: &'a RawSheet,
    out_name: String,
    /// Findings at a cell of this sheet.
    findings: Vec<&'a Finding>,
    is_1904: bool,
}

/// The sheets to re-render (planned first so the summary can name them):
/// every sheet of the unit's files with a ledger table or a finding at a cell.
fn plan_sheets<'a>(files: &[&'a ParsedFile], all: &'a [Finding]) -> Vec<SheetPlan<'a>> {
    let mut used: BTreeSet<String> = BTreeSet::new();
    used.insert(SUMMARY_SHEET.to_lowercase());
    used.insert("history".to_string());
    let mut by_sheet: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
    for f in all.iter().filter(|f| parse_a1(&f.cell).is_some()) {
        by_sheet
            .entry((f.file.as_str(), f.sheet.as_str()))
            .or_default()
            .push(f);
    }
    let mut plans = Vec::new();
    for pf in files {
        let Some(raw) = &pf.raw else { continue };
        for sheet in &raw.sheets {
            let has_table = pf.tables.iter().any(|t| t.sheet == sheet.name);
            let findings = by_sheet
                .remove(&(pf.file.name.as_str(), sheet.name.as_str()))
                .unwrap_or_default();
            if !has_table && findings.is_empty() {
                continue;
            }
            let out_name = unique_sheet_name(&sheet.name, &mut used);
            plans.push(SheetPlan {
                file: pf,
                sheet,
                out_name,
                findings,
                is_1904: raw.is_1904,
            });
        }
    }
    plans
}
/// A valid worksheet name close to `orig`, not yet in `used` (case-insensitive).
fn unique_sheet_name(orig: &str, used: &mut BTreeSet<String>) -> String {
    let mut base: String = orig
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    base = base.trim_matches('\'').trim().to_string();
    if base.is_empty() {
        base = "Sheet".to_string();
    }
    let fit = |s: &str, room: usize| -> String {
        let mut out = String::new();
        for c in s.chars() {
            if out.encode_utf16().count() + c.len_utf16() > room {
                break;
            }
            out.push(c);
        }
        out.trim_end_matches('\'').to_string()
    };
    let mut n = 1;
    loop {
        let cand = if n == 1 {
            fit(&base, 31)
        } else {
            let suffix = format!("({n})");
            format!("{}{suffix}", fit(&base, 31 - suffix.len()))
        };
        if !cand.is_empty() && used.insert(cand.to_lowercase()) {
            return cand;
        }
        n += 1;
    }
}

// ---------------------------------------------------------------- summary

/// Writes the summary sheet strictly top to bottom (it may be streamed):
/// fixed column widths that fit A4 landscape at 100%, each row as high as
/// its wrapped text.
struct Grid<'w> {
    ws: &'w mut Worksheet,
    /// Lines the current row needs (10-point text).
    lines: usize,
    /// Points the current row needs otherwise (a 12-point paragraph).
    points: f64,
}

impl Grid<'_> {
    fn need(&mut self, text: &str, c0: u16, c1: u16) {
        let w: f64 = (c0..=c1)
            .map(|c| SUMMARY_WIDTHS.get(c as usize).copied().unwrap_or(8.0))
            .sum();
        self.lines = self.lines.max(wrapped_lines(text, w));
    }
    fn put(&mut self, row: u32, col: u16, text: &str, fmt: &Format) -> Result<(), XlsxError> {
        self.need(text, col, col);
        self.ws
            .write_string_with_format(row, col, super::style::cell_text(text), fmt)?;
        Ok(())
    }
    fn num(&mut self, row: u32, col: u16, n: usize, fmt: &Format) -> Result<(), XlsxError> {
        self.ws.write_number_with_format(row, col, n as f64, fmt)?;
        Ok(())
    }
    /// Text across columns c0..=c1 (merged when wider than one column).
    fn span(
        &mut self,
        row: u32,
        c0: u16,
        c1: u16,
        text: &str,
        fmt: &Format,
    ) -> Result<(), XlsxError> {
        if c1 > c0 {
            self.need(text, c0, c1);
            self.ws
                .merge_range(row, c0, row, c1, &super::style::cell_text(text), fmt)?;
            Ok(())
        } else {
            self.put(row, c0, text, fmt)
        }
    }
    /// Ends `row`: its height follows the text written (at least `min` points);
    /// returns the next row.
    fn end(&mut self, row: u32, min: f64) -> Result<u32, XlsxError> {
        let h = if self.lines > 1 {
            self.lines as f64 * 13.5 + 4.0
        } else {
            0.0
        };
        let h = h.max(min).max(self.points).min(409.0);
        if h > 15.0 {
            self.ws.set_row_height(row, h)?;
        }
        self.lines = 0;
        self.points = 0.0;
        Ok(row + 1)
    }
    /// A 12-point paragraph across the whole width.
    fn paragraph(&mut self, row: u32, text: &str, fmt: &Format) -> Result<u32, XlsxError> {
        self.span(row, 0, LAST, text, fmt)?;
        self.lines = 0;
        self.points = text_height(text, SUMMARY_WIDTHS.iter().sum(), 12.0);
        self.end(row, 20.0)
    }
}

const SUMMARY_HEADERS: [&str; 9] = [
    "编号",
    "级别",
    "文件",
    "工作表",
    "单元格",
    "项目代码",
    "说明",
    "处理",
    "采纳情况",
];
/// Column widths of the summary: A4 landscape at 100% (LibreOffice's unit
/// is nearer 7.4 px than Excel's 7, so there is room for both).
const SUMMARY_WIDTHS: [f64; 9] = [6.0, 6.0, 16.0, 9.0, 7.0, 13.0, 38.0, 20.0, 13.0];

/// The summary sheet's inputs.
struct Summary<'a> {
    st: &'a Styles,
    inp: &'a FeedbackInput<'a>,
    title: &'a str,
    files: &'a [&'a ParsedFile],
    plans: &'a [SheetPlan<'a>],
    rej: &'a Rejections<'a>,
}

/// Formats of the summary sheet.
struct SummaryFormats {
    body: Format,
    center: Format,
    num: Format,
    section: Format,
}

impl SummaryFormats {
    fn new() -> SummaryFormats {
        let body = Format::new()
            .set_font_name(BODY_FONT)
            .set_font_size(10)
            .set_border(FormatBorder::Thin)
            .set_text_wrap()
            .set_align(FormatAlign::VerticalCenter);
        SummaryFormats {
            center: body.clone().set_align(FormatAlign::Center),
            num: Format::new()
                .set_font_name(BODY_FONT)
                .set_font_size(10)
                .set_border(FormatBorder::Thin)
                .set_num_format("0")
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            section: Format::new()
                .set_font_name(HEAD_FONT)
                .set_font_size(12)
                .set_bold()
                .set_align(FormatAlign::Left)
                .set_align(FormatAlign::VerticalCenter),
            body,
        }
    }
}

fn filled(f: &Format, m: Mark) -> Format {
    let (fill, font) = match m {
        Mark::Error => (ERROR_FILL, ERROR_FONT),
        Mark::Warning => (WARN_FILL, WARN_FONT),
        Mark::Waived => (WAIVED_FILL, WAIVED_FONT),
    };
    f.clone()
        .set_background_color(Color::RGB(fill))
        .set_font_color(Color::RGB(font))
}

const LAST: u16 = SUMMARY_HEADERS.len() as u16 - 1;

impl Summary<'_> {
    fn write(&self, ws: &mut Worksheet) -> Result<(), XlsxError> {
        for (c, w) in SUMMARY_WIDTHS.iter().enumerate() {
            ws.set_column_width(c as u16, *w)?;
        }
        let fm = SummaryFormats::new();
        let mut g = Grid {
            ws,
            lines: 0,
            points: 0.0,
        };
        let row = self.head(&mut g)?;
        let row = self.counts(&mut g, &fm, row)?;
        let row = self.todo(&mut g, &fm, row)?;
        let (row, header_row) = self.details(&mut g, &fm, row)?;
        // A streamed sheet's last row is written twice when it has options
        // (rust_xlsxwriter 0.102): an invisible blank row ends the sheet.
        g.ws.write_blank(row, 0, &self.st.meta_left)?;
        page_setup(g.ws, true, Some((header_row, header_row)))
    }

    /// Title, meta line, what was sent, the deadline and contact; returns the next row.
    fn head(&self, g: &mut Grid<'_>) -> Result<u32, XlsxError> {
        let (inp, st) = (self.inp, self.st);
        let all = inp.findings;
        g.span(0, 0, LAST, self.title, &st.title)?;
        g.lines = 0;
        g.end(0, 36.0)?;
        let issuer = format!("制表单位：{}", inp.spec.issuer);
        g.span(1, 0, 2, &issuer, &st.meta_left)?;
        let when = format!("报送期：{}年{}月", inp.period.year, inp.period.month);
        g.span(1, 3, 5, &when, &st.meta_left)?;
        g.span(
            1,
            6,
            LAST,
            &format!("共 {} 条问题", all.len()),
            &st.meta_right,
        )?;
        g.end(1, 20.0)?;
        g.paragraph(2, &self.intro(), &st.paragraph)?;
        let mut row = g.paragraph(3, &self.deadline(), &st.paragraph.clone().set_bold())?;
        let contact = &inp.spec.feedback.contact;
        if !contact.is_empty() {
            row = g.paragraph(row, &format!("联系方式：{contact}"), &st.paragraph)?;
        }
        Ok(row + 1)
    }

    fn intro(&self) -> String {
        let all = self.inp.findings;
        let count = |sev: Severity| {
            all.iter()
                .filter(|f| !f.waived && f.severity == sev)
                .count()
        };
        let (n_err, n_warn) = (count(Severity::Error), count(Severity::Warning));
        let n_waived = all.iter().filter(|f| f.waived).count();
        let sent = if self.files.is_empty() {
            "贵单位本期未报送台账文件。".to_string()
        } else {
            let names: Vec<&str> = self.files.iter().map(|f| f.file.name.as_str()).collect();
            format!("贵单位本期报送的文件：{}。", names.join("、"))
        };
        let rendered = if self.plans.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = self
                .plans
                .iter()
                .map(|p| format!("“{}”", p.out_name))
                .collect();
            format!(
                "本工作簿后面的工作表 {} 为贵单位报送的原表（单元格位置与原表一致），问题单元格已标色（红色为错误，黄色为警告，绿色为已核实），鼠标指向单元格可查看批注。",
                names.join("、")
            )
        };
        let mut counted = Vec::new();
        if n_err > 0 {
            counted.push(format!(
                "错误 {n_err} 条（所在行或文件未被采纳，不计入本期数据，请改正后立即重新报送）"
            ));
        }
        if n_warn > 0 && self.files.is_empty() {
            counted.push(format!("警告 {n_warn} 条（未收到台账，没有数据被采纳）"));
        } else if n_warn > 0 {
            counted.push(format!(
                "警告 {n_warn} 条（请核实，如有误请改正；是否已采纳见下表“采纳情况”）"
            ));
        }
        if n_waived > 0 {
            counted.push(format!("已核实 {n_waived} 条（无需处理）"));
        }
        format!(
            "{sent}经检查共发现问题 {} 条：{}。{rendered}",
            all.len(),
            counted.join("；")
        )
    }

    /// What to do by when (the pipeline's `[feedback] deadline_day`).
    fn deadline(&self) -> String {
        let inp = self.inp;
        let effects: BTreeSet<Effect> = inp.findings.iter().map(|f| self.rej.effect(f)).collect();
        let by = inp
            .spec
            .feedback
            .deadline_day
            .map(|d| format!("请于{}前", deadline_text(inp.period, d)));
        let when = by.as_deref().unwrap_or("请尽快");
        if effects.contains(&Effect::NothingSent) {
            format!("{when}报送本期台账。")
        } else if effects.iter().any(|e| {
            matches!(
                e,
                Effect::Rejected | Effect::RowRejected | Effect::NotReported
            )
        }) {
            format!("{when}修改后重新报送（先改“二、先改这些”所列的错误）。")
        } else if effects.contains(&Effect::Accepted) {
            format!("{when}核实下列警告；如有误，修改后重新报送。")
        } else {
            "各问题均已核实，无需重新报送。".to_string()
        }
    }

    /// 一、问题统计: by check id and severity.
    fn counts(
        &self,
        g: &mut Grid<'_>,
        fm: &SummaryFormats,
        mut row: u32,
    ) -> Result<u32, XlsxError> {
        let (st, all) = (self.st, self.inp.findings);
        g.span(row, 0, LAST, "一、问题统计（按检查项）", &fm.section)?;
        row = g.end(row, 22.0)?;
        let heads = ["编号", "级别", "问题", "条数", "其中已核实", "需处理"];
        for (c, h) in heads.iter().enumerate() {
            g.put(row, c as u16, h, &st.header)?;
        }
        g.span(row, 6, LAST, "影响", &st.header)?;
        row = g.end(row, 0.0)?;
        let mut counts: BTreeMap<(&str, Severity), Vec<&Finding>> = BTreeMap::new();
        for f in all {
            counts
                .entry((f.id.as_str(), f.severity))
                .or_default()
                .push(f);
        }
        for ((id, sev), fs) in &counts {
            let (n, w) = (fs.len(), fs.iter().filter(|f| f.waived).count());
            let m = if n == w {
                Mark::Waived
            } else if *sev == Severity::Error {
                Mark::Error
            } else {
                Mark::Warning
            };
            g.put(row, 0, id, &filled(&fm.center, m))?;
            g.put(row, 1, sev.label(), &fm.center)?;
            g.put(row, 2, check_title(id), &fm.body)?;
            g.num(row, 3, n, &fm.num)?;
            g.num(row, 4, w, &fm.num)?;
            g.num(row, 5, n - w, &fm.num)?;
            g.span(row, 6, LAST, &effect_of(fs, self.rej), &fm.body)?;
            row = g.end(row, 0.0)?;
        }
        let n_err = all
            .iter()
            .filter(|f| !f.waived && f.severity == Severity::Error)
            .count();
        let n_waived = all.iter().filter(|f| f.waived).count();
        let n_warn = all.len() - n_err - n_waived;
        let total = fm.num.clone().set_bold();
        g.put(row, 0, "合计", &fm.center.clone().set_bold())?;
        g.put(row, 1, "", &fm.body)?;
        g.put(
            row,
            2,
            &format!("错误 {n_err} 条，警告 {n_warn} 条"),
            &fm.body,
        )?;
        g.num(row, 3, all.len(), &total)?;
        g.num(row, 4, n_waived, &total)?;
        g.num(row, 5, all.len() - n_waived, &total)?;
        g.span(row, 6, LAST, "", &fm.body)?;
        row = g.end(row, 0.0)?;
        if all.len() > MAX_NOTES {
            let text = format!(
                "注：问题单元格较多，各表只对前 {MAX_NOTES} 处加批注；其余问题单元格已标色，逐条说明见本表下文。"
            );
            g.span(row, 0, LAST, &text, &fm.body)?;
            row = g.end(row, 0.0)?;
        }
        Ok(row + 1)
    }

    /// 二、先改这些: errors first, then by check id; waived ones left out.
    fn todo(&self, g: &mut Grid<'_>, fm: &SummaryFormats, mut row: u32) -> Result<u32, XlsxError> {
        let st = self.st;
        g.span(
            row,
            0,
            LAST,
            "二、先改这些（错误在前，按编号）",
            &fm.section,
        )?;
        row = g.end(row, 22.0)?;
        for (c, h) in ["编号", "级别", "问题", "条数"].iter().enumerate() {
            g.put(row, c as u16, h, &st.header)?;
        }
        g.span(row, 4, 5, "位置", &st.header)?;
        g.span(row, 6, LAST, "怎么改", &st.header)?;
        row = g.end(row, 0.0)?;
        let mut todo: BTreeMap<(Severity, &str), Vec<&Finding>> = BTreeMap::new();
        for f in self.inp.findings.iter().filter(|f| !f.waived) {
            todo.entry((f.severity, f.id.as_str())).or_default().push(f);
        }
        if todo.is_empty() {
            g.span(row, 0, LAST, "无需处理的问题（均已核实）。", &fm.body)?;
            row = g.end(row, 0.0)?;
        }
        let many_files = self.files.len() > 1;
        for ((sev, id), fs) in &todo {
            let m = if *sev == Severity::Error {
                Mark::Error
            } else {
                Mark::Warning
            };
            g.put(row, 0, id, &filled(&fm.center, m))?;
            g.put(row, 1, sev.label(), &fm.center)?;
            g.put(row, 2, check_title(id), &fm.body)?;
            g.num(row, 3, fs.len(), &fm.num)?;
            g.span(row, 4, 5, &places(fs, many_files), &fm.body)?;
            let help = fs
                .first()
                .map(|f| f.help.clone())
                .filter(|h| !h.is_empty())
                .or_else(|| crate::checks::lookup(id).map(|d| d.help.to_string()))
                .unwrap_or_default();
            g.span(row, 6, LAST, &help, &fm.body)?;
            row = g.end(row, 0.0)?;
        }
        Ok(row + 1)
    }

    /// 三、问题明细: every finding, in file/sheet/cell order, with its effect.
    /// Returns the next row and the header row (repeated on every page).
    fn details(
        &self,
        g: &mut Grid<'_>,
        fm: &SummaryFormats,
        mut row: u32,
    ) -> Result<(u32, u32), XlsxError> {
        g.span(row, 0, LAST, "三、问题明细", &fm.section)?;
        row = g.end(row, 22.0)?;
        let header_row = row;
        for (c, h) in SUMMARY_HEADERS.iter().enumerate() {
            g.put(row, c as u16, h, &self.st.header)?;
        }
        row = g.end(row, 24.0)?;
        // Formats by mark, built once (a unit may have tens of thousands of findings).
        let marks = [Mark::Error, Mark::Warning, Mark::Waived];
        let marked: Vec<Format> = marks.iter().map(|m| filled(&fm.center, *m)).collect();
        for f in self.inp.findings {
            let m = &marked[marks.iter().position(|x| *x == mark_of(f)).unwrap_or(0)];
            g.put(row, 0, &f.id, m)?;
            g.put(row, 1, level_label(f), m)?;
            g.put(row, 2, &f.file, &fm.body)?;
            g.put(row, 3, &f.sheet, &fm.body)?;
            g.put(row, 4, &f.cell, &fm.center)?;
            g.put(row, 5, &f.project_code, &fm.body)?;
            g.put(row, 6, &f.message, &fm.body)?;
            g.put(row, 7, &f.help, &fm.body)?;
            g.put(row, 8, self.rej.effect(f).label(), &fm.body)?;
            row = g.end(row, 0.0)?;
        }
        row += 1;
        g.span(
            row,
            0,
            LAST,
            "注：“错误”所在的行不计入本期数据，请改正后将整个文件立即重新报送；“警告”所在的行如没有错误则已计入，请核实；如确认无误，可向省发改委说明，经核实后标为“已核实”。",
            &self.st.meta_left.clone().set_text_wrap(),
        )?;
        row = g.end(row, 0.0)?;
        Ok((row, header_row))
    }
}

/// Where the findings of one check are: the first eight distinct places, then a count.
fn places(fs: &[&Finding], many_files: bool) -> String {
    let mut shown: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for f in fs {
        let place = if !f.cell.is_empty() {
            let at = if f.sheet.is_empty() {
                f.cell.clone()
            } else {
                format!("{}!{}", f.sheet, f.cell)
            };
            if many_files {
                format!("{}：{at}", f.file)
            } else {
                at
            }
        } else if !f.file.is_empty() {
            format!("{}（整个文件）", f.file)
        } else if !f.project_code.is_empty() {
            format!("项目 {}", f.project_code)
        } else {
            "—".to_string()
        };
        // Distinct places counted through a set (a unit may have hundreds
        // of thousands); the first eight, in order, are named.
        if seen.insert(place.clone()) && shown.len() < 8 {
            shown.push(place);
        }
    }
    if seen.len() > 8 {
        format!("{} 等 {} 处", shown.join("、"), seen.len())
    } else {
        shown.join("、")
    }
}

/// A4 at 100% (never shrunk to fit: the body stays 10 pt), landscape when
/// wide, rows `repeat` repeated on every page, page numbers in the footer.
/// (`style::print_setup` fits the monthly tables to the page width; the
/// feedback sheets keep their size instead, so this is its own.)
fn page_setup(
    ws: &mut Worksheet,
    landscape: bool,
    repeat: Option<(u32, u32)>,
) -> Result<(), XlsxError> {
    ws.set_paper_size(9);
    if landscape {
        ws.set_landscape();
    } else {
        ws.set_portrait();
    }
    ws.set_print_scale(100);
    ws.set_margins(0.4, 0.4, 0.6, 0.6, 0.3, 0.3);
    if let Some((a, b)) = repeat {
        ws.set_repeat_rows(a, b)?;
    }
    ws.set_footer("&C第 &P 页 共 &N 页");
    Ok(())
}
// ---------------------------------------------------------- re-rendered sheet

/// The role of a cell in the re-rendered sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Plain,
    Title,
    Header,
    Body,
}

/// What decides a cell's format.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Look<'f> {
    role: Role,
    mark: Option<Mark>,
    /// The unit's number format, else `yyyy-mm-dd` for a date.
    num: Option<&'f str>,
    wrap: bool,
}

fn cell_format(k: &Look<'_>) -> Format {
    let mut f = Format::new()
        .set_font_name(BODY_FONT)
        .set_font_size(10)
        .set_align(FormatAlign::VerticalCenter);
    f = match k.role {
        Role::Plain => f,
        Role::Title => f
            .set_font_name(HEAD_FONT)
            .set_font_size(14)
            .set_bold()
            .set_align(FormatAlign::Center),
        Role::Header => f
            .set_font_name(HEAD_FONT)
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Center)
            .set_border(FormatBorder::Thin),
        Role::Body => f.set_border(FormatBorder::Thin),
    };
    if k.wrap && k.role != Role::Header {
        f = f.set_text_wrap();
    }
    if let Some(code) = k.num {
        f = f.set_num_format(code);
    }
    match k.mark {
        None => f,
        Some(m) => filled(&f, m).set_border(FormatBorder::Thin).set_bold(),
    }
}

/// Formats built once per distinct look (a sheet may have a million cells,
/// and a handful of looks: a short list searched from the last one found).
#[derive(Default)]
struct FormatCache<'f> {
    formats: Vec<(Look<'f>, Format)>,
    last: usize,
}

impl<'f> FormatCache<'f> {
    fn get(&mut self, k: Look<'f>) -> &Format {
        self.get_at(k).0
    }

    /// The format of `k` and its place in the cache.
    fn get_at(&mut self, k: Look<'f>) -> (&Format, usize) {
        let at = match self.formats.get(self.last) {
            Some((l, _)) if *l == k => Some(self.last),
            _ => self.formats.iter().position(|(l, _)| *l == k),
        };
        let i = at.unwrap_or_else(|| {
            let f = cell_format(&k);
            self.formats.push((k, f));
            self.formats.len() - 1
        });
        self.last = i;
        (&self.formats[i].1, i)
    }

    /// The format at place `i`.
    fn at(&self, i: usize) -> Option<&Format> {
        self.formats.get(i).map(|(_, f)| f)
    }
}

/// Formats the rest of a run of cells (first column, last column, format's
/// place in the cache) whose first cell was written with its format.
fn end_run(
    ws: &mut Worksheet,
    cache: &FormatCache<'_>,
    r: u32,
    run: Option<(u32, u32, usize)>,
) -> Result<(), XlsxError> {
    if let Some((first, last, i)) = run.filter(|(f, l, _)| l > f) {
        if let Some(fmt) = cache.at(i) {
            ws.set_range_format(r, first as u16 + 1, r, last as u16, fmt)?;
        }
    }
    Ok(())
}

/// The text of a cell's note: one paragraph per finding, the rejecting ones
/// first, each saying what it means for the data (one effect per cell: a
/// warning beside an error on the row reads 未被采纳 too).
fn note_text(fs: &[&Finding], rej: &Rejections<'_>) -> String {
    let mut sorted: Vec<&&Finding> = fs.iter().collect();
    sorted.sort_by_key(|f| (mark_of(f), rej.effect(f)));
    let mut parts = Vec::new();
    for f in sorted {
        let mut s = format!("【{} {}】{}", f.id, level_label(f), check_title(&f.id));
        s.push_str(&format!("\n采纳情况：{}", rej.effect(f).label()));
        if !f.value.is_empty() {
            s.push_str(&format!("\n填报值：{}", f.value));
        }
        if !f.expected.is_empty() {
            s.push_str(&format!("\n应为：{}", f.expected));
        }
        if !f.project_code.is_empty() && f.project_code != f.value {
            s.push_str(&format!("\n项目代码：{}", f.project_code));
        }
        if !f.help.is_empty() {
            s.push_str(&format!("\n处理：{}", f.help));
        }
        parts.push(s);
    }
    super::style::cell_text(&parts.join("\n\n")).into_owned()
}

/// Where the tables of a re-rendered sheet are.
struct Regions {
    header_rows: BTreeSet<u32>,
    body_rows: BTreeSet<u32>,
    first_header: u32,
    /// The first table's header block (repeated on every printed page).
    repeat: Option<(u32, u32)>,
    /// The first table's name (or code) column when among its first four:
    /// repeated on every page when the sheet prints across pages.
    key_column: Option<u32>,
    width: u32,
}

impl Regions {
    fn of(plan: &SheetPlan<'_>) -> Regions {
        let sheet = plan.sheet;
        let mut r = Regions {
            header_rows: BTreeSet::new(),
            body_rows: BTreeSet::new(),
            first_header: u32::MAX,
            repeat: None,
            key_column: None,
            width: sheet.width(),
        };
        for t in plan.file.tables.iter().filter(|t| t.sheet == sheet.name) {
            let (h0, h1) = t.header_rows;
            if h0 < r.first_header {
                r.first_header = h0;
                r.repeat = Some((h0, h1));
                r.key_column = ["name", "code"]
                    .iter()
                    .find_map(|k| t.columns.iter().find(|c| c.field == *k))
                    .map(|c| c.col)
                    .filter(|c| *c < 4);
            }
            r.header_rows.extend(h0..=h1);
            let last = t
                .last_data_row()
                .into_iter()
                .chain(
                    t.skipped
                        .iter()
                        .filter(|s| matches!(s.1, SkipReason::Total | SkipReason::Group))
                        .map(|s| s.0),
                )
                .chain(t.totals.iter().map(|r| r.row))
                .max()
                .unwrap_or(h1)
                .max(h1);
            r.body_rows.extend(h1 + 1..=last);
        }
        r
    }

    /// The part of a cell's role that depends on its row alone (looked up
    /// once per row, not per cell).
    fn row_region(&self, r: u32) -> RowRegion {
        if self.header_rows.contains(&r) {
            RowRegion::Header
        } else if self.body_rows.contains(&r) {
            RowRegion::Body
        } else if r < self.first_header {
            RowRegion::Above
        } else {
            RowRegion::Other
        }
    }

    /// The role of column `c` in a row of `region`.
    fn role_in(&self, region: RowRegion, c: u32, merged_wide: bool) -> Role {
        match region {
            RowRegion::Header if c < self.width => Role::Header,
            RowRegion::Body if c < self.width => Role::Body,
            RowRegion::Above if merged_wide => Role::Title,
            _ => Role::Plain,
        }
    }

    fn no_table(&self) -> bool {
        self.header_rows.is_empty()
    }
}

/// Where a row lies: in a table's header or body, above the first table, or
/// elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowRegion {
    Header,
    Body,
    Above,
    Other,
}

/// Widest column, in character units.
const MAX_W: usize = 50;

/// Column widths from content (single-column cells of the table only: cells
/// outside it, like a 备注 line, spill over empty neighbours as typed), numbers
/// as the unit's format shows them; then, when wider than A4 landscape, the
/// widest text columns narrowed (their text wraps) toward [`MIN_TEXT_W`].
fn column_widths(
    sheet: &RawSheet,
    reg: &Regions,
    merge_first: &BTreeMap<(u32, u32), Merge>,
    numfmts: Option<numfmt::SheetFormats<'_>>,
) -> Vec<f64> {
    let n = (reg.width as usize).min(MAX_COL as usize + 1);
    let mut widths: Vec<usize> = vec![0; n];
    // Whether the widest cell of a column is Chinese text (which may wrap).
    let mut texty: Vec<bool> = vec![false; n];
    for (r, cells) in sheet.rows.iter().enumerate().take(MAX_ROW as usize + 1) {
        let r = r as u32;
        let region = reg.row_region(r);
        if !reg.no_table() && matches!(region, RowRegion::Above | RowRegion::Other) {
            // No cell of this row counts (roles there are Plain or Title).
            continue;
        }
        let row_merges = merge_first.range((r, 0)..=(r, MAX_COL)).next().is_some();
        for (c, cell) in cells.iter().enumerate().take(n) {
            let c32 = c as u32;
            let role = reg.role_in(region, c32, false);
            let counts = reg.no_table() || matches!(role, Role::Header | Role::Body);
            if !counts
                || matches!(cell, Cell::Empty)
                || (row_merges && merge_first.contains_key(&(r, c32)))
            {
                continue;
            }
            let code = match cell {
                Cell::Number(_) => numfmts.and_then(|f| f.get(r, c32)),
                _ => None,
            };
            let w = match cell {
                Cell::Date(_) => 10,
                Cell::Number(x) => match code {
                    Some(code) => shown_number_width(*x, code),
                    // Excel's General format shows at most 11 characters.
                    None => display_width(&cell.display()).min(11),
                },
                Cell::Text(s) if role == Role::Header => display_width(s).min(20),
                _ => display_width(&cell.display()),
            };
            if w > widths[c] {
                widths[c] = w;
                // Chinese text wraps well; codes and numbers typed as text do not.
                texty[c] = role != Role::Header
                    && matches!(cell, Cell::Text(s) if display_width(s) > s.chars().count());
            }
        }
    }
    let mut out: Vec<f64> = widths
        .iter()
        .map(|w| (*w + 2).clamp(6, MAX_W) as f64)
        .collect();
    while out.iter().sum::<f64>() > LANDSCAPE_UNITS {
        let widest = (0..n)
            .filter(|&c| texty[c] && out[c] > MIN_TEXT_W)
            .max_by(|&a, &b| out[a].total_cmp(&out[b]).then(b.cmp(&a)));
        match widest {
            Some(c) => out[c] -= 1.0,
            None => break,
        }
    }
    out
}

/// About how wide `x` shows in number format `code` (thousands separators,
/// decimals, a percent sign), in display columns.
fn shown_number_width(x: f64, code: &str) -> usize {
    let first = code.split(';').next().unwrap_or(code);
    let percent = first.contains('%');
    let v = if percent { x * 100.0 } else { x };
    let int_digits = int_digits(v);
    let commas = if first.contains(',') {
        (int_digits - 1) / 3
    } else {
        0
    };
    let decimals = first.split_once('.').map_or(0, |(_, d)| {
        d.chars()
            .take_while(|c| matches!(c, '0' | '#' | '?'))
            .count()
    });
    int_digits
        + commas
        + if decimals > 0 { decimals + 1 } else { 0 }
        + usize::from(x < 0.0)
        + usize::from(percent)
}

/// Digits of `v`'s integer part as `format!("{:.0}", v.abs().trunc())` writes
/// them, without building the string (a sheet has many numbers).
fn int_digits(v: f64) -> usize {
    let t = v.abs().trunc();
    if t.is_finite() && t < 1e30 {
        // Exact: an f64 below 1e30 converts to u128 without loss.
        (t as u128).checked_ilog10().map_or(1, |d| d as usize + 1)
    } else {
        format!("{t:.0}").len()
    }
}

/// Findings of a sheet by cell.
fn findings_by_cell<'a>(plan: &SheetPlan<'a>) -> BTreeMap<(u32, u32), Vec<&'a Finding>> {
    let mut by_cell: BTreeMap<(u32, u32), Vec<&Finding>> = BTreeMap::new();
    for f in &plan.findings {
        if let Some(rc) = parse_a1(&f.cell) {
            if rc.0 <= MAX_ROW && rc.1 <= MAX_COL {
                by_cell.entry(rc).or_default().push(f);
            }
        }
    }
    by_cell
}

/// Writes one cell's value with its format.
fn write_cell(
    ws: &mut Worksheet,
    r: u32,
    col: u16,
    cell: &Cell,
    fmt: &Format,
    is_1904: bool,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => ws.write_blank(r, col, fmt)?,
        Cell::Number(f) => ws.write_number_with_format(r, col, *f, fmt)?,
        Cell::Date(f) => {
            let serial = if is_1904 { *f + 1462.0 } else { *f };
            ws.write_number_with_format(r, col, serial, fmt)?
        }
        Cell::Text(s) | Cell::Error(s) => {
            ws.write_string_with_format(r, col, super::style::cell_text(s), fmt)?
        }
        Cell::Bool(b) => ws.write_boolean_with_format(r, col, *b, fmt)?,
    };
    Ok(())
}

/// Writes one cell's value unformatted (its run is formatted afterwards: an
/// empty cell or text is then created blank with the format, as
/// [`write_cell`] does).
fn write_cell_plain(
    ws: &mut Worksheet,
    r: u32,
    col: u16,
    cell: &Cell,
    is_1904: bool,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => return Ok(()),
        Cell::Number(f) => ws.write_number(r, col, *f)?,
        Cell::Date(f) => {
            let serial = if is_1904 { *f + 1462.0 } else { *f };
            ws.write_number(r, col, serial)?
        }
        Cell::Text(s) | Cell::Error(s) => ws.write_string(r, col, super::style::cell_text(s))?,
        Cell::Bool(b) => ws.write_boolean(r, col, *b)?,
    };
    Ok(())
}

/// The unit's sheet re-rendered, strictly top to bottom (it may be streamed):
/// per row its merges, its cells, the offending cells beyond what was read,
/// its notes; each row as high as its wrapped text.
fn write_sheet(
    ws: &mut Worksheet,
    plan: &SheetPlan<'_>,
    rej: &Rejections<'_>,
    issuer: &str,
) -> Result<(), XlsxError> {
    let sheet = plan.sheet;
    let reg = Regions::of(plan);
    let by_cell = findings_by_cell(plan);
    let mark_at = |r: u32, c: u32| -> Option<Mark> {
        by_cell
            .get(&(r, c))
            .and_then(|fs| fs.iter().map(|f| mark_of(f)).min())
    };
    let merges = valid_merges(&sheet.merges);
    let mut covered = numfmt::CellSet::default();
    let mut merge_first: BTreeMap<(u32, u32), Merge> = BTreeMap::new();
    for m in &merges {
        for r in m.first_row..=m.last_row {
            for c in m.first_col..=m.last_col {
                if (r, c) != (m.first_row, m.first_col) {
                    covered.insert((r, c));
                }
            }
        }
        merge_first.insert((m.first_row, m.first_col), *m);
    }
    // The unit's own number formats, captured at ingest.
    let numfmts = numfmt::SheetFormats::of(sheet);
    let widths = column_widths(sheet, &reg, &merge_first, numfmts);
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    let span_width = |c0: u32, c1: u32| -> f64 {
        (c0..=c1)
            .map(|c| widths.get(c as usize).copied().unwrap_or(8.43))
            .sum()
    };
    ws.set_default_note_author(issuer);
    let mut cache = FormatCache::default();
    let mut notes = 0usize;
    // Every row with something to write, in order.
    let mut rows: BTreeSet<u32> = (0..sheet.rows.len().min(MAX_ROW as usize + 1) as u32).collect();
    rows.extend(by_cell.keys().map(|k| k.0));
    let last_row = rows.last().copied().unwrap_or(0);
    for &r in &rows {
        let cells: &[Cell] = sheet.rows.get(r as usize).map_or(&[], Vec::as_slice);
        // What depends on the row alone, looked up once.
        let region = reg.row_region(r);
        let row_marks = by_cell.range((r, 0)..=(r, MAX_COL)).next().is_some();
        let row_merges = merge_first.range((r, 0)..=(r, MAX_COL)).next().is_some();
        // The cells of this row with their looks, then the row's height.
        let mut line = Vec::new();
        let mut lines = 1usize;
        for (c, cell) in cells.iter().enumerate().take(MAX_COL as usize + 1) {
            let c = c as u32;
            if !covered.is_empty() && covered.contains(&(r, c)) {
                continue;
            }
            let merge = if row_merges {
                merge_first.get(&(r, c))
            } else {
                None
            };
            let wide = merge.is_some_and(|m| m.last_col > m.first_col);
            let role = reg.role_in(region, c, wide);
            let mark = if row_marks { mark_at(r, c) } else { None };
            if matches!(cell, Cell::Empty)
                && mark.is_none()
                && role == Role::Plain
                && merge.is_none()
            {
                continue;
            }
            let text = match cell {
                Cell::Text(s) => &**s,
                _ => "",
            };
            let w = merge.map_or_else(|| span_width(c, c), |m| span_width(m.first_col, m.last_col));
            // Long text wraps inside the table; outside it (title, 备注,
            // 填报人 lines) it spills over its empty neighbours as typed.
            let in_table = matches!(role, Role::Header | Role::Body);
            let wrap = (in_table && display_width(text) as f64 * 0.95 + 1.0 > w)
                || text.contains('\n')
                || merge.is_some_and(|m| m.last_row > m.first_row);
            if wrap && merge.is_none_or(|m| m.last_row == m.first_row) {
                lines = lines.max(wrapped_lines(text, w));
            }
            let num =
                match cell {
                    Cell::Number(_) | Cell::Date(_) => numfmts
                        .and_then(|f| f.get(r, c))
                        .or(matches!(cell, Cell::Date(_)).then_some("yyyy-mm-dd")),
                    _ => None,
                };
            line.push((
                c,
                cell,
                merge,
                Look {
                    role,
                    mark,
                    num,
                    wrap,
                },
            ));
        }
        if lines > 1 {
            ws.set_row_height(r, (lines as f64 * 13.5 + 4.0).min(409.0))?;
        }
        // Runs of adjacent unmerged cells sharing a look get their format in
        // one call (rust_xlsxwriter hashes a format per call): the run's
        // first cell written with it (so this row is the sheet's current
        // one), the others without, then the rest of the run formatted.
        let mut run: Option<(u32, u32, usize)> = None;
        for (c, cell, merge, look) in line {
            let at = cache.get_at(look).1;
            let joins = merge.is_none() && run.is_some_and(|(_, last, i)| last + 1 == c && i == at);
            if joins {
                write_cell_plain(ws, r, c as u16, cell, plan.is_1904)?;
                run = run.map(|(first, _, i)| (first, c, i));
                continue;
            }
            end_run(ws, &cache, r, run.take())?;
            let Some(fmt) = cache.at(at) else { continue };
            if let Some(m) = merge {
                ws.merge_range(r, c as u16, m.last_row, m.last_col as u16, "", fmt)?;
            }
            write_cell(ws, r, c as u16, cell, fmt, plan.is_1904)?;
            if merge.is_none() {
                run = Some((c, c, at));
            }
        }
        end_run(ws, &cache, r, run)?;
        // Offending cells beyond what was read.
        for (&(_, c), fs) in by_cell.range((r, 0)..=(r, MAX_COL)) {
            if (c as usize) < cells.len() || covered.contains(&(r, c)) {
                continue;
            }
            let look = Look {
                role: Role::Plain,
                mark: fs.iter().map(|f| mark_of(f)).min(),
                num: None,
                wrap: false,
            };
            ws.write_blank(r, c as u16, cache.get(look))?;
        }
        for (&(_, c), fs) in by_cell.range((r, 0)..=(r, MAX_COL)) {
            if notes >= MAX_NOTES {
                break;
            }
            insert_note(ws, r, c, &note_text(fs, rej), issuer)?;
            notes += 1;
        }
    }
    // A streamed sheet's last row is written twice when it has options
    // (rust_xlsxwriter 0.102): an invisible blank row ends the sheet.
    if last_row < MAX_ROW {
        ws.write_blank(
            last_row + 1,
            0,
            cache.get(Look {
                role: Role::Plain,
                mark: None,
                num: None,
                wrap: false,
            }),
        )?;
    }
    let worst = by_cell
        .values()
        .flat_map(|fs| fs.iter().map(|f| mark_of(f)))
        .min();
    match worst {
        Some(Mark::Error) => {
            ws.set_tab_color(Color::RGB(0xFF0000));
        }
        Some(Mark::Warning) => {
            ws.set_tab_color(Color::RGB(0xFFC000));
        }
        _ => {}
    }
    let total: f64 = widths.iter().sum();
    page_setup(ws, total > PORTRAIT_UNITS, reg.repeat)?;
    if total > LANDSCAPE_UNITS {
        // Still wider than the page: printed across pages, the first
        // columns (序号, 项目名称 …) repeated on each.
        if let Some(c) = reg.key_column {
            ws.set_repeat_columns(0, c as u16)?;
        }
    }
    Ok(())
}

fn insert_note(
    ws: &mut Worksheet,
    r: u32,
    c: u32,
    text: &str,
    issuer: &str,
) -> Result<(), XlsxError> {
    let lines: usize = text
        .lines()
        .map(|l| display_width(l).div_ceil(44).max(1))
        .sum();
    let note = Note::new(text)
        .set_author(issuer)
        .add_author_prefix(false)
        .set_font_name("宋体")
        .set_font_size(9)
        .set_width(300)
        .set_height((lines as u32 * 16 + 12).clamp(80, 600));
    ws.insert_note(r, c as u16, &note)?;
    Ok(())
}

/// Merges that rust_xlsxwriter accepts: in range, more than one cell (and not
/// absurdly many), not overlapping an earlier one (earlier in row/column order wins).
fn valid_merges(merges: &[Merge]) -> Vec<Merge> {
    let mut ms: Vec<Merge> = merges
        .iter()
        .copied()
        .filter(|m| {
            m.first_row <= m.last_row
                && m.first_col <= m.last_col
                && m.last_row <= MAX_ROW
                && m.last_col <= MAX_COL
                && (m.first_row, m.first_col) != (m.last_row, m.last_col)
                // A whole-column or whole-sheet merge is litter, not layout.
                && (m.last_row - m.first_row + 1) as u64 * (m.last_col - m.first_col + 1) as u64
                    <= MAX_MERGE_CELLS
        })
        .collect();
    ms.sort_by_key(|m| (m.first_row, m.first_col, m.last_row, m.last_col));
    let mut out: Vec<Merge> = Vec::new();
    for m in ms {
        let overlaps = out.iter().any(|o| {
            m.first_row <= o.last_row
                && o.first_row <= m.last_row
                && m.first_col <= o.last_col
                && o.first_col <= m.last_col
        });
        if !overlaps {
            out.push(m);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_fits_a4_landscape_at_100_percent() {
        // 277 mm printable = 1,047 px at 96 dpi; a column is 7 px a unit + 5 px.
        let px: f64 = SUMMARY_WIDTHS.iter().map(|w| w * 7.5 + 5.0).sum();
        assert!(SUMMARY_WIDTHS.iter().sum::<f64>() <= LANDSCAPE_UNITS);
        assert!(px <= 1047.0, "{px}");
    }

    #[test]
    fn deadline_is_in_the_month_after() {
        let p = |year, month| Period { year, month };
        assert_eq!(deadline_text(p(2023, 7), 8), "2023年8月8日");
        assert_eq!(deadline_text(p(2023, 12), 5), "2024年1月5日");
    }

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut used = BTreeSet::new();
        used.insert(SUMMARY_SHEET.to_lowercase());
        let a = unique_sheet_name("Sheet1", &mut used);
        let b = unique_sheet_name("sheet1", &mut used);
        assert_eq!(a, "Sheet1");
        assert_eq!(b, "sheet1(2)");
        let long = "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三";
        let c = unique_sheet_name(long, &mut used);
        let d = unique_sheet_name(long, &mut used);
        assert!(c.encode_utf16().count() <= 31 && d.encode_utf16().count() <= 31);
        assert_ne!(c, d);
        let e = unique_sheet_name("'a/b[c]'", &mut used);
        assert_eq!(e, "a_b_c_");
        for n in [&a, &b, &c, &d, &e] {
            assert!(rust_xlsxwriter::utility::check_sheet_name(n).is_ok(), "{n}");
        }
        assert_eq!(
            unique_sheet_name(SUMMARY_SHEET, &mut used),
            "退回修改说明(2)"
        );
    }

    #[test]
    fn overlapping_and_single_cell_merges_are_dropped() {
        let m = |a, b, c, d| Merge {
            first_row: a,
            first_col: b,
            last_row: c,
            last_col: d,
        };
        let v = valid_merges(&[
            m(0, 0, 0, 5),
            m(0, 3, 1, 4),
            m(2, 2, 2, 2),
            m(3, 1, 2, 1),
            m(1, 0, 2, 0),
        ]);
        assert_eq!(v, vec![m(0, 0, 0, 5), m(1, 0, 2, 0)]);
    }
}
