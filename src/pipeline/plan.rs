//! Which periods a run processes, and why.
//!
//! The target period (named, or the latest inbox folder holding files) is
//! always processed. An earlier period of the inbox is redone for a program
//! when it is not done: no store entry, an entry without the completion record
//! of this version, an output missing or changed since (sha256), an inbox file
//! added, removed or replaced since, or a different pipeline file, unit list
//! or waiver file, or another library version declared for it (a library
//! file replaced in place does not redo it: its store entry keeps the rows it
//! was checked against, see `libver`; with `--library-current` it does, as
//! does any library change for an entry that kept no rows). Once a period is
//! redone, the later ones are too (their month-on-month checks read it).
//! `--from P` redoes P and after; `--redo P` redoes P alone. A folder
//! without files is never processed.

use rayon::prelude::*;
use std::path::{Path, PathBuf};

use super::publish::{manifest_outputs, sha256_file};
use super::{inbox, store::Store};
use crate::config::PipelineSpec;
use crate::model::{Fingerprint, InboxStamp, LibraryStamp, Period};

/// One period to process, for the programs listed (indices into the specs).
#[derive(Debug, Clone)]
pub struct Step {
    pub period: Period,
    pub programs: Vec<usize>,
}

/// What to process, with the reasons said to the user.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub notes: Vec<String>,
}

/// What the plan needs to know about the run.
pub struct PlanInput<'a> {
    pub specs: &'a [PipelineSpec],
    pub fingerprints: &'a [Fingerprint],
    pub store: &'a Store,
    pub inbox: &'a Path,
    pub out: &'a Path,
    pub periods: &'a [Period],
    pub target: Period,
    pub redo: &'a [Period],
    pub from: Option<Period>,
    /// The configuration folder (library paths are recorded relative to it).
    pub root: &'a Path,
    /// `--library-current`: a changed library file redoes earlier periods.
    pub library_current: bool,
}

/// The configuration a program's periods are checked against.
pub fn fingerprint(spec: &PipelineSpec, root: &Path, inbox: &Path) -> Fingerprint {
    let h = |p: &Path| sha256_file(p).unwrap_or_default();
    Fingerprint {
        pipeline: h(&spec.source),
        library: h(&spec.library),
        units: h(&root.join("seeds").join("units.toml")),
        waivers: h(&inbox.join(crate::waivers::FILE)),
    }
}

/// The stamp of an inbox file as the run records it: the sha256 of what was
/// read (none for a file too large to be a ledger, or unreadable).
pub fn stamp_of(name: &str, size: u64, sha256: &str) -> InboxStamp {
    let sha256 = if size > inbox::MAX_FILE_BYTES {
        String::new()
    } else {
        sha256.to_string()
    };
    InboxStamp {
        file: name.to_string(),
        size,
        sha256,
    }
}

/// The files of a period folder as they are now, stamped like the run does.
pub fn inbox_stamps(dir: &Path) -> Vec<InboxStamp> {
    let Ok((paths, _)) = inbox::scan(dir) else {
        return Vec::new();
    };
    let mut out: Vec<InboxStamp> = paths
        .par_iter()
        .map(|p| {
            let name = inbox::rel_name(dir, p);
            let size = std::fs::metadata(p).map_or(0, |m| m.len());
            if size > inbox::MAX_FILE_BYTES {
                return stamp_of(&name, size, "");
            }
            // A file that cannot be read is stamped as the run stamps it.
            match sha256_file(p) {
                Ok(sha) => stamp_of(&name, size, &sha),
                Err(_) => stamp_of(&name, 0, ""),
            }
        })
        .collect();
    out.sort();
    out
}

/// Whether a period folder holds any file to read.
pub fn has_files(dir: &Path) -> bool {
    inbox::scan(dir).is_ok_and(|(files, _)| !files.is_empty())
}

