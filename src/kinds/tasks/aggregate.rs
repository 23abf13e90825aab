//! Aggregate for the tasks kind: records → [`TaskSummary`] (counts by 专项,
//! units ranked by their share of items on time, the lists the reports
//! show). The counts are a few hundred records: plain integer counting, no
//! dataframe. Every figure a report shows is decided here.

use std::collections::BTreeMap;

use super::{TaskRecord, TaskState};
use crate::config::TaskSettings;
use crate::model::Period;
use crate::seeds::Units;

/// Counts over a set of records (one per item and responsible unit).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Distinct items.
    pub items: usize,
    /// Item × responsible unit.
    pub assignments: usize,
    pub done: usize,
    pub on_schedule: usize,
    pub lagging: usize,
    pub not_started: usize,
    /// No accepted row this period (counted apart from the states).
    pub not_reported: usize,
    /// Due by the period and not 已完成.
    pub overdue: usize,
}

impl Counts {
    fn of<'a>(records: impl Iterator<Item = &'a TaskRecord>) -> Counts {
        let mut c = Counts::default();
        let mut items = std::collections::BTreeSet::new();
        for r in records {
            items.insert(r.no);
            c.assignments += 1;
            match r.counted() {
                Some(TaskState::Done) => c.done += 1,
                Some(TaskState::OnSchedule) => c.on_schedule += 1,
                Some(TaskState::Lagging) => c.lagging += 1,
                Some(TaskState::NotStarted) => c.not_started += 1,
                None => c.not_reported += 1,
            }
            c.overdue += usize::from(r.overdue);
        }
        c.items = items.len();
        c
    }

    /// 已完成 + 按序时推进.
    pub fn on_time(&self) -> usize {
        self.done + self.on_schedule
    }

    /// Share of assignments on time (0 when there are none).
    pub fn on_time_share(&self) -> f64 {
        if self.assignments == 0 {
            0.0
        } else {
            self.on_time() as f64 / self.assignments as f64
        }
    }
}

/// A unit's light by its share on time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskLight {
    Green,
    Yellow,
    Red,
    NotReported,
}

impl TaskLight {
    pub fn label(self) -> &'static str {
        match self {
            TaskLight::Green => "绿",
            TaskLight::Yellow => "黄",
            TaskLight::Red => "红",
            TaskLight::NotReported => "未报送",
        }
    }
}

/// One 专项's counts.
#[derive(Debug, Clone)]
pub struct GroupRow {
    pub group: String,
    pub counts: Counts,
}

/// One responsible unit's counts, rank and light.
#[derive(Debug, Clone)]
pub struct UnitRow {
    pub unit_id: String,
    pub unit: String,
    pub counts: Counts,
    pub share: f64,
    /// None when the unit sent nothing this period (not ranked).
    pub rank: Option<usize>,
    pub light: TaskLight,
}

/// What the tasks reports show for one period.
#[derive(Debug, Clone)]
pub struct TaskSummary {
    pub period: Period,
    pub totals: Counts,
    pub by_group: Vec<GroupRow>,
    /// Ranked units first (by share on time, then 已完成, then the units
    /// list's order), then the units that sent nothing.
    pub by_unit: Vec<UnitRow>,
    /// Indexes into the records: 滞后 or 逾期, in plan order.
    pub lagging: Vec<usize>,
    /// Responsible units that sent nothing (names).
    pub missing_units: Vec<String>,
}

impl TaskSummary {
    /// 红榜 and 黑榜: the first `honor` green units in rank order, and the
    /// last `shame` red units (lowest first). Units not ranked are in neither.
    pub fn honor_and_shame(&self, honor: usize, shame: usize) -> (Vec<&UnitRow>, Vec<&UnitRow>) {
        let ranked = || self.by_unit.iter().filter(|u| u.rank.is_some());
        let top = ranked()
            .filter(|u| u.light == TaskLight::Green)
            .take(honor)
            .collect();
        let bottom = ranked()
            .rev()
            .filter(|u| u.light == TaskLight::Red)
            .take(shame)
            .collect();
        (top, bottom)
    }
}

