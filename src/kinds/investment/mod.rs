//! The investment kind: projects with money (总投资, 年度计划, 本月/累计完成)
//! and a construction status. Its stages predate the kinds seam and live at:
//! - records and checks: `pipeline/validate.rs` and `pipeline/validate/*`
//!   (`ProjectRecord` in `model.rs`);
//! - aggregation: `pipeline/aggregate.rs` (→ `model::summary::Summary`);
//! - report sheets: `report/monthly.rs`, `report/internal.rs`,
//!   `report/quarterly.rs`, `report/notice.rs`.
//!
//! Here: the fields an investment pipeline file may declare.

use super::{header_only, read, Schema};
use crate::model::FieldKind::{Money, Month, Nature, Rate, Status, Text, Unit};

/// Every field the investment stages read (or header discovery recognises).
pub static SCHEMA: Schema = Schema {
    fields: &[
        header_only("seq", Text),
        read("code", Text),
        read("name", Text),
        read("unit", Unit),
        read("county", Text),
        read("category", Text),
        read("batch", Text),
        header_only("owner", Text),
        read("nature", Nature),
        read("total_investment", Money),
        read("annual_plan", Money),
        read("month_done", Money),
        read("ytd_done", Money),
        read("since_start_done", Money),
        header_only("completion_rate", Rate),
        read("status", Status),
        read("start_date", Month),
        read("progress", Text),
        read("problems", Text),
        read("coordination", Text),
        read("contact", Text),
        header_only("years", Text),
        header_only("planned_start", Month),
        header_only("remark", Text),
    ],
    must_declare: &[
        "code",
        "name",
        "unit",
        "total_investment",
        "annual_plan",
        "month_done",
        "ytd_done",
        "status",
    ],
    fatal_missing: &["ytd_done", "name"],
};
