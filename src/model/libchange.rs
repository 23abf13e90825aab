//! How a program's library changed since the last period (`pipeline::libdiff`
//! decides it, the monthly workbook's 项目库变动 sheet and the manifest show
//! it). Money in whole 元: every total is the sum of its parts.

use serde::Serialize;

use super::Yuan;

/// Project count and plan figures of a library.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PlanTotals {
    pub projects: i64,
    /// Σ 总投资.
    pub total: Yuan,
    /// Σ 年度计划投资.
    pub annual: Yuan,
}

impl std::ops::Add for PlanTotals {
    type Output = PlanTotals;

    fn add(self, o: PlanTotals) -> PlanTotals {
        PlanTotals {
            projects: self.projects + o.projects,
            total: self.total + o.total,
            annual: self.annual + o.annual,
        }
    }
}

/// What kind of change a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum ChangeKind {
    /// 新增: in this period's library, not the last one's.
    Added,
    /// 调出: in the last period's library, not this one's.
    Removed,
    /// 计划调整: 总投资 or 年度计划投资 changed.
    Adjusted,
    /// 更名: 项目名称 or 项目单位 changed.
    Renamed,
}

impl ChangeKind {
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Added => "新增",
            ChangeKind::Removed => "调出",
            ChangeKind::Adjusted => "计划调整",
            ChangeKind::Renamed => "更名",
        }
    }
}

/// One changed project (one row per changed field for 计划调整 and 更名).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LibraryChangeRow {
    pub kind: ChangeKind,
    pub code: String,
    /// The name in this period's library (the last one's for 调出).
    pub name: String,
    pub unit: String,
    pub batch: String,
    /// What changed: `年度计划投资`, `项目名称` …; for 新增 / 调出 empty.
    pub field: String,
    /// Text of the value before and after (names; amounts in 万元).
    pub before: String,
    pub after: String,
    /// The row's effect on the plan totals (signed; zero for 更名).
    pub effect: PlanTotals,
}

/// The library of a period against the last period's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LibraryChange {
    /// The period compared against; none when no earlier period of the
    /// program kept its library (the first period, or an older entry).
    pub previous: Option<String>,
    pub before: PlanTotals,
    pub after: PlanTotals,
    /// 新增, then 调出, then 计划调整, then 更名; by code within each.
    pub rows: Vec<LibraryChangeRow>,
}

impl LibraryChange {
    /// The summed effect of the rows of one kind.
    pub fn effect_of(&self, kind: ChangeKind) -> PlanTotals {
        self.rows
            .iter()
            .filter(|r| r.kind == kind)
            .fold(PlanTotals::default(), |a, r| a + r.effect)
    }

    /// Rows of one kind (for 计划调整 / 更名: projects, a project counted once).
    pub fn count(&self, kind: ChangeKind) -> usize {
        let mut codes: Vec<&str> = self
            .rows
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.code.as_str())
            .collect();
        codes.dedup();
        codes.len()
    }
}
