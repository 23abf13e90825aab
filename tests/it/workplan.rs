//! The work-plan program (kind `tasks`) end to end on the samples: every
//! figure of the monthly 推进情况表 (汇总 by 专项 and its paragraph, 分单位
//! with ranks and lights, 滞后任务, 未报送) recomputed from its own 任务明细,
//! for each of the seven months; the quarterly workbook equal to the quarter-end
//! month's tables; the quarterly 通报 .docx quoting those figures.

use calamine::Data;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::common::*;
use super::notice::{notice_path, paragraphs};

const PROGRAM: &str = "work-plan";
const NAME: &str = "数字经济工作计划";
const HEADINGS: [&str; 4] = [
    "一、总体情况",
    "二、各单位推进情况",
    "三、存在问题",
    "四、下一步工作",
];

fn monthly(out: &Path, month: u32) -> PathBuf {
    out.join(PROGRAM)
        .join(format!("2023-{month:02}"))
        .join(format!("{NAME}推进情况表-2023年{month:02}月.xlsx"))
}

fn quarterly(out: &Path, q: u32) -> PathBuf {
    out.join(PROGRAM)
        .join(format!("2023-{:02}", q * 3))
        .join(format!(
            "{NAME}季度通报-2023年第{}季度.xlsx",
            QUARTER_CN[q as usize - 1]
        ))
}

/// One row of 任务明细.
struct Detail {
    no: i64,
    group: String,
    unit: String,
    due: String,
    state: String,
    note: String,
}

impl Detail {
    fn reported(&self) -> bool {
        self.note.is_empty()
    }
    fn overdue(&self, month: u32) -> bool {
        self.state != "已完成" && self.due.as_str() <= format!("2023-{month:02}").as_str()
    }
    fn lagging(&self, month: u32) -> bool {
        (self.reported() && self.state == "滞后") || self.overdue(month)
    }
}

fn details(r: &calamine::Range<Data>) -> Vec<Detail> {
    let c = |h: &str| col(r, h);
    let (no, group, unit, due, state, note) = (
        c("序号"),
        c("重点专项"),
        c("责任单位"),
        c("完成时限"),
        c("完成状态"),
        c("说明"),
    );
    (3..r.height())
        .filter(|&i| !text(&cell(r, i, unit)).is_empty())
        .map(|i| Detail {
            no: num(&cell(r, i, no)) as i64,
            group: text(&cell(r, i, group)),
            unit: text(&cell(r, i, unit)),
            due: text(&cell(r, i, due)),
            state: text(&cell(r, i, state)),
            note: text(&cell(r, i, note)),
        })
        .collect()
}

/// The counts a 汇总 / 分单位 row shows, in its column order after the
/// name: [任务数 (distinct items), 责任分工数, 已完成, 按序时推进, 滞后, 未启动,
/// 未报送, 逾期未完成].
fn counts<'a>(rows: impl Iterator<Item = &'a Detail>, month: u32) -> [i64; 8] {
    let mut c = [0i64; 8];
    let mut items = BTreeSet::new();
    for d in rows {
        items.insert(d.no);
        c[1] += 1;
        if !d.reported() {
            c[6] += 1;
        } else {
            let k = ["已完成", "按序时推进", "滞后", "未启动"]
                .iter()
                .position(|s| *s == d.state)
                .unwrap_or_else(|| panic!("state {}", d.state));
            c[2 + k] += 1;
        }
        c[7] += i64::from(d.overdue(month));
    }
    c[0] = items.len() as i64;
    c
}

fn share(c: &[i64; 8]) -> f64 {
    (c[2] + c[3]) as f64 / c[1] as f64
}

/// Integer cells of a row from `from` on.
fn ints(r: &calamine::Range<Data>, row: usize, cols: &[usize]) -> Vec<i64> {
    cols.iter().map(|&c| num(&cell(r, row, c)) as i64).collect()
}

