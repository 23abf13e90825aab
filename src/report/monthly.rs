//! The monthly monitoring workbook (月度监测表), what leaves the office: 汇总,
//! 趋势, 分地区, 分类别, (分批次), 重点关注, 项目明细, 滞后项目, 未开工项目,
//! 问题清单, 未报送, 填报有误. 校验问题, 数据核对 and the derivation of each
//! figure go to the internal workbook (`internal.rs`).

use rust_xlsxwriter::{
    Chart, ChartFormat, ChartPatternFill, ChartPatternFillType, ChartPoint, ChartType, Color,
    Workbook,
};
use std::path::Path;

use super::style::{
    chart_below, chart_look, column_format, line_look, push_tables, rank_change, write_paragraph,
    write_table, RowStyle, Styles, TableSheet, Val, FIRST_DATA_ROW,
};
use super::{properties, save, xerr, ReportError};
use crate::config::PipelineSpec;
use crate::model::libchange::{ChangeKind, LibraryChange, PlanTotals};
use crate::model::summary::{GroupRow, Light, Summary, Sums};
use crate::model::InputEntry;
use crate::model::{Finding, Period, ProjectRecord};

/// What the monthly workbook shows.
pub struct MonthlyInput<'a> {
    pub spec: &'a PipelineSpec,
    pub period: Period,
    pub summary: &'a Summary,
    pub records: &'a [ProjectRecord],
    pub findings: &'a [Finding],
    pub inputs: &'a [InputEntry],
    /// Names of units that sent nothing.
    pub missing_units: &'a [String],
    /// The library against the last period's (项目库变动).
    pub library_change: &'a LibraryChange,
}

pub fn light_style(l: Light) -> RowStyle {
    match l {
        Light::Yellow => RowStyle::Yellow,
        Light::Red => RowStyle::Red,
        _ => RowStyle::Normal,
    }
}

/// A number of points with one decimal, the decimal dropped when it is 0
/// (`10个百分点`, `10.3个百分点`).
pub fn points_num(p: f64) -> String {
    let t = (p * 10.0).round() as i64;
    if t % 10 == 0 {
        format!("{}", t / 10)
    } else {
        format!("{:.1}", t as f64 / 10.0)
    }
}

/// `超序时进度1.2个百分点` / `落后序时进度3.4个百分点` wording.
pub fn points_text(gap: f64) -> String {
    let p = (gap * 1000.0).round() / 10.0;
    if p >= 0.0 {
        format!("超序时进度{}个百分点", points_num(p))
    } else {
        format!("落后序时进度{}个百分点", points_num(-p))
    }
}

/// A rate in text: `99.7%`, or `—` when its denominator is 0.
pub fn pct(r: Option<f64>) -> String {
    r.map_or_else(|| "—".to_string(), |r| format!("{:.1}%", r * 100.0))
}

/// A rate in a table cell: the rate, or `—` when its denominator is 0.
pub fn rate_val(r: Option<f64>) -> Val {
    r.map_or_else(|| Val::Text("—".into()), Val::Rate)
}

/// The cumulative span of a month: `1月`, `1-7月`.
pub fn months_span(month: u32) -> String {
    if month <= 1 {
        "1月".to_string()
    } else {
        format!("1-{month}月")
    }
}

/// Place names in a sentence: all when at most three, else the first three
/// and `等N个地区`; one name stands alone (never `等1个地区`).
pub fn places(names: &[&str]) -> String {
    if names.len() <= 3 {
        names.join("、")
    } else {
        format!("{}等{}个地区", names[..3].join("、"), names.len())
    }
}

/// A program name followed by a noun, without doubling 项目
/// (新基建项目 + 项目明细 → 新基建项目明细).
pub fn name_with(name: &str, noun: &str) -> String {
    match (name.strip_suffix("项目"), noun.starts_with("项目")) {
        (Some(stem), true) => format!("{stem}{noun}"),
        _ => format!("{name}{noun}"),
    }
}

/// 开工率 with what it divides: `开工率99.7%（已开工288个 ÷ 应开工289个，已开工含提前开工3个）`.
pub fn start_rate_text(t: &Sums, early_counts: bool) -> String {
    let mut s = format!(
        "开工率{}（已开工{}个 ÷ 应开工{}个",
        pct(t.start_rate()),
        t.start_counted,
        t.due_start
    );
    if t.early_started > 0 {
        if early_counts {
            s.push_str(&format!("，已开工含提前开工{}个", t.early_started));
        } else {
            s.push_str(&format!("；另有提前开工{}个，未计入", t.early_started));
        }
    }
    s.push('）');
    s
}

/// `滞后项目N个`, or `无滞后项目` (never a zero count).
pub fn lagging_text(n: i64) -> String {
    if n == 0 {
        "无滞后项目".to_string()
    } else {
        format!("滞后项目{n}个")
    }
}

/// 投产率 with what it divides, `—` when no project is due this year.
pub fn operation_rate_text(t: &Sums) -> String {
    format!(
        "投产率{}（建成投产{}个 ÷ 应于本年建成{}个）",
        pct(t.operation_rate()),
        t.in_operation,
        t.due_operation
    )
}

/// The rule of 开工率 as stated under the tables.
pub fn start_rule_note(early_counts: bool) -> String {
    format!(
        "开工率 = 已开工 ÷ 应开工；应开工为续建项目和计划开工时间在本期及以前的新开工项目，续建项目计为已开工；计划开工时间在本期以后的为“未到开工时间”，不计入滞后、不亮灯；已开工但未到计划开工时间的为“提前开工”，{}。分母为0的比率记为“—”。",
        if early_counts {
            "按本流水线设置计入已开工（开工率可超过100%）"
        } else {
            "按本流水线设置不计入开工率"
        }
    )
}

/// Why a project lags: an overdue start, or its gap to 序时进度.
pub fn lag_reason(r: &ProjectRecord, f: &crate::model::summary::ProjectFlags, tp: f64) -> String {
    if f.overdue_start {
        format!(
            "逾期未开工（计划{}开工）",
            r.planned_start.clone().unwrap_or_default()
        )
    } else {
        points_text(f.completion_rate - tp)
    }
}

