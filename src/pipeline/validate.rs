//! Validate: the files of one program and period, the library and the history
//! store → accepted rows, findings and one [`ProjectRecord`] per library project.
//! Cross-file rules live here (duplicates, two files of one unit, units that
//! sent nothing); per-cell value findings were made by normalize. Pure.

use std::collections::{BTreeMap, HashMap};

use crate::checks::{finding, Loc};
use crate::config::PipelineSpec;
use crate::model::{
    FileStatus, Finding, LedgerRow, ParsedFile, Period, PeriodResult, ProjectRecord, RowAccount,
    Severity, StoredPeriod,
};
use crate::parse::Yuan;
use crate::seeds::{Library, Project, Units};

mod duplicates;
mod matching;
mod owner;
mod parts;
pub(crate) use parts::order_key;
mod records;
#[cfg(test)]
mod testkit;
mod values;

/// Everything validation reads besides the files.
pub struct Inputs<'a> {
    pub spec: &'a PipelineSpec,
    pub library: &'a Library,
    pub units: &'a Units,
    pub period: Period,
    /// Earlier stored periods of the same year, oldest first.
    pub history: &'a [StoredPeriod],
    /// Waived findings: (project code, check id, value) confirmed by a reviewer.
    pub waivers: &'a [(String, String, String)],
}

pub(crate) type RowRef = (usize, usize, usize);

fn row_mut(files: &mut [ParsedFile], r: RowRef) -> &mut LedgerRow {
    &mut files[r.0].tables[r.1].rows[r.2]
}

fn unit_name(units: &Units, id: Option<&str>) -> String {
    id.and_then(|i| units.by_id(i))
        .map(|u| u.name.clone())
        .unwrap_or_default()
}

/// Parses `2023年8月3日` / `2023-08-03` into a sortable number.
fn date_key(s: &str) -> u32 {
    let nums: Vec<u32> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.parse().ok())
        .collect();
    match nums.as_slice() {
        [y, m, d, ..] => y * 10_000 + m * 100 + d,
        [y, m] => y * 10_000 + m * 100,
        _ => 0,
    }
}

/// Runs every check of one program's period: each phase is a function that
/// returns its findings (and verdicts); this one applies them to the files'
/// rows in order, since a later phase reads what an earlier one decided (a
/// rejected row is never a keeper's first choice, nor checked further).
pub fn validate(inp: &Inputs<'_>, files: &mut [ParsedFile]) -> PeriodResult {
    let prev_by_code = last_month(inp);
    // 1. File-level: the unit (from the projects when nothing names it), period.
    let mut findings: Vec<Finding> = owner::settle_units(inp, files);
    for f in files.iter_mut() {
        if let Some((error, fd)) = wrong_period(inp, f) {
            f.status = FileStatus::Rejected;
            f.error = Some(error);
            findings.push(fd);
        }
    }
    // 2. Match rows to the library.
    let mut matched = match_all(inp, files);
    // 2b. Several files of one unit: a project in two of them counts from the later.
    let superseded = parts::supersede(inp, files, &matched);
    matched.retain(|(r, _)| !superseded.rows.contains_key(r));
    findings.extend(superseded.findings);
    // 3. Duplicates: one row per project.
    let (kept, dup) = duplicates::settle(inp, files, &matched);
    for (r, fd) in dup {
        row_mut(files, r).findings.push(fd);
    }
    // 4. Value checks on kept rows, against the library and last month.
    check_kept(inp, files, &kept, &prev_by_code);
    // 5. Waivers: confirmed warnings are kept but shown as 已核实.
    for fd in files
        .iter_mut()
        .flat_map(|f| f.tables.iter_mut())
        .flat_map(|t| t.rows.iter_mut())
        .flat_map(|r| r.findings.iter_mut())
    {
        fd.waived |= waived(inp, fd);
    }
    // 6. Records for every library project; what was not sent.
    let missing_units = records::missing_units(inp, files);
    findings.extend(records::not_sent(inp, &missing_units));
    let (records, w401) = records::build(inp, files, &kept, &prev_by_code, &missing_units);
    findings.extend(w401);
    // 7. Row accounting per file.
    let accounts = accounts(files, &superseded.rows);
    findings.sort_by(|a, b| {
        (&a.file, &a.unit, &a.id, &a.project_code).cmp(&(&b.file, &b.unit, &b.id, &b.project_code))
    });
    PeriodResult {
        program: inp.spec.id.clone(),
        period: inp.period,
        records,
        tasks: Vec::new(),
        findings,
        accounts,
        missing_units,
    }
}

