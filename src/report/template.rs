//! The fill-in template of one program and unit (`taizhang templates`):
//! `<unit>-<program name>填报模板-YYYY年MM月.xlsx`.
//!
//! Sheet `填报说明`: what to fill, the deadline and contact from the pipeline
//! file, where last month's figures come from. Sheet `填报表`: the official
//! look — title, the unit's 填报单位 line, one header row in the canonical
//! names, one row per library project (or plan item) of the unit with its
//! library cells locked and shaded, last period's figures beside them
//! (上月累计, 上月状态: locked), the cells to fill unlocked and validated, a
//! few blank unlocked rows for 新增项目, a 合计 row; sheet protection on
//! without a password. The identity and layout ([`crate::template::Identity`])
//! go to the custom document properties.

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationRule, ExcelDateTime, Format, FormatAlign, FormatBorder,
    Formula, ProtectionOptions, Workbook, Worksheet, XlsxError,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::style::{BODY_FONT, BODY_SIZE, TITLE_FONT};
use super::{properties, save, xerr, ReportError};
use crate::config::{FieldKind, PipelineSpec};
use crate::kinds::ProgramKind;
use crate::model::{Period, StoredPeriod};
use crate::seeds::{Library, Unit};
use crate::template::{self, Column, Identity, Locked, LockedRow};

/// What one template is made from.
pub struct TemplateInput<'a> {
    pub spec: &'a PipelineSpec,
    pub lib: &'a Library,
    pub unit: &'a Unit,
    pub period: Period,
    /// sha256 (short) of the library file.
    pub library_sha: &'a str,
    /// Last period's store entry, when the store has one.
    pub prev: Option<&'a StoredPeriod>,
}

/// The file name of a unit's template.
pub fn file_name(spec: &PipelineSpec, unit: &Unit, period: Period) -> String {
    format!(
        "{}-{}填报模板-{}年{:02}月.xlsx",
        unit.name, spec.name, period.year, period.month
    )
}

/// Rows of the ledger sheet (0-based).
const TITLE_ROW: u32 = 0;
const META_ROW: u32 = 1;
const HEADER_ROW: u32 = 2;
const FIRST_ROW: u32 = 3;

/// Last period's figures of a row, for reference.
#[derive(Debug, Default, Clone)]
struct Prev {
    ytd: Option<f64>,
    state: String,
}

/// Writes the template into `dir`; returns its path.
pub fn write(inp: &TemplateInput<'_>, dir: &Path) -> Result<PathBuf, ReportError> {
    let path = dir.join(file_name(inp.spec, inp.unit, inp.period));
    let owned = path.clone();
    let e = xerr(&owned);
    let rows = template::locked_rows(inp.spec, inp.lib, &inp.unit.id);
    let cols = template::columns(inp.spec);
    let blank_first = FIRST_ROW + rows.len() as u32;
    let total_row = blank_first + template::BLANK_ROWS;
    let id = Identity {
        program: inp.spec.id.clone(),
        unit: inp.unit.id.clone(),
        period: inp.period,
        library: inp.library_sha.to_string(),
        sent: template::sent_digest(&rows),
        version: template::VERSION.to_string(),
        sheet: template::LEDGER_SHEET.to_string(),
        header_row: HEADER_ROW,
        columns: cols
            .iter()
            .enumerate()
            .filter_map(|(c, col)| col.field().map(|k| (c as u32, k.to_string())))
            .collect(),
        money_unit: inp.spec.default_unit,
        first_row: FIRST_ROW,
        sent_rows: rows.len() as u32,
        blank_rows: template::BLANK_ROWS,
        total_row,
    };
    let mut wb = Workbook::new();
    let title = format!(
        "{}{}年1-{}月填报表（{}）",
        inp.spec.full_name, inp.period.year, inp.period.month, inp.unit.name
    );
    let mut props = properties(&title, &inp.spec.issuer, inp.period);
    for (k, v) in id.to_properties() {
        props = props.set_custom_property(k, v);
    }
    wb.set_properties(&props);
    let prev = prev_figures(inp);
    let guide = wb.add_worksheet();
    write_guide(guide, inp, prev.is_some()).map_err(&e)?;
    let ws = wb.add_worksheet();
    let sheet = Sheet {
        inp,
        cols: &cols,
        rows: &rows,
        prev: prev.unwrap_or_default(),
        fmt: Formats::new(),
        total_row,
    };
    sheet.write(ws, &title).map_err(&e)?;
    ws.set_active(true);
    save(&mut wb, &path)?;
    Ok(path)
}