/// 汇总: each 专项 row and 合计 recomputed from 任务明细; the paragraph's figures.
fn check_summary(out: &Path, month: u32, ds: &[Detail]) {
    let r = sheet(&monthly(out, month), "汇总");
    let mut groups: Vec<&str> = Vec::new();
    for d in ds {
        if !groups.contains(&d.group.as_str()) {
            groups.push(&d.group);
        }
    }
    // 任务数 … 逾期未完成: columns 1-8.
    let cols: Vec<usize> = (1..=8).collect();
    for (i, g) in groups.iter().chain(["合计"].iter()).enumerate() {
        let row = 3 + i;
        assert_eq!(
            text(&cell(&r, row, 0)),
            *g,
            "2023-{month:02} 汇总 row {row}"
        );
        let want = counts(ds.iter().filter(|d| *g == "合计" || d.group == *g), month);
        assert_eq!(ints(&r, row, &cols), want.to_vec(), "2023-{month:02} {g}");
        let rate = num(&cell(&r, row, 9));
        assert!(
            (rate - share(&want)).abs() < 1e-6,
            "2023-{month:02} {g} rate"
        );
    }
    let total = counts(ds.iter(), month);
    let para = (3 + groups.len() + 1..r.height())
        .map(|i| text(&cell(&r, i, 0)))
        .find(|t| t.starts_with("截至"))
        .unwrap_or_else(|| panic!("2023-{month:02}: no paragraph"));
    let expect = format!(
        "共{}项工作举措（{}项责任分工）中，已完成{}项，按序时推进{}项，滞后{}项，未启动{}项，未报送{}项；按时推进率{:.1}%。",
        total[0], total[1], total[2], total[3], total[4], total[5], total[6],
        share(&total) * 100.0
    );
    assert!(
        para.contains(&expect),
        "2023-{month:02}: {para}\nwant …{expect}"
    );
}

/// Units as 分单位 must show them: counts, share, rank (ties share a rank;
/// units that sent nothing last, unranked), light by the pipeline's bounds.
fn check_units(out: &Path, month: u32, ds: &[Detail]) {
    let spec =
        taizhang::config::load_pipeline(&root().join("pipelines/work-plan.toml"), &root()).unwrap();
    let r = sheet(&monthly(out, month), "分单位");
    let mut per: BTreeMap<&str, Vec<&Detail>> = BTreeMap::new();
    for d in ds {
        per.entry(&d.unit).or_default().push(d);
    }
    let mut seen = BTreeSet::new();
    let mut prev: Option<(Option<i64>, f64)> = None;
    for row in 3..r.height() {
        let unit = text(&cell(&r, row, 1));
        if unit.is_empty() || text(&cell(&r, row, 0)).starts_with("按时推进率") {
            continue;
        }
        let rows = per
            .get(unit.as_str())
            .unwrap_or_else(|| panic!("2023-{month:02}: {unit} not in 任务明细"));
        let want = counts(rows.iter().copied(), month);
        let mut got = ints(&r, row, &[3, 4, 5, 6, 7, 8]);
        got.insert(0, num(&cell(&r, row, 2)) as i64);
        assert_eq!(
            got,
            [&want[1..2], &want[2..8]].concat(),
            "2023-{month:02} {unit}"
        );
        let sent_nothing = rows.iter().all(|d| d.note.starts_with("本期未报送"));
        let rank = match cell(&r, row, 0) {
            Data::String(s) if s == "不排名" => None,
            d => Some(num(&d) as i64),
        };
        let light = text(&cell(&r, row, 10));
        let s = share(&want);
        if sent_nothing {
            assert_eq!(
                (rank, light.as_str()),
                (None, "未报送"),
                "2023-{month:02} {unit}"
            );
        } else {
            let rank = rank.unwrap_or_else(|| panic!("2023-{month:02} {unit} unranked"));
            let want_light = if s >= spec.tasks.green_at {
                "绿"
            } else if s < spec.tasks.red_below {
                "红"
            } else {
                "黄"
            };
            assert_eq!(light, want_light, "2023-{month:02} {unit} {s}");
            if let Some((Some(pr), ps)) = prev {
                assert!(
                    ps >= s - 1e-12,
                    "2023-{month:02}: {unit} ranked below a lower share"
                );
                if (ps - s).abs() < 1e-12 {
                    assert_eq!(pr, rank, "2023-{month:02}: tie {unit}");
                } else {
                    assert_eq!(
                        rank,
                        row as i64 - 2,
                        "2023-{month:02}: {unit}'s rank is its place"
                    );
                }
            } else {
                assert_eq!(rank, 1, "2023-{month:02}: first {unit}");
            }
            prev = Some((Some(rank), s));
        }
        seen.insert(unit);
    }
    let all: BTreeSet<String> = per.keys().map(|u| u.to_string()).collect();
    assert_eq!(
        seen, all,
        "2023-{month:02}: 分单位 lists every responsible unit once"
    );
}

