//! Validate: the files of one program and period, the library and the history
//! store → accepted rows, findings and one [`ProjectRecord`] per library project.
//! Cross-file rules live here (duplicates, two files of one unit, units that
//! sent nothing); per-cell value findings were made by normalize. Pure.

use std::collections::{BTreeMap, HashMap};

use crate::checks::{finding, Loc};
use crate::config::{NotReportedPolicy, PipelineSpec};
use crate::model::{
    FileStatus, Finding, LedgerRow, ParsedFile, Period, PeriodResult, ProjectRecord, RowAccount,
    Severity, Status, StoredPeriod,
};
use crate::parse::{fmt_wan, is_project_code, MoneyUnit, Yuan};
use crate::seeds::{Library, NameMatch, Project, Units};

mod owner;
mod parts;
#[cfg(test)]
mod testkit;

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

type RowRef = (usize, usize, usize);

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

/// Runs every check of one program's period.
pub fn validate(inp: &Inputs<'_>, files: &mut [ParsedFile]) -> PeriodResult {
    let spec = inp.spec;
    let mut findings: Vec<Finding> = Vec::new();
    let prev: Option<&StoredPeriod> = inp.history.iter().rev().find(|p| {
        Period::parse_period(&p.period) == Some(inp.period.prev()) && inp.period.month > 1
    });
    let prev_by_code: HashMap<&str, &ProjectRecord> = prev
        .map(|p| p.records.iter().map(|r| (r.code.as_str(), r)).collect())
        .unwrap_or_default();

    // 1. File-level: the unit (from the projects when nothing names it), period.
    findings.extend(owner::settle_units(inp, files));
    for f in files.iter_mut() {
        if f.status != FileStatus::Ok {
            continue;
        }
        let uname = unit_name(inp.units, f.unit_id.as_deref());
        if let Some(p) = f.declared_period.filter(|p| *p != inp.period) {
            f.status = FileStatus::Rejected;
            f.error = Some(format!("文件所属期别为 {p}，不是本期 {}", inp.period));
            findings.push(finding(
                Some(spec),
                "E006",
                &Loc {
                    file: &f.file.name,
                    unit: &uname,
                    ..Default::default()
                },
                &format!(
                    "文件标题或文件名表明是 {}年{}月 的数据，本期为 {}年{}月，该文件不计入本期",
                    p.year, p.month, inp.period.year, inp.period.month
                ),
                &p.to_string(),
                &inp.period.to_string(),
            ));
        }
    }

    // 2. Match rows to the library.
    let mut matched: Vec<(RowRef, usize)> = Vec::new();
    for fi in 0..files.len() {
        if files[fi].status != FileStatus::Ok {
            continue;
        }
        let fname = files[fi].file.name.clone();
        let uname = unit_name(inp.units, files[fi].unit_id.as_deref());
        for ti in 0..files[fi].tables.len() {
            for ri in 0..files[fi].tables[ti].rows.len() {
                let row = row_mut(files, (fi, ti, ri));
                if row.code.is_none() && row.name.is_none() {
                    continue;
                }
                let sheet = row.sheet.clone();
                let code = row.code.clone().unwrap_or_default();
                let name = row.name.clone().unwrap_or_default();
                let code_cell = row.identity_cell();
                let name_cell = row.cell_of("name");
                let push = |row: &mut LedgerRow,
                            id: &str,
                            cell: &str,
                            detail: &str,
                            value: &str,
                            expected: &str| {
                    let l = Loc {
                        file: &fname,
                        sheet: &sheet,
                        cell,
                        project_code: &code,
                        unit: &uname,
                    };
                    row.findings
                        .push(finding(Some(spec), id, &l, detail, value, expected));
                };
                let hit: Option<&Project> = if is_project_code(&code) {
                    match inp.library.by_code(&code) {
                        Some(p) => {
                            // Differences of spacing or full-width forms are not findings;
                            // markers (★), suffixes (（南平段）) and other wording are.
                            if !name.is_empty()
                                && crate::text::strip_spaces(&name)
                                    != crate::text::strip_spaces(&p.name)
                            {
                                let how = if crate::text::name_key(&name)
                                    == crate::text::name_key(&p.name)
                                {
                                    "名称带有标记（如“★”），已按项目代码匹配"
                                } else {
                                    match inp.library.by_name(&name) {
                                        Some((q, NameMatch::Loose)) if q.code == p.code => {
                                            "名称带有标记或后缀（如“（南平段）”），已按项目代码匹配"
                                        }
                                        _ => "项目名称与项目库不一致，已按项目代码匹配",
                                    }
                                };
                                push(row, "W202", &name_cell, how, &name, &p.name);
                            }
                            Some(p)
                        }
                        None => {
                            let hint = match inp.library.by_name(&name) {
                                Some((q, _)) => format!("；项目库中同名项目的代码为 {}", q.code),
                                None => inp
                                    .library
                                    .closest_name(&name)
                                    .map(|q| {
                                        format!("；最接近的库内项目：{}（{}）", q.name, q.code)
                                    })
                                    .unwrap_or_default(),
                            };
                            push(
                                row,
                                "E201",
                                &code_cell,
                                &format!("项目代码不在{}中{hint}", spec.library_label()),
                                &code,
                                "",
                            );
                            None
                        }
                    }
                } else {
                    match inp.library.by_name(&name) {
                        Some((p, how)) => {
                            let detail = match (code.is_empty(), how) {
                                (true, NameMatch::Exact) => {
                                    "未填项目代码，已按项目名称匹配".to_string()
                                }
                                (true, NameMatch::Loose) => {
                                    "未填项目代码，已按去除标记和后缀后的名称匹配".to_string()
                                }
                                (false, _) => format!("项目代码“{code}”格式错误，已按项目名称匹配"),
                            };
                            push(row, "W213", &code_cell, &detail, &code, &p.code);
                            Some(p)
                        }
                        None if code.is_empty() => {
                            let hint = inp
                                .library
                                .closest_name(&name)
                                .map(|q| format!("；最接近的库内项目：{}（{}）", q.name, q.code))
                                .unwrap_or_default();
                            push(
                                row,
                                "E201",
                                &name_cell,
                                &format!(
                                    "未填项目代码，项目名称在{}中找不到{hint}",
                                    spec.library_label()
                                ),
                                &name,
                                "",
                            );
                            None
                        }
                        None => {
                            push(
                                row,
                                "E211",
                                &code_cell,
                                "项目代码格式错误，且项目名称在项目库中找不到",
                                &code,
                                "YYYY-AAAAAA-II-TT-NNNNNN",
                            );
                            None
                        }
                    }
                };
                if let Some(p) = hit {
                    if let Some(pi) = inp.library.index_of(&p.code) {
                        matched.push(((fi, ti, ri), pi));
                    }
                }
            }
        }
    }

    // 2b. Several files of one unit: a project in two of them counts from the later.
    let superseded = parts::supersede(inp, files, &matched);
    matched.retain(|(r, _)| !superseded.rows.contains_key(r));
    findings.extend(superseded.findings);

    // 3. Duplicates: within a file (E203) and across files (E204, the owner's row counts).
    let mut by_project: BTreeMap<usize, Vec<RowRef>> = BTreeMap::new();
    for (r, pi) in &matched {
        by_project.entry(*pi).or_default().push(*r);
    }
    let mut kept: BTreeMap<usize, RowRef> = BTreeMap::new();
    let file_units: Vec<Option<String>> = files.iter().map(|f| f.unit_id.clone()).collect();
    for (pi, refs) in &by_project {
        let p = &inp.library.projects[*pi];
        let owner_file = |r: &RowRef| file_units[r.0].as_deref() == Some(p.unit_id.as_str());
        let keeper = *refs
            .iter()
            .find(|r| owner_file(r) && !files[r.0].tables[r.1].rows[r.2].is_rejected())
            .or_else(|| refs.iter().find(|r| owner_file(r)))
            .or_else(|| {
                refs.iter()
                    .find(|r| !files[r.0].tables[r.1].rows[r.2].is_rejected())
            })
            .unwrap_or(&refs[0]);
        for r in refs.iter().filter(|r| **r != keeper) {
            let kf = files[keeper.0].file.name.clone();
            let krow = files[keeper.0].tables[keeper.1].rows[keeper.2].row + 1;
            let same_file = r.0 == keeper.0;
            let is_owner = owner_file(r);
            let f = &files[r.0];
            let fname = f.file.name.clone();
            let uname = unit_name(inp.units, f.unit_id.as_deref());
            let row = row_mut(files, *r);
            let cell = row.identity_cell();
            let sheet = row.sheet.clone();
            let loc = Loc {
                file: &fname,
                sheet: &sheet,
                cell: &cell,
                project_code: &p.code,
                unit: &uname,
            };
            if same_file {
                row.findings.push(finding(
                    Some(spec),
                    "E203",
                    &loc,
                    &format!("该项目在本文件第 {krow} 行已填报，本行不计入"),
                    &p.code,
                    "",
                ));
            } else {
                row.findings.push(finding(
                    Some(spec),
                    "E204",
                    &loc,
                    &format!("该项目（责任单位：{}）已在文件“{kf}”第 {krow} 行报送，以责任单位的数据为准，本行不计入", p.unit),
                    &p.code,
                    "",
                ));
                if !is_owner {
                    row.findings.push(finding(
                        Some(spec),
                        "W205",
                        &loc,
                        &format!("该项目的责任单位是{}，不是{uname}", p.unit),
                        &uname,
                        &p.unit,
                    ));
                }
            }
        }
        if !owner_file(&keeper) && files[keeper.0].unit_id.is_some() {
            let f = &files[keeper.0];
            let fname = f.file.name.clone();
            let uname = unit_name(inp.units, f.unit_id.as_deref());
            let row = row_mut(files, keeper);
            let cell = row.identity_cell();
            let sheet = row.sheet.clone();
            let loc = Loc {
                file: &fname,
                sheet: &sheet,
                cell: &cell,
                project_code: &p.code,
                unit: &uname,
            };
            row.findings.push(finding(
                Some(spec),
                "W205",
                &loc,
                &format!(
                    "该项目的责任单位是{}，不是{uname}；本期仅此一处报送，暂予计入",
                    p.unit
                ),
                &uname,
                &p.unit,
            ));
        }
        kept.insert(*pi, keeper);
    }

    // 4. Value checks on kept rows, against the library and last month.
    let history_max_month: HashMap<&str, Yuan> = {
        let mut m: HashMap<&str, Yuan> = HashMap::new();
        for h in inp.history {
            for r in h.records.iter().filter(|r| r.reported) {
                let e = m.entry(r.code.as_str()).or_insert(0);
                *e = (*e).max(r.month_done);
            }
        }
        m
    };
    let tol = spec.checks.cumulative_tolerance_yuan;
    for (pi, rr) in &kept {
        let p = &inp.library.projects[*pi];
        let fname = files[rr.0].file.name.clone();
        let uname = unit_name(inp.units, files[rr.0].unit_id.as_deref());
        let col_unit = |field: &str| -> MoneyUnit {
            files[rr.0].tables[rr.1]
                .columns
                .iter()
                .find(|c| c.field == field)
                .and_then(|c| c.unit)
                .unwrap_or(spec.default_unit)
        };
        let plan_tol = (col_unit("annual_plan").factor() / 200).max(1);
        let row = row_mut(files, *rr);
        if row.is_rejected() {
            continue;
        }
        let sheet = row.sheet.clone();
        let push = |row: &mut LedgerRow,
                    id: &str,
                    field: &str,
                    detail: &str,
                    value: &str,
                    expected: &str| {
            let cell = row.cell_of(field);
            let loc = Loc {
                file: &fname,
                sheet: &sheet,
                cell: &cell,
                project_code: &p.code,
                unit: &uname,
            };
            row.findings
                .push(finding(Some(spec), id, &loc, detail, value, expected));
        };
        let month = row.month_done.unwrap_or(0);
        if row.status.is_none() {
            let guess = match (
                row.ytd_done.unwrap_or(0) > 0,
                prev_by_code.get(p.code.as_str()),
            ) {
                (_, Some(pr)) if pr.status.is_started() => pr.status,
                (true, _) => Status::UnderConstruction,
                (false, _) => Status::NotStarted,
            };
            // A status that was typed but not recognised already has its W216.
            if row.cols.contains_key("status") && !row.findings.iter().any(|f| f.id == "W216") {
                push(
                    row,
                    "W216",
                    "status",
                    &format!("建设状态未填写，已按投资情况推定为“{}”", guess.label()),
                    "",
                    "未开工、在建、已竣工或已投产",
                );
            }
            row.status = Some(guess);
        }
        let status = row.status.unwrap_or(Status::NotStarted);
        let ytd = match row.ytd_done {
            Some(v) => v,
            None if status == Status::NotStarted
                || month == 0 && !row.cols.contains_key("ytd_done") =>
            {
                0
            }
            None => {
                push(
                    row,
                    "E215",
                    "ytd_done",
                    "本年累计完成投资未填写",
                    "",
                    "数字（无投资填 0）",
                );
                continue;
            }
        };
        row.ytd_done = Some(ytd);
        row.month_done = Some(month);
        if let Some(plan) = row.annual_plan {
            if (plan - p.annual_plan).abs() > plan_tol {
                push(
                    row,
                    "W306",
                    "annual_plan",
                    "年度计划投资与项目库不一致，统计时以项目库为准",
                    &fmt_wan(plan),
                    &fmt_wan(p.annual_plan),
                );
            }
        }
        let total = row
            .total_investment
            .filter(|t| *t > 0)
            .unwrap_or(p.total_investment);
        if total > 0 && ytd > total {
            push(
                row,
                "W303",
                "ytd_done",
                "本年累计完成投资超过项目总投资",
                &fmt_wan(ytd),
                &format!("≤ {}", fmt_wan(total)),
            );
        }
        if let (Some(plan), Some(t)) = (row.annual_plan, row.total_investment) {
            if t > 0 && plan > t {
                push(
                    row,
                    "W304",
                    "annual_plan",
                    "年度计划投资超过项目总投资",
                    &fmt_wan(plan),
                    &format!("≤ {}", fmt_wan(t)),
                );
            }
        }
        if status == Status::NotStarted && (month > 0 || ytd > 0) {
            push(
                row,
                "W305",
                "status",
                "建设状态为“未开工”，但已填报完成投资",
                "未开工",
                "在建（或核对投资额）",
            );
        }
        match prev_by_code.get(p.code.as_str()) {
            Some(pr) if pr.reported || pr.carried => {
                if ytd < pr.ytd_done {
                    push(
                        row,
                        "E301",
                        "ytd_done",
                        &format!(
                            "1-{}月累计低于上月的1-{}月累计",
                            inp.period.month,
                            inp.period.month - 1
                        ),
                        &fmt_wan(ytd),
                        &format!("≥ {}", fmt_wan(pr.ytd_done)),
                    );
                    continue;
                } else if pr.reported && (ytd - (pr.ytd_done + month)).abs() > tol {
                    push(
                        row,
                        "W302",
                        "ytd_done",
                        &format!(
                            "本年累计应等于上月累计 {} 加本月完成 {}",
                            fmt_wan(pr.ytd_done),
                            fmt_wan(month)
                        ),
                        &fmt_wan(ytd),
                        &fmt_wan(pr.ytd_done + month),
                    );
                }
                if pr.reported && status < pr.status {
                    push(
                        row,
                        "W307",
                        "status",
                        &format!("上月为“{}”，本月为“{}”", pr.status.label(), status.label()),
                        status.label(),
                        &format!("不早于“{}”", pr.status.label()),
                    );
                }
            }
            _ if inp.period.month == 1 && (ytd - month).abs() > tol => {
                push(
                    row,
                    "W302",
                    "ytd_done",
                    "1月的本年累计应等于本月完成",
                    &fmt_wan(ytd),
                    &fmt_wan(month),
                );
            }
            _ => {}
        }
        if let Some(&max) = history_max_month.get(p.code.as_str()) {
            if max > 0
                && month >= spec.checks.jump_min_yuan
                && month as f64 > spec.checks.jump_factor * max as f64
            {
                push(
                    row,
                    "W308",
                    "month_done",
                    &format!(
                        "本月完成投资是该项目以往单月最高值 {} 万元的 {:.0} 倍",
                        fmt_wan(max),
                        month as f64 / max as f64
                    ),
                    &fmt_wan(month),
                    "",
                );
            }
        }
    }

    // 5. Waivers: confirmed warnings are kept but shown as 已核实.
    for f in files.iter_mut() {
        for t in f.tables.iter_mut() {
            for r in t.rows.iter_mut() {
                for fd in r.findings.iter_mut() {
                    if fd.severity == Severity::Warning
                        && inp.waivers.iter().any(|(c, id, v)| {
                            *c == fd.project_code
                                && *id == fd.id
                                && (v.is_empty() || *v == fd.value)
                        })
                    {
                        fd.waived = true;
                    }
                }
            }
        }
    }

    // 6. Records for every library project.
    let missing_units: Vec<String> = inp
        .library
        .unit_ids(inp.units)
        .into_iter()
        .filter(|u| {
            !files
                .iter()
                .any(|f| f.unit_id.as_deref() == Some(u.as_str()) && f.status == FileStatus::Ok)
        })
        .collect();
    for u in &missing_units {
        let n = inp
            .library
            .projects
            .iter()
            .filter(|p| &p.unit_id == u)
            .count();
        let uname = unit_name(inp.units, Some(u));
        findings.push(finding(
            Some(spec),
            "W402",
            &Loc {
                unit: &uname,
                ..Default::default()
            },
            &format!(
                "{uname}本期（{}）未报送{}台账，其 {n} 个项目{}",
                inp.period,
                spec.name,
                match spec.not_reported {
                    NotReportedPolicy::CarryForward => "沿用上月数据",
                    NotReportedPolicy::Zero => "本期按未报送计",
                }
            ),
            "",
            "",
        ));
    }
    let mut records = Vec::with_capacity(inp.library.projects.len());
    for (pi, p) in inp.library.projects.iter().enumerate() {
        let accepted = kept
            .get(&pi)
            .filter(|rr| !files[rr.0].tables[rr.1].rows[rr.2].is_rejected());
        let rec = match accepted {
            Some(rr) => {
                let f = &files[rr.0];
                let row = &f.tables[rr.1].rows[rr.2];
                let status = row.status.unwrap_or(Status::NotStarted);
                ProjectRecord {
                    reported: true,
                    carried: false,
                    month_done: row.month_done.unwrap_or(0),
                    ytd_done: row.ytd_done.unwrap_or(0),
                    since_start_done: row.since_start_done,
                    status,
                    start_date: row.start_date.map(|d| d.to_string()),
                    progress: row.progress.clone().unwrap_or_default(),
                    problems: row.problems.clone().unwrap_or_default(),
                    coordination: row.coordination.clone().unwrap_or_default(),
                    source: format!("{}!{}!{}", f.file.name, row.sheet, row.row + 1),
                    ..base_record(p)
                }
            }
            None => {
                let pr = prev_by_code.get(p.code.as_str());
                // A rejected row already has its error finding (fix and resend
                // now); W401 (report next time) is for projects nobody sent.
                let rejected = kept.contains_key(&pi);
                if !missing_units.contains(&p.unit_id) && !rejected {
                    let uname = p.unit.clone();
                    findings.push(finding(
                        Some(spec),
                        "W401",
                        &Loc {
                            project_code: &p.code,
                            unit: &uname,
                            ..Default::default()
                        },
                        &format!("{}（{}）本期没有被采纳的填报数据", p.name, p.code),
                        "",
                        "",
                    ));
                }
                let rec = match (spec.not_reported, pr) {
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
                };
                ProjectRecord { rejected, ..rec }
            }
        };
        records.push(rec);
    }

    // 7. Row accounting per file.
    let accounts = accounts(files, &superseded.rows);
    findings.sort_by(|a, b| {
        (&a.file, &a.unit, &a.id, &a.project_code).cmp(&(&b.file, &b.unit, &b.id, &b.project_code))
    });
    PeriodResult {
        program: spec.id.clone(),
        period: inp.period,
        records,
        findings,
        accounts,
        missing_units,
    }
}

/// Row accounting per file: every row accepted, rejected or skipped with its
/// reason (a superseded row: `superseded by <file>`).
fn accounts(
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
