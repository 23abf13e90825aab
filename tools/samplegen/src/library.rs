//! The project libraries (项目库) of the two programs: which projects exist,
//! who owns them, and their planned amounts (spec §3).
//!
//! Everything is drawn from seeded streams, then the annual plans are scaled
//! with integer arithmetic so that they add up exactly to the program's
//! target. Amounts are integer 元, always whole 0.01 万元; totals are whole 万元
//! so that a 亿元 column needs at most four decimals.

use std::collections::BTreeSet;

use super::money::WAN;
use super::names::{self, DE_TRACKS, NI_CATEGORIES, OPERATORS, TELECOM_WORKS};
use super::rng::Rng;
use super::units::Unit;
use super::{GenError, Program};

/// Seed of every stream of the generator.
pub const SEED: u64 = 0x7a69_7a68_616e_6732;

/// Annual-plan target of new-infra: 6,003,218.50 万元 (600.32 亿元).
pub const NI_TARGET_YUAN: i64 = 60_032_185_000;
/// Annual-plan target of digital-economy: 10,126,540.00 万元 (1012.65 亿元).
pub const DE_TARGET_YUAN: i64 = 101_265_400_000;

/// 建设性质.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Nature {
    /// 续建: under construction since an earlier year.
    Continuing,
    /// 新开工: starts in 2023.
    New,
}

impl Nature {
    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Nature::Continuing => "续建",
            Nature::New => "新开工",
        }
    }
}

/// One project of a library.
#[derive(Debug, Clone)]
pub struct Project {
    pub code: String,
    pub name: String,
    /// 1 = 第一批, 2 = 第二批 (digital-economy only).
    pub batch: Option<u8>,
    /// Index of the responsible unit in the units list.
    pub unit: usize,
    pub county: String,
    /// Index into the program's categories.
    pub category: usize,
    pub owner: String,
    pub nature: Nature,
    /// 建设年限 (first year, last year).
    pub years: (i32, i32),
    /// 总投资 in 元.
    pub total: i64,
    /// 年度计划投资 in 元.
    pub annual: i64,
    /// 计划开工 month of 2023 (新开工 only).
    pub planned_start: Option<u32>,
}

impl Project {
    /// 建设年限 text, e.g. `2022-2025`.
    pub fn years_text(&self) -> String {
        format!("{}-{}", self.years.0, self.years.1)
    }

    /// 计划开工时间 text (`2023-03`) or empty.
    pub fn planned_start_text(&self) -> String {
        self.planned_start
            .map(|m| format!("2023-{m:02}"))
            .unwrap_or_default()
    }

    /// 批次 label or empty.
    pub fn batch_label(&self) -> &'static str {
        match self.batch {
            Some(1) => "第一批",
            Some(2) => "第二批",
            _ => "",
        }
    }
}

/// How many projects each unit owns, by unit id.
fn quota(program: Program, unit_id: &str) -> usize {
    let table: &[(&str, usize)] = match program {
        Program::NewInfra => &[
            ("360100", 40),
            ("360200", 16),
            ("360300", 16),
            ("360400", 32),
            ("360500", 14),
            ("360600", 16),
            ("360700", 40),
            ("360800", 28),
            ("360900", 28),
            ("361000", 24),
            ("361100", 32),
            ("GJXQ", 12),
            ("PROV-CA", 12),
        ],
        Program::DigitalEconomy => &[
            ("360100", 22),
            ("360200", 8),
            ("360300", 7),
            ("360400", 16),
            ("360500", 7),
            ("360600", 8),
            ("360700", 20),
            ("360800", 15),
            ("360900", 14),
            ("361000", 12),
            ("361100", 16),
            ("GJXQ", 8),
        ],
    };
    table
        .iter()
        .find(|(id, _)| *id == unit_id)
        .map(|(_, n)| *n)
        .unwrap_or(0)
}

/// The units that report in `program`, as indices into `units`, in file order.
pub fn reporting_units(program: Program, units: &[Unit]) -> Vec<usize> {
    (0..units.len())
        .filter(|&i| quota(program, &units[i].id) > 0)
        .collect()
}

/// Division code used in project codes of a unit's county.
fn area_code(unit: &Unit, county: &str) -> String {
    match unit.id.as_str() {
        "GJXQ" => match county {
            "儒乐湖新城" | "临空组团" => "360112",
            "永修组团" => "360425",
            "共青组团" => "360482",
            _ => "360111",
        }
        .to_string(),
        "PROV-CA" => "360000".to_string(),
        id => id.to_string(),
    }
}

