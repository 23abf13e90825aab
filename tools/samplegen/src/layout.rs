//! Layout variants of the units' ledgers and which unit uses which.
//!
//! A [`Layout`] describes everything about how a unit lays out its monthly
//! ledger: title rows, the 填报单位 / 单位 lines, the header tree (1-3 rows
//! with merged parents), the 合计 row and group rows, 序号 style, footers,
//! sheet names and extra sheets; the variants themselves are in
//! `variants.rs`. Every header label is a synonym from `pipelines/*.toml`
//! after normalisation (see the tests in `tests.rs`).
//! Label templates use `{Y}` (year), `{M}` (month) and `{CAT}` (类别 / 赛道).

use super::rows::Col;
use super::units::{Unit, UnitExt};
use super::Program;

/// A header node: a leaf column or a parent spanning its children.
#[derive(Debug, Clone)]
pub enum H {
    L(Col, &'static str),
    G(&'static str, Vec<H>),
}

/// Lines between the title and the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meta {
    None,
    /// `填报单位：…  填报时间：…` only.
    Fill,
    /// The 填报单位 line with the units text at the right of the same row.
    FillUnitsSameRow(&'static str),
    /// The 填报单位 line, then a row with the units text at the right.
    FillThenUnits(&'static str),
}

/// How money headers carry their unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderUnits {
    None,
    /// `总投资（万元）`
    Full,
    /// `总投资\n（万元）`
    Newline,
    /// `总投资        (万元)`
    Padded,
    /// `总投资(万元)`
    Half,
}

/// Spelling of the 合计 row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalLabel {
    /// `合计（48项）`
    Items,
    /// `合 计`
    Spaced,
    /// `合计` with `48个` in the next cell.
    WithCount,
    /// `合计`
    Plain,
    /// `总计`
    Grand,
}

/// Where the 合计 row goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalPos {
    None,
    Top(TotalLabel),
    Bottom(TotalLabel),
}

/// Group (heading / subtotal) rows interleaved with the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    None,
    /// `一` + `信息基础设施（20项）` (with subtotals) or `一、信息基础设施（20项）`.
    Category {
        figures: bool,
    },
    /// `（一）续建项目（11项）`, no figures.
    Nature,
    /// `南昌县合计14个` with subtotals.
    County,
}

/// 序号 of data rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqStyle {
    Int,
    /// A number shown as `1.0`.
    Float,
    /// The text `1`.
    Text,
    /// `(1)`, restarting in each group.
    Paren,
}

/// 完成率 cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateStyle {
    /// A fraction with a `0.00%` format.
    Percent,
    /// Text such as `58.33%`.
    Text,
}

/// 实际开工时间 cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateStyle {
    /// `2023-03`
    Dash,
    /// `2023.3`
    Dot,
    /// `2023年3月`
    Cn,
    /// An Excel date serial with a `yyyy-mm-dd` format.
    Serial,
}

/// Footer lines under the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Footer {
    Remark(&'static str),
    /// `填报人：…  联系电话：…  审核人：…`
    Signers,
}

/// Sheets besides the data sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extra {
    None,
    /// Empty sheets after the data sheet.
    EmptySheets(&'static [&'static str]),
    /// A `填报说明` sheet before the data sheet.
    InstructionsFirst,
}

/// One layout variant.
#[derive(Debug, Clone)]
pub struct Layout {
    pub id: &'static str,
    pub summary: &'static str,
    /// Title rows (templates with `{Y}`, `{M}`, `{UNIT}`, `{SHORT}`, `{PC}`).
    pub titles: &'static [&'static str],
    pub meta: Meta,
    pub units: HeaderUnits,
    pub header: Vec<H>,
    pub total: TotalPos,
    /// 合计 cells as `=SUM(…)` formulas with cached results.
    pub formulas: bool,
    pub groups: Grouping,
    pub seq: SeqStyle,
    /// Some money cells written as text `1,234.50`.
    pub text_numbers: bool,
    /// Empty text cells hold a lone space.
    pub lone_space: bool,
    /// A styled empty row right after a top 合计 row.
    pub blank_after_total: bool,
    /// Styled empty rows after the table.
    pub blank_rows: u32,
    pub footers: &'static [Footer],
    /// Sheet name template (`{M}`, `{SHORT}`).
    pub sheet: &'static str,
    pub extra: Extra,
    pub rate: RateStyle,
    pub dates: DateStyle,
    /// The unit column holds the short name (`南昌`).
    pub unit_short: bool,
}

pub use super::variants::{variant, VARIANTS};

/// How one unit sends one program's ledgers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    /// Layout variant index (0-based).
    pub variant: usize,
    /// 总投资 in 亿元 while the other money columns stay 万元.
    pub yi_total: bool,
    /// Saved with a `.xls` extension although the content is xlsx.
    pub xls_ext: bool,
    /// File name template (`{Y}`, `{M}`, `{MM}`, `{UNIT}`, `{FULL}`, `{SHORT}`, `{PC}`, `{PS}`).
    pub file: &'static str,
}

