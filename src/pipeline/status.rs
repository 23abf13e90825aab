//! `taizhang status`: the reporting window, watched day by day. Reads one
//! period's inbox (the same reading and checks as a run, against the store's
//! earlier months, read only) and says for every program and reporting unit
//! what has arrived: files and when, rows, errors and warnings, and 未报送 /
//! 已报送有错 / 已报送. Writes no report and nothing to the store.

use std::collections::BTreeSet;

use crate::model::{FileStatus, ParsedFile, Period, PeriodResult, RowAccount, Severity};
use crate::pipeline::{read_period, store, validate_files, Progress, RunError, Setup};

pub use crate::model::status::{ProgramStatus, ReceivedFile, UnitState, UnitStatus, WindowStatus};

/// Reads `period` of the inbox and states every program's units.
pub fn status(
    setup: &Setup,
    inbox_dir: &std::path::Path,
    store: &store::Store,
    period: Period,
    progress: &dyn Progress,
) -> Result<WindowStatus, RunError> {
    // Early in the window the period's folder may not exist yet: then
    // nothing has arrived and every unit is 未报送.
    let read = if crate::pipeline::inbox::period_dir(inbox_dir, period).is_dir() {
        read_period(setup, inbox_dir, period, progress)?
    } else {
        crate::pipeline::ReadPeriod {
            stamps: Vec::new(),
            buckets: vec![Vec::new(); setup.specs.len()],
            unassigned: Vec::new(),
            ignored: Vec::new(),
        }
    };
    // Files no program claimed are listed once here, not under every program.
    let unreadable = read
        .unassigned
        .iter()
        .map(|f| received(f, RowAccount::default()))
        .collect();
    let mut out = Vec::new();
    for (si, bucket) in read.buckets.into_iter().enumerate() {
        let mut files = bucket;
        files.sort_by(|a, b| a.file.name.cmp(&b.file.name));
        let library = setup.libraries.for_period(si, period)?;
        let v = validate_files(setup, (si, library), store, period, &mut files)?;
        let units = library.unit_ids(&setup.units);
        out.push(program_status(
            setup,
            si,
            &units,
            &files,
            &v.result,
            &v.findings,
        ));
    }
    Ok(WindowStatus {
        programs: out,
        unreadable,
    })
}

fn received(f: &ParsedFile, acc: RowAccount) -> ReceivedFile {
    let note = match f.status {
        FileStatus::Ok => String::new(),
        FileStatus::Superseded => "已被同单位较晚的文件替代".to_string(),
        FileStatus::Rejected | FileStatus::Ignored => {
            format!("整个文件未被采纳：{}", f.error.clone().unwrap_or_default())
        }
    };
    ReceivedFile {
        name: f.file.name.clone(),
        modified: f.file.modified,
        rows_read: acc.rows_read,
        accepted: acc.accepted,
        rejected: acc.rejected,
        note,
    }
}

fn account(result: &PeriodResult, f: &ParsedFile) -> RowAccount {
    result
        .accounts
        .get(&f.file.name)
        .cloned()
        .unwrap_or_default()
}

fn program_status(
    setup: &Setup,
    si: usize,
    unit_ids: &[String],
    files: &[ParsedFile],
    result: &PeriodResult,
    findings: &[crate::model::Finding],
) -> ProgramStatus {
    let spec = &setup.specs[si];
    let mut units = Vec::new();
    for id in unit_ids {
        let Some(u) = setup.units.by_id(id) else {
            continue;
        };
        let own: Vec<&ParsedFile> = files
            .iter()
            .filter(|f| f.unit_id.as_deref() == Some(id.as_str()))
            .collect();
        let names: BTreeSet<&str> = own.iter().map(|f| f.file.name.as_str()).collect();
        let mine = |f: &&crate::model::Finding| names.contains(f.file.as_str()) || f.unit == u.name;
        let count = |sev| {
            findings
                .iter()
                .filter(mine)
                .filter(|f| f.severity == sev)
                .count()
        };
        let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
        let state = if own.is_empty() {
            UnitState::NotReported
        } else if errors > 0 || own.iter().all(|f| f.status != FileStatus::Ok) {
            UnitState::ReportedWithErrors
        } else {
            UnitState::Reported
        };
        units.push(UnitStatus {
            unit: u.name.clone(),
            kind: u.kind.clone(),
            state,
            files: own
                .iter()
                .map(|f| received(f, account(result, f)))
                .collect(),
            errors,
            warnings,
        });
    }
    let unowned = files
        .iter()
        .filter(|f| f.unit_id.is_none() && f.program.as_deref() == Some(spec.id.as_str()))
        .map(|f| received(f, account(result, f)))
        .collect();
    ProgramStatus {
        id: spec.id.clone(),
        name: spec.name.clone(),
        units,
        unowned,
    }
}
