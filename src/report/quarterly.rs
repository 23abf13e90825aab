//! The quarterly notification workbook (季度通报), written at quarter-end
//! months by `run` and on demand by `taizhang quarterly --quarter 2023Q2`.
//!
//! Sheets: 通报 (headline figures and the 通报 paragraph), 季度排名, 红黑榜,
//! 落后序时进度, 滞后项目, 开工投产, 逐月情况 (with a chart). Every figure
//! comes from the stored summaries of the quarter's months; the quarter-end
//! month gives ranks, lights and lists.

use rust_xlsxwriter::{Chart, ChartType, Workbook};
use std::path::Path;

use super::monthly::{
    light_style, months_span, operation_rate_text, pct, places, points_text, rate_val,
    start_rate_text, start_rule_note, yi,
};
use super::style::{
    chart_below, chart_look, column_format, push_tables, rank_change, write_paragraph, write_table,
    RowStyle, Styles, TableSheet, Val, FIRST_DATA_ROW,
};
use super::{properties, save, xerr, ReportError};
use crate::config::PipelineSpec;
use crate::model::summary::{quarter_done, GroupRow, Light, QuarterDone, Summary};
use crate::model::{Period, ProjectRecord, Yuan};
use crate::text::quarter_cn;

/// What the quarterly notification shows. Everything comes from the store.
pub struct QuarterlyInput<'a> {
    pub spec: &'a PipelineSpec,
    pub year: i32,
    /// 1-4.
    pub quarter: u32,
    /// Summaries of the quarter's months found in the store (1-3), oldest first;
    /// the last is the quarter's end month.
    pub months: &'a [Summary],
    /// Summary of the previous quarter's end month, when stored (rank change).
    pub prev_quarter_end: Option<&'a Summary>,
    /// Project records of the quarter's end month (lagging projects, 开工/投产).
    pub records: &'a [ProjectRecord],
}

/// Whether a unit's completion rate reached 序时进度 (decided by the summary).
pub fn reached(r: &GroupRow, _month: u32) -> bool {
    r.reached
}

/// 红榜 (best first) and 黑榜 (worst first) of the quarter-end summary:
/// ranked units of the main table only (departments and units that sent
/// nothing are never on them).
pub fn honor_and_shame<'s>(
    spec: &PipelineSpec,
    end: &'s Summary,
) -> (Vec<&'s GroupRow>, Vec<&'s GroupRow>) {
    end.honor_and_shame(spec.honor_count, spec.shame_count)
}

/// The cumulative of a quarter-end month as the 通报 says it: 一季度 /
/// 上半年 / 前三季度 / 全年; other months `1-N月`.
pub fn cumulative_label(month: u32) -> String {
    match month {
        3 => "一季度".to_string(),
        6 => "上半年".to_string(),
        9 => "前三季度".to_string(),
        12 => "全年".to_string(),
        m => months_span(m),
    }
}

fn months_list(ms: &[u32]) -> String {
    ms.iter()
        .map(|m| format!("{m}月"))
        .collect::<Vec<_>>()
        .join("、")
}

/// Investment a unit should have completed by 序时进度: plan × month / 12,
/// rounded half away from zero to whole 元.
pub fn due_by_time(plan: Yuan, month: u32) -> Yuan {
    let num = i128::from(plan) * i128::from(month);
    let q = (num.abs() * 2 + 12) / 24;
    (if num < 0 { -q } else { q }) as Yuan
}

fn names(rows: &[&GroupRow]) -> String {
    rows.iter()
        .map(|r| r.key.as_str())
        .collect::<Vec<_>>()
        .join("、")
}

fn qd_of(inp: &QuarterlyInput<'_>) -> QuarterDone {
    quarter_done(inp.quarter, inp.months, inp.prev_quarter_end)
}

/// A quarter figure in a table: the amount, or `—` when not known.
fn qd_val(v: Option<Yuan>) -> Val {
    v.map_or_else(|| Val::Text("—".into()), Val::Money)
}

