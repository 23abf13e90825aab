//! Benchmark inbox: many new-infra-style ledgers in the same messy layouts as
//! the samples, with synthetic (well-formed) project codes, for throughput
//! tests of the reader. Only the layout is realistic.

use std::path::{Path, PathBuf};

use super::layout::{assignment, variant, VARIANTS};
use super::ledger::{write_ledger, LedgerSpec};
use super::library::Nature;
use super::money::WAN;
use super::names::NI_CATEGORIES;
use super::rng::Rng;
use super::rows::LedgerRow;
use super::truth::Status;
use super::units::{embedded_units, Unit};
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

/// Writes `files` new-infra ledgers of `rows_per_file` data rows each into
/// `dir/2023-07/`, cycling through the layout variants and units.
pub fn write_bench_inbox(
    dir: &Path,
    files: usize,
    rows_per_file: usize,
    seed: u64,
) -> Result<BenchInboxInfo, GenError> {
    let units: Vec<Unit> = embedded_units()?
        .into_iter()
        .filter(|u| u.is_city() || u.id == "GJXQ" || u.is_department())
        .collect();
    let period_dir = dir.join(format!("{YEAR}-07"));
    let month = 7;
    let mut bytes = 0u64;
    let mut rows_total = 0;
    for f in 0..files {
        let unit = &units[f % units.len()];
        let mut assign = assignment(Program::NewInfra, unit);
        assign.variant = f % VARIANTS;
        let layout = variant(assign.variant);
        let mut rng = Rng::derive(seed, &format!("bench/{f}"));
        let rows: Vec<LedgerRow> = (0..rows_per_file)
            .map(|k| synthetic_row(&mut rng, unit, f * rows_per_file + k))
            .collect();
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
    Ok(BenchInboxInfo {
        period_dir,
        files,
        rows: rows_total,
        bytes,
    })
}

/// A synthetic, internally consistent row numbered `serial`.
fn synthetic_row(rng: &mut Rng, unit: &Unit, serial: usize) -> LedgerRow {
    let area = if unit.is_city() {
        unit.id.clone()
    } else if unit.is_department() {
        "360000".to_string()
    } else {
        "360111".to_string()
    };
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
