//! Aggregate: project records of a period → plain summary tables: headline
//! totals against the target and 序时进度, by unit (rank, change of rank,
//! traffic light), by category, by group (批次), lagging / not-started /
//! problem lists, and the month-by-month trend from the store.
//!
//! Sums are computed with polars over integer 元 columns (exact); rates are
//! derived from those integers afterwards. Polars runs here, outside rayon.

use polars::prelude::*;
use std::cmp::Ordering;

use crate::config::PipelineSpec;
use crate::model::{Nature, Period, ProjectRecord, Status, StoredPeriod, Yuan};
use crate::seeds::Units;

pub use crate::model::summary::{
    quarter_done, ratio, ratio_opt, Focus, FocusItem, GroupRow, Light, ProjectFlags, QuarterDone,
    Summary, Sums, TrendPoint, FOCUS_LIMIT,
};

#[derive(Debug, thiserror::Error)]
pub enum AggregateError {
    #[error("汇总计算失败（polars）：{0}")]
    Polars(#[from] PolarsError),
}

/// Decides the 重点关注 list (see [`Focus`]).
fn focus(
    spec: &PipelineSpec,
    period: Period,
    records: &[ProjectRecord],
    fl: &[ProjectFlags],
    history: &[StoredPeriod],
) -> Focus {
    let prior = vec![period.prev(), period.prev().prev()];
    let mut lagging_then: Vec<std::collections::BTreeSet<&str>> = Vec::new();
    let mut missing = Vec::new();
    for &p in &prior {
        match history
            .iter()
            .find(|h| Period::parse_period(&h.period) == Some(p))
        {
            Some(h) => lagging_then.push(
                h.records
                    .iter()
                    .filter(|r| flags(spec, r, p).lagging)
                    .map(|r| r.code.as_str())
                    .collect(),
            ),
            None => missing.push(p),
        }
    }
    let mut items: Vec<FocusItem> = records
        .iter()
        .zip(fl)
        .enumerate()
        .filter_map(|(index, (r, f))| {
            let item = FocusItem {
                index,
                red: f.light == Light::Red,
                overdue: f.overdue_start,
                lag_run: missing.is_empty()
                    && f.lagging
                    && lagging_then.iter().all(|s| s.contains(r.code.as_str())),
            };
            (item.red || item.overdue || item.lag_run).then_some(item)
        })
        .collect();
    items.sort_by(|a, b| {
        let key = |i: &FocusItem| (!i.red, !i.overdue, !i.lag_run);
        key(a)
            .cmp(&key(b))
            .then(
                fl[a.index]
                    .completion_rate
                    .total_cmp(&fl[b.index].completion_rate),
            )
            .then(records[a.index].code.cmp(&records[b.index].code))
    });
    let eligible = items.len();
    items.truncate(FOCUS_LIMIT);
    Focus {
        items,
        eligible,
        prior,
        missing,
    }
}

/// 序时进度 of a month: m / 12.
pub fn time_progress(period: Period) -> f64 {
    period.month as f64 / 12.0
}

/// The light for a completion rate against 序时进度.
pub fn light(spec: &PipelineSpec, rate: f64, tp: f64) -> Light {
    let gap = rate - tp;
    // Compare in tenths of a point so 0.1 − 0.2 rounding never flips a light.
    let below = ((-gap) * 1000.0).round() / 1000.0;
    if below <= spec.lights.yellow_below {
        Light::Green
    } else if below <= spec.lights.red_below {
        Light::Yellow
    } else {
        Light::Red
    }
}

fn flags(spec: &PipelineSpec, r: &ProjectRecord, period: Period) -> ProjectFlags {
    let tp = time_progress(period);
    let rate = ratio(r.ytd_done, r.annual_plan);
    let due = is_due_start(r, period);
    let overdue_start = due && r.status == Status::NotStarted;
    let not_due = !due;
    let light = if !not_due {
        light(spec, rate, tp)
    } else if is_started(r) {
        Light::EarlyStart
    } else {
        Light::NotDue
    };
    ProjectFlags {
        completion_rate: rate,
        light,
        lagging: !not_due
            && (overdue_start || r.annual_plan > 0 && rate < tp - spec.lights.lagging_gap - 1e-9),
        overdue_start,
        not_due,
        rejected: r.rejected && !r.reported,
    }
}

fn is_started(r: &ProjectRecord) -> bool {
    r.status.is_started() || r.nature == Nature::Continuing
}

fn is_due_start(r: &ProjectRecord, period: Period) -> bool {
    match r.nature {
        Nature::Continuing => true,
        Nature::New => r
            .planned_start
            .as_deref()
            .and_then(Period::parse_period)
            .is_some_and(|p| p <= period),
    }
}

fn due_operation(
    r: &ProjectRecord,
    year: i32,
    end_years: &std::collections::HashMap<String, i32>,
) -> bool {
    end_years.get(&r.code).is_some_and(|y| *y <= year)
}

/// Builds the frame the breakdowns are computed from: one row per project, integer columns.
fn frame(
    spec: &PipelineSpec,
    records: &[ProjectRecord],
    period: Period,
    end_years: &std::collections::HashMap<String, i32>,
) -> PolarsResult<DataFrame> {
    let b = |f: &dyn Fn(&ProjectRecord) -> bool| -> Vec<i64> {
        records.iter().map(|r| i64::from(f(r))).collect()
    };
    let fl: Vec<ProjectFlags> = records.iter().map(|r| flags(spec, r, period)).collect();
    df!(
        "unit" => records.iter().map(|r| r.unit_id.clone()).collect::<Vec<_>>(),
        "category" => records.iter().map(|r| r.category.clone()).collect::<Vec<_>>(),
        "group" => records.iter().map(|r| r.group.clone()).collect::<Vec<_>>(),
        "projects" => vec![1i64; records.len()],
        "reported" => b(&|r| r.reported),
        "carried" => b(&|r| r.carried),
        "annual_plan" => records.iter().map(|r| r.annual_plan).collect::<Vec<_>>(),
        "month_done" => records.iter().map(|r| r.month_done).collect::<Vec<_>>(),
        "ytd_done" => records.iter().map(|r| r.ytd_done).collect::<Vec<_>>(),
        "started" => b(&|r| is_started(r)),
        "early_started" => b(&|r| is_started(r) && !is_due_start(r, period)),
        "start_counted" => b(&|r| is_started(r)
            && (is_due_start(r, period) || spec.indicators.early_starts_count)),
        "not_due" => fl.iter().map(|f| i64::from(f.not_due)).collect::<Vec<_>>(),
        "rejected" => fl.iter().map(|f| i64::from(f.rejected)).collect::<Vec<_>>(),
        "due_start" => b(&|r| is_due_start(r, period)),
        "in_operation" => b(&|r| r.status >= Status::Completed),
        "due_operation" => b(&|r| due_operation(r, spec.year, end_years)),
        "lagging" => fl.iter().map(|f| i64::from(f.lagging)).collect::<Vec<_>>(),
    )
}

const SUM_COLS: [&str; 15] = [
    "projects",
    "reported",
    "carried",
    "annual_plan",
    "month_done",
    "ytd_done",
    "started",
    "early_started",
    "start_counted",
    "not_due",
    "rejected",
    "due_start",
    "in_operation",
    "due_operation",
    "lagging",
];

fn sums_of(df: &DataFrame, i: usize) -> PolarsResult<Sums> {
    let g = |name: &str| -> PolarsResult<i64> { Ok(df.column(name)?.i64()?.get(i).unwrap_or(0)) };
    Ok(Sums {
        projects: g("projects")?,
        reported: g("reported")?,
        carried: g("carried")?,
        annual_plan: g("annual_plan")?,
        month_done: g("month_done")?,
        ytd_done: g("ytd_done")?,
        started: g("started")?,
        early_started: g("early_started")?,
        start_counted: g("start_counted")?,
        not_due: g("not_due")?,
        rejected: g("rejected")?,
        due_start: g("due_start")?,
        in_operation: g("in_operation")?,
        due_operation: g("due_operation")?,
        lagging: g("lagging")?,
    })
}

/// Group sums by a key column, sorted by key.
fn group_sums(df: &DataFrame, key: &str) -> PolarsResult<Vec<(String, Sums)>> {
    let aggs: Vec<Expr> = SUM_COLS.iter().map(|c| col(*c).sum()).collect();
    let out = df
        .clone()
        .lazy()
        .group_by([col(key)])
        .agg(aggs)
        .sort([key], Default::default())
        .collect()?;
    let keys = out.column(key)?.str()?.clone();
    (0..out.height())
        .map(|i| Ok((keys.get(i).unwrap_or("").to_string(), sums_of(&out, i)?)))
        .collect()
}

fn total_sums(df: &DataFrame) -> PolarsResult<Sums> {
    let aggs: Vec<Expr> = SUM_COLS.iter().map(|c| col(*c).sum()).collect();
    let out = df.clone().lazy().select(aggs).collect()?;
    sums_of(&out, 0)
}

/// Exact comparison of completion rates (a.ytd/a.plan vs b.ytd/b.plan), then ytd.
fn rank_order(a: &Sums, b: &Sums) -> Ordering {
    let lhs = a.ytd_done as i128 * b.annual_plan.max(1) as i128 * i128::from(a.annual_plan > 0);
    let rhs = b.ytd_done as i128 * a.annual_plan.max(1) as i128 * i128::from(b.annual_plan > 0);
    rhs.cmp(&lhs).then(b.ytd_done.cmp(&a.ytd_done))
}

/// Ranks rows (1 = best) by completion rate, ties by cumulative investment, then key order.
pub fn assign_ranks(rows: &mut [GroupRow]) {
    let all: Vec<usize> = (0..rows.len()).collect();
    rank_among(rows, all);
}

/// Ranks the rows at `idx` among themselves.
fn rank_among(rows: &mut [GroupRow], mut idx: Vec<usize>) {
    idx.sort_by(|&a, &b| rank_order(&rows[a].sums, &rows[b].sums).then(a.cmp(&b)));
    for (rank, i) in idx.into_iter().enumerate() {
        rows[i].rank = Some(rank + 1);
    }
}

/// Units: those with no accepted data are not ranked (rank `None`, light
/// 未报送); departments are ranked among themselves when the pipeline keeps
/// them apart, the cities (and 赣江新区) among themselves.
fn assign_unit_ranks(rows: &mut [GroupRow], departments_apart: bool) {
    for r in rows.iter_mut() {
        r.rank = None;
        if r.sums.reported == 0 {
            r.light = Light::NotReported;
        }
    }
    let pools: Vec<Option<bool>> = if departments_apart {
        vec![Some(false), Some(true)]
    } else {
        vec![None]
    };
    for pool in pools {
        let idx: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i].sums.reported > 0)
            .filter(|&i| pool.is_none_or(|d| rows[i].department == d))
            .collect();
        rank_among(rows, idx);
    }
}

