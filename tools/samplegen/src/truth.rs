//! The hidden "truth" of each project: what really happened month by month in
//! 2023-01 … 2023-07. Ledgers are snapshots of this timeline; the planted
//! mistakes are the only departures from it.
//!
//! Invariants (checked by the tests): every amount is a whole 100 元; 1-N月
//!累计 is exactly the sum of the months; the cumulative never decreases and
//! never exceeds 总投资; status never goes backwards; 未开工 means no money.

use super::library::{Nature, Project, SEED};
use super::names::{COORDINATION, PROBLEMS};
use super::rng::Rng;
use super::Program;

/// Months simulated (January to July).
pub const MONTHS: usize = 7;

/// Seasonal weight of each month (Spring Festival slows January/February).
const SEASON: [u64; MONTHS] = [60, 70, 100, 105, 110, 115, 110];

/// 建设状态 of a project in a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    NotStarted,
    Building,
    Completed,
    Operating,
}

impl Status {
    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Status::NotStarted => "未开工",
            Status::Building => "在建",
            Status::Completed => "已竣工",
            Status::Operating => "已投产",
        }
    }
}

/// How a project progresses against 序时进度.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    Normal,
    Lagging,
    Ahead,
    /// A new start due in 1-7月 that does not start by July.
    NeverStarts,
    /// Completes (已竣工) in month 5-7, then 已投产.
    Completing(u32),
}

/// The simulated months of one project.
#[derive(Debug, Clone)]
pub struct Timeline {
    pub pace: Pace,
    /// 2023 month from which the project is under way (1 for 续建).
    pub start_month: Option<u32>,
    /// Original start (year, month, day) of the works.
    pub start: Option<(i32, u32, u32)>,
    /// Money of each month, 元.
    pub month: [i64; MONTHS],
    /// 1-N月累计, 元.
    pub ytd: [i64; MONTHS],
    pub status: [Status; MONTHS],
    /// Completed before 2023, 元.
    pub prior: i64,
    /// (from month, 存在问题, 需协调事项).
    pub problem: Option<(u32, &'static str, Option<&'static str>)>,
}

impl Timeline {
    fn idx(m: u32) -> usize {
        (m.clamp(1, MONTHS as u32) - 1) as usize
    }

    /// Money completed in month `m`.
    pub fn month_done(&self, m: u32) -> i64 {
        self.month[Self::idx(m)]
    }

    /// 1-m月累计.
    pub fn ytd(&self, m: u32) -> i64 {
        self.ytd[Self::idx(m)]
    }

    /// Status in month `m`.
    pub fn status(&self, m: u32) -> Status {
        self.status[Self::idx(m)]
    }

    /// 开工以来累计 at the end of month `m`.
    pub fn since_start(&self, m: u32) -> i64 {
        self.prior + self.ytd(m)
    }

    /// 实际开工 (year, month, day) as known in month `m`.
    pub fn start_at(&self, m: u32) -> Option<(i32, u32, u32)> {
        match self.start_month {
            Some(s) if s <= m => self.start,
            _ => None,
        }
    }

    /// (存在问题, 需协调事项) reported in month `m`.
    pub fn problem_at(&self, m: u32) -> (&'static str, &'static str) {
        match self.problem {
            Some((from, p, c))
                if from <= m
                    && !matches!(self.status(m), Status::Completed | Status::Operating) =>
            {
                (p, c.unwrap_or(""))
            }
            _ => ("", ""),
        }
    }
}

/// Splits `total` (in units of 100 元) over the months `first..=last` with
/// seasonal, noisy weights; returns amounts in 元.
fn spread(rng: &mut Rng, total: i64, first: u32, last: u32, zero_chance: u64) -> [i64; MONTHS] {
    let mut out = [0i64; MONTHS];
    if total <= 0 || first > last {
        return out;
    }
    let mut weights = [0u64; MONTHS];
    for m in first..=last {
        let i = (m - 1) as usize;
        weights[i] = if m > first && rng.chance(zero_chance) {
            0
        } else {
            SEASON[i] * rng.range(600, 1400) as u64
        };
    }
    let sum: u64 = weights.iter().sum();
    let mut given = 0i64;
    let mut last_positive = (first - 1) as usize;
    for (i, w) in weights.iter().enumerate() {
        if *w > 0 {
            let part = (i128::from(total) * i128::from(*w) / i128::from(sum)) as i64;
            out[i] = part * 100;
            given += part;
            last_positive = i;
        }
    }
    out[last_positive] += (total - given) * 100;
    out
}

