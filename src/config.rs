//! Pipeline files (`pipelines/*.toml`): raw serde structs, then a validated
//! [`PipelineSpec`]. All program-specific knowledge (names, targets, header
//! synonyms, thresholds, report titles) comes from here; `src/` hard-codes none.
//!
//! Problems are collected and reported all at once ([`ConfigError::Invalid`]).

use regex::Regex;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::kinds::{ProgramKind, Schema};
use crate::model::Severity;
use crate::parse::{parse_amount_text, to_yuan, MoneyUnit, TextAmount, YearMonth, Yuan};
use crate::text::header_key;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("无法读取流水线配置文件 {path}：{source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("流水线配置文件 {path} 格式错误：{message}")]
    Parse { path: PathBuf, message: String },
    #[error("流水线配置文件 {path} 有 {} 处问题：\n  - {}", .problems.len(), .problems.join("\n  - "))]
    Invalid {
        path: PathBuf,
        problems: Vec<String>,
    },
    #[error("找不到流水线 {0}：请检查 --pipeline 的取值（可用 pipelines/ 下的文件名或其 id）")]
    NotFound(String),
    #[error("目录 {0} 下没有任何流水线配置文件（*.toml）")]
    NoPipelines(PathBuf),
    #[error("{} 个流水线配置文件有问题：\n{}", .0.len(), .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Many(Vec<ConfigError>),
}