/// A project's name in the lists: carried-forward figures are marked 沿用上月.
pub fn listed_name(r: &ProjectRecord) -> String {
    if r.carried {
        format!("{}（沿用上月）", r.name)
    } else {
        r.name.clone()
    }
}

/// 亿元 with two decimals.
pub fn yi(y: i64) -> String {
    crate::parse::fmt_amount(y, crate::parse::MoneyUnit::Yi)
}

/// The 通报-style paragraph of the summary sheet.
pub fn paragraph(spec: &PipelineSpec, s: &Summary, period: Period) -> String {
    let t = &s.totals;
    let rate = t.completion_rate();
    let mut p = format!(
        "截至{}月底，全省{}{}累计完成投资{}亿元，占年度计划的{}，{}；{}月当月完成投资{}亿元",
        period.month,
        spec.name,
        months_span(period.month),
        yi(t.ytd_done),
        pct(t.completion_rate_opt()),
        points_text(rate - s.time_progress),
        period.month,
        yi(t.month_done),
    );
    // 环比: this month's 当月完成 and 完成率 against last month's.
    if let Some(pm) = &s.prev_month {
        let m = period.prev().month;
        match crate::model::summary::ratio_opt(t.month_done - pm.month_done, pm.month_done) {
            Some(g) if g >= 0.0 => p.push_str(&format!(
                "，较{m}月（{}亿元）增长{:.1}%",
                yi(pm.month_done),
                g * 100.0
            )),
            Some(g) => p.push_str(&format!(
                "，较{m}月（{}亿元）下降{:.1}%",
                yi(pm.month_done),
                -g * 100.0
            )),
            None => {}
        }
        let d = (rate - pm.completion_rate) * 100.0;
        p.push_str(&format!(
            "；完成率较{m}月底{}{}个百分点",
            if d >= 0.0 { "提高" } else { "下降" },
            points_num(d.abs())
        ));
    } else if s.prev_missing {
        p.push_str(&format!(
            "（历史库中无{}月数据，数据不全，不作环比）",
            period.prev().month
        ));
    }
    p.push('。');
    let target_rate = crate::model::summary::ratio(t.ytd_done, spec.annual_target_yuan);
    p.push_str(&format!(
        "年度目标{}，已完成{:.1}%。",
        spec.annual_target_text,
        target_rate * 100.0
    ));
    p.push_str(&format!(
        "{}个项目中，{}{}；{}；{}。",
        t.projects,
        start_rate_text(t, s.early_starts_count),
        match t.not_due - t.early_started {
            0 => String::new(),
            n => format!("，另有{n}个项目未到计划开工时间"),
        },
        operation_rate_text(t),
        lagging_text(t.lagging)
    ));
    let main = s.main_ranking();
    let ahead: Vec<&str> = main
        .iter()
        .filter(|r| r.reached)
        .map(|r| r.key.as_str())
        .collect();
    // Behind 序时进度 (worst first), the red ones in their own clause.
    let behind: Vec<&str> = main
        .iter()
        .rev()
        .filter(|r| !r.reached && r.light != Light::Red)
        .map(|r| r.key.as_str())
        .collect();
    let red: Vec<&str> = main
        .iter()
        .filter(|r| r.light == Light::Red)
        .map(|r| r.key.as_str())
        .collect();
    let mut clauses = Vec::new();
    if !ahead.is_empty() {
        clauses.push(format!("{}达到或超过序时进度", places(&ahead)));
    }
    if !behind.is_empty() {
        clauses.push(format!("{}落后序时进度", places(&behind)));
    }
    if !red.is_empty() {
        clauses.push(format!(
            "{}落后序时进度{}个百分点以上，亮红灯",
            places(&red),
            points_num(spec.lights.red_below * 100.0)
        ));
    }
    let unreported: Vec<&str> = s
        .unreported_units()
        .iter()
        .map(|r| r.key.as_str())
        .collect();
    if !unreported.is_empty() {
        clauses.push(format!(
            "{}本期未报送数据，不参加排名",
            unreported.join("、")
        ));
    }
    if !clauses.is_empty() {
        p.push_str(&clauses.join("；"));
        p.push('。');
    }
    p
}

fn group_table_rows(
    rows: &[&GroupRow],
    totals: &Sums,
    tp: f64,
    with_rank: bool,
) -> Vec<(Vec<Val>, RowStyle)> {
    let prev_known = rows.iter().any(|r| r.prev_rank.is_some());
    let line = |name: &str,
                s: &Sums,
                gap: f64,
                rank: Option<&GroupRow>,
                rs: RowStyle|
     -> (Vec<Val>, RowStyle) {
        let mut v = vec![
            Val::Text(name.to_string()),
            Val::Int(s.projects),
            Val::Int(s.reported),
            Val::Money(s.annual_plan),
            Val::Money(s.month_done),
            Val::Money(s.ytd_done),
            rate_val(s.completion_rate_opt()),
        ];
        if with_rank {
            v.push(Val::Rate(tp));
        }
        v.extend([
            if s.annual_plan > 0 {
                Val::Points(gap * 100.0)
            } else {
                Val::Text("—".into())
            },
            rate_val(s.start_rate()),
        ]);
        if with_rank {
            match rank {
                Some(r) => {
                    match r.rank {
                        Some(k) => {
                            v.push(Val::Int(k as i64));
                            v.push(Val::Text(rank_change(k, r.prev_rank, prev_known)));
                        }
                        None => v.extend([Val::Text("—".into()), Val::Blank]),
                    }
                    v.push(Val::Text(r.light.label().into()));
                }
                None => v.extend([Val::Blank, Val::Blank, Val::Blank]),
            }
        }
        (v, rs)
    };
    let mut out = vec![line(
        "合计",
        totals,
        totals.completion_rate() - tp,
        None,
        RowStyle::Total,
    )];
    for r in rows.iter().copied() {
        out.push(line(
            &r.key,
            &r.sums,
            r.gap,
            with_rank.then_some(r),
            if with_rank {
                light_style(r.light)
            } else {
                RowStyle::Normal
            },
        ));
    }
    out
}

