//! A file's unit from the projects it holds: a file that names no unit is the
//! unit's owning at least 80% of its matched projects (W011), else refused
//! (E007); a file whose clues (file name, 填报单位 line, title, 责任单位 column,
//! projects) name different units keeps its first clue, flagged (W012).

use std::collections::{BTreeMap, BTreeSet};

use super::{unit_name, Inputs};
use crate::checks::{finding, Loc};
use crate::model::{FileStatus, Finding, ParsedFile};
use crate::parse::is_project_code;
use crate::pipeline::normalize::{unit_clues, UnitClue};
use crate::seeds::{Library, Units};

/// The share of a file's matched projects one unit must own (4/5 = 80%).
const SHARE: (usize, usize) = (4, 5);

/// Owners of the distinct library projects a file's rows name.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Owners {
    /// Distinct projects matched (by code, else by name as validate matches).
    pub matched: usize,
    /// Unit id → projects of the file it owns.
    pub by_unit: BTreeMap<String, usize>,
}

impl Owners {
    /// The unit owning at least 80% of the matched projects, with its count.
    pub fn dominant(&self) -> Option<(&str, usize)> {
        let (u, n) = self
            .by_unit
            .iter()
            .max_by_key(|(u, n)| (**n, std::cmp::Reverse(u.as_str())))?;
        (*n * SHARE.1 >= self.matched * SHARE.0).then_some((u.as_str(), *n))
    }

    /// `匹配到的 12 个项目中 10 个（83%）属于九江市`.
    fn share_text(&self, units: &Units, unit: &str, n: usize) -> String {
        format!(
            "本文件匹配到项目库的 {} 个项目中 {n} 个（{}%）属于{}",
            self.matched,
            n * 100 / self.matched.max(1),
            unit_name(units, Some(unit))
        )
    }

