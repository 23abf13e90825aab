//! Validate for the tasks kind: the period's files of a tasks program, its
//! plan and the earlier months → one [`TaskRecord`] per item and responsible
//! unit, the findings, and the row accounting. Pure. Each step is a function
//! that returns what it decided; [`validate`] applies them in order.

use std::collections::{BTreeMap, HashMap};

use super::plan::{similarity, text_key, Plan, PlanItem};
use super::{TaskRecord, TaskState};
use crate::checks::{finding, Loc};
use crate::config::PipelineSpec;
use crate::model::{
    FileStatus, Finding, LedgerRow, ParsedFile, Period, PeriodResult, StoredPeriod,
};
use crate::pipeline::validate::{order_key, RowRef};
use crate::seeds::Units;

/// Everything tasks validation reads besides the files.
pub struct Inputs<'a> {
    pub spec: &'a PipelineSpec,
    pub plan: &'a Plan,
    pub units: &'a Units,
    pub period: Period,
    /// Earlier stored periods of the same year, oldest first.
    pub history: &'a [StoredPeriod],
}

/// A row's item: the plan number, and how it was recognised.
#[derive(Debug, Clone, PartialEq)]
pub enum Matched {
    /// The item (by number, or by exact text).
    Item(u32),
    /// By the closest text among the unit's items (W507).
    Closest(u32, Finding),
    /// Refused (E501 not in the plan, E502 another unit's item).
    Refused(Finding),
}

fn unit_name(units: &Units, id: &str) -> String {
    units.by_id(id).map(|u| u.name.clone()).unwrap_or_default()
}

fn row_finding(
    inp: &Inputs<'_>,
    f: &ParsedFile,
    row: &LedgerRow,
    (key, id): (&str, &str),
    detail: &str,
    value: &str,
    expected: &str,
) -> Finding {
    let uname = f
        .unit_id
        .as_deref()
        .map(|u| unit_name(inp.units, u))
        .unwrap_or_default();
    let cell = if row.cols.contains_key(key) {
        row.cell_of(key)
    } else {
        row.identity_cell()
    };
    let seq = row.extra_text("seq").unwrap_or_default().to_string();
    let loc = Loc {
        file: &f.file.name,
        sheet: &row.sheet,
        cell: &cell,
        project_code: &seq,
        unit: &uname,
    };
    finding(Some(inp.spec), id, &loc, detail, value, expected)
}

/// The plan number a 序号 cell states (`3`, `3.0`, `（3）`), if any.
fn seq_number(row: &LedgerRow) -> Option<u32> {
    let t = row.extra_text("seq")?;
    let digits: String = t
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let n: f64 = digits.parse().ok()?;
    (n.fract() == 0.0 && n >= 1.0).then_some(n as u32)
}

fn short(s: &str) -> String {
    let mut t: String = s.chars().take(24).collect();
    if s.chars().count() > 24 {
        t.push('…');
    }
    t
}

