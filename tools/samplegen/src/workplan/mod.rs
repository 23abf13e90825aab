//! The work-plan program's data (pipeline `work-plan`, kind `tasks`): the
//! library of the 111 items of 数字经济发展2023年工作计划, read from the raw
//! annex at generation time ([`annex`]), written to
//! `seeds/work-plan-library.xlsx` ([`library`]), and seven months of the
//! responsible units' ledgers in `samples/inbox/2023-MM/` ([`truth`],
//! [`ledgers`]) with the planted mistakes of [`plant`], listed in
//! `samples/planted.json` and the README section of [`readme`].

pub mod annex;
pub mod ledgers;
pub mod library;
pub mod plant;
pub mod readme;
pub mod truth;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use super::names;
use super::planted::PlantedEntry;
use super::rng::Rng;
use super::units::{Unit, UnitExt};
use super::{GenError, YEAR};
use annex::Item;
use ledgers::{layout, month_text, write_ledger, LedgerSpec, Row, Written};
use plant::{plants_of, row_of, Plant, SILENT, SUPPLEMENT};
use truth::{problems, progress, simulate, State, Track, MONTHS};

/// Base seed of the work-plan streams.
pub const SEED: u64 = 0x776f_726b_706c_616e;
/// Pipeline id.
pub const PROGRAM: &str = "work-plan";
/// The annex, relative to the generator's root.
pub const DEFAULT_ANNEX: &str = "../shared/data/work-plan-2023-annex.txt";

/// What [`generate`] wrote.
pub struct WorkPlanOut {
    pub items: usize,
    pub files: usize,
    pub rows: usize,
    pub planted: Vec<PlantedEntry>,
    /// The README section.
    pub readme: String,
}

/// The annex path: `annex` when given, else [`DEFAULT_ANNEX`] under `root`.
pub fn annex_path(root: &Path, annex: Option<&Path>) -> PathBuf {
    annex.map_or_else(|| root.join(DEFAULT_ANNEX), Path::to_path_buf)
}

/// Reads and parses the annex.
pub fn load_items(path: &Path, units: &[Unit]) -> Result<Vec<Item>, GenError> {
    let text = std::fs::read_to_string(path).map_err(|source| GenError::Io {
        path: format!("{}（工作计划附件，可用 --annex 指定）", path.display()),
        source,
    })?;
    annex::parse(&text, units)
}

/// The reporting units of the plan, in the order of the units file.
pub fn reporting_units<'a>(items: &[Item], units: &'a [Unit]) -> Vec<&'a Unit> {
    units
        .iter()
        .filter(|u| items.iter().any(|i| i.reporting.contains(&u.name)))
        .collect()
}

/// Writes the library and the ledgers of every month into `inbox`.
pub fn generate(
    root: &Path,
    units: &[Unit],
    inbox: &Path,
    annex: &Path,
) -> Result<WorkPlanOut, GenError> {
    let items = load_items(annex, units)?;
    library::write_library(&root.join(library::LIBRARY_PATH), &items)?;
    let reporters = reporting_units(&items, units);
    let mut out = WorkPlanOut {
        items: items.len(),
        files: 0,
        rows: 0,
        planted: Vec::new(),
        readme: String::new(),
    };
    let mut july = Vec::new();
    for month in 1..=MONTHS {
        let dir = inbox.join(format!("{YEAR}-{month:02}"));
        for unit in &reporters {
            if (month, unit.name.as_str()) == SILENT {
                out.planted.push(silent_entry());
                continue;
            }
            let written = write_unit_month(&items, unit, month, &dir, &mut out)?;
            if month == MONTHS {
                july.push((unit.name.clone(), written));
            }
        }
    }
    out.readme = readme::render(&items, &reporters, &july, &out);
    Ok(out)
}

/// The truth tracks of a unit (its own items, in 序号 order).
fn tracks_of(items: &[Item], unit: &str) -> Vec<Track> {
    items
        .iter()
        .filter(|i| i.reporting.iter().any(|u| u == unit))
        .map(|i| simulate(i, unit))
        .collect()
}

