//! The departments' monthly work-plan ledgers: each unit's layout (columns
//! named from the pipeline's synonyms, title rows, 填报单位 / 填报时间 lines,
//! one or two header rows, 重点专项 as merged cells or heading rows, footers)
//! and the writers (xlsx, xlsx content under a `.xls` name, GBK CSV).

use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook};

use super::super::ledger::a1;
use super::super::rng::Rng;
use super::super::{write_bytes, GenError};
use super::SEED;

/// A column of a ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Seq,
    Group,
    Text,
    Unit,
    Due,
    Progress,
    State,
    Done,
    Problems,
    Remark,
}

impl Field {
    /// Header texts a unit may use (all synonyms of `pipelines/work-plan.toml`).
    fn headers(self) -> &'static [&'static str] {
        match self {
            Field::Seq => &["序号", "序号", "编号"],
            Field::Group => &["重点专项", "所属专项", "重点专项工作小组"],
            Field::Text => &["工作举措", "2023年工作举措", "工作任务", "重点任务"],
            Field::Unit => &["责任单位"],
            Field::Due => &["完成时限", "计划完成时间"],
            Field::Progress => &["进展情况", "1-N月进展情况", "工作进展", "推进情况"],
            Field::State => &["完成状态", "推进状态", "进展状态"],
            Field::Done => &["完成时间", "实际完成时间"],
            Field::Problems => &["存在问题", "存在的问题", "困难和问题"],
            Field::Remark => &["备注"],
        }
    }

    fn width(self) -> f64 {
        match self {
            Field::Seq => 6.0,
            Field::Group => 16.0,
            Field::Text => 44.0,
            Field::Progress => 48.0,
            Field::Problems => 26.0,
            Field::Unit | Field::State => 12.0,
            _ => 11.0,
        }
    }

    /// True for the columns under the parent of a two-row header.
    fn is_sub(self) -> bool {
        matches!(
            self,
            Field::Progress | Field::State | Field::Done | Field::Problems
        )
    }
}

/// How 重点专项 shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupMode {
    None,
    /// A column, consecutive equal values merged vertically.
    Column,
    /// A heading row `一、数字技术创新专项` before each group's rows.
    Heading,
}

/// File format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ext {
    Xlsx,
    /// xlsx content saved under a `.xls` name.
    XlsName,
    /// Comma-separated, GBK-encoded.
    CsvGbk,
}

/// A unit's ledger layout.
#[derive(Debug, Clone)]
pub struct Layout {
    pub name_style: usize,
    pub title: Option<usize>,
    pub unit_line: bool,
    pub date_line: bool,
    pub fields: Vec<Field>,
    pub header_pick: usize,
    pub two_rows: bool,
    pub group: GroupMode,
    pub footer: bool,
    pub ext: Ext,
    pub sheet: String,
    /// Style of 完成时间 cells: 0 `2023年5月`, 1 `2023.5`, 2 `2023-05`.
    pub month_style: usize,
}

/// The layout of a unit (stable: drawn from the unit's name).
pub fn layout(unit: &str) -> Layout {
    let mut rng = Rng::derive(SEED, &format!("wp/layout/{unit}"));
    let ext = match unit {
        "省文旅厅" => Ext::XlsName,
        "省财政厅" => Ext::CsvGbk,
        _ => Ext::Xlsx,
    };
    let csv = ext == Ext::CsvGbk;
    let group = if csv {
        GroupMode::None
    } else {
        [GroupMode::None, GroupMode::Column, GroupMode::Heading][rng.below(3) as usize]
    };
    let two_rows = !csv && rng.chance(300);
    let mut fields = vec![Field::Seq];
    if group == GroupMode::Column {
        fields.push(Field::Group);
    }
    fields.push(Field::Text);
    if rng.chance(400) {
        fields.push(Field::Unit);
    }
    if rng.chance(400) {
        fields.push(Field::Due);
    }
    let state_first = !two_rows && rng.chance(250);
    if state_first {
        fields.extend([Field::State, Field::Progress]);
    } else {
        fields.extend([Field::Progress, Field::State]);
    }
    fields.push(Field::Done);
    if rng.chance(800) {
        fields.push(Field::Problems);
    }
    if rng.chance(500) {
        fields.push(Field::Remark);
    }
    let sheet = ["Sheet1", "推进情况", "{m}月"][rng.below(3) as usize].to_string();
    Layout {
        name_style: rng.below(5) as usize,
        title: if csv || rng.chance(150) {
            None
        } else {
            Some(rng.below(3) as usize)
        },
        unit_line: !csv && rng.chance(600),
        date_line: !csv && rng.chance(700),
        fields,
        header_pick: rng.below(12) as usize,
        two_rows,
        group,
        footer: !csv && rng.chance(500),
        ext,
        sheet,
        month_style: rng.below(3) as usize,
    }
}

