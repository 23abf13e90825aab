//! Writes a project library (`seeds/*-library.xlsx`) in the commission's
//! layout: sheet `项目库`, a merged title, `单位：万元`, one header row, data
//! from row 4, no total row.

use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook};

use super::library::{categories, Project};
use super::money::{cell_value, MoneyUnit};
use super::units::Unit;
use super::{write_bytes, GenError, Program};

/// Header of the library sheet for `program`, in column order.
pub fn library_headers(program: Program) -> Vec<&'static str> {
    let mut headers = vec!["序号", "项目代码", "项目名称"];
    if program == Program::DigitalEconomy {
        headers.push("批次");
    }
    headers.extend(["责任单位", "所在县（区）", program.category_label()]);
    headers.extend([
        "项目业主",
        "建设性质",
        "建设年限",
        "总投资（万元）",
        "年度计划投资（万元）",
        "计划开工时间",
    ]);
    headers
}

/// Writes the library workbook of `program` to `path`.
pub fn write_library(
    path: &Path,
    program: Program,
    projects: &[Project],
    units: &[Unit],
) -> Result<(), GenError> {
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_ymd(2023, 1, 1)?;
    workbook.set_properties(
        &DocProperties::new()
            .set_title(program.library_title())
            .set_company("江西省发展和改革委员会")
            .set_creation_datetime(&created),
    );
    let title = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_font_name("方正小标宋简体")
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let right = Format::new().set_align(FormatAlign::Right);
    let head = Format::new()
        .set_bold()
        .set_font_name("黑体")
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let body = Format::new()
        .set_font_name("仿宋_GB2312")
        .set_border(FormatBorder::Thin);
    let money = body.clone().set_num_format("#,##0.00");

    let headers = library_headers(program);
    let last_col = (headers.len() - 1) as u16;
    let sheet = workbook.add_worksheet();
    sheet.set_name("项目库")?;
    sheet.merge_range(0, 0, 0, last_col, program.library_title(), &title)?;
    sheet.set_row_height(0, 30)?;
    sheet.write_string_with_format(1, last_col, "单位：万元", &right)?;
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(2, c as u16, *h, &head)?;
    }
    let cats = categories(program);
    for (i, p) in projects.iter().enumerate() {
        let r = 3 + i as u32;
        let unit = units.get(p.unit).map(|u| u.name.as_str()).unwrap_or("");
        let mut cells: Vec<String> = vec![p.code.clone(), p.name.clone()];
        if program == Program::DigitalEconomy {
            cells.push(p.batch_label().to_string());
        }
        cells.extend([
            unit.to_string(),
            p.county.clone(),
            cats.get(p.category).copied().unwrap_or("").to_string(),
            p.owner.clone(),
            p.nature.label().to_string(),
            p.years_text(),
        ]);
        sheet.write_number_with_format(r, 0, (i + 1) as f64, &body)?;
        let mut c = 1u16;
        for text in &cells {
            sheet.write_string_with_format(r, c, text, &body)?;
            c += 1;
        }
        sheet.write_number_with_format(r, c, cell_value(p.total, MoneyUnit::Wan), &money)?;
        sheet.write_number_with_format(r, c + 1, cell_value(p.annual, MoneyUnit::Wan), &money)?;
        sheet.write_string_with_format(r, c + 2, p.planned_start_text(), &body)?;
    }
    let widths: Vec<f64> = headers
        .iter()
        .map(|h| match *h {
            "序号" => 6.0,
            "项目代码" => 26.0,
            "项目名称" => 44.0,
            "项目业主" => 36.0,
            "所在县（区）" | "责任单位" => 12.0,
            "类别" | "赛道" => 14.0,
            _ => 13.0,
        })
        .collect();
    for (c, w) in widths.iter().enumerate() {
        sheet.set_column_width(c as u16, *w)?;
    }
    sheet.set_freeze_panes(3, 3)?;
    let buffer = workbook.save_to_buffer()?;
    write_bytes(path, &buffer)
}
