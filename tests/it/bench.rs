//! `taizhang bench` end to end on a tiny inbox: every pass runs and the whole
//! run's workbook holds every generated row, for each shipped pipeline.
//! Figures are printed, never judged here (speed is measured by the command
//! itself, not by a timed test).

use assert_cmd::Command;

use crate::common::{cell, col, root, sheet, text, yuan};

#[test]
fn bench_runs_every_pass_and_its_whole_run_reports_every_row() {
    let work = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(root())
        .args([
            "bench",
            "--pipeline",
            "new-infra",
            "--files",
            "7",
            "--rows",
            "40",
            "--reps",
            "1",
            "--work",
        ])
        .arg(work.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let printed = String::from_utf8(out).unwrap();
    // Both inboxes: the messy one (2 units sending 3-4 parts, revisions,
    // planted mistakes) and the clean one (one file a unit).
    assert!(printed.contains("【杂乱收件箱】2 个单位"), "{printed}");
    assert!(printed.contains("【干净收件箱】7 个单位"), "{printed}");
    assert!(
        printed.contains("文件 7，数据行 280（两期共 14 个文件、560 行"),
        "{printed}"
    );
    assert!(printed.contains("杂乱 ÷ 干净"), "{printed}");
    for pass in [
        "calamine 裸读",
        "读取入库",
        "整批处理（两期",
        "rust_xlsxwriter 裸写",
    ] {
        assert_eq!(
            printed
                .lines()
                .filter(|l| l.contains(pass) && l.contains("秒"))
                .count(),
            2,
            "{pass} missing:\n{printed}"
        );
    }
    for stage in ["validate", "report_monthly", "report_feedback", "峰值内存"] {
        assert!(printed.contains(stage), "{stage} missing:\n{printed}");
    }
    // The clean inbox: every row accepted in both periods.
    assert!(printed.contains("行：采纳 560，退回 0"), "{printed}");
    // --work keeps the inbox and the whole run's reports.
    let month = work
        .path()
        .join("clean")
        .join("out")
        .join("new-infra")
        .join("2023-07");
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
    assert_eq!(codes.len(), 280, "every generated row is a project");
    let sum: i64 = (4..4 + codes.len())
        .map(|r| yuan(&cell(&d, r, ytd_c)))
        .sum();
    assert_eq!(yuan(&cell(&d, 3, ytd_c)), sum);

    // The messy inbox: every planted kind shows, and the rows of every file
    // reconcile (revisions' and 补报 files' superseded rows skipped, never lost).
    let m: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            work.path()
                .join("messy/out/new-infra/2023-07/manifest.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let by_check = m["findings_by_check"].as_object().unwrap();
    for id in ["E201", "E203", "E204", "E301", "W008", "W217"] {
        assert!(by_check.contains_key(id), "{id} missing: {by_check:?}");
    }
    let inputs = m["inputs"].as_array().unwrap();
    assert!(
        inputs.len() > 7,
        "revisions and 补报 files: {}",
        inputs.len()
    );
    for i in inputs {
        let n = |k: &str| i[k].as_u64().unwrap();
        assert_eq!(
            n("rows_read"),
            n("accepted") + n("rejected") + n("skipped"),
            "{i}"
        );
    }
    assert!(inputs.iter().any(|i| i["skipped_reasons"]
        .as_object()
        .unwrap()
        .keys()
        .any(|k| k.starts_with("superseded by "))));
}

#[test]
fn bench_generates_for_the_pipeline_it_is_given() {
    let work = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(root())
        .args([
            "bench",
            "--pipeline",
            "digital-economy",
            "--files",
            "4",
            "--rows",
            "30",
            "--reps",
            "1",
            "--kind",
            "clean",
            "--work",
        ])
        .arg(work.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let printed = String::from_utf8(out).unwrap();
    assert!(printed.contains("digital-economy"), "{printed}");
    assert!(printed.contains("行：采纳 240，退回 0"), "{printed}");
    // Its own program's reports: 分批次 (the pipeline's group_label) included.
    let month = work.path().join("clean/out/digital-economy/2023-07");
    let book = std::fs::read_dir(&month)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("月度监测表"))
        .expect("monthly workbook");
    let d = sheet(&book, "分批次");
    assert!(d.height() > 3);
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(month.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["findings_by_check"].as_object().unwrap().len(), 0, "{m}");
}

#[test]
fn bench_says_its_default_and_refuses_an_unknown_pipeline() {
    let help = Command::cargo_bin("taizhang")
        .unwrap()
        .args(["bench", "--help"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let help = String::from_utf8(help).unwrap();
    assert!(help.contains("按文件名排序的第一个"), "{help}");
    Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(root())
        .args(["bench", "--pipeline", "no-such-program", "--files", "1"])
        .assert()
        .code(2);
}