/// One ledger row as the unit writes it.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub seq: String,
    pub group: String,
    pub text: String,
    pub unit: String,
    pub due: String,
    pub progress: String,
    pub state: String,
    pub done: String,
    pub problems: String,
    pub remark: String,
    /// The plan item this row really is (`None`: not in the plan).
    pub item: Option<u32>,
}

impl Row {
    fn get(&self, f: Field) -> &str {
        match f {
            Field::Seq => &self.seq,
            Field::Group => &self.group,
            Field::Text => &self.text,
            Field::Unit => &self.unit,
            Field::Due => &self.due,
            Field::Progress => &self.progress,
            Field::State => &self.state,
            Field::Done => &self.done,
            Field::Problems => &self.problems,
            Field::Remark => &self.remark,
        }
    }
}

/// Everything a ledger file shows.
pub struct LedgerSpec<'a> {
    pub unit: &'a str,
    pub full_name: &'a str,
    pub layout: &'a Layout,
    pub month: u32,
    pub fill_day: u32,
    pub rows: &'a [Row],
    /// (填报人, 电话, 审核人).
    pub signers: (String, String, String),
    /// Appended to the file stem (`（补报）`).
    pub suffix: &'a str,
}

/// Where a written ledger put things.
#[derive(Debug, Clone)]
pub struct Written {
    pub file_name: String,
    pub sheet: String,
    /// Sheet row (0-based) of each data row of `rows`.
    pub row_at: Vec<u32>,
    pub fields: Vec<Field>,
}

impl Written {
    /// A1 address of `field` on data row `i`, empty when the column is absent.
    pub fn cell(&self, i: usize, field: Field) -> String {
        match (
            self.row_at.get(i),
            self.fields.iter().position(|f| *f == field),
        ) {
            (Some(r), Some(c)) => a1(*r, c as u16),
            _ => String::new(),
        }
    }
}

/// Formats a month the way the layout does.
pub fn month_text(layout: &Layout, month: u32) -> String {
    match layout.month_style {
        1 => format!("2023.{month}"),
        2 => format!("2023-{month:02}"),
        _ => format!("2023年{month}月"),
    }
}

/// File name of a unit's ledger.
pub fn file_name(spec: &LedgerSpec) -> String {
    let (u, full, m) = (spec.unit, spec.full_name, spec.month);
    let stem = match spec.layout.name_style {
        0 => format!("{u}数字经济工作计划推进情况（2023年{m}月）"),
        1 => format!("{full}-2023年1-{m}月数字经济工作任务进展"),
        2 => format!("关于报送2023年{m}月数字经济重点任务推进情况的函（{u}）"),
        3 => format!("2023{m:02}_{u}_工作计划推进表"),
        _ => format!("数字经济发展2023年工作计划推进情况-{u}-{m}月"),
    };
    let ext = match spec.layout.ext {
        Ext::Xlsx => "xlsx",
        Ext::XlsName => "xls",
        Ext::CsvGbk => "csv",
    };
    format!("{stem}{}.{ext}", spec.suffix)
}

fn header_text(layout: &Layout, field: Field, month: u32) -> String {
    let options = field.headers();
    let pick = options[layout.header_pick % options.len()];
    pick.replace('N', &month.to_string())
}

fn title_text(spec: &LedgerSpec, style: usize) -> String {
    let (u, full, m) = (spec.unit, spec.full_name, spec.month);
    match style {
        0 => format!("{u}数字经济发展2023年工作计划推进情况表"),
        1 => format!("2023年1-{m}月数字经济工作任务进展情况（{full}）"),
        _ => format!("数字经济发展2023年工作计划重点任务推进情况（截至{m}月底）"),
    }
}

