//! The monthly monitoring workbook (月度监测表): 汇总, 分地区, 分类别,
//! (分批次), 项目明细, 滞后项目, 未开工项目, 问题清单, 未报送, 校验问题, 数据核对.

use rust_xlsxwriter::{Chart, ChartMarker, ChartMarkerType, ChartType, Workbook};
use std::path::Path;

use super::style::{
    chart_below, chart_look, push_tables, rank_change, write_paragraph, write_table, RowStyle,
    Styles, TableSheet, Val, FIRST_DATA_ROW,
};
use super::{properties, save, xerr, ReportError};
use crate::config::PipelineSpec;
use crate::model::{Finding, Period, ProjectRecord, Severity};
use crate::pipeline::aggregate::{GroupRow, Light, Summary, Sums};
use crate::pipeline::manifest::InputEntry;

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
}

fn light_style(l: Light) -> RowStyle {
    match l {
        Light::Green => RowStyle::Normal,
        Light::Yellow => RowStyle::Yellow,
        Light::Red => RowStyle::Red,
    }
}

/// `+1.2` / `−3.4` 个百分点 wording.
pub fn points_text(gap: f64) -> String {
    let p = (gap * 1000.0).round() / 10.0;
    if p >= 0.0 {
        format!("超序时进度{p:.1}个百分点")
    } else {
        format!("落后序时进度{:.1}个百分点", -p)
    }
}

