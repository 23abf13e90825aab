//! The quarterly 通报 of a tasks-kind program as the Word document the office
//! issues, beside the quarterly workbook (its 附件). The layout (GB/T 9704),
//! file name, 成文日期 and package are the investment notice's
//! (`report::notice::write_document`); only the wording is this kind's:
//! 一、总体情况 (the quarter-end counts, the 专项 with most lagging items),
//! 二、各单位推进情况 (ranked units, 红榜 / 黑榜, units that sent nothing),
//! 三、存在问题 (lagging or overdue items by unit, `names_per_unit` named),
//! 四、下一步工作 (a marked placeholder). Every figure is one the quarterly
//! workbook shows, from the same [`TaskSummary`] and wording helpers.

use std::path::Path;

use super::aggregate::TaskSummary;
use super::report::{board_text, paragraph, pct, TaskReportInput};
use super::TaskRecord;
use crate::config::PipelineSpec;
use crate::report::notice::{document, write_document, Kind};
use crate::report::ReportError;
use crate::text::quarter_cn;

/// Characters of an item's text quoted in 存在问题 before `…`.
const ITEM_CHARS: usize = 24;

/// The document as paragraphs: what `write` sets and the tests read back.
pub fn content(inp: &TaskReportInput<'_>) -> Vec<(Kind, String)> {
    let (spec, s) = (inp.spec, inp.summary);
    let (year, q) = (inp.period.year, inp.period.quarter());
    let intro = format!(
        "为及时掌握{}落实情况，根据各责任单位报送的工作任务台账，现将{year}年第{}季度工作任务推进情况通报如下：",
        spec.full_name,
        quarter_cn(q)
    );
    let sections = vec![
        ("一、总体情况", overall(spec, s, inp.records)),
        ("二、各单位推进情况", by_unit(spec, s)),
        (
            "三、存在问题",
            problems(s, inp.records, spec.notice.names_per_unit),
        ),
    ];
    document(spec, (year, q), intro, sections)
}

/// 一、总体情况: the workbook's paragraph, then the 专项 of the lagging or
/// overdue items (the 滞后任务 list's rows).
fn overall(spec: &PipelineSpec, s: &TaskSummary, records: &[TaskRecord]) -> Vec<String> {
    let mut v = vec![paragraph(spec, s)];
    let mut groups: Vec<(&str, usize)> = Vec::new();
    for r in s.lagging.iter().filter_map(|&i| records.get(i)) {
        match groups.iter_mut().find(|(g, _)| *g == r.group) {
            Some((_, n)) => *n += 1,
            None => groups.push((r.group.as_str(), 1)),
        }
    }
    // Most first; equal counts keep the plan's order.
    groups.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    if !groups.is_empty() {
        let named: Vec<String> = groups
            .iter()
            .map(|(g, n)| format!("{}{n}项", display_group(g)))
            .collect();
        v.push(format!(
            "分专项看，滞后或逾期未完成的任务分布在：{}。",
            named.join("、")
        ));
    }
    v
}

fn display_group(g: &str) -> &str {
    if g.is_empty() {
        "未分专项"
    } else {
        g
    }
}

/// 二、各单位推进情况: how many units ranked, the first and last, 红榜 / 黑榜,
/// the units that sent nothing.
fn by_unit(spec: &PipelineSpec, s: &TaskSummary) -> Vec<String> {
    let ranked: Vec<_> = s.by_unit.iter().filter(|u| u.rank.is_some()).collect();
    let mut p = String::new();
    if let (Some(first), Some(last)) = (ranked.first(), ranked.last()) {
        // Units tied at the top (rank 1) or the bottom (the last rank) are all named.
        let at = |rank: Option<usize>| -> String {
            let names: Vec<&str> = ranked
                .iter()
                .filter(|u| u.rank == rank)
                .map(|u| u.unit.as_str())
                .collect();
            match names.len() {
                0..=3 => names.join("、"),
                n => format!("{}等{n}个单位", names[..3].join("、")),
            }
        };
        p.push_str(&format!(
            "按各责任单位承担任务的按时推进率排名，{}个单位中{}最高（{}）",
            ranked.len(),
            at(first.rank),
            pct(first.share)
        ));
        if last.rank != first.rank {
            p.push_str(&format!("，{}最低（{}）", at(last.rank), pct(last.share)));
        }
        p.push('。');
    }
    p.push_str(&board_text(spec, s));
    if !s.missing_units.is_empty() {
        p.push_str(&format!(
            "{}本季度末未报送，未参加排名。",
            s.missing_units.join("、")
        ));
    }
    if p.is_empty() {
        p.push_str("本季度末无单位报送，未排名。");
    }
    vec![p]
}

/// 三、存在问题: lagging or overdue items by unit, the units with most first
/// (equal counts in ranking order), at most `per_unit` items named in each.
fn problems(s: &TaskSummary, records: &[TaskRecord], per_unit: usize) -> Vec<String> {
    let mut units: Vec<(&str, Vec<&TaskRecord>)> = Vec::new();
    for r in s.lagging.iter().filter_map(|&i| records.get(i)) {
        match units.iter_mut().find(|(u, _)| *u == r.unit) {
            Some((_, v)) => v.push(r),
            None => units.push((r.unit.as_str(), vec![r])),
        }
    }
    let order = |u: &str| s.by_unit.iter().position(|x| x.unit == u);
    units.sort_by_key(|(u, v)| (std::cmp::Reverse(v.len()), order(u)));
    if units.is_empty() {
        return vec!["本季度末无滞后或逾期未完成的任务。".to_string()];
    }
    let total: usize = units.iter().map(|(_, v)| v.len()).sum();
    let list: Vec<String> = units
        .iter()
        .map(|(unit, rs)| {
            let named: Vec<String> = rs.iter().take(per_unit).map(|r| item_label(r)).collect();
            let more = if rs.len() > per_unit {
                format!("等{}项", rs.len())
            } else {
                String::new()
            };
            format!("{unit}{}项（{}{more}）", rs.len(), named.join("、"))
        })
        .collect();
    vec![format!(
        "截至季度末，滞后或逾期未完成的任务共{total}项：{}。",
        list.join("；")
    )]
}

/// `第12项“加快…”（逾期）`: the item's number, its text cut to
/// `ITEM_CHARS`, and why it is listed.
fn item_label(r: &TaskRecord) -> String {
    let why = if r.overdue { "逾期" } else { "滞后" };
    if r.item.trim().is_empty() {
        // The plan kept the number of an item whose text was lost.
        return format!("第{}项（原文缺失，{why}）", r.no);
    }
    let text: String = r.item.chars().take(ITEM_CHARS).collect();
    let cut = if r.item.chars().count() > ITEM_CHARS {
        "…"
    } else {
        ""
    };
    format!("第{}项“{text}{cut}”（{why}）", r.no)
}

/// Writes the 通报 into `dir`; returns its file name.
pub fn write(inp: &TaskReportInput<'_>, dir: &Path) -> Result<String, ReportError> {
    let q = inp.period.quarter();
    write_document(inp.spec, (inp.period.year, q), &content(inp), dir)
}
