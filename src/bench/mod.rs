//! `taizhang bench`: generates, for one pipeline (`--pipeline`, default the
//! first by file name), an inbox that looks like a real month-end
//! ([`inbox`]: two months, June caught up first; by default a messy one:
//! units sending 3-4 parts, revisions and 补报 files, about 2% of rows with
//! each kind of mistake, a 100,000-project library) and measures, over the
//! same files:
//! a bare calamine pass (open, visit every cell), ingest (read, hash, sniff,
//! calamine, header discovery, row typing: the per-file work of a run), a bare
//! rust_xlsxwriter write of the same cells (the floor of any report holding
//! every row), and the whole run as a separate process (`taizhang run`, two
//! periods with catch-up from an empty store), with its peak RSS and each
//! stage's time from the manifests. A benchmark, not a timed test: it reports
//! figures and judges nothing.

use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::config::PipelineSpec;
use crate::pipeline::{self, ingest, normalize, RunError};
use crate::seeds::Units;

pub mod inbox;

pub use inbox::{InboxInfo, Shape};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// The `taizhang` executable that runs the whole month-end as a child.
    pub exe: PathBuf,
    /// Ledger parts a month and data rows per part.
    pub files: usize,
    pub rows_per_file: usize,
    /// Repetitions of each pass (the fastest counts).
    pub reps: usize,
    /// Inboxes to measure: `true` messy, `false` clean.
    pub inboxes: Vec<bool>,
    /// The program to bench (`--pipeline ID|FILE`); `None`: the first
    /// pipeline by file name.
    pub pipeline: Option<String>,
}

/// Measured figures of one inbox.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub messy: bool,
    /// The pipeline benched (id).
    pub pipeline: String,
    pub inbox: InboxInfo,
    pub bare_s: f64,
    pub ingest_s: f64,
    /// rust_xlsxwriter writing the same cells once, unformatted.
    pub bare_write_s: f64,
    /// The whole run (child process), both periods.
    pub run_s: f64,
    /// Peak resident set of the whole run, bytes (`None` where the OS does not say).
    pub peak_rss: Option<u64>,
    /// Each stage's time summed over the periods (manifest `timings_ms`), seconds.
    pub stages: BTreeMap<String, f64>,
    /// Rows accepted / rejected / skipped over the periods (manifests).
    pub accounting: [u64; 3],
}

impl BenchReport {
    pub fn rows_per_s(&self, secs: f64) -> f64 {
        if secs > 0.0 {
            self.inbox.rows_all as f64 / secs
        } else {
            0.0
        }
    }
}

fn best_of<F: FnMut() -> Result<(), RunError>>(reps: usize, mut f: F) -> Result<f64, RunError> {
    let mut best = f64::MAX;
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        f()?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok(best)
}

/// Runs the benchmark in `work` (a scratch folder) with the project at `root`:
/// one report per inbox asked for.
pub fn run(root: &Path, work: &Path, o: &BenchOptions) -> Result<Vec<BenchReport>, RunError> {
    let spec = bench_pipeline(root, o.pipeline.as_deref())?;
    let units = Units::load(&root.join("seeds").join("units.toml"))?;
    o.inboxes
        .iter()
        .map(|&messy| {
            let dir = work.join(if messy { "messy" } else { "clean" });
            one_inbox(root, &spec, &units, &dir, o, messy)
        })
        .collect()
}

/// The pipeline `--pipeline` names (an id under `root/pipelines`, or a
/// file), else the first by file name; refused when the generator cannot
/// write ledgers for it.
pub fn bench_pipeline(root: &Path, wanted: Option<&str>) -> Result<PipelineSpec, RunError> {
    let dir = root.join("pipelines");
    let specs = match wanted {
        Some(w) => crate::config::select(&dir, root, &[w.to_string()])?,
        None => crate::config::load_all(&dir, root)?,
    };
    let spec = specs
        .into_iter()
        .next()
        .ok_or_else(|| RunError::Usage(format!("{} 中没有流水线文件", dir.display())))?;
    inbox::check_pipeline(&spec).map_err(|e| RunError::Usage(e.to_string()))?;
    Ok(spec)
}