/// Which item a row reports: by 序号 when the text agrees with the plan's
/// item of that number (or is empty), else by the closest text among the
/// unit's own items; an item of another unit or none at all is refused.
pub fn match_row(inp: &Inputs<'_>, f: &ParsedFile, unit_id: &str, row: &LedgerRow) -> Matched {
    let text = row.name.as_deref().unwrap_or("");
    let key = text_key(text);
    let agrees =
        |it: &PlanItem| it.lost || key.is_empty() || similarity(&key, &text_key(&it.text)) >= 0.8;
    let by_no = seq_number(row)
        .and_then(|n| inp.plan.by_no(n))
        .filter(|it| agrees(it));
    let own = |it: &PlanItem| it.units.iter().any(|u| u == unit_id);
    if let Some(it) = by_no {
        if own(it) {
            return Matched::Item(it.no);
        }
        return Matched::Refused(another_units(inp, f, row, it));
    }
    if key.is_empty() {
        return Matched::Refused(not_in_plan(inp, f, row, None));
    }
    let min = inp.spec.tasks.min_similarity;
    let closest = Plan::closest(inp.plan.of_unit(unit_id), text);
    let how = |s: f64| format!("相似度 {:.0}%", s * 100.0);
    // A text cut short (the item's opening words) is the one own item holding it.
    let (found, how) = match closest.filter(|(_, s)| *s >= min) {
        Some((it, s)) => (Some((it, s)), how(s)),
        None => (
            holding(inp.plan.of_unit(unit_id), &key).map(|it| (it, 0.0)),
            "填报文字为计划原文的一部分".to_string(),
        ),
    };
    if let Some((it, s)) = found {
        if s >= 1.0 {
            return Matched::Item(it.no);
        }
        let seq = match row.extra_text("seq").unwrap_or("").trim() {
            "" => "未填序号".to_string(),
            _ if seq_number(row) == Some(it.no) => {
                format!("第 {} 项的工作举措文字与计划不完全一致", it.no)
            }
            n => format!("序号“{n}”与计划不符"),
        };
        let detail = format!(
            "{seq}，按文字最接近的本单位任务计入：第 {} 项“{}”（{how}）",
            it.no,
            short(&it.text),
        );
        let fd = row_finding(
            inp,
            f,
            row,
            ("name", "W507"),
            &detail,
            &short(text),
            &format!("第 {} 项 {}", it.no, it.text),
        );
        // The finding names the item it counted for, not the retyped number.
        let fd = Finding {
            project_code: it.no.to_string(),
            ..fd
        };
        return Matched::Closest(it.no, fd);
    }
    match Plan::closest(inp.plan.items.iter(), text).filter(|(_, s)| *s >= min) {
        Some((it, _)) => Matched::Refused(another_units(inp, f, row, it)),
        None => Matched::Refused(not_in_plan(
            inp,
            f,
            row,
            Plan::closest(inp.plan.items.iter(), text).map(|(it, _)| it),
        )),
    }
}

/// The one item of `items` whose text holds `key` (at least 10 characters):
/// a unit that typed only the item's first words.
fn holding<'a>(items: impl Iterator<Item = &'a PlanItem>, key: &str) -> Option<&'a PlanItem> {
    if key.chars().count() < 10 {
        return None;
    }
    let mut hits = items.filter(|it| !it.lost && text_key(&it.text).contains(key));
    match (hits.next(), hits.next()) {
        (Some(it), None) => Some(it),
        _ => None,
    }
}

fn another_units(inp: &Inputs<'_>, f: &ParsedFile, row: &LedgerRow, it: &PlanItem) -> Finding {
    let owners: Vec<String> = it.units.iter().map(|u| unit_name(inp.units, u)).collect();
    let detail = format!(
        "第 {} 项“{}”的责任单位是{}，不含本单位，本行不计入",
        it.no,
        short(&it.text),
        owners.join("、")
    );
    row_finding(
        inp,
        f,
        row,
        ("name", "E502"),
        &detail,
        &short(row.name.as_deref().unwrap_or("")),
        &owners.join("、"),
    )
}

fn not_in_plan(
    inp: &Inputs<'_>,
    f: &ParsedFile,
    row: &LedgerRow,
    near: Option<&PlanItem>,
) -> Finding {
    let hint = near
        .map(|it| format!("；最接近的是第 {} 项“{}”", it.no, short(&it.text)))
        .unwrap_or_default();
    let detail = format!("序号和工作举措都对应不上计划中的任务，本行不计入{hint}");
    let value = format!(
        "{} {}",
        row.extra_text("seq").unwrap_or(""),
        short(row.name.as_deref().unwrap_or(""))
    );
    row_finding(
        inp,
        f,
        row,
        ("name", "E501"),
        &detail,
        value.trim(),
        "计划中的序号和工作举措",
    )
}

/// One row per (unit, item): the row of the later file (填报时间, file time,
/// name), and of two rows in one file the lower one; the others are skipped
/// as `superseded by <file>`.
pub fn settle(
    files: &[ParsedFile],
    matched: &[(RowRef, u32)],
) -> (BTreeMap<(String, u32), RowRef>, BTreeMap<RowRef, String>) {
    let mut kept: BTreeMap<(String, u32), RowRef> = BTreeMap::new();
    let mut superseded = BTreeMap::new();
    let later = |a: RowRef, b: RowRef| {
        (order_key(&files[a.0]), a.1, a.2) > (order_key(&files[b.0]), b.1, b.2)
    };
    for &(r, no) in matched {
        let unit = files[r.0].unit_id.clone().unwrap_or_default();
        match kept.get(&(unit.clone(), no)).copied() {
            None => {
                kept.insert((unit, no), r);
            }
            Some(k) if later(r, k) => {
                superseded.insert(k, files[r.0].file.name.clone());
                kept.insert((unit, no), r);
            }
            Some(_) => {
                let by = kept
                    .get(&(unit, no))
                    .map(|k| files[k.0].file.name.clone())
                    .unwrap_or_default();
                superseded.insert(r, by);
            }
        }
    }
    (kept, superseded)
}

