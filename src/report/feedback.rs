//! The feedback workbook (退回修改) for one unit: what to fix first, and the
//! unit's own table re-rendered with the offending cells filled and noted.
//!
//! Sheet 1 (`退回修改说明`): title, counts by check and severity, a “先改这些”
//! list (errors first, then by check id) and every finding of the unit.
//! Then, for each of the unit's files and each sheet that had a ledger table
//! (or a finding at a cell), the sheet as it was read, at the same cell
//! addresses, merged regions re-merged, offending cells filled (red = error,
//! yellow = warning, green = 已核实) with one note per cell listing its findings.
//! rust_xlsxwriter cannot edit workbooks, so the sheet is rebuilt from the raw
//! cells; the original formatting (fonts, number formats) is not carried over.

use rust_xlsxwriter::{
    Color, Format, FormatAlign, FormatBorder, Note, Workbook, Worksheet, XlsxError,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::style::{Styles, BODY_FONT, HEAD_FONT};
use super::{properties, save, xerr, ReportError};
use crate::config::PipelineSpec;
use crate::model::{Cell, Finding, Merge, ParsedFile, Period, RawSheet, Severity, SkipReason};
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

/// The row a finding sits on (file, sheet, row digits of its cell), if any.
fn row_of(f: &Finding) -> Option<(&str, &str, &str)> {
    let digits = f.cell.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    (!f.cell.is_empty() && !digits.is_empty()).then_some((
        f.file.as_str(),
        f.sheet.as_str(),
        digits,
    ))
}

/// Whether a warning sits on a row that an error rejected: it is then not
/// accepted either, whatever a warning usually means.
fn on_rejected_row(f: &Finding, all: &[Finding]) -> bool {
    f.severity == Severity::Warning
        && row_of(f).is_some_and(|rk| {
            all.iter()
                .any(|e| e.severity == Severity::Error && !e.waived && row_of(e) == Some(rk))
        })
}

/// What a group of findings of one check means for the unit's data.
fn effect_of(sev: Severity, id: &str, fs: &[&Finding], all: &[Finding]) -> &'static str {
    match (sev, id) {
        (Severity::Error, _) => {
            "所在行（或整个文件）未被采纳，不计入本期数据，请改正后立即重新报送"
        }
        (_, "W402") => "本期未收到贵单位台账，没有数据被采纳，请尽快报送",
        (_, "W401") => "该项目本期无人报送，没有数据被采纳，请补报",
        _ => {
            let rejected = fs.iter().filter(|f| on_rejected_row(f, all)).count();
            if rejected == 0 {
                "数据已采纳，请核实；如有误请改正"
            } else if rejected == fs.len() {
                "所在行另有错误，未被采纳；请与该行错误一并改正后重新报送"
            } else {
                "数据已采纳（所在行另有错误的除外，该行未被采纳），请核实；如有误请改正"
            }
        }
    }
}

fn check_title(id: &str) -> &'static str {
    crate::checks::lookup(id).map_or("", |d| d.title)
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

    // Plan the re-rendered sheets first so the summary can name them.
    let mut used: BTreeSet<String> = BTreeSet::new();
    used.insert(SUMMARY_SHEET.to_lowercase());
    used.insert("history".to_string());
    let mut plans: Vec<SheetPlan<'_>> = Vec::new();
    for pf in &files {
        let Some(raw) = &pf.raw else { continue };
        let fnd: Vec<&Finding> = inp
            .findings
            .iter()
            .filter(|f| f.file == pf.file.name)
            .collect();
        for sheet in &raw.sheets {
            let has_table = pf.tables.iter().any(|t| t.sheet == sheet.name);
            let cell_findings: Vec<&Finding> = fnd
                .iter()
                .copied()
                .filter(|f| f.sheet == sheet.name && parse_a1(&f.cell).is_some())
                .collect();
            if !has_table && cell_findings.is_empty() {
                continue;
            }
            let out_name = unique_sheet_name(&sheet.name, &mut used);
            plans.push(SheetPlan {
                file: pf,
                sheet,
                out_name,
                findings: cell_findings,
                is_1904: raw.is_1904,
            });
        }
    }

    let st = Styles::new();
    {
        let ws = wb.add_worksheet().set_name(SUMMARY_SHEET).map_err(&e)?;
        write_summary(ws, &st, inp, &title, &files, &plans).map_err(&e)?;
    }
    for plan in &plans {
        let ws = wb.add_worksheet().set_name(&plan.out_name).map_err(&e)?;
        write_sheet(ws, plan, &spec.issuer).map_err(&e)?;
    }
    save(&mut wb, &path)?;
    Ok(name)
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

