//! How the store writes: an entry is one JSON document laid out for people,
//! diffs and a line reader (`scan`): the head keys first, one per line, then
//! the lists (`records`, `tasks`, `findings`), one element per line. A
//! library version is a snapshot of its own, one row per line, named by the
//! sha256 of its bytes.

use std::io::Write;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::tasks::TaskRecord;
use crate::model::{
    Finding, Fingerprint, InboxStamp, LibraryRow, LibraryStamp, ProjectRecord, StoredInput,
    StoredPeriod,
};

/// A store entry as written: [`StoredPeriod`]'s keys in its order, the library
/// rows replaced by the name of their snapshot, findings compact.
#[derive(Serialize)]
struct EntryOut<'a> {
    program: &'a str,
    period: &'a str,
    tool_version: &'a str,
    written_at: &'a str,
    inputs: &'a [StoredInput],
    inbox: &'a [InboxStamp],
    fingerprint: Option<&'a Fingerprint>,
    outputs: &'a [StoredInput],
    #[serde(skip_serializing_if = "Option::is_none")]
    library: Option<&'a LibraryStamp>,
    /// sha256 of the library snapshot (`library/<sha256>.json`).
    #[serde(skip_serializing_if = "Option::is_none")]
    library_snapshot: Option<&'a str>,
    records: &'a [ProjectRecord],
    #[serde(skip_serializing_if = "<[TaskRecord]>::is_empty")]
    tasks: &'a [TaskRecord],
    findings: CompactFindings<'a>,
}

struct CompactFindings<'a>(&'a [Finding]);

impl Serialize for CompactFindings<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(Finding::compact))
    }
}

/// Writes the entry of `sp`, naming its library snapshot (`snapshot`: its
/// sha256, none when the period kept no library rows).
pub fn write_entry(
    w: &mut dyn Write,
    sp: &StoredPeriod,
    snapshot: Option<&str>,
) -> std::io::Result<()> {
    let out = EntryOut {
        program: &sp.program,
        period: &sp.period,
        tool_version: &sp.tool_version,
        written_at: &sp.written_at,
        inputs: &sp.inputs,
        inbox: &sp.inbox,
        fingerprint: sp.fingerprint.as_ref(),
        outputs: &sp.outputs,
        library: sp.library.as_ref(),
        library_snapshot: snapshot,
        records: &sp.records,
        tasks: &sp.tasks,
        findings: CompactFindings(&sp.findings),
    };
    write_json_lines(w, &out)
}

/// Writes a library snapshot: a JSON array, one row per line.
pub fn write_snapshot(w: &mut dyn Write, rows: &[LibraryRow]) -> std::io::Result<()> {
    w.write_all(b"[\n")?;
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            w.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut *w, r)?;
    }
    w.write_all(b"\n]\n")
}

/// The sha256 of the snapshot of `rows` (its name), computed without
/// holding its bytes.
pub fn snapshot_sha(rows: &[LibraryRow]) -> String {
    let mut h = Sha256::new();
    {
        // Buffered: serde writes a row in many small pieces. Writing into a
        // hasher cannot fail.
        let mut w = std::io::BufWriter::with_capacity(1 << 16, &mut h);
        let _ = write_snapshot(&mut w, rows).and_then(|_| w.flush());
    }
    super::super::publish::hex(&h.finalize())
}

/// Whether `s` can name a snapshot: 64 lowercase hex digits (an entry edited
/// by hand never names a path).
pub fn is_sha(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// JSON laid out for people and diffs: the top level and its lists indented,
/// each list element (a project record, a finding) compact on one line. A fifth
/// of the pretty form's size for the same document.
pub fn to_json_lines<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::new();
    write_json_lines(&mut out, value).map_err(serde_json::Error::io)?;
    Ok(out)
}

/// [`to_json_lines`] streamed into `w`.
pub fn write_json_lines<T: Serialize + ?Sized>(
    w: &mut dyn Write,
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
