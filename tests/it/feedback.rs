//! Feedback workbooks (退回修改) from the CLI on the samples: every planted
//! mistake reaches its unit's workbook, listed on the summary sheet and, at its
//! cell, on the re-rendered sheet holding the value the unit typed, with a note
//! naming the check; clean units get none; reruns are byte-identical.

use assert_cmd::Command;
use calamine::{open_workbook_auto, open_workbook_auto_from_rs, Data, Reader};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const SUMMARY: &str = "退回修改说明";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run_into(dir: &Path) {
    Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(root())
        .args(["run", "--quiet", "--out"])
        .arg(dir)
        .assert()
        .success();
}

/// Runs the CLI once on the samples into a temp folder shared by these tests.
fn run_once() -> &'static Path {
    static OUT: OnceLock<tempfile::TempDir> = OnceLock::new();
    OUT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        run_into(dir.path());
        dir
    })
    .path()
}

fn planted() -> Vec<Value> {
    serde_json::from_str(&std::fs::read_to_string(root().join("samples/planted.json")).unwrap())
        .unwrap()
}

fn feedback_dir(out: &Path, program: &str, period: &str) -> PathBuf {
    out.join(program).join(period).join("feedback")
}

fn feedback_path(out: &Path, program: &str, period: &str, unit: &str) -> PathBuf {
    feedback_dir(out, program, period).join(format!("{unit}-退回修改-{period}.xlsx"))
}

fn range(path: &Path, sheet: &str) -> calamine::Range<Data> {
    let mut wb = open_workbook_auto(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    wb.worksheet_range(sheet)
        .unwrap_or_else(|e| panic!("{} {sheet}: {e}", path.display()))
}

/// The original sample, read whatever its extension says (宜春市 saves xlsx as .xls).
fn original_range(period: &str, file: &str, sheet: &str) -> calamine::Range<Data> {
    let path = root().join("samples/inbox").join(period).join(file);
    let bytes = std::fs::read(&path).unwrap();
    let mut wb = open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    wb.worksheet_range(sheet).unwrap()
}

/// 0-based (row, col) of an A1 address.
fn a1(cell: &str) -> (u32, u32) {
    let letters: String = cell
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let row: u32 = cell[letters.len()..].parse().unwrap();
    let col = letters
        .chars()
        .fold(0u32, |acc, c| acc * 26 + (c as u32 - 'A' as u32 + 1));
    (row - 1, col - 1)
}

fn zip_text(zip: &mut zip::ZipArchive<std::fs::File>, name: &str) -> Option<String> {
    let mut f = zip.by_name(name).ok()?;
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    Some(s)
}

/// The value of `attr="…"` inside one XML tag.
fn attr(tag: &str, name: &str) -> Option<String> {
    let tag = format!(" {tag}");
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].to_string())
}

/// The `<comment>` elements of the comments part of worksheet `sheet`, by cell ref.
fn notes_of(path: &Path, sheet: &str) -> BTreeMap<String, String> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let workbook = zip_text(&mut zip, "xl/workbook.xml").unwrap();
    let rid = workbook
        .split("<sheet ")
        .skip(1)
        .find(|t| attr(t, "name").as_deref() == Some(sheet))
        .and_then(|t| attr(t, "r:id"))
        .unwrap_or_else(|| panic!("no sheet {sheet} in workbook.xml"));
    let rels = zip_text(&mut zip, "xl/_rels/workbook.xml.rels").unwrap();
    let target = rels
        .split("<Relationship ")
        .skip(1)
        .find(|t| attr(t, "Id").as_deref() == Some(rid.as_str()))
        .and_then(|t| attr(t, "Target"))
        .unwrap();
    let file = target.rsplit('/').next().unwrap().to_string();
    let sheet_rels = zip_text(&mut zip, &format!("xl/worksheets/_rels/{file}.rels"))
        .unwrap_or_else(|| panic!("sheet {sheet} has no relationships (no notes)"));
    let comments = sheet_rels
        .split("<Relationship ")
        .skip(1)
        .filter_map(|t| attr(t, "Target"))
        .find(|t| t.contains("comments"))
        .unwrap_or_else(|| panic!("sheet {sheet} has no comments part"));
    let part = format!("xl/{}", comments.trim_start_matches("../"));
    assert!(
        part.starts_with("xl/comments") && part.ends_with(".xml"),
        "{part}"
    );
    let xml = zip_text(&mut zip, &part).unwrap();
    xml.split("<comment ")
        .skip(1)
        .map(|c| {
            let body = c.split("</comment>").next().unwrap();
            (attr(c, "ref").unwrap(), body.to_string())
        })
        .collect()
}

