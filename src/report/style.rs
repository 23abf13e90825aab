//! Official look shared by every workbook: fonts, number formats, the title /
//! 制表 / 单位 block, column widths computed for Chinese text, and print setup
//! (A4, never shrunk to fit: scale 100, or 90 for a wide table — every body
//! font prints at 9 pt or more — portrait when the table is narrow, header
//! rows repeated, 第 &P 页 共 &N 页).

use rayon::prelude::*;
use rust_xlsxwriter::{
    Chart, ChartFont, ChartFormat, ChartLegendPosition, ChartLine, ChartLineDashType, ChartMarker,
    ChartMarkerType, ChartPatternFill, ChartPatternFillType, ChartSolidFill, Color, Format,
    FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use crate::model::Yuan;
use crate::text::display_width;

/// Title font. Spec and domain notes prefer 方正小标宋简体 "falling back to
/// 黑体", but an xlsx cell names exactly one font: when 方正小标宋简体 is not
/// installed, Excel and WPS substitute by charset (usually 宋体/等线), never by
/// our choice, and LibreOffice picks its own CJK default. Rich strings or
/// theme fonts cannot express a fallback either. 黑体 ships with every Chinese
/// Windows and WPS, so titles use it and look the same everywhere.
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
    /// 注/备注 lines under a table (wrapped).
    pub note: Format,
    /// The "无" row of an empty list (centred, bordered).
    pub none: Format,
    /// Body formats by value kind × row style, built once (see [`Styles::cell`]).
    body: Vec<Format>,
}

const KINDS: usize = 5;
const ROW_STYLES: [RowStyle; 5] = [
    RowStyle::Normal,
    RowStyle::Total,
    RowStyle::Red,
    RowStyle::Yellow,
    RowStyle::Green,
];

fn kind_index(v: &Val) -> usize {
    match v {
        Val::Money(_) => 0,
        Val::Rate(_) => 1,
        Val::Points(_) => 2,
        Val::Int(_) => 3,
        Val::Text(_) | Val::Blank => 4,
    }
}

/// Font size (pt) of table bodies, headers and notes.
pub const BODY_SIZE: f64 = 10.0;
/// Font size (pt) of sheet titles.
pub const TITLE_SIZE: f64 = 18.0;
/// Font size (pt) of the 通报 paragraphs.
pub const PARAGRAPH_SIZE: f64 = 12.0;
/// The smallest size a reader is asked to read on paper (pt).
pub const MIN_PRINTED_PT: f64 = 9.0;

fn body_format(kind: usize, rs: RowStyle) -> Format {
    let f = Format::new()
        .set_font_name(BODY_FONT)
        .set_font_size(BODY_SIZE)
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::VerticalCenter);
    let f = match kind {
        0 => f.set_num_format("#,##0.00").set_align(FormatAlign::Right),
        1 => f.set_num_format("0.0%").set_align(FormatAlign::Right),
        2 => f
            .set_num_format("+0.0;-0.0;0.0")
            .set_align(FormatAlign::Right),
        3 => f.set_num_format("0").set_align(FormatAlign::Center),
        _ => f.set_text_wrap(),
    };
    match rs {
        RowStyle::Normal => f,
        RowStyle::Total => f.set_bold().set_background_color(Color::RGB(0xF2F2F2)),
        RowStyle::Red => f.set_background_color(Color::RGB(0xF8CBAD)),
        RowStyle::Yellow => f.set_background_color(Color::RGB(0xFFF2CC)),
        RowStyle::Green => f.set_background_color(Color::RGB(0xE2EFDA)),
    }
}

/// A table header cell of the official look: bold 黑体, wrapped, centred,
/// thin border, pale blue (every workbook's header rows, templates too).
pub fn header_format() -> Format {
    Format::new()
        .set_font_name(HEAD_FONT)
        .set_font_size(BODY_SIZE)
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color(Color::RGB(0xD9E1F2))
}

impl Styles {
    pub fn new() -> Styles {
        Styles {
            title: Format::new()
                .set_font_name(TITLE_FONT)
                .set_font_size(TITLE_SIZE)
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            meta_left: Format::new()
                .set_font_name(BODY_FONT)
                .set_font_size(BODY_SIZE)
                .set_align(FormatAlign::Left)
                .set_align(FormatAlign::VerticalCenter),
            meta_right: Format::new()
                .set_font_name(BODY_FONT)
                .set_font_size(BODY_SIZE)
                .set_align(FormatAlign::Right)
                .set_align(FormatAlign::VerticalCenter),
            header: header_format(),
            paragraph: Format::new()
                .set_font_name(BODY_FONT)
                .set_font_size(PARAGRAPH_SIZE)
                .set_text_wrap()
                .set_align(FormatAlign::Left)
                .set_align(FormatAlign::Top),
            note: Format::new()
                .set_font_name(BODY_FONT)
                .set_font_size(BODY_SIZE)
                .set_text_wrap()
                .set_align(FormatAlign::Left)
                .set_align(FormatAlign::Top),
            none: Format::new()
                .set_font_name(BODY_FONT)
                .set_font_size(BODY_SIZE)
                .set_border(FormatBorder::Thin)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            body: (0..KINDS)
                .flat_map(|k| ROW_STYLES.iter().map(move |rs| body_format(k, *rs)))
                .collect(),
        }
    }

    /// Every format, in a fixed order (registered up front when tables are
    /// streamed, so the workbook's format numbering does not depend on which
    /// thread gets to a format first). A format added to `Styles` must be
    /// listed here.
    pub fn all(&self) -> impl Iterator<Item = &Format> {
        [
            &self.title,
            &self.meta_left,
            &self.meta_right,
            &self.header,
            &self.paragraph,
            &self.note,
            &self.none,
        ]
        .into_iter()
        .chain(&self.body)
    }