pub use crate::model::FieldKind;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPipeline {
    id: String,
    /// `investment` (default) or `tasks`.
    kind: Option<ProgramKind>,
    name: String,
    full_name: Option<String>,
    year: i32,
    library: PathBuf,
    /// Later versions of the library, each from a month on.
    #[serde(default)]
    library_versions: Vec<RawLibraryVersion>,
    annual_target: Option<String>,
    default_unit: Option<String>,
    category_label: Option<String>,
    group_label: Option<String>,
    issuer: String,
    #[serde(default)]
    match_keywords: Vec<String>,
    not_reported: Option<RawNotReported>,
    hidden_rows: Option<RawHiddenRows>,
    lights: Option<RawLights>,
    indicators: Option<RawIndicators>,
    quarterly: Option<RawQuarterly>,
    notice: Option<RawNotice>,
    checks: Option<RawChecks>,
    reports: RawReports,
    feedback: Option<RawFeedback>,
    tasks: Option<RawTasks>,
    field: Vec<RawField>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTasks {
    min_similarity: Option<f64>,
    green_at: Option<f64>,
    red_below: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeedback {
    deadline_day: Option<u32>,
    contact: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotReported {
    policy: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHiddenRows {
    policy: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLights {
    yellow_below: f64,
    red_below: f64,
    lagging_gap: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicators {
    early_starts_count: Option<bool>,
    departments_apart: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuarterly {
    honor_count: usize,
    shame_count: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotice {
    title: Option<String>,
    recipients: Option<String>,
    office: Option<String>,
    date_day: Option<u32>,
    names_per_unit: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChecks {
    jump_factor: Option<f64>,
    jump_min_yuan: Option<i64>,
    cumulative_tolerance_yuan: Option<i64>,
    #[serde(default)]
    severity: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReports {
    monthly: String,
    quarterly: String,
    feedback: String,
    monthly_title: String,
    quarterly_title: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    key: String,
    kind: FieldKind,
    #[serde(default)]
    required: bool,
    synonyms: Vec<String>,
}

/// A canonical field with its compiled header synonyms.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub key: String,
    pub kind: FieldKind,
    pub required: bool,
    /// Synonyms as written in the pipeline file.
    pub synonyms: Vec<String>,
    /// All synonyms as one anchored alternation (one automaton per field).
    pattern: Regex,
}

impl FieldSpec {
    /// True when a normalised header (unit removed) matches one of the synonyms.
    pub fn matches(&self, key: &str) -> bool {
        self.pattern.is_match(key)
    }
}

/// How projects with no accepted row this month count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReportedPolicy {
    /// Keep last month's cumulative (month figure 0), marked 沿用上月.
    CarryForward,
    /// Count nothing.
    Zero,
}

/// What to do with data rows hidden in a unit's sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HiddenRowsPolicy {
    /// Read them and raise W010 on each (default).
    ReadAndWarn,
    /// Read them silently.
    Read,
    /// Skip them (counted as skipped, reason `hidden`).
    Skip,
}

/// Traffic-light and lagging thresholds (fractions, e.g. 0.10 = 10 points).
#[derive(Debug, Clone, Copy)]
pub struct Lights {
    pub yellow_below: f64,
    pub red_below: f64,
    pub lagging_gap: f64,
}

/// Indicator rules a province may choose differently (stated on the sheets).
#[derive(Debug, Clone, Copy)]
pub struct Indicators {
    /// 提前开工 projects (started, planned start after the period) count in
    /// 开工率's numerator, so the rate may exceed 100% (default true).
    pub early_starts_count: bool,
    /// Units of kind `department` are ranked in their own table and kept off
    /// the cities' ranking and 红黑榜 (default true).
    pub departments_apart: bool,
}

/// Check parameters.
#[derive(Debug, Clone)]
pub struct CheckParams {
    pub jump_factor: f64,
    pub jump_min_yuan: Yuan,
    pub cumulative_tolerance_yuan: Yuan,
    pub severity: BTreeMap<String, Severity>,
}

/// Report name templates.
#[derive(Debug, Clone)]
pub struct ReportNames {
    pub monthly: String,
    pub quarterly: String,
    pub feedback: String,
    pub monthly_title: String,
    pub quarterly_title: String,
}

/// The quarterly 通报 as a Word document (`[notice]`).
#[derive(Debug, Clone)]
pub struct NoticeSpec {
    /// Title and file name template (`{year}`, `{quarter_cn}`, `{name}` …); a
    /// line break marks where the printed title turns to its second line and
    /// is left out of the file name.
    pub title: String,
    /// 主送机关, ending with a full-width colon.
    pub recipients: String,
    /// 发文机关署名 (落款); the issuer unless set.
    pub office: String,
    /// 成文日期: this day of the month after the quarter.
    pub date_day: u32,
    /// 存在问题: lagging projects named per unit before `等N个项目`.
    pub names_per_unit: usize,
}

/// Defaults of `[notice]` (a province sets its own in the pipeline file).
pub const NOTICE_TITLE: &str = "关于{year}年第{quarter_cn}季度全省{name}\n推进情况的通报";
pub const NOTICE_RECIPIENTS: &str = "各设区市、省直有关部门：";

/// What the feedback workbook (退回修改) tells a unit besides its findings.
#[derive(Debug, Clone, Default)]
pub struct FeedbackSettings {
    /// Resubmit by this day of the month after the period (1-28), if set.
    pub deadline_day: Option<u32>,
    /// Who to call (office, person, telephone); empty when not set.
    pub contact: String,
}

/// `[tasks]`: how a tasks-kind program matches items and colours units.
#[derive(Debug, Clone, Copy)]
pub struct TaskSettings {
    /// Least similarity (0-1) for an item recognised by its text.
    pub min_similarity: f64,
    /// A unit's share on time at or above this is green.
    pub green_at: f64,
    /// Below this it is red (yellow between).
    pub red_below: f64,
}

impl Default for TaskSettings {
    fn default() -> Self {
        TaskSettings {
            min_similarity: 0.5,
            green_at: 0.9,
            red_below: 0.7,
        }
    }
}

/// One `library_versions` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLibraryVersion {
    from: String,
    path: PathBuf,
}

/// A version of a program's library used from a month on (`library_versions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryVersion {
    /// First period it applies to.
    pub from: YearMonth,
    /// The workbook (absolute, resolved against the project root).
    pub path: PathBuf,
}

/// A validated pipeline.
#[derive(Debug, Clone)]
pub struct PipelineSpec {
    pub id: String,
    /// Which kind of program (which stages read its rows).
    pub kind: ProgramKind,
    /// `[tasks]` (tasks kind only; defaults otherwise).
    pub tasks: TaskSettings,
    pub name: String,
    pub full_name: String,
    pub year: i32,
    /// Project library workbook (absolute, resolved against the project root).
    pub library: PathBuf,
    /// Later versions, sorted by `from` (distinct months of `year`): a period
    /// uses the latest whose `from` ≤ it, else `library`.
    pub library_versions: Vec<LibraryVersion>,
    pub annual_target_yuan: Yuan,
    pub annual_target_text: String,
    pub default_unit: MoneyUnit,
    pub category_label: String,
    pub group_label: Option<String>,
    pub issuer: String,
    pub match_keywords: Vec<String>,
    pub not_reported: NotReportedPolicy,
    pub hidden_rows: HiddenRowsPolicy,
    pub lights: Lights,
    pub indicators: Indicators,
    pub honor_count: usize,
    pub shame_count: usize,
    pub notice: NoticeSpec,
    pub checks: CheckParams,
    pub reports: ReportNames,
    pub feedback: FeedbackSettings,
    pub fields: Vec<FieldSpec>,
    /// The file it was read from.
    pub source: PathBuf,
}

impl crate::checks::SeverityOverrides for PipelineSpec {
    fn severity_override(&self, id: &str) -> Option<Severity> {
        self.checks.severity.get(id).copied()
    }
}

impl PipelineSpec {
    /// The field a normalised header key (unit removed) names, if any.
    pub fn match_header(&self, key: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.matches(key))
    }

    /// The library file a period uses, with the `from` month of the version
    /// it comes from (none for `library`).
    pub fn library_for(&self, period: YearMonth) -> (&Path, Option<YearMonth>) {
        self.library_versions
            .iter()
            .rfind(|v| v.from <= period)
            .map_or((self.library.as_path(), None), |v| {
                (v.path.as_path(), Some(v.from))
            })
    }

    /// "新基建项目库" for 新基建项目 (no doubled 项目), "X项目库" otherwise.
    pub fn library_label(&self) -> String {
        library_label(&self.name)
    }

    pub fn field(&self, key: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// Fills a report-name template: `{name}`, `{year}`, `{month}`, `{month:02}`,
    /// `{quarter}`, `{quarter_cn}`, `{unit}`, `{period}`.
    pub fn fill(&self, template: &str, year: i32, month: u32, unit: &str) -> String {
        let q = (month.max(1) - 1) / 3 + 1;
        let quarter_cn = crate::text::quarter_cn(q);
        template
            .replace("{full_name}", &self.full_name)
            .replace("{name}", &self.name)
            .replace("{year}", &year.to_string())
            .replace("{month:02}", &format!("{month:02}"))
            .replace("{month}", &month.to_string())
            .replace("{quarter_cn}", quarter_cn)
            .replace("{quarter}", &q.to_string())
            .replace("{unit}", unit)
            .replace("{period}", &format!("{year:04}-{month:02}"))
            // A one-month cumulative is 1月, not 1-1月.
            .replace("1-1月", "1月")
            // 新基建项目 + 项目明细 → 新基建项目明细.
            .replace("项目项目", "项目")
    }
}

/// Turns a synonym (`1-N月累计完成投资`, `YYYY年计划投资`) into a pattern body
/// (checked on its own). `N` stands for an optional month number, `YYYY` for an
/// optional four-digit year.
fn synonym_pattern(s: &str) -> Result<String, regex::Error> {
    let key = header_key(s);
    let mut pat = String::new();
    let mut rest = key.as_str();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("YYYY年") {
            pat.push_str(r"(?:\d{4}年)?");
            rest = r;
        } else if let Some(r) = rest.strip_prefix("YYYY") {
            pat.push_str(r"(?:\d{4})?");
            rest = r;
        } else if let Some(r) = rest.strip_prefix('N') {
            pat.push_str(r"(?:\d{1,2})?");
            rest = r;
        } else {
            let c = rest.chars().next().unwrap_or_default();
            pat.push_str(&regex::escape(&c.to_string()));
            rest = &rest[c.len_utf8()..];
        }
    }
    Regex::new(&format!("^{pat}$"))?;
    Ok(pat)
}

/// Parses an amount with its unit (`600亿元`, `1000亿`) to 元.
fn parse_target(s: &str) -> Option<Yuan> {
    match parse_amount_text(s) {
        TextAmount::Number {
            value,
            unit,
            percent: false,
        } => to_yuan(value, unit.unwrap_or(MoneyUnit::Yuan)),
        _ => None,
    }
}

/// The library's name for a program name: `项目` is not doubled.
pub fn library_label(name: &str) -> String {
    if name.ends_with("项目") {
        format!("{name}库")
    } else {
        format!("{name}项目库")
    }
}

/// Reads and validates one pipeline file. `root` is the project root that
/// relative library paths are resolved against.
pub fn load_pipeline(path: &Path, root: &Path) -> Result<PipelineSpec, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let raw: RawPipeline = toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    compile(raw, path, root)
}

fn compile(raw: RawPipeline, path: &Path, root: &Path) -> Result<PipelineSpec, ConfigError> {
    let mut problems = Vec::new();
    if raw.id.is_empty()
        || !raw
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        problems.push(format!("id “{}” 只能含字母、数字、- 和 _", raw.id));
    }
    let kind = raw.kind.unwrap_or_default();
    let schema = crate::kinds::schema(kind);
    kind_sections(&raw, kind, &mut problems);
    let annual_target_yuan = match &raw.annual_target {
        Some(t) => parse_target(t).unwrap_or_else(|| {
            problems.push(format!("annual_target “{t}” 不是金额（例：600亿元）"));
            0
        }),
        None => 0,
    };
    let default_unit = match &raw.default_unit {
        Some(u) => MoneyUnit::parse(u).unwrap_or_else(|| {
            problems.push(format!("default_unit “{u}” 应为 元、万元 或 亿元"));
            MoneyUnit::Wan
        }),
        None => MoneyUnit::Wan,
    };
    let tasks = task_settings(raw.tasks.as_ref(), &mut problems);
    let not_reported = match raw.not_reported.as_ref().map(|n| n.policy.as_str()) {
        None | Some("carry_forward") => NotReportedPolicy::CarryForward,
        Some("zero") => NotReportedPolicy::Zero,
        Some(other) => {
            problems.push(format!(
                "not_reported.policy “{other}” 应为 carry_forward 或 zero"
            ));
            NotReportedPolicy::CarryForward
        }
    };
    let hidden_rows = match raw.hidden_rows.as_ref().map(|h| h.policy.as_str()) {
        None | Some("read_and_warn") => HiddenRowsPolicy::ReadAndWarn,
        Some("read") => HiddenRowsPolicy::Read,
        Some("skip") => HiddenRowsPolicy::Skip,
        Some(other) => {
            problems.push(format!(
                "hidden_rows.policy “{other}” 应为 read_and_warn、read 或 skip"
            ));
            HiddenRowsPolicy::ReadAndWarn
        }
    };
    let lights = raw
        .lights
        .map(|l| Lights {
            yellow_below: l.yellow_below,
            red_below: l.red_below,
            lagging_gap: l.lagging_gap,
        })
        .unwrap_or(Lights {
            yellow_below: 0.10,
            red_below: 0.30,
            lagging_gap: 0.10,
        });
    if !(0.0..=1.0).contains(&lights.yellow_below)
        || !(lights.yellow_below..=1.0).contains(&lights.red_below)
    {
        problems.push("lights: 需 0 ≤ yellow_below ≤ red_below ≤ 1".to_string());
    }
    let notice = notice_spec(raw.notice.as_ref(), &raw.issuer, &mut problems);
    let mut severity = BTreeMap::new();
    let checks = raw.checks.unwrap_or(RawChecks {
        jump_factor: None,
        jump_min_yuan: None,
        cumulative_tolerance_yuan: None,
        severity: BTreeMap::new(),
    });
    for (id, sev) in &checks.severity {
        if crate::checks::lookup(id).is_none() {
            problems.push(format!(
                "checks.severity: 没有编号为 {id} 的校验规则（taizhang checks 可查看全部）"
            ));
        }
        match sev.as_str() {
            "error" => {
                severity.insert(id.clone(), Severity::Error);
            }
            "warning" => {
                severity.insert(id.clone(), Severity::Warning);
            }
            other => problems.push(format!(
                "checks.severity.{id} = “{other}” 应为 error 或 warning"
            )),
        }
    }
    let feedback = feedback_settings(raw.feedback, &mut problems);
    let mut fields = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for f in raw.field {
        if !seen.insert(f.key.clone()) {
            problems.push(format!("字段 {} 重复定义", f.key));
        }
        field_in_schema(schema, kind, &f, &mut problems);
        if f.synonyms.is_empty() {
            problems.push(format!("字段 {} 没有任何表头同义词", f.key));
        }
        let mut patterns = Vec::new();
        for s in &f.synonyms {
            match synonym_pattern(s) {
                Ok(p) => patterns.push(p),
                Err(e) => problems.push(format!("字段 {} 的同义词 “{s}” 无效：{e}", f.key)),
            }
        }
        let pattern = match Regex::new(&format!("^(?:{})$", patterns.join("|"))) {
            Ok(p) => p,
            Err(e) => {
                problems.push(format!("字段 {} 的同义词无法合并：{e}", f.key));
                continue;
            }
        };
        fields.push(FieldSpec {
            key: f.key,
            kind: f.kind,
            required: f.required,
            synonyms: f.synonyms,
            pattern,
        });
    }
    for k in schema.must_declare {
        if !seen.contains(*k) {
            problems.push(format!("缺少必需字段 {k} 的定义"));
        }
    }
    let resolve = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            root.join(p)
        }
    };
    let library = resolve(&raw.library);
    let library_versions = library_versions(
        (&raw.library_versions, raw.year),
        kind,
        &resolve,
        &mut problems,
    );
    if !problems.is_empty() {
        return Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
        });
    }
    Ok(PipelineSpec {
        full_name: raw.full_name.unwrap_or_else(|| raw.name.clone()),
        id: raw.id,
        kind,
        tasks,
        name: raw.name,
        year: raw.year,
        library,
        library_versions,
        annual_target_yuan,
        annual_target_text: raw.annual_target.unwrap_or_default(),
        default_unit,
        category_label: raw.category_label.unwrap_or_else(|| "类别".to_string()),
        group_label: raw.group_label,
        issuer: raw.issuer,
        match_keywords: raw.match_keywords,
        not_reported,
        hidden_rows,
        lights,
        indicators: Indicators {
            early_starts_count: raw
                .indicators
                .as_ref()
                .and_then(|i| i.early_starts_count)
                .unwrap_or(true),
            departments_apart: raw
                .indicators
                .as_ref()
                .and_then(|i| i.departments_apart)
                .unwrap_or(true),
        },
        honor_count: raw.quarterly.as_ref().map_or(3, |q| q.honor_count),
        shame_count: raw.quarterly.as_ref().map_or(3, |q| q.shame_count),
        notice,
        checks: CheckParams {
            jump_factor: checks.jump_factor.unwrap_or(20.0),
            jump_min_yuan: checks.jump_min_yuan.unwrap_or(5_000_000),
            cumulative_tolerance_yuan: checks.cumulative_tolerance_yuan.unwrap_or(1),
            severity,
        },
        reports: ReportNames {
            monthly: raw.reports.monthly,
            quarterly: raw.reports.quarterly,
            feedback: raw.reports.feedback,
            monthly_title: raw.reports.monthly_title,
            quarterly_title: raw.reports.quarterly_title,
        },
        feedback,
        fields,
        source: path.to_path_buf(),
    })
}

