//! The month-end run: calls the stages in order, and nothing else.
//!
//! lock → plan (which periods, why) → per period: inbox → (rayon, per file)
//! ingest → classify → normalize → (per program) validate → aggregate
//! (polars) → reports + manifest into a staging folder → publish → store
//! entry last (it marks the period done).

pub mod aggregate;
pub mod archive;
pub mod header;
pub mod inbox;
pub mod ingest;
pub mod libdiff;
pub mod libver;
pub mod manifest;
pub mod money;
pub mod normalize;
pub mod plan;
pub mod publish;
pub mod status;
pub mod store;
pub mod templates;
pub mod validate;

use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::checks::{finding, Loc};
use crate::config::{ConfigError, PipelineSpec};
use crate::fsx::Why;
use crate::model::{
    FileStatus, Finding, Fingerprint, InboxFile, ParsedFile, Period, ProjectRecord, StoredInput,
    StoredPeriod,
};
use crate::seeds::{Libraries, SeedError, Units};
use normalize::Context;

/// Errors that stop a run. Bad data is never one of these: it is a finding.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Seed(#[from] SeedError),
    #[error(transparent)]
    Inbox(#[from] inbox::InboxError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Aggregate(#[from] aggregate::AggregateError),
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    #[error(transparent)]
    Publish(#[from] publish::PublishError),
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
    #[error(transparent)]
    Waivers(#[from] crate::waivers::WaiverError),
    #[error(transparent)]
    Init(#[from] crate::init::InitError),
    #[error("无法写入 {path}：{source}")]
    Write { path: PathBuf, source: Why },
    #[error("{0}")]
    Usage(String),
    #[error("收件目录 {dir} 中没有任何台账文件：{period} 未处理，未生成报表，也未写入历史库。请把各单位报来的文件放入该文件夹后再运行")]
    EmptyPeriod { period: Period, dir: PathBuf },
}

fn write_err(path: &Path) -> impl Fn(std::io::Error) -> RunError + '_ {
    move |e| RunError::Write {
        path: path.to_path_buf(),
        source: Why(e),
    }
}

impl RunError {
    /// Exit status per spec §8: 2 for usage or configuration errors, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Init(
                crate::init::InitError::Write { .. } | crate::init::InitError::Report(_),
            ) => 1,
            RunError::Config(_)
            | RunError::Usage(_)
            | RunError::Seed(_)
            | RunError::Waivers(_)
            | RunError::Init(_) => 2,
            RunError::Inbox(
                inbox::InboxError::Missing(_) | inbox::InboxError::AmbiguousPeriod { .. },
            ) => 2,
            _ => 1,
        }
    }
}

/// Resolved options of `taizhang run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Project root: where `pipelines/` and `seeds/` live.
    pub root: PathBuf,
    pub inbox: PathBuf,
    pub out: PathBuf,
    pub store: PathBuf,
    pub period: Option<Period>,
    pub pipelines: Vec<String>,
    pub library: Option<PathBuf>,
    /// Earlier periods to rebuild on purpose (`--redo`), alone.
    pub redo: Vec<Period>,
    /// Rebuild every period from this one on (`--from`).
    pub from: Option<Period>,
    /// How long to wait for another run holding the lock.
    pub wait: std::time::Duration,
    /// Earlier periods rerun against today's library files, not the rows
    /// their store entries kept (`--library-current`).
    pub library_current: bool,
}

impl RunOptions {
    /// Options for `root` with its samples as inbox and `out` as output folder.
    pub fn new(root: PathBuf, out: PathBuf) -> RunOptions {
        RunOptions {
            inbox: root.join("samples").join("inbox"),
            store: out.join("history"),
            root,
            out,
            period: None,
            pipelines: Vec::new(),
            library: None,
            redo: Vec::new(),
            from: None,
            wait: std::time::Duration::ZERO,
            library_current: false,
        }
    }
}

/// Progress events for the front end (stages never print).
pub trait Progress: Sync {
    fn period_started(&self, _period: Period, _files: usize) {}
    fn file_done(&self, _name: &str) {}
    fn period_finished(&self, _period: Period) {}
}

/// No progress display.
pub struct Silent;
impl Progress for Silent {}

/// What one program's period produced.
#[derive(Debug, Clone)]
pub struct PeriodOutcome {
    pub program: String,
    pub program_name: String,
    pub period: Period,
    pub files: usize,
    /// Names of this program's input files (a workbook split between
    /// programs is listed in each), for counting distinct files in a run.
    pub file_names: Vec<String>,
    pub rows_read: usize,
    pub accepted: usize,
    pub rejected: usize,
    pub skipped: usize,
    pub errors: usize,
    pub warnings: usize,
    /// The kind's figures in a phrase for the summary (累计完成 … / 按时推进率 …).
    pub headline: String,
    pub ytd_done: i64,
    pub completion_rate: f64,
    pub out_dir: PathBuf,
    pub outputs: Vec<String>,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    pub outcomes: Vec<PeriodOutcome>,
    /// What the run decided and why (periods redone, empty folders, a lock
    /// taken over, temp files cleaned), in Chinese, for the summary.
    pub notes: Vec<String>,
    pub ignored: usize,
    pub elapsed_ms: u128,
}

/// Loaded configuration and master data.
pub struct Setup {
    pub specs: Vec<PipelineSpec>,
    pub units: Units,
    /// Loading in the background from `setup` on; `get()` waits for them.
    pub libraries: Libraries,
    /// Pipelines of `pipelines/` not selected this run: (id, file keywords), so
    /// their files are ignored with a reason instead of being reported unknown.
    pub unselected: Vec<(String, Vec<String>)>,
    /// What each selected program's periods are checked against.
    pub fingerprints: Vec<Fingerprint>,
    pub waivers: crate::waivers::Waivers,
    /// The configuration folder (library paths are recorded relative to it).
    pub root: PathBuf,
    /// The run's target period (none for `quarterly`): it always uses the
    /// library files as they are now (`pipeline::libver`).
    pub target: Option<Period>,
    /// `--library-current`: earlier periods use today's files too.
    pub library_current: bool,
}

