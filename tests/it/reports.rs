//! Official reports (issue 5): the print setup of every sheet read from the
//! xlsx parts; every figure of 分地区 (monthly) and 季度排名 / 红黑榜
//! (quarterly) recomputed independently from the 项目明细 rows of the monthly
//! workbooks; Q1/Q2 notifications written by `run` and rewritten
//! byte-identically by `taizhang quarterly`.

use assert_cmd::Command;
use calamine::{open_workbook_auto, Data, Reader};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::common::*;

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

/// Units of kind `department` (seeds/units.toml): ranked in their own table.
pub(crate) fn departments() -> BTreeSet<String> {
    let src = std::fs::read_to_string(root().join("seeds/units.toml")).unwrap();
    let t: toml::Table = toml::from_str(&src).unwrap();
    t["unit"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["kind"].as_str() == Some("department"))
        .map(|u| u["name"].as_str().unwrap().to_string())
        .collect()
}

/// The heading row of the departments' own ranking block.
pub(crate) fn is_section(k: &str) -> bool {
    k.contains("单独排名")
}

/// The stated rule (issue 11): units with no accepted data are not ranked;
/// departments are ranked among themselves, the cities among themselves; in
/// each, completion rate (exact), ties by cumulative, then list order.
fn ranks(units: &[(String, Unit)]) -> BTreeMap<String, usize> {
    let depts = departments();
    let mut out = BTreeMap::new();
    for dept in [false, true] {
        let pool: Vec<(String, Unit)> = units
            .iter()
            .filter(|(k, u)| u.reported > 0 && depts.contains(k) == dept)
            .cloned()
            .collect();
        out.extend(ranks_among(&pool));
    }
    out
}

