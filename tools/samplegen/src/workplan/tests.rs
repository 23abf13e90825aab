//! Tests of the work-plan data: the annex parser, the library read back with
//! calamine, the planted choices and reproducibility.
//!
//! The annex lives outside the repository (`../shared/data/`); when it is
//! absent the tests that need it say so and pass without checking.

use std::collections::BTreeMap;
use std::path::PathBuf;

use calamine::{open_workbook, Data, Reader, Xlsx};

use super::super::units::embedded_units;
use super::annex::{self, clean_label, due_month, Item, LOST_NOTE, LOST_TEXT};
use super::plant::{Plant, PLANTS, SILENT, SUPPLEMENT};
use super::truth::{simulate, State, FORCED_DONE};
use super::{library, load_items, reporting_units, DEFAULT_ANNEX};

fn annex() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_ANNEX);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("annex not found at {}: skipped", p.display());
        None
    }
}

fn items() -> Option<Vec<Item>> {
    let units = embedded_units().unwrap();
    annex().map(|p| load_items(&p, &units).unwrap())
}

fn item(items: &[Item], seq: u32) -> &Item {
    &items[seq as usize - 1]
}

/// Character-multiset Dice similarity (spaces ignored): how much two texts share.
fn similarity(a: &str, b: &str) -> f64 {
    let count = |s: &str| {
        let mut m: BTreeMap<char, usize> = BTreeMap::new();
        for c in s.chars().filter(|c| !c.is_whitespace()) {
            *m.entry(c).or_default() += 1;
        }
        m
    };
    let (ma, mb) = (count(a), count(b));
    let shared: usize = ma
        .iter()
        .map(|(c, n)| (*n).min(mb.get(c).copied().unwrap_or(0)))
        .sum();
    let total: usize = ma.values().sum::<usize>() + mb.values().sum::<usize>();
    if total == 0 {
        0.0
    } else {
        2.0 * shared as f64 / total as f64
    }
}

#[test]
fn annex_has_111_items_in_order() {
    let Some(items) = items() else { return };
    assert_eq!(items.len(), 111);
    for (k, it) in items.iter().enumerate() {
        assert_eq!(it.seq as usize, k + 1);
        assert!(!it.group.is_empty(), "item {} has no group", it.seq);
        assert!(!it.group.contains(' ') && !it.group.contains('（'));
        assert!(!it.reporting.is_empty());
        assert_eq!(it.reporting[0], it.lead, "item {}", it.seq);
    }
}

#[test]
fn lost_texts_are_exactly_46_to_58_and_marked() {
    let Some(items) = items() else { return };
    let lost: Vec<u32> = items
        .iter()
        .filter(|i| i.text.is_none())
        .map(|i| i.seq)
        .collect();
    assert_eq!(lost, (46..=58).collect::<Vec<_>>());
    for seq in 46..=58 {
        let it = item(&items, seq);
        assert_eq!(it.text_or_lost(), LOST_TEXT);
        assert!(it.notes.iter().any(|n| n == LOST_NOTE));
    }
    assert_eq!(item(&items, 46).group, "“全景江西”建设专项");
    assert_eq!(item(&items, 50).group, "招商引资工作专项");
    assert_eq!(item(&items, 57).reporting, ["省商务厅", "省科技厅"]);
    // Artefacts are kept as found.
    assert!(item(&items, 45).text_or_lost().contains(" and VR"));
    assert!(item(&items, 4).text_or_lost().contains("平台 3 个"));
}