/// Last month's records by project code (none in January or when not stored).
fn last_month<'a>(inp: &Inputs<'a>) -> HashMap<&'a str, &'a ProjectRecord> {
    let prev: Option<&StoredPeriod> = inp.history.iter().rev().find(|p| {
        Period::parse_period(&p.period) == Some(inp.period.prev()) && inp.period.month > 1
    });
    prev.map(|p| p.records.iter().map(|r| (r.code.as_str(), r)).collect())
        .unwrap_or_default()
}

/// E006: a file whose title or name states another period (the reason the
/// file is refused, and the finding).
pub(crate) fn wrong_period(inp: &Inputs<'_>, f: &ParsedFile) -> Option<(String, Finding)> {
    if f.status != FileStatus::Ok {
        return None;
    }
    let p = f.declared_period.filter(|p| *p != inp.period)?;
    let uname = unit_name(inp.units, f.unit_id.as_deref());
    let loc = Loc {
        file: &f.file.name,
        unit: &uname,
        ..Default::default()
    };
    let detail = format!(
        "文件标题或文件名表明是 {}年{}月 的数据，本期为 {}年{}月，该文件不计入本期",
        p.year, p.month, inp.period.year, inp.period.month
    );
    let fd = finding(
        Some(inp.spec),
        "E006",
        &loc,
        &detail,
        &p.to_string(),
        &inp.period.to_string(),
    );
    Some((format!("文件所属期别为 {p}，不是本期 {}", inp.period), fd))
}

/// Phase 2 over every row of the files still in: the rows matched to a
/// library project (row, project index); findings go onto their rows.
fn match_all(inp: &Inputs<'_>, files: &mut [ParsedFile]) -> Vec<(RowRef, usize)> {
    let mut matched = Vec::new();
    for (fi, f) in files.iter_mut().enumerate() {
        if f.status != FileStatus::Ok {
            continue;
        }
        let uname = unit_name(inp.units, f.unit_id.as_deref());
        for (ti, t) in f.tables.iter_mut().enumerate() {
            for (ri, row) in t.rows.iter_mut().enumerate() {
                if row.code.is_none() && row.name.is_none() {
                    continue;
                }
                let (hit, fds) = matching::match_row(inp, &f.file.name, &uname, row);
                row.findings.extend(fds);
                if let Some(pi) = hit {
                    matched.push(((fi, ti, ri), pi));
                }
            }
        }
    }
    matched
}

/// Phase 4 over every kept row not already rejected: its verdict applied
/// (status, figures as they count, findings).
fn check_kept(
    inp: &Inputs<'_>,
    files: &mut [ParsedFile],
    kept: &duplicates::Kept,
    prev_by_code: &HashMap<&str, &ProjectRecord>,
) {
    let mut max_month: HashMap<&str, Yuan> = HashMap::new();
    for r in inp
        .history
        .iter()
        .flat_map(|h| &h.records)
        .filter(|r| r.reported)
    {
        let e = max_month.entry(r.code.as_str()).or_insert(0);
        *e = (*e).max(r.month_done);
    }
    for (pi, rr) in kept {
        let p = &inp.library.projects[*pi];
        let f = &files[rr.0];
        let plan_unit = f.tables[rr.1]
            .columns
            .iter()
            .find(|c| c.field == "annual_plan")
            .and_then(|c| c.unit)
            .unwrap_or(inp.spec.default_unit);
        let uname = unit_name(inp.units, f.unit_id.as_deref());
        let row = &f.tables[rr.1].rows[rr.2];
        if row.is_rejected() {
            continue;
        }
        let ctx = values::RowContext {
            file: &f.file.name,
            unit: &uname,
            plan_tolerance: (plan_unit.factor() / 200).max(1),
            last_month: prev_by_code.get(p.code.as_str()).copied(),
            max_month: max_month.get(p.code.as_str()).copied(),
        };
        let v = values::check_row(inp, &ctx, p, row);
        let row = row_mut(files, *rr);
        row.status = Some(v.status);
        if let Some((ytd, month)) = v.figures {
            row.ytd_done = Some(ytd);
            row.month_done = Some(month);
        }
        row.findings.extend(v.findings);
    }
}

