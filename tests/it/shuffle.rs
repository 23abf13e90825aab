//! The order files arrive in never changes the outputs (issue 9): an inbox of
//! several units — one file each, two disjoint parts, a full ledger and a 补报
//! of one project, a ledger and its full revision, two files ordered by name
//! only, a project sent by another unit — is copied into the period folder in
//! several seeded orders (each file keeping its own modification time, so
//! only creation and directory order change) and run through the CLI; the
//! monthly and feedback workbooks must be byte-identical across the orders,
//! and the manifest (timings aside) and the store entry (its `written_at`
//! aside) equal.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::common::root;
use super::units::{clean, corrected, of, Ledger, Row};

const JULY: &str = "2023-07";

/// The files of the inbox (name, ledger, modification time in seconds).
fn inbox() -> Vec<(String, Ledger, u64)> {
    let base = 1_691_000_000u64;
    let nc = of("南昌市");
    let jj = of("九江市");
    let gz = of("赣州市");
    let gj = of("赣江新区");
    let all = |ps: &[&'static taizhang::seeds::Project]| -> Vec<Row> {
        ps.iter().map(|p| clean(p)).collect()
    };
    let revised: Vec<Row> = gz.iter().map(|p| corrected(p)).collect();
    let mut gj_b = all(&gj);
    gj_b[0] = corrected(gj[0]);
    // 赣江新区's B file also carries a 南昌市 project (a cross-unit duplicate).
    gj_b.push(clean(nc[5]));
    vec![
        // Full ledger and a later 补报 of one project.
        (
            "南昌市新基建台账.xlsx".into(),
            Ledger::of("南昌市", 3, all(&nc)),
            base,
        ),
        (
            "南昌市补报1个项目.xlsx".into(),
            Ledger::of("南昌市", 5, vec![corrected(nc[1])]),
            base + 600,
        ),
        // Two disjoint parts.
        (
            "九江市续建项目.xlsx".into(),
            Ledger::of("九江市", 3, all(&jj[..3])),
            base + 60,
        ),
        (
            "九江市新开工项目.xlsx".into(),
            Ledger::of("九江市", 3, all(&jj[3..])),
            base + 120,
        ),
        // A ledger and its full revision, the same 填报时间: file time decides.
        (
            "赣州市台账.xlsx".into(),
            Ledger::of("赣州市", 4, all(&gz)),
            base + 180,
        ),
        (
            "赣州市台账（修订）.xlsx".into(),
            Ledger::of("赣州市", 4, revised),
            base + 900,
        ),
        // Same 填报时间, same file time: only the names order them.
        (
            "赣江新区台账A.xlsx".into(),
            Ledger::of("赣江新区", 3, all(&gj)),
            base + 300,
        ),
        (
            "赣江新区台账B.xlsx".into(),
            Ledger::of("赣江新区", 3, gj_b),
            base + 300,
        ),
    ]
}

/// A permutation of 0..n from a seed (xorshift, Fisher-Yates).
fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).collect();
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
    v
}

/// Every file under `dir` (relative name → bytes).
fn files_under(dir: &Path, base: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, base, out);
        } else {
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            out.insert(rel, std::fs::read(&p).unwrap());
        }
    }
}

/// What one run wrote: every output file but the manifest, the manifest
/// without its timings, and the store entry.
struct Outputs {
    files: BTreeMap<String, Vec<u8>>,
    manifest: Value,
    /// The store entry, without the wall-clock `written_at`.
    store: Value,
}

/// Copies the sources into `work/inbox/2023-07` in `order` and runs July.
fn run_in_order(work: &Path, sources: &Path, names: &[(String, u64)], order: &[usize]) -> Outputs {
    for d in ["inbox", "out"] {
        let _ = std::fs::remove_dir_all(work.join(d));
    }
    let period = work.join("inbox").join(JULY);
    std::fs::create_dir_all(&period).unwrap();
    for &i in order {
        let (name, mtime) = &names[i];
        let to = period.join(name);
        std::fs::copy(sources.join(name), &to).unwrap();
        let f = std::fs::File::options().write(true).open(&to).unwrap();
        f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(*mtime))
            .unwrap();
    }
    let out = work.join("out");
    Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(root())
        .args(["run", "--quiet", "--pipeline", "new-infra", "--inbox"])
        .arg(work.join("inbox"))
        .arg("--out")
        .arg(&out)
        .args(["--period", JULY])
        .assert()
        .success();
    let dir = out.join("new-infra").join(JULY);
    let mut files = BTreeMap::new();
    files_under(&dir, &dir, &mut files);
    let manifest_bytes = files.remove("manifest.json").unwrap();
    let mut manifest: Value = serde_json::from_slice(&manifest_bytes).unwrap();
    manifest.as_object_mut().unwrap().remove("timings_ms");
    let entry = out
        .join("history")
        .join("new-infra")
        .join(format!("{JULY}.json"));
    let mut store: Value = serde_json::from_slice(&std::fs::read(entry).unwrap()).unwrap();
    store.as_object_mut().unwrap().remove("written_at");
    Outputs {
        files,
        manifest,
        store,
    }
}

#[test]
fn shuffled_inbox_gives_identical_outputs() {
    let sources = tempfile::tempdir().unwrap();
    let mut names: Vec<(String, u64)> = Vec::new();
    for (name, ledger, mtime) in inbox() {
        ledger.write(&sources.path().join(&name));
        names.push((name, mtime));
    }
    let work = tempfile::tempdir().unwrap();
    let n = names.len();
    let identity: Vec<usize> = (0..n).collect();
    let first = run_in_order(work.path(), sources.path(), &names, &identity);
    // The inbox exercises what order could change: superseded files, W008,
    // W217, a cross-unit duplicate, and feedback workbooks.
    let ids: Vec<&str> = first.manifest["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    for id in ["W008", "W217", "E204"] {
        assert!(ids.contains(&id), "no {id} in {ids:?}");
    }
    let feedback = first
        .files
        .keys()
        .filter(|k| k.starts_with("feedback/"))
        .count();
    assert!(feedback >= 3, "{:?}", first.files.keys());
    let mut orders: Vec<Vec<usize>> = vec![(0..n).rev().collect()];
    orders.extend((1..=3u64).map(|seed| permutation(n, seed)));
    for order in &orders {
        assert_ne!(order, &identity);
        let got = run_in_order(work.path(), sources.path(), &names, order);
        let names_of = |o: &Outputs| o.files.keys().cloned().collect::<Vec<_>>();
        assert_eq!(names_of(&got), names_of(&first), "order {order:?}");
        for (k, bytes) in &first.files {
            assert!(got.files[k] == *bytes, "{k} differs for order {order:?}");
        }
        assert_eq!(got.manifest, first.manifest, "manifest, order {order:?}");
        assert_eq!(got.store, first.store, "store entry, order {order:?}");
    }
}
