//! The quarterly 通报 as a Word document (issue 11): read back python-free
//! from the samples' run (unzip, the XML parts as text) for the GB/T 9704
//! page setup, styles, title, 主送, sections, 附件, 落款 and page numbers;
//! every figure it quotes against the quarterly workbook's cells (calamine);
//! its plain text against snapshot files; the same bytes when written again.

use assert_cmd::Command;
use calamine::Data;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::common::*;
use taizhang::report::notice;
use taizhang::report::style::{BODY_FONT, HEAD_FONT, TITLE_FONT};

/// The 通报 document of a program's 2023 quarter under `out`.
pub(crate) fn notice_path(out: &Path, program: &str, name: &str, q: u32) -> PathBuf {
    out.join(program)
        .join(format!("2023-{:02}", q * 3))
        .join(format!(
            "关于2023年第{}季度全省{name}推进情况的通报.docx",
            QUARTER_CN[q as usize - 1]
        ))
}

fn part(path: &Path, name: &str) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    zip.by_name(name)
        .unwrap_or_else(|e| panic!("{} {name}: {e}", path.display()))
        .read_to_string(&mut s)
        .unwrap();
    s
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The `<w:p>` elements of a part, each as its XML.
fn paragraph_xml(xml: &str) -> Vec<&str> {
    let mut v = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find("<w:p ").or_else(|| rest.find("<w:p>")) {
        let Some(j) = rest[i..].find("</w:p>") else {
            break;
        };
        v.push(&rest[i..i + j + 6]);
        rest = &rest[i + j + 6..];
    }
    v
}

/// The text of a paragraph: its `<w:t>` runs joined (a line break inside the
/// title joins too).
fn text_of(p: &str) -> String {
    let mut s = String::new();
    let mut rest = p;
    while let Some(i) = rest.find("<w:t") {
        let after = &rest[i + 4..];
        // `<w:t>` or `<w:t xml:space=…>`, not `<w:tab/>` or `<w:tbl>`.
        if !(after.starts_with('>') || after.starts_with(' ')) {
            rest = after;
            continue;
        }
        let Some(open_end) = after.find('>') else {
            break;
        };
        if after[..open_end].ends_with('/') {
            rest = &after[open_end..];
            continue;
        }
        let body = &after[open_end + 1..];
        let Some(close) = body.find("</w:t>") else {
            break;
        };
        s.push_str(&unescape(&body[..close]));
        rest = &body[close..];
    }
    s
}

/// The document's paragraphs (XML, text).
pub(crate) fn paragraphs(path: &Path) -> Vec<(String, String)> {
    let xml = part(path, "word/document.xml");
    paragraph_xml(&xml)
        .into_iter()
        .map(|p| (p.to_string(), text_of(p)))
        .collect()
}

fn find<'a>(
    ps: &'a [(String, String)],
    f: impl Fn(&str) -> bool,
    what: &str,
) -> &'a (String, String) {
    ps.iter()
        .find(|(_, t)| f(t))
        .unwrap_or_else(|| panic!("no paragraph {what}"))
}

/// 亿元 with two decimals, half away from zero, from whole 元 (as the text).
fn yi(yuan: i64) -> String {
    let cents = (yuan.abs() + 500_000) / 1_000_000;
    let sign = if yuan < 0 && cents > 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}

/// Row of the quarterly 通报 sheet whose 指标 is `label`: (数值, 说明).
fn indicator(r: &calamine::Range<Data>, label: &str) -> (Data, String) {
    let row = (3..r.height())
        .find(|&i| text(&cell(r, i, 0)) == label)
        .unwrap_or_else(|| panic!("no row {label}"));
    (cell(r, row, 1), text(&cell(r, row, 2)))
}

/// The integers of a text in order (`已开工280个 ÷ 应开工279个` → 280, 279).
fn integers(s: &str) -> Vec<i64> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|t| !t.is_empty())
        .map(|t| t.parse().unwrap())
        .collect()
}

fn pipeline(program: &str) -> taizhang::config::PipelineSpec {
    taizhang::config::load_pipeline(&root().join(format!("pipelines/{program}.toml")), &root())
        .unwrap()
}