fn ranks_among(units: &[(String, Unit)]) -> BTreeMap<String, usize> {
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
        .filter(|k| !k.is_empty() && !k.starts_with("注") && !is_section(k))
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
            assert!(
                setup.contains("orientation=\"landscape\"")
                    || setup.contains("orientation=\"portrait\""),
                "{what}"
            );
            assert!(setup.contains("paperSize=\"9\""), "{what}");
            // Never shrunk to fit (issue 11: pages anyone can read).
            assert!(!setup.contains("fitTo"), "{what}: {setup}");
            assert!(!xml.contains("fitToPage"), "{what}");
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
                c("较序时进度（百分点）"),
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
                if s.due_start == 0 {
                    assert_eq!(text(&cell(&u, r, cols[8])), "—", "{w} 开工率 0/0");
                } else {
                    close(
                        num(&cell(&u, r, cols[8])),
                        rate(s.started, s.due_start),
                        0.0005,
                        &format!("{w} 开工率"),
                    );
                }
                if let Some(k) = key {
                    match rk.get(k) {
                        Some(&rank) => {
                            assert_eq!(num(&cell(&u, r, cols[9])) as usize, rank, "{w} 排名");
                            assert_eq!(
                                text(&cell(&u, r, cols[10])),
                                change(rank, prev.as_ref(), k),
                                "{w} 排名变化"
                            );
                            assert_eq!(text(&cell(&u, r, cols[11])), light(cr, tp), "{w} 灯号");
                        }
                        None => {
                            // No accepted data: not ranked, no light.
                            assert_eq!(s.reported, 0, "{w}");
                            assert_eq!(text(&cell(&u, r, cols[9])), "—", "{w} 排名");
                            assert_eq!(text(&cell(&u, r, cols[10])), "", "{w} 排名变化");
                            assert_eq!(text(&cell(&u, r, cols[11])), "未报送", "{w} 灯号");
                        }
                    }
                }
            };
            assert_eq!(text(&cell(&u, 3, 0)), "合计");
            check(3, &all, None);
            let depts = departments();
            let row_of = |k: &str| {
                (4..u.height())
                    .find(|&r| text(&cell(&u, r, 0)) == k)
                    .unwrap()
            };
            let section = (4..u.height()).find(|&r| is_section(&text(&cell(&u, r, 0))));
            for (k, s) in &units {
                let r = row_of(k);
                // Departments sit below the cities, in their own block.
                match section {
                    Some(sec) => assert_eq!(r > sec, depts.contains(k), "{what} {k} block"),
                    None => assert!(!depts.contains(k) || s.projects == 0, "{what} {k}"),
                }
                check(r, s, Some(k));
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
            // The quarter's own investment (issue 11): cumulative at its end
            // minus cumulative at the previous quarter's end (zero for Q1),
            // from each month's detail.
            let (end_by, end_all) = detail_by_unit(&monthly_path(out, program, name, end), end);
            let (prev_by, prev_all) = if q > 1 {
                detail_by_unit(&monthly_path(out, program, name, end - 3), end - 3)
            } else {
                Default::default()
            };
            let qall = end_all.ytd - prev_all.ytd;
            let qdone: BTreeMap<String, i64> = end_by
                .iter()
                .map(|(k, s)| (k.clone(), s.ytd - prev_by.get(k).map_or(0, |p| p.ytd)))
                .collect();
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
                c("较序时进度（百分点）"),
                c("上季末排名"),
                c("排名变化"),
                c("灯号"),
            );
            assert_eq!(text(&cell(&s, 3, 0)), "合计");
            assert_eq!(yuan(&cell(&s, 3, ytd_c)), all.ytd, "{what} 合计累计");
            assert_eq!(yuan(&cell(&s, 3, plan_c)), all.plan, "{what} 合计计划");
            assert_eq!(yuan(&cell(&s, 3, qd_c)), qall, "{what} 合计季度完成");
            // Row order: the cities ranked, the cities not ranked, then the
            // departments' own block (ranked, then not ranked).
            let depts = departments();
            let order = |dept: bool| -> Vec<String> {
                let mut ranked: Vec<&String> = units
                    .iter()
                    .map(|(k, _)| k)
                    .filter(|k| depts.contains(*k) == dept && rk.contains_key(*k))
                    .collect();
                ranked.sort_by_key(|k| rk[*k]);
                let mut v: Vec<String> = ranked.into_iter().cloned().collect();
                v.extend(
                    units
                        .iter()
                        .filter(|(k, u)| {
                            depts.contains(k) == dept && !rk.contains_key(k) && u.projects > 0
                        })
                        .map(|(k, _)| k.clone()),
                );
                v
            };
            let mut want_order = order(false);
            want_order.extend(order(true));
            let mut got_order = Vec::new();
            let mut seen = 0;
            for r in 4..s.height() {
                let k = text(&cell(&s, r, 0));
                if k.is_empty() || k.starts_with("注") || k.starts_with("灯号") || is_section(&k)
                {
                    continue;
                }
                seen += 1;
                got_order.push(k.clone());
                let w = format!("{what} {k}");
                let u = &units.iter().find(|(n, _)| *n == k).unwrap().1;
                let Some(&rank) = rk.get(&k) else {
                    assert_eq!(text(&cell(&s, r, rank_c)), "—", "{w} 排名");
                    assert_eq!(text(&cell(&s, r, light_c)), "未报送", "{w} 灯号");
                    continue;
                };
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
                match prev.as_ref().and_then(|p| p.get(&k)) {
                    Some(p) => {
                        assert_eq!(num(&cell(&s, r, prev_c)) as usize, *p, "{w} 上季末")
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
            assert_eq!(got_order, want_order, "{what}: row order {units:?}");
            assert_eq!(seen, units.len(), "{what}: every unit listed");

            // 红黑榜 by the rule stated on the sheet: ranked cities only.
            let mut by_rank: Vec<&(String, Unit)> = units
                .iter()
                .filter(|(k, u)| {
                    u.projects > 0 && u.plan > 0 && rk.contains_key(k) && !depts.contains(k)
                })
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
                // An empty board prints one 无 row under its heading.
                (3..b.height())
                    .filter(|&r| text(&cell(&b, r, 0)) == board)
                    .map(|r| text(&cell(&b, r, 1)))
                    .filter(|k| k != "无")
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

// ---------------------------------------------------------------------------
// Every other sheet recomputed from 项目明细 (issue 5, item 5): 汇总 and its
// paragraph, 趋势, 分类别/分赛道, 分批次, 项目明细's own 合计/完成率/灯号,
// 滞后项目, 未开工项目, 问题清单, 未报送; the quarterly 通报, 落后序时进度,
// 滞后项目, 开工投产, 逐月情况. Only the pipeline file, the library seed
// (批次, 建设年限), manifest.json (W402) and, for 需协调事项 (not a column of
// 项目明细), the stored records are read besides the workbooks.

/// What the reports need from the pipeline file.
struct Spec {
    name: String,
    target_text: String,
    target_yuan: i64,
    category_label: String,
    group_label: Option<String>,
    lagging_gap: f64,
    honor: usize,
    shame: usize,
}

fn spec(program: &str) -> Spec {
    let src = std::fs::read_to_string(root().join(format!("pipelines/{program}.toml"))).unwrap();
    let t: toml::Table = toml::from_str(&src).unwrap();
    let s = |k: &str| t.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let target_text = s("annual_target").unwrap();
    let at = target_text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap();
    let (n, u) = target_text.split_at(at);
    let factor: i64 = match u {
        "亿元" => 100_000_000,
        "万元" => 10_000,
        "元" => 1,
        other => panic!("target unit {other}"),
    };
    let table = |k: &str| t.get(k).and_then(|v| v.as_table()).unwrap().clone();
    let lights = table("lights");
    let q = table("quarterly");
    Spec {
        name: s("name").unwrap(),
        target_yuan: (n.parse::<f64>().unwrap() * factor as f64).round() as i64,
        target_text,
        category_label: s("category_label").unwrap(),
        group_label: s("group_label"),
        lagging_gap: lights["lagging_gap"].as_float().unwrap(),
        honor: q["honor_count"].as_integer().unwrap() as usize,
        shame: q["shame_count"].as_integer().unwrap() as usize,
    }
}

/// Per project code: (批次, last year of 建设年限) from the library seed.
fn library(program: &str) -> BTreeMap<String, (String, Option<i32>)> {
    let path = root().join(format!("seeds/{program}-library.xlsx"));
    let mut wb = open_workbook_auto(&path).unwrap();
    let name = wb.sheet_names()[0].clone();
    let r = wb.worksheet_range(&name).unwrap();
    let hdr = (0..r.height())
        .find(|&i| (0..r.width()).any(|c| text(&cell(&r, i, c)) == "项目代码"))
        .unwrap();
    let at = |h: &str| (0..r.width()).find(|&c| text(&cell(&r, hdr, c)) == h);
    let (code_c, years_c, batch_c) = (at("项目代码").unwrap(), at("建设年限").unwrap(), at("批次"));
    (hdr + 1..r.height())
        .filter(|&i| !text(&cell(&r, i, code_c)).trim().is_empty())
        .map(|i| {
            let years = text(&cell(&r, i, years_c));
            let end = years
                .split(|c: char| !c.is_ascii_digit())
                .filter(|p| p.len() == 4)
                .filter_map(|p| p.parse().ok())
                .next_back();
            let batch = batch_c.map(|c| text(&cell(&r, i, c))).unwrap_or_default();
            (text(&cell(&r, i, code_c)).trim().to_string(), (batch, end))
        })
        .collect()
}

/// One row of 项目明细.
#[derive(Debug, Clone)]
struct Proj {
    code: String,
    name: String,
    unit: String,
    category: String,
    nature: String,
    planned: String,
    plan: i64,
    month: i64,
    ytd: i64,
    rate_cell: f64,
    status: String,
    light_cell: String,
    source: String,
    problems: String,
}

impl Proj {
    fn due_start(&self, month: u32) -> bool {
        self.nature == "续建"
            || self
                .planned
                .split_once('-')
                .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
                .is_some_and(|(y, m)| (y, m) <= (2023, month))
    }
    fn started(&self) -> bool {
        self.status != "未开工" || self.nature == "续建"
    }
    fn overdue(&self, month: u32) -> bool {
        self.due_start(month) && self.status == "未开工"
    }
    fn rate(&self) -> f64 {
        rate(self.ytd, self.plan)
    }
    /// Overdue start, or completion rate below 序时进度 − gap (exact in
    /// integers); never a project whose planned start is after the period
    /// (未到开工时间, issue 11).
    fn lagging(&self, month: u32, gap: f64) -> bool {
        let gap_thousandths = (gap * 1000.0).round() as i128;
        // ytd / plan < month / 12 − gap/1000  ⇔  ytd·12000 < plan·(1000·month − 12·gap)
        self.due_start(month) && self.overdue(month)
            || self.due_start(month)
                && self.plan > 0
                && (self.ytd as i128) * 12_000
                    < (self.plan as i128) * (1000 * i128::from(month) - 12 * gap_thousandths)
    }
    fn in_operation(&self) -> bool {
        self.status == "已竣工" || self.status == "已投产"
    }
    /// The project's light: 未到开工时间 / 提前开工 before its planned start,
    /// else by its completion rate.
    fn light(&self, month: u32) -> &'static str {
        match (self.due_start(month), self.started()) {
            (true, _) => light(self.rate(), month as f64 / 12.0),
            (false, true) => "提前开工",
            (false, false) => "未到开工时间",
        }
    }
    /// Figures carried forward (沿用上月), rejected rows included.
    fn carried(&self) -> bool {
        self.source == "沿用上月" || self.source == "填报有误（沿用上月）"
    }
    /// Its row was rejected this period (填报有误未采纳).
    fn rejected(&self) -> bool {
        self.source.starts_with("填报有误")
    }
    fn listed_name(&self) -> String {
        if self.carried() {
            format!("{}（沿用上月）", self.name)
        } else {
            self.name.clone()
        }
    }
}

/// The 合计 row of 项目明细 and its projects in row order.
fn detail(path: &Path) -> (Vec<Data>, Vec<Proj>) {
    let d = sheet(path, "项目明细");
    let c = |h: &str| col(&d, h);
    assert_eq!(text(&cell(&d, 3, 0)), "合计");
    let total_row: Vec<Data> = (0..d.width()).map(|i| cell(&d, 3, i)).collect();
    let rows = (4..d.height())
        .filter(|&r| {
            let code = text(&cell(&d, r, 0));
            !code.is_empty() && !code.starts_with("注")
        })
        .map(|r| {
            let t = |h: &str| text(&cell(&d, r, c(h)));
            let y = |h: &str| yuan(&cell(&d, r, c(h)));
            Proj {
                code: t("项目代码"),
                name: t("项目名称"),
                unit: t("责任单位"),
                category: t("类别"),
                nature: t("建设性质"),
                planned: t("计划开工时间"),
                plan: y("年度计划投资"),
                month: y("本月完成投资"),
                ytd: y("累计完成投资"),
                rate_cell: num(&cell(&d, r, c("完成率"))),
                status: t("建设状态"),
                light_cell: t("灯号"),
                source: t("数据来源"),
                problems: t("存在问题"),
            }
        })
        .collect();
    (total_row, rows)
}

/// The key a breakdown sheet groups projects by.
type GroupKey = Box<dyn Fn(&Proj) -> String>;

/// Sums and counts of a set of projects.
#[derive(Debug, Default, Clone)]
struct Agg {
    projects: i64,
    reported: i64,
    carried: i64,
    plan: i64,
    month: i64,
    ytd: i64,
    started: i64,
    due_start: i64,
    early: i64,
    not_due: i64,
    in_op: i64,
    due_op: i64,
    lagging: i64,
}

impl Agg {
    fn add(&mut self, p: &Proj, month: u32, gap: f64, end_year: Option<i32>) {
        self.projects += 1;
        self.reported += i64::from(p.source == "已报送");
        self.carried += i64::from(p.carried());
        self.early += i64::from(p.started() && !p.due_start(month));
        self.not_due += i64::from(!p.due_start(month));
        self.plan += p.plan;
        self.month += p.month;
        self.ytd += p.ytd;
        self.started += i64::from(p.started());
        self.due_start += i64::from(p.due_start(month));
        self.in_op += i64::from(p.in_operation());
        self.due_op += i64::from(end_year.is_some_and(|y| y <= 2023));
        self.lagging += i64::from(p.lagging(month, gap));
    }
    fn rate(&self) -> f64 {
        rate(self.ytd, self.plan)
    }
    fn start_rate(&self) -> f64 {
        rate(self.started, self.due_start)
    }
    fn op_rate(&self) -> f64 {
        rate(self.in_op, self.due_op)
    }
    /// Reached 序时进度, exactly.
    fn reached(&self, month: u32) -> bool {
        self.plan > 0 && self.ytd as i128 * 12 >= self.plan as i128 * i128::from(month)
    }
}

/// One month of one program, recomputed from its 项目明细.
struct Month {
    path: PathBuf,
    month: u32,
    total_row: Vec<Data>,
    projects: Vec<Proj>,
    all: Agg,
    /// Units in 分地区 order (the program's unit list).
    units: Vec<(String, Agg)>,
}

impl Month {
    fn load(out: &Path, program: &str, month: u32) -> Month {
        let sp = spec(program);
        let lib = library(program);
        let path = monthly_path(out, program, &sp.name, month);
        let (total_row, projects) = detail(&path);
        let mut all = Agg::default();
        let mut by: BTreeMap<String, Agg> = BTreeMap::new();
        for p in &projects {
            let ey = lib.get(&p.code).and_then(|l| l.1);
            all.add(p, month, sp.lagging_gap, ey);
            by.entry(p.unit.clone())
                .or_default()
                .add(p, month, sp.lagging_gap, ey);
        }
        let u = sheet(&path, "分地区");
        let units = (4..u.height())
            .map(|r| text(&cell(&u, r, 0)))
            .filter(|k| !k.is_empty() && !k.starts_with("注") && !is_section(k))
            .map(|k| {
                let s = by.get(&k).cloned().unwrap_or_default();
                (k, s)
            })
            .collect();
        Month {
            path,
            month,
            total_row,
            projects,
            all,
            units,
        }
    }
    fn tp(&self) -> f64 {
        self.month as f64 / 12.0
    }
    /// Units with recomputed ranks (the stated rule).
    fn ranks(&self) -> BTreeMap<String, usize> {
        let as_unit: Vec<(String, Unit)> = self
            .units
            .iter()
            .map(|(k, a)| {
                (
                    k.clone(),
                    Unit {
                        plan: a.plan,
                        ytd: a.ytd,
                        reported: a.reported,
                        projects: a.projects,
                        ..Default::default()
                    },
                )
            })
            .collect();
        ranks(&as_unit)
    }
    fn unit(&self, k: &str) -> Agg {
        self.units
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, a)| a.clone())
            .unwrap_or_default()
    }
}