    /// The format of a body cell of kind `v` in a row of style `rs`.
    pub fn cell(&self, v: &Val, rs: RowStyle) -> &Format {
        let r = ROW_STYLES.iter().position(|x| *x == rs).unwrap_or(0);
        &self.body[kind_index(v) * ROW_STYLES.len() + r]
    }
}

impl Default for Styles {
    fn default() -> Self {
        Styles::new()
    }
}

/// Most bytes of text written to one cell: Excel holds 32,767 characters; a
/// longer text (a pasted report in 存在问题) is cut here instead of failing the
/// whole workbook.
pub const MAX_CELL_TEXT: usize = 32_000;

/// `s` cut to [`MAX_CELL_TEXT`] bytes at a character boundary.
pub fn cell_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.len() <= MAX_CELL_TEXT {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut end = MAX_CELL_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(s[..end].to_string())
}

/// Writes one value: with its format (`Some`), or unformatted for
/// [`format_runs`] to format afterwards (an empty text or a blank then gets its
/// cell from there).
fn write_val(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    v: &Val,
    fmt: Option<&Format>,
) -> Result<(), XlsxError> {
    let number = match (v, fmt) {
        (Val::Text(s), Some(f)) => {
            return ws
                .write_string_with_format(row, col, cell_text(s), f)
                .map(|_| ())
        }
        (Val::Text(s), None) => return ws.write_string(row, col, cell_text(s)).map(|_| ()),
        (Val::Blank, Some(f)) => return ws.write_blank(row, col, f).map(|_| ()),
        (Val::Blank, None) => return Ok(()),
        (Val::Money(y), _) => *y as f64 / 10_000.0,
        (Val::Rate(r), _) => round_to(*r, 6),
        (Val::Points(p), _) => round_to(*p, 4),
        (Val::Int(i), _) => *i as f64,
    };
    match fmt {
        Some(f) => ws.write_number_with_format(row, col, number, f).map(|_| ()),
        None => ws.write_number(row, col, number).map(|_| ()),
    }
}

/// Writes one row of a streamed table: each run of cells sharing a format
/// gets it in one call (rust_xlsxwriter looks a format up by hashing it, per
/// call). The run's first cell is written with its format, which makes this
/// row the worksheet's current one (a constant-memory sheet keeps only that
/// row), the others unformatted, then the run formatted: the same cells, with
/// the same formats numbered in the same order, as one call per cell.
fn write_row_runs(
    ws: &mut Worksheet,
    st: &Styles,
    r: u32,
    vals: &[Val],
    rs: RowStyle,
) -> Result<(), XlsxError> {
    let mut c = 0;
    while let Some(v) = vals.get(c) {
        let f = st.cell(v, rs);
        write_val(ws, r, c as u16, v, Some(f))?;
        let mut end = c + 1;
        while let Some(w) = vals.get(end).filter(|w| std::ptr::eq(st.cell(w, rs), f)) {
            write_val(ws, r, end as u16, w, None)?;
            end += 1;
        }
        if end > c + 1 {
            ws.set_range_format(r, c as u16 + 1, r, end as u16 - 1, f)?;
        }
        c = end;
    }
    Ok(())
}

/// Formats the body cells column by column, one call per run of rows that
/// share a format: rust_xlsxwriter resolves a format once per call instead of
/// once per cell (most of a large table's rendering time).
fn format_runs(
    ws: &mut Worksheet,
    st: &Styles,
    rows: &[(Vec<Val>, RowStyle)],
    ncols: usize,
) -> Result<(), XlsxError> {
    for c in 0..ncols {
        let mut run: Option<(usize, &Format)> = None;
        for i in 0..=rows.len() {
            let f = rows
                .get(i)
                .and_then(|(vals, rs)| vals.get(c).map(|v| st.cell(v, *rs)));
            match (run, f) {
                (Some((_, cur)), Some(f)) if std::ptr::eq(cur, f) => continue,
                (Some((start, cur)), _) => {
                    let (r0, r1) = (FIRST_DATA_ROW + start as u32, FIRST_DATA_ROW + i as u32 - 1);
                    ws.set_range_format(r0, c as u16, r1, c as u16, cur)?;
                }
                (None, _) => {}
            }
            run = f.map(|f| (i, f));
        }
    }
    Ok(())
}

fn round_to(x: f64, dp: i32) -> f64 {
    let m = 10f64.powi(dp);
    (x * m).round() / m
}

/// Display width of a value in column units, without formatting numbers.
pub fn shown_width(v: &Val) -> usize {
    fn int_digits(n: u64) -> usize {
        n.checked_ilog10().map_or(1, |d| d as usize + 1)
    }
    match v {
        Val::Text(s) => display_width(s),
        Val::Money(y) => {
            let d = int_digits(y.unsigned_abs() / 10_000);
            d + (d - 1) / 3 + 3 + usize::from(*y < 0)
        }
        Val::Rate(r) => int_digits((r.abs() * 100.0) as u64) + 3 + usize::from(*r < 0.0),
        Val::Points(p) => int_digits(p.abs() as u64) + 3,
        Val::Int(i) => int_digits(i.unsigned_abs()) + usize::from(*i < 0),
        Val::Blank => 0,
    }
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

/// A table row built on demand: row `i` of [`TableSheet::lazy`].
pub type RowFn<'a> = Box<dyn Fn(usize) -> (Vec<Val>, RowStyle) + Send + Sync + 'a>;

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
    /// More rows after `rows`, built on demand (count, row `i`): a large
    /// table (项目明细) is never held whole; its rows are built once for the
    /// column widths and again as they are written.
    pub lazy: Option<(usize, RowFn<'a>)>,
    /// Max column width in characters (long text wraps).
    pub max_width: usize,
    /// Per-column max widths (column index, characters) overriding `max_width`;
    /// longer text wraps.
    pub col_max: Vec<(usize, usize)>,
    /// Columns frozen at the left.
    pub freeze_cols: u16,
    /// Lines under the table (备注).
    pub notes: Vec<String>,
}

impl<'a> TableSheet<'a> {
    /// A table with the usual settings: 40-character columns, no per-column
    /// caps, nothing frozen beside the header, no notes.
    pub fn new(
        title: &str,
        meta_left: &str,
        meta_mid: &str,
        meta_right: &str,
        headers: Vec<&'a str>,
        rows: Vec<(Vec<Val>, RowStyle)>,
    ) -> TableSheet<'a> {
        TableSheet {
            title: title.to_string(),
            meta_left: meta_left.to_string(),
            meta_mid: meta_mid.to_string(),
            meta_right: meta_right.to_string(),
            headers,
            rows,
            lazy: None,
            max_width: 40,
            col_max: Vec::new(),
            freeze_cols: 0,
            notes: Vec::new(),
        }
    }
}

