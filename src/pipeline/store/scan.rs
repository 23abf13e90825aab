//! How the store reads: line by line through a buffered reader, never the
//! whole file at once. An entry laid out as `layout` writes it (and as
//! earlier versions did: `{`, then `"program"` first, head keys before the
//! lists, one list element per line) is read up to what is asked for and no
//! further: the head alone stops at the first list, the records before the
//! findings. Anything else (an entry written by hand, pretty-printed or on
//! one line) is parsed whole, streamed from the file.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::StoreError;
use crate::model::tasks::TaskRecord;
use crate::model::{
    Finding, Fingerprint, InboxStamp, LibraryRow, LibraryStamp, ProjectRecord, StoredInput,
};

/// Read buffer: large enough that a record line is one copy, small enough
/// to stay out of the run's peak.
const BUFFER: usize = 1 << 16;

/// The lists of an entry, in the order they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum List {
    /// Library rows inline (entries written before snapshots).
    LibraryRows,
    Records,
    Tasks,
    Findings,
}

impl List {
    fn of_key(key: &str) -> Option<List> {
        Some(match key {
            "library_rows" => List::LibraryRows,
            "records" => List::Records,
            "tasks" => List::Tasks,
            "findings" => List::Findings,
            _ => return None,
        })
    }
}

/// The lists to read besides the head (the others are skipped unparsed).
#[derive(Debug, Clone, Copy, Default)]
pub struct Parts {
    pub library_rows: bool,
    pub records: bool,
    pub tasks: bool,
    pub findings: bool,
}

impl Parts {
    pub const HEAD: Parts = Parts {
        library_rows: false,
        records: false,
        tasks: false,
        findings: false,
    };
    pub const ALL: Parts = Parts {
        library_rows: true,
        records: true,
        tasks: true,
        findings: true,
    };

    fn wants(self, l: List) -> bool {
        match l {
            List::LibraryRows => self.library_rows,
            List::Records => self.records,
            List::Tasks => self.tasks,
            List::Findings => self.findings,
        }
    }

    /// The last list wanted, if any: reading stops after it.
    fn last(self) -> Option<List> {
        [
            List::Findings,
            List::Tasks,
            List::Records,
            List::LibraryRows,
        ]
        .into_iter()
        .find(|l| self.wants(*l))
    }
}

/// The keys before the lists.
#[derive(Debug, Default, Deserialize)]
pub struct Head {
    #[serde(default)]
    pub program: String,
    #[serde(default)]
    pub period: String,
    #[serde(default)]
    pub tool_version: String,
    #[serde(default)]
    pub written_at: String,
    #[serde(default)]
    pub inputs: Vec<StoredInput>,
    #[serde(default)]
    pub inbox: Vec<InboxStamp>,
    #[serde(default)]
    pub fingerprint: Option<Fingerprint>,
    #[serde(default)]
    pub outputs: Vec<StoredInput>,
    #[serde(default)]
    pub library: Option<LibraryStamp>,
    /// sha256 of the library snapshot (none in earlier entries: rows inline).
    #[serde(default)]
    pub library_snapshot: Option<String>,
}

/// What was read of an entry (the lists not asked for are empty).
#[derive(Debug, Default)]
pub struct Entry {
    pub head: Head,
    pub library_rows: Vec<LibraryRow>,
    pub records: Vec<ProjectRecord>,
    pub tasks: Vec<TaskRecord>,
    pub findings: Vec<Finding>,
}

/// An entry parsed whole (the fallback).
#[derive(Deserialize)]
struct Whole {
    #[serde(default)]
    program: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    tool_version: String,
    #[serde(default)]
    written_at: String,
    #[serde(default)]
    inputs: Vec<StoredInput>,
    #[serde(default)]
    inbox: Vec<InboxStamp>,
    #[serde(default)]
    fingerprint: Option<Fingerprint>,
    #[serde(default)]
    outputs: Vec<StoredInput>,
    #[serde(default)]
    library: Option<LibraryStamp>,
    #[serde(default)]
    library_snapshot: Option<String>,
    #[serde(default)]
    library_rows: Vec<LibraryRow>,
    #[serde(default)]
    records: Vec<ProjectRecord>,
    #[serde(default)]
    tasks: Vec<TaskRecord>,
    #[serde(default)]
    findings: Vec<Finding>,
}

