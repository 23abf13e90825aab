//! Report sheets of the tasks kind, in the official look (`report::style`):
//! the monthly 工作任务推进情况表 (汇总 by 专项 with the paragraph, 分单位
//! ranked by share on time, 任务明细 with the latest progress, 滞后任务,
//! 未报送, 问题清单) and, at quarter-end months, the quarterly 通报 workbook
//! (通报 paragraph with 红黑榜, 季度排名, 滞后任务). They render what
//! [`TaskSummary`] decided.

use std::path::Path;

use rust_xlsxwriter::Workbook;

use super::aggregate::{Counts, TaskLight, TaskSummary, UnitRow};
use super::TaskRecord;
use crate::config::PipelineSpec;
use crate::model::{Finding, Period};
use crate::report::style::{
    push_tables, write_paragraph, write_table, RowStyle, Styles, TableSheet, Val,
};
use crate::report::{properties, save, xerr, ReportError};

/// What the tasks reports read.
pub struct TaskReportInput<'a> {
    pub spec: &'a PipelineSpec,
    pub period: Period,
    pub summary: &'a TaskSummary,
    pub records: &'a [TaskRecord],
    pub findings: &'a [Finding],
}

type Row = (Vec<Val>, RowStyle);

fn share(c: &Counts) -> Val {
    if c.assignments == 0 {
        Val::Text("—".to_string())
    } else {
        Val::Rate(c.on_time_share())
    }
}

fn n(x: usize) -> Val {
    Val::Int(x as i64)
}

fn counts_cells(c: &Counts) -> Vec<Val> {
    vec![
        n(c.done),
        n(c.on_schedule),
        n(c.lagging),
        n(c.not_started),
        n(c.not_reported),
        n(c.overdue),
        share(c),
    ]
}

const COUNT_HEADERS: [&str; 7] = [
    "已完成",
    "按序时推进",
    "滞后",
    "未启动",
    "未报送",
    "逾期未完成",
    "按时推进率",
];

/// 汇总 / 通报 table headers: 专项, items, assignments, the counts.
fn group_headers() -> Vec<&'static str> {
    let mut h = vec!["重点专项", "任务数", "责任分工数"];
    h.extend(COUNT_HEADERS);
    h
}

/// 分单位 / 季度排名 table headers.
fn unit_headers() -> Vec<&'static str> {
    let mut h = vec!["排名", "责任单位", "承担任务数"];
    h.extend(COUNT_HEADERS);
    h.push("评价");
    h
}

const LAG_HEADERS: [&str; 7] = [
    "序号",
    "工作举措",
    "责任单位",
    "完成时限",
    "完成状态",
    "是否逾期",
    "存在问题",
];

pub(crate) fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The paragraph under 汇总: the period's counts in words.
pub fn paragraph(spec: &PipelineSpec, s: &TaskSummary) -> String {
    let t = &s.totals;
    let mut p = format!(
        "截至{}年{}月底，{}共{}项工作举措（{}项责任分工）中，已完成{}项，按序时推进{}项，滞后{}项，未启动{}项，未报送{}项；按时推进率{}。",
        s.period.year,
        s.period.month,
        spec.full_name,
        t.items,
        t.assignments,
        t.done,
        t.on_schedule,
        t.lagging,
        t.not_started,
        t.not_reported,
        if t.assignments == 0 { "—".to_string() } else { pct(t.on_time_share()) }
    );
    if t.overdue > 0 {
        p.push_str(&format!(
            "已过完成时限仍未完成的{}项，请责任单位加快推进。",
            t.overdue
        ));
    }
    if !s.missing_units.is_empty() {
        p.push_str(&format!("{}本期未报送。", s.missing_units.join("、")));
    }
    p
}

fn light_style(l: TaskLight) -> RowStyle {
    match l {
        TaskLight::Green => RowStyle::Green,
        TaskLight::Yellow => RowStyle::Yellow,
        TaskLight::Red => RowStyle::Red,
        TaskLight::NotReported => RowStyle::Normal,
    }
}