/// The 汇总 indicators: (指标, 数值, how the figure is derived). The
/// outgoing workbook shows the first two; the derivations go to the internal
/// 数据核对 workbook. 开工率 and 投产率 name what they divide in the label.
pub fn summary_items(inp: &MonthlyInput<'_>) -> Vec<(String, Val, String)> {
    let (spec, s, p) = (inp.spec, inp.summary, inp.period);
    let tp = s.time_progress;
    let missing = inp.missing_units.join("、");
    let t = &s.totals;
    let start_note = format!(
        "已开工{}个 ÷ 应开工{}个（续建计为已开工{}）",
        t.start_counted,
        t.due_start,
        if s.early_starts_count && t.early_started > 0 {
            format!("，含提前开工{}个", t.early_started)
        } else {
            String::new()
        }
    );
    let operation_note = format!(
        "建成投产{}个 ÷ 应于本年建成{}个",
        t.in_operation, t.due_operation
    );
    let items: Vec<(&str, Val, &str)> = vec![
        ("项目总数（个）", Val::Int(t.projects), "项目库在库项目"),
        (
            "本期已报送项目（个）",
            Val::Int(t.reported),
            "本期有被采纳填报数据的项目",
        ),
        (
            "沿用上月数据项目（个）",
            Val::Int(t.carried),
            "未报送，按设置沿用上月累计",
        ),
        (
            "年度计划投资（万元）",
            Val::Money(t.annual_plan),
            "项目库年度计划之和",
        ),
        (
            "年度投资目标（万元）",
            Val::Money(spec.annual_target_yuan),
            &spec.annual_target_text,
        ),
        ("本月完成投资（万元）", Val::Money(t.month_done), ""),
        (
            "1-N月累计完成投资（万元）",
            Val::Money(t.ytd_done),
            "项目明细之和",
        ),
        (
            "投资完成率",
            Val::Rate(t.completion_rate()),
            "累计完成 ÷ 年度计划",
        ),
        ("序时进度", Val::Rate(tp), "月份 ÷ 12"),
        (
            "较序时进度（百分点）",
            Val::Points((t.completion_rate() - tp) * 100.0),
            "正数为超序时进度",
        ),
        (
            "目标完成率",
            Val::Rate(crate::model::summary::ratio(
                t.ytd_done,
                spec.annual_target_yuan,
            )),
            "累计完成 ÷ 年度目标",
        ),
        ("开工率", rate_val(t.start_rate()), &start_note),
        (
            "提前开工项目（个）",
            Val::Int(t.early_started),
            if s.early_starts_count {
                "已开工但未到计划开工时间，计入开工率的已开工"
            } else {
                "已开工但未到计划开工时间，不计入开工率"
            },
        ),
        (
            "未到开工时间项目（个）",
            Val::Int(t.not_due - t.early_started),
            "计划开工时间在本期以后，不计入滞后、不亮灯",
        ),
        ("投产率", rate_val(t.operation_rate()), &operation_note),
        (
            "滞后项目（个）",
            Val::Int(t.lagging),
            "完成率低于序时进度超过阈值，或逾期未开工",
        ),
        ("未开工项目（个）", Val::Int(s.not_started.len() as i64), ""),
        (
            "填报有误未采纳项目（个）",
            Val::Int(s.rejected.len() as i64),
            "所在行有错误未被采纳，须改正后重新报送",
        ),
        (
            "未报送单位（个）",
            Val::Int(inp.missing_units.len() as i64),
            &missing,
        ),
    ];
    items
        .into_iter()
        .map(|(k, v, note)| {
            let label = match k {
                "开工率" => start_rate_label(t, s.early_starts_count),
                "投产率" => format!(
                    "投产率（建成投产{}个 ÷ 应于本年建成{}个）",
                    t.in_operation, t.due_operation
                ),
                k => k.replace("1-N月", &months_span(p.month)),
            };
            (label, v, note.to_string())
        })
        .collect()
}

/// 开工率's label in the 汇总: `开工率（已开工M个 ÷ 应开工N个，含提前开工K个）`.
fn start_rate_label(t: &Sums, early_counts: bool) -> String {
    let mut s = format!(
        "开工率（已开工{}个 ÷ 应开工{}个",
        t.start_counted, t.due_start
    );
    if t.early_started > 0 {
        if early_counts {
            s.push_str(&format!("，含提前开工{}个", t.early_started));
        } else {
            s.push_str(&format!("；另有提前开工{}个，未计入", t.early_started));
        }
    }
    s.push('）');
    s
}

/// Rows of a table sheet.
type Rows = Vec<(Vec<Val>, RowStyle)>;
/// Makes a table sheet with the workbook's meta line: (title, headers, rows, unit).
type SheetFn<'a, 'b> = dyn Fn(&str, Vec<&'a str>, Rows, &str) -> TableSheet<'a> + 'b;

/// The 重点关注 sheet: the list decided in the summary, with its rule.
fn focus_table<'a>(inp: &MonthlyInput<'_>, sheet: &SheetFn<'a, '_>) -> TableSheet<'a> {
    let (spec, s, p) = (inp.spec, inp.summary, inp.period);
    let tp = s.time_progress;
    let fo = &s.focus;
    let rows: Vec<(Vec<Val>, RowStyle)> = fo
        .items
        .iter()
        .enumerate()
        .filter(|(_, it)| it.index < inp.records.len())
        .map(|(n, it)| {
            let r = &inp.records[it.index];
            let f = &s.project_flags[it.index];
            (
                vec![
                    Val::Int(n as i64 + 1),
                    Val::Text(it.reasons()),
                    Val::Text(r.code.clone()),
                    Val::Text(listed_name(r)),
                    Val::Text(r.unit.clone()),
                    Val::Money(r.annual_plan),
                    Val::Money(r.ytd_done),
                    Val::Rate(f.completion_rate),
                    Val::Text(lag_reason(r, f, tp)),
                    Val::Text(r.problems.clone()),
                ],
                light_style(f.light),
            )
        })
        .collect();
    let month_name = |q: Period| {
        if q.year == p.year {
            format!("{}月", q.month)
        } else {
            format!("{}年{}月", q.year, q.month)
        }
    };
    let prior: Vec<String> = fo.prior.iter().map(|q| month_name(*q)).collect();
    let mut notes = vec![format!(
        "注：列入条件：①红灯（落后序时进度{}个百分点以上）；②逾期未开工（计划开工时间在本期及以前，仍未开工）；③连续3个月滞后（{}月及{}均为滞后项目）。排序：先红灯，再逾期未开工，再连续3个月滞后；同类按完成率由低到高，再按项目代码。最多列{}个；本期符合条件的项目{}个{}。",
        points_num(spec.lights.red_below * 100.0),
        p.month,
        prior.join("、"),
        crate::model::summary::FOCUS_LIMIT,
        fo.eligible,
        if fo.eligible > fo.items.len() {
            "，其余见“滞后项目”“未开工项目”表"
        } else {
            ""
        }
    )];
    if !fo.missing.is_empty() {
        let missing: Vec<String> = fo.missing.iter().map(|q| month_name(*q)).collect();
        notes.push(format!(
            "注：历史库中未取得{}数据，无法判断是否连续3个月滞后，本期未按条件③列入项目。",
            missing.join("、")
        ));
    }
    TableSheet {
        col_max: vec![(1, 12), (2, 15), (3, 22), (8, 16), (9, 18)],
        notes,
        ..sheet(
            &format!(
                "{}年{}{}重点关注项目（{}个）",
                p.year,
                months_span(p.month),
                spec.name,
                rows.len()
            ),
            vec![
                "序号",
                "关注原因",
                "项目代码",
                "项目名称",
                "责任单位",
                "年度计划投资",
                "累计完成投资",
                "完成率",
                "滞后情况",
                "存在问题",
            ],
            rows,
            "单位：万元",
        )
    }
}

