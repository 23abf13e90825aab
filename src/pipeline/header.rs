//! Header discovery: finds the header block (1-3 rows, merged parents joined
//! into a path) of a ledger table by scoring candidate blocks against a
//! pipeline's synonyms, and maps each column to a canonical field and unit.

use std::collections::{BTreeMap, HashMap};

use crate::config::PipelineSpec;
use crate::model::{Cell, ColumnMap, RawSheet};
use crate::parse::MoneyUnit;
use crate::text::{header_key, split_header_unit, HeaderUnit};

/// How far down a sheet a header block may start.
pub const MAX_HEADER_SCAN: u32 = 40;

/// A located table.
#[derive(Debug, Clone)]
pub struct TableLayout {
    pub header_top: u32,
    pub header_bottom: u32,
    pub columns: Vec<ColumnMap>,
    /// Fields matched by more than one column: (field, first col, second col).
    pub duplicates: Vec<(String, u32, u32)>,
    /// Money columns whose header named a unit we do not know (`千元`).
    pub unknown_units: Vec<(u32, String)>,
    pub score: u32,
    /// True when another block scored the same (reported as uncertain).
    pub ambiguous: bool,
}

/// Value of a header cell, with merged regions propagated to every cell they cover.
struct HeaderGrid<'a> {
    sheet: &'a RawSheet,
    merged: HashMap<(u32, u32), (u32, u32)>,
}

impl<'a> HeaderGrid<'a> {
    fn new(sheet: &'a RawSheet, max_row: u32) -> Self {
        let mut merged = HashMap::new();
        for m in &sheet.merges {
            if m.first_row > max_row {
                continue;
            }
            let cells =
                (m.last_row - m.first_row + 1) as u64 * (m.last_col - m.first_col + 1) as u64;
            if cells > 4096 {
                continue;
            }
            for r in m.first_row..=m.last_row.min(max_row) {
                for c in m.first_col..=m.last_col {
                    merged.insert((r, c), (m.first_row, m.first_col));
                }
            }
        }
        HeaderGrid { sheet, merged }
    }

    fn text(&self, r: u32, c: u32) -> String {
        let (r, c) = self.merged.get(&(r, c)).copied().unwrap_or((r, c));
        match self.sheet.cell(r, c) {
            Cell::Text(s) => s.trim().to_string(),
            Cell::Number(f) => format!("{f}"),
            _ => String::new(),
        }
    }
}

/// Header path segments of a column over rows `top..=bottom`, consecutive duplicates
/// (vertical merges) collapsed.
fn segments(grid: &HeaderGrid<'_>, top: u32, bottom: u32, col: u32) -> Vec<String> {
    let mut segs: Vec<String> = Vec::new();
    for r in top..=bottom {
        let t = grid.text(r, col);
        if !t.is_empty() && segs.last() != Some(&t) {
            segs.push(t);
        }
    }
    segs
}

/// Matches a column's header path: the leaf, then parent+leaf, leaf+parent, the whole path.
fn match_column<'s>(
    spec: &'s PipelineSpec,
    segs: &[String],
) -> (Option<&'s str>, Option<HeaderUnit>, Option<String>) {
    let keys: Vec<(String, Option<HeaderUnit>, Option<String>)> = segs
        .iter()
        .map(|s| {
            let (bare, unit) = split_header_unit(&header_key(s));
            let (bare, unknown) = strip_unknown_unit(&bare);
            (bare, unit, unknown)
        })
        .collect();
    let Some((leaf, leaf_unit, leaf_unknown)) = keys.last() else {
        return (None, None, None);
    };
    let unit = keys.iter().rev().find_map(|k| k.1);
    let unknown = leaf_unknown
        .clone()
        .or_else(|| keys.iter().rev().find_map(|k| k.2.clone()));
    let mut candidates = vec![leaf.clone()];
    if keys.len() >= 2 {
        let parent = &keys[keys.len() - 2].0;
        candidates.push(format!("{parent}{leaf}"));
        candidates.push(format!("{leaf}{parent}"));
        candidates.push(keys.iter().map(|k| k.0.as_str()).collect::<String>());
    }
    for c in candidates {
        if let Some(f) = spec.match_header(&c) {
            return (Some(f.key.as_str()), leaf_unit.or(unit), unknown);
        }
    }
    (None, unit, unknown)
}

/// A bracketed unit we do not know (`(千元)`, `(美元)`): removed, and returned.
fn strip_unknown_unit(bare: &str) -> (String, Option<String>) {
    if let (Some(open), true) = (bare.rfind('('), bare.ends_with(')')) {
        let inner = &bare[open + 1..bare.len() - 1];
        if inner.ends_with('元') && inner.chars().count() <= 4 {
            return (bare[..open].to_string(), Some(inner.to_string()));
        }
    }
    (bare.to_string(), None)
}

fn is_title_like(grid: &HeaderGrid<'_>, row: u32, width: u32) -> bool {
    let mut distinct = std::collections::BTreeSet::new();
    for c in 0..width {
        let t = grid.text(row, c);
        if !t.is_empty() {
            if t.contains("单位") && (t.contains('：') || t.contains(':')) || t.contains("填报")
            {
                return true;
            }
            distinct.insert(t);
        }
    }
    distinct.len() <= 1
}