/// The 通报 paragraph of the quarter.
pub fn paragraph(inp: &QuarterlyInput<'_>, end: &Summary) -> String {
    let spec = inp.spec;
    let qcn = quarter_cn(inp.quarter);
    let t = &end.totals;
    let rate = t.completion_rate();
    let month = end.period.month;
    let qd = qd_of(inp);
    // The months are listed only when their 当月完成 add up to the quarter's
    // figure (a month carried forward or sent late makes them differ).
    let months_add_up = inp.months.len() == 3
        && qd.total == Some(inp.months.iter().map(|m| m.totals.month_done).sum());
    let per_month: Vec<String> = inp
        .months
        .iter()
        .map(|m| format!("{}月{}亿元", m.period.month, yi(m.totals.month_done)))
        .collect();
    // The first quarter's investment is the cumulative itself: its months
    // follow the cumulative, and no 其中 clause repeats the figure.
    let q1_months = if inp.quarter == 1 && months_add_up {
        format!("（{}）", per_month.join("，"))
    } else {
        String::new()
    };
    let mut p = format!(
        "{}年{}，全省{}累计完成投资{}亿元{q1_months}，占年度计划的{}，{}",
        inp.year,
        cumulative_label(month),
        spec.name,
        yi(t.ytd_done),
        pct(t.completion_rate_opt()),
        points_text(rate - end.time_progress),
    );
    match qd.total {
        Some(_) if inp.quarter == 1 => p.push('。'),
        Some(v) => {
            p.push_str(&format!("；其中第{qcn}季度完成投资{}亿元", yi(v)));
            if months_add_up {
                p.push_str(&format!("（{}）", per_month.join("，")));
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
    let units = end.main_ranking();
    let units: Vec<&GroupRow> = units
        .into_iter()
        .filter(|r| r.sums.annual_plan > 0)
        .collect();
    let ahead = units.iter().filter(|r| r.reached).count();
    if ahead == 0 {
        p.push_str(&format!("分地区看，{}个地区均落后序时进度", units.len()));
    } else if ahead == units.len() {
        p.push_str(&format!(
            "分地区看，{}个地区均达到或超过序时进度",
            units.len()
        ));
    } else {
        p.push_str(&format!(
            "分地区看，{}个地区达到或超过序时进度，{}个地区落后序时进度",
            ahead,
            units.len() - ahead
        ));
    }
    let (honor, shame) = honor_and_shame(spec, end);
    if !honor.is_empty() {
        p.push_str(&format!("；{}进度靠前，列入红榜", names(&honor)));
    }
    if !shame.is_empty() {
        p.push_str(&format!("；{}进度靠后，列入黑榜", names(&shame)));
    }
    let unreported: Vec<&str> = end
        .unreported_units()
        .iter()
        .map(|r| r.key.as_str())
        .collect();
    if !unreported.is_empty() {
        p.push_str(&format!(
            "；{}本期未报送数据，不参加排名",
            places(&unreported)
        ));
    }
    p.push('。');
    let lag: Vec<usize> = end.lagging.clone();
    let count = |l: Light| {
        lag.iter()
            .filter(|&&i| end.project_flags.get(i).map(|f| f.light) == Some(l))
            .count()
    };
    let parts: Vec<String> = [("红灯", count(Light::Red)), ("黄灯", count(Light::Yellow))]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{k}{n}个"))
        .collect();
    p.push_str(&format!(
        "全省{}个项目中，{}{}；{}；{}。",
        t.projects,
        super::monthly::lagging_text(lag.len() as i64),
        if parts.is_empty() {
            String::new()
        } else {
            format!("（{}）", parts.join("、"))
        },
        start_rate_text(t, end.early_starts_count),
        operation_rate_text(t)
    ));
    if units.len() > ahead {
        p.push_str("请落后序时进度的地区对照滞后项目清单逐个分析原因，制定赶超措施，确保完成全年目标任务。");
    }
    p
}

/// What every sheet of the quarterly workbook reads: the input, the
/// quarter-end summary and the figures derived once from them.
struct Ctx<'a, 'b> {
    inp: &'b QuarterlyInput<'a>,
    end: &'b Summary,
    spec: &'a PipelineSpec,
    q: u32,
    qcn: &'static str,
    month: u32,
    tp: f64,
    t: &'b crate::model::summary::Sums,
    honor: Vec<&'b GroupRow>,
    shame: Vec<&'b GroupRow>,
    qd: QuarterDone,
    qd_note: String,
    months_text: String,
    title: String,
    meta_left: &'b str,
    meta_mid: &'b str,
    sheet: &'b SheetFn<'b>,
    st: &'b Styles,
    e: &'b dyn Fn(rust_xlsxwriter::XlsxError) -> ReportError,
}

/// Builds a table sheet with the workbook's meta line.
type SheetFn<'b> =
    dyn Fn(String, Vec<&'static str>, Vec<(Vec<Val>, RowStyle)>, &str) -> TableSheet<'static> + 'b;

/// Writes the 通报 sheet: the paragraph and its figures.
fn notice_sheet(c: &Ctx<'_, '_>, wb: &mut Workbook) -> Result<(), ReportError> {
    let &Ctx {
        inp,
        end,
        qcn,
        month,
        tp,
        t,
        ref honor,
        ref shame,
        ref qd,
        ref qd_note,
        ref title,
        sheet,
        st,
        e,
        ..
    } = c;
    let rows: Vec<(Vec<Val>, RowStyle)> = vec![
        (
            format!("第{qcn}季度完成投资（万元）"),
            qd_val(qd.total),
            qd_note.clone(),
        ),
        (
            format!("{}累计完成投资（万元）", cumulative_label(month)),
            Val::Money(t.ytd_done),
            String::new(),
        ),
        (
            "年度计划投资（万元）".to_string(),
            Val::Money(t.annual_plan),
            String::new(),
        ),
        (
            "投资完成率".to_string(),
            rate_val(t.completion_rate_opt()),
            String::new(),
        ),
        ("序时进度".to_string(), Val::Rate(tp), String::new()),
        (
            "较序时进度（百分点）".to_string(),
            Val::Points((t.completion_rate() - tp) * 100.0),
            String::new(),
        ),
        (
            "开工率".to_string(),
            rate_val(t.start_rate()),
            format!(
                "已开工{}个 ÷ 应开工{}个{}",
                t.start_counted,
                t.due_start,
                if t.early_started == 0 {
                    String::new()
                } else if end.early_starts_count {
                    format!("，已开工含提前开工{}个", t.early_started)
                } else {
                    format!("；另有提前开工{}个，未计入", t.early_started)
                }
            ),
        ),
        (
            "投产率".to_string(),
            rate_val(t.operation_rate()),
            format!("建成投产{}个 ÷ 应建成{}个", t.in_operation, t.due_operation),
        ),
        (
            "滞后项目（个）".to_string(),
            Val::Int(end.lagging.len() as i64),
            "见“滞后项目”表".to_string(),
        ),
        (
            "红榜（个）".to_string(),
            Val::Int(honor.len() as i64),
            if honor.is_empty() {
                "无地区达到序时进度".to_string()
            } else {
                names(honor)
            },
        ),
        (
            "黑榜（个）".to_string(),
            Val::Int(shame.len() as i64),
            names(shame),
        ),
    ]
    .into_iter()
    .map(|(k, v, n)| (vec![Val::Text(k), v, Val::Text(n)], RowStyle::Normal))
    .collect();
    let mut tb = sheet(
        title.clone(),
        vec!["指标", "数值", "备注"],
        rows,
        "金额单位：万元",
    );
    tb.max_width = 60;
    let ws = wb.add_worksheet().set_name("通报").map_err(&e)?;
    let lay = write_table(ws, st, &tb).map_err(&e)?;
    write_paragraph(ws, st, &lay, lay.next_row - 1, &paragraph(inp, end)).map_err(&e)?;
    Ok(())
}

/// Writes the 季度排名 sheet (rank change against last quarter).
fn ranking_sheet(c: &Ctx<'_, '_>, wb: &mut Workbook) -> Result<(), ReportError> {
    let &Ctx {
        inp,
        end,
        spec,
        q,
        qcn,
        month,
        tp,
        t,
        ref qd,
        sheet,
        st,
        e,
        ..
    } = c;
    let prev = inp.prev_quarter_end;
    let prev_rank = |key: &str| -> Option<usize> {
        prev.and_then(|p| p.by_unit.iter().find(|r| r.key == key).and_then(|r| r.rank))
    };
    // Main ranking, then the main-table units not ranked, then the departments.
    let mut by_rank: Vec<&GroupRow> = end.main_ranking();
    by_rank.extend(
        end.unreported_units()
            .into_iter()
            .filter(|r| end.in_main_table(r)),
    );
    let depts: Vec<&GroupRow> = end
        .by_unit
        .iter()
        .filter(|r| !end.in_main_table(r) && r.sums.projects > 0)
        .collect();
    let mut depts_sorted = end.department_ranking();
    depts_sorted.extend(depts.iter().copied().filter(|r| r.rank.is_none()));
    let mut rank_rows = vec![(
        vec![
            Val::Text("合计".into()),
            Val::Blank,
            Val::Int(t.projects),
            Val::Money(t.annual_plan),
            qd_val(qd.total),
            Val::Money(t.ytd_done),
            rate_val(t.completion_rate_opt()),
            Val::Points((t.completion_rate() - tp) * 100.0),
            Val::Blank,
            Val::Blank,
            Val::Blank,
        ],
        RowStyle::Total,
    )];
    let rank_line = |r: &GroupRow| -> (Vec<Val>, RowStyle) {
        let pr = prev_rank(&r.key);
        (
            vec![
                Val::Text(r.key.clone()),
                r.rank
                    .map_or_else(|| Val::Text("—".into()), |k| Val::Int(k as i64)),
                Val::Int(r.sums.projects),
                Val::Money(r.sums.annual_plan),
                qd_val(qd.unit(&r.key)),
                Val::Money(r.sums.ytd_done),
                rate_val(r.sums.completion_rate_opt()),
                Val::Points(r.gap * 100.0),
                pr.map_or(Val::Blank, |p| Val::Int(p as i64)),
                Val::Text(
                    r.rank
                        .map(|k| rank_change(k, pr, prev.is_some()))
                        .unwrap_or_default(),
                ),
                Val::Text(r.light.label().into()),
            ],
            light_style(r.light),
        )
    };
    for r in &by_rank {
        rank_rows.push(rank_line(r));
    }
    if !depts_sorted.is_empty() {
        let mut head = vec![Val::Text("省直部门（单独排名）".into())];
        head.extend(std::iter::repeat_n(Val::Blank, 10));
        rank_rows.push((head, RowStyle::Total));
        for r in &depts_sorted {
            rank_rows.push(rank_line(r));
        }
    }
    let prev_period = if q > 1 {
        format!("{}年{}月", inp.year, (q - 1) * 3)
    } else {
        format!("{}年12月", inp.year - 1)
    };
    let mut rk = sheet(
        format!("{}年第{qcn}季度各地区{}推进情况排名", inp.year, spec.name),
        vec![
            "地区",
            "排名",
            "项目数",
            "年度计划投资",
            "本季度完成投资",
            "累计完成投资",
            "完成率",
            "较序时进度（百分点）",
            "上季末排名",
            "排名变化",
            "灯号",
        ],
        rank_rows,
        "单位：万元",
    );
    rk.notes = vec![
        format!(
            "注：排名按{}月底投资完成率（累计完成 ÷ 年度计划），完成率相同按累计完成投资；排名变化与上季度末（{prev_period}）排名比较{}。",
            month,
            if prev.is_some() { "，“新”为上季度末未参加排名" } else { "，历史库中无上季度末数据，不比较" }
        ),
        format!(
            "灯号：落后序时进度不超过{:.0}个百分点（含超序时进度）为绿灯，落后{:.0}-{:.0}个百分点为黄灯，落后{:.0}个百分点以上为红灯。",
            spec.lights.yellow_below * 100.0,
            spec.lights.yellow_below * 100.0,
            spec.lights.red_below * 100.0,
            spec.lights.red_below * 100.0
        ),
    ];
    let ws = wb.add_worksheet().set_name("季度排名").map_err(&e)?;
    write_table(ws, st, &rk).map_err(&e)?;
    Ok(())
}

/// Writes the 红黑榜 sheet.
fn boards_sheet(c: &Ctx<'_, '_>, wb: &mut Workbook) -> Result<(), ReportError> {
    let &Ctx {
        inp,
        spec,
        qcn,
        month,
        tp,
        ref honor,
        ref shame,
        sheet,
        st,
        e,
        ..
    } = c;
    let list_row = |board: &str, r: &GroupRow| -> (Vec<Val>, RowStyle) {
        (
            vec![
                Val::Text(board.to_string()),
                Val::Text(r.key.clone()),
                Val::Int(r.rank.unwrap_or_default() as i64),
                Val::Money(r.sums.annual_plan),
                Val::Money(r.sums.ytd_done),
                Val::Rate(r.completion_rate),
                Val::Points(r.gap * 100.0),
            ],
            RowStyle::Normal,
        )
    };
    let mut hs_rows: Vec<(Vec<Val>, RowStyle)> = Vec::new();
    let section = |text: String| -> (Vec<Val>, RowStyle) {
        let mut v = vec![Val::Text(text)];
        v.extend(std::iter::repeat_n(Val::Blank, 6));
        (v, RowStyle::Total)
    };
    // An empty board says so: one 无 row under its heading.
    let none_row = |board: &str| -> (Vec<Val>, RowStyle) {
        let mut v = vec![Val::Text(board.to_string()), Val::Text("无".into())];
        v.extend(std::iter::repeat_n(Val::Blank, 5));
        (v, RowStyle::Normal)
    };
    for (board, list) in [("红榜", &honor), ("黑榜", &shame)] {
        hs_rows.push(section(format!("{board}（{}个）", list.len())));
        if list.is_empty() {
            hs_rows.push(none_row(board));
        }
        hs_rows.extend(list.iter().map(|r| list_row(board, r)));
    }
    let mut hs = sheet(
        format!("{}年第{qcn}季度{}推进情况红黑榜", inp.year, spec.name),
        vec![
            "榜单",
            "地区",
            "排名",
            "年度计划投资",
            "累计完成投资",
            "完成率",
            "较序时进度（百分点）",
        ],
        hs_rows,
        "单位：万元",
    );
    hs.notes = vec![format!(
        "注：红榜为{}月底投资完成率达到或超过序时进度（{:.1}%）的地区中排名前{}位者；黑榜为完成率低于序时进度的地区中排名后{}位者（由后往前列）；没有年度计划投资的地区、本期未报送数据的地区和单独排名的省直部门不列入红黑榜。排名按完成率，完成率相同按累计完成投资。",
        month,
        tp * 100.0,
        spec.honor_count,
        spec.shame_count
    )];
    let ws = wb.add_worksheet().set_name("红黑榜").map_err(&e)?;
    write_table(ws, st, &hs).map_err(&e)?;
    Ok(())
}

/// Writes the 落后序时进度 sheet.
fn behind_sheet(c: &Ctx<'_, '_>, wb: &mut Workbook) -> Result<(), ReportError> {
    let &Ctx {
        inp,
        end,
        qcn,
        month,
        tp,
        sheet,
        st,
        e,
        ..
    } = c;
    let mut behind: Vec<&GroupRow> = end
        .by_unit
        .iter()
        .filter(|r| {
            r.rank.is_some() && end.in_main_table(r) && r.sums.annual_plan > 0 && !r.reached
        })
        .collect();
    behind.sort_by_key(|r| std::cmp::Reverse(r.rank));
    let behind_rows: Vec<(Vec<Val>, RowStyle)> = behind
        .iter()
        .map(|r| {
            let due = due_by_time(r.sums.annual_plan, month);
            (
                vec![
                    Val::Text(r.key.clone()),
                    Val::Int(r.rank.unwrap_or_default() as i64),
                    Val::Money(r.sums.annual_plan),
                    Val::Money(r.sums.ytd_done),
                    Val::Rate(r.completion_rate),
                    Val::Points(r.gap * 100.0),
                    Val::Money(due),
                    Val::Money(due - r.sums.ytd_done),
                    Val::Text(r.light.label().into()),
                ],
                light_style(r.light),
            )
        })
        .collect();
    let mut bh = sheet(
        format!(
            "{}年第{qcn}季度落后序时进度地区（{}个）",
            inp.year,
            behind.len()
        ),
        vec![
            "地区",
            "排名",
            "年度计划投资",
            "累计完成投资",
            "完成率",
            "较序时进度（百分点）",
            "按序时应完成投资",
            "距序时进度差额",
            "灯号",
        ],
        behind_rows,
        "单位：万元",
    );
    bh.notes = vec![format!(
        "注：序时进度 = {month} ÷ 12 = {:.1}%；按序时应完成投资 = 年度计划 × {month} ÷ 12；差额 = 按序时应完成 − 累计完成。按排名由后往前列。",
        tp * 100.0
    )];
    let ws = wb.add_worksheet().set_name("落后序时进度").map_err(&e)?;
    write_table(ws, st, &bh).map_err(&e)?;
    Ok(())
}

/// Writes the 滞后项目 sheet.
fn lagging_sheet(c: &Ctx<'_, '_>, wb: &mut Workbook) -> Result<(), ReportError> {
    let &Ctx {
        inp,
        end,
        spec,
        qcn,
        month,
        tp,
        sheet,
        st,
        e,
        ..
    } = c;
    let mut lag: Vec<usize> = end
        .lagging
        .iter()
        .copied()
        .filter(|&i| i < inp.records.len() && i < end.project_flags.len())
        .collect();
    let light_order = |l: Light| match l {
        Light::Red => 0,
        Light::Yellow => 1,
        _ => 2,
    };
    lag.sort_by_key(|&i| (light_order(end.project_flags[i].light), i));
    let lag_rows: Vec<(Vec<Val>, RowStyle)> = lag
        .iter()
        .map(|&i| {
            let r = &inp.records[i];
            let f = &end.project_flags[i];
            let why = super::monthly::lag_reason(r, f, tp);
            (
                vec![
                    Val::Text(f.light.label().into()),
                    Val::Text(r.code.clone()),
                    Val::Text(super::monthly::listed_name(r)),
                    Val::Text(r.unit.clone()),
                    Val::Money(r.annual_plan),
                    Val::Money(r.ytd_done),
                    Val::Rate(f.completion_rate),
                    Val::Text(r.status.label().into()),
                    Val::Text(why),
                    Val::Text(r.problems.clone()),
                ],
                light_style(f.light),
            )
        })
        .collect();
    let mut lt = sheet(
        format!(
            "{}年第{qcn}季度{}滞后项目清单（{}个）",
            inp.year,
            spec.name,
            lag.len()
        ),
        vec![
            "灯号",
            "项目代码",
            "项目名称",
            "责任单位",
            "年度计划投资",
            "累计完成投资",
            "完成率",
            "建设状态",
            "滞后情况",
            "存在问题",
        ],
        lag_rows,
        "单位：万元",
    );
    lt.freeze_cols = 3;
    lt.col_max = vec![(1, 15), (2, 22), (8, 18), (9, 18)];
    lt.notes = vec![format!(
        "注：滞后项目为{month}月底完成率低于序时进度超过{:.0}个百分点，或应开工而未开工的项目。红灯：落后序时进度{:.0}个百分点以上；黄灯：落后{:.0}-{:.0}个百分点。先红灯后黄灯。",
        spec.lights.lagging_gap * 100.0,
        spec.lights.red_below * 100.0,
        spec.lights.yellow_below * 100.0,
        spec.lights.red_below * 100.0
    )];
    // Every lagging project: a long list is streamed, as the monthly's are.
    push_tables(wb, st, vec![("滞后项目".to_string(), lt)]).map_err(&e)?;
    Ok(())
}

/// Writes the 开工投产 sheet.
fn start_sheet(c: &Ctx<'_, '_>, wb: &mut Workbook) -> Result<(), ReportError> {
    let &Ctx {
        inp,
        end,
        spec,
        qcn,
        t,
        sheet,
        st,
        e,
        ..
    } = c;
    let so_line = |name: &str, s: &crate::model::summary::Sums, rs| {
        (
            vec![
                Val::Text(name.to_string()),
                Val::Int(s.projects),
                Val::Int(s.due_start),
                Val::Int(s.started),
                rate_val(s.start_rate()),
                Val::Int(s.due_operation),
                Val::Int(s.in_operation),
                rate_val(s.operation_rate()),
            ],
            rs,
        )
    };
    let mut so_rows = vec![so_line("合计", t, RowStyle::Total)];
    so_rows.extend(
        end.by_unit
            .iter()
            .map(|r| so_line(&r.key, &r.sums, RowStyle::Normal)),
    );
    let mut so = sheet(
        format!("{}年第{qcn}季度各地区{}开工投产情况", inp.year, spec.name),
        vec![
            "地区",
            "项目数",
            "应开工项目",
            "已开工项目",
            "开工率",
            "应建成投产项目",
            "已建成投产项目",
            "投产率",
        ],
        so_rows,
        "单位：个",
    );
    so.notes = vec![format!(
        "注：{}投产率 = 已竣工或投产 ÷ 建设年限在本年及以前结束的项目。",
        start_rule_note(end.early_starts_count)
    )];
    let ws = wb.add_worksheet().set_name("开工投产").map_err(&e)?;
    write_table(ws, st, &so).map_err(&e)?;
    Ok(())
}

/// Writes the 逐月情况 sheet (+ chart).
fn months_sheet(c: &Ctx<'_, '_>, wb: &mut Workbook) -> Result<(), ReportError> {
    let (meta_left, meta_mid) = (c.meta_left, c.meta_mid);
    let &Ctx {
        inp,
        end,
        spec,
        qcn,
        month,
        t,
        ref qd,
        ref months_text,
        st,
        e,
        ..
    } = c;
    let month_cols: Vec<(String, String)> = inp
        .months
        .iter()
        .map(|m| {
            (
                format!("{}月当月完成", m.period.month),
                format!("{}累计完成", months_span(m.period.month)),
            )
        })
        .collect();
    let mut headers: Vec<String> = vec!["地区".to_string()];
    for (a, b) in &month_cols {
        headers.push(a.clone());
        headers.push(b.clone());
    }
    headers.push(format!("第{qcn}季度完成"));
    headers.push(format!("{month}月底完成率"));
    let unit_sums = |m: &Summary, key: Option<&str>| -> (Yuan, Yuan) {
        match key {
            None => (m.totals.month_done, m.totals.ytd_done),
            Some(k) => m
                .by_unit
                .iter()
                .find(|r| r.key == k)
                .map_or((0, 0), |r| (r.sums.month_done, r.sums.ytd_done)),
        }
    };
    let mm_line = |name: &str, key: Option<&str>, rate: f64, rs| {
        let mut v = vec![Val::Text(name.to_string())];
        for m in inp.months {
            let (md, ytd) = unit_sums(m, key);
            v.push(Val::Money(md));
            v.push(Val::Money(ytd));
        }
        v.push(match key {
            None => qd_val(qd.total),
            Some(k) => qd_val(qd.unit(k)),
        });
        v.push(Val::Rate(rate));
        (v, rs)
    };
    let mut mm_rows = vec![mm_line("合计", None, t.completion_rate(), RowStyle::Total)];
    mm_rows.extend(
        end.by_unit
            .iter()
            .map(|r| mm_line(&r.key, Some(&r.key), r.completion_rate, RowStyle::Normal)),
    );
    let n_units = end.by_unit.len() as u32;
    // Headers borrow from `headers`, which lives to the end of this function.
    let hdr: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mm = TableSheet {
        freeze_cols: 1,
        notes: vec![format!(
            "注：第{qcn}季度完成 = 季末累计完成 − 上季末累计完成（第一季度即季末累计；上季末不在历史库而季内三个月齐全时为各月当月完成之和）；无法确定时记“—”（数据不全）。历史库中有数据的月份：{months_text}。"
        )],
        ..TableSheet::new(
            &format!("{}年第{qcn}季度各地区{}逐月完成情况", inp.year, spec.name),
            meta_left,
            meta_mid,
            "单位：万元",
            hdr,
            mm_rows,
        )
    };
    let ws = wb.add_worksheet().set_name("逐月情况").map_err(&e)?;
    let lay = write_table(ws, st, &mm).map_err(&e)?;
    if n_units > 0 {
        let (r0, r1) = (FIRST_DATA_ROW + 1, FIRST_DATA_ROW + n_units);
        let mut chart = Chart::new(ChartType::Column);
        for (i, m) in inp.months.iter().enumerate() {
            let c = 1 + 2 * i as u16;
            chart
                .add_series()
                .set_name(format!("{}月当月完成（万元）", m.period.month).as_str())
                .set_categories(("逐月情况", r0, 0, r1, 0))
                .set_values(("逐月情况", r0, c, r1, c))
                .set_format(&mut column_format(i));
        }
        chart_look(
            &mut chart,
            &format!("第{qcn}季度各地区逐月完成投资（万元）"),
        );
        chart.y_axis().set_num_format("#,##0");
        chart_below(ws, &lay, lay.next_row, &mut chart, 340).map_err(&e)?;
    }
    Ok(())
}

/// Writes the workbook into `dir`; returns its file name (empty when the
/// quarter has no stored month).
pub fn write(inp: &QuarterlyInput<'_>, dir: &Path) -> Result<String, ReportError> {
    let Some(end) = inp.months.last() else {
        return Ok(String::new());
    };
    let spec = inp.spec;
    let q = inp.quarter.clamp(1, 4);
    let qcn = quarter_cn(q);
    let name = format!(
        "{}.xlsx",
        spec.fill(&spec.reports.quarterly, inp.year, q * 3, "")
    );
    let path = dir.join(&name);
    let e = xerr(&path);
    let title = spec.fill(&spec.reports.quarterly_title, inp.year, q * 3, "");
    let mut wb = Workbook::new();
    wb.set_properties(&properties(
        &title,
        &spec.issuer,
        Period {
            year: inp.year,
            month: q * 3,
        },
    ));
    // A streamed table spills beside the report (see `monthly::write`).
    let _ = wb.set_tempdir(dir);
    let st = Styles::new();
    let month = end.period.month;
    let tp = end.time_progress;
    let t = &end.totals;
    let meta_left = format!("制表单位：{}", spec.issuer);
    let meta_mid = format!("截至{}年{}月底", end.period.year, month);
    let sheet = |title: String, headers: Vec<&'static str>, rows, unit: &str| {
        TableSheet::new(&title, &meta_left, &meta_mid, unit, headers, rows)
    };
    let months_text = inp
        .months
        .iter()
        .map(|m| format!("{}月", m.period.month))
        .collect::<Vec<_>>()
        .join("、");
    let (honor, shame) = honor_and_shame(spec, end);
    let qd = qd_of(inp);
    let qd_note = match qd.total {
        Some(_) if q == 1 => format!("即{}累计完成投资", cumulative_label(3)),
        Some(_) if inp.prev_quarter_end.is_some() && month == q * 3 => {
            format!("{}月底累计 − {}月底累计", month, (q - 1) * 3)
        }
        Some(_) => format!("季内各月当月完成之和（{months_text}）"),
        None => format!(
            "数据不全：历史库中缺{}数据，不作统计（已入库月份{months_text}当月完成合计{}万元）",
            months_list(&qd.missing),
            crate::parse::fmt_wan(qd.partial)
        ),
    };

    let c = Ctx {
        inp,
        end,
        spec,
        q,
        qcn,
        month,
        tp,
        t,
        honor,
        shame,
        qd,
        qd_note,
        months_text,
        title,
        meta_left: &meta_left,
        meta_mid: &meta_mid,
        sheet: &sheet,
        st: &st,
        e: &e,
    };
    notice_sheet(&c, &mut wb)?;
    ranking_sheet(&c, &mut wb)?;
    boards_sheet(&c, &mut wb)?;
    behind_sheet(&c, &mut wb)?;
    lagging_sheet(&c, &mut wb)?;
    start_sheet(&c, &mut wb)?;
    months_sheet(&c, &mut wb)?;

    save(&mut wb, &path)?;
    Ok(name)
}