/// `library_versions`: each `from` a month (`2023-05`) of the pipeline's
/// year, later than the one before; an investment program only.
fn library_versions(
    (versions, year): (&[RawLibraryVersion], i32),
    kind: ProgramKind,
    resolve: &dyn Fn(&Path) -> PathBuf,
    problems: &mut Vec<String>,
) -> Vec<LibraryVersion> {
    if !versions.is_empty() && kind != ProgramKind::Investment {
        problems.push("library_versions（项目库版本）只用于投资项目类流水线".to_string());
        return Vec::new();
    }
    let mut out: Vec<LibraryVersion> = Vec::new();
    for v in versions {
        let Some(from) = crate::model::Period::parse_period(&v.from) else {
            problems.push(format!(
                "library_versions 的 from = \"{}\" 不是月份（例：from = \"{}-05\"）",
                v.from, year
            ));
            continue;
        };
        if from.year != year {
            problems.push(format!(
                "library_versions 的 from = \"{}\" 不在本流水线的年度 {} 年内",
                v.from, year
            ));
        }
        if v.path.as_os_str().is_empty() {
            problems.push(format!(
                "library_versions 中 from = \"{}\" 的一项没有 path",
                v.from
            ));
        }
        if let Some(prev) = out.last().filter(|p| p.from >= from) {
            problems.push(format!(
                "library_versions 应按月份先后排列且不重复：{} 不应在 {} 之后",
                from, prev.from
            ));
        }
        out.push(LibraryVersion {
            from,
            path: resolve(&v.path),
        });
    }
    out
}