/// Last period's 上月累计 / 上月状态 by row key (project code or item 序号);
/// none when the store has no entry for last period.
fn prev_figures(inp: &TemplateInput<'_>) -> Option<HashMap<String, Prev>> {
    let sp = inp.prev?;
    // January starts a new year: no cumulative to carry.
    let new_year = inp.period.month == 1;
    let mut out = HashMap::new();
    for r in &sp.records {
        let had = r.reported || r.carried;
        out.insert(
            r.code.clone(),
            Prev {
                ytd: (had && !new_year).then_some(r.ytd_done as f64 / 10_000.0),
                state: if had {
                    r.status.label().to_string()
                } else {
                    String::new()
                },
            },
        );
    }
    for t in sp.tasks.iter().filter(|t| t.unit_id == inp.unit.id) {
        out.insert(
            t.no.to_string(),
            Prev {
                ytd: None,
                state: t.state.map(|s| s.label().to_string()).unwrap_or_default(),
            },
        );
    }
    Some(out)
}

fn write_guide(
    ws: &mut Worksheet,
    inp: &TemplateInput<'_>,
    has_prev: bool,
) -> Result<(), XlsxError> {
    let spec = inp.spec;
    let p = inp.period;
    ws.set_name(template::GUIDE_SHEET)?;
    let title = Format::new()
        .set_font_name(TITLE_FONT)
        .set_font_size(16)
        .set_align(FormatAlign::Center);
    let body = Format::new()
        .set_font_name(BODY_FONT)
        .set_font_size(12)
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    const GUIDE_WIDTH: f64 = 90.0;
    ws.set_column_width(0, GUIDE_WIDTH)?;
    ws.set_row_height(0, 28)?;
    ws.write_string_with_format(0, 0, format!("{}填报说明", spec.full_name), &title)?;
    let tasks = spec.kind == ProgramKind::Tasks;
    let what = if tasks { "工作任务" } else { "项目" };
    let mut lines = vec![
        format!("填报单位：{}", inp.unit.name),
        format!("填报期别：{}年{}月（1-{}月累计）", p.year, p.month, p.month),
        match spec.feedback.deadline_day {
            Some(d) => format!(
                "报送截止：{}前报送本表",
                super::feedback::deadline_text(p, d)
            ),
            None => "报送截止：按通知要求报送".to_string(),
        },
    ];
    if !spec.feedback.contact.is_empty() {
        lines.push(format!("联系方式：{}", spec.feedback.contact));
    }
    lines.push(String::new());
    lines.push("怎么填：".to_string());
    lines.push(format!(
        "1. 在“{}”工作表中，灰色底的单元格（序号、{}等）来自项目库，已锁定，请勿改动；白色单元格为本月需填写的内容。",
        template::LEDGER_SHEET,
        if tasks { "重点专项、工作举措、完成时限" } else { "项目代码、项目名称、计划投资" }
    ));
    if tasks {
        lines.push(format!("2. 进展情况：简要填写本月工作进展；完成状态：从下拉列表选择 已完成、按序时推进、滞后 或 未启动；已完成的请填写完成时间（日期，如 {}-{:02}-15）；有困难请填写存在问题。", p.year, p.month));
    } else {
        lines.push(format!(
            "2. 金额单位为{}，只填数字：本月完成投资不小于 0；1-{}月累计完成投资不得低于“上月累计”；建设状态从下拉列表选择；实际开工时间填日期（如 2023-03-01）。",
            spec.default_unit.label(),
            p.month
        ));
    }
    lines.push(format!(
        "3. 本单位有库外新增{what}的，请填在表格下方的空白行中（会作为新增{what}单独核对）；不要插入或删除行列，不要改动工作表名称。"
    ));
    let prev_cols = if tasks {
        "“上月状态”"
    } else {
        "“上月累计”“上月状态”"
    };
    lines.push(if has_prev {
        format!("4. {prev_cols}为省发改委已采纳的上月数据，仅供参考。")
    } else {
        format!("4. 历史库中没有上月数据，{prev_cols}留空。")
    });
    lines.push("5. 工作表已保护（无密码）：如需调整列宽等格式，可在“审阅—撤销工作表保护”后操作，但请勿改动灰色单元格。".to_string());
    lines.push("6. 请直接报送本文件（可改文件名中的说明文字，但须保留单位名称）；本文件带有模板标识，系统按模板格式读取。".to_string());
    for (i, l) in lines.iter().enumerate() {
        let r = 2 + i as u32;
        ws.write_string_with_format(r, 0, l, &body)?;
        ws.set_row_height(r, super::style::text_height(l, GUIDE_WIDTH, 12.0))?;
    }
    ws.set_portrait();
    ws.set_paper_size(9);
    Ok(())
}

