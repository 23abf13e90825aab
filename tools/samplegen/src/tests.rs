//! Unit tests of the sample generator: PRNG determinism, library targets,
//! truth invariants, header spellings against the pipelines' synonyms, the
//! planted-mistake choices and byte-reproducible output.

use std::collections::BTreeSet;

use super::cells::leaf_label;
use super::layout::{assignment, header_for, leaves, variant, Ctx, VARIANTS};
use super::ledger::a1;
use super::library::Nature;
use super::money::{WAN, YI};
use super::planted::{self, typo_below, ProgramData};
use super::rng::Rng;
use super::truth::{Status, MONTHS};
use super::units::embedded_units;
use super::{build_programs, Program, Programs};

#[test]
fn prng_is_deterministic() {
    let a: Vec<u64> = {
        let mut r = Rng::derive(42, "x");
        (0..100).map(|_| r.next_u64()).collect()
    };
    let b: Vec<u64> = {
        let mut r = Rng::derive(42, "x");
        (0..100).map(|_| r.next_u64()).collect()
    };
    let c: Vec<u64> = {
        let mut r = Rng::derive(42, "y");
        (0..100).map(|_| r.next_u64()).collect()
    };
    assert_eq!(a, b);
    assert_ne!(a, c);
    // Reference values of SplitMix64 seeded with 0.
    let mut r = Rng::new(0);
    assert_eq!(r.next_u64(), 0xe220_a839_7b1d_cdaf);
    let mut r = Rng::new(7);
    for _ in 0..1000 {
        let v = r.range(3, 8);
        assert!((3..=8).contains(&v));
    }
}

#[test]
fn libraries_meet_their_targets() {
    let units = embedded_units().unwrap();
    let Programs { sets, codes, names } = build_programs(&units).unwrap();
    assert_eq!(codes.len(), 310 + 153);
    assert_eq!(names.len(), 310 + 153);
    for set in &sets {
        let sum: i64 = set.projects.iter().map(|p| p.annual).sum();
        match set.program {
            Program::NewInfra => {
                assert_eq!(set.projects.len(), 310);
                assert!((sum - 600 * YI).abs() <= 6 * YI, "sum {sum}");
                let telecom = set
                    .projects
                    .iter()
                    .filter(|p| units[p.unit].is_department())
                    .count();
                assert_eq!(telecom, 12);
            }
            Program::DigitalEconomy => {
                assert_eq!(set.projects.len(), 153);
                assert!((1000 * YI..=1020 * YI).contains(&sum), "sum {sum}");
                let first = set.projects.iter().filter(|p| p.batch == Some(1)).count();
                assert_eq!(first, 100);
            }
        }
        let new = set
            .projects
            .iter()
            .filter(|p| p.nature == Nature::New)
            .count();
        assert!(new * 100 / set.projects.len() >= 30 && new * 100 / set.projects.len() <= 50);
        for p in &set.projects {
            assert_eq!(p.annual % 100, 0, "{}", p.code);
            assert_eq!(p.total % WAN, 0, "{}", p.code);
            assert!(p.total >= p.annual && p.annual > 0);
            let parts: Vec<&str> = p.code.split('-').collect();
            let lens: Vec<usize> = parts.iter().map(|s| s.len()).collect();
            assert_eq!(lens, vec![4, 6, 2, 2, 6], "{}", p.code);
            assert!(p.code.chars().all(|c| c.is_ascii_digit() || c == '-'));
            assert_eq!(p.planned_start.is_some(), p.nature == Nature::New);
        }
    }
}

#[test]
fn truth_invariants_hold() {
    let units = embedded_units().unwrap();
    let Programs { sets, .. } = build_programs(&units).unwrap();
    let mut completing = 0;
    let mut never = 0;
    for set in &sets {
        for (p, t) in set.projects.iter().zip(&set.truths) {
            let mut acc = 0;
            for m in 1..=MONTHS as u32 {
                let month = t.month_done(m);
                assert!(month >= 0 && month % 100 == 0, "{} {m}", p.code);
                acc += month;
                assert_eq!(t.ytd(m), acc, "{} ytd = sum of months", p.code);
                if m > 1 {
                    assert!(t.ytd(m) >= t.ytd(m - 1));
                    assert!(
                        t.status(m) >= t.status(m - 1),
                        "{} status backwards",
                        p.code
                    );
                }
                assert!(
                    t.since_start(m) <= p.total,
                    "{} since start > total",
                    p.code
                );
                if t.status(m) == Status::NotStarted {
                    assert_eq!(t.ytd(m), 0, "{} 未开工 with money", p.code);
                }
                if p.nature == Nature::Continuing {
                    assert_ne!(t.status(m), Status::NotStarted);
                }
            }
            if t.status(7) >= Status::Completed {
                completing += 1;
            }
            if p.planned_start.is_some_and(|s| s <= 7) && t.status(7) == Status::NotStarted {
                never += 1;
            }
        }
    }
    assert!((3..=30).contains(&completing), "completing {completing}");
    assert!(never >= 3, "never started {never}");
}