/// The 项目明细 sheet.
fn detail_table<'a>(inp: &MonthlyInput<'a>, sheet: &SheetFn<'a, '_>) -> TableSheet<'a> {
    let &MonthlyInput {
        spec,
        summary: s,
        period: p,
        records,
        ..
    } = inp;
    let t = &s.totals;
    let source_label = |r: &ProjectRecord| {
        if r.reported {
            "已报送"
        } else if r.rejected && r.carried {
            "填报有误（沿用上月）"
        } else if r.rejected {
            "填报有误（按0计）"
        } else if r.carried {
            "沿用上月"
        } else {
            "未报送"
        }
    };
    let detail_row = move |i: usize, r: &ProjectRecord| -> (Vec<Val>, RowStyle) {
        let f = &s.project_flags[i];
        (
            vec![
                Val::Text(r.code.clone()),
                Val::Text(r.name.clone()),
                Val::Text(r.unit.clone()),
                Val::Text(r.category.clone()),
                Val::Text(r.nature.label().to_string()),
                Val::Text(r.planned_start.clone().unwrap_or_default()),
                Val::Money(r.annual_plan),
                Val::Money(r.month_done),
                Val::Money(r.ytd_done),
                Val::Rate(f.completion_rate),
                Val::Text(r.status.label().to_string()),
                Val::Text(f.light.label().to_string()),
                Val::Text(source_label(r).to_string()),
                Val::Text(r.problems.clone()),
            ],
            if r.carried {
                RowStyle::Yellow
            } else {
                RowStyle::Normal
            },
        )
    };
    let detail_headers = vec![
        "项目代码",
        "项目名称",
        "责任单位",
        "类别",
        "建设性质",
        "计划开工时间",
        "年度计划投资",
        "本月完成投资",
        "累计完成投资",
        "完成率",
        "建设状态",
        "灯号",
        "数据来源",
        "存在问题",
    ];
    let sum = |f: &dyn Fn(&ProjectRecord) -> i64| -> i64 { inp.records.iter().map(f).sum() };
    let rows = vec![(
        vec![
            Val::Text("合计".into()),
            Val::Text(format!("{}个项目", inp.records.len())),
            Val::Blank,
            Val::Blank,
            Val::Blank,
            Val::Blank,
            Val::Money(sum(&|r| r.annual_plan)),
            Val::Money(sum(&|r| r.month_done)),
            Val::Money(sum(&|r| r.ytd_done)),
            Val::Rate(t.completion_rate()),
            Val::Blank,
            Val::Blank,
            Val::Blank,
            Val::Blank,
        ],
        RowStyle::Total,
    )];
    let mut dt = sheet(
        &format!(
            "{}年{}{}",
            p.year,
            months_span(p.month),
            name_with(&spec.name, "项目明细")
        ),
        detail_headers.clone(),
        rows,
        "单位：万元",
    );
    // The projects' rows are built as they are written (a 100,000-project
    // library would otherwise hold every row's texts at once).
    dt.lazy = Some((
        records.len(),
        Box::new(move |i| match records.get(i) {
            Some(r) => detail_row(i, r),
            None => (Vec::new(), RowStyle::Normal),
        }),
    ));
    dt.freeze_cols = 2;
    // One A4 landscape page wide at 9 pt: 项目名称 wide and wrapped, codes
    // and short texts narrow (wrapped), amounts as wide as their figures.
    dt.col_max = vec![
        (0, 15),
        (1, 19),
        (2, 9),
        (3, 7),
        (6, 15),
        (7, 13),
        (8, 15),
        (10, 6),
        (11, 7),
        (12, 8),
        (13, 9),
    ];
    dt.notes = vec![
        "注：数据来源为“沿用上月”的项目本期未报送，累计数沿用上月（黄色底纹）；“填报有误”的项目所在行有错误未被采纳，见“填报有误”表。项目总投资、所在县（区）见项目库。"
            .to_string(),
    ];
    dt
}

/// The 滞后项目 sheet.
fn lagging_table<'a>(inp: &MonthlyInput<'_>, sheet: &SheetFn<'a, '_>) -> (String, TableSheet<'a>) {
    let &MonthlyInput {
        spec,
        summary: s,
        period: p,
        ..
    } = inp;
    let tp = s.time_progress;
    let lag_rows: Vec<(Vec<Val>, RowStyle)> = s
        .lagging
        .iter()
        .map(|&i| {
            let r = &inp.records[i];
            let f = &s.project_flags[i];
            let why = lag_reason(r, f, tp);
            (
                vec![
                    Val::Text(r.code.clone()),
                    Val::Text(listed_name(r)),
                    Val::Text(r.unit.clone()),
                    Val::Money(r.annual_plan),
                    Val::Money(r.ytd_done),
                    Val::Rate(f.completion_rate),
                    Val::Text(r.status.label().into()),
                    Val::Text(f.light.label().into()),
                    Val::Text(why),
                    Val::Text(r.problems.clone()),
                ],
                light_style(f.light),
            )
        })
        .collect();
    (
        "滞后项目".to_string(),
        TableSheet {
            col_max: vec![(0, 15), (1, 22), (8, 18), (9, 18)],
            ..sheet(
                &format!(
                    "{}年{}{}滞后项目清单（{}个）",
                    p.year,
                    months_span(p.month),
                    spec.name,
                    s.lagging.len()
                ),
                vec![
                    "项目代码",
                    "项目名称",
                    "责任单位",
                    "年度计划投资",
                    "累计完成投资",
                    "完成率",
                    "建设状态",
                    "灯号",
                    "滞后情况",
                    "存在问题",
                ],
                lag_rows,
                "单位：万元",
            )
        },
    )
}

