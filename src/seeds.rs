//! Master data: the reporting units with their aliases (`seeds/units.toml`) and
//! each program's project library (an `.xlsx` in the commission's layout, read
//! through the same ingest and header discovery as the ledgers).

use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::PipelineSpec;
use crate::model::{Cell, Nature};
use crate::parse::{clean_code, is_project_code, YearMonth, Yuan};
use crate::pipeline::header::{locate, unit_line};
use crate::pipeline::money::{money_value, MoneyValue};
use crate::text::{clean_cell_text, name_key, strip_spaces, strip_trailing_paren};

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("无法读取 {path}：{source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("单位表 {path} 格式错误：{message}")]
    Units { path: PathBuf, message: String },
    #[error("项目库 {path} 无法读取：{message}")]
    Library { path: PathBuf, message: String },
    #[error("项目库 {path} 有 {} 处问题：\n  - {}", .problems.len(), .problems.join("\n  - "))]
    LibraryRows {
        path: PathBuf,
        problems: Vec<String>,
    },
    /// A library that failed on the background loader, as its message.
    #[error("{0}")]
    Loaded(String),
}

/// The selected programs' project libraries (each spec's `library` and its
/// `library_versions`), loaded on a background thread so a large library is
/// read while the inbox is: [`Libraries::get`] waits for them.
pub struct Libraries {
    loaded: std::sync::OnceLock<Result<Loaded, String>>,
    pending: std::sync::Mutex<Option<Loader>>,
}

/// Every library of the selected programs: `base[si]` from `library`,
/// `versions[si][k]` from `library_versions[k]`.
#[derive(Default)]
struct Loaded {
    base: Vec<Library>,
    versions: Vec<Vec<(YearMonth, Library)>>,
}

/// Reads one library file of a program (per kind: `kinds::load_library`).
pub type LoadFn = fn(&PipelineSpec, &Path, &Units) -> Result<Library, SeedError>;

/// The background thread loading the libraries.
type Loader = std::thread::JoinHandle<Result<Loaded, SeedError>>;

impl Libraries {
    /// Starts loading the libraries of every spec (in spec order), each file
    /// read by `load` (the kind's reader: `kinds::load_library`).
    pub fn spawn(specs: &[PipelineSpec], units: &Units, load: LoadFn) -> Libraries {
        let (specs, units) = (specs.to_vec(), units.clone());
        let handle = std::thread::spawn(move || {
            let mut all = Loaded::default();
            for s in &specs {
                all.base.push(load(s, &s.library, &units)?);
                let versions = s
                    .library_versions
                    .iter()
                    .map(|v| Ok((v.from, load(s, &v.path, &units)?)))
                    .collect::<Result<Vec<_>, SeedError>>()?;
                all.versions.push(versions);
            }
            Ok(all)
        });
        Libraries {
            loaded: std::sync::OnceLock::new(),
            pending: std::sync::Mutex::new(Some(handle)),
        }
    }

    fn loaded(&self) -> Result<&Loaded, SeedError> {
        let loaded = self.loaded.get_or_init(|| {
            let handle = self.pending.lock().ok().and_then(|mut h| h.take());
            match handle.map(|h| h.join()) {
                Some(Ok(Ok(libs))) => Ok(libs),
                Some(Ok(Err(e))) => Err(e.to_string()),
                Some(Err(_)) | None => Err("项目库加载中断（内部错误），请重试".to_string()),
            }
        });
        loaded.as_ref().map_err(|m| SeedError::Loaded(m.clone()))
    }

    /// The libraries of `library`, in spec order, once loaded.
    pub fn get(&self) -> Result<&[Library], SeedError> {
        self.loaded().map(|l| l.base.as_slice())
    }

    /// The library of spec `si` a period uses: the latest version whose
    /// `from` ≤ the period, else `library` (as `PipelineSpec::library_for`).
    pub fn for_period(&self, si: usize, period: YearMonth) -> Result<&Library, SeedError> {
        let l = self.loaded()?;
        let version = l
            .versions
            .get(si)
            .and_then(|v| v.iter().rfind(|(from, _)| *from <= period));
        match version {
            Some((_, lib)) => Ok(lib),
            None => l
                .base
                .get(si)
                .ok_or_else(|| SeedError::Loaded("项目库未加载（内部错误）".to_string())),
        }
    }
}

