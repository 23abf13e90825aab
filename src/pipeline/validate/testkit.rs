//! Test fixtures shared by the unit tests of validate's parts: a pipeline, a
//! library of five projects (0-2 南昌市's, 3-4 九江市's), and small parsed files.

use super::Inputs;
use crate::config::{load_pipeline, PipelineSpec};
use crate::model::{FileFormat, FileStatus, InboxFile, LedgerRow, ParsedFile, Period, SheetTable};
use crate::parse::{Nature, Yuan};
use crate::seeds::{Library, Project, Units};
use std::path::{Path, PathBuf};

pub struct Fixture {
    pub spec: PipelineSpec,
    pub library: Library,
    pub units: Units,
}

impl Fixture {
    pub fn new() -> Fixture {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let spec = load_pipeline(&root.join("pipelines/new-infra.toml"), root)
            .unwrap_or_else(|e| panic!("{e}"));
        let units = Units::parse(
            "[[unit]]\nid = \"360100\"\nname = \"南昌市\"\nshort = \"南昌\"\nkind = \"city\"\n\
             [[unit]]\nid = \"360400\"\nname = \"九江市\"\nshort = \"九江\"\nkind = \"city\"\n",
            Path::new("units.toml"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let library = Library::new((0..5).map(project).collect());
        Fixture {
            spec,
            library,
            units,
        }
    }

    pub fn inputs(&self) -> Inputs<'_> {
        Inputs {
            spec: &self.spec,
            library: &self.library,
            units: &self.units,
            period: Period {
                year: 2023,
                month: 7,
            },
            history: &[],
            waivers: &[],
        }
    }
}

pub fn project(i: usize) -> Project {
    let (unit_id, unit) = if i < 3 {
        ("360100", "南昌市")
    } else {
        ("360400", "九江市")
    };
    Project {
        code: format!("2023-{unit_id}-64-01-00000{i}"),
        name: format!("项目{i}"),
        batch: String::new(),
        unit_id: unit_id.to_string(),
        unit: unit.to_string(),
        county: String::new(),
        category: String::new(),
        owner: String::new(),
        nature: Nature::Continuing,
        years: String::new(),
        total_investment: 10_000_000,
        annual_plan: 1_000_000,
        planned_start: None,
        end_year: None,
    }
}

/// A 南昌市 file filed on `filled`, rows of (project, cumulative 元).
pub fn file(name: &str, filled: &str, rows: &[(usize, Yuan)]) -> ParsedFile {
    let rows = rows
        .iter()
        .enumerate()
        .map(|(i, (p, ytd))| LedgerRow {
            sheet: "表".to_string(),
            row: 4 + i as u32,
            code: Some(project(*p).code),
            ytd_done: Some(*ytd),
            ..Default::default()
        })
        .collect();
    ParsedFile {
        file: InboxFile {
            path: PathBuf::from(name),
            name: name.to_string(),
            size: 1,
            sha256: String::new(),
            format: FileFormat::Xlsx,
            modified: 0,
        },
        program: Some("new-infra".to_string()),
        unit_id: Some("360100".to_string()),
        declared_period: None,
        filled_on: Some(filled.to_string()),
        tables: vec![SheetTable {
            sheet: "表".to_string(),
            rows,
            ..Default::default()
        }],
        findings: Vec::new(),
        status: FileStatus::Ok,
        error: None,
        skipped_sheets: Vec::new(),
        raw: None,
    }
}