/// 滞后任务 = the lagging or overdue rows of 任务明细; 未报送 = the rows with a 说明.
fn check_lists(out: &Path, month: u32, ds: &[Detail]) {
    let lag = sheet(&monthly(out, month), "滞后任务");
    let got: BTreeSet<(i64, String)> = (3..lag.height())
        .filter(|&i| !text(&cell(&lag, i, 2)).is_empty())
        .map(|i| (num(&cell(&lag, i, 0)) as i64, text(&cell(&lag, i, 2))))
        .collect();
    let want: BTreeSet<(i64, String)> = ds
        .iter()
        .filter(|d| d.lagging(month))
        .map(|d| (d.no, d.unit.clone()))
        .collect();
    assert_eq!(got, want, "2023-{month:02} 滞后任务");
    let miss = sheet(&monthly(out, month), "未报送");
    let got: BTreeSet<(String, i64)> = (3..miss.height())
        .filter(|&i| matches!(cell(&miss, i, 1), Data::Float(_) | Data::Int(_)))
        .map(|i| (text(&cell(&miss, i, 0)), num(&cell(&miss, i, 1)) as i64))
        .collect();
    let want: BTreeSet<(String, i64)> = ds
        .iter()
        .filter(|d| !d.reported())
        .map(|d| (d.unit.clone(), d.no))
        .collect();
    assert_eq!(got, want, "2023-{month:02} 未报送");
}

#[test]
fn every_work_plan_figure_is_recomputed_from_its_task_detail() {
    let out = run_once();
    for month in 1..=7u32 {
        let ds = details(&sheet(&monthly(out, month), "任务明细"));
        assert_eq!(
            ds.iter().map(|d| d.no).collect::<BTreeSet<_>>().len(),
            111,
            "2023-{month:02}: every item of the plan in 任务明细"
        );
        check_summary(out, month, &ds);
        check_units(out, month, &ds);
        check_lists(out, month, &ds);
    }
}

/// Every cell of a sheet's table from row 3 on (the title and 制表 rows differ).
fn body(path: &Path, name: &str) -> Vec<Vec<String>> {
    let r = sheet(path, name);
    (2..r.height())
        .map(|i| (0..r.width()).map(|c| text(&cell(&r, i, c))).collect())
        .filter(|row: &Vec<String>| row.iter().any(|t| !t.is_empty()))
        .collect()
}

