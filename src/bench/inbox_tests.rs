//! The bench generator: deterministic bytes, the planted mistakes it counts,
//! headers that name their fields, pipelines it cannot generate for.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;
use crate::seeds::Units;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn spec(id: &str) -> PipelineSpec {
    let r = root();
    crate::config::load_pipeline(&r.join("pipelines").join(format!("{id}.toml")), &r).unwrap()
}

fn units() -> Vec<Unit> {
    Units::load(&root().join("seeds").join("units.toml"))
        .unwrap()
        .list
}

/// Every file under `dir` (relative name → bytes), in name order.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let name = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(name, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn shape(messy: bool) -> Shape {
    Shape {
        files: 9,
        rows_per_file: 30,
        seed: 5,
        messy,
    }
}

#[test]
fn same_seed_same_bytes() {
    let d = tempfile::tempdir().unwrap();
    for id in ["new-infra", "digital-economy"] {
        let s = spec(id);
        let a = write(&d.path().join(id).join("a"), &s, &units(), shape(true)).unwrap();
        let b = write(&d.path().join(id).join("b"), &s, &units(), shape(true)).unwrap();
        assert_eq!(a.planted, b.planted);
        assert_eq!(a.files_all, b.files_all);
        let (fa, fb) = (
            files(&d.path().join(id).join("a")),
            files(&d.path().join(id).join("b")),
        );
        assert!(fa.len() > 2 * 9, "{:?}", fa.keys());
        assert_eq!(fa, fb, "{id}");
        assert!(a.library.exists());
    }
    // Another seed plants other mistakes.
    let s = spec("new-infra");
    let other = Shape {
        seed: 6,
        ..shape(true)
    };
    let c = write(&d.path().join("c"), &s, &units(), other).unwrap();
    let a = write(&d.path().join("a2"), &s, &units(), shape(true)).unwrap();
    assert_ne!(c.planted, a.planted);
}

/// Planted mistakes by kind.
type Planted = Vec<(&'static str, usize)>;

/// July's parts of a large inbox, with the true rows and the planted counts.
fn july(messy: bool) -> (Plan, Vec<Vec<Row>>, Vec<Part>, Planted) {
    let s = spec("new-infra");
    let shape = Shape {
        files: 40,
        rows_per_file: 250,
        seed: 11,
        messy,
    };
    let plan = Plan::new(units().len(), shape);
    let base = base_rows(&s, &units(), &plan);
    let mut planted: Planted = MISTAKES.iter().map(|m| (*m, 0)).collect();
    let parts = month_parts(&base, &plan, shape, 7, &mut planted);
    (plan, base, parts, planted)
}

#[test]
fn planted_mistakes_are_what_it_counts() {
    let (plan, base, parts, planted) = july(true);
    let truth: BTreeMap<&str, &Row> = base
        .iter()
        .flatten()
        .map(|r| (r.code.as_str(), r))
        .collect();
    let mut found = [0usize; 6];
    // The parts themselves; the revisions and 补报 files after them repeat rows.
    for part in &parts[..plan.parts] {
        for (i, r) in part.rows.iter().enumerate() {
            if r.code.contains("-64-09-") {
                found[0] += 1;
                assert!(r.name.ends_with("（一期）"));
                continue;
            }
            if r.month_text {
                found[1] += 1;
            }
            let t = truth[r.code.as_str()];
            if r.ytd < t.ytd - t.month {
                found[2] += 1;
            }
            if r.ytd == t.ytd * WAN {
                found[3] += 1;
            }
            if r.unit != part.unit {
                found[4] += 1;
            }
            if i > 0 && part.rows[i - 1] == *r {
                found[5] += 1;
            }
        }
    }
    let rows: usize = base.iter().map(Vec::len).sum();
    for (k, (name, n)) in planted.iter().enumerate() {
        assert_eq!(found[k], *n, "{name}");
        // About 2% each (10,000 rows: 200 expected).
        assert!((120..=280).contains(n), "{name} {n} of {rows}");
    }
    // 13 units, 40 parts: 3-4 parts a unit; some units send a revision or a 补报 file.
    assert_eq!(plan.units, 12);
    let mut per_unit = vec![0; plan.units];
    parts[..plan.parts]
        .iter()
        .for_each(|p| per_unit[p.unit] += 1);
    assert!(per_unit.iter().all(|n| (3..=4).contains(n)), "{per_unit:?}");
    let extra: Vec<&str> = parts[plan.parts..]
        .iter()
        .map(|p| p.prefix.as_str())
        .collect();
    assert!(extra.iter().any(|p| p.ends_with("补报-")), "{extra:?}");
    assert!(extra.iter().any(|p| p.ends_with("修订-")), "{extra:?}");
}

#[test]
fn clean_is_one_file_a_unit_without_mistakes() {
    let (plan, base, parts, planted) = july(false);
    // Every unit of seeds/units.toml (cities, 赣江新区, departments).
    assert!(plan.units >= 13, "{}", plan.units);
    assert_eq!(parts.len(), plan.units);
    assert!(planted.iter().all(|(_, n)| *n == 0));
    let rows: usize = parts.iter().map(|p| p.rows.len()).sum();
    assert_eq!(rows, 40 * 250);
    assert_eq!(
        parts.iter().map(|p| p.rows.clone()).collect::<Vec<_>>(),
        base
    );
}

#[test]
fn every_header_names_its_field() {
    for id in ["new-infra", "digital-economy"] {
        let s = spec(id);
        let u = units();
        for style in 0..3 {
            let part = Part {
                unit: 0,
                rows: Vec::new(),
                fill_day: 3,
                prefix: String::new(),
                style,
            };
            let sheet = Sheet::new(
                &s,
                &u,
                &part,
                Period {
                    year: 2023,
                    month: 7,
                },
            );
            for (key, _, h) in &sheet.columns {
                assert!(
                    names_field(&s, h, key),
                    "{id} style {style}: {h} is not {key}"
                );
            }
            let keys: Vec<&str> = sheet.columns.iter().map(|c| c.0.as_str()).collect();
            assert_eq!(keys.contains(&"batch"), s.group_label.is_some(), "{keys:?}");
        }
    }
}

#[test]
fn a_pipeline_without_money_fields_is_refused_in_chinese() {
    let mut s = spec("new-infra");
    s.fields
        .retain(|f| !matches!(f.key.as_str(), "month_done" | "ytd_done"));
    let e = check_pipeline(&s).unwrap_err().to_string();
    assert!(
        e.contains("“本月完成投资”（month_done）、“累计完成投资”（ytd_done）"),
        "{e}"
    );
    assert!(e.contains("无法为它生成测试收件箱"), "{e}");
    let d = tempfile::tempdir().unwrap();
    assert!(write(d.path(), &s, &units(), shape(true)).is_err());
    assert!(
        std::fs::read_dir(d.path()).unwrap().next().is_none(),
        "nothing written"
    );
}