/// The row a unit writes for its track in `month`.
fn clean_row(item: &Item, track: &Track, unit: &str, month: u32, lay: &ledgers::Layout) -> Row {
    let state = track.state(month);
    Row {
        seq: item.seq.to_string(),
        group: item.group.clone(),
        text: item.text_or_lost().to_string(),
        unit: unit.to_string(),
        due: month_text(lay, item.due_month),
        progress: progress(track, month),
        state: state.label().to_string(),
        done: match (state, track.done) {
            (State::Done, Some(d)) => month_text(lay, d),
            _ => String::new(),
        },
        problems: problems(track, month),
        remark: if item.lead == unit {
            String::new()
        } else {
            "配合单位".to_string()
        },
        item: Some(item.seq),
    }
}

/// Applies the plants to the rows; true when the file renumbers its rows.
fn apply(
    plants: &[Plant],
    rows: &mut Vec<Row>,
    items: &[Item],
    unit: &str,
    month: u32,
    lay: &ledgers::Layout,
) -> bool {
    let mut renumber = false;
    for p in plants {
        let at = p
            .seq()
            .and_then(|s| rows.iter().position(|r| r.item == Some(s)));
        match (*p, at) {
            (Plant::BadState { state, .. }, Some(i)) => rows[i].state = state.to_string(),
            (Plant::Backwards { .. }, Some(i)) => {
                rows[i].state = State::OnTrack.label().to_string();
                rows[i].progress = "正按计划推进，预计年底前完成。".to_string();
                rows[i].done.clear();
            }
            (Plant::NoDoneDate { .. }, Some(i)) => rows[i].done.clear(),
            (Plant::EmptyProgress { .. }, Some(i)) => rows[i].progress.clear(),
            (Plant::Retyped { text, .. }, Some(i)) => {
                rows[i].text = text.to_string();
                renumber = true;
            }
            (Plant::Omit { .. }, Some(i)) => {
                rows.remove(i);
            }
            (Plant::Foreign { seq }, None) => {
                if let Some(item) = items.iter().find(|i| i.seq == seq) {
                    let track = simulate(item, &item.lead);
                    let mut row = clean_row(item, &track, unit, month, lay);
                    row.remark = String::new();
                    rows.push(row);
                }
            }
            (Plant::Unknown { seq, text }, _) => rows.push(Row {
                seq: seq.to_string(),
                text: text.to_string(),
                unit: unit.to_string(),
                due: month_text(lay, 12),
                progress: "已完成项目前期工作，正在加快推进建设。".to_string(),
                state: State::OnTrack.label().to_string(),
                problems: "无".to_string(),
                ..Row::default()
            }),
            _ => {}
        }
    }
    if renumber {
        for (k, row) in rows.iter_mut().enumerate() {
            row.seq = (k + 1).to_string();
        }
    }
    renumber
}

fn signers(unit: &Unit) -> (String, String, String) {
    let mut rng = Rng::derive(SEED, &format!("wp/signer/{}", unit.id));
    let a = names::person(&mut rng);
    let phone = names::landline(&mut rng, unit.area_code());
    let b = names::person(&mut rng);
    (a, phone, b)
}

fn fill_day(unit: &Unit, month: u32) -> u32 {
    let mut rng = Rng::derive(SEED, &format!("wp/fill/{}/{month}", unit.id));
    rng.range(3, 7) as u32
}

/// Writes one unit's ledger of one month (and its 补报 file), recording the
/// planted findings.
fn write_unit_month(
    items: &[Item],
    unit: &Unit,
    month: u32,
    dir: &Path,
    out: &mut WorkPlanOut,
) -> Result<Written, GenError> {
    let name = unit.name.as_str();
    let lay = layout(name);
    let tracks = tracks_of(items, name);
    let mut rows: Vec<Row> = tracks
        .iter()
        .filter_map(|t| {
            let item = items.iter().find(|i| i.seq == t.seq)?;
            Some(clean_row(item, t, name, month, &lay))
        })
        .collect();
    let plants = plants_of(month, name);
    apply(&plants, &mut rows, items, name, month, &lay);
    let supplement = (month, name) == (SUPPLEMENT.0, SUPPLEMENT.1);
    let mut corrected = None;
    if supplement {
        if let Some(i) = rows.iter().position(|r| r.item == Some(SUPPLEMENT.2)) {
            corrected = Some(rows[i].clone());
            rows[i].state = State::OnTrack.label().to_string();
            rows[i].progress = "正在组织推进，按计划实施中。".to_string();
            rows[i].done.clear();
        }
    }
    let day = fill_day(unit, month);
    let spec = LedgerSpec {
        unit: name,
        full_name: unit.full_name(),
        layout: &lay,
        month,
        fill_day: day,
        rows: &rows,
        signers: signers(unit),
        suffix: "",
    };
    let written = write_ledger(&spec, dir)?;
    out.files += 1;
    out.rows += rows.len();
    for p in &plants {
        out.planted.push(entry(month, name, &written, &rows, *p));
    }
    if let Some(row) = corrected {
        let fixed = [row];
        let spec = LedgerSpec {
            fill_day: day + 2,
            rows: &fixed,
            suffix: "（补报）",
            ..spec
        };
        write_ledger(&spec, dir)?;
        out.files += 1;
        out.rows += 1;
        out.planted
            .push(w008(month, name, &written.file_name, SUPPLEMENT.2));
    }
    Ok(written)
}