/// A declared field must be one the kind's stages read (or its header
/// discovery recognises), with the kind of value the kind expects: a field no
/// stage reads would be silently dropped.
fn field_in_schema(schema: &Schema, kind: ProgramKind, f: &RawField, problems: &mut Vec<String>) {
    match schema.field(&f.key) {
        Some(u) if u.kind != f.kind => problems.push(format!(
            "字段 {} 的 kind 应为 {}",
            f.key,
            format!("{:?}", u.kind).to_lowercase()
        )),
        Some(_) => {}
        None => problems.push(format!(
            "字段 {} 不是 {} 类项目的字段，没有哪个环节会读取它（可用字段：{}）",
            f.key,
            kind.label(),
            schema
                .fields
                .iter()
                .map(|u| u.key)
                .collect::<Vec<_>>()
                .join("、")
        )),
    }
}

/// Sections that only one kind reads: set for the other kind, they are errors.
fn kind_sections(raw: &RawPipeline, kind: ProgramKind, problems: &mut Vec<String>) {
    let investment_only = [
        ("annual_target", raw.annual_target.is_some()),
        ("default_unit", raw.default_unit.is_some()),
        ("[not_reported]", raw.not_reported.is_some()),
        ("[lights]", raw.lights.is_some()),
        ("[indicators]", raw.indicators.is_some()),
        ("group_label", raw.group_label.is_some()),
    ];
    match kind {
        ProgramKind::Investment => {
            for (key, missing) in [
                ("annual_target", raw.annual_target.is_none()),
                ("default_unit", raw.default_unit.is_none()),
            ] {
                if missing {
                    problems.push(format!("投资项目类流水线缺少 {key}"));
                }
            }
            if raw.tasks.is_some() {
                problems.push(
                    "[tasks] 只用于 kind = \"tasks\" 的流水线，本流水线不会读取它".to_string(),
                );
            }
        }
        ProgramKind::Tasks => {
            for (key, set) in investment_only {
                if set {
                    problems.push(format!(
                        "{key} 只用于投资项目类流水线，kind = \"tasks\" 的流水线不会读取它，请删除"
                    ));
                }
            }
        }
    }
}

