//! Phase 6 of validate: one record per library project — its kept row when
//! accepted, else last month's figures carried forward or nothing (by the
//! pipeline's `not_reported` policy) — and the findings of what was not sent:
//! W402 for a unit that sent no file, W401 for a project nobody sent.

use std::collections::HashMap;

use super::duplicates::Kept;
use super::{base_record, unit_name, Inputs};
use crate::checks::{finding, Loc};
use crate::config::NotReportedPolicy;
use crate::model::{FileStatus, Finding, ParsedFile, ProjectRecord, Status};
use crate::seeds::Project;

/// Units (ids) of the library that sent no file accepted this period.
pub fn missing_units(inp: &Inputs<'_>, files: &[ParsedFile]) -> Vec<String> {
    inp.library
        .unit_ids(inp.units)
        .into_iter()
        .filter(|u| {
            !files
                .iter()
                .any(|f| f.unit_id.as_deref() == Some(u.as_str()) && f.status == FileStatus::Ok)
        })
        .collect()
}

/// W402 for each unit that sent nothing.
pub fn not_sent(inp: &Inputs<'_>, missing: &[String]) -> Vec<Finding> {
    let spec = inp.spec;
    missing
        .iter()
        .map(|u| {
            let n = inp
                .library
                .projects
                .iter()
                .filter(|p| &p.unit_id == u)
                .count();
            let uname = unit_name(inp.units, Some(u));
            let what = match spec.not_reported {
                NotReportedPolicy::CarryForward => "沿用上月数据",
                NotReportedPolicy::Zero => "本期按未报送计",
            };
            let loc = Loc {
                unit: &uname,
                ..Default::default()
            };
            let detail = format!(
                "{uname}本期（{}）未报送{}台账，其 {n} 个项目{what}",
                inp.period, spec.name
            );
            finding(Some(spec), "W402", &loc, &detail, "", "")
        })
        .collect()
}

/// Every library project's record, and W401 for the projects nobody sent
/// (a rejected row already has its error: fix and resend now).
pub fn build(
    inp: &Inputs<'_>,
    files: &[ParsedFile],
    kept: &Kept,
    last_month: &HashMap<&str, &ProjectRecord>,
    missing: &[String],
) -> (Vec<ProjectRecord>, Vec<Finding>) {
    let mut findings = Vec::new();
    let mut records = Vec::with_capacity(inp.library.projects.len());
    for (pi, p) in inp.library.projects.iter().enumerate() {
        let accepted = kept
            .get(&pi)
            .filter(|rr| !files[rr.0].tables[rr.1].rows[rr.2].is_rejected());
        let rec = match accepted {
            Some(rr) => accepted_record(p, &files[rr.0], rr.1, rr.2),
            None => {
                let rejected = kept.contains_key(&pi);
                if !missing.contains(&p.unit_id) && !rejected {
                    findings.push(nobody_sent(inp, p));
                }
                let rec = not_accepted_record(inp, p, last_month.get(p.code.as_str()).copied());
                ProjectRecord { rejected, ..rec }
            }
        };
        records.push(rec);
    }
    (records, findings)
}

fn accepted_record(p: &Project, f: &ParsedFile, ti: usize, ri: usize) -> ProjectRecord {
    let row = &f.tables[ti].rows[ri];
    ProjectRecord {
        reported: true,
        carried: false,
        month_done: row.month_done.unwrap_or(0),
        ytd_done: row.ytd_done.unwrap_or(0),
        since_start_done: row.since_start_done,
        status: row.status.unwrap_or(Status::NotStarted),
        start_date: row.start_date.map(|d| d.to_string()),
        progress: row.progress.clone().unwrap_or_default(),
        problems: row.problems.clone().unwrap_or_default(),
        coordination: row.coordination.clone().unwrap_or_default(),
        source: format!("{}!{}!{}", f.file.name, row.sheet, row.row + 1),
        ..base_record(p)
    }
}

fn not_accepted_record(
    inp: &Inputs<'_>,
    p: &Project,
    last: Option<&ProjectRecord>,
) -> ProjectRecord {
    match (inp.spec.not_reported, last) {
        (NotReportedPolicy::CarryForward, Some(pr)) => ProjectRecord {
            carried: true,
            ytd_done: pr.ytd_done,
            since_start_done: pr.since_start_done,
            status: pr.status,
            start_date: pr.start_date.clone(),
            progress: pr.progress.clone(),
            problems: pr.problems.clone(),
            coordination: pr.coordination.clone(),
            ..base_record(p)
        },
        _ => base_record(p),
    }
}

fn nobody_sent(inp: &Inputs<'_>, p: &Project) -> Finding {
    let loc = Loc {
        project_code: &p.code,
        unit: &p.unit,
        ..Default::default()
    };
    let detail = format!("{}（{}）本期没有被采纳的填报数据", p.name, p.code);
    finding(Some(inp.spec), "W401", &loc, &detail, "", "")
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, Fixture};
    use super::*;

    #[test]
    fn a_unit_with_no_file_is_missing_and_its_projects_are_not_w401() {
        let fx = Fixture::new();
        // 南昌市 sent projects 0 and 1; 九江市 sent nothing.
        let files = vec![file("nc.xlsx", "", &[(0, 5), (1, 6)])];
        let missing = missing_units(&fx.inputs(), &files);
        assert_eq!(missing, ["360400"]);
        assert_eq!(not_sent(&fx.inputs(), &missing)[0].id, "W402");
        let kept: Kept = [(0, (0, 0, 0)), (1, (0, 0, 1))].into_iter().collect();
        let (records, f) = build(&fx.inputs(), &files, &kept, &HashMap::new(), &missing);
        assert_eq!(records.len(), 5);
        assert_eq!(records[0].ytd_done, 5);
        assert!(records[0].reported && records[1].reported && !records[2].reported);
        // Project 2 is 南昌市's and nobody sent it; 3 and 4 are 九江市's (W402).
        let w401: Vec<&str> = f.iter().map(|f| f.project_code.as_str()).collect();
        assert_eq!(w401, [fx.library.projects[2].code.as_str()]);
    }

    #[test]
    fn last_months_figures_are_carried_for_a_project_not_sent() {
        let fx = Fixture::new();
        let pr = ProjectRecord {
            reported: true,
            ytd_done: 777,
            ..base_record(&fx.library.projects[2])
        };
        let last: HashMap<&str, &ProjectRecord> = [(fx.library.projects[2].code.as_str(), &pr)]
            .into_iter()
            .collect();
        let (records, _) = build(&fx.inputs(), &[], &Kept::new(), &last, &[]);
        let carried = fx.spec.not_reported == NotReportedPolicy::CarryForward;
        assert_eq!(records[2].carried, carried);
        assert_eq!(records[2].ytd_done, if carried { 777 } else { 0 });
    }
}