#[test]
fn the_quarterly_workbook_and_notice_quote_the_quarter_end_month() {
    let out = run_once();
    for q in 1..=2u32 {
        let (m, qb) = (monthly(out, q * 3), quarterly(out, q));
        let month = body(&m, "汇总");
        let notice_sheet = body(&qb, "通报");
        // The table is the month's; the paragraph opens with the quarter.
        let n = month.len() - 1;
        assert_eq!(notice_sheet[..n], month[..n], "Q{q} 通报 table");
        assert_eq!(body(&qb, "季度排名"), body(&m, "分单位"), "Q{q} 季度排名");
        assert_eq!(body(&qb, "滞后任务"), body(&m, "滞后任务"), "Q{q} 滞后任务");
        let para = &month[n][0];
        let doc = paragraphs(&notice_path(out, PROGRAM, NAME, q));
        let section = |h: &str| -> Vec<String> {
            let i = doc
                .iter()
                .position(|(_, t)| t == h)
                .unwrap_or_else(|| panic!("no {h}"));
            doc[i + 1..]
                .iter()
                .map(|(_, t)| t.clone())
                .take_while(|t| !HEADINGS.contains(&t.as_str()))
                .collect()
        };
        assert_eq!(
            section("一、总体情况").first(),
            Some(para),
            "Q{q}: the notice's 总体情况 is the workbook's paragraph"
        );
        // 存在问题 counts the 滞后任务 rows, unit by unit.
        let lag = sheet(&m, "滞后任务");
        let mut by_unit: BTreeMap<String, usize> = BTreeMap::new();
        for i in 3..lag.height() {
            let u = text(&cell(&lag, i, 2));
            if !u.is_empty() {
                *by_unit.entry(u).or_default() += 1;
            }
        }
        let problems = section("三、存在问题").join("");
        let total: usize = by_unit.values().sum();
        if total == 0 {
            assert!(problems.contains("无滞后"), "Q{q}: {problems}");
        } else {
            assert!(
                problems.contains(&format!("共{total}项")),
                "Q{q}: {problems}"
            );
            for (u, k) in &by_unit {
                assert!(
                    problems.contains(&format!("{u}{k}项（")),
                    "Q{q} {u} {k}: {problems}"
                );
            }
        }
        // 各单位推进情况 names the 红榜 / 黑榜 the 季度排名 decides.
        let units = section("二、各单位推进情况").join("");
        let rank = sheet(&qb, "季度排名");
        for i in 3..rank.height() {
            let (u, light) = (text(&cell(&rank, i, 1)), text(&cell(&rank, i, 10)));
            if light == "未报送" {
                assert!(
                    units.contains(&u),
                    "Q{q}: {u} not reported, not named: {units}"
                );
            }
        }
    }
}

/// Writes rows (first the title, then the header, then data) to a workbook.
fn write_book(path: &Path, rows: &[Vec<&str>]) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            match v.parse::<f64>() {
                Ok(n) => ws.write_number(r as u32, c as u16, n).map(|_| ()),
                Err(_) => ws.write_string(r as u32, c as u16, *v).map(|_| ()),
            }
            .unwrap();
        }
    }
    wb.save(path).unwrap();
}

