//! Fill-in templates (issue 13): `taizhang templates` for every unit of the
//! samples (all three programs), filled in here — only cells whose style is
//! unlocked, the 合计 formulas' results updated as a spreadsheet would — and
//! read back through the real `taizhang run`: exact totals, no header
//! finding, no rejection. Tampering (a locked cell changed, another unit's
//! template, another period's, a row added) gives its finding at its cell; a
//! template re-saved by LibreOffice reads the same.

use assert_cmd::Command;
use calamine::{Data, Reader};
use regex::Regex;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::common::{root, run_once};

const PERIOD: &str = "2023-08";

/// Templates of `period` written from the samples' store into a temp folder.
fn generate(period: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(root())
        .args(["templates", "--period", period, "--out"])
        .arg(dir.path())
        .arg("--store")
        .arg(run_once().join("history"))
        .assert()
        .success();
    let folder = dir.path().join("模板").join(period);
    (dir, folder)
}

/// The August templates, generated once for the tests that only read them.
fn august() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| generate(PERIOD)).1
}

fn files_in(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

// ------------------------------------------------------------ xlsx parts

fn part(bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

/// The workbook with some parts replaced (every other part kept as is).
fn rezip(bytes: &[u8], replace: &BTreeMap<String, String>) -> Vec<u8> {
    let mut src = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..src.len() {
        let mut f = src.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if let Some(text) = replace.get(&name) {
            data = text.as_bytes().to_vec();
        }
        out.start_file(name, opts).unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// The `taizhang.` custom properties.
fn identity(bytes: &[u8]) -> BTreeMap<String, String> {
    let xml = part(bytes, "docProps/custom.xml");
    let re = Regex::new(r#"name="(taizhang\.[^"]+)"><vt:lpwstr>([^<]*)<"#).unwrap();
    re.captures_iter(&xml)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect()
}

/// The zip path of the sheet named `name`.
fn sheet_part(bytes: &[u8], name: &str) -> String {
    let wb = part(bytes, "xl/workbook.xml");
    let tag = Regex::new(r"<sheet [^>]*>").unwrap();
    let rid = Regex::new(r#"r:id="([^"]+)""#).unwrap();
    let sheet = tag
        .find_iter(&wb)
        .map(|m| m.as_str())
        .find(|t| t.contains(&format!("name=\"{name}\"")))
        .unwrap();
    let id = rid.captures(sheet).unwrap()[1].to_string();
    let rels = part(bytes, "xl/_rels/workbook.xml.rels");
    let rel = Regex::new(r"<Relationship [^>]*>").unwrap();
    let target = Regex::new(r#"Target="([^"]+)""#).unwrap();
    let r = rel
        .find_iter(&rels)
        .map(|m| m.as_str())
        .find(|t| t.contains(&format!("Id=\"{id}\"")))
        .unwrap();
    let t = target.captures(r).unwrap()[1].to_string();
    match t.strip_prefix('/') {
        Some(abs) => abs.to_string(),
        None => format!("xl/{t}"),
    }
}

/// Indexes of the cell formats (`cellXfs`) that are unlocked.
fn unlocked_styles(bytes: &[u8]) -> HashSet<usize> {
    let styles = part(bytes, "xl/styles.xml");
    let start = styles.find("<cellXfs").unwrap();
    let end = styles[start..].find("</cellXfs>").unwrap() + start;
    styles[start..end]
        .split("<xf ")
        .skip(1)
        .enumerate()
        .filter(|(_, xf)| xf.contains("locked=\"0\""))
        .map(|(i, _)| i)
        .collect()
}

enum Val {
    Num(String),
    Text(String),
}

/// A workbook being filled: the ledger sheet's XML edited cell by cell.
struct Filling {
    bytes: Vec<u8>,
    part: String,
    xml: String,
    unlocked: HashSet<usize>,
    id: BTreeMap<String, String>,
}

impl Filling {
    fn new(bytes: &[u8]) -> Filling {
        let part = sheet_part(bytes, "填报表");
        Filling {
            xml: self::part(bytes, &part),
            part,
            unlocked: unlocked_styles(bytes),
            id: identity(bytes),
            bytes: bytes.to_vec(),
        }
    }

    fn num(&self, key: &str) -> u32 {
        self.id[&format!("taizhang.{key}")].parse().unwrap()
    }

    /// Column letters of a field.
    fn col(&self, field: &str) -> Option<String> {
        self.id
            .iter()
            .find(|(k, v)| k.starts_with("taizhang.col.") && v.as_str() == field)
            .map(|(k, _)| k["taizhang.col.".len()..].to_string())
    }

    /// Writes a cell; `clerk`: only an unlocked cell may be written.
    fn set(&mut self, cell: &str, v: Val, clerk: bool) {
        let re = Regex::new(&format!(r#"<c r="{cell}"([^>]*?)(/>|>.*?</c>)"#)).unwrap();
        let caps = re
            .captures(&self.xml)
            .unwrap_or_else(|| panic!("no cell {cell}"));
        let attrs = caps[1].to_string();
        let style = Regex::new(r#"s="(\d+)""#)
            .unwrap()
            .captures(&attrs)
            .map(|c| c[1].parse::<usize>().unwrap())
            .unwrap_or(0);
        if clerk {
            assert!(self.unlocked.contains(&style), "{cell} is locked");
        }
        let s = format!(" s=\"{style}\"");
        let new = match v {
            Val::Num(n) => format!("<c r=\"{cell}\"{s}><v>{n}</v></c>"),
            Val::Text(t) => {
                format!("<c r=\"{cell}\"{s} t=\"inlineStr\"><is><t>{t}</t></is></c>")
            }
        };
        let range = caps.get(0).unwrap().range();
        self.xml.replace_range(range, &new);
    }

    /// The cached result of a formula cell (what a spreadsheet computes on save).
    fn set_result(&mut self, cell: &str, v: &str) {
        let re = Regex::new(&format!(
            r#"<c r="{cell}"([^>]*?)>(<f>[^<]*</f>)(<v>[^<]*</v>)?</c>"#
        ))
        .unwrap();
        let caps = re
            .captures(&self.xml)
            .unwrap_or_else(|| panic!("no formula {cell}"));
        let new = format!("<c r=\"{cell}\"{}>{}<v>{v}</v></c>", &caps[1], &caps[2]);
        let range = caps.get(0).unwrap().range();
        self.xml.replace_range(range, &new);
    }

    /// Swaps two rows of the sheet, cells and all (a clerk who lifted the
    /// protection and sorted the rows).
    fn swap_rows(&mut self, a: u32, b: u32) {
        let row = |r: u32| Regex::new(&format!(r#"<row r="{r}"[^>]*>(.*?)</row>"#)).unwrap();
        let inner = |x: &str, r: u32| -> (std::ops::Range<usize>, String) {
            let caps = row(r).captures(x).unwrap_or_else(|| panic!("no row {r}"));
            let m = caps.get(1).unwrap();
            (m.range(), m.as_str().to_string())
        };
        let renumber = |cells: &str, from: u32, to: u32| {
            Regex::new(&format!(r#"r="([A-Z]+){from}""#))
                .unwrap()
                .replace_all(cells, format!(r#"r="${{1}}{to}""#))
                .to_string()
        };
        let (ra, ca) = inner(&self.xml, a);
        let (rb, cb) = inner(&self.xml, b);
        assert!(ra.end < rb.start, "rows in order");
        self.xml.replace_range(rb, &renumber(&ca, a, b));
        self.xml.replace_range(ra, &renumber(&cb, b, a));
    }

    fn finish(self) -> Vec<u8> {
        rezip(&self.bytes, &BTreeMap::from([(self.part, self.xml)]))
    }
}

fn wan(yuan: i64) -> String {
    format!("{}.{:04}", yuan / 10_000, yuan % 10_000)
}

/// What a filled template should count for.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Filled {
    rows: usize,
    month_yuan: i64,
    ytd_yuan: i64,
    done: usize,
    on_schedule: usize,
}

/// Fills every sent row of a template as a clerk would: only unlocked cells.
fn fill(bytes: &[u8]) -> (Vec<u8>, Filled) {
    let mut f = Filling::new(bytes);
    let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let range = wb.worksheet_range("填报表").unwrap();
    let header = f.num("header_row") as usize - 1;
    let col_of_header = |prefix: &str| {
        (0..range.width()).find(|&c| {
            range
                .get((header, c))
                .is_some_and(|d| d.to_string().starts_with(prefix))
        })
    };
    let prev_ytd = col_of_header("上月累计");
    let prev_state = col_of_header("上月状态").unwrap();
    let first = f.num("first_row");
    let n = f.num("sent_rows");
    let total_row = f.num("total_row");
    let mut out = Filled {
        rows: n as usize,
        ..Default::default()
    };
    let investment = f.col("code").is_some();
    for i in 0..n {
        let r = first + i;
        let prev = range
            .get(((r - 1) as usize, prev_state))
            .map(|d| d.to_string())
            .unwrap_or_default();
        let cell = |f: &Filling, field: &str| format!("{}{r}", f.col(field).unwrap());
        let progress = cell(&f, "progress");
        f.set(&progress, Val::Text("本月按计划推进".into()), true);
        if investment {
            let before = prev_ytd
                .and_then(|c| range.get(((r - 1) as usize, c)))
                .map(|d| match d {
                    Data::Float(x) => (x * 10_000.0).round() as i64,
                    _ => 0,
                })
                .unwrap_or(0);
            let month = 10_000 + i64::from(i % 4) * 2_500;
            let (m, y, s) = (
                cell(&f, "month_done"),
                cell(&f, "ytd_done"),
                cell(&f, "status"),
            );
            f.set(&m, Val::Num(wan(month)), true);
            f.set(&y, Val::Num(wan(before + month)), true);
            let status = if prev.is_empty() || prev == "未开工" {
                "在建".to_string()
            } else {
                prev
            };
            f.set(&s, Val::Text(status), true);
            out.month_yuan += month;
            out.ytd_yuan += before + month;
        } else {
            let s = cell(&f, "state");
            if prev == "已完成" {
                f.set(&s, Val::Text("已完成".into()), true);
                let d = cell(&f, "done_date");
                f.set(&d, Val::Num("45138".into()), true); // 2023-07-31
                out.done += 1;
            } else {
                f.set(&s, Val::Text("按序时推进".into()), true);
                out.on_schedule += 1;
            }
        }
    }
    if investment {
        for (field, sum) in [("month_done", out.month_yuan), ("ytd_done", out.ytd_yuan)] {
            let c = format!("{}{total_row}", f.col(field).unwrap());
            f.set_result(&c, &wan(sum));
        }
    }
    (f.finish(), out)
}

// ------------------------------------------------------------- running

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// `taizhang run --period 2023-08` over `files`, against a copy of the
/// samples' store (January to July) in the output folder's `history`.
fn run(files: &[(String, Vec<u8>)]) -> (tempfile::TempDir, PathBuf) {
    run_with(files, &[])
}

/// [`run`] with more arguments.
fn run_with(
    files: &[(String, Vec<u8>)],
    args: &[&std::ffi::OsStr],
) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    let month = inbox.join(PERIOD);
    std::fs::create_dir_all(&month).unwrap();
    for (name, bytes) in files {
        std::fs::write(month.join(name), bytes).unwrap();
    }
    let out = dir.path().join("out");
    copy_dir(&run_once().join("history"), &out.join("history"));
    Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(root())
        .args(["run", "--quiet", "--period", PERIOD, "--inbox"])
        .arg(&inbox)
        .arg("--out")
        .arg(&out)
        .args(args)
        .assert()
        .success();
    (dir, out)
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn manifest(out: &Path, program: &str) -> Value {
    json(&out.join(program).join(PERIOD).join("manifest.json"))
}

/// The findings of a program's store entry, every key (the entry leaves
/// empty ones out).
fn findings(out: &Path, program: &str) -> Vec<Value> {
    let period = taizhang::model::Period::parse_period(PERIOD).unwrap();
    let entry = taizhang::pipeline::store::Store::new(out.join("history"))
        .load(program, period)
        .unwrap()
        .unwrap();
    entry
        .findings
        .iter()
        .map(|f| serde_json::to_value(f).unwrap())
        .collect()
}

const PROGRAMS: [(&str, &str); 3] = [
    ("new-infra", "新基建项目"),
    ("digital-economy", "数字经济重点项目"),
    ("work-plan", "数字经济工作计划"),
];

fn of_program<'a>(
    files: &'a [(String, Vec<u8>)],
    name: &'a str,
) -> impl Iterator<Item = &'a (String, Vec<u8>)> + 'a {
    files
        .iter()
        .filter(move |(n, _)| n.contains(&format!("-{name}填报模板-")))
}

// --------------------------------------------------------------- tests

#[test]
fn every_unit_gets_a_template_that_reads_back_exactly() {
    let files = files_in(august());
    // One template per unit owning projects (items) in the library: the
    // units of July's store entry.
    for (program, name) in PROGRAMS {
        let july = json(
            &run_once()
                .join("history")
                .join(program)
                .join("2023-07.json"),
        );
        let mut units: BTreeSet<String> = BTreeSet::new();
        for key in ["records", "tasks"] {
            for r in july[key].as_array().into_iter().flatten() {
                units.insert(r["unit"].as_str().unwrap().to_string());
            }
        }
        let got: BTreeSet<String> = of_program(&files, name)
            .map(|(n, _)| n.split('-').next().unwrap().to_string())
            .collect();
        assert_eq!(got, units, "{program}");
    }
    // The identity and the sheet's protections.
    let (n0, b0) = of_program(&files, "新基建项目").next().unwrap();
    let id = identity(b0);
    assert_eq!(id["taizhang.program"], "new-infra", "{n0}");
    assert_eq!(id["taizhang.period"], PERIOD);
    assert_eq!(id["taizhang.version"], "1");
    let sheet = part(b0, &sheet_part(b0, "填报表"));
    assert!(sheet.contains("<sheetProtection") && !sheet.contains("password"));
    for want in ["type=\"list\"", "type=\"decimal\"", "type=\"custom\""] {
        assert!(sheet.contains(want), "{want}");
    }
    // Same inputs, same bytes.
    let (_again, dir) = generate(PERIOD);
    assert_eq!(files_in(&dir), files);

    let mut filled = Vec::new();
    let mut expect: BTreeMap<&str, Filled> = BTreeMap::new();
    for (program, name) in PROGRAMS {
        let e = expect.entry(program).or_default();
        for (n, b) in of_program(&files, name) {
            let (bytes, f) = fill(b);
            e.rows += f.rows;
            e.month_yuan += f.month_yuan;
            e.ytd_yuan += f.ytd_yuan;
            e.done += f.done;
            e.on_schedule += f.on_schedule;
            filled.push((n.clone(), bytes));
        }
    }
    let (_dir, out) = run(&filled);
    for (program, _) in PROGRAMS {
        let m = manifest(&out, program);
        let e = expect[program];
        let inputs = m["inputs"].as_array().unwrap();
        let fs = findings(&out, program);
        let bad: Vec<&Value> = fs
            .iter()
            .filter(|f| {
                let id = f["id"].as_str().unwrap();
                f["severity"] == "error" || id.starts_with("W1") || id.starts_with("E1")
            })
            .collect();
        assert!(bad.is_empty(), "{program}: {bad:#?}");
        let accepted: u64 = inputs.iter().map(|i| i["accepted"].as_u64().unwrap()).sum();
        let rejected: u64 = inputs.iter().map(|i| i["rejected"].as_u64().unwrap()).sum();
        assert_eq!((accepted, rejected), (e.rows as u64, 0), "{program}");
        assert!(inputs.iter().all(|i| i["status"] == "ok"), "{program}");
        let t = &m["totals"];
        if program == "work-plan" {
            assert_eq!(t["not_reported"], 0);
            assert_eq!(t["done"].as_u64().unwrap() as usize, e.done);
            assert_eq!(t["on_schedule"].as_u64().unwrap() as usize, e.on_schedule);
            assert_eq!(t["assignments"].as_u64().unwrap() as usize, e.rows);
        } else {
            assert_eq!(
                t["projects"].as_u64().unwrap() as usize,
                e.rows,
                "{program}"
            );
            assert_eq!(t["reported"], t["projects"], "{program}");
            assert_eq!(
                t["month_done_yuan"].as_i64().unwrap(),
                e.month_yuan,
                "{program}"
            );
            assert_eq!(
                t["ytd_done_yuan"].as_i64().unwrap(),
                e.ytd_yuan,
                "{program}"
            );
        }
    }
}

fn template_of<'a>(files: &'a [(String, Vec<u8>)], unit: &str, name: &str) -> &'a [u8] {
    &files
        .iter()
        .find(|(n, _)| n.starts_with(&format!("{unit}-{name}填报模板-")))
        .unwrap_or_else(|| panic!("no template {unit} {name}"))
        .1
}

fn finding_at<'a>(fs: &'a [Value], id: &str, file: &str, cell: &str) -> &'a Value {
    fs.iter()
        .find(|f| f["id"] == id && f["file"] == file && f["cell"] == cell)
        .unwrap_or_else(|| panic!("no {id} at {file} {cell}: {fs:#?}"))
}

#[test]
fn tampered_templates_give_their_findings_at_their_cells() {
    let files = files_in(august());
    let name = "新基建项目";
    // A locked code and a locked plan changed (the clerk lifted the protection).
    let (b, _) = fill(template_of(&files, "南昌市", name));
    let mut f = Filling::new(&b);
    let first = f.num("first_row");
    let code_cell = format!("{}{}", f.col("code").unwrap(), first);
    let plan_cell = format!("{}{}", f.col("annual_plan").unwrap(), first + 1);
    f.set(
        &code_cell,
        Val::Text("2023-360100-64-03-999001".into()),
        false,
    );
    f.set(&plan_cell, Val::Num("1.5".into()), false);
    let locked = f.finish();
    // 九江市's template sent under 萍乡市's name.
    let (other_unit, _) = fill(template_of(&files, "九江市", name));
    // July's template of 上饶市 in the August folder.
    let (_jdir, july_dir) = generate("2023-07");
    let july_files = files_in(&july_dir);
    let (july, _) = fill(template_of(&july_files, "上饶市", name));
    // A 新增项目 in the first blank row of 吉安市's.
    let (b, _) = fill(template_of(&files, "吉安市", name));
    let mut f = Filling::new(&b);
    let blank = f.num("first_row") + f.num("sent_rows");
    let added_cell = format!("{}{blank}", f.col("code").unwrap());
    for (field, v) in [
        ("code", Val::Text("2023-360800-64-03-777777".into())),
        ("name", Val::Text("吉安新增测试项目".into())),
        ("month_done", Val::Num("10".into())),
        ("ytd_done", Val::Num("10".into())),
        ("status", Val::Text("在建".into())),
    ] {
        let c = format!("{}{blank}", f.col(field).unwrap());
        f.set(&c, v, true);
    }
    let added = f.finish();
    let inbox = vec![
        (
            "南昌市-新基建项目填报模板-2023年08月.xlsx".to_string(),
            locked,
        ),
        (
            "萍乡市-新基建项目填报模板-2023年08月.xlsx".to_string(),
            other_unit,
        ),
        (
            "上饶市-新基建项目填报模板-2023年07月.xlsx".to_string(),
            july,
        ),
        (
            "吉安市-新基建项目填报模板-2023年08月.xlsx".to_string(),
            added,
        ),
    ];
    let (_dir, out) = run(&inbox);
    let fs = findings(&out, "new-infra");
    let e105 = finding_at(&fs, "E105", &inbox[0].0, &code_cell);
    assert_eq!(e105["severity"], "error");
    assert_eq!(e105["value"], "2023-360100-64-03-999001");
    let w106 = finding_at(&fs, "W106", &inbox[0].0, &plan_cell);
    assert_eq!(w106["value"], "1.5");
    let e014 = finding_at(&fs, "E014", &inbox[1].0, "");
    let msg = e014["message"].as_str().unwrap();
    assert!(
        msg.contains("九江市的填报模板") && msg.contains("萍乡市"),
        "{msg}"
    );
    let e013 = finding_at(&fs, "E013", &inbox[2].0, "");
    let msg = e013["message"].as_str().unwrap();
    assert!(
        msg.contains("2023年7月") && msg.contains("2023年8月"),
        "{msg}"
    );
    finding_at(&fs, "E201", &inbox[3].0, &added_cell);
    // No header guessing on any of them.
    assert!(!fs.iter().any(|f| f["id"] == "W104"));
    let m = manifest(&out, "new-infra");
    let status = |file: &str| {
        m["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["file"] == file)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status(&inbox[1].0), "rejected");
    assert_eq!(status(&inbox[2].0), "rejected");
    assert_eq!(status(&inbox[0].0), "ok");
}

fn soffice() -> Option<PathBuf> {
    ["/usr/bin/soffice", "/usr/local/bin/soffice"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

#[test]
fn a_template_resaved_by_libreoffice_reads_identically() {
    let Some(soffice) = soffice() else {
        println!("soffice not installed: LibreOffice round trip not tested");
        return;
    };
    let picked = two_filled();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let dst = tmp.path().join("lo");
    std::fs::create_dir_all(&src).unwrap();
    for (n, b) in &picked {
        std::fs::write(src.join(n), b).unwrap();
    }
    let profile = format!(
        "-env:UserInstallation=file://{}",
        tmp.path().join("profile").display()
    );
    let status = std::process::Command::new(soffice)
        .arg(profile)
        .args(["--headless", "--convert-to", "xlsx", "--outdir"])
        .arg(&dst)
        .args(picked.iter().map(|(n, _)| src.join(n)))
        .status()
        .unwrap();
    assert!(status.success());
    let resaved: Vec<(String, Vec<u8>)> = picked
        .iter()
        .map(|(n, _)| (n.clone(), std::fs::read(dst.join(n)).unwrap()))
        .collect();
    for ((n, a), (_, b)) in picked.iter().zip(&resaved) {
        assert_ne!(a, b, "{n}: LibreOffice wrote the same bytes?");
        assert_eq!(identity(a), identity(b), "{n}");
    }
    let (_d1, out1) = run(&picked);
    let (_d2, out2) = run(&resaved);
    same_reading(&out1, &out2, true);
}

/// Two runs read the same records (and, with `findings`, the same findings),
/// totals and row accounting.
fn same_reading(out1: &Path, out2: &Path, findings: bool) {
    for program in ["new-infra", "work-plan"] {
        let entry = |out: &Path| {
            let v = json(
                &out.join("history")
                    .join(program)
                    .join(format!("{PERIOD}.json")),
            );
            let f = if findings {
                v["findings"].clone()
            } else {
                Value::Null
            };
            (v["records"].clone(), v["tasks"].clone(), f)
        };
        assert_eq!(entry(out1), entry(out2), "{program}");
        let m = |out: &Path| {
            let v = manifest(out, program);
            let inputs: Vec<(Value, Value, Value)> = v["inputs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    (
                        i["rows_read"].clone(),
                        i["accepted"].clone(),
                        i["rejected"].clone(),
                    )
                })
                .collect();
            (v["totals"].clone(), inputs)
        };
        assert_eq!(m(out1), m(out2), "{program}");
    }
}

/// Filled templates of two units, 南昌市's 新基建 and 萍乡市's 工作计划.
fn two_filled() -> Vec<(String, Vec<u8>)> {
    let files = files_in(august());
    [("南昌市", "新基建项目"), ("萍乡市", "数字经济工作计划")]
        .iter()
        .map(|(u, n)| {
            let (name, bytes) = files
                .iter()
                .find(|(f, _)| f.starts_with(&format!("{u}-{n}填报模板-")))
                .unwrap();
            (name.clone(), fill(bytes).0)
        })
        .collect()
}

#[test]
fn a_template_that_lost_its_identity_still_reads_through_its_headers() {
    let picked = two_filled();
    let empty = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties\"/>";
    let stripped: Vec<(String, Vec<u8>)> = picked
        .iter()
        .map(|(n, b)| {
            let replace = BTreeMap::from([("docProps/custom.xml".to_string(), empty.to_string())]);
            (n.clone(), rezip(b, &replace))
        })
        .collect();
    assert!(identity(&stripped[0].1).is_empty());
    let (_d1, out1) = run(&picked);
    let (_d2, out2) = run(&stripped);
    // Header discovery finds the same columns, so the same figures; only
    // the template's own checks are missing.
    same_reading(&out1, &out2, false);
}

#[test]
fn a_template_of_an_older_library_is_checked_row_by_row() {
    let files = files_in(august());
    let (bytes, _) = fill(template_of(&files, "南昌市", "新基建项目"));
    let name = "南昌市-新基建项目填报模板-2023年08月.xlsx".to_string();
    // The library renames one of 南昌市's projects after the template went out.
    let lib = std::fs::read(root().join("seeds").join("new-infra-library.xlsx")).unwrap();
    let sst = part(&lib, "xl/sharedStrings.xml");
    assert!(sst.contains(">南昌城市大脑二期<"));
    let renamed = sst.replace(">南昌城市大脑二期<", ">南昌城市大脑二期项目<");
    let tmp = tempfile::tempdir().unwrap();
    let lib_path = tmp.path().join("新基建项目库.xlsx");
    std::fs::write(
        &lib_path,
        rezip(
            &lib,
            &BTreeMap::from([("xl/sharedStrings.xml".to_string(), renamed)]),
        ),
    )
    .unwrap();
    let args = [
        std::ffi::OsStr::new("--pipeline"),
        std::ffi::OsStr::new("new-infra"),
        std::ffi::OsStr::new("--library"),
        lib_path.as_os_str(),
    ];
    let (_dir, out) = run_with(&[(name.clone(), bytes)], &args);
    let fs = findings(&out, "new-infra");
    finding_at(&fs, "W107", &name, "");
    assert!(!fs.iter().any(|f| f["id"] == "E105" || f["id"] == "W106"));
    // The row is still checked against the library: its name now differs.
    assert!(fs
        .iter()
        .any(|f| f["id"] == "W202" && f["file"] == name.as_str()));
}

#[test]
fn sorted_rows_of_a_template_are_found_by_their_code_not_their_place() {
    let files = files_in(august());
    let name = "新基建项目";
    let (b, filled) = fill(template_of(&files, "南昌市", name));
    let mut f = Filling::new(&b);
    let first = f.num("first_row");
    f.swap_rows(first, first + 2);
    let sorted = f.finish();
    let (_d, out) = run(&[(format!("南昌市-{name}填报模板-2023年08月.xlsx"), sorted)]);
    let bad: Vec<String> = findings(&out, "new-infra")
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .filter(|id| id.starts_with('E') || id == "W106")
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
    let m = manifest(&out, "new-infra");
    let unit = m["by_unit"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit"] == "南昌市")
        .unwrap();
    assert_eq!(unit["reported"].as_u64().unwrap() as usize, filled.rows);
    assert_eq!(unit["month_done_yuan"].as_i64().unwrap(), filled.month_yuan);
    assert_eq!(unit["ytd_done_yuan"].as_i64().unwrap(), filled.ytd_yuan);
}