/// Tenths, rounded half away from zero, of the exact fraction a / b.
fn tenths(a: i128, b: i128) -> i128 {
    assert!(b > 0);
    let q = (a.abs() * 2 + b) / (2 * b);
    if a < 0 {
        -q
    } else {
        q
    }
}

fn one_decimal(t: i128) -> String {
    format!(
        "{}{}.{}",
        if t < 0 { "-" } else { "" },
        t.abs() / 10,
        t.abs() % 10
    )
}

/// a / b as a percentage with one decimal (0.0 when b is 0).
fn pct(a: i64, b: i64) -> String {
    if b == 0 {
        return "0.0".into();
    }
    one_decimal(tenths(a as i128 * 1000, b as i128))
}

/// 超/落后序时进度X.X个百分点 of ytd / plan against month / 12, exactly.
fn points(ytd: i64, plan: i64, month: u32) -> String {
    // (ytd/plan − month/12) × 1000 tenths of a point.
    let t = if plan == 0 {
        tenths(-(i128::from(month)) * 1000, 12)
    } else {
        tenths(
            (ytd as i128 * 12 - plan as i128 * i128::from(month)) * 1000,
            plan as i128 * 12,
        )
    };
    // An integral number of points drops its decimal (10个百分点, issue 11).
    let one_decimal = |t: i128| {
        if t % 10 == 0 {
            (t / 10).to_string()
        } else {
            one_decimal(t)
        }
    };
    if t >= 0 {
        format!("超序时进度{}个百分点", one_decimal(t))
    } else {
        format!("落后序时进度{}个百分点", one_decimal(-t))
    }
}

/// 元 as 亿元 with two decimals (half away from zero), thousands grouped.
fn yi(y: i64) -> String {
    let cents = (y.unsigned_abs() + 500_000) / 1_000_000;
    let int = (cents / 100).to_string();
    let mut g = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            g.push(',');
        }
        g.push(c);
    }
    format!("{}{g}.{:02}", if y < 0 { "-" } else { "" }, cents % 100)
}

/// Value and note of the 指标 row `label` of a 指标/数值/说明 sheet.
/// (数值, 说明) of the row labelled `label` — or `label（…）`, a label that
/// names what the figure divides (开工率（已开工M个 ÷ 应开工N个）).
fn kv(r: &calamine::Range<Data>, label: &str) -> (Data, String) {
    let row = (3..r.height())
        .find(|&i| {
            let t = text(&cell(r, i, 0));
            t == label || t.starts_with(&format!("{label}（"))
        })
        .unwrap_or_else(|| panic!("no row {label}"));
    (cell(r, row, 1), text(&cell(r, row, 2)))
}

/// The paragraph under a 指标 table: the longest text of column A.
fn paragraph_of(r: &calamine::Range<Data>) -> String {
    (3..r.height())
        .map(|i| text(&cell(r, i, 0)))
        .filter(|t| t.starts_with("截至") || t.starts_with("2023年"))
        .max_by_key(|t| t.len())
        .unwrap_or_default()
}

