//! The bench's inbox generator, driven by a pipeline file: two months (June
//! and July of the pipeline's year) of ledgers from the units of
//! `seeds/units.toml`, headed with the pipeline's own synonyms (the first; in
//! some files another one that names the same field), values by field kind,
//! and the project library knowing every project in the layout the library
//! loader reads (headers of `report::library::headers`).
//!
//! Messy (the default): units sending 3-4 disjoint parts, some a full
//! revision or a 补报 file later, about 2% of rows with each planted mistake
//! ([`MISTAKES`]); clean: one file a unit, no mistake. Deterministic: the same
//! shape and seed give the same bytes.

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::config::{FieldKind, PipelineSpec};
use crate::model::{Period, Yuan};
use crate::seeds::Unit;

/// Errors of the generator.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("流水线“{id}”缺少{missing}：测试数据生成器只会生成投资类项目台账（项目代码、项目名称、责任单位、年度计划投资、本月及累计完成投资、建设状态），无法为它生成测试收件箱")]
    Unsupported { id: String, missing: String },
    #[error("单位表中没有单位，无法生成测试收件箱")]
    NoUnits,
    #[error("写入测试文件失败（{path}）：{source}")]
    Xlsx { path: PathBuf, source: XlsxError },
    #[error("写入测试文件失败（{path}）：{source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What the bench inbox looks like.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Ledger parts a month (before revisions and 补报 files).
    pub files: usize,
    pub rows_per_file: usize,
    pub seed: u64,
    /// Messy (parts, revisions, 补报, planted mistakes) or clean (one file a unit).
    pub messy: bool,
}

/// What [`write`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxInfo {
    /// The inbox (`dir/inbox`), one folder per month.
    pub inbox: PathBuf,
    /// The month folders, oldest first.
    pub period_dirs: Vec<PathBuf>,
    /// The library written (every project), for `run --library`.
    pub library: PathBuf,
    /// Reporting units.
    pub units: usize,
    /// Files and data rows of the last month.
    pub files: usize,
    pub rows: usize,
    /// Files and data rows of every month.
    pub files_all: usize,
    pub rows_all: usize,
    /// Bytes written, every month.
    pub bytes: u64,
    /// Planted mistakes by kind, every month (zeros for a clean inbox).
    pub planted: Vec<(&'static str, usize)>,
}

/// The planted mistakes, about 2% of rows each.
pub const MISTAKES: [&str; 6] = [
    "unknown_code_near_name",
    "text_in_amount",
    "cumulative_below_last_month",
    "yuan_in_wan_column",
    "another_units_project",
    "duplicate_row",
];
const MISTAKE_PER_MILLE: u64 = 20;

/// Fields the generator fills and the run needs, with the kind each must have.
const NEEDED: [(&str, FieldKind, &str); 7] = [
    ("code", FieldKind::Text, "项目代码"),
    ("name", FieldKind::Text, "项目名称"),
    ("unit", FieldKind::Unit, "责任单位"),
    ("annual_plan", FieldKind::Money, "年度计划投资"),
    ("month_done", FieldKind::Money, "本月完成投资"),
    ("ytd_done", FieldKind::Money, "累计完成投资"),
    ("status", FieldKind::Status, "建设状态"),
];

/// 1 万元 in 元.
const WAN: Yuan = 10_000;