impl From<&Project> for crate::model::LibraryRow {
    fn from(p: &Project) -> Self {
        crate::model::LibraryRow {
            code: p.code.clone(),
            name: p.name.clone(),
            batch: p.batch.clone(),
            unit_id: p.unit_id.clone(),
            unit: p.unit.clone(),
            county: p.county.clone(),
            category: p.category.clone(),
            owner: p.owner.clone(),
            nature: p.nature,
            years: p.years.clone(),
            total: p.total_investment,
            annual: p.annual_plan,
            start: p.planned_start.map(|m| m.to_string()),
            end_year: p.end_year,
        }
    }
}

impl From<&crate::model::LibraryRow> for Project {
    fn from(r: &crate::model::LibraryRow) -> Self {
        Project {
            code: r.code.clone(),
            name: r.name.clone(),
            batch: r.batch.clone(),
            unit_id: r.unit_id.clone(),
            unit: r.unit.clone(),
            county: r.county.clone(),
            category: r.category.clone(),
            owner: r.owner.clone(),
            nature: r.nature,
            years: r.years.clone(),
            total_investment: r.total,
            annual_plan: r.annual,
            planned_start: r
                .start
                .as_deref()
                .and_then(crate::model::Period::parse_period),
            end_year: r.end_year,
        }
    }
}

/// A reporting unit (填报单位).
#[derive(Debug, Clone, Deserialize)]
pub struct Unit {
    pub id: String,
    pub name: String,
    pub short: String,
    pub kind: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub counties: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct RawUnits {
    unit: Vec<Unit>,
}

/// All units, with alias lookup.
#[derive(Debug, Clone, Default)]
pub struct Units {
    pub list: Vec<Unit>,
    /// (normalised alias, index), longest alias first.
    aliases: Vec<(String, usize)>,
}

impl Unit {
    /// One of the 11 设区市.
    pub fn is_city(&self) -> bool {
        self.kind == "city"
    }

    /// A provincial department such as 省通信管理局.
    pub fn is_department(&self) -> bool {
        self.kind == "department"
    }
}

impl Units {
    pub fn load(path: &Path) -> Result<Units, SeedError> {
        let text = std::fs::read_to_string(path).map_err(|source| SeedError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Units::parse(&text, path)
    }

    /// Parses the text of a units file; `path` is only named in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Units, SeedError> {
        let raw: RawUnits = toml::from_str(text).map_err(|e| SeedError::Units {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        if raw.unit.is_empty() {
            return Err(SeedError::Units {
                path: path.to_path_buf(),
                message: "没有任何 [[unit]]".to_string(),
            });
        }
        Ok(Units::new(raw.unit))
    }

    pub fn new(list: Vec<Unit>) -> Units {
        let mut aliases = Vec::new();
        for (i, u) in list.iter().enumerate() {
            for a in u.aliases.iter().chain([&u.name, &u.short]) {
                aliases.push((strip_spaces(a), i));
            }
        }
        aliases.sort_by(|a, b| {
            b.0.chars()
                .count()
                .cmp(&a.0.chars().count())
                .then(a.0.cmp(&b.0))
        });
        aliases.dedup();
        Units { list, aliases }
    }

    pub fn by_id(&self, id: &str) -> Option<&Unit> {
        self.list.iter().find(|u| u.id == id)
    }

    /// Exact match of a whole value (`南昌市发改委`) to a unit.
    pub fn find_exact(&self, text: &str) -> Option<&Unit> {
        let t = strip_spaces(text);
        self.aliases
            .iter()
            .find(|(a, _)| *a == t)
            .map(|(_, i)| &self.list[*i])
    }

    /// The unit named anywhere in a text (file name, 填报单位 line): exact first,
    /// else the longest alias it contains.
    pub fn find_in(&self, text: &str) -> Option<&Unit> {
        if let Some(u) = self.find_exact(text) {
            return Some(u);
        }
        let t = strip_spaces(text);
        self.aliases
            .iter()
            .filter(|(a, _)| a.chars().count() >= 2)
            .find(|(a, _)| t.contains(a.as_str()))
            .map(|(_, i)| &self.list[*i])
    }
}

/// A project of the library.
#[derive(Debug, Clone)]
pub struct Project {
    pub code: String,
    pub name: String,
    pub batch: String,
    pub unit_id: String,
    pub unit: String,
    pub county: String,
    pub category: String,
    pub owner: String,
    pub nature: Nature,
    pub years: String,
    pub total_investment: Yuan,
    pub annual_plan: Yuan,
    pub planned_start: Option<YearMonth>,
    /// Last year of 建设年限, when it states one.
    pub end_year: Option<i32>,
}

/// A program's project library with lookups.
#[derive(Debug, Clone, Default)]
pub struct Library {
    pub projects: Vec<Project>,
    /// A tasks-kind program's plan (its items); `projects` is then empty.
    pub plan: Option<std::sync::Arc<crate::model::tasks::Plan>>,
    code_index: HashMap<String, usize>,
    /// Normalised and loose name → project, built on the first lookup by name
    /// (most months every row carries a valid code and none is needed).
    name_indexes: std::sync::OnceLock<NameIndexes>,
    /// Name bigram → projects holding it, built on the first closest-name
    /// lookup: a lookup costs the postings of its own bigrams, never a scan
    /// of the library.
    bigram_index: std::sync::OnceLock<BigramIndex>,
}

#[derive(Debug, Clone, Default)]
struct BigramIndex {
    postings: HashMap<(char, char), Vec<u32>>,
    /// Bigrams (with repeats) of each project's name key.
    lens: Vec<u32>,
}

#[derive(Debug, Clone, Default)]
struct NameIndexes {
    exact: HashMap<String, usize>,
    loose: HashMap<String, usize>,
}

/// How a ledger row was matched to the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameMatch {
    Exact,
    /// Equal once markers (★) and a trailing （…段） are dropped.
    Loose,
}

impl Library {
    pub fn new(projects: Vec<Project>) -> Library {
        let mut lib = Library {
            projects,
            ..Default::default()
        };
        lib.code_index.reserve(lib.projects.len());
        for (i, p) in lib.projects.iter().enumerate() {
            lib.code_index.insert(p.code.clone(), i);
        }
        lib
    }

