//! Several files of one unit in a period are parts of one submission, decided
//! by their content: disjoint files all count; a project in two of them counts
//! from the later file (填报时间, then file time, then name), the earlier row is
//! skipped as `superseded by <file>` (W217 where the figures differ, saying so
//! when only the names order the files), and each file that lost projects gets
//! one W008 (listed as superseded when it lost all of them).

use std::collections::BTreeMap;

use super::{date_key, unit_name, Inputs, RowRef};
use crate::checks::{finding, Loc};
use crate::model::{FileStatus, Finding, LedgerRow, ParsedFile};
use crate::parse::{fmt_wan, Yuan};

/// What the files of one unit decided.
#[derive(Debug, Default)]
pub(super) struct Superseded {
    /// Superseded row → the file whose row counts instead.
    pub rows: BTreeMap<RowRef, String>,
    /// One W008 per file that lost projects.
    pub findings: Vec<Finding>,
}

/// How a file is ordered among its unit's files: later is greater (shared
/// by every kind: 填报时间, then file time, then name).
pub(crate) fn order_key(f: &ParsedFile) -> (u32, u64, &str) {
    (
        f.filled_on.as_deref().map_or(0, date_key),
        f.file.modified,
        f.file.name.as_str(),
    )
}

/// Why `later` counts over `earlier` (saying so when only the names order them).
fn why_later(earlier: &ParsedFile, later: &ParsedFile) -> String {
    let (a, b) = (order_key(earlier), order_key(later));
    if a.0 != b.0 {
        let d = |f: &ParsedFile| f.filled_on.clone().unwrap_or_else(|| "未填".to_string());
        format!("填报时间较晚（{} 对 {}）", d(later), d(earlier))
    } else if a.1 != b.1 {
        "文件修改时间较晚".to_string()
    } else {
        "与本文件的填报时间和修改时间都相同，仅按文件名排序在后认定较晚，请核实以哪个文件为准"
            .to_string()
    }
}

/// Per earlier file: projects lost, of them with other figures, to which files.
#[derive(Debug, Default)]
struct Lost {
    projects: usize,
    differing: usize,
    to: BTreeMap<usize, usize>,
}

/// File index → its rank among its unit's files (0 = earliest), for the
/// units that sent more than one file.
fn rank_files(files: &[ParsedFile]) -> BTreeMap<usize, usize> {
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        if let (FileStatus::Ok, Some(u)) = (f.status, f.unit_id.as_deref()) {
            groups.entry(u).or_default().push(i);
        }
    }
    let mut rank = BTreeMap::new();
    for idx in groups.values_mut().filter(|v| v.len() > 1) {
        idx.sort_by(|a, b| order_key(&files[*a]).cmp(&order_key(&files[*b])));
        rank.extend(idx.iter().enumerate().map(|(r, i)| (*i, r)));
    }
    rank
}

/// Decides the rows of every unit that sent more than one file.
pub(super) fn supersede(
    inp: &Inputs<'_>,
    files: &mut [ParsedFile],
    matched: &[(RowRef, usize)],
) -> Superseded {
    let rank = rank_files(files);
    let mut by_project: BTreeMap<(&str, usize), Vec<RowRef>> = BTreeMap::new();
    for (r, pi) in matched.iter().filter(|(r, _)| rank.contains_key(&r.0)) {
        if let Some(u) = files[r.0].unit_id.as_deref() {
            by_project.entry((u, *pi)).or_default().push(*r);
        }
    }
    let mut out = Superseded::default();
    let mut lost: BTreeMap<usize, Lost> = BTreeMap::new();
    let mut row_findings: Vec<(RowRef, Finding)> = Vec::new();
    for ((_, pi), refs) in &by_project {
        let Some(win) = refs
            .iter()
            .max_by_key(|r| (rank.get(&r.0), std::cmp::Reverse(**r)))
        else {
            continue;
        };
        let mut counted: Vec<usize> = Vec::new();
        for r in refs.iter().filter(|r| r.0 != win.0) {
            out.rows.insert(*r, files[win.0].file.name.clone());
            let differs = figures(row(files, *r)) != figures(row(files, *win));
            if differs {
                row_findings.push((*r, overlap_finding(inp, files, *pi, *r, *win)));
            }
            if !counted.contains(&r.0) {
                counted.push(r.0);
                let l = lost.entry(r.0).or_default();
                l.projects += 1;
                l.differing += usize::from(differs);
                *l.to.entry(win.0).or_insert(0) += 1;
            }
        }
    }
    for (r, fd) in row_findings {
        files[r.0].tables[r.1].rows[r.2].findings.push(fd);
    }
    let matched_per_file = matched.iter().fold(BTreeMap::new(), |mut m, (r, _)| {
        *m.entry(r.0).or_insert(0usize) += usize::from(!out.rows.contains_key(r));
        m
    });
    for (fi, l) in &lost {
        let whole = matched_per_file.get(fi).copied().unwrap_or(0) == 0;
        out.findings.push(file_finding(inp, files, *fi, l, whole));
        if whole {
            let note = format!(
                "全部项目已被{}取代，本文件不计入",
                names(files_of(l), files)
            );
            let f = &mut files[*fi];
            f.status = FileStatus::Superseded;
            f.error = Some(note);
        }
    }
    out
}