/// Refuses a pipeline the generator cannot write ledgers for (a program of
/// work items, no money fields …), naming what it lacks.
pub fn check_pipeline(spec: &PipelineSpec) -> Result<(), InboxError> {
    let missing: Vec<String> = NEEDED
        .iter()
        .filter(|(k, kind, _)| spec.field(k).is_none_or(|f| f.kind != *kind))
        .map(|(k, _, label)| format!("“{label}”（{k}）"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(InboxError::Unsupported {
            id: spec.id.clone(),
            missing: format!("{}字段", missing.join("、")),
        })
    }
}

/// Writes `dir/inbox/<year>-06`, `dir/inbox/<year>-07` and `dir/seeds/bench-library.xlsx`
/// for `spec`, with the reporting `units`.
pub fn write(
    dir: &Path,
    spec: &PipelineSpec,
    units: &[Unit],
    shape: Shape,
) -> Result<InboxInfo, InboxError> {
    check_pipeline(spec)?;
    if units.is_empty() {
        return Err(InboxError::NoUnits);
    }
    let plan = Plan::new(units.len(), shape);
    let base = base_rows(spec, units, &plan);
    let mut info = InboxInfo {
        inbox: dir.join("inbox"),
        period_dirs: Vec::new(),
        library: dir.join("seeds").join("bench-library.xlsx"),
        units: plan.units,
        files: 0,
        rows: 0,
        files_all: 0,
        rows_all: 0,
        bytes: 0,
        planted: MISTAKES.iter().map(|m| (*m, 0)).collect(),
    };
    for month in [6, 7] {
        let period = Period {
            year: spec.year,
            month,
        };
        let period_dir = info.inbox.join(format!("{}-{month:02}", spec.year));
        create_dir(&period_dir)?;
        let parts = month_parts(&base, &plan, shape, month, &mut info.planted);
        info.files = parts.len();
        info.rows = parts.iter().map(|p| p.rows.len()).sum();
        for part in &parts {
            let sheet = Sheet::new(spec, units, part, period);
            info.bytes += write_ledger(&sheet, &period_dir)?;
        }
        info.files_all += info.files;
        info.rows_all += info.rows;
        info.period_dirs.push(period_dir);
    }
    create_dir(&dir.join("seeds"))?;
    write_library(&info.library, spec, units, &base)?;
    Ok(info)
}

fn create_dir(path: &Path) -> Result<(), InboxError> {
    std::fs::create_dir_all(path).map_err(|source| InboxError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// How many units send, and which unit sends part `f`.
#[derive(Debug, Clone, Copy)]
struct Plan {
    units: usize,
    parts: usize,
    /// Data rows of every part together.
    rows: usize,
}

impl Plan {
    /// Messy: 3-4 parts a unit (as many units as that takes, at most all);
    /// clean: one file a unit, the same rows in all.
    fn new(available: usize, shape: Shape) -> Plan {
        let files = shape.files.max(1);
        if shape.messy {
            Plan {
                units: (files * 2).div_ceil(7).clamp(1, available),
                parts: files,
                rows: files * shape.rows_per_file,
            }
        } else {
            let units = files.min(available);
            Plan {
                units,
                parts: units,
                rows: files * shape.rows_per_file,
            }
        }
    }

    /// The rows of part `f` (the total shared out, the first parts one more).
    fn rows_of(&self, f: usize) -> std::ops::Range<usize> {
        let (each, more) = (self.rows / self.parts, self.rows % self.parts);
        let start = f * each + f.min(more);
        start..start + each + usize::from(f < more)
    }

    fn unit_of(&self, part: usize) -> usize {
        part % self.units
    }
}

/// One project's row as a unit reports it (元).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    pub code: String,
    pub name: String,
    /// Index into the units of the unit the project belongs to.
    pub unit: usize,
    pub county: String,
    pub category: usize,
    pub batch: usize,
    pub owner: String,
    pub total: Yuan,
    pub annual: Yuan,
    pub month: Yuan,
    pub ytd: Yuan,
    pub since_start: Yuan,
    pub start_month: u32,
    /// The month figure typed as text (a planted mistake).
    pub month_text: bool,
}

/// SplitMix64: a stream per tag, so adding draws to one never shifts another.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, tag: &str) -> Rng {
        let h = tag.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        Rng(seed ^ h.rotate_left(17))
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (0 for `n == 0`).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo).max(0) as u64 + 1) as i64
    }
}

/// Every part's July rows (true figures); part `f` is sent by unit `plan.unit_of(f)`.
fn base_rows(spec: &PipelineSpec, units: &[Unit], plan: &Plan) -> Vec<Vec<Row>> {
    (0..plan.parts)
        .map(|f| {
            let unit = plan.unit_of(f);
            let mut rng = Rng::new(0x7a1_2023, &format!("bench/{}/{f}", spec.id));
            plan.rows_of(f)
                .map(|serial| project(&mut rng, spec, units, unit, serial))
                .collect()
        })
        .collect()
}