/// Loads pipelines, units and libraries.
pub fn setup(root: &Path, pipelines: &[String], library: Option<&Path>) -> Result<Setup, RunError> {
    let mut specs = crate::config::select(&root.join("pipelines"), root, pipelines)?;
    if let Some(lib) = library {
        if specs.len() != 1 {
            return Err(RunError::Usage("--library 只能与一个 --pipeline 一起使用（例如 --pipeline new-infra --library 项目库.xlsx）".to_string()));
        }
        specs[0].library = lib.to_path_buf();
        // The file given is the library of every period of this run.
        specs[0].library_versions.clear();
    }
    let unselected = if pipelines.is_empty() {
        Vec::new()
    } else {
        crate::config::load_all(&root.join("pipelines"), root)
            .unwrap_or_default()
            .into_iter()
            .filter(|o| !specs.iter().any(|s| s.id == o.id))
            .map(|o| (o.id, o.match_keywords))
            .collect()
    };
    let units = Units::load(&root.join("seeds").join("units.toml"))?;
    let libraries = Libraries::spawn(&specs, &units, load_library);
    Ok(Setup {
        specs,
        units,
        libraries,
        unselected,
        fingerprints: Vec::new(),
        waivers: Default::default(),
        root: root.to_path_buf(),
        target: None,
        library_current: false,
    })
}

/// `taizhang run`: locks the output folder and store, checks they can be
/// written, cleans what a killed run left, plans the periods and runs them.
pub fn run(opts: &RunOptions, progress: &dyn Progress) -> Result<RunSummary, RunError> {
    let started = Instant::now();
    let mut setup = setup(&opts.root, &opts.pipelines, opts.library.as_deref())?;
    setup.waivers = crate::waivers::load(&opts.inbox)?;
    setup.fingerprints = setup
        .specs
        .iter()
        .map(|s| plan::fingerprint(s, &opts.root, &opts.inbox))
        .collect();
    let periods = inbox::list_periods(&opts.inbox)?;
    let (full, empty) = plan::split_empty(&opts.inbox, &periods);
    let target = match opts.period {
        Some(p) if !periods.contains(&p) => {
            return Err(RunError::Usage(format!(
                "收件目录 {} 下没有 {p} 文件夹",
                opts.inbox.display()
            )))
        }
        Some(p) if !full.contains(&p) => {
            return Err(RunError::EmptyPeriod {
                period: p,
                dir: inbox::period_dir(&opts.inbox, p),
            })
        }
        Some(p) => p,
        None => *full.last().ok_or_else(|| {
            RunError::Usage(format!(
                "收件目录 {} 下没有任何放有台账文件的期别文件夹（应为 2023-07 这样的子目录）",
                opts.inbox.display()
            ))
        })?,
    };
    setup.target = Some(target);
    setup.library_current = opts.library_current;
    let mut summary = RunSummary::default();
    let _locks = lock_and_prepare(opts, &mut summary.notes)?;
    for (p, dir) in &empty {
        summary.notes.push(format!(
            "{p}：文件夹 {} 中没有台账文件，未处理，未写入历史库",
            dir.display()
        ));
    }
    let store = store::Store::new(&opts.store);
    let plan = plan::make(&plan::PlanInput {
        specs: &setup.specs,
        fingerprints: &setup.fingerprints,
        store: &store,
        inbox: &opts.inbox,
        out: &opts.out,
        periods: &full,
        target,
        redo: &opts.redo,
        from: opts.from,
        root: &opts.root,
        library_current: opts.library_current,
    });
    check_output_paths(&setup, opts, &plan)?;
    summary.notes.extend(plan.notes);
    for step in &plan.steps {
        let (outcomes, ignored) =
            run_period(&setup, opts, &store, step.period, &step.programs, progress)?;
        summary.outcomes.extend(outcomes);
        summary.ignored += ignored;
    }
    summary.elapsed_ms = started.elapsed().as_millis();
    drop_later(setup);
    Ok(summary)
}

/// Before any work: the period folders and the workbooks whose names are
/// known in advance must not be taken by something else (a file where a
/// folder goes, a folder where a workbook goes).
fn check_output_paths(setup: &Setup, opts: &RunOptions, plan: &plan::Plan) -> Result<(), RunError> {
    use std::io::{Error, ErrorKind};
    for step in &plan.steps {
        let p = step.period;
        for &si in &step.programs {
            let spec = &setup.specs[si];
            let dir = opts.out.join(&spec.id).join(p.to_string());
            for d in [opts.out.join(&spec.id), dir.clone()] {
                if d.exists() && !d.is_dir() {
                    return Err(write_err(&d)(Error::from(ErrorKind::NotADirectory)));
                }
            }
            let mut names = vec![
                format!(
                    "{}.xlsx",
                    spec.fill(&spec.reports.monthly, p.year, p.month, "")
                ),
                "manifest.json".to_string(),
            ];
            if p.month.is_multiple_of(3) {
                names.push(format!(
                    "{}.xlsx",
                    spec.fill(&spec.reports.quarterly, p.year, p.month, "")
                ));
                names.push(crate::report::notice::file_name(spec, p.year, p.quarter()));
            }
            for n in names {
                let path = dir.join(n);
                if path.is_dir() {
                    return Err(write_err(&path)(Error::from(ErrorKind::IsADirectory)));
                }
            }
        }
    }
    Ok(())
}

/// Reads one library file of a program as its kind keeps it: an investment
/// program's project library, a tasks program's plan (given to
/// `seeds::Libraries::spawn`, so `seeds` names no kind; here, where the
/// run picks each kind's stages).
pub fn load_library(
    spec: &crate::config::PipelineSpec,
    path: &std::path::Path,
    units: &crate::seeds::Units,
) -> Result<crate::seeds::Library, crate::seeds::SeedError> {
    match spec.kind {
        crate::kinds::ProgramKind::Investment => crate::seeds::load_library(path, spec, units),
        crate::kinds::ProgramKind::Tasks => crate::kinds::tasks::plan::load(path, spec.year, units)
            .map(crate::seeds::Library::of_plan),
    }
}

