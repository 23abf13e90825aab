//! Writes one unit's monthly ledger workbook in its layout variant (title,
//! 填报单位 / 单位 lines, header, body lines, footers, extra sheets) and
//! reports where every project row and column landed (for `planted.json`).
//! Cells themselves are written by [`super::cells::Table`].

use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet};

use super::cells::{width, Formats, Table};
use super::layout::{
    header_for, leaves, Assignment, Ctx, Extra, Footer, Grouping, Layout, Meta, SeqStyle,
    TotalLabel, TotalPos,
};
use super::library::Nature;
use super::rows::{Col, LedgerRow};
use super::units::{Unit, UnitExt};
use super::{write_bytes, GenError, Program};

/// Everything needed to write one ledger.
#[derive(Debug, Clone)]
pub struct LedgerSpec<'a> {
    pub program: Program,
    pub unit: &'a Unit,
    pub layout: &'a Layout,
    pub assignment: Assignment,
    pub year: i32,
    pub month: u32,
    /// Day of the next month on which the file was filled in.
    pub fill_day: u32,
    /// (填报人, 联系电话, 审核人).
    pub signers: (String, String, String),
    pub rows: &'a [LedgerRow],
}

/// Where a written ledger put things.
#[derive(Debug, Clone)]
pub struct WrittenLedger {
    pub file_name: String,
    pub sheet: String,
    /// (project code, 0-based sheet row) of every data row.
    pub rows: Vec<(String, u32)>,
    /// (column, 0-based sheet column).
    pub cols: Vec<(Col, u16)>,
    pub bytes: usize,
}

impl WrittenLedger {
    /// A1 address of `col` in the row of `code` (first occurrence).
    pub fn cell(&self, code: &str, col: Col) -> Option<String> {
        let row = self.rows.iter().find(|(c, _)| c == code)?.1;
        let c = self.cols.iter().find(|(k, _)| *k == col)?.1;
        Some(a1(row, c))
    }
}

/// Column letters of a 0-based column (`0` → `A`, `27` → `AB`).
pub fn column_letters(col: u16) -> String {
    let mut letters = Vec::new();
    let mut n = u32::from(col) + 1;
    while n > 0 {
        letters.push((b'A' + ((n - 1) % 26) as u8) as char);
        n = (n - 1) / 26;
    }
    letters.into_iter().rev().collect()
}

/// A1 address of a 0-based (row, column).
pub fn a1(row: u32, col: u16) -> String {
    format!("{}{}", column_letters(col), row + 1)
}

/// The date the unit filled in the ledger of (year, month).
pub fn fill_date(year: i32, month: u32, day: u32) -> (i32, u32, u32) {
    if month >= 12 {
        (year + 1, 1, day)
    } else {
        (year, month + 1, day)
    }
}

/// The file name of a ledger (without directory).
pub fn file_name(ctx: &Ctx, assignment: &Assignment) -> String {
    let ext = if assignment.xls_ext { "xls" } else { "xlsx" };
    format!("{}.{ext}", ctx.expand_title(assignment.file))
}

/// One line of the table body.
enum Line {
    Total(TotalLabel),
    BlankStyled,
    Group {
        index: usize,
        label: String,
        members: Vec<usize>,
    },
    Data {
        row: usize,
        seq: usize,
    },
}

/// Group key of a row under a grouping (sorts groups in report order).
fn group_key(grouping: Grouping, row: &LedgerRow, unit: &Unit) -> (usize, String) {
    match grouping {
        Grouping::Category { .. } => (row.category, row.category_name.clone()),
        Grouping::Nature => match row.nature {
            Nature::Continuing => (0, "续建项目".to_string()),
            Nature::New => (1, "新开工项目".to_string()),
        },
        Grouping::County => (
            unit.counties
                .iter()
                .position(|c| *c == row.county)
                .unwrap_or(usize::MAX),
            row.county.clone(),
        ),
        Grouping::None => (0, String::new()),
    }
}

/// Orders the body: total row, group rows and data rows.
fn body_lines(layout: &Layout, rows: &[LedgerRow], unit: &Unit) -> Vec<Line> {
    let mut lines = Vec::new();
    if let TotalPos::Top(label) = layout.total {
        lines.push(Line::Total(label));
        if layout.blank_after_total {
            lines.push(Line::BlankStyled);
        }
    }
    if layout.groups == Grouping::None {
        lines.extend((0..rows.len()).map(|i| Line::Data { row: i, seq: i + 1 }));
    } else {
        let mut keys: Vec<(usize, String)> = rows
            .iter()
            .map(|r| group_key(layout.groups, r, unit))
            .collect();
        keys.sort();
        keys.dedup();
        let mut seq = 0;
        for (gi, key) in keys.iter().enumerate() {
            let members: Vec<usize> = (0..rows.len())
                .filter(|&i| group_key(layout.groups, &rows[i], unit) == *key)
                .collect();
            lines.push(Line::Group {
                index: gi + 1,
                label: key.1.clone(),
                members: members.clone(),
            });
            for (k, i) in members.iter().enumerate() {
                seq = if layout.seq == SeqStyle::Paren {
                    k + 1
                } else {
                    seq + 1
                };
                lines.push(Line::Data { row: *i, seq });
            }
        }
    }
    if let TotalPos::Bottom(label) = layout.total {
        lines.push(Line::Total(label));
    }
    for _ in 0..layout.blank_rows {
        lines.push(Line::BlankStyled);
    }
    lines
}

