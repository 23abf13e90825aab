//! `taizhang bench`: generates an inbox of messy ledgers (the samples' layouts)
//! and measures rows per second for a bare calamine pass (open, visit every
//! cell), for ingest (read, hash, sniff, calamine, header discovery, row
//! typing: the per-file work of a run) and for the whole run. A benchmark, not
//! a timed test: it reports figures and judges nothing.

use rayon::prelude::*;
use std::path::Path;
use std::time::Instant;

use crate::model::Period;
use crate::pipeline::{self, inbox, ingest, normalize, RunError, RunOptions, Silent};

/// Measured figures.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub files: usize,
    pub rows: usize,
    pub bytes: u64,
    pub bare_s: f64,
    pub ingest_s: f64,
    pub run_s: f64,
    /// rust_xlsxwriter writing the same cells once, unformatted (the floor of
    /// any report holding every row).
    pub bare_write_s: f64,
}

impl BenchReport {
    pub fn rows_per_s(&self, secs: f64) -> f64 {
        if secs > 0.0 {
            self.rows as f64 / secs
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

/// Runs the benchmark in `work` (a scratch folder) with the project at `root`.
pub fn run(
    root: &Path,
    work: &Path,
    files: usize,
    rows_per_file: usize,
    reps: usize,
) -> Result<BenchReport, RunError> {
    // A scratch project root: the real new-infra pipeline, synthetic units and a
    // library that knows every bench project (so the whole run accepts every row).
    let bench_root = work.join("root");
    let _ = std::fs::remove_dir_all(&bench_root);
    let info = crate::samplegen::write_bench_inbox(&bench_root, files, rows_per_file, 7)
        .map_err(|e| RunError::Usage(format!("生成测试数据失败：{e}")))?;
    let pipelines = bench_root.join("pipelines");
    std::fs::create_dir_all(&pipelines)
        .and_then(|_| {
            std::fs::copy(
                root.join("pipelines").join("new-infra.toml"),
                pipelines.join("new-infra.toml"),
            )
        })
        .map_err(|e| RunError::Write {
            path: pipelines.clone(),
            source: e.into(),
        })?;
    let inbox_dir = bench_root.join("inbox");
    let (paths, _) = inbox::scan(&info.period_dir)?;
    let setup = pipeline::setup(&bench_root, &[], None)?;
    // Loaded before any timing (the loader runs in the background).
    setup.libraries.get()?;
    let ctx = normalize::Context {
        specs: &setup.specs,
        libraries: &setup.libraries,
        units: &setup.units,
    };
    let bare_s = best_of(reps, || {
        let cells: usize = paths
            .par_iter()
            .map(|p| {
                std::fs::read(p)
                    .map(|b| ingest::bare_cell_count(&b))
                    .unwrap_or(0)
            })
            .sum();
        std::hint::black_box(cells);
        Ok(())
    })?;
    let ingest_s = best_of(reps, || {
        let rows: usize = paths
            .par_iter()
            .map(|p| {
                let Ok((file, bytes)) = inbox::load(&info.period_dir, p) else {
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
    })?;
    // The floor of writing: the cells just read, written back once with no
    // formatting (read outside the timing).
    let raws: Vec<crate::model::RawWorkbook> = paths
        .par_iter()
        .filter_map(|p| {
            let (file, bytes) = inbox::load(&info.period_dir, p).ok()?;
            ingest::read(file.format, &bytes).ok()
        })
        .collect();
    let sheets: Vec<&crate::model::RawSheet> = raws.iter().flat_map(|w| &w.sheets).collect();
    let bare_write_s = best_of(reps, || {
        let n = crate::report::bare_write(&sheets)
            .map_err(|e| RunError::Usage(format!("写出测试失败：{e}")))?;
        std::hint::black_box(n);
        Ok(())
    })?;
    drop(sheets);
    drop(raws);
    let out = work.join("out");
    let run_s = best_of(reps, || {
        let _ = std::fs::remove_dir_all(&out);
        let mut opts = RunOptions::new(bench_root.clone(), out.clone());
        opts.inbox = inbox_dir.clone();
        opts.period = Period::parse_period("2023-07");
        pipeline::run(&opts, &Silent).map(|_| ())
    })?;
    Ok(BenchReport {
        files: info.files,
        rows: info.rows,
        bytes: info.bytes,
        bare_s,
        ingest_s,
        run_s,
        bare_write_s,
    })
}
