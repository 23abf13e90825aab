//! Every type that crosses a stage boundary, and nothing else.
//!
//! inbox → [`InboxFile`]; ingest → [`RawWorkbook`]; normalize → [`ParsedFile`]
//! (with [`SheetTable`]s of [`LedgerRow`]s); validate → [`PeriodResult`] of
//! [`ProjectRecord`]s; store keeps [`StoredPeriod`]; aggregate → `aggregate::Summary`.
//! Money is always [`Yuan`] (whole 元, `i64`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

pub mod libchange;
pub mod status;
pub mod summary;
pub mod tasks;

pub use crate::parse::{MoneyUnit, Nature, Status, YearMonth, Yuan};

/// Prefix of the custom document properties this tool writes and reads (a
/// fill-in template's identity).
pub const PROPERTY_PREFIX: &str = "taizhang.";

/// The kind of a canonical field, which decides how its cells are parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    Text,
    Unit,
    Money,
    Status,
    Nature,
    Month,
    Rate,
}

/// A reporting period (one month).
pub type Period = YearMonth;

impl YearMonth {
    /// Parses `2023-07` (also `2023-7`, `202307`).
    pub fn parse_period(s: &str) -> Option<Period> {
        let t = s.trim();
        if t.len() == 6 && t.chars().all(|c| c.is_ascii_digit()) {
            return crate::parse::parse_month_text(t);
        }
        let (y, m) = t.split_once('-')?;
        if y.len() != 4 || m.is_empty() || m.len() > 2 {
            return None;
        }
        let (year, month) = (y.parse().ok()?, m.parse().ok()?);
        (1..=12)
            .contains(&month)
            .then_some(YearMonth { year, month })
    }

    /// The month before.
    pub fn prev(self) -> Period {
        if self.month == 1 {
            YearMonth {
                year: self.year - 1,
                month: 12,
            }
        } else {
            YearMonth {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// Quarter 1-4.
    pub fn quarter(self) -> u32 {
        (self.month - 1) / 3 + 1
    }
}

/// Error rejects the row (or file); warning keeps it, flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "错误",
            Severity::Warning => "警告",
        }
    }
}

/// One check result: stable id, where, what was seen, what to do.
///
/// Serialized whole (the manifest lists every key); read leniently (absent
/// keys are their defaults, an absent `help` is rebuilt from the message), so
/// the store's compact form ([`Finding::compact`]) reads back equal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "FindingRead")]
pub struct Finding {
    pub id: String,
    pub severity: Severity,
    pub file: String,
    pub sheet: String,
    /// A1 address (`F12`), empty for file- or program-level findings.
    pub cell: String,
    pub project_code: String,
    /// Reporting unit name (normalised), empty when unknown.
    pub unit: String,
    /// The full Chinese message (file, sheet, cell, value, what to do).
    pub message: String,
    /// Value seen, as typed.
    pub value: String,
    /// Value expected, where there is one.
    pub expected: String,
    /// What to do.
    pub help: String,
    /// True when a reviewer confirmed it (waiver): shown as 已核实.
    pub waived: bool,
}

/// The marker before a finding's help in its message (`checks::finding`).
const HELP_MARK: &str = "处理：";

impl Finding {
    /// The help a message carries: what follows its last `处理：` ("" when none).
    pub fn help_in(message: &str) -> &str {
        message
            .rfind(HELP_MARK)
            .map_or("", |i| &message[i + HELP_MARK.len()..])
    }

    /// The store's form: empty texts and `waived: false` left out, and `help`
    /// left out when the message ends with it (rebuilt exactly on read).
    pub fn compact(&self) -> impl Serialize + '_ {
        CompactFinding(self)
    }
}

struct CompactFinding<'a>(&'a Finding);

impl Serialize for CompactFinding<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let f = self.0;
        let mut st = s.serialize_struct("Finding", 12)?;
        st.serialize_field("id", &f.id)?;
        st.serialize_field("severity", &f.severity)?;
        let texts = [
            ("file", &f.file),
            ("sheet", &f.sheet),
            ("cell", &f.cell),
            ("project_code", &f.project_code),
            ("unit", &f.unit),
        ];
        for (key, v) in texts {
            if v.is_empty() {
                st.skip_field(key)?;
            } else {
                st.serialize_field(key, v)?;
            }
        }
        st.serialize_field("message", &f.message)?;
        for (key, v) in [("value", &f.value), ("expected", &f.expected)] {
            if v.is_empty() {
                st.skip_field(key)?;
            } else {
                st.serialize_field(key, v)?;
            }
        }
        if Finding::help_in(&f.message) == f.help {
            st.skip_field("help")?;
        } else {
            st.serialize_field("help", &f.help)?;
        }
        if f.waived {
            st.serialize_field("waived", &true)?;
        } else {
            st.skip_field("waived")?;
        }
        st.end()
    }
}