#[test]
fn notice_page_setup_styles_and_parts_follow_gb_t_9704() {
    let out = run_once();
    for (program, name) in programs() {
        let spec = pipeline(program);
        for q in 1..=2u32 {
            let path = notice_path(out, program, name, q);
            let doc = part(&path, "word/document.xml");
            // A4 portrait, margins 37 / 35 / 28 / 26 mm in twips.
            assert!(
                doc.contains(r#"<w:pgSz w:w="11906" w:h="16838" />"#),
                "{doc}"
            );
            assert!(
                doc.contains(
                    r#"<w:pgMar w:top="2098" w:right="1474" w:bottom="1984" w:left="1587""#
                ),
                "{doc}"
            );
            // 22 lines: a line grid of pitch 579 and exact spacing 579.
            assert!(doc.contains(r#"<w:docGrid w:type="lines" w:linePitch="579" />"#));
            let styles = part(&path, "word/styles.xml");
            let defaults = &styles[..styles.find("</w:docDefaults>").unwrap()];
            assert!(defaults.contains(r#"<w:sz w:val="32" />"#), "{styles}");
            assert!(
                defaults.contains(&format!(r#"w:eastAsia="{BODY_FONT}""#)),
                "{styles}"
            );
            assert!(
                defaults.contains(
                    r#"<w:spacing w:before="0" w:after="0" w:line="579" w:lineRule="exact" />"#
                ),
                "{styles}"
            );
            let ps = paragraphs(&path);
            let heads = [
                "一、总体情况",
                "二、分地区情况",
                "三、存在问题",
                "四、下一步工作",
            ];
            // Title: 2号 in the workbooks' title font, centred, as the file is named.
            let (title_xml, title) = &ps[0];
            assert_eq!(
                title,
                &format!(
                    "关于2023年第{}季度全省{name}推进情况的通报",
                    QUARTER_CN[q as usize - 1]
                )
            );
            assert!(title_xml.contains(r#"<w:sz w:val="44" />"#), "{title_xml}");
            assert!(title_xml.contains(&format!(r#"w:eastAsia="{TITLE_FONT}""#)));
            assert!(title_xml.contains(r#"<w:jc w:val="center" />"#));
            // Body: 3号 仿宋, 28 characters a line (0.25 pt narrower each).
            let body: Vec<&(String, String)> = ps
                .iter()
                .filter(|(x, t)| !t.is_empty() && x.contains(r#"w:firstLine="632""#))
                .collect();
            assert!(body.len() >= 8, "{body:?}");
            for (x, t) in &body {
                assert!(x.contains(r#"<w:sz w:val="32" />"#), "{t}");
                assert!(x.contains(r#"<w:spacing w:val="-5" />"#), "{t}");
                assert!(x.contains(r#"w:line="579" w:lineRule="exact""#), "{t}");
                let font = if heads.contains(&t.as_str()) {
                    HEAD_FONT
                } else {
                    BODY_FONT
                };
                assert!(x.contains(&format!(r#"w:eastAsia="{font}""#)), "{font} {t}");
            }
            // 主送 after the blank line under the title.
            assert_eq!(ps[1].1, "");
            assert_eq!(ps[2].1, spec.notice.recipients);
            assert_eq!(
                ps[2].1,
                "各设区市发展改革委、赣江新区经发局，省直有关部门："
            );
            // The four sections in order, the last left to the office.
            let texts: Vec<&str> = ps.iter().map(|(_, t)| t.as_str()).collect();
            let at = |h: &str| {
                texts
                    .iter()
                    .position(|t| *t == h)
                    .unwrap_or_else(|| panic!("{h}"))
            };
            let pos: Vec<usize> = heads.iter().map(|h| at(h)).collect();
            assert!(pos.windows(2).all(|w| w[0] < w[1]), "{pos:?}");
            assert_eq!(texts[pos[3] + 1], notice::PLACEHOLDER);
            assert!(ps[pos[3] + 1]
                .0
                .contains(r#"<w:highlight w:val="yellow" />"#));
            // 附件: the quarterly workbook, by its title.
            let wb = sheet(&quarterly_path(out, program, name, q), "通报");
            let attachment = find(&ps, |t| t.starts_with("附件："), "附件").1.clone();
            assert_eq!(attachment, format!("附件：{}", text(&cell(&wb, 0, 0))));
            // 落款 and 成文日期 (the 10th of the month after the quarter).
            assert_eq!(texts[texts.len() - 2], "江西省发展和改革委员会");
            assert_eq!(texts[texts.len() - 1], format!("2023年{}月10日", q * 3 + 1));
            assert!(ps[ps.len() - 1].0.contains(r#"<w:jc w:val="right" />"#));
            // Page numbers: "— N —", 4号, a PAGE field; odd right, even left.
            assert!(doc.contains(r#"<w:footerReference w:type="default" r:id="rIdFooter1" />"#));
            assert!(doc.contains(r#"<w:footerReference w:type="even" r:id="rIdFooter2" />"#));
            assert!(part(&path, "word/settings.xml").contains("<w:evenAndOddHeaders />"));
            for (f, jc) in [("word/footer1.xml", "right"), ("word/footer2.xml", "left")] {
                let x = part(&path, f);
                let p = paragraph_xml(&x);
                assert_eq!(p.len(), 1, "{x}");
                assert_eq!(text_of(p[0]), "— 1 —", "{x}");
                assert!(x.contains("<w:instrText>PAGE</w:instrText>"), "{x}");
                assert!(
                    x.contains(r#"w:fldCharType="begin""#) && x.contains(r#"w:fldCharType="end""#)
                );
                assert!(x.contains(r#"<w:sz w:val="28" />"#), "{x}");
                assert!(x.contains(&format!(r#"<w:jc w:val="{jc}" />"#)), "{x}");
            }
        }
    }
}

/// The paragraph of a section: the first body paragraph after its heading.
fn section<'a>(ps: &'a [(String, String)], heading: &str) -> &'a str {
    let i = ps.iter().position(|(_, t)| t == heading).unwrap();
    &ps[i + 1].1
}

#[test]
fn every_figure_the_notice_quotes_is_the_quarterly_workbooks() {
    let out = run_once();
    for (program, name) in programs() {
        for q in 1..=2u32 {
            let path = notice_path(out, program, name, q);
            let ps = paragraphs(&path);
            let qpath = quarterly_path(out, program, name, q);
            let wb = sheet(&qpath, "通报");
            let all: String = ps
                .iter()
                .map(|(_, t)| t.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            let overall = section(&ps, "一、总体情况");
            let i = ps.iter().position(|(_, t)| t == "一、总体情况").unwrap();
            let counts = &ps[i + 2].1;
            let ctx = format!("{program} Q{q}:\n{all}");
            // Cumulative, its rate against the plan, and the quarter's own figure.
            let label = if q == 1 { "一季度" } else { "上半年" };
            let (ytd, _) = indicator(&wb, &format!("{label}累计完成投资（万元）"));
            assert!(
                overall.starts_with(&format!(
                    "2023年{label}，全省{name}累计完成投资{}亿元",
                    yi(yuan(&ytd))
                )),
                "{ctx}"
            );
            let (rate, _) = indicator(&wb, "投资完成率");
            assert!(
                overall.contains(&format!("占年度计划的{:.1}%", num(&rate) * 100.0)),
                "{ctx}"
            );
            let (qd, _) = indicator(
                &wb,
                &format!("第{}季度完成投资（万元）", QUARTER_CN[q as usize - 1]),
            );
            match (&qd, q) {
                (Data::String(s), _) => {
                    assert_eq!(s, "—");
                    assert!(overall.contains("数据不全"), "{ctx}");
                }
                (d, 1) => assert_eq!(yuan(d), yuan(&ytd)),
                (d, _) => assert!(
                    overall.contains(&format!("其中第二季度完成投资{}亿元", yi(yuan(d)))),
                    "{ctx}"
                ),
            }
            // 开工率 and 投产率 with the counts the workbook shows beside them.
            let (start, start_note) = indicator(&wb, "开工率");
            let n = integers(&start_note);
            assert!(
                counts.contains(&format!(
                    "开工率{:.1}%（已开工{}个 ÷ 应开工{}个",
                    num(&start) * 100.0,
                    n[0],
                    n[1]
                )),
                "{ctx}"
            );
            assert!(
                // The workbook stores rates to six decimals.
                (n[0] as f64 / n[1] as f64 - num(&start)).abs() < 1e-6,
                "{start:?} {start_note}"
            );
            let (op, op_note) = indicator(&wb, "投产率");
            let n = integers(&op_note);
            let rate = match &op {
                Data::String(s) => s.clone(),
                d => format!("{:.1}%", num(d) * 100.0),
            };
            assert!(
                counts.contains(&format!(
                    "投产率{rate}（建成投产{}个 ÷ 应于本年建成{}个）",
                    n[0], n[1]
                )),
                "{ctx}"
            );
            let (lag, _) = indicator(&wb, "滞后项目（个）");
            let lag = num(&lag) as i64;
            assert!(counts.contains(&format!("滞后项目{lag}个")), "{ctx}");
            // 红榜 / 黑榜: the same units in the same order, with their rates.
            let board_sheet = sheet(&qpath, "红黑榜");
            let regions = section(&ps, "二、分地区情况");
            for board in ["红榜", "黑榜"] {
                // An empty board prints one 无 row under its heading.
                let rows: Vec<(String, f64)> = (3..board_sheet.height())
                    .filter(|&r| text(&cell(&board_sheet, r, 0)) == board)
                    .filter(|&r| text(&cell(&board_sheet, r, 1)) != "无")
                    .map(|r| {
                        (
                            text(&cell(&board_sheet, r, 1)),
                            num(&cell(&board_sheet, r, 5)),
                        )
                    })
                    .collect();
                if rows.is_empty() {
                    if board == "红榜" {
                        assert!(regions.contains("红榜空缺"), "{ctx}");
                    }
                    continue;
                }
                let listed: String = rows
                    .iter()
                    .map(|(unit, rate)| format!("{unit}（完成率{:.1}%", rate * 100.0))
                    .collect::<Vec<_>>()
                    .join("|");
                let clause = regions
                    .split(&format!("列入{board}的是："))
                    .nth(1)
                    .unwrap_or_else(|| panic!("no {board}: {ctx}"));
                let clause = &clause[..clause.find('。').unwrap()];
                let got: String = clause
                    .split("）、")
                    .map(|s| &s[..s.find("，").unwrap()])
                    .collect::<Vec<_>>()
                    .join("|");
                assert_eq!(got, listed, "{ctx}");
            }
            // 存在问题: the lagging projects per unit of the 滞后项目 sheet.
            let lag_sheet = sheet(&qpath, "滞后项目");
            let unit_c = col(&lag_sheet, "责任单位");
            let mut per_unit: Vec<(String, usize)> = Vec::new();
            for r in 3..lag_sheet.height() {
                let code = text(&cell(&lag_sheet, r, 1));
                if code.is_empty() || text(&cell(&lag_sheet, r, 0)).starts_with("注") {
                    continue;
                }
                let u = text(&cell(&lag_sheet, r, unit_c));
                match per_unit.iter_mut().find(|(k, _)| *k == u) {
                    Some((_, n)) => *n += 1,
                    None => per_unit.push((u, 1)),
                }
            }
            assert_eq!(
                per_unit.iter().map(|(_, n)| n).sum::<usize>() as i64,
                lag,
                "{ctx}"
            );
            let problems = section(&ps, "三、存在问题");
            assert!(problems.contains(&format!("全省滞后项目{lag}个")), "{ctx}");
            for (u, n) in &per_unit {
                assert!(problems.contains(&format!("{u}{n}个（")), "{u} {n}: {ctx}");
                if *n > 2 {
                    assert!(
                        problems.contains(&format!("等{n}个项目）")),
                        "{u} {n}: {ctx}"
                    );
                }
            }
        }
    }
}

#[test]
fn notice_text_matches_the_snapshots() {
    let out = run_once();
    let dir = root().join("tests/it/snapshots");
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut failures = Vec::new();
    let mut all = programs();
    all.push(("work-plan", "数字经济工作计划"));
    for (program, name) in all {
        for q in 1..=2u32 {
            let got = paragraphs(&notice_path(out, program, name, q))
                .into_iter()
                .map(|(_, t)| t)
                .collect::<Vec<_>>()
                .join("\n");
            let file = dir.join(format!("notice-{program}-2023Q{q}.txt"));
            if update {
                std::fs::write(&file, format!("{got}\n")).unwrap();
                continue;
            }
            let want = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            if want.trim_end() != got {
                failures.push(format!(
                    "{}\n--- want\n{want}\n--- got\n{got}",
                    file.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn copy_store(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap();
        if name.to_string_lossy().starts_with(".taizhang") {
            continue;
        }
        if p.is_dir() {
            copy_store(&p, &to.join(name));
        } else {
            std::fs::copy(&p, to.join(name)).unwrap();
        }
    }
}

#[test]
fn notice_bytes_are_the_same_when_written_again_and_dated_by_the_quarter() {
    let out = run_once();
    // Another process, another time, from the store alone (a copy: the
    // shared run's store may be locked by another test).
    let dir = tempfile::tempdir().unwrap();
    copy_store(&out.join("history"), &dir.path().join("history"));
    Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(root())
        .args(["quarterly", "--quarter", "2023Q2", "--out"])
        .arg(dir.path().join("out"))
        .arg("--store")
        .arg(dir.path().join("history"))
        .assert()
        .success();
    for (program, name) in programs() {
        let first = std::fs::read(notice_path(out, program, name, 2)).unwrap();
        let again = std::fs::read(notice_path(&dir.path().join("out"), program, name, 2)).unwrap();
        assert!(
            first == again,
            "{program}: the 通报 differs when written again"
        );
        let core = part(&notice_path(out, program, name, 2), "docProps/core.xml");
        assert!(
            core.contains(">2023-07-10T00:00:00Z</dcterms:created>"),
            "{core}"
        );
        assert!(
            core.contains(">2023-07-10T00:00:00Z</dcterms:modified>"),
            "{core}"
        );
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(first)).unwrap();
        for i in 0..zip.len() {
            let e = zip.by_index(i).unwrap();
            let t = e.last_modified().unwrap();
            assert_eq!(
                (t.year(), t.month(), t.day(), t.hour()),
                (2023, 7, 10, 0),
                "{:?}",
                e.name()
            );
        }
    }
}

/// A quarter whose first months were never run: the 通报 says 数据不全 and
/// names the missing months instead of stating June as the quarter.
#[test]
fn a_partial_quarter_is_marked_incomplete_not_stated_as_the_quarter() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    for month in ["2023-06", "2023-07"] {
        copy_store(
            &root().join("samples/inbox").join(month),
            &inbox.join(month),
        );
    }
    let out = dir.path().join("out");
    Command::cargo_bin("taizhang")
        .unwrap()
        .current_dir(root())
        .args(["run", "--quiet", "--pipeline", "new-infra", "--inbox"])
        .arg(&inbox)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let ps = paragraphs(&notice_path(&out, "new-infra", "新基建项目", 2));
    let overall = section(&ps, "一、总体情况");
    assert!(
        overall.contains("历史库中缺3月、4月、5月数据，第二季度完成投资数据不全，不作统计"),
        "{overall}"
    );
    assert!(!overall.contains("其中第二季度完成投资"), "{overall}");
    let wb = sheet(&quarterly_path(&out, "new-infra", "新基建项目", 2), "通报");
    let (qd, note) = indicator(&wb, "第二季度完成投资（万元）");
    assert_eq!(text(&qd), "—");
    assert!(note.contains("数据不全"), "{note}");
}

/// The 通报 is an output of the period: listed in the manifest and the store
/// entry (by presence: an edited one is kept by a rerun), and removed when a rerun writes it under another
/// name (here: the pipeline's title changed).
#[test]
fn the_notice_is_recorded_and_a_renamed_one_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    for month in ["2023-06", "2023-07"] {
        copy_store(
            &root().join("samples/inbox").join(month),
            &inbox.join(month),
        );
    }
    let out = dir.path().join("out");
    let run = |pipeline: &Path| {
        Command::cargo_bin("taizhang")
            .unwrap()
            .current_dir(root())
            .args(["run", "--quiet", "--pipeline"])
            .arg(pipeline)
            .arg("--inbox")
            .arg(&inbox)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
    };
    run(&root().join("pipelines/new-infra.toml"));
    let period = out.join("new-infra/2023-06");
    let first = "关于2023年第二季度全省新基建项目推进情况的通报.docx";
    let bytes = std::fs::read(period.join(first)).unwrap();
    let manifest = std::fs::read_to_string(period.join("manifest.json")).unwrap();
    assert!(manifest.contains(&format!("\"{first}\"")), "{manifest}");
    let stored = std::fs::read_to_string(out.join("history/new-infra/2023-06.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&stored).unwrap();
    let sha = v["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["file"] == first)
        .unwrap_or_else(|| panic!("{first} not in the store entry"))["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    // Recorded by presence: the office completes the document after the run.
    assert_eq!(sha, "");
    assert!(!bytes.is_empty());
    let mut edited = bytes.clone();
    edited.extend_from_slice(b"office edit");
    std::fs::write(period.join(first), &edited).unwrap();
    run(&root().join("pipelines/new-infra.toml"));
    // June is not the target: an edited 通报 is no reason to redo it.
    assert!(
        std::fs::read(period.join(first)).unwrap() == edited,
        "an edited 通报 is kept by a rerun"
    );

    let renamed = dir.path().join("new-infra.toml");
    let text = std::fs::read_to_string(root().join("pipelines/new-infra.toml")).unwrap();
    std::fs::write(
        &renamed,
        text.replace("全省{name}\\n推进情况的通报", "{name}推进情况的通报"),
    )
    .unwrap();
    run(&renamed);
    assert!(!period.join(first).exists(), "the old 通报 is left behind");
    assert!(period
        .join("关于2023年第二季度新基建项目推进情况的通报.docx")
        .is_file());
}