fn period(month: u32) -> String {
    format!("{YEAR}-{month:02}")
}

/// The planted finding of `p` in a written ledger.
fn entry(month: u32, unit: &str, w: &Written, rows: &[Row], p: Plant) -> PlantedEntry {
    use ledgers::Field;
    let field = match p {
        Plant::Unknown { .. } | Plant::Foreign { .. } | Plant::Retyped { .. } => Field::Text,
        Plant::Backwards { .. } | Plant::BadState { .. } => Field::State,
        Plant::NoDoneDate { .. } => Field::Done,
        Plant::EmptyProgress { .. } => Field::Progress,
        Plant::Omit { .. } => Field::Seq,
    };
    let (file, sheet, cell) = match (p, row_of(rows, p)) {
        (Plant::Omit { .. }, _) | (_, None) => (String::new(), String::new(), String::new()),
        (_, Some(i)) => (w.file_name.clone(), w.sheet.clone(), w.cell(i, field)),
    };
    let seq = p.seq().map(|s| s.to_string()).unwrap_or_default();
    let what = match p {
        Plant::Unknown { seq, text } => {
            format!("序号“{seq}”、工作举措“{text}”不是工作计划中的任务")
        }
        Plant::Foreign { seq } => {
            format!("报送了第{seq}项，该项不是本单位的任务（责任单位另有其人）")
        }
        Plant::Backwards { seq } => {
            format!("第{seq}项上月已完成，本月完成状态填为“按序时推进”（状态倒退）")
        }
        Plant::NoDoneDate { seq } => format!("第{seq}项完成状态为“已完成”，完成时间空白"),
        Plant::EmptyProgress { seq } => format!("第{seq}项进展情况空白"),
        Plant::Retyped { seq, text } => format!(
            "序号改为本表流水号，第{seq}项工作举措被改写为“{text}”，按文字最接近的任务认定并提示"
        ),
        Plant::BadState { seq, state } => {
            format!("第{seq}项完成状态“{state}”无法识别（应为已完成/按序时推进/滞后/未启动）")
        }
        Plant::Omit { seq } => format!("{unit}本月台账漏报第{seq}项"),
    };
    PlantedEntry {
        period: period(month),
        program: PROGRAM.to_string(),
        unit: unit.to_string(),
        file,
        sheet,
        cell,
        check: p.check().to_string(),
        project_code: seq,
        what,
    }
}

fn w008(month: u32, unit: &str, file: &str, seq: u32) -> PlantedEntry {
    PlantedEntry {
        period: period(month),
        program: PROGRAM.to_string(),
        unit: unit.to_string(),
        file: file.to_string(),
        sheet: String::new(),
        cell: String::new(),
        check: "W008".to_string(),
        project_code: String::new(),
        what: format!(
            "{unit}本月报送台账后又报送（补报）文件，更正第{seq}项为已完成；台账中的第{seq}项以较晚的补报文件为准"
        ),
    }
}

fn silent_entry() -> PlantedEntry {
    let (month, unit) = SILENT;
    PlantedEntry {
        period: period(month),
        program: PROGRAM.to_string(),
        unit: unit.to_string(),
        file: String::new(),
        sheet: String::new(),
        cell: String::new(),
        check: "W402".to_string(),
        project_code: String::new(),
        what: format!("{unit}{YEAR}年{month}月未报送数字经济工作计划推进情况"),
    }
}
