//! A program's period is written as one unit. Its outputs (monthly and
//! quarterly workbooks, feedback workbooks, manifest) are first written into a
//! staging folder beside the period folder (`OUT/<program>/.taizhang-staging-
//! <period>-<pid>/`), then moved into `OUT/<program>/<period>/` one rename at a
//! time, then the outputs an earlier run wrote and this one did not are
//! removed, and only then is the store entry written (by the caller): the store
//! entry, listing every output with its sha256, marks the period done.
//!
//! A run killed or failing anywhere before the store entry leaves the period
//! not done, so the next run redoes it (see `plan`); the staging folder of a
//! failed run is removed on drop, that of a killed run by `fsx::clean_stale`.
//! Only files this tool wrote are ever removed: a clerk's own files in the
//! period or `feedback/` folder stay.

use sha2::{Digest, Sha256};
use std::path::{Component, Path, PathBuf};

use crate::fsx::{Why, STAGING_PREFIX};
use crate::model::{Period, StoredInput};

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("无法写入 {path}：{source}")]
    Io { path: PathBuf, source: Why },
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> PublishError + '_ {
    move |e| PublishError::Io {
        path: path.to_path_buf(),
        source: Why(e),
    }
}

/// A period's staging folder; removed with all it holds when dropped.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
}

impl Staging {
    /// A fresh staging folder for `period` inside `program_dir`.
    pub fn new(program_dir: &Path, period: Period) -> Result<Staging, PublishError> {
        let dir = program_dir.join(format!("{STAGING_PREFIX}{period}-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
        }
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        Ok(Staging { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// sha256 of a file, read in blocks.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(hex(&h.finalize()))
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The staged outputs with their sha256, in the order given.
pub fn stamp(staging: &Staging, outputs: &[String]) -> Result<Vec<StoredInput>, PublishError> {
    outputs
        .iter()
        .map(|rel| {
            let p = staging.dir.join(rel);
            let sha256 = if by_presence(rel) {
                String::new()
            } else {
                sha256_file(&p).map_err(io(&p))?
            };
            Ok(StoredInput {
                file: rel.clone(),
                sha256,
            })
        })
        .collect()
}

/// Outputs recorded by presence alone (an empty sha256): the manifest, which
/// holds timings (the store entry stays the same for the same inputs), and
/// the 通报 document, which the office completes after the run (四、下一步工作:
/// an edited one is no reason to redo the period; a redo writes it anew).
pub fn by_presence(rel: &str) -> bool {
    rel == "manifest.json" || rel.ends_with(".docx")
}

/// A name from an earlier run's record that is safe to remove inside the
/// period folder: relative, no `..`.
fn safe_rel(rel: &str) -> bool {
    let p = Path::new(rel);
    !rel.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)))
}

/// Moves the staged `outputs` into `final_dir` (replacing same-named files),
/// then removes the files of `previous` (what an earlier run of this period
/// wrote, from its store entry and manifest) that this run did not write.
/// A `feedback/` folder left empty by that is removed; one holding anything
/// else is kept.
pub fn publish(
    staging: &Staging,
    final_dir: &Path,
    outputs: &[String],
    previous: &[String],
) -> Result<(), PublishError> {
    std::fs::create_dir_all(final_dir).map_err(io(final_dir))?;
    for rel in outputs {
        let to = final_dir.join(rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::rename(staging.dir.join(rel), &to).map_err(io(&to))?;
    }
    let mut parents = std::collections::BTreeSet::new();
    for rel in previous {
        if outputs.contains(rel) || !safe_rel(rel) {
            continue;
        }
        let p = final_dir.join(rel);
        if p.is_file() {
            std::fs::remove_file(&p).map_err(io(&p))?;
            if let Some(parent) = p.parent().filter(|d| *d != final_dir) {
                parents.insert(parent.to_path_buf());
            }
        }
    }
    for d in parents {
        // Fails, harmlessly, when the clerk keeps anything there.
        let _ = std::fs::remove_dir(d);
    }
    Ok(())
}

/// The outputs an earlier run of a period wrote, from its manifest (written
/// before the store entry, so it also covers a run killed after publishing).
pub fn manifest_outputs(final_dir: &Path) -> Vec<String> {
    let Ok(bytes) = std::fs::read(final_dir.join("manifest.json")) else {
        return Vec::new();
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Vec::new();
    };
    v.get("outputs")
        .and_then(|o| o.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period() -> Period {
        Period::parse_period("2023-07").unwrap()
    }

    #[test]
    fn publish_moves_outputs_and_keeps_a_clerks_files() {
        let root = tempfile::tempdir().unwrap();
        let prog = root.path().join("new-infra");
        let fin = prog.join("2023-07");
        std::fs::create_dir_all(fin.join("feedback/已发送")).unwrap();
        std::fs::write(fin.join("feedback/我的备注.txt"), "x").unwrap();
        std::fs::write(fin.join("feedback/南昌市-退回修改-2023-07.xlsx"), "old").unwrap();
        std::fs::write(fin.join("feedback/九江市-退回修改-2023-07.xlsx"), "old").unwrap();
        let st = Staging::new(&prog, period()).unwrap();
        std::fs::create_dir_all(st.dir().join("feedback")).unwrap();
        std::fs::write(
            st.dir().join("feedback/九江市-退回修改-2023-07.xlsx"),
            "new",
        )
        .unwrap();
        std::fs::write(st.dir().join("月度.xlsx"), "m").unwrap();
        let outs = vec![
            "feedback/九江市-退回修改-2023-07.xlsx".to_string(),
            "月度.xlsx".to_string(),
        ];
        let stamps = stamp(&st, &outs).unwrap();
        assert_eq!(stamps.len(), 2);
        let previous = vec![
            "feedback/南昌市-退回修改-2023-07.xlsx".to_string(),
            "feedback/九江市-退回修改-2023-07.xlsx".to_string(),
            "../../etc/passwd".to_string(),
        ];
        publish(&st, &fin, &outs, &previous).unwrap();
        let staged = st.dir().to_path_buf();
        drop(st);
        assert!(!staged.exists(), "staging removed");
        assert!(fin.join("feedback/我的备注.txt").exists());
        assert!(fin.join("feedback/已发送").is_dir());
        assert!(!fin.join("feedback/南昌市-退回修改-2023-07.xlsx").exists());
        assert_eq!(
            std::fs::read_to_string(fin.join("feedback/九江市-退回修改-2023-07.xlsx")).unwrap(),
            "new"
        );
    }

    #[test]
    fn a_folder_squatting_on_an_output_is_a_chinese_error() {
        let root = tempfile::tempdir().unwrap();
        let prog = root.path().join("p");
        let fin = prog.join("2023-07");
        std::fs::create_dir_all(fin.join("月度.xlsx")).unwrap();
        std::fs::write(fin.join("月度.xlsx/x"), "x").unwrap();
        let st = Staging::new(&prog, period()).unwrap();
        std::fs::write(st.dir().join("月度.xlsx"), "m").unwrap();
        let e = publish(&st, &fin, &["月度.xlsx".to_string()], &[]).unwrap_err();
        assert!(e.to_string().contains("文件夹占用"), "{e}");
    }
}