/// `[tasks]` with its defaults.
fn task_settings(raw: Option<&RawTasks>, problems: &mut Vec<String>) -> TaskSettings {
    let d = TaskSettings::default();
    let Some(raw) = raw else {
        return d;
    };
    let t = TaskSettings {
        min_similarity: raw.min_similarity.unwrap_or(d.min_similarity),
        green_at: raw.green_at.unwrap_or(d.green_at),
        red_below: raw.red_below.unwrap_or(d.red_below),
    };
    if !(0.0..=1.0).contains(&t.min_similarity) {
        problems.push("tasks.min_similarity 应在 0 到 1 之间".to_string());
    }
    if !(0.0..=1.0).contains(&t.green_at) || !(0.0..=t.green_at).contains(&t.red_below) {
        problems.push("tasks: 需 0 ≤ red_below ≤ green_at ≤ 1".to_string());
    }
    t
}

/// `[notice]` with its defaults; problems are added to `problems`.
fn notice_spec(raw: Option<&RawNotice>, issuer: &str, problems: &mut Vec<String>) -> NoticeSpec {
    let get = |f: fn(&RawNotice) -> Option<&String>| raw.and_then(f).map(|v| v.trim().to_string());
    let title = get(|n| n.title.as_ref()).unwrap_or_else(|| NOTICE_TITLE.to_string());
    if title.trim().is_empty() || title.chars().any(|c| "/\\:*?\"<>|".contains(c)) {
        problems.push(format!(
            "notice.title “{title}” 不能为空，也不能含 / \\ : * ? \" < > |（它也是文件名）"
        ));
    }
    let mut recipients =
        get(|n| n.recipients.as_ref()).unwrap_or_else(|| NOTICE_RECIPIENTS.to_string());
    if recipients.is_empty() {
        problems.push("notice.recipients（主送机关）不能为空".to_string());
    } else if !recipients.ends_with('：') {
        recipients = format!("{}：", recipients.trim_end_matches([':', '：']));
    }
    let office = get(|n| n.office.as_ref()).unwrap_or_else(|| issuer.to_string());
    if office.is_empty() {
        problems.push("notice.office（发文机关署名）不能为空".to_string());
    }
    let date_day = raw.and_then(|n| n.date_day).unwrap_or(10);
    if !(1..=28).contains(&date_day) {
        problems.push(format!(
            "notice.date_day = {date_day} 应为 1-28（成文日期为季度结束后次月的第几日）"
        ));
    }
    let names_per_unit = raw.and_then(|n| n.names_per_unit).unwrap_or(2);
    if !(1..=20).contains(&names_per_unit) {
        problems.push(format!(
            "notice.names_per_unit = {names_per_unit} 应为 1-20"
        ));
    }
    NoticeSpec {
        title,
        recipients,
        office,
        date_day,
        names_per_unit,
    }
}