/// Exactly at or above 序时进度 of `month`: ytd × 12 ≥ plan × month.
pub fn reaches(s: &Sums, month: u32) -> bool {
    s.annual_plan > 0
        && i128::from(s.ytd_done) * 12 >= i128::from(s.annual_plan) * i128::from(month)
}

fn to_rows(spec: &PipelineSpec, period: Period, groups: Vec<(String, Sums)>) -> Vec<GroupRow> {
    let tp = time_progress(period);
    groups
        .into_iter()
        .map(|(key, sums)| {
            let rate = sums.completion_rate();
            GroupRow {
                key,
                completion_rate: rate,
                gap: rate - tp,
                light: light(spec, rate, tp),
                reached: reaches(&sums, period.month),
                sums,
                rank: None,
                prev_rank: None,
                department: false,
            }
        })
        .collect()
}

/// Unit rows in the order of the units list (ids replaced by names), every unit of the program.
fn unit_rows(
    spec: &PipelineSpec,
    period: Period,
    df: &DataFrame,
    units: &Units,
    unit_ids: &[String],
) -> PolarsResult<Vec<GroupRow>> {
    let sums = group_sums(df, "unit")?;
    let mut rows = Vec::new();
    for id in unit_ids {
        let s = sums
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, s)| s.clone())
            .unwrap_or_default();
        let unit = units.by_id(id);
        let name = unit.map_or(id.clone(), |u| u.name.clone());
        let department = unit.is_some_and(|u| u.is_department());
        rows.extend(
            to_rows(spec, period, vec![(name, s)])
                .into_iter()
                .map(|r| GroupRow { department, ..r }),
        );
    }
    assign_unit_ranks(&mut rows, spec.indicators.departments_apart);
    Ok(rows)
}