/// Every format of the ledger sheet.
struct Formats {
    title: Format,
    meta: Format,
    meta_right: Format,
    header: Format,
    locked_text: Format,
    locked_center: Format,
    locked_money: Format,
    locked_month: Format,
    fill_text: Format,
    fill_money: Format,
    fill_date: Format,
    total_label: Format,
    total_money: Format,
    total_blank: Format,
}

impl Formats {
    fn new() -> Formats {
        let cell = || {
            Format::new()
                .set_font_name(BODY_FONT)
                .set_font_size(BODY_SIZE)
                .set_border(FormatBorder::Thin)
                .set_align(FormatAlign::VerticalCenter)
        };
        let shaded = || cell().set_background_color(Color::RGB(0xEDEDED));
        let fill = || cell().set_unlocked();
        let total = || cell().set_bold().set_background_color(Color::RGB(0xD9D9D9));
        Formats {
            title: Format::new()
                .set_font_name(TITLE_FONT)
                .set_font_size(16)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            meta: Format::new()
                .set_font_name(BODY_FONT)
                .set_font_size(BODY_SIZE),
            meta_right: Format::new()
                .set_font_name(BODY_FONT)
                .set_font_size(BODY_SIZE)
                .set_align(FormatAlign::Right),
            header: super::style::header_format(),
            locked_text: shaded().set_text_wrap(),
            locked_center: shaded().set_align(FormatAlign::Center),
            locked_money: shaded()
                .set_num_format("#,##0.00")
                .set_align(FormatAlign::Right),
            locked_month: shaded().set_align(FormatAlign::Center),
            fill_text: fill().set_text_wrap(),
            fill_money: fill()
                .set_num_format("#,##0.00")
                .set_align(FormatAlign::Right),
            fill_date: fill()
                .set_num_format("yyyy-mm-dd")
                .set_align(FormatAlign::Center),
            total_label: total().set_align(FormatAlign::Center),
            total_money: total()
                .set_num_format("#,##0.00")
                .set_align(FormatAlign::Right),
            total_blank: total(),
        }
    }
}

/// The ledger sheet being written.
struct Sheet<'a> {
    inp: &'a TemplateInput<'a>,
    cols: &'a [Column],
    rows: &'a [LockedRow],
    prev: HashMap<String, Prev>,
    fmt: Formats,
    total_row: u32,
}