const CN_NUMS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// Writes the ledger into `dir`.
pub fn write_ledger(spec: &LedgerSpec, dir: &Path) -> Result<Written, GenError> {
    let file_name = file_name(spec);
    let path = dir.join(&file_name);
    if spec.layout.ext == Ext::CsvGbk {
        let (bytes, written) = csv_ledger(spec, file_name)?;
        write_bytes(&path, &bytes)?;
        return Ok(written);
    }
    let (bytes, written) = xlsx_ledger(spec, file_name)?;
    write_bytes(&path, &bytes)?;
    Ok(written)
}

fn fill_line(spec: &LedgerSpec) -> String {
    format!("填报时间：2023年{}月{}日", spec.month + 1, spec.fill_day)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv_ledger(spec: &LedgerSpec, file_name: String) -> Result<(Vec<u8>, Written), GenError> {
    let layout = spec.layout;
    let mut text = String::new();
    let heads: Vec<String> = layout
        .fields
        .iter()
        .map(|f| csv_field(&header_text(layout, *f, spec.month)))
        .collect();
    text.push_str(&heads.join(","));
    text.push_str("\r\n");
    let mut row_at = Vec::new();
    for (i, row) in spec.rows.iter().enumerate() {
        let cells: Vec<String> = layout
            .fields
            .iter()
            .map(|f| csv_field(row.get(*f)))
            .collect();
        text.push_str(&cells.join(","));
        text.push_str("\r\n");
        row_at.push(1 + i as u32);
    }
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
    if unmappable {
        return Err(GenError::Invariant(format!(
            "{file_name} 含有 GBK 无法表示的字符"
        )));
    }
    let written = Written {
        file_name,
        sheet: String::new(),
        row_at,
        fields: layout.fields.clone(),
    };
    Ok((bytes.into_owned(), written))
}

struct Looks {
    title: Format,
    line: Format,
    head: Format,
    body: Format,
    heading: Format,
}

fn looks() -> Looks {
    let border = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter);
    Looks {
        title: Format::new()
            .set_bold()
            .set_font_size(16)
            .set_font_name("方正小标宋简体")
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_text_wrap(),
        line: Format::new().set_font_name("仿宋_GB2312"),
        head: border
            .clone()
            .set_bold()
            .set_font_name("黑体")
            .set_align(FormatAlign::Center),
        body: border.clone().set_font_name("仿宋_GB2312"),
        heading: border.set_bold().set_font_name("楷体_GB2312"),
    }
}

fn xlsx_ledger(spec: &LedgerSpec, file_name: String) -> Result<(Vec<u8>, Written), GenError> {
    let layout = spec.layout;
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_ymd(2023, (spec.month + 1) as u8, spec.fill_day as u8)?;
    workbook.set_properties(
        &DocProperties::new()
            .set_author(&spec.signers.0)
            .set_company(spec.full_name)
            .set_creation_datetime(&created),
    );
    let lk = looks();
    let sheet_name = layout.sheet.replace("{m}", &spec.month.to_string());
    let ws = workbook.add_worksheet();
    ws.set_name(&sheet_name)?;
    let last = (layout.fields.len() - 1) as u16;
    let mut r = 0u32;
    if let Some(style) = layout.title {
        ws.merge_range(r, 0, r, last, &title_text(spec, style), &lk.title)?;
        ws.set_row_height(r, 36)?;
        r += 1;
    }
    match (layout.unit_line, layout.date_line) {
        (true, true) if layout.header_pick.is_multiple_of(2) => {
            let text = format!("填报单位：{}        {}", spec.full_name, fill_line(spec));
            ws.write_string_with_format(r, 0, &text, &lk.line)?;
            r += 1;
        }
        (unit, date) => {
            if unit {
                let text = format!("填报单位：{}", spec.full_name);
                ws.write_string_with_format(r, 0, &text, &lk.line)?;
                r += 1;
            }
            if date {
                ws.write_string_with_format(r, 0, fill_line(spec), &lk.line)?;
                r += 1;
            }
        }
    }
    r = write_headers(ws, layout, spec.month, r, &lk)?;
    let row_at = write_rows(ws, layout, spec.rows, r, &lk)?;
    let mut end = row_at.last().map_or(r, |x| x + 1);
    if layout.footer {
        end += 1;
        let (a, phone, b) = &spec.signers;
        let text = format!("填报人：{a}    联系电话：{phone}    审核人：{b}");
        ws.write_string_with_format(end, 0, &text, &lk.line)?;
    }
    for (c, f) in layout.fields.iter().enumerate() {
        ws.set_column_width(c as u16, f.width())?;
    }
    let bytes = workbook.save_to_buffer()?;
    let written = Written {
        file_name,
        sheet: sheet_name,
        row_at,
        fields: layout.fields.clone(),
    };
    Ok((bytes, written))
}