/// What the aggregation reads.
pub struct AggregateInput<'a> {
    pub spec: &'a PipelineSpec,
    pub units: &'a Units,
    /// Units of the program (ids), in report order.
    pub unit_ids: &'a [String],
    pub period: Period,
    pub records: &'a [ProjectRecord],
    /// Last year of 建设年限 per project code.
    pub end_years: &'a std::collections::HashMap<String, i32>,
    /// Earlier stored periods of the same year, oldest first (trend and rank change).
    pub history: &'a [StoredPeriod],
}

/// Computes the summary of one program's period.
pub fn summarize(inp: &AggregateInput<'_>) -> Result<Summary, AggregateError> {
    let spec = inp.spec;
    let tp = time_progress(inp.period);
    let df = frame(spec, inp.records, inp.period, inp.end_years)?;
    let totals = total_sums(&df)?;
    let mut by_unit = unit_rows(spec, inp.period, &df, inp.units, inp.unit_ids)?;
    let mut by_category = to_rows(spec, inp.period, group_sums(&df, "category")?);
    assign_ranks(&mut by_category);
    let mut by_group = if spec.group_label.is_some() {
        to_rows(spec, inp.period, group_sums(&df, "group")?)
    } else {
        Vec::new()
    };
    assign_ranks(&mut by_group);

    // Rank change against last month.
    if let Some(prev) = inp
        .history
        .iter()
        .rev()
        .find(|h| Period::parse_period(&h.period) == Some(inp.period.prev()))
    {
        let pp = inp.period.prev();
        let pdf = frame(spec, &prev.records, pp, inp.end_years)?;
        let prev_rows = unit_rows(spec, pp, &pdf, inp.units, inp.unit_ids)?;
        for r in by_unit.iter_mut() {
            r.prev_rank = prev_rows
                .iter()
                .find(|p| p.key == r.key)
                .and_then(|p| p.rank);
        }
    }

    let project_flags: Vec<ProjectFlags> = inp
        .records
        .iter()
        .map(|r| flags(spec, r, inp.period))
        .collect();
    let idx = |f: &dyn Fn(usize, &ProjectRecord) -> bool| -> Vec<usize> {
        inp.records
            .iter()
            .enumerate()
            .filter(|(i, r)| f(*i, r))
            .map(|(i, _)| i)
            .collect()
    };
    let lagging = idx(&|i, _| project_flags[i].lagging);
    let not_started = idx(&|_, r| r.status == Status::NotStarted);
    let problems = idx(&|_, r| !r.problems.is_empty() || !r.coordination.is_empty());
    let not_reported = idx(&|i, r| !r.reported && !project_flags[i].rejected);
    let rejected = idx(&|i, _| project_flags[i].rejected);

    let mut trend: Vec<TrendPoint> = inp
        .history
        .iter()
        .filter_map(|h| {
            let p = Period::parse_period(&h.period)?;
            (p.year == inp.period.year && p < inp.period).then(|| trend_point(&h.records, p))
        })
        .collect();
    let prev_month = (inp.period.month > 1)
        .then(|| {
            let pp = inp.period.prev();
            trend.iter().find(|t| t.period == pp.to_string()).cloned()
        })
        .flatten();
    let prev_missing = inp.period.month > 1 && prev_month.is_none();
    trend.push(trend_point(inp.records, inp.period));
    let focus = focus(spec, inp.period, inp.records, &project_flags, inp.history);
    Ok(Summary {
        period: inp.period,
        time_progress: tp,
        totals,
        by_unit,
        by_category,
        by_group,
        lagging,
        not_started,
        problems,
        not_reported,
        rejected,
        trend,
        prev_month,
        prev_missing,
        early_starts_count: spec.indicators.early_starts_count,
        departments_apart: spec.indicators.departments_apart,
        project_flags,
        focus,
    })
}

