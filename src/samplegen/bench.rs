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
    /// The period folder (`dir/2023-07`).
    pub period_dir: PathBuf,
    pub files: usize,
    /// Data rows in all files.
    pub rows: usize,
    /// Bytes written.
    pub bytes: u64,
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

/// Writes a bench root into `dir`: `seeds/units.toml` (one synthetic unit per
/// file), `seeds/new-infra-library.xlsx` (every bench project) and
/// `inbox/2023-07/` with `files` ledgers of `rows_per_file` data rows each,
/// cycling through the layout variants.
pub fn write_bench_inbox(
    dir: &Path,
    files: usize,
    rows_per_file: usize,
    seed: u64,
) -> Result<BenchInboxInfo, GenError> {
    let units: Vec<Unit> = (0..files).map(bench_unit).collect();
    let period_dir = dir.join("inbox").join(format!("{YEAR}-07"));
    let month = 7;
    let mut bytes = 0u64;
    let mut rows_total = 0;
    let mut projects = Vec::with_capacity(files * rows_per_file);
    for (f, unit) in units.iter().enumerate() {
        let mut assign = assignment(Program::NewInfra, unit);
        assign.variant = f % VARIANTS;
        let layout = variant(assign.variant);
        let mut rng = Rng::derive(seed, &format!("bench/{f}"));
        let rows: Vec<LedgerRow> = (0..rows_per_file)
            .map(|k| synthetic_row(&mut rng, unit, f * rows_per_file + k))
            .collect();
        projects.extend(rows.iter().map(|r| Project {
            code: r.code.clone(),
            name: r.name.clone(),
            batch: None,
            unit: f,
            county: r.county.clone(),
            category: r.category,
            owner: r.owner.clone(),
            nature: Nature::Continuing,
            years: (2022, 2025),
            total: r.total,
            annual: r.annual,
            planned_start: None,
        }));
        let spec = LedgerSpec {
            program: Program::NewInfra,
            unit,
            layout: &layout,
            assignment: assign,
            year: YEAR,
            month,
            fill_day: 3 + (f % 6) as u32,
            signers: signers(Program::NewInfra, unit),
            rows: &rows,
            file_prefix: format!("{f:05}-"),
        };
        let written = write_ledger(&spec, &period_dir)?;
        bytes += written.bytes as u64;
        rows_total += rows.len();
    }
    let seeds = dir.join("seeds");
    std::fs::create_dir_all(&seeds).map_err(|source| GenError::Io {
        path: seeds.display().to_string(),
        source,
    })?;
    let units_path = seeds.join("units.toml");
    std::fs::write(&units_path, units_toml(&units)).map_err(|source| GenError::Io {
        path: units_path.display().to_string(),
        source,
    })?;
    write_library(
        &seeds.join("new-infra-library.xlsx"),
        Program::NewInfra,
        &projects,
        &units,
    )?;
    Ok(BenchInboxInfo {
        period_dir,
        files,
        rows: rows_total,
        bytes,
    })
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
