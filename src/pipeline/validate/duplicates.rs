//! Phase 3 of validate: one row per project. A project reported twice in a
//! file (E203) or by two units (E204, the responsible unit's row counts; W205
//! where a unit reports another's project) keeps one row, the keeper.

use std::collections::BTreeMap;

use super::{unit_name, Inputs, RowRef};
use crate::checks::{finding, Loc};
use crate::model::{Finding, LedgerRow, ParsedFile};
use crate::seeds::Project;

/// Which row counts for each matched project (library index → row).
pub type Kept = BTreeMap<usize, RowRef>;

fn row_at(files: &[ParsedFile], r: RowRef) -> &LedgerRow {
    &files[r.0].tables[r.1].rows[r.2]
}

/// The keeper of every matched project and the findings of the other rows
/// (and of a keeper sent by a unit not responsible for it).
pub fn settle(
    inp: &Inputs<'_>,
    files: &[ParsedFile],
    matched: &[(RowRef, usize)],
) -> (Kept, Vec<(RowRef, Finding)>) {
    let mut by_project: BTreeMap<usize, Vec<RowRef>> = BTreeMap::new();
    for (r, pi) in matched {
        by_project.entry(*pi).or_default().push(*r);
    }
    let mut kept = Kept::new();
    let mut out = Vec::new();
    for (pi, refs) in &by_project {
        let p = &inp.library.projects[*pi];
        let owner = |r: &RowRef| files[r.0].unit_id.as_deref() == Some(p.unit_id.as_str());
        let fine = |r: &&RowRef| !row_at(files, **r).is_rejected();
        let keeper = *refs
            .iter()
            .find(|r| owner(r) && fine(r))
            .or_else(|| refs.iter().find(|r| owner(r)))
            .or_else(|| refs.iter().find(fine))
            .unwrap_or(&refs[0]);
        for r in refs.iter().filter(|r| **r != keeper) {
            out.extend(others(inp, files, p, keeper, *r, owner(r)));
        }
        if !owner(&keeper) && files[keeper.0].unit_id.is_some() {
            let uname = unit_name(inp.units, files[keeper.0].unit_id.as_deref());
            let detail = format!(
                "该项目的责任单位是{}，不是{uname}；本期仅此一处报送，暂予计入",
                p.unit
            );
            let f = at(inp, files, p, keeper, "W205", &detail, &uname, &p.unit);
            out.push((keeper, f));
        }
        kept.insert(*pi, keeper);
    }
    (kept, out)
}

/// The findings of row `r`, a project's row other than its keeper.
fn others(
    inp: &Inputs<'_>,
    files: &[ParsedFile],
    p: &Project,
    keeper: RowRef,
    r: RowRef,
    is_owner: bool,
) -> Vec<(RowRef, Finding)> {
    let kf = &files[keeper.0].file.name;
    let krow = row_at(files, keeper).row + 1;
    if r.0 == keeper.0 {
        let detail = format!("该项目在本文件第 {krow} 行已填报，本行不计入");
        return vec![(r, at(inp, files, p, r, "E203", &detail, &p.code, ""))];
    }
    let detail = format!(
        "该项目（责任单位：{}）已在文件“{kf}”第 {krow} 行报送，以责任单位的数据为准，本行不计入",
        p.unit
    );
    let mut out = vec![(r, at(inp, files, p, r, "E204", &detail, &p.code, ""))];
    if !is_owner {
        let uname = unit_name(inp.units, files[r.0].unit_id.as_deref());
        let detail = format!("该项目的责任单位是{}，不是{uname}", p.unit);
        out.push((r, at(inp, files, p, r, "W205", &detail, &uname, &p.unit)));
    }
    out
}

/// A finding at row `r`'s identifying cell.
#[allow(clippy::too_many_arguments)]
fn at(
    inp: &Inputs<'_>,
    files: &[ParsedFile],
    p: &Project,
    r: RowRef,
    id: &str,
    detail: &str,
    value: &str,
    expected: &str,
) -> Finding {
    let f = &files[r.0];
    let row = row_at(files, r);
    let uname = unit_name(inp.units, f.unit_id.as_deref());
    let cell = row.identity_cell();
    let loc = Loc {
        file: &f.file.name,
        sheet: &row.sheet,
        cell: &cell,
        project_code: &p.code,
        unit: &uname,
    };
    finding(Some(inp.spec), id, &loc, detail, value, expected)
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{file, Fixture};
    use super::*;

    fn matched(files: &[ParsedFile], fx: &Fixture) -> Vec<(RowRef, usize)> {
        let mut m = Vec::new();
        for (fi, f) in files.iter().enumerate() {
            for (ri, r) in f.tables[0].rows.iter().enumerate() {
                let code = r.code.clone().unwrap_or_default();
                m.push((
                    (fi, 0, ri),
                    fx.library.index_of(&code).unwrap_or(usize::MAX),
                ));
            }
        }
        m
    }

    #[test]
    fn twice_in_one_file_keeps_the_first() {
        let fx = Fixture::new();
        let files = vec![file("a.xlsx", "", &[(0, 5), (0, 6)])];
        let (kept, f) = settle(&fx.inputs(), &files, &matched(&files, &fx));
        assert_eq!(kept.get(&0), Some(&(0, 0, 0)));
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].0, f[0].1.id.as_str()), ((0, 0, 1), "E203"));
    }

    #[test]
    fn another_units_row_gives_way_to_the_owners() {
        let fx = Fixture::new();
        // Project 3 is 九江市's: 南昌市's row gives way to 九江市's.
        let mut jj = file("jj.xlsx", "", &[(3, 7)]);
        jj.unit_id = Some("360400".to_string());
        let files = vec![file("nc.xlsx", "", &[(3, 9)]), jj];
        let (kept, f) = settle(&fx.inputs(), &files, &matched(&files, &fx));
        assert_eq!(kept.get(&3), Some(&(1, 0, 0)));
        let ids: Vec<(RowRef, &str)> = f.iter().map(|(r, f)| (*r, f.id.as_str())).collect();
        assert_eq!(ids, [((0, 0, 0), "E204"), ((0, 0, 0), "W205")]);
    }

    #[test]
    fn another_units_project_sent_alone_counts_with_a_warning() {
        let fx = Fixture::new();
        let files = vec![file("nc.xlsx", "", &[(4, 7)])];
        let (kept, f) = settle(&fx.inputs(), &files, &matched(&files, &fx));
        assert_eq!(kept.get(&4), Some(&(0, 0, 0)));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].1.id, "W205");
        assert!(f[0].1.message.contains("暂予计入"));
    }
}