fn all_cells_text(r: &calamine::Range<Data>) -> Vec<String> {
    r.rows().flatten().map(|d| d.to_string()).collect()
}

#[test]
fn feedback_every_planted_mistake_reaches_its_units_workbook() {
    let out = run_once();
    let planted = planted();
    assert!(planted.len() >= 5);
    for p in &planted {
        let s = |k: &str| p[k].as_str().unwrap();
        let (program, period, unit, check) = (s("program"), s("period"), s("unit"), s("check"));
        let (file, sheet, cell) = (s("file"), s("sheet"), s("cell"));
        let path = feedback_path(out, program, period, unit);
        assert!(path.exists(), "no feedback workbook {}", path.display());

        // Summary sheet: the check id is listed (count table, to-do list, detail).
        let summary = range(&path, SUMMARY);
        let cells = all_cells_text(&summary);
        assert!(
            cells.iter().filter(|c| *c == check).count() >= 2,
            "{check} not listed on {SUMMARY} of {}",
            path.display()
        );
        let title = summary.get_value((0, 0)).unwrap().to_string();
        assert!(
            title.starts_with(unit) && title.contains("退回修改通知"),
            "{title}"
        );
        if cell.is_empty() {
            continue;
        }

        // Re-rendered sheet: the same cell holds what the unit typed.
        let (r, c) = a1(cell);
        let mine = range(&path, sheet);
        let orig = original_range(period, file, sheet);
        let want = orig.get_value((r, c)).cloned().unwrap_or(Data::Empty);
        let got = mine.get_value((r, c)).cloned().unwrap_or(Data::Empty);
        // W504 (no 完成时间) and W505 (no 进展情况) point at a cell left empty.
        if !matches!(check, "W504" | "W505") {
            assert_ne!(want, Data::Empty, "planted cell {cell} empty in {file}");
        }
        assert_eq!(got, want, "{unit} {period} {sheet}!{cell}");
        // And the whole sheet matches the original, cell by cell.
        for (row, col, d) in orig.used_cells() {
            let (ar, ac) = (
                orig.start().unwrap().0 + row as u32,
                orig.start().unwrap().1 + col as u32,
            );
            let g = mine.get_value((ar, ac)).cloned().unwrap_or(Data::Empty);
            assert_eq!(&g, d, "{file} {sheet} ({ar},{ac})");
        }

        // The note at that cell names the check.
        let notes = notes_of(&path, sheet);
        let note = notes
            .get(cell)
            .unwrap_or_else(|| panic!("no note at {sheet}!{cell} in {}", path.display()));
        assert!(note.contains(check), "note at {cell} lacks {check}: {note}");
    }
}