/// The 未开工项目 sheet.
fn not_started_table<'a>(
    inp: &MonthlyInput<'_>,
    sheet: &SheetFn<'a, '_>,
) -> (String, TableSheet<'a>) {
    let &MonthlyInput {
        spec,
        summary: s,
        period: p,
        ..
    } = inp;
    let ns_rows: Vec<(Vec<Val>, RowStyle)> = s
        .not_started
        .iter()
        .map(|&i| {
            let r = &inp.records[i];
            let overdue = s.project_flags[i].overdue_start;
            (
                vec![
                    Val::Text(r.code.clone()),
                    Val::Text(listed_name(r)),
                    Val::Text(r.unit.clone()),
                    Val::Text(r.nature.label().into()),
                    Val::Text(r.planned_start.clone().unwrap_or_default()),
                    Val::Money(r.annual_plan),
                    Val::Text(if overdue {
                        "逾期未开工".into()
                    } else {
                        "未到开工时间".into()
                    }),
                    Val::Text(r.problems.clone()),
                ],
                if overdue {
                    RowStyle::Red
                } else {
                    RowStyle::Normal
                },
            )
        })
        .collect();
    (
        "未开工项目".to_string(),
        TableSheet {
            col_max: vec![(0, 15), (1, 22), (7, 18)],
            ..sheet(
                &format!(
                    "{}年{}{}未开工项目清单（{}个）",
                    p.year,
                    months_span(p.month),
                    spec.name,
                    s.not_started.len()
                ),
                vec![
                    "项目代码",
                    "项目名称",
                    "责任单位",
                    "建设性质",
                    "计划开工时间",
                    "年度计划投资",
                    "开工情况",
                    "存在问题",
                ],
                ns_rows,
                "单位：万元",
            )
        },
    )
}

/// The 问题清单 sheet.
fn problems_table<'a>(inp: &MonthlyInput<'_>, sheet: &SheetFn<'a, '_>) -> (String, TableSheet<'a>) {
    let &MonthlyInput {
        spec,
        summary: s,
        period: p,
        ..
    } = inp;
    let pr_rows: Vec<(Vec<Val>, RowStyle)> = s
        .problems
        .iter()
        .map(|&i| {
            let r = &inp.records[i];
            (
                vec![
                    Val::Text(r.unit.clone()),
                    Val::Text(r.code.clone()),
                    Val::Text(listed_name(r)),
                    Val::Text(r.problems.clone()),
                    Val::Text(r.coordination.clone()),
                ],
                RowStyle::Normal,
            )
        })
        .collect();
    (
        "问题清单".to_string(),
        TableSheet {
            col_max: vec![(1, 15), (2, 22), (3, 30), (4, 30)],
            ..sheet(
                &format!(
                    "{}年{}{}存在问题及需协调事项清单",
                    p.year,
                    months_span(p.month),
                    spec.name
                ),
                vec!["责任单位", "项目代码", "项目名称", "存在问题", "需协调事项"],
                pr_rows,
                "",
            )
        },
    )
}

/// The 未报送 sheet.
fn not_reported_table<'a>(
    inp: &MonthlyInput<'_>,
    sheet: &SheetFn<'a, '_>,
) -> (String, TableSheet<'a>) {
    let &MonthlyInput {
        spec,
        summary: s,
        period: p,
        ..
    } = inp;
    let mut nr_rows: Vec<(Vec<Val>, RowStyle)> = inp
        .missing_units
        .iter()
        .map(|u| {
            (
                vec![
                    Val::Text("单位".into()),
                    Val::Text(u.clone()),
                    Val::Text("".into()),
                    Val::Text("本期未报送任何文件".into()),
                ],
                RowStyle::Red,
            )
        })
        .collect();
    nr_rows.extend(s.not_reported.iter().map(|&i| {
        let r = &inp.records[i];
        (
            vec![
                Val::Text("项目".into()),
                Val::Text(r.unit.clone()),
                Val::Text(format!("{} {}", r.code, r.name)),
                Val::Text(if r.carried {
                    "沿用上月".into()
                } else {
                    "未报送，按0计".into()
                }),
            ],
            RowStyle::Normal,
        )
    }));
    (
        "未报送".to_string(),
        TableSheet {
            col_max: vec![(2, 40)],
            ..sheet(
                &format!("{}年{}月{}未报送单位和项目", p.year, p.month, spec.name),
                vec!["类型", "单位", "项目", "处理"],
                nr_rows,
                "",
            )
        },
    )
}

/// The 填报有误 sheet: rows sent but rejected — fix the cell and resend now.
fn rejected_table<'a>(inp: &MonthlyInput<'_>, sheet: &SheetFn<'a, '_>) -> (String, TableSheet<'a>) {
    let &MonthlyInput {
        spec,
        summary: s,
        period: p,
        ..
    } = inp;
    let rj_rows: Vec<(Vec<Val>, RowStyle)> = s
        .rejected
        .iter()
        .map(|&i| {
            let r = &inp.records[i];
            (
                vec![
                    Val::Text(r.unit.clone()),
                    Val::Text(r.code.clone()),
                    Val::Text(r.name.clone()),
                    Val::Text(if r.carried {
                        "填报有误未采纳，本期沿用上月累计；请按退回修改表改正后立即重新报送".into()
                    } else {
                        "填报有误未采纳，本期按0计；请按退回修改表改正后立即重新报送".into()
                    }),
                ],
                RowStyle::Yellow,
            )
        })
        .collect();
    (
        "填报有误".to_string(),
        TableSheet {
            col_max: vec![(1, 15), (2, 22), (3, 36)],
            ..sheet(
                &format!(
                    "{}年{}月{}填报有误未采纳项目（{}个）",
                    p.year,
                    p.month,
                    spec.name,
                    s.rejected.len()
                ),
                vec!["责任单位", "项目代码", "项目名称", "处理"],
                rj_rows,
                "",
            )
        },
    )
}

