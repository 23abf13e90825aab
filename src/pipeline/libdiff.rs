//! The library of a period against the last period's (pure): 新增 / 调出 /
//! 计划调整 (field, before, after) / 更名 (项目名称 or 项目单位), with the
//! effect of each on the plan totals, exact in 元: before + Σ effects = after.

use std::collections::BTreeMap;

use crate::model::libchange::{ChangeKind, LibraryChange, LibraryChangeRow, PlanTotals};
use crate::model::LibraryRow;
use crate::parse::{fmt_wan, Yuan};

/// The totals of a library.
pub fn totals(rows: &[LibraryRow]) -> PlanTotals {
    rows.iter().fold(PlanTotals::default(), |a, r| {
        a + PlanTotals {
            projects: 1,
            total: r.total,
            annual: r.annual,
        }
    })
}

/// Compares `now` with `previous` (the last period and its library), by code.
pub fn diff(previous: Option<(&str, &[LibraryRow])>, now: &[LibraryRow]) -> LibraryChange {
    let after = totals(now);
    let Some((period, then)) = previous else {
        return LibraryChange {
            previous: None,
            before: after,
            after,
            rows: Vec::new(),
        };
    };
    let old: BTreeMap<&str, &LibraryRow> = then.iter().map(|r| (r.code.as_str(), r)).collect();
    let new: BTreeMap<&str, &LibraryRow> = now.iter().map(|r| (r.code.as_str(), r)).collect();
    let mut rows = Vec::new();
    for (code, n) in &new {
        match old.get(code) {
            None => rows.push(whole(ChangeKind::Added, n, 1)),
            Some(o) => rows.extend(changes(o, n)),
        }
    }
    for (code, o) in &old {
        if !new.contains_key(code) {
            rows.push(whole(ChangeKind::Removed, o, -1));
        }
    }
    rows.sort_by(|a, b| (a.kind, &a.code).cmp(&(b.kind, &b.code)));
    LibraryChange {
        previous: Some(period.to_string()),
        before: totals(then),
        after,
        rows,
    }
}

/// A project added (`sign` 1) or removed (−1) whole.
fn whole(kind: ChangeKind, r: &LibraryRow, sign: i64) -> LibraryChangeRow {
    LibraryChangeRow {
        kind,
        code: r.code.clone(),
        name: r.name.clone(),
        unit: r.unit.clone(),
        batch: r.batch.clone(),
        field: String::new(),
        before: String::new(),
        after: String::new(),
        effect: PlanTotals {
            projects: sign,
            total: sign * r.total,
            annual: sign * r.annual,
        },
    }
}