#[test]
fn feedback_only_for_units_with_findings() {
    let out = run_once();
    let mut clean_units_seen = 0;
    for program in ["new-infra", "digital-economy"] {
        for m in 1..=7 {
            let period = format!("2023-{m:02}");
            let manifest: Value = serde_json::from_str(
                &std::fs::read_to_string(out.join(program).join(&period).join("manifest.json"))
                    .unwrap(),
            )
            .unwrap();
            let flagged: BTreeSet<String> = manifest["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["waived"] != true && !f["unit"].as_str().unwrap_or("").is_empty())
                .map(|f| f["unit"].as_str().unwrap().to_string())
                .collect();
            let dir = feedback_dir(out, program, &period);
            let written: BTreeSet<String> = std::fs::read_dir(&dir)
                .map(|rd| {
                    rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            let want: BTreeSet<String> = flagged
                .iter()
                .map(|u| format!("{u}-退回修改-{period}.xlsx"))
                .collect();
            assert_eq!(written, want, "{program} {period}");
            for i in manifest["inputs"].as_array().unwrap() {
                let unit = i["unit"].as_str().unwrap_or("");
                if !unit.is_empty() && !flagged.contains(unit) {
                    clean_units_seen += 1;
                    assert!(
                        !feedback_path(out, program, &period, unit).exists(),
                        "{unit} has no findings in {program} {period} but got feedback"
                    );
                }
            }
        }
    }
    assert!(clean_units_seen > 100);
}

#[test]
fn feedback_rerun_is_byte_identical() {
    let first = run_once();
    let second = tempfile::tempdir().unwrap();
    run_into(second.path());
    let mut compared = 0;
    for program in ["new-infra", "digital-economy"] {
        for m in 1..=7 {
            let period = format!("2023-{m:02}");
            let (da, db) = (
                feedback_dir(first, program, &period),
                feedback_dir(second.path(), program, &period),
            );
            let list = |d: &Path| -> BTreeSet<String> {
                std::fs::read_dir(d)
                    .map(|rd| {
                        rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let names = list(&da);
            assert_eq!(names, list(&db), "{program} {period}");
            for n in &names {
                let a = std::fs::read(da.join(n)).unwrap();
                let b = std::fs::read(db.join(n)).unwrap();
                assert!(a == b, "{program} {period} {n} differs between runs");
                compared += 1;
            }
        }
    }
    assert!(compared >= 5, "only {compared} feedback workbooks compared");
}

#[test]
fn feedback_for_the_ganjiang_duplicate_marks_c17_with_both_checks() {
    let out = run_once();
    let path = feedback_path(out, "new-infra", "2023-06", "赣江新区");
    let notes = notes_of(&path, "Sheet1");
    assert_eq!(notes.len(), 1, "{notes:?}");
    let note = &notes["C17"];
    for want in ["E204", "W205", "填报值：赣江新区", "应为：南昌市", "处理："] {
        assert!(note.contains(want), "C17 note lacks {want}: {note}");
    }
    // The detail table lists both findings at C17.
    let s = range(&path, SUMMARY);
    let rows: Vec<Vec<String>> = s
        .rows()
        .map(|r| r.iter().map(|d| d.to_string()).collect())
        .collect();
    let head = rows
        .iter()
        .position(|r| {
            r.first().map(String::as_str) == Some("编号") && r.len() >= 8 && r[7] == "处理"
        })
        .expect("detail header");
    let detail: Vec<&Vec<String>> = rows[head + 1..]
        .iter()
        .filter(|r| {
            r.first()
                .is_some_and(|c| c.starts_with('E') || c.starts_with('W'))
        })
        .collect();
    assert_eq!(detail.len(), 2);
    assert!(detail.iter().all(|r| r[4] == "C17" && r[3] == "Sheet1"));
    assert_eq!(detail[0][1], "错误");
    assert_eq!(detail[1][1], "警告");
}

mod edge {
    //! `report::feedback::write` on hand-made inputs: odd sheet names, two
    //! files with one sheet name, overlapping merges, dates, error cells, a
    //! finding beyond the cells read, a waived finding, a unit with no file.

    use super::*;
    use taizhang::model::{
        Cell, FileFormat, FileStatus, Finding, InboxFile, Merge, ParsedFile, RawSheet, RawWorkbook,
        Severity, SheetTable, YearMonth,
    };
    use taizhang::report::feedback::{write, FeedbackInput};

    fn spec() -> taizhang::config::PipelineSpec {
        taizhang::config::load_pipeline(&root().join("pipelines/new-infra.toml"), &root()).unwrap()
    }

    fn finding(id: &str, sev: Severity, file: &str, sheet: &str, cell: &str) -> Finding {
        Finding {
            id: id.into(),
            severity: sev,
            file: file.into(),
            sheet: sheet.into(),
            cell: cell.into(),
            project_code: String::new(),
            unit: "测试市".into(),
            message: format!("{id} at {cell}"),
            value: "v".into(),
            expected: "x".into(),
            help: "改".into(),
            waived: false,
        }
    }

    fn parsed(name: &str, sheets: Vec<RawSheet>) -> ParsedFile {
        let tables = sheets
            .iter()
            .map(|s| SheetTable {
                sheet: s.name.clone(),
                header_rows: (1, 1),
                ..Default::default()
            })
            .collect();
        ParsedFile {
            file: InboxFile {
                path: PathBuf::from(name),
                name: name.into(),
                size: 1,
                sha256: String::new(),
                format: FileFormat::Xlsx,
                modified: 0,
            },
            program: Some("new-infra".into()),
            unit_id: Some("test".into()),
            declared_period: None,
            filled_on: None,
            tables,
            findings: Vec::new(),
            status: FileStatus::Ok,
            error: None,
            skipped_sheets: Vec::new(),
            raw: Some(RawWorkbook {
                sheets,
                is_1904: false,
                properties: Default::default(),
            }),
        }
    }

    fn sheet(name: &str) -> RawSheet {
        let t = |s: &str| Cell::Text(s.into());
        RawSheet {
            name: name.into(),
            visible: true,
            rows: vec![
                vec![t("标题"), Cell::Empty, Cell::Empty],
                vec![t("项目代码"), t("累计"), t("开工时间")],
                vec![t("A-1"), Cell::Number(12.5), Cell::Date(45108.0)],
                vec![t("A-2"), Cell::Error("#REF!".into()), Cell::Bool(true)],
            ],
            merges: vec![
                Merge {
                    first_row: 0,
                    first_col: 0,
                    last_row: 0,
                    last_col: 2,
                },
                // overlaps the first: skipped
                Merge {
                    first_row: 0,
                    first_col: 1,
                    last_row: 1,
                    last_col: 1,
                },
                // single cell: skipped
                Merge {
                    first_row: 3,
                    first_col: 0,
                    last_row: 3,
                    last_col: 0,
                },
                // reversed: skipped
                Merge {
                    first_row: 3,
                    first_col: 2,
                    last_row: 2,
                    last_col: 2,
                },
            ],
            hidden_rows: Vec::new(),
            formats: Default::default(),
        }
    }

    #[test]
    fn feedback_write_handles_odd_inputs() {
        let spec = spec();
        let dir = tempfile::tempdir().unwrap();
        let long = "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一";
        let a = parsed("a.xlsx", vec![sheet("Sheet1"), sheet(long)]);
        let b = parsed("b.xlsx", vec![sheet("Sheet1")]);
        let mut waived = finding("W303", Severity::Warning, "a.xlsx", "Sheet1", "B3");
        waived.waived = true;
        let findings = vec![
            finding("E212", Severity::Error, "a.xlsx", "Sheet1", "B4"),
            finding("W209", Severity::Warning, "a.xlsx", "Sheet1", "C3"),
            waived,
            finding("E206", Severity::Error, "a.xlsx", long, "Z99"),
            finding("W210", Severity::Warning, "b.xlsx", "Sheet1", "B3"),
            finding("E201", Severity::Error, "b.xlsx", "Sheet1", "B3"),
            finding("W008", Severity::Warning, "b.xlsx", "", ""),
        ];
        let files = [&a, &b];
        let period = YearMonth {
            year: 2023,
            month: 7,
        };
        let name = write(
            &FeedbackInput {
                spec: &spec,
                period,
                unit: "测试市",
                files: &files,
                findings: &findings,
            },
            dir.path(),
        )
        .unwrap();
        assert_eq!(name, "测试市-退回修改-2023-07.xlsx");
        let path = dir.path().join(&name);
        let wb = open_workbook_auto(&path).unwrap();
        let names = wb.sheet_names();
        assert_eq!(names.len(), 4, "{names:?}");
        assert_eq!(names[0], SUMMARY);
        assert_eq!(names[1], "Sheet1");
        assert_eq!(names[3], "Sheet1(2)");
        assert!(names[2].chars().count() <= 31);

        let s1 = range(&path, "Sheet1");
        assert_eq!(s1.get_value((0, 0)), Some(&Data::String("标题".into())));
        assert_eq!(s1.get_value((2, 1)), Some(&Data::Float(12.5)));
        assert!(matches!(s1.get_value((2, 2)), Some(Data::DateTime(d)) if d.as_f64() == 45108.0));
        assert_eq!(s1.get_value((3, 1)), Some(&Data::String("#REF!".into())));
        assert_eq!(s1.get_value((3, 2)), Some(&Data::Bool(true)));
        let notes = notes_of(&path, "Sheet1");
        assert_eq!(
            notes.keys().cloned().collect::<Vec<_>>(),
            ["B3", "B4", "C3"]
        );
        assert!(notes["B3"].contains("W303") && notes["B3"].contains("已核实"));
        // Two findings on one cell of the second file: one note listing both.
        let n2 = notes_of(&path, "Sheet1(2)");
        assert!(n2["B3"].contains("E201") && n2["B3"].contains("W210"));
        // A cell beyond what was read still gets its note.
        assert!(notes_of(&path, &names[2])["Z99"].contains("E206"));
        // Summary: file-level finding listed, waived shown as 已核实.
        let cells = all_cells_text(&range(&path, SUMMARY));
        assert!(cells.iter().any(|c| c == "W008"));
        assert!(cells.iter().any(|c| c == "已核实"));
    }

    #[test]
    fn feedback_for_a_unit_that_sent_nothing_has_only_the_summary() {
        let spec = spec();
        let dir = tempfile::tempdir().unwrap();
        let findings = vec![finding("W402", Severity::Warning, "", "", "")];
        let name = write(
            &FeedbackInput {
                spec: &spec,
                period: YearMonth {
                    year: 2023,
                    month: 5,
                },
                unit: "测试市",
                files: &[],
                findings: &findings,
            },
            dir.path(),
        )
        .unwrap();
        let path = dir.path().join(name);
        let wb = open_workbook_auto(&path).unwrap();
        assert_eq!(wb.sheet_names(), vec![SUMMARY.to_string()]);
        let cells = all_cells_text(&range(&path, SUMMARY));
        assert!(cells.iter().any(|c| c == "W402"));
        assert!(cells.iter().any(|c| c.contains("未报送台账文件")));
    }
}

/// Every feedback workbook of the samples run.
fn all_feedback(out: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for program in ["new-infra", "digital-economy"] {
        for m in 1..=7 {
            let d = feedback_dir(out, program, &format!("2023-{m:02}"));
            if let Ok(rd) = std::fs::read_dir(&d) {
                v.extend(rd.map(|e| e.unwrap().path()));
            }
        }
    }
    v.sort();
    v
}

/// The number format code of `cell` on sheet part `part` of a written workbook.
pub(crate) fn num_format(path: &Path, part: &str, cell: &str) -> Option<String> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let styles = zip_text(&mut zip, "xl/styles.xml").unwrap();
    let sheet = zip_text(&mut zip, part).unwrap();
    let tag = sheet
        .split("<c ")
        .skip(1)
        .find(|t| attr(t, "r").as_deref() == Some(cell))?;
    let s: usize = attr(tag, "s")?.parse().unwrap();
    let xfs = styles
        .split("<cellXfs")
        .nth(1)?
        .split("</cellXfs>")
        .next()?;
    let xf = xfs.split("<xf ").nth(s + 1)?;
    let id = attr(xf, "numFmtId")?;
    match id.as_str() {
        "0" => None,
        "4" => Some("#,##0.00".into()),
        _ => styles
            .split("<numFmt ")
            .skip(1)
            .find(|t| attr(t, "numFmtId").as_deref() == Some(id.as_str()))
            .and_then(|t| attr(t, "formatCode")),
    }
}

/// Every cell of the copied sheets (all but the summary) of a feedback
/// workbook with a number format other than General: (sheet, cell) → code.
pub(crate) fn copied_number_formats(path: &Path) -> BTreeMap<(String, String), String> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for (name, part) in sheet_parts(path).into_iter().skip(1) {
        let xml = zip_text(&mut zip, &part).unwrap();
        for tag in xml.split("<c ").skip(1) {
            let cell = attr(tag, "r").unwrap();
            if let Some(code) = num_format(path, &part, &cell) {
                out.insert((name.clone(), cell), code);
            }
        }
    }
    out
}

/// The sheet names of a workbook and their parts (`xl/worksheets/sheetN.xml`).
pub(crate) fn sheet_parts(path: &Path) -> Vec<(String, String)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let workbook = zip_text(&mut zip, "xl/workbook.xml").unwrap();
    let rels = zip_text(&mut zip, "xl/_rels/workbook.xml.rels").unwrap();
    workbook
        .split("<sheet ")
        .skip(1)
        .map(|t| {
            let rid = attr(t, "r:id").unwrap();
            let target = rels
                .split("<Relationship ")
                .skip(1)
                .find(|r| attr(r, "Id").as_deref() == Some(rid.as_str()))
                .and_then(|r| attr(r, "Target"))
                .unwrap();
            (attr(t, "name").unwrap(), format!("xl/{target}"))
        })
        .collect()
}

/// One cell of a unit's feedback never reads both 未被采纳 and 数据已采纳 (the
/// 问题明细 rows of a cell, and its note), and a unit that sent nothing never
/// reads 数据已采纳 anywhere.
#[test]
fn feedback_no_cell_is_both_rejected_and_accepted() {
    let out = run_once();
    let all = all_feedback(out);
    assert!(all.len() >= 5, "{all:?}");
    let mut cells_seen = 0;
    for path in &all {
        let s = range(path, SUMMARY);
        let rows: Vec<Vec<String>> = s
            .rows()
            .map(|r| r.iter().map(|d| d.to_string()).collect())
            .collect();
        let head = rows
            .iter()
            .position(|r| {
                r.first().map(String::as_str) == Some("编号") && r.len() >= 9 && r[8] == "采纳情况"
            })
            .unwrap_or_else(|| panic!("{}: no 问题明细 header", path.display()));
        let mut by_cell: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
        for r in rows[head + 1..].iter().take_while(|r| !r[0].is_empty()) {
            if r[0] == "W402" || r[0] == "W401" {
                assert!(!r[8].contains("数据已采纳"), "{}: {r:?}", path.display());
            }
            if !r[4].is_empty() {
                by_cell
                    .entry((r[2].clone(), r[3].clone(), r[4].clone()))
                    .or_default()
                    .push(r[8].clone());
            }
        }
        for (k, effects) in &by_cell {
            cells_seen += 1;
            let rejected = effects.iter().any(|e| e.contains("未被采纳"));
            let accepted = effects.iter().any(|e| e.contains("数据已采纳"));
            assert!(
                !(rejected && accepted),
                "{}: {k:?} {effects:?}",
                path.display()
            );
        }
        for (name, _) in sheet_parts(path).iter().skip(1) {
            for (cell, note) in notes_of(path, name) {
                let both = note.contains("未被采纳") && note.contains("数据已采纳");
                assert!(!both, "{} {name}!{cell}: {note}", path.display());
                // The rejecting findings come first.
                if let (Some(e), Some(w)) = (note.find(" 错误】"), note.find(" 警告】")) {
                    assert!(e < w, "{} {name}!{cell}: {note}", path.display());
                }
            }
        }
        let sent_nothing = rows[2][0].contains("未报送台账文件");
        if sent_nothing {
            let texts = all_cells_text(&s);
            assert!(
                !texts.iter().any(|t| t.contains("数据已采纳")),
                "{} sent nothing",
                path.display()
            );
        }
    }
    assert!(cells_seen >= 4, "{cells_seen}");
}

/// The first lines of the feedback (what was sent, by when, whom to call),
/// for a unit with a rejected row and for one that sent nothing.
#[test]
fn feedback_deadline_and_contact_match_the_snapshot() {
    let out = run_once();
    let dir = root().join("tests/it/snapshots");
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    for (program, period, unit) in [
        ("new-infra", "2023-06", "赣江新区"),
        ("digital-economy", "2023-05", "萍乡市"),
    ] {
        let s = range(&feedback_path(out, program, period, unit), SUMMARY);
        let got: Vec<String> = (0..5u32)
            .map(|r| {
                s.get_value((r, 0))
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            })
            .collect();
        let got = got.join("\n");
        let p = dir.join(format!("feedback-{program}-{period}-{unit}.txt"));
        if update {
            std::fs::write(&p, format!("{got}\n")).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert_eq!(want.trim_end(), got, "{}", p.display());
    }
}

/// Every sheet of every feedback workbook prints on A4 at 100% (the body
/// stays 10 pt, never below 9): no fit-to-page, no scale below 90.
#[test]
fn feedback_prints_at_full_size() {
    let out = run_once();
    let all = all_feedback(out);
    assert!(!all.is_empty());
    for path in &all {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
        for (name, part) in sheet_parts(path) {
            let xml = zip_text(&mut zip, &part).unwrap();
            assert!(
                !xml.contains("fitToPage"),
                "{} {name}: fit to page",
                path.display()
            );
            let setup = xml
                .split("<pageSetup ")
                .nth(1)
                .unwrap_or_else(|| panic!("{} {name}: no pageSetup", path.display()));
            assert_eq!(attr(setup, "paperSize").as_deref(), Some("9"), "{name}");
            let scale: u32 = attr(setup, "scale").map_or(100, |s| s.parse().unwrap());
            assert!(scale >= 90, "{} {name}: scale {scale}", path.display());
            assert!(!setup.contains("fitToWidth"), "{name}");
        }
    }
}

mod formats {
    //! The copied unit sheet keeps the unit's number formats (an xlsx fixture
    //! built here), and a unit with thousands of faulty rows gets a streamed
    //! sheet holding every cell at its address.

    use super::*;
    use taizhang::model::{FileStatus, Finding, ParsedFile, Severity, SheetTable, YearMonth};
    use taizhang::pipeline::{inbox, ingest};
    use taizhang::report::feedback::{write, FeedbackInput};

    fn spec() -> taizhang::config::PipelineSpec {
        taizhang::config::load_pipeline(&root().join("pipelines/new-infra.toml"), &root()).unwrap()
    }

    fn finding(id: &str, sev: Severity, file: &str, cell: &str) -> Finding {
        Finding {
            id: id.into(),
            severity: sev,
            file: file.into(),
            sheet: "台账".into(),
            cell: cell.into(),
            project_code: String::new(),
            unit: "测试市".into(),
            message: format!("{id} at {cell}"),
            value: "v".into(),
            expected: String::new(),
            help: "改".into(),
            waived: false,
        }
    }

    /// A unit's file read the way the run reads it (inbox load + ingest).
    fn parsed(dir: &Path, name: &str) -> ParsedFile {
        let (file, bytes) = inbox::load(dir, &dir.join(name)).unwrap();
        let raw = ingest::read(file.format, &bytes).unwrap();
        let tables = vec![SheetTable {
            sheet: "台账".into(),
            header_rows: (1, 1),
            ..Default::default()
        }];
        ParsedFile {
            file,
            program: Some("new-infra".into()),
            unit_id: Some("test".into()),
            declared_period: None,
            filled_on: None,
            tables,
            findings: Vec::new(),
            status: FileStatus::Ok,
            error: None,
            skipped_sheets: Vec::new(),
            raw: Some(raw),
        }
    }

    fn feedback(out: &Path, files: &[&ParsedFile], findings: &[Finding]) -> PathBuf {
        let spec = spec();
        let name = write(
            &FeedbackInput {
                spec: &spec,
                period: YearMonth {
                    year: 2023,
                    month: 7,
                },
                unit: "测试市",
                files,
                findings,
            },
            out,
        )
        .unwrap();
        out.join(name)
    }

    #[test]
    fn feedback_copied_sheet_keeps_the_units_number_formats() {
        let inbox_dir = tempfile::tempdir().unwrap();
        let name = "测试市新基建台账.xlsx";
        {
            use rust_xlsxwriter::{Format, Workbook};
            let mut wb = Workbook::new();
            wb.set_properties(&taizhang::report::properties(
                "t",
                "t",
                YearMonth {
                    year: 2023,
                    month: 7,
                },
            ));
            let ws = wb.add_worksheet().set_name("台账").unwrap();
            let money = Format::new().set_num_format("#,##0.00");
            let rate = Format::new().set_num_format("0.0000");
            ws.write_string(0, 0, "测试市新基建项目台账").unwrap();
            for (c, h) in ["项目名称", "总投资", "完成率"].iter().enumerate() {
                ws.write_string(1, c as u16, *h).unwrap();
            }
            ws.write_string(2, 0, "测试项目").unwrap();
            ws.write_number_with_format(2, 1, 1234567.5, &money)
                .unwrap();
            ws.write_number_with_format(2, 2, 0.12345, &rate).unwrap();
            ws.write_number(3, 1, 42.0).unwrap();
            wb.save(inbox_dir.path().join(name)).unwrap();
        }
        let pf = parsed(inbox_dir.path(), name);
        let out = tempfile::tempdir().unwrap();
        let findings = vec![
            finding("W303", Severity::Warning, name, "B3"),
            finding("E206", Severity::Error, name, "C3"),
        ];
        let path = feedback(out.path(), &[&pf], &findings);
        let parts = sheet_parts(&path);
        assert_eq!(parts[1].0, "台账");
        let part = &parts[1].1;
        // Marked (filled) or not, the unit's formats are kept.
        assert_eq!(num_format(&path, part, "B3").as_deref(), Some("#,##0.00"));
        assert_eq!(num_format(&path, part, "C3").as_deref(), Some("0.0000"));
        assert_eq!(num_format(&path, part, "B4"), None);
        let r = range(&path, "台账");
        assert_eq!(r.get_value((2, 1)), Some(&Data::Float(1234567.5)));
        // The formats are those read with the cells, captured at ingest: the
        // file is not read again (changed or gone since, the copy is the same).
        std::fs::write(inbox_dir.path().join(name), b"changed").unwrap();
        let out2 = tempfile::tempdir().unwrap();
        let path2 = feedback(out2.path(), &[&pf], &findings);
        let part2 = &sheet_parts(&path2)[1].1;
        assert_eq!(num_format(&path2, part2, "B3").as_deref(), Some("#,##0.00"));
        assert_eq!(num_format(&path2, part2, "C3").as_deref(), Some("0.0000"));
        std::fs::remove_file(inbox_dir.path().join(name)).unwrap();
        let out3 = tempfile::tempdir().unwrap();
        let path3 = feedback(out3.path(), &[&pf], &findings);
        assert_eq!(
            std::fs::read(&path3).unwrap(),
            std::fs::read(&path2).unwrap()
        );
    }

    /// 6,000 faulty rows: the copied sheet and the summary are streamed
    /// (inline strings), every value stays at its address, notes are capped.
    #[test]
    fn feedback_with_thousands_of_findings_is_streamed() {
        let inbox_dir = tempfile::tempdir().unwrap();
        let name = "测试市大台账.xlsx";
        let n = 6_000u32;
        {
            use rust_xlsxwriter::Workbook;
            let mut wb = Workbook::new();
            wb.set_properties(&taizhang::report::properties(
                "t",
                "t",
                YearMonth {
                    year: 2023,
                    month: 7,
                },
            ));
            let ws = wb.add_worksheet().set_name("台账").unwrap();
            ws.write_string(0, 0, "台账").unwrap();
            ws.write_string(1, 0, "项目名称").unwrap();
            ws.write_string(1, 1, "总投资").unwrap();
            for i in 0..n {
                ws.write_string(2 + i, 0, format!("项目{i}")).unwrap();
                ws.write_string(2 + i, 1, "约300").unwrap();
            }
            wb.save(inbox_dir.path().join(name)).unwrap();
        }
        let pf = parsed(inbox_dir.path(), name);
        let findings: Vec<Finding> = (0..n)
            .map(|i| finding("E206", Severity::Error, name, &format!("B{}", i + 3)))
            .collect();
        let out = tempfile::tempdir().unwrap();
        let path = feedback(out.path(), &[&pf], &findings);
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
        for (sheet, part) in sheet_parts(&path) {
            let xml = zip_text(&mut zip, &part).unwrap();
            assert!(xml.contains("t=\"inlineStr\""), "{sheet} not streamed");
        }
        let r = range(&path, "台账");
        for i in [0, 1, n / 2, n - 1] {
            assert_eq!(
                r.get_value((2 + i, 0)),
                Some(&Data::String(format!("项目{i}")))
            );
            assert_eq!(r.get_value((2 + i, 1)), Some(&Data::String("约300".into())));
        }
        assert_eq!(
            notes_of(&path, "台账").len(),
            taizhang::report::feedback::MAX_NOTES
        );
        let s = range(&path, SUMMARY);
        let listed = s
            .rows()
            .filter(|row| row[0] == Data::String("E206".into()))
            .count();
        assert_eq!(listed, n as usize + 2, "detail rows + count + to-do");
        // Same bytes again.
        let out2 = tempfile::tempdir().unwrap();
        let again = feedback(out2.path(), &[&pf], &findings);
        assert_eq!(
            std::fs::read(&path).unwrap(),
            std::fs::read(&again).unwrap()
        );
    }
}
