//! Benchmark root: many new-infra-style ledgers in the same messy layouts as
//! the samples, each sent by its own (synthetic) unit, plus the units file and
//! the project library that know every row, so a whole run over it does the
//! work of a real month at scale (every row matched and accepted).

use std::path::{Path, PathBuf};

use super::layout::{assignment, variant, VARIANTS};
use super::ledger::{write_ledger, LedgerSpec};
use super::library::Nature;
use super::library::Project;
use super::libwriter::write_library;
use super::money::WAN;
use super::names::NI_CATEGORIES;
use super::rng::Rng;
use super::rows::LedgerRow;
use super::truth::Status;
use super::units::Unit;
use super::{signers, GenError, Program, YEAR};

/// What [`write_bench_inbox`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchInboxInfo {
    /// The inbox (`dir/inbox`), one folder per month.
    pub inbox: PathBuf,
    /// The month folders written, oldest first (`2023-06`, `2023-07`).
    pub period_dirs: Vec<PathBuf>,
    /// Reporting units.
    pub units: usize,
    /// Files of the last month.
    pub files: usize,
    /// Data rows of the last month.
    pub rows: usize,
    /// Files and data rows of every month.
    pub files_all: usize,
    pub rows_all: usize,
    /// Bytes written, every month.
    pub bytes: u64,
    /// Planted mistakes by kind, every month (empty for a clean inbox).
    pub planted: Vec<(&'static str, usize)>,
}

/// What the bench inbox looks like.
#[derive(Debug, Clone, Copy)]
pub struct BenchShape {
    /// Ledger parts a month (before revisions and 补报 files).
    pub files: usize,
    pub rows_per_file: usize,
    pub seed: u64,
    /// Units sending 3-4 disjoint parts, revisions, 补报 files and about 2%
    /// of rows with each kind of mistake; `false`: one clean file a unit.
    pub messy: bool,
}

/// Synthetic reporting unit number `i` (`测试07市`), one per bench file.
fn bench_unit(i: usize) -> Unit {
    let short = format!("测试{:02}", i + 1);
    let name = format!("{short}市");
    Unit {
        id: format!("36{:04}", 9000 + i),
        aliases: vec![name.clone(), short.clone(), format!("{name}发改委")],
        name,
        short,
        kind: "city".to_string(),
        counties: vec!["测试一区".to_string(), "测试二县".to_string()],
    }
}