    /// The library of a tasks-kind program: its plan, no projects.
    pub fn of_plan(plan: crate::model::tasks::Plan) -> Library {
        Library {
            plan: Some(std::sync::Arc::new(plan)),
            ..Default::default()
        }
    }

    pub fn by_code(&self, code: &str) -> Option<&Project> {
        self.index_of(code).map(|i| &self.projects[i])
    }

    /// Position in `projects` of the project with this code.
    pub fn index_of(&self, code: &str) -> Option<usize> {
        self.code_index.get(code).copied()
    }

    /// Finds a project by name: exact (normalised), then loose.
    pub fn by_name(&self, name: &str) -> Option<(&Project, NameMatch)> {
        let ix = self.name_indexes.get_or_init(|| {
            let mut ix = NameIndexes::default();
            for (i, p) in self.projects.iter().enumerate() {
                ix.exact.entry(name_key(&p.name)).or_insert(i);
                ix.loose.entry(loose_key(&p.name)).or_insert(i);
            }
            ix
        });
        if let Some(i) = ix.exact.get(&name_key(name)) {
            return Some((&self.projects[*i], NameMatch::Exact));
        }
        ix.loose
            .get(&loose_key(name))
            .map(|i| (&self.projects[*i], NameMatch::Loose))
    }

    /// The library name closest to `name` (character-bigram Dice ≥ 0.5, the
    /// first of equals in library order), for messages.
    pub fn closest_name(&self, name: &str) -> Option<&Project> {
        let a = bigrams(&name_key(name));
        if a.is_empty() {
            return None;
        }
        let ix = self.bigram_index.get_or_init(|| {
            let mut ix = BigramIndex::default();
            for (i, p) in self.projects.iter().enumerate() {
                let mut b = bigrams(&name_key(&p.name));
                ix.lens.push(b.len() as u32);
                b.sort_unstable();
                b.dedup();
                for g in b {
                    ix.postings.entry(g).or_default().push(i as u32);
                }
            }
            ix
        });
        // common(p) = Σ over the query's bigrams (with repeats) of [bigram in p].
        let mut distinct = a.clone();
        distinct.sort_unstable();
        let mut common: HashMap<u32, u32> = HashMap::new();
        for run in distinct.chunk_by(|x, y| x == y) {
            for &p in ix.postings.get(&run[0]).into_iter().flatten() {
                *common.entry(p).or_default() += run.len() as u32;
            }
        }
        let mut best: Option<(f64, u32)> = None;
        for (p, c) in common {
            let score = 2.0 * c as f64 / (a.len() as f64 + ix.lens[p as usize] as f64);
            let better = match best {
                None => true,
                Some((s, q)) => score > s || (score == s && p < q),
            };
            if score >= 0.5 && better {
                best = Some((score, p));
            }
        }
        best.map(|(_, p)| &self.projects[p as usize])
    }

