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
//!
//! A file that cannot be read as written stops the run with the line at
//! fault: dropping every waiver without a word would raise again warnings a
//! reviewer already confirmed.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The file name, in the inbox folder.
pub const FILE: &str = "waivers.toml";

#[derive(Debug, thiserror::Error)]
pub enum WaiverError {
    #[error(
        "豁免清单 {path} 第 {line} 行有误：{problem}。{hint}请改正后重新运行（或暂时移走该文件）"
    )]
    Syntax {
        path: PathBuf,
        line: usize,
        problem: String,
        hint: &'static str,
    },
    #[error("无法读取豁免清单 {path}：{source}")]
    Read {
        path: PathBuf,
        source: crate::fsx::Why,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    waiver: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    program: Option<String>,
    project: String,
    check: String,
    value: Option<String>,
    #[allow(dead_code)]
    reason: Option<String>,
}

/// All waivers of an inbox: (program or "", project code, check id, value or "").
#[derive(Debug, Clone, Default)]
pub struct Waivers {
    entries: Vec<(String, String, String, String)>,
}

impl Waivers {
    /// The waivers of one program as (project code, check id, value or "").
    pub fn for_program(&self, program: &str) -> Vec<(String, String, String)> {
        self.entries
            .iter()
            .filter(|(p, ..)| p.is_empty() || p == program)
            .map(|(_, c, id, v)| (c.clone(), id.clone(), v.clone()))
            .collect()
    }
}

/// Reads `INBOX/waivers.toml`; no file means no waivers.
pub fn load(inbox: &Path) -> Result<Waivers, WaiverError> {
    let path = inbox.join(FILE);
    let text = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Waivers::default()),
        Err(e) => {
            return Err(WaiverError::Read {
                path,
                source: e.into(),
            })
        }
    };
    let text = match String::from_utf8(text) {
        Ok(t) => t,
        Err(e) => {
            let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            return Err(WaiverError::Syntax {
                path,
                line,
                problem: "文件不是 UTF-8 编码".to_string(),
                hint: "请用记事本“另存为”UTF-8 编码。",
            });
        }
    };
    let raw: Raw = toml::from_str(&text).map_err(|e| syntax_error(&path, &text, &e))?;
    Ok(Waivers {
        entries: raw
            .waiver
            .into_iter()
            .map(|w| {
                (
                    w.program.unwrap_or_default(),
                    w.project,
                    w.check,
                    w.value.unwrap_or_default(),
                )
            })
            .collect(),
    })
}

fn syntax_error(path: &Path, text: &str, e: &toml::de::Error) -> WaiverError {
    let at = e.span().map_or(0, |s| s.start.min(text.len()));
    let line = 1 + text.as_bytes()[..at]
        .iter()
        .filter(|b| **b == b'\n')
        .count();
    let line_text = text.lines().nth(line - 1).unwrap_or("");
    let hint = if ['“', '”', '‘', '’', '＝', '［', '］']
        .iter()
        .any(|c| line_text.contains(*c))
    {
        "该行用了中文全角符号（如“”＝［］），请改为英文半角的 \" = [ ]。"
    } else {
        "每条豁免以 [[waiver]] 开头，各项写作 名称 = \"值\"（英文半角引号）。"
    };
    WaiverError::Syntax {
        path: path.to_path_buf(),
        line,
        problem: format!("“{}”（{}）", line_text.trim(), e.message().trim()),
        hint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join(FILE), text).unwrap();
        d
    }

    #[test]
    fn reads_waivers_by_program() {
        let d = write(
            "[[waiver]]\nprogram = \"new-infra\"\nproject = \"A\"\ncheck = \"W306\"\nreason = \"ok\"\n\n[[waiver]]\nproject = \"B\"\ncheck = \"W205\"\nvalue = \"1\"\n",
        );
        let w = load(d.path()).unwrap();
        assert_eq!(w.for_program("new-infra").len(), 2);
        assert_eq!(
            w.for_program("digital-economy"),
            vec![("B".to_string(), "W205".to_string(), "1".to_string())]
        );
    }

    #[test]
    fn full_width_quotes_name_the_line() {
        let d = write("[[waiver]]\nproject = \"A\"\ncheck = “W306”\n");
        let e = load(d.path()).unwrap_err().to_string();
        assert!(e.contains("第 3 行"), "{e}");
        assert!(e.contains("全角"), "{e}");
    }

    #[test]
    fn a_misspelt_key_is_an_error() {
        let d = write("[[waiver]]\nprojct = \"A\"\ncheck = \"W306\"\n");
        let e = load(d.path()).unwrap_err().to_string();
        assert!(e.contains("第 1 行") || e.contains("第 2 行"), "{e}");
    }

    #[test]
    fn no_file_no_waivers() {
        let d = tempfile::tempdir().unwrap();
        assert!(load(d.path()).unwrap().for_program("x").is_empty());
    }
}