struct Candidate {
    top: u32,
    bottom: u32,
    score: u32,
    columns: Vec<ColumnMap>,
    duplicates: Vec<(String, u32, u32)>,
    unknown_units: Vec<(u32, String)>,
}

fn evaluate(
    spec: &PipelineSpec,
    grid: &HeaderGrid<'_>,
    top: u32,
    bottom: u32,
    width: u32,
) -> Option<Candidate> {
    let mut columns: Vec<ColumnMap> = Vec::new();
    let mut first_col: BTreeMap<String, u32> = BTreeMap::new();
    let mut duplicates = Vec::new();
    let mut unknown_units = Vec::new();
    for col in 0..width {
        let segs = segments(grid, top, bottom, col);
        if segs.is_empty() {
            continue;
        }
        let (field, unit, unknown) = match_column(spec, &segs);
        let Some(field) = field else { continue };
        if let Some(&c0) = first_col.get(field) {
            duplicates.push((field.to_string(), c0, col));
            continue;
        }
        if let Some(u) = unknown {
            unknown_units.push((col, u));
        }
        first_col.insert(field.to_string(), col);
        columns.push(ColumnMap {
            field: field.to_string(),
            col,
            header: segs.join("/"),
            unit: unit.and_then(MoneyUnit::from_header),
            unit_from: String::new(),
        });
    }
    if !first_col.contains_key("name") && !first_col.contains_key("code") {
        return None;
    }
    let score: u32 = columns
        .iter()
        .map(|c| {
            if spec.field(&c.field).is_some_and(|f| f.required) {
                2
            } else {
                1
            }
        })
        .sum();
    Some(Candidate {
        top,
        bottom,
        score,
        columns,
        duplicates,
        unknown_units,
    })
}

/// Finds the best header block of a sheet for a pipeline. `min_score` is the
/// least score (required fields count 2) a block needs to count as a ledger.
pub fn locate(sheet: &RawSheet, spec: &PipelineSpec, min_score: u32) -> Option<TableLayout> {
    let rows = (sheet.rows.len() as u32).min(MAX_HEADER_SCAN + 3);
    let width = sheet.width().min(200);
    let grid = HeaderGrid::new(sheet, rows);
    let mut best: Option<Candidate> = None;
    let mut ambiguous = false;
    for top in 0..rows.min(MAX_HEADER_SCAN) {
        // Once a header is found, only blocks starting just below it can beat it;
        // the rows further down are data.
        if best.as_ref().is_some_and(|b| top > b.bottom + 2) {
            break;
        }
        if (0..width).all(|c| sheet.cell(top, c).is_blank()) {
            continue;
        }
        for depth in 1..=3u32 {
            let bottom = top + depth - 1;
            if bottom >= rows {
                break;
            }
            // A title or 单位 line is never the top of a multi-row header.
            if depth > 1 && is_title_like(&grid, top, width) {
                break;
            }
            let Some(cand) = evaluate(spec, &grid, top, bottom, width) else {
                continue;
            };
            if cand.score < min_score {
                continue;
            }
            match &best {
                Some(b) if cand.score < b.score => {}
                Some(b) if cand.score == b.score => {
                    // Same score: a block that ends elsewhere is a real ambiguity;
                    // the same end with a deeper block is just a title row above.
                    if cand.bottom != b.bottom && cand.top > b.bottom {
                        ambiguous = true;
                    }
                }
                _ => {
                    ambiguous = false;
                    best = Some(cand);
                }
            }
        }
    }
    let mut best = best?;
    // Extend upwards over parent header rows (not titles) so paths read in full.
    while best.bottom - best.top < 2 && best.top > 0 && !is_title_like(&grid, best.top - 1, width) {
        match evaluate(spec, &grid, best.top - 1, best.bottom, width) {
            Some(c) if c.score >= best.score => best = c,
            _ => break,
        }
    }
    // Extend downwards over a sub-header row (`月完成情况` over `月计划投资额 |
    // 旬完成投资额`): the next row holds text only, some of it under a parent
    // merged across columns that ends on the block's last row.
    while best.bottom - best.top < 2 && is_sub_header(sheet, best.bottom, width) {
        match evaluate(spec, &grid, best.top, best.bottom + 1, width) {
            Some(c) if c.score >= best.score => best = c,
            _ => break,
        }
    }
    Some(TableLayout {
        header_top: best.top,
        header_bottom: best.bottom,
        columns: best.columns,
        duplicates: best.duplicates,
        unknown_units: best.unknown_units,
        score: best.score,
        ambiguous,
    })
}