/// W008 once per file whose items a later file of the unit reports instead.
fn superseded_files(
    inp: &Inputs<'_>,
    files: &[ParsedFile],
    superseded: &BTreeMap<RowRef, String>,
) -> Vec<Finding> {
    let mut lost: BTreeMap<usize, (usize, std::collections::BTreeSet<&str>)> = BTreeMap::new();
    for (r, by) in superseded {
        if *by != files[r.0].file.name {
            let e = lost.entry(r.0).or_default();
            e.0 += 1;
            e.1.insert(by.as_str());
        }
    }
    lost.into_iter()
        .map(|(fi, (n, by))| {
            let f = &files[fi];
            let uname = f.unit_id.as_deref().map(|u| unit_name(inp.units, u)).unwrap_or_default();
            let by: Vec<&str> = by.into_iter().collect();
            let detail = format!(
                "本文件中 {n} 项任务在本单位较晚报送的文件“{}”中也有，以较晚的文件为准（先比填报时间，其次文件修改时间，最后文件名），本文件中的这些行跳过不计",
                by.join("”“")
            );
            let loc = Loc { file: &f.file.name, unit: &uname, ..Default::default() };
            finding(Some(inp.spec), "W008", &loc, &detail, "", by.join("、").as_str())
        })
        .collect()
}

/// What a kept row says, checked: its state (E508 when none), and the
/// warnings W503 (backwards), W504 (done, no date), W505 (no progress),
/// W506 (overdue).
pub fn check_row(
    inp: &Inputs<'_>,
    f: &ParsedFile,
    row: &LedgerRow,
    it: &PlanItem,
    last: Option<&TaskRecord>,
) -> (Option<TaskState>, Vec<Finding>) {
    let mut out = Vec::new();
    let seen = row.extra_text("state").unwrap_or("");
    let state = TaskState::parse(seen);
    let Some(state) = state else {
        let detail = if seen.is_empty() {
            "完成状态为空，本行不计入"
        } else {
            "完成状态无法识别，本行不计入"
        };
        out.push(row_finding(
            inp,
            f,
            row,
            ("state", "E508"),
            detail,
            seen,
            "已完成、按序时推进、滞后 或 未启动",
        ));
        return (None, out);
    };
    if let Some(prev) = last.and_then(|l| l.state) {
        if state.stage() < prev.stage() {
            let detail = format!("上月为“{}”，本月为“{}”", prev.label(), state.label());
            out.push(row_finding(
                inp,
                f,
                row,
                ("state", "W503"),
                &detail,
                state.label(),
                prev.label(),
            ));
        }
    }
    if state == TaskState::Done && row.extra_month("done_date").is_none() {
        out.push(row_finding(
            inp,
            f,
            row,
            ("done_date", "W504"),
            "完成状态为已完成，但没有填写完成时间",
            "",
            "完成年月，如 2023年6月",
        ));
    }
    if row.progress.as_deref().is_none_or(|p| p.trim().is_empty()) {
        out.push(row_finding(
            inp,
            f,
            row,
            ("progress", "W505"),
            "进展情况为空",
            "",
            "本月工作进展",
        ));
    }
    if state != TaskState::Done && it.due <= inp.period {
        let detail = format!(
            "完成时限为 {}年{}月，本期仍为“{}”",
            it.due.year,
            it.due.month,
            state.label()
        );
        out.push(row_finding(
            inp,
            f,
            row,
            ("state", "W506"),
            &detail,
            state.label(),
            "已完成",
        ));
    }
    (Some(state), out)
}

