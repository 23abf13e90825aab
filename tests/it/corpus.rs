//! Robustness on a public corpus of real-world spreadsheets
//! (`/work/shared/corpus/spreadsheets`, read-only): every file goes through
//! the real ingest path (load → ingest::read → normalize::parse_file) and must
//! end as read, read without a ledger table, or refused with a check id —
//! never a panic, and never more than 20 s per file.

use rayon::prelude::*;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use taizhang::model::ParsedFile;
use taizhang::pipeline::ingest::IngestError;
use taizhang::pipeline::normalize::Context;
use taizhang::pipeline::{inbox, ingest, normalize};

/// The corpus, read-only, in `shared/` beside the checkout (as on CI).
const CORPUS: &str = "../shared/corpus/spreadsheets";
/// Most wall time one file may take.
const PER_FILE: Duration = Duration::from_secs(20);
/// Files that kill the whole process (an out-of-memory abort cannot be caught
/// by `catch_unwind`). They are not run, and the test fails while any is listed;
/// remove a name once ingest refuses the file. `CORPUS_RUN_KNOWN_ABORTS=1` runs them.
/// (Test_git_issue_382_oom.xls, whose directory chain loops, is now refused by
/// ingest's compound-file chain check before calamine sees it.)
const KNOWN_ABORTS: &[&str] = &[];
/// A file still running this long is treated as a hang: the test stops waiting.
const HANG: Duration = Duration::from_secs(90);

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn kind(e: &IngestError) -> &'static str {
    match e {
        IngestError::Encrypted => "encrypted",
        IngestError::Empty => "empty",
        IngestError::WpsEt => "wps-et",
        IngestError::NotSpreadsheet => "not a spreadsheet",
        IngestError::Corrupt(_) => "corrupt",
        IngestError::TooLarge(_) => "too large",
        IngestError::Timeout(_) => "timed out",
    }
}

/// Outcome class of one file, or an accounting failure.
fn ingest_one(dir: &Path, path: &Path, ctx: &Context<'_>) -> Result<String, String> {
    // The inbox's own rule: lock files and OS litter are listed, never read.
    let base = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if let Some(why) = inbox::ignore_reason(base) {
        return Ok(format!("ignored ({why})"));
    }
    let (file, bytes) = match inbox::load(dir, path) {
        Ok(x) => x,
        Err(_) => return Ok("refused: E001 (unreadable)".to_string()),
    };
    if file.size > inbox::MAX_FILE_BYTES {
        return Ok("refused: E001 (file too large)".to_string());
    }
    let raw = match ingest::read(file.format, &bytes) {
        Ok(raw) => raw,
        Err(e) => {
            // Display must not panic either.
            let _ = e.to_string();
            return Ok(format!("refused: {} ({})", e.check_id(), kind(&e)));
        }
    };
    drop(bytes);
    let pf: ParsedFile = normalize::parse_file(file, raw, 0, ctx);
    for t in &pf.tables {
        if t.rows_read != t.rows.len() + t.skipped.len() {
            return Err(format!(
                "row accounting: sheet {:?}: rows_read {} != rows {} + skipped {}",
                t.sheet,
                t.rows_read,
                t.rows.len(),
                t.skipped.len()
            ));
        }
    }
    if pf.tables.is_empty() {
        Ok("read, no ledger table".to_string())
    } else {
        Ok("read".to_string())
    }
}

thread_local! {
    /// File being processed on this thread, for the panic hook.
    static CURRENT: RefCell<Option<String>> = const { RefCell::new(None) };
}

enum Outcome {
    Class(String),
    Accounting(String),
    Panic,
}

