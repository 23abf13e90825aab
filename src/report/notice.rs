//! The quarterly 通报 as the Word document the office issues (GB/T 9704-2012
//! layout), written beside the quarterly workbook, which is its 附件:
//! `关于2023年第二季度全省新基建项目推进情况的通报.docx`.
//!
//! Sections: 一、总体情况, 二、分地区情况 (红榜 / 黑榜 as the workbook decides
//! them), 三、存在问题 (lagging projects by unit), 四、下一步工作 (a marked
//! placeholder the office completes); 附件 line, 落款, 成文日期. Every figure is
//! one the quarterly workbook shows, from the same `Summary` and the same
//! wording helpers (`monthly::{yi, pct, points_text, …}`).
//!
//! Layout numbers (twips, 1 mm = 56.69): A4 11906 × 16838; margins top 37 mm
//! (2098), bottom 35 mm (1984), left 28 mm (1587), right 26 mm (1474): a
//! 156 × 225 mm 版心. Body 3号 (16 pt, 32 half-points) 仿宋_GB2312, 22 lines
//! (a `lines` grid of pitch 579 = 12756 / 22, and exact line spacing 579) of
//! 28 characters (8845 / 28 = 315.9 twips a character: each character 0.25 pt
//! narrower than 16 pt by run character spacing). Not the `linesAndChars`
//! grid (charSpace −842) Word templates use: LibreOffice gives a 16 pt
//! character two cells of that grid, 14 to a line. Title 2号 (22 pt) in the
//! workbooks' title font, off the grid. Page numbers 4号 "— 1 —" (a PAGE field), odd pages
//! right and even pages left, one character in from the edge of the 版心.
//!
//! Bytes are deterministic: paragraph ids are numbered here, the document
//! dates are the 成文日期, and the package is rewritten with fixed entry times.

use docx_rs::{
    AlignmentType, BreakType, DocGrid, DocGridType, Docx, FieldCharType, Footer, InstrPAGE,
    InstrText, LineSpacing, LineSpacingType, PageMargin, Paragraph, Run, RunFonts,
    SpecialIndentType,
};
use std::path::Path;

use super::monthly::{
    lagging_text, operation_rate_text, pct, places, points_num, points_text, start_rate_text, yi,
};
use super::quarterly::{cumulative_label, honor_and_shame, QuarterlyInput};
use super::style::{BODY_FONT, HEAD_FONT, TITLE_FONT};
use super::ReportError;
use crate::config::PipelineSpec;
use crate::model::summary::{quarter_done, GroupRow, Light, Summary};
use crate::text::quarter_cn;

/// A4 portrait, twips.
pub const PAGE_W: u32 = 11906;
pub const PAGE_H: u32 = 16838;
/// Margins top, bottom, left, right (37 / 35 / 28 / 26 mm), twips.
pub const MARGINS: (i32, i32, i32, i32) = (2098, 1984, 1587, 1474);
/// 22 lines a page: exact line spacing and grid pitch, twips.
pub const LINE_PITCH: i32 = 579;
/// 28 characters a line: every body character 0.25 pt narrower than 3号
/// (twentieths of a point): 28 × 15.75 pt = 441 pt in the 442.25 pt line.
pub const CHAR_SPACING: i32 = -5;
/// Half-points: 2号 title, 3号 body, 4号 page number.
pub const TITLE_SIZE: usize = 44;
pub const BODY_SIZE: usize = 32;
pub const PAGE_NUM_SIZE: usize = 28;
/// One character of the grid, twips (8845 / 28, rounded).
const CHAR_TWIPS: i32 = 316;
/// Font of the page numbers (GB/T 9704: 半角宋体阿拉伯数字).
const PAGE_NUM_FONT: &str = "宋体";
/// Latin letters and digits of the body.
const LATIN_FONT: &str = "Times New Roman";
/// What the office writes itself.
pub const PLACEHOLDER: &str = "【此部分由办公室补充】";

const ORDINAL_CN: [&str; 5] = ["一是", "二是", "三是", "四是", "五是"];

/// The title of a quarter's 通报, with its line break.
pub fn title(spec: &PipelineSpec, year: i32, quarter: u32) -> String {
    spec.fill(&spec.notice.title, year, quarter.clamp(1, 4) * 3, "")
}