/// Tracks column widths while writing the summary sheet.
struct Grid<'w> {
    ws: &'w mut Worksheet,
    widths: Vec<usize>,
}

impl Grid<'_> {
    fn put(&mut self, row: u32, col: u16, text: &str, fmt: &Format) -> Result<(), XlsxError> {
        self.ws
            .write_string_with_format(row, col, super::style::cell_text(text), fmt)?;
        if let Some(w) = self.widths.get_mut(col as usize) {
            *w = (*w).max(display_width(text) + 2);
        }
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
            self.ws
                .merge_range(row, c0, row, c1, &super::style::cell_text(text), fmt)?;
            Ok(())
        } else {
            self.put(row, c0, text, fmt)
        }
    }
}

const SUMMARY_HEADERS: [&str; 8] = [
    "编号",
    "级别",
    "文件",
    "工作表",
    "单元格",
    "项目代码",
    "说明",
    "处理",
];
/// Width caps of the summary columns.
const SUMMARY_MAX: [usize; 8] = [10, 10, 36, 16, 12, 28, 70, 44];

fn write_summary(
    ws: &mut Worksheet,
    st: &Styles,
    inp: &FeedbackInput<'_>,
    title: &str,
    files: &[&ParsedFile],
    plans: &[SheetPlan<'_>],
) -> Result<(), XlsxError> {
    let last: u16 = SUMMARY_HEADERS.len() as u16 - 1;
    let body = Format::new()
        .set_font_name(BODY_FONT)
        .set_font_size(10)
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter);
    let body_center = body.clone().set_align(FormatAlign::Center);
    let body_num = Format::new()
        .set_font_name(BODY_FONT)
        .set_font_size(10)
        .set_border(FormatBorder::Thin)
        .set_num_format("0")
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let section = Format::new()
        .set_font_name(HEAD_FONT)
        .set_font_size(12)
        .set_bold()
        .set_align(FormatAlign::Left)
        .set_align(FormatAlign::VerticalCenter);
    let filled = |f: &Format, m: Mark| -> Format {
        let (fill, font) = match m {
            Mark::Error => (ERROR_FILL, ERROR_FONT),
            Mark::Warning => (WARN_FILL, WARN_FONT),
            Mark::Waived => (WAIVED_FILL, WAIVED_FONT),
        };
        f.clone()
            .set_background_color(Color::RGB(fill))
            .set_font_color(Color::RGB(font))
    };

    let mut g = Grid {
        ws,
        widths: SUMMARY_HEADERS
            .iter()
            .map(|h| display_width(h) + 2)
            .collect(),
    };
    let all = inp.findings;
    let n_err = all
        .iter()
        .filter(|f| !f.waived && f.severity == Severity::Error)
        .count();
    let n_warn = all
        .iter()
        .filter(|f| !f.waived && f.severity == Severity::Warning)
        .count();
    let n_waived = all.iter().filter(|f| f.waived).count();

    // Title and meta line.
    g.ws.set_row_height(0, 36)?;
    g.span(0, 0, last, title, &st.title)?;
    g.ws.set_row_height(1, 20)?;
    g.span(
        1,
        0,
        2,
        &format!("制表单位：{}", inp.spec.issuer),
        &st.meta_left,
    )?;
    g.span(
        1,
        3,
        5,
        &format!("报送期：{}年{}月", inp.period.year, inp.period.month),
        &st.meta_left,
    )?;
    g.span(
        1,
        6,
        last,
        &format!("共 {} 条问题", all.len()),
        &st.meta_right,
    )?;

    // What this is.
    let sent = if files.is_empty() {
        "贵单位本期未报送台账文件。".to_string()
    } else {
        let names: Vec<&str> = files.iter().map(|f| f.file.name.as_str()).collect();
        format!("贵单位本期报送的文件：{}。", names.join("、"))
    };
    let rendered = if plans.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = plans.iter().map(|p| format!("“{}”", p.out_name)).collect();
        format!(
            "本工作簿后面的工作表 {} 为贵单位报送的原表（单元格位置与原表一致），问题单元格已标色（红色为错误，黄色为警告，绿色为已核实），鼠标指向单元格可查看批注。",
            names.join("、")
        )
    };
    // Only the counts there are; what each warning means for the data is
    // stated per check below (accepted, or not when its row was rejected or
    // nothing was sent).
    let mut counted = Vec::new();
    if n_err > 0 {
        counted.push(format!(
            "错误 {n_err} 条（所在行或文件未被采纳，不计入本期数据，请改正后立即重新报送）"
        ));
    }
    if n_warn > 0 {
        counted.push(format!(
            "警告 {n_warn} 条（请核实，如有误请改正；是否已采纳见下表“影响”一栏）"
        ));
    }
    if n_waived > 0 {
        counted.push(format!("已核实 {n_waived} 条（无需处理）"));
    }
    let intro = format!(
        "{sent}经检查共发现问题 {} 条：{}。{rendered}",
        all.len(),
        counted.join("；")
    );
    g.ws.set_row_height(2, 66)?;
    g.span(2, 0, last, &intro, &st.paragraph)?;

    // 一、问题统计: by check id and severity.
    let mut row = 4;
    g.span(row, 0, last, "一、问题统计（按检查项）", &section)?;
    row += 1;
    let count_heads = ["编号", "级别", "问题", "条数", "其中已核实", "需处理"];
    for (c, h) in count_heads.iter().enumerate() {
        g.put(row, c as u16, h, &st.header)?;
    }
    g.span(row, 6, last, "影响", &st.header)?;
    row += 1;
    let mut counts: BTreeMap<(&str, Severity), (usize, usize, Vec<&Finding>)> = BTreeMap::new();
    for f in all {
        let c = counts.entry((f.id.as_str(), f.severity)).or_default();
        c.0 += 1;
        c.2.push(f);
        if f.waived {
            c.1 += 1;
        }
    }
    for ((id, sev), (n, w, fs)) in &counts {
        let m = if n == w {
            Mark::Waived
        } else if *sev == Severity::Error {
            Mark::Error
        } else {
            Mark::Warning
        };
        g.put(row, 0, id, &filled(&body_center, m))?;
        g.put(row, 1, sev.label(), &body_center)?;
        g.put(row, 2, check_title(id), &body)?;
        g.num(row, 3, *n, &body_num)?;
        g.num(row, 4, *w, &body_num)?;
        g.num(row, 5, n - w, &body_num)?;
        let effect = effect_of(*sev, id, fs, all);
        g.span(row, 6, last, effect, &body)?;
        row += 1;
    }
    let total_fmt = body_num.clone().set_bold();
    g.put(row, 0, "合计", &body_center.clone().set_bold())?;
    g.put(row, 1, "", &body)?;
    g.put(row, 2, &format!("错误 {n_err} 条，警告 {n_warn} 条"), &body)?;
    g.num(row, 3, all.len(), &total_fmt)?;
    g.num(row, 4, n_waived, &total_fmt)?;
    g.num(row, 5, all.len() - n_waived, &total_fmt)?;
    g.span(row, 6, last, "", &body)?;
    row += 1;
    if all.len() > MAX_NOTES {
        let text = format!(
            "注：问题单元格较多，各表只对前 {MAX_NOTES} 处加批注；其余问题单元格已标色，逐条说明见本表下文。"
        );
        g.span(row, 0, last, &text, &body)?;
        row += 1;
    }
    row += 1;

    // 二、先改这些: errors first, then by check id; waived ones left out.
    g.span(row, 0, last, "二、先改这些（错误在前，按编号）", &section)?;
    row += 1;
    let todo_heads = ["编号", "级别", "问题", "条数"];
    for (c, h) in todo_heads.iter().enumerate() {
        g.put(row, c as u16, h, &st.header)?;
    }
    g.span(row, 4, 5, "位置", &st.header)?;
    g.span(row, 6, last, "怎么改", &st.header)?;
    row += 1;
    let mut todo: BTreeMap<(Severity, &str), Vec<&Finding>> = BTreeMap::new();
    for f in all.iter().filter(|f| !f.waived) {
        todo.entry((f.severity, f.id.as_str())).or_default().push(f);
    }
    let many_files = files.len() > 1;
    if todo.is_empty() {
        g.span(row, 0, last, "无需处理的问题（均已核实）。", &body)?;
        row += 1;
    }
    for ((sev, id), fs) in &todo {
        let m = if *sev == Severity::Error {
            Mark::Error
        } else {
            Mark::Warning
        };
        g.put(row, 0, id, &filled(&body_center, m))?;
        g.put(row, 1, sev.label(), &body_center)?;
        g.put(row, 2, check_title(id), &body)?;
        g.num(row, 3, fs.len(), &body_num)?;
        let mut places: Vec<String> = Vec::new();
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        for f in fs.iter() {
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
            // Distinct places counted through a set (a unit may have
            // hundreds of thousands); the first eight, in order, are named.
            if seen.insert(place.clone()) && places.len() < 8 {
                places.push(place);
            }
        }
        let shown = if seen.len() > 8 {
            format!("{} 等 {} 处", places.join("、"), seen.len())
        } else {
            places.join("、")
        };
        g.span(row, 4, 5, &shown, &body)?;
        let help = fs
            .first()
            .map(|f| f.help.clone())
            .filter(|h| !h.is_empty())
            .or_else(|| crate::checks::lookup(id).map(|d| d.help.to_string()))
            .unwrap_or_default();
        g.span(row, 6, last, &help, &body)?;
        let lines = display_width(&shown)
            .div_ceil(40)
            .max(display_width(&help).div_ceil(80))
            .max(1);
        if lines > 1 {
            g.ws.set_row_height(row, (lines as f64 * 14.0).min(200.0))?;
        }
        row += 1;
    }
    row += 1;

    // 三、问题明细: every finding, in file/sheet/cell order.
    g.span(row, 0, last, "三、问题明细", &section)?;
    row += 1;
    for (c, h) in SUMMARY_HEADERS.iter().enumerate() {
        g.put(row, c as u16, h, &st.header)?;
    }
    g.ws.set_row_height(row, 24)?;
    row += 1;
    for f in all {
        let m = mark_of(f);
        g.put(row, 0, &f.id, &filled(&body_center, m))?;
        g.put(row, 1, level_label(f), &filled(&body_center, m))?;
        g.put(row, 2, &f.file, &body)?;
        g.put(row, 3, &f.sheet, &body)?;
        g.put(row, 4, &f.cell, &body_center)?;
        g.put(row, 5, &f.project_code, &body)?;
        g.put(row, 6, &f.message, &body)?;
        g.put(row, 7, &f.help, &body)?;
        let lines = display_width(&f.message)
            .div_ceil(SUMMARY_MAX[6])
            .max(display_width(&f.help).div_ceil(SUMMARY_MAX[7]))
            .max(1);
        if lines > 1 {
            g.ws.set_row_height(row, (lines as f64 * 14.0).min(300.0))?;
        }
        row += 1;
    }
    row += 1;
    g.span(
        row,
        0,
        last,
        "注：“错误”所在的行不计入本期数据，请改正后将整个文件立即重新报送；“警告”所在的行如没有错误则已计入，请核实；如确认无误，可向省发改委说明，经核实后标为“已核实”。",
        &st.meta_left,
    )?;

    for (c, w) in g.widths.iter().enumerate() {
        let w = (*w).min(SUMMARY_MAX[c]).max(6);
        g.ws.set_column_width(c as u16, w as f64)?;
    }
    page_setup(g.ws);
    Ok(())
}