impl Whole {
    fn into_entry(self, parts: Parts) -> Entry {
        Entry {
            head: Head {
                program: self.program,
                period: self.period,
                tool_version: self.tool_version,
                written_at: self.written_at,
                inputs: self.inputs,
                inbox: self.inbox,
                fingerprint: self.fingerprint,
                outputs: self.outputs,
                library: self.library,
                library_snapshot: self.library_snapshot,
            },
            library_rows: keep(parts.library_rows, self.library_rows),
            records: keep(parts.records, self.records),
            tasks: keep(parts.tasks, self.tasks),
            findings: keep(parts.findings, self.findings),
        }
    }
}

fn keep<T>(want: bool, v: Vec<T>) -> Vec<T> {
    if want {
        v
    } else {
        Vec::new()
    }
}

/// Reads the head and the `parts` of the entry at `path`; none when absent.
pub fn read_entry(path: &Path, parts: Parts) -> Result<Option<Entry>, StoreError> {
    let Some(file) = open(path)? else {
        return Ok(None);
    };
    match by_lines(BufReader::with_capacity(BUFFER, file), parts) {
        Ok(Some(entry)) => Ok(Some(entry)),
        Ok(None) => whole::<Whole>(path).map(|w| Some(w.into_entry(parts))),
        Err(e) => Err(read_error(path, e)),
    }
}

/// Reads a library snapshot; none when absent.
pub fn read_snapshot(path: &Path) -> Result<Option<Vec<LibraryRow>>, StoreError> {
    let Some(file) = open(path)? else {
        return Ok(None);
    };
    match snapshot_lines(BufReader::with_capacity(BUFFER, file)) {
        Ok(Some(rows)) => Ok(Some(rows)),
        Ok(None) => whole(path).map(Some),
        Err(e) => Err(read_error(path, e)),
    }
}

fn open(path: &Path) -> Result<Option<File>, StoreError> {
    match File::open(path) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(read_error(path, e)),
    }
}

fn read_error(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Read {
        path: path.to_path_buf(),
        source: e.into(),
    }
}

/// The file parsed as one document, streamed (the fallback; its error says
/// where the file is broken).
fn whole<T: DeserializeOwned>(path: &Path) -> Result<T, StoreError> {
    let Some(file) = open(path)? else {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            message: "文件在读取过程中被移走".to_string(),
        });
    };
    serde_json::from_reader(BufReader::with_capacity(BUFFER, file)).map_err(|e| {
        StoreError::Corrupt {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    })
}

/// Lines of a reader, without their line ends, in one reused buffer.
struct Lines<R> {
    r: R,
    buf: String,
}

