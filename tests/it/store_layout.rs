//! The history store's layout (issue 9 item 6): each library version kept
//! once, as a snapshot named by the sha256 of its bytes, which the entries
//! name; entries written by the previous layout (rows inline, every key)
//! still load and behave as before; a snapshot removed by hand redoes the
//! periods that named it, and the rerun restores the same store.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use sha2::{Digest, Sha256};
use taizhang::model::Period;
use taizhang::pipeline::store::{to_json_lines, Store};

use super::common::run_once;
use super::libchange::{config_root, run};

/// Every file under `dir` (relative name → bytes), a store entry without
/// its `written_at`, a manifest without its timings.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().to_string();
            if rel.ends_with(".taizhang.lock") {
                continue;
            }
            let mut bytes = std::fs::read(&p).unwrap();
            let text = String::from_utf8_lossy(&bytes).to_string();
            if rel.ends_with("manifest.json") {
                let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                v.as_object_mut().unwrap().remove("timings_ms");
                bytes = serde_json::to_vec(&v).unwrap();
            } else if rel.starts_with("history/") && text.contains("\n  \"written_at\": ") {
                let kept: Vec<&str> = text
                    .lines()
                    .filter(|l| !l.starts_with("  \"written_at\": "))
                    .collect();
                bytes = kept.join("\n").into_bytes();
            }
            out.insert(rel, bytes);
        }
    }
    out
}

fn july(p: u32) -> Period {
    Period {
        year: 2023,
        month: p,
    }
}

/// The keys of a project record the store now leaves out at their default,
/// as the previous layout wrote them.
fn record_defaults() -> Vec<(&'static str, serde_json::Value)> {
    use serde_json::{json, Value};
    let text = ["name", "unit_id", "unit", "county", "category", "group"];
    let more = ["progress", "problems", "coordination", "source"];
    let mut out: Vec<(&str, Value)> = text.iter().chain(&more).map(|k| (*k, json!(""))).collect();
    for k in ["total_investment", "annual_plan", "month_done", "ytd_done"] {
        out.push((k, json!(0)));
    }
    for k in ["planned_start", "since_start_done", "start_date"] {
        out.push((k, Value::Null));
    }
    for k in ["reported", "carried"] {
        out.push((k, json!(false)));
    }
    out
}

/// Rewrites a store entry as the previous layout wrote it: library rows
/// inline, no snapshot named, every key of every record and finding.
fn to_previous_layout(store: &Store, program: &str, p: Period) {
    let sp = store.load(program, p).unwrap().unwrap();
    assert!(!sp.library_rows.is_empty(), "{p}: rows from the snapshot");
    let mut v = serde_json::to_value(&sp).unwrap();
    for r in v["records"].as_array_mut().unwrap() {
        let r = r.as_object_mut().unwrap();
        for (k, d) in record_defaults() {
            r.entry(k).or_insert(d);
        }
    }
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f.get("help").is_some() && f.get("file").is_some()));
    let bytes = to_json_lines(&v).unwrap();
    let path = store.dir.join(program).join(format!("{p}.json"));
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn each_library_version_is_kept_once_and_named_by_its_entries() {
    let history = run_once().join("history");
    let store = Store::new(&history);
    for program in ["new-infra", "digital-economy"] {
        let mut named = BTreeSet::new();
        let mut versions = BTreeSet::new();
        for p in store.periods(program) {
            let path = history.join(program).join(format!("{p}.json"));
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(!text.contains("\"library_rows\""), "{program} {p}");
            let head = store.load_head(program, p).unwrap().unwrap();
            let sha = head.library_snapshot.expect("a snapshot named");
            let stamp = head.library.expect("a library stamp");
            versions.insert((stamp.file, stamp.sha256));
            let bytes = std::fs::read(store.snapshot_path(program, &sha)).unwrap();
            assert_eq!(format!("{:x}", Sha256::digest(&bytes)), sha);
            named.insert(sha);
        }
        let kept: BTreeSet<String> = std::fs::read_dir(history.join(program).join("library"))
            .unwrap()
            .map(|e| {
                let n = e.unwrap().file_name().to_string_lossy().to_string();
                n.trim_end_matches(".json").to_string()
            })
            .collect();
        assert_eq!(kept, named, "{program}: one file per version named");
        assert_eq!(kept.len(), versions.len(), "{program}: {versions:?}");
        assert_eq!(kept.len(), 2, "{program}: the samples' two versions");
    }
    // A tasks-kind program keeps no library rows.
    assert!(!history.join("work-plan").join("library").exists());
}

