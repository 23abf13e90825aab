//! Kinds of program. A pipeline file names its kind (`kind = "investment"` or
//! `kind = "tasks"`); the kind decides which canonical fields exist, which of
//! them are required, and which stages turn rows into records, check them,
//! aggregate them and render them.
//!
//! Shared by every kind: inbox, ingest, header discovery, row classification
//! (data / 合计 / group / blank / footer), typed cells with findings at their
//! cells, the check catalogue, feedback workbooks, the store, the manifest,
//! publish and the official look.
//!
//! Per kind (one folder here): the field schema ([`FieldUse`]), the record
//! type, its checks, aggregation and report sheets.
//! - [`investment`]: projects with money (新基建, 数字经济重点项目). Its stages
//!   predate this seam and keep their places (`pipeline/validate`,
//!   `pipeline/aggregate`, `report/{monthly,quarterly,notice,internal}`);
//!   `kinds/investment/mod.rs` holds its schema and names them.
//! - [`tasks`]: work items of a plan, each owned by responsible units
//!   (数字经济发展2023年工作计划); everything in `kinds/tasks/`.
//!
//! A new investment program is a pipeline file; a new kind is a folder here,
//! a variant of [`ProgramKind`] and its arm in [`schema`] and in
//! `pipeline::run_program_period` / `pipeline::validate_files`.

pub mod investment;
pub mod tasks;

use crate::model::FieldKind;
use serde::{Deserialize, Serialize};

/// The kind of a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProgramKind {
    /// Projects with investment figures.
    #[default]
    Investment,
    /// Work items with a progress state.
    Tasks,
}

impl ProgramKind {
    pub fn label(self) -> &'static str {
        match self {
            ProgramKind::Investment => "investment（投资项目）",
            ProgramKind::Tasks => "tasks（工作任务）",
        }
    }
}

/// How a kind uses a canonical field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Read into the row and used by the kind's stages.
    Read,
    /// Recognised by header discovery only (it anchors the header and keeps
    /// the column from being taken for another field); its cells are not kept.
    HeaderOnly,
}

/// One canonical field of a kind.
#[derive(Debug, Clone, Copy)]
pub struct FieldUse {
    pub key: &'static str,
    pub kind: FieldKind,
    pub usage: Use,
}

/// The fields a kind knows.
#[derive(Debug)]
pub struct Schema {
    pub fields: &'static [FieldUse],
    /// Fields every pipeline file of the kind must declare.
    pub must_declare: &'static [&'static str],
    /// A sheet lacking one of these (when required) cannot count any row.
    pub fatal_missing: &'static [&'static str],
}

impl Schema {
    pub fn field(&self, key: &str) -> Option<&FieldUse> {
        self.fields.iter().find(|f| f.key == key)
    }
}

/// The schema of a kind.
pub fn schema(kind: ProgramKind) -> &'static Schema {
    match kind {
        ProgramKind::Investment => &investment::SCHEMA,
        ProgramKind::Tasks => &tasks::SCHEMA,
    }
}

pub(crate) const fn read(key: &'static str, kind: FieldKind) -> FieldUse {
    FieldUse {
        key,
        kind,
        usage: Use::Read,
    }
}

pub(crate) const fn header_only(key: &'static str, kind: FieldKind) -> FieldUse {
    FieldUse {
        key,
        kind,
        usage: Use::HeaderOnly,
    }
}