/// `[feedback]`: a deadline day that exists in every month, a contact line
/// that is one line.
fn feedback_settings(raw: Option<RawFeedback>, problems: &mut Vec<String>) -> FeedbackSettings {
    let Some(raw) = raw else {
        return FeedbackSettings::default();
    };
    let deadline_day = raw.deadline_day.filter(|d| {
        let ok = (1..=28).contains(d);
        if !ok {
            problems.push(format!(
                "feedback.deadline_day = {d} 应为 1 到 28 之间的日期（期别次月的几号）"
            ));
        }
        ok
    });
    let contact = raw.contact.unwrap_or_default().trim().to_string();
    if contact.contains(['\n', '\r']) || contact.chars().count() > 200 {
        problems.push("feedback.contact 应为一行文字（200 字以内）".to_string());
    }
    FeedbackSettings {
        deadline_day,
        contact,
    }
}

/// Loads every `*.toml` of a folder, sorted by file name.
pub fn load_all(dir: &Path, root: &Path) -> Result<Vec<PipelineSpec>, ConfigError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ConfigError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(ConfigError::NoPipelines(dir.to_path_buf()));
    }
    // Every file is read, and all their problems reported together.
    let (ok, mut bad): (Vec<_>, Vec<_>) = paths
        .iter()
        .map(|p| load_pipeline(p, root))
        .partition(|r| r.is_ok());
    match bad.len() {
        0 => Ok(ok.into_iter().filter_map(Result::ok).collect()),
        1 => Err(bad
            .pop()
            .and_then(Result::err)
            .unwrap_or(ConfigError::NoPipelines(dir.to_path_buf()))),
        _ => Err(ConfigError::Many(
            bad.into_iter().filter_map(Result::err).collect(),
        )),
    }
}