/// A warning a reviewer confirmed (project code, check id, value seen).
fn waived(inp: &Inputs<'_>, fd: &Finding) -> bool {
    fd.severity == Severity::Warning
        && inp.waivers.iter().any(|(c, id, v)| {
            *c == fd.project_code && *id == fd.id && (v.is_empty() || *v == fd.value)
        })
}

/// Row accounting per file: every row accepted, rejected or skipped with its
/// reason (a superseded row: `superseded by <file>`).
pub(crate) fn accounts(
    files: &[ParsedFile],
    superseded: &BTreeMap<RowRef, String>,
) -> BTreeMap<String, RowAccount> {
    let mut accounts = BTreeMap::new();
    for (fi, f) in files.iter().enumerate() {
        let mut a = RowAccount::default();
        let skip = |a: &mut RowAccount, key: String| {
            a.skipped += 1;
            *a.skipped_reasons.entry(key).or_insert(0) += 1;
        };
        for (ti, t) in f.tables.iter().enumerate() {
            a.rows_read += t.rows_read;
            for (_, reason) in &t.skipped {
                skip(&mut a, reason.key().to_string());
            }
            for (ri, r) in t.rows.iter().enumerate() {
                if let Some(by) = superseded.get(&(fi, ti, ri)) {
                    skip(&mut a, format!("superseded by {by}"));
                } else if f.status != FileStatus::Ok || r.is_rejected() {
                    a.rejected += 1;
                } else {
                    a.accepted += 1;
                }
            }
        }
        accounts.insert(f.file.name.clone(), a);
    }
    accounts
}

fn base_record(p: &Project) -> ProjectRecord {
    ProjectRecord {
        code: p.code.clone(),
        name: p.name.clone(),
        unit_id: p.unit_id.clone(),
        unit: p.unit.clone(),
        county: p.county.clone(),
        category: p.category.clone(),
        group: p.batch.clone(),
        nature: p.nature,
        total_investment: p.total_investment,
        annual_plan: p.annual_plan,
        planned_start: p.planned_start.map(|d| d.to_string()),
        reported: false,
        carried: false,
        month_done: 0,
        ytd_done: 0,
        since_start_done: None,
        status: crate::model::Status::NotStarted,
        start_date: None,
        progress: String::new(),
        problems: String::new(),
        coordination: String::new(),
        source: String::new(),
        rejected: false,
    }
}

/// Every finding of a period, file-level and row-level, sorted for output.
pub fn all_findings(result: &mut PeriodResult, files: &mut [ParsedFile]) -> Vec<Finding> {
    // Moved, not copied: from here on the period's findings live in this one
    // list (the reports and the manifest read it).
    let mut out: Vec<Finding> = std::mem::take(&mut result.findings);
    for f in files {
        out.append(&mut f.findings);
        for t in &mut f.tables {
            for r in &mut t.rows {
                out.append(&mut r.findings);
            }
        }
    }
    out.sort_by(|a, b| {
        (
            &a.file,
            &a.sheet,
            cell_key(&a.cell),
            &a.id,
            &a.project_code,
            &a.unit,
        )
            .cmp(&(
                &b.file,
                &b.sheet,
                cell_key(&b.cell),
                &b.id,
                &b.project_code,
                &b.unit,
            ))
    });
    out.dedup();
    out
}

fn cell_key(cell: &str) -> (u32, u32) {
    crate::text::parse_a1(cell).unwrap_or((0, 0))
}