/// Writes the 趋势 sheet: the months of the year so far, with its chart.
fn write_trend<'a>(
    wb: &mut Workbook,
    st: &Styles,
    inp: &MonthlyInput<'a>,
    sheet: &SheetFn<'a, '_>,
    e: &dyn Fn(rust_xlsxwriter::XlsxError) -> ReportError,
) -> Result<(), ReportError> {
    let &MonthlyInput {
        spec,
        summary: s,
        period: p,
        ..
    } = inp;
    let trend_rows: Vec<(Vec<Val>, RowStyle)> = s
        .trend
        .iter()
        .map(|tpnt| {
            let label = crate::model::Period::parse_period(&tpnt.period)
                .map_or(tpnt.period.clone(), |q| {
                    format!("{}年{}", q.year, months_span(q.month))
                });
            (
                vec![
                    Val::Text(label),
                    Val::Money(tpnt.month_done),
                    Val::Money(tpnt.ytd_done),
                    Val::Money(tpnt.annual_plan),
                    Val::Rate(tpnt.completion_rate),
                    Val::Rate(tpnt.time_progress),
                    Val::Points((tpnt.completion_rate - tpnt.time_progress) * 100.0),
                ],
                RowStyle::Normal,
            )
        })
        .collect();
    let n_trend = trend_rows.len() as u32;
    let ws = wb.add_worksheet().set_name("趋势").map_err(&e)?;
    let mut tt = sheet(
        &format!("{}年{}逐月推进情况", p.year, spec.name),
        vec![
            "期别",
            "当月完成投资",
            "累计完成投资",
            "年度计划投资",
            "完成率",
            "序时进度",
            "较序时进度（百分点）",
        ],
        trend_rows,
        "单位：万元",
    );
    tt.notes = vec!["注：各月数据取自历史库中该月的采纳数据；序时进度 = 月份 ÷ 12。".to_string()];
    let lay = write_table(ws, st, &tt).map_err(&e)?;
    if n_trend > 0 {
        let (r0, r1) = (FIRST_DATA_ROW, FIRST_DATA_ROW + n_trend - 1);
        let mut col = Chart::new(ChartType::Column);
        col.add_series()
            .set_name("累计完成投资（万元）")
            .set_categories(("趋势", r0, 0, r1, 0))
            .set_values(("趋势", r0, 2, r1, 2))
            .set_format(&mut column_format(0));
        let mut line = Chart::new(ChartType::Line);
        for (i, (name, c)) in [("投资完成率", 4), ("序时进度", 5)].into_iter().enumerate()
        {
            let (mut f, m) = line_look(i);
            line.add_series()
                .set_name(name)
                .set_categories(("趋势", r0, 0, r1, 0))
                .set_values(("趋势", r0, c, r1, c))
                .set_format(&mut f)
                .set_marker(&m)
                .set_secondary_axis(true);
        }
        col.combine(&line);
        chart_look(&mut col, "累计完成投资与完成率（对照序时进度）");
        col.y_axis().set_num_format("#,##0").set_name("万元");
        col.y2_axis().set_num_format("0%").set_min(0);
        chart_below(ws, &lay, lay.next_row, &mut col, 340).map_err(&e)?;
    }
    Ok(())
}

/// Writes the 分地区 sheet: the main ranking (设区市 and 赣江新区), then the
/// departments ranked in their own block when the pipeline keeps them apart;
/// its chart.
fn write_regions<'a>(
    wb: &mut Workbook,
    st: &Styles,
    inp: &MonthlyInput<'a>,
    sheet: &SheetFn<'a, '_>,
    e: &dyn Fn(rust_xlsxwriter::XlsxError) -> ReportError,
) -> Result<(), ReportError> {
    let &MonthlyInput {
        spec,
        summary: s,
        period: p,
        ..
    } = inp;
    let tp = s.time_progress;
    let t = &s.totals;
    let main_units: Vec<&GroupRow> = s.by_unit.iter().filter(|r| s.in_main_table(r)).collect();
    let dept_units: Vec<&GroupRow> = s
        .by_unit
        .iter()
        .filter(|r| !s.in_main_table(r) && r.sums.projects > 0)
        .collect();
    let mut unit_rows = group_table_rows(&main_units, t, tp, true);
    if !dept_units.is_empty() {
        let mut head = vec![Val::Text("省直部门（单独排名）".into())];
        head.extend(std::iter::repeat_n(Val::Blank, 12));
        unit_rows.push((head, RowStyle::Total));
        unit_rows.extend(
            group_table_rows(&dept_units, t, tp, true)
                .into_iter()
                .skip(1),
        );
    }
    let ws = wb.add_worksheet().set_name("分地区").map_err(&e)?;
    let mut t1 = sheet(
        &format!(
            "{}年{}各地区{}推进情况",
            p.year,
            months_span(p.month),
            spec.name
        ),
        vec![
            "地区",
            "项目数",
            "已报送",
            "年度计划投资",
            "本月完成投资",
            "累计完成投资",
            "完成率",
            "序时进度",
            "较序时进度（百分点）",
            "开工率",
            "排名",
            "排名变化",
            "灯号",
        ],
        unit_rows,
        "单位：万元",
    );
    t1.notes = vec![format!(
        "注：排名按投资完成率，完成率相同按累计完成投资；本期无被采纳数据的单位不参加排名，排名记“—”，灯号记“未报送”{}。灯号：落后序时进度不超过{:.0}个百分点（含超序时进度）为绿灯，落后{:.0}-{:.0}个百分点为黄灯，落后{:.0}个百分点以上为红灯。",
        if s.departments_apart {
            "；省直部门（类型为部门的单位）单独排名，不与设区市同榜"
        } else {
            ""
        },
        spec.lights.yellow_below * 100.0,
        spec.lights.yellow_below * 100.0,
        spec.lights.red_below * 100.0,
        spec.lights.red_below * 100.0
    ), format!("注：{}", start_rule_note(s.early_starts_count))];
    let lay = write_table(ws, st, &t1).map_err(&e)?;
    let n_units = main_units.len() as u32;
    if n_units > 0 {
        let (r0, r1) = (FIRST_DATA_ROW + 1, FIRST_DATA_ROW + n_units);
        let mut col = Chart::new(ChartType::Column);
        // A unit not ranked (no accepted data) shows last month's carried
        // figures: its bar is grey and hatched, and the title says why.
        let unranked: Vec<bool> = main_units.iter().map(|r| r.rank.is_none()).collect();
        let points: Vec<ChartPoint> = unranked
            .iter()
            .map(|&u| {
                if u {
                    ChartPoint::new().set_format(
                        ChartFormat::new().set_pattern_fill(
                            ChartPatternFill::new()
                                .set_pattern(ChartPatternFillType::DiagonalStripesWideUpwards)
                                .set_foreground_color(Color::RGB(0x80_80_80))
                                .set_background_color(Color::White),
                        ),
                    )
                } else {
                    ChartPoint::new()
                }
            })
            .collect();
        col.add_series()
            .set_name("投资完成率")
            .set_categories(("分地区", r0, 0, r1, 0))
            .set_values(("分地区", r0, 6, r1, 6))
            .set_format(&mut column_format(0))
            .set_points(&points);
        let mut line = Chart::new(ChartType::Line);
        let (mut f, m) = line_look(1);
        line.add_series()
            .set_name(format!("序时进度（{:.1}%）", tp * 100.0).as_str())
            .set_categories(("分地区", r0, 0, r1, 0))
            .set_values(("分地区", r0, 7, r1, 7))
            .set_format(&mut f)
            .set_marker(&m);
        col.combine(&line);
        let chart_title = if unranked.contains(&true) {
            "各地区投资完成率与序时进度（灰色斜线柱：本期未报送，为沿用上月数据，不参加排名）"
        } else {
            "各地区投资完成率与序时进度"
        };
        chart_look(&mut col, chart_title);
        col.y_axis().set_num_format("0%").set_min(0);
        chart_below(ws, &lay, lay.next_row, &mut col, 320).map_err(&e)?;
    }
    Ok(())
}