/// A consistent project numbered `serial` of unit `unit` (July's figures).
fn project(rng: &mut Rng, spec: &PipelineSpec, units: &[Unit], unit: usize, serial: usize) -> Row {
    let u = &units[unit];
    let area: String = u.id.chars().filter(char::is_ascii_digit).take(6).collect();
    let annual = rng.range(500, 60_000) * WAN;
    let ytd = annual / 100 * rng.range(10, 90) / 100 * 100;
    let month = ytd / 100 * rng.range(5, 30) / 100 * 100;
    let county = match u.counties.len() {
        0 => u.name.clone(),
        n => u.counties[rng.below(n as u64) as usize].clone(),
    };
    Row {
        code: format!(
            "{}-{area:0>6}-64-03-{:06}",
            2019 + (serial / 1_000_000) % 5,
            serial % 1_000_000
        ),
        name: format!(
            "{}{}测试项目{serial:06}",
            u.short,
            spec.name.trim_end_matches("项目")
        ),
        unit,
        county,
        category: rng.below(3) as usize,
        batch: serial % 2,
        owner: format!("江西测试{}科技有限公司", serial % 997),
        total: annual * 3,
        annual,
        month,
        ytd,
        since_start: ytd + annual,
        start_month: 1 + (serial % 12) as u32,
        month_text: false,
    }
}

/// June's figures of a July row: cumulative less July's month.
fn june_of(r: &Row) -> Row {
    let mut j = r.clone();
    j.ytd = r.ytd - r.month;
    j.month = j.ytd / 100 * 20 / 100 * 100;
    j.since_start = r.since_start - r.month;
    j
}

/// One file to write.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    pub unit: usize,
    pub rows: Vec<Row>,
    /// Day of the next month it was filled in (revisions later).
    pub fill_day: u32,
    /// Name prefix: keeps names apart, says 补报 / 修订.
    pub prefix: String,
    /// Which header spelling and layout the file uses.
    pub style: usize,
}

