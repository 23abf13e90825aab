//! The libraries as they change during the sample year (issue 13): the
//! digital-economy library gains its 第二批 in 2023-05 (the ledgers of
//! January to April do not report those projects), and one new-infra
//! project's 年度计划投资 is adjusted from 2023-07 (年中调整). Each program's
//! library files, with the month each applies from, are declared in its
//! pipeline file (`library`, `library_versions`).

use super::library::{Nature, Project};
use super::units::Unit;
use super::Program;

/// First month digital-economy's 第二批 is in the library.
pub const SECOND_BATCH_FROM: u32 = 5;
/// First month of the adjusted new-infra plan.
pub const ADJUSTED_FROM: u32 = 7;
/// The unit whose first 续建 new-infra project has its plan adjusted (no
/// planted mistake of new-infra touches it).
pub const ADJUSTED_UNIT: &str = "鹰潭市";

/// The library files of a program: (first month, path relative to the root),
/// the first from January (`library`), the others `library_versions`.
pub fn files(program: Program) -> &'static [(u32, &'static str)] {
    match program {
        Program::NewInfra => &[
            (1, "seeds/new-infra-library.xlsx"),
            (ADJUSTED_FROM, "seeds/new-infra-library-2023-07.xlsx"),
        ],
        Program::DigitalEconomy => &[
            (1, "seeds/digital-economy-library-2023-01.xlsx"),
            (SECOND_BATCH_FROM, "seeds/digital-economy-library.xlsx"),
        ],
    }
}

/// Whether a project is in the library (and reported) in `month`.
pub fn in_library(program: Program, p: &Project, month: u32) -> bool {
    !(program == Program::DigitalEconomy && p.batch == Some(2) && month < SECOND_BATCH_FROM)
}

/// The new-infra project whose plan is adjusted (index into `projects`).
pub fn adjusted_project(program: Program, projects: &[Project], units: &[Unit]) -> Option<usize> {
    if program != Program::NewInfra {
        return None;
    }
    projects.iter().position(|p| {
        p.nature == Nature::Continuing && units.get(p.unit).is_some_and(|u| u.name == ADJUSTED_UNIT)
    })
}

/// The adjusted 年度计划投资: a fifth more, in whole 万元.
pub fn adjusted_annual(annual: i64) -> i64 {
    annual + annual / 5 / 10_000 * 10_000
}

/// A project's 年度计划投资 in `month`.
pub fn annual_in(
    program: Program,
    projects: &[Project],
    units: &[Unit],
    i: usize,
    month: u32,
) -> i64 {
    let p = &projects[i];
    if month >= ADJUSTED_FROM && adjusted_project(program, projects, units) == Some(i) {
        adjusted_annual(p.annual)
    } else {
        p.annual
    }
}

/// The library of `month`: the projects in it, with the plan of that month.
pub fn library_as_of(
    program: Program,
    projects: &[Project],
    units: &[Unit],
    month: u32,
) -> Vec<Project> {
    (0..projects.len())
        .filter(|&i| in_library(program, &projects[i], month))
        .map(|i| Project {
            annual: annual_in(program, projects, units, i, month),
            ..projects[i].clone()
        })
        .collect()
}

/// The README section on the libraries during the year.
pub fn readme(sets: &[super::ProgramSet], units: &[Unit]) -> String {
    use std::fmt::Write;
    let mut s = String::from(
        "\n## The libraries during the year\n\n\
         Each program's pipeline file declares its library (`library`, from January) and the \
         later versions (`library_versions`, each from its month); a period uses the latest \
         version whose month is not after it. The ledgers of a month report the projects of \
         that month's library, with its plans.\n\n\
         | program | file | from | projects | sum of 年度计划投资 |\n|---|---|---|---|---|\n",
    );
    for set in sets {
        for &(from, path) in files(set.program) {
            let lib = library_as_of(set.program, &set.projects, units, from);
            let sum: i64 = lib.iter().map(|p| p.annual).sum();
            let _ = writeln!(
                s,
                "| `{}` | `{path}` | 2023-{from:02} | {} | {} 万元 |",
                set.program.id(),
                lib.len(),
                super::money::wan2_grouped(sum)
            );
        }
    }
    for set in sets {
        let second = set.projects.iter().filter(|p| p.batch == Some(2)).count();
        if set.program == Program::DigitalEconomy {
            let _ = write!(
                s,
                "\n- `digital-economy`, 2023-{SECOND_BATCH_FROM:02}: the {second} projects of 第二批 \
                 enter the library (新增 in that month's 项目库变动 sheet); the ledgers of \
                 2023-01 to 2023-{:02} do not list them.",
                SECOND_BATCH_FROM - 1
            );
        }
        if let Some(i) = adjusted_project(set.program, &set.projects, units) {
            let p = &set.projects[i];
            let _ = write!(
                s,
                "\n- `new-infra`, 2023-{ADJUSTED_FROM:02}: `{}` {}（{ADJUSTED_UNIT}）: 年度计划投资 \
                 {} → {} 万元 (计划调整 in that month's 项目库变动 sheet; the unit's ledgers \
                 report the new plan from that month).",
                p.code,
                p.name,
                super::money::wan2_grouped(p.annual),
                super::money::wan2_grouped(adjusted_annual(p.annual))
            );
        }
    }
    s.push('\n');
    s
}