/// A4 landscape, one page wide, page numbers in the footer.
fn page_setup(ws: &mut Worksheet) {
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_center_horizontally(true);
    ws.set_margins(0.4, 0.4, 0.6, 0.6, 0.3, 0.3);
    ws.set_footer("&C第 &P 页 共 &N 页");
}

// ---------------------------------------------------------- re-rendered sheet

/// The role of a cell in the re-rendered sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Plain,
    Title,
    Header,
    Body,
}

fn cell_format(role: Role, mark: Option<Mark>, date: bool, wrap: bool) -> Format {
    let mut f = Format::new()
        .set_font_name(BODY_FONT)
        .set_font_size(10)
        .set_align(FormatAlign::VerticalCenter);
    f = match role {
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
    if wrap && role != Role::Header {
        f = f.set_text_wrap();
    }
    if date {
        f = f.set_num_format("yyyy-mm-dd");
    }
    match mark {
        None => f,
        Some(m) => {
            let (fill, font) = match m {
                Mark::Error => (ERROR_FILL, ERROR_FONT),
                Mark::Warning => (WARN_FILL, WARN_FONT),
                Mark::Waived => (WAIVED_FILL, WAIVED_FONT),
            };
            f.set_background_color(Color::RGB(fill))
                .set_font_color(Color::RGB(font))
                .set_border(FormatBorder::Thin)
                .set_bold()
        }
    }
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

/// The text of a cell's note: one paragraph per finding.
fn note_text(fs: &[&Finding]) -> String {
    let mut parts = Vec::new();
    let rejected = fs
        .iter()
        .any(|f| f.severity == Severity::Error && !f.waived);
    for f in fs {
        let level = if rejected && !f.waived && f.severity == Severity::Warning {
            "警告（所在行有错误，未被采纳）"
        } else {
            level_label(f)
        };
        let mut s = format!("【{} {}】{}", f.id, level, check_title(&f.id));
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

fn write_sheet(ws: &mut Worksheet, plan: &SheetPlan<'_>, issuer: &str) -> Result<(), XlsxError> {
    let sheet = plan.sheet;
    // Table regions: header block and body rows of every table on this sheet.
    let mut header_rows: BTreeSet<u32> = BTreeSet::new();
    let mut body_rows: BTreeSet<u32> = BTreeSet::new();
    let mut first_header = u32::MAX;
    for t in plan.file.tables.iter().filter(|t| t.sheet == sheet.name) {
        let (h0, h1) = t.header_rows;
        first_header = first_header.min(h0);
        header_rows.extend(h0..=h1);
        let last = t
            .rows
            .iter()
            .map(|r| r.row)
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
        body_rows.extend(h1 + 1..=last);
    }
    let width = sheet.width();
    let no_table = header_rows.is_empty();

    // Findings by cell.
    let mut by_cell: BTreeMap<(u32, u32), Vec<&Finding>> = BTreeMap::new();
    for f in &plan.findings {
        if let Some(rc) = parse_a1(&f.cell) {
            if rc.0 <= MAX_ROW && rc.1 <= MAX_COL {
                by_cell.entry(rc).or_default().push(f);
            }
        }
    }
    let mark_at = |r: u32, c: u32| -> Option<Mark> {
        by_cell
            .get(&(r, c))
            .and_then(|fs| fs.iter().map(|f| mark_of(f)).min())
    };
    let role_at = |r: u32, c: u32, merged_wide: bool| -> Role {
        if header_rows.contains(&r) {
            if c < width {
                Role::Header
            } else {
                Role::Plain
            }
        } else if body_rows.contains(&r) {
            if c < width {
                Role::Body
            } else {
                Role::Plain
            }
        } else if r < first_header && merged_wide {
            Role::Title
        } else {
            Role::Plain
        }
    };

    let merges = valid_merges(&sheet.merges);
    let mut covered: BTreeSet<(u32, u32)> = BTreeSet::new();
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

    // Column widths from content (single-column cells only).
    let mut widths: Vec<usize> = vec![0; width as usize];
    const MAX_W: usize = 50;

    // Merged regions first (empty text, the first cell's format), then the cells.
    for m in &merges {
        let (r, c) = (m.first_row, m.first_col);
        let cell = sheet.cell(r, c);
        let wide = m.last_col > m.first_col;
        let wrap = m.last_row > m.first_row || matches!(cell, Cell::Text(s) if s.contains('\n'));
        let fmt = cell_format(
            role_at(r, c, wide),
            mark_at(r, c),
            matches!(cell, Cell::Date(_)),
            wrap,
        );
        ws.merge_range(r, c as u16, m.last_row, m.last_col as u16, "", &fmt)?;
    }

    for (r, cells) in sheet.rows.iter().enumerate() {
        let r = r as u32;
        if r > MAX_ROW {
            break;
        }
        for (c, cell) in cells.iter().enumerate() {
            let c = c as u32;
            if c > MAX_COL || covered.contains(&(r, c)) {
                continue;
            }
            let merge = merge_first.get(&(r, c));
            let wide = merge.is_some_and(|m| m.last_col > m.first_col);
            let shown = cell.display();
            let too_wide = display_width(&shown) + 2 > MAX_W;
            let mark = mark_at(r, c);
            let role = role_at(r, c, wide);
            // Long text wraps inside the table; outside it (title, 备注,
            // 填报人 lines) it spills over its empty neighbours as typed.
            let in_table = matches!(role, Role::Header | Role::Body);
            let wrap = (too_wide && in_table)
                || shown.contains('\n')
                || merge.is_some_and(|m| m.last_row > m.first_row);
            if matches!(cell, Cell::Empty) && mark.is_none() && role == Role::Plain {
                continue;
            }
            let fmt = cell_format(role, mark, matches!(cell, Cell::Date(_)), wrap);
            let col = c as u16;
            match cell {
                Cell::Empty => {
                    ws.write_blank(r, col, &fmt)?;
                }
                Cell::Number(f) => {
                    ws.write_number_with_format(r, col, *f, &fmt)?;
                }
                Cell::Date(f) => {
                    let serial = if plan.is_1904 { *f + 1462.0 } else { *f };
                    ws.write_number_with_format(r, col, serial, &fmt)?;
                }
                Cell::Text(s) => {
                    ws.write_string_with_format(r, col, super::style::cell_text(s), &fmt)?;
                }
                Cell::Bool(b) => {
                    ws.write_boolean_with_format(r, col, *b, &fmt)?;
                }
                Cell::Error(s) => {
                    ws.write_string_with_format(r, col, super::style::cell_text(s), &fmt)?;
                }
            }
            // Widths come from the table (cells outside it, like a 备注 line,
            // spill over empty neighbours as they did in the original).
            let counts = no_table || role == Role::Header || role == Role::Body;
            if merge.is_none() && counts {
                let w = match cell {
                    Cell::Date(_) => 10,
                    // Excel's General format shows at most 11 characters.
                    Cell::Number(_) => display_width(&shown).min(11),
                    _ if role == Role::Header => display_width(&shown).min(20),
                    _ => display_width(&shown),
                };
                if let Some(slot) = widths.get_mut(c as usize) {
                    *slot = (*slot).max(w);
                }
            }
        }
    }

    // Offending cells outside the rows read (or empty and not written above).
    for (&(r, c), fs) in &by_cell {
        if covered.contains(&(r, c)) {
            continue;
        }
        let inside = (r as usize) < sheet.rows.len() && (c as usize) < sheet.rows[r as usize].len();
        if !inside {
            let fmt = cell_format(
                Role::Plain,
                fs.iter().map(|f| mark_of(f)).min(),
                false,
                false,
            );
            ws.write_blank(r, c as u16, &fmt)?;
        }
    }

    // Notes.
    ws.set_default_note_author(issuer);
    for (&(r, c), fs) in by_cell.iter().take(MAX_NOTES) {
        let text = note_text(fs);
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
    }

    for (c, w) in widths.iter().enumerate() {
        if c as u32 > MAX_COL {
            break;
        }
        let w = (*w + 2).clamp(6, MAX_W);
        ws.set_column_width(c as u16, w as f64)?;
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
    page_setup(ws);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