/// Writes the ledger into `dir` and returns where things landed.
pub fn write_ledger(spec: &LedgerSpec, dir: &Path) -> Result<WrittenLedger, GenError> {
    let ctx = Ctx {
        program: spec.program,
        unit: spec.unit,
        year: spec.year,
        month: spec.month,
    };
    let layout = spec.layout;
    let tree = header_for(layout, spec.program);
    let table = Table {
        cols: leaves(&tree),
        layout,
        rows: spec.rows,
        yi_total: spec.assignment.yi_total,
        f: Formats::default(),
    };
    let f = &table.f;
    let last = (table.cols.len().max(3) - 1) as u16;
    let (fy, fm, fd) = fill_date(spec.year, spec.month, spec.fill_day);
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_ymd(fy as u16, fm as u8, fd as u8)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    if layout.extra == Extra::InstructionsFirst {
        write_instructions(workbook.add_worksheet(), &ctx)?;
    }
    let sheet_name = ctx.expand(layout.sheet);
    let sheet = workbook.add_worksheet();
    sheet.set_name(&sheet_name)?;

    let mut r: u32 = 0;
    for (i, t) in layout.titles.iter().enumerate() {
        let fmt = if i == 0 { &f.title } else { &f.subtitle };
        sheet.merge_range(r, 0, r, last, &ctx.expand_title(t), fmt)?;
        if i == 0 {
            sheet.set_row_height(r, 32)?;
        }
        r += 1;
    }
    let fill_line = format!(
        "填报单位：{}      填报时间：{fy}年{fm}月{fd}日",
        spec.unit.full_name()
    );
    match layout.meta {
        Meta::None => {}
        Meta::Fill => {
            sheet.merge_range(r, 0, r, last, &fill_line, &f.left)?;
            r += 1;
        }
        Meta::FillUnitsSameRow(units) => {
            sheet.merge_range(r, 0, r, last - 2, &fill_line, &f.left)?;
            sheet.merge_range(r, last - 1, r, last, units, &f.right)?;
            r += 1;
        }
        Meta::FillThenUnits(units) => {
            sheet.merge_range(r, 0, r, last, &fill_line, &f.left)?;
            r += 1;
            sheet.merge_range(r, last - 1, r, last, units, &f.right)?;
            r += 1;
        }
    }
    let depth = table.write_header(sheet, &tree, r, &ctx)?;
    for k in 0..depth {
        sheet.set_row_height(r + k, if depth == 1 { 42 } else { 30 })?;
    }
    r += depth;

    let lines = body_lines(layout, spec.rows, spec.unit);
    let is_data = |l: &Line| matches!(l, Line::Data { .. });
    let first = lines.iter().position(is_data).unwrap_or(0) as u32;
    let count = lines.iter().filter(|l| is_data(l)).count() as u32;
    let span = (r + first, r + first + count.saturating_sub(1));
    let mut row_pos = Vec::new();
    for line in &lines {
        match line {
            Line::Total(label) => table.write_total(sheet, r, *label, span)?,
            Line::BlankStyled => {
                for c in 0..table.cols.len() as u16 {
                    sheet.write_blank(r, c, &f.blank)?;
                }
            }
            Line::Group {
                index,
                label,
                members,
            } => table.write_group(sheet, r, *index, label, members)?,
            Line::Data { row, seq } => {
                row_pos.push((spec.rows[*row].code.clone(), r));
                table.write_data(sheet, r, *row, *seq)?;
            }
        }
        r += 1;
    }
    if !layout.footers.is_empty() {
        r += 1;
    }
    for footer in layout.footers {
        match footer {
            Footer::Remark(text) => {
                sheet.merge_range(r, 0, r, last, text, &f.left)?;
            }
            Footer::Signers => {
                let (a, phone, b) = &spec.signers;
                let text = format!("填报人：{a}    联系电话：{phone}    审核人：{b}");
                sheet.write_string_with_format(r, 0, &text, &f.left)?;
            }
        }
        r += 1;
    }
    for (i, (c, _, _)) in table.cols.iter().enumerate() {
        sheet.set_column_width(i as u16, width(*c))?;
    }
    if let Extra::EmptySheets(names) = layout.extra {
        for name in names {
            workbook.add_worksheet().set_name(*name)?;
        }
    }
    let name = file_name(&ctx, &spec.assignment);
    let buffer = workbook.save_to_buffer()?;
    write_bytes(&dir.join(&name), &buffer)?;
    Ok(WrittenLedger {
        file_name: name,
        sheet: sheet_name,
        rows: row_pos,
        cols: table
            .cols
            .iter()
            .enumerate()
            .map(|(i, (c, _, _))| (*c, i as u16))
            .collect(),
        bytes: buffer.len(),
    })
}

/// The 填报说明 sheet placed before the data sheet.
fn write_instructions(sheet: &mut Worksheet, ctx: &Ctx) -> Result<(), GenError> {
    sheet.set_name("填报说明")?;
    let bold = Format::new().set_bold().set_font_size(14);
    sheet.write_string_with_format(0, 0, "填报说明", &bold)?;
    let lines = [
        format!(
            "一、本表为{}项目月度调度表，请于每月5日前报送上月情况。",
            ctx.program.core()
        ),
        "二、金额单位为万元，保留两位小数。".to_string(),
        "三、进展状态按未开工、在建、已竣工、已投产填写。".to_string(),
        "四、项目代码填写全国投资项目在线审批监管平台赋予的代码。".to_string(),
        "五、请勿修改表头、增删列。".to_string(),
    ];
    for (i, line) in lines.iter().enumerate() {
        sheet.write_string(i as u32 + 2, 0, line)?;
    }
    sheet.set_column_width(0, 70)?;
    Ok(())
}