/// W402 units of a month from manifest.json.
fn w402_units(out: &Path, program: &str, month: u32) -> Vec<String> {
    let p = out
        .join(program)
        .join(format!("2023-{month:02}"))
        .join("manifest.json");
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
    m["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "W402")
        .map(|f| f["unit"].as_str().unwrap().to_string())
        .collect()
}

/// 需协调事项 per project code from the stored records of a month (the only
/// figure of the reports that 项目明细 does not show).
fn coordination(out: &Path, program: &str, month: u32) -> BTreeMap<String, String> {
    let p = out
        .join("history")
        .join(program)
        .join(format!("2023-{month:02}.json"));
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
    m["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["code"].as_str().unwrap().to_string(),
                r["coordination"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn light_of(a: &Agg, tp: f64) -> &'static str {
    light(a.rate(), tp)
}

/// Projects' flags in 项目明细 itself: 合计 row, each 完成率 and 灯号.
fn check_detail(m: &Month, what: &str) {
    let d = sheet(&m.path, "项目明细");
    let c = |h: &str| col(&d, h);
    let tr = &m.total_row;
    assert_eq!(
        text(&tr[1]),
        format!("{}个项目", m.projects.len()),
        "{what}"
    );
    assert_eq!(yuan(&tr[c("年度计划投资")]), m.all.plan, "{what} 合计计划");
    assert_eq!(yuan(&tr[c("本月完成投资")]), m.all.month, "{what} 合计本月");
    assert_eq!(yuan(&tr[c("累计完成投资")]), m.all.ytd, "{what} 合计累计");
    close(
        num(&tr[c("完成率")]),
        m.all.rate(),
        0.0005,
        &format!("{what} 合计完成率"),
    );
    for p in &m.projects {
        let w = format!("{what} {}", p.code);
        close(p.rate_cell, p.rate(), 0.0005, &format!("{w} 完成率"));
        assert_eq!(p.light_cell, p.light(m.month), "{w} 灯号");
        assert!(
            [
                "已报送",
                "沿用上月",
                "未报送",
                "填报有误（沿用上月）",
                "填报有误（按0计）"
            ]
            .contains(&p.source.as_str()),
            "{w} 数据来源"
        );
    }
}

#[test]
fn huizong_and_its_paragraph_are_recomputed_from_the_detail() {
    let out = run_once();
    for (program, _) in programs() {
        let sp = spec(program);
        for month in 1..=7u32 {
            let what = format!("{program} 2023-{month:02} 汇总");
            let m = Month::load(out, program, month);
            check_detail(&m, &format!("{program} 2023-{month:02} 项目明细"));
            let a = &m.all;
            let tp = m.tp();
            let s = sheet(&m.path, "汇总");
            // How each figure is derived: the internal workbook beside it.
            let internal = m.path.with_file_name(
                m.path
                    .file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .replace("月度监测表", "数据核对"),
            );
            let si = sheet(&internal, "指标说明");
            let int = |label: &str| num(&kv(&s, label).0) as i64;
            let money = |label: &str| yuan(&kv(&s, label).0);
            let rt = |label: &str| num(&kv(&s, label).0);
            assert_eq!(int("项目总数（个）"), a.projects, "{what} 项目总数");
            assert_eq!(int("本期已报送项目（个）"), a.reported, "{what} 已报送");
            assert_eq!(int("沿用上月数据项目（个）"), a.carried, "{what} 沿用上月");
            assert_eq!(money("年度计划投资（万元）"), a.plan, "{what} 年度计划");
            assert_eq!(
                money("年度投资目标（万元）"),
                sp.target_yuan,
                "{what} 年度目标"
            );
            assert_eq!(kv(&si, "年度投资目标（万元）").1, sp.target_text, "{what}");
            assert_eq!(money("本月完成投资（万元）"), a.month, "{what} 本月");
            assert_eq!(
                money(&if month == 1 {
                    "1月累计完成投资（万元）".to_string()
                } else {
                    format!("1-{month}月累计完成投资（万元）")
                }),
                a.ytd,
                "{what} 累计"
            );
            close(
                rt("投资完成率"),
                a.rate(),
                0.0005,
                &format!("{what} 完成率"),
            );
            close(rt("序时进度"), tp, 0.0005, &format!("{what} 序时进度"));
            close(
                rt("较序时进度（百分点）"),
                (a.rate() - tp) * 100.0,
                0.05,
                &format!("{what} 较序时"),
            );
            close(
                rt("目标完成率"),
                rate(a.ytd, sp.target_yuan),
                0.0005,
                &format!("{what} 目标完成率"),
            );
            close(
                rt("开工率"),
                a.start_rate(),
                0.0005,
                &format!("{what} 开工率"),
            );
            let start_label = (3..s.height())
                .map(|r| text(&cell(&s, r, 0)))
                .find(|t| t.starts_with("开工率"))
                .unwrap();
            assert_eq!(
                start_label,
                format!(
                    "开工率（已开工{}个 ÷ 应开工{}个{}）",
                    a.started,
                    a.due_start,
                    if a.early > 0 {
                        format!("，含提前开工{}个", a.early)
                    } else {
                        String::new()
                    }
                ),
                "{what} 开工率 states what it divides"
            );
            assert_eq!(
                kv(&si, "开工率").1,
                format!(
                    "已开工{}个 ÷ 应开工{}个（续建计为已开工{}）",
                    a.started,
                    a.due_start,
                    if a.early > 0 {
                        format!("，含提前开工{}个", a.early)
                    } else {
                        String::new()
                    }
                ),
                "{what} 开工率 states what it divides"
            );
            assert_eq!(int("提前开工项目（个）"), a.early, "{what} 提前开工");
            assert_eq!(
                int("未到开工时间项目（个）"),
                a.not_due - a.early,
                "{what} 未到开工时间"
            );
            if a.due_op == 0 {
                assert_eq!(text(&kv(&s, "投产率").0), "—", "{what} 投产率 0/0");
            } else {
                close(rt("投产率"), a.op_rate(), 0.0005, &format!("{what} 投产率"));
            }
            assert_eq!(int("滞后项目（个）"), a.lagging, "{what} 滞后项目");
            let not_started = m.projects.iter().filter(|p| p.status == "未开工").count();
            assert_eq!(
                int("未开工项目（个）"),
                not_started as i64,
                "{what} 未开工项目"
            );
            let missing = w402_units(out, program, month);
            assert_eq!(
                int("未报送单位（个）"),
                missing.len() as i64,
                "{what} 未报送单位"
            );
            assert_eq!(kv(&si, "未报送单位（个）").1, missing.join("、"), "{what}");
            for u in &missing {
                assert_eq!(m.unit(u).reported, 0, "{what}: {u} sent nothing");
            }

            // The 通报 paragraph: its figures recomputed (the whole text is
            // compared with the snapshots in tests/it/snapshots/).
            let para = paragraph_of(&s);
            let span = if month == 1 {
                "1月".to_string()
            } else {
                format!("1-{month}月")
            };
            let head = format!(
                "截至{month}月底，全省{}{span}累计完成投资{}亿元，占年度计划的{}%，{}；{month}月当月完成投资{}亿元",
                sp.name,
                yi(a.ytd),
                pct(a.ytd, a.plan),
                points(a.ytd, a.plan, month),
                yi(a.month),
            );
            assert!(
                para.starts_with(&head),
                "{what} paragraph: {para}\nwant {head}"
            );
            assert!(
                para.contains(&format!(
                    "年度目标{}，已完成{}%。",
                    sp.target_text,
                    pct(a.ytd, sp.target_yuan)
                )),
                "{what} paragraph: {para}"
            );
            assert!(
                para.contains(&format!(
                    "{}个项目中，开工率{}%（已开工{}个 ÷ 应开工{}个",
                    a.projects,
                    pct(a.started, a.due_start),
                    a.started,
                    a.due_start
                )),
                "{what} paragraph 开工率: {para}"
            );
            assert!(
                para.contains(&format!("；滞后项目{}个。", a.lagging)),
                "{what} paragraph 滞后: {para}"
            );
            let ranked = m.ranks();
            for (k, u) in &m.units {
                if u.projects > 0 && !ranked.contains_key(k) {
                    assert!(
                        para.contains(&format!("{k}本期未报送数据，不参加排名"))
                            || para.contains("本期未报送数据，不参加排名")
                                && para.contains(k.as_str()),
                        "{what}: unranked {k} named: {para}"
                    );
                }
            }
            assert!(!para.contains("等1个地区"), "{what}: {para}");
            assert!(!para.contains("1-1月"), "{what}: {para}");
        }
    }
}

#[test]
fn trend_rows_equal_each_months_detail() {
    let out = run_once();
    for (program, _) in programs() {
        let months: Vec<Month> = (1..=7).map(|m| Month::load(out, program, m)).collect();
        for m in &months {
            let what = format!("{program} 2023-{:02} 趋势", m.month);
            let t = sheet(&m.path, "趋势");
            let c = |h: &str| col(&t, h);
            let rows: Vec<usize> = (3..t.height())
                .filter(|&r| text(&cell(&t, r, 0)).starts_with("2023年1"))
                .collect();
            assert_eq!(rows.len(), m.month as usize, "{what}: one row a month");
            for (k, &r) in rows.iter().enumerate() {
                let e = &months[k];
                let w = format!("{what} {}月", e.month);
                assert_eq!(
                    text(&cell(&t, r, 0)),
                    if e.month == 1 {
                        "2023年1月".to_string()
                    } else {
                        format!("2023年1-{}月", e.month)
                    },
                    "{w}"
                );
                assert_eq!(
                    yuan(&cell(&t, r, c("当月完成投资"))),
                    e.all.month,
                    "{w} 当月"
                );
                assert_eq!(yuan(&cell(&t, r, c("累计完成投资"))), e.all.ytd, "{w} 累计");
                assert_eq!(
                    yuan(&cell(&t, r, c("年度计划投资"))),
                    e.all.plan,
                    "{w} 计划"
                );
                close(
                    num(&cell(&t, r, c("完成率"))),
                    e.all.rate(),
                    0.0005,
                    &format!("{w} 完成率"),
                );
                close(
                    num(&cell(&t, r, c("序时进度"))),
                    e.tp(),
                    0.0005,
                    &format!("{w} 序时"),
                );
                close(
                    num(&cell(&t, r, c("较序时进度（百分点）"))),
                    (e.all.rate() - e.tp()) * 100.0,
                    0.05,
                    &format!("{w} 较序时"),
                );
            }
        }
    }
}

#[test]
fn category_and_batch_sheets_are_recomputed_from_the_detail() {
    let out = run_once();
    for (program, _) in programs() {
        let sp = spec(program);
        let lib = library(program);
        for month in 1..=7u32 {
            let m = Month::load(out, program, month);
            let mut sheets: Vec<(String, GroupKey)> = vec![(
                format!("分{}", sp.category_label),
                Box::new(|p: &Proj| p.category.clone()),
            )];
            if let Some(gl) = &sp.group_label {
                let lib = lib.clone();
                sheets.push((
                    format!("分{gl}"),
                    Box::new(move |p: &Proj| lib[&p.code].0.clone()),
                ));
            }
            for (name, key) in sheets {
                let what = format!("{program} 2023-{month:02} {name}");
                let mut by: BTreeMap<String, Agg> = BTreeMap::new();
                for p in &m.projects {
                    by.entry(key(p))
                        .or_default()
                        .add(p, month, sp.lagging_gap, None);
                }
                let s = sheet(&m.path, &name);
                let c = |h: &str| col(&s, h);
                let check = |r: usize, a: &Agg, w: &str| {
                    assert_eq!(
                        num(&cell(&s, r, c("项目数"))) as i64,
                        a.projects,
                        "{w} 项目数"
                    );
                    assert_eq!(
                        num(&cell(&s, r, c("已报送"))) as i64,
                        a.reported,
                        "{w} 已报送"
                    );
                    assert_eq!(yuan(&cell(&s, r, c("年度计划投资"))), a.plan, "{w} 计划");
                    assert_eq!(yuan(&cell(&s, r, c("本月完成投资"))), a.month, "{w} 本月");
                    assert_eq!(yuan(&cell(&s, r, c("累计完成投资"))), a.ytd, "{w} 累计");
                    close(
                        num(&cell(&s, r, c("完成率"))),
                        a.rate(),
                        0.0005,
                        &format!("{w} 完成率"),
                    );
                    close(
                        num(&cell(&s, r, c("较序时进度（百分点）"))),
                        (a.rate() - m.tp()) * 100.0,
                        0.05,
                        &format!("{w} 较序时"),
                    );
                    close(
                        num(&cell(&s, r, c("开工率"))),
                        a.start_rate(),
                        0.0005,
                        &format!("{w} 开工率"),
                    );
                };
                assert_eq!(text(&cell(&s, 3, 0)), "合计", "{what}");
                check(3, &m.all, &format!("{what} 合计"));
                let keys: Vec<String> = (4..s.height())
                    .map(|r| text(&cell(&s, r, 0)))
                    .take_while(|k| !k.is_empty())
                    .collect();
                assert_eq!(
                    keys,
                    by.keys().cloned().collect::<Vec<_>>(),
                    "{what}: every group once, in key order"
                );
                for (i, (k, a)) in by.iter().enumerate() {
                    check(4 + i, a, &format!("{what} {k}"));
                }
            }
        }
    }
}

#[test]
fn project_lists_are_exactly_the_projects_the_definitions_give() {
    let out = run_once();
    for (program, _) in programs() {
        let sp = spec(program);
        for month in 1..=7u32 {
            let m = Month::load(out, program, month);
            let gap = sp.lagging_gap;
            let pre = format!("{program} 2023-{month:02}");
            let codes = |s: &calamine::Range<Data>, c: usize| -> Vec<String> {
                (3..s.height())
                    .map(|r| text(&cell(s, r, c)))
                    .take_while(|k| !k.is_empty())
                    .collect()
            };

            // 滞后项目: overdue start, or completion rate below 序时进度 − gap.
            let s = sheet(&m.path, "滞后项目");
            let c = |h: &str| col(&s, h);
            let want: Vec<&Proj> = m
                .projects
                .iter()
                .filter(|p| p.lagging(month, gap))
                .collect();
            assert_eq!(
                codes(&s, c("项目代码")),
                want.iter().map(|p| p.code.clone()).collect::<Vec<_>>(),
                "{pre} 滞后项目: the set (in 项目明细 order)"
            );
            assert!(
                text(&cell(&s, 0, 0)).ends_with(&format!("滞后项目清单（{}个）", want.len())),
                "{pre} 滞后项目 title"
            );
            for (i, p) in want.iter().enumerate() {
                let r = 3 + i;
                let w = format!("{pre} 滞后项目 {}", p.code);
                assert_eq!(text(&cell(&s, r, c("项目名称"))), p.listed_name(), "{w}");
                assert_eq!(text(&cell(&s, r, c("责任单位"))), p.unit, "{w}");
                assert_eq!(yuan(&cell(&s, r, c("年度计划投资"))), p.plan, "{w} 计划");
                assert_eq!(yuan(&cell(&s, r, c("累计完成投资"))), p.ytd, "{w} 累计");
                close(num(&cell(&s, r, c("完成率"))), p.rate(), 0.0005, &w);
                assert_eq!(text(&cell(&s, r, c("建设状态"))), p.status, "{w}");
                assert_eq!(text(&cell(&s, r, c("灯号"))), p.light(month), "{w} 灯号");
                assert!(p.due_start(month), "{w}: 未到开工时间 never 滞后");
                let why = if p.overdue(month) {
                    format!("逾期未开工（计划{}开工）", p.planned)
                } else {
                    points(p.ytd, p.plan, month)
                };
                assert_eq!(text(&cell(&s, r, c("滞后情况"))), why, "{w} 滞后情况");
                assert_eq!(text(&cell(&s, r, c("存在问题"))), p.problems, "{w}");
            }

            // 未开工项目: every project whose status is 未开工.
            let s = sheet(&m.path, "未开工项目");
            let c = |h: &str| col(&s, h);
            let want: Vec<&Proj> = m.projects.iter().filter(|p| p.status == "未开工").collect();
            assert_eq!(
                codes(&s, c("项目代码")),
                want.iter().map(|p| p.code.clone()).collect::<Vec<_>>(),
                "{pre} 未开工项目"
            );
            for (i, p) in want.iter().enumerate() {
                let r = 3 + i;
                let w = format!("{pre} 未开工项目 {}", p.code);
                assert_eq!(text(&cell(&s, r, c("项目名称"))), p.listed_name(), "{w}");
                assert_eq!(text(&cell(&s, r, c("责任单位"))), p.unit, "{w}");
                assert_eq!(text(&cell(&s, r, c("建设性质"))), p.nature, "{w}");
                assert_eq!(text(&cell(&s, r, c("计划开工时间"))), p.planned, "{w}");
                assert_eq!(yuan(&cell(&s, r, c("年度计划投资"))), p.plan, "{w} 计划");
                let how = if p.overdue(month) {
                    "逾期未开工"
                } else {
                    "未到开工时间"
                };
                assert_eq!(text(&cell(&s, r, c("开工情况"))), how, "{w} 开工情况");
                assert_eq!(text(&cell(&s, r, c("存在问题"))), p.problems, "{w}");
            }

            // 问题清单: non-empty 存在问题 or 需协调事项.
            let coord = coordination(out, program, month);
            let s = sheet(&m.path, "问题清单");
            let c = |h: &str| col(&s, h);
            let want: Vec<&Proj> = m
                .projects
                .iter()
                .filter(|p| !p.problems.is_empty() || !coord[&p.code].is_empty())
                .collect();
            assert_eq!(
                codes(&s, c("项目代码")),
                want.iter().map(|p| p.code.clone()).collect::<Vec<_>>(),
                "{pre} 问题清单"
            );
            for (i, p) in want.iter().enumerate() {
                let r = 3 + i;
                let w = format!("{pre} 问题清单 {}", p.code);
                assert_eq!(text(&cell(&s, r, c("责任单位"))), p.unit, "{w}");
                assert_eq!(text(&cell(&s, r, c("项目名称"))), p.listed_name(), "{w}");
                assert_eq!(text(&cell(&s, r, c("存在问题"))), p.problems, "{w}");
                assert_eq!(text(&cell(&s, r, c("需协调事项"))), coord[&p.code], "{w}");
            }

            // 未报送: W402 units, then every project not 已报送.
            let s = sheet(&m.path, "未报送");
            let mut want: Vec<[String; 4]> = w402_units(out, program, month)
                .into_iter()
                .map(|u| ["单位".into(), u, String::new(), "本期未报送任何文件".into()])
                .collect();
            want.extend(
                m.projects
                    .iter()
                    .filter(|p| p.source != "已报送" && !p.rejected())
                    .map(|p| {
                        [
                            "项目".into(),
                            p.unit.clone(),
                            format!("{} {}", p.code, p.name),
                            if p.source == "沿用上月" {
                                "沿用上月".into()
                            } else {
                                "未报送，按0计".into()
                            },
                        ]
                    }),
            );
            // An empty list prints one 无 row (issue 11).
            let got: Vec<[String; 4]> = (3..s.height())
                .filter(|&r| !text(&cell(&s, r, 0)).is_empty() && text(&cell(&s, r, 0)) != "无")
                .map(|r| std::array::from_fn(|i| text(&cell(&s, r, i))))
                .collect();
            assert_eq!(got, want, "{pre} 未报送");

            // 填报有误 (issue 11): every project whose row was rejected, its own list.
            let s = sheet(&m.path, "填报有误");
            let c = |h: &str| col(&s, h);
            let want: Vec<String> = m
                .projects
                .iter()
                .filter(|p| p.rejected())
                .map(|p| p.code.clone())
                .collect();
            assert_eq!(codes(&s, c("项目代码")), want, "{pre} 填报有误");
        }
    }
}

#[test]
fn quarterly_notice_lists_and_months_are_recomputed_from_the_monthly_details() {
    let out = run_once();
    for (program, name) in programs() {
        let sp = spec(program);
        let lib = library(program);
        for q in 1..=2u32 {
            let end = q * 3;
            let qcn = QUARTER_CN[q as usize - 1];
            let what = format!("{program} 2023Q{q}");
            let path = quarterly_path(out, program, name, q);
            let months: Vec<Month> = (end - 2..=end)
                .map(|m| Month::load(out, program, m))
                .collect();
            let e = &months[2];
            let a = &e.all;
            let tp = e.tp();
            let rk = e.ranks();
            let depts = departments();
            // The quarter's investment (issue 11): cumulative at its end minus
            // cumulative at the previous quarter's end (zero for Q1).
            let prev_end = (q > 1).then(|| Month::load(out, program, end - 3));
            let qdone = |unit: Option<&str>| -> i64 {
                let ytd = |m: &Month| unit.map_or(m.all.ytd, |k| m.unit(k).ytd);
                ytd(e) - prev_end.as_ref().map_or(0, ytd)
            };
            let ranked: Vec<&(String, Agg)> = e
                .units
                .iter()
                .filter(|(k, u)| {
                    u.projects > 0 && u.plan > 0 && rk.contains_key(k) && !depts.contains(k)
                })
                .collect();
            let mut by_rank = ranked.clone();
            by_rank.sort_by_key(|(k, _)| rk[k]);
            let honor: Vec<&str> = by_rank
                .iter()
                .filter(|(_, u)| u.reached(end))
                .take(sp.honor)
                .map(|(k, _)| k.as_str())
                .collect();
            let shame: Vec<&str> = by_rank
                .iter()
                .rev()
                .filter(|(_, u)| !u.reached(end))
                .take(sp.shame)
                .map(|(k, _)| k.as_str())
                .collect();
            let lagging: Vec<&Proj> = e
                .projects
                .iter()
                .filter(|p| p.lagging(end, sp.lagging_gap))
                .collect();
            let n_light = |l: &str| lagging.iter().filter(|p| light(p.rate(), tp) == l).count();

            // 通报
            let s = sheet(&path, "通报");
            let w = format!("{what} 通报");
            let (v, note) = kv(&s, &format!("第{qcn}季度完成投资（万元）"));
            assert_eq!(yuan(&v), qdone(None), "{w} 季度完成");
            let cum = ["一季度", "上半年", "前三季度", "全年"][q as usize - 1];
            let want_note = if q == 1 {
                format!("即{cum}累计完成投资")
            } else {
                format!("{end}月底累计 − {}月底累计", end - 3)
            };
            assert_eq!(note, want_note, "{w}");
            assert_eq!(
                yuan(&kv(&s, &format!("{cum}累计完成投资（万元）")).0),
                a.ytd,
                "{w} 累计"
            );
            assert_eq!(yuan(&kv(&s, "年度计划投资（万元）").0), a.plan, "{w} 计划");
            close(
                num(&kv(&s, "投资完成率").0),
                a.rate(),
                0.0005,
                &format!("{w} 完成率"),
            );
            close(num(&kv(&s, "序时进度").0), tp, 0.0005, &format!("{w} 序时"));
            close(
                num(&kv(&s, "较序时进度（百分点）").0),
                (a.rate() - tp) * 100.0,
                0.05,
                &format!("{w} 较序时"),
            );
            let (v, note) = kv(&s, "开工率");
            close(num(&v), a.start_rate(), 0.0005, &format!("{w} 开工率"));
            assert_eq!(
                note,
                format!(
                    "已开工{}个 ÷ 应开工{}个{}",
                    a.started,
                    a.due_start,
                    if a.early > 0 {
                        format!("，已开工含提前开工{}个", a.early)
                    } else {
                        String::new()
                    }
                ),
                "{w}"
            );
            let (v, note) = kv(&s, "投产率");
            close(num(&v), a.op_rate(), 0.0005, &format!("{w} 投产率"));
            assert_eq!(
                note,
                format!("建成投产{}个 ÷ 应建成{}个", a.in_op, a.due_op),
                "{w}"
            );
            assert_eq!(
                num(&kv(&s, "滞后项目（个）").0) as usize,
                lagging.len(),
                "{w}"
            );
            let (v, note) = kv(&s, "红榜（个）");
            assert_eq!(num(&v) as usize, honor.len(), "{w} 红榜");
            if honor.is_empty() {
                assert_eq!(note, "无地区达到序时进度", "{w} 红榜");
            } else {
                assert_eq!(note, honor.join("、"), "{w} 红榜");
            }
            let (v, note) = kv(&s, "黑榜（个）");
            assert_eq!(num(&v) as usize, shame.len(), "{w} 黑榜");
            assert_eq!(note, shame.join("、"), "{w} 黑榜");

            // The 通报 paragraph: its figures recomputed (the whole text is
            // compared with the snapshots in tests/it/snapshots/).
            let para = paragraph_of(&s);
            assert!(
                para.starts_with(&format!(
                    "2023年{cum}，全省{}累计完成投资{}亿元",
                    sp.name,
                    yi(a.ytd)
                )),
                "{w} paragraph: {para}"
            );
            assert!(
                para.contains(&format!(
                    "占年度计划的{}%，{}",
                    pct(a.ytd, a.plan),
                    points(a.ytd, a.plan, end)
                )),
                "{w} paragraph: {para}"
            );
            if q > 1 {
                assert!(
                    para.contains(&format!("其中第{qcn}季度完成投资{}亿元", yi(qdone(None)))),
                    "{w} paragraph: {para}"
                );
            } else {
                assert!(!para.contains("其中第一季度"), "{w} paragraph: {para}");
            }
            let ahead = ranked.iter().filter(|(_, u)| u.reached(end)).count();
            assert!(
                para.contains(&if ahead == 0 {
                    format!("分地区看，{}个地区均落后序时进度", ranked.len())
                } else if ahead == ranked.len() {
                    format!("分地区看，{}个地区均达到或超过序时进度", ranked.len())
                } else {
                    format!(
                        "分地区看，{ahead}个地区达到或超过序时进度，{}个地区落后序时进度",
                        ranked.len() - ahead
                    )
                }),
                "{w} paragraph: {para}"
            );
            if !honor.is_empty() {
                assert!(para.contains(&format!("；{}进度靠前，列入红榜", honor.join("、"))));
            }
            if !shame.is_empty() {
                assert!(para.contains(&format!("；{}进度靠后，列入黑榜", shame.join("、"))));
            }
            let lights: Vec<String> = [("红灯", n_light("红灯")), ("黄灯", n_light("黄灯"))]
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(l, n)| format!("{l}{n}个"))
                .collect();
            assert!(
                para.contains(&format!(
                    "全省{}个项目中，滞后项目{}个{}；开工率{}%（已开工{}个 ÷ 应开工{}个",
                    a.projects,
                    lagging.len(),
                    if lights.is_empty() {
                        String::new()
                    } else {
                        format!("（{}）", lights.join("、"))
                    },
                    pct(a.started, a.due_start),
                    a.started,
                    a.due_start
                )),
                "{w} paragraph: {para}"
            );
            assert!(
                !para.contains("灯0个"),
                "{w}: zero light counts are left out: {para}"
            );

            // 红黑榜: every figure of the listed units.
            let b = sheet(&path, "红黑榜");
            let c = |h: &str| col(&b, h);
            for r in 3..b.height() {
                let board = text(&cell(&b, r, 0));
                if board != "红榜" && board != "黑榜" {
                    continue;
                }
                let k = text(&cell(&b, r, c("地区")));
                if k == "无" {
                    continue; // an empty board's 无 row
                }
                let u = e.unit(&k);
                let w = format!("{what} {board} {k}");
                assert_eq!(num(&cell(&b, r, c("排名"))) as usize, rk[&k], "{w} 排名");
                assert_eq!(yuan(&cell(&b, r, c("年度计划投资"))), u.plan, "{w}");
                assert_eq!(yuan(&cell(&b, r, c("累计完成投资"))), u.ytd, "{w}");
                close(num(&cell(&b, r, c("完成率"))), u.rate(), 0.0005, &w);
                close(
                    num(&cell(&b, r, c("较序时进度（百分点）"))),
                    (u.rate() - tp) * 100.0,
                    0.05,
                    &w,
                );
            }

            // 落后序时进度: units with a plan that missed it, worst first.
            let s = sheet(&path, "落后序时进度");
            let c = |h: &str| col(&s, h);
            let mut behind: Vec<&(String, Agg)> = ranked
                .iter()
                .copied()
                .filter(|(_, u)| !u.reached(end))
                .collect();
            behind.sort_by_key(|(k, _)| std::cmp::Reverse(rk[k]));
            let listed: Vec<String> = (3..s.height())
                .map(|r| text(&cell(&s, r, 0)))
                .take_while(|k| !k.is_empty() && k != "无")
                .collect();
            assert_eq!(
                listed,
                behind.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
                "{what} 落后序时进度: units"
            );
            for (i, (k, u)) in behind.iter().enumerate() {
                let r = 3 + i;
                let w = format!("{what} 落后序时进度 {k}");
                let due = {
                    let n = u.plan as i128 * i128::from(end);
                    ((n.abs() * 2 + 12) / 24 * n.signum()) as i64
                };
                assert_eq!(num(&cell(&s, r, c("排名"))) as usize, rk[k], "{w} 排名");
                assert_eq!(yuan(&cell(&s, r, c("年度计划投资"))), u.plan, "{w}");
                assert_eq!(yuan(&cell(&s, r, c("累计完成投资"))), u.ytd, "{w}");
                close(num(&cell(&s, r, c("完成率"))), u.rate(), 0.0005, &w);
                close(
                    num(&cell(&s, r, c("较序时进度（百分点）"))),
                    (u.rate() - tp) * 100.0,
                    0.05,
                    &format!("{w} 差距"),
                );
                assert_eq!(yuan(&cell(&s, r, c("按序时应完成投资"))), due, "{w} 应完成");
                assert_eq!(
                    yuan(&cell(&s, r, c("距序时进度差额"))),
                    due - u.ytd,
                    "{w} 差额"
                );
                assert_eq!(text(&cell(&s, r, c("灯号"))), light_of(u, tp), "{w} 灯号");
            }

            // 滞后项目: the set, red first then yellow, with their lights.
            let s = sheet(&path, "滞后项目");
            let c = |h: &str| col(&s, h);
            let order = |l: &str| match l {
                "红灯" => 0,
                "黄灯" => 1,
                _ => 2,
            };
            let mut want: Vec<(usize, &Proj)> = lagging.iter().copied().enumerate().collect();
            want.sort_by_key(|(i, p)| (order(light(p.rate(), tp)), *i));
            let got: Vec<(String, String)> = (3..s.height())
                .map(|r| {
                    (
                        text(&cell(&s, r, c("灯号"))),
                        text(&cell(&s, r, c("项目代码"))),
                    )
                })
                .take_while(|(l, _)| !l.is_empty() && !l.starts_with("注") && l != "无")
                .collect();
            assert_eq!(
                got,
                want.iter()
                    .map(|(_, p)| (light(p.rate(), tp).to_string(), p.code.clone()))
                    .collect::<Vec<_>>(),
                "{what} 滞后项目: codes and lights"
            );
            for (i, (_, p)) in want.iter().enumerate() {
                let r = 3 + i;
                let w = format!("{what} 滞后项目 {}", p.code);
                assert_eq!(text(&cell(&s, r, c("项目名称"))), p.listed_name(), "{w}");
                assert_eq!(text(&cell(&s, r, c("责任单位"))), p.unit, "{w}");
                assert_eq!(yuan(&cell(&s, r, c("年度计划投资"))), p.plan, "{w}");
                assert_eq!(yuan(&cell(&s, r, c("累计完成投资"))), p.ytd, "{w}");
                close(num(&cell(&s, r, c("完成率"))), p.rate(), 0.0005, &w);
                assert_eq!(text(&cell(&s, r, c("建设状态"))), p.status, "{w}");
                let why = if p.overdue(end) {
                    format!("逾期未开工（计划{}开工）", p.planned)
                } else {
                    points(p.ytd, p.plan, end)
                };
                assert_eq!(text(&cell(&s, r, c("滞后情况"))), why, "{w}");
                assert_eq!(text(&cell(&s, r, c("存在问题"))), p.problems, "{w}");
            }

            // 开工投产 by unit (建设年限 from the library seed).
            let s = sheet(&path, "开工投产");
            let c = |h: &str| col(&s, h);
            let check = |r: usize, u: &Agg, w: &str| {
                let n = |h: &str| num(&cell(&s, r, c(h))) as i64;
                assert_eq!(n("项目数"), u.projects, "{w} 项目数");
                assert_eq!(n("应开工项目"), u.due_start, "{w} 应开工");
                assert_eq!(n("已开工项目"), u.started, "{w} 已开工");
                if u.due_start == 0 {
                    assert_eq!(text(&cell(&s, r, c("开工率"))), "—", "{w} 0/0");
                } else {
                    close(num(&cell(&s, r, c("开工率"))), u.start_rate(), 0.0005, w);
                }
                assert_eq!(n("应建成投产项目"), u.due_op, "{w} 应建成");
                assert_eq!(n("已建成投产项目"), u.in_op, "{w} 已建成");
                if u.due_op == 0 {
                    assert_eq!(text(&cell(&s, r, c("投产率"))), "—", "{w} 0/0");
                } else {
                    close(num(&cell(&s, r, c("投产率"))), u.op_rate(), 0.0005, w);
                }
            };
            assert_eq!(text(&cell(&s, 3, 0)), "合计");
            check(3, a, &format!("{what} 开工投产 合计"));
            for (i, (k, u)) in e.units.iter().enumerate() {
                assert_eq!(text(&cell(&s, 4 + i, 0)), *k, "{what} 开工投产 order");
                check(4 + i, u, &format!("{what} 开工投产 {k}"));
            }
            assert!(lib.len() >= a.projects as usize, "{what}: library");

            // 逐月情况: each unit's month and cumulative for each month of the quarter.
            let s = sheet(&path, "逐月情况");
            let c = |h: &str| col(&s, h);
            let check = |r: usize, key: Option<&str>, w: &str| {
                for m in &months {
                    let (md, ytd) = match key {
                        None => (m.all.month, m.all.ytd),
                        Some(k) => (m.unit(k).month, m.unit(k).ytd),
                    };
                    let mc = c(&format!("{}月当月完成", m.month));
                    let yc = c(&if m.month == 1 {
                        "1月累计完成".to_string()
                    } else {
                        format!("1-{}月累计完成", m.month)
                    });
                    assert_eq!(yuan(&cell(&s, r, mc)), md, "{w} {}月当月", m.month);
                    assert_eq!(yuan(&cell(&s, r, yc)), ytd, "{w} 1-{}月累计", m.month);
                }
                assert_eq!(
                    yuan(&cell(&s, r, c(&format!("第{qcn}季度完成")))),
                    qdone(key),
                    "{w} 季度完成"
                );
                let u = key.map_or_else(|| a.clone(), |k| e.unit(k));
                close(
                    num(&cell(&s, r, c(&format!("{end}月底完成率")))),
                    u.rate(),
                    0.0005,
                    &format!("{w} 完成率"),
                );
            };
            assert_eq!(text(&cell(&s, 3, 0)), "合计");
            check(3, None, &format!("{what} 逐月 合计"));
            for (i, (k, _)) in e.units.iter().enumerate() {
                assert_eq!(text(&cell(&s, 4 + i, 0)), *k, "{what} 逐月 order");
                check(4 + i, Some(k), &format!("{what} 逐月 {k}"));
            }
        }
    }
}

/// A large table is streamed (rust_xlsxwriter constant-memory sheet) and a
/// small one kept in memory; both must read back exactly as tables written
/// the ordinary way, and two renderings must give the same bytes.
#[test]
fn streamed_tables_read_back_like_ordinary_ones_and_are_reproducible() {
    use taizhang::report::style::{
        push_tables, write_table, RowStyle, Styles, TableSheet, Val, STREAM_ROWS,
    };
    let table = |n: usize| TableSheet {
        title: "测试明细".to_string(),
        meta_left: "制表单位：测试".to_string(),
        meta_mid: "截至2023年7月底".to_string(),
        meta_right: "单位：万元".to_string(),
        headers: vec!["项目代码", "项目名称", "累计完成投资", "完成率", "个数"],
        lazy: None,
        rows: (0..n)
            .map(|i| {
                let name = match i % 7 {
                    0 => String::new(),
                    3 => format!("很长的项目名称用来测试自动换行和行高的计算{i}号工程（南平段）"),
                    _ => format!("项目{i}"),
                };
                let vals = vec![
                    Val::Text(format!("2023-360100-64-01-{i:06}")),
                    Val::Text(name),
                    Val::Money(i as i64 * 12_345),
                    Val::Rate(i as f64 / 1000.0),
                    if i % 11 == 0 {
                        Val::Blank
                    } else {
                        Val::Int(i as i64)
                    },
                ];
                let rs = if i % 5 == 0 {
                    RowStyle::Yellow
                } else {
                    RowStyle::Normal
                };
                (vals, rs)
            })
            .collect(),
        max_width: 40,
        col_max: vec![(1, 20)],
        freeze_cols: 1,
        notes: vec!["注：测试用表。".to_string()],
    };
    let (big, small) = (STREAM_ROWS + 1, 40);
    let streamed = || {
        let mut wb = rust_xlsxwriter::Workbook::new();
        // Pinned as the reports pin it: otherwise rust_xlsxwriter stamps the
        // wall clock (to the second) at `Workbook::new`, and two renderings a
        // second boundary apart differ (issue 10, item 8: this test failed
        // about 1 time in 10 alone, more often on a busy machine).
        wb.set_properties(&taizhang::report::properties(
            "测试",
            "测试",
            taizhang::model::Period {
                year: 2023,
                month: 7,
            },
        ));
        push_tables(
            &mut wb,
            &Styles::new(),
            vec![
                ("大表".to_string(), table(big)),
                ("大表二".to_string(), table(big + 7)),
                ("小表".to_string(), table(small)),
            ],
        )
        .unwrap();
        wb.save_to_buffer().unwrap()
    };
    let a = streamed();
    // Two streamed sheets share the format table while written in parallel.
    assert_eq!(a, streamed(), "same tables, same bytes");
    // Inline strings show the big sheet really was streamed.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&a)).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    assert!(xml.contains("t=\"inlineStr\""));
    let mut wb = rust_xlsxwriter::Workbook::new();
    let st = Styles::new();
    let sheets = [("大表", big), ("大表二", big + 7), ("小表", small)];
    for (name, n) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(name).unwrap();
        write_table(ws, &st, &table(n)).unwrap();
    }
    let b = wb.save_to_buffer().unwrap();
    let read = |bytes: &[u8], name: &str| {
        let mut x: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
        x.worksheet_range(name).unwrap()
    };
    // Layout too: column widths, row heights, merged ranges, print setup.
    let layout = |bytes: &[u8], i: usize| -> Vec<String> {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let mut xml = String::new();
        zip.by_name(&format!("xl/worksheets/sheet{i}.xml"))
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        let mut out: Vec<String> = Vec::new();
        for tag in [
            "<row ",
            "<col ",
            "<mergeCell ",
            "<pageSetup",
            "<pane ",
            "<headerFooter",
        ] {
            let mut from = 0;
            while let Some(at) = xml[from..].find(tag) {
                let start = from + at;
                let end = start + xml[start..].find('>').unwrap();
                // `spans` is only a reading hint and differs when streamed.
                let el = &xml[start..end];
                let el = match el.find(" spans=") {
                    Some(p) => {
                        let q = p + 8 + el[p + 8..].find('"').unwrap() + 1;
                        format!("{}{}", &el[..p], &el[q..])
                    }
                    None => el.to_string(),
                };
                out.push(el);
                from = end;
            }
        }
        out
    };
    for (i, (_, n)) in sheets.iter().enumerate() {
        let i = i + 1;
        let (mut la, lb) = (layout(&a, i), layout(&b, i));
        // Rows strictly ascending: no duplicate `<row>` (Excel rejects those).
        let rows = |l: &[String]| -> Vec<u32> {
            l.iter()
                .filter_map(|e| e.strip_prefix("<row r=\""))
                .map(|e| e[..e.find('"').unwrap()].parse().unwrap())
                .collect()
        };
        assert!(rows(&la).windows(2).all(|w| w[0] < w[1]), "sheet{i}");
        // A streamed sheet ends with one invisible blank cell under the notes.
        if *n > STREAM_ROWS {
            let trailing = format!("<row r=\"{}\"", 3 + n + 3);
            assert_eq!(la.iter().filter(|e| **e == trailing).count(), 1, "sheet{i}");
            la.retain(|e| *e != trailing);
        }
        let first = la.iter().zip(&lb).position(|(x, y)| x != y);
        assert!(
            first.is_none() && la.len() == lb.len(),
            "sheet{i}: {} vs {} elements, first difference {:?}",
            la.len(),
            lb.len(),
            first.map(|k| (&la[k], &lb[k]))
        );
    }
    for (name, n) in sheets {
        let (ra, rb) = (read(&a, name), read(&b, name));
        assert_eq!(ra, rb, "{name}");
        assert_eq!(text(&cell(&ra, 0, 0)), "测试明细");
        assert_eq!(
            text(&cell(&ra, 3 + n - 1, 0)),
            format!("2023-360100-64-01-{:06}", n - 1)
        );
    }
}

/// Issue 10, item 8: same inputs, same bytes, always. The tables of a
/// workbook render on the rayon pool and its streamed sheets share the
/// workbook's format table while they are written. Several threads render the
/// same workbook over and over at once, each rendering itself parallel on an
/// oversubscribed pool, and every copy must equal one rendered with the
/// sheets strictly one after another. The two streamed tables use every value
/// kind in every row style, first met in a different order in each, so
/// formats numbered as the threads first meet them would come out numbered
/// differently; and the workbook must hold no format beyond `Styles::all`
/// (one first met while the threads write would be numbered by timing).
#[test]
fn streamed_tables_give_the_same_bytes_from_many_threads_under_contention() {
    use taizhang::report::style::{push_tables, RowStyle, Styles, TableSheet, Val, STREAM_ROWS};
    const STYLES: [RowStyle; 5] = [
        RowStyle::Normal,
        RowStyle::Total,
        RowStyle::Red,
        RowStyle::Yellow,
        RowStyle::Green,
    ];
    // Column c of row i holds kind (c + i + shift) % 5, in style (i + shift) / 2.
    let table = |n: usize, shift: usize| -> TableSheet<'static> {
        let rows = (0..n)
            .map(|i| {
                let k = i + shift;
                let vals = (0..5)
                    .map(|c| match (c + k) % 5 {
                        0 => Val::Money(i as i64 * 12_345 - 1_000_000),
                        1 => Val::Rate(i as f64 / 1000.0),
                        2 => Val::Points(i as f64 / 10.0 - 50.0),
                        3 => Val::Int(i as i64),
                        _ if i % 11 == 0 => Val::Blank,
                        _ => Val::Text(format!("项目{i}")),
                    })
                    .collect();
                (vals, STYLES[k / 2 % 5])
            })
            .collect();
        let mut t = TableSheet::new(
            "测试明细",
            "制表单位：测试",
            "截至2023年7月底",
            "单位：万元",
            vec!["甲", "乙", "丙", "丁", "戊"],
            rows,
        );
        t.notes = vec!["注：测试用表。".to_string()];
        t
    };
    let render = || -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        wb.set_properties(&taizhang::report::properties(
            "测试",
            "测试",
            taizhang::model::Period {
                year: 2023,
                month: 7,
            },
        ));
        push_tables(
            &mut wb,
            &Styles::new(),
            vec![
                ("大表".to_string(), table(STREAM_ROWS + 1, 0)),
                ("大表二".to_string(), table(STREAM_ROWS + 7, 3)),
                ("小表".to_string(), table(40, 1)),
            ],
        )
        .unwrap();
        wb.save_to_buffer().unwrap()
    };
    let pool = |n: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    // One worker: the sheets are written one after another, in order.
    let want = pool(1).install(render);

    // The workbook's formats are exactly `Styles::all` (plus Excel's
    // default), all numbered before any sheet was written: none was first met
    // while the threads wrote.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&want)).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/styles.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    let st = Styles::new();
    let mut distinct: Vec<&rust_xlsxwriter::Format> = Vec::new();
    for f in st.all() {
        if !distinct.contains(&f) {
            distinct.push(f);
        }
    }
    assert!(
        xml.contains(&format!("<cellXfs count=\"{}\">", distinct.len() + 1)),
        "formats are not exactly Styles::all, registered up front: {xml}"
    );

    // Four callers share a pool of four workers on however few cores there
    // are: the streamed sheets of one workbook, and of several, interleave.
    let busy = pool(4);
    let copies: Vec<Vec<u8>> = std::thread::scope(|s| {
        let callers: Vec<_> = (0..4)
            .map(|_| s.spawn(|| (0..5).map(|_| busy.install(render)).collect::<Vec<_>>()))
            .collect();
        callers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect()
    });
    let differ = copies.iter().filter(|c| **c != want).count();
    assert_eq!(differ, 0, "{differ} of {} copies differ", copies.len());
}
