//! History store: one JSON file per program and period
//! (`STORE/<program>/<period>.json`) holding that period's project records,
//! findings and input hashes. Written atomically (temp file, then rename);
//! rerunning a period replaces its file. Month-on-month checks and the
//! quarterly report read only this store.
//!
//! JSON, not parquet: amounts are integers of 元 either way, a period is a few
//! hundred records, the files stay readable by auditors, and it spares CI the
//! cold build of polars' parquet stack on a 2-core machine.

use std::path::PathBuf;

use crate::model::{Period, StoredPeriod};

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
#[derive(Debug, Clone, serde::Deserialize)]
pub struct StoredHead {
    #[serde(default)]
    pub inbox: Vec<crate::model::InboxStamp>,
    #[serde(default)]
    pub fingerprint: Option<crate::model::Fingerprint>,
    #[serde(default)]
    pub outputs: Vec<crate::model::StoredInput>,
    #[serde(default)]
    pub library: Option<crate::model::LibraryStamp>,
}

/// The library a stored period was checked against (none in entries written
/// before versions were kept).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct StoredLibrary {
    #[serde(default)]
    pub library: Option<crate::model::LibraryStamp>,
    #[serde(default)]
    pub library_rows: Vec<crate::model::LibraryRow>,
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Store {
        Store { dir: dir.into() }
    }

    fn path(&self, program: &str, period: Period) -> PathBuf {
        self.dir.join(program).join(format!("{period}.json"))
    }

    /// Saves (replaces) one period.
    pub fn save(&self, sp: &StoredPeriod) -> Result<PathBuf, StoreError> {
        let period = Period::parse_period(&sp.period)
            .unwrap_or(crate::model::YearMonth { year: 0, month: 1 });
        let path = self.path(&sp.program, period);
        write_atomic_with(&path, |w| write_json_lines(w, sp)).map_err(|e| StoreError::Write {
            path: path.clone(),
            source: e.into(),
        })?;
        Ok(path)
    }

    /// Loads one period, if stored.
    pub fn load(&self, program: &str, period: Period) -> Result<Option<StoredPeriod>, StoreError> {
        self.read(program, period)
    }

    /// The completion record of a stored period (what it was checked against,
    /// its inbox and outputs), without building its records.
    pub fn load_head(
        &self,
        program: &str,
        period: Period,
    ) -> Result<Option<StoredHead>, StoreError> {
        self.read(program, period)
    }

    /// The library version and rows a stored period kept, if stored.
    pub fn load_library(
        &self,
        program: &str,
        period: Period,
    ) -> Result<Option<StoredLibrary>, StoreError> {
        self.read(program, period)
    }

    /// The latest stored period of a program before `period` (any year).
    pub fn previous(&self, program: &str, period: Period) -> Option<Period> {
        self.periods(program).into_iter().rfind(|p| *p < period)
    }

    fn read<T: serde::de::DeserializeOwned>(
        &self,
        program: &str,
        period: Period,
    ) -> Result<Option<T>, StoreError> {
        let path = self.path(program, period);
        if !path.exists() {
            return Ok(None);
        }
        let bytes = std::fs::read(&path).map_err(|e| StoreError::Read {
            path: path.clone(),
            source: e.into(),
        })?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StoreError::Corrupt {
                path,
                message: e.to_string(),
            })
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

    /// One stored period with its records alone (see [`Store::year_before`]).
    pub fn load_records(
        &self,
        program: &str,
        period: Period,
    ) -> Result<Option<StoredPeriod>, StoreError> {
        let h: Option<RecordsOnly> = self.read(program, period)?;
        Ok(h.map(|h| StoredPeriod {
            program: h.program,
            period: h.period,
            tool_version: h.tool_version,
            written_at: String::new(),
            inputs: Vec::new(),
            inbox: Vec::new(),
            fingerprint: None,
            outputs: Vec::new(),
            library: None,
            library_rows: Vec::new(),
            records: h.records,
            tasks: h.tasks,
            findings: Vec::new(),
        }))
    }
}

/// A store entry read for its records alone (serde skips the other keys
/// without building them).
#[derive(serde::Deserialize)]
struct RecordsOnly {
    program: String,
    period: String,
    tool_version: String,
    records: Vec<crate::model::ProjectRecord>,
    #[serde(default)]
    tasks: Vec<crate::kinds::tasks::TaskRecord>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_layout_round_trips() {
        let v = serde_json::json!({
            "a": 1,
            "list": [{"k": [1, 2], "s": "x"}, {"k": [], "s": "y"}],
            "empty": [],
            "obj": {"p": {"q": 1}}
        });
        let bytes = to_json_lines(&v).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            "{\n  \"a\": 1,\n  \"empty\": [],\n  \"list\": [\n    {\"k\":[1,2],\"s\":\"x\"},\n    {\"k\":[],\"s\":\"y\"}\n  ],\n  \"obj\": {\n    \"p\": {\"q\":1}\n  }\n}\n"
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn save_replaces_and_lists() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let mut sp = StoredPeriod {
            program: "x".into(),
            period: "2023-02".into(),
            tool_version: "t".into(),
            written_at: "w".into(),
            inputs: vec![],
            inbox: vec![],
            fingerprint: None,
            outputs: vec![],
            library: None,
            library_rows: Vec::new(),
            records: vec![],
            tasks: Vec::new(),
            findings: vec![],
        };
        store.save(&sp).unwrap();
        sp.written_at = "w2".into();
        store.save(&sp).unwrap();
        let p = Period::parse_period("2023-02").unwrap();
        assert_eq!(store.load("x", p).unwrap().unwrap().written_at, "w2");
        assert_eq!(store.periods("x"), vec![p]);
        assert_eq!(
            std::fs::read_dir(dir.path().join("x")).unwrap().count(),
            1,
            "no temp file left"
        );
        assert_eq!(
            store
                .year_before("x", Period::parse_period("2023-03").unwrap())
                .unwrap()
                .len(),
            1
        );
    }
}

/// JSON laid out for people and diffs: the top level and its lists indented,
/// each list element (a project record, a finding) compact on one line. A fifth
/// of the pretty form's size for the same document.
pub fn to_json_lines<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::new();
    write_json_lines(&mut out, value).map_err(serde_json::Error::io)?;
    Ok(out)
}

/// [`to_json_lines`] streamed into `w`.
pub fn write_json_lines<T: serde::Serialize + ?Sized>(
    w: &mut dyn std::io::Write,
    value: &T,
) -> std::io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(&mut *w, Shallow::default());
    value.serialize(&mut ser).map_err(std::io::Error::from)?;
    w.write_all(b"\n")
}

/// A serde_json formatter that indents only the first two levels.
#[derive(Default)]
struct Shallow {
    depth: usize,
    has_value: bool,
}

impl Shallow {
    const PRETTY_DEPTH: usize = 2;

    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(c)
    }

    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value && self.depth < Self::PRETTY_DEPTH {
            self.newline(w)?;
        }
        w.write_all(c)
    }

    fn item<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        if self.depth <= Self::PRETTY_DEPTH {
            self.newline(w)?;
        }
        Ok(())
    }

    fn newline<W: ?Sized + std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..self.depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for Shallow {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(if self.depth <= Self::PRETTY_DEPTH {
            b": "
        } else {
            b":"
        })
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}
