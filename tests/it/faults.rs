//! A month-end run a clerk can kill, rerun, run twice and feed anything:
//! SIGKILL at many moments, a disk that fills at every stage, two runs at
//! once, a folder squatting on a report, a mistaken library, an empty or a
//! changed month, a clerk's own files — each rerun must give the outputs of
//! a run that never stopped (manifest and store equal but for their timing
//! fields).

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::common::root;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("taizhang")
}

/// `taizhang run --quiet --out OUT` plus `args`, from the project root.
fn run(out: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(bin())
        .current_dir(root())
        .args(["run", "--quiet", "--out"])
        .arg(out)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(out: &Path, args: &[&str]) -> String {
    let o = run(out, args);
    assert!(
        o.status.success(),
        "run failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// Every file under `dir` (relative name → bytes), the manifest's timings and
/// the store's `written_at` removed, the lock file left out.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(root, &p, out);
            continue;
        }
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().to_string();
        if rel.ends_with(".taizhang.lock") {
            continue;
        }
        let mut bytes = std::fs::read(&p).unwrap();
        if rel.ends_with(".json") {
            let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            if let Some(o) = v.as_object_mut() {
                o.remove("timings_ms");
                o.remove("written_at");
            }
            bytes = serde_json::to_vec(&v).unwrap();
        }
        out.insert(rel, bytes);
    }
}

fn assert_same(want: &BTreeMap<String, Vec<u8>>, got: &BTreeMap<String, Vec<u8>>, what: &str) {
    let names = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(want), names(got), "{what}: different files");
    for (k, v) in want {
        assert!(got[k] == *v, "{what}: {k} differs");
    }
}

/// The samples run once without interruption: its snapshot, the bytes it
/// wrote, and how long it took.
fn reference() -> &'static (BTreeMap<String, Vec<u8>>, u64, Duration) {
    static R: OnceLock<(BTreeMap<String, Vec<u8>>, u64, Duration)> = OnceLock::new();
    R.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let t = Instant::now();
        ok(d.path(), &[]);
        let took = t.elapsed();
        let snap = snapshot(d.path());
        let written = raw_bytes(d.path());
        (snap, written, took)
    })
}

/// Bytes of every file the run wrote (what passes through atomic writes).
fn raw_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if !p.ends_with(".taizhang.lock") {
                total += std::fs::metadata(&p).unwrap().len();
            }
        }
    }
    total
}

/// Names left behind by a run that did not finish: temp files, staging folders.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            if n.contains(".taizhang-tmp-") || n.starts_with(".taizhang-staging-") {
                out.push(p.display().to_string());
            }
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    out
}