/// Whether the row below `bottom` continues a header block: no numbers, and
/// text under a parent cell merged across columns that ends on `bottom`.
fn is_sub_header(sheet: &RawSheet, bottom: u32, width: u32) -> bool {
    let next = bottom + 1;
    let Some(cells) = sheet.rows.get(next as usize) else {
        return false;
    };
    let mut under_parent = false;
    for (c, cell) in cells.iter().enumerate().take(width as usize) {
        match cell {
            Cell::Text(t) if !t.trim().is_empty() => {
                let c = c as u32;
                under_parent |= sheet.merges.iter().any(|m| {
                    m.last_row == bottom
                        && m.first_col <= c
                        && c <= m.last_col
                        && m.last_col > m.first_col
                });
            }
            Cell::Empty => {}
            Cell::Text(_) => {}
            _ => return false,
        }
    }
    under_parent
}

/// The unit a line such as `单位：万元` / `计量单位：亿元` / `金额单位:元` names.
pub fn unit_line(text: &str) -> Option<MoneyUnit> {
    let t = crate::text::strip_spaces(text);
    let i = t.find("单位")?;
    let rest = &t[i + "单位".len()..];
    let rest = rest.trim_start_matches([':', '：']);
    for (w, u) in [
        ("亿元", MoneyUnit::Yi),
        ("万元", MoneyUnit::Wan),
        ("元", MoneyUnit::Yuan),
    ] {
        if rest.starts_with(w) {
            return Some(u);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Merge;

    fn spec() -> PipelineSpec {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        crate::config::load_pipeline(&root.join("pipelines/new-infra.toml"), &root).unwrap()
    }

    fn t(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    #[test]
    fn finds_two_row_merged_header_below_title() {
        let sheet = RawSheet {
            name: "Sheet1".into(),
            visible: true,
            rows: vec![
                vec![t("2023年1-7月全省新基建项目推进情况调度表")],
                vec![t(
                    "填报单位：南昌市发展和改革委员会  填报时间：2023年8月3日",
                )],
                vec![
                    Cell::Empty,
                    Cell::Empty,
                    Cell::Empty,
                    Cell::Empty,
                    Cell::Empty,
                    t("单位：万元"),
                ],
                vec![
                    t("序号"),
                    t("项目代码"),
                    t("项目名称"),
                    t("总投资\n（亿元）"),
                    t("2023年投资完成情况"),
                    Cell::Empty,
                    Cell::Empty,
                    t("建设状态"),
                ],
                vec![
                    Cell::Empty,
                    Cell::Empty,
                    Cell::Empty,
                    Cell::Empty,
                    t("年度计划"),
                    t("7月完成"),
                    t("1-7月累计完成"),
                    Cell::Empty,
                ],
                vec![
                    t("1"),
                    t("2023-360100-64-01-104233"),
                    t("南昌5G"),
                    Cell::Number(1.2),
                    Cell::Number(100.0),
                    Cell::Number(5.0),
                    Cell::Number(50.0),
                    t("在建"),
                ],
            ],
            merges: vec![
                Merge {
                    first_row: 0,
                    first_col: 0,
                    last_row: 0,
                    last_col: 7,
                },
                Merge {
                    first_row: 3,
                    first_col: 4,
                    last_row: 3,
                    last_col: 6,
                },
                Merge {
                    first_row: 3,
                    first_col: 0,
                    last_row: 4,
                    last_col: 0,
                },
                Merge {
                    first_row: 3,
                    first_col: 1,
                    last_row: 4,
                    last_col: 1,
                },
                Merge {
                    first_row: 3,
                    first_col: 2,
                    last_row: 4,
                    last_col: 2,
                },
                Merge {
                    first_row: 3,
                    first_col: 3,
                    last_row: 4,
                    last_col: 3,
                },
                Merge {
                    first_row: 3,
                    first_col: 7,
                    last_row: 4,
                    last_col: 7,
                },
            ],
            hidden_rows: vec![],
            formats: Default::default(),
        };
        let l = locate(&sheet, &spec(), 4).unwrap();
        assert_eq!((l.header_top, l.header_bottom), (3, 4));
        let f = |k: &str| l.columns.iter().find(|c| c.field == k).cloned().unwrap();
        assert_eq!(f("ytd_done").col, 6);
        assert_eq!(f("ytd_done").header, "2023年投资完成情况/1-7月累计完成");
        assert_eq!(f("month_done").col, 5);
        assert_eq!(f("annual_plan").col, 4);
        assert_eq!(f("total_investment").unit, Some(MoneyUnit::Yi));
        assert!(l.duplicates.is_empty());
    }

    #[test]
    fn reports_a_field_matched_twice_and_unknown_unit() {
        let sheet = RawSheet {
            name: "s".into(),
            visible: true,
            rows: vec![vec![
                t("项目代码"),
                t("项目名称"),
                t("总投资"),
                t("计划总投资(千元)"),
                t("1-7月累计完成投资"),
            ]],
            ..Default::default()
        };
        let l = locate(&sheet, &spec(), 2).unwrap();
        assert_eq!(l.duplicates, vec![("total_investment".to_string(), 2, 3)]);
    }

    #[test]
    fn unit_lines() {
        assert_eq!(unit_line("单位：万元"), Some(MoneyUnit::Wan));
        assert_eq!(unit_line("计量单位: 亿元"), Some(MoneyUnit::Yi));
        assert_eq!(unit_line("填报单位：南昌市"), None);
    }
}
