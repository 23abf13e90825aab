//! The unit's own number formats (`#,##0.00`, `0.0000`, `yyyy"年"m"月"`) on
//! the copy of its sheet, so the re-rendered sheet shows its numbers as the
//! unit saw them. Captured at ingest (xlsx / xlsm: `pipeline::ingest`, also
//! for the members of an archive) and kept on the [`RawSheet`] as runs down a
//! column ([`crate::model::CellFormats`]); looked up here by position. Every
//! other reader leaves them empty: the copy then shows its numbers in General.

use std::collections::HashSet;

use crate::model::{CellFormats, RawSheet};

/// A multiplicative hasher for small integer keys (cell positions): looked
/// up once per cell of a re-rendered sheet, where SipHash was a visible cost.
/// Not exposed to input-chosen collisions in any way that matters: the keys
/// are bounded positions (the cells merges cover, bounded by ingest's merge cap).
#[derive(Default, Clone, Copy)]
pub struct CellHasher(u64);

impl std::hash::Hasher for CellHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Hash sets keyed by cell position.
pub type CellBuild = std::hash::BuildHasherDefault<CellHasher>;
pub type CellSet = HashSet<(u32, u32), CellBuild>;

/// The number formats of one sheet.
#[derive(Debug, Clone, Copy)]
pub struct SheetFormats<'a> {
    formats: &'a CellFormats,
}

impl<'a> SheetFormats<'a> {
    /// The formats of a sheet as read (none: no number cell of it has one).
    pub fn of(sheet: &'a RawSheet) -> Option<SheetFormats<'a>> {
        (!sheet.formats.runs.is_empty()).then_some(SheetFormats {
            formats: &sheet.formats,
        })
    }

    /// The format code of a cell (0-based), when the unit gave it one other
    /// than General: the run of its column that begins last at or above it,
    /// if it reaches the cell.
    pub fn get(&self, row: u32, col: u32) -> Option<&'a str> {
        let col = u16::try_from(col).ok()?;
        let runs = &self.formats.runs;
        let i = runs.partition_point(|r| (r.col, r.first_row) <= (col, row));
        let run = runs.get(i.checked_sub(1)?)?;
        if run.col != col || run.last_row < row {
            return None;
        }
        self.formats
            .codes
            .get(usize::from(run.code))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cell, FileFormat, FormatRun};

    fn sheet(runs: Vec<FormatRun>) -> RawSheet {
        RawSheet {
            formats: CellFormats {
                codes: vec!["#,##0.00".to_string(), "0.0%".to_string()].into(),
                runs,
            },
            ..Default::default()
        }
    }

    #[test]
    fn runs_answer_by_position() {
        let run = |col, first_row, last_row, code| FormatRun {
            col,
            first_row,
            last_row,
            code,
        };
        let s = sheet(vec![run(1, 2, 5, 0), run(1, 7, 7, 1), run(3, 0, 9, 1)]);
        let f = SheetFormats::of(&s).unwrap();
        for (r, c, want) in [
            (2, 1, Some("#,##0.00")),
            (5, 1, Some("#,##0.00")),
            (6, 1, None),
            (7, 1, Some("0.0%")),
            (8, 1, None),
            (1, 1, None),
            (0, 0, None),
            (4, 2, None),
            (0, 3, Some("0.0%")),
            (9, 3, Some("0.0%")),
            (10, 3, None),
            (3, 4, None),
            (3, 65_537, None),
        ] {
            assert_eq!(f.get(r, c), want, "({r}, {c})");
        }
        // A code index past the table: none.
        let s = sheet(vec![run(0, 0, 0, 7)]);
        assert_eq!(SheetFormats::of(&s).unwrap().get(0, 0), None);
        // No runs: no formats at all.
        assert!(SheetFormats::of(&RawSheet::default()).is_none());
    }

    /// A workbook written with formats, read by ingest: the codes it gave its
    /// number and date cells, and none for General, text or another reader.
    #[test]
    fn formats_captured_at_ingest() {
        use rust_xlsxwriter::{Format, Workbook};
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet().set_name("台账").unwrap();
        let money = Format::new().set_num_format("#,##0.00");
        let rate = Format::new().set_num_format("0.0000");
        let month = Format::new().set_num_format("yyyy\"年\"m\"月\"");
        let builtin = Format::new().set_num_format_index(10);
        ws.write_string(0, 0, "项目名称").unwrap();
        for r in 1..=3 {
            ws.write_number_with_format(r, 1, 1234.5, &money).unwrap();
            ws.write_number_with_format(r, 2, 0.12345, &rate).unwrap();
        }
        ws.write_number_with_format(2, 3, 45108.0, &month).unwrap();
        ws.write_number_with_format(3, 3, 0.5, &builtin).unwrap();
        ws.write_number(4, 1, 42.0).unwrap();
        ws.write_string_with_format(4, 2, "文字", &money).unwrap();
        wb.set_properties(&crate::report::properties(
            "t",
            "t",
            crate::model::YearMonth {
                year: 2023,
                month: 7,
            },
        ));
        let bytes = wb.save_to_buffer().unwrap();
        let raw = crate::pipeline::ingest::read(FileFormat::Xlsx, &bytes).unwrap();
        let s = &raw.sheets[0];
        assert!(matches!(s.cell(2, 3), Cell::Date(_)));
        let f = SheetFormats::of(s).unwrap();
        for r in 1..=3 {
            assert_eq!(f.get(r, 1), Some("#,##0.00"));
            assert_eq!(f.get(r, 2), Some("0.0000"));
        }
        assert_eq!(f.get(2, 3), Some("yyyy\"年\"m\"月\""));
        assert_eq!(f.get(3, 3), Some("0.00%"));
        assert_eq!(f.get(4, 1), None);
        assert_eq!(f.get(0, 0), None);
        // Money column B: one run for its three rows.
        assert_eq!(s.formats.runs.iter().filter(|r| r.col == 1).count(), 1);
        // A CSV of the same numbers carries none.
        let csv = crate::pipeline::ingest::read(FileFormat::Csv, b"a,1234.5\n").unwrap();
        assert!(SheetFormats::of(&csv.sheets[0]).is_none());
    }
}