/// Raw annual plan in 元 before scaling (a three-tier size mix).
fn raw_annual(rng: &mut Rng, program: Program, telecom: bool) -> i64 {
    let wan = if telecom {
        rng.range(30_000, 80_000)
    } else {
        let tiers: [(u64, i64, i64); 3] = match program {
            Program::NewInfra => [
                (60, 2_000, 12_000),
                (30, 12_000, 35_000),
                (10, 35_000, 100_000),
            ],
            Program::DigitalEconomy => [
                (45, 8_000, 30_000),
                (40, 30_000, 90_000),
                (15, 90_000, 250_000),
            ],
        };
        let tier = tiers[rng.weighted(&tiers.map(|t| t.0))];
        rng.range(tier.1, tier.2)
    };
    wan * WAN
}

/// Builds a library; `used_codes` / `used_names` keep codes and names unique
/// across programs.
pub fn build_library(
    program: Program,
    units: &[Unit],
    used_codes: &mut BTreeSet<String>,
    used_names: &mut BTreeSet<String>,
) -> Result<Vec<Project>, GenError> {
    let mut rng = Rng::derive(SEED, &format!("library/{}", program.id()));
    let mut projects = Vec::new();
    for ui in reporting_units(program, units) {
        let unit = &units[ui];
        let count = quota(program, &unit.id);
        let mut telecom_works: Vec<(usize, usize)> = (0..OPERATORS.len())
            .flat_map(|o| (0..TELECOM_WORKS.len()).map(move |w| (o, w)))
            .collect();
        rng.shuffle(&mut telecom_works);
        for k in 0..count {
            let county = rng
                .pick(&unit.counties)
                .cloned()
                .unwrap_or_else(|| unit.name.clone());
            let category = match program {
                Program::NewInfra if unit.is_department() => 0,
                Program::NewInfra => rng.weighted(&[55, 35, 10]),
                Program::DigitalEconomy => rng.below(DE_TRACKS.len() as u64) as usize,
            };
            let (name, owner, industry) = if unit.is_department() {
                let (op, work) = telecom_works[k % telecom_works.len()];
                let (opc, opf, _) = OPERATORS[op];
                (
                    format!("{opc}{}", TELECOM_WORKS[work]),
                    opf.to_string(),
                    "63",
                )
            } else {
                let templates = match program {
                    Program::NewInfra => names::ni_templates(category),
                    Program::DigitalEconomy => names::de_templates(category),
                };
                let mut filled = names::fill(&mut rng, templates, unit, &county);
                let mut tries = 0;
                while used_names.contains(&filled.name) && tries < 60 {
                    filled = names::fill(&mut rng, templates, unit, &county);
                    tries += 1;
                }
                (filled.name, filled.owner, filled.industry)
            };
            let name = unique_name(name, used_names);
            let nature = if rng.chance(420) {
                Nature::New
            } else {
                Nature::Continuing
            };
            let years = match nature {
                Nature::New => (2023, 2023 + rng.range(1, 3) as i32),
                Nature::Continuing => {
                    let start = 2019 + rng.weighted(&[1, 2, 3, 4]) as i32;
                    let end = if rng.chance(250) {
                        2023
                    } else {
                        (start + rng.range(2, 5) as i32).max(2024)
                    };
                    (start, end)
                }
            };
            let planned_start = match nature {
                Nature::New => Some(rng.weighted(&[8, 10, 14, 12, 10, 9, 8, 7, 6, 5]) as u32 + 1),
                Nature::Continuing => None,
            };
            let tt = ["01", "02", "03"][rng.weighted(&[2, 1, 7])];
            let mut code;
            loop {
                code = format!(
                    "{}-{}-{industry}-{tt}-{:06}",
                    years.0,
                    area_code(unit, &county),
                    rng.range(100_000, 999_999)
                );
                if used_codes.insert(code.clone()) {
                    break;
                }
            }
            projects.push(Project {
                code,
                name,
                batch: None,
                unit: ui,
                county,
                category,
                owner,
                nature,
                years,
                total: 0,
                annual: raw_annual(&mut rng, program, unit.is_department()),
                planned_start,
            });
        }
    }
    let target = match program {
        Program::NewInfra => NI_TARGET_YUAN,
        Program::DigitalEconomy => DE_TARGET_YUAN,
    };
    scale_annual(&mut projects, target, &mut rng)?;
    for p in &mut projects {
        p.total = total_for(&mut rng, p);
    }
    if program == Program::DigitalEconomy {
        assign_batches(&mut projects, units.len(), 100);
    }
    projects.sort_by(|a, b| {
        (a.batch, a.unit, a.category, a.nature, &a.code)
            .cmp(&(b.batch, b.unit, b.category, b.nature, &b.code))
    });
    Ok(projects)
}

