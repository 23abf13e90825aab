//! The library as it changes during the year (issue 13 item 3): the samples'
//! digital-economy library gains its 第二批 in 2023-05 and one new-infra plan
//! is adjusted from 2023-07. The 项目库变动 sheet of the months before and
//! after each change, every figure recomputed from the library files; and a
//! rerun of an earlier period after the library file was replaced uses the
//! rows its store entry kept (same bytes) unless `--library-current`.

use calamine::Data;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::common::{cell, monthly_path, root, run_once, sheet, text, yuan};
use taizhang::model::Period;
use taizhang::seeds::Project;

/// (code → project) of a program's library for a 2023 month, as declared.
fn library(program: &str, month: u32) -> BTreeMap<String, Project> {
    let setup = taizhang::pipeline::setup(&root(), &[program.to_string()], None).unwrap();
    let lib = setup
        .libraries
        .for_period(0, Period { year: 2023, month })
        .unwrap();
    lib.projects
        .iter()
        .map(|p| (p.code.clone(), p.clone()))
        .collect()
}

/// (projects, Σ 总投资, Σ 年度计划投资) of a library.
fn sums(lib: &BTreeMap<String, Project>) -> (i64, i64, i64) {
    lib.values().fold((0, 0, 0), |(n, t, a), p| {
        (n + 1, t + p.total_investment, a + p.annual_plan)
    })
}

/// The 项目库变动 sheet's rows below the header, up to the blank line.
fn change_rows(program: &str, name: &str, month: u32) -> Vec<Vec<Data>> {
    let r = sheet(
        &monthly_path(run_once(), program, name, month),
        "项目库变动",
    );
    assert_eq!(text(&cell(&r, 2, 0)), "变动");
    (3..r.height())
        .map(|i| (0..8).map(|c| cell(&r, i, c)).collect::<Vec<_>>())
        .take_while(|row| row.iter().any(|d| !matches!(d, Data::Empty)))
        .collect()
}

fn count(d: &Data) -> i64 {
    match d {
        Data::Float(f) => *f as i64,
        Data::Int(i) => *i,
        other => panic!("not a count: {other:?}"),
    }
}

/// (项目数, 总投资, 年度计划投资) of a row, in 元.
fn figures(row: &[Data]) -> (i64, i64, i64) {
    (count(&row[5]), yuan(&row[6]), yuan(&row[7]))
}

fn assert_unchanged(program: &str, name: &str, month: u32) {
    let rows = change_rows(program, name, month);
    assert_eq!(rows.len(), 1, "{program} {month}: {rows:?}");
    assert_eq!(text(&rows[0][0]), "无", "{program} {month}");
}

fn manifest(program: &str, month: u32) -> serde_json::Value {
    let p = run_once()
        .join(program)
        .join(format!("2023-{month:02}"))
        .join("manifest.json");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
    v["library_changes"].clone()
}

#[test]
fn second_batch_enters_the_digital_economy_library_in_may() {
    let (id, name) = ("digital-economy", "数字经济重点项目");
    let (april, may) = (library(id, 4), library(id, 5));
    let added: Vec<&Project> = may
        .values()
        .filter(|p| !april.contains_key(&p.code))
        .collect();
    assert!(!added.is_empty() && added.iter().all(|p| p.batch == "第二批"));
    assert!(april.values().all(|p| p.batch == "第一批"));
    assert!(april.keys().all(|c| may.contains_key(c)), "nothing 调出");

    for month in [2, 3, 4, 6, 7] {
        assert_unchanged(id, name, month);
        assert_eq!(manifest(id, month)["added"], 0);
    }
    let rows = change_rows(id, name, 5);
    let labels: Vec<String> = rows.iter().map(|r| text(&r[0])).collect();
    assert_eq!(
        labels[..5],
        ["上期项目库", "新增", "调出", "计划调整", "本期项目库"]
    );
    assert_eq!(text(&rows[0][2]), "2023-04");
    assert_eq!(figures(&rows[0]), sums(&april));
    assert_eq!(figures(&rows[4]), sums(&may));
    let (n, t, a) = (
        added.len() as i64,
        added.iter().map(|p| p.total_investment).sum::<i64>(),
        added.iter().map(|p| p.annual_plan).sum::<i64>(),
    );
    assert_eq!(figures(&rows[1]), (n, t, a), "新增 小计");
    assert_eq!(text(&rows[1][4]), format!("{n}个"));
    assert_eq!(figures(&rows[2]), (0, 0, 0));
    assert_eq!(figures(&rows[3]), (0, 0, 0));
    // One row per added project, by code, each its library figures; the
    // totals are the sums of their parts.
    let detail = &rows[5..];
    assert_eq!(detail.len(), added.len());
    let mut sum = sums(&april);
    for (row, p) in detail.iter().zip(&added) {
        assert_eq!(text(&row[0]), "新增");
        assert_eq!(text(&row[1]), p.code);
        assert_eq!(text(&row[2]), p.name);
        assert_eq!(text(&row[3]), p.unit);
        assert_eq!(text(&row[4]), "第二批");
        let f = figures(row);
        assert_eq!(f, (1, p.total_investment, p.annual_plan), "{}", p.code);
        sum = (sum.0 + f.0, sum.1 + f.1, sum.2 + f.2);
    }
    assert_eq!(sum, sums(&may), "上期 + 新增 = 本期, to the yuan");
    let m = manifest(id, 5);
    assert_eq!(m["previous"], "2023-04");
    assert_eq!(m["added"], n);
    assert_eq!(m["removed"], 0);
    assert_eq!(m["projects_before"], april.len());
    assert_eq!(m["projects_after"], may.len());
    assert_eq!(m["annual_plan_after_yuan"], sums(&may).2);
}

