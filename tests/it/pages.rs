//! Pages anyone can read and a workbook that holds only what leaves the
//! office (issue 11): every sheet of the monthly, quarterly and internal
//! workbooks prints at a fixed scale that keeps 9 pt, never fit-to-page, and
//! one page across; the internal 数据核对 workbook holds the check ids, the
//! row accounting and the 说明 column, the outgoing one none of them; every
//! empty list prints its title block and a "无" row; 重点关注 follows its
//! stated rule; charts tell series apart without colour.
//!
//! Each test reads the written files (sheet XML through `zip`, cells through
//! calamine) of the shared samples run.

use calamine::{open_workbook_auto, Data, Reader};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::common::*;

/// The internal 数据核对 workbook of a program's 2023 month.
fn internal_path(out: &Path, program: &str, name: &str, month: u32) -> PathBuf {
    out.join(program)
        .join(format!("2023-{month:02}"))
        .join(format!("{name}数据核对-2023年{month:02}月.xlsx"))
}

/// Monthly, internal and quarterly workbooks of the samples run.
fn report_workbooks(out: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for (program, name) in programs() {
        for month in 1..=7u32 {
            v.push(monthly_path(out, program, name, month));
            v.push(internal_path(out, program, name, month));
        }
        for q in 1..=2u32 {
            v.push(quarterly_path(out, program, name, q));
        }
    }
    v
}

fn parts(path: &Path) -> zip::ZipArchive<std::fs::File> {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    zip::ZipArchive::new(f).unwrap()
}