/// Resolves `--pipeline` values: an id of a pipeline in `dir`, or a path to a TOML file.
pub fn select(
    dir: &Path,
    root: &Path,
    wanted: &[String],
) -> Result<Vec<PipelineSpec>, ConfigError> {
    if wanted.is_empty() {
        return load_all(dir, root);
    }
    let all = load_all(dir, root);
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for w in wanted {
        let p = Path::new(w);
        if p.extension().is_some_and(|x| x == "toml") && p.exists() {
            match load_pipeline(p, root) {
                Ok(s) => out.push(s),
                Err(e) => problems.push(e),
            }
        } else if let Some(s) = all
            .as_ref()
            .ok()
            .and_then(|a| a.iter().find(|s| &s.id == w))
        {
            out.push(s.clone());
        } else if let Err(e) = &all {
            // The id may be in a file that failed: say why, not "not found".
            problems.push(ConfigError::Parse {
                path: dir.to_path_buf(),
                message: format!("找不到流水线 {w}，且该目录的配置文件有问题：{e}"),
            });
        } else {
            problems.push(ConfigError::NotFound(w.clone()));
        }
    }
    match problems.len() {
        0 => Ok(out),
        1 => Err(problems.remove(0)),
        _ => Err(ConfigError::Many(problems)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn problems_of_every_file_are_reported_together() {
        let d = tempfile::tempdir().unwrap();
        let good = std::fs::read_to_string(root().join("pipelines/new-infra.toml")).unwrap();
        std::fs::write(
            d.path().join("a.toml"),
            good.replace("year = 2023", "year = \"x\""),
        )
        .unwrap();
        std::fs::write(d.path().join("b.toml"), "id = ").unwrap();
        std::fs::write(d.path().join("c.toml"), &good).unwrap();
        let e = load_all(d.path(), &root()).unwrap_err().to_string();
        assert!(e.contains("a.toml") && e.contains("b.toml"), "{e}");
        assert!(e.starts_with("2 个流水线配置文件有问题"), "{e}");
    }

    #[test]
    fn library_label_does_not_double_xiangmu() {
        assert_eq!(library_label("新基建项目"), "新基建项目库");
        assert_eq!(library_label("数字经济重点项目"), "数字经济重点项目库");
        assert_eq!(library_label("工作任务"), "工作任务项目库");
    }

    #[test]
    fn shipped_pipelines_load() {
        let all = load_all(&root().join("pipelines"), &root()).unwrap();
        let ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["digital-economy", "new-infra", "work-plan"]);
        let ni = &all[1];
        assert_eq!(ni.annual_target_yuan, 60_000_000_000);
        assert_eq!(ni.default_unit, MoneyUnit::Wan);
    }

    #[test]
    fn synonyms_with_placeholders() {
        let all = load_all(&root().join("pipelines"), &root()).unwrap();
        let s = &all[1];
        let key = |h: &str| crate::text::split_header_unit(&header_key(h)).0;
        let f = |h: &str| s.match_header(&key(h)).map(|f| f.key.clone());
        assert_eq!(f("1-7月累计完成投资（万元）").as_deref(), Some("ytd_done"));
        assert_eq!(f("1-  月累计完成投资").as_deref(), Some("ytd_done"));
        assert_eq!(
            f("2023年1-12月累计完成投资(万元)").as_deref(),
            Some("ytd_done")
        );
        assert_eq!(f("7月完成投资").as_deref(), Some("month_done"));
        assert_eq!(
            f("2023年计划投资\n（万元）").as_deref(),
            Some("annual_plan")
        );
        assert_eq!(
            f("总投资        (万元)").as_deref(),
            Some("total_investment")
        );
        assert_eq!(f("所在县（区）").as_deref(), Some("county"));
        assert_eq!(f("项目名称").as_deref(), Some("name"));
        assert_eq!(f("天气"), None);
    }

    #[test]
    fn notice_settings_have_defaults_and_are_checked() {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(root.join("pipelines/new-infra.toml")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.toml");
        // Without [notice]: the defaults, the issuer signs.
        let start = text.find("[notice]").unwrap();
        let end = start + text[start..].find("[checks]").unwrap();
        std::fs::write(&p, format!("{}{}", &text[..start], &text[end..])).unwrap();
        let s = load_pipeline(&p, &root).unwrap();
        assert_eq!(s.notice.title, NOTICE_TITLE);
        assert_eq!(s.notice.recipients, NOTICE_RECIPIENTS);
        assert_eq!(s.notice.office, s.issuer);
        assert_eq!((s.notice.date_day, s.notice.names_per_unit), (10, 2));
        // A 主送 line without its colon gets one; bad values are all reported.
        let bad = text
            .replace("date_day = 10", "date_day = 31")
            .replace("names_per_unit = 2", "names_per_unit = 0")
            .replace("省直有关部门：\"", "省直有关部门\"")
            .replace("\\n推进情况的通报", "/推进情况的通报");
        std::fs::write(&p, &bad).unwrap();
        let err = load_pipeline(&p, &root).unwrap_err().to_string();
        for want in [
            "notice.date_day = 31",
            "notice.names_per_unit = 0",
            "notice.title",
        ] {
            assert!(err.contains(want), "{want}: {err}");
        }
        let fixed = text.replace("省直有关部门：\"", "省直有关部门\"");
        std::fs::write(&p, &fixed).unwrap();
        let s = load_pipeline(&p, &root).unwrap();
        assert_eq!(
            s.notice.recipients,
            "各设区市发展改革委、赣江新区经发局，省直有关部门："
        );
    }

    #[test]
    fn feedback_settings_are_read_and_checked() {
        let all = load_all(&root().join("pipelines"), &root()).unwrap();
        for s in &all {
            assert_eq!(s.feedback.deadline_day, Some(8), "{}", s.id);
            assert!(!s.feedback.contact.is_empty(), "{}", s.id);
        }
        let good = std::fs::read_to_string(root().join("pipelines/new-infra.toml")).unwrap();
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.toml");
        let bad = good
            .replace("deadline_day = 8", "deadline_day = 31")
            .replace("contact = \"", "contact = \"两行\\n");
        std::fs::write(&p, bad).unwrap();
        let err = load_pipeline(&p, &root()).unwrap_err().to_string();
        assert!(err.contains("feedback.deadline_day = 31"), "{err}");
        assert!(err.contains("feedback.contact"), "{err}");
    }

    #[test]
    fn library_versions_are_checked_and_picked_by_month() {
        let good = std::fs::read_to_string(root().join("pipelines/new-infra.toml")).unwrap();
        let spec = load_pipeline(&root().join("pipelines/new-infra.toml"), &root()).unwrap();
        let ym = |month| YearMonth { year: 2023, month };
        assert_eq!(spec.library_for(ym(6)), (spec.library.as_path(), None));
        let (path, from) = spec.library_for(ym(7));
        assert!(path.ends_with("seeds/new-infra-library-2023-07.xlsx"));
        assert_eq!(from, Some(ym(7)));
        assert_eq!(spec.library_for(ym(12)).1, Some(ym(7)));

        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.toml");
        let line = "library_versions = [{ from = \"2023-07\", path = \"seeds/new-infra-library-2023-07.xlsx\" }]";
        assert!(good.contains(line));
        let bad = good.replace(
            line,
            "library_versions = [{ from = \"2023-08\", path = \"a.xlsx\" }, { from = \"2023-05\", path = \"b.xlsx\" }, { from = \"五月\", path = \"c.xlsx\" }, { from = \"2024-01\", path = \"d.xlsx\" }]",
        );
        std::fs::write(&p, bad).unwrap();
        let err = load_pipeline(&p, &root()).unwrap_err().to_string();
        assert!(err.contains("2023-05 不应在 2023-08 之后"), "{err}");
        assert!(err.contains("from = \"五月\" 不是月份"), "{err}");
        assert!(
            err.contains("from = \"2024-01\" 不在本流水线的年度 2023 年内"),
            "{err}"
        );
    }

    #[test]
    fn bad_pipeline_reports_every_problem() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.toml");
        std::fs::write(
            &p,
            r#"id = "bad id"
name = "x"
year = 2023
library = "x.xlsx"
annual_target = "很多"
default_unit = "美元"
issuer = "x"
[reports]
monthly = "a"
quarterly = "b"
feedback = "c"
monthly_title = "d"
quarterly_title = "e"
[[field]]
key = "code"
kind = "money"
synonyms = ["项目代码"]
"#,
        )
        .unwrap();
        let err = load_pipeline(&p, dir.path()).unwrap_err().to_string();
        assert!(err.contains("id “bad id”"), "{err}");
        assert!(err.contains("annual_target"), "{err}");
        assert!(err.contains("default_unit"), "{err}");
        assert!(err.contains("字段 code 的 kind"), "{err}");
        assert!(err.contains("缺少必需字段 name"), "{err}");
    }
}
