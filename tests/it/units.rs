//! Units as they really submit (issue 9, items 1 and 4): several files of one
//! unit in a period decided by their content (parts, a full revision, a 补报 of
//! one project, 续建 and 新开工 files, two files ordered by name only), and the
//! unit of a file that names none decided by its projects (and conflicting
//! evidence flagged). Small ledgers of real library projects are written here
//! with rust_xlsxwriter, July 2023 is run through the real CLI, and each test
//! asserts the exact per-unit totals (`by_unit`), the findings (id, file,
//! cell) and the row accounting of every input.
//!
//! Layout of every ledger (no 责任单位 column, so only the file name, title and
//! 填报单位 line can name the unit):
//!
//! ```text
//! row 1  <title>
//! row 2  填报单位：<unit>                   填报时间：<date>
//! row 3  单位：万元
//! row 4  序号 | 项目代码 | 项目名称 | 建设性质 | 总投资 | 年度计划投资 | 本月完成投资 | 1-7月累计完成投资 | 建设状态
//! row 5… one row per project
//! ```

use assert_cmd::Command;
use rust_xlsxwriter::Workbook;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};
use taizhang::model::{Finding, Nature};
use taizhang::parse::fmt_wan;
use taizhang::seeds::Project;

use super::common::root;

const JULY: &str = "2023-07";

pub(crate) fn library() -> &'static [Project] {
    static LIB: OnceLock<Vec<Project>> = OnceLock::new();
    LIB.get_or_init(|| {
        let setup = taizhang::pipeline::setup(&root(), &["new-infra".to_string()], None)
            .expect("new-infra pipeline and library load");
        setup.libraries.get().unwrap()[0].projects.clone()
    })
}

/// The library projects of one unit, in library order.
pub(crate) fn of(unit: &str) -> Vec<&'static Project> {
    let v: Vec<&Project> = library().iter().filter(|p| p.unit == unit).collect();
    assert!(v.len() >= 6, "{unit} owns only {} projects", v.len());
    v
}

/// This month's figure of a project: a tenth of its plan, whole 0.01 万元.
fn month(p: &Project) -> i64 {
    p.annual_plan / 10 / 100 * 100
}

/// A project's row in a ledger: month and cumulative (元).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    p: &'static Project,
    month: i64,
    ytd: i64,
}

/// The clean row of a project (cumulative = 7 × month).
pub(crate) fn clean(p: &'static Project) -> Row {
    Row {
        p,
        month: month(p),
        ytd: 7 * month(p),
    }
}

/// The same project with other figures (1万 more this month and cumulative).
pub(crate) fn corrected(p: &'static Project) -> Row {
    Row {
        p,
        month: month(p) + 10_000,
        ytd: 7 * month(p) + 10_000,
    }
}

/// A ledger: title, 填报单位 line (None: the row names no unit), 填报时间.
pub(crate) struct Ledger {
    title: String,
    fill_unit: Option<String>,
    filled_on: String,
    rows: Vec<Row>,
}

impl Ledger {
    /// A unit's ledger filed on 2023-08-`day`.
    pub(crate) fn of(unit: &str, day: u32, rows: Vec<Row>) -> Ledger {
        Ledger {
            title: "2023年1-7月全省新基建项目推进情况调度表".to_string(),
            fill_unit: Some(format!("{unit}发展和改革委员会")),
            filled_on: format!("2023年8月{day}日"),
            rows,
        }
    }

    /// A ledger that names no unit anywhere.
    fn anonymous(rows: Vec<Row>) -> Ledger {
        Ledger {
            fill_unit: None,
            ..Ledger::of("", 3, rows)
        }
    }

