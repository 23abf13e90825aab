//! Waivers (已核实): warnings a reviewer has confirmed, read from
//! `INBOX/waivers.toml`. A waived warning is still listed, marked 已核实,
//! instead of being raised again.
//!
//! ```toml
//! [[waiver]]
//! program = "new-infra"          # optional: all programs when absent
//! project = "2023-360100-64-01-104233"
//! check = "W306"
//! value = "8,000.00"             # optional: any value when absent
//! reason = "年度计划已按程序调整"
//! ```

use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
struct Raw {
    #[serde(default)]
    waiver: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    program: Option<String>,
    project: String,
    check: String,
    value: Option<String>,
}

/// Waivers for a program as (project code, check id, value or "").
/// A missing or unreadable file means no waivers.
pub fn load(inbox: &Path, program: &str) -> Vec<(String, String, String)> {
    let Ok(text) = std::fs::read_to_string(inbox.join("waivers.toml")) else {
        return Vec::new();
    };
    let Ok(raw) = toml::from_str::<Raw>(&text) else {
        return Vec::new();
    };
    raw.waiver
        .into_iter()
        .filter(|w| w.program.as_deref().is_none_or(|p| p == program))
        .map(|w| (w.project, w.check, w.value.unwrap_or_default()))
        .collect()
}