#[test]
fn groups_follow_the_block_rule() {
    let Some(items) = items() else { return };
    let g = |s: u32| {
        (
            item(&items, s).group.as_str(),
            item(&items, s).group_inferred,
        )
    };
    // Label on row 4 of the block 1-7: rows above take it (below), marked inferred.
    assert_eq!(g(1), ("数字技术创新专项", true));
    assert_eq!(g(4), ("数字技术创新专项", false));
    assert_eq!(item(&items, 4).group_lead, "省科技厅牵头");
    assert_eq!(item(&items, 8).group_lead, "省工信厅、省发改委牵头");
    // Block 20-32: 20-22 take 23's label from below, 29 the nearest above (23's).
    assert_eq!(g(20), ("重大项目建设专项", true));
    assert_eq!(g(29), ("重大项目建设专项", true));
    assert_eq!(g(30), ("制造业数字化转型专项", false));
    // Block 59-71: 69 takes 63's label (at or above), 70 carries its own.
    assert_eq!(g(69), ("数字乡村和智慧农业建设专项", true));
    assert_eq!(g(70), ("智慧交通建设专项", false));
    // Block 84-92 has no label column at all: it continues the previous block.
    for s in 84..=92 {
        assert_eq!(g(s), ("智慧教育和数字技术(技能)人才教育专项", true), "{s}");
    }
    assert!(item(&items, 84)
        .text_or_lost()
        .starts_with("编制全省数字经济人才需求目录"));
    for it in &items {
        assert_eq!(
            it.notes.iter().any(|n| n == annex::INFERRED_GROUP),
            it.group_inferred
        );
    }
}

#[test]
fn units_expand_and_resolve() {
    let Some(items) = items() else { return };
    let units = embedded_units().unwrap();
    let it12 = item(&items, 12);
    assert_eq!(it12.lead, "省发改委");
    assert_eq!(it12.reporting.len(), 13);
    assert_eq!(it12.partners.len(), 12);
    assert!(it12.partners.contains(&"赣江新区".to_string()));
    assert!(it12.partners.contains(&"萍乡市".to_string()));
    let it42 = item(&items, 42);
    assert!(it42.partners.contains(&"有关部门".to_string()));
    assert!(!it42.reporting.contains(&"有关部门".to_string()));
    assert_eq!(it42.reporting.len(), 13);
    assert!(it42.notes.iter().any(|n| n == annex::VAGUE_NOTE));
    assert_eq!(
        item(&items, 20).reporting,
        ["省发改委", "省科技厅", "南昌市"]
    );
    assert!(item(&items, 92).reporting.contains(&"南昌市".to_string()));
    assert_eq!(item(&items, 15).lead, "省通信管理局");
    // Every reporting unit is a unit of the units file.
    for it in &items {
        for u in &it.reporting {
            assert!(units.iter().any(|x| &x.name == u), "{u}");
        }
    }
    let reporters = reporting_units(&items, &units);
    assert_eq!(reporters.len(), 31);
    assert!(reporters.iter().all(|u| u.name != "有关部门"));
}

#[test]
fn due_months_from_text() {
    assert_eq!(due_month("上半年完成全省一体化平台建设").0, 6);
    assert_eq!(due_month("一季度出台实施方案").0, 3);
    assert_eq!(
        due_month("9月底前印发白皮书"),
        (9, Some("9月底前".to_string()))
    );
    assert_eq!(due_month("力争10月前建成").0, 10);
    assert_eq!(due_month("前三季度完成评审").0, 9);
    assert_eq!(due_month("举办1-2场DCMM宣贯会"), (12, None));
    let Some(items) = items() else { return };
    // The annex names no earlier time for any item.
    assert!(items
        .iter()
        .all(|i| i.due_month == 12 && i.due_text() == "2023年12月"));
}

#[test]
fn labels_are_cleaned() {
    assert_eq!(
        clean_label("数字营商环境 工作专项（省 发改委牵头）"),
        (
            "数字营商环境工作专项".to_string(),
            "省发改委牵头".to_string()
        )
    );
    assert_eq!(
        clean_label("智慧交通建设 专项(省交通运输厅牵头)"),
        (
            "智慧交通建设专项".to_string(),
            "省交通运输厅牵头".to_string()
        )
    );
}

