//! Deterministic generator of the master data (`seeds/*-library.xlsx`) and of
//! the sample inbox (`samples/inbox/2023-01` … `2023-07`), with the planted
//! mistakes listed in `samples/planted.json` and described in
//! `samples/README.md`.
//!
//! Run it with `cargo run --release -p taizhang-samplegen -- [--root DIR]`
//! from the workspace root.
//! Two runs give byte-identical files: every random draw comes from a seeded
//! SplitMix64 stream ([`rng`]), workbook creation times are pinned, and
//! nothing is iterated out of a hash map.
//!
//! Modules: [`library`] (project libraries) and [`libwriter`]; [`truth`]
//! (hidden month-by-month timeline of each project) and [`rows`]; [`layout`]
//! and [`variants`] (the units' layouts), [`ledger`] and [`cells`] (the
//! ledger writer);
//! [`planted`] (planted mistakes); [`readme`];
//! [`workplan`] (the work plan's library from its annex, and its ledgers).

pub mod cells;
pub mod layout;
pub mod ledger;
pub mod library;
pub mod libwriter;
pub mod money;
pub mod names;
pub mod planted;
pub mod readme;
pub mod rng;
pub mod rows;
pub mod truth;
pub mod units;
pub mod variants;
pub mod versions;
pub mod workplan;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use layout::{assignment, variant};
use ledger::{write_ledger, LedgerSpec};
use library::{build_library, reporting_units, Project, SEED};
use planted::{PlantedEntry, ProgramData};
use rng::Rng;
use rows::ledger_row;
use truth::{simulate, Timeline, MONTHS};
use units::{Unit, UnitExt};

/// Year of the samples.
pub const YEAR: i32 = 2023;

/// Errors of the generator.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("写入 Excel 失败：{0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("读写文件失败（{path}）：{source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("单位表有误：{0}")]
    Units(String),
    #[error("JSON 序列化失败：{0}")]
    Json(#[from] serde_json::Error),
    #[error("生成规则无法满足：{0}")]
    Invariant(String),
}

/// The two programs of the samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Program {
    NewInfra,
    DigitalEconomy,
}

impl Program {
    /// Both programs, in output order.
    pub const ALL: [Program; 2] = [Program::NewInfra, Program::DigitalEconomy];

    /// Pipeline id (`pipelines/<id>.toml`).
    pub fn id(self) -> &'static str {
        match self {
            Program::NewInfra => "new-infra",
            Program::DigitalEconomy => "digital-economy",
        }
    }

    /// Name used in titles before `项目` (`新基建` / `数字经济重点`).
    pub fn core(self) -> &'static str {
        match self {
            Program::NewInfra => "新基建",
            Program::DigitalEconomy => "数字经济重点",
        }
    }

    /// Short name used in file names (`新基建` / `数字经济`).
    pub fn short(self) -> &'static str {
        match self {
            Program::NewInfra => "新基建",
            Program::DigitalEconomy => "数字经济",
        }
    }

    /// Header of the category column (`类别` / `赛道`).
    pub fn category_label(self) -> &'static str {
        match self {
            Program::NewInfra => "类别",
            Program::DigitalEconomy => "赛道",
        }
    }

    /// True when projects come in batches (批次).
    pub fn has_batch(self) -> bool {
        self == Program::DigitalEconomy
    }

    /// Library file relative to the root.
    pub fn library_path(self) -> &'static str {
        match self {
            Program::NewInfra => "seeds/new-infra-library.xlsx",
            Program::DigitalEconomy => "seeds/digital-economy-library.xlsx",
        }
    }

    /// Title row of the library sheet.
    pub fn library_title(self) -> &'static str {
        match self {
            Program::NewInfra => "2023年全省新基建项目库",
            Program::DigitalEconomy => "2023年全省数字经济重点项目库",
        }
    }
}