/// Writes the 分类别 sheet, and 分批次 where the pipeline has groups.
fn write_categories<'a>(
    wb: &mut Workbook,
    st: &Styles,
    inp: &MonthlyInput<'a>,
    sheet: &SheetFn<'a, '_>,
    e: &dyn Fn(rust_xlsxwriter::XlsxError) -> ReportError,
) -> Result<(), ReportError> {
    let &MonthlyInput {
        spec,
        summary: s,
        period: p,
        ..
    } = inp;
    let tp = s.time_progress;
    let t = &s.totals;
    let cat_headers = vec![
        "类别",
        "项目数",
        "已报送",
        "年度计划投资",
        "本月完成投资",
        "累计完成投资",
        "完成率",
        "较序时进度（百分点）",
        "开工率",
    ];
    let ws = wb
        .add_worksheet()
        .set_name(format!("分{}", spec.category_label))
        .map_err(&e)?;
    let mut h = cat_headers.clone();
    h[0] = spec.category_label.as_str();
    write_table(
        ws,
        st,
        &sheet(
            &format!(
                "{}年{}{}分{}推进情况",
                p.year,
                months_span(p.month),
                spec.name,
                spec.category_label
            ),
            h,
            group_table_rows(&s.by_category.iter().collect::<Vec<_>>(), t, tp, false),
            "单位：万元",
        ),
    )
    .map_err(&e)?;
    if let Some(gl) = &spec.group_label {
        let ws = wb.add_worksheet().set_name(format!("分{gl}")).map_err(&e)?;
        let mut h = cat_headers.clone();
        h[0] = gl.as_str();
        write_table(
            ws,
            st,
            &sheet(
                &format!(
                    "{}年{}{}分{gl}推进情况",
                    p.year,
                    months_span(p.month),
                    spec.name
                ),
                h,
                group_table_rows(&s.by_group.iter().collect::<Vec<_>>(), t, tp, false),
                "单位：万元",
            ),
        )
        .map_err(&e)?;
    }
    Ok(())
}

/// The 项目库变动 sheet: a summary block (上期, each kind's effect, 本期:
/// 项目数, 总投资, 年度计划投资; 本期 = 上期 + the effects) then one row per
/// change; the title block and 无 when nothing changed.
fn library_change_table<'a>(
    inp: &MonthlyInput<'_>,
    sheet: &SheetFn<'a, '_>,
) -> (String, TableSheet<'a>) {
    let &MonthlyInput {
        spec,
        period: p,
        library_change: c,
        ..
    } = inp;
    let figures = |t: PlanTotals| {
        vec![
            Val::Int(t.projects),
            Val::Money(t.total),
            Val::Money(t.annual),
        ]
    };
    let line = |cells: [&str; 5], t: PlanTotals, style| {
        let mut v: Vec<Val> = cells.iter().map(|s| Val::Text(s.to_string())).collect();
        v.extend(figures(t));
        (v, style)
    };
    let mut rows = Vec::new();
    if !c.rows.is_empty() {
        let prev = c.previous.clone().unwrap_or_default();
        rows.push(line(
            ["上期项目库", "", &prev, "", ""],
            c.before,
            RowStyle::Total,
        ));
        for k in [ChangeKind::Added, ChangeKind::Removed, ChangeKind::Adjusted] {
            let n = format!("{}个", c.count(k));
            rows.push(line(
                [k.label(), "", "小计", "", &n],
                c.effect_of(k),
                RowStyle::Normal,
            ));
        }
        let now = p.to_string();
        rows.push(line(
            ["本期项目库", "", &now, "", ""],
            c.after,
            RowStyle::Total,
        ));
        for r in &c.rows {
            let what = match r.kind {
                ChangeKind::Added | ChangeKind::Removed => r.batch.clone(),
                _ => format!("{}：{} → {}", r.field, r.before, r.after),
            };
            let style = match r.kind {
                ChangeKind::Removed => RowStyle::Yellow,
                _ => RowStyle::Normal,
            };
            rows.push(line(
                [r.kind.label(), &r.code, &r.name, &r.unit, &what],
                r.effect,
                style,
            ));
        }
    }
    let mut notes = vec![
        "本期项目库 = 上期项目库 + 新增 − 调出 ± 计划调整（项目数、总投资、年度计划投资逐项相加）；更名不影响计划。".to_string(),
    ];
    if c.previous.is_none() {
        notes.push(
            "历史库中没有上期的项目库记录（本期为首期，或上期由旧版本处理），无从比较。"
                .to_string(),
        );
    }
    (
        "项目库变动".to_string(),
        TableSheet {
            col_max: vec![(2, 30), (4, 30)],
            notes,
            ..sheet(
                &format!("{}年{}月{}变动情况", p.year, p.month, spec.library_label()),
                vec![
                    "变动",
                    "项目代码",
                    "项目名称",
                    "填报单位",
                    "变动内容",
                    "项目数",
                    "总投资",
                    "年度计划投资",
                ],
                rows,
                "单位：万元",
            )
        },
    )
}