/// The files of one month: the parts (with planted mistakes when messy),
/// then some units' revisions and 补报 files.
fn month_parts(
    base: &[Vec<Row>],
    plan: &Plan,
    shape: Shape,
    month: u32,
    planted: &mut [(&'static str, usize)],
) -> Vec<Part> {
    let mut parts: Vec<Part> = base
        .iter()
        .enumerate()
        .map(|(f, rows)| Part {
            unit: plan.unit_of(f),
            rows: if month == 7 {
                rows.clone()
            } else {
                rows.iter().map(june_of).collect()
            },
            fill_day: 3 + (f % 3) as u32,
            prefix: format!("{f:05}-"),
            style: f % 3,
        })
        .collect();
    if !shape.messy {
        return parts;
    }
    let mut rng = Rng::new(shape.seed, &format!("bench/mistakes/{month}"));
    for f in 0..parts.len() {
        let other = &base[(f + 1) % base.len()];
        let rows = std::mem::take(&mut parts[f].rows);
        parts[f].rows = plant(rows, other, month, &mut rng, planted);
    }
    let mut extra = Vec::new();
    for u in 0..plan.units {
        let Some(first) = parts.iter().find(|p| p.unit == u) else {
            continue;
        };
        if u % 5 == 1 {
            // A 补报 file of five corrected projects, filed later.
            let rows = first.rows.iter().take(5).map(corrected).collect();
            extra.push(revision(first, rows, "补报-", 9));
        } else if u % 7 == 3 {
            // The whole first part sent again, one figure corrected.
            let mut rows = first.rows.clone();
            if let Some(r) = rows.first_mut() {
                *r = corrected(r);
            }
            extra.push(revision(first, rows, "修订-", 10));
        }
    }
    parts.extend(extra);
    parts
}

fn corrected(r: &Row) -> Row {
    let mut c = r.clone();
    c.month_text = false;
    c.ytd += WAN;
    c.since_start += WAN;
    c
}

fn revision(of: &Part, rows: Vec<Row>, tag: &str, fill_day: u32) -> Part {
    Part {
        unit: of.unit,
        rows,
        fill_day,
        prefix: format!("{}{tag}", of.prefix),
        style: of.style,
    }
}

/// Plants about 2% of each kind of mistake ([`MISTAKES`], in that order)
/// into a part's rows; `other` is another part (another unit's projects).
fn plant(
    rows: Vec<Row>,
    other: &[Row],
    month: u32,
    rng: &mut Rng,
    planted: &mut [(&'static str, usize)],
) -> Vec<Row> {
    let mut out = Vec::with_capacity(rows.len() + rows.len() / 20);
    for (k, mut r) in rows.into_iter().enumerate() {
        let kind = (rng.below(1000) / MISTAKE_PER_MILLE) as usize;
        let done = match kind {
            0 => {
                r.code = r.code.replacen("-64-03-", "-64-09-", 1);
                r.name.push_str("（一期）");
                true
            }
            1 => {
                r.month_text = true;
                true
            }
            2 if month == 7 => {
                r.ytd = (r.ytd - r.month) / 10 * 9;
                true
            }
            3 => {
                r.ytd *= WAN;
                true
            }
            4 => match other.get(k) {
                Some(o) if o.unit != r.unit => {
                    out.push(r);
                    r = if month == 7 { o.clone() } else { june_of(o) };
                    true
                }
                _ => false,
            },
            5 => {
                out.push(r.clone());
                true
            }
            _ => false,
        };
        if let Some(p) = planted.get_mut(kind).filter(|_| done) {
            p.1 += 1;
        }
        out.push(r);
    }
    out
}

/// A cell of a ledger or the library.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Text(String),
    Num(f64),
    Money(Yuan),
    Rate(f64),
    Empty,
}

/// The value of field `key` (of `kind`) for `r`, by kind; a text field the
/// generator knows nothing of stays empty.
fn value(key: &str, kind: FieldKind, r: &Row, units: &[Unit], spec: &PipelineSpec) -> Val {
    let unit = units.get(r.unit);
    match kind {
        FieldKind::Money => match key {
            "month_done" if r.month_text => Val::Text("待核实".to_string()),
            "total_investment" => Val::Money(r.total),
            "annual_plan" => Val::Money(r.annual),
            "month_done" => Val::Money(r.month),
            "ytd_done" => Val::Money(r.ytd),
            "since_start_done" => Val::Money(r.since_start),
            _ => Val::Empty,
        },
        FieldKind::Rate => Val::Rate(r.ytd as f64 / r.annual.max(1) as f64),
        FieldKind::Status => Val::Text(crate::parse::Status::UnderConstruction.label().into()),
        FieldKind::Nature => Val::Text(crate::parse::Nature::Continuing.label().into()),
        FieldKind::Month => Val::Text(format!("{}年{}月", spec.year - 1, r.start_month)),
        FieldKind::Unit => unit.map_or(Val::Empty, |u| Val::Text(u.name.clone())),
        FieldKind::Text => match key {
            "code" => Val::Text(r.code.clone()),
            "name" => Val::Text(r.name.clone()),
            "county" => Val::Text(r.county.clone()),
            "owner" => Val::Text(r.owner.clone()),
            "category" => Val::Text(format!(
                "{}{}",
                spec.category_label,
                ["一", "二", "三"][r.category % 3]
            )),
            "batch" => Val::Text(["第一批", "第二批"][r.batch % 2].to_string()),
            "years" => Val::Text(format!("{}-{}", spec.year - 1, spec.year + 2)),
            "progress" => Val::Text(format!(
                "主体施工，完成年度计划{}%",
                r.ytd * 100 / r.annual.max(1)
            )),
            _ => Val::Empty,
        },
    }
}

/// The columns a layout leaves out, as units' own ledgers do (about 15
/// columns a ledger, like the samples): 建设年限 is the library's; style 0
/// has no rate, 1 no county or owner, 2 no rate, since-start figure or progress.
fn in_layout(key: &str, style: usize) -> bool {
    let left_out: &[&str] = match style {
        0 => &["years", "completion_rate"],
        1 => &["years", "county", "owner"],
        _ => &["years", "completion_rate", "since_start_done", "progress"],
    };
    !left_out.contains(&key)
}

/// True when the generator has a value for the field (a column worth writing).
fn fills(key: &str, kind: FieldKind) -> bool {
    match kind {
        FieldKind::Money => matches!(
            key,
            "total_investment" | "annual_plan" | "month_done" | "ytd_done" | "since_start_done"
        ),
        FieldKind::Month => key == "start_date",
        FieldKind::Text => matches!(
            key,
            "seq"
                | "code"
                | "name"
                | "county"
                | "owner"
                | "category"
                | "batch"
                | "years"
                | "progress"
        ),
        _ => true,
    }
}

/// A synonym as a unit would type it: `N` the month, `YYYY` the year.
fn spelled(synonym: &str, period: Period) -> String {
    synonym
        .replace("YYYY", &period.year.to_string())
        .replace('N', &period.month.to_string())
}

/// True when `header` names the field `key` and no other before it.
fn names_field(spec: &PipelineSpec, header: &str, key: &str) -> bool {
    let (bare, _) = crate::text::split_header_unit(&crate::text::header_key(header));
    spec.match_header(&bare).is_some_and(|f| f.key == key)
}

/// A ledger about to be written: its columns (field key, kind, header) and rows.
struct Sheet<'a> {
    spec: &'a PipelineSpec,
    units: &'a [Unit],
    part: &'a Part,
    period: Period,
    columns: Vec<(String, FieldKind, String)>,
    file_name: String,
}

impl<'a> Sheet<'a> {
    /// Style 0: the first synonyms; 1: the second where it names the same
    /// field, money headers carrying （万元）; 2: first synonyms and a 合计 row
    /// (each with its own columns: [`in_layout`]).
    fn new(spec: &'a PipelineSpec, units: &'a [Unit], part: &'a Part, period: Period) -> Sheet<'a> {
        let columns = spec
            .fields
            .iter()
            .filter(|f| f.key != "batch" || spec.group_label.is_some())
            .filter(|f| fills(&f.key, f.kind) && in_layout(&f.key, part.style))
            .filter_map(|f| {
                let first = spelled(f.synonyms.first()?, period);
                let mut h = match f.synonyms.get(1).map(|s| spelled(s, period)) {
                    Some(alt) if part.style == 1 && names_field(spec, &alt, &f.key) => alt,
                    _ => first,
                };
                if part.style == 1 && f.kind == FieldKind::Money {
                    h.push_str("（万元）");
                }
                Some((f.key.clone(), f.kind, h))
            })
            .collect();
        let unit = units.get(part.unit).map_or("", |u| u.name.as_str());
        let keyword = spec.match_keywords.first().unwrap_or(&spec.name);
        let file_name = format!(
            "{}{unit}{keyword}项目调度表{}年{}月.xlsx",
            part.prefix, period.year, period.month
        );
        Sheet {
            spec,
            units,
            part,
            period,
            columns,
            file_name,
        }
    }
}

/// Formats of a generated workbook.
struct Looks {
    head: Format,
    body: Format,
    money: Format,
    rate: Format,
}

impl Looks {
    fn new() -> Looks {
        let body = Format::new().set_border(FormatBorder::Thin);
        Looks {
            head: Format::new()
                .set_bold()
                .set_border(FormatBorder::Thin)
                .set_text_wrap()
                .set_align(FormatAlign::Center),
            money: body.clone().set_num_format("#,##0.00"),
            rate: body.clone().set_num_format("0.0%"),
            body,
        }
    }
}

fn put(ws: &mut Worksheet, r: u32, c: u16, v: &Val, l: &Looks) -> Result<(), XlsxError> {
    match v {
        Val::Text(s) => ws.write_string_with_format(r, c, s, &l.body).map(|_| ()),
        Val::Num(n) => ws.write_number_with_format(r, c, *n, &l.body).map(|_| ()),
        Val::Money(y) => ws
            .write_number_with_format(r, c, *y as f64 / WAN as f64, &l.money)
            .map(|_| ()),
        Val::Rate(x) => ws.write_number_with_format(r, c, *x, &l.rate).map(|_| ()),
        Val::Empty => ws.write_blank(r, c, &l.body).map(|_| ()),
    }
}

/// Writes one ledger into `dir`; its size in bytes.
fn write_ledger(s: &Sheet, dir: &Path) -> Result<u64, InboxError> {
    let path = dir.join(&s.file_name);
    let bytes = ledger_bytes(s).map_err(|source| InboxError::Xlsx {
        path: path.clone(),
        source,
    })?;
    std::fs::write(&path, &bytes).map_err(|source| InboxError::Io { path, source })?;
    Ok(bytes.len() as u64)
}

fn ledger_bytes(s: &Sheet) -> Result<Vec<u8>, XlsxError> {
    let (spec, p) = (s.spec, s.period);
    let unit = s.units.get(s.part.unit).map_or("", |u| u.name.as_str());
    let title = format!(
        "{}年1-{}月{unit}{}推进情况调度表",
        p.year, p.month, spec.name
    );
    let mut wb = Workbook::new();
    wb.set_properties(&crate::report::properties(&title, unit, p));
    let l = Looks::new();
    let ws = wb.add_worksheet();
    ws.set_name(format!("{}月", p.month))?;
    let last = s.columns.len().saturating_sub(1) as u16;
    ws.merge_range(0, 0, 0, last.max(1), &title, &l.head)?;
    ws.write_string(1, 0, format!("填报单位：{unit}"))?;
    ws.write_string(
        1,
        3.min(last),
        format!(
            "填报时间：{}年{}月{}日",
            p.year,
            p.month + 1,
            s.part.fill_day
        ),
    )?;
    ws.write_string(1, last.max(4), "单位：万元")?;
    for (c, (_, _, h)) in s.columns.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, h, &l.head)?;
    }
    let mut r = 3u32;
    if s.part.style == 2 {
        total_row(ws, s, &l)?;
        r += 1;
    }
    for (i, row) in s.part.rows.iter().enumerate() {
        for (c, (key, kind, _)) in s.columns.iter().enumerate() {
            let v = match key.as_str() {
                "seq" => Val::Num((i + 1) as f64),
                _ => value(key, *kind, row, s.units, spec),
            };
            put(ws, r, c as u16, &v, &l)?;
        }
        r += 1;
    }
    ws.set_freeze_panes(3, 0)?;
    wb.save_to_buffer()
}

/// A 合计 row under the header: the money columns summed over the part.
fn total_row(ws: &mut Worksheet, s: &Sheet, l: &Looks) -> Result<(), XlsxError> {
    for (c, (key, kind, _)) in s.columns.iter().enumerate() {
        let v = match (key.as_str(), kind) {
            ("seq" | "name", _) => Val::Text("合计".to_string()),
            (_, FieldKind::Money) => Val::Money(
                s.part
                    .rows
                    .iter()
                    .map(|r| match value(key, *kind, r, s.units, s.spec) {
                        Val::Money(y) => y,
                        _ => 0,
                    })
                    .sum(),
            ),
            _ => Val::Empty,
        };
        put(ws, 3, c as u16, &v, l)?;
    }
    Ok(())
}

/// The library of every project, headers as `report::library::headers`
/// (money in 万元), streamed (constant memory: 100,000 rows).
fn write_library(
    path: &Path,
    spec: &PipelineSpec,
    units: &[Unit],
    base: &[Vec<Row>],
) -> Result<(), InboxError> {
    let xerr = |source| InboxError::Xlsx {
        path: path.to_path_buf(),
        source,
    };
    let bytes = library_bytes(spec, units, base).map_err(xerr)?;
    std::fs::write(path, bytes).map_err(|source| InboxError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn library_bytes(
    spec: &PipelineSpec,
    units: &[Unit],
    base: &[Vec<Row>],
) -> Result<Vec<u8>, XlsxError> {
    let headers = crate::report::library::headers(spec);
    let columns: Vec<(String, FieldKind)> = headers
        .iter()
        .map(|h| {
            let (bare, _) = crate::text::split_header_unit(&crate::text::header_key(h));
            spec.match_header(&bare)
                .map_or((String::new(), FieldKind::Text), |f| {
                    (f.key.clone(), f.kind)
                })
        })
        .collect();
    let title = crate::config::library_label(&spec.full_name);
    let mut wb = Workbook::new();
    wb.set_properties(&crate::report::properties(
        &title,
        &spec.issuer,
        Period {
            year: spec.year,
            month: 1,
        },
    ));
    let l = Looks::new();
    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name("项目库")?;
    let last = headers.len().saturating_sub(1) as u16;
    ws.write_string(0, 0, &title)?;
    ws.write_string(1, last, "单位：万元")?;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, h, &l.head)?;
    }
    for (i, row) in base.iter().flatten().enumerate() {
        let r = 3 + i as u32;
        for (c, (key, kind)) in columns.iter().enumerate() {
            let v = match key.as_str() {
                "seq" => Val::Num((i + 1) as f64),
                // planned_start: the month the project started.
                _ => value(key, *kind, row, units, spec),
            };
            put(ws, r, c as u16, &v, &l)?;
        }
    }
    wb.save_to_buffer()
}

#[cfg(test)]
#[path = "inbox_tests.rs"]
mod tests;