/// Simulates one project of `program`.
pub fn simulate(program: Program, p: &Project) -> Timeline {
    let mut rng = Rng::derive(SEED, &format!("truth/{}/{}", program.id(), p.code));
    let annual_c = p.annual / 100;
    let mut late = false;
    let (pace, start_month) = match p.nature {
        Nature::Continuing => {
            if p.years.1 == 2023 && rng.chance(150) {
                (Pace::Completing(rng.range(5, 7) as u32), Some(1))
            } else {
                (pick_pace(&mut rng), Some(1))
            }
        }
        Nature::New => {
            let planned = p.planned_start.unwrap_or(1);
            if planned <= 7 && rng.chance(30) {
                (Pace::NeverStarts, None)
            } else if planned <= 7 {
                let shift = [-1i64, 0, 1, 2, 3][rng.weighted(&[10, 60, 15, 10, 5])];
                let s = (i64::from(planned) + shift).max(1);
                late = shift > 0;
                if s > 7 {
                    (Pace::NeverStarts, None)
                } else {
                    (pick_pace(&mut rng), Some(s as u32))
                }
            } else if rng.chance(80) {
                (pick_pace(&mut rng), Some(rng.range(6, 7) as u32))
            } else {
                (Pace::Normal, None)
            }
        }
    };
    let factor = match pace {
        Pace::Normal => rng.range(850, 1100),
        Pace::Lagging => rng.range(150, 500),
        Pace::Ahead => rng.range(1200, 1500),
        Pace::NeverStarts => 0,
        Pace::Completing(_) => rng.range(900, 1000),
    };
    let month = match (pace, start_month) {
        (Pace::Completing(c), _) => spread(&mut rng, annual_c * factor / 1000, 1, c, 30),
        (_, Some(s)) => {
            let active = i64::from(8 - s);
            let remaining = i64::from(13 - s);
            let target = i128::from(annual_c) * i128::from(factor) * i128::from(active)
                / (i128::from(remaining) * 1000);
            let zero = if pace == Pace::Lagging { 250 } else { 50 };
            spread(&mut rng, target as i64, s, 7, zero)
        }
        _ => [0; MONTHS],
    };
    let mut ytd = [0i64; MONTHS];
    let mut acc = 0;
    for i in 0..MONTHS {
        acc += month[i];
        ytd[i] = acc;
    }
    let mut status = [Status::NotStarted; MONTHS];
    for (i, st) in status.iter_mut().enumerate() {
        let m = i as u32 + 1;
        *st = match (pace, start_month) {
            (Pace::Completing(c), _) if m > c => Status::Operating,
            (Pace::Completing(c), _) if m == c => Status::Completed,
            (_, Some(s)) if m >= s => Status::Building,
            _ => Status::NotStarted,
        };
    }
    let prior = match (p.nature, pace) {
        (Nature::New, _) => 0,
        (Nature::Continuing, Pace::Completing(_)) => p.total - p.annual,
        (Nature::Continuing, _) => (p.total - p.annual) / 100 * rng.range(200, 800) / 1000 * 100,
    };
    let start = match (p.nature, start_month) {
        (Nature::Continuing, _) => {
            Some((p.years.0, rng.range(1, 12) as u32, rng.range(1, 28) as u32))
        }
        (Nature::New, Some(s)) => Some((2023, s, rng.range(1, 28) as u32)),
        _ => None,
    };
    let problem_chance = match pace {
        Pace::NeverStarts => 800,
        Pace::Lagging => 400,
        Pace::Completing(_) => 0,
        _ if late => 250,
        _ => 70,
    };
    let problem = if rng.chance(problem_chance) {
        let from = match pace {
            Pace::NeverStarts => p.planned_start.unwrap_or(1).min(7),
            Pace::Lagging => rng.range(1, 4) as u32,
            _ => rng.range(2, 6) as u32,
        };
        let text = *rng.pick(&PROBLEMS).unwrap_or(&PROBLEMS[0]);
        let coord = if rng.chance(500) {
            rng.pick(&COORDINATION).copied()
        } else {
            None
        };
        Some((from, text, coord))
    } else {
        None
    };
    Timeline {
        pace,
        start_month,
        start,
        month,
        ytd,
        status,
        prior,
        problem,
    }
}

fn pick_pace(rng: &mut Rng) -> Pace {
    [Pace::Normal, Pace::Lagging, Pace::Ahead][rng.weighted(&[80, 12, 8])]
}

/// 形象进度 text of a project in month `m`.
pub fn progress_text(p: &Project, t: &Timeline, m: u32) -> String {
    match t.status(m) {
        Status::NotStarted => {
            let due = p.planned_start.is_some_and(|s| s <= m);
            if due {
                "前期手续办理中，尚未开工".to_string()
            } else {
                let options = [
                    "正在开展前期工作",
                    "正在办理用地手续",
                    "施工图设计中",
                    "招标准备中",
                ];
                options[(p.code.len() + p.name.chars().count()) % options.len()].to_string()
            }
        }
        Status::Building => {
            let pct = if p.annual > 0 {
                t.ytd(m) * 100 / p.annual
            } else {
                0
            };
            let phase = match pct {
                0..=24 => "基础施工",
                25..=54 => "主体施工",
                55..=84 => "设备安装调试",
                _ => "收尾阶段",
            };
            format!("{phase}，完成年度计划{pct}%")
        }
        Status::Completed => "项目已竣工验收".to_string(),
        Status::Operating => "已建成投产".to_string(),
    }
}
