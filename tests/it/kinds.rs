//! Kinds of program: a new investment program is a pipeline file (no code),
//! and a pipeline file declaring a field its kind never reads is refused.

use std::path::Path;
use std::process::Command;

use super::common::{cell, col, root, sheet, text, yuan};

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("taizhang")
}

/// A configuration folder holding one pipeline file (`toml`) and the shipped seeds.
fn conf_with(dir: &Path, name: &str, toml: &str) {
    std::fs::create_dir_all(dir.join("pipelines")).unwrap();
    std::fs::create_dir_all(dir.join("seeds")).unwrap();
    std::fs::write(dir.join("pipelines").join(name), toml).unwrap();
    for f in [
        "units.toml",
        "new-infra-library.xlsx",
        "new-infra-library-2023-07.xlsx",
    ] {
        std::fs::copy(root().join("seeds").join(f), dir.join("seeds").join(f)).unwrap();
    }
}

fn new_infra_toml() -> String {
    std::fs::read_to_string(root().join("pipelines/new-infra.toml")).unwrap()
}

#[test]
fn a_field_no_stage_reads_is_a_config_error() {
    let d = tempfile::tempdir().unwrap();
    let toml = format!(
        "{}\n[[field]]\nkey = \"responsible_dept\"\nkind = \"text\"\nsynonyms = [\"责任处室\"]\n",
        new_infra_toml()
    );
    conf_with(d.path(), "x.toml", &toml);
    std::fs::create_dir_all(d.path().join("inbox/2023-07")).unwrap();
    let o = Command::new(bin())
        .args(["run", "--quiet", "--root"])
        .arg(d.path())
        .arg("--inbox")
        .arg(d.path().join("inbox"))
        .arg("--out")
        .arg(d.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("responsible_dept"), "{err}");
    assert!(err.contains("没有哪个环节会读取它"), "{err}");
    // A tasks-only section in an investment pipeline is refused the same way.
    let toml = format!("{}\n[tasks]\nmin_similarity = 0.6\n", new_infra_toml());
    conf_with(d.path(), "x.toml", &toml);
    let o = Command::new(bin())
        .args(["run", "--quiet", "--root"])
        .arg(d.path())
        .arg("--inbox")
        .arg(d.path().join("inbox"))
        .arg("--out")
        .arg(d.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("[tasks]"));
}

#[test]
fn a_fourth_investment_program_is_a_pipeline_file() {
    let d = tempfile::tempdir().unwrap();
    let toml = new_infra_toml()
        .replace("id = \"new-infra\"", "id = \"key-works\"")
        .replace("name = \"新基建项目\"", "name = \"省重点工程\"")
        .replace(
            "match_keywords = [\"新基建\", \"新型基础设施\"]",
            "match_keywords = [\"新基建\", \"重点工程\"]",
        );
    conf_with(d.path(), "key-works.toml", &toml);
    let inbox = d.path().join("inbox/2023-07");
    std::fs::create_dir_all(&inbox).unwrap();
    let src = root().join("samples/inbox/2023-07");
    let mut sent = 0;
    for e in std::fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.contains("新基建") {
            std::fs::copy(&p, inbox.join(&name)).unwrap();
            sent += 1;
        }
    }
    assert!(sent >= 12);
    let out = d.path().join("out");
    let o = Command::new(bin())
        .args(["run", "--quiet", "--root"])
        .arg(d.path())
        .arg("--inbox")
        .arg(d.path().join("inbox"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let wb = out.join("key-works/2023-07/省重点工程月度监测表-2023年07月.xlsx");
    assert!(wb.is_file(), "{}", wb.display());
    // Its 项目明细 holds every library project, and 分地区 adds up to the 汇总 total.
    let detail = sheet(&wb, "项目明细");
    let c = col(&detail, "累计完成投资");
    let mut total = 0i64;
    let mut rows = 0;
    for r in 4..detail.height() {
        if text(&cell(&detail, r, 0)).matches('-').count() == 4 {
            total += yuan(&cell(&detail, r, c));
            rows += 1;
        }
    }
    assert_eq!(
        yuan(&cell(&detail, 3, c)),
        total,
        "合计 = sum of the projects"
    );
    assert_eq!(rows, 310, "every project of the library");
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.join("key-works/2023-07/manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["program"], "key-works");
    assert_eq!(manifest["totals"]["ytd_done_yuan"].as_i64(), Some(total));
}