impl TableSheet<'_> {
    /// Rows, the built ones and those built on demand.
    pub fn row_count(&self) -> usize {
        self.rows.len() + self.lazy.as_ref().map_or(0, |(n, _)| *n)
    }

    /// Every row in order (those built on demand built now, one at a time).
    fn all_rows(&self) -> impl Iterator<Item = std::borrow::Cow<'_, (Vec<Val>, RowStyle)>> + '_ {
        let lazy = self.lazy.iter().flat_map(|(n, f)| (0..*n).map(f));
        self.rows
            .iter()
            .map(std::borrow::Cow::Borrowed)
            .chain(lazy.map(std::borrow::Cow::Owned))
    }
}

/// First data row of a [`TableSheet`] (0-based): title, meta line, header.
pub const FIRST_DATA_ROW: u32 = 3;

/// Where a written table ended, for placing a chart or a paragraph under it.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Column widths set (Excel character units).
    pub widths: Vec<f64>,
    /// First free row under the table and its notes.
    pub next_row: u32,
    /// Height (pt) of the rows written, title to notes.
    pub height_pt: f64,
    /// How the sheet prints.
    pub page: Page,
}

impl Layout {
    /// Width of the table in pixels (Excel: 7 px a unit + 5 px padding).
    pub fn width_px(&self) -> u32 {
        table_px(&self.widths)
    }
    /// Width of the table in character units.
    pub fn width_chars(&self) -> f64 {
        self.widths.iter().sum()
    }
}

fn table_px(widths: &[f64]) -> u32 {
    widths.iter().map(|w| (w * 7.0).round() as u32 + 5).sum()
}

/// How a sheet prints on A4: orientation and a fixed scale (never fit-to-page).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Page {
    pub landscape: bool,
    /// Print scale in percent: 100, or 90 for a table too wide for 100
    /// (10 pt × 90% = 9 pt, the smallest size printed).
    pub scale: u16,
}

/// Left and right margins (inches) of every sheet.
const SIDE_MARGIN_IN: f64 = 0.3;
/// Top and bottom margins (inches) of every sheet.
const TOP_MARGIN_IN: f64 = 0.6;
/// Of the printable width, the part a table may fill: LibreOffice draws
/// columns a few percent wider than Excel's 7 px a unit (measured on the
/// rendered samples: a table at 94% of the page fitted, one at 99% did not).
const WIDTH_SAFETY: f64 = 0.93;

impl Page {
    /// Printable width in pixels (96 per inch) at this scale's sheet size.
    pub fn width_px(self) -> f64 {
        let paper = if self.landscape { 11.69 } else { 8.27 };
        (paper - 2.0 * SIDE_MARGIN_IN) * 96.0 * 100.0 / f64::from(self.scale)
    }
    /// Printable height in points at this scale's sheet size.
    pub fn height_pt(self) -> f64 {
        let paper = if self.landscape { 8.27 } else { 11.69 };
        (paper - 2.0 * TOP_MARGIN_IN) * 72.0 * 100.0 / f64::from(self.scale)
    }
    /// The page for a table `px` wide: portrait at 100 when it fits, else
    /// landscape at 100, else landscape at 90; wider still, the columns go on
    /// to the next page across (see [`print_setup_for`]).
    pub fn for_width(px: u32) -> Page {
        let fits = |p: Page| f64::from(px) <= p.width_px() * WIDTH_SAFETY;
        [
            Page {
                landscape: false,
                scale: 100,
            },
            Page {
                landscape: true,
                scale: 100,
            },
        ]
        .into_iter()
        .find(|p| fits(*p))
        .unwrap_or(Page {
            landscape: true,
            scale: 90,
        })
    }
    /// Whether a table `px` wide fits one page across.
    pub fn fits(self, px: u32) -> bool {
        f64::from(px) <= self.width_px() * WIDTH_SAFETY
    }
}

/// The widest a table is made to fit its title (character units): the
/// landscape page at 100%.
fn max_table_units(ncols: usize) -> f64 {
    let p = Page {
        landscape: true,
        scale: 100,
    };
    ((p.width_px() * WIDTH_SAFETY - 5.0 * ncols as f64) / 7.0).floor()
}

/// Character units a `size`-point CJK glyph takes (a glyph is `size` × 4/3 px,
/// a unit 7 px).
fn glyph_units(size: f64) -> f64 {
    size * 4.0 / 3.0 / 7.0
}