/// Totals of one period's records (exact integer sums).
pub fn trend_point(records: &[ProjectRecord], period: Period) -> TrendPoint {
    let plan: Yuan = records.iter().map(|r| r.annual_plan).sum();
    let ytd: Yuan = records.iter().map(|r| r.ytd_done).sum();
    TrendPoint {
        period: period.to_string(),
        month_done: records.iter().map(|r| r.month_done).sum(),
        ytd_done: ytd,
        annual_plan: plan,
        completion_rate: ratio(ytd, plan),
        time_progress: time_progress(period),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> PipelineSpec {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        crate::config::load_pipeline(&root.join("pipelines/new-infra.toml"), &root).unwrap()
    }

    fn rec(code: &str, unit: &str, plan: Yuan, ytd: Yuan, status: Status) -> ProjectRecord {
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
            month_done: ytd / 7,
            ytd_done: ytd,
            since_start_done: None,
            status,
            start_date: None,
            progress: String::new(),
            problems: String::new(),
            coordination: String::new(),
            source: String::new(),
            rejected: false,
        }
    }

    #[test]
    fn sums_ranks_and_lights() {
        let units = Units::new(vec![]);
        let recs = vec![
            rec("a", "360100", 1_000_000, 600_000, Status::UnderConstruction),
            rec("b", "360100", 1_000_000, 500_000, Status::UnderConstruction),
            rec("c", "360200", 2_000_000, 300_000, Status::UnderConstruction),
            rec("d", "360300", 1_000_000, 0, Status::NotStarted),
        ];
        let ids = vec![
            "360100".to_string(),
            "360200".to_string(),
            "360300".to_string(),
        ];
        let ey = Default::default();
        let s = summarize(&AggregateInput {
            spec: &spec(),
            units: &units,
            unit_ids: &ids,
            period: Period::parse_period("2023-07").unwrap(),
            records: &recs,
            end_years: &ey,
            history: &[],
        })
        .unwrap();
        assert_eq!(s.totals.annual_plan, 5_000_000);
        assert_eq!(s.totals.ytd_done, 1_400_000);
        assert_eq!(s.by_unit[0].sums.ytd_done, 1_100_000);
        assert_eq!(
            s.by_unit.iter().map(|r| r.rank).collect::<Vec<_>>(),
            vec![Some(1), Some(2), Some(3)]
        );
        // 55% vs 58.3%: within 10 points → green; 15% → red; 0% → red.
        assert_eq!(s.by_unit[0].light, Light::Green);
        assert_eq!(s.by_unit[1].light, Light::Red);
        assert_eq!(s.lagging, vec![2, 3]);
        assert_eq!(s.not_started, vec![3]);
    }

    #[test]
    fn ranks_tie_on_rate_then_cumulative() {
        let mk = |key: &str, ytd: Yuan, plan: Yuan| GroupRow {
            key: key.into(),
            sums: Sums {
                ytd_done: ytd,
                annual_plan: plan,
                ..Default::default()
            },
            completion_rate: 0.0,
            gap: 0.0,
            rank: None,
            prev_rank: None,
            light: Light::Green,
            department: false,
            reached: false,
        };
        let mut rows = vec![mk("a", 1, 2), mk("b", 2, 4), mk("c", 3, 4)];
        assign_ranks(&mut rows);
        assert_eq!(
            rows.iter().map(|r| r.rank).collect::<Vec<_>>(),
            vec![Some(3), Some(2), Some(1)]
        );
    }

    fn stored(period: &str, records: Vec<ProjectRecord>) -> StoredPeriod {
        StoredPeriod {
            program: "new-infra".into(),
            period: period.into(),
            tool_version: String::new(),
            written_at: String::new(),
            inputs: Vec::new(),
            inbox: Vec::new(),
            fingerprint: None,
            outputs: Vec::new(),
            library: None,
            library_rows: Vec::new(),
            records,
            tasks: Vec::new(),
            findings: Vec::new(),
        }
    }

    fn focus_of(period: &str, recs: &[ProjectRecord], history: &[StoredPeriod]) -> Focus {
        let units = Units::new(vec![]);
        let ids = vec!["360100".to_string()];
        let ey = Default::default();
        summarize(&AggregateInput {
            spec: &spec(),
            units: &units,
            unit_ids: &ids,
            period: Period::parse_period(period).unwrap(),
            records: recs,
            end_years: &ey,
            history,
        })
        .unwrap()
        .focus
    }

    #[test]
    fn a_project_lagging_three_months_running_is_followed_up() {
        // Plan 1,200,000: 序时进度 of May/June/July is 41.7/50/58.3%. "y" is
        // 20 points behind each month (黄灯, 滞后); "g" catches up in June.
        let month = |m: i64, y_ytd: i64, g_ytd: i64| {
            vec![
                rec("y", "360100", 1_200_000, y_ytd, Status::UnderConstruction),
                rec("g", "360100", 1_200_000, g_ytd, Status::UnderConstruction),
                rec(
                    "ok",
                    "360100",
                    1_200_000,
                    m * 100_000,
                    Status::UnderConstruction,
                ),
            ]
        };
        let may = stored("2023-05", month(5, 260_000, 260_000));
        let june = stored("2023-06", month(6, 360_000, 600_000));
        let july = month(7, 460_000, 460_000);
        let f = focus_of("2023-07", &july, &[may.clone(), june.clone()]);
        let listed: Vec<(&str, String)> = f
            .items
            .iter()
            .map(|i| (july[i.index].code.as_str(), i.reasons()))
            .collect();
        assert_eq!(listed, vec![("y", "连续3个月滞后".to_string())]);
        assert!(f.missing.is_empty());
        // Without May in the store the run of three cannot be decided: no
        // project is listed for it, and the missing month is named.
        let f = focus_of("2023-07", &july, &[june]);
        assert!(f.items.is_empty());
        assert_eq!(f.missing, vec![Period::parse_period("2023-05").unwrap()]);
    }

    #[test]
    fn the_focus_list_is_cut_at_twenty_red_first() {
        let mut recs: Vec<ProjectRecord> = (0..30)
            .map(|i| {
                rec(
                    &format!("p{i:02}"),
                    "360100",
                    1_000_000,
                    i * 1_000,
                    Status::UnderConstruction,
                )
            })
            .collect();
        // Not started though due: 逾期未开工 (and red).
        recs[29].status = Status::NotStarted;
        let f = focus_of("2023-07", &recs, &[]);
        assert_eq!(f.eligible, 30);
        assert_eq!(f.items.len(), FOCUS_LIMIT);
        // All red: red and 逾期未开工 first, then lowest completion rate.
        let codes: Vec<&str> = f
            .items
            .iter()
            .map(|i| recs[i.index].code.as_str())
            .collect();
        assert_eq!(&codes[..3], ["p29", "p00", "p01"]);
        assert_eq!(f.items[0].reasons(), "红灯、逾期未开工");
        assert!(f.items.iter().all(|i| i.red));
    }
}