/// Writes the workbook; returns its file name.
pub fn write<'a>(inp: &MonthlyInput<'a>, dir: &Path) -> Result<String, ReportError> {
    let &MonthlyInput {
        spec, period: p, ..
    } = inp;
    let name = format!(
        "{}.xlsx",
        spec.fill(&spec.reports.monthly, p.year, p.month, "")
    );
    let path = dir.join(&name);
    let e = xerr(&path);
    let title = spec.fill(&spec.reports.monthly_title, p.year, p.month, "");
    let mut wb = Workbook::new();
    wb.set_properties(&properties(&title, &spec.issuer, p));
    // Streamed tables spill beside the report (a folder known to be writable)
    // rather than into a possibly small system temp folder; the spill files
    // are unlinked as soon as they are created.
    let _ = wb.set_tempdir(dir);
    let st = Styles::new();
    let s = inp.summary;
    let meta_left = format!("制表单位：{}", spec.issuer);
    let meta_mid = format!("截至{}年{}月底", p.year, p.month);
    let sheet =
        |title: &str, headers: Vec<&'a str>, rows: Vec<(Vec<Val>, RowStyle)>, unit: &str| {
            TableSheet::new(title, &meta_left, &meta_mid, unit, headers, rows)
        };

    // 汇总: indicators and the 通报 paragraph (derivations: internal workbook).
    let kv: Vec<(Vec<Val>, RowStyle)> = summary_items(inp)
        .into_iter()
        .map(|(k, v, _)| (vec![Val::Text(k), v], RowStyle::Normal))
        .collect();
    let mut summary = sheet(&title, vec!["指标", "数值"], kv, "金额单位：万元");
    summary.max_width = 60;
    let ws = wb.add_worksheet().set_name("汇总").map_err(&e)?;
    let lay = write_table(ws, &st, &summary).map_err(&e)?;
    write_paragraph(ws, &st, &lay, lay.next_row - 1, &paragraph(spec, s, p)).map_err(&e)?;

    write_trend(&mut wb, &st, inp, &sheet, &e)?;
    write_regions(&mut wb, &st, inp, &sheet, &e)?;
    write_categories(&mut wb, &st, inp, &sheet, &e)?;

    // The tables below are rendered in parallel, in this order, after the
    // sheets above (a large 项目明细 is most of the report's time).
    let tables: Vec<(String, TableSheet)> = vec![
        ("重点关注".to_string(), focus_table(inp, &sheet)),
        ("项目明细".to_string(), detail_table(inp, &sheet)),
        lagging_table(inp, &sheet),
        not_started_table(inp, &sheet),
        problems_table(inp, &sheet),
        not_reported_table(inp, &sheet),
        rejected_table(inp, &sheet),
        library_change_table(inp, &sheet),
    ];

    push_tables(&mut wb, &st, tables).map_err(&e)?;
    save(&mut wb, &path)?;
    crate::fsx::drop_later(wb);
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Nature, Status};
    use crate::pipeline::aggregate::{summarize, AggregateInput};

    fn rec(code: &str, unit: &str, plan: i64, ytd: i64) -> ProjectRecord {
        ProjectRecord {
            code: code.into(),
            name: code.into(),
            unit_id: unit.into(),
            unit: unit.into(),
            county: String::new(),
            category: "信息基础设施".into(),
            group: String::new(),
            nature: Nature::Continuing,
            total_investment: plan * 3,
            annual_plan: plan,
            planned_start: None,
            reported: true,
            carried: false,
            month_done: 0,
            ytd_done: ytd,
            since_start_done: None,
            status: Status::UnderConstruction,
            start_date: None,
            progress: String::new(),
            problems: String::new(),
            coordination: String::new(),
            source: String::new(),
            rejected: false,
        }
    }

    fn paragraph_for(records: &[ProjectRecord], month: u32) -> String {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let spec =
            crate::config::load_pipeline(&root.join("pipelines/new-infra.toml"), &root).unwrap();
        let units = crate::seeds::Units::new(vec![]);
        let ids: Vec<String> = vec!["360100".into(), "360200".into()];
        let period = Period { year: 2023, month };
        let ey = Default::default();
        let s = summarize(&AggregateInput {
            spec: &spec,
            units: &units,
            unit_ids: &ids,
            period,
            records,
            end_years: &ey,
            history: &[],
        })
        .unwrap();
        paragraph(&spec, &s, period)
    }

    #[test]
    fn paragraph_punctuation_with_only_red_units() {
        // 6 months: 序时进度 50%; both units far behind, one red.
        let p = paragraph_for(
            &[
                rec("a", "360100", 1_000_000, 100_000),
                rec("b", "360200", 1_000_000, 350_000),
            ],
            6,
        );
        assert!(
            p.ends_with("360100落后序时进度30个百分点以上，亮红灯。"),
            "{p}"
        );
        assert!(!p.contains("。；") && !p.contains("。。"), "{p}");
    }

    #[test]
    fn exactly_on_time_progress_counts_as_ahead() {
        // 6 months: 500,000 of 1,000,000 is exactly 序时进度.
        let p = paragraph_for(
            &[
                rec("a", "360100", 1_000_000, 500_000),
                rec("b", "360200", 1_000_000, 100_000),
            ],
            6,
        );
        assert!(p.contains("360100达到或超过序时进度；360200落后"), "{p}");
        assert!(!p.contains("等1个地区"), "{p}");
    }
}
