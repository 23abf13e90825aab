//! Ledger rows: the values a unit writes for one project in one month, taken
//! from the library and the truth timeline (and, for planted mistakes,
//! altered afterwards).

use super::library::{categories, Nature, Project, SEED};
use super::names;
use super::rng::Rng;
use super::truth::{progress_text, Timeline};
use super::units::{Unit, UnitExt};
use super::Program;

/// Columns a ledger can have (canonical fields of spec §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Col {
    Seq,
    Code,
    Name,
    Batch,
    Unit,
    County,
    Category,
    Owner,
    Nature,
    Years,
    PlannedStart,
    Total,
    Annual,
    Month,
    Ytd,
    SinceStart,
    Rate,
    Status,
    StartDate,
    Progress,
    Problems,
    Coordination,
    Contact,
    Remark,
}

impl Col {
    /// True for money columns.
    pub fn is_money(self) -> bool {
        matches!(
            self,
            Col::Total | Col::Annual | Col::Month | Col::Ytd | Col::SinceStart
        )
    }
}

/// One data row of a ledger.
#[derive(Debug, Clone)]
pub struct LedgerRow {
    pub code: String,
    pub name: String,
    pub batch: String,
    pub unit_name: String,
    pub unit_short: String,
    pub county: String,
    /// Index into the program's categories.
    pub category: usize,
    pub category_name: String,
    pub owner: String,
    pub nature: Nature,
    pub years: String,
    pub planned_start: String,
    pub total: i64,
    pub annual: i64,
    pub month: i64,
    pub ytd: i64,
    pub since_start: i64,
    pub status: &'static str,
    /// 实际开工 (year, month, day).
    pub start: Option<(i32, u32, u32)>,
    pub progress: String,
    pub problems: String,
    pub coordination: String,
    pub contact: String,
    pub remark: String,
    /// A cell written as this text instead of its value (planted mistakes).
    pub text_override: Option<(Col, String)>,
}

impl LedgerRow {
    /// The money amount of a money column, 元.
    pub fn money(&self, col: Col) -> i64 {
        match col {
            Col::Total => self.total,
            Col::Annual => self.annual,
            Col::Month => self.month,
            Col::Ytd => self.ytd,
            Col::SinceStart => self.since_start,
            _ => 0,
        }
    }
}

/// The row of project `p` in month `m`.
pub fn ledger_row(program: Program, p: &Project, t: &Timeline, unit: &Unit, m: u32) -> LedgerRow {
    let mut rng = Rng::derive(SEED, &format!("row/{}/{}", program.id(), p.code));
    let contact = format!(
        "{} {}",
        names::person(&mut rng),
        names::landline(&mut rng, unit.area_code())
    );
    let remark = match rng.below(100) {
        0..=7 => "省重点项目",
        8..=10 => "列入省大中型项目",
        _ => "",
    }
    .to_string();
    let (problems, coordination) = t.problem_at(m);
    LedgerRow {
        code: p.code.clone(),
        name: p.name.clone(),
        batch: p.batch_label().to_string(),
        unit_name: unit.name.clone(),
        unit_short: unit.short.clone(),
        county: p.county.clone(),
        category: p.category,
        category_name: categories(program)
            .get(p.category)
            .copied()
            .unwrap_or("")
            .to_string(),
        owner: p.owner.clone(),
        nature: p.nature,
        years: p.years_text(),
        planned_start: p.planned_start_text(),
        total: p.total,
        annual: p.annual,
        month: t.month_done(m),
        ytd: t.ytd(m),
        since_start: t.since_start(m),
        status: t.status(m).label(),
        start: t.start_at(m),
        progress: progress_text(p, t, m),
        problems: problems.to_string(),
        coordination: coordination.to_string(),
        contact,
        remark,
        text_override: None,
    }
}