/// What [`generate_all`] wrote.
#[derive(Debug, Clone)]
pub struct GenSummary {
    /// (program id, projects, sum of annual plans in 元).
    pub libraries: Vec<(String, usize, i64)>,
    /// Ledger files written under `samples/inbox`.
    pub files: usize,
    /// Data rows written in all ledgers.
    pub rows: usize,
    pub planted: Vec<PlantedEntry>,
    pub inbox: PathBuf,
}

impl std::fmt::Display for GenSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (id, n, sum) in &self.libraries {
            writeln!(
                f,
                "{id}: {n} projects, annual plans {} 万元",
                money::wan2_grouped(*sum)
            )?;
        }
        writeln!(
            f,
            "inbox {}: {} files, {} data rows",
            self.inbox.display(),
            self.files,
            self.rows
        )?;
        write!(f, "planted findings: {}", self.planted.len())
    }
}

/// Writes `bytes` to `path`, creating parent folders.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), GenError> {
    let io = |source| GenError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    std::fs::write(path, bytes).map_err(io)
}

/// A program's library with its simulated truth.
pub struct ProgramSet {
    pub program: Program,
    pub projects: Vec<Project>,
    pub truths: Vec<Timeline>,
}

impl ProgramSet {
    /// Borrowed view used by the planted-mistake planner.
    pub fn data<'a>(&'a self, units: &'a [Unit]) -> ProgramData<'a> {
        ProgramData {
            program: self.program,
            projects: &self.projects,
            truths: &self.truths,
            units,
        }
    }
}

/// Both programs with the codes and names in use.
pub struct Programs {
    pub sets: Vec<ProgramSet>,
    pub codes: BTreeSet<String>,
    pub names: BTreeSet<String>,
}

/// Builds both libraries and their truth timelines.
pub fn build_programs(units: &[Unit]) -> Result<Programs, GenError> {
    let mut codes = BTreeSet::new();
    let mut names = BTreeSet::new();
    let mut sets = Vec::new();
    for program in Program::ALL {
        let projects = build_library(program, units, &mut codes, &mut names)?;
        let truths = projects.iter().map(|p| simulate(program, p)).collect();
        sets.push(ProgramSet {
            program,
            projects,
            truths,
        });
    }
    Ok(Programs { sets, codes, names })
}

/// (填报人, 联系电话, 审核人) of a unit for a program.
pub fn signers(program: Program, unit: &Unit) -> (String, String, String) {
    let mut rng = Rng::derive(SEED, &format!("signer/{}/{}", program.id(), unit.id));
    let a = names::person(&mut rng);
    let phone = names::landline(&mut rng, unit.area_code());
    let b = names::person(&mut rng);
    (a, phone, b)
}

/// Day of the next month on which a unit files (3rd to 8th).
pub fn fill_day(program: Program, unit: &Unit, month: u32) -> u32 {
    let mut rng = Rng::derive(SEED, &format!("fill/{}/{}/{month}", program.id(), unit.id));
    rng.range(3, 8) as u32
}

/// Generates the libraries under `root/seeds` and the whole sample set under
/// `root/samples` (the inbox is deleted first), the work plan read from the
/// annex at its default place ([`workplan::DEFAULT_ANNEX`]).
pub fn generate_all(root: &Path) -> Result<GenSummary, GenError> {
    generate_all_with(root, None)
}