fn unit_rows(units: &[UnitRow]) -> Vec<Row> {
    units
        .iter()
        .map(|u| {
            let mut v = vec![
                u.rank.map_or(Val::Text("不排名".to_string()), n),
                Val::Text(u.unit.clone()),
                n(u.counts.assignments),
            ];
            v.extend(counts_cells(&u.counts));
            v.push(Val::Text(u.light.label().to_string()));
            (v, light_style(u.light))
        })
        .collect()
}

fn group_rows(s: &TaskSummary) -> Vec<Row> {
    let mut rows: Vec<Row> = s
        .by_group
        .iter()
        .map(|g| {
            let mut v = vec![
                Val::Text(g.group.clone()),
                n(g.counts.items),
                n(g.counts.assignments),
            ];
            v.extend(counts_cells(&g.counts));
            (v, RowStyle::Normal)
        })
        .collect();
    let mut v = vec![
        Val::Text("合计".to_string()),
        n(s.totals.items),
        n(s.totals.assignments),
    ];
    v.extend(counts_cells(&s.totals));
    rows.push((v, RowStyle::Total));
    rows
}

fn state_text(r: &TaskRecord) -> String {
    r.state.map_or("—".to_string(), |s| s.label().to_string())
}

fn note(r: &TaskRecord) -> String {
    match (r.reported, r.rejected, r.carried) {
        (true, _, _) => String::new(),
        (false, true, _) => "填报有误未采纳（状态沿用上月）".to_string(),
        (false, false, true) => "本期未报送，状态和进展沿用上月".to_string(),
        (false, false, false) => "本期未报送".to_string(),
    }
}

fn detail_rows(records: &[TaskRecord]) -> Vec<Row> {
    records
        .iter()
        .map(|r| {
            let style = if r.overdue || r.counted() == Some(super::TaskState::Lagging) {
                RowStyle::Red
            } else {
                RowStyle::Normal
            };
            (
                vec![
                    n(r.no as usize),
                    Val::Text(r.group.clone()),
                    Val::Text(if r.item.is_empty() {
                        "（原文缺失）".to_string()
                    } else {
                        r.item.clone()
                    }),
                    Val::Text(r.unit.clone()),
                    Val::Text(if r.lead { "牵头" } else { "配合" }.to_string()),
                    Val::Text(r.due.clone()),
                    Val::Text(state_text(r)),
                    Val::Text(r.done_on.clone().unwrap_or_default()),
                    Val::Text(r.progress.clone()),
                    Val::Text(r.problems.clone()),
                    Val::Text(note(r)),
                ],
                style,
            )
        })
        .collect()
}

fn lagging_rows(s: &TaskSummary, records: &[TaskRecord]) -> Vec<Row> {
    s.lagging
        .iter()
        .filter_map(|i| records.get(*i))
        .map(|r| {
            (
                vec![
                    n(r.no as usize),
                    Val::Text(r.item.clone()),
                    Val::Text(r.unit.clone()),
                    Val::Text(r.due.clone()),
                    Val::Text(state_text(r)),
                    Val::Text(if r.overdue { "是" } else { "否" }.to_string()),
                    Val::Text(r.problems.clone()),
                ],
                RowStyle::Normal,
            )
        })
        .collect()
}

fn missing_rows(records: &[TaskRecord], missing_units: &[String]) -> Vec<Row> {
    records
        .iter()
        .filter(|r| !r.reported)
        .map(|r| {
            let why = if missing_units.contains(&r.unit) {
                "单位本期未报送"
            } else if r.rejected {
                "填报有误未采纳"
            } else {
                "台账中漏报该任务"
            };
            (
                vec![
                    Val::Text(r.unit.clone()),
                    n(r.no as usize),
                    Val::Text(r.item.clone()),
                    Val::Text(why.to_string()),
                ],
                RowStyle::Normal,
            )
        })
        .collect()
}

