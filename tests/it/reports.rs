//! Official reports (issue 5): the print setup of every sheet read from the
//! xlsx parts; every figure of 分地区 (monthly) and 季度排名 / 红黑榜
//! (quarterly) recomputed independently from the 项目明细 rows of the monthly
//! workbooks; Q1/Q2 notifications written by `run` and rewritten
//! byte-identically by `taizhang quarterly`.

use assert_cmd::Command;
use calamine::{open_workbook_auto, Data, Reader};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One `taizhang run` on the samples into a temp folder shared by these tests.
fn run_once() -> &'static Path {
    static OUT: OnceLock<tempfile::TempDir> = OnceLock::new();
    OUT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        Command::cargo_bin("taizhang")
            .unwrap()
            .current_dir(root())
            .args(["run", "--quiet", "--out"])
            .arg(dir.path())
            .assert()
            .success();
        dir
    })
    .path()
}

fn programs() -> Vec<(&'static str, &'static str)> {
    vec![
        ("new-infra", "新基建项目"),
        ("digital-economy", "数字经济重点项目"),
    ]
}

const QUARTER_CN: [&str; 4] = ["一", "二", "三", "四"];

fn monthly_path(out: &Path, program: &str, name: &str, month: u32) -> PathBuf {
    out.join(program)
        .join(format!("2023-{month:02}"))
        .join(format!("{name}月度监测表-2023年{month:02}月.xlsx"))
}

fn quarterly_path(out: &Path, program: &str, name: &str, q: u32) -> PathBuf {
    out.join(program)
        .join(format!("2023-{:02}", q * 3))
        .join(format!(
            "{name}季度通报-2023年第{}季度.xlsx",
            QUARTER_CN[q as usize - 1]
        ))
}

