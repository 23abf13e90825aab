//! Cell-level writing of a ledger table: the header block, data rows, group
//! (heading / subtotal) rows and the 合计 row, in a layout's styles.

use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, FormatBorder, Worksheet};

use super::layout::{
    Ctx, DateStyle, Grouping, HeaderUnits, Layout, RateStyle, SeqStyle, TotalLabel, H,
};
use super::money::{cell_value, plain, wan2_grouped, MoneyUnit};
use super::names::cn_numeral;
use super::rows::{Col, LedgerRow};
use super::GenError;

/// Cell formats of a ledger.
pub struct Formats {
    pub title: Format,
    pub subtitle: Format,
    pub left: Format,
    pub right: Format,
    head: Format,
    text: Format,
    money: Format,
    seq_float: Format,
    rate: Format,
    date: Format,
    bold_text: Format,
    bold_money: Format,
    bold_rate: Format,
    pub blank: Format,
}

impl Default for Formats {
    /// The formats of the units' ledgers (仿宋 body, 黑体 header, thin borders).
    fn default() -> Formats {
        let body = Format::new()
            .set_font_name("仿宋_GB2312")
            .set_font_size(11)
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter);
        let bold = body.clone().set_bold();
        Formats {
            title: Format::new()
                .set_font_name("方正小标宋简体")
                .set_font_size(18)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            subtitle: Format::new()
                .set_font_name("楷体_GB2312")
                .set_font_size(12)
                .set_align(FormatAlign::Center),
            left: Format::new().set_font_name("仿宋_GB2312"),
            right: Format::new()
                .set_font_name("仿宋_GB2312")
                .set_align(FormatAlign::Right),
            head: Format::new()
                .set_font_name("黑体")
                .set_bold()
                .set_border(FormatBorder::Thin)
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            text: body.clone().set_text_wrap(),
            money: body.clone().set_num_format("#,##0.00"),
            seq_float: body.clone().set_num_format("0.0"),
            rate: body.clone().set_num_format("0.00%"),
            date: body.clone().set_num_format("yyyy-mm-dd"),
            bold_text: bold.clone(),
            bold_money: bold.clone().set_num_format("#,##0.00"),
            bold_rate: bold.set_num_format("0.00%"),
            blank: body,
        }
    }
}

/// A leaf column: field, label template, parent label templates.
pub type Leaf = (Col, &'static str, Vec<&'static str>);

/// Header label of a leaf, with the money unit decoration of the layout.
pub fn leaf_label(col: Col, label: &str, ctx: &Ctx, units: HeaderUnits, yi_total: bool) -> String {
    let text = ctx.expand(label);
    if !col.is_money() {
        return text;
    }
    let unit = if col == Col::Total && yi_total {
        "亿元"
    } else {
        "万元"
    };
    match units {
        HeaderUnits::None => text,
        HeaderUnits::Full => format!("{text}（{unit}）"),
        HeaderUnits::Newline => format!("{text}\n（{unit}）"),
        HeaderUnits::Padded => format!("{text}        ({unit})"),
        HeaderUnits::Half => format!("{text}({unit})"),
    }
}

/// Completion rate in basis points (ytd / annual), rounded half up.
fn rate_bp(ytd: i64, annual: i64) -> i64 {
    if annual <= 0 {
        return 0;
    }
    let (ytd, annual) = (i128::from(ytd), i128::from(annual));
    ((ytd * 20_000 + annual) / (2 * annual)) as i64
}

/// Column widths by field.
pub fn width(c: Col) -> f64 {
    match c {
        Col::Seq => 6.0,
        Col::Code => 25.0,
        Col::Name => 40.0,
        Col::Owner => 30.0,
        Col::Batch | Col::Nature | Col::Status | Col::Rate => 9.0,
        Col::Unit | Col::Years | Col::PlannedStart | Col::StartDate => 11.0,
        Col::Progress | Col::Coordination | Col::Problems | Col::Contact => 22.0,
        _ => 13.0,
    }
}