fn finding_rows(findings: &[Finding]) -> Vec<Row> {
    findings
        .iter()
        .map(|f| {
            (
                vec![
                    Val::Text(f.unit.clone()),
                    Val::Text(f.file.clone()),
                    Val::Text(f.sheet.clone()),
                    Val::Text(f.cell.clone()),
                    Val::Text(f.id.clone()),
                    Val::Text(f.severity.label().to_string()),
                    Val::Text(f.message.clone()),
                ],
                RowStyle::Normal,
            )
        })
        .collect()
}

/// `1-7月`, or `1月` in January.
fn months(p: Period) -> String {
    if p.month == 1 {
        "1月".to_string()
    } else {
        format!("1-{}月", p.month)
    }
}

/// A workbook of the period: file name, path, title, properties pinned to the
/// period, and the meta line shared by its tables.
struct Book {
    name: String,
    path: std::path::PathBuf,
    title: String,
    meta_left: String,
    meta_mid: String,
}

impl Book {
    /// A table sheet of this workbook (its title block's meta line).
    fn table(
        &self,
        title: &str,
        unit: &str,
        headers: Vec<&'static str>,
        rows: Vec<Row>,
    ) -> TableSheet<'_> {
        TableSheet::new(title, &self.meta_left, &self.meta_mid, unit, headers, rows)
    }

    /// The first sheet, monthly 汇总 or quarterly 通报: counts by 专项 under
    /// the workbook's title, then a paragraph.
    fn counts_sheet(
        &self,
        wb: &mut Workbook,
        st: &Styles,
        name: &str,
        s: &TaskSummary,
        text: &str,
    ) -> Result<(), rust_xlsxwriter::XlsxError> {
        let table = self.table(&self.title, "单位：项", group_headers(), group_rows(s));
        let ws = wb.add_worksheet().set_name(name)?;
        let lay = write_table(ws, st, &table)?;
        write_paragraph(ws, st, &lay, lay.next_row - 1, text).map(|_| ())
    }
}

fn book(
    spec: &PipelineSpec,
    p: Period,
    dir: &Path,
    (file, title): (&str, &str),
) -> (Book, Workbook) {
    let name = format!("{}.xlsx", spec.fill(file, p.year, p.month, ""));
    let title = spec.fill(title, p.year, p.month, "");
    let mut wb = Workbook::new();
    wb.set_properties(&properties(&title, &spec.issuer, p));
    let b = Book {
        path: dir.join(&name),
        name,
        title,
        meta_left: format!("制表单位：{}", spec.issuer),
        meta_mid: format!("截至{}年{}月底", p.year, p.month),
    };
    (b, wb)
}

/// Writes the monthly workbook; returns its file name.
pub fn write_monthly(inp: &TaskReportInput<'_>, dir: &Path) -> Result<String, ReportError> {
    let (spec, p, s) = (inp.spec, inp.period, inp.summary);
    let (b, mut wb) = book(
        spec,
        p,
        dir,
        (&spec.reports.monthly, &spec.reports.monthly_title),
    );
    let (path, st) = (b.path.clone(), Styles::new());
    let e = xerr(&path);
    b.counts_sheet(&mut wb, &st, "汇总", s, &paragraph(spec, s))
        .map_err(&e)?;
    let sheet = |t: &str, h: Vec<&'static str>, rows: Vec<Row>| b.table(t, "单位：项", h, rows);

    let mut units = sheet(
        &format!("{}年{}各责任单位工作任务推进情况", p.year, months(p)),
        unit_headers(),
        unit_rows(&s.by_unit),
    );
    units.notes.push(ranking_note(spec));
    let mut detail = sheet(
        &format!("{}年{}工作任务明细", p.year, months(p)),
        vec![
            "序号",
            "重点专项",
            "工作举措",
            "责任单位",
            "分工",
            "完成时限",
            "完成状态",
            "完成时间",
            "进展情况",
            "存在问题",
            "说明",
        ],
        detail_rows(inp.records),
    );
    detail.col_max = vec![(1, 12), (2, 30), (8, 30), (9, 20), (10, 14)];
    detail.freeze_cols = 3;
    let mut lag = sheet(
        "滞后及逾期未完成任务",
        LAG_HEADERS.to_vec(),
        lagging_rows(s, inp.records),
    );
    lag.col_max = vec![(1, 36), (6, 30)];
    let mut miss = sheet(
        "未报送任务",
        vec!["责任单位", "序号", "工作举措", "原因"],
        missing_rows(inp.records, &s.missing_units),
    );
    miss.col_max = vec![(2, 40)];
    let mut problems = sheet(
        "填报问题清单",
        vec!["单位", "文件", "工作表", "单元格", "规则", "级别", "说明"],
        finding_rows(inp.findings),
    );
    problems.col_max = vec![(1, 24), (6, 50)];
    let tables = vec![
        ("分单位".to_string(), units),
        ("任务明细".to_string(), detail),
        ("滞后任务".to_string(), lag),
        ("未报送".to_string(), miss),
        ("问题清单".to_string(), problems),
    ];
    push_tables(&mut wb, &st, tables).map_err(&e)?;
    save(&mut wb, &path)?;
    Ok(b.name)
}

