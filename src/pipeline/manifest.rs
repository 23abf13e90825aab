//! The run manifest (`manifest.json`, spec §8): a stable, machine-readable
//! account of one program's period — every input with its hash and row
//! accounting, totals, by-unit figures, findings, outputs, timings.
//! Keys are only ever added, never renamed.

use serde::Serialize;
use std::collections::BTreeMap;

use crate::model::{FileStatus, Finding, IgnoredFile, ParsedFile, RowAccount};
use crate::pipeline::aggregate::{Light, Summary};

pub use crate::model::{ColumnEntry, InputEntry};

#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub projects: i64,
    pub reported: i64,
    pub carried_forward: i64,
    pub annual_plan_yuan: i64,
    pub annual_target_yuan: i64,
    pub month_done_yuan: i64,
    pub ytd_done_yuan: i64,
    pub time_progress: f64,
    pub completion_rate: f64,
    pub start_rate: f64,
    pub operation_rate: f64,
    pub lagging: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitEntry {
    pub unit: String,
    pub projects: i64,
    pub reported: i64,
    pub annual_plan_yuan: i64,
    pub month_done_yuan: i64,
    pub ytd_done_yuan: i64,
    pub completion_rate: f64,
    /// `null` for a unit with no accepted data (not ranked, light `not_reported`).
    pub rank: Option<usize>,
    pub prev_rank: Option<usize>,
    pub light: Light,
    /// Which ranking `rank` is in: `main` (设区市 and 赣江新区) or `department`.
    pub ranking: &'static str,
}

/// The manifest; findings are borrowed from the period's (a large period's
/// findings are never copied to be written).
#[derive(Debug, Clone, Serialize)]
pub struct Manifest<'a> {
    pub program: String,
    pub program_name: String,
    pub period: String,
    pub tool_version: String,
    pub inputs: Vec<InputEntry>,
    pub ignored: Vec<IgnoredEntry>,
    pub totals: KindTotals,
    pub by_unit: ByUnit,
    pub findings: &'a [Finding],
    pub findings_by_check: BTreeMap<String, usize>,
    pub outputs: Vec<String>,
    pub timings_ms: BTreeMap<String, u128>,
    /// Absent for a tasks-kind program.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub library_changes: Option<LibraryChanges>,
}

/// The totals of the program's kind (investment keys as in spec §8).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum KindTotals {
    Investment(Totals),
    Tasks(TaskTotals),
}

/// The by-unit figures of the program's kind.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ByUnit {
    Investment(Vec<UnitEntry>),
    Tasks(Vec<TaskUnitEntry>),
}

/// A kind's figures for the manifest.
#[derive(Debug, Clone)]
pub struct Figures {
    pub totals: KindTotals,
    pub by_unit: ByUnit,
    /// How the library changed since the last period (investment kind).
    pub library_changes: Option<LibraryChanges>,
}

/// The 项目库变动 sheet in figures: the period compared against, counts of
/// projects added (新增), removed (调出), with a plan adjusted (计划调整) or
/// renamed (更名), and the plan totals before and after, in 元.
#[derive(Debug, Clone, Serialize)]
pub struct LibraryChanges {
    pub previous: Option<String>,
    pub added: usize,
    pub removed: usize,
    pub adjusted: usize,
    pub renamed: usize,
    pub projects_before: i64,
    pub projects_after: i64,
    pub total_investment_before_yuan: i64,
    pub total_investment_after_yuan: i64,
    pub annual_plan_before_yuan: i64,
    pub annual_plan_after_yuan: i64,
}

/// The manifest's account of a library change.
pub fn library_changes(c: &crate::model::libchange::LibraryChange) -> LibraryChanges {
    use crate::model::libchange::ChangeKind as K;
    LibraryChanges {
        previous: c.previous.clone(),
        added: c.count(K::Added),
        removed: c.count(K::Removed),
        adjusted: c.count(K::Adjusted),
        renamed: c.count(K::Renamed),
        projects_before: c.before.projects,
        projects_after: c.after.projects,
        total_investment_before_yuan: c.before.total,
        total_investment_after_yuan: c.after.total,
        annual_plan_before_yuan: c.before.annual,
        annual_plan_after_yuan: c.after.annual,
    }
}