#[test]
fn one_new_infra_plan_is_adjusted_in_july() {
    let (id, name) = ("new-infra", "新基建项目");
    let (june, july) = (library(id, 6), library(id, 7));
    assert_eq!(
        june.keys().collect::<Vec<_>>(),
        july.keys().collect::<Vec<_>>()
    );
    let adjusted: Vec<(&Project, &Project)> = june
        .values()
        .map(|p| (p, &july[&p.code]))
        .filter(|(a, b)| a.annual_plan != b.annual_plan)
        .collect();
    assert_eq!(adjusted.len(), 1);
    let (before, after) = adjusted[0];
    let delta = after.annual_plan - before.annual_plan;

    for month in [5, 6] {
        assert_unchanged(id, name, month);
    }
    let first = change_rows(id, name, 1);
    assert_eq!(
        text(&first[0][0]),
        "无",
        "the first period has nothing to compare"
    );
    assert_eq!(manifest(id, 1)["previous"], serde_json::Value::Null);

    let rows = change_rows(id, name, 7);
    assert_eq!(rows.len(), 6, "{rows:?}");
    assert_eq!(figures(&rows[0]), sums(&june));
    assert_eq!(figures(&rows[3]), (0, 0, delta), "计划调整 小计");
    assert_eq!(text(&rows[3][4]), "1个");
    assert_eq!(figures(&rows[4]), sums(&july));
    assert_eq!(sums(&june).2 + delta, sums(&july).2);
    let r = &rows[5];
    assert_eq!(text(&r[0]), "计划调整");
    assert_eq!(text(&r[1]), after.code);
    assert_eq!(text(&r[3]), after.unit);
    let wan = |y: i64| taizhang::parse::fmt_wan(y);
    assert_eq!(
        text(&r[4]),
        format!(
            "年度计划投资：{}万元 → {}万元",
            wan(before.annual_plan),
            wan(after.annual_plan)
        )
    );
    assert_eq!(figures(r), (0, 0, delta));
    let m = manifest(id, 7);
    assert_eq!(m["adjusted"], 1);
    assert_eq!(m["annual_plan_before_yuan"], sums(&june).2);
    assert_eq!(m["annual_plan_after_yuan"], sums(&july).2);
}

// ------------------------------------------------- reruns and the stored rows

/// A configuration folder of new-infra alone (its pipeline, units and both
/// library files), so the test can replace the library.
pub(crate) fn config_root(dir: &Path) -> PathBuf {
    let conf = dir.join("conf");
    for f in [
        "pipelines/new-infra.toml",
        "seeds/units.toml",
        "seeds/new-infra-library.xlsx",
        "seeds/new-infra-library-2023-07.xlsx",
    ] {
        std::fs::create_dir_all(conf.join(f).parent().unwrap()).unwrap();
        std::fs::copy(root().join(f), conf.join(f)).unwrap();
    }
    conf
}

/// `taizhang run` on the samples' inbox with the configuration `conf`.
pub(crate) fn run(conf: &Path, out: &Path, args: &[&str]) -> String {
    let o = std::process::Command::new(assert_cmd::cargo::cargo_bin("taizhang"))
        .args(["run", "--quiet", "--root"])
        .arg(conf)
        .arg("--inbox")
        .arg(root().join("samples/inbox"))
        .arg("--out")
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "{said}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    said
}

