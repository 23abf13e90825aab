//! Official look shared by every workbook: fonts, number formats, the title /
//! 制表 / 单位 block, column widths computed for Chinese text, and print setup
//! (A4 landscape, one page wide, header rows repeated, 第 &P 页 共 &N 页).

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Worksheet, XlsxError};

use crate::model::Yuan;
use crate::text::display_width;

pub const TITLE_FONT: &str = "黑体";
pub const HEAD_FONT: &str = "黑体";
pub const BODY_FONT: &str = "仿宋_GB2312";

/// A cell value of a report table.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Text(String),
    /// Money: written as 万元 (exact: yuan / 10000) with `#,##0.00`.
    Money(Yuan),
    /// A fraction shown as `0.0%`.
    Rate(f64),
    /// Percentage points (e.g. −3.2 个百分点), shown `0.0`.
    Points(f64),
    Int(i64),
    Blank,
}

impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::Text(s.to_string())
    }
}
impl From<String> for Val {
    fn from(s: String) -> Val {
        Val::Text(s)
    }
}

/// Row emphasis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowStyle {
    Normal,
    Total,
    Red,
    Yellow,
    Green,
}

/// The formats of one workbook.
pub struct Styles {
    pub title: Format,
    pub meta_left: Format,
    pub meta_right: Format,
    pub header: Format,
    pub paragraph: Format,
}

impl Styles {
    pub fn new() -> Styles {
        Styles {
            title: Format::new()
                .set_font_name(TITLE_FONT)
                .set_font_size(18)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            meta_left: Format::new()
                .set_font_name(BODY_FONT)
                .set_font_size(10)
                .set_align(FormatAlign::Left)
                .set_align(FormatAlign::VerticalCenter),
            meta_right: Format::new()
                .set_font_name(BODY_FONT)
                .set_font_size(10)
                .set_align(FormatAlign::Right)
                .set_align(FormatAlign::VerticalCenter),
            header: Format::new()
                .set_font_name(HEAD_FONT)
                .set_font_size(10)
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_border(FormatBorder::Thin)
                .set_background_color(Color::RGB(0xD9E1F2)),
            paragraph: Format::new()
                .set_font_name(BODY_FONT)
                .set_font_size(12)
                .set_text_wrap()
                .set_align(FormatAlign::Left)
                .set_align(FormatAlign::Top),
        }
    }

    /// The format of a body cell of kind `v` in a row of style `rs`.
    pub fn cell(&self, v: &Val, rs: RowStyle) -> Format {
        let mut f = Format::new()
            .set_font_name(BODY_FONT)
            .set_font_size(10)
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter);
        f = match v {
            Val::Money(_) => f.set_num_format("#,##0.00").set_align(FormatAlign::Right),
            Val::Rate(_) => f.set_num_format("0.0%").set_align(FormatAlign::Right),
            Val::Points(_) => f
                .set_num_format("+0.0;-0.0;0.0")
                .set_align(FormatAlign::Right),
            Val::Int(_) => f.set_num_format("0").set_align(FormatAlign::Center),
            Val::Text(_) | Val::Blank => f.set_text_wrap(),
        };
        match rs {
            RowStyle::Normal => f,
            RowStyle::Total => f.set_bold().set_background_color(Color::RGB(0xF2F2F2)),
            RowStyle::Red => f.set_background_color(Color::RGB(0xF8CBAD)),
            RowStyle::Yellow => f.set_background_color(Color::RGB(0xFFF2CC)),
            RowStyle::Green => f.set_background_color(Color::RGB(0xE2EFDA)),
        }
    }
}

impl Default for Styles {
    fn default() -> Self {
        Styles::new()
    }
}

/// Writes one value.
pub fn write_val(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    v: &Val,
    fmt: &Format,
) -> Result<(), XlsxError> {
    match v {
        Val::Text(s) => ws.write_string_with_format(row, col, s, fmt).map(|_| ()),
        Val::Money(y) => ws
            .write_number_with_format(row, col, *y as f64 / 10_000.0, fmt)
            .map(|_| ()),
        Val::Rate(r) => ws
            .write_number_with_format(row, col, round_to(*r, 6), fmt)
            .map(|_| ()),
        Val::Points(p) => ws
            .write_number_with_format(row, col, round_to(*p, 4), fmt)
            .map(|_| ()),
        Val::Int(i) => ws
            .write_number_with_format(row, col, *i as f64, fmt)
            .map(|_| ()),
        Val::Blank => ws.write_blank(row, col, fmt).map(|_| ()),
    }
}