/// Decides the periods to process.
pub fn make(inp: &PlanInput<'_>) -> Plan {
    let mut plan = Plan::default();
    let mut programs_of: std::collections::BTreeMap<Period, Vec<usize>> = Default::default();
    let periods: Vec<Period> = inp
        .periods
        .iter()
        .copied()
        .filter(|p| *p <= inp.target)
        .collect();
    // Inbox stamps are computed once per period, and only when needed.
    let mut stamps: std::collections::HashMap<Period, Vec<InboxStamp>> = Default::default();
    for (si, spec) in inp.specs.iter().enumerate() {
        // Set once a period is redone: the later ones read it.
        let mut cascade = false;
        for &p in &periods {
            if p == inp.target || cascade {
                programs_of.entry(p).or_default().push(si);
                continue;
            }
            let from = inp.from.is_some_and(|f| p >= f);
            let stale = if from {
                None
            } else {
                let dir = inbox::period_dir(inp.inbox, p);
                let now = stamps.entry(p).or_insert_with(|| inbox_stamps(&dir));
                stale_reason(inp, si, p, now)
            };
            let why = match (&stale, from, inp.redo.contains(&p)) {
                (_, true, _) => "按 --from 要求重做".to_string(),
                (Some((w, _)), _, _) => w.clone(),
                (None, _, true) => "按 --redo 要求重做".to_string(),
                (None, false, false) => continue,
            };
            programs_of.entry(p).or_default().push(si);
            if inp.store.periods(&spec.id).is_empty() {
                // A first run: nothing is redone, the months are simply done.
                plan.notes.push(format!(
                    "{}：历史库中还没有该类别的数据，从 {p} 起逐月处理",
                    spec.name
                ));
                cascade = true;
                continue;
            }
            plan.notes
                .push(format!("{} {p}：{why}，重新处理", spec.name));
            // The later periods read this one's records: they are redone too
            // when those may change (`--from`, changed inputs or
            // configuration), not for `--redo P` alone nor for a lost report.
            cascade = from || stale.as_ref().is_some_and(|(_, data)| *data);
            if cascade && periods.iter().any(|q| *q > p && *q < inp.target) {
                plan.notes
                    .push(format!("{} {p} 之后的各期随之重新处理", spec.name));
            }
        }
    }
    plan.steps = programs_of
        .into_iter()
        .map(|(period, programs)| Step { period, programs })
        .collect();
    plan
}

/// Why an earlier period of a program is not done, if it is not, and
/// whether its records may change (so the later periods must follow).
fn stale_reason(
    inp: &PlanInput<'_>,
    si: usize,
    p: Period,
    now: &[InboxStamp],
) -> Option<(String, bool)> {
    let spec = &inp.specs[si];
    let data = |w: &str| Some((w.to_string(), true));
    let head = match inp.store.load_head(&spec.id, p) {
        Ok(Some(h)) => h,
        Ok(None) => return data("历史库中没有该期（首次处理，或上次运行未完成）"),
        Err(_) => return data("历史库中该期记录已损坏"),
    };
    let Some(fp) = head
        .fingerprint
        .as_ref()
        .filter(|_| !head.outputs.is_empty())
    else {
        return data("历史库中该期记录没有完成标记（旧版本写入）");
    };
    let want = &inp.fingerprints[si];
    if let Some(sha) = &head.library_snapshot {
        if !inp.store.has_snapshot(&spec.id, sha) {
            return data("历史库中该期核对所用的项目库快照缺失");
        }
    }
    if let Some(w) = library_reason(inp, si, p, &head.library, &fp.library) {
        return data(&w);
    }
    for (a, b, what) in [
        (&fp.pipeline, &want.pipeline, "流水线配置文件已变更"),
        (&fp.units, &want.units, "单位名录（seeds/units.toml）已变更"),
        (&fp.waivers, &want.waivers, "豁免清单 waivers.toml 已变更"),
    ] {
        if a != b {
            return data(what);
        }
    }
    if let Some(d) = inbox_difference(&head.inbox, now) {
        return Some((d, true));
    }
    let dir = inp.out.join(&spec.id).join(p.to_string());
    head.outputs
        .par_iter()
        .find_map_first(|o| match sha256_file(&dir.join(&o.file)) {
            Ok(sha) if sha == o.sha256 || o.sha256.is_empty() => None,
            Ok(_) => Some(format!("报表 {} 已被改动或损坏", o.file)),
            Err(_) => Some(format!("报表 {} 缺失", o.file)),
        })
        .map(|w| (w, false))
}

