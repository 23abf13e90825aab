//! The program per sheet (issue 9, item 2): one workbook from 南昌市 holding
//! both programs' ledgers goes to both programs, each sheet to its own. The
//! sheets are the real samples' ledgers of 南昌市 for July 2023
//! (`samples/inbox/2023-07`), read with taizhang's own reader and copied cell
//! for cell (merges and hidden rows too) into one workbook; each program's
//! figures must equal those the two separate sample ledgers give.

use assert_cmd::Command;
use rust_xlsxwriter::{Format, Workbook};
use serde_json::Value;
use std::path::{Path, PathBuf};
use taizhang::model::{Cell, FileFormat, RawSheet};

use super::common::root;

const JULY: &str = "2023-07";
const NI_FILE: &str = "南昌市新基建项目调度表（2023年7月）.xlsx";
const DE_FILE: &str = "南昌市数字经济项目调度表（2023年7月）.xlsx";

fn sample(name: &str) -> PathBuf {
    root().join("samples/inbox").join(JULY).join(name)
}

/// The one ledger sheet of a sample file, as taizhang reads it.
fn sample_sheet(name: &str) -> RawSheet {
    let bytes = std::fs::read(sample(name)).unwrap();
    let raw = taizhang::pipeline::ingest::read(FileFormat::Xlsx, &bytes).unwrap();
    assert_eq!(raw.sheets.len(), 1, "{name}");
    raw.sheets.into_iter().next().unwrap()
}

/// Writes `sheets` (name, sheet) into one workbook at `path`.
fn write_workbook(path: &Path, sheets: &[(&str, &RawSheet)]) {
    let mut wb = Workbook::new();
    for (name, s) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for m in &s.merges {
            ws.merge_range(
                m.first_row,
                m.first_col as u16,
                m.last_row,
                m.last_col as u16,
                "",
                &Format::new(),
            )
            .unwrap();
        }
        for (r, row) in s.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    Cell::Empty => {}
                    Cell::Number(f) => {
                        ws.write_number(r, c, *f).unwrap();
                    }
                    Cell::Text(t) => {
                        ws.write_string(r, c, &**t).unwrap();
                    }
                    Cell::Bool(b) => {
                        ws.write_boolean(r, c, *b).unwrap();
                    }
                    Cell::Date(f) => {
                        let fmt = Format::new().set_num_format("yyyy-mm-dd");
                        ws.write_number_with_format(r, c, *f, &fmt).unwrap();
                    }
                    Cell::Error(e) => {
                        ws.write_string(r, c, &**e).unwrap();
                    }
                }
            }
        }
        for r in &s.hidden_rows {
            ws.set_row_hidden(*r).unwrap();
        }
    }
    wb.save(path).unwrap();
}

/// The same sheet with a text taken out of every cell of its first rows
/// (title, 填报单位 line), so that only its codes can tell its program.
fn without_title_word(s: &RawSheet, word: &str) -> RawSheet {
    let mut s = s.clone();
    for row in s.rows.iter_mut().take(6) {
        for c in row.iter_mut() {
            if let Cell::Text(t) = c {
                *t = t.replace(word, "").into();
            }
        }
    }
    s
}

/// Both programs' manifests of a July run over an inbox.
struct Run {
    ni: Value,
    de: Value,
    out: PathBuf,
}

fn run(inbox: &Path) -> Run {
    run_with(inbox, JULY, &[])
}

/// Runs `period` with extra arguments; a program not run reads as `null`.
fn run_with(inbox: &Path, period: &str, extra: &[&str]) -> Run {
    let out = inbox.parent().unwrap().join("out");
    Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(root())
        .args(["run", "--quiet", "--inbox"])
        .arg(inbox)
        .arg("--out")
        .arg(&out)
        .args(["--period", period])
        .args(extra)
        .assert()
        .success();
    let read = |p: &str| -> Value {
        std::fs::read_to_string(out.join(p).join(period).join("manifest.json"))
            .map(|text| serde_json::from_str(&text).unwrap())
            .unwrap_or(Value::Null)
    };
    Run {
        ni: read("new-infra"),
        de: read("digital-economy"),
        out,
    }
}

/// A temp inbox holding the given files for July; returns (dir guard, inbox).
fn inbox() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(inbox.join(JULY)).unwrap();
    (dir, inbox)
}

