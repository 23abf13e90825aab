//! `taizhang status`: the reporting window of one period, read from the inbox
//! alone — exactly the missing units named, the workbook written, no report
//! and nothing in the store.

use assert_cmd::Command;
use std::path::Path;

use crate::common::{cell, root, sheet, text};

fn status(inbox: &Path, out: &Path, period: &str) -> String {
    let o = Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(root())
        .args(["status", "--period", period, "--inbox"])
        .arg(inbox)
        .arg("--out")
        .arg(out)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(o).unwrap()
}

/// (program, unit, state) rows of the 催报 sheet.
fn chase_rows(book: &Path) -> Vec<(String, String, String)> {
    let r = sheet(book, "催报");
    (3..r.height())
        .map(|i| {
            (
                text(&cell(&r, i, 1)),
                text(&cell(&r, i, 2)),
                text(&cell(&r, i, 3)),
            )
        })
        .filter(|(p, _, _)| !p.is_empty() && p != "无")
        .collect()
}

#[test]
fn sample_may_names_the_one_unit_that_sent_nothing() {
    let out = tempfile::tempdir().unwrap();
    let inbox = root().join("samples").join("inbox");
    let printed = status(&inbox, out.path(), "2023-05");
    assert!(
        printed.contains("催报：数字经济重点项目·萍乡市\n"),
        "{printed}"
    );
    let book = out.path().join("报送情况").join("报送情况-2023年05月.xlsx");
    let rows = chase_rows(&book);
    assert_eq!(
        rows,
        vec![(
            "数字经济重点项目".to_string(),
            "萍乡市".to_string(),
            "未报送".to_string()
        )]
    );
    // Nothing but the status workbook: no reports, no store.
    let written: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written, vec!["报送情况".to_string()]);
}

#[test]
fn a_half_filled_inbox_lists_exactly_the_missing_units() {
    let src = root().join("samples").join("inbox").join("2023-07");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("inbox").join("2023-07");
    std::fs::create_dir_all(&dir).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("新基建"))
        .collect();
    names.sort();
    // Every other new-infra ledger arrived; no digital-economy one yet.
    let (sent, held): (Vec<_>, Vec<_>) = names.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    for (_, n) in &sent {
        std::fs::copy(src.join(n), dir.join(n)).unwrap();
    }
    // A file no program can claim is listed once, not under each program.
    std::fs::write(dir.join("垃圾.xlsx"), b"not a workbook at all").unwrap();
    let out = tmp.path().join("out");
    let printed = status(&tmp.path().join("inbox"), &out, "2023-07");
    assert_eq!(printed.matches("垃圾.xlsx").count(), 1, "{printed}");
    let book = out.join("报送情况").join("报送情况-2023年07月.xlsx");
    let rows = chase_rows(&book);
    let missing_ni: Vec<&str> = rows
        .iter()
        .filter(|(p, _, s)| p == "新基建项目" && s == "未报送")
        .map(|(_, u, _)| u.as_str())
        .collect();
    // The units of the held files, as the full month's status names them.
    let full = tmp.path().join("full");
    status(&root().join("samples").join("inbox"), &full, "2023-07");
    let fb = sheet(
        &full.join("报送情况").join("报送情况-2023年07月.xlsx"),
        "新基建项目",
    );
    let unit_of = |file: &str| -> String {
        (3..fb.height())
            .find(|&i| text(&cell(&fb, i, 3)) == file)
            .map(|i| text(&cell(&fb, i, 1)))
            .unwrap_or_default()
    };
    let mut expected: Vec<String> = held.iter().map(|(_, n)| unit_of(n)).collect();
    expected.sort();
    let mut got: Vec<String> = missing_ni.iter().map(|u| u.to_string()).collect();
    got.sort();
    assert_eq!(got, expected, "{printed}");
    let unreadable: Vec<&(String, String, String)> = rows
        .iter()
        .filter(|(p, _, _)| p == "（未能识别）")
        .collect();
    assert_eq!(unreadable.len(), 1, "{rows:?}");
    assert_eq!(unreadable[0].2, "文件未被采纳");
    // The digital-economy program: every unit missing.
    let de_missing = rows
        .iter()
        .filter(|(p, _, s)| p == "数字经济重点项目" && s == "未报送")
        .count();
    assert_eq!(de_missing, 12, "{rows:?}");
    // The program sheet lists every unit, missing ones with no file.
    let ni = sheet(&book, "新基建项目");
    let states: Vec<String> = (3..ni.height())
        .map(|i| text(&cell(&ni, i, 2)))
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(states.len(), 13, "{states:?}");
    assert_eq!(
        states.iter().filter(|s| s.as_str() == "未报送").count(),
        held.len()
    );
}

#[test]
fn a_period_whose_folder_is_not_there_yet_lists_every_unit_as_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    std::fs::create_dir_all(inbox.join("2023-08")).unwrap();
    let out = tmp.path().join("out");
    let printed = status(&inbox, &out, "2023-09");
    assert!(printed.contains("还没有 2023-09 文件夹"), "{printed}");
    let rows = chase_rows(&out.join("报送情况").join("报送情况-2023年09月.xlsx"));
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|(_, _, s)| s == "未报送"), "{rows:?}");
    // Every unit of every program's library, each once.
    for program in ["新基建项目", "数字经济重点项目", "数字经济工作计划"] {
        assert!(rows.iter().any(|(p, _, _)| p == program), "{program}");
    }
}