impl Sheet<'_> {
    fn is_money(&self, key: &str) -> bool {
        self.inp
            .spec
            .field(key)
            .is_some_and(|f| f.kind == FieldKind::Money)
    }

    fn header(&self, c: Column) -> String {
        match c {
            Column::Locked(k) | Column::Fill(k) => {
                template::header(self.inp.spec, k, self.inp.period)
            }
            Column::PrevYtd => format!("上月累计（{}）", self.inp.spec.default_unit.label()),
            Column::PrevState => "上月状态".to_string(),
        }
    }

    fn write(&self, ws: &mut Worksheet, title: &str) -> Result<(), XlsxError> {
        let f = &self.fmt;
        let last_col = self.cols.len().saturating_sub(1) as u16;
        ws.set_name(template::LEDGER_SHEET)?;
        ws.merge_range(TITLE_ROW, 0, TITLE_ROW, last_col.max(1), title, &f.title)?;
        ws.set_row_height(TITLE_ROW, 30)?;
        ws.write_string_with_format(
            META_ROW,
            0,
            format!("填报单位：{}", self.inp.unit.name),
            &f.meta,
        )?;
        if self.inp.spec.kind == ProgramKind::Investment {
            let unit = format!("单位：{}", self.inp.spec.default_unit.label());
            ws.write_string_with_format(META_ROW, last_col, unit, &f.meta_right)?;
        }
        let widths: Vec<f64> = self.cols.iter().map(|c| self.width(*c)).collect();
        for (c, col) in self.cols.iter().enumerate() {
            let h = self.header(*col);
            ws.write_string_with_format(HEADER_ROW, c as u16, &h, &f.header)?;
            ws.set_column_width(c as u16, widths[c])?;
        }
        ws.set_row_height(HEADER_ROW, 40)?;
        for (i, row) in self.rows.iter().enumerate() {
            let r = FIRST_ROW + i as u32;
            self.sent_row(ws, r, row)?;
            ws.set_row_height(r, self.row_height(row, &widths))?;
        }
        let blank_first = FIRST_ROW + self.rows.len() as u32;
        for r in blank_first..self.total_row {
            self.blank_row(ws, r)?;
            ws.set_row_height(r, 20)?;
        }
        self.total(ws)?;
        self.validations(ws)?;
        ws.set_freeze_panes(FIRST_ROW, 0)?;
        let px = widths.iter().map(|w| (w * 7.0).round() as u32 + 5).sum();
        super::style::print_setup_for(ws, HEADER_ROW, HEADER_ROW, px, 3)?;
        let opts = ProtectionOptions {
            format_columns: true,
            format_rows: true,
            ..ProtectionOptions::new()
        };
        ws.protect_with_options(&opts);
        Ok(())
    }

    /// A column's width: its widest value (text columns at most 40, long
    /// texts wrap), its header over two lines, at least 8.
    fn width(&self, col: Column) -> f64 {
        let header = crate::text::display_width(&self.header(col)).div_ceil(2);
        let widest = match col {
            Column::Locked(k) => self
                .rows
                .iter()
                .flat_map(|row| row.iter())
                .filter(|(rk, _)| *rk == k)
                .map(|(_, v)| crate::text::display_width(&v.shown(self.inp.spec.default_unit)))
                .max()
                .unwrap_or(0),
            Column::Fill("progress") | Column::Fill("problems") => 30,
            Column::Fill(_) | Column::PrevYtd | Column::PrevState => 10,
        };
        header.max(widest).clamp(8, 40) as f64 + 2.0
    }

    /// A sent row's height: as many lines as its longest locked text needs.
    fn row_height(&self, row: &LockedRow, widths: &[f64]) -> f64 {
        row.iter()
            .filter_map(|(k, v)| {
                let c = self.cols.iter().position(|c| *c == Column::Locked(k))?;
                let text = v.shown(self.inp.spec.default_unit);
                Some(super::style::text_height(&text, widths[c], BODY_SIZE))
            })
            .fold(20.0, f64::max)
    }

    fn sent_row(&self, ws: &mut Worksheet, r: u32, row: &LockedRow) -> Result<(), XlsxError> {
        let f = &self.fmt;
        let key = template::key_field(self.inp.spec);
        let key_val = row
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.shown(self.inp.spec.default_unit))
            .unwrap_or_default();
        let prev = self.prev.get(&key_val);
        for (c, col) in self.cols.iter().enumerate() {
            let c = c as u16;
            match *col {
                Column::Locked(k) => {
                    let v = row.iter().find(|(rk, _)| *rk == k).map(|(_, v)| v);
                    match v {
                        Some(Locked::Text(t)) if k == "seq" => {
                            ws.write_string_with_format(r, c, t, &f.locked_center)?
                        }
                        Some(Locked::Text(t)) => {
                            ws.write_string_with_format(r, c, t, &f.locked_text)?
                        }
                        Some(Locked::Money(y)) => ws.write_number_with_format(
                            r,
                            c,
                            *y as f64 / 10_000.0,
                            &f.locked_money,
                        )?,
                        Some(Locked::Month(m)) => ws.write_string_with_format(
                            r,
                            c,
                            format!("{}年{}月", m.year, m.month),
                            &f.locked_month,
                        )?,
                        Some(Locked::Empty) | None => ws.write_blank(r, c, &f.locked_text)?,
                    };
                }
                Column::PrevYtd => {
                    match prev.and_then(|p| p.ytd) {
                        Some(v) => ws.write_number_with_format(r, c, v, &f.locked_money)?,
                        None => ws.write_blank(r, c, &f.locked_money)?,
                    };
                }
                Column::PrevState => {
                    match prev.map(|p| p.state.as_str()) {
                        Some(s) if !s.is_empty() => {
                            ws.write_string_with_format(r, c, s, &f.locked_center)?
                        }
                        _ => ws.write_blank(r, c, &f.locked_center)?,
                    };
                }
                Column::Fill(k) => {
                    ws.write_blank(r, c, self.fill_format(k))?;
                }
            }
        }
        Ok(())
    }

    fn fill_format(&self, key: &str) -> &Format {
        if self.is_money(key) {
            &self.fmt.fill_money
        } else if matches!(key, "start_date" | "done_date") {
            &self.fmt.fill_date
        } else {
            &self.fmt.fill_text
        }
    }

    /// A row for a 新增项目: every field cell unlocked, the reference cells locked.
    fn blank_row(&self, ws: &mut Worksheet, r: u32) -> Result<(), XlsxError> {
        for (c, col) in self.cols.iter().enumerate() {
            let fmt = match col.field() {
                Some(k) => self.fill_format(k),
                None => &self.fmt.locked_text,
            };
            ws.write_blank(r, c as u16, fmt)?;
        }
        Ok(())
    }

    /// 合计: SUM over the sent and blank rows of every money column, the
    /// cached result the library's figures (nothing filled yet: 0).
    fn total(&self, ws: &mut Worksheet) -> Result<(), XlsxError> {
        let f = &self.fmt;
        let r = self.total_row;
        let label_col = self
            .cols
            .iter()
            .position(|c| *c == Column::Locked("name"))
            .unwrap_or(0) as u16;
        for (c, col) in self.cols.iter().enumerate() {
            let c16 = c as u16;
            let money = match *col {
                Column::Locked(k) | Column::Fill(k) => self.is_money(k),
                Column::PrevYtd => true,
                Column::PrevState => false,
            };
            if c16 == label_col {
                ws.write_string_with_format(r, c16, "合计", &f.total_label)?;
            } else if money {
                let letters = crate::text::col_letters(c as u32);
                let formula = format!("=SUM({letters}{}:{letters}{})", FIRST_ROW + 1, r);
                let cached = self.cached_sum(*col);
                let fm = Formula::new(formula).set_result(cached);
                ws.write_formula_with_format(r, c16, fm, &f.total_money)?;
            } else {
                ws.write_blank(r, c16, &f.total_blank)?;
            }
        }
        Ok(())
    }

    /// The value a spreadsheet would compute for a 合计 cell right now.
    fn cached_sum(&self, col: Column) -> String {
        let sum: f64 = match col {
            Column::Locked(k) => {
                self.rows
                    .iter()
                    .flat_map(|row| row.iter())
                    .filter(|(rk, _)| *rk == k)
                    .map(|(_, v)| match v {
                        Locked::Money(y) => *y as f64,
                        _ => 0.0,
                    })
                    .sum::<f64>()
                    / 10_000.0
            }
            Column::PrevYtd => {
                let key = template::key_field(self.inp.spec);
                self.rows
                    .iter()
                    .filter_map(|row| row.iter().find(|(k, _)| *k == key))
                    .filter_map(|(_, v)| {
                        self.prev
                            .get(&v.shown(self.inp.spec.default_unit))
                            .and_then(|p| p.ytd)
                    })
                    .map(|v| (v * 10_000.0).round())
                    .sum::<f64>()
                    / 10_000.0
            }
            _ => 0.0,
        };
        format!("{sum}")
    }

    fn validations(&self, ws: &mut Worksheet) -> Result<(), XlsxError> {
        let first = FIRST_ROW;
        let last = self.total_row.saturating_sub(1);
        if last < first {
            return Ok(());
        }
        let col_of = |target: Column| self.cols.iter().position(|c| *c == target);
        let prev_ytd = col_of(Column::PrevYtd);
        for (c, col) in self.cols.iter().enumerate() {
            let Column::Fill(k) = *col else { continue };
            let Some(dv) = self.validation(k, c, prev_ytd)? else {
                continue;
            };
            ws.add_data_validation(first, c as u16, last, c as u16, &dv)?;
        }
        Ok(())
    }

    fn validation(
        &self,
        key: &str,
        col: usize,
        prev_ytd: Option<usize>,
    ) -> Result<Option<DataValidation>, XlsxError> {
        let cell = |c: usize| crate::text::a1(FIRST_ROW, c as u32);
        let dv = match key {
            "ytd_done" => {
                let me = cell(col);
                let rule = match prev_ytd {
                    Some(p) => format!("=AND(ISNUMBER({me}),{me}>=0,{me}>=N({}))", cell(p)),
                    None => format!("=AND(ISNUMBER({me}),{me}>=0)"),
                };
                DataValidation::new()
                    .allow_custom(Formula::new(rule))
                    .set_error_title("累计数有误")?
                    .set_error_message("请填写不小于 0 的数字，且不得低于上月累计。")?
            }
            k if self.is_money(k) => DataValidation::new()
                .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0))
                .set_error_title("金额有误")?
                .set_error_message("请填写不小于 0 的数字（单位见表头）。")?,
            "status" => DataValidation::new()
                .allow_list_strings(&["未开工", "在建", "已竣工", "已投产"])?
                .set_error_title("建设状态")?
                .set_error_message("请从下拉列表中选择：未开工、在建、已竣工、已投产。")?,
            "state" => {
                let states: Vec<&str> = crate::kinds::tasks::TaskState::ALL
                    .iter()
                    .map(|s| s.label())
                    .collect();
                DataValidation::new()
                    .allow_list_strings(&states)?
                    .set_error_title("完成状态")?
                    .set_error_message("请从下拉列表中选择：已完成、按序时推进、滞后、未启动。")?
            }
            "start_date" | "done_date" => {
                let (Ok(lo), Ok(hi)) = (
                    ExcelDateTime::from_ymd(2000, 1, 1),
                    ExcelDateTime::from_ymd(2099, 12, 31),
                ) else {
                    return Ok(None);
                };
                DataValidation::new()
                    .allow_date(DataValidationRule::Between(lo, hi))
                    .set_error_title("日期")?
                    .set_error_message(format!(
                        "请填写日期，如 {}-{:02}-15。",
                        self.inp.period.year, self.inp.period.month
                    ))?
            }
            _ => return Ok(None),
        };
        Ok(Some(dv))
    }
}