/// The file name: the title on one line, `.docx`.
pub fn file_name(spec: &PipelineSpec, year: i32, quarter: u32) -> String {
    format!(
        "{}.docx",
        title(spec, year, quarter).replace(['\n', '\r'], "")
    )
}

/// 成文日期: day `day` of the month after the quarter (2023Q2 → 2023-07-10;
/// 2023Q4 → 2024-01-10). Fixed by the period, never today's date.
pub fn issue_date(year: i32, quarter: u32, day: u32) -> (i32, u32, u32) {
    let next = quarter.clamp(1, 4) * 3 + 1;
    if next > 12 {
        (year + 1, 1, day)
    } else {
        (year, next, day)
    }
}

/// How a paragraph is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Title,
    Blank,
    /// 主送机关: flush left.
    Recipients,
    /// A body paragraph, first line indented two characters.
    Body,
    /// 一、总体情况 …: 黑体, indented two characters.
    Heading,
    /// A body paragraph the office completes (highlighted).
    Placeholder,
    /// 附件：…
    Attachment,
    /// 发文机关署名, centred over the date.
    Office,
    /// 成文日期, four characters in from the right.
    Date,
}

/// The document as paragraphs: what `render` sets and the tests read back.
pub fn content(inp: &QuarterlyInput<'_>, end: &Summary) -> Vec<(Kind, String)> {
    let spec = inp.spec;
    let q = inp.quarter.clamp(1, 4);
    let intro = format!(
        "为及时掌握{}推进情况，根据各地、各有关部门报送的项目台账数据，现将{}年第{}季度全省{}推进情况通报如下：",
        spec.full_name,
        inp.year,
        quarter_cn(q),
        spec.name
    );
    let sections = vec![
        ("一、总体情况", overall(inp, end)),
        ("二、分地区情况", by_region(spec, end)),
        ("三、存在问题", problems(spec, end, inp.records)),
    ];
    document(spec, (inp.year, q), intro, sections)
}

/// A quarter's 通报 from its parts, the same for every kind of program:
/// title, 主送, the opening paragraph, the numbered sections, 四、下一步工作
/// with its placeholder, the 附件 line (the quarterly workbook's title), 落款
/// and 成文日期.
pub fn document(
    spec: &PipelineSpec,
    (year, q): (i32, u32),
    intro: String,
    sections: Vec<(&str, Vec<String>)>,
) -> Vec<(Kind, String)> {
    let (y, m, d) = issue_date(year, q, spec.notice.date_day);
    let attachment = spec.fill(&spec.reports.quarterly_title, year, q * 3, "");
    let mut v = vec![
        (Kind::Title, title(spec, year, q)),
        (Kind::Blank, String::new()),
        (Kind::Recipients, spec.notice.recipients.clone()),
        (Kind::Body, intro),
    ];
    for (heading, paras) in sections {
        v.push((Kind::Heading, heading.to_string()));
        v.extend(paras.into_iter().map(|p| (Kind::Body, p)));
    }
    v.push((Kind::Heading, "四、下一步工作".to_string()));
    v.push((Kind::Placeholder, PLACEHOLDER.to_string()));
    v.push((Kind::Blank, String::new()));
    v.push((Kind::Attachment, format!("附件：{attachment}")));
    v.push((Kind::Blank, String::new()));
    v.push((Kind::Blank, String::new()));
    v.push((Kind::Office, spec.notice.office.clone()));
    v.push((Kind::Date, format!("{y}年{m}月{d}日")));
    v
}

fn months_list(ms: &[u32]) -> String {
    ms.iter()
        .map(|m| format!("{m}月"))
        .collect::<Vec<_>>()
        .join("、")
}

