//! Which unit a file names, and where: its file name, a `填报单位：` line, a
//! title row, or a 责任单位 column holding one unit. The first clue decides the
//! file's unit in normalize; validate reads them all again to name what
//! disagrees when the file's projects belong to another unit (W012).

use std::collections::BTreeSet;

use super::{fill_unit_re, rows_text};
use crate::model::{RawWorkbook, SheetTable};
use crate::seeds::Units;

/// Where a unit was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum UnitSource {
    FileName,
    FillLine,
    Title,
    Column,
}

impl UnitSource {
    /// How a message names the source.
    pub fn label(self) -> &'static str {
        match self {
            UnitSource::FileName => "文件名",
            UnitSource::FillLine => "“填报单位”行",
            UnitSource::Title => "表格标题",
            UnitSource::Column => "“责任单位”列",
        }
    }
}

/// One source naming a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitClue {
    pub source: UnitSource,
    pub unit_id: String,
    /// The text it was read from.
    pub text: String,
}

/// A title row (not the 填报单位 / 单位：万元 / 填报时间 lines).
fn is_title_line(line: &str) -> bool {
    !line.is_empty() && !line.contains("填报") && !line.contains("单位") && !line.contains("报送")
}

/// Every clue of a file's unit, in the order they decide: file name, 填报单位
/// line, title, 责任单位 column (only when it names one unit). At most one per
/// source. `raw` holds the sheets the tables were read from (lines above each
/// header); without it only the file name and the column are looked at.
pub fn unit_clues(
    name: &str,
    raw: Option<&RawWorkbook>,
    tables: &[SheetTable],
    units: &Units,
) -> Vec<UnitClue> {
    let clue = |source, text: &str| {
        units.find_in(text).map(|u| UnitClue {
            source,
            unit_id: u.id.clone(),
            text: text.to_string(),
        })
    };
    let mut out: Vec<UnitClue> = clue(UnitSource::FileName, name).into_iter().collect();
    let above: Vec<String> = raw
        .map(|raw| {
            tables
                .iter()
                .filter_map(|t| {
                    raw.sheets
                        .iter()
                        .find(|s| s.name == t.sheet)
                        .map(|s| (s, t))
                })
                .flat_map(|(s, t)| rows_text(s, 0, t.header_rows.0))
                .collect()
        })
        .unwrap_or_default();
    // The first 填报单位 line decides (as a clerk reads it).
    let fill = above
        .iter()
        .find_map(|l| fill_unit_re().captures(l).and_then(|c| c.get(1)))
        .and_then(|m| clue(UnitSource::FillLine, m.as_str()));
    out.extend(fill);
    out.extend(
        above
            .iter()
            .filter(|l| is_title_line(l))
            .find_map(|l| clue(UnitSource::Title, l)),
    );
    // Each distinct text looked up once (a column repeats one unit).
    let texts: BTreeSet<&str> = tables
        .iter()
        .flat_map(|t| t.rows.iter().filter_map(|r| r.unit_text.as_deref()))
        .collect();
    let seen: BTreeSet<(&str, &str)> = texts
        .into_iter()
        .filter_map(|t| units.find_in(t).map(|u| (u.id.as_str(), t)))
        .collect();
    let ids: BTreeSet<&str> = seen.iter().map(|(id, _)| *id).collect();
    if let (1, Some((id, text))) = (ids.len(), seen.iter().next()) {
        out.push(UnitClue {
            source: UnitSource::Column,
            unit_id: id.to_string(),
            text: text.to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cell, LedgerRow, RawSheet};

    fn units() -> Units {
        Units::parse(
            r#"
[[unit]]
id = "360100"
name = "南昌市"
short = "南昌"
kind = "city"
aliases = ["南昌市发展和改革委员会"]
[[unit]]
id = "360400"
name = "九江市"
short = "九江"
kind = "city"
aliases = ["九江市发展和改革委员会"]
"#,
            std::path::Path::new("units.toml"),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn sheet(lines: &[&str]) -> RawSheet {
        RawSheet {
            name: "表".to_string(),
            visible: true,
            rows: lines
                .iter()
                .map(|l| vec![Cell::Text((*l).into())])
                .collect(),
            ..Default::default()
        }
    }

    fn table(header_top: u32, unit_cells: &[&str]) -> SheetTable {
        SheetTable {
            sheet: "表".to_string(),
            header_rows: (header_top, header_top),
            rows: unit_cells
                .iter()
                .map(|u| LedgerRow {
                    unit_text: Some(u.to_string()),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    fn ids(c: &[UnitClue]) -> Vec<(UnitSource, &str)> {
        c.iter().map(|c| (c.source, c.unit_id.as_str())).collect()
    }

    #[test]
    fn every_source_in_deciding_order() {
        let raw = RawWorkbook {
            sheets: vec![sheet(&[
                "2023年1-7月九江市新基建项目调度表",
                "填报单位：南昌市发展和改革委员会  填报时间：2023年8月3日",
                "单位：万元",
                "序号",
            ])],
            is_1904: false,
            properties: Default::default(),
        };
        let t = [table(3, &["南昌市", "南昌市"])];
        let c = unit_clues("附件1：九江市.xlsx", Some(&raw), &t, &units());
        assert_eq!(
            ids(&c),
            vec![
                (UnitSource::FileName, "360400"),
                (UnitSource::FillLine, "360100"),
                (UnitSource::Title, "360400"),
                (UnitSource::Column, "360100"),
            ]
        );
        assert_eq!(c[1].text, "南昌市发展和改革委员会");
    }

    #[test]
    fn nothing_named_gives_no_clue() {
        let raw = RawWorkbook {
            sheets: vec![sheet(&[
                "2023年1-7月全省新基建项目调度表",
                "填报单位：  填报时间：2023年8月3日",
                "单位：万元",
                "序号",
            ])],
            is_1904: false,
            properties: Default::default(),
        };
        // A column naming two units is no clue.
        let t = [table(3, &["南昌市", "九江市"])];
        assert!(unit_clues("附件2.xlsx", Some(&raw), &t, &units()).is_empty());
        assert!(unit_clues("附件2.xlsx", None, &[], &units()).is_empty());
    }
}
