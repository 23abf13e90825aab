//! The work-plan section of `samples/README.md`.

use std::fmt::Write as _;

use super::super::units::Unit;
use super::annex::Item;
use super::ledgers::{layout, Ext, Field, GroupMode, Written};
use super::plant::{SILENT, SUPPLEMENT};
use super::WorkPlanOut;

fn layout_notes(unit: &str) -> String {
    let l = layout(unit);
    let mut notes = Vec::new();
    match l.ext {
        Ext::Xlsx => {}
        Ext::XlsName => notes.push("xlsx content with `.xls` extension".to_string()),
        Ext::CsvGbk => notes.push("CSV, GBK-encoded, header on row 1".to_string()),
    }
    if l.title.is_some() {
        notes.push("title row".to_string());
    }
    if l.unit_line {
        notes.push("填报单位 line".to_string());
    }
    if l.date_line {
        notes.push("填报时间 line".to_string());
    }
    if l.two_rows {
        notes.push("two header rows (截至N月底落实情况 over 进展/状态/时间/问题)".to_string());
    }
    match l.group {
        GroupMode::None => {}
        GroupMode::Column => notes.push("重点专项 column, merged cells".to_string()),
        GroupMode::Heading => notes.push("group heading rows 一、…专项".to_string()),
    }
    if l.footer {
        notes.push("footer 填报人/审核人".to_string());
    }
    for (f, what) in [
        (Field::Unit, "责任单位"),
        (Field::Due, "完成时限"),
        (Field::Problems, "存在问题"),
        (Field::Remark, "备注"),
    ] {
        if l.fields.contains(&f) {
            notes.push(format!("has {what}"));
        }
    }
    notes.join("; ")
}

/// The section text.
pub fn render(
    items: &[Item],
    reporters: &[&Unit],
    july: &[(String, Written)],
    out: &WorkPlanOut,
) -> String {
    let mut s = String::new();
    let inferred = items.iter().filter(|i| i.group_inferred).count();
    let lost: Vec<u32> = items
        .iter()
        .filter(|i| i.text.is_none())
        .map(|i| i.seq)
        .collect();
    let _ = writeln!(s, "\n## Work plan (`work-plan`, kind `tasks`)\n");
    let _ = writeln!(
        s,
        "The 111 work items of 数字经济发展2023年工作计划, parsed at generation time from the raw annex\n\
         (`../shared/data/work-plan-2023-annex.txt`, `gen-samples --annex FILE` to use another copy;\n\
         rules in `src/samplegen/workplan/annex.rs`), and the monthly ledgers of their 责任单位.\n"
    );
    let _ = writeln!(
        s,
        "`seeds/work-plan-library.xlsx`, sheet `任务库`: row 1 merged title, row 2 header (序号, 重点专项,\n\
         工作举措, 牵头单位, 配合单位, 完成时限, 责任单位, 备注), {} items from row 3. 牵头单位 = the first unit\n\
         named, 配合单位 = the rest (各设区市政府和赣江新区 / 设区市及赣江新区 expanded to the 12 units,\n\
         有关部门 kept as text), 责任单位 = every reporting unit joined by 、. 完成时限 is 2023年12月 for every\n\
         item: no item's text names an earlier time, so W506 (due but not done) cannot fire before\n\
         December in these samples. {} items have an inferred 重点专项 (备注 重点专项按原表版面推断); items\n\
         {}-{} lost their text (工作举措 （原文缺失）, 备注 says so); the ledgers copy that placeholder, as\n\
         the commission's template carries it.\n",
        items.len(),
        inferred,
        lost.first().copied().unwrap_or(0),
        lost.last().copied().unwrap_or(0),
    );
    let _ = writeln!(
        s,
        "Ledgers: {} files, {} data rows in `samples/inbox/2023-01` … `2023-07`, beside the investment\n\
         ledgers: one file per reporting unit per month ({} units), listing the unit's own items\n\
         (牵头 or 配合) with the plan's 序号 and text. {} sends nothing in 2023-{:02}; {} sends a\n\
         （补报） file after its 2023-{:02} ledger. Progress follows a hidden timeline (未启动 →\n\
         按序时推进 ⇄ 滞后 → 已完成, never backwards unless planted).\n",
        out.files,
        out.rows,
        reporters.len(),
        SILENT.1,
        SILENT.0,
        SUPPLEMENT.1,
        SUPPLEMENT.0,
    );
    let _ = writeln!(s, "| unit | items | 2023-07 file | sheet | layout |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    for unit in reporters {
        let n = items
            .iter()
            .filter(|i| i.reporting.contains(&unit.name))
            .count();
        let (file, sheet) = july
            .iter()
            .find(|(u, _)| *u == unit.name)
            .map(|(_, w)| (w.file_name.as_str(), w.sheet.as_str()))
            .unwrap_or(("", ""));
        let _ = writeln!(
            s,
            "| {} | {n} | `{file}` | {sheet} | {} |",
            unit.name,
            layout_notes(&unit.name)
        );
    }
    let _ = writeln!(
        s,
        "\n### Planted work-plan mistakes\n\n\
         Cells point at the 工作举措 cell (E501, E502, W507), the 完成状态 cell (W503, E508), the\n\
         完成时间 cell (W504) or the 进展情况 cell (W505) — the last two are empty by design. A row\n\
         rejected by E508 leaves its item without data from that unit that month (the E508 says so;\n\
         its state is carried from last month). W509 is an item the unit left out; W008 names the\n\
         ledger whose item a later （补报） file of the same unit corrected.\n"
    );
    let _ = writeln!(s, "| period | unit | check | file | cell | item | what |");
    let _ = writeln!(s, "|---|---|---|---|---|---|---|");
    let mut planted = out.planted.clone();
    planted.sort();
    for p in &planted {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            p.period,
            p.unit,
            p.check,
            dash(&p.file, true),
            dash(&p.cell, false),
            dash(&p.project_code, false),
            p.what
        );
    }
    s
}

fn dash(text: &str, code: bool) -> String {
    match (text.is_empty(), code) {
        (true, _) => "—".to_string(),
        (false, true) => format!("`{text}`"),
        (false, false) => text.to_string(),
    }
}
