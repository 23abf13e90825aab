//! An empty project library in the commission's layout, for `taizhang init`:
//! sheet `项目库`, a title, `单位：万元`, one header row with the pipeline's
//! own header names (so the library reads back through the same header
//! discovery), no data. A tasks-kind program gets its plan's layout instead
//! (`任务库`: 序号, 重点专项, 工作举措, 牵头单位, 配合单位, 完成时限, 责任单位, 备注).

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
use std::path::Path;

use super::{properties, save, xerr, ReportError};
use crate::config::PipelineSpec;
use crate::model::Period;

/// Library columns, in order, by canonical field key; `batch` only when the
/// pipeline groups its projects.
const FIELDS: &[&str] = &[
    "seq",
    "code",
    "name",
    "batch",
    "unit",
    "county",
    "category",
    "owner",
    "nature",
    "years",
    "total_investment",
    "annual_plan",
    "planned_start",
];

/// The header row of a program's library: each field's first synonym (money
/// columns with their unit).
pub fn headers(spec: &PipelineSpec) -> Vec<String> {
    if spec.kind == crate::kinds::ProgramKind::Tasks {
        // A plan's items, in the layout `kinds::tasks::plan` reads.
        return crate::kinds::tasks::plan::HEADERS
            .iter()
            .map(|h| h.to_string())
            .collect();
    }
    FIELDS
        .iter()
        .filter(|k| **k != "batch" || spec.group_label.is_some())
        .filter_map(|k| spec.field(k))
        .filter_map(|f| {
            let h = f.synonyms.first()?.clone();
            Some(match f.kind {
                crate::config::FieldKind::Money => format!("{h}（万元）"),
                _ => h,
            })
        })
        .collect()
}

/// Writes the empty library of `spec` to `path`.
pub fn write_empty(spec: &PipelineSpec, path: &Path) -> Result<(), ReportError> {
    let e = xerr(path);
    let mut wb = Workbook::new();
    let title = crate::config::library_label(&spec.full_name);
    let period = Period {
        year: spec.year,
        month: 1,
    };
    wb.set_properties(&properties(&title, &spec.issuer, period));
    let head = Format::new()
        .set_bold()
        .set_font_name("黑体")
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Center);
    let big = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center);
    let headers = headers(spec);
    let last = headers.len().saturating_sub(1) as u16;
    let ws = wb.add_worksheet();
    let tasks = spec.kind == crate::kinds::ProgramKind::Tasks;
    ws.set_name(if tasks { "任务库" } else { "项目库" })
        .map_err(&e)?;
    ws.merge_range(0, 0, 0, last.max(1), &title, &big)
        .map_err(&e)?;
    if !tasks {
        ws.write_string(1, last, "单位：万元").map_err(&e)?;
    }
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, h, &head)
            .map_err(&e)?;
        let w = crate::text::display_width(h).max(10) as f64 + 2.0;
        ws.set_column_width(c as u16, w).map_err(&e)?;
    }
    ws.set_freeze_panes(3, 0).map_err(&e)?;
    save(&mut wb, path)
}