#[test]
fn library_reads_back_with_calamine() {
    let Some(items) = items() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lib.xlsx");
    library::write_library(&path, &items).unwrap();
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let range = book.worksheet_range(library::SHEET).unwrap();
    let text = |r: u32, c: u32| {
        range
            .get_value((r, c))
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    assert_eq!(text(0, 0), library::TITLE);
    for (c, h) in library::HEADERS.iter().enumerate() {
        assert_eq!(text(1, c as u32), *h);
    }
    assert_eq!(range.height(), 2 + 111);
    assert_eq!(range.get_value((2, 0)), Some(&Data::Float(1.0)));
    let r46 = 2 + 45;
    assert_eq!(text(r46, 2), LOST_TEXT);
    assert!(text(r46, 7).contains(LOST_NOTE));
    assert_eq!(text(2 + 11, 3), "省发改委");
    assert!(text(2 + 11, 6).starts_with("省发改委、南昌市、景德镇市"));
    assert_eq!(text(2 + 110, 5), "2023年12月");
    let props = std::fs::read(&path).unwrap();
    let again = dir.path().join("lib2.xlsx");
    library::write_library(&again, &items).unwrap();
    assert_eq!(
        props,
        std::fs::read(&again).unwrap(),
        "library not reproducible"
    );
}

#[test]
fn planted_choices_hold_against_the_plan() {
    let Some(items) = items() else { return };
    let own = |unit: &str, seq: u32| item(&items, seq).reporting.iter().any(|u| u == unit);
    for (month, unit, p) in PLANTS {
        match p {
            Plant::Foreign { seq } => assert!(!own(unit, seq), "{unit} owns {seq}"),
            Plant::Unknown { text, .. } => {
                for it in items
                    .iter()
                    .filter(|i| i.reporting.iter().any(|u| u == unit))
                {
                    let s = similarity(text, it.text_or_lost());
                    assert!(s < 0.4, "{text} too close to item {} ({s})", it.seq);
                }
            }
            Plant::Retyped { seq, text } => {
                let want = similarity(text, item(&items, seq).text_or_lost());
                assert!(want >= 0.7, "{seq}: {want}");
                for it in items.iter().filter(|i| own(unit, i.seq) && i.seq != seq) {
                    assert!(similarity(text, it.text_or_lost()) < want);
                }
            }
            p => {
                let seq = p.seq().unwrap();
                assert!(own(unit, seq), "{unit} does not own {seq}");
                let state = simulate(item(&items, seq), unit).state(month);
                match p {
                    Plant::NoDoneDate { .. } => assert_eq!(state, State::Done),
                    Plant::Backwards { .. } => {
                        let before = simulate(item(&items, seq), unit).state(month - 1);
                        assert_eq!(before, State::Done, "{unit} {seq}");
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(items
        .iter()
        .any(|i| i.reporting.iter().any(|u| u == SILENT.1)));
    assert!(own(SUPPLEMENT.1, SUPPLEMENT.2));
    for (seq, _) in FORCED_DONE {
        assert!(seq as usize <= items.len());
    }
}

#[test]
fn states_never_go_backwards_in_the_truth() {
    let Some(items) = items() else { return };
    for it in &items {
        for unit in &it.reporting {
            let t = simulate(it, unit);
            for m in 2..=super::truth::MONTHS {
                let (a, b) = (t.state(m - 1), t.state(m));
                assert!(
                    a != State::Done || b == State::Done,
                    "{} {unit} {m}",
                    it.seq
                );
                assert!(
                    a == State::NotStarted || b != State::NotStarted,
                    "{} {unit} {m}",
                    it.seq
                );
            }
        }
    }
}

#[test]
fn ledgers_are_reproducible() {
    let Some(annex) = annex() else { return };
    let units = embedded_units().unwrap();
    let mut outs = Vec::new();
    for _ in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        let inbox = dir.path().join("inbox");
        let out = super::generate(dir.path(), &units, &inbox, &annex).unwrap();
        let mut files = BTreeMap::new();
        for entry in walk(&inbox) {
            files.insert(entry.clone(), std::fs::read(&entry).unwrap());
        }
        let names: Vec<String> = files
            .keys()
            .map(|p| p.strip_prefix(&inbox).unwrap().display().to_string())
            .collect();
        outs.push((
            names,
            files.into_values().collect::<Vec<_>>(),
            out.planted,
            out.files,
        ));
    }
    assert_eq!(outs[0].0, outs[1].0);
    assert_eq!(outs[0].1, outs[1].1);
    assert_eq!(outs[0].2, outs[1].2);
    assert_eq!(outs[0].3, 31 * 7 - 1 + 1);
    let planted = &outs[0].2;
    for check in [
        "E501", "E502", "W503", "W504", "W505", "W507", "E508", "W509", "W402", "W008",
    ] {
        assert!(
            planted.iter().any(|p| p.check == check),
            "{check} not planted"
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}