fn units_toml(units: &[Unit]) -> String {
    let q = |v: &[String]| {
        v.iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    units
        .iter()
        .map(|u| {
            format!(
                "[[unit]]\nid = \"{}\"\nname = \"{}\"\nshort = \"{}\"\nkind = \"{}\"\naliases = [{}]\ncounties = [{}]\n\n",
                u.id,
                u.name,
                u.short,
                u.kind,
                q(&u.aliases),
                q(&u.counties)
            )
        })
        .collect()
}

/// The planted mistakes, about 2% of rows each (per mille, cumulative draw).
const MISTAKES: [&str; 6] = [
    "unknown_code_near_name",
    "text_in_amount",
    "cumulative_below_last_month",
    "yuan_in_wan_column",
    "another_units_project",
    "duplicate_row",
];
const MISTAKE_PER_MILLE: u64 = 20;

/// Writes a bench root into `dir`: `seeds/units.toml`, `seeds/new-infra-library.xlsx`
/// (every bench project) and `inbox/2023-06/`, `inbox/2023-07/` with
/// `shape.files` ledger parts of `shape.rows_per_file` rows each a month,
/// cycling through the layout variants. A clean inbox has one file a unit; a
/// messy one ([`BenchShape::messy`]) has units sending 3-4 disjoint parts,
/// some units a later full revision of one part or a 补报 file of a few
/// corrected projects, and about 2% of rows with each kind of mistake.
pub fn write_bench_inbox(dir: &Path, shape: BenchShape) -> Result<BenchInboxInfo, GenError> {
    let n_units = if shape.messy {
        (shape.files * 2).div_ceil(7).max(1)
    } else {
        shape.files.max(1)
    };
    let units: Vec<Unit> = (0..n_units).map(bench_unit).collect();
    let base = base_rows(&units, shape);
    let mut info = BenchInboxInfo {
        inbox: dir.join("inbox"),
        period_dirs: Vec::new(),
        units: n_units,
        files: 0,
        rows: 0,
        files_all: 0,
        rows_all: 0,
        bytes: 0,
        planted: MISTAKES.iter().map(|m| (*m, 0)).collect(),
    };
    for month in [6, 7] {
        let period_dir = info.inbox.join(format!("{YEAR}-{month:02}"));
        let parts = month_parts(&base, &units, shape, month, &mut info.planted);
        info.files = parts.len();
        info.rows = parts.iter().map(|p| p.rows.len()).sum();
        for part in &parts {
            info.bytes += write_part(part, &units, month, &period_dir)? as u64;
        }
        info.files_all += info.files;
        info.rows_all += info.rows;
        info.period_dirs.push(period_dir);
    }
    write_seeds(dir, &units, &base)?;
    Ok(info)
}

/// Every part's July rows (true figures), in file order; part `f` belongs
/// to unit `f % units`.
fn base_rows(units: &[Unit], shape: BenchShape) -> Vec<Vec<LedgerRow>> {
    (0..shape.files)
        .map(|f| {
            let unit = &units[f % units.len()];
            let mut rng = Rng::derive(shape.seed, &format!("bench/{f}"));
            (0..shape.rows_per_file)
                .map(|k| synthetic_row(&mut rng, unit, f * shape.rows_per_file + k))
                .collect()
        })
        .collect()
}

/// One file to write.
struct Part {
    unit: usize,
    rows: Vec<LedgerRow>,
    fill_day: u32,
    /// Name prefix (keeps names apart; says 补报 / 修订 for revisions).
    prefix: String,
    variant: usize,
}

/// June's figures of a July row: cumulative less July's month.
fn june_of(r: &LedgerRow) -> LedgerRow {
    let mut j = r.clone();
    j.ytd = r.ytd - r.month;
    j.month = j.ytd / 100 * 20 / 100 * 100;
    j.since_start = r.since_start - r.month;
    j
}

/// The files of one month: parts (with planted mistakes when messy), then
/// the revisions and 补报 files of some units.
fn month_parts(
    base: &[Vec<LedgerRow>],
    units: &[Unit],
    shape: BenchShape,
    month: u32,
    planted: &mut [(&'static str, usize)],
) -> Vec<Part> {
    let n = units.len();
    let mut rng = Rng::derive(shape.seed, &format!("bench/mistakes/{month}"));
    let mut parts: Vec<Part> = base
        .iter()
        .enumerate()
        .map(|(f, rows)| {
            let rows: Vec<LedgerRow> = if month == 7 {
                rows.clone()
            } else {
                rows.iter().map(june_of).collect()
            };
            Part {
                unit: f % n,
                rows,
                fill_day: 3 + (f % 3) as u32,
                prefix: format!("{f:05}-"),
                variant: f % VARIANTS,
            }
        })
        .collect();
    if !shape.messy {
        return parts;
    }
    for f in 0..parts.len() {
        let other = &base[(f + 1) % base.len()];
        let rows = std::mem::take(&mut parts[f].rows);
        parts[f].rows = plant(rows, other, month, &mut rng, planted);
    }
    let mut extra = Vec::new();
    for u in 0..n {
        let Some(first) = (0..parts.len()).find(|&f| parts[f].unit == u) else {
            continue;
        };
        if u % 5 == 1 {
            // A 补报 file of five corrected projects, filed later.
            let rows = parts[first].rows.iter().take(5).map(corrected).collect();
            extra.push(revision(&parts[first], rows, "补报-", 9));
        } else if u % 7 == 3 {
            // The whole first part sent again, one figure corrected.
            let mut rows = parts[first].rows.clone();
            if let Some(r) = rows.first_mut() {
                *r = corrected(r);
            }
            extra.push(revision(&parts[first], rows, "修订-", 10));
        }
    }
    parts.extend(extra);
    parts
}

fn corrected(r: &LedgerRow) -> LedgerRow {
    let mut c = r.clone();
    c.text_override = None;
    c.ytd += WAN;
    c.since_start += WAN;
    c
}

fn revision(of: &Part, rows: Vec<LedgerRow>, tag: &str, fill_day: u32) -> Part {
    Part {
        unit: of.unit,
        rows,
        fill_day,
        prefix: format!("{}{tag}", of.prefix),
        variant: of.variant,
    }
}

/// Plants about 2% of each kind of mistake into a part's rows; `other` is
/// another part (whose projects belong to another unit).
fn plant(
    rows: Vec<LedgerRow>,
    other: &[LedgerRow],
    month: u32,
    rng: &mut Rng,
    planted: &mut [(&'static str, usize)],
) -> Vec<LedgerRow> {
    let mut out = Vec::with_capacity(rows.len() + rows.len() / 20);
    for (k, mut r) in rows.into_iter().enumerate() {
        let kind = rng.below(1000) / MISTAKE_PER_MILLE;
        let kind = usize::try_from(kind).unwrap_or(usize::MAX);
        match kind {
            0 => {
                r.code = r.code.replacen("-64-03-", "-64-09-", 1);
                r.name = format!("{}（一期）", r.name);
            }
            1 => r.text_override = Some((super::rows::Col::Month, "待核实".to_string())),
            2 if month == 7 => {
                r.ytd = (r.ytd - r.month) / 10 * 9;
            }
            3 => {
                r.ytd *= 10_000;
            }
            4 => {
                if let Some(o) = other.get(k) {
                    out.push(r);
                    r = o.clone();
                }
            }
            5 => out.push(r.clone()),
            _ => {}
        }
        if let Some(p) = planted.get_mut(kind).filter(|_| kind != 2 || month == 7) {
            p.1 += 1;
        }
        out.push(r);
    }
    out
}

fn write_part(
    part: &Part,
    units: &[Unit],
    month: u32,
    period_dir: &Path,
) -> Result<usize, GenError> {
    let unit = &units[part.unit];
    let mut assign = assignment(Program::NewInfra, unit);
    assign.variant = part.variant;
    let layout = variant(assign.variant);
    let spec = LedgerSpec {
        program: Program::NewInfra,
        unit,
        layout: &layout,
        assignment: assign,
        year: YEAR,
        month,
        fill_day: part.fill_day,
        signers: signers(Program::NewInfra, unit),
        rows: &part.rows,
        file_prefix: part.prefix.clone(),
    };
    Ok(write_ledger(&spec, period_dir)?.bytes)
}

/// `seeds/units.toml` and the library (every part's projects).
fn write_seeds(dir: &Path, units: &[Unit], base: &[Vec<LedgerRow>]) -> Result<(), GenError> {
    let projects: Vec<Project> = base
        .iter()
        .enumerate()
        .flat_map(|(f, rows)| {
            rows.iter().map(move |r| Project {
                code: r.code.clone(),
                name: r.name.clone(),
                batch: None,
                unit: f % units.len(),
                county: r.county.clone(),
                category: r.category,
                owner: r.owner.clone(),
                nature: Nature::Continuing,
                years: (2022, 2025),
                total: r.total,
                annual: r.annual,
                planned_start: None,
            })
        })
        .collect();
    let seeds = dir.join("seeds");
    std::fs::create_dir_all(&seeds).map_err(|source| GenError::Io {
        path: seeds.display().to_string(),
        source,
    })?;
    let units_path = seeds.join("units.toml");
    std::fs::write(&units_path, units_toml(units)).map_err(|source| GenError::Io {
        path: units_path.display().to_string(),
        source,
    })?;
    write_library(
        &seeds.join("new-infra-library.xlsx"),
        Program::NewInfra,
        &projects,
        units,
    )
}

/// A synthetic, internally consistent row numbered `serial`.
fn synthetic_row(rng: &mut Rng, unit: &Unit, serial: usize) -> LedgerRow {
    let area = unit.id.clone();
    let year = 2019 + (serial / 1_000_000) % 5;
    let code = format!("{year}-{area}-64-03-{:06}", serial % 1_000_000);
    let category = rng.weighted(&[55, 35, 10]);
    let annual = rng.range(500, 60_000) * WAN;
    let ytd = annual / 100 * rng.range(10, 90) / 100 * 100;
    let month_done = ytd / 100 * rng.range(5, 30) / 100 * 100;
    let county = rng.pick(&unit.counties).cloned().unwrap_or_default();
    LedgerRow {
        code,
        name: format!("{}新基建测试项目{serial:06}", unit.short),
        batch: String::new(),
        unit_name: unit.name.clone(),
        unit_short: unit.short.clone(),
        county,
        category,
        category_name: NI_CATEGORIES[category].to_string(),
        owner: format!("江西测试{}科技有限公司", serial % 997),
        nature: Nature::Continuing,
        years: "2022-2025".into(),
        planned_start: String::new(),
        total: annual * 3,
        annual,
        month: month_done,
        ytd,
        since_start: ytd + annual,
        status: Status::Building.label(),
        start: Some((2022, 1 + (serial % 12) as u32, 1 + (serial % 28) as u32)),
        progress: format!("主体施工，完成年度计划{}%", ytd * 100 / annual.max(1)),
        problems: String::new(),
        coordination: String::new(),
        contact: String::new(),
        remark: String::new(),
        text_override: None,
    }
}