    /// `南昌市 6 个、九江市 6 个`.
    fn split_text(&self, units: &Units) -> String {
        let mut v: Vec<(&String, &usize)> = self.by_unit.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        v.iter()
            .map(|(u, n)| format!("{} {n} 个", unit_name(units, Some(u))))
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// Owners of the projects named by a file's rows.
pub(super) fn owners(library: &Library, f: &ParsedFile) -> Owners {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for r in f.tables.iter().flat_map(|t| &t.rows) {
        let code = r.code.as_deref().unwrap_or_default();
        let hit = if is_project_code(code) {
            library.by_code(code)
        } else {
            r.name
                .as_deref()
                .filter(|n| !n.is_empty())
                .and_then(|n| library.by_name(n))
                .map(|(p, _)| p)
        };
        if let Some(p) = hit {
            seen.insert(p.code.as_str(), p.unit_id.as_str());
        }
    }
    let mut o = Owners {
        matched: seen.len(),
        ..Default::default()
    };
    for u in seen.values() {
        *o.by_unit.entry(u.to_string()).or_insert(0) += 1;
    }
    o
}

/// Decides the unit of files that name none and flags contradicting clues.
/// Files of another period are left to E006.
pub(super) fn settle_units(inp: &Inputs<'_>, files: &mut [ParsedFile]) -> Vec<Finding> {
    let mut out = Vec::new();
    for f in files.iter_mut() {
        if f.status != FileStatus::Ok || f.declared_period.is_some_and(|p| p != inp.period) {
            continue;
        }
        let own = owners(inp.library, f);
        match f.unit_id.clone() {
            None => out.push(unit_from_projects(inp, f, &own)),
            Some(unit) => {
                let clues = unit_clues(&f.file.name, f.raw.as_ref(), &f.tables, inp.units);
                out.extend(conflict(inp, f, &unit, &clues, &own));
            }
        }
    }
    out
}

/// W011 (the projects decide) or E007 (they do not).
fn unit_from_projects(inp: &Inputs<'_>, f: &mut ParsedFile, own: &Owners) -> Finding {
    let Some((unit, n)) = own.dominant() else {
        f.status = FileStatus::Rejected;
        f.error = Some("无法识别填报单位".to_string());
        let why = if own.matched == 0 {
            "没有与项目库匹配的项目".to_string()
        } else {
            format!(
                "匹配到的 {} 个项目分属{}，没有单位达到八成",
                own.matched,
                own.split_text(inp.units)
            )
        };
        return finding(
            Some(inp.spec),
            "E007",
            &Loc {
                file: &f.file.name,
                ..Default::default()
            },
            &format!("文件名、表格标题、“填报单位”行和“责任单位”列都无法确定是哪个单位报送的，按项目也无法判断（{why}）"),
            "",
            "",
        );
    };
    let uname = unit_name(inp.units, Some(unit));
    let detail = format!(
        "文件名、表格标题、“填报单位”行和“责任单位”列都没有写明单位；{}，已按{uname}报送的文件处理",
        own.share_text(inp.units, unit, n)
    );
    f.unit_id = Some(unit.to_string());
    set_unit_names(f, &uname);
    finding(
        Some(inp.spec),
        "W011",
        &Loc {
            file: &f.file.name,
            unit: &uname,
            ..Default::default()
        },
        &detail,
        "",
        &uname,
    )
}

/// The unit name on every finding normalize already made for a file.
fn set_unit_names(f: &mut ParsedFile, uname: &str) {
    let rows = f.tables.iter_mut().flat_map(|t| t.rows.iter_mut());
    for fd in f
        .findings
        .iter_mut()
        .chain(rows.flat_map(|r| r.findings.iter_mut()))
    {
        fd.unit = uname.to_string();
    }
}

/// W012 when the clues and the projects' owner name more than one unit.
fn conflict(
    inp: &Inputs<'_>,
    f: &ParsedFile,
    unit: &str,
    clues: &[UnitClue],
    own: &Owners,
) -> Option<Finding> {
    let mut said: Vec<String> = clues
        .iter()
        .map(|c| {
            format!(
                "{}为{}",
                c.source.label(),
                unit_name(inp.units, Some(&c.unit_id))
            )
        })
        .collect();
    let mut ids: BTreeSet<&str> = clues.iter().map(|c| c.unit_id.as_str()).collect();
    if let Some((owner, n)) = own.dominant() {
        ids.insert(owner);
        said.push(own.share_text(inp.units, owner, n));
    }
    ids.insert(unit);
    if ids.len() < 2 {
        return None;
    }
    let uname = unit_name(inp.units, Some(unit));
    let others: Vec<String> = ids
        .iter()
        .filter(|u| **u != unit)
        .map(|u| unit_name(inp.units, Some(u)))
        .collect();
    let from = clues.first().map_or("文件", |c| c.source.label());
    Some(finding(
        Some(inp.spec),
        "W012",
        &Loc {
            file: &f.file.name,
            unit: &uname,
            ..Default::default()
        },
        &format!(
            "判断报送单位的依据不一致：{}；已按{from}认定为{uname}报送",
            said.join("，")
        ),
        &uname,
        &others.join("、"),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, Fixture};
    use super::*;

    fn owners_of(pairs: &[(&str, usize)]) -> Owners {
        Owners {
            matched: pairs.iter().map(|p| p.1).sum(),
            by_unit: pairs.iter().map(|(u, n)| (u.to_string(), *n)).collect(),
        }
    }

    #[test]
    fn dominant_owner_needs_four_fifths() {
        assert_eq!(owners_of(&[("A", 8), ("B", 2)]).dominant(), Some(("A", 8)));
        assert_eq!(owners_of(&[("A", 7), ("B", 2)]).dominant(), None);
        assert_eq!(owners_of(&[("B", 1)]).dominant(), Some(("B", 1)));
        assert_eq!(owners_of(&[("A", 6), ("B", 6)]).dominant(), None);
        assert_eq!(owners_of(&[]).dominant(), None);
    }

    /// Settles one file of projects `rows`, named for `unit` (None: nothing names it).
    fn settle(unit: Option<&str>, rows: &[usize]) -> (ParsedFile, Vec<Finding>) {
        let fx = Fixture::new();
        let rows: Vec<(usize, i64)> = rows.iter().map(|p| (*p, 100)).collect();
        let mut files = vec![file("附件2.xlsx", "2023年8月3日", &rows)];
        files[0].unit_id = unit.map(str::to_string);
        let out = settle_units(&fx.inputs(), &mut files);
        (files.remove(0), out)
    }

    #[test]
    fn the_projects_decide_a_file_naming_no_unit() {
        let (f, out) = settle(None, &[3, 4]);
        assert_eq!(f.unit_id.as_deref(), Some("360400"));
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].id.as_str(), out[0].unit.as_str()),
            ("W011", "九江市")
        );
        assert!(out[0].message.contains("2 个项目中 2 个（100%）属于九江市"));
    }

    #[test]
    fn split_projects_leave_the_file_refused() {
        let (f, out) = settle(None, &[0, 3]);
        assert_eq!((f.unit_id, f.status), (None, FileStatus::Rejected));
        assert_eq!(out[0].id, "E007");
        assert!(out[0].message.contains("分属南昌市 1 个、九江市 1 个"));
    }

    #[test]
    fn projects_of_another_unit_are_named_beside_the_file_name() {
        // The fixture's file name names no unit: only the projects disagree.
        let (f, out) = settle(Some("360100"), &[3, 4]);
        assert_eq!(f.unit_id.as_deref(), Some("360100"));
        assert_eq!(out.len(), 1);
        assert_eq!(
            (
                out[0].id.as_str(),
                out[0].value.as_str(),
                out[0].expected.as_str()
            ),
            ("W012", "南昌市", "九江市")
        );
        assert!(settle(Some("360100"), &[0, 1, 2, 3]).1.is_empty());
    }
}