#[test]
fn corpus_never_panics_and_is_bounded() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(CORPUS);
    if !dir.is_dir() {
        println!("note: corpus folder {} not found; skipping", dir.display());
        return;
    }
    let mut all = Vec::new();
    files(&dir, &mut all);
    // The corpus's own metadata is not part of the corpus.
    all.retain(|p| {
        p.parent() != Some(dir.as_path())
            || !matches!(
                p.file_name().and_then(|n| n.to_str()),
                Some("MANIFEST.tsv" | "SOURCES.md")
            )
    });
    // CORPUS_SKIP=a.xls,b.xlsx (names relative to the corpus) leaves out files
    // known to abort the process (out of memory cannot be caught), so the rest
    // of the corpus can still be checked while they are being fixed.
    let mut skip: Vec<String> = std::env::var("CORPUS_SKIP")
        .map(|v| v.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let known_aborts: Vec<String> = if std::env::var_os("CORPUS_RUN_KNOWN_ABORTS").is_some() {
        Vec::new()
    } else {
        KNOWN_ABORTS.iter().map(|s| s.to_string()).collect()
    };
    skip.extend(known_aborts.iter().cloned());
    all.retain(|p| {
        let keep = !skip.contains(&inbox::rel_name(&dir, p));
        if !keep {
            println!("skipped (CORPUS_SKIP): {}", p.display());
        }
        keep
    });
    let total = all.len();
    println!("corpus: {total} files");

    // Panics on corpus threads are recorded (location, message, backtrace);
    // others go to the previous hook.
    let panics: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let prev = Arc::new(panic::take_hook());
    {
        let panics = Arc::clone(&panics);
        let prev = Arc::clone(&prev);
        panic::set_hook(Box::new(move |info| {
            match CURRENT.with(|c| c.borrow().clone()) {
                Some(name) => {
                    let bt = std::backtrace::Backtrace::force_capture();
                    panics
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((name, format!("{info}\n{bt}")));
                }
                None => prev(info),
            }
        }));
    }

    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let setup = Arc::new(taizhang::pipeline::setup(&root, &[], None).unwrap());
    let running: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let (tx, rx) = mpsc::channel::<(String, Duration, Outcome)>();

    // CORPUS_TRACE=1 logs each file's start and end (to find a file that
    // kills the process, e.g. by running out of memory).
    let trace = std::env::var_os("CORPUS_TRACE").is_some();
    let started = Instant::now();
    {
        let setup = Arc::clone(&setup);
        let running = Arc::clone(&running);
        let dir = dir.clone();
        // Detached: if a file hangs, the test reports it instead of waiting forever.
        std::thread::spawn(move || {
            let ctx = Context {
                specs: &setup.specs,
                libraries: &setup.libraries,
                units: &setup.units,
            };
            all.par_iter().for_each_with(tx, |tx, path| {
                let name = inbox::rel_name(&dir, path);
                running
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(name.clone(), Instant::now());
                CURRENT.with(|c| *c.borrow_mut() = Some(name.clone()));
                if trace {
                    eprintln!("start {name}");
                }
                let t0 = Instant::now();
                let r = panic::catch_unwind(AssertUnwindSafe(|| ingest_one(&dir, path, &ctx)));
                let took = t0.elapsed();
                CURRENT.with(|c| *c.borrow_mut() = None);
                if trace {
                    eprintln!("done  {name} {took:.2?}");
                }
                running
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&name);
                let outcome = match r {
                    Ok(Ok(class)) => Outcome::Class(class),
                    Ok(Err(msg)) => Outcome::Accounting(msg),
                    Err(_) => Outcome::Panic,
                };
                let _ = tx.send((name, took, outcome));
            });
        });
    }

    let mut classes: BTreeMap<String, usize> = BTreeMap::new();
    let mut times: Vec<(Duration, String)> = Vec::new();
    let mut accounting: Vec<String> = Vec::new();
    let mut panicked: Vec<String> = Vec::new();
    let mut hung: Vec<String> = Vec::new();
    while times.len() < total {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok((name, took, outcome)) => {
                match outcome {
                    Outcome::Class(c) => *classes.entry(c).or_default() += 1,
                    Outcome::Accounting(m) => accounting.push(format!("{name}: {m}")),
                    Outcome::Panic => panicked.push(name.clone()),
                }
                times.push((took, name));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let run = running.lock().unwrap_or_else(|e| e.into_inner());
                let stuck: Vec<String> = run
                    .iter()
                    .filter(|(_, t0)| t0.elapsed() > HANG)
                    .map(|(n, t0)| format!("{n} (still running after {:.0?})", t0.elapsed()))
                    .collect();
                if !stuck.is_empty() {
                    hung = stuck;
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let wall = started.elapsed();
    // Restore the default hook behaviour for other tests (ours delegates anyway).
    let _ = panic::take_hook();
    panic::set_hook(Box::new(move |info| prev(info)));

    println!(
        "--- corpus outcomes ({} of {total} files finished) ---",
        times.len()
    );
    for (class, n) in &classes {
        println!("{class}: {n}");
    }
    if !classes.keys().any(|c| c.starts_with("ignored")) {
        println!("ignored: 0");
    }
    println!("row accounting failures: {}", accounting.len());
    println!("panics: {}", panicked.len());
    println!("hangs: {}", hung.len());
    println!("total wall time: {wall:.2?}");
    times.sort_by(|a, b| b.cmp(a));
    println!("slowest files:");
    for (took, name) in times.iter().take(5) {
        println!("  {took:>10.2?}  {name}");
    }
    let slow: Vec<String> = times
        .iter()
        .filter(|(t, _)| *t > PER_FILE)
        .map(|(t, n)| format!("{n} ({t:.2?})"))
        .collect();
    let recorded = panics.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for (name, detail) in &recorded {
        if panicked.contains(name) {
            println!("PANIC in {name}:\n{detail}");
        } else {
            println!("reader panic caught inside ingest (file refused as E001): {name}");
        }
    }
    for a in &accounting {
        println!("ACCOUNTING {a}");
    }
    for h in &hung {
        println!("HANG {h}");
    }
    for s in &slow {
        println!("TIMEOUT {s}");
    }
    for k in &known_aborts {
        println!("NOT RUN (aborts the process): {k}");
    }
    assert!(panicked.is_empty(), "panics on: {panicked:?}");
    assert!(hung.is_empty(), "hangs on: {hung:?}");
    assert!(slow.is_empty(), "over {PER_FILE:?}: {slow:?}");
    assert!(accounting.is_empty(), "row accounting: {accounting:?}");
    assert_eq!(times.len(), total, "not every file finished");
    assert!(
        known_aborts.is_empty(),
        "files that abort the process, not run: {known_aborts:?}"
    );
}