fn unit<'a>(m: &'a Value, name: &str) -> &'a Value {
    m["by_unit"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit"] == name)
        .unwrap_or_else(|| panic!("no {name} in by_unit"))
}

fn input<'a>(m: &'a Value, file: &str) -> &'a Value {
    let hits: Vec<&Value> = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["file"] == file)
        .collect();
    assert_eq!(hits.len(), 1, "{file} in {}", m["inputs"]);
    hits[0]
}

/// The row accounting of an input: rows read, accepted, rejected, skipped, reasons.
fn rows(i: &Value) -> Value {
    serde_json::json!([
        i["rows_read"],
        i["accepted"],
        i["rejected"],
        i["skipped"],
        i["skipped_reasons"]
    ])
}

/// (id, sheet-free cell, project) of every finding on a file, sorted.
fn findings_of(m: &Value, file: &str) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = m["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"] == file)
        .map(|f| {
            (
                f["id"].as_str().unwrap_or_default().to_string(),
                f["cell"].as_str().unwrap_or_default().to_string(),
                f["project_code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn ids(m: &Value) -> Vec<String> {
    m["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["id"].as_str().map(str::to_string))
        .collect()
}

/// 南昌市's units named by W402 (未报送).
fn not_reported(m: &Value) -> Vec<String> {
    m["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "W402")
        .filter_map(|f| f["unit"].as_str().map(str::to_string))
        .collect()
}

/// The two sample ledgers of 南昌市 as they are: what the split must give.
fn separate() -> &'static Run {
    static RUN: std::sync::OnceLock<(tempfile::TempDir, Run)> = std::sync::OnceLock::new();
    &RUN.get_or_init(|| {
        let (dir, inbox) = inbox();
        for f in [NI_FILE, DE_FILE] {
            std::fs::copy(sample(f), inbox.join(JULY).join(f)).unwrap();
        }
        let r = run(&inbox);
        (dir, r)
    })
    .1
}

/// Asserts a combined workbook gave each program what its sample ledger gives.
fn assert_like_samples(r: &Run, combined: &str, ni_sheet: &str, de_sheet: &str) {
    let s = separate();
    for (prog, got, want, want_file, sheet, other) in [
        ("new-infra", &r.ni, &s.ni, NI_FILE, ni_sheet, de_sheet),
        ("digital-economy", &r.de, &s.de, DE_FILE, de_sheet, ni_sheet),
    ] {
        // The samples' figures: 南昌市 and the whole program alike.
        assert_eq!(unit(got, "南昌市"), unit(want, "南昌市"), "{prog}");
        assert!(
            unit(got, "南昌市")["reported"].as_i64().unwrap() > 0,
            "{prog}"
        );
        assert_eq!(got["totals"], want["totals"], "{prog}");
        assert_eq!(got["by_unit"], want["by_unit"], "{prog}");
        // The file is listed once, with only its own sheet and its rows.
        assert_eq!(got["inputs"].as_array().unwrap().len(), 1, "{prog}");
        let i = input(got, combined);
        let w = input(want, want_file);
        assert_eq!(i["sheet"], sheet, "{prog}");
        assert_eq!(rows(i), rows(w), "{prog}");
        assert_eq!(i["status"], "ok", "{prog}");
        assert_eq!(i["unit"], "南昌市", "{prog}");
        let skipped: Vec<&str> = i["skipped_sheets"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(skipped.len(), 1, "{prog}: {skipped:?}");
        assert!(
            skipped[0].starts_with(&format!("{other}：属于")),
            "{prog}: {skipped:?}"
        );
        // The same findings at the same cells; none for the other program's rows.
        assert_eq!(
            findings_of(got, combined),
            findings_of(want, want_file),
            "{prog}"
        );
        assert!(!ids(got).iter().any(|id| id == "E201"), "{prog}: E201");
        assert!(
            !not_reported(got).iter().any(|u| u == "南昌市"),
            "{prog}: 南昌市 未报送"
        );
        // 南昌市's feedback workbook re-renders only this program's sheet.
        let feedback: Vec<&str> = got["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .filter(|o| o.starts_with("feedback/") && o.contains("南昌市"))
            .collect();
        assert_eq!(
            feedback.len(),
            want["outputs"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .filter(|o| o.starts_with("feedback/") && o.contains("南昌市"))
                .count(),
            "{prog}"
        );
        for f in feedback {
            let path = r.out.join(prog).join(JULY).join(f);
            let wb = calamine::open_workbook_auto(&path).unwrap();
            let names = calamine::Reader::sheet_names(&wb);
            assert!(names.iter().any(|n| n == sheet), "{prog}: {names:?}");
            assert!(!names.iter().any(|n| n == other), "{prog}: {names:?}");
        }
    }
}

#[test]
fn one_workbook_with_both_programs_goes_to_both() {
    let ni = sample_sheet(NI_FILE);
    let de = sample_sheet(DE_FILE);
    // The copies read as the samples do (sanity of the copy itself).
    let (_copies, inbox_c) = inbox();
    write_workbook(&inbox_c.join(JULY).join(NI_FILE), &[("调度表", &ni)]);
    write_workbook(&inbox_c.join(JULY).join(DE_FILE), &[("Sheet1", &de)]);
    let copies = run(&inbox_c);
    let s = separate();
    assert_eq!(copies.ni["by_unit"], s.ni["by_unit"]);
    assert_eq!(copies.de["by_unit"], s.de["by_unit"]);
    assert_eq!(
        rows(input(&copies.de, DE_FILE)),
        rows(input(&s.de, DE_FILE))
    );
    // The samples: 南昌市's digital-economy ledger holds 22 rows of projects.
    assert_eq!(input(&s.de, DE_FILE)["accepted"], 22);

    let combined = "南昌市2023年7月项目调度表.xlsx";
    let (_dir, inbox) = inbox();
    write_workbook(
        &inbox.join(JULY).join(combined),
        &[("新基建", &ni), ("数字经济", &de)],
    );
    let r = run(&inbox);
    assert_like_samples(&r, combined, "新基建", "数字经济");
}

#[test]
fn a_sheet_named_nothing_goes_by_its_codes() {
    // The file name and the second sheet's name and title say nothing; the
    // first sheet's title says 新基建; the second sheet's codes are all
    // digital-economy projects.
    let ni = sample_sheet(NI_FILE);
    let de = without_title_word(&sample_sheet(DE_FILE), "数字经济");
    let title: String = de.rows[..6]
        .iter()
        .flatten()
        .map(Cell::display)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(!title.contains("数字经济"), "{title}");
    let combined = "南昌市2023年7月调度表.xlsx";
    let (_dir, inbox) = inbox();
    write_workbook(
        &inbox.join(JULY).join(combined),
        &[("调度表", &ni), ("Sheet2", &de)],
    );
    let r = run(&inbox);
    assert_like_samples(&r, combined, "调度表", "Sheet2");
}

#[test]
fn a_workbook_of_one_program_in_two_sheets_stays_whole() {
    // Two ledger sheets of new-infra, neither named by its program: one
    // input listing both sheets, nothing in digital-economy.
    let ni = sample_sheet(NI_FILE);
    let file = "南昌市新基建项目调度表（两张表）.xlsx";
    let (_dir, inbox) = inbox();
    write_workbook(
        &inbox.join(JULY).join(file),
        &[("表一", &ni), ("表二", &ni)],
    );
    let r = run(&inbox);
    let i = input(&r.ni, file);
    assert_eq!(i["sheet"], "表一, 表二");
    assert_eq!(i["skipped_sheets"], serde_json::json!([]));
    assert_eq!(
        i["rows_read"].as_u64().unwrap(),
        2 * input(&separate().ni, NI_FILE)["rows_read"]
            .as_u64()
            .unwrap()
    );
    assert!(
        r.de["inputs"].as_array().unwrap().is_empty(),
        "{}",
        r.de["inputs"]
    );
    assert!(not_reported(&r.de).iter().any(|u| u == "南昌市"));
}

#[test]
fn the_other_programs_sheet_is_left_out_when_only_one_program_runs() {
    let ni = sample_sheet(NI_FILE);
    let de = sample_sheet(DE_FILE);
    let combined = "南昌市2023年7月项目调度表.xlsx";
    let (_dir, inbox) = inbox();
    write_workbook(
        &inbox.join(JULY).join(combined),
        &[("新基建", &ni), ("数字经济", &de)],
    );
    let r = run_with(&inbox, JULY, &["--pipeline", "new-infra"]);
    assert_eq!(r.de, Value::Null);
    let s = separate();
    assert_eq!(unit(&r.ni, "南昌市"), unit(&s.ni, "南昌市"));
    let i = input(&r.ni, combined);
    assert_eq!(i["sheet"], "新基建");
    assert_eq!(rows(i), rows(input(&s.ni, NI_FILE)));
    assert_eq!(
        i["skipped_sheets"],
        serde_json::json!(["数字经济：属于本次未选择的项目类别 digital-economy（未读取）"])
    );
    assert_eq!(findings_of(&r.ni, combined), findings_of(&s.ni, NI_FILE));
    assert!(!ids(&r.ni).iter().any(|id| id == "E201"));
}

#[test]
fn a_split_workbook_leaves_its_period_done() {
    // June holds the combined workbook; after June's run, July's run must not
    // redo June (its inbox stamps list the file once, as the folder does).
    let ni = sample_sheet(NI_FILE);
    let de = sample_sheet(DE_FILE);
    let combined = "南昌市项目调度表.xlsx";
    let (dir, inbox) = inbox();
    for p in ["2023-06", JULY] {
        std::fs::create_dir_all(inbox.join(p)).unwrap();
        write_workbook(
            &inbox.join(p).join(combined),
            &[("新基建", &ni), ("数字经济", &de)],
        );
    }
    let june = run_with(&inbox, "2023-06", &[]);
    assert_eq!(input(&june.ni, combined)["sheet"], "新基建");
    assert_eq!(input(&june.de, combined)["sheet"], "数字经济");
    let manifest = |p: &str| {
        std::fs::read(
            dir.path()
                .join("out")
                .join(p)
                .join("2023-06")
                .join("manifest.json"),
        )
        .unwrap()
    };
    let before = (manifest("new-infra"), manifest("digital-economy"));
    let july = run_with(&inbox, JULY, &[]);
    assert_eq!(input(&july.de, combined)["sheet"], "数字经济");
    assert_eq!(before, (manifest("new-infra"), manifest("digital-economy")));
}

#[test]
fn a_finding_in_one_programs_sheet_stays_in_that_program() {
    // One digital-economy row with a code no library knows: E201 in
    // digital-economy on its sheet, 南昌市's feedback there re-renders only
    // that sheet; new-infra has nothing to say to 南昌市.
    let ni = sample_sheet(NI_FILE);
    let mut de = sample_sheet(DE_FILE);
    let known = "2022-360100-65-03-463286";
    let cell = de
        .rows
        .iter_mut()
        .flat_map(|r| r.iter_mut())
        .find(|c| matches!(c, Cell::Text(t) if &**t == known))
        .unwrap();
    *cell = Cell::Text("2099-360100-65-03-000001".into());
    let combined = "南昌市2023年7月项目调度表.xlsx";
    let (_dir, inbox) = inbox();
    write_workbook(
        &inbox.join(JULY).join(combined),
        &[("新基建", &ni), ("数字经济", &de)],
    );
    let r = run(&inbox);
    let s = separate();
    assert_eq!(rows(input(&r.ni, combined)), rows(input(&s.ni, NI_FILE)));
    let i = input(&r.de, combined);
    let w = input(&s.de, DE_FILE);
    assert_eq!(i["rows_read"], w["rows_read"]);
    assert_eq!(i["skipped"], w["skipped"]);
    assert_eq!(
        i["rejected"].as_u64().unwrap(),
        w["rejected"].as_u64().unwrap() + 1
    );
    assert_eq!(
        i["accepted"].as_u64().unwrap() + 1,
        w["accepted"].as_u64().unwrap()
    );
    let e201: Vec<&Value> = r.de["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "E201")
        .collect();
    assert_eq!(e201.len(), 1, "{e201:?}");
    assert_eq!(e201[0]["file"], combined);
    assert_eq!(e201[0]["sheet"], "数字经济");
    assert!(!ids(&r.ni).iter().any(|id| id == "E201"));
    let feedback = |m: &Value| -> Vec<String> {
        m["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .filter(|o| o.starts_with("feedback/") && o.contains("南昌市"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(feedback(&r.ni), Vec::<String>::new());
    let fb = feedback(&r.de);
    assert_eq!(fb.len(), 1, "{fb:?}");
    let wb = calamine::open_workbook_auto(r.out.join("digital-economy").join(JULY).join(&fb[0]))
        .unwrap();
    let names = calamine::Reader::sheet_names(&wb);
    assert!(names.iter().any(|n| n == "数字经济"), "{names:?}");
    assert!(!names.iter().any(|n| n == "新基建"), "{names:?}");
}