/// A [`Finding`] as read: every key but `id`, `severity` and `message` may
/// be absent (the store's compact form); `help` absent is rebuilt.
#[derive(Deserialize)]
struct FindingRead {
    id: String,
    severity: Severity,
    #[serde(default)]
    file: String,
    #[serde(default)]
    sheet: String,
    #[serde(default)]
    cell: String,
    #[serde(default)]
    project_code: String,
    #[serde(default)]
    unit: String,
    message: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    expected: String,
    #[serde(default)]
    help: Option<String>,
    #[serde(default)]
    waived: bool,
}

impl From<FindingRead> for Finding {
    fn from(r: FindingRead) -> Finding {
        let help = r
            .help
            .unwrap_or_else(|| Finding::help_in(&r.message).to_string());
        Finding {
            id: r.id,
            severity: r.severity,
            file: r.file,
            sheet: r.sheet,
            cell: r.cell,
            project_code: r.project_code,
            unit: r.unit,
            message: r.message,
            value: r.value,
            expected: r.expected,
            help,
            waived: r.waived,
        }
    }
}

/// What the sniffing of a file's first bytes found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    Xlsx,
    Xls,
    Ods,
    Csv,
    Html,
    SpreadsheetMl,
    Encrypted,
    WpsEt,
    Empty,
    Unknown,
}

/// A file found in a period folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboxFile {
    pub path: PathBuf,
    /// File name as shown to users (relative to the period folder).
    pub name: String,
    pub size: u64,
    pub sha256: String,
    pub format: FileFormat,
    /// Modification time (seconds since epoch), used only to order two files of one unit.
    pub modified: u64,
}

/// A file the inbox ignored, with the reason.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IgnoredFile {
    pub name: String,
    pub reason: String,
}

/// One cell as read, before any interpretation.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Number(f64),
    /// Text; shared (one allocation per distinct shared string of a workbook):
    /// a ledger repeats its 责任单位, 县区, 状态 … in most rows.
    Text(Arc<str>),
    Bool(bool),
    /// A date cell, as its Excel serial.
    Date(f64),
    /// An error cell (`#REF!`) or a formula with no cached value.
    Error(Arc<str>),
}

impl Cell {
    /// Text as shown (numbers in shortest form).
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Number(f) | Cell::Date(f) => format!("{f}"),
            Cell::Text(s) => s.to_string(),
            Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Cell::Error(e) => e.to_string(),
        }
    }

    /// Empty or only whitespace.
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty() || s.chars().all(|c| c.is_whitespace()),
            _ => false,
        }
    }
}

/// A rectangle of merged cells, 0-based inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merge {
    pub first_row: u32,
    pub first_col: u32,
    pub last_row: u32,
    pub last_col: u32,
}

/// One worksheet as read: cells by absolute position (row 0 = sheet row 1, col 0 = A).
#[derive(Debug, Clone, Default)]
pub struct RawSheet {
    pub name: String,
    pub visible: bool,
    pub rows: Vec<Vec<Cell>>,
    pub merges: Vec<Merge>,
    pub hidden_rows: Vec<u32>,
    /// The number formats the unit gave the sheet's number cells (xlsx /
    /// xlsm, captured at ingest; empty for every other reader).
    pub formats: CellFormats,
}

/// The number formats other than General of one sheet's number cells, as runs
/// down a column of cells with one format code (a ledger's money column is
/// one run, not one entry per row). Built by ingest, read by
/// `report::feedback::numfmt`.
#[derive(Debug, Clone, Default)]
pub struct CellFormats {
    /// The workbook's distinct format codes, shared by its sheets.
    pub codes: Arc<[String]>,
    /// Disjoint, sorted by (column, first row).
    pub runs: Vec<FormatRun>,
}

/// Rows `first_row..=last_row` of column `col` (0-based) have format `codes[code]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FormatRun {
    pub col: u16,
    pub first_row: u32,
    pub last_row: u32,
    pub code: u16,
}