/// The table of one ledger sheet.
pub struct Table<'a> {
    pub cols: Vec<Leaf>,
    pub layout: &'a Layout,
    pub rows: &'a [LedgerRow],
    pub yi_total: bool,
    pub f: Formats,
}

impl Table<'_> {
    /// Unit a money column is written in.
    fn unit_of(&self, c: Col) -> MoneyUnit {
        if c == Col::Total && self.yi_total {
            MoneyUnit::Yi
        } else {
            MoneyUnit::Wan
        }
    }

    /// 0-based sheet column of a field.
    pub fn col_of(&self, c: Col) -> Option<u16> {
        self.cols
            .iter()
            .position(|(k, _, _)| *k == c)
            .map(|i| i as u16)
    }

    /// Writes the header tree with its top row at `top`; returns its depth.
    pub fn write_header(
        &self,
        sheet: &mut Worksheet,
        tree: &[H],
        top: u32,
        ctx: &Ctx,
    ) -> Result<u32, GenError> {
        let depth = super::layout::depth(tree);
        let mut next = 0u16;
        self.header_nodes(sheet, tree, (top, 0, depth), &mut next, ctx)?;
        Ok(depth)
    }

    fn header_nodes(
        &self,
        sheet: &mut Worksheet,
        nodes: &[H],
        (top, level, depth): (u32, u32, u32),
        next: &mut u16,
        ctx: &Ctx,
    ) -> Result<(), GenError> {
        let row = top + level;
        for node in nodes {
            match node {
                H::L(col, label) => {
                    let text = leaf_label(*col, label, ctx, self.layout.units, self.yi_total);
                    let bottom = top + depth - 1;
                    if bottom > row {
                        sheet.merge_range(row, *next, bottom, *next, &text, &self.f.head)?;
                    } else {
                        sheet.write_string_with_format(row, *next, &text, &self.f.head)?;
                    }
                    *next += 1;
                }
                H::G(label, kids) => {
                    let span = super::layout::leaves(kids).len() as u16;
                    let text = ctx.expand(label);
                    if span > 1 {
                        sheet.merge_range(
                            row,
                            *next,
                            row,
                            *next + span - 1,
                            &text,
                            &self.f.head,
                        )?;
                    } else {
                        sheet.write_string_with_format(row, *next, &text, &self.f.head)?;
                    }
                    self.header_nodes(sheet, kids, (top, level + 1, depth), next, ctx)?;
                }
            }
        }
        Ok(())
    }

    fn write_rate(
        &self,
        sheet: &mut Worksheet,
        (r, c): (u32, u16),
        (ytd, annual): (i64, i64),
        fmt: &Format,
    ) -> Result<(), GenError> {
        match self.layout.rate {
            RateStyle::Percent => {
                let value = if annual > 0 {
                    ytd as f64 / annual as f64
                } else {
                    0.0
                };
                sheet.write_number_with_format(r, c, value, fmt)?;
            }
            RateStyle::Text => {
                let bp = rate_bp(ytd, annual);
                let text = format!("{}.{:02}%", bp / 100, bp % 100);
                sheet.write_string_with_format(r, c, text, fmt)?;
            }
        }
        Ok(())
    }

    /// Sums of `members` in the money and rate columns from `first_free`;
    /// other columns get a bold blank. With `span` (first and last data row)
    /// and a formula layout, money cells are `=SUM(…)` with cached results.
    fn write_figures(
        &self,
        sheet: &mut Worksheet,
        r: u32,
        members: &[usize],
        first_free: u16,
        span: Option<(u32, u32)>,
    ) -> Result<(), GenError> {
        let sum = |c: Col| -> i64 { members.iter().map(|&i| self.rows[i].money(c)).sum() };
        for (i, (col, _, _)) in self.cols.iter().enumerate() {
            let c = i as u16;
            if c < first_free {
                continue;
            }
            if col.is_money() {
                let total = sum(*col);
                let unit = self.unit_of(*col);
                match span {
                    Some((a, b)) if self.layout.formulas => {
                        let letter = super::ledger::column_letters(c);
                        let formula = format!("=SUM({letter}{}:{letter}{})", a + 1, b + 1);
                        sheet.write_formula_with_format(
                            r,
                            c,
                            formula.as_str(),
                            &self.f.bold_money,
                        )?;
                        sheet.set_formula_result(r, c, plain(total, unit));
                    }
                    _ => {
                        let v = cell_value(total, unit);
                        sheet.write_number_with_format(r, c, v, &self.f.bold_money)?;
                    }
                }
            } else if *col == Col::Rate {
                let sums = (sum(Col::Ytd), sum(Col::Annual));
                self.write_rate(sheet, (r, c), sums, &self.f.bold_rate)?;
            } else {
                sheet.write_blank(r, c, &self.f.bold_text)?;
            }
        }
        Ok(())
    }

    /// The 合计 row over all data rows (first and last sheet row in `span`).
    pub fn write_total(
        &self,
        sheet: &mut Worksheet,
        r: u32,
        label: TotalLabel,
        span: (u32, u32),
    ) -> Result<(), GenError> {
        let n = self.rows.len();
        let text = match label {
            TotalLabel::Items => format!("合计（{n}项）"),
            TotalLabel::Spaced => "合 计".to_string(),
            TotalLabel::WithCount | TotalLabel::Plain => "合计".to_string(),
            TotalLabel::Grand => "总计".to_string(),
        };
        let merge_to = self.col_of(Col::Name).filter(|c| *c <= 3).unwrap_or(0);
        let first_free = if label == TotalLabel::WithCount {
            sheet.write_string_with_format(r, 0, &text, &self.f.bold_text)?;
            sheet.write_string_with_format(r, 1, format!("{n}个"), &self.f.bold_text)?;
            2
        } else if merge_to == 0 {
            sheet.write_string_with_format(r, 0, &text, &self.f.bold_text)?;
            1
        } else {
            sheet.merge_range(r, 0, r, merge_to, &text, &self.f.bold_text)?;
            merge_to + 1
        };
        let all: Vec<usize> = (0..n).collect();
        self.write_figures(sheet, r, &all, first_free, Some(span))
    }

    /// A group row: heading (and subtotals, by grouping) of `members`.
    pub fn write_group(
        &self,
        sheet: &mut Worksheet,
        r: u32,
        index: usize,
        label: &str,
        members: &[usize],
    ) -> Result<(), GenError> {
        let n = members.len();
        let name_col = self.col_of(Col::Name).unwrap_or(0);
        match self.layout.groups {
            Grouping::Category { figures: true } | Grouping::County => {
                let county = self.layout.groups == Grouping::County;
                let text = if county {
                    format!("{label}合计{n}个")
                } else {
                    format!("{label}（{n}项）")
                };
                self.write_figures(sheet, r, members, 0, None)?;
                if let (Some(sc), false) = (self.col_of(Col::Seq), county) {
                    sheet.write_string_with_format(r, sc, cn_numeral(index), &self.f.bold_text)?;
                }
                sheet.write_string_with_format(r, name_col, &text, &self.f.bold_text)?;
            }
            Grouping::Category { figures: false } | Grouping::Nature => {
                let text = if self.layout.groups == Grouping::Nature {
                    format!("（{}）{label}（{n}项）", cn_numeral(index))
                } else {
                    format!("{}、{label}（{n}项）", cn_numeral(index))
                };
                if name_col > 0 {
                    sheet.merge_range(r, 0, r, name_col, &text, &self.f.bold_text)?;
                } else {
                    sheet.write_string_with_format(r, 0, &text, &self.f.bold_text)?;
                }
                for c in name_col + 1..self.cols.len() as u16 {
                    sheet.write_blank(r, c, &self.f.bold_text)?;
                }
            }
            Grouping::None => {}
        }
        Ok(())
    }

    /// One project row (`index` into the rows, `seq` its 序号).
    pub fn write_data(
        &self,
        sheet: &mut Worksheet,
        r: u32,
        index: usize,
        seq: usize,
    ) -> Result<(), GenError> {
        let row = &self.rows[index];
        let f = &self.f;
        for (i, (col, _, _)) in self.cols.iter().enumerate() {
            let c = i as u16;
            if let Some((oc, text)) = &row.text_override {
                if oc == col {
                    sheet.write_string_with_format(r, c, text, &f.text)?;
                    continue;
                }
            }
            if col.is_money() {
                let yuan = row.money(*col);
                let unit = self.unit_of(*col);
                let as_text = self.layout.text_numbers
                    && unit == MoneyUnit::Wan
                    && (index + i).is_multiple_of(3);
                if as_text {
                    sheet.write_string_with_format(r, c, wan2_grouped(yuan), &f.text)?;
                } else {
                    sheet.write_number_with_format(r, c, cell_value(yuan, unit), &f.money)?;
                }
                continue;
            }
            let text: String = match col {
                Col::Seq => {
                    match self.layout.seq {
                        SeqStyle::Int => {
                            sheet.write_number_with_format(r, c, seq as f64, &f.text)?
                        }
                        SeqStyle::Float => {
                            sheet.write_number_with_format(r, c, seq as f64, &f.seq_float)?
                        }
                        SeqStyle::Text => {
                            sheet.write_string_with_format(r, c, seq.to_string(), &f.text)?
                        }
                        SeqStyle::Paren => {
                            sheet.write_string_with_format(r, c, format!("({seq})"), &f.text)?
                        }
                    };
                    continue;
                }
                Col::Rate => {
                    let fmt = match self.layout.rate {
                        RateStyle::Percent => &f.rate,
                        RateStyle::Text => &f.text,
                    };
                    self.write_rate(sheet, (r, c), (row.ytd, row.annual), fmt)?;
                    continue;
                }
                Col::StartDate => match (row.start, self.layout.dates) {
                    (None, _) => String::new(),
                    (Some((y, m, _)), DateStyle::Dash) => format!("{y}-{m:02}"),
                    (Some((y, m, _)), DateStyle::Dot) => format!("{y}.{m}"),
                    (Some((y, m, _)), DateStyle::Cn) => format!("{y}年{m}月"),
                    (Some((y, m, d)), DateStyle::Serial) => {
                        let date = ExcelDateTime::from_ymd(y as u16, m as u8, d as u8)?;
                        sheet.write_datetime_with_format(r, c, &date, &f.date)?;
                        continue;
                    }
                },
                _ => text_of(row, *col, self.layout.unit_short),
            };
            let lone = self.layout.lone_space
                && matches!(col, Col::Problems | Col::Coordination | Col::Remark);
            if !text.is_empty() {
                sheet.write_string_with_format(r, c, &text, &f.text)?;
            } else if lone {
                sheet.write_string_with_format(r, c, " ", &f.text)?;
            } else {
                sheet.write_blank(r, c, &f.text)?;
            }
        }
        Ok(())
    }
}

/// Text of a text column of a row.
fn text_of(row: &LedgerRow, col: Col, unit_short: bool) -> String {
    match col {
        Col::Code => row.code.clone(),
        Col::Name => row.name.clone(),
        Col::Batch => row.batch.clone(),
        Col::Unit if unit_short => row.unit_short.clone(),
        Col::Unit => row.unit_name.clone(),
        Col::County => row.county.clone(),
        Col::Category => row.category_name.clone(),
        Col::Owner => row.owner.clone(),
        Col::Nature => row.nature.label().to_string(),
        Col::Years => row.years.clone(),
        Col::PlannedStart => row.planned_start.clone(),
        Col::Status => row.status.to_string(),
        Col::Progress => row.progress.clone(),
        Col::Problems => row.problems.clone(),
        Col::Coordination => row.coordination.clone(),
        Col::Contact => row.contact.clone(),
        Col::Remark => row.remark.clone(),
        _ => String::new(),
    }
}
