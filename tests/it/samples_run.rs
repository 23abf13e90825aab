//! The month-end run on `samples/inbox`: every workbook opens; totals equal the
//! sum of 项目明细 to the yuan; row accounting balances; every planted mistake
//! is reported at its cell; a rerun gives byte-identical workbooks.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::common::*;

fn periods() -> Vec<String> {
    (1..=7).map(|m| format!("2023-{m:02}")).collect()
}

fn manifest(out: &Path, program: &str, period: &str) -> Value {
    let text =
        std::fs::read_to_string(out.join(program).join(period).join("manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn workbook_path(out: &Path, program: &str, name: &str, period: &str) -> PathBuf {
    let (y, m) = period.split_once('-').unwrap();
    out.join(program)
        .join(period)
        .join(format!("{name}月度监测表-{y}年{m}月.xlsx"))
}

/// The internal 数据核对 workbook beside the monthly one (校验问题 is there).
fn internal_path(out: &Path, program: &str, name: &str, period: &str) -> PathBuf {
    let (y, m) = period.split_once('-').unwrap();
    out.join(program)
        .join(period)
        .join(format!("{name}数据核对-{y}年{m}月.xlsx"))
}

#[test]
fn every_workbook_opens_and_totals_add_up_to_the_yuan() {
    let out = run_once();
    for (program, name) in programs() {
        for period in periods() {
            let m = manifest(out, program, &period);
            let path = workbook_path(out, program, name, &period);
            let detail = sheet(&path, "项目明细");
            let (ytd_c, plan_c, month_c, unit_c) = (
                col(&detail, "累计完成投资"),
                col(&detail, "年度计划投资"),
                col(&detail, "本月完成投资"),
                col(&detail, "责任单位"),
            );
            // Row 4 (index 3) is 合计; projects from index 4 on.
            assert_eq!(text(detail.get((3, 0)).unwrap()), "合计");
            let mut by_unit: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
            let (mut ytd, mut plan, mut month) = (0i64, 0i64, 0i64);
            let mut n = 0;
            for r in 4..detail.height() {
                let code = text(detail.get((r, 0)).unwrap());
                if code.is_empty() || code.starts_with("注") {
                    continue;
                }
                n += 1;
                let (y, p, mo) = (
                    yuan(detail.get((r, ytd_c)).unwrap()),
                    yuan(detail.get((r, plan_c)).unwrap()),
                    yuan(detail.get((r, month_c)).unwrap()),
                );
                ytd += y;
                plan += p;
                month += mo;
                let e = by_unit
                    .entry(text(detail.get((r, unit_c)).unwrap()))
                    .or_default();
                e.0 += y;
                e.1 += p;
                e.2 += mo;
            }
            assert_eq!(
                n as i64,
                m["totals"]["projects"].as_i64().unwrap(),
                "{program} {period}"
            );
            assert_eq!(
                yuan(detail.get((3, ytd_c)).unwrap()),
                ytd,
                "{program} {period} 合计 row"
            );
            assert_eq!(
                m["totals"]["ytd_done_yuan"].as_i64().unwrap(),
                ytd,
                "{program} {period} manifest"
            );
            assert_eq!(m["totals"]["annual_plan_yuan"].as_i64().unwrap(), plan);
            assert_eq!(m["totals"]["month_done_yuan"].as_i64().unwrap(), month);

            // 汇总: the labelled figures.
            let s = sheet(&path, "汇总");
            let find = |label: &str| -> i64 {
                let r = (3..s.height())
                    .find(|&r| text(s.get((r, 0)).unwrap()).starts_with(label))
                    .unwrap_or_else(|| panic!("汇总 lacks {label}"));
                yuan(s.get((r, 1)).unwrap())
            };
            // 1-N月, or 1月 alone in January (issue 11).
            let cum = if period.ends_with("-01") {
                "1月累计"
            } else {
                "1-"
            };
            assert_eq!(find(cum), ytd, "{program} {period} 汇总 累计");
            assert_eq!(find("年度计划投资"), plan);
            assert_eq!(find("本月完成投资"), month);

            // 分地区: 合计 row and each unit.
            let u = sheet(&path, "分地区");
            let (uy, up, um) = (
                col(&u, "累计完成投资"),
                col(&u, "年度计划投资"),
                col(&u, "本月完成投资"),
            );
            assert_eq!(text(u.get((3, 0)).unwrap()), "合计");
            assert_eq!(yuan(u.get((3, uy)).unwrap()), ytd);
            let mut sum_units = 0;
            for r in 4..u.height() {
                let unit = text(u.get((r, 0)).unwrap());
                // The departments' own block has a heading row (issue 11).
                if unit.is_empty() || unit.starts_with("注") || unit.contains("单独排名") {
                    continue;
                }
                let want = by_unit.get(&unit).copied().unwrap_or_default();
                assert_eq!(
                    (
                        yuan(u.get((r, uy)).unwrap()),
                        yuan(u.get((r, up)).unwrap()),
                        yuan(u.get((r, um)).unwrap())
                    ),
                    want,
                    "{program} {period} {unit}"
                );
                sum_units += want.0;
            }
            assert_eq!(sum_units, ytd);
        }
    }
}

#[test]
fn row_accounting_balances_for_every_input_file() {
    let out = run_once();
    for (program, _) in programs() {
        for period in periods() {
            let m = manifest(out, program, &period);
            let inputs = m["inputs"].as_array().unwrap();
            assert!(!inputs.is_empty(), "{program} {period} has inputs");
            for i in inputs {
                let g = |k: &str| i[k].as_u64().unwrap();
                assert_eq!(
                    g("rows_read"),
                    g("accepted") + g("rejected") + g("skipped"),
                    "{program} {period} {}",
                    i["file"]
                );
                let reasons: u64 = i["skipped_reasons"]
                    .as_object()
                    .unwrap()
                    .values()
                    .map(|v| v.as_u64().unwrap())
                    .sum();
                assert_eq!(reasons, g("skipped"));
                assert_eq!(i["sha256"].as_str().unwrap().len(), 64);
            }
        }
    }
}

/// The work plan's monthly workbook of a 2023 period under `out`.
fn work_plan_monthly(out: &std::path::Path, period: &str) -> std::path::PathBuf {
    out.join("work-plan").join(period).join(format!(
        "数字经济工作计划推进情况表-{}年{}月.xlsx",
        &period[..4],
        &period[5..]
    ))
}

#[test]
fn every_planted_mistake_is_reported_at_its_cell() {
    let out = run_once();
    let planted: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(root().join("samples/planted.json")).unwrap(),
    )
    .unwrap();
    assert!(planted.len() >= 5);
    let names: BTreeMap<&str, &str> = programs().into_iter().collect();
    for p in &planted {
        let (program, period, check) = (
            p["program"].as_str().unwrap(),
            p["period"].as_str().unwrap(),
            p["check"].as_str().unwrap(),
        );
        let (file, cell) = (p["file"].as_str().unwrap(), p["cell"].as_str().unwrap());
        let m = manifest(out, program, period);
        let hit = m["findings"].as_array().unwrap().iter().any(|f| {
            f["id"] == check
                && f["file"].as_str().unwrap() == file
                && f["cell"].as_str().unwrap() == cell
                && (p["unit"].as_str().unwrap().is_empty() || f["unit"] == p["unit"])
        });
        assert!(
            hit,
            "planted {check} at {file} {cell} ({program} {period}) not in manifest findings"
        );
        // The work plan (tasks kind) lists its findings in its monthly
        // workbook's 问题清单; the investment programs in 数据核对's 校验问题.
        let s = match names.get(program) {
            Some(name) => sheet(&internal_path(out, program, name, period), "校验问题"),
            None => sheet(&work_plan_monthly(out, period), "问题清单"),
        };
        let id_col = if names.contains_key(program) {
            "编号"
        } else {
            "规则"
        };
        let (ci, fi, celli) = (col(&s, id_col), col(&s, "文件"), col(&s, "单元格"));
        let in_sheet = (3..s.height()).any(|r| {
            text(s.get((r, ci)).unwrap()) == check
                && text(s.get((r, fi)).unwrap()) == file
                && text(s.get((r, celli)).unwrap()) == cell
        });
        assert!(
            in_sheet,
            "planted {check} at {file} {cell} not in 校验问题 of {program} {period}"
        );
    }
}

#[test]
fn clean_samples_raise_no_unexpected_errors() {
    let out = run_once();
    let planted: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(root().join("samples/planted.json")).unwrap(),
    )
    .unwrap();
    for (program, _) in programs() {
        for period in periods() {
            let m = manifest(out, program, &period);
            for f in m["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["severity"] == "error")
            {
                let expected = planted.iter().any(|p| {
                    p["program"] == program
                        && p["period"] == period.as_str()
                        && p["check"] == f["id"]
                        && p["file"] == f["file"]
                });
                assert!(
                    expected,
                    "unexpected error in {program} {period}: {}",
                    f["message"]
                );
            }
        }
    }
}

#[test]
fn rerun_gives_byte_identical_workbooks() {
    let first = run_once();
    let second = tempfile::tempdir().unwrap();
    Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(root())
        .args(["run", "--quiet", "--out"])
        .arg(second.path())
        .assert()
        .success();
    let mut compared = 0;
    for (program, name) in programs() {
        for period in periods() {
            let a = std::fs::read(workbook_path(first, program, name, &period)).unwrap();
            let b = std::fs::read(workbook_path(second.path(), program, name, &period)).unwrap();
            assert!(a == b, "{program} {period} differs between runs");
            compared += 1;
        }
    }
    assert_eq!(compared, 14);
}

#[test]
fn checks_and_history_subcommands_work() {
    let out = run_once();
    let checks = Command::cargo_bin("taizhang")
        .unwrap()
        .arg("checks")
        .assert()
        .success();
    let text = String::from_utf8(checks.get_output().stdout.clone()).unwrap();
    assert!(text.contains("E301") && text.contains("W402"));
    let hist = Command::cargo_bin("taizhang")
        .unwrap()
        .args(["history", "--store"])
        .arg(out.join("history"))
        .assert()
        .success();
    let text = String::from_utf8(hist.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("new-infra") && text.contains("2023-07"),
        "{text}"
    );
}

#[test]
fn bad_period_is_a_usage_error() {
    let out = tempfile::tempdir().unwrap();
    Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(root())
        .args(["run", "--quiet", "--period", "2023-13", "--out"])
        .arg(out.path())
        .assert()
        .code(2);
    Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(root())
        .args(["run", "--quiet", "--period", "2024-01", "--out"])
        .arg(out.path())
        .assert()
        .code(2);
}

#[test]
fn a_waived_warning_is_shown_as_confirmed_and_sends_no_feedback() {
    let planted: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(root().join("samples/planted.json")).unwrap(),
    )
    .unwrap();
    let w210 = planted.iter().find(|p| p["check"] == "W210").unwrap();
    let (code, period) = (
        w210["project_code"].as_str().unwrap(),
        w210["period"].as_str().unwrap(),
    );
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    for entry in std::fs::read_dir(root().join("samples/inbox")).unwrap() {
        let dir = entry.unwrap().path();
        let dest = inbox.join(dir.file_name().unwrap());
        std::fs::create_dir_all(&dest).unwrap();
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            std::fs::copy(&f, dest.join(f.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(
        inbox.join("waivers.toml"),
        format!("[[waiver]]\nprogram = \"digital-economy\"\nproject = \"{code}\"\ncheck = \"W210\"\nreason = \"已电话核实\"\n"),
    )
    .unwrap();
    let out = tmp.path().join("out");
    Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(root())
        .args([
            "run",
            "--quiet",
            "--pipeline",
            "digital-economy",
            "--period",
            period,
            "--inbox",
        ])
        .arg(&inbox)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let m = manifest(&out, "digital-economy", period);
    let f = m["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "W210")
        .expect("W210 still listed");
    assert_eq!(f["waived"], true);
    let s = sheet(
        &internal_path(&out, "digital-economy", "数字经济重点项目", period),
        "校验问题",
    );
    let (ci, li) = (col(&s, "编号"), col(&s, "级别"));
    let row = (3..s.height())
        .find(|&r| text(s.get((r, ci)).unwrap()) == "W210")
        .unwrap();
    assert_eq!(text(s.get((row, li)).unwrap()), "已核实");
    let unit = w210["unit"].as_str().unwrap();
    let fb = out
        .join("digital-economy")
        .join(period)
        .join("feedback")
        .join(format!("{unit}-退回修改-{period}.xlsx"));
    assert!(
        !fb.exists(),
        "a unit whose only finding is waived gets no feedback workbook"
    );
}
