//! Renders `samples/README.md`: what the samples are, how they are made, the
//! layout of each unit and the planted mistakes with the findings expected.

use std::fmt::Write as _;

use super::layout::{assignment, leaves, variant, Meta, VARIANTS};
use super::money::wan2_grouped;
use super::planted::PlantedEntry;
use super::rows::Col;
use super::units::Unit;
use super::Program;

/// Inputs of the README.
pub struct ReadmeInput<'a> {
    pub units: &'a [Unit],
    /// (program id, projects, annual sum 元).
    pub libraries: &'a [(String, usize, i64)],
    pub files: usize,
    pub rows: usize,
    /// (program, unit index, file name, sheet) of the 2023-07 files.
    pub file_table: &'a [(Program, usize, String, String)],
    pub planted: &'a [PlantedEntry],
}

/// The README text.
pub fn render(input: &ReadmeInput) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Sample inbox and master data\n");
    s.push_str(
        "Synthetic but realistic monthly project ledgers (台账) of the 12 reporting units of Jiangxi\n\
         (plus 省通信管理局 for 新基建), January to July 2023, for both programs, and the two project\n\
         libraries they are checked against. Everything here is **generated**; do not edit by hand.\n\n\
         ```\n\
         cargo run --release --bin gen-samples            # writes under the current directory\n\
         cargo run --release --bin gen-samples -- --root DIR\n\
         ```\n\n\
         The generator (`src/samplegen/`) is deterministic: a fixed seed, SplitMix64 streams, pinned\n\
         workbook creation dates (library 2023-01-01; a ledger its 填报时间), so two runs give\n\
         byte-identical files. It deletes and rewrites `samples/inbox/`, and rewrites\n\
         `samples/planted.json`, this README and `seeds/*-library.xlsx`.\n\n",
    );
    let _ = writeln!(s, "## Master data (`seeds/`)\n");
    let _ = writeln!(s, "| program | file | projects | sum of 年度计划投资 |");
    let _ = writeln!(s, "|---|---|---|---|");
    for (id, n, sum) in input.libraries {
        let file = Program::ALL
            .iter()
            .find(|p| p.id() == id)
            .map(|p| p.library_path())
            .unwrap_or("");
        let _ = writeln!(
            s,
            "| `{id}` | `{file}` | {n} | {} 万元 |",
            wan2_grouped(*sum)
        );
    }
    s.push_str(
        "\nSheet `项目库`: row 1 merged title, row 2 `单位：万元`, row 3 the header (序号, 项目代码,\n\
         项目名称, 批次 (数字经济 only), 责任单位, 所在县（区）, 类别/赛道, 项目业主, 建设性质, 建设年限,\n\
         总投资（万元）, 年度计划投资（万元）, 计划开工时间), data from row 4, no total row. Digital-economy\n\
         projects are listed 第一批 first, then 第二批.\n\n",
    );
    let _ = writeln!(s, "## Inbox (`samples/inbox/2023-MM/`)\n");
    let _ = writeln!(
        s,
        "{} ledger files with {} project rows in all: per month one file per unit and program \
         (新基建: 13 units; 数字经济: 12), both programs in the same folder, all `.xlsx` content \
         (宜春市 saves them with a `.xls` extension). A ledger for month M reports 1-M月 figures and \
         is dated (填报时间) the 3rd-8th of month M+1. Each unit keeps its layout every month and \
         lists all its own projects in a fixed order.\n",
        input.files, input.rows
    );
    let _ = writeln!(s, "### Layout variants\n");
    let _ = writeln!(s, "| variant | what it looks like |");
    let _ = writeln!(s, "|---|---|");
    for i in 0..VARIANTS {
        let l = variant(i);
        let _ = writeln!(s, "| {} | {} |", l.id, l.summary);
    }
    let _ = writeln!(s, "\n### Units (file names as of 2023-07)\n");
    let _ = writeln!(
        s,
        "| unit | program | variant | file | sheet | unit named in | notes |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|");
    for (program, ui, file, sheet) in input.file_table {
        let Some(unit) = input.units.get(*ui) else {
            continue;
        };
        let a = assignment(*program, unit);
        let layout = variant(a.variant);
        let mut named = Vec::new();
        if ["{UNIT}", "{SHORT}", "{FULL}"]
            .iter()
            .any(|p| a.file.contains(p))
        {
            named.push("file name");
        }
        if layout.meta != Meta::None {
            named.push("填报单位 line");
        }
        if layout.titles.iter().any(|t| t.contains("{UNIT}")) {
            named.push("title");
        }
        if leaves(&layout.header)
            .iter()
            .any(|(c, _, _)| *c == Col::Unit)
        {
            named.push("unit column");
        }
        let mut notes = Vec::new();
        if a.yi_total {
            notes.push("总投资（亿元）, other money columns 万元");
        }
        if a.xls_ext {
            notes.push("xlsx content with `.xls` extension");
        }
        let _ = writeln!(
            s,
            "| {} | {} | {} | `{file}` | `{sheet}` | {} | {} |",
            unit.name,
            program.short(),
            layout.id,
            named.join(", "),
            notes.join("; ")
        );
    }
    let _ = writeln!(s, "\n## Planted mistakes (`samples/planted.json`)\n");
    s.push_str(
        "Apart from these the samples are clean: no duplicates, every project reported every month,\n\
         1-N月累计 = last month's + this month's exactly, 年度计划投资 = library, status never goes\n\
         backwards, 未开工 rows carry no money, 合计/小计 rows hold exact sums of the rows written.\n\n",
    );
    let _ = writeln!(s, "| period | program | unit | check | what the run must say | file | sheet | cell | project |");
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
    for p in input.planted {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            p.period,
            p.program,
            p.unit,
            p.check,
            p.what,
            code_or_dash(&p.file),
            code_or_dash(&p.sheet),
            code_or_dash(&p.cell),
            code_or_dash(&p.project_code)
        );
    }
    s.push_str(
        "\nNotes for the reader side:\n\n\
         - 萍乡市 sends no 数字经济 file for 2023-05; its 2023-06 file reports 1-6月 cumulative figures\n\
         \x20 that include May, so 6月 ytd ≠ (carried-forward 4月 ytd + 6月 month) for its projects: the\n\
         \x20 continuity check must compare with the last month actually reported, or skip after a gap.\n\
         - The E301 row keeps the true 7月完成投资, so it also breaks ytd = last ytd + month; the row is\n\
         \x20 rejected by E301 and should not produce further findings.\n\
         - The duplicate (E204/W205) and the extra row (E201) are included in their file's 合计, as a\n\
         \x20 person adding a row would do; the 九江市 合计/小计 include the mistyped figure.\n\
         - The W210 cell is the only money cell with a unit suffix. Variant V06 also writes some\n\
         \x20 money cells as plain text (`1,234.50`), which are not findings.\n",
    );
    s
}

fn code_or_dash(text: &str) -> String {
    if text.is_empty() {
        "—".to_string()
    } else {
        format!("`{text}`")
    }
}