/// Totals of a tasks-kind program (counts of item × responsible unit).
#[derive(Debug, Clone, Serialize)]
pub struct TaskTotals {
    pub items: usize,
    pub assignments: usize,
    pub done: usize,
    pub on_schedule: usize,
    pub lagging: usize,
    pub not_started: usize,
    pub not_reported: usize,
    pub overdue: usize,
    pub on_time_rate: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskUnitEntry {
    pub unit: String,
    pub assignments: usize,
    pub done: usize,
    pub on_schedule: usize,
    pub lagging: usize,
    pub not_started: usize,
    pub not_reported: usize,
    pub overdue: usize,
    pub on_time_rate: f64,
    pub rank: Option<usize>,
    pub light: crate::kinds::tasks::aggregate::TaskLight,
}

/// The figures of a tasks-kind period.
pub fn task_figures(s: &crate::kinds::tasks::aggregate::TaskSummary) -> Figures {
    let t = &s.totals;
    Figures {
        totals: KindTotals::Tasks(TaskTotals {
            items: t.items,
            assignments: t.assignments,
            done: t.done,
            on_schedule: t.on_schedule,
            lagging: t.lagging,
            not_started: t.not_started,
            not_reported: t.not_reported,
            overdue: t.overdue,
            on_time_rate: rate(t.on_time_share()),
        }),
        by_unit: ByUnit::Tasks(
            s.by_unit
                .iter()
                .map(|u| TaskUnitEntry {
                    unit: u.unit.clone(),
                    assignments: u.counts.assignments,
                    done: u.counts.done,
                    on_schedule: u.counts.on_schedule,
                    lagging: u.counts.lagging,
                    not_started: u.counts.not_started,
                    not_reported: u.counts.not_reported,
                    overdue: u.counts.overdue,
                    on_time_rate: rate(u.share),
                    rank: u.rank,
                    light: u.light,
                })
                .collect(),
        ),
        library_changes: None,
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct IgnoredEntry {
    pub file: String,
    pub reason: String,
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Rounds a rate for JSON (4 decimals, e.g. 0.5833).
pub fn rate(x: f64) -> f64 {
    round4(x)
}

/// Input entries of a program's files, in file-name order.
pub fn inputs(
    files: &[ParsedFile],
    accounts: &BTreeMap<String, RowAccount>,
    unit_name: &dyn Fn(Option<&str>) -> String,
) -> Vec<InputEntry> {
    let mut out: Vec<InputEntry> = files
        .iter()
        .map(|f| {
            let a = accounts.get(&f.file.name).cloned().unwrap_or_default();
            InputEntry {
                file: f.file.name.clone(),
                sha256: f.file.sha256.clone(),
                size: f.file.size,
                format: format!("{:?}", f.file.format).to_lowercase(),
                unit: unit_name(f.unit_id.as_deref()),
                sheet: f
                    .tables
                    .iter()
                    .map(|t| t.sheet.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
                rows_read: a.rows_read,
                accepted: a.accepted,
                rejected: a.rejected,
                skipped: a.skipped,
                skipped_reasons: a.skipped_reasons,
                status: match f.status {
                    FileStatus::Ok => "ok",
                    FileStatus::Rejected => "rejected",
                    FileStatus::Ignored => "ignored",
                    FileStatus::Superseded => "superseded",
                }
                .to_string(),
                error: f.error.clone(),
                columns: f
                    .tables
                    .iter()
                    .flat_map(|t| {
                        t.columns.iter().map(|c| ColumnEntry {
                            sheet: t.sheet.clone(),
                            field: c.field.clone(),
                            column: crate::text::col_letters(c.col),
                            header: c.header.clone(),
                            unit: c.unit,
                            unit_from: c.unit_from.clone(),
                        })
                    })
                    .collect(),
                skipped_sheets: f
                    .skipped_sheets
                    .iter()
                    .map(|(s, why)| format!("{s}：{why}"))
                    .collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

/// Builds the manifest.
#[allow(clippy::too_many_arguments)]
pub fn build<'a>(
    program: &str,
    program_name: &str,
    period: &str,
    inputs: Vec<InputEntry>,
    ignored: &[IgnoredFile],
    figures: Figures,
    findings: &'a [Finding],
    outputs: Vec<String>,
    timings_ms: BTreeMap<String, u128>,
) -> Manifest<'a> {
    let mut by_check = BTreeMap::new();
    for f in findings {
        *by_check.entry(f.id.clone()).or_insert(0) += 1;
    }
    Manifest {
        program: program.to_string(),
        program_name: program_name.to_string(),
        period: period.to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        inputs,
        ignored: ignored
            .iter()
            .map(|i| IgnoredEntry {
                file: i.name.clone(),
                reason: i.reason.clone(),
            })
            .collect(),
        totals: figures.totals,
        by_unit: figures.by_unit,
        library_changes: figures.library_changes,
        findings,
        findings_by_check: by_check,
        outputs,
        timings_ms,
    }
}

/// The figures of an investment-kind period.
pub fn investment_figures(summary: &Summary, target: i64) -> Figures {
    let t = &summary.totals;
    Figures {
        totals: KindTotals::Investment(Totals {
            projects: t.projects,
            reported: t.reported,
            carried_forward: t.carried,
            annual_plan_yuan: t.annual_plan,
            annual_target_yuan: target,
            month_done_yuan: t.month_done,
            ytd_done_yuan: t.ytd_done,
            time_progress: rate(summary.time_progress),
            completion_rate: rate(t.completion_rate()),
            start_rate: rate(t.start_rate().unwrap_or(0.0)),
            operation_rate: rate(t.operation_rate().unwrap_or(0.0)),
            lagging: t.lagging,
        }),
        by_unit: ByUnit::Investment(
            summary
                .by_unit
                .iter()
                .map(|r| UnitEntry {
                    unit: r.key.clone(),
                    projects: r.sums.projects,
                    reported: r.sums.reported,
                    annual_plan_yuan: r.sums.annual_plan,
                    month_done_yuan: r.sums.month_done,
                    ytd_done_yuan: r.sums.ytd_done,
                    completion_rate: rate(r.completion_rate),
                    rank: r.rank,
                    prev_rank: r.prev_rank,
                    light: r.light,
                    ranking: if summary.in_main_table(r) {
                        "main"
                    } else {
                        "department"
                    },
                })
                .collect(),
        ),
        library_changes: None,
    }
}