fn one_inbox(
    root: &Path,
    spec: &PipelineSpec,
    units: &Units,
    dir: &Path,
    o: &BenchOptions,
    messy: bool,
) -> Result<BenchReport, RunError> {
    let bench_root = dir.join("root");
    let _ = std::fs::remove_dir_all(dir);
    let shape = Shape {
        files: o.files,
        rows_per_file: o.rows_per_file,
        seed: 7,
        messy,
    };
    let info = inbox::write(&bench_root, spec, &units.list, shape)
        .map_err(|e| RunError::Usage(format!("生成测试数据失败：{e}")))?;
    copy_config(root, spec, &bench_root)?;
    let mut paths = Vec::new();
    for d in &info.period_dirs {
        paths.extend(
            pipeline::inbox::scan(d)?
                .0
                .into_iter()
                .map(|p| (d.clone(), p)),
        );
    }
    let bare_s = best_of(o.reps, || {
        let cells: usize = paths
            .par_iter()
            .map(|(_, p)| {
                std::fs::read(p)
                    .map(|b| ingest::bare_cell_count(&b))
                    .unwrap_or(0)
            })
            .sum();
        std::hint::black_box(cells);
        Ok(())
    })?;
    let ingest_s = time_ingest(&bench_root, spec, &info.library, &paths, o.reps)?;
    let bare_write_s = time_bare_write(&paths, o.reps)?;
    let out = dir.join("out");
    let mut peak_rss = None;
    // Stage times of the fastest run (they are summed from its manifests).
    let (mut best, mut stages, mut accounting) = (f64::MAX, BTreeMap::new(), [0; 3]);
    let run_s = best_of(o.reps, || {
        let _ = std::fs::remove_dir_all(&out);
        let t = Instant::now();
        let rss = run_child(&o.exe, &bench_root, spec, &info, &out)?;
        let secs = t.elapsed().as_secs_f64();
        peak_rss = peak_rss.max(rss);
        if secs < best {
            best = secs;
            (stages, accounting) = read_manifests(&out.join(&spec.id))?;
        }
        Ok(())
    })?;
    Ok(BenchReport {
        messy,
        pipeline: spec.id.clone(),
        inbox: info,
        bare_s,
        ingest_s,
        bare_write_s,
        run_s,
        peak_rss,
        stages,
        accounting,
    })
}

/// The benched pipeline file and the unit list into the scratch root (the
/// library is the generated one, given to the run as `--library`).
fn copy_config(root: &Path, spec: &PipelineSpec, bench_root: &Path) -> Result<(), RunError> {
    let pipelines = bench_root.join("pipelines");
    let units = Path::new("seeds").join("units.toml");
    std::fs::create_dir_all(&pipelines)
        .and_then(|_| std::fs::copy(&spec.source, pipelines.join(format!("{}.toml", spec.id))))
        .and_then(|_| std::fs::copy(root.join(&units), bench_root.join(&units)))
        .map(|_| ())
        .map_err(|e| RunError::Write {
            path: bench_root.to_path_buf(),
            source: e.into(),
        })
}

fn time_ingest(
    bench_root: &Path,
    spec: &PipelineSpec,
    library: &Path,
    paths: &[(PathBuf, PathBuf)],
    reps: usize,
) -> Result<f64, RunError> {
    let setup = pipeline::setup(bench_root, std::slice::from_ref(&spec.id), Some(library))?;
    // Loaded before any timing (the loader runs in the background).
    setup.libraries.get()?;
    let ctx = normalize::Context {
        specs: &setup.specs,
        unselected: &setup.unselected,
        libraries: &setup.libraries,
        units: &setup.units,
        period: None,
    };
    best_of(reps, || {
        let rows: usize = paths
            .par_iter()
            .map(|(dir, p)| {
                let Ok((file, bytes)) = pipeline::inbox::load(dir, p) else {
                    return 0;
                };
                let Ok(raw) = ingest::read(file.format, &bytes) else {
                    return 0;
                };
                let prog = normalize::classify_program(&file.name, &raw, &ctx).unwrap_or(0);
                let pf = normalize::parse_file(file, raw, prog, &ctx);
                pf.tables.iter().map(|t| t.rows.len()).sum::<usize>()
            })
            .sum();
        std::hint::black_box(rows);
        Ok(())
    })
}