/// Makes a name unique by adding a phase suffix, and records it.
fn unique_name(name: String, used: &mut BTreeSet<String>) -> String {
    let mut candidate = name.clone();
    let mut k = 2;
    while used.contains(&candidate) {
        candidate = format!("{name}（{}期）", names::cn_numeral(k));
        k += 1;
    }
    used.insert(candidate.clone());
    candidate
}

/// Scales the raw annual plans to add up exactly to `target` 元, in whole
/// 万元, then moves a few odd 0.01-万元 amounts between neighbours so that
/// some plans carry decimals (the sum is unchanged).
fn scale_annual(projects: &mut [Project], target: i64, rng: &mut Rng) -> Result<(), GenError> {
    let raw_sum: i128 = projects.iter().map(|p| i128::from(p.annual)).sum();
    if raw_sum <= 0 || projects.is_empty() {
        return Err(GenError::Invariant("empty library".into()));
    }
    for p in projects.iter_mut() {
        let scaled = i128::from(p.annual) * i128::from(target) / raw_sum;
        p.annual = (scaled as i64 / WAN).max(100) * WAN;
    }
    let sum: i64 = projects.iter().map(|p| p.annual).sum();
    let largest = (0..projects.len())
        .max_by_key(|&i| (projects[i].annual, std::cmp::Reverse(i)))
        .unwrap_or(0);
    projects[largest].annual += target - sum;
    for i in 0..projects.len() - 1 {
        if rng.chance(250) {
            let shift = rng.range(1, 99) * 100;
            if projects[i].annual > shift + WAN {
                projects[i].annual -= shift;
                projects[i + 1].annual += shift;
            }
        }
    }
    let check: i64 = projects.iter().map(|p| p.annual).sum();
    if check != target {
        return Err(GenError::Invariant(format!(
            "annual plans add up to {check}, not {target}"
        )));
    }
    Ok(())
}

/// 总投资 for a project: 2-6 × the annual plan (less for projects finishing
/// in 2023), whole 万元, large ones rounded to 100 万元.
fn total_for(rng: &mut Rng, p: &Project) -> i64 {
    let per_mille = if p.years.1 == 2023 {
        rng.range(1_300, 2_000)
    } else {
        rng.range(2_000, 6_000)
    };
    let raw = i128::from(p.annual) * i128::from(per_mille) / 1000;
    let step = if raw > i128::from(10_000 * WAN) && rng.chance(500) {
        100 * WAN
    } else {
        WAN
    };
    let step = i128::from(step);
    let rounded = (raw + step - 1) / step * step;
    (rounded as i64).max(p.annual)
}

/// Puts about `first` projects in 第一批: the first share of each unit's list
/// (largest-remainder quotas), the rest in 第二批.
fn assign_batches(projects: &mut [Project], unit_count: usize, first: usize) {
    let total = projects.len();
    let mut counts = vec![0usize; unit_count];
    for p in projects.iter() {
        counts[p.unit] += 1;
    }
    let mut quotas: Vec<usize> = counts.iter().map(|c| c * first / total).collect();
    let mut rest: Vec<(usize, usize)> = counts
        .iter()
        .enumerate()
        .map(|(u, c)| (c * first % total, u))
        .collect();
    rest.sort_by(|a, b| b.cmp(a));
    let missing = first.saturating_sub(quotas.iter().sum());
    for (_, u) in rest.into_iter().take(missing) {
        quotas[u] += 1;
    }
    let mut seen = vec![0usize; unit_count];
    for p in projects.iter_mut() {
        seen[p.unit] += 1;
        p.batch = Some(if seen[p.unit] <= quotas[p.unit] { 1 } else { 2 });
    }
}

/// The category names of a program.
pub fn categories(program: Program) -> &'static [&'static str] {
    match program {
        Program::NewInfra => &NI_CATEGORIES,
        Program::DigitalEconomy => &DE_TRACKS,
    }
}
