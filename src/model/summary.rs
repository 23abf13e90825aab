//! The summary of one program's period, as the aggregate stage decides it
//! and the reports render it: totals and their parts (`Sums`), rows by unit,
//! category and group with ranks and lights, the trend, the lists, 重点关注,
//! and a quarter's own figures. Plain data plus the rules of reading it; no
//! stage logic (that is `pipeline::aggregate`).

use serde::Serialize;

use crate::model::{Period, Yuan};

/// Traffic light (红黄牌), or why there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    Green,
    Yellow,
    Red,
    /// A unit with no accepted data this period: no light, not ranked.
    NotReported,
    /// A project whose planned start is after the period end, not started.
    NotDue,
    /// A project started before its planned start month (提前开工).
    EarlyStart,
}

impl Light {
    pub fn label(self) -> &'static str {
        match self {
            Light::Green => "绿灯",
            Light::Yellow => "黄灯",
            Light::Red => "红灯",
            Light::NotReported => "未报送",
            Light::NotDue => "未到开工时间",
            Light::EarlyStart => "提前开工",
        }
    }
}

/// Sums and indicators of a set of projects.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Sums {
    pub projects: i64,
    pub reported: i64,
    pub carried: i64,
    pub annual_plan: Yuan,
    pub month_done: Yuan,
    pub ytd_done: Yuan,
    /// Started (在建 or later), 续建 included.
    pub started: i64,
    /// Started though not yet due (提前开工).
    pub early_started: i64,
    /// 开工率's numerator: started and due, plus the early starters when the
    /// pipeline counts them (`indicators.early_starts_count`).
    pub start_counted: i64,
    /// Planned start after the period end (未到开工时间), started or not.
    pub not_due: i64,
    /// Rows rejected this period (填报有误未采纳).
    pub rejected: i64,
    /// Due to have started by this month: 续建 + 新开工 planned up to this month.
    pub due_start: i64,
    /// 已竣工 or 已投产.
    pub in_operation: i64,
    /// Due to be completed this year (建设年限 ends this year or earlier).
    pub due_operation: i64,
    pub lagging: i64,
}

impl Sums {
    pub fn completion_rate(&self) -> f64 {
        ratio(self.ytd_done, self.annual_plan)
    }
    /// 投资完成率, `None` without an annual plan (printed "—").
    pub fn completion_rate_opt(&self) -> Option<f64> {
        ratio_opt(self.ytd_done, self.annual_plan)
    }
    /// 开工率 = start_counted ÷ due_start; `None` when nothing is due.
    pub fn start_rate(&self) -> Option<f64> {
        ratio_opt(self.start_counted, self.due_start)
    }
    /// 投产率 = in_operation ÷ due_operation; `None` when nothing is due.
    pub fn operation_rate(&self) -> Option<f64> {
        ratio_opt(self.in_operation, self.due_operation)
    }
}

/// a / b as a fraction, 0 when b is 0.
pub fn ratio(a: i64, b: i64) -> f64 {
    ratio_opt(a, b).unwrap_or(0.0)
}

/// a / b as a fraction, `None` when b is 0 (a rate that does not exist).
pub fn ratio_opt(a: i64, b: i64) -> Option<f64> {
    (b != 0).then(|| a as f64 / b as f64)
}

/// One row of a breakdown (unit, category or group).
#[derive(Debug, Clone, Serialize)]
pub struct GroupRow {
    pub key: String,
    pub sums: Sums,
    pub completion_rate: f64,
    /// completion rate − 序时进度 (fraction).
    pub gap: f64,
    /// `None`: not ranked (a unit with no accepted data this period).
    pub rank: Option<usize>,
    pub prev_rank: Option<usize>,
    pub light: Light,
    /// A unit of kind `department`, ranked in its own table when the
    /// pipeline keeps departments apart.
    pub department: bool,
    /// Completion rate at or above 序时进度, decided exactly
    /// (ytd × 12 ≥ plan × month); never for a row without a plan.
    pub reached: bool,
}

/// A point of the month-by-month trend.
#[derive(Debug, Clone, Serialize)]
pub struct TrendPoint {
    pub period: String,
    pub month_done: Yuan,
    pub ytd_done: Yuan,
    pub annual_plan: Yuan,
    pub completion_rate: f64,
    pub time_progress: f64,
}

