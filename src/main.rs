//! `taizhang` binary: parse the command line, call the library, print a short
//! summary or the error, map to an exit code (0 ok, 1 run failed, 2 usage/config).

use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use taizhang::cli::{Cli, Command, RunArgs};
use taizhang::model::Period;
use taizhang::pipeline::{Progress, RunError, RunOptions};

/// mimalloc: a run allocates millions of short strings from several threads;
/// glibc's per-thread arenas kept the peak RSS near twice the live heap.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc option numbers (`mi_option_e` of its `mimalloc.h`, an ABI kept
/// stable across versions: retired options keep their numbers).
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed memory goes back to the system at once, and arenas are committed as
/// they are used: a run's stages each build then free a few hundred MB
/// (rows, records, a workbook), and mimalloc's defaults (purge after 10 ms,
/// eager commit) kept about a fifth more resident at the peak for the same
/// time (measured on the bench inbox; `MIMALLOC_*` variables still win).
fn tune_allocator() {
    for (option, value, var) in [
        (MI_OPTION_PURGE_DELAY, 0, "MIMALLOC_PURGE_DELAY"),
        (
            MI_OPTION_ARENA_EAGER_COMMIT,
            0,
            "MIMALLOC_ARENA_EAGER_COMMIT",
        ),
    ] {
        if std::env::var_os(var).is_none() {
            // SAFETY: sets a plain integer option; any value is accepted.
            unsafe { libmimalloc_sys::mi_option_set(option, value) };
        }
    }
}

/// A panic of third-party code on bad input (a reader on a malformed file,
/// refused as E001; the writer on a full disk) is caught and reported in
/// Chinese by the caller, so its message is shown only with TAIZHANG_DEBUG
/// set; any other panic is a bug and says so in Chinese too.
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // `taizhang checks | head`: the reader went away; nothing to report.
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .unwrap_or("");
        if msg.starts_with("failed printing to stdout") {
            std::process::exit(0);
        }
        if taizhang::guard::active() {
            if std::env::var_os("TAIZHANG_DEBUG").is_some() {
                default(info);
            }
            return;
        }
        default(info);
        eprintln!("taizhang 内部错误：请把以上信息和当期收件目录发给维护人员。");
    }));
}

