//! History store: per program, one JSON entry per period
//! (`STORE/<program>/<period>.json`: its records, findings, input hashes and
//! outputs) and each library version it was checked against, once
//! (`STORE/<program>/library/<sha256>.json`, named by the sha256 of its
//! bytes, which the entry names). Written atomically (temp file, then
//! rename): the snapshot first, then the entry, which marks the period done;
//! rerunning a period replaces its entry, and a snapshot no entry names any
//! more is removed. Month-on-month checks and the quarterly report read only
//! this store.
//!
//! Reading streams (`scan`): the head of an entry (what plan checks) is read
//! without its lists, the records without the findings, line by line.
//! Entries of earlier versions (library rows inline, every key of every
//! record) read back as they always did.
//!
//! JSON, not parquet: amounts are integers of 元 either way, the files stay
//! readable by auditors, and it spares CI the cold build of polars' parquet
//! stack on a 2-core machine.

mod layout;
mod scan;

use std::path::PathBuf;

use crate::model::{LibraryRow, Period, StoredPeriod};

pub use layout::{snapshot_sha, to_json_lines, write_json_lines};
use scan::Parts;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("无法写入历史库 {path}：{source}")]
    Write {
        path: PathBuf,
        source: crate::fsx::Why,
    },
    #[error("无法读取历史库 {path}：{source}")]
    Read {
        path: PathBuf,
        source: crate::fsx::Why,
    },
    #[error("历史库文件 {path} 已损坏：{message}（可删除该文件后重跑对应月份）")]
    Corrupt { path: PathBuf, message: String },
}

/// The store folder.
#[derive(Debug, Clone)]
pub struct Store {
    pub dir: PathBuf,
}

pub use crate::fsx::{write_atomic, write_atomic_with};

/// The part of a [`StoredPeriod`] that says whether it is complete and current.
#[derive(Debug, Clone)]
pub struct StoredHead {
    pub inbox: Vec<crate::model::InboxStamp>,
    pub fingerprint: Option<crate::model::Fingerprint>,
    pub outputs: Vec<crate::model::StoredInput>,
    pub library: Option<crate::model::LibraryStamp>,
    /// The sha256 of the library snapshot the entry names (none when its rows
    /// are inline, an earlier version's entry, or it kept none).
    pub library_snapshot: Option<String>,
}

/// The library a stored period was checked against (none in entries written
/// before versions were kept).
#[derive(Debug, Clone, Default)]
pub struct StoredLibrary {
    pub library: Option<crate::model::LibraryStamp>,
    /// Its rows: from the snapshot the entry names, or inline (earlier
    /// entries); empty when it kept none or its snapshot is missing.
    pub library_rows: Vec<LibraryRow>,
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Store {
        Store { dir: dir.into() }
    }

    fn path(&self, program: &str, period: Period) -> PathBuf {
        self.dir.join(program).join(format!("{period}.json"))
    }

    fn snapshot_dir(&self, program: &str) -> PathBuf {
        self.dir.join(program).join("library")
    }

    /// Where the library snapshot `sha` of a program is (or would be).
    pub fn snapshot_path(&self, program: &str, sha: &str) -> PathBuf {
        self.snapshot_dir(program).join(format!("{sha}.json"))
    }

    /// Whether the snapshot an entry names is there.
    pub fn has_snapshot(&self, program: &str, sha: &str) -> bool {
        layout::is_sha(sha) && self.snapshot_path(program, sha).is_file()
    }

    /// Saves (replaces) one period: its library snapshot unless already
    /// kept, then the entry; then removes the snapshots no entry names.
    pub fn save(&self, sp: &StoredPeriod) -> Result<PathBuf, StoreError> {
        let period = Period::parse_period(&sp.period)
            .unwrap_or(crate::model::YearMonth { year: 0, month: 1 });
        let snapshot = if sp.library_rows.is_empty() {
            None
        } else {
            Some(self.save_snapshot(&sp.program, &sp.library_rows)?)
        };
        let path = self.path(&sp.program, period);
        write_atomic_with(&path, |w| layout::write_entry(w, sp, snapshot.as_deref())).map_err(
            |e| StoreError::Write {
                path: path.clone(),
                source: e.into(),
            },
        )?;
        self.sweep_snapshots(&sp.program);
        Ok(path)
    }

    /// Writes the snapshot of `rows` unless it is there; its sha256.
    fn save_snapshot(&self, program: &str, rows: &[LibraryRow]) -> Result<String, StoreError> {
        let sha = snapshot_sha(rows);
        let path = self.snapshot_path(program, &sha);
        if !path.is_file() {
            write_atomic_with(&path, |w| layout::write_snapshot(w, rows)).map_err(|e| {
                StoreError::Write {
                    path: path.clone(),
                    source: e.into(),
                }
            })?;
        }
        Ok(sha)
    }

    /// Removes the snapshots of a program that no entry names (a library
    /// replaced, a period redone with another): only names this store makes,
    /// and nothing when an entry cannot be read.
    fn sweep_snapshots(&self, program: &str) {
        let Ok(files) = std::fs::read_dir(self.snapshot_dir(program)) else {
            return;
        };
        let mut named = std::collections::BTreeSet::new();
        for p in self.periods(program) {
            match self.load_head(program, p) {
                Ok(Some(h)) => named.extend(h.library_snapshot),
                Ok(None) => {}
                Err(_) => return,
            }
        }
        for f in files.filter_map(|e| e.ok()) {
            let name = f.file_name().to_string_lossy().to_string();
            let Some(sha) = name.strip_suffix(".json") else {
                continue;
            };
            if layout::is_sha(sha) && !named.contains(sha) {
                let _ = std::fs::remove_file(f.path());
            }
        }
    }