/// [`generate_all`], the work plan's annex read from `annex` when given.
pub fn generate_all_with(root: &Path, annex: Option<&Path>) -> Result<GenSummary, GenError> {
    let units = units::load_units(root)?;
    let Programs { sets, codes, names } = build_programs(&units)?;
    let mut libraries = Vec::new();
    for set in &sets {
        for &(from, path) in versions::files(set.program) {
            let projects = versions::library_as_of(set.program, &set.projects, &units, from);
            libwriter::write_library(&root.join(path), set.program, &projects, &units)?;
        }
        let sum = set.projects.iter().map(|p| p.annual).sum();
        libraries.push((set.program.id().to_string(), set.projects.len(), sum));
    }
    let plan = planted::plan(&sets[0].data(&units), &sets[1].data(&units), &codes, &names)?;

    let inbox = root.join("samples").join("inbox");
    if inbox.exists() {
        std::fs::remove_dir_all(&inbox).map_err(|source| GenError::Io {
            path: inbox.display().to_string(),
            source,
        })?;
    }
    let inboxed = write_inbox(&inbox, &units, &sets, &plan)?;
    let (files, rows_written, file_table) = (inboxed.files, inboxed.rows, inboxed.file_table);
    let mut planted_entries = inboxed.planted;
    let annex = workplan::annex_path(root, annex);
    let work_plan = workplan::generate(root, &units, &inbox, &annex)?;
    planted_entries.extend(work_plan.planted.iter().cloned());
    planted_entries.sort_by(|a, b| {
        (&a.period, &a.program, &a.unit, &a.check).cmp(&(&b.period, &b.program, &b.unit, &b.check))
    });
    let json = serde_json::to_string_pretty(&planted_entries)?;
    write_bytes(
        &root.join("samples").join("planted.json"),
        format!("{json}\n").as_bytes(),
    )?;
    let investment: Vec<PlantedEntry> = planted_entries
        .iter()
        .filter(|p| p.program != workplan::PROGRAM)
        .cloned()
        .collect();
    let readme = readme::render(&readme::ReadmeInput {
        units: &units,
        libraries: &libraries,
        files,
        rows: rows_written,
        file_table: &file_table,
        planted: &investment,
    }) + &versions::readme(&sets, &units)
        + &work_plan.readme;
    write_bytes(&root.join("samples").join("README.md"), readme.as_bytes())?;
    Ok(GenSummary {
        libraries,
        files: files + work_plan.files,
        rows: rows_written + work_plan.rows,
        planted: planted_entries,
        inbox,
    })
}

/// What [`write_inbox`] wrote.
struct Inboxed {
    files: usize,
    rows: usize,
    /// (program, unit index, file name, sheet) of the last month's files.
    file_table: Vec<(Program, usize, String, String)>,
    planted: Vec<PlantedEntry>,
}

/// Writes every unit's ledger of every month into `inbox/2023-MM/`, with the
/// planted mistakes, and collects the expected findings.
fn write_inbox(
    inbox: &Path,
    units: &[Unit],
    sets: &[ProgramSet],
    plan: &planted::Plan,
) -> Result<Inboxed, GenError> {
    let mut out = Inboxed {
        files: 0,
        rows: 0,
        file_table: Vec::new(),
        planted: vec![planted::silent_entry()],
    };
    for month in 1..=MONTHS as u32 {
        let dir = inbox.join(format!("{YEAR}-{month:02}"));
        std::fs::create_dir_all(&dir).map_err(|source| GenError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        for set in sets {
            for ui in reporting_units(set.program, units) {
                let unit = &units[ui];
                if planted::is_silent(set.program, unit, month) {
                    continue;
                }
                let mut rows: Vec<_> = (0..set.projects.len())
                    .filter(|&i| set.projects[i].unit == ui)
                    .filter(|&i| versions::in_library(set.program, &set.projects[i], month))
                    .map(|i| {
                        let mut row =
                            ledger_row(set.program, &set.projects[i], &set.truths[i], unit, month);
                        row.annual =
                            versions::annual_in(set.program, &set.projects, units, i, month);
                        row
                    })
                    .collect();
                planted::mutate(plan, set.program, unit, month, &mut rows);
                let assign = assignment(set.program, unit);
                let layout = variant(assign.variant);
                let spec = LedgerSpec {
                    program: set.program,
                    unit,
                    layout: &layout,
                    assignment: assign,
                    year: YEAR,
                    month,
                    fill_day: fill_day(set.program, unit, month),
                    signers: signers(set.program, unit),
                    rows: &rows,
                };
                let written = write_ledger(&spec, &dir)?;
                planted::record(plan, set.program, unit, month, &written, &mut out.planted)?;
                out.files += 1;
                out.rows += rows.len();
                if month == MONTHS as u32 {
                    let entry = (set.program, ui, written.file_name, written.sheet);
                    out.file_table.push(entry);
                }
            }
        }
    }
    Ok(out)
}