fn sheet(path: &Path, name: &str) -> calamine::Range<Data> {
    let mut wb = open_workbook_auto(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    wb.worksheet_range(name)
        .unwrap_or_else(|e| panic!("{} {name}: {e}", path.display()))
}

fn cell(r: &calamine::Range<Data>, row: usize, col: usize) -> Data {
    r.get((row, col)).cloned().unwrap_or(Data::Empty)
}

fn text(d: &Data) -> String {
    d.to_string()
}

/// A 万元 cell back to whole 元.
fn yuan(d: &Data) -> i64 {
    match d {
        Data::Float(f) => (f * 10_000.0).round() as i64,
        Data::Int(i) => i * 10_000,
        other => panic!("not a number: {other:?}"),
    }
}

fn num(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

/// Column index of a header text in row 3 (0-based 2).
fn col(r: &calamine::Range<Data>, header: &str) -> usize {
    (0..r.width())
        .find(|&c| text(&cell(r, 2, c)) == header)
        .unwrap_or_else(|| panic!("no column {header}"))
}

/// Sums of one unit recomputed from 项目明细.
#[derive(Debug, Default, Clone, PartialEq)]
struct Unit {
    projects: i64,
    reported: i64,
    plan: i64,
    month: i64,
    ytd: i64,
    started: i64,
    due_start: i64,
}

/// 项目明细 of a monthly workbook → sums per 责任单位 (and the whole).
fn detail_by_unit(path: &Path, month: u32) -> (BTreeMap<String, Unit>, Unit) {
    let d = sheet(path, "项目明细");
    let c = |h: &str| col(&d, h);
    let (unit_c, plan_c, month_c, ytd_c) = (
        c("责任单位"),
        c("年度计划投资"),
        c("本月完成投资"),
        c("累计完成投资"),
    );
    let (src_c, status_c, nature_c, start_c) = (
        c("数据来源"),
        c("建设状态"),
        c("建设性质"),
        c("计划开工时间"),
    );
    assert_eq!(text(&cell(&d, 3, 0)), "合计");
    let mut by: BTreeMap<String, Unit> = BTreeMap::new();
    let mut all = Unit::default();
    for r in 4..d.height() {
        let code = text(&cell(&d, r, 0));
        if code.is_empty() || code.starts_with("注") {
            continue;
        }
        let nature = text(&cell(&d, r, nature_c));
        let planned = text(&cell(&d, r, start_c));
        let due = nature == "续建"
            || planned
                .split_once('-')
                .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
                .is_some_and(|(y, m)| (y, m) <= (2023, month));
        let one = Unit {
            projects: 1,
            reported: i64::from(text(&cell(&d, r, src_c)) == "已报送"),
            plan: yuan(&cell(&d, r, plan_c)),
            month: yuan(&cell(&d, r, month_c)),
            ytd: yuan(&cell(&d, r, ytd_c)),
            started: i64::from(text(&cell(&d, r, status_c)) != "未开工" || nature == "续建"),
            due_start: i64::from(due),
        };
        for u in [by.entry(text(&cell(&d, r, unit_c))).or_default(), &mut all] {
            u.projects += one.projects;
            u.reported += one.reported;
            u.plan += one.plan;
            u.month += one.month;
            u.ytd += one.ytd;
            u.started += one.started;
            u.due_start += one.due_start;
        }
    }
    (by, all)
}

fn rate(a: i64, b: i64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The stated rule: completion rate (exact), ties by cumulative, then list order.
fn ranks(units: &[(String, Unit)]) -> BTreeMap<String, usize> {
    let mut idx: Vec<usize> = (0..units.len()).collect();
    let key = |u: &Unit| (u.ytd as i128, u.plan as i128);
    idx.sort_by(|&a, &b| {
        let ((ya, pa), (yb, pb)) = (key(&units[a].1), key(&units[b].1));
        let ra = if pa > 0 { ya * pb.max(1) } else { 0 };
        let rb = if pb > 0 { yb * pa.max(1) } else { 0 };
        rb.cmp(&ra)
            .then(yb.cmp(&ya))
            .then(a.cmp(&b))
            .then(Ordering::Equal)
    });
    idx.into_iter()
        .enumerate()
        .map(|(rank, i)| (units[i].0.clone(), rank + 1))
        .collect()
}

fn change(rank: usize, prev: Option<&BTreeMap<String, usize>>, key: &str) -> String {
    match prev {
        None => String::new(),
        Some(p) => match p.get(key) {
            None => "新".into(),
            Some(&p) if p > rank => format!("↑{}", p - rank),
            Some(&p) if p < rank => format!("↓{}", rank - p),
            Some(_) => "—".into(),
        },
    }
}

/// Light by the pipelines' thresholds (yellow_below 0.10, red_below 0.30).
fn light(rate: f64, tp: f64) -> &'static str {
    let below = ((tp - rate) * 1000.0).round() / 1000.0;
    if below <= 0.10 {
        "绿灯"
    } else if below <= 0.30 {
        "黄灯"
    } else {
        "红灯"
    }
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!((got - want).abs() <= tol, "{what}: {got} ≠ {want}");
}

/// Units in 分地区 row order (the program's unit list) with recomputed sums.
fn unit_list(out: &Path, program: &str, name: &str, month: u32) -> Vec<(String, Unit)> {
    let path = monthly_path(out, program, name, month);
    let (by, _) = detail_by_unit(&path, month);
    let u = sheet(&path, "分地区");
    (4..u.height())
        .map(|r| text(&cell(&u, r, 0)))
        .filter(|k| !k.is_empty() && !k.starts_with("注"))
        .map(|k| {
            let s = by.get(&k).cloned().unwrap_or_default();
            (k, s)
        })
        .collect()
}

#[test]
fn print_setup_of_every_sheet_is_official() {
    let out = run_once();
    let (program, name) = programs()[0];
    for path in [
        monthly_path(out, program, name, 7),
        quarterly_path(out, program, name, 2),
    ] {
        let f = std::fs::File::open(&path).unwrap();
        let mut z = zip::ZipArchive::new(f).unwrap();
        let mut part = |n: &str| -> String {
            let mut s = String::new();
            z.by_name(n)
                .unwrap_or_else(|e| panic!("{} {n}: {e}", path.display()))
                .read_to_string(&mut s)
                .unwrap();
            s
        };
        let wbxml = part("xl/workbook.xml");
        let names: Vec<String> = wbxml
            .split("<sheet name=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_string())
            .collect();
        assert!(names.len() >= 7, "{}: {names:?}", path.display());
        for (i, sheet_name) in names.iter().enumerate() {
            let xml = part(&format!("xl/worksheets/sheet{}.xml", i + 1));
            let what = format!("{} {sheet_name}", path.display());
            let setup = xml
                .split("<pageSetup ")
                .nth(1)
                .and_then(|s| s.split("/>").next())
                .unwrap_or_else(|| panic!("{what}: no pageSetup"));
            assert!(setup.contains("orientation=\"landscape\""), "{what}");
            assert!(setup.contains("paperSize=\"9\""), "{what}");
            // fitToWidth defaults to 1 when absent.
            assert!(
                !setup.contains("fitToWidth") || setup.contains("fitToWidth=\"1\""),
                "{what}: {setup}"
            );
            assert!(xml.contains("<pageSetUpPr fitToPage=\"1\"/>"), "{what}");
            assert!(
                xml.contains("<oddFooter>&amp;C第 &amp;P 页 共 &amp;N 页</oddFooter>"),
                "{what}: footer"
            );
            assert!(
                xml.contains("state=\"frozen\"") && xml.contains("ySplit=\"3\""),
                "{what}: frozen panes"
            );
            assert!(
                wbxml.contains(&format!(
                    "<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"{i}\">{sheet_name}!$3:$3</definedName>"
                )),
                "{what}: print titles"
            );
        }
    }
}

#[test]
fn every_figure_of_fendiqu_is_recomputed_from_the_detail() {
    let out = run_once();
    for (program, name) in programs() {
        let mut prev: Option<BTreeMap<String, usize>> = None;
        for month in 1..=7u32 {
            let what = format!("{program} 2023-{month:02}");
            let path = monthly_path(out, program, name, month);
            let (_, all) = detail_by_unit(&path, month);
            let units = unit_list(out, program, name, month);
            let rk = ranks(&units);
            let tp = month as f64 / 12.0;
            let u = sheet(&path, "分地区");
            let c = |h: &str| col(&u, h);
            let cols = [
                c("项目数"),
                c("已报送"),
                c("年度计划投资"),
                c("本月完成投资"),
                c("累计完成投资"),
                c("完成率"),
                c("序时进度"),
                c("较序时进度(百分点)"),
                c("开工率"),
                c("排名"),
                c("排名变化"),
                c("灯号"),
            ];
            let check = |r: usize, s: &Unit, key: Option<&str>| {
                let w = format!("{what} {}", key.unwrap_or("合计"));
                assert_eq!(num(&cell(&u, r, cols[0])) as i64, s.projects, "{w} 项目数");
                assert_eq!(num(&cell(&u, r, cols[1])) as i64, s.reported, "{w} 已报送");
                assert_eq!(yuan(&cell(&u, r, cols[2])), s.plan, "{w} 计划");
                assert_eq!(yuan(&cell(&u, r, cols[3])), s.month, "{w} 本月");
                assert_eq!(yuan(&cell(&u, r, cols[4])), s.ytd, "{w} 累计");
                let cr = rate(s.ytd, s.plan);
                close(
                    num(&cell(&u, r, cols[5])),
                    cr,
                    0.0005,
                    &format!("{w} 完成率"),
                );
                close(num(&cell(&u, r, cols[6])), tp, 0.0005, &format!("{w} 序时"));
                close(
                    num(&cell(&u, r, cols[7])),
                    (cr - tp) * 100.0,
                    0.05,
                    &format!("{w} 较序时"),
                );
                close(
                    num(&cell(&u, r, cols[8])),
                    rate(s.started, s.due_start),
                    0.0005,
                    &format!("{w} 开工率"),
                );
                if let Some(k) = key {
                    let rank = rk[k];
                    assert_eq!(num(&cell(&u, r, cols[9])) as usize, rank, "{w} 排名");
                    assert_eq!(
                        text(&cell(&u, r, cols[10])),
                        change(rank, prev.as_ref(), k),
                        "{w} 排名变化"
                    );
                    assert_eq!(text(&cell(&u, r, cols[11])), light(cr, tp), "{w} 灯号");
                }
            };
            assert_eq!(text(&cell(&u, 3, 0)), "合计");
            check(3, &all, None);
            for (i, (k, s)) in units.iter().enumerate() {
                assert_eq!(text(&cell(&u, 4 + i, 0)), *k);
                check(4 + i, s, Some(k));
            }
            let sum: i64 = units.iter().map(|(_, s)| s.ytd).sum();
            assert_eq!(sum, all.ytd, "{what}: units add up to 合计");
            prev = Some(rk);
        }
    }
}

#[test]
fn quarterly_ranking_and_boards_are_recomputed_from_the_monthly_details() {
    let out = run_once();
    for (program, name) in programs() {
        for q in 1..=2u32 {
            let end = q * 3;
            let what = format!("{program} 2023Q{q}");
            let path = quarterly_path(out, program, name, q);
            let units = unit_list(out, program, name, end);
            let (_, all) = detail_by_unit(&monthly_path(out, program, name, end), end);
            let rk = ranks(&units);
            let prev = (q > 1).then(|| ranks(&unit_list(out, program, name, end - 3)));
            // The quarter's own investment: its months' 本月完成 from each month's detail.
            let mut qdone: BTreeMap<String, i64> = BTreeMap::new();
            let mut qall = 0;
            for m in end - 2..=end {
                let (by, a) = detail_by_unit(&monthly_path(out, program, name, m), m);
                qall += a.month;
                for (k, s) in by {
                    *qdone.entry(k).or_default() += s.month;
                }
            }
            let tp = end as f64 / 12.0;
            let s = sheet(&path, "季度排名");
            let c = |h: &str| col(&s, h);
            let (rank_c, n_c, plan_c, qd_c, ytd_c, rate_c, gap_c, prev_c, chg_c, light_c) = (
                c("排名"),
                c("项目数"),
                c("年度计划投资"),
                c("本季度完成投资"),
                c("累计完成投资"),
                c("完成率"),
                c("较序时进度(百分点)"),
                c("上季末排名"),
                c("排名变化"),
                c("灯号"),
            );
            assert_eq!(text(&cell(&s, 3, 0)), "合计");
            assert_eq!(yuan(&cell(&s, 3, ytd_c)), all.ytd, "{what} 合计累计");
            assert_eq!(yuan(&cell(&s, 3, plan_c)), all.plan, "{what} 合计计划");
            assert_eq!(yuan(&cell(&s, 3, qd_c)), qall, "{what} 合计季度完成");
            let mut seen = 0;
            for r in 4..s.height() {
                let k = text(&cell(&s, r, 0));
                if k.is_empty() || k.starts_with("注") || k.starts_with("灯号") {
                    continue;
                }
                seen += 1;
                let w = format!("{what} {k}");
                let u = &units.iter().find(|(n, _)| *n == k).unwrap().1;
                let rank = rk[&k];
                // Rows are in rank order.
                assert_eq!(rank, seen, "{w} row order");
                assert_eq!(num(&cell(&s, r, rank_c)) as usize, rank, "{w} 排名");
                assert_eq!(num(&cell(&s, r, n_c)) as i64, u.projects, "{w} 项目数");
                assert_eq!(yuan(&cell(&s, r, plan_c)), u.plan, "{w} 计划");
                assert_eq!(yuan(&cell(&s, r, ytd_c)), u.ytd, "{w} 累计");
                assert_eq!(
                    yuan(&cell(&s, r, qd_c)),
                    qdone.get(&k).copied().unwrap_or(0),
                    "{w} 季度完成"
                );
                let cr = rate(u.ytd, u.plan);
                close(
                    num(&cell(&s, r, rate_c)),
                    cr,
                    0.0005,
                    &format!("{w} 完成率"),
                );
                close(
                    num(&cell(&s, r, gap_c)),
                    (cr - tp) * 100.0,
                    0.05,
                    &format!("{w} 较序时"),
                );
                match &prev {
                    Some(p) => {
                        assert_eq!(num(&cell(&s, r, prev_c)) as usize, p[&k], "{w} 上季末")
                    }
                    None => assert_eq!(cell(&s, r, prev_c), Data::Empty, "{w} 上季末"),
                }
                assert_eq!(
                    text(&cell(&s, r, chg_c)),
                    change(rank, prev.as_ref(), &k),
                    "{w} 排名变化"
                );
                assert_eq!(text(&cell(&s, r, light_c)), light(cr, tp), "{w} 灯号");
            }
            assert_eq!(seen, units.len(), "{what}: every unit ranked");

            // 红黑榜 by the rule stated on the sheet.
            let mut by_rank: Vec<&(String, Unit)> = units
                .iter()
                .filter(|(_, u)| u.projects > 0 && u.plan > 0)
                .collect();
            by_rank.sort_by_key(|(k, _)| rk[k]);
            let reached = |u: &Unit| u.ytd as i128 * 12 >= u.plan as i128 * end as i128;
            let honor: Vec<String> = by_rank
                .iter()
                .filter(|(_, u)| reached(u))
                .take(3)
                .map(|(k, _)| k.clone())
                .collect();
            let shame: Vec<String> = by_rank
                .iter()
                .rev()
                .filter(|(_, u)| !reached(u))
                .take(3)
                .map(|(k, _)| k.clone())
                .collect();
            let b = sheet(&path, "红黑榜");
            let listed = |board: &str| -> Vec<String> {
                (3..b.height())
                    .filter(|&r| text(&cell(&b, r, 0)) == board)
                    .map(|r| text(&cell(&b, r, 1)))
                    .collect()
            };
            assert_eq!(listed("红榜"), honor, "{what} 红榜");
            assert_eq!(listed("黑榜"), shame, "{what} 黑榜");
            let note = (3..b.height())
                .map(|r| text(&cell(&b, r, 0)))
                .find(|t| t.starts_with("注"))
                .unwrap_or_default();
            assert!(
                note.contains("红榜") && note.contains("黑榜"),
                "{what}: rule stated"
            );
        }
    }
}

#[test]
fn q1_q2_notifications_exist_and_quarterly_rewrites_them_identically() {
    let out = run_once();
    for (program, name) in programs() {
        for q in 1..=2 {
            let p = quarterly_path(out, program, name, q);
            assert!(p.is_file(), "{} missing", p.display());
        }
    }
    let before: Vec<Vec<u8>> = programs()
        .iter()
        .map(|(p, n)| std::fs::read(quarterly_path(out, p, n, 2)).unwrap())
        .collect();
    Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(root())
        .args(["quarterly", "--quarter", "2023Q2", "--out"])
        .arg(out)
        .assert()
        .success();
    for ((p, n), b) in programs().iter().zip(before) {
        let after = std::fs::read(quarterly_path(out, p, n, 2)).unwrap();
        assert!(after == b, "{p} Q2 differs after `taizhang quarterly`");
    }
}