/// How 分单位 and 季度排名 rank and light the units.
fn ranking_note(spec: &PipelineSpec) -> String {
    format!(
        "按时推进率 = （已完成 + 按序时推进）÷ 承担任务数（未报送计为未按时）；≥{} 为绿，<{} 为红，其间为黄；本期未报送的单位不排名。",
        pct(spec.tasks.green_at),
        pct(spec.tasks.red_below)
    )
}

/// The quarterly 通报 paragraph: counts at quarter end, 红榜 and 黑榜.
pub fn notice_text(spec: &PipelineSpec, s: &TaskSummary, quarter: u32) -> String {
    let q = crate::text::quarter_cn(quarter);
    format!("第{q}季度，{}{}", paragraph(spec, s), board_text(spec, s))
}

/// 红榜 and 黑榜 in words (empty when neither has a unit); the workbook's
/// paragraph and the 通报 document say the same.
pub(crate) fn board_text(spec: &PipelineSpec, s: &TaskSummary) -> String {
    let (top, bottom) = s.honor_and_shame(spec.honor_count, spec.shame_count);
    let names = |us: Vec<&UnitRow>| -> String {
        us.iter()
            .map(|u| format!("{}（{}）", u.unit, pct(u.share)))
            .collect::<Vec<_>>()
            .join("、")
    };
    let mut t = String::new();
    if !top.is_empty() {
        t.push_str(&format!("按时推进率较高的单位：{}。", names(top)));
    }
    if !bottom.is_empty() {
        t.push_str(&format!(
            "推进滞后、按时推进率低于{}的单位：{}，请加快推进。",
            pct(spec.tasks.red_below),
            names(bottom)
        ));
    }
    t
}

/// Writes the quarterly workbook from the quarter-end month's summary; returns its file name.
pub fn write_quarterly(inp: &TaskReportInput<'_>, dir: &Path) -> Result<String, ReportError> {
    let (spec, p, s) = (inp.spec, inp.period, inp.summary);
    let q = p.quarter();
    let (b, mut wb) = book(
        spec,
        p,
        dir,
        (&spec.reports.quarterly, &spec.reports.quarterly_title),
    );
    let (path, st) = (b.path.clone(), Styles::new());
    let e = xerr(&path);
    b.counts_sheet(&mut wb, &st, "通报", s, &notice_text(spec, s, q))
        .map_err(&e)?;
    let mut ranking = b.table(
        "季度排名",
        "单位：项",
        unit_headers(),
        unit_rows(&s.by_unit),
    );
    ranking.notes.push(ranking_note(spec));
    let lag = b.table(
        "滞后及逾期未完成任务",
        "",
        LAG_HEADERS.to_vec(),
        lagging_rows(s, inp.records),
    );
    push_tables(
        &mut wb,
        &st,
        vec![
            ("季度排名".to_string(), ranking),
            ("滞后任务".to_string(), lag),
        ],
    )
    .map_err(&e)?;
    save(&mut wb, &path)?;
    Ok(b.name)
}
