//! Writes the work-plan library `seeds/work-plan-library.xlsx`: sheet `任务库`,
//! row 1 the merged title, row 2 the header, one row per item from row 3.

use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook};

use super::super::{write_bytes, GenError};
use super::annex::Item;

/// Library file relative to the root.
pub const LIBRARY_PATH: &str = "seeds/work-plan-library.xlsx";
/// Sheet name of the library.
pub const SHEET: &str = "任务库";
/// Title row of the library.
pub const TITLE: &str = "数字经济发展2023年工作计划任务库";
/// Header row, in column order.
pub const HEADERS: [&str; 8] = [
    "序号",
    "重点专项",
    "工作举措",
    "牵头单位",
    "配合单位",
    "完成时限",
    "责任单位",
    "备注",
];

/// The text cells of an item's library row after 序号, in header order.
pub fn row_cells(item: &Item) -> [String; 7] {
    [
        item.group.clone(),
        item.text_or_lost().to_string(),
        item.lead.clone(),
        item.partners.join("、"),
        item.due_text(),
        item.reporting.join("、"),
        item.remark(),
    ]
}

/// Writes the library to `path`.
pub fn write_library(path: &Path, items: &[Item]) -> Result<(), GenError> {
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_ymd(2023, 1, 1)?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title(TITLE)
            .set_company("江西省发展和改革委员会")
            .set_creation_datetime(&created),
    );
    let title = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_font_name("方正小标宋简体")
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let head = Format::new()
        .set_bold()
        .set_font_name("黑体")
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let body = Format::new()
        .set_font_name("仿宋_GB2312")
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter);
    let sheet = workbook.add_worksheet();
    sheet.set_name(SHEET)?;
    let last = (HEADERS.len() - 1) as u16;
    sheet.merge_range(0, 0, 0, last, TITLE, &title)?;
    sheet.set_row_height(0, 30)?;
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write_string_with_format(1, c as u16, *h, &head)?;
    }
    for (i, item) in items.iter().enumerate() {
        let r = 2 + i as u32;
        sheet.write_number_with_format(r, 0, f64::from(item.seq), &body)?;
        for (c, text) in row_cells(item).iter().enumerate() {
            sheet.write_string_with_format(r, 1 + c as u16, text, &body)?;
        }
    }
    for (c, w) in [6.0, 20.0, 56.0, 14.0, 30.0, 12.0, 30.0, 36.0]
        .iter()
        .enumerate()
    {
        sheet.set_column_width(c as u16, *w)?;
    }
    sheet.set_freeze_panes(2, 2)?;
    let buffer = workbook.save_to_buffer()?;
    write_bytes(path, &buffer)
}
