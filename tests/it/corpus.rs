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
                unselected: &[],
                libraries: &setup.libraries,
                units: &setup.units,
                period: None,
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

/// The key-project ledgers of another province (`cn-catkins10-cms`, names
/// `*keyproject*`), read in place: no codes, ★ names, `合计13个`,
/// `2010年1-7月完成投资`, 县区合计 rows. Each goes through the run's own
/// path (inbox load → ingest → normalize with the new-infra pipeline); every
/// ledger-like sheet must map the columns listed here (0-based column of
/// name, total investment, annual plan, ytd done; `None` = the sheet has no
/// such column) and classify its rows as listed (data rows, 合计-like rows).
/// `CATKINS_DUMP=1` prints what was found instead of asserting.
#[test]
fn catkins_key_project_ledgers_map_their_columns() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(CORPUS)
        .join("cn-catkins10-cms");
    if !dir.is_dir() {
        println!("note: corpus folder {} not found; skipping", dir.display());
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let setup = taizhang::pipeline::setup(&root, &["new-infra".to_string()], None).unwrap();
    let ctx = Context {
        specs: &setup.specs,
        unselected: &[],
        libraries: &setup.libraries,
        units: &setup.units,
        period: None,
    };
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("keyproject"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 16, "{names:?}");
    let dump = std::env::var_os("CATKINS_DUMP").is_some();
    let mut failures = Vec::new();
    let mut found = Vec::new();
    for path in &names {
        let (file, bytes) = inbox::load(&dir, path).unwrap();
        let short = file
            .name
            .rsplit("template__")
            .next()
            .unwrap_or(&file.name)
            .to_string();
        let raw = ingest::read(file.format, &bytes).unwrap();
        let pf = normalize::parse_file(file, raw, 0, &ctx);
        for t in &pf.tables {
            let col = |k: &str| {
                t.columns
                    .iter()
                    .find(|c| c.field == k)
                    .map_or("—".to_string(), |c| taizhang::text::col_letters(c.col))
            };
            // Excel row numbers (1-based), as a person reads them.
            let of = |k: taizhang::model::SkipReason| -> Vec<u32> {
                t.skipped
                    .iter()
                    .filter(|s| s.1 == k)
                    .map(|s| s.0 + 1)
                    .collect()
            };
            let data: Vec<u32> = t.rows.iter().map(|r| r.row + 1).collect();
            let got = format!(
                "{short} | {} | header {}-{} | name {} total {} plan {} ytd {} | data {data:?} 合计 {:?} 分组 {:?}",
                t.sheet,
                t.header_rows.0 + 1,
                t.header_rows.1 + 1,
                col("name"),
                col("total_investment"),
                col("annual_plan"),
                col("ytd_done"),
                of(taizhang::model::SkipReason::Total),
                of(taizhang::model::SkipReason::Group),
            );
            found.push(got);
        }
        if pf.tables.is_empty() {
            found.push(format!("{short} | (no ledger table)"));
        }
    }
    if dump {
        for f in &found {
            println!("{f}");
        }
        return;
    }
    let want: Vec<&str> = CATKINS_EXPECTED
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    for w in &want {
        if !found.iter().any(|f| f == w) {
            failures.push(format!("expected: {w}"));
        }
    }
    for f in &found {
        if !want.contains(&f.as_str()) {
            failures.push(format!("found:    {f}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What each keyproject ledger maps, looked at file by file (dumped with
/// xlrd; rows are Excel's 1-based numbers; columns by letter):
/// - 明细表 / 附表 / 竣工投产 / 加速开工: `合计 | 13个` on row 4 is the total,
///   the ★ project on row 5 the only data row; 总投资 F, `2010年计划投资` H,
///   `2010年1-7月完成投资` I (the `YYYY年1-N月完成投资` synonym).
/// - 按地区: `合计37个` and `龙海市合计14个` (a 县区合计) totals, `一 | 工业`
///   a group with figures, one data row; 按行业: `总计 131个`, `（一）工业项目82个`.
/// - 加速报批: 总投资 only (signed-up projects have no plan or completion yet);
///   加速签约 (not listed): its 项目名称 header cell is blank, so no ledger.
/// - 旬报表: header rows 3-4 (`月完成情况` over `月计划投资额 …`), a `合  计`
///   row and a template line of zeros (blank): header mapped, 0 data rows;
///   `至 旬完成投资额` is month-to-date, not the year's cumulative.
/// - 十二五: `“十二五”规划投资` is a five-year figure, not an annual plan.
/// - 重点项目月报表: `其中：在建重点项目（90项）` and its continuation, `一、市本级`,
///   `（一）在建` are groups; 分级管理（在建） / 分行业（在建） are summaries by
///   category with no project names.
/// - 在建、新开工项目台账 / 项目前期工作台账: one project per form (label | value),
///   not a table; 项目参建单位汇总表: contracts, no investment figures;
///   项目资金拼盘及到位汇总表: one row per funding source of a project (the
///   source rows carry no name), not a project ledger.
const CATKINS_EXPECTED: &str = "
    zzfet.bak__年度项目明细表.xls | 明细表 | header 2-3 | name B total F plan H ytd I | data [5] 合计 [4] 分组 []
    zzfet.bak__年度项目明细表.xls | 按地区 | header 2-3 | name B total F plan H ytd I | data [7] 合计 [4, 5] 分组 [6]
    zzfet.bak__年度项目明细表.xls | 按行业 | header 2-3 | name B total F plan H ytd I | data [6] 合计 [4] 分组 [5]
    zzfet.bak__战役项目.xls | 明细表 | header 2-3 | name B total F plan H ytd I | data [5] 合计 [4] 分组 []
    zzfet.bak__重大支撑项目表.xls | 附表 | header 2-3 | name B total F plan H ytd I | data [5] 合计 [4] 分组 []
    zzfet.bak__项目目标责任制表.xls | 竣工投产 | header 2-3 | name B total F plan H ytd I | data [5] 合计 [4] 分组 []
    zzfet.bak__项目目标责任制表.xls | 加速开工 | header 2-3 | name B total F plan H ytd I | data [5] 合计 [4] 分组 []
    zzfet.bak__项目目标责任制表.xls | 加速报批 | header 2-3 | name B total D plan — ytd — | data [5] 合计 [4] 分组 []
    zzfet__在建、新开工项目台账.xls | (no ledger table)
    zzfet__年度项目明细表.xls | 明细表 | header 2-3 | name B total F plan H ytd I | data [5] 合计 [4] 分组 []
    zzfet__年度项目明细表.xls | 按地区 | header 2-3 | name B total F plan H ytd I | data [7] 合计 [4, 5] 分组 [6]
    zzfet__年度项目明细表.xls | 按行业 | header 2-3 | name B total F plan H ytd I | data [6] 合计 [4] 分组 [5]
    zzfet__战役项目.xls | 明细表 | header 2-3 | name B total F plan H ytd I | data [5] 合计 [4] 分组 []
    zzfet__旬报表.xls | 旬报表 | header 3-4 | name B total E plan F ytd — | data [] 合计 [5] 分组 []
    zzfet__重大支撑项目表.xls | 附表 | header 2-3 | name B total F plan H ytd I | data [5] 合计 [4] 分组 []
    zzfet__项目前期工作台账.xls | (no ledger table)
    zzfet__项目目标责任制表.xls | 竣工投产 | header 2-3 | name B total F plan H ytd I | data [5] 合计 [4] 分组 []
    zzfet__项目目标责任制表.xls | 加速开工 | header 2-3 | name B total F plan H ytd I | data [5] 合计 [4] 分组 []
    zzfet__项目目标责任制表.xls | 加速报批 | header 2-3 | name B total D plan — ytd — | data [5] 合计 [4] 分组 []
    “十二五”规划重点项目报表.xls | 十二五 | header 2-2 | name B total E plan — ytd — | data [5, 6] 合计 [3] 分组 [4]
    年度目标及形象进度完成情况汇总表.xls | Sheet1 | header 2-3 | name B total F plan H ytd J | data [6, 7] 合计 [4] 分组 [5]
    重点项目月报表(在建、筹建).xls | 分级管理 | header 2-3 | name B total C plan E ytd F | data [10, 11] 合计 [5] 分组 [6, 7, 8, 9]
    重点项目月报表(在建、筹建).xls | 分行业 | header 2-3 | name B total C plan E ytd F | data [10, 11] 合计 [5] 分组 [6, 7, 8, 9]
    项目参建单位汇总表.xls | (no ledger table)
    项目资金拼盘及到位汇总表.xls | (no ledger table)
";