/// The workbooks of a new-infra month (name → bytes).
fn workbooks(out: &Path, month: u32) -> BTreeMap<String, Vec<u8>> {
    let dir = out.join("new-infra").join(format!("2023-{month:02}"));
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xlsx"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

/// 年度计划投资 of a project in a month's 项目明细, in 元.
fn detail_plan(out: &Path, month: u32, code: &str) -> i64 {
    let r = sheet(
        &monthly_path(out, "new-infra", "新基建项目", month),
        "项目明细",
    );
    let (c_code, c_plan) = (
        super::common::col(&r, "项目代码"),
        super::common::col(&r, "年度计划投资"),
    );
    let row = (3..r.height())
        .find(|&i| text(&cell(&r, i, c_code)) == code)
        .unwrap_or_else(|| panic!("{code} not in 项目明细"));
    yuan(&cell(&r, row, c_plan))
}

#[test]
fn a_rerun_uses_the_library_its_period_was_checked_against() {
    let d = tempfile::tempdir().unwrap();
    let conf = config_root(d.path());
    let out = d.path().join("out");
    run(&conf, &out, &[]);
    let march = workbooks(&out, 3);
    let (june, july) = (library("new-infra", 6), library("new-infra", 7));
    let code = june
        .values()
        .find(|p| p.annual_plan != july[&p.code].annual_plan)
        .unwrap()
        .code
        .clone();
    assert_eq!(detail_plan(&out, 3, &code), june[&code].annual_plan);

    // The clerk replaces the library file in place (here: with the adjusted
    // plan). Earlier months are not redone for it ...
    std::fs::copy(
        conf.join("seeds/new-infra-library-2023-07.xlsx"),
        conf.join("seeds/new-infra-library.xlsx"),
    )
    .unwrap();
    let said = run(&conf, &out, &[]);
    assert!(!said.contains("重新处理"), "{said}");
    // ... and a rerun of one uses the rows its store entry kept: same bytes.
    let said = run(&conf, &out, &["--redo", "2023-03"]);
    assert!(
        said.contains("新基建项目 2023-03：按 --redo 要求重做"),
        "{said}"
    );
    assert_eq!(
        workbooks(&out, 3),
        march,
        "the rerun used the stored library"
    );
    assert_eq!(detail_plan(&out, 3, &code), june[&code].annual_plan);

    // Told otherwise, the earlier months are redone with today's file.
    let said = run(&conf, &out, &["--library-current"]);
    assert!(
        said.contains("新基建项目 2023-01：项目库文件 seeds/new-infra-library.xlsx 内容已变更（--library-current）"),
        "{said}"
    );
    assert_ne!(workbooks(&out, 3), march);
    assert_eq!(detail_plan(&out, 3, &code), july[&code].annual_plan);
}

#[test]
fn a_period_given_another_library_version_is_redone_with_the_later_ones() {
    let d = tempfile::tempdir().unwrap();
    let conf = config_root(d.path());
    let out = d.path().join("out");
    run(&conf, &out, &[]);
    // The July version declared from June instead.
    let toml = conf.join("pipelines/new-infra.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let moved = text.replace("from = \"2023-07\"", "from = \"2023-06\"");
    assert_ne!(moved, text);
    std::fs::write(&toml, moved).unwrap();
    // Declaring versions edits the pipeline file: every month is redone for
    // it, January to May with the rows they kept, June on with the version
    // now declared for them; each store entry names the version it used.
    let said = run(&conf, &out, &[]);
    assert!(
        said.contains("新基建项目 2023-01：流水线配置文件已变更"),
        "{said}"
    );
    let entry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("history/new-infra/2023-06.json")).unwrap())
            .unwrap();
    assert_eq!(
        entry["library"]["file"],
        "seeds/new-infra-library-2023-07.xlsx"
    );
    assert_eq!(entry["library"]["from"], "2023-06");
    let may: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("history/new-infra/2023-05.json")).unwrap())
            .unwrap();
    assert_eq!(may["library"]["file"], "seeds/new-infra-library.xlsx");
    assert!(may["library"].get("from").is_none());
    // The rows themselves are kept once per version, in the snapshot the
    // entry names.
    assert!(may.get("library_rows").is_none());
    let kept = taizhang::pipeline::store::Store::new(out.join("history"))
        .load_library(
            "new-infra",
            Period {
                year: 2023,
                month: 5,
            },
        )
        .unwrap()
        .unwrap();
    assert_eq!(kept.library_rows.len(), library("new-infra", 5).len());
}