fn main() -> ExitCode {
    tune_allocator();
    install_panic_hook();
    let cli = match taizhang::cli::command()
        .try_get_matches()
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind as K;
            if !matches!(e.kind(), K::DisplayHelp | K::DisplayVersion) {
                eprintln!("参数有误（运行 taizhang --help 查看用法）：");
            }
            e.exit()
        }
    };
    let root = cli.root.clone();
    let result = match cli.command {
        Command::Init { dir } => init(&dir),
        Command::Run(args) => run(args, root.as_deref()),
        Command::Quarterly {
            quarter,
            out,
            store,
            pipelines,
        } => quarterly(&quarter, out, store, pipelines, root.as_deref()),
        Command::Checks => {
            print_checks();
            Ok(())
        }
        Command::History { store } => history(&store),
        Command::Status {
            period,
            inbox,
            out,
            store,
            pipelines,
        } => status(period, inbox, out, store, pipelines, root.as_deref()),
        Command::Templates {
            period,
            pipelines,
            out,
            store,
        } => templates(&period, pipelines, out, store, root.as_deref()),
        Command::Bench {
            files,
            rows,
            reps,
            kind,
            work,
            pipeline,
        } => bench(files, rows, reps, kind, work, pipeline, root.as_deref()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误：{e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// Progress bar over the files of each period.
struct Bar {
    bar: Mutex<Option<ProgressBar>>,
    quiet: bool,
}

impl Progress for Bar {
    fn period_started(&self, period: Period, files: usize) {
        if self.quiet {
            return;
        }
        let pb = ProgressBar::new(files as u64);
        pb.set_style(
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} 个文件 {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        pb.set_prefix(format!("{period}"));
        if let Ok(mut b) = self.bar.lock() {
            *b = Some(pb);
        }
    }
    fn file_done(&self, _name: &str) {
        if let Ok(b) = self.bar.lock() {
            if let Some(pb) = b.as_ref() {
                pb.inc(1);
            }
        }
    }
    fn period_finished(&self, _period: Period) {
        if let Ok(mut b) = self.bar.lock() {
            if let Some(pb) = b.take() {
                pb.finish_and_clear();
            }
        }
    }
}

fn init(dir: &std::path::Path) -> Result<(), RunError> {
    let rep = taizhang::init::init(dir)?;
    for p in &rep.written {
        println!("已生成：{}", p.display());
    }
    for p in &rep.kept {
        println!("已存在，保留：{}", p.display());
    }
    println!(
        "配置目录已就绪：{}。请先填好 seeds 下的项目库，再在该目录中运行 taizhang run --inbox inbox（说明见 README.txt）。",
        dir.display()
    );
    Ok(())
}

fn run(args: RunArgs, root: Option<&std::path::Path>) -> Result<(), RunError> {
    let root = taizhang::init::find_root(root)?;
    let period = match &args.period {
        Some(p) => Some(Period::parse_period(p).ok_or_else(|| {
            RunError::Usage(format!("期别“{p}”格式不对，应为 YYYY-MM，如 2023-07"))
        })?),
        None => None,
    };
    let inbox = args
        .inbox
        .clone()
        .unwrap_or_else(|| root.join("samples").join("inbox"));
    let store = args
        .store
        .clone()
        .unwrap_or_else(|| args.out.join("history"));
    let period_arg = |flag: &str, v: &str| {
        Period::parse_period(v).ok_or_else(|| {
            RunError::Usage(format!(
                "{flag} 的期别“{v}”格式不对，应为 YYYY-MM，如 2023-07"
            ))
        })
    };
    let redo = args
        .redo
        .iter()
        .map(|v| period_arg("--redo", v))
        .collect::<Result<Vec<_>, _>>()?;
    let from = args
        .from
        .as_deref()
        .map(|v| period_arg("--from", v))
        .transpose()?;
    let opts = RunOptions {
        root,
        inbox,
        out: args.out.clone(),
        store,
        period,
        pipelines: args.pipelines.clone(),
        library: args.library.clone(),
        redo,
        from,
        wait: std::time::Duration::from_secs(args.wait),
        library_current: args.library_current,
    };
    let bar = Bar {
        bar: Mutex::new(None),
        quiet: args.quiet || !std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    let summary = taizhang::run(&opts, &bar)?;
    for n in &summary.notes {
        println!("说明：{n}");
    }
    // A workbook split between programs is one file read.
    let files = summary
        .outcomes
        .iter()
        .flat_map(|o| o.file_names.iter().map(move |n| (o.period, n)))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let rows: usize = summary.outcomes.iter().map(|o| o.rows_read).sum();
    println!(
        "完成：处理 {} 个期别/项目类别，读取 {files} 个文件、{rows} 行，用时 {:.1} 秒。",
        summary.outcomes.len(),
        summary.elapsed_ms as f64 / 1000.0
    );
    for o in &summary.outcomes {
        println!(
            "  {} {}：{} 个文件，读取 {} 行（采纳 {}，拒收 {}，跳过 {}），错误 {} 条、警告 {} 条；{}",
            o.period,
            o.program_name,
            o.files,
            o.rows_read,
            o.accepted,
            o.rejected,
            o.skipped,
            o.errors,
            o.warnings,
            o.headline
        );
    }
    if let Some(last) = summary.outcomes.last() {
        let dirs: Vec<String> = summary
            .outcomes
            .iter()
            .filter(|o| o.period == last.period)
            .map(|o| o.out_dir.display().to_string())
            .collect();
        println!("报表位置：{}", dirs.join("  "));
    }
    if summary.ignored > 0 {
        println!(
            "已忽略 {} 个文件（临时/系统文件、链接或管道等非普通文件，或属于未选择的项目类别；见 manifest.json 的 ignored）。",
            summary.ignored
        );
    }
    Ok(())
}

fn print_checks() {
    println!("{:<6} {:<4} {:<34} 示例", "编号", "级别", "检查内容");
    for c in taizhang::checks::CATALOGUE {
        println!(
            "{:<6} {:<4} {:<34} {}",
            c.id,
            c.severity.label(),
            c.title,
            c.example
        );
        println!("{:<12}处理：{}", "", c.help);
    }
    println!("\n共 {} 条规则。错误（E）：该行或该文件不计入；警告（W）：计入但提示核对。流水线文件的 [checks.severity] 可调整级别。", taizhang::checks::CATALOGUE.len());
}

fn history(dir: &PathBuf) -> Result<(), RunError> {
    let store = taizhang::pipeline::store::Store::new(dir);
    let programs = store.programs();
    if programs.is_empty() {
        println!(
            "历史库 {} 中还没有数据。运行 taizhang run 后会自动保存各期数据。",
            dir.display()
        );
        return Ok(());
    }
    println!(
        "{:<18} {:<8} {:>6} {:>6} {:>16} {:>8}  {:<19}  输入文件（sha256 前 12 位）",
        "项目类别", "期别", "项目", "已报送", "累计完成(万元)", "发现", "写入时间"
    );
    for prog in programs {
        for p in store.periods(&prog) {
            let Some(sp) = store.load(&prog, p)? else {
                continue;
            };
            let ytd: i64 = sp.records.iter().map(|r| r.ytd_done).sum();
            let reported = sp.records.iter().filter(|r| r.reported).count()
                + sp.tasks.iter().filter(|r| r.reported).count();
            let inputs: Vec<String> = sp
                .inputs
                .iter()
                .map(|i| format!("{}({})", i.file, &i.sha256.get(..12).unwrap_or("")))
                .collect();
            println!(
                "{:<18} {:<8} {:>6} {:>6} {:>16} {:>8}  {:<19}  {}",
                prog,
                sp.period,
                sp.records.len(),
                reported,
                taizhang::parse::fmt_wan(ytd),
                sp.findings.len(),
                sp.written_at,
                inputs.join("；")
            );
        }
    }
    Ok(())
}

fn bench(
    files: usize,
    rows: usize,
    reps: usize,
    kind: taizhang::cli::BenchKind,
    work: Option<PathBuf>,
    pipeline: Option<String>,
    root: Option<&std::path::Path>,
) -> Result<(), RunError> {
    let root = taizhang::init::find_root(root)?;
    // Resolved (and refused when it cannot be generated for) before any work.
    let spec = taizhang::bench::bench_pipeline(&root, pipeline.as_deref())?;
    // A folder the user names is kept (to inspect the inbox and reports); the default one is removed.
    let keep = work.is_some();
    let work = work.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("taizhang-bench-{}", std::process::id()))
    });
    let exe =
        std::env::current_exe().map_err(|e| RunError::Usage(format!("找不到本程序的路径：{e}")))?;
    let inboxes = match kind {
        taizhang::cli::BenchKind::Messy => vec![true],
        taizhang::cli::BenchKind::Clean => vec![false],
        taizhang::cli::BenchKind::Both => vec![true, false],
    };
    println!(
        "生成测试收件箱（{}：{} 6 月、7 月两期，每期 {files} 个文件 × {rows} 行，按其配置的字段和表头）于 {} …",
        spec.id,
        spec.year,
        work.display()
    );
    let opts = taizhang::bench::BenchOptions {
        exe,
        files,
        rows_per_file: rows,
        reps,
        inboxes,
        pipeline,
    };
    let reports = taizhang::bench::run(&root, &work, &opts);
    if !keep {
        let _ = std::fs::remove_dir_all(&work);
    }
    let reports = reports?;
    for r in &reports {
        print_bench(r, reps);
    }
    if let [m, c] = reports.as_slice() {
        println!(
            "杂乱 ÷ 干净（整批处理）= {:.2} 倍",
            m.run_s / c.run_s.max(f64::EPSILON)
        );
    }
    Ok(())
}

fn print_bench(r: &taizhang::bench::BenchReport, reps: usize) {
    let i = &r.inbox;
    if r.messy {
        let planted: Vec<String> = i.planted.iter().map(|(k, n)| format!("{k} {n}")).collect();
        println!(
            "\n【杂乱收件箱】{} 个单位，每单位 3-4 个文件，另有修订和补报；预置错误：{}",
            i.units,
            planted.join("，")
        );
    } else {
        println!("\n【干净收件箱】{} 个单位，每单位一个文件，无错误", i.units);
    }
    println!(
        "文件 {}，数据行 {}（两期共 {} 个文件、{} 行，{:.1} MB）；每项取 {reps} 次中最快一次",
        i.files,
        i.rows,
        i.files_all,
        i.rows_all,
        i.bytes as f64 / 1e6
    );
    let line = |name: &str, s: f64| {
        println!(
            "  {name:<34}{s:>8.3} 秒 {:>10.0} 行/秒  = 裸读的 {:.2} 倍",
            r.rows_per_s(s),
            s / r.bare_s
        )
    };
    line("calamine 裸读（打开并访问每个单元格）", r.bare_s);
    line("读取入库（含哈希、识别、表头、行解析）", r.ingest_s);
    line("rust_xlsxwriter 裸写（同样单元格，无格式）", r.bare_write_s);
    line("整批处理（两期，先补跑 6 月）", r.run_s);
    let rss = r
        .peak_rss
        .map(|b| format!("{:.0} MB", b as f64 / 1e6))
        .unwrap_or_else(|| "未知".to_string());
    println!(
        "  整批处理峰值内存 {rss}；整批 ÷（裸读 + 裸写）= {:.2} 倍",
        r.run_s / (r.bare_s + r.bare_write_s)
    );
    // `report_*` are parts of `report` (monthly and feedback side by side).
    let staged: f64 = r
        .stages
        .iter()
        .filter(|(k, _)| !k.starts_with("report_"))
        .map(|(_, s)| s)
        .sum();
    let stages: Vec<String> = r
        .stages
        .iter()
        .map(|(k, s)| format!("{k} {s:.2}"))
        .collect();
    println!(
        "  各环节（秒，两期合计，取自 manifest.json）：{}；其余（启动、发布、历史库、收尾）{:.2}",
        stages.join("，"),
        (r.run_s - staged).max(0.0)
    );
    println!(
        "  行：采纳 {}，退回 {}，跳过 {}",
        r.accounting[0], r.accounting[1], r.accounting[2]
    );
}

/// `taizhang status`: the reporting window of one period.
fn templates(
    period: &str,
    pipelines: Vec<String>,
    out: PathBuf,
    store: Option<PathBuf>,
    root: Option<&std::path::Path>,
) -> Result<(), RunError> {
    let root = taizhang::init::find_root(root)?;
    let period = Period::parse_period(period).ok_or_else(|| {
        RunError::Usage(format!("期别“{period}”格式不对，应为 YYYY-MM，如 2023-08"))
    })?;
    let store = store.unwrap_or_else(|| out.join("history"));
    if !store.is_dir() {
        println!(
            "说明：历史库目录 {} 不存在，模板中的“上月”各列将留空；请用 --store 指向 taizhang run 所用的历史库（默认为 输出目录/history）",
            store.display()
        );
    }
    let opts = taizhang::pipeline::templates::TemplateOptions {
        root,
        store,
        out,
        period,
        pipelines,
    };
    let written = taizhang::pipeline::templates::templates(&opts)?;
    for name in &written.placeholder_contact {
        println!(
            "提醒：{name}的联系方式仍是示例文字（pipelines 中该类别文件的 [feedback] contact），下发前请改为实际的处室、联系人和电话"
        );
    }
    for (name, files) in &written.programs {
        println!("{name}：{} 个单位的模板", files.len());
    }
    for name in &written.no_history {
        println!(
            "说明：历史库中没有{name} {} 的数据，模板中“上月累计”“上月状态”留空",
            period.prev()
        );
    }
    println!("模板已写到：{}", written.dir.display());
    Ok(())
}

fn status(
    period: Option<String>,
    inbox: Option<PathBuf>,
    out: PathBuf,
    store: Option<PathBuf>,
    pipelines: Vec<String>,
    root: Option<&std::path::Path>,
) -> Result<(), RunError> {
    let root = taizhang::init::find_root(root)?;
    let inbox = inbox.unwrap_or_else(|| root.join("samples").join("inbox"));
    let store_dir = store.unwrap_or_else(|| out.join("history"));
    if !store_dir.is_dir() {
        println!(
            "说明：历史库目录 {} 不存在，与上月比较的校验（如累计低于上月）本次未做；请用 --store 指向 taizhang run 所用的历史库（默认为 输出目录/history）",
            store_dir.display()
        );
    }
    let store = taizhang::pipeline::store::Store::new(store_dir);
    let period = match period {
        Some(p) => Period::parse_period(&p).ok_or_else(|| {
            RunError::Usage(format!("期别“{p}”格式不对，应为 YYYY-MM，如 2023-07"))
        })?,
        None => taizhang::pipeline::inbox::list_periods(&inbox)?
            .last()
            .copied()
            .ok_or_else(|| {
                RunError::Usage(format!(
                    "收件目录 {} 中没有期别文件夹（如 2023-07/）",
                    inbox.display()
                ))
            })?,
    };
    if !taizhang::pipeline::inbox::period_dir(&inbox, period).is_dir() {
        println!(
            "说明：收件目录 {} 中还没有 {period} 文件夹：各单位均按未报送列出",
            inbox.display()
        );
    }
    let setup = taizhang::pipeline::setup(&root, &pipelines, None)?;
    let window = taizhang::pipeline::status::status(
        &setup,
        &inbox,
        &store,
        period,
        &taizhang::pipeline::Silent,
    )?;
    use taizhang::pipeline::status::UnitState;
    println!(
        "{}年{}月报送情况（收件目录 {}）",
        period.year,
        period.month,
        inbox.display()
    );
    for p in &window.programs {
        let n = |s| p.in_state(s).count();
        println!(
            "\n{}：{} 个单位，已报送 {}，已报送有错 {}，未报送 {}",
            p.name,
            p.units.len(),
            n(UnitState::Reported),
            n(UnitState::ReportedWithErrors),
            n(UnitState::NotReported)
        );
        for u in &p.units {
            let files: Vec<String> = u
                .files
                .iter()
                .map(|f| {
                    format!(
                        "{}（{}，{} 行）",
                        f.name,
                        taizhang::report::status::arrived(f.modified),
                        f.rows_read
                    )
                })
                .collect();
            println!(
                "  {} {} 错误 {:>3}  警告 {:>4}  {}",
                pad(&u.unit, 14),
                pad(u.state.label(), 10),
                u.errors,
                u.warnings,
                files.join("；")
            );
        }
        for f in &p.unowned {
            println!("  未能确定单位的文件：{}（{}）", f.name, f.note);
        }
    }
    if !window.unreadable.is_empty() {
        println!("\n未能识别的文件（不属于任何项目类别，未被采纳）：");
        for f in &window.unreadable {
            println!("  {}：{}", f.name, f.note);
        }
    }
    let missing: Vec<String> = window
        .programs
        .iter()
        .flat_map(|p| {
            p.in_state(UnitState::NotReported)
                .map(move |u| format!("{}·{}", p.name, u.unit))
        })
        .collect();
    println!(
        "\n催报：{}",
        if missing.is_empty() {
            "无（各单位均已报送）".to_string()
        } else {
            missing.join("、")
        }
    );
    let dir = out.join("报送情况");
    let issuer = setup
        .specs
        .first()
        .map(|s| s.issuer.clone())
        .unwrap_or_default();
    let path =
        taizhang::report::status::write(&window, period, &issuer, &dir).map_err(RunError::from)?;
    println!("报送情况表：{}", path.display());
    Ok(())
}

/// `s` padded with spaces to `width` terminal columns (CJK counts two).
fn pad(s: &str, width: usize) -> String {
    let w = taizhang::text::display_width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

/// Parses `2023Q2` (also `2023q2`, `2023-Q2`).
fn parse_quarter(s: &str) -> Option<(i32, u32)> {
    let t = s.trim().to_uppercase().replace('-', "");
    let (y, q) = t.split_once('Q')?;
    let (y, q) = (y.parse().ok()?, q.parse().ok()?);
    (y >= 1900 && (1..=4).contains(&q)).then_some((y, q))
}

fn quarterly(
    quarter: &str,
    out: PathBuf,
    store: Option<PathBuf>,
    pipelines: Vec<String>,
    root: Option<&std::path::Path>,
) -> Result<(), RunError> {
    let (year, q) = parse_quarter(quarter).ok_or_else(|| {
        RunError::Usage(format!("季度“{quarter}”格式不对，应为 2023Q2 这样的写法"))
    })?;
    let mut opts = RunOptions::new(taizhang::init::find_root(root)?, out);
    if let Some(store) = store {
        opts.store = store;
    }
    opts.pipelines = pipelines;
    for path in taizhang::pipeline::quarterly(&opts, year, q)? {
        println!("已生成：{}", path.display());
    }
    Ok(())
}