#[test]
fn an_item_due_before_the_period_and_not_done_is_overdue() {
    // A root of its own: the shipped pipeline and units, a plan of two items,
    // one due in June; 省科技厅 reports both in July, neither done.
    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path();
    std::fs::create_dir_all(r.join("pipelines")).unwrap();
    std::fs::create_dir_all(r.join("seeds")).unwrap();
    std::fs::create_dir_all(r.join("inbox/2023-07")).unwrap();
    std::fs::copy(
        root().join("pipelines/work-plan.toml"),
        r.join("pipelines/work-plan.toml"),
    )
    .unwrap();
    std::fs::copy(root().join("seeds/units.toml"), r.join("seeds/units.toml")).unwrap();
    write_book(
        &r.join("seeds/work-plan-library.xlsx"),
        &[
            vec!["数字经济发展2023年工作计划任务库"],
            taizhang::kinds::tasks::plan::HEADERS.to_vec(),
            vec![
                "1",
                "数字技术创新专项",
                "推动复合半导体江西省实验室挂牌并启动建设",
                "省科技厅",
                "",
                "2023年6月",
                "省科技厅",
                "",
            ],
            vec![
                "2",
                "数字技术创新专项",
                "布局一批人工智能领域重大科研项目并集中开展攻关",
                "省科技厅",
                "",
                "2023年12月",
                "省科技厅",
                "",
            ],
        ],
    );
    let ledger = "省科技厅2023年7月数字经济工作计划推进情况.xlsx";
    write_book(
        &r.join("inbox/2023-07").join(ledger),
        &[
            vec!["数字经济工作计划推进情况（2023年7月）"],
            vec![
                "序号",
                "工作举措",
                "进展情况",
                "完成状态",
                "完成时间",
                "存在问题",
            ],
            vec![
                "1",
                "推动复合半导体江西省实验室挂牌并启动建设",
                "实验室已挂牌，建设方案待批",
                "按序时推进",
                "",
                "",
            ],
            vec![
                "2",
                "布局一批人工智能领域重大科研项目并集中开展攻关",
                "已立项12项",
                "按序时推进",
                "",
                "",
            ],
        ],
    );
    let out = r.join("out");
    assert_cmd::Command::cargo_bin("taizhang")
        .unwrap()
        .args(["run", "--quiet", "--root"])
        .arg(r)
        .arg("--inbox")
        .arg(r.join("inbox"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let m: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.join("work-plan/2023-07/manifest.json")).unwrap(),
    )
    .unwrap();
    let w506: Vec<&serde_json::Value> = m["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "W506")
        .collect();
    assert_eq!(w506.len(), 1, "{w506:?}");
    assert_eq!(w506[0]["file"], ledger);
    assert_eq!(w506[0]["cell"], "D3", "the state cell of item 1");
    assert_eq!(m["totals"]["overdue"], 1);
    // Listed among the lagging items as 逾期, item 2 not.
    let lag = sheet(&monthly(&out, 7), "滞后任务");
    let listed: Vec<(String, String)> = (3..lag.height())
        .filter(|&i| !text(&cell(&lag, i, 2)).is_empty())
        .map(|i| (text(&cell(&lag, i, 0)), text(&cell(&lag, i, 5))))
        .collect();
    assert_eq!(listed, vec![("1".to_string(), "是".to_string())]);
}

#[test]
fn a_ledger_naming_two_programs_goes_where_its_rows_are_plan_items() {
    // The title names 数字经济 (digital-economy) and 工作任务 (work plan); the
    // header fits neither (工作任务 / 8月推进情况 over 进展·状态·完成时间·问题,
    // no 序号). Its rows are 省科技厅's items, one cut to its opening words.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("inbox/2023-08");
    std::fs::create_dir_all(&dir).unwrap();
    let file = "江西省科学技术厅8月工作任务进展.xlsx";
    write_book(
        &dir.join(file),
        &[
            vec!["省科技厅数字经济重点工作任务推进情况表（截至8月底）"],
            vec!["填报单位：江西省科学技术厅"],
            vec!["工作任务", "8月推进情况"],
            vec!["", "进展", "状态", "完成时间", "问题"],
            vec![
                "推动复合半导体江西省实验室挂牌并启动建设",
                "实验室已挂牌",
                "已完成",
                "2023年8月",
                "",
            ],
            vec![
                "提升国家虚拟现实创新中心带动能力",
                "按计划推进",
                "按序时推进",
                "",
                "",
            ],
            vec![
                "建设江西先进算力中心",
                "配合省发改委推进",
                "按序时推进",
                "",
                "",
            ],
        ],
    );
    let out = tmp.path().join("out");
    assert_cmd::Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(root())
        .args(["run", "--quiet", "--period", "2023-08", "--inbox"])
        .arg(tmp.path().join("inbox"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let m: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.join("work-plan/2023-08/manifest.json")).unwrap(),
    )
    .unwrap();
    let input = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["file"] == file)
        .expect("the ledger is the work plan's");
    assert_eq!(input["status"], "ok");
    assert_eq!(input["accepted"], 3, "{input}");
    let fs = m["findings"].as_array().unwrap();
    let w507: Vec<&serde_json::Value> = fs.iter().filter(|f| f["id"] == "W507").collect();
    assert!(
        w507.iter().any(|f| f["cell"] == "A6"
            && f["message"]
                .as_str()
                .unwrap()
                .contains("填报文字为计划原文的一部分")),
        "{w507:?}"
    );
    assert!(
        !fs.iter().any(|f| f["id"] == "W009"),
        "no program undecided"
    );
}