    /// Loads one period whole (with its library rows), if stored.
    pub fn load(&self, program: &str, period: Period) -> Result<Option<StoredPeriod>, StoreError> {
        let Some(e) = scan::read_entry(&self.path(program, period), Parts::ALL)? else {
            return Ok(None);
        };
        let library_rows = self.rows_of(program, &e.head.library_snapshot, e.library_rows)?;
        let h = e.head;
        Ok(Some(StoredPeriod {
            program: h.program,
            period: h.period,
            tool_version: h.tool_version,
            written_at: h.written_at,
            inputs: h.inputs,
            inbox: h.inbox,
            fingerprint: h.fingerprint,
            outputs: h.outputs,
            library: h.library,
            library_rows,
            records: e.records,
            tasks: e.tasks,
            findings: e.findings,
        }))
    }

    /// The completion record of a stored period (what it was checked against,
    /// its inbox and outputs), read without its lists.
    pub fn load_head(
        &self,
        program: &str,
        period: Period,
    ) -> Result<Option<StoredHead>, StoreError> {
        let e = scan::read_entry(&self.path(program, period), Parts::HEAD)?;
        Ok(e.map(|e| StoredHead {
            inbox: e.head.inbox,
            fingerprint: e.head.fingerprint,
            outputs: e.head.outputs,
            library: e.head.library,
            library_snapshot: e.head.library_snapshot,
        }))
    }

    /// The library version and rows a stored period kept, if stored.
    pub fn load_library(
        &self,
        program: &str,
        period: Period,
    ) -> Result<Option<StoredLibrary>, StoreError> {
        let parts = Parts {
            library_rows: true,
            ..Parts::HEAD
        };
        let Some(e) = scan::read_entry(&self.path(program, period), parts)? else {
            return Ok(None);
        };
        let library_rows = self.rows_of(program, &e.head.library_snapshot, e.library_rows)?;
        Ok(Some(StoredLibrary {
            library: e.head.library,
            library_rows,
        }))
    }

    /// Whether the stored period kept a library whose snapshot holds exactly
    /// `rows` (same sha256: same bytes), without reading it.
    pub fn kept_same_library(
        &self,
        program: &str,
        period: Period,
        rows: &[LibraryRow],
    ) -> Result<bool, StoreError> {
        let Some(h) = self.load_head(program, period)? else {
            return Ok(false);
        };
        Ok(match (&h.library, &h.library_snapshot) {
            (Some(_), Some(sha)) if !rows.is_empty() => {
                self.has_snapshot(program, sha) && *sha == snapshot_sha(rows)
            }
            _ => false,
        })
    }

    /// The rows of an entry: its snapshot's when it names one (empty when
    /// that is missing), else the ones it held inline.
    fn rows_of(
        &self,
        program: &str,
        snapshot: &Option<String>,
        inline: Vec<LibraryRow>,
    ) -> Result<Vec<LibraryRow>, StoreError> {
        let Some(sha) = snapshot else {
            return Ok(inline);
        };
        let path = self.snapshot_path(program, sha);
        if !layout::is_sha(sha) {
            return Err(StoreError::Corrupt {
                path,
                message: format!("项目库快照名 “{sha}” 无效"),
            });
        }
        Ok(scan::read_snapshot(&path)?.unwrap_or_default())
    }

    /// The latest stored period of a program before `period` (any year).
    pub fn previous(&self, program: &str, period: Period) -> Option<Period> {
        self.periods(program).into_iter().rfind(|p| *p < period)
    }
    /// Stored periods of a program, sorted.
    pub fn periods(&self, program: &str) -> Vec<Period> {
        let Ok(entries) = std::fs::read_dir(self.dir.join(program)) else {
            return Vec::new();
        };
        let mut out: Vec<Period> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let n = e.file_name().to_string_lossy().to_string();
                n.strip_suffix(".json").and_then(Period::parse_period)
            })
            .collect();
        out.sort();
        out
    }

    /// Programs with anything stored, sorted.
    pub fn programs(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        out.sort();
        out
    }

    /// Stored periods of the same year before `period`, oldest first, as the
    /// checks and the aggregation read them: the records only (inputs, stamps,
    /// outputs and findings are left empty, never held in memory), read in
    /// parallel.
    pub fn year_before(
        &self,
        program: &str,
        period: Period,
    ) -> Result<Vec<StoredPeriod>, StoreError> {
        use rayon::prelude::*;
        let periods: Vec<Period> = self
            .periods(program)
            .into_iter()
            .filter(|p| p.year == period.year && *p < period)
            .collect();
        let loaded: Vec<Option<StoredPeriod>> = periods
            .par_iter()
            .map(|p| self.load_records(program, *p))
            .collect::<Result<_, _>>()?;
        Ok(loaded.into_iter().flatten().collect())
    }

    /// One stored period with its records alone (see [`Store::year_before`]),
    /// read without its findings.
    pub fn load_records(
        &self,
        program: &str,
        period: Period,
    ) -> Result<Option<StoredPeriod>, StoreError> {
        let parts = Parts {
            records: true,
            tasks: true,
            ..Parts::HEAD
        };
        let e = scan::read_entry(&self.path(program, period), parts)?;
        Ok(e.map(|e| StoredPeriod {
            program: e.head.program,
            period: e.head.period,
            tool_version: e.head.tool_version,
            written_at: String::new(),
            inputs: Vec::new(),
            inbox: Vec::new(),
            fingerprint: None,
            outputs: Vec::new(),
            library: None,
            library_rows: Vec::new(),
            records: e.records,
            tasks: e.tasks,
            findings: Vec::new(),
        }))
    }
}

#[cfg(test)]
mod tests;
