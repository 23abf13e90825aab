//! The feedback workbook (退回修改) for one unit: what to fix first, and the
//! unit's own table re-rendered with the offending cells filled and noted.

use std::path::Path;

use super::ReportError;
use crate::config::PipelineSpec;
use crate::model::{Finding, ParsedFile, Period};

/// One unit's feedback.
pub struct FeedbackInput<'a> {
    pub spec: &'a PipelineSpec,
    pub period: Period,
    /// Unit name (`南昌市`).
    pub unit: &'a str,
    /// The unit's files this period (raw workbooks kept); empty when it sent nothing.
    pub files: &'a [&'a ParsedFile],
    /// Every finding about this unit (file-level and row-level), sorted.
    pub findings: &'a [Finding],
}

/// Writes `dir/<unit>-退回修改-<period>.xlsx`; returns its file name.
pub fn write(inp: &FeedbackInput<'_>, dir: &Path) -> Result<String, ReportError> {
    let _ = (inp, dir);
    Ok(String::new())
}
