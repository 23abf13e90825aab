//! The internal 数据核对 workbook written beside the monthly one
//! (`新基建项目数据核对-2023年07月.xlsx`): what stays in the office — how each
//! 汇总 figure is derived (指标说明), the check findings with their ids
//! (校验问题), and each inbox file's row accounting (数据核对). The outgoing
//! monthly workbook holds none of it.

use rust_xlsxwriter::Workbook;
use std::path::Path;

use super::monthly::{summary_items, MonthlyInput};
use super::style::{push_tables, write_table, RowStyle, Styles, TableSheet, Val};
use super::{properties, save, xerr, ReportError};
use crate::model::Severity;

/// File name template of the internal workbook (filled like the pipeline's
/// report names: `{name}` is the program's display name).
pub const NAME_TEMPLATE: &str = "{name}数据核对-{year}年{month:02}月";

/// The internal workbook's file name for the period.
pub fn file_name(inp: &MonthlyInput<'_>) -> String {
    let p = inp.period;
    format!("{}.xlsx", inp.spec.fill(NAME_TEMPLATE, p.year, p.month, ""))
}

/// Writes the workbook; returns its file name.
pub fn write(inp: &MonthlyInput<'_>, dir: &Path) -> Result<String, ReportError> {
    let (spec, p) = (inp.spec, inp.period);
    let name = file_name(inp);
    let path = dir.join(&name);
    let e = xerr(&path);
    let title = format!("{}年{}月{}数据核对（内部）", p.year, p.month, spec.name);
    let mut wb = Workbook::new();
    wb.set_properties(&properties(&title, &spec.issuer, p));
    let st = Styles::new();
    let meta_left = format!("制表单位：{}", spec.issuer);
    let meta_mid = format!("截至{}年{}月底", p.year, p.month);
    let sheet = |title: &str, headers: Vec<&'static str>, rows, unit: &str| {
        TableSheet::new(title, &meta_left, &meta_mid, unit, headers, rows)
    };

    // 指标说明: the 汇总 figures with how each is derived.
    let rows: Vec<(Vec<Val>, RowStyle)> = summary_items(inp)
        .into_iter()
        .map(|(k, v, note)| (vec![Val::Text(k), v, Val::Text(note)], RowStyle::Normal))
        .collect();
    let mut it = sheet(
        &format!(
            "{}年{}月{}汇总指标说明（内部核对用）",
            p.year, p.month, spec.name
        ),
        vec!["指标", "数值", "说明"],
        rows,
        "金额单位：万元",
    );
    it.max_width = 60;
    let ws = wb.add_worksheet().set_name("指标说明").map_err(&e)?;
    write_table(ws, &st, &it).map_err(&e)?;

    let mut tables: Vec<(String, TableSheet)> = Vec::new();
    // 校验问题
    let f_rows: Vec<(Vec<Val>, RowStyle)> = inp
        .findings
        .iter()
        .map(|f| {
            let rs = match (f.severity, f.waived) {
                (_, true) => RowStyle::Green,
                (Severity::Error, _) => RowStyle::Red,
                (Severity::Warning, _) => RowStyle::Yellow,
            };
            (
                vec![
                    Val::Text(f.id.clone()),
                    Val::Text(if f.waived {
                        "已核实".into()
                    } else {
                        f.severity.label().into()
                    }),
                    Val::Text(f.unit.clone()),
                    Val::Text(f.file.clone()),
                    Val::Text(f.sheet.clone()),
                    Val::Text(f.cell.clone()),
                    Val::Text(f.project_code.clone()),
                    Val::Text(f.message.clone()),
                ],
                rs,
            )
        })
        .collect();
    let mut ft = sheet(
        &format!(
            "{}年{}月{}台账校验问题（{}条）",
            p.year,
            p.month,
            spec.name,
            inp.findings.len()
        ),
        vec![
            "编号",
            "级别",
            "单位",
            "文件",
            "工作表",
            "单元格",
            "项目代码",
            "说明",
        ],
        f_rows,
        "",
    );
    ft.max_width = 80;
    ft.col_max = vec![(3, 28), (7, 60)];
    tables.push(("校验问题".to_string(), ft));

    // 数据核对
    let a_rows: Vec<(Vec<Val>, RowStyle)> = inp
        .inputs
        .iter()
        .map(|i| {
            let reasons = i
                .skipped_reasons
                .iter()
                .map(|(k, v)| format!("{k}:{v}"))
                .collect::<Vec<_>>()
                .join("，");
            (
                vec![
                    Val::Text(i.file.clone()),
                    Val::Text(i.unit.clone()),
                    Val::Text(i.status.clone()),
                    Val::Int(i.rows_read as i64),
                    Val::Int(i.accepted as i64),
                    Val::Int(i.rejected as i64),
                    Val::Int(i.skipped as i64),
                    Val::Text(reasons),
                    Val::Text(i.error.clone().unwrap_or_default()),
                ],
                if i.status == "ok" {
                    RowStyle::Normal
                } else {
                    RowStyle::Yellow
                },
            )
        })
        .collect();
    tables.push((
        "数据核对".to_string(),
        sheet(
            &format!("{}年{}月{}收件与行数核对", p.year, p.month, spec.name),
            vec![
                "文件",
                "单位",
                "状态",
                "读取行",
                "采纳",
                "拒收",
                "跳过",
                "跳过原因",
                "说明",
            ],
            a_rows,
            "读取行 = 采纳 + 拒收 + 跳过",
        ),
    ));

    push_tables(&mut wb, &st, tables).map_err(&e)?;
    save(&mut wb, &path)?;
    Ok(name)
}