#[test]
fn killed_at_any_moment_then_rerun_gives_the_same_outputs() {
    let (want, _, took) = reference();
    // Kill points spread over the length of a whole run (at least 0.5 s),
    // from the first file read to the last store entry.
    let span = took.as_millis().max(500) as u64;
    let points = 20;
    let mut interrupted = 0;
    for i in 0..points {
        let d = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(bin())
            .current_dir(root())
            .args(["run", "--quiet", "--out"])
            .arg(d.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(5 + span * i / points));
        let finished = child.try_wait().unwrap().is_some();
        if !finished {
            interrupted += 1;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let stdout = ok(d.path(), &[]);
        assert!(
            leftovers(d.path()).is_empty(),
            "kill point {i}: left {:?}",
            leftovers(d.path())
        );
        assert_same(want, &snapshot(d.path()), &format!("kill point {i}"));
        // A rerun of a run that finished redoes only the latest month.
        if finished {
            assert!(!stdout.contains("重新处理"), "{stdout}");
        }
    }
    // Not vacuous: kill points land inside the run (a quarter of them at
    // least, even when the machine is much faster than when the reference ran).
    assert!(
        interrupted >= points / 4,
        "only {interrupted} runs were interrupted"
    );
}

#[test]
fn a_disk_that_fills_at_any_stage_fails_cleanly_and_a_rerun_completes() {
    let (want, total, _) = reference();
    let points = 14u64;
    for i in 0..points {
        let budget = total * i / points + i; // from the first byte to the last writes
        let d = tempfile::tempdir().unwrap();
        let o = std::process::Command::new(bin())
            .current_dir(root())
            .args(["run", "--quiet", "--out"])
            .arg(d.path())
            .env("TAIZHANG_FAULT_WRITE_AFTER", budget.to_string())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "budget {budget}: {err}");
        assert!(err.contains("磁盘空间不足"), "budget {budget}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(leftovers(d.path()).is_empty(), "{:?}", leftovers(d.path()));
        ok(d.path(), &[]);
        assert_same(want, &snapshot(d.path()), &format!("budget {budget}"));
    }
}

#[test]
fn two_runs_at_once_never_mix_their_outputs() {
    let (want, _, _) = reference();
    for round in 0..4 {
        let d = tempfile::tempdir().unwrap();
        // The second of each pair waits for the lock in the last round.
        let wait: &[&str] = if round == 3 { &["--wait", "120"] } else { &[] };
        let spawn = || {
            std::process::Command::new(bin())
                .current_dir(root())
                .args(["run", "--quiet", "--out"])
                .arg(d.path())
                .args(wait)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
        let mut succeeded = 0;
        for o in &outs {
            let err = String::from_utf8_lossy(&o.stderr);
            if o.status.success() {
                succeeded += 1;
            } else {
                assert_eq!(o.status.code(), Some(1), "{err}");
                assert!(err.contains("另一个 taizhang 正在使用"), "{err}");
                assert!(err.contains("进程"), "the holder is named: {err}");
            }
        }
        assert!(succeeded >= 1);
        if round == 3 {
            assert_eq!(succeeded, 2, "with --wait both runs finish");
        }
        assert_same(want, &snapshot(d.path()), &format!("round {round}"));
    }
}

#[test]
fn a_folder_squatting_on_an_earlier_report_then_removed_is_redone() {
    let (want, _, _) = reference();
    let d = tempfile::tempdir().unwrap();
    let squat = d
        .path()
        .join("new-infra/2023-03/新基建项目月度监测表-2023年03月.xlsx");
    std::fs::create_dir_all(&squat).unwrap();
    std::fs::write(squat.join("x.txt"), "x").unwrap();
    let o = run(d.path(), &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("文件夹占用"), "{err}");
    assert!(
        err.contains("新基建项目月度监测表-2023年03月.xlsx"),
        "{err}"
    );
    std::fs::remove_dir_all(&squat).unwrap();
    ok(d.path(), &[]);
    assert_same(want, &snapshot(d.path()), "after the folder was removed");
    // And an earlier report deleted by hand is noticed and rewritten.
    std::fs::remove_file(
        d.path()
            .join("new-infra/2023-05/新基建项目月度监测表-2023年05月.xlsx"),
    )
    .unwrap();
    let said = ok(d.path(), &[]);
    assert!(
        said.contains("2023-05：报表 新基建项目月度监测表-2023年05月.xlsx 缺失"),
        "{said}"
    );
    assert_same(want, &snapshot(d.path()), "after a report was deleted");
}

#[test]
fn a_run_with_the_wrong_library_is_undone_by_the_corrected_rerun() {
    let (want, _, _) = reference();
    let d = tempfile::tempdir().unwrap();
    let lib = root().join("seeds/digital-economy-library.xlsx");
    ok(
        d.path(),
        &[
            "--pipeline",
            "new-infra",
            "--library",
            lib.to_str().unwrap(),
        ],
    );
    let said = ok(d.path(), &[]);
    assert!(
        said.contains("新基建项目 2023-01：项目库文件已变更"),
        "{said}"
    );
    assert_same(want, &snapshot(d.path()), "corrected rerun");
}

/// The samples inbox copied into `dir/inbox`.
fn copy_inbox(dir: &Path) -> PathBuf {
    let to = dir.join("inbox");
    let from = root().join("samples/inbox");
    for e in std::fs::read_dir(&from).unwrap() {
        let p = e.unwrap().path();
        let t = to.join(p.file_name().unwrap());
        std::fs::create_dir_all(&t).unwrap();
        for f in std::fs::read_dir(&p).unwrap() {
            let f = f.unwrap().path();
            std::fs::copy(&f, t.join(f.file_name().unwrap())).unwrap();
        }
    }
    to
}

#[test]
fn an_empty_month_is_neither_processed_nor_stored() {
    let d = tempfile::tempdir().unwrap();
    let inbox = copy_inbox(d.path());
    std::fs::create_dir_all(inbox.join("2023-08")).unwrap();
    let out = d.path().join("out");
    let inbox_s = inbox.to_str().unwrap();
    let said = ok(&out, &["--inbox", inbox_s]);
    assert!(said.contains("2023-08：文件夹"), "{said}");
    assert!(said.contains("未写入历史库"), "{said}");
    assert!(out.join("new-infra/2023-07").is_dir());
    assert!(!out.join("new-infra/2023-08").exists());
    assert!(!out.join("history/new-infra/2023-08.json").exists());
    let o = run(&out, &["--inbox", inbox_s, "--period", "2023-08"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("没有任何台账文件"), "{err}");
    assert!(!out.join("history/new-infra/2023-08.json").exists());
}

#[test]
fn a_file_replaced_in_an_earlier_month_redoes_that_month_and_the_later_ones() {
    let d = tempfile::tempdir().unwrap();
    let inbox = copy_inbox(d.path());
    let out = d.path().join("out");
    let inbox_s = inbox.to_str().unwrap();
    ok(&out, &["--inbox", inbox_s]);
    let said = ok(&out, &["--inbox", inbox_s]);
    assert!(!said.contains("重新处理"), "{said}");
    // 南昌's May ledger replaced by its April one (a clerk's slip).
    let may = inbox.join("2023-05/南昌市新基建项目调度表（2023年5月）.xlsx");
    std::fs::copy(
        inbox.join("2023-04/南昌市新基建项目调度表（2023年4月）.xlsx"),
        &may,
    )
    .unwrap();
    let said = ok(&out, &["--inbox", inbox_s]);
    assert!(
        said.contains(
            "新基建项目 2023-05：收件文件 南昌市新基建项目调度表（2023年5月）.xlsx 已被替换"
        ),
        "{said}"
    );
    assert!(
        said.contains("新基建项目 2023-05 之后的各期随之重新处理"),
        "{said}"
    );
    assert!(!said.contains("数字经济重点项目 2023-04"), "{said}");
    // --redo and --from rebuild on purpose.
    let said = ok(&out, &["--inbox", inbox_s, "--redo", "2023-02"]);
    assert!(said.contains("2023-02：按 --redo 要求重做"), "{said}");
    assert!(!said.contains("2023-03"), "{said}");
    let said = ok(&out, &["--inbox", inbox_s, "--from", "2023-06"]);
    assert!(said.contains("2023-06：按 --from 要求重做"), "{said}");
}

#[test]
fn a_rerun_keeps_a_clerks_files_and_cleans_what_a_killed_run_left() {
    let (want, _, _) = reference();
    let d = tempfile::tempdir().unwrap();
    ok(d.path(), &[]);
    let fb = d.path().join("new-infra/2023-07/feedback");
    std::fs::create_dir_all(fb.join("已发送")).unwrap();
    std::fs::write(fb.join("我的备注.txt"), "已电话通知九江").unwrap();
    std::fs::write(fb.join("已发送/九江市.xlsx"), "x").unwrap();
    // What a killed run leaves: a temp file and a staging folder.
    let tmp = d
        .path()
        .join("new-infra/2023-07/.manifest.json.taizhang-tmp-99999-0");
    std::fs::write(&tmp, "partial").unwrap();
    let staging = d.path().join("new-infra/.taizhang-staging-2023-07-99999");
    std::fs::create_dir_all(&staging).unwrap();
    let said = ok(d.path(), &["--redo", "2023-06"]);
    assert!(said.contains("已清理上次中断运行留下的 2 个"), "{said}");
    assert!(!tmp.exists() && !staging.exists());
    assert_eq!(
        std::fs::read_to_string(fb.join("我的备注.txt")).unwrap(),
        "已电话通知九江"
    );
    assert!(fb.join("已发送/九江市.xlsx").exists());
    let mut got = snapshot(d.path());
    got.retain(|k, _| !k.contains("我的备注") && !k.contains("已发送"));
    assert_same(want, &got, "rerun beside a clerk's files");
}

#[test]
fn unusable_folders_and_waivers_are_refused_before_any_work() {
    let d = tempfile::tempdir().unwrap();
    // The output folder's path is taken by a file.
    let out = d.path().join("out");
    std::fs::write(&out, "x").unwrap();
    let o = run(&out, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("路径被同名文件占用"), "{err}");
    // Waivers typed with a Chinese IME: the line is named, nothing is written.
    let inbox = copy_inbox(d.path());
    std::fs::write(
        inbox.join("waivers.toml"),
        "[[waiver]]\nproject = \"2023-360100-64-01-104233\"\ncheck = “W306”\n",
    )
    .unwrap();
    let out = d.path().join("out2");
    let o = run(&out, &["--inbox", inbox.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("第 3 行") && err.contains("全角"), "{err}");
    assert!(!out.join("history").exists() || snapshot(&out).is_empty());
}

#[test]
fn pipeline_problems_of_every_file_are_reported_at_once() {
    let d = tempfile::tempdir().unwrap();
    for dir in ["pipelines", "seeds"] {
        std::fs::create_dir_all(d.path().join(dir)).unwrap();
    }
    std::fs::copy(
        root().join("seeds/units.toml"),
        d.path().join("seeds/units.toml"),
    )
    .unwrap();
    for (f, bad) in [
        (
            "new-infra.toml",
            ("default_unit = \"万元\"", "default_unit = \"美元\""),
        ),
        (
            "digital-economy.toml",
            ("default_unit = \"万元\"", "default_unit = \"卢布\""),
        ),
    ] {
        let text = std::fs::read_to_string(root().join("pipelines").join(f)).unwrap();
        assert!(text.contains(bad.0));
        std::fs::write(
            d.path().join("pipelines").join(f),
            text.replace(bad.0, bad.1),
        )
        .unwrap();
    }
    let o = Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(d.path())
        .args(["run", "--quiet", "--inbox"])
        .arg(root().join("samples/inbox"))
        .arg("--out")
        .arg(d.path().join("out"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("new-infra.toml") && err.contains("digital-economy.toml"),
        "{err}"
    );
}