/// Everything the reports show for one program and period.
#[derive(Debug, Clone)]
pub struct Summary {
    pub period: Period,
    pub time_progress: f64,
    pub totals: Sums,
    pub by_unit: Vec<GroupRow>,
    pub by_category: Vec<GroupRow>,
    pub by_group: Vec<GroupRow>,
    /// Indexes into the records.
    pub lagging: Vec<usize>,
    pub not_started: Vec<usize>,
    pub problems: Vec<usize>,
    /// Projects nobody sent a row for (未报送).
    pub not_reported: Vec<usize>,
    /// Projects whose row was rejected (填报有误未采纳): fix and resend now.
    pub rejected: Vec<usize>,
    pub trend: Vec<TrendPoint>,
    /// Last month's point when it is in the store (环比); `None` in January
    /// or when last month is missing (`prev_missing`).
    pub prev_month: Option<TrendPoint>,
    /// Last month (same year) is not in the store: no 环比 is stated.
    pub prev_missing: bool,
    /// Whether 开工率 counts 提前开工 above the line (pipeline setting).
    pub early_starts_count: bool,
    /// Whether departments are ranked apart from the cities (pipeline setting).
    pub departments_apart: bool,
    /// Per record: (completion rate, light, lagging, due to start and not started).
    pub project_flags: Vec<ProjectFlags>,
    /// 重点关注: the projects the office follows up first (see [`focus`]).
    pub focus: Focus,
}

/// Most projects on the 重点关注 list.
pub const FOCUS_LIMIT: usize = 20;

/// The 重点关注 list: 红灯, 逾期未开工, and 滞后 three months running (this
/// month and the two before, decided from the store's records of those
/// months), at most [`FOCUS_LIMIT`], in a fixed order: 红灯 first, then
/// 逾期未开工, then 连续3个月滞后; within each, lowest completion rate first,
/// then project code.
#[derive(Debug, Clone, Default)]
pub struct Focus {
    pub items: Vec<FocusItem>,
    /// Projects meeting a condition before the list was cut to the limit.
    pub eligible: usize,
    /// The two months before the period (latest first).
    pub prior: Vec<Period>,
    /// Of `prior`, the months not in the store: 连续3个月滞后 is not decided
    /// (no project is listed for it).
    pub missing: Vec<Period>,
}

/// One project of the 重点关注 list.
#[derive(Debug, Clone)]
pub struct FocusItem {
    /// Index into the records.
    pub index: usize,
    pub red: bool,
    pub overdue: bool,
    /// 滞后 this month and in both months before.
    pub lag_run: bool,
}