/// Last period's records by (unit, item), when stored.
fn last_records<'a>(inp: &Inputs<'a>) -> HashMap<(&'a str, u32), &'a TaskRecord> {
    inp.history
        .iter()
        .rev()
        .find(|p| {
            Period::parse_period(&p.period) == Some(inp.period.prev()) && inp.period.month > 1
        })
        .map(|p| {
            p.tasks
                .iter()
                .map(|r| ((r.unit_id.as_str(), r.no), r))
                .collect()
        })
        .unwrap_or_default()
}

/// File-level: a file with no unit is refused (E007); one of another period
/// is refused (E006).
fn settle_files(inp: &Inputs<'_>, files: &mut [ParsedFile]) -> Vec<Finding> {
    let mut out = Vec::new();
    for f in files.iter_mut().filter(|f| f.status == FileStatus::Ok) {
        if f.unit_id.is_none() {
            f.status = FileStatus::Rejected;
            f.error = Some("无法识别填报单位".to_string());
            let loc = Loc {
                file: &f.file.name,
                ..Default::default()
            };
            out.push(finding(
                Some(inp.spec),
                "E007",
                &loc,
                "文件名、表格标题和“填报单位”行都没有写明是哪个单位报送的",
                "",
                "单位名称",
            ));
            continue;
        }
        if let Some(p) = f.declared_period.filter(|p| *p != inp.period) {
            f.status = FileStatus::Rejected;
            f.error = Some(format!("文件所属期别为 {p}，不是本期 {}", inp.period));
            let loc = Loc {
                file: &f.file.name,
                ..Default::default()
            };
            let detail = format!(
                "文件标题或文件名表明是 {}年{}月 的数据，本期为 {}年{}月，该文件不计入本期",
                p.year, p.month, inp.period.year, inp.period.month
            );
            out.push(finding(
                Some(inp.spec),
                "E006",
                &loc,
                &detail,
                &p.to_string(),
                &inp.period.to_string(),
            ));
        }
    }
    out
}

/// Every row of the files still in, matched to its item (the refused rows
/// and W507 get their finding).
fn match_all(inp: &Inputs<'_>, files: &mut [ParsedFile]) -> Vec<(RowRef, u32)> {
    let mut verdicts = Vec::new();
    for (fi, f) in files.iter().enumerate() {
        if f.status != FileStatus::Ok {
            continue;
        }
        let unit = f.unit_id.as_deref().unwrap_or_default();
        for (ti, t) in f.tables.iter().enumerate() {
            for (ri, row) in t.rows.iter().enumerate() {
                if !row.is_rejected() {
                    verdicts.push(((fi, ti, ri), match_row(inp, f, unit, row)));
                }
            }
        }
    }
    let mut matched = Vec::new();
    for (r, m) in verdicts {
        let row = &mut files[r.0].tables[r.1].rows[r.2];
        match m {
            Matched::Item(no) => matched.push((r, no)),
            Matched::Closest(no, fd) => {
                row.findings.push(fd);
                matched.push((r, no));
            }
            Matched::Refused(fd) => row.findings.push(fd),
        }
    }
    matched
}

/// Runs every check of a tasks program's period.
pub fn validate(inp: &Inputs<'_>, files: &mut [ParsedFile]) -> PeriodResult {
    let mut findings = settle_files(inp, files);
    let last = last_records(inp);
    let matched = match_all(inp, files);
    let (kept, superseded) = settle(files, &matched);
    findings.extend(superseded_files(inp, files, &superseded));
    // Check kept rows; their verdicts.
    let mut states: HashMap<RowRef, TaskState> = HashMap::new();
    for ((unit, no), r) in &kept {
        let Some(it) = inp.plan.by_no(*no) else {
            continue;
        };
        let f = &files[r.0];
        let row = &f.tables[r.1].rows[r.2];
        let (state, fds) = check_row(inp, f, row, it, last.get(&(unit.as_str(), *no)).copied());
        files[r.0].tables[r.1].rows[r.2].findings.extend(fds);
        if let Some(s) = state {
            states.insert(*r, s);
        }
    }
    let missing_units = missing_units(inp, files);
    findings.extend(not_sent(inp, &missing_units));
    let (tasks, w509) = records(inp, files, &kept, &states, &last, &missing_units);
    findings.extend(w509);
    let accounts = crate::pipeline::validate::accounts(files, &superseded);
    PeriodResult {
        program: inp.spec.id.clone(),
        period: inp.period,
        records: Vec::new(),
        tasks,
        findings,
        accounts,
        missing_units,
    }
}

/// Responsible units that sent no file accepted this period.
fn missing_units(inp: &Inputs<'_>, files: &[ParsedFile]) -> Vec<String> {
    let mut all: Vec<&str> = inp
        .plan
        .items
        .iter()
        .flat_map(|i| i.units.iter().map(String::as_str))
        .collect();
    all.sort_unstable();
    all.dedup();
    let order = |id: &str| {
        inp.units
            .list
            .iter()
            .position(|u| u.id == id)
            .unwrap_or(usize::MAX)
    };
    let mut out: Vec<String> = all
        .into_iter()
        .filter(|u| {
            !files
                .iter()
                .any(|f| f.unit_id.as_deref() == Some(*u) && f.status == FileStatus::Ok)
        })
        .map(str::to_string)
        .collect();
    out.sort_by_key(|u| order(u));
    out
}

/// W402 for each responsible unit that sent nothing.
fn not_sent(inp: &Inputs<'_>, missing: &[String]) -> Vec<Finding> {
    missing
        .iter()
        .map(|u| {
            let n = inp.plan.of_unit(u).count();
            let uname = unit_name(inp.units, u);
            let loc = Loc {
                unit: &uname,
                ..Default::default()
            };
            let detail = format!(
                "{uname}本期（{}）未报送{}进展，其承担的 {n} 项任务按未报送计（沿用上月状态显示）",
                inp.period, inp.spec.name
            );
            finding(Some(inp.spec), "W402", &loc, &detail, "", "")
        })
        .collect()
}

/// One record per item and responsible unit: the kept accepted row, else the
/// latest earlier state carried (not counted as reported); W509 for an item a
/// unit that did report left out.
fn records(
    inp: &Inputs<'_>,
    files: &[ParsedFile],
    kept: &BTreeMap<(String, u32), RowRef>,
    states: &HashMap<RowRef, TaskState>,
    last: &HashMap<(&str, u32), &TaskRecord>,
    missing: &[String],
) -> (Vec<TaskRecord>, Vec<Finding>) {
    let mut out = Vec::new();
    let mut w509 = Vec::new();
    for it in &inp.plan.items {
        for (k, u) in it.units.iter().enumerate() {
            let mut rec = TaskRecord {
                no: it.no,
                group: it.group.clone(),
                item: it.text.clone(),
                unit_id: u.clone(),
                unit: unit_name(inp.units, u),
                lead: k == 0,
                due: it.due.to_string(),
                reported: false,
                carried: false,
                state: None,
                done_on: None,
                progress: String::new(),
                problems: String::new(),
                overdue: false,
                source: String::new(),
                rejected: false,
            };
            let row_ref = kept.get(&(u.clone(), it.no)).copied();
            let accepted = row_ref.filter(|r| {
                states.contains_key(r) && !files[r.0].tables[r.1].rows[r.2].is_rejected()
            });
            if let Some(r) = accepted {
                let f = &files[r.0];
                let row = &f.tables[r.1].rows[r.2];
                rec.reported = true;
                rec.state = states.get(&r).copied();
                rec.done_on = row.extra_month("done_date").map(|m| m.to_string());
                rec.progress = row.progress.clone().unwrap_or_default();
                rec.problems = row.problems.clone().unwrap_or_default();
                rec.source = format!("{}!{}!{}", f.file.name, row.sheet, row.row + 1);
            } else {
                rec.rejected = row_ref.is_some();
                if let Some(prev) = last.get(&(u.as_str(), it.no)) {
                    rec.carried = prev.state.is_some();
                    rec.state = prev.state;
                    rec.done_on = prev.done_on.clone();
                    rec.progress = prev.progress.clone();
                    rec.problems = prev.problems.clone();
                }
                if !missing.contains(u) && row_ref.is_none() {
                    let loc = Loc {
                        unit: &rec.unit,
                        project_code: &it.no.to_string(),
                        ..Default::default()
                    };
                    let detail = format!(
                        "{}本期报送的台账中没有第 {} 项“{}”的进展",
                        rec.unit,
                        it.no,
                        short(&it.text)
                    );
                    w509.push(finding(
                        Some(inp.spec),
                        "W509",
                        &loc,
                        &detail,
                        "",
                        &format!("第 {} 项", it.no),
                    ));
                }
            }
            rec.overdue = rec.state != Some(TaskState::Done) && it.due <= inp.period;
            out.push(rec);
        }
    }
    (out, w509)
}