/// The plan adjustments and renamings of a project in both libraries.
fn changes(o: &LibraryRow, n: &LibraryRow) -> Vec<LibraryChangeRow> {
    let row = |kind, field: &str, before: String, after: String, effect| LibraryChangeRow {
        kind,
        code: n.code.clone(),
        name: n.name.clone(),
        unit: n.unit.clone(),
        batch: n.batch.clone(),
        field: field.to_string(),
        before,
        after,
        effect,
    };
    let money = |a: Yuan| format!("{}万元", fmt_wan(a));
    let mut out = Vec::new();
    if o.total != n.total {
        let effect = PlanTotals {
            total: n.total - o.total,
            ..Default::default()
        };
        out.push(row(
            ChangeKind::Adjusted,
            "总投资",
            money(o.total),
            money(n.total),
            effect,
        ));
    }
    if o.annual != n.annual {
        let effect = PlanTotals {
            annual: n.annual - o.annual,
            ..Default::default()
        };
        let (b, a) = (money(o.annual), money(n.annual));
        out.push(row(ChangeKind::Adjusted, "年度计划投资", b, a, effect));
    }
    for (field, b, a) in [
        ("项目名称", &o.name, &n.name),
        ("项目单位", &o.owner, &n.owner),
    ] {
        if b != a {
            let none = PlanTotals::default();
            out.push(row(ChangeKind::Renamed, field, b.clone(), a.clone(), none));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Nature;

    fn lr(code: &str, name: &str, total: Yuan, annual: Yuan) -> LibraryRow {
        LibraryRow {
            code: code.into(),
            name: name.into(),
            batch: "第一批".into(),
            unit_id: "360100".into(),
            unit: "南昌市".into(),
            county: String::new(),
            category: "算力".into(),
            owner: "甲公司".into(),
            nature: Nature::Continuing,
            years: "2022-2024".into(),
            total,
            annual,
            start: None,
            end_year: Some(2024),
        }
    }

    /// before + Σ effects = after, in every column.
    fn balances(c: &LibraryChange) -> bool {
        let sum = c.rows.iter().fold(c.before, |a, r| a + r.effect);
        sum == c.after
    }

    #[test]
    fn no_previous_is_no_change() {
        let now = vec![lr("A", "a", 100, 10)];
        let c = diff(None, &now);
        assert_eq!(c.previous, None);
        assert!(c.rows.is_empty());
        assert_eq!(c.before, c.after);
        assert_eq!(c.after.projects, 1);
    }

    #[test]
    fn same_library_is_no_change() {
        let now = vec![lr("A", "a", 100, 10), lr("B", "b", 200, 20)];
        let c = diff(Some(("2023-04", &now)), &now);
        assert!(c.rows.is_empty());
        assert_eq!(c.before, c.after);
    }

    #[test]
    fn added_removed_adjusted_renamed_balance() {
        let then = vec![
            lr("A", "a", 1_000_000, 100_000),
            lr("B", "b", 2_000_000, 200_000),
            lr("C", "c", 3_000_000, 300_000),
        ];
        let mut b2 = lr("B", "b二期", 2_000_000, 250_000);
        b2.owner = "乙公司".into();
        let mut d = lr("D", "d", 4_000_001, 400_003);
        d.batch = "第二批".into();
        let now = vec![lr("A", "a", 1_200_000, 100_000), b2, d];
        let c = diff(Some(("2023-04", &then)), &now);
        let kinds: Vec<(ChangeKind, &str, &str)> = c
            .rows
            .iter()
            .map(|r| (r.kind, r.code.as_str(), r.field.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (ChangeKind::Added, "D", ""),
                (ChangeKind::Removed, "C", ""),
                (ChangeKind::Adjusted, "A", "总投资"),
                (ChangeKind::Adjusted, "B", "年度计划投资"),
                (ChangeKind::Renamed, "B", "项目名称"),
                (ChangeKind::Renamed, "B", "项目单位"),
            ]
        );
        assert_eq!(c.previous.as_deref(), Some("2023-04"));
        assert_eq!(
            c.before,
            PlanTotals {
                projects: 3,
                total: 6_000_000,
                annual: 600_000
            }
        );
        assert_eq!(
            c.after,
            PlanTotals {
                projects: 3,
                total: 7_200_001,
                annual: 750_003
            }
        );
        assert!(balances(&c));
        assert_eq!(c.effect_of(ChangeKind::Added).annual, 400_003);
        assert_eq!(c.effect_of(ChangeKind::Removed).total, -3_000_000);
        assert_eq!(c.effect_of(ChangeKind::Adjusted).total, 200_000);
        assert_eq!(c.effect_of(ChangeKind::Adjusted).annual, 50_000);
        assert_eq!(c.effect_of(ChangeKind::Renamed), PlanTotals::default());
        assert_eq!(c.count(ChangeKind::Renamed), 1, "one project renamed twice");
        let b = &c.rows[3];
        assert_eq!(
            (b.before.as_str(), b.after.as_str()),
            ("20.00万元", "25.00万元")
        );
        assert_eq!(c.rows[4].before, "b");
        assert_eq!(c.rows[4].after, "b二期");
    }
}