impl FocusItem {
    /// Why the project is listed: `红灯、连续3个月滞后`.
    pub fn reasons(&self) -> String {
        [
            (self.red, "红灯"),
            (self.overdue, "逾期未开工"),
            (self.lag_run, "连续3个月滞后"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, t)| *t)
        .collect::<Vec<_>>()
        .join("、")
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct ProjectFlags {
    pub completion_rate: f64,
    pub light: Light,
    pub lagging: bool,
    /// Due to have started and not started (逾期未开工).
    pub overdue_start: bool,
    /// Planned start after the period end (未到开工时间): never lagging, never red.
    pub not_due: bool,
    /// Its row was rejected this period (填报有误未采纳).
    pub rejected: bool,
}

impl Summary {
    /// Whether a unit row belongs to the main ranking (设区市 and 赣江新区;
    /// every unit when departments are not kept apart).
    pub fn in_main_table(&self, r: &GroupRow) -> bool {
        !(self.departments_apart && r.department)
    }

    /// Ranked units of the main table, best first.
    pub fn main_ranking(&self) -> Vec<&GroupRow> {
        self.ranking(true)
    }

    /// Ranked departments (their own table), best first; empty when departments
    /// are not kept apart.
    pub fn department_ranking(&self) -> Vec<&GroupRow> {
        if self.departments_apart {
            self.ranking(false)
        } else {
            Vec::new()
        }
    }

    fn ranking(&self, main: bool) -> Vec<&GroupRow> {
        let mut v: Vec<&GroupRow> = self
            .by_unit
            .iter()
            .filter(|r| r.rank.is_some() && self.in_main_table(r) == main)
            .collect();
        v.sort_by_key(|r| r.rank);
        v
    }

    /// Units with projects but no accepted data this period (not ranked).
    pub fn unreported_units(&self) -> Vec<&GroupRow> {
        self.by_unit
            .iter()
            .filter(|r| r.rank.is_none() && r.sums.projects > 0)
            .collect()
    }

    /// 红榜 (best first) and 黑榜 (worst first) among the ranked units of the
    /// main table that have a plan: 红榜 reached 序时进度, 黑榜 did not.
    pub fn honor_and_shame(&self, honor: usize, shame: usize) -> (Vec<&GroupRow>, Vec<&GroupRow>) {
        let pool: Vec<&GroupRow> = self
            .main_ranking()
            .into_iter()
            .filter(|r| r.sums.annual_plan > 0)
            .collect();
        let h = pool
            .iter()
            .filter(|r| r.reached)
            .take(honor)
            .copied()
            .collect();
        let b = pool
            .iter()
            .rev()
            .filter(|r| !r.reached)
            .take(shame)
            .copied()
            .collect();
        (h, b)
    }
}

/// A quarter's own investment, decided from quarter-end cumulatives.
#[derive(Debug, Clone, Default)]
pub struct QuarterDone {
    /// The program's investment in the quarter; `None` when it cannot be
    /// known from the store (`missing` names the months that are needed).
    pub total: Option<Yuan>,
    /// Per unit key, same rule.
    pub by_unit: Vec<(String, Option<Yuan>)>,
    /// What is known when `total` is `None`: the sum of the stored months'
    /// 当月完成 (a partial figure, to be marked 数据不全).
    pub partial: Yuan,
    /// Months (1-12) needed and not in the store; the previous quarter's end
    /// month is listed when it is the missing piece.
    pub missing: Vec<u32>,
}

/// The quarter's investment = cumulative at its end − cumulative at the
/// previous quarter's end (zero for the first quarter); when the previous end
/// is not stored but all three months are, the sum of their 当月完成. Else
/// unknown, with the missing months named.
pub fn quarter_done(quarter: u32, months: &[Summary], prev_end: Option<&Summary>) -> QuarterDone {
    let q = quarter.clamp(1, 4);
    let wanted: Vec<u32> = ((q - 1) * 3 + 1..=q * 3).collect();
    let have = |m: u32| months.iter().any(|s| s.period.month == m);
    let end = months.iter().find(|s| s.period.month == q * 3);
    let all_three = wanted.iter().all(|&m| have(m));
    let unit_ytd = |s: &Summary, k: &str| {
        s.by_unit
            .iter()
            .find(|r| r.key == k)
            .map_or(0, |r| r.sums.ytd_done)
    };
    let unit_month_sum = |k: &str| -> Yuan {
        months
            .iter()
            .map(|s| {
                s.by_unit
                    .iter()
                    .find(|r| r.key == k)
                    .map_or(0, |r| r.sums.month_done)
            })
            .sum()
    };
    let keys: Vec<String> = months
        .last()
        .map(|s| s.by_unit.iter().map(|r| r.key.clone()).collect())
        .unwrap_or_default();
    let partial: Yuan = months.iter().map(|s| s.totals.month_done).sum();
    let (total, by_unit, missing) = match (end, q, prev_end) {
        (Some(e), 1, _) => (
            Some(e.totals.ytd_done),
            keys.iter()
                .map(|k| (k.clone(), Some(unit_ytd(e, k))))
                .collect(),
            Vec::new(),
        ),
        (Some(e), _, Some(p)) => (
            Some(e.totals.ytd_done - p.totals.ytd_done),
            keys.iter()
                .map(|k| (k.clone(), Some(unit_ytd(e, k) - unit_ytd(p, k))))
                .collect(),
            Vec::new(),
        ),
        _ if all_three => (
            Some(partial),
            keys.iter()
                .map(|k| (k.clone(), Some(unit_month_sum(k))))
                .collect(),
            Vec::new(),
        ),
        _ => {
            let mut miss: Vec<u32> = wanted.iter().copied().filter(|&m| !have(m)).collect();
            if q > 1 && end.is_some() {
                // The quarter-end is stored; the previous end is what is missing.
                miss.insert(0, (q - 1) * 3);
            }
            (None, keys.iter().map(|k| (k.clone(), None)).collect(), miss)
        }
    };
    QuarterDone {
        total,
        by_unit,
        partial,
        missing,
    }
}

impl QuarterDone {
    pub fn unit(&self, key: &str) -> Option<Yuan> {
        self.by_unit
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| *v)
    }
}