fn files_of(l: &Lost) -> Vec<usize> {
    l.to.keys().copied().collect()
}

/// `“a.xlsx”、“b.xlsx”`.
fn names(idx: Vec<usize>, files: &[ParsedFile]) -> String {
    idx.iter()
        .map(|i| format!("“{}”", files[*i].file.name))
        .collect::<Vec<_>>()
        .join("、")
}

fn row(files: &[ParsedFile], r: RowRef) -> &LedgerRow {
    &files[r.0].tables[r.1].rows[r.2]
}

/// The figures two rows of one project are compared on.
type Figures = (
    Option<Yuan>,
    Option<Yuan>,
    Option<Yuan>,
    Option<Yuan>,
    Option<crate::model::Status>,
);

fn figures(r: &LedgerRow) -> Figures {
    (
        r.month_done,
        r.ytd_done,
        r.annual_plan,
        r.total_investment,
        r.status,
    )
}

/// `本月完成 12.00 万元、累计完成 84.00 万元` plus the other fields that differ.
fn figures_text(r: &LedgerRow, other: &LedgerRow) -> String {
    let wan = |v: Option<Yuan>| v.map_or("未填".to_string(), |v| format!("{} 万元", fmt_wan(v)));
    let mut parts = vec![
        format!("本月完成 {}", wan(r.month_done)),
        format!("累计完成 {}", wan(r.ytd_done)),
    ];
    if r.annual_plan != other.annual_plan {
        parts.push(format!("年度计划 {}", wan(r.annual_plan)));
    }
    if r.total_investment != other.total_investment {
        parts.push(format!("总投资 {}", wan(r.total_investment)));
    }
    if r.status != other.status {
        parts.push(format!("状态 {}", r.status.map_or("未填", |s| s.label())));
    }
    parts.join("、")
}

/// W217 on the superseded row: both files, the project, both figures.
fn overlap_finding(
    inp: &Inputs<'_>,
    files: &[ParsedFile],
    pi: usize,
    r: RowRef,
    win: RowRef,
) -> Finding {
    let p = &inp.library.projects[pi];
    let (old, new) = (row(files, r), row(files, win));
    let (ef, wf) = (&files[r.0], &files[win.0]);
    let why = why_later(ef, wf);
    let (seen, want) = (figures_text(old, new), figures_text(new, old));
    let detail = format!(
        "{}（{}）在本单位两个文件中都有填报且数值不同：本行（第 {} 行）与“{}”工作表“{}”第 {} 行。“{}”{why}，该项目以其为准，本行不计入",
        p.name,
        p.code,
        old.row + 1,
        wf.file.name,
        new.sheet,
        new.row + 1,
        wf.file.name,
    );
    let uname = unit_name(inp.units, ef.unit_id.as_deref());
    let cell = old.identity_cell();
    finding(
        Some(inp.spec),
        "W217",
        &Loc {
            file: &ef.file.name,
            sheet: &old.sheet,
            cell: &cell,
            project_code: &p.code,
            unit: &uname,
        },
        &detail,
        &seen,
        &want,
    )
}