/// The summary of a period's records.
pub fn summarize(
    records: &[TaskRecord],
    period: Period,
    settings: &TaskSettings,
    units: &Units,
    missing: &[String],
) -> TaskSummary {
    let mut groups: Vec<String> = Vec::new();
    for r in records {
        if !groups.contains(&r.group) {
            groups.push(r.group.clone());
        }
    }
    let by_group = groups
        .into_iter()
        .map(|g| GroupRow {
            counts: Counts::of(records.iter().filter(|r| r.group == g)),
            group: g,
        })
        .collect();
    let mut per_unit: BTreeMap<&str, Vec<&TaskRecord>> = BTreeMap::new();
    for r in records {
        per_unit.entry(r.unit_id.as_str()).or_default().push(r);
    }
    let order = |id: &str| {
        units
            .list
            .iter()
            .position(|u| u.id == id)
            .unwrap_or(usize::MAX)
    };
    let mut by_unit: Vec<UnitRow> = per_unit
        .into_iter()
        .map(|(id, rs)| {
            let counts = Counts::of(rs.iter().copied());
            let share = counts.on_time_share();
            let sent = !missing.iter().any(|m| m == id);
            let light = if !sent {
                TaskLight::NotReported
            } else if share >= settings.green_at {
                TaskLight::Green
            } else if share < settings.red_below {
                TaskLight::Red
            } else {
                TaskLight::Yellow
            };
            UnitRow {
                unit_id: id.to_string(),
                unit: rs.first().map(|r| r.unit.clone()).unwrap_or_default(),
                counts,
                share,
                rank: None,
                light,
            }
        })
        .collect();
    // Exact order: shares compared as cross-multiplied integers.
    by_unit.sort_by(|a, b| {
        let ranked = |u: &UnitRow| u.light == TaskLight::NotReported;
        ranked(a)
            .cmp(&ranked(b))
            .then_with(|| {
                let (x, y) = (&a.counts, &b.counts);
                (y.on_time() * x.assignments).cmp(&(x.on_time() * y.assignments))
            })
            .then(b.counts.done.cmp(&a.counts.done))
            .then(order(&a.unit_id).cmp(&order(&b.unit_id)))
    });
    let mut rank = 0;
    for i in 0..by_unit.len() {
        if by_unit[i].light == TaskLight::NotReported {
            continue;
        }
        let tied = i > 0 && by_unit[i - 1].rank.is_some() && {
            let (x, y) = (&by_unit[i - 1].counts, &by_unit[i].counts);
            x.on_time() * y.assignments == y.on_time() * x.assignments
        };
        if !tied {
            rank = i + 1;
        }
        by_unit[i].rank = Some(rank);
    }
    let lagging = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.counted() == Some(TaskState::Lagging) || r.overdue)
        .map(|(i, _)| i)
        .collect();
    TaskSummary {
        period,
        totals: Counts::of(records.iter()),
        by_group,
        by_unit,
        lagging,
        missing_units: missing
            .iter()
            .map(|id| units.by_id(id).map(|u| u.name.clone()).unwrap_or_default())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(no: u32, unit: &str, state: Option<TaskState>, reported: bool) -> TaskRecord {
        TaskRecord {
            no,
            group: if no < 3 { "甲专项" } else { "乙专项" }.to_string(),
            item: format!("任务{no}"),
            unit_id: unit.to_string(),
            unit: unit.to_string(),
            lead: true,
            due: "2023-12".to_string(),
            reported,
            carried: !reported,
            state,
            done_on: None,
            progress: String::new(),
            problems: String::new(),
            overdue: false,
            source: String::new(),
            rejected: false,
        }
    }

    #[test]
    fn counts_ranks_and_not_reported() {
        use TaskState::*;
        let records = vec![
            rec(1, "A", Some(Done), true),
            rec(2, "A", Some(Lagging), true),
            rec(1, "B", Some(OnSchedule), true),
            rec(3, "B", Some(Done), true),
            rec(3, "C", Some(Done), false),
        ];
        let units = Units::new(Vec::new());
        let s = summarize(
            &records,
            Period {
                year: 2023,
                month: 7,
            },
            &TaskSettings::default(),
            &units,
            &["C".to_string()],
        );
        assert_eq!(s.totals.assignments, 5);
        assert_eq!(s.totals.items, 3);
        assert_eq!(s.totals.not_reported, 1);
        assert_eq!(
            s.totals.done, 2,
            "a carried 已完成 is not counted as reported"
        );
        assert_eq!(s.by_unit[0].unit_id, "B");
        assert_eq!(s.by_unit[0].rank, Some(1));
        assert_eq!(s.by_unit[1].rank, Some(2));
        assert_eq!(s.by_unit[2].rank, None);
        assert_eq!(s.by_group[0].counts.assignments, 3);
        assert_eq!(s.lagging, vec![1]);
    }
}