/// 一、总体情况: the cumulative against plan and 序时进度, the quarter's own
/// investment (数据不全 when the store lacks a month), the year's target,
/// 开工率 / 投产率 with what they divide, the lagging projects.
fn overall(inp: &QuarterlyInput<'_>, end: &Summary) -> Vec<String> {
    let spec = inp.spec;
    let qcn = quarter_cn(inp.quarter);
    let t = &end.totals;
    let qd = quarter_done(inp.quarter, inp.months, inp.prev_quarter_end);
    // The months are listed only when their 当月完成 add up to the quarter.
    let months_add_up = inp.months.len() == 3
        && qd.total == Some(inp.months.iter().map(|m| m.totals.month_done).sum());
    let per_month = inp
        .months
        .iter()
        .map(|m| format!("{}月{}亿元", m.period.month, yi(m.totals.month_done)))
        .collect::<Vec<_>>()
        .join("，");
    let first_quarter = inp.quarter == 1 && qd.total.is_some();
    let mut p = format!(
        "{}年{}，全省{}累计完成投资{}亿元{}，占年度计划的{}，{}",
        inp.year,
        cumulative_label(end.period.month),
        spec.name,
        yi(t.ytd_done),
        if first_quarter && months_add_up {
            format!("（{per_month}）")
        } else {
            String::new()
        },
        pct(t.completion_rate_opt()),
        points_text(t.completion_rate() - end.time_progress),
    );
    match qd.total {
        Some(_) if first_quarter => p.push('。'),
        Some(v) => {
            p.push_str(&format!("；其中第{qcn}季度完成投资{}亿元", yi(v)));
            if months_add_up {
                p.push_str(&format!("（{per_month}）"));
            }
            p.push('。');
        }
        None => p.push_str(&format!(
            "。历史库中缺{}数据，第{qcn}季度完成投资数据不全，不作统计（已入库的{}当月完成合计{}亿元）。",
            months_list(&qd.missing),
            months_list(&inp.months.iter().map(|m| m.period.month).collect::<Vec<_>>()),
            yi(qd.partial)
        )),
    }
    let target = crate::model::summary::ratio_opt(t.ytd_done, spec.annual_target_yuan);
    p.push_str(&format!(
        "年度目标{}，已完成{}。",
        spec.annual_target_text,
        pct(target)
    ));
    let lights = lagging_lights(end);
    let second = format!(
        "全省{}个项目中，{}{}；{}；{}{}。",
        t.projects,
        start_rate_text(t, end.early_starts_count),
        match t.not_due - t.early_started {
            n if n > 0 => format!("，另有{n}个项目未到计划开工时间"),
            _ => String::new(),
        },
        operation_rate_text(t),
        lagging_text(end.lagging.len() as i64),
        lights,
    );
    vec![p, second]
}

/// `（红灯34个、黄灯46个）` of the lagging projects, empty when none.
fn lagging_lights(end: &Summary) -> String {
    let count = |l: Light| {
        end.lagging
            .iter()
            .filter(|&&i| end.project_flags.get(i).map(|f| f.light) == Some(l))
            .count()
    };
    let parts: Vec<String> = [("红灯", count(Light::Red)), ("黄灯", count(Light::Yellow))]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{k}{n}个"))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("（{}）", parts.join("、"))
    }
}