impl RawSheet {
    pub fn cell(&self, row: u32, col: u32) -> &Cell {
        static EMPTY: Cell = Cell::Empty;
        self.rows
            .get(row as usize)
            .and_then(|r| r.get(col as usize))
            .unwrap_or(&EMPTY)
    }
    pub fn width(&self) -> u32 {
        self.rows.iter().map(|r| r.len()).max().unwrap_or(0) as u32
    }
}

/// A workbook as read.
#[derive(Debug, Clone, Default)]
pub struct RawWorkbook {
    pub sheets: Vec<RawSheet>,
    pub is_1904: bool,
    /// The workbook's `taizhang.` custom document properties: a fill-in
    /// template's identity (`crate::template::Identity`); empty for any other file.
    pub properties: BTreeMap<String, String>,
}

/// Why a row was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SkipReason {
    #[serde(rename = "blank")]
    Blank,
    #[serde(rename = "合计")]
    Total,
    #[serde(rename = "分组")]
    Group,
    #[serde(rename = "footer")]
    Footer,
    /// A hidden row, skipped because the pipeline says so.
    #[serde(rename = "hidden")]
    Hidden,
}

impl SkipReason {
    pub fn key(self) -> &'static str {
        match self {
            SkipReason::Blank => "blank",
            SkipReason::Total => "合计",
            SkipReason::Group => "分组",
            SkipReason::Footer => "footer",
            SkipReason::Hidden => "hidden",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            SkipReason::Blank => "空行",
            SkipReason::Total => "合计/小计行",
            SkipReason::Group => "分组标题行",
            SkipReason::Footer => "表尾备注/签名行",
            SkipReason::Hidden => "隐藏行（按设置不读取）",
        }
    }
}

/// Where a header column was mapped.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColumnMap {
    pub field: String,
    pub col: u32,
    /// The header path as written (`2023年投资完成情况/1-7月累计完成`).
    pub header: String,
    pub unit: Option<MoneyUnit>,
    /// Where a money column's unit came from: 表头, 单位行 or 默认.
    #[serde(default)]
    pub unit_from: String,
}

/// A data row after normalisation: typed values, plus where each came from.
#[derive(Debug, Clone, Default)]
pub struct LedgerRow {
    pub sheet: String,
    /// 0-based absolute row.
    pub row: u32,
    pub code: Option<String>,
    pub name: Option<String>,
    pub unit_text: Option<String>,
    pub county: Option<String>,
    pub category: Option<String>,
    pub batch: Option<String>,
    pub nature: Option<Nature>,
    pub total_investment: Option<Yuan>,
    pub annual_plan: Option<Yuan>,
    pub month_done: Option<Yuan>,
    pub ytd_done: Option<Yuan>,
    pub since_start_done: Option<Yuan>,
    pub status: Option<Status>,
    pub start_date: Option<YearMonth>,
    pub progress: Option<String>,
    pub problems: Option<String>,
    pub coordination: Option<String>,
    pub contact: Option<String>,
    /// Other fields the program's kind reads (`Use::Read` in its schema) that
    /// have no slot above, by key: e.g. a work item's 序号, 完成状态, 完成时间.
    pub extra: Vec<(String, Extra)>,
    /// Field key → column, for cell addresses (shared by all rows of a table).
    pub cols: std::sync::Arc<BTreeMap<String, u32>>,
    /// Findings on this row (an error among them rejects the row).
    pub findings: Vec<Finding>,
}

/// A typed cell of a field without its own slot in [`LedgerRow`].
#[derive(Debug, Clone, PartialEq)]
pub enum Extra {
    Text(String),
    Month(YearMonth),
}

impl LedgerRow {
    /// The text of an extra field, when the row has one.
    pub fn extra_text(&self, key: &str) -> Option<&str> {
        self.extra.iter().find_map(|(k, v)| match v {
            Extra::Text(t) if k == key => Some(t.as_str()),
            _ => None,
        })
    }
    /// The month of an extra field, when the row has one.
    pub fn extra_month(&self, key: &str) -> Option<YearMonth> {
        self.extra.iter().find_map(|(k, v)| match v {
            Extra::Month(m) if k == key => Some(*m),
            _ => None,
        })
    }

    /// A1 address of a field's cell in this row (the row's first cell when the field has no column).
    pub fn cell_of(&self, field: &str) -> String {
        let col = self.cols.get(field).copied().unwrap_or(0);
        crate::text::a1(self.row, col)
    }
    /// The cell that identifies the row: its project code, else its name.
    pub fn identity_cell(&self) -> String {
        if self.cols.contains_key("code") {
            self.cell_of("code")
        } else {
            self.cell_of("name")
        }
    }