fn part(z: &mut zip::ZipArchive<std::fs::File>, name: &str) -> String {
    let mut s = String::new();
    z.by_name(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .read_to_string(&mut s)
        .unwrap();
    s
}

/// The chart parts (`xl/charts/chartN.xml`) of a workbook.
fn chart_parts(z: &mut zip::ZipArchive<std::fs::File>) -> Vec<String> {
    (0..z.len())
        .map(|i| z.by_index(i).unwrap().name().unwrap().to_string())
        .filter(|n| n.starts_with("xl/charts/chart"))
        .collect()
}

/// Sheet names in workbook order.
fn sheet_names(z: &mut zip::ZipArchive<std::fs::File>) -> Vec<String> {
    part(z, "xl/workbook.xml")
        .split("<sheet name=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

/// The value of attribute `attr` in the first `<tag …>` of `xml`.
fn attr(xml: &str, tag: &str, attr: &str) -> Option<String> {
    let el = xml.split(&format!("<{tag} ")).nth(1)?.split('>').next()?;
    let key = format!("{attr}=\"");
    let v = el.split(&key).nth(1)?.split('"').next()?;
    Some(v.to_string())
}

/// Column widths (Excel units, as stored) of a sheet, per column.
fn col_widths(xml: &str) -> Vec<f64> {
    let mut w = Vec::new();
    for el in xml.split("<col ").skip(1) {
        let el = el.split('>').next().unwrap();
        let get = |k: &str| attr(&format!("<col {el}>"), "col", k).unwrap();
        let (min, max): (usize, usize) = (get("min").parse().unwrap(), get("max").parse().unwrap());
        let width: f64 = get("width").parse().unwrap();
        w.extend(std::iter::repeat_n(width, max - min + 1));
    }
    w
}

/// Font sizes (pt) of every font in the workbook's styles.
fn font_sizes(z: &mut zip::ZipArchive<std::fs::File>) -> Vec<f64> {
    let styles = part(z, "xl/styles.xml");
    let fonts = styles
        .split("<fonts")
        .nth(1)
        .and_then(|s| s.split("</fonts>").next())
        .unwrap()
        .to_string();
    fonts
        .split("<sz val=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().parse().unwrap())
        .collect()
}

#[test]
fn every_sheet_prints_at_nine_points_or_more_one_page_across() {
    let out = run_once();
    for path in report_workbooks(out) {
        let mut z = parts(&path);
        let smallest = font_sizes(&mut z).into_iter().fold(f64::MAX, f64::min);
        for (i, name) in sheet_names(&mut z).iter().enumerate() {
            let xml = part(&mut z, &format!("xl/worksheets/sheet{}.xml", i + 1));
            let what = format!("{} {name}", path.display());
            assert!(!xml.contains("fitToPage"), "{what}: fit to page");
            let setup = xml
                .split("<pageSetup ")
                .nth(1)
                .and_then(|s| s.split("/>").next())
                .unwrap_or_else(|| panic!("{what}: no pageSetup"));
            assert!(!setup.contains("fitTo"), "{what}: {setup}");
            assert!(setup.contains("paperSize=\"9\""), "{what}: A4");
            let scale: f64 = attr(&xml, "pageSetup", "scale").map_or(100.0, |s| s.parse().unwrap());
            assert!(
                scale / 100.0 * smallest >= 9.0,
                "{what}: scale {scale}% × {smallest} pt"
            );
            // One page across: the columns fit the printable width (A4 less
            // 0.3 in margins each side, 96 px an inch) at this scale.
            let landscape = setup.contains("orientation=\"landscape\"");
            let paper = if landscape { 11.69 } else { 8.27 };
            let page_px = (paper - 0.6) * 96.0 * 100.0 / scale;
            let table_px: f64 = col_widths(&xml).iter().map(|w| w * 7.0).sum();
            assert!(
                table_px <= page_px * 0.95,
                "{what}: {table_px} px on a {page_px} px page"
            );
            assert!(
                xml.contains("<oddFooter>&amp;C第 &amp;P 页 共 &amp;N 页</oddFooter>"),
                "{what}: footer"
            );
        }
        // Chart text prints at 9 pt or more on a sheet at 90% or more.
        let charts = chart_parts(&mut z);
        for c in charts {
            let xml = part(&mut z, &c);
            for sz in xml.split(" sz=\"").skip(1) {
                let sz: f64 = sz.split('"').next().unwrap().parse().unwrap();
                assert!(sz >= 1000.0, "{} {c}: font {sz}", path.display());
            }
        }
    }
}

#[test]
fn the_outgoing_workbook_holds_only_what_leaves_the_office() {
    let out = run_once();
    for (program, name) in programs() {
        for month in 1..=7u32 {
            let monthly = monthly_path(out, program, name, month);
            let mut wb = open_workbook_auto(&monthly).unwrap();
            let names = wb.sheet_names().to_vec();
            for bad in ["校验问题", "数据核对", "指标说明"] {
                assert!(!names.iter().any(|n| n == bad), "{program} {month}: {bad}");
            }
            for n in &names {
                let r = wb.worksheet_range(n).unwrap();
                for c in 0..r.width() {
                    let h = text(&cell(&r, 2, c));
                    assert!(
                        !h.contains("说明") && !h.contains("校验"),
                        "{program} {month} {n}: column {h}"
                    );
                }
                // Rules stated under a table (注：…) stay; no cell of a table
                // explains how its figure was derived.
                for row in r.rows() {
                    for v in row {
                        let t = text(v);
                        if t.starts_with("注") {
                            continue;
                        }
                        assert!(
                            !t.contains("月份 ÷ 12") && !t.contains("按设置沿用上月累计"),
                            "{program} {month} {n}: {t}"
                        );
                    }
                }
            }
            let internal = internal_path(out, program, name, month);
            let mut iw = open_workbook_auto(&internal)
                .unwrap_or_else(|e| panic!("{}: {e}", internal.display()));
            assert_eq!(
                iw.sheet_names().to_vec(),
                vec!["指标说明", "校验问题", "数据核对"]
            );
            let it = iw.worksheet_range("指标说明").unwrap();
            let c = col(&it, "说明");
            let notes: Vec<String> = (3..it.height()).map(|r| text(&cell(&it, r, c))).collect();
            assert!(notes.iter().any(|t| t == "月份 ÷ 12"), "{notes:?}");
            let f = iw.worksheet_range("校验问题").unwrap();
            col(&f, "编号");
            let a = iw.worksheet_range("数据核对").unwrap();
            assert!(
                (3..a.height()).any(|r| text(&cell(&a, r, col(&a, "状态"))) == "ok"),
                "{program} {month}: 数据核对 rows"
            );
            // Listed in the manifest and hashed into the store entry.
            let period = format!("2023-{month:02}");
            let file = internal.file_name().unwrap().to_str().unwrap().to_string();
            let m: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(out.join(program).join(&period).join("manifest.json"))
                    .unwrap(),
            )
            .unwrap();
            assert!(
                m["outputs"].as_array().unwrap().iter().any(|o| o == &file),
                "{program} {period}: manifest outputs {}",
                m["outputs"]
            );
            let entry: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(
                    out.join("history")
                        .join(program)
                        .join(format!("{period}.json")),
                )
                .unwrap(),
            )
            .unwrap();
            let sha = format!("{:x}", Sha256::digest(std::fs::read(&internal).unwrap()));
            assert!(
                entry["outputs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|o| o["file"] == file.as_str() && o["sha256"] == sha.as_str()),
                "{program} {period}: store outputs {}",
                entry["outputs"]
            );
        }
    }
}

/// Title display width in character units of the 18 pt title font.
fn title_units(t: &str) -> f64 {
    let w: usize = t.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    w as f64 / 2.0 * (18.0 * 4.0 / 3.0 / 7.0)
}

#[test]
fn every_empty_list_prints_its_title_block_and_a_none_row() {
    let out = run_once();
    let mut empty_lists = 0;
    for path in report_workbooks(out) {
        let mut z = parts(&path);
        let names = sheet_names(&mut z);
        let mut wb = open_workbook_auto(&path).unwrap();
        for (i, n) in names.iter().enumerate() {
            let r = wb.worksheet_range(n).unwrap();
            let what = format!("{} {n}", path.display());
            let title = text(&cell(&r, 0, 0));
            assert!(!title.is_empty(), "{what}: title");
            assert!(
                text(&cell(&r, 1, 0)).starts_with("制表单位"),
                "{what}: meta line"
            );
            assert!(!text(&cell(&r, 2, 0)).is_empty(), "{what}: header");
            // A table never goes from its header straight to nothing.
            let first = text(&cell(&r, 3, 0));
            assert!(
                !first.is_empty() && !first.starts_with("注"),
                "{what}: no row under the header"
            );
            if first == "无" {
                empty_lists += 1;
                assert!(
                    (1..r.width()).all(|c| cell(&r, 3, c) == Data::Empty),
                    "{what}: 无 row"
                );
            }
            // The title is never clipped: the table is as wide as the title,
            // or the title row is high enough for the lines it wraps into.
            let xml = part(&mut z, &format!("xl/worksheets/sheet{}.xml", i + 1));
            let width: f64 = col_widths(&xml).iter().sum();
            let need = title_units(&title);
            let row0 = xml
                .split("<row r=\"1\"")
                .nth(1)
                .and_then(|s| s.split('>').next())
                .unwrap_or_default()
                .to_string();
            let ht: f64 =
                attr(&format!("<row {row0}>"), "row", "ht").map_or(15.0, |h| h.parse().unwrap());
            let lines = (need / width).ceil();
            assert!(
                ht >= lines * 18.0 * 1.25,
                "{what}: title needs {lines} lines, row {ht} pt"
            );
        }
    }
    assert!(
        empty_lists > 0,
        "the samples have empty lists (未报送 in July)"
    );
}

/// 重点关注 recomputed from 项目明细 of the month and 滞后项目 of the two
/// months before, by the rule stated on the sheet.
#[test]
fn focus_list_follows_its_stated_rule() {
    let out = run_once();
    for (program, name) in programs() {
        for month in 1..=7u32 {
            let what = format!("{program} 2023-{month:02}");
            let path = monthly_path(out, program, name, month);
            let d = sheet(&path, "项目明细");
            let dc = |h: &str| col(&d, h);
            let mut proj: BTreeMap<String, (String, f64)> = BTreeMap::new();
            for r in 4..d.height() {
                let code = text(&cell(&d, r, 0));
                if code.is_empty() || code.starts_with("注") {
                    continue;
                }
                let rate = num(&cell(&d, r, dc("完成率")));
                proj.insert(code, (text(&cell(&d, r, dc("灯号"))), rate));
            }
            let ns = sheet(&path, "未开工项目");
            let overdue: BTreeSet<String> = (3..ns.height())
                .filter(|&r| text(&cell(&ns, r, col(&ns, "开工情况"))) == "逾期未开工")
                .map(|r| text(&cell(&ns, r, col(&ns, "项目代码"))))
                .collect();
            let lagging = |m: u32| -> BTreeSet<String> {
                let s = sheet(&monthly_path(out, program, name, m), "滞后项目");
                let c = col(&s, "项目代码");
                (3..s.height()).map(|r| text(&cell(&s, r, c))).collect()
            };
            let run: Option<BTreeSet<String>> = (month >= 3).then(|| {
                let (a, b, c) = (lagging(month), lagging(month - 1), lagging(month - 2));
                a.into_iter()
                    .filter(|k| b.contains(k) && c.contains(k))
                    .collect()
            });
            let mut want: Vec<(bool, bool, bool, f64, String)> = proj
                .iter()
                .map(|(k, (light, rate))| {
                    let lag3 = run.as_ref().is_some_and(|s| s.contains(k));
                    (light == "红灯", overdue.contains(k), lag3, *rate, k.clone())
                })
                .filter(|(r, o, l, _, _)| *r || *o || *l)
                .collect();
            let eligible = want.len();
            want.sort_by(|a, b| {
                (!a.0, !a.1, !a.2)
                    .cmp(&(!b.0, !b.1, !b.2))
                    .then(a.3.total_cmp(&b.3))
                    .then(a.4.cmp(&b.4))
            });
            want.truncate(20);
            let f = sheet(&path, "重点关注");
            let (cc, rc) = (col(&f, "项目代码"), col(&f, "关注原因"));
            let got: Vec<(String, String)> = (3..f.height())
                .filter(|&r| matches!(cell(&f, r, 0), Data::Float(_) | Data::Int(_)))
                .map(|r| (text(&cell(&f, r, cc)), text(&cell(&f, r, rc))))
                .collect();
            assert!(got.len() <= 20, "{what}");
            let want: Vec<(String, String)> = want
                .into_iter()
                .map(|(r, o, l, _, k)| {
                    let why: Vec<&str> = [(r, "红灯"), (o, "逾期未开工"), (l, "连续3个月滞后")]
                        .into_iter()
                        .filter(|(on, _)| *on)
                        .map(|(_, t)| t)
                        .collect();
                    (k, why.join("、"))
                })
                .collect();
            assert_eq!(got, want, "{what}");
            let notes: Vec<String> = (3..f.height())
                .map(|r| text(&cell(&f, r, 0)))
                .filter(|t| t.starts_with("注"))
                .collect();
            assert!(
                notes[0].contains("列入条件")
                    && notes[0].contains(&format!("符合条件的项目{eligible}个")),
                "{what}: {notes:?}"
            );
            // January and February: the months before are not in this year's
            // store, and the sheet says so instead of guessing.
            assert_eq!(
                notes
                    .iter()
                    .any(|n| n.contains("无法判断是否连续3个月滞后")),
                month < 3,
                "{what}: {notes:?}"
            );
        }
    }
    // The samples do list projects for lagging three months running.
    let f = sheet(&monthly_path(out, "new-infra", "新基建项目", 7), "重点关注");
    assert!((3..f.height()).any(|r| text(&cell(&f, r, 1)).contains("连续3个月滞后")));
}

#[test]
fn charts_tell_series_apart_without_colour() {
    let out = run_once();
    let (program, name) = programs()[0];
    for path in [
        monthly_path(out, program, name, 7),
        quarterly_path(out, program, name, 2),
    ] {
        let mut z = parts(&path);
        let charts = chart_parts(&mut z);
        assert!(!charts.is_empty(), "{}", path.display());
        for c in charts {
            let xml = part(&mut z, &c);
            let what = format!("{} {c}", path.display());
            // Each column series: a solid fill or its own pattern.
            let bars: Vec<&str> = xml
                .split("<c:barChart>")
                .skip(1)
                .flat_map(|b| {
                    b.split("</c:barChart>")
                        .next()
                        .unwrap()
                        .split("<c:ser>")
                        .skip(1)
                })
                .collect();
            let mut looks = BTreeSet::new();
            for s in &bars {
                let look = if let Some(p) = s.split("<a:pattFill prst=\"").nth(1) {
                    p.split('"').next().unwrap().to_string()
                } else {
                    assert!(s.contains("<a:solidFill>"), "{what}: series fill");
                    "solid".to_string()
                };
                looks.insert(look);
            }
            assert_eq!(looks.len(), bars.len(), "{what}: fills {looks:?}");
            // Each line series: its own marker.
            let lines: Vec<&str> = xml
                .split("<c:lineChart>")
                .skip(1)
                .flat_map(|b| {
                    b.split("</c:lineChart>")
                        .next()
                        .unwrap()
                        .split("<c:ser>")
                        .skip(1)
                })
                .collect();
            let markers: BTreeSet<String> = lines
                .iter()
                .map(|s| {
                    s.split("<c:symbol val=\"")
                        .nth(1)
                        .unwrap_or_else(|| panic!("{what}: line without marker"))
                        .split('"')
                        .next()
                        .unwrap()
                        .to_string()
                })
                .collect();
            assert!(markers.iter().all(|m| m != "none"), "{what}: {markers:?}");
            assert_eq!(markers.len(), lines.len(), "{what}: {markers:?}");
        }
    }
    // The quarter's 逐月情况: one column series per month, each its own look.
    let mut z = parts(&quarterly_path(out, program, name, 2));
    let xml = part(&mut z, "xl/charts/chart1.xml");
    assert_eq!(xml.matches("<c:ser>").count(), 3);
}

/// 2023-05 数字经济: 萍乡市 sent nothing, so its bar in the 分地区 chart (last
/// month's carried figures) is hatched grey and the title says why; a month
/// where every unit reported has no such bar.
#[test]
fn an_unranked_units_bar_is_marked_in_the_region_chart() {
    let out = run_once();
    let charts = |month: u32| {
        let book = monthly_path(out, "digital-economy", "数字经济重点项目", month);
        let mut z = parts(&book);
        chart_parts(&mut z)
            .into_iter()
            .map(|name| part(&mut z, &name))
            .find(|xml| xml.contains("各地区投资完成率"))
            .expect("region chart")
    };
    let may = charts(5);
    assert!(may.contains("不参加排名"), "{may}");
    assert_eq!(may.matches("<c:dPt>").count(), 1, "one marked bar");
    assert!(
        may.contains("<c:idx val=\"2\"/>"),
        "萍乡市 is the third unit"
    );
    let june = charts(6);
    assert!(!june.contains("<c:dPt>") && !june.contains("不参加排名"));
}
