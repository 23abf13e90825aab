//! `taizhang bench` end to end on a tiny inbox: every pass runs and the whole
//! run's workbook holds every generated row. Figures are printed, never judged
//! here (speed is measured by the command itself, not by a timed test).

use assert_cmd::Command;

use crate::common::{cell, col, root, sheet, text, yuan};

#[test]
fn bench_runs_every_pass_and_its_whole_run_reports_every_row() {
    let work = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(root())
        .args([
            "bench", "--files", "3", "--rows", "40", "--reps", "1", "--work",
        ])
        .arg(work.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let printed = String::from_utf8(out).unwrap();
    assert!(printed.contains("文件 3，数据行 120"), "{printed}");
    for pass in [
        "calamine 裸读",
        "读取入库",
        "整批处理",
        "rust_xlsxwriter 裸写",
    ] {
        assert!(
            printed
                .lines()
                .any(|l| l.contains(pass) && l.contains("秒")),
            "{pass} missing:\n{printed}"
        );
    }
    // --work keeps the inbox and the whole run's reports.
    let month = work.path().join("out").join("new-infra").join("2023-07");
    let book = std::fs::read_dir(&month)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("月度监测表"))
        .expect("monthly workbook");
    let d = sheet(&book, "项目明细");
    let ytd_c = col(&d, "累计完成投资");
    assert_eq!(text(&cell(&d, 3, 0)), "合计");
    let codes: Vec<String> = (4..d.height())
        .map(|r| text(&cell(&d, r, 0)))
        .filter(|c| !c.is_empty() && !c.starts_with('注'))
        .collect();
    assert_eq!(codes.len(), 120, "every generated row is a project");
    let sum: i64 = (4..4 + codes.len())
        .map(|r| yuan(&cell(&d, r, ytd_c)))
        .sum();
    assert_eq!(yuan(&cell(&d, 3, ytd_c)), sum);
}