/// W008 on a file that lost projects to later files of its unit.
fn file_finding(
    inp: &Inputs<'_>,
    files: &[ParsedFile],
    fi: usize,
    l: &Lost,
    whole: bool,
) -> Finding {
    let f = &files[fi];
    let uname = unit_name(inp.units, f.unit_id.as_deref());
    let sent = files
        .iter()
        .filter(|g| {
            g.unit_id == f.unit_id && matches!(g.status, FileStatus::Ok | FileStatus::Superseded)
        })
        .count();
    let later = names(files_of(l), files);
    let whys: Vec<String> =
        l.to.keys()
            .map(|w| {
                let why = why_later(f, &files[*w]);
                format!("“{}”{why}", files[*w].file.name)
            })
            .collect();
    let head = if whole {
        format!(
            "{uname}本期报送了 {sent} 个文件：本文件全部 {} 个项目都另见于{later}，以其为准，本文件作废、不计入",
            l.projects
        )
    } else {
        format!(
            "{uname}本期报送了 {sent} 个文件，按项目合并计入：本文件有 {} 个项目另见于{later}，这些项目以其为准，其余项目照常计入",
            l.projects
        )
    };
    let diff = if l.differing > 0 {
        format!("其中 {} 个项目数值不同（见各行 W217）", l.differing)
    } else {
        "这些项目的数值相同".to_string()
    };
    finding(
        Some(inp.spec),
        "W008",
        &Loc {
            file: &f.file.name,
            unit: &uname,
            ..Default::default()
        },
        &format!("{head}；{diff}；{}", whys.join("；")),
        "",
        &l.to
            .keys()
            .map(|w| files[*w].file.name.clone())
            .collect::<Vec<_>>()
            .join("、"),
    )
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, Fixture};
    use super::*;
    use crate::seeds::Library;

    /// Every row matched to its project.
    fn matched(files: &[ParsedFile], lib: &Library) -> Vec<(RowRef, usize)> {
        let mut m = Vec::new();
        for (fi, f) in files.iter().enumerate() {
            for (ri, r) in f.tables[0].rows.iter().enumerate() {
                if let Some(pi) = r.code.as_deref().and_then(|c| lib.index_of(c)) {
                    m.push(((fi, 0, ri), pi));
                }
            }
        }
        m
    }

    fn row_ids(f: &ParsedFile) -> Vec<Vec<String>> {
        f.tables[0]
            .rows
            .iter()
            .map(|r| r.findings.iter().map(|f| f.id.clone()).collect())
            .collect()
    }

    #[test]
    fn disjoint_files_are_parts() {
        let fx = Fixture::new();
        let mut files = vec![
            file("a.xlsx", "2023年8月3日", &[(0, 100)]),
            file("b.xlsx", "2023年8月5日", &[(1, 200), (2, 300)]),
        ];
        let m = matched(&files, &fx.library);
        let s = supersede(&fx.inputs(), &mut files, &m);
        assert!(s.rows.is_empty() && s.findings.is_empty());
        assert!(files.iter().all(|f| f.status == FileStatus::Ok));
    }

    #[test]
    fn the_later_file_wins_one_project_only() {
        let fx = Fixture::new();
        // b.xlsx is first by name but filed later: it wins project 1.
        let mut files = vec![
            file("a.xlsx", "2023年8月5日", &[(1, 250)]),
            file("b.xlsx", "2023年8月3日", &[(0, 100), (1, 200), (2, 300)]),
        ];
        let m = matched(&files, &fx.library);
        let s = supersede(&fx.inputs(), &mut files, &m);
        assert_eq!(s.rows, BTreeMap::from([((1, 0, 1), "a.xlsx".to_string())]));
        assert_eq!(files[1].status, FileStatus::Ok);
        assert_eq!(row_ids(&files[1]), vec![vec![], vec!["W217"], vec![]]);
        let w = &s.findings[..];
        assert_eq!(
            (w.len(), w[0].id.as_str(), w[0].file.as_str()),
            (1, "W008", "b.xlsx")
        );
        assert_eq!(w[0].expected, "a.xlsx");
        let d = &files[1].tables[0].rows[1].findings[0];
        assert_eq!(
            (d.value.as_str(), d.expected.as_str()),
            (
                "本月完成 未填、累计完成 0.02 万元",
                "本月完成 未填、累计完成 0.03 万元"
            )
        );
    }

    #[test]
    fn a_file_whose_projects_all_recur_later_is_superseded() {
        let fx = Fixture::new();
        let mut files = vec![
            file("a.xlsx", "2023年8月3日", &[(0, 100), (1, 200)]),
            file("b.xlsx", "2023年8月3日", &[(0, 100), (1, 200), (2, 300)]),
        ];
        files[0].file.modified = 5;
        files[1].file.modified = 9;
        let m = matched(&files, &fx.library);
        let s = supersede(&fx.inputs(), &mut files, &m);
        assert_eq!(s.rows.len(), 2);
        assert_eq!(files[0].status, FileStatus::Superseded);
        // Same figures: no row finding, one file finding.
        assert_eq!(row_ids(&files[0]), vec![Vec::<String>::new(), vec![]]);
        assert!(s.findings[0].message.contains("作废"));
        assert!(s.findings[0].message.contains("文件修改时间较晚"));
    }

    #[test]
    fn order_by_name_only_is_said() {
        let (a, b) = (
            file("a.xlsx", "2023年8月3日", &[]),
            file("b.xlsx", "2023年8月3日", &[]),
        );
        assert!(why_later(&a, &b).contains("仅按文件名排序在后"));
        let c = file("c.xlsx", "2023年8月4日", &[]);
        assert_eq!(
            why_later(&c, &a),
            "填报时间较晚（2023年8月3日 对 2023年8月4日）"
        );
    }
}
