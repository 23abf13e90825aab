//! 报送情况 workbook of `taizhang status`: one sheet per program (every unit:
//! state, files and when they arrived, rows, errors, warnings) and a 催报 sheet
//! naming the units still missing or whose data must be corrected.

use std::path::Path;

use rust_xlsxwriter::Workbook;

use super::style::{push_tables, RowStyle, Styles, TableSheet, Val};
use super::{properties, save, xerr, ReportError};
use crate::model::status::{ProgramStatus, ReceivedFile, UnitState, WindowStatus};
use crate::model::Period;

/// `报送情况-2023年07月.xlsx`.
pub fn file_name(period: Period) -> String {
    format!("报送情况-{}年{:02}月.xlsx", period.year, period.month)
}

/// When a file arrived (its modification time, local clock), `2023-08-05 10:31`.
pub fn arrived(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|d| {
            d.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

fn state_style(s: UnitState) -> RowStyle {
    match s {
        UnitState::NotReported => RowStyle::Red,
        UnitState::ReportedWithErrors => RowStyle::Yellow,
        UnitState::Reported => RowStyle::Normal,
    }
}

fn file_row(seq: String, unit: &str, state: &str, f: Option<&ReceivedFile>) -> Vec<Val> {
    let n = |v: usize| Val::Int(i64::try_from(v).unwrap_or(i64::MAX));
    match f {
        Some(f) => vec![
            seq.into(),
            unit.into(),
            state.into(),
            f.name.clone().into(),
            arrived(f.modified).into(),
            n(f.rows_read),
            n(f.accepted),
            n(f.rejected),
            f.note.clone().into(),
        ],
        None => vec![
            seq.into(),
            unit.into(),
            state.into(),
            Val::Blank,
            Val::Blank,
            Val::Blank,
            Val::Blank,
            Val::Blank,
            Val::Blank,
        ],
    }
}

/// One program's sheet: a row per file (a unit with no file gets one row).
fn program_sheet<'a>(p: &ProgramStatus, period: Period, issuer: &str) -> TableSheet<'a> {
    let mut rows = Vec::new();
    for (i, u) in p.units.iter().enumerate() {
        let state = format!(
            "{}（错误 {}，警告 {}）",
            u.state.label(),
            u.errors,
            u.warnings
        );
        let state = if u.state == UnitState::NotReported {
            u.state.label().to_string()
        } else {
            state
        };
        let style = state_style(u.state);
        if u.files.is_empty() {
            rows.push((file_row((i + 1).to_string(), &u.unit, &state, None), style));
        }
        for (k, f) in u.files.iter().enumerate() {
            let seq = if k == 0 {
                (i + 1).to_string()
            } else {
                String::new()
            };
            let (unit, st) = if k == 0 {
                (u.unit.as_str(), state.as_str())
            } else {
                ("", "")
            };
            rows.push((file_row(seq, unit, st, Some(f)), style));
        }
    }
    for f in &p.unowned {
        rows.push((
            file_row(String::new(), "（未能确定单位）", "需核实", Some(f)),
            RowStyle::Yellow,
        ));
    }
    let mut t = TableSheet::new(
        &format!("{}报送情况（{}年{}月）", p.name, period.year, period.month),
        &format!("制表单位：{issuer}"),
        "",
        "",
        vec![
            "序号",
            "单位",
            "报送状态",
            "文件",
            "收到时间",
            "数据行",
            "采纳",
            "退回",
            "说明",
        ],
        rows,
    );
    t.col_max = vec![(3, 40), (8, 40)];
    t
}

/// The 催报 sheet: every unit still missing, then every unit to correct,
/// then the files no program could claim.
fn chase_sheet<'a>(w: &WindowStatus, period: Period, issuer: &str) -> TableSheet<'a> {
    let programs = &w.programs;
    let mut rows = Vec::new();
    for state in [UnitState::NotReported, UnitState::ReportedWithErrors] {
        for p in programs {
            for u in p.in_state(state) {
                let what = match state {
                    UnitState::NotReported => "尚未报送，请尽快报送".to_string(),
                    _ => format!("有 {} 个错误，请按退回意见修改后重新报送", u.errors),
                };
                rows.push((
                    vec![
                        (rows.len() + 1).to_string().into(),
                        p.name.clone().into(),
                        u.unit.clone().into(),
                        state.label().into(),
                        what.into(),
                    ],
                    state_style(state),
                ));
            }
        }
    }
    for f in &w.unreadable {
        rows.push((
            vec![
                (rows.len() + 1).to_string().into(),
                "（未能识别）".into(),
                Val::Blank,
                "文件未被采纳".into(),
                format!("“{}”{}；请查明报送单位，重新导出后报送", f.name, f.note).into(),
            ],
            RowStyle::Yellow,
        ));
    }
    if rows.is_empty() {
        rows.push((
            vec![Val::Blank, "无".into(), Val::Blank, Val::Blank, Val::Blank],
            RowStyle::Normal,
        ));
    }
    TableSheet::new(
        &format!("催报名单（{}年{}月）", period.year, period.month),
        &format!("制表单位：{issuer}"),
        "",
        "",
        vec!["序号", "项目类别", "单位", "状态", "催报内容"],
        rows,
    )
}

/// Writes the workbook into `dir`; returns its path.
pub fn write(
    w: &WindowStatus,
    period: Period,
    issuer: &str,
    dir: &Path,
) -> Result<std::path::PathBuf, ReportError> {
    let path = dir.join(file_name(period));
    let mut wb = Workbook::new();
    wb.set_properties(&properties("报送情况", issuer, period));
    let mut tables = vec![("催报".to_string(), chase_sheet(w, period, issuer))];
    for p in &w.programs {
        tables.push((p.name.clone(), program_sheet(p, period, issuer)));
    }
    push_tables(&mut wb, &Styles::new(), tables).map_err(xerr(&path))?;
    save(&mut wb, &path)?;
    Ok(path)
}
