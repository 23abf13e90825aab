//! A deployed binary: `taizhang init` writes a configuration folder, and the
//! binary finds it by `--root`, `TAIZHANG_ROOT` or the current folder; when it
//! finds none, the error names every place it tried.

use std::process::Command;

use super::common::root;

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("taizhang")
}

#[test]
fn init_then_run_from_anywhere() {
    let d = tempfile::tempdir().unwrap();
    let conf = d.path().join("台账");
    let o = Command::new(bin()).arg("init").arg(&conf).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in [
        "pipelines/new-infra.toml",
        "seeds/units.toml",
        "seeds/new-infra-library.xlsx",
        "README.txt",
    ] {
        assert!(conf.join(f).is_file(), "{f}");
    }
    // The shipped libraries (the year's first and its July version, as the
    // pipeline declares) in place of the empty ones, one sample ledger.
    for lib in [
        "seeds/new-infra-library.xlsx",
        "seeds/new-infra-library-2023-07.xlsx",
    ] {
        assert!(conf.join(lib).is_file(), "{lib}");
        std::fs::copy(root().join(lib), conf.join(lib)).unwrap();
    }
    let inbox = conf.join("inbox/2023-07");
    std::fs::create_dir_all(&inbox).unwrap();
    let ledger = "南昌市新基建项目调度表（2023年7月）.xlsx";
    std::fs::copy(
        root().join("samples/inbox/2023-07").join(ledger),
        inbox.join(ledger),
    )
    .unwrap();
    let elsewhere = d.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let run = |args: &[&str], env: Option<&std::path::Path>| {
        let mut c = Command::new(bin());
        c.current_dir(&elsewhere).env_remove("TAIZHANG_ROOT");
        if let Some(e) = env {
            c.env("TAIZHANG_ROOT", e);
        }
        c.args(args)
            .arg("--inbox")
            .arg(conf.join("inbox"))
            .arg("--out")
            .arg(d.path().join("out"))
            .args(["--quiet", "--pipeline", "new-infra"]);
        c.output().unwrap()
    };
    let conf_s = conf.to_str().unwrap();
    let o = run(&["run", "--root", conf_s], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("采纳 40，拒收 0"), "{said}");
    let o = run(&["run"], Some(&conf));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // A second init keeps what the clerk edited.
    let o = Command::new(bin()).arg("init").arg(&conf).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("已存在，保留"));
}

#[test]
fn no_configuration_found_names_what_was_tried() {
    let d = tempfile::tempdir().unwrap();
    let o = Command::new(bin())
        .current_dir(d.path())
        .env("TAIZHANG_ROOT", d.path().join("nowhere"))
        .args(["run", "--root"])
        .arg(d.path().join("also-nowhere"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("找不到配置目录") && err.contains("also-nowhere"),
        "{err}"
    );
}
