//! Helpers shared by the integration tests: the project root, one CLI run on
//! the samples shared by every test that only reads its output, and readers
//! for workbook cells.

use assert_cmd::Command;
use calamine::{open_workbook_auto, Data, Reader};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One `taizhang run` on the samples into a temp folder, shared by the tests
/// that only read its output.
pub fn run_once() -> &'static Path {
    static OUT: OnceLock<tempfile::TempDir> = OnceLock::new();
    OUT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        Command::cargo_bin("taizhang")
            .unwrap()
            .current_dir(root())
            .args(["run", "--quiet", "--out"])
            .arg(dir.path())
            .assert()
            .success();
        dir
    })
    .path()
}

/// (program id, program name) of the shipped pipelines.
pub fn programs() -> Vec<(&'static str, &'static str)> {
    vec![
        ("new-infra", "新基建项目"),
        ("digital-economy", "数字经济重点项目"),
    ]
}

pub fn sheet(path: &Path, name: &str) -> calamine::Range<Data> {
    let mut wb = open_workbook_auto(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    wb.worksheet_range(name)
        .unwrap_or_else(|e| panic!("{} {name}: {e}", path.display()))
}

pub fn cell(r: &calamine::Range<Data>, row: usize, col: usize) -> Data {
    r.get((row, col)).cloned().unwrap_or(Data::Empty)
}

pub fn text(d: &Data) -> String {
    d.to_string()
}

/// A 万元 cell back to whole 元.
pub fn yuan(d: &Data) -> i64 {
    match d {
        Data::Float(f) => (f * 10_000.0).round() as i64,
        Data::Int(i) => i * 10_000,
        other => panic!("not a number: {other:?}"),
    }
}

pub fn num(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

/// Column index of a header text in row 3 (0-based 2).
pub fn col(r: &calamine::Range<Data>, header: &str) -> usize {
    (0..r.width())
        .find(|&c| text(&cell(r, 2, c)).replace('\n', "") == header)
        .unwrap_or_else(|| panic!("no column {header}"))
}

pub const QUARTER_CN: [&str; 4] = ["一", "二", "三", "四"];

/// The monthly workbook of a program's 2023 month under `out`.
pub fn monthly_path(out: &Path, program: &str, name: &str, month: u32) -> PathBuf {
    out.join(program)
        .join(format!("2023-{month:02}"))
        .join(format!("{name}月度监测表-2023年{month:02}月.xlsx"))
}

/// The quarterly notification of a program's 2023 quarter under `out`.
pub fn quarterly_path(out: &Path, program: &str, name: &str, q: u32) -> PathBuf {
    out.join(program)
        .join(format!("2023-{:02}", q * 3))
        .join(format!(
            "{name}季度通报-2023年第{}季度.xlsx",
            QUARTER_CN[q as usize - 1]
        ))
}