/// Takes the run locks (output folder, and the store when elsewhere), checks
/// both can be written before any work, and removes the temp files and staging
/// folders a killed run left. Notes what it found.
fn lock_and_prepare(
    opts: &RunOptions,
    notes: &mut Vec<String>,
) -> Result<Vec<crate::lock::RunLock>, RunError> {
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    // The store is locked too, even inside the output folder: another run
    // may name it with --store and a different --out.
    let mut dirs = vec![opts.out.clone()];
    if opts.store != opts.out {
        dirs.push(opts.store.clone());
    }
    let mut locks = Vec::new();
    for d in &dirs {
        crate::fsx::probe_writable(d).map_err(write_err(d))?;
        let l = crate::lock::acquire(d, opts.wait, &command)?;
        if let Some(prev) = &l.taken_over {
            let note = format!("上次运行（{prev}）未正常结束，已接管并清理其残留");
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
        locks.push(l);
    }
    let cleaned = crate::fsx::clean_stale(&opts.out, 4) + crate::fsx::clean_stale(&opts.store, 2);
    if cleaned > 0 {
        notes.push(format!(
            "已清理上次中断运行留下的 {cleaned} 个临时文件或文件夹"
        ));
    }
    Ok(locks)
}

pub use crate::fsx::drop_later;

/// Reads, checks and reports one period for the programs listed (indices
/// into `setup.specs`; the files of every program are read, so that each file
/// still goes to its own program).
pub fn run_period(
    setup: &Setup,
    opts: &RunOptions,
    store: &store::Store,
    period: Period,
    programs: &[usize],
    progress: &dyn Progress,
) -> Result<(Vec<PeriodOutcome>, usize), RunError> {
    let t0 = Instant::now();
    let ReadPeriod {
        stamps,
        mut buckets,
        unassigned,
        ignored,
    } = read_period(setup, &opts.inbox, period, progress)?;
    let t_read = t0.elapsed().as_millis();
    // The libraries were loading beside the reading; any wait left shows here.
    let t_libraries = Instant::now();
    setup.libraries.get()?;
    let t_libraries = t_libraries.elapsed().as_millis();
    let mut outcomes = Vec::new();
    for &si in programs {
        let mut files = std::mem::take(&mut buckets[si]);
        files.extend(unassigned.iter().cloned());
        files.sort_by(|a, b| a.file.name.cmp(&b.file.name));
        let ctx = ProgramPeriod {
            setup,
            opts,
            store,
            si,
            period,
            stamps: &stamps,
            ignored: &ignored,
            timings: [
                ("read_all_files", t_read),
                ("wait_for_libraries", t_libraries),
            ],
        };
        outcomes.push(run_program_period(&ctx, files)?);
    }
    progress.period_finished(period);
    Ok((outcomes, ignored.len()))
}

/// A period folder read: every file's stamp, the parsed files by program
/// (indices into `setup.specs`), files no program could claim (rejected, no
/// workbook kept: listed in every program) and the files ignored.
pub struct ReadPeriod {
    pub stamps: Vec<crate::model::InboxStamp>,
    pub buckets: Vec<Vec<ParsedFile>>,
    pub unassigned: Vec<ParsedFile>,
    pub ignored: Vec<crate::model::IgnoredFile>,
}

/// Reads every file of a period folder once, in parallel: hash, sniff,
/// ingest, classify, normalize. An archive is one inbox file (one stamp) and
/// as many parsed files as it holds ledgers.
pub fn read_period(
    setup: &Setup,
    inbox_dir: &Path,
    period: Period,
    progress: &dyn Progress,
) -> Result<ReadPeriod, RunError> {
    let dir = inbox::period_dir(inbox_dir, period);
    let (paths, ignored) = inbox::scan(&dir)?;
    progress.period_started(period, paths.len());
    let ctx = Context {
        specs: &setup.specs,
        unselected: &setup.unselected,
        libraries: &setup.libraries,
        units: &setup.units,
        period: Some(period),
    };
    let read: Vec<ReadPath> = paths
        .par_iter()
        .map(|p| {
            let out = read_path(&dir, p, &ctx, &setup.unselected);
            progress.file_done(&out.0.file);
            out
        })
        .collect();
    let mut stamps: Vec<crate::model::InboxStamp> = read.iter().map(|r| r.0.clone()).collect();
    stamps.sort();
    // A workbook split between programs is one inbox file.
    stamps.dedup();
    let mut buckets: Vec<Vec<ParsedFile>> = vec![Vec::new(); setup.specs.len()];
    let mut unassigned = Vec::new();
    let mut ignored = ignored;
    for (prog, f) in read.into_iter().flat_map(|r| r.1) {
        match prog {
            Some(i) => buckets[i].push(f),
            // Files of a program not selected this run: listed as ignored only.
            None if f.status == FileStatus::Ignored => ignored.push(crate::model::IgnoredFile {
                name: f.file.name.clone(),
                reason: f.error.clone().unwrap_or_default(),
            }),
            None => unassigned.push(f),
        }
    }
    Ok(ReadPeriod {
        stamps,
        buckets,
        unassigned,
        ignored,
    })
}

/// What one program's period needs besides its files.
struct ProgramPeriod<'a> {
    setup: &'a Setup,
    opts: &'a RunOptions,
    store: &'a store::Store,
    si: usize,
    period: Period,
    stamps: &'a [crate::model::InboxStamp],
    ignored: &'a [crate::model::IgnoredFile],
    timings: [(&'static str, u128); 2],
}

/// One program's period validated.
pub struct Validated {
    pub result: crate::model::PeriodResult,
    /// Every finding, sorted (moved out of the files and rows).
    pub findings: Vec<Finding>,
    /// The store's earlier months of the year it was checked against.
    pub history: Vec<StoredPeriod>,
}

/// Validates one program's files of a period against its library, the units,
/// the waivers and the store's earlier months (read only).
pub fn validate_files(
    setup: &Setup,
    (si, library): (usize, &crate::seeds::Library),
    store: &store::Store,
    period: Period,
    files: &mut [ParsedFile],
) -> Result<Validated, RunError> {
    let spec = &setup.specs[si];
    let history = store.year_before(&spec.id, period)?;
    if let Some(plan) = library.plan.as_deref() {
        let inp = crate::kinds::tasks::validate::Inputs {
            spec,
            plan,
            units: &setup.units,
            period,
            history: &history,
        };
        let mut result = crate::kinds::tasks::validate::validate(&inp, files);
        let findings = validate::all_findings(&mut result, files);
        release_rows(files);
        return Ok(Validated {
            result,
            findings,
            history,
        });
    }
    let waivers = setup.waivers.for_program(&spec.id);
    let inp = validate::Inputs {
        spec,
        library,
        units: &setup.units,
        period,
        history: &history,
        waivers: &waivers,
    };
    let mut result = validate::validate(&inp, files);
    let findings = validate::all_findings(&mut result, files);
    release_rows(files);
    Ok(Validated {
        result,
        findings,
        history,
    })
}

/// After validation the typed rows are spent (findings moved to the
/// period's list, figures into records): freed, off the caller's thread, so
/// a period's reports are written without them.
fn release_rows(files: &mut [ParsedFile]) {
    let spent: Vec<Vec<crate::model::LedgerRow>> = files
        .iter_mut()
        .flat_map(|f| f.tables.iter_mut())
        .map(crate::model::SheetTable::take_rows)
        .collect();
    drop_later(spent);
}

/// Validates, aggregates and writes one program's period: every output into
/// a staging folder, then published, then the store entry (which marks the
/// period done).
fn run_program_period(
    c: &ProgramPeriod<'_>,
    files: Vec<ParsedFile>,
) -> Result<PeriodOutcome, RunError> {
    match c.setup.specs[c.si].kind {
        crate::kinds::ProgramKind::Investment => run_investment_period(c, files),
        crate::kinds::ProgramKind::Tasks => run_tasks_period(c, files),
    }
}

/// The store entry of a program's period, before its outputs are known.
fn stored_entry(
    c: &ProgramPeriod<'_>,
    files: &[ParsedFile],
    findings: Vec<Finding>,
) -> StoredPeriod {
    let spec = &c.setup.specs[c.si];
    StoredPeriod {
        program: spec.id.clone(),
        period: c.period.to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        written_at: chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string(),
        inputs: files
            .iter()
            .map(|f| StoredInput {
                file: f.file.name.clone(),
                sha256: f.file.sha256.clone(),
            })
            .collect(),
        inbox: c.stamps.to_vec(),
        fingerprint: c.setup.fingerprints.get(c.si).cloned(),
        outputs: Vec::new(),
        library: None,
        library_rows: Vec::new(),
        records: Vec::new(),
        tasks: Vec::new(),
        findings,
    }
}

/// A tasks-kind program's period: validate, aggregate, the monthly workbook
/// and feedback, the quarterly workbook at quarter-end months; then the
/// shared end (manifest, publish, store).
fn run_tasks_period(
    c: &ProgramPeriod<'_>,
    mut files: Vec<ParsedFile>,
) -> Result<PeriodOutcome, RunError> {
    use crate::kinds::tasks::{aggregate as tagg, report as trep};
    let (setup, spec, period) = (c.setup, &c.setup.specs[c.si], c.period);
    let t1 = Instant::now();
    let Validated {
        mut result,
        findings,
        history,
    } = validate_files(
        setup,
        (c.si, setup.libraries.for_period(c.si, period)?),
        c.store,
        period,
        &mut files,
    )?;
    drop_later(history);
    let t_validate = t1.elapsed().as_millis();
    let mut stored = stored_entry(c, &files, findings);
    stored.tasks = std::mem::take(&mut result.tasks);
    let t2 = Instant::now();
    let summ = tagg::summarize(
        &stored.tasks,
        period,
        &spec.tasks,
        &setup.units,
        &result.missing_units,
    );
    let t_aggregate = t2.elapsed().as_millis();
    let program_dir = c.opts.out.join(&spec.id);
    let staging = publish::Staging::new(&program_dir, period)?;
    let unit_name = |id: Option<&str>| {
        id.and_then(|i| setup.units.by_id(i))
            .map(|u| u.name.clone())
            .unwrap_or_default()
    };
    let inputs = manifest::inputs(&files, &result.accounts, &unit_name);
    let t3 = Instant::now();
    let ri = trep::TaskReportInput {
        spec,
        period,
        summary: &summ,
        records: &stored.tasks,
        findings: &stored.findings,
    };
    let mut outputs = vec![trep::write_monthly(&ri, staging.dir())?];
    outputs.extend(write_feedback(
        spec,
        period,
        &files,
        &stored.findings,
        staging.dir(),
        &unit_name,
    )?);
    if period.month.is_multiple_of(3) {
        outputs.push(trep::write_quarterly(&ri, staging.dir())?);
        outputs.push(crate::kinds::tasks::notice::write(&ri, staging.dir())?);
    }
    outputs.sort();
    let t_report = t3.elapsed().as_millis();
    let t = &summ.totals;
    let headline = format!(
        "按时推进率 {:.1}%（已完成 {}、按序时 {}、滞后 {}、未报送 {}）",
        t.on_time_share() * 100.0,
        t.done,
        t.on_schedule,
        t.lagging,
        t.not_reported
    );
    finish_period(
        c,
        Finished {
            files,
            stored,
            inputs,
            outputs,
            staging,
            figures: manifest::task_figures(&summ),
            timings: vec![
                ("validate", t_validate),
                ("aggregate", t_aggregate),
                ("report", t_report),
            ],
            headline: (headline, 0, 0.0),
        },
    )
}

/// A program's period with its outputs staged: what the shared end needs.
struct Finished {
    files: Vec<ParsedFile>,
    stored: StoredPeriod,
    inputs: Vec<manifest::InputEntry>,
    outputs: Vec<String>,
    staging: publish::Staging,
    figures: manifest::Figures,
    timings: Vec<(&'static str, u128)>,
    /// The summary line's figures: text, 累计完成 (元), 完成率.
    headline: (String, i64, f64),
}

/// The shared end of a program's period: the manifest, publish, then the
/// store entry (the period is done only when all of it is).
fn finish_period(c: &ProgramPeriod<'_>, fin: Finished) -> Result<PeriodOutcome, RunError> {
    let Finished {
        files,
        mut stored,
        inputs,
        outputs,
        staging,
        figures,
        timings: own,
        headline,
    } = fin;
    let (spec, period) = (&c.setup.specs[c.si], c.period);
    let out_dir = c.opts.out.join(&spec.id).join(period.to_string());
    let mut timings: BTreeMap<String, u128> =
        c.timings.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    timings.extend(own.into_iter().map(|(k, v)| (k.to_string(), v)));
    let m = manifest::build(
        &spec.id,
        &spec.name,
        &period.to_string(),
        inputs.clone(),
        c.ignored,
        figures,
        &stored.findings,
        outputs.clone(),
        timings,
    );
    let mpath = staging.dir().join("manifest.json");
    crate::fsx::write_atomic_with(&mpath, |w| store::write_json_lines(w, &m))
        .map_err(write_err(&mpath))?;

    // Publish, then the store entry: the period is done only when both are.
    let mut all = outputs.clone();
    all.push("manifest.json".to_string());
    stored.outputs = publish::stamp(&staging, &all)?;
    let previous = plan::previous_outputs(c.store, &spec.id, period, &out_dir);
    publish::publish(&staging, &out_dir, &all, &previous)?;
    drop(staging);
    c.store.save(&stored)?;

    let sum = |f: &dyn Fn(&manifest::InputEntry) -> usize| inputs.iter().map(f).sum::<usize>();
    let count = |sev| stored.findings.iter().filter(|f| f.severity == sev).count();
    let mine: Vec<String> = files
        .iter()
        .filter(|f| f.program.as_deref() == Some(spec.id.as_str()))
        .map(|f| f.file.name.clone())
        .collect();
    let outcome = PeriodOutcome {
        program: spec.id.clone(),
        program_name: spec.name.clone(),
        period,
        files: mine.len(),
        file_names: mine,
        rows_read: sum(&|i| i.rows_read),
        accepted: sum(&|i| i.accepted),
        rejected: sum(&|i| i.rejected),
        skipped: sum(&|i| i.skipped),
        errors: count(crate::model::Severity::Error),
        warnings: count(crate::model::Severity::Warning),
        headline: headline.0,
        ytd_done: headline.1,
        completion_rate: headline.2,
        out_dir,
        outputs,
    };
    drop_later((files, stored));
    Ok(outcome)
}

/// An investment-kind program's period: validate, aggregate, the monthly (and
/// internal) workbooks beside the feedback, the quarterly at quarter-end
/// months; then the shared end.
fn run_investment_period(
    c: &ProgramPeriod<'_>,
    mut files: Vec<ParsedFile>,
) -> Result<PeriodOutcome, RunError> {
    let (setup, spec, period, si) = (c.setup, &c.setup.specs[c.si], c.period, c.si);
    let t1 = Instant::now();
    let lib = libver::for_period(setup, c.store, si, period)?;
    let library_change = libver::change(c.store, &spec.id, period, &lib.rows)?;
    let Validated {
        mut result,
        findings,
        history,
    } = validate_files(setup, (si, &lib.library), c.store, period, &mut files)?;
    let t_validate = t1.elapsed().as_millis();

    let mut stored = stored_entry(c, &files, findings);
    if let Some(fp) = stored.fingerprint.as_mut() {
        fp.library = lib.stamp.sha256.clone();
    }
    stored.library = Some(lib.stamp.clone());
    // Moved, not copied: the steps below read them from `stored`.
    stored.records = std::mem::take(&mut result.records);
    let program_dir = c.opts.out.join(&spec.id);
    let staging = publish::Staging::new(&program_dir, period)?;
    let unit_name = |id: Option<&str>| {
        id.and_then(|i| setup.units.by_id(i))
            .map(|u| u.name.clone())
            .unwrap_or_default()
    };
    let inputs = manifest::inputs(&files, &result.accounts, &unit_name);
    let missing_names: Vec<String> = result
        .missing_units
        .iter()
        .map(|u| unit_name(Some(u)))
        .collect();
    let t2 = Instant::now();
    let summ = summarize(setup, (si, &lib.library), period, &stored.records, &history)?;
    stored.library_rows = lib.rows;
    // Not needed past the summary: freed before the reports are built.
    drop_later(history);
    let t_aggregate = t2.elapsed().as_millis();
    let t3 = Instant::now();
    let findings = &stored.findings;
    let timed = |f: &dyn Fn() -> Result<_, RunError>| {
        let t = Instant::now();
        (f(), t.elapsed().as_millis())
    };
    // The quarterly (at quarter-end months) beside the monthly, the feedback
    // beside both: three workbooks written at once on the pool.
    let quarterly = || {
        let t = Instant::now();
        let r = if period.month.is_multiple_of(3) {
            write_quarterly(
                setup,
                si,
                c.store,
                (period.year, period.quarter()),
                staging.dir(),
                Some((&stored, &summ)),
            )
        } else {
            Ok(Vec::new())
        };
        (r, t.elapsed().as_millis())
    };
    let (((monthly, t_monthly), (quarterly, t_quarterly)), (feedback, t_feedback)) = rayon::join(
        || {
            rayon::join(
                || {
                    let t = Instant::now();
                    let mi = crate::report::monthly::MonthlyInput {
                        spec,
                        period,
                        summary: &summ,
                        records: &stored.records,
                        findings,
                        inputs: &inputs,
                        missing_units: &missing_names,
                        library_change: &library_change,
                    };
                    // The outgoing workbook, and the internal 数据核对 one beside it.
                    let r = crate::report::monthly::write(&mi, staging.dir()).and_then(|m| {
                        let i = crate::report::internal::write(&mi, staging.dir())?;
                        Ok(vec![m, i])
                    });
                    (r, t.elapsed().as_millis())
                },
                quarterly,
            )
        },
        || timed(&|| write_feedback(spec, period, &files, findings, staging.dir(), &unit_name)),
    );
    let mut outputs = monthly?;
    outputs.extend(feedback?);
    outputs.extend(quarterly?);
    outputs.sort();
    let t_report = t3.elapsed().as_millis();

    let mut figures = manifest::investment_figures(&summ, spec.annual_target_yuan);
    figures.library_changes = Some(manifest::library_changes(&library_change));
    let headline = format!(
        "累计完成 {} 亿元，完成率 {:.1}%",
        crate::parse::fmt_amount(summ.totals.ytd_done, crate::parse::MoneyUnit::Yi),
        summ.totals.completion_rate() * 100.0
    );
    let headline = (
        headline,
        summ.totals.ytd_done,
        summ.totals.completion_rate(),
    );
    drop_later((summ, result));
    finish_period(
        c,
        Finished {
            files,
            stored,
            inputs,
            outputs,
            staging,
            figures,
            // `report_*` are parts of `report` (monthly and feedback side by side).
            timings: vec![
                ("validate", t_validate),
                ("aggregate", t_aggregate),
                ("report", t_report),
                ("report_monthly", t_monthly),
                ("report_feedback", t_feedback),
                ("report_quarterly", t_quarterly),
            ],
            headline,
        },
    )
}

/// The summary of one program's period from its records and the year's earlier periods.
pub fn summarize(
    setup: &Setup,
    (si, library): (usize, &crate::seeds::Library),
    period: Period,
    records: &[crate::model::ProjectRecord],
    history: &[StoredPeriod],
) -> Result<aggregate::Summary, RunError> {
    let unit_ids = library.unit_ids(&setup.units);
    let end_years: HashMap<String, i32> = library
        .projects
        .iter()
        .filter_map(|p| p.end_year.map(|y| (p.code.clone(), y)))
        .collect();
    Ok(aggregate::summarize(&aggregate::AggregateInput {
        spec: &setup.specs[si],
        units: &setup.units,
        unit_ids: &unit_ids,
        period,
        records,
        end_years: &end_years,
        history,
    })?)
}

/// A month's summary and its records.
type MonthOfQuarter<'a> = (aggregate::Summary, Cow<'a, [ProjectRecord]>);

/// The summary of a stored period (and its records), read from the store
/// alone; `pending` is the period being written (its records and summary
/// are borrowed, not read again nor recomputed).
fn stored_summary<'a>(
    setup: &Setup,
    si: usize,
    store: &store::Store,
    period: Period,
    pending: Option<(&'a StoredPeriod, &aggregate::Summary)>,
) -> Result<Option<MonthOfQuarter<'a>>, RunError> {
    if let Some((sp, summ)) = pending.filter(|(sp, _)| sp.period == period.to_string()) {
        return Ok(Some((summ.clone(), Cow::Borrowed(&sp.records))));
    }
    let Some(sp) = store.load_records(&setup.specs[si].id, period)? else {
        return Ok(None);
    };
    let history = store.year_before(&setup.specs[si].id, period)?;
    let lib = libver::for_period(setup, store, si, period)?;
    let s = summarize(setup, (si, &lib.library), period, &sp.records, &history)?;
    Ok(Some((s, Cow::Owned(sp.records))))
}

/// Writes the quarterly notification of one program from the store into `dir`:
/// the workbook and the 通报 document (its 附件 is the workbook);
/// `pending` is the period being written, not yet in the store, with its summary.
/// Returns the file names, none when the store holds no month of the quarter.
pub fn write_quarterly(
    setup: &Setup,
    si: usize,
    store: &store::Store,
    (year, quarter): (i32, u32),
    dir: &Path,
    pending: Option<(&StoredPeriod, &aggregate::Summary)>,
) -> Result<Vec<String>, RunError> {
    let mut months = Vec::new();
    let mut records: Cow<'_, [ProjectRecord]> = Cow::Borrowed(&[]);
    for m in (quarter - 1) * 3 + 1..=quarter * 3 {
        let p = Period { year, month: m };
        if let Some((s, r)) = stored_summary(setup, si, store, p, pending)? {
            months.push(s);
            records = r;
        }
    }
    if months.is_empty() {
        return Ok(Vec::new());
    }
    let prev_end = if quarter > 1 {
        Period {
            year,
            month: (quarter - 1) * 3,
        }
    } else {
        Period {
            year: year - 1,
            month: 12,
        }
    };
    let prev = stored_summary(setup, si, store, prev_end, None)?.map(|(s, _)| s);
    std::fs::create_dir_all(dir).map_err(write_err(dir))?;
    let input = crate::report::quarterly::QuarterlyInput {
        spec: &setup.specs[si],
        year,
        quarter,
        months: &months,
        prev_quarter_end: prev.as_ref(),
        records: records.as_ref(),
    };
    let names = [
        crate::report::quarterly::write(&input, dir)?,
        crate::report::notice::write(&input, dir)?,
    ];
    Ok(names.into_iter().filter(|n| !n.is_empty()).collect())
}

/// The quarterly workbook of a tasks-kind program from the store's entry of
/// the quarter's last month (none when that month is not stored).
fn write_tasks_quarterly(
    setup: &Setup,
    si: usize,
    store: &store::Store,
    end: Period,
    dir: &Path,
) -> Result<Vec<String>, RunError> {
    let spec = &setup.specs[si];
    let Some(sp) = store.load(&spec.id, end)? else {
        return Ok(Vec::new());
    };
    let missing: Vec<String> = {
        let mut units: Vec<&str> = sp.tasks.iter().map(|r| r.unit_id.as_str()).collect();
        units.sort_unstable();
        units.dedup();
        units
            .into_iter()
            .filter(|u| {
                sp.findings.iter().any(|f| {
                    f.id == "W402" && setup.units.by_id(u).is_some_and(|x| x.name == f.unit)
                })
            })
            .map(str::to_string)
            .collect()
    };
    let summ = crate::kinds::tasks::aggregate::summarize(
        &sp.tasks,
        end,
        &spec.tasks,
        &setup.units,
        &missing,
    );
    std::fs::create_dir_all(dir).map_err(write_err(dir))?;
    let ri = crate::kinds::tasks::report::TaskReportInput {
        spec,
        period: end,
        summary: &summ,
        records: &sp.tasks,
        findings: &sp.findings,
    };
    Ok(vec![
        crate::kinds::tasks::report::write_quarterly(&ri, dir)?,
        crate::kinds::tasks::notice::write(&ri, dir)?,
    ])
}

/// `taizhang quarterly`: the notifications of a quarter for the selected
/// programs, from the store alone, into `OUT/<program>/<quarter-end month>/`.
pub fn quarterly(opts: &RunOptions, year: i32, quarter: u32) -> Result<Vec<PathBuf>, RunError> {
    if !(1..=4).contains(&quarter) {
        return Err(RunError::Usage(format!("季度应为 1-4，收到 {quarter}")));
    }
    let setup = setup(&opts.root, &opts.pipelines, opts.library.as_deref())?;
    let mut notes = Vec::new();
    let _locks = lock_and_prepare(opts, &mut notes)?;
    let store = store::Store::new(&opts.store);
    let end = Period {
        year,
        month: quarter * 3,
    };
    let mut written = Vec::new();
    for si in 0..setup.specs.len() {
        let dir = opts.out.join(&setup.specs[si].id).join(end.to_string());
        let names = match setup.specs[si].kind {
            crate::kinds::ProgramKind::Investment => {
                write_quarterly(&setup, si, &store, (year, quarter), &dir, None)?
            }
            crate::kinds::ProgramKind::Tasks => {
                write_tasks_quarterly(&setup, si, &store, end, &dir)?
            }
        };
        for name in names {
            written.push(dir.join(name));
        }
    }
    if written.is_empty() {
        return Err(RunError::Usage(format!(
            "历史库 {} 中没有 {year} 年第 {quarter} 季度的数据：请先对该季度各月运行 taizhang run",
            opts.store.display()
        )));
    }
    Ok(written)
}

/// Writes a feedback workbook for every unit with findings (waived ones aside)
/// into `out_dir/feedback/` (the staging folder: what an earlier run left in
/// the period folder is replaced or removed when publishing).
fn write_feedback(
    spec: &PipelineSpec,
    period: Period,
    files: &[ParsedFile],
    findings: &[Finding],
    out_dir: &Path,
    unit_name: &(dyn Fn(Option<&str>) -> String + Sync),
) -> Result<Vec<String>, RunError> {
    let dir = out_dir.join("feedback");
    let units: std::collections::BTreeSet<&str> = findings
        .iter()
        .filter(|f| !f.waived && !f.unit.is_empty())
        .map(|f| f.unit.as_str())
        .collect();
    if !units.is_empty() {
        std::fs::create_dir_all(&dir).map_err(write_err(&dir))?;
    }
    // One workbook per unit, on the thread pool: beside the monthly workbook,
    // the feedback of a messy inbox is the larger half of the reports.
    let units: Vec<&str> = units.into_iter().collect();
    let names = units
        .par_iter()
        .map(|unit| {
            let ufiles: Vec<&ParsedFile> = files
                .iter()
                .filter(|f| unit_name(f.unit_id.as_deref()) == *unit)
                .collect();
            let ufindings: Vec<Finding> = findings
                .iter()
                .filter(|f| f.unit == *unit)
                .cloned()
                .collect();
            crate::report::feedback::write(
                &crate::report::feedback::FeedbackInput {
                    spec,
                    period,
                    unit,
                    files: &ufiles,
                    findings: &ufindings,
                },
                &dir,
            )
        })
        .collect::<Result<Vec<String>, _>>()?;
    Ok(names
        .into_iter()
        .filter(|n| !n.is_empty())
        .map(|n| format!("feedback/{n}"))
        .collect())
}

/// One file of a period folder as read: its stamp and its parsed files (one,
/// or one per member of an archive), each with its program.
type ReadPath = (crate::model::InboxStamp, Vec<(Option<usize>, ParsedFile)>);

/// Reads one file of a period folder: its stamp (name, size, sha256 of the
/// file itself), and the parsed file — or, for an archive, one parsed file
/// per member, each read as if dropped in the folder (`archive.zip/member.xlsx`).
fn read_path(
    dir: &Path,
    path: &Path,
    ctx: &Context<'_>,
    unselected: &[(String, Vec<String>)],
) -> ReadPath {
    let (file, bytes) = match inbox::load(dir, path) {
        Ok(x) => x,
        Err(e) => {
            let file = InboxFile {
                path: path.to_path_buf(),
                name: inbox::rel_name(dir, path),
                size: 0,
                sha256: String::new(),
                format: crate::model::FileFormat::Unknown,
                modified: 0,
            };
            let stamp = plan::stamp_of(&file.name, file.size, &file.sha256);
            let detail = format!("无法打开文件：{e}");
            let (_, pf) = refused(ctx, file, "E001", detail);
            return (stamp, vec![(None, pf)]);
        }
    };
    let stamp = plan::stamp_of(&file.name, file.size, &file.sha256);
    let Some(kind) = archive::kind(&bytes, file.format) else {
        return (stamp, read_one(file, bytes, ctx, unselected));
    };
    let members = match archive::expand(&file.name, &bytes, kind) {
        Ok(m) => m,
        Err(e) => {
            let id = e.check_id();
            return (stamp, vec![refused(ctx, file, id, e.to_string())]);
        }
    };
    drop(bytes);
    let ledger = |m: &archive::Member| match &m.outcome {
        archive::Outcome::Read(b) => !matches!(
            inbox::sniff(b, &m.name),
            crate::model::FileFormat::Unknown | crate::model::FileFormat::Empty
        ),
        archive::Outcome::Refused(..) => true,
        archive::Outcome::Ignored(_) => false,
    };
    if !members.iter().any(ledger) {
        let held: Vec<&str> = members
            .iter()
            .map(|m| m.name.strip_prefix(&file.name).unwrap_or(&m.name))
            .map(|n| n.trim_start_matches('/'))
            .collect();
        let detail = if held.is_empty() {
            "压缩包是空的，其中没有台账文件；请把本期台账（.xlsx）放入压缩包后重新报送，或直接报送台账文件".to_string()
        } else {
            let shown = held.iter().take(10).copied().collect::<Vec<_>>().join("、");
            let more = if held.len() > 10 {
                format!("等 {} 个文件", held.len())
            } else {
                String::new()
            };
            format!("压缩包中没有电子表格文件（内有：{shown}{more}）；请把本期台账（.xlsx）放入压缩包后重新报送，或直接报送台账文件")
        };
        return (stamp, vec![refused(ctx, file, "E003", detail)]);
    }
    let parsed = members
        .into_par_iter()
        .flat_map_iter(|m| {
            let modified = m.modified.unwrap_or(file.modified);
            match m.outcome {
                archive::Outcome::Read(b) => {
                    let f = inbox::member(&file.path, m.name, &b, modified);
                    read_one(f, b, ctx, unselected)
                }
                archive::Outcome::Refused(id, why) => {
                    let f = inbox::member(&file.path, m.name, &[], modified);
                    vec![refused(ctx, f, id, why)]
                }
                archive::Outcome::Ignored(why) => {
                    let f = inbox::member(&file.path, m.name, &[], modified);
                    let (_, mut pf) = refused(ctx, f, "W009", why);
                    pf.status = FileStatus::Ignored;
                    pf.program = None;
                    pf.findings.clear();
                    vec![(None, pf)]
                }
            }
        })
        .collect();
    (stamp, parsed)
}

/// A file refused before it could be read, with its finding (its program
/// guessed from its name, for the report it is listed in).
fn refused(
    ctx: &Context<'_>,
    file: InboxFile,
    id: &str,
    detail: String,
) -> (Option<usize>, ParsedFile) {
    let by_name = ctx.specs.iter().position(|s| {
        s.match_keywords
            .iter()
            .any(|k| file.name.contains(k.as_str()))
    });
    rejected_file(ctx, file, by_name, id, detail)
}

/// A file rejected whole, with its one finding, listed in `program`.
fn rejected_file(
    ctx: &Context<'_>,
    file: InboxFile,
    program: Option<usize>,
    id: &str,
    detail: String,
) -> (Option<usize>, ParsedFile) {
    let spec = program.map(|i| &ctx.specs[i]);
    let f: Finding = finding(
        spec,
        id,
        &Loc {
            file: &file.name,
            ..Default::default()
        },
        &detail,
        "",
        "",
    );
    (
        program,
        ParsedFile {
            file,
            program: spec.map(|s| s.id.clone()),
            unit_id: None,
            declared_period: None,
            filled_on: None,
            tables: Vec::new(),
            findings: vec![f],
            status: FileStatus::Rejected,
            error: Some(detail),
            skipped_sheets: Vec::new(),
            raw: None,
        },
    )
}

/// Reads one file end to end; never fails: problems become findings on a
/// rejected file. One entry per program the file's sheets belong to (usually
/// one). The file is already loaded: a file of the period folder or a member
/// of an archive in it.
fn read_one(
    file: InboxFile,
    bytes: Vec<u8>,
    ctx: &Context<'_>,
    unselected: &[(String, Vec<String>)],
) -> Vec<(Option<usize>, ParsedFile)> {
    let name = file.name.clone();
    let rejected = |file: InboxFile, program: Option<usize>, id: &str, detail: String| {
        rejected_file(ctx, file, program, id, detail)
    };
    let by_name = ctx
        .specs
        .iter()
        .position(|s| s.match_keywords.iter().any(|k| name.contains(k.as_str())));
    if file.size > inbox::MAX_FILE_BYTES {
        let detail = format!("文件过大（{} 字节），请确认是否为台账文件", file.size);
        return vec![rejected(file, by_name, "E001", detail)];
    }
    let timeout = std::time::Duration::from_secs(ingest::READ_TIMEOUT_SECS);
    let raw = match ingest::read_bounded(file.format, bytes, timeout) {
        Ok(raw) => raw,
        Err(e) => {
            let id = e.check_id();
            let detail = e.to_string();
            return vec![rejected(file, by_name, id, detail)];
        }
    };
    // Usually one part; a workbook whose sheets belong to several programs
    // gives one part per program (same file, its own sheets and rows).
    match normalize::program_parts(&name, raw, ctx, unselected) {
        Ok(parts) => parts
            .into_iter()
            .map(|part| {
                let pi = part.program;
                (Some(pi), normalize::parse_part(file.clone(), part, ctx))
            })
            .collect(),
        Err(raw) => {
            let text = normalize::file_text(&name, &raw);
            match unselected
                .iter()
                .find(|(_, kws)| kws.iter().any(|k| text.contains(k.as_str())))
            {
                Some((id, _)) => {
                    let why =
                        format!("属于本次未选择的项目类别 {id}（只处理 --pipeline 指定的类别）");
                    let (prog, mut pf) = rejected(file, None, "W009", why.clone());
                    pf.status = FileStatus::Ignored;
                    pf.findings.clear();
                    vec![(prog, pf)]
                }
                None => vec![rejected(
                    file,
                    None,
                    "W009",
                    "文件名、标题和项目代码都无法判断属于哪个项目类别，未读取".to_string(),
                )],
            }
        }
    }
}