/// Normalises a header as the reader does.
fn normalise(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| !c.is_whitespace())
        .collect();
    for unit in ["(万元)", "(亿元)", "(元)"] {
        if let Some(stripped) = out.strip_suffix(unit) {
            out = stripped.to_string();
        }
    }
    out
}

/// Matches a synonym pattern (`N` = 0-2 digits, `YYYY` = 4 digits or nothing).
fn matches(pattern: &[char], text: &[char]) -> bool {
    if pattern.is_empty() {
        return text.is_empty();
    }
    if pattern.starts_with(&['Y', 'Y', 'Y', 'Y']) {
        let rest = &pattern[4..];
        let four = text.len() >= 4 && text[..4].iter().all(|c| c.is_ascii_digit());
        return matches(rest, text) || (four && matches(rest, &text[4..]));
    }
    if pattern[0] == 'N' {
        let rest = &pattern[1..];
        return (0..=2).any(|k| {
            text.len() >= k
                && text[..k].iter().all(|c| c.is_ascii_digit())
                && matches(rest, &text[k..])
        });
    }
    !text.is_empty() && pattern[0] == text[0] && matches(&pattern[1..], &text[1..])
}

fn synonyms(program: Program) -> Vec<Vec<char>> {
    let text = match program {
        Program::NewInfra => include_str!("../../../pipelines/new-infra.toml"),
        Program::DigitalEconomy => include_str!("../../../pipelines/digital-economy.toml"),
    };
    let value: toml::Value = toml::from_str(text).unwrap();
    let mut out = Vec::new();
    for field in value["field"].as_array().unwrap() {
        for s in field["synonyms"].as_array().unwrap() {
            out.push(normalise(s.as_str().unwrap()).chars().collect());
        }
    }
    out
}

#[test]
fn every_header_is_a_synonym() {
    let units = embedded_units().unwrap();
    for program in Program::ALL {
        let syn = synonyms(program);
        let hit = |text: &str| {
            let t: Vec<char> = normalise(text).chars().collect();
            syn.iter().any(|s| matches(s, &t))
        };
        assert!(
            hit("1-  月累计完成投资") && hit("总投资\n（万元）") && hit("总投资        (万元)")
        );
        assert!(!hit("完成投资") && !hit("累计完成投资") && !hit("2023年投资完成情况"));
        for i in 0..VARIANTS {
            let layout = variant(i);
            for yi in [false, true] {
                for month in [7, 10] {
                    let ctx = Ctx {
                        program,
                        unit: &units[0],
                        year: 2023,
                        month,
                    };
                    for (col, label, parents) in leaves(&header_for(&layout, program)) {
                        let child = leaf_label(col, label, &ctx, layout.units, yi);
                        let mut ok = hit(&child);
                        let mut joined = String::new();
                        for p in parents.iter().rev() {
                            joined = format!("{}{joined}", ctx.expand(p));
                            ok |= hit(&format!("{joined}{child}"));
                        }
                        assert!(
                            ok,
                            "{} {program:?}: header {child:?} under {parents:?}",
                            layout.id
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn units_get_distinct_layouts() {
    let units = embedded_units().unwrap();
    for program in Program::ALL {
        let mut seen = BTreeSet::new();
        for u in super::library::reporting_units(program, &units)
            .into_iter()
            .map(|i| &units[i])
        {
            if program == Program::DigitalEconomy && u.is_department() {
                continue;
            }
            let a = assignment(program, u);
            assert!(
                seen.insert(a.variant),
                "{program:?} {} repeats a variant",
                u.name
            );
        }
    }
}

#[test]
fn planted_choices_exist() {
    let units = embedded_units().unwrap();
    let Programs { sets, codes, names } = build_programs(&units).unwrap();
    let data = |i: usize| ProgramData {
        program: sets[i].program,
        projects: &sets[i].projects,
        truths: &sets[i].truths,
        units: &units,
    };
    let plan = planted::plan(&data(0), &data(1), &codes, &names).unwrap();
    assert!(plan.typo.1 < plan.typo.3 && plan.typo.1 > 0);
    assert!(!codes.contains(&plan.extra.code));
    assert!(plan.text.1.ends_with("万元") && plan.text.1.contains(','));
    assert_eq!(
        typo_below(2_105 * WAN, 1_950 * WAN, false),
        Some(1_205 * WAN)
    );
    assert_eq!(typo_below(2_675 * WAN, 2_299 * WAN, false), None);
    assert_eq!(typo_below(2_675 * WAN, 2_299 * WAN, true), Some(675 * WAN));
    assert_eq!(a1(11, 5), "F12");
    assert_eq!(a1(0, 27), "AB1");
}