/// The floor of writing: the cells just read, written back once with no
/// formatting (read outside the timing).
fn time_bare_write(paths: &[(PathBuf, PathBuf)], reps: usize) -> Result<f64, RunError> {
    let raws: Vec<crate::model::RawWorkbook> = paths
        .par_iter()
        .filter_map(|(dir, p)| {
            let (file, bytes) = pipeline::inbox::load(dir, p).ok()?;
            ingest::read(file.format, &bytes).ok()
        })
        .collect();
    let sheets: Vec<&crate::model::RawSheet> = raws.iter().flat_map(|w| &w.sheets).collect();
    best_of(reps, || {
        let n = crate::report::bare_write(&sheets)
            .map_err(|e| RunError::Usage(format!("写出测试失败：{e}")))?;
        std::hint::black_box(n);
        Ok(())
    })
}

/// `taizhang run` over the bench inbox as a child process (its own peak RSS):
/// the latest month, the earlier one caught up first from an empty store.
fn run_child(
    exe: &Path,
    root: &Path,
    spec: &PipelineSpec,
    info: &InboxInfo,
    out: &Path,
) -> Result<Option<u64>, RunError> {
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--root")
        .arg(root)
        .arg("run")
        .arg("--quiet")
        .arg("--pipeline")
        .arg(&spec.id)
        .arg("--library")
        .arg(&info.library)
        .arg("--inbox")
        .arg(&info.inbox)
        .arg("--out")
        .arg(out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let child = cmd
        .spawn()
        .map_err(|e| RunError::Usage(format!("无法启动 {}：{e}", exe.display())))?;
    let (status, rss) = wait_with_rss(child)?;
    if !status.0 {
        return Err(RunError::Usage(format!(
            "测试运行失败（退出码 {}）：{}",
            status.1,
            status.2.trim()
        )));
    }
    Ok(rss)
}

/// How a child ended: success, exit code, what it printed on stderr.
type Ended = (bool, i32, String);

/// Waits for `child`; how it ended and its peak RSS in bytes. The peak is the
/// child's own `VmHWM`, polled from `/proc` while it runs (Linux): the
/// `ru_maxrss` of `wait4` would count this bench process too, whose memory
/// the child shares until it executes the run.
fn wait_with_rss(mut child: std::process::Child) -> Result<(Ended, Option<u64>), RunError> {
    use std::io::Read;
    let status_path = format!("/proc/{}/status", child.id());
    let mut err_pipe = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut err = String::new();
        if let Some(e) = err_pipe.as_mut() {
            let _ = e.read_to_string(&mut err);
        }
        err
    });
    let mut peak: Option<u64> = None;
    let status = loop {
        if let Some(kb) = std::fs::read_to_string(&status_path)
            .ok()
            .and_then(|s| vm_hwm_kb(&s))
        {
            peak = peak.max(Some(kb * 1024));
        }
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(10)),
            Err(e) => return Err(RunError::Usage(format!("等待测试运行失败：{e}"))),
        }
    };
    let err = reader.join().unwrap_or_default();
    Ok(((status.success(), status.code().unwrap_or(-1), err), peak))
}

/// `VmHWM:   123456 kB` of a `/proc/PID/status`, in kB.
fn vm_hwm_kb(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Stage times (seconds, summed over periods) and row accounting from the
/// manifests under `program_dir/<period>/manifest.json`.
fn read_manifests(program_dir: &Path) -> Result<(BTreeMap<String, f64>, [u64; 3]), RunError> {
    let mut stages = BTreeMap::new();
    let mut acc = [0u64; 3];
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(program_dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    dirs.sort();
    for d in dirs {
        let Ok(bytes) = std::fs::read(d.join("manifest.json")) else {
            continue;
        };
        let m: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| RunError::Usage(format!("测试运行的 manifest.json 无法读取：{e}")))?;
        if let Some(t) = m.get("timings_ms").and_then(|t| t.as_object()) {
            for (k, v) in t {
                *stages.entry(k.clone()).or_insert(0.0) += v.as_f64().unwrap_or(0.0) / 1000.0;
            }
        }
        for input in m
            .get("inputs")
            .and_then(|i| i.as_array())
            .into_iter()
            .flatten()
        {
            for (i, key) in ["accepted", "rejected", "skipped"].iter().enumerate() {
                acc[i] += input.get(*key).and_then(|v| v.as_u64()).unwrap_or(0);
            }
        }
    }
    Ok((stages, acc))
}