/// Writes the header row(s) from row `r`; returns the first data row.
fn write_headers(
    ws: &mut rust_xlsxwriter::Worksheet,
    layout: &Layout,
    month: u32,
    r: u32,
    lk: &Looks,
) -> Result<u32, GenError> {
    if !layout.two_rows {
        for (c, f) in layout.fields.iter().enumerate() {
            ws.write_string_with_format(r, c as u16, header_text(layout, *f, month), &lk.head)?;
        }
        ws.set_row_height(r, 30)?;
        return Ok(r + 1);
    }
    let subs: Vec<u16> = (0..layout.fields.len())
        .filter(|&c| layout.fields[c].is_sub())
        .map(|c| c as u16)
        .collect();
    for (c, f) in layout.fields.iter().enumerate() {
        let c = c as u16;
        let text = header_text(layout, *f, month);
        if f.is_sub() {
            ws.write_string_with_format(r + 1, c, &text, &lk.head)?;
        } else {
            ws.merge_range(r, c, r + 1, c, &text, &lk.head)?;
        }
    }
    if let (Some(first), Some(last)) = (subs.first(), subs.last()) {
        let parent = format!("截至{month}月底落实情况");
        if first == last {
            ws.write_string_with_format(r, *first, &parent, &lk.head)?;
        } else {
            ws.merge_range(r, *first, r, *last, &parent, &lk.head)?;
        }
    }
    Ok(r + 2)
}

/// Writes the data rows (and group headings) from row `r`; returns the sheet
/// row of each data row.
fn write_rows(
    ws: &mut rust_xlsxwriter::Worksheet,
    layout: &Layout,
    rows: &[Row],
    mut r: u32,
    lk: &Looks,
) -> Result<Vec<u32>, GenError> {
    let last = (layout.fields.len() - 1) as u16;
    let mut row_at = Vec::with_capacity(rows.len());
    let mut heading = 0usize;
    for (i, row) in rows.iter().enumerate() {
        let new_group = i == 0 || rows[i - 1].group != row.group;
        if layout.group == GroupMode::Heading && new_group && !row.group.is_empty() {
            let num = CN_NUMS.get(heading).copied().unwrap_or("十");
            let text = format!("{num}、{}", row.group);
            ws.merge_range(r, 0, r, last, &text, &lk.heading)?;
            heading += 1;
            r += 1;
        }
        for (c, f) in layout.fields.iter().enumerate() {
            let value = row.get(*f);
            if *f == Field::Group {
                continue;
            }
            if *f == Field::Seq {
                if let Ok(n) = value.parse::<u32>() {
                    ws.write_number_with_format(r, c as u16, f64::from(n), &lk.body)?;
                    continue;
                }
            }
            ws.write_string_with_format(r, c as u16, value, &lk.body)?;
        }
        row_at.push(r);
        r += 1;
    }
    if let Some(c) = layout.fields.iter().position(|f| *f == Field::Group) {
        merge_groups(ws, rows, &row_at, c as u16, lk)?;
    }
    Ok(row_at)
}

/// The 重点专项 column: runs of equal groups merged vertically.
fn merge_groups(
    ws: &mut rust_xlsxwriter::Worksheet,
    rows: &[Row],
    row_at: &[u32],
    c: u16,
    lk: &Looks,
) -> Result<(), GenError> {
    let mut start = 0;
    while start < rows.len() {
        let end = (start..rows.len())
            .find(|&j| rows[j].group != rows[start].group)
            .unwrap_or(rows.len());
        let (r0, r1) = (row_at[start], row_at[end - 1]);
        if r1 > r0 {
            ws.merge_range(r0, c, r1, c, &rows[start].group, &lk.body)?;
        } else {
            ws.write_string_with_format(r0, c, &rows[start].group, &lk.body)?;
        }
        start = end;
    }
    Ok(())
}