    pub(crate) fn write(&self, path: &Path) {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("调度表").unwrap();
        ws.write_string(0, 0, &self.title).unwrap();
        let fill = format!("填报单位：{}", self.fill_unit.as_deref().unwrap_or(""));
        ws.write_string(1, 0, &fill).unwrap();
        ws.write_string(1, 6, format!("填报时间：{}", self.filled_on))
            .unwrap();
        ws.write_string(2, 0, "单位：万元").unwrap();
        let headers = [
            "序号",
            "项目代码",
            "项目名称",
            "建设性质",
            "总投资",
            "年度计划投资",
            "本月完成投资",
            "1-7月累计完成投资",
            "建设状态",
        ];
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(3, c as u16, *h).unwrap();
        }
        for (i, r) in self.rows.iter().enumerate() {
            let row = 4 + i as u32;
            let nature = match r.p.nature {
                Nature::New => "新开工",
                Nature::Continuing => "续建",
            };
            ws.write_number(row, 0, (i + 1) as f64).unwrap();
            ws.write_string(row, 1, &r.p.code).unwrap();
            ws.write_string(row, 2, &r.p.name).unwrap();
            ws.write_string(row, 3, nature).unwrap();
            for (c, v) in [
                (4, r.p.total_investment),
                (5, r.p.annual_plan),
                (6, r.month),
                (7, r.ytd),
            ] {
                ws.write_number(row, c, v as f64 / 10_000.0).unwrap();
            }
            ws.write_string(row, 8, "在建").unwrap();
        }
        wb.save(path).unwrap();
    }
}

/// Sheet cell of the project code on data row `i` (0-based).
fn code_cell(i: usize) -> String {
    format!("B{}", 5 + i)
}

/// A temp inbox with July's files, run through the CLI.
struct Fx {
    dir: tempfile::TempDir,
}

impl Fx {
    fn new() -> Fx {
        Fx {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        let d = self.dir.path().join("inbox").join(JULY);
        std::fs::create_dir_all(&d).unwrap();
        d.join(name)
    }

    fn put(&self, name: &str, l: &Ledger) -> &Fx {
        l.write(&self.path(name));
        self
    }

    /// Gives every file the same modification time (so only names can order them).
    fn same_mtime(&self, names: &[&str]) {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_691_000_000);
        for n in names {
            let f = std::fs::File::options()
                .write(true)
                .open(self.path(n))
                .unwrap();
            f.set_modified(t).unwrap();
        }
    }

    fn run(&self) -> Run {
        let out = self.dir.path().join("out");
        Command::cargo_bin("taizhang")
            .unwrap()
            .current_dir(root())
            .args(["run", "--quiet", "--pipeline", "new-infra", "--inbox"])
            .arg(self.dir.path().join("inbox"))
            .arg("--out")
            .arg(&out)
            .args(["--period", JULY])
            .assert()
            .success();
        let text = std::fs::read_to_string(out.join("new-infra").join(JULY).join("manifest.json"))
            .unwrap();
        let manifest: Value = serde_json::from_str(&text).unwrap();
        let findings = serde_json::from_value(manifest["findings"].clone()).unwrap();
        Run { manifest, findings }
    }
}

struct Run {
    manifest: Value,
    findings: Vec<Finding>,
}

impl Run {
    /// (id, file, cell) of every finding but W401/W402 (completeness, asserted apart).
    fn fired(&self) -> Vec<(String, String, String)> {
        let mut v: Vec<(String, String, String)> = self
            .findings
            .iter()
            .filter(|f| f.id != "W401" && f.id != "W402")
            .map(|f| (f.id.clone(), f.file.clone(), f.cell.clone()))
            .collect();
        v.sort();
        v
    }

    fn one(&self, id: &str, file: &str, cell: &str) -> &Finding {
        let hits: Vec<&Finding> = self
            .findings
            .iter()
            .filter(|f| f.id == id && f.file == file && f.cell == cell)
            .collect();
        assert_eq!(hits.len(), 1, "{id} at {file} {cell}:\n{}", self.dump());
        hits[0]
    }