impl<R: BufRead> Lines<R> {
    /// The next line; none at the end of the file, or when the file is not
    /// text (the whole-document parse then says why).
    fn next(&mut self) -> std::io::Result<Option<&str>> {
        self.buf.clear();
        match self.r.read_line(&mut self.buf) {
            Ok(0) => Ok(None),
            Ok(_) => Ok(Some(self.buf.trim_end_matches(['\n', '\r']))),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// `  "key": rest` → (key, rest): a key of the top level.
fn top_key(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("  \"")?;
    let end = rest.find("\": ")?;
    Some((&rest[..end], &rest[end + 3..]))
}

/// The entry read line by line; none when it is not laid out that way.
fn by_lines<R: BufRead>(r: R, parts: Parts) -> std::io::Result<Option<Entry>> {
    let mut lines = Lines {
        r,
        buf: String::new(),
    };
    if lines.next()? != Some("{") {
        return Ok(None);
    }
    // `program` first: `StoredPeriod`'s order, head keys before lists.
    match lines.next()? {
        Some(line) if line.starts_with("  \"program\": ") => {}
        _ => return Ok(None),
    }
    let mut head = format!("{{\n{}\n", lines.buf.trim_end());
    let mut entry = Entry::default();
    let last = parts.last();
    loop {
        let Some(line) = lines.next()? else {
            return Ok(None);
        };
        let list = top_key(line).and_then(|(k, rest)| List::of_key(k).map(|l| (l, rest)));
        let Some((list, rest)) = list else {
            if line == "}" {
                head.push('}');
                return Ok(parse_head(&head).map(|h| Entry { head: h, ..entry }));
            }
            head.push_str(line);
            head.push('\n');
            continue;
        };
        let Some(h) = parse_head(&format!("{}}}", head.trim_end().trim_end_matches(','))) else {
            return Ok(None);
        };
        entry.head = h;
        if last.is_none_or(|l| list > l) {
            return Ok(Some(entry));
        }
        let rest = rest.to_string();
        return lists(&mut lines, (list, &rest), parts, entry);
    }
}

fn parse_head(text: &str) -> Option<Head> {
    serde_json::from_str(text).ok()
}

/// The lists of an entry from the first one's key line on.
fn lists<R: BufRead>(
    lines: &mut Lines<R>,
    (mut list, first): (List, &str),
    parts: Parts,
    mut entry: Entry,
) -> std::io::Result<Option<Entry>> {
    let Some(last) = parts.last() else {
        return Ok(Some(entry));
    };
    let mut open = first.trim_end_matches(',').to_string();
    loop {
        match open.as_str() {
            "[]" => {}
            "[" => {
                if !elements(lines, list, parts, &mut entry)? {
                    return Ok(None);
                }
            }
            _ => return Ok(None),
        }
        if list >= last {
            return Ok(Some(entry));
        }
        let Some(line) = lines.next()? else {
            return Ok(None);
        };
        if line == "}" {
            return Ok(Some(entry));
        }
        match top_key(line).and_then(|(k, rest)| List::of_key(k).map(|l| (l, rest))) {
            Some((l, rest)) if l > list => {
                list = l;
                open = rest.trim_end_matches(',').to_string();
            }
            _ => return Ok(None),
        }
    }
}

/// The elements of one list, up to its closing line (parsed when wanted);
/// false when a line is not one element.
fn elements<R: BufRead>(
    lines: &mut Lines<R>,
    list: List,
    parts: Parts,
    entry: &mut Entry,
) -> std::io::Result<bool> {
    let want = parts.wants(list);
    loop {
        let Some(line) = lines.next()? else {
            return Ok(false);
        };
        if line == "  ]" || line == "  ]," {
            return Ok(true);
        }
        let Some(item) = line.strip_prefix("    ") else {
            return Ok(false);
        };
        if !want {
            continue;
        }
        let item = item.strip_suffix(',').unwrap_or(item);
        let ok = match list {
            List::LibraryRows => push(&mut entry.library_rows, item),
            List::Records => push(&mut entry.records, item),
            List::Tasks => push(&mut entry.tasks, item),
            List::Findings => push(&mut entry.findings, item),
        };
        if !ok {
            return Ok(false);
        }
    }
}

fn push<T: DeserializeOwned>(v: &mut Vec<T>, item: &str) -> bool {
    match serde_json::from_str(item) {
        Ok(x) => {
            v.push(x);
            true
        }
        Err(_) => false,
    }
}

/// A snapshot read line by line (`[`, one row per line, `]`); none when it
/// is not laid out that way.
fn snapshot_lines<R: BufRead>(r: R) -> std::io::Result<Option<Vec<LibraryRow>>> {
    let mut lines = Lines {
        r,
        buf: String::new(),
    };
    if lines.next()? != Some("[") {
        return Ok(None);
    }
    let mut rows = Vec::new();
    loop {
        let Some(line) = lines.next()? else {
            return Ok(None);
        };
        if line == "]" {
            return Ok(Some(rows));
        }
        let item = line.strip_suffix(',').unwrap_or(line);
        if !push(&mut rows, item) {
            return Ok(None);
        }
    }
}