    /// Units (ids) owning projects, in first-seen order of the units list.
    pub fn unit_ids(&self, units: &Units) -> Vec<String> {
        let owning: std::collections::HashSet<&str> = self
            .projects
            .iter()
            .map(|p| p.unit_id.as_str())
            .chain(
                self.plan
                    .iter()
                    .flat_map(|p| p.items.iter())
                    .flat_map(|i| i.units.iter().map(String::as_str)),
            )
            .collect();
        units
            .list
            .iter()
            .filter(|u| owning.contains(u.id.as_str()))
            .map(|u| u.id.clone())
            .collect()
    }
}

fn loose_key(name: &str) -> String {
    let k = name_key(name);
    strip_trailing_paren(&k).to_string()
}

fn bigrams(s: &str) -> Vec<(char, char)> {
    let c: Vec<char> = s.chars().collect();
    c.windows(2).map(|w| (w[0], w[1])).collect()
}

fn years_end(s: &str) -> Option<i32> {
    let digits: Vec<i32> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| p.len() == 4)
        .filter_map(|p| p.parse().ok())
        .collect();
    digits.last().copied()
}

/// Reads a program's library workbook (headers as in spec §3; synonyms allowed).
pub fn load_library(path: &Path, spec: &PipelineSpec, units: &Units) -> Result<Library, SeedError> {
    let lib_err = |message: String| SeedError::Library {
        path: path.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|source| SeedError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let format = crate::pipeline::inbox::sniff(&bytes, &path.to_string_lossy());
    let raw = crate::pipeline::ingest::read(format, &bytes).map_err(|e| lib_err(e.to_string()))?;
    let mut problems = Vec::new();
    let mut projects = Vec::new();
    let mut found = false;
    for sheet in raw.sheets.iter().filter(|s| s.visible) {
        let Some(layout) = locate(sheet, spec, 4) else {
            continue;
        };
        found = true;
        let col = |k: &str| {
            layout
                .columns
                .iter()
                .find(|c| c.field == k)
                .map(|c| (c.col, c.unit))
        };
        let sheet_unit = (0..layout.header_top)
            .flat_map(|r| sheet.rows.get(r as usize).into_iter().flatten())
            .find_map(|c| match c {
                Cell::Text(s) => unit_line(s),
                _ => None,
            })
            .unwrap_or(spec.default_unit);
        for k in ["code", "name", "unit", "annual_plan"] {
            if col(k).is_none() {
                problems.push(format!(
                    "工作表“{}”缺少“{}”列",
                    sheet.name,
                    spec.field(k)
                        .and_then(|f| f.synonyms.first())
                        .map_or(k, |s| s.as_str())
                ));
            }
        }
        if !problems.is_empty() {
            break;
        }
        for r in layout.header_bottom + 1..sheet.rows.len() as u32 {
            let text = |k: &str| -> String {
                col(k)
                    .map(|(c, _)| match sheet.cell(r, c) {
                        Cell::Text(s) => clean_cell_text(s),
                        Cell::Number(f) => format!("{f}"),
                        _ => String::new(),
                    })
                    .unwrap_or_default()
            };
            let addr = |k: &str| crate::text::a1(r, col(k).map_or(0, |(c, _)| c));
            let code = clean_code(&text("code"));
            let name = text("name");
            if code.is_empty() && name.is_empty() {
                continue;
            }
            if !is_project_code(&code) {
                problems.push(format!(
                    "{} 项目代码“{code}”格式不符（YYYY-AAAAAA-II-TT-NNNNNN）",
                    addr("code")
                ));
                continue;
            }
            let money = |k: &str| -> Result<Yuan, String> {
                let Some((c, u)) = col(k) else { return Ok(0) };
                match money_value(sheet.cell(r, c), u.unwrap_or(sheet_unit)) {
                    MoneyValue::Value(v) | MoneyValue::Converted(v, _) => Ok(v),
                    MoneyValue::Empty => Ok(0),
                    MoneyValue::Bad(_, d) => Err(format!("{} {d}", addr(k))),
                }
            };
            let unit_text = text("unit");
            let Some(unit) = units.find_in(&unit_text) else {
                problems.push(format!(
                    "{} 责任单位“{unit_text}”不在单位表中",
                    addr("unit")
                ));
                continue;
            };
            let (total, plan) = match (money("total_investment"), money("annual_plan")) {
                (Ok(t), Ok(p)) => (t, p),
                (Err(e), _) | (_, Err(e)) => {
                    problems.push(e);
                    continue;
                }
            };
            let planned = text("planned_start");
            let years = text("years");
            projects.push(Project {
                code,
                name,
                batch: text("batch"),
                unit_id: unit.id.clone(),
                unit: unit.name.clone(),
                county: text("county"),
                category: text("category"),
                owner: text("owner"),
                nature: crate::parse::Nature::parse(&text("nature")).unwrap_or(Nature::Continuing),
                end_year: years_end(&years),
                years,
                total_investment: total,
                annual_plan: plan,
                planned_start: crate::parse::parse_month_text(&planned).or_else(|| {
                    col("planned_start").and_then(|(c, _)| match sheet.cell(r, c) {
                        Cell::Date(f) | Cell::Number(f) => {
                            crate::parse::month_from_serial(*f, raw.is_1904)
                        }
                        _ => None,
                    })
                }),
            });
        }
        break;
    }
    if !found {
        return Err(lib_err(
            "没有找到项目库表头（需有 项目代码、项目名称、责任单位、年度计划投资 等列）"
                .to_string(),
        ));
    }
    // Kept for the whole run: no room left over from growing.
    projects.shrink_to_fit();
    let mut seen = std::collections::HashSet::new();
    for p in &projects {
        if !seen.insert(p.code.clone()) {
            problems.push(format!("项目代码 {} 重复", p.code));
        }
    }
    if !problems.is_empty() {
        return Err(SeedError::LibraryRows {
            path: path.to_path_buf(),
            problems,
        });
    }
    Ok(Library::new(projects))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units() -> Units {
        Units::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds/units.toml")).unwrap()
    }

    #[test]
    fn closest_name_by_index_matches_a_full_scan() {
        let names = [
            "南昌城市大脑二期",
            "南昌城市大脑",
            "九江数据中心",
            "赣州5G基站建设",
            "赣州5G基站",
        ];
        let projects: Vec<Project> = names
            .iter()
            .enumerate()
            .map(|(i, n)| Project {
                code: format!("2023-360100-64-01-{i:06}"),
                name: n.to_string(),
                batch: String::new(),
                unit_id: String::new(),
                unit: String::new(),
                county: String::new(),
                category: String::new(),
                owner: String::new(),
                nature: Nature::Continuing,
                years: String::new(),
                total_investment: 0,
                annual_plan: 0,
                planned_start: None,
                end_year: None,
            })
            .collect();
        let lib = Library::new(projects.clone());
        let scan = |q: &str| {
            let a = bigrams(&name_key(q));
            let mut best: Option<(f64, usize)> = None;
            for (i, p) in projects.iter().enumerate() {
                let b = bigrams(&name_key(&p.name));
                let c = a.iter().filter(|x| b.contains(x)).count();
                let s = 2.0 * c as f64 / (a.len() + b.len()) as f64;
                if s >= 0.5 && best.is_none_or(|(t, _)| s > t) {
                    best = Some((s, i));
                }
            }
            best.map(|(_, i)| projects[i].code.clone())
        };
        for q in [
            "南昌城市大脑",
            "南昌城市大脑三期",
            "赣州5G基站",
            "九江数据",
            "无关名称",
            "大脑大脑大脑",
            "",
        ] {
            assert_eq!(lib.closest_name(q).map(|p| p.code.clone()), scan(q), "{q}");
        }
    }

    #[test]
    fn unit_aliases() {
        let u = units();
        assert_eq!(u.list.len(), 31);
        assert_eq!(u.find_in("南昌市发展和改革委员会").unwrap().id, "360100");
        assert_eq!(
            u.find_in("附件1：九江市2023年1-7月数字经济重点项目进展情况.xlsx")
                .unwrap()
                .id,
            "360400"
        );
        assert_eq!(u.find_in("赣江新区管委会").unwrap().id, "GJXQ");
        assert!(u.find_in("洪城").is_none());
        assert_eq!(u.find_exact(" 南 昌 ").unwrap().id, "360100");
    }

    #[test]
    fn name_matching() {
        let p = |code: &str, name: &str| Project {
            code: code.into(),
            name: name.into(),
            batch: String::new(),
            unit_id: "360100".into(),
            unit: "南昌市".into(),
            county: String::new(),
            category: String::new(),
            owner: String::new(),
            nature: Nature::New,
            years: String::new(),
            total_investment: 0,
            annual_plan: 0,
            planned_start: None,
            end_year: None,
        };
        let lib = Library::new(vec![
            p("2023-360100-64-01-000001", "九江智能计算中心项目"),
            p("2023-360100-64-01-000002", "宁德至武夷山高速公路"),
        ]);
        assert_eq!(
            lib.by_name("★九江智能计算中心项目").unwrap().1,
            NameMatch::Exact
        );
        assert_eq!(
            lib.by_name("宁德至武夷山高速公路（南平段）").unwrap().1,
            NameMatch::Loose
        );
        assert_eq!(
            lib.closest_name("九江智算中心项目").unwrap().code,
            "2023-360100-64-01-000001"
        );
        assert!(lib.closest_name("完全无关").is_none());
    }
}