    fn dump(&self) -> String {
        self.findings
            .iter()
            .filter(|f| f.id != "W402")
            .map(|f| format!("  {} {} {} {}", f.id, f.file, f.cell, f.message))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The manifest's entry of an input: (unit, status, rows_read, accepted,
    /// rejected, skipped, skipped_reasons).
    fn input(&self, file: &str) -> Value {
        let i = self.manifest["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["file"] == file)
            .unwrap_or_else(|| panic!("no input {file}"));
        json!({
            "unit": i["unit"], "status": i["status"], "rows_read": i["rows_read"],
            "accepted": i["accepted"], "rejected": i["rejected"], "skipped": i["skipped"],
            "skipped_reasons": i["skipped_reasons"],
        })
    }

    /// `by_unit` of a unit: (projects, reported, month_done_yuan, ytd_done_yuan).
    fn unit(&self, unit: &str) -> (i64, i64, i64, i64) {
        let u = self.manifest["by_unit"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit"] == unit)
            .unwrap_or_else(|| panic!("no by_unit {unit}"));
        let g = |k: &str| u[k].as_i64().unwrap();
        (
            g("projects"),
            g("reported"),
            g("month_done_yuan"),
            g("ytd_done_yuan"),
        )
    }

    /// Projects (codes) W401 names.
    fn not_reported(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .findings
            .iter()
            .filter(|f| f.id == "W401")
            .map(|f| f.project_code.clone())
            .collect();
        v.sort();
        v
    }

    fn carried(&self) -> i64 {
        self.manifest["totals"]["carried_forward"].as_i64().unwrap()
    }
}

/// (projects, reported, month, ytd) a unit's by_unit row must show when `rows`
/// are what counts for its `all` projects.
fn totals(all: usize, rows: &[Row]) -> (i64, i64, i64, i64) {
    (
        all as i64,
        rows.len() as i64,
        rows.iter().map(|r| r.month).sum(),
        rows.iter().map(|r| r.ytd).sum(),
    )
}

/// An input entry as expected.
fn entry(
    unit: &str,
    status: &str,
    (accepted, rejected): (usize, usize),
    skipped: &[(&str, usize)],
) -> Value {
    let reasons: BTreeMap<String, usize> =
        skipped.iter().map(|(k, n)| (k.to_string(), *n)).collect();
    let skipped: usize = reasons.values().sum();
    json!({
        "unit": unit, "status": status, "rows_read": accepted + rejected + skipped,
        "accepted": accepted, "rejected": rejected, "skipped": skipped,
        "skipped_reasons": reasons,
    })
}

fn ids(v: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = v
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    v.sort();
    v
}

// ---------------------------------------------------------------- several files

#[test]
fn parts_with_disjoint_projects_all_count() {
    let nc = of("南昌市");
    let rows: Vec<Row> = nc.iter().map(|p| clean(p)).collect();
    let cut = [0, rows.len() / 3, 2 * rows.len() / 3, rows.len()];
    let names = [
        "南昌市新基建台账（一）.xlsx",
        "南昌市新基建台账（二）.xlsx",
        "南昌市新基建台账（三）.xlsx",
    ];
    let fx = Fx::new();
    for (k, name) in names.iter().enumerate() {
        // Filed on different days: order does not matter for disjoint parts.
        fx.put(
            name,
            &Ledger::of("南昌市", 3 + k as u32, rows[cut[k]..cut[k + 1]].to_vec()),
        );
    }
    let r = fx.run();
    assert_eq!(r.fired(), ids(&[]), "{}", r.dump());
    for (k, name) in names.iter().enumerate() {
        assert_eq!(
            r.input(name),
            entry("南昌市", "ok", (cut[k + 1] - cut[k], 0), &[])
        );
    }
    assert_eq!(r.unit("南昌市"), totals(nc.len(), &rows));
    assert_eq!(r.not_reported(), Vec::<String>::new());
}

#[test]
fn continuing_and_new_start_files_both_count() {
    let gz = of("赣州市");
    let (cont, new): (Vec<Row>, Vec<Row>) = gz
        .iter()
        .map(|p| clean(p))
        .partition(|r| r.p.nature == Nature::Continuing);
    assert!(!cont.is_empty() && !new.is_empty());
    let (a, b) = ("赣州市续建项目调度表.xlsx", "赣州市新开工项目调度表.xlsx");
    let fx = Fx::new();
    fx.put(a, &Ledger::of("赣州市", 3, cont.clone()))
        .put(b, &Ledger::of("赣州市", 3, new.clone()));
    let r = fx.run();
    assert_eq!(r.fired(), ids(&[]), "{}", r.dump());
    assert_eq!(r.input(a), entry("赣州市", "ok", (cont.len(), 0), &[]));
    assert_eq!(r.input(b), entry("赣州市", "ok", (new.len(), 0), &[]));
    let all: Vec<Row> = cont.iter().chain(&new).copied().collect();
    assert_eq!(r.unit("赣州市"), totals(gz.len(), &all));
    assert_eq!(r.not_reported(), Vec::<String>::new());
}

#[test]
fn a_full_revision_supersedes_the_whole_earlier_file() {
    let jj = of("九江市");
    let first: Vec<Row> = jj.iter().map(|p| clean(p)).collect();
    let mut revised = first.clone();
    revised[1] = corrected(jj[1]);
    revised[4] = corrected(jj[4]);
    let (a, b) = ("九江市新基建调度表.xlsx", "九江市新基建调度表（修订）.xlsx");
    let fx = Fx::new();
    fx.put(a, &Ledger::of("九江市", 3, first.clone()))
        .put(b, &Ledger::of("九江市", 5, revised.clone()));
    let r = fx.run();
    assert_eq!(
        r.fired(),
        ids(&[
            ("W008", a, ""),
            ("W217", a, &code_cell(1)),
            ("W217", a, &code_cell(4)),
        ]),
        "{}",
        r.dump()
    );
    let by = format!("superseded by {b}");
    assert_eq!(
        r.input(a),
        entry("九江市", "superseded", (0, 0), &[(&by, jj.len())])
    );
    assert_eq!(r.input(b), entry("九江市", "ok", (jj.len(), 0), &[]));
    // Counted once, with the revised figures.
    assert_eq!(r.unit("九江市"), totals(jj.len(), &revised));
    let w = r.one("W008", a, "");
    assert_eq!(w.expected, b);
    assert!(
        w.message.contains(&format!("全部 {} 个项目", jj.len())),
        "{}",
        w.message
    );
    assert!(w.message.contains("作废"), "{}", w.message);
    assert!(w.message.contains("填报时间较晚"), "{}", w.message);
    let d = r.one("W217", a, &code_cell(1));
    assert_eq!(d.project_code, jj[1].code);
    assert_eq!(d.sheet, "调度表");
    // Both figures: the superseded row's as the value, the counted row's as expected.
    let fig = |r: Row| {
        format!(
            "本月完成 {} 万元、累计完成 {} 万元",
            fmt_wan(r.month),
            fmt_wan(r.ytd)
        )
    };
    assert_eq!(
        (d.value.clone(), d.expected.clone()),
        (fig(first[1]), fig(revised[1]))
    );
    assert!(
        d.message.contains(a) && d.message.contains(b),
        "{}",
        d.message
    );
    assert!(d.message.contains(&jj[1].name), "{}", d.message);
    assert!(!d.message.contains("仅按文件名排序在后"), "{}", d.message);
}

#[test]
fn a_supplement_of_one_project_keeps_the_full_ledger() {
    let nc = of("南昌市");
    let full: Vec<Row> = nc.iter().map(|p| clean(p)).collect();
    let fix = corrected(nc[2]);
    let (a, b) = (
        "南昌市新基建项目调度表（2023年7月）.xlsx",
        "南昌市新基建项目补报（2023年7月）.xlsx",
    );
    let fx = Fx::new();
    fx.put(a, &Ledger::of("南昌市", 3, full.clone()))
        .put(b, &Ledger::of("南昌市", 6, vec![fix]));
    let r = fx.run();
    assert_eq!(
        r.fired(),
        ids(&[("W008", a, ""), ("W217", a, &code_cell(2))]),
        "{}",
        r.dump()
    );
    let by = format!("superseded by {b}");
    assert_eq!(
        r.input(a),
        entry("南昌市", "ok", (nc.len() - 1, 0), &[(&by, 1)])
    );
    assert_eq!(r.input(b), entry("南昌市", "ok", (1, 0), &[]));
    let mut counted = full.clone();
    counted[2] = fix;
    assert_eq!(r.unit("南昌市"), totals(nc.len(), &counted));
    // Nothing fell back to last month, nothing is missing.
    assert_eq!(r.carried(), 0);
    assert_eq!(r.not_reported(), Vec::<String>::new());
    let w = r.one("W008", a, "");
    assert_eq!(w.expected, b);
    assert!(w.message.contains("其余项目照常计入"), "{}", w.message);
    assert_eq!(r.one("W217", a, &code_cell(2)).project_code, nc[2].code);
}

#[test]
fn two_files_ordered_by_name_only_say_so() {
    let nc = of("南昌市");
    let first: Vec<Row> = nc.iter().map(|p| clean(p)).collect();
    let mut second = first.clone();
    second[0] = corrected(nc[0]);
    let (a, b) = ("南昌市新基建台账A.xlsx", "南昌市新基建台账B.xlsx");
    let fx = Fx::new();
    // Same 填报时间 and the same file time: only the names order them (B later).
    fx.put(a, &Ledger::of("南昌市", 3, first))
        .put(b, &Ledger::of("南昌市", 3, second.clone()));
    fx.same_mtime(&[a, b]);
    let r = fx.run();
    assert_eq!(
        r.fired(),
        ids(&[("W008", a, ""), ("W217", a, &code_cell(0))]),
        "{}",
        r.dump()
    );
    let by = format!("superseded by {b}");
    assert_eq!(
        r.input(a),
        entry("南昌市", "superseded", (0, 0), &[(&by, nc.len())])
    );
    assert_eq!(r.input(b), entry("南昌市", "ok", (nc.len(), 0), &[]));
    assert_eq!(r.unit("南昌市"), totals(nc.len(), &second));
    for f in [r.one("W217", a, &code_cell(0)), r.one("W008", a, "")] {
        assert!(f.message.contains("仅按文件名排序在后"), "{}", f.message);
        assert!(f.message.contains("请核实"), "{}", f.message);
    }
}

#[test]
fn same_project_in_two_units_is_still_a_cross_unit_duplicate() {
    // 南昌市 sends two parts; 赣江新区 also reports one of 南昌市's projects.
    let nc = of("南昌市");
    let gj = of("赣江新区");
    let rows: Vec<Row> = nc.iter().map(|p| clean(p)).collect();
    let half = rows.len() / 2;
    let (a, b, g) = (
        "南昌市新基建台账（一）.xlsx",
        "南昌市新基建台账（二）.xlsx",
        "赣江新区新基建项目2023年7月进展.xlsx",
    );
    let mut gj_rows: Vec<Row> = gj.iter().map(|p| clean(p)).collect();
    gj_rows.push(clean(nc[0]));
    let fx = Fx::new();
    fx.put(a, &Ledger::of("南昌市", 3, rows[..half].to_vec()))
        .put(b, &Ledger::of("南昌市", 4, rows[half..].to_vec()))
        .put(g, &Ledger::of("赣江新区", 3, gj_rows.clone()));
    let r = fx.run();
    let dup = code_cell(gj.len());
    assert_eq!(
        r.fired(),
        ids(&[("E204", g, &dup), ("W205", g, &dup)]),
        "{}",
        r.dump()
    );
    assert_eq!(r.input(a), entry("南昌市", "ok", (half, 0), &[]));
    assert_eq!(r.input(g), entry("赣江新区", "ok", (gj.len(), 1), &[]));
    assert_eq!(r.unit("南昌市"), totals(nc.len(), &rows));
    assert_eq!(r.unit("赣江新区"), totals(gj.len(), &gj_rows[..gj.len()]));
}

// ---------------------------------------------------------------- unit of a file

#[test]
fn unit_from_the_projects_when_nothing_names_it() {
    let jj = of("九江市");
    // 4 of 5 projects are 九江市's (80%), one is 南昌市's.
    let mut rows: Vec<Row> = jj[..4].iter().map(|p| clean(p)).collect();
    let stray = clean(of("南昌市")[0]);
    rows.push(stray);
    let name = "附件2.xlsx";
    let fx = Fx::new();
    fx.put(name, &Ledger::anonymous(rows.clone()));
    let r = fx.run();
    assert_eq!(
        r.fired(),
        ids(&[("W011", name, ""), ("W205", name, &code_cell(4))]),
        "{}",
        r.dump()
    );
    let w = r.one("W011", name, "");
    assert_eq!((w.unit.as_str(), w.expected.as_str()), ("九江市", "九江市"));
    assert!(
        w.message.contains("5 个项目中 4 个（80%）属于九江市"),
        "{}",
        w.message
    );
    assert_eq!(r.input(name), entry("九江市", "ok", (5, 0), &[]));
    // 九江市 reported (its 4 projects), 南昌市's project counted for its owner.
    assert_eq!(r.unit("九江市"), totals(jj.len(), &rows[..4]));
    assert_eq!(r.unit("南昌市").1, 1);
    assert!(!r
        .findings
        .iter()
        .any(|f| f.id == "W402" && f.unit == "九江市"));
}

#[test]
fn projects_split_between_units_leave_the_file_refused() {
    let mut rows: Vec<Row> = of("九江市")[..3].iter().map(|p| clean(p)).collect();
    rows.extend(of("南昌市")[..2].iter().map(|p| clean(p)));
    let name = "附件3.xlsx";
    let fx = Fx::new();
    fx.put(name, &Ledger::anonymous(rows));
    let r = fx.run();
    assert_eq!(r.fired(), ids(&[("E007", name, "")]), "{}", r.dump());
    let e = r.one("E007", name, "");
    assert!(
        e.message.contains("九江市 3 个、南昌市 2 个"),
        "{}",
        e.message
    );
    assert_eq!(r.input(name), entry("", "rejected", (0, 5), &[]));
}

#[test]
fn conflicting_unit_evidence_names_both() {
    let jj = of("九江市");
    let rows: Vec<Row> = jj.iter().map(|p| clean(p)).collect();
    // The file name says 南昌, the 填报单位 line is empty, the projects are 九江市's.
    let name = "南昌市新基建项目调度表（2023年7月）.xlsx";
    let fx = Fx::new();
    fx.put(name, &Ledger::anonymous(rows.clone()));
    let r = fx.run();
    let mut want = vec![("W012", name, String::new())];
    want.extend((0..jj.len()).map(|i| ("W205", name, code_cell(i))));
    let want: Vec<(&str, &str, &str)> = want.iter().map(|(a, b, c)| (*a, *b, c.as_str())).collect();
    assert_eq!(r.fired(), ids(&want), "{}", r.dump());
    let w = r.one("W012", name, "");
    assert_eq!(
        (w.value.as_str(), w.expected.as_str()),
        ("南昌市", "九江市")
    );
    assert!(w.message.contains("文件名为南昌市"), "{}", w.message);
    assert!(
        w.message.contains(&format!(
            "{} 个项目中 {} 个（100%）属于九江市",
            jj.len(),
            jj.len()
        )),
        "{}",
        w.message
    );
    // The file stays 南昌市's (the file name decides); its rows count for their owner.
    assert_eq!(r.input(name), entry("南昌市", "ok", (jj.len(), 0), &[]));
    assert_eq!(r.unit("九江市"), totals(jj.len(), &rows));
    assert_eq!(r.unit("南昌市").1, 0);
}

#[test]
fn file_name_and_fill_line_naming_two_units_is_flagged() {
    let nc = of("南昌市");
    let rows: Vec<Row> = nc.iter().map(|p| clean(p)).collect();
    let name = "九江市新基建项目调度表（2023年7月）.xlsx";
    let fx = Fx::new();
    fx.put(name, &Ledger::of("南昌市", 3, rows.clone()));
    let r = fx.run();
    let w = r.one("W012", name, "");
    assert!(w.message.contains("文件名为九江市"), "{}", w.message);
    assert!(w.message.contains("“填报单位”行为南昌市"), "{}", w.message);
    assert!(w.message.contains("属于南昌市"), "{}", w.message);
    assert_eq!(
        (w.value.as_str(), w.expected.as_str()),
        ("九江市", "南昌市")
    );
    assert_eq!(r.unit("南昌市"), totals(nc.len(), &rows));
}