/// Why a period's library no longer holds, if it does not: another version
/// is declared for it (another file); or, with `--library-current` or for an
/// entry that kept no library rows, the file's content changed.
fn library_reason(
    inp: &PlanInput<'_>,
    si: usize,
    p: Period,
    kept: &Option<LibraryStamp>,
    then_sha: &str,
) -> Option<String> {
    let now = super::libver::declared(&inp.specs[si], inp.root, p);
    match kept {
        Some(k) if k.file != now.file => Some(format!(
            "项目库文件已变更（该期原按 {} 核对，现应按 {}）",
            k.file, now.file
        )),
        Some(k) if k.sha256 != now.sha256 && inp.library_current => Some(format!(
            "项目库文件 {} 内容已变更（--library-current）",
            now.file
        )),
        Some(_) => None,
        None if then_sha != now.sha256 => Some("项目库文件已变更".to_string()),
        None => None,
    }
}

/// The first difference between the stamps stored and the folder now.
fn inbox_difference(then: &[InboxStamp], now: &[InboxStamp]) -> Option<String> {
    let mut then = then.to_vec();
    then.sort();
    if then == now {
        return None;
    }
    let find = |list: &[InboxStamp], name: &str| list.iter().position(|s| s.file == name);
    for s in now {
        match find(&then, &s.file) {
            None => return Some(format!("收件目录新增了文件 {}", s.file)),
            Some(i) if then[i] != *s => return Some(format!("收件文件 {} 已被替换", s.file)),
            Some(_) => {}
        }
    }
    then.iter()
        .find(|s| find(now, &s.file).is_none())
        .map(|s| format!("收件文件 {} 已被移走", s.file))
        .or_else(|| Some("收件文件有变动".to_string()))
}

/// Outputs an earlier run of a program's period wrote: from its store entry
/// and from the manifest in the period folder.
pub fn previous_outputs(store: &Store, program: &str, period: Period, dir: &Path) -> Vec<String> {
    let mut out = manifest_outputs(dir);
    if let Ok(Some(h)) = store.load_head(program, period) {
        out.extend(h.outputs.into_iter().map(|o| o.file));
    }
    out.sort();
    out.dedup();
    out
}

/// The period folders of the inbox that hold files, and the ones that do not.
pub fn split_empty(inbox_dir: &Path, periods: &[Period]) -> (Vec<Period>, Vec<(Period, PathBuf)>) {
    let mut full = Vec::new();
    let mut empty = Vec::new();
    for &p in periods {
        let dir = inbox::period_dir(inbox_dir, p);
        if has_files(&dir) {
            full.push(p);
        } else {
            empty.push((p, dir));
        }
    }
    (full, empty)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(f: &str, sha: &str) -> InboxStamp {
        InboxStamp {
            file: f.into(),
            size: 1,
            sha256: sha.into(),
        }
    }

    #[test]
    fn inbox_differences_are_named() {
        let then = vec![st("a.xlsx", "1"), st("b.xlsx", "2")];
        assert_eq!(inbox_difference(&then, &then.clone()), None);
        assert_eq!(
            inbox_difference(&then, &[st("a.xlsx", "1"), st("b.xlsx", "3")]).unwrap(),
            "收件文件 b.xlsx 已被替换"
        );
        assert_eq!(
            inbox_difference(&then, &[st("a.xlsx", "1")]).unwrap(),
            "收件文件 b.xlsx 已被移走"
        );
        assert_eq!(
            inbox_difference(
                &then,
                &[st("a.xlsx", "1"), st("b.xlsx", "2"), st("c.xlsx", "4")]
            )
            .unwrap(),
            "收件目录新增了文件 c.xlsx"
        );
    }
}