#[test]
fn entries_of_the_previous_layout_are_done_and_reruns_use_their_rows() {
    let d = tempfile::tempdir().unwrap();
    let conf = config_root(d.path());
    let out = d.path().join("out");
    run(&conf, &out, &[]);
    let first = files(&out);
    let store = Store::new(out.join("history"));
    for m in 1..=6 {
        to_previous_layout(&store, "new-infra", july(m));
    }
    std::fs::remove_dir_all(out.join("history/new-infra/library")).unwrap();
    let old: BTreeMap<String, Vec<u8>> = files(&out)
        .into_iter()
        .filter(|(k, _)| k.starts_with("history/new-infra/2023-0") && !k.contains("2023-07"))
        .collect();
    assert_eq!(old.len(), 6);

    // Done as they are: only the target month is written again, its
    // 项目库变动 read against June's inline rows, the same bytes.
    let said = run(&conf, &out, &[]);
    assert!(!said.contains("重新处理"), "{said}");
    let now = files(&out);
    for (k, v) in &first {
        if k.starts_with("new-infra/") || k.ends_with("2023-07.json") {
            assert!(now.get(k) == Some(v), "{k} differs after the rerun");
        }
    }
    for (k, v) in &old {
        assert!(now[k] == *v, "{k} rewritten");
    }
    // Only July names a snapshot now: its version's, the same bytes.
    let sha = store
        .load_head("new-infra", july(7))
        .unwrap()
        .unwrap()
        .library_snapshot
        .unwrap();
    let snapshots: Vec<&String> = now.keys().filter(|k| k.contains("/library/")).collect();
    let july_snapshot = format!("history/new-infra/library/{sha}.json");
    assert_eq!(snapshots, vec![&july_snapshot]);
    assert!(first[&july_snapshot] == now[&july_snapshot]);

    // The library file replaced in place: a redone earlier month uses the
    // rows its old-layout entry holds, the same workbooks as the first run.
    std::fs::copy(
        conf.join("seeds/new-infra-library-2023-07.xlsx"),
        conf.join("seeds/new-infra-library.xlsx"),
    )
    .unwrap();
    let said = run(&conf, &out, &["--redo", "2023-03"]);
    assert!(
        said.contains("新基建项目 2023-03：按 --redo 要求重做"),
        "{said}"
    );
    let now = files(&out);
    for (k, v) in &first {
        if k.starts_with("new-infra/2023-03/") || k == "history/new-infra/2023-03.json" {
            assert!(now.get(k) == Some(v), "{k} differs after the redo");
        }
    }
}

#[test]
fn a_snapshot_removed_by_hand_redoes_its_periods_and_is_restored() {
    let d = tempfile::tempdir().unwrap();
    let conf = config_root(d.path());
    let out = d.path().join("out");
    run(&conf, &out, &[]);
    let first = files(&out);
    std::fs::remove_dir_all(out.join("history/new-infra/library")).unwrap();
    let said = run(&conf, &out, &[]);
    assert!(
        said.contains("新基建项目 2023-01：历史库中该期核对所用的项目库快照缺失，重新处理"),
        "{said}"
    );
    let now = files(&out);
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        now.keys().collect::<Vec<_>>()
    );
    for (k, v) in &first {
        assert!(now[k] == *v, "{k} differs");
    }
}