/// `南昌市（完成率38.2%，落后序时进度11.8个百分点）` for a board.
fn board(rows: &[&GroupRow]) -> String {
    rows.iter()
        .map(|r| {
            format!(
                "{}（完成率{}，{}）",
                r.key,
                pct(r.sums.completion_rate_opt()),
                points_text(r.gap)
            )
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// 二、分地区情况: how many units reached 序时进度, the 红榜 and 黑榜 with
/// their rates, the units not ranked.
fn by_region(spec: &PipelineSpec, end: &Summary) -> Vec<String> {
    let month = end.period.month;
    let units: Vec<&GroupRow> = end
        .main_ranking()
        .into_iter()
        .filter(|r| r.sums.annual_plan > 0)
        .collect();
    let ahead = units.iter().filter(|r| r.reached).count();
    let n = units.len();
    let mut p = match ahead {
        0 => format!("截至{month}月底，参加排名的{n}个地区均落后序时进度。"),
        a if a == n => format!("截至{month}月底，参加排名的{n}个地区均达到或超过序时进度。"),
        a => format!(
            "截至{month}月底，参加排名的{n}个地区中，{a}个地区达到或超过序时进度，{}个地区落后序时进度。",
            n - a
        ),
    };
    let (honor, shame) = honor_and_shame(spec, end);
    if honor.is_empty() {
        p.push_str("本季度没有地区达到序时进度，红榜空缺。");
    } else {
        p.push_str(&format!("列入红榜的是：{}。", board(&honor)));
    }
    if !shame.is_empty() {
        p.push_str(&format!("列入黑榜的是：{}。", board(&shame)));
    }
    let unreported: Vec<&str> = end
        .unreported_units()
        .iter()
        .map(|r| r.key.as_str())
        .collect();
    if !unreported.is_empty() {
        p.push_str(&format!(
            "{}本期未报送数据，不参加排名。",
            places(&unreported)
        ));
    }
    if !end.department_ranking().is_empty() {
        p.push_str("省直有关部门单独排名，不列入红黑榜。");
    }
    p.push_str("各地区排名、红黑榜、滞后项目清单及逐月完成情况详见附件。");
    vec![p]
}

/// 三、存在问题: lagging projects by unit (most first, `等N个项目` beyond
/// `names_per_unit`), red-light units, data not sent or rejected.
fn problems(
    spec: &PipelineSpec,
    end: &Summary,
    records: &[crate::model::ProjectRecord],
) -> Vec<String> {
    let month = end.period.month;
    let mut items = Vec::new();
    if !end.lagging.is_empty() {
        let overdue = end
            .lagging
            .iter()
            .filter(|&&i| end.project_flags.get(i).is_some_and(|f| f.overdue_start))
            .count();
        let mut p = format!(
            "部分项目进度滞后。截至{month}月底，全省{}{}",
            lagging_text(end.lagging.len() as i64),
            lagging_lights(end)
        );
        if overdue > 0 {
            p.push_str(&format!("，其中逾期未开工{overdue}个"));
        }
        p.push_str(&format!(
            "。按责任单位分：{}。",
            lagging_by_unit(end, records, spec.notice.names_per_unit)
        ));
        items.push(p);
    }
    let red: Vec<&str> = end
        .main_ranking()
        .into_iter()
        .filter(|r| r.light == Light::Red)
        .map(|r| r.key.as_str())
        .collect();
    if !red.is_empty() {
        items.push(format!(
            "部分地区进度明显落后。{}落后序时进度{}个百分点以上，亮红灯。",
            places(&red),
            points_num(spec.lights.red_below * 100.0)
        ));
    }
    let unreported: Vec<&str> = end
        .unreported_units()
        .iter()
        .map(|r| r.key.as_str())
        .collect();
    let mut data = Vec::new();
    if !unreported.is_empty() {
        data.push(format!("{}本期未报送数据", places(&unreported)));
    }
    if !end.rejected.is_empty() {
        data.push(format!(
            "{}个项目的报送数据填报有误、未被采纳",
            end.rejected.len()
        ));
    }
    if !data.is_empty() {
        items.push(format!("数据报送质量有待提高。{}。", data.join("；")));
    }
    if items.is_empty() {
        return vec![format!("截至{month}月底，全省无滞后项目。")];
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, p)| format!("{}{p}", ORDINAL_CN.get(i).copied().unwrap_or("")))
        .collect()
}

/// `赣州市12个（甲、乙、丙等12个项目），南昌市2个（丁、戊）`: units with the
/// most lagging projects first; in a unit red before yellow, then the lowest
/// completion rate.
fn lagging_by_unit(
    end: &Summary,
    records: &[crate::model::ProjectRecord],
    per_unit: usize,
) -> String {
    let mut units: Vec<(&str, Vec<usize>)> = Vec::new();
    for &i in &end.lagging {
        let (Some(r), Some(_)) = (records.get(i), end.project_flags.get(i)) else {
            continue;
        };
        match units.iter_mut().find(|(u, _)| *u == r.unit) {
            Some((_, v)) => v.push(i),
            None => units.push((r.unit.as_str(), vec![i])),
        }
    }
    // Stable: equal counts keep the order of the unit list.
    let order = |u: &str| end.by_unit.iter().position(|r| r.key == u);
    units.sort_by_key(|(u, v)| (std::cmp::Reverse(v.len()), order(u)));
    units
        .into_iter()
        .map(|(unit, mut idx)| {
            idx.sort_by(|&a, &b| {
                let (fa, fb) = (&end.project_flags[a], &end.project_flags[b]);
                let red = |f: &crate::model::summary::ProjectFlags| f.light != Light::Red;
                red(fa)
                    .cmp(&red(fb))
                    .then(fa.completion_rate.total_cmp(&fb.completion_rate))
                    .then(a.cmp(&b))
            });
            let names: Vec<&str> = idx
                .iter()
                .take(per_unit)
                .map(|&i| records[i].name.as_str())
                .collect();
            let more = if idx.len() > per_unit {
                format!("等{}个项目", idx.len())
            } else {
                String::new()
            };
            format!("{unit}{}个（{}{more}）", idx.len(), names.join("、"))
        })
        .collect::<Vec<_>>()
        .join("，")
}

fn body_fonts() -> RunFonts {
    RunFonts::new()
        .ascii(LATIN_FONT)
        .hi_ansi(LATIN_FONT)
        .east_asia(BODY_FONT)
        .cs(LATIN_FONT)
}

fn font(name: &str) -> RunFonts {
    RunFonts::new()
        .ascii(name)
        .hi_ansi(name)
        .east_asia(name)
        .cs(name)
}

fn exact(twips: i32) -> LineSpacing {
    LineSpacing::new()
        .line_rule(LineSpacingType::Exact)
        .line(twips)
        .before(0)
        .after(0)
}

/// Display width in characters of the grid (a CJK character is 1, a digit ½),
/// in half characters.
fn half_chars(s: &str) -> i32 {
    crate::text::display_width(s) as i32
}

/// One paragraph of the document, numbered `n` (its `w14:paraId`).
fn paragraph(kind: Kind, text: &str, n: usize, date: &str) -> Paragraph {
    let p = Paragraph::new()
        .id(format!("{:08X}", 0x1000 + n))
        .line_spacing(exact(LINE_PITCH));
    let run = |t: &str| {
        Run::new()
            .add_text(t)
            .size(BODY_SIZE)
            .character_spacing(CHAR_SPACING)
            .fonts(body_fonts())
    };
    let indent2 = |p: Paragraph| {
        p.indent(
            None,
            Some(SpecialIndentType::FirstLine(2 * CHAR_TWIPS)),
            None,
            None,
        )
    };
    match kind {
        Kind::Title => {
            let mut r = Run::new().size(TITLE_SIZE).fonts(font(TITLE_FONT));
            for (i, line) in text.lines().enumerate() {
                if i > 0 {
                    r = r.add_break(BreakType::TextWrapping);
                }
                r = r.add_text(line);
            }
            // Off the body's grid: 2号 characters keep their own width and
            // line height instead of taking two grid cells each.
            p.line_spacing(exact(700))
                .snap_to_grid(false)
                .align(AlignmentType::Center)
                .add_run(r)
        }
        Kind::Blank => p.add_run(run("")),
        Kind::Recipients => p.add_run(run(text)),
        Kind::Body => indent2(p).align(AlignmentType::Both).add_run(run(text)),
        // Two characters in; a second line aligns with the name after 附件：.
        Kind::Attachment => p
            .indent(
                Some(5 * CHAR_TWIPS),
                Some(SpecialIndentType::Hanging(3 * CHAR_TWIPS)),
                None,
                None,
            )
            .add_run(run(text)),
        Kind::Heading => indent2(p).add_run(
            Run::new()
                .add_text(text)
                .size(BODY_SIZE)
                .character_spacing(CHAR_SPACING)
                .fonts(font(HEAD_FONT)),
        ),
        Kind::Placeholder => indent2(p).add_run(run(text).highlight("yellow")),
        Kind::Office => {
            // Centred over the date, which stands four characters from the
            // right: 4 + (date − office) / 2 characters, at least 2 (in
            // quarter characters below).
            let right = (16 + half_chars(date) - half_chars(text)).max(8) * CHAR_TWIPS / 4;
            p.align(AlignmentType::Right)
                .indent(None, None, Some(right), None)
                .add_run(run(text))
        }
        Kind::Date => p
            .align(AlignmentType::Right)
            .indent(None, None, Some(4 * CHAR_TWIPS), None)
            .add_run(run(text)),
    }
}

/// `— 1 —` in the footer: odd pages right, even pages left, one character
/// (of 4号) in from the 版心's edge.
fn page_footer(odd: bool, n: usize) -> Footer {
    let r = |t: &str| {
        Run::new()
            .add_text(t)
            .size(PAGE_NUM_SIZE)
            .fonts(font(PAGE_NUM_FONT))
    };
    let field = Run::new()
        .size(PAGE_NUM_SIZE)
        .fonts(font(PAGE_NUM_FONT))
        .add_field_char(FieldCharType::Begin, false)
        .add_instr_text(InstrText::PAGE(InstrPAGE::new()))
        .add_field_char(FieldCharType::Separate, false)
        .add_text("1")
        .add_field_char(FieldCharType::End, false);
    let one = (PAGE_NUM_SIZE as i32) * 10;
    let p = Paragraph::new()
        .id(format!("{:08X}", 0x100 + n))
        .add_run(r("— "))
        .add_run(field)
        .add_run(r(" —"));
    let p = if odd {
        p.align(AlignmentType::Right)
            .indent(None, None, Some(one), None)
    } else {
        p.align(AlignmentType::Left)
            .indent(Some(one), None, None, None)
    };
    Footer::new().add_paragraph(p)
}

/// The document of `blocks`, laid out by GB/T 9704.
fn render(blocks: &[(Kind, String)], date_iso: &str) -> Docx {
    let date = blocks
        .iter()
        .find(|(k, _)| *k == Kind::Date)
        .map(|(_, t)| t.as_str())
        .unwrap_or_default();
    let (top, bottom, left, right) = MARGINS;
    let mut docx = Docx::new()
        .page_size(PAGE_W, PAGE_H)
        .page_margin(
            PageMargin::new()
                .top(top)
                .bottom(bottom)
                .left(left)
                .right(right)
                .header(851)
                .footer(1247)
                .gutter(0),
        )
        .default_fonts(body_fonts())
        .default_size(BODY_SIZE)
        .default_line_spacing(exact(LINE_PITCH))
        .footer(page_footer(true, 1))
        .even_footer(page_footer(false, 2))
        .created_at(date_iso)
        .updated_at(date_iso);
    docx.document = docx.document.doc_grid(
        DocGrid::new()
            .grid_type(DocGridType::Lines)
            .line_pitch(LINE_PITCH as usize),
    );
    for (n, (kind, text)) in blocks.iter().enumerate() {
        docx = docx.add_paragraph(paragraph(*kind, text, n, date));
    }
    docx
}

/// Writes the 通报 into `dir`; returns its file name (empty when the quarter
/// has no stored month).
pub fn write(inp: &QuarterlyInput<'_>, dir: &Path) -> Result<String, ReportError> {
    let Some(end) = inp.months.last() else {
        return Ok(String::new());
    };
    write_document(inp.spec, (inp.year, inp.quarter), &content(inp, end), dir)
}

/// Sets `blocks` as a quarter's 通报 of `spec` (file name from `[notice]`
/// title, document and package dated the 成文日期) and writes it into `dir`
/// atomically; returns its file name. Shared by every kind of program.
pub fn write_document(
    spec: &PipelineSpec,
    (year, quarter): (i32, u32),
    blocks: &[(Kind, String)],
    dir: &Path,
) -> Result<String, ReportError> {
    let name = file_name(spec, year, quarter);
    let path = dir.join(&name);
    let (y, m, d) = issue_date(year, quarter, spec.notice.date_day);
    let date_iso = format!("{y:04}-{m:02}-{d:02}T00:00:00Z");
    let docx = render(blocks, &date_iso);
    let docx_err = |e: String| ReportError::Docx {
        path: path.clone(),
        message: e,
    };
    let mut raw = std::io::Cursor::new(Vec::new());
    docx.pack(&mut raw).map_err(|e| docx_err(e.to_string()))?;
    let bytes = repack(&raw.into_inner(), (y, m, d)).map_err(|e| docx_err(e.to_string()))?;
    crate::fsx::write_atomic(&path, &bytes).map_err(|e| ReportError::Write {
        path: path.clone(),
        source: e.into(),
    })?;
    Ok(name)
}

/// The package again, part by part in the same order, deflated, every part
/// dated the 成文日期 (the writer would otherwise stamp the clock when its
/// `time` feature is on anywhere in the build).
fn repack(bytes: &[u8], (y, m, d): (i32, u32, u32)) -> zip::result::ZipResult<Vec<u8>> {
    use std::io::{Read, Write};
    use zip::write::SimpleFileOptions;
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
    let when =
        zip::DateTime::from_date_and_time(y.clamp(1980, 2107) as u16, m as u8, d as u8, 0, 0, 0)
            .unwrap_or_default();
    let opts = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(when)
        .unix_permissions(0o644);
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..src.len() {
        let mut entry = src.by_index(i)?;
        let name = entry.name()?.to_string();
        // A package needs no folder entries (docx-rs writes four).
        if entry.is_dir() {
            continue;
        }
        let mut data = Vec::new();
        entry.read_to_end(&mut data)?;
        out.start_file(name, opts)?;
        out.write_all(&data)?;
    }
    Ok(out.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::summary::Sums;
    use crate::model::Period;

    fn spec() -> PipelineSpec {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        crate::config::load_pipeline(&root.join("pipelines/new-infra.toml"), &root).unwrap()
    }

    fn unit(key: &str, rank: Option<usize>, rate: f64, light: Light) -> GroupRow {
        GroupRow {
            key: key.to_string(),
            sums: Sums {
                projects: 10,
                annual_plan: 100_000_000,
                ytd_done: (rate * 100_000_000.0) as i64,
                ..Sums::default()
            },
            completion_rate: rate,
            gap: rate - 0.5,
            rank,
            prev_rank: None,
            light,
            department: false,
            reached: rate >= 0.5,
        }
    }

    /// June: 甲 ahead, 乙 red, 丙 sent nothing; no lagging project, two rows rejected.
    fn june() -> Summary {
        Summary {
            period: Period {
                year: 2023,
                month: 6,
            },
            time_progress: 0.5,
            totals: Sums::default(),
            by_unit: vec![
                unit("甲市", Some(1), 0.6, Light::Green),
                unit("乙市", Some(2), 0.1, Light::Red),
                unit("丙市", None, 0.0, Light::NotReported),
            ],
            by_category: Vec::new(),
            by_group: Vec::new(),
            lagging: Vec::new(),
            not_started: Vec::new(),
            problems: Vec::new(),
            not_reported: Vec::new(),
            rejected: vec![0, 1],
            trend: Vec::new(),
            prev_month: None,
            prev_missing: false,
            early_starts_count: true,
            departments_apart: true,
            project_flags: Vec::new(),
            focus: Default::default(),
        }
    }

    #[test]
    fn regions_and_problems_name_red_unreported_and_rejected() {
        let (spec, s) = (spec(), june());
        assert_eq!(
            by_region(&spec, &s),
            vec![
                "截至6月底，参加排名的2个地区中，1个地区达到或超过序时进度，1个地区落后序时进度。\
                  列入红榜的是：甲市（完成率60.0%，超序时进度10个百分点）。\
                  列入黑榜的是：乙市（完成率10.0%，落后序时进度40个百分点）。\
                  丙市本期未报送数据，不参加排名。\
                  各地区排名、红黑榜、滞后项目清单及逐月完成情况详见附件。"
                    .to_string()
            ]
        );
        assert_eq!(
            problems(&spec, &s, &[]),
            vec![
                "一是部分地区进度明显落后。乙市落后序时进度30个百分点以上，亮红灯。".to_string(),
                "二是数据报送质量有待提高。丙市本期未报送数据；2个项目的报送数据填报有误、未被采纳。"
                    .to_string(),
            ]
        );
        let mut calm = june();
        calm.by_unit.truncate(1);
        calm.rejected.clear();
        assert_eq!(
            problems(&spec, &calm, &[]),
            vec!["截至6月底，全省无滞后项目。".to_string()]
        );
    }

    #[test]
    fn issue_date_is_the_day_of_the_month_after_the_quarter() {
        assert_eq!(issue_date(2023, 1, 10), (2023, 4, 10));
        assert_eq!(issue_date(2023, 2, 10), (2023, 7, 10));
        assert_eq!(issue_date(2023, 3, 5), (2023, 10, 5));
        assert_eq!(issue_date(2023, 4, 10), (2024, 1, 10));
    }

    #[test]
    fn office_is_centred_over_the_date() {
        let xml = |office: &str| {
            let p = paragraph(Kind::Office, office, 0, "2023年7月10日");
            String::from_utf8(docx_rs::BuildXML::build(&p)).unwrap_or_default()
        };
        // 发展改革委 (5 characters) over 2023年7月10日 (6.5): 4 + 0.75
        // characters from the right, so both centres meet.
        assert!(
            xml("发展改革委").contains("w:right=\"1501\""),
            "{}",
            xml("发展改革委")
        );
        // An office longer than the date stands two characters in.
        let long = xml("江西省发展和改革委员会");
        assert!(
            long.contains(&format!("w:right=\"{}\"", 2 * CHAR_TWIPS)),
            "{long}"
        );
    }
}