/// Why a project lags: an overdue start, or its gap to 序时进度.
pub fn lag_reason(
    r: &ProjectRecord,
    f: &crate::pipeline::aggregate::ProjectFlags,
    tp: f64,
) -> String {
    if f.overdue_start {
        format!(
            "计划{}开工，至今未开工",
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
        "截至{}月底，全省{}累计完成投资{}亿元，占年度计划的{:.1}%，{}；{}月当月完成投资{}亿元。",
        period.month,
        spec.name,
        yi(t.ytd_done),
        rate * 100.0,
        points_text(rate - s.time_progress),
        period.month,
        yi(t.month_done),
    );
    let target_rate = crate::pipeline::aggregate::ratio(t.ytd_done, spec.annual_target_yuan);
    p.push_str(&format!(
        "年度目标{}，已完成{:.1}%。",
        spec.annual_target_text,
        target_rate * 100.0
    ));
    p.push_str(&format!(
        "{}个项目中，已开工{}个，开工率{:.1}%；建成投产{}个；滞后项目{}个。",
        t.projects,
        t.started,
        t.start_rate() * 100.0,
        t.in_operation,
        t.lagging
    ));
    // At or above 序时进度, decided exactly: ytd × 12 ≥ plan × month.
    let ahead: Vec<&str> = s
        .by_unit
        .iter()
        .filter(|r| {
            r.sums.projects > 0
                && r.sums.annual_plan > 0
                && r.sums.ytd_done as i128 * 12 >= r.sums.annual_plan as i128 * period.month as i128
        })
        .map(|r| r.key.as_str())
        .collect();
    let red: Vec<&str> = s
        .by_unit
        .iter()
        .filter(|r| r.light == Light::Red && r.sums.projects > 0)
        .map(|r| r.key.as_str())
        .collect();
    let mut clauses = Vec::new();
    if !ahead.is_empty() {
        clauses.push(format!(
            "{}等{}个地区超序时进度",
            ahead.iter().take(3).cloned().collect::<Vec<_>>().join("、"),
            ahead.len()
        ));
    }
    if !red.is_empty() {
        clauses.push(format!(
            "{}落后序时进度{:.0}个百分点以上，亮红灯",
            red.join("、"),
            spec.lights.red_below * 100.0
        ));
    }
    if !clauses.is_empty() {
        p.push_str(&clauses.join("；"));
        p.push('。');
    }
    p
}

fn group_table_rows(
    rows: &[GroupRow],
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
            Val::Rate(s.completion_rate()),
        ];
        if with_rank {
            v.push(Val::Rate(tp));
        }
        v.extend([Val::Points(gap * 100.0), Val::Rate(s.start_rate())]);
        if with_rank {
            match rank {
                Some(r) => {
                    v.push(Val::Int(r.rank as i64));
                    v.push(Val::Text(rank_change(r.rank, r.prev_rank, prev_known)));
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
    for r in rows {
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

/// Writes the workbook; returns its file name.
pub fn write<'a>(inp: &MonthlyInput<'a>, dir: &Path) -> Result<String, ReportError> {
    let spec = inp.spec;
    let p = inp.period;
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
    let tp = s.time_progress;
    let meta_left = format!("制表单位：{}", spec.issuer);
    let meta_mid = format!("截至{}年{}月底", p.year, p.month);
    let sheet =
        |title: &str, headers: Vec<&'a str>, rows: Vec<(Vec<Val>, RowStyle)>, unit: &str| {
            TableSheet::new(title, &meta_left, &meta_mid, unit, headers, rows)
        };

    // 汇总
    let t = &s.totals;
    let kv: Vec<(Vec<Val>, RowStyle)> = vec![
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
            Val::Rate(crate::pipeline::aggregate::ratio(
                t.ytd_done,
                spec.annual_target_yuan,
            )),
            "累计完成 ÷ 年度目标",
        ),
        (
            "开工率",
            Val::Rate(t.start_rate()),
            "已开工 ÷ 应开工（续建计为已开工）",
        ),
        (
            "投产率",
            Val::Rate(t.operation_rate()),
            "建成投产 ÷ 应于本年建成",
        ),
        (
            "滞后项目（个）",
            Val::Int(t.lagging),
            "完成率低于序时进度超过阈值，或逾期未开工",
        ),
        ("未开工项目（个）", Val::Int(s.not_started.len() as i64), ""),
        (
            "未报送单位（个）",
            Val::Int(inp.missing_units.len() as i64),
            &inp.missing_units.join("、"),
        ),
    ]
    .into_iter()
    .map(|(k, v, note)| {
        (
            vec![
                Val::Text(k.replace("1-N月", &format!("1-{}月", p.month))),
                v,
                Val::Text(note.to_string()),
            ],
            RowStyle::Normal,
        )
    })
    .collect();
    let mut summary = sheet(&title, vec!["指标", "数值", "说明"], kv, "金额单位：万元");
    summary.max_width = 60;
    let ws = wb.add_worksheet().set_name("汇总").map_err(&e)?;
    let lay = write_table(ws, &st, &summary).map_err(&e)?;
    write_paragraph(ws, &st, &lay, lay.next_row - 1, &paragraph(spec, s, p)).map_err(&e)?;

    // 趋势
    let trend_rows: Vec<(Vec<Val>, RowStyle)> = s
        .trend
        .iter()
        .map(|tpnt| {
            let label = crate::model::Period::parse_period(&tpnt.period)
                .map_or(tpnt.period.clone(), |q| {
                    format!("{}年1-{}月", q.year, q.month)
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
            "较序时进度(百分点)",
        ],
        trend_rows,
        "单位：万元",
    );
    tt.notes = vec!["注：各月数据取自历史库中该月的采纳数据；序时进度 = 月份 ÷ 12。".to_string()];
    let lay = write_table(ws, &st, &tt).map_err(&e)?;
    if n_trend > 0 {
        let (r0, r1) = (FIRST_DATA_ROW, FIRST_DATA_ROW + n_trend - 1);
        let mut col = Chart::new(ChartType::Column);
        col.add_series()
            .set_name("累计完成投资（万元）")
            .set_categories(("趋势", r0, 0, r1, 0))
            .set_values(("趋势", r0, 2, r1, 2));
        let mut line = Chart::new(ChartType::Line);
        let mut marker = ChartMarker::new();
        marker.set_type(ChartMarkerType::Circle).set_size(5);
        line.add_series()
            .set_name("投资完成率")
            .set_categories(("趋势", r0, 0, r1, 0))
            .set_values(("趋势", r0, 4, r1, 4))
            .set_marker(&marker)
            .set_secondary_axis(true);
        line.add_series()
            .set_name("序时进度")
            .set_categories(("趋势", r0, 0, r1, 0))
            .set_values(("趋势", r0, 5, r1, 5))
            .set_secondary_axis(true);
        col.combine(&line);
        chart_look(&mut col, "累计完成投资与完成率（对照序时进度）");
        col.y_axis().set_num_format("#,##0").set_name("万元");
        col.y2_axis().set_num_format("0%").set_min(0);
        chart_below(ws, &lay, lay.next_row, &mut col, 340).map_err(&e)?;
    }

    // 分地区
    let ws = wb.add_worksheet().set_name("分地区").map_err(&e)?;
    let mut t1 = sheet(
        &format!("{}年1-{}月各地区{}推进情况", p.year, p.month, spec.name),
        vec![
            "地区",
            "项目数",
            "已报送",
            "年度计划投资",
            "本月完成投资",
            "累计完成投资",
            "完成率",
            "序时进度",
            "较序时进度(百分点)",
            "开工率",
            "排名",
            "排名变化",
            "灯号",
        ],
        group_table_rows(&s.by_unit, t, tp, true),
        "单位：万元",
    );
    t1.notes = vec![format!(
        "注：排名按投资完成率，完成率相同按累计完成投资。灯号：落后序时进度不超过{:.0}个百分点（含超序时进度）为绿灯，落后{:.0}-{:.0}个百分点为黄灯，落后{:.0}个百分点以上为红灯。",
        spec.lights.yellow_below * 100.0,
        spec.lights.yellow_below * 100.0,
        spec.lights.red_below * 100.0,
        spec.lights.red_below * 100.0
    )];
    let lay = write_table(ws, &st, &t1).map_err(&e)?;
    let n_units = s.by_unit.len() as u32;
    if n_units > 0 {
        let (r0, r1) = (FIRST_DATA_ROW + 1, FIRST_DATA_ROW + n_units);
        let mut col = Chart::new(ChartType::Column);
        col.add_series()
            .set_name("投资完成率")
            .set_categories(("分地区", r0, 0, r1, 0))
            .set_values(("分地区", r0, 6, r1, 6));
        let mut line = Chart::new(ChartType::Line);
        line.add_series()
            .set_name(format!("序时进度（{:.1}%）", tp * 100.0).as_str())
            .set_categories(("分地区", r0, 0, r1, 0))
            .set_values(("分地区", r0, 7, r1, 7));
        col.combine(&line);
        chart_look(&mut col, "各地区投资完成率与序时进度");
        col.y_axis().set_num_format("0%").set_min(0);
        chart_below(ws, &lay, lay.next_row, &mut col, 320).map_err(&e)?;
    }

    // 分类别 / 分批次
    let cat_headers = vec![
        "类别",
        "项目数",
        "已报送",
        "年度计划投资",
        "本月完成投资",
        "累计完成投资",
        "完成率",
        "较序时进度(百分点)",
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
        &st,
        &sheet(
            &format!(
                "{}年1-{}月{}分{}推进情况",
                p.year, p.month, spec.name, spec.category_label
            ),
            h,
            group_table_rows(&s.by_category, t, tp, false),
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
            &st,
            &sheet(
                &format!("{}年1-{}月{}分{gl}推进情况", p.year, p.month, spec.name),
                h,
                group_table_rows(&s.by_group, t, tp, false),
                "单位：万元",
            ),
        )
        .map_err(&e)?;
    }

    // The tables below are rendered in parallel, in this order, after the
    // sheets above (a large 项目明细 is most of the report's time).
    let mut tables: Vec<(String, TableSheet)> = Vec::new();

    // 项目明细
    let source_label = |r: &ProjectRecord| {
        if r.reported {
            "已报送"
        } else if r.carried {
            "沿用上月"
        } else {
            "未报送"
        }
    };
    let detail_row = |i: usize, r: &ProjectRecord| -> (Vec<Val>, RowStyle) {
        let f = &s.project_flags[i];
        (
            vec![
                Val::Text(r.code.clone()),
                Val::Text(r.name.clone()),
                Val::Text(r.unit.clone()),
                Val::Text(r.county.clone()),
                Val::Text(r.category.clone()),
                Val::Text(r.nature.label().to_string()),
                Val::Text(r.planned_start.clone().unwrap_or_default()),
                Val::Money(r.total_investment),
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
        "所在县（区）",
        "类别",
        "建设性质",
        "计划开工时间",
        "总投资",
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
    let mut rows = vec![(
        vec![
            Val::Text("合计".into()),
            Val::Text(format!("{}个项目", inp.records.len())),
            Val::Blank,
            Val::Blank,
            Val::Blank,
            Val::Blank,
            Val::Blank,
            Val::Money(sum(&|r| r.total_investment)),
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
    rows.extend(
        inp.records
            .iter()
            .enumerate()
            .map(|(i, r)| detail_row(i, r)),
    );
    let mut dt = sheet(
        &format!("{}年1-{}月{}项目明细", p.year, p.month, spec.name),
        detail_headers.clone(),
        rows,
        "单位：万元",
    );
    dt.freeze_cols = 2;
    // 项目名称, 存在问题 wrap; the table stays readable one page wide.
    dt.col_max = vec![(1, 26), (3, 12), (4, 14), (15, 22)];
    dt.notes = vec![
        "注：数据来源为“沿用上月”的项目本期未报送或报送数据未被采纳，累计数沿用上月（黄色底纹）。"
            .to_string(),
    ];
    tables.push(("项目明细".to_string(), dt));

    // 滞后项目
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
    tables.push((
        "滞后项目".to_string(),
        TableSheet {
            col_max: vec![(1, 26), (8, 26), (9, 22)],
            ..sheet(
                &format!(
                    "{}年1-{}月{}滞后项目清单（{}个）",
                    p.year,
                    p.month,
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
    ));

    // 未开工项目
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
                        "已逾期".into()
                    } else {
                        "未到计划开工时间".into()
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
    tables.push((
        "未开工项目".to_string(),
        sheet(
            &format!(
                "{}年1-{}月{}未开工项目清单（{}个）",
                p.year,
                p.month,
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
        ),
    ));

    // 问题清单
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
    tables.push((
        "问题清单".to_string(),
        sheet(
            &format!(
                "{}年1-{}月{}存在问题及需协调事项清单",
                p.year, p.month, spec.name
            ),
            vec!["责任单位", "项目代码", "项目名称", "存在问题", "需协调事项"],
            pr_rows,
            "",
        ),
    ));

    // 未报送
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
    tables.push((
        "未报送".to_string(),
        sheet(
            &format!("{}年{}月{}未报送单位和项目", p.year, p.month, spec.name),
            vec!["类型", "单位", "项目", "处理"],
            nr_rows,
            "",
        ),
    ));

    // 校验问题
    let f_rows: Vec<(Vec<Val>, RowStyle)> = inp
        .findings
        .iter()
        .map(|f| {
            let rs = match (f.severity, f.waived) {
                (_, true) => RowStyle::Green,
                (Severity::Error, _) => RowStyle::Red,
                (Severity::Warning, _) => RowStyle::Yellow,
            };
            (
                vec![
                    Val::Text(f.id.clone()),
                    Val::Text(if f.waived {
                        "已核实".into()
                    } else {
                        f.severity.label().into()
                    }),
                    Val::Text(f.unit.clone()),
                    Val::Text(f.file.clone()),
                    Val::Text(f.sheet.clone()),
                    Val::Text(f.cell.clone()),
                    Val::Text(f.project_code.clone()),
                    Val::Text(f.message.clone()),
                ],
                rs,
            )
        })
        .collect();
    let mut ft = sheet(
        &format!(
            "{}年{}月{}台账校验问题（{}条）",
            p.year,
            p.month,
            spec.name,
            inp.findings.len()
        ),
        vec![
            "编号",
            "级别",
            "单位",
            "文件",
            "工作表",
            "单元格",
            "项目代码",
            "说明",
        ],
        f_rows,
        "",
    );
    ft.max_width = 80;
    ft.col_max = vec![(3, 28), (7, 60)];
    tables.push(("校验问题".to_string(), ft));

    // 数据核对
    let a_rows: Vec<(Vec<Val>, RowStyle)> = inp
        .inputs
        .iter()
        .map(|i| {
            let reasons = i
                .skipped_reasons
                .iter()
                .map(|(k, v)| format!("{k}:{v}"))
                .collect::<Vec<_>>()
                .join("，");
            (
                vec![
                    Val::Text(i.file.clone()),
                    Val::Text(i.unit.clone()),
                    Val::Text(i.status.clone()),
                    Val::Int(i.rows_read as i64),
                    Val::Int(i.accepted as i64),
                    Val::Int(i.rejected as i64),
                    Val::Int(i.skipped as i64),
                    Val::Text(reasons),
                    Val::Text(i.error.clone().unwrap_or_default()),
                ],
                if i.status == "ok" {
                    RowStyle::Normal
                } else {
                    RowStyle::Yellow
                },
            )
        })
        .collect();
    tables.push((
        "数据核对".to_string(),
        sheet(
            &format!("{}年{}月{}收件与行数核对", p.year, p.month, spec.name),
            vec![
                "文件",
                "单位",
                "状态",
                "读取行",
                "采纳",
                "拒收",
                "跳过",
                "跳过原因",
                "说明",
            ],
            a_rows,
            "读取行 = 采纳 + 拒收 + 跳过",
        ),
    ));

    push_tables(&mut wb, &st, tables).map_err(&e)?;
    save(&mut wb, &path)?;
    crate::pipeline::drop_later(wb);
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
        assert!(p.contains("360100等1个地区超序时进度；360200落后"), "{p}");
    }
}
