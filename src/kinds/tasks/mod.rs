//! The tasks kind: the work items (工作举措) of a plan, each owned by one or
//! more responsible units (责任单位), reported monthly by each of them with a
//! progress text and a state (已完成 / 按序时推进 / 滞后 / 未启动).
//!
//! - [`plan`]: the plan workbook (`library` of the pipeline file) → [`plan::Plan`];
//! - [`validate`]: the period's files → one [`TaskRecord`] per item and
//!   responsible unit, findings (E501-W509), row accounting;
//! - [`aggregate`]: records → [`aggregate::TaskSummary`] (by 专项, by unit
//!   ranked by share on time, lists);
//! - [`report`]: the monthly 推进情况表 and the quarterly 通报 workbook;
//! - [`notice`]: the quarterly 通报 as a Word document.
//!
//! The record and state types cross stages (the store keeps them): they live
//! in `model::tasks` and are re-exported here.

pub mod aggregate;
pub mod notice;
pub mod plan;
pub mod report;
pub mod validate;

use super::{header_only, read, Schema};
pub use crate::model::tasks::{TaskRecord, TaskState};
use crate::model::FieldKind::{Month, Text, Unit};

/// Every field the tasks stages read (or header discovery recognises).
pub static SCHEMA: Schema = Schema {
    fields: &[
        read("seq", Text),
        read("name", Text),
        read("category", Text),
        read("unit", Unit),
        read("progress", Text),
        read("state", Text),
        read("done_date", Month),
        header_only("due", Month),
        read("problems", Text),
        read("contact", Text),
        header_only("remark", Text),
    ],
    must_declare: &["seq", "name", "progress", "state"],
    fatal_missing: &["name", "state"],
};