    pub fn is_rejected(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == Severity::Error && !f.waived)
    }
}

/// A total or subtotal row kept for reconciliation.
#[derive(Debug, Clone)]
pub struct TotalRow {
    pub row: u32,
    pub label: String,
    pub ytd_done: Option<Yuan>,
    pub annual_plan: Option<Yuan>,
    pub kind: TotalKind,
}

/// What a total-like row sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalKind {
    /// 合计 / 总计: every data row of the table.
    Grand,
    /// 小计, `南昌县合计14个`: the data rows of its group, above or below it.
    Subtotal,
    /// A group row: `一、…` level 1, `（一）…` level 2 (with figures: the data
    /// rows up to the next heading of the same or a higher level), another
    /// heading 3, a `其中` breakdown 4 (never checked).
    Group(u8),
}

/// One ledger table found on a sheet.
#[derive(Debug, Clone, Default)]
pub struct SheetTable {
    pub sheet: String,
    /// 0-based rows of the header block (inclusive).
    pub header_rows: (u32, u32),
    pub columns: Vec<ColumnMap>,
    pub rows: Vec<LedgerRow>,
    pub skipped: Vec<(u32, SkipReason)>,
    pub totals: Vec<TotalRow>,
    pub rows_read: usize,
    /// The last data row's number, kept when [`SheetTable::take_rows`]
    /// frees the rows (the feedback workbook still needs where the table ends).
    pub released_last_row: Option<u32>,
}

impl SheetTable {
    /// 0-based number of the table's last data row (none: no data rows).
    pub fn last_data_row(&self) -> Option<u32> {
        self.rows
            .iter()
            .map(|r| r.row)
            .max()
            .max(self.released_last_row)
    }

    /// Takes the typed rows out once validation has taken what it needs from
    /// them (their findings moved to the period's list, their figures into
    /// records): the largest structure of a period, no longer needed by the
    /// reports, which read the raw sheet, the findings and the records.
    pub fn take_rows(&mut self) -> Vec<LedgerRow> {
        self.released_last_row = self.last_data_row();
        std::mem::take(&mut self.rows)
    }
}

/// File outcome in the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    Ok,
    Rejected,
    Ignored,
    /// Every project of the file counts from a later file of its unit (W008).
    Superseded,
}

/// A file after ingest and normalisation.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    pub file: InboxFile,
    /// Program id the file belongs to, when known.
    pub program: Option<String>,
    /// Reporting unit id, when known.
    pub unit_id: Option<String>,
    /// The period its title or file name states, when it states one.
    pub declared_period: Option<Period>,
    /// 填报时间 line, when present (used to order two files of one unit).
    pub filled_on: Option<String>,
    pub tables: Vec<SheetTable>,
    /// File-, sheet- and header-level findings (row findings live on the rows).
    pub findings: Vec<Finding>,
    pub status: FileStatus,
    pub error: Option<String>,
    /// Sheets that were skipped, with why.
    pub skipped_sheets: Vec<(String, String)>,
    /// The raw workbook, kept for the feedback workbook.
    pub raw: Option<RawWorkbook>,
}

/// The state of one library project in one period (what the store keeps).
/// Empty texts, `false`, `None` and zero amounts are left out of the store
/// and read back as such (every amount's absence means 0 元).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectRecord {
    pub code: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub county: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub category: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    pub nature: Nature,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub total_investment: Yuan,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub annual_plan: Yuan,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_start: Option<String>,
    /// Reported (accepted row) this period.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reported: bool,
    /// Figures carried forward from last period (沿用上月).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub carried: bool,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub month_done: Yuan,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ytd_done: Yuan,
    /// None (not known) is left out; `Some(0)` is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_start_done: Option<Yuan>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub progress: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub problems: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub coordination: String,
    /// `file!sheet!row` of the accepted row.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// Not reported because its row was rejected (填报有误未采纳), not because
    /// no row was sent. Absent from older store entries (false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rejected: bool,
}

/// `skip_serializing_if` of an amount whose absence reads as 0 元.
pub(crate) fn is_zero(v: &Yuan) -> bool {
    *v == 0
}

/// Row accounting of one input file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RowAccount {
    pub rows_read: usize,
    pub accepted: usize,
    pub rejected: usize,
    pub skipped: usize,
    pub skipped_reasons: BTreeMap<String, usize>,
}