fn round_to(x: f64, dp: i32) -> f64 {
    let m = 10f64.powi(dp);
    (x * m).round() / m
}

/// Display text of a value (for width computation).
pub fn shown(v: &Val) -> String {
    match v {
        Val::Text(s) => s.clone(),
        Val::Money(y) => crate::parse::fmt_wan(*y),
        Val::Rate(r) => format!("{:.1}%", r * 100.0),
        Val::Points(p) => format!("{p:+.1}"),
        Val::Int(i) => i.to_string(),
        Val::Blank => String::new(),
    }
}

/// A table sheet: title, 制表/日期/单位 line, header, rows, print setup.
pub struct TableSheet<'a> {
    pub title: String,
    /// Left of the meta line (制表单位：…).
    pub meta_left: String,
    /// Middle of the meta line (截至…).
    pub meta_mid: String,
    /// Right of the meta line (单位：万元).
    pub meta_right: String,
    pub headers: Vec<&'a str>,
    pub rows: Vec<(Vec<Val>, RowStyle)>,
    /// Max column width in characters (long text wraps).
    pub max_width: usize,
    /// Columns frozen at the left.
    pub freeze_cols: u16,
    /// Lines under the table (备注).
    pub notes: Vec<String>,
}

/// First data row of a [`TableSheet`] (0-based): title, meta line, header.
pub const FIRST_DATA_ROW: u32 = 3;

/// Writes a [`TableSheet`] on `ws` and sets up printing.
pub fn write_table(ws: &mut Worksheet, st: &Styles, t: &TableSheet<'_>) -> Result<(), XlsxError> {
    let ncols = t.headers.len().max(1) as u16;
    let last = ncols - 1;
    ws.set_row_height(0, 36)?;
    if last > 0 {
        ws.merge_range(0, 0, 0, last, &t.title, &st.title)?;
    } else {
        ws.write_string_with_format(0, 0, &t.title, &st.title)?;
    }
    ws.set_row_height(1, 20)?;
    let third = (ncols / 3).max(1);
    write_span(
        ws,
        1,
        0,
        third.saturating_sub(1),
        &t.meta_left,
        &st.meta_left,
    )?;
    if ncols >= 3 {
        write_span(ws, 1, third, last - third, &t.meta_mid, &st.meta_left)?;
        write_span(ws, 1, last - third + 1, last, &t.meta_right, &st.meta_right)?;
    } else {
        write_span(ws, 1, last, last, &t.meta_right, &st.meta_right)?;
    }
    for (c, h) in t.headers.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, *h, &st.header)?;
    }
    ws.set_row_height(2, 32)?;
    let mut widths: Vec<usize> = t
        .headers
        .iter()
        .map(|h| display_width(h).div_ceil(2).max(4) + 2)
        .collect();
    for (i, (vals, rs)) in t.rows.iter().enumerate() {
        let r = FIRST_DATA_ROW + i as u32;
        for (c, v) in vals.iter().enumerate().take(ncols as usize) {
            write_val(ws, r, c as u16, v, &st.cell(v, *rs))?;
            widths[c] = widths[c].max(display_width(&shown(v)) + 2);
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, (*w).min(t.max_width).max(6) as f64)?;
    }
    let after = FIRST_DATA_ROW + t.rows.len() as u32 + 1;
    for (i, n) in t.notes.iter().enumerate() {
        write_span(ws, after + i as u32, 0, last, n, &st.meta_left)?;
    }
    ws.set_freeze_panes(FIRST_DATA_ROW, t.freeze_cols)?;
    print_setup(ws, 2, 2)?;
    Ok(())
}

fn write_span(
    ws: &mut Worksheet,
    row: u32,
    c0: u16,
    c1: u16,
    text: &str,
    fmt: &Format,
) -> Result<(), XlsxError> {
    if c1 > c0 {
        ws.merge_range(row, c0, row, c1, text, fmt)?;
    } else {
        ws.write_string_with_format(row, c0, text, fmt)?;
    }
    Ok(())
}

/// A4 landscape, one page wide, header rows repeated, centred, page footer.
pub fn print_setup(
    ws: &mut Worksheet,
    repeat_first: u32,
    repeat_last: u32,
) -> Result<(), XlsxError> {
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_center_horizontally(true);
    ws.set_margins(0.4, 0.4, 0.6, 0.6, 0.3, 0.3);
    ws.set_repeat_rows(repeat_first, repeat_last)?;
    ws.set_footer("&C第 &P 页 共 &N 页");
    Ok(())
}