/// Widens `widths` in proportion until `title` (in the title font) fits in
/// one line, up to the landscape page's width. Returns the title's lines at
/// the final width.
fn fit_title(widths: &mut [f64], title: &str) -> usize {
    let need = display_width(title) as f64 / 2.0 * glyph_units(TITLE_SIZE) + 2.0;
    let have: f64 = widths.iter().sum();
    let cap = max_table_units(widths.len()).max(have);
    let target = need.min(cap);
    if have < target && have > 0.0 {
        let k = target / have;
        for w in widths.iter_mut() {
            *w = (*w * k * 10.0).ceil() / 10.0;
        }
    }
    let width: f64 = widths.iter().sum();
    (need / width.max(1.0)).ceil().max(1.0) as usize
}

/// Tables longer than this are streamed: rust_xlsxwriter's constant-memory
/// worksheets write each row out as it is finished, with inline strings, which
/// saves building and then serialising a large in-memory sheet.
pub const STREAM_ROWS: usize = 5_000;

/// Renders plain table sheets (named) on the thread pool, each into its own
/// worksheet, and appends them to `wb` in the given order. Rendering a table is
/// mostly rust_xlsxwriter's per-cell work, so a large 项目明细 renders beside
/// the other lists instead of before them; the output does not depend on the
/// order the threads run in.
pub fn push_tables(
    wb: &mut Workbook,
    st: &Styles,
    tables: Vec<(String, TableSheet<'_>)>,
) -> Result<(), XlsxError> {
    let streamed = |t: &TableSheet<'_>| t.row_count() > STREAM_ROWS;
    if tables.iter().any(|(_, t)| streamed(t)) {
        // Streamed sheets share the workbook's format table while they are
        // written: every format is numbered first, in a fixed order, so the
        // threads only ever read it. A format first seen while the sheets are
        // written would be numbered by whichever thread got to it first (and
        // rust_xlsxwriter 0.102 looks up and inserts under separate locks,
        // so two threads adding the same format could even give it two
        // numbers): every format a table can use must be in `Styles::all`
        // (tested: `streamed_tables_give_the_same_bytes_from_many_threads_…`).
        for f in st.all() {
            wb.register_format(f);
        }
    }
    let mut jobs = Vec::with_capacity(tables.len());
    for (name, t) in tables {
        // No temp file to stream to: the table is built in memory instead.
        let ws = if streamed(&t) {
            wb.new_worksheet_with_constant_memory().ok()
        } else {
            None
        };
        jobs.push((ws, name, t));
    }
    let sheets = jobs
        .into_par_iter()
        .map(|(ws, name, t)| {
            let stream = ws.is_some();
            let mut ws = ws.unwrap_or_default();
            ws.set_name(&name)?;
            // A streamed sheet writes its rows to a temp file as it goes, and
            // rust_xlsxwriter panics if that write fails (a full disk).
            crate::guard::caught(|| write_table_rows(&mut ws, st, &t, stream)).map_err(
                |why| {
                    XlsxError::IoError(std::io::Error::other(format!(
                        "写出“{name}”表时临时文件写入失败（磁盘空间不足？）：{why}"
                    )))
                },
            )??;
            // The table's rows are freed here, on the worker, not on the caller.
            drop(t);
            Ok(ws)
        })
        .collect::<Result<Vec<_>, XlsxError>>()?;
    for ws in sheets {
        wb.push_worksheet(ws);
    }
    Ok(())
}

/// Writes a [`TableSheet`] on `ws` and sets up printing.
pub fn write_table(
    ws: &mut Worksheet,
    st: &Styles,
    t: &TableSheet<'_>,
) -> Result<Layout, XlsxError> {
    write_table_rows(ws, st, t, false)
}

/// Writes the table strictly top to bottom (title, meta line, header, rows,
/// notes), so a streamed (constant-memory) sheet can take it: its cells carry
/// their formats; otherwise formats are applied afterwards per run of rows.
/// A table without rows prints its title block whole and one "无" row.
fn write_table_rows(
    ws: &mut Worksheet,
    st: &Styles,
    t: &TableSheet<'_>,
    stream: bool,
) -> Result<Layout, XlsxError> {
    let ncols = t.headers.len().max(1) as u16;
    let last = ncols - 1;
    let mut widths = column_widths(t, ncols as usize);
    let title_lines = fit_title(&mut widths, &t.title);
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    let mut height = 0.0;
    let row_h = |ws: &mut Worksheet, r: u32, h: f64, acc: &mut f64| {
        *acc += h;
        ws.set_row_height(r, h).map(|_| ())
    };
    row_h(
        ws,
        0,
        (title_lines as f64 * TITLE_SIZE * 1.3 + 12.0).max(36.0),
        &mut height,
    )?;
    if last > 0 {
        ws.merge_range(0, 0, 0, last, &t.title, &st.title)?;
    } else {
        ws.write_string_with_format(0, 0, &t.title, &st.title)?;
    }
    row_h(ws, 1, 20.0, &mut height)?;
    write_meta_line(ws, st, t, &widths)?;
    let head_lines = t
        .headers
        .iter()
        .zip(&widths)
        .map(|(h, w)| header_text(h, *w).lines().count())
        .max()
        .unwrap_or(1);
    row_h(
        ws,
        2,
        (head_lines as f64 * 13.5 + 5.0).max(32.0),
        &mut height,
    )?;
    for (c, (h, w)) in t.headers.iter().zip(&widths).enumerate() {
        ws.write_string_with_format(2, c as u16, header_text(h, *w), &st.header)?;
    }
    for (i, row) in t.all_rows().enumerate() {
        let (vals, rs) = &*row;
        let r = FIRST_DATA_ROW + i as u32;
        // Rows whose text wraps get their height set (before the row is
        // written): neither LibreOffice nor Excel grows a row for wrapped
        // text when opening a file.
        let lines = vals
            .iter()
            .zip(&widths)
            .map(|(v, w)| match v {
                Val::Text(s) => wrapped_lines(s, *w),
                _ => 1,
            })
            .max()
            .unwrap_or(1);
        if lines > 1 {
            row_h(ws, r, lines as f64 * 13.5 + 2.0, &mut height)?;
        } else {
            height += 15.0;
        }
        if stream {
            write_row_runs(ws, st, r, &vals[..vals.len().min(ncols as usize)], *rs)?;
        } else {
            for (c, v) in vals.iter().enumerate().take(ncols as usize) {
                write_val(ws, r, c as u16, v, None)?;
            }
        }
    }
    let n_rows = t.row_count();
    let empty = n_rows == 0;
    if empty {
        // An empty list says so: one 无 row across the table.
        row_h(ws, FIRST_DATA_ROW, 20.0, &mut height)?;
        write_span(ws, FIRST_DATA_ROW, 0, last, "无", &st.none)?;
    } else if !stream {
        if t.lazy.is_some() {
            // A small table with rows built on demand: built whole here.
            let rows: Vec<_> = t.all_rows().map(std::borrow::Cow::into_owned).collect();
            format_runs(ws, st, &rows, ncols as usize)?;
        } else {
            format_runs(ws, st, &t.rows, ncols as usize)?;
        }
    }
    let total: f64 = widths.iter().sum();
    let after = FIRST_DATA_ROW + n_rows.max(usize::from(empty)) as u32 + 1;
    height += 15.0;
    for (i, n) in t.notes.iter().enumerate() {
        let r = after + i as u32;
        row_h(ws, r, text_height(n, total, BODY_SIZE), &mut height)?;
        write_span(ws, r, 0, last, n, &st.note)?;
    }
    if stream {
        // rust_xlsxwriter 0.102 writes the last row of a constant-memory sheet
        // twice when that row has options (a height): the second copy is an
        // empty duplicate `<row>` that Excel may flag as damaged. An invisible
        // blank cell on the next row makes that row the last one instead.
        ws.write_blank(after + t.notes.len() as u32, 0, &st.note)?;
    }
    ws.set_freeze_panes(FIRST_DATA_ROW, t.freeze_cols)?;
    let page = print_setup_for(ws, 2, 2, table_px(&widths), t.freeze_cols)?;
    Ok(Layout {
        widths,
        next_row: after + t.notes.len() as u32 + 1,
        height_pt: height,
        page,
    })
}

/// A header that does not fit its column on one line, broken into lines of
/// even length ("计划开\n工时间", not "计划开工时\n间"): before a full-width
/// bracket when both parts fit ("较序时进度\n（百分点）"), else at the middle
/// by display width, never inside a run of digits and `-` nor between it and
/// the 月 that follows.
pub fn header_text(h: &str, width: f64) -> String {
    // A bold 10 pt glyph is 1.9 units; the cell keeps about 0.3 unit padding.
    let lines_of = |s: &str| {
        s.lines()
            .map(|l| {
                ((display_width(l) as f64 * 0.95 / (width - 0.3).max(1.0)).ceil() as usize).max(1)
            })
            .sum::<usize>()
    };
    let lines = lines_of(h);
    if h.contains('\n') || lines <= 1 {
        return h.to_string();
    }
    // Natural breaks: before a bracket, after 月 (1-2月 / 累计完成); the most
    // even one where both parts fit.
    let natural = h
        .char_indices()
        .filter_map(|(i, c)| match c {
            '（' if i > 0 => Some(i),
            '月' => Some(i + c.len_utf8()),
            _ => None,
        })
        .filter(|&at| at < h.len())
        .filter(|&at| lines_of(&h[..at]) == 1 && lines_of(&h[at..]) == 1)
        .min_by_key(|&at| display_width(&h[..at]).abs_diff(display_width(&h[at..])));
    if let (2, Some(at)) = (lines, natural) {
        return format!("{}\n{}", &h[..at], &h[at..]);
    }
    let total = display_width(h);
    let per = total.div_ceil(lines).next_multiple_of(2);
    let chars: Vec<char> = h.chars().collect();
    let glued = |a: char, b: char| {
        (a.is_ascii_alphanumeric() || a == '-')
            && (b.is_ascii_alphanumeric() || b == '-' || b == '月')
    };
    let mut out = String::new();
    let mut run = 0;
    for (i, ch) in chars.iter().enumerate() {
        let w = display_width(&ch.to_string());
        if run + w > per && run > 0 && !glued(chars[i - 1], *ch) {
            out.push('\n');
            run = 0;
        }
        out.push(*ch);
        run += w;
    }
    out
}

/// Column widths (character units): each column as wide as its header and
/// its values, within `max_width` / `col_max` (longer text wraps), at least 6.
fn column_widths(t: &TableSheet<'_>, ncols: usize) -> Vec<f64> {
    let mut widths: Vec<usize> = t
        .headers
        .iter()
        .map(|h| {
            h.lines()
                .map(|l| display_width(l).div_ceil(2))
                .max()
                .unwrap_or(0)
                .max(4)
                + 2
        })
        .collect();
    widths.resize(ncols, 6);
    for row in t.all_rows() {
        for (c, v) in row.0.iter().enumerate().take(ncols) {
            widths[c] = widths[c].max(shown_width(v) + 2);
        }
    }
    widths
        .iter()
        .enumerate()
        .map(|(c, w)| {
            let max = t
                .col_max
                .iter()
                .find(|(cc, _)| *cc == c)
                .map_or(t.max_width, |(_, m)| *m);
            (*w).min(max).max(6) as f64
        })
        .collect()
}

/// Lines a 10-point text needs in a column `width` units wide: a CJK glyph
/// (2 display columns) is about 1.9 units, so a display column ≈ 0.95 unit;
/// one unit is kept for the cell padding.
pub fn wrapped_lines(text: &str, width: f64) -> usize {
    let room = (width - 1.0).max(1.0);
    text.lines()
        .map(|l| ((display_width(l) as f64 * 0.95 / room).ceil() as usize).max(1))
        .sum::<usize>()
        .max(1)
}

/// Row height (points) for `text` wrapped across `width` character units in
/// a `size`-point font: a CJK glyph is about `size` × 4/3 px, 7 px a unit.
pub fn text_height(text: &str, width: f64, size: f64) -> f64 {
    let glyph_units = size * 4.0 / 3.0 / 7.0; // width of one CJK glyph
    let per_line = ((width - 1.0) / glyph_units).floor().max(4.0);
    let lines: f64 = text
        .lines()
        .map(|l| (display_width(l) as f64 / 2.0 / per_line).ceil().max(1.0))
        .sum();
    (lines * size * 1.45 + 6.0).round()
}

/// The tallest row a paragraph is given (pt): Excel's limit is 409, and a
/// row taller than a page cannot print whole.
const MAX_PARAGRAPH_ROW_PT: f64 = 360.0;

/// Writes a paragraph merged across the table's columns from `row`, each row
/// as high as its lines need; a paragraph too long for one row goes on over
/// several rows, split after a sentence (。；) so no line is ever cut off.
/// Returns the next free row (one blank row after the paragraph).
pub fn write_paragraph(
    ws: &mut Worksheet,
    st: &Styles,
    layout: &Layout,
    row: u32,
    text: &str,
) -> Result<u32, XlsxError> {
    let last = layout.widths.len().max(1) as u16 - 1;
    let width = layout.width_chars();
    let mut r = row;
    for part in paragraph_parts(text, width) {
        write_span(ws, r, 0, last, &part, &st.paragraph)?;
        ws.set_row_height(r, text_height(&part, width, PARAGRAPH_SIZE))?;
        r += 1;
    }
    Ok(r + 1)
}

/// `text` cut after sentences into parts each short enough for one row.
pub fn paragraph_parts(text: &str, width: f64) -> Vec<String> {
    let fits = |s: &str| text_height(s, width, PARAGRAPH_SIZE) <= MAX_PARAGRAPH_ROW_PT;
    let mut parts: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut sentence = String::new();
    for ch in text.chars() {
        sentence.push(ch);
        if matches!(ch, '。' | '；' | '\n') {
            let joined = format!("{cur}{sentence}");
            if fits(&joined) || cur.is_empty() {
                cur = joined;
            } else {
                parts.push(std::mem::take(&mut cur));
                cur = std::mem::take(&mut sentence);
                continue;
            }
            sentence.clear();
        }
    }
    if !sentence.is_empty() {
        let joined = format!("{cur}{sentence}");
        if fits(&joined) || cur.is_empty() {
            cur = joined;
        } else {
            parts.push(std::mem::take(&mut cur));
            cur = sentence;
        }
    }
    if !cur.is_empty() || parts.is_empty() {
        parts.push(cur);
    }
    parts
        .into_iter()
        .map(|p| p.trim_end_matches('\n').to_string())
        .collect()
}

/// Chart fonts: titles 黑体, axes and legend 仿宋_GB2312.
pub fn chart_look(chart: &mut Chart, title: &str) {
    chart.title().set_name(title).set_font(
        ChartFont::new()
            .set_name(TITLE_FONT)
            .set_size(12)
            .set_bold(),
    );
    let mut body = ChartFont::new();
    body.set_name(BODY_FONT).set_size(BODY_SIZE);
    chart.x_axis().set_font(&body);
    chart.y_axis().set_font(&body);
    chart.y2_axis().set_font(&body);
    chart
        .legend()
        .set_position(ChartLegendPosition::Bottom)
        .set_font(&body);
}

/// Series colours of the charts (dark blue, orange, grey, green).
const SERIES_COLORS: [u32; 4] = [0x1F4E79, 0xC55A11, 0x595959, 0x548235];

/// The fill of column series `i`: solid, diagonal stripes, dots, grid — so
/// the series are told apart in black-and-white print too, not by colour alone.
pub fn column_format(i: usize) -> ChartFormat {
    let color = Color::RGB(SERIES_COLORS[i % SERIES_COLORS.len()]);
    let mut f = ChartFormat::new();
    f.set_border(ChartLine::new().set_color(color).set_width(0.75));
    let pattern = match i % 4 {
        0 => None,
        1 => Some(ChartPatternFillType::DiagonalStripesWideUpwards),
        2 => Some(ChartPatternFillType::Dotted50Percent),
        _ => Some(ChartPatternFillType::LargeGrid),
    };
    match pattern {
        None => f.set_solid_fill(ChartSolidFill::new().set_color(color)),
        Some(p) => f.set_pattern_fill(
            ChartPatternFill::new()
                .set_pattern(p)
                .set_foreground_color(color)
                .set_background_color(Color::White),
        ),
    };
    f
}

/// Line series `i`: its own marker shape (circle, diamond, triangle, square)
/// and dash (solid, dashed, …), so lines are told apart without colour.
pub fn line_look(i: usize) -> (ChartFormat, ChartMarker) {
    let color = Color::RGB(SERIES_COLORS[(i + 1) % SERIES_COLORS.len()]);
    let dash = [
        ChartLineDashType::Solid,
        ChartLineDashType::Dash,
        ChartLineDashType::RoundDot,
        ChartLineDashType::LongDash,
    ][i % 4];
    let mut f = ChartFormat::new();
    f.set_line(
        ChartLine::new()
            .set_color(color)
            .set_width(2.0)
            .set_dash_type(dash),
    );
    let kind = [
        ChartMarkerType::Circle,
        ChartMarkerType::Diamond,
        ChartMarkerType::Triangle,
        ChartMarkerType::Square,
    ][i % 4];
    let mut m = ChartMarker::new();
    m.set_type(kind).set_size(6).set_format(
        ChartFormat::new()
            .set_solid_fill(ChartSolidFill::new().set_color(color))
            .set_border(ChartLine::new().set_color(color)),
    );
    (f, m)
}

/// Inserts `chart` under a table (at `row`, column A), as wide as the table
/// (480-1000 px, within the printed page), `height` px high, so it never
/// covers cells with data. A chart that would not fit on the page under the
/// table starts a new page (a chart is never split). Returns the first row
/// under the chart.
pub fn chart_below(
    ws: &mut Worksheet,
    layout: &Layout,
    row: u32,
    chart: &mut Chart,
    height: u32,
) -> Result<u32, XlsxError> {
    // Ends a little inside the table's last column (it starts 4 px in), so
    // the chart never reaches a column the page does not hold.
    let page_px = (layout.page.width_px() * WIDTH_SAFETY) as u32;
    let width = layout
        .width_px()
        .saturating_sub(12)
        .clamp(480, 1000)
        .min(page_px);
    chart.set_width(width).set_height(height);
    ws.insert_chart_with_offset(row, 0, chart, 4, 4)?;
    let chart_pt = f64::from(height + 8) * 0.75;
    if layout.height_pt < layout.page.height_pt()
        && layout.height_pt + chart_pt > layout.page.height_pt()
    {
        ws.set_page_breaks(&[row])?;
    }
    // Rows are 20 px by default (15 pt).
    Ok(row + height.div_ceil(20) + 1)
}

/// Rank change against an earlier ranking: ↑n / ↓n / — / 新 (not ranked then).
/// `None` for `prev_known` means there was no earlier ranking at all.
pub fn rank_change(rank: usize, prev: Option<usize>, prev_known: bool) -> String {
    match (prev_known, prev) {
        (false, _) => String::new(),
        (true, None) => "新".to_string(),
        (true, Some(p)) if p > rank => format!("↑{}", p - rank),
        (true, Some(p)) if p < rank => format!("↓{}", rank - p),
        (true, Some(_)) => "—".to_string(),
    }
}

/// The 制表单位 / 截至 / 单位 line: spans chosen by the column widths so each
/// part has room for its text (left from column A, right ending at the last
/// column, the date in between — or after the issuer when there is no room).
fn write_meta_line(
    ws: &mut Worksheet,
    st: &Styles,
    t: &TableSheet<'_>,
    widths: &[f64],
) -> Result<(), XlsxError> {
    let n = widths.len();
    if n == 0 {
        return Ok(());
    }
    let need = |s: &str| display_width(s) as f64 * 1.0 + 2.0;
    let last = n - 1;
    // Right part: the fewest trailing columns wide enough.
    let mut rs = last;
    let mut acc = widths[last];
    while rs > 0 && acc < need(&t.meta_right) {
        rs -= 1;
        acc += widths[rs];
    }
    // Left part: the fewest leading columns wide enough.
    let mut le = 0;
    let mut acc = widths[0];
    while le + 1 < rs && acc < need(&t.meta_left) {
        le += 1;
        acc += widths[le];
    }
    let mid_room: f64 = widths.get(le + 1..rs).map_or(0.0, |w| w.iter().sum());
    if le + 1 < rs && mid_room >= need(&t.meta_mid) {
        write_span(ws, 1, 0, le as u16, &t.meta_left, &st.meta_left)?;
        write_span(
            ws,
            1,
            le as u16 + 1,
            rs as u16 - 1,
            &t.meta_mid,
            &st.meta_left,
        )?;
    } else if rs > 0 {
        let joined = if t.meta_mid.is_empty() {
            t.meta_left.clone()
        } else {
            format!("{}    {}", t.meta_left, t.meta_mid)
        };
        let left_room: f64 = widths[..rs].iter().sum();
        let right_room: f64 = widths[rs..].iter().sum();
        let with_right = format!("{}    {}", t.meta_mid, t.meta_right);
        if need(&joined) > left_room && need(&with_right) <= right_room {
            // The date goes with the unit on the right rather than be clipped.
            write_span(ws, 1, 0, rs as u16 - 1, &t.meta_left, &st.meta_left)?;
            return write_span(ws, 1, rs as u16, last as u16, &with_right, &st.meta_right);
        }
        write_span(ws, 1, 0, rs as u16 - 1, &joined, &st.meta_left)?;
    } else if !t.meta_left.is_empty() || !t.meta_mid.is_empty() {
        // No room to split (one narrow column): the three parts on one line.
        let all: Vec<&str> = [&t.meta_left, &t.meta_mid, &t.meta_right]
            .into_iter()
            .map(String::as_str)
            .filter(|p| !p.is_empty())
            .collect();
        return write_span(ws, 1, 0, last as u16, &all.join("    "), &st.meta_left);
    }
    write_span(ws, 1, rs as u16, last as u16, &t.meta_right, &st.meta_right)
}

fn write_span(
    ws: &mut Worksheet,
    row: u32,
    c0: u16,
    c1: u16,
    text: &str,
    fmt: &Format,
) -> Result<(), XlsxError> {
    let text = cell_text(text);
    if c1 > c0 {
        ws.merge_range(row, c0, row, c1, &text, fmt)?;
    } else {
        ws.write_string_with_format(row, c0, text, fmt)?;
    }
    Ok(())
}

/// A4 landscape at 100% (never shrunk to fit), header rows repeated,
/// centred, page footer. Kept for callers that set their own page; tables
/// use [`print_setup_for`].
pub fn print_setup(
    ws: &mut Worksheet,
    repeat_first: u32,
    repeat_last: u32,
) -> Result<(), XlsxError> {
    let page = Page {
        landscape: true,
        scale: 100,
    };
    page_setup(ws, page, repeat_first, repeat_last)
}

/// Print setup for a table `width_px` wide: the [`Page`] it fits (portrait,
/// landscape, landscape at 90%); a table wider than that goes on across
/// pages, its first `repeat_cols` columns repeated on each, page by page
/// across before down so a row's two halves print one after the other.
pub fn print_setup_for(
    ws: &mut Worksheet,
    repeat_first: u32,
    repeat_last: u32,
    width_px: u32,
    repeat_cols: u16,
) -> Result<Page, XlsxError> {
    let page = Page::for_width(width_px);
    page_setup(ws, page, repeat_first, repeat_last)?;
    if !page.fits(width_px) {
        if repeat_cols > 0 {
            ws.set_repeat_columns(0, repeat_cols - 1)?;
        }
        ws.set_page_order(false);
    }
    Ok(page)
}

fn page_setup(
    ws: &mut Worksheet,
    page: Page,
    repeat_first: u32,
    repeat_last: u32,
) -> Result<(), XlsxError> {
    ws.set_paper_size(9);
    if page.landscape {
        ws.set_landscape();
    } else {
        ws.set_portrait();
    }
    ws.set_print_scale(page.scale);
    ws.set_print_center_horizontally(true);
    ws.set_margins(
        SIDE_MARGIN_IN,
        SIDE_MARGIN_IN,
        TOP_MARGIN_IN,
        TOP_MARGIN_IN,
        0.3,
        0.3,
    );
    ws.set_repeat_rows(repeat_first, repeat_last)?;
    ws.set_footer("&C第 &P 页 共 &N 页");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_column_table_keeps_its_meta_line() {
        use std::io::Read;
        let t = TableSheet {
            title: "标题".to_string(),
            meta_left: "制表单位：测试".to_string(),
            meta_mid: "截至2023年7月底".to_string(),
            meta_right: "单位：个".to_string(),
            headers: vec!["单位"],
            rows: vec![(vec![Val::Text("南昌市".to_string())], RowStyle::Normal)],
            lazy: None,
            max_width: 40,
            col_max: Vec::new(),
            freeze_cols: 0,
            notes: Vec::new(),
        };
        let mut wb = Workbook::new();
        write_table(wb.add_worksheet(), &Styles::new(), &t).unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut sst = String::new();
        zip.by_name("xl/sharedStrings.xml")
            .unwrap()
            .read_to_string(&mut sst)
            .unwrap();
        assert!(
            sst.contains("制表单位：测试    截至2023年7月底    单位：个"),
            "{sst}"
        );
    }

    #[test]
    fn headers_break_evenly_and_at_natural_points() {
        assert_eq!(header_text("计划开工时间", 9.0), "计划开\n工时间");
        assert_eq!(
            header_text("较序时进度（百分点）", 12.0),
            "较序时进度\n（百分点）"
        );
        assert_eq!(header_text("1-2月累计完成", 9.0), "1-2月\n累计完成");
        assert_eq!(header_text("上季末排名", 6.0), "上季末\n排名");
        // Fits: unchanged.
        assert_eq!(header_text("年度计划投资", 14.0), "年度计划投资");
    }

    #[test]
    fn a_long_paragraph_goes_on_over_rows_split_after_sentences() {
        let sentence = "全省项目累计完成投资较上月增长，完成率较上月提高，各地区推进有力。";
        let text = sentence.repeat(40);
        let parts = paragraph_parts(&text, 40.0);
        assert!(parts.len() > 1);
        assert_eq!(parts.concat(), text);
        for p in &parts {
            assert!(p.ends_with('。'));
            assert!(text_height(p, 40.0, PARAGRAPH_SIZE) <= MAX_PARAGRAPH_ROW_PT);
        }
        assert_eq!(paragraph_parts("短。", 40.0), vec!["短。".to_string()]);
    }

    #[test]
    fn pages_never_shrink_below_nine_points() {
        for px in [300, 700, 900, 1100, 5000] {
            let p = Page::for_width(px);
            assert!(
                f64::from(p.scale) / 100.0 * BODY_SIZE >= MIN_PRINTED_PT,
                "{px}"
            );
        }
        assert!(!Page::for_width(400).landscape);
        assert_eq!(Page::for_width(900).scale, 100);
        assert_eq!(Page::for_width(1100).scale, 90);
    }

    #[test]
    fn cell_text_cuts_long_text_at_a_character_boundary() {
        assert_eq!(cell_text("短文本"), "短文本");
        let long = "问".repeat(20_000); // 60,000 bytes
        let cut = cell_text(&long);
        assert!(cut.len() <= MAX_CELL_TEXT && cut.len() > MAX_CELL_TEXT - 3);
        assert!(cut.chars().all(|c| c == '问'));
    }

    #[test]
    fn shown_width_matches_the_formatted_text() {
        for v in [
            Val::Money(0),
            Val::Money(12_345_600),
            Val::Money(-5_000_000),
            Val::Money(60_000_000_000),
            Val::Rate(0.583),
            Val::Rate(1.25),
            Val::Points(-3.2),
            Val::Points(12.0),
            Val::Int(0),
            Val::Int(1234),
            Val::Text("项目ab".into()),
        ] {
            assert_eq!(shown_width(&v), display_width(&shown(&v)), "{v:?}");
        }
    }

    #[test]
    fn cell_formats_are_shared() {
        let st = Styles::new();
        assert!(std::ptr::eq(
            st.cell(&Val::Money(1), RowStyle::Red),
            st.cell(&Val::Money(2), RowStyle::Red)
        ));
        assert!(!std::ptr::eq(
            st.cell(&Val::Money(1), RowStyle::Red),
            st.cell(&Val::Rate(0.1), RowStyle::Red)
        ));
    }
}