/// The outcome of validating one program's period.
#[derive(Debug, Clone)]
pub struct PeriodResult {
    pub program: String,
    pub period: Period,
    pub records: Vec<ProjectRecord>,
    /// The records of a tasks-kind program (one per item and responsible unit).
    pub tasks: Vec<tasks::TaskRecord>,
    pub findings: Vec<Finding>,
    /// Per input file name: its accounting.
    pub accounts: BTreeMap<String, RowAccount>,
    /// Units (ids) that sent no file.
    pub missing_units: Vec<String>,
}

/// What the history store keeps per program and period.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredPeriod {
    pub program: String,
    pub period: String,
    pub tool_version: String,
    /// When it was written (local time, informational).
    pub written_at: String,
    pub inputs: Vec<StoredInput>,
    /// Every file of the period's inbox folder when it was processed (all
    /// programs'), to notice a file added, removed or replaced later.
    #[serde(default)]
    pub inbox: Vec<InboxStamp>,
    /// What the period was checked against; a change redoes the period.
    #[serde(default)]
    pub fingerprint: Option<Fingerprint>,
    /// The period's outputs (relative to `OUT/<program>/<period>/`) with their
    /// sha256 (empty for the manifest, which holds timings: its presence is
    /// checked): the store entry is written after them and marks the period done.
    #[serde(default)]
    pub outputs: Vec<StoredInput>,
    /// The library version the period was checked against (absent in entries
    /// written before versions were kept, and for a tasks-kind program).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub library: Option<LibraryStamp>,
    /// That version's projects: a rerun of the period uses them, not today's
    /// file (`run --library-current` says otherwise). The store keeps each
    /// version once (`STORE/<program>/library/<sha256>.json`) and the entry
    /// names it (`library_snapshot`); entries of earlier versions hold the
    /// rows inline under this key, and read back the same.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub library_rows: Vec<LibraryRow>,
    pub records: Vec<ProjectRecord>,
    /// A tasks-kind program's records (absent for investment programs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<tasks::TaskRecord>,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredInput {
    pub file: String,
    pub sha256: String,
}

/// One file of a period's inbox folder: name relative to the folder, size and
/// sha256 (empty when it could not be read, or is larger than any ledger).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct InboxStamp {
    pub file: String,
    pub size: u64,
    pub sha256: String,
}

/// sha256 of the configuration a period was checked against.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Fingerprint {
    /// The pipeline file.
    pub pipeline: String,
    /// The project library workbook the period was checked against (for an
    /// investment program the same as `StoredPeriod::library`'s sha256).
    pub library: String,
    /// `seeds/units.toml`.
    pub units: String,
    /// `INBOX/waivers.toml` ("" when absent).
    pub waivers: String,
}

/// Which library file a period was checked against: its path (relative to
/// the configuration folder when inside it), sha256, and the `from` month of
/// the `library_versions` entry it came from (none for `library`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct LibraryStamp {
    pub file: String,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// A library project as the store keeps it: every field the stages read, so
/// a rerun of the period from these rows gives the same bytes as the first run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LibraryRow {
    pub code: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub batch: String,
    pub unit_id: String,
    pub unit: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub county: String,
    pub category: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub owner: String,
    pub nature: Nature,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub years: String,
    /// 总投资 (元).
    pub total: Yuan,
    /// 年度计划投资 (元).
    pub annual: Yuan,
    /// 计划开工 (`2023-05`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_year: Option<i32>,
}

/// One input file in the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct InputEntry {
    pub file: String,
    pub sha256: String,
    pub size: u64,
    pub format: String,
    pub unit: String,
    /// Ledger sheets read, joined by `, `.
    pub sheet: String,
    pub rows_read: usize,
    pub accepted: usize,
    pub rejected: usize,
    pub skipped: usize,
    pub skipped_reasons: BTreeMap<String, usize>,
    pub status: String,
    pub error: Option<String>,
    /// Sheets passed over, with why.
    pub skipped_sheets: Vec<String>,
    /// How each ledger sheet's columns were read: field, column, header as
    /// written, money unit and where it came from (表头 / 单位行 / 默认).
    pub columns: Vec<ColumnEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ColumnEntry {
    pub sheet: String,
    pub field: String,
    pub column: String,
    pub header: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<crate::parse::MoneyUnit>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub unit_from: String,
}