/// The file-name template of a unit (same for both programs).
fn file_template(unit_id: &str) -> &'static str {
    match unit_id {
        "360100" => "{UNIT}{PS}项目调度表（{Y}年{M}月）",
        "360200" => "{UNIT}{PS}台账{Y}.{M}",
        "360300" => "{Y}年{M}月{SHORT}{PC}项目推进情况",
        "360400" => "附件1：{UNIT}{Y}年1-{M}月{PC}项目进展情况",
        "360500" => "{PS}项目月报（{SHORT}）{MM}月",
        "360600" => "{Y}{MM}_{SHORT}_{PS}调度表",
        "360700" => "{SHORT}-{PS}-{Y}{MM}",
        "360800" => "{UNIT}{M}月份{PS}项目调度",
        "360900" => "{PS}项目进展情况表（{M}月）",
        "361000" => "关于报送{Y}年{M}月{PC}项目进展情况的函（{SHORT}）",
        "361100" => "{SHORT}{PS}{Y}年1-{M}月调度表",
        "GJXQ" => "{UNIT}{PS}项目{Y}年{M}月进展",
        _ => "{FULL}{PS}项目调度表-{Y}年{M}月",
    }
}

/// The assignment of `unit` in `program`.
pub fn assignment(program: Program, unit: &Unit) -> Assignment {
    let order = [
        "360100", "360200", "360300", "360400", "360500", "360600", "360700", "360800", "360900",
        "361000", "361100", "GJXQ", "PROV-CA",
    ];
    let pos = order.iter().position(|id| *id == unit.id).unwrap_or(0);
    let ni = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 10, 12];
    let de = [5, 6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 12];
    let variant = match program {
        Program::NewInfra => ni[pos],
        Program::DigitalEconomy => de[pos],
    };
    Assignment {
        variant,
        yi_total: program == Program::NewInfra && unit.id == "360400",
        xls_ext: unit.id == "360900",
        file: file_template(&unit.id),
    }
}

/// Values substituted into title, sheet and file-name templates.
#[derive(Debug, Clone)]
pub struct Ctx<'a> {
    pub program: Program,
    pub unit: &'a Unit,
    pub year: i32,
    pub month: u32,
}

impl Ctx<'_> {
    /// Expands a title or file-name template (`1-1月` reads `1月` in January).
    pub fn expand_title(&self, template: &str) -> String {
        self.expand(template).replace("1-1月", "1月")
    }

    /// Expands a template.
    pub fn expand(&self, template: &str) -> String {
        template
            .replace("{Y}", &self.year.to_string())
            .replace("{MM}", &format!("{:02}", self.month))
            .replace("{M}", &self.month.to_string())
            .replace("{UNIT}", &self.unit.name)
            .replace("{FULL}", self.unit.full_name())
            .replace("{SHORT}", &self.unit.short)
            .replace("{PC}", self.program.core())
            .replace("{PS}", self.program.short())
            .replace("{CAT}", self.program.category_label())
    }
}

/// The header tree of a layout for `program` (columns the program lacks,
/// such as 批次 in new-infra, removed).
pub fn header_for(layout: &Layout, program: Program) -> Vec<H> {
    fn keep(nodes: &[H], program: Program) -> Vec<H> {
        nodes
            .iter()
            .filter_map(|n| match n {
                H::L(Col::Batch, _) if !program.has_batch() => None,
                H::L(c, l) => Some(H::L(*c, l)),
                H::G(l, kids) => {
                    let kids = keep(kids, program);
                    (!kids.is_empty()).then_some(H::G(l, kids))
                }
            })
            .collect()
    }
    keep(&layout.header, program)
}

/// Depth (number of header rows) of a header tree.
pub fn depth(nodes: &[H]) -> u32 {
    nodes
        .iter()
        .map(|n| match n {
            H::L(..) => 1,
            H::G(_, kids) => 1 + depth(kids),
        })
        .max()
        .unwrap_or(1)
}

/// Leaves of a header tree in column order, each with its parents' labels.
pub fn leaves(nodes: &[H]) -> Vec<(Col, &'static str, Vec<&'static str>)> {
    fn walk(
        nodes: &[H],
        parents: &mut Vec<&'static str>,
        out: &mut Vec<(Col, &'static str, Vec<&'static str>)>,
    ) {
        for n in nodes {
            match n {
                H::L(c, l) => out.push((*c, *l, parents.clone())),
                H::G(l, kids) => {
                    parents.push(l);
                    walk(kids, parents, out);
                    parents.pop();
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(nodes, &mut Vec::new(), &mut out);
    out
}
