//! Normalize: a [`RawWorkbook`] → a [`ParsedFile`]: which program and unit the
//! file belongs to, the period it states, its ledger tables (header located,
//! columns mapped), every row classified (data / 合计 / group / blank /
//! footer), and each data row's values typed, with findings at their cells.
//! Pure: no disk, no printing.

use regex::Regex;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::checks::{finding, Loc};
use crate::config::{FieldKind, HiddenRowsPolicy, PipelineSpec};
use crate::model::{
    Cell, ColumnMap, Extra, FileStatus, Finding, InboxFile, LedgerRow, ParsedFile, Period,
    RawSheet, RawWorkbook, SheetTable, SkipReason, TotalKind, TotalRow,
};
use crate::parse::{
    clean_code, is_project_code, month_from_serial, parse_month_text, MoneyUnit, Nature, Status,
    YearMonth, Yuan,
};
use crate::pipeline::header::{locate, unit_line, TableLayout};
use crate::seeds::{Libraries, Units};
use crate::text::{clean_cell_text, strip_spaces};

mod template;
mod unit;
pub use crate::pipeline::money::{money_value, MoneyValue};
pub use unit::{unit_clues, UnitClue, UnitSource};

/// Least header score (required fields count 2) for a sheet to be a ledger.
pub const MIN_LEDGER_SCORE: u32 = 6;

/// What normalisation needs to know besides the file.
pub struct Context<'a> {
    pub specs: &'a [PipelineSpec],
    /// Programs not selected this run: id and file keywords.
    pub unselected: &'a [(String, Vec<String>)],
    /// Consulted only when a file's keywords leave its program open.
    pub libraries: &'a Libraries,
    pub units: &'a Units,
    /// The period being read, when there is one: a fill-in template of
    /// another period is refused (E013).
    pub period: Option<Period>,
}

/// Compiles a constant pattern once. The patterns are literals covered by the
/// tests below, so failure is a programming error, not an input error.
#[allow(clippy::expect_used)]
fn re(cell: &'static OnceLock<Regex>, pat: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pat).expect("constant regex"))
}

fn period_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(20\d{2})\s*年\s*(?:度\s*)?(?:1\s*[-—–~～至到]\s*)?(\d{1,2})\s*月",
    )
}

fn compact_period_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?:^|[^\d])(20\d{2})[-._]?(0[1-9]|1[0-2])(?:[^\d]|$)")
}

fn fill_unit_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"填报单位\s*(?:[（(]\s*盖章\s*[)）])?\s*[:：]\s*([^\s:：]+)",
    )
}

fn fill_date_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?:填报|报送|填表)(?:时间|日期)\s*[:：]\s*(\S+)")
}

fn group_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"^(?:[一二三四五六七八九十]+\s*[、.．]|[（(]\s*[一二三四五六七八九十]+\s*[）)]|其中|[一二三四五六七八九十]+$)|[（(]\s*\d+\s*[项个]\s*[）)]$|\d+\s*[项个]$",
    )
}

/// Text of the rows above a header: titles, 填报单位 line, unit line.
fn rows_text(sheet: &RawSheet, from: u32, to: u32) -> Vec<String> {
    (from..to)
        .map(|r| {
            sheet
                .rows
                .get(r as usize)
                .map(|row| {
                    row.iter()
                        .filter_map(|c| match c {
                            Cell::Text(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                        .join("  ")
                })
                .unwrap_or_default()
        })
        .collect()
}

/// The month a title or file name states (`2023年1-7月` → 2023-07).
pub fn stated_period(text: &str) -> Option<Period> {
    let t = crate::text::to_halfwidth(text);
    if let Some(c) = period_re().captures(&t) {
        let y = c.get(1)?.as_str().parse().ok()?;
        let m: u32 = c.get(2)?.as_str().parse().ok()?;
        if (1..=12).contains(&m) {
            return Some(YearMonth { year: y, month: m });
        }
    }
    let c = compact_period_re().captures(&t)?;
    Some(YearMonth {
        year: c.get(1)?.as_str().parse().ok()?,
        month: c.get(2)?.as_str().parse().ok()?,
    })
}

/// A file's name and the text of the first rows of each sheet (titles), where
/// program keywords are looked for.
pub fn file_text(name: &str, raw: &RawWorkbook) -> String {
    let mut text = name.to_string();
    for s in &raw.sheets {
        for line in rows_text(s, 0, 6) {
            text.push(' ');
            text.push_str(&line);
        }
    }
    text
}

/// The programs whose file keywords a text contains.
fn keyword_hits(text: &str, ctx: &Context<'_>) -> Vec<usize> {
    ctx.specs
        .iter()
        .enumerate()
        .filter(|(_, s)| s.match_keywords.iter().any(|k| text.contains(k.as_str())))
        .map(|(i, _)| i)
        .collect()
}

/// Decides which program a file belongs to: keywords in its name or first rows,
/// else the library that knows most of its project codes (for a tasks-kind
/// program: of its cells that read as the plan's items). When the programs
/// are of several kinds, the header has a say too: a file whose keyword names
/// one program but whose table is another kind's ledger (`数字经济发展2023年
/// 工作计划` names 数字经济, its columns are 工作举措 and 完成状态) goes to the
/// program whose required columns it has.
pub fn classify_program(name: &str, raw: &RawWorkbook, ctx: &Context<'_>) -> Option<usize> {
    let text = file_text(name, raw);
    let hits = keyword_hits(&text, ctx);
    let kinds_differ = ctx.specs.iter().any(|s| s.kind != ctx.specs[0].kind);
    // A program left out of this run names the file too: the header decides
    // whether it is the selected program's ledger at all.
    let also_unselected = ctx
        .unselected
        .iter()
        .any(|(_, kws)| kws.iter().any(|k| text.contains(k.as_str())));
    if let [one] = hits.as_slice() {
        let doubt = kinds_differ || also_unselected;
        if !doubt || header_fit(raw, &ctx.specs[*one]).is_some() {
            return Some(*one);
        }
        if also_unselected && !kinds_differ {
            return None;
        }
    }
    // Fall back to codes: count cells that are codes of each library (waits
    // for the libraries if they are still loading).
    let mut counts = vec![0usize; ctx.specs.len()];
    for s in &raw.sheets {
        count_codes(s, ctx, &mut counts);
    }
    most_codes(&counts)
        .or_else(|| kinds_differ.then(|| best_fit(raw, ctx, &hits)).flatten())
        .or_else(|| (hits.len() == 1).then(|| hits[0]))
}

/// How well a workbook reads as a program's ledger: the best header score of
/// a sheet that has every required column (code may stand in for name and
/// the other way round), none when no sheet has them.
fn header_fit(raw: &RawWorkbook, spec: &PipelineSpec) -> Option<u32> {
    raw.sheets
        .iter()
        .filter(|s| s.visible)
        .filter_map(|s| locate(s, spec, MIN_LEDGER_SCORE))
        .filter(|l| {
            spec.fields.iter().filter(|f| f.required).all(|f| {
                let has = |k: &str| l.columns.iter().any(|c| c.field == k);
                has(&f.key) || (f.key == "code" && has("name"))
            })
        })
        .map(|l| l.score)
        .max()
}

/// The program whose ledger the workbook reads as best (among the keyword
/// hits when there are some), when one alone does.
fn best_fit(raw: &RawWorkbook, ctx: &Context<'_>, hits: &[usize]) -> Option<usize> {
    let fits: Vec<(usize, u32)> = (0..ctx.specs.len())
        .filter_map(|i| header_fit(raw, &ctx.specs[i]).map(|s| (i, s)))
        .collect();
    let among: Vec<(usize, u32)> = if fits.iter().any(|(i, _)| hits.contains(i)) {
        fits.into_iter().filter(|(i, _)| hits.contains(i)).collect()
    } else {
        fits
    };
    let best = among.iter().map(|(_, s)| *s).max()?;
    let mut top = among.iter().filter(|(_, s)| *s == best);
    match (top.next(), top.next()) {
        (Some((i, _)), None) => Some(*i),
        _ => None,
    }
}

/// Adds the cells of a sheet (its first 5,000 rows) that are codes of each
/// program's library to `counts`, and for a tasks-kind program the cells of
/// its first `PLAN_VOTE_ROWS` rows that read as one of its plan's items
/// (waits for the libraries if still loading).
fn count_codes(sheet: &RawSheet, ctx: &Context<'_>, counts: &mut [usize]) {
    let libraries = ctx.libraries.get().unwrap_or_default();
    for (r, row) in sheet.rows.iter().take(5000).enumerate() {
        for c in row {
            if let Cell::Text(t) = c {
                if r < PLAN_VOTE_ROWS {
                    for (i, lib) in libraries.iter().enumerate() {
                        let min = ctx.specs.get(i).map_or(1.0, |s| s.tasks.min_similarity);
                        if lib.plan.as_ref().is_some_and(|p| p.knows(t, min)) {
                            if let Some(n) = counts.get_mut(i) {
                                *n += 1;
                            }
                        }
                    }
                }
                let code = clean_code(t);
                if is_project_code(&code) {
                    for (i, lib) in libraries.iter().enumerate() {
                        if lib.by_code(&code).is_some() {
                            if let Some(n) = counts.get_mut(i) {
                                *n += 1;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Rows of a sheet whose texts are compared with a plan's items when a
/// file's program is decided by its content.
const PLAN_VOTE_ROWS: usize = 200;

/// The program whose library knows most codes, when one alone does.
fn most_codes(counts: &[usize]) -> Option<usize> {
    let best = counts.iter().enumerate().max_by_key(|(_, n)| **n)?;
    let ties = counts.iter().filter(|n| **n == *best.1).count();
    (*best.1 > 0 && ties == 1).then_some(best.0)
}

/// A program's share of a workbook: its sheets (in workbook order) and the
/// sheets it does not hold, with why (listed among its skipped sheets).
#[derive(Debug)]
pub struct ProgramPart {
    pub program: usize,
    pub raw: RawWorkbook,
    pub elsewhere: Vec<(String, String)>,
}

/// What a sheet's own name, title or codes say about its program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SheetOwner {
    /// A program of this run (index into the specs).
    Program(usize),
    /// A program not selected this run (index into `unselected`).
    Unselected(usize),
}

/// The program a text names: one selected program's keywords alone, else
/// (no selected one named) an unselected program's.
fn named_program(
    text: &str,
    ctx: &Context<'_>,
    unselected: &[(String, Vec<String>)],
) -> Option<SheetOwner> {
    let hits = keyword_hits(text, ctx);
    match hits.as_slice() {
        [one] => Some(SheetOwner::Program(*one)),
        [] => unselected
            .iter()
            .position(|(_, kws)| kws.iter().any(|k| text.contains(k.as_str())))
            .map(SheetOwner::Unselected),
        _ => None,
    }
}

/// Where a sheet goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dest {
    /// With the file's program (or, when the file has none, the first part).
    Rest,
    Program(usize),
    /// Left out: a program not selected this run.
    Unselected(usize),
}

/// Splits a workbook by program, sheet by sheet. The file's program is decided
/// as [`classify_program`] does; a visible ledger sheet whose own evidence —
/// its name, else its title rows, else (in a workbook of several ledger
/// sheets) the library knowing most of its codes — names another program, and
/// whose header reads as that program's ledger, goes to that program; every
/// other sheet stays with the file's program. When no sheet leaves, the
/// workbook is one part, exactly as before. `Err` gives the workbook back when
/// no program of this run claims any of it.
pub fn program_parts(
    name: &str,
    raw: RawWorkbook,
    ctx: &Context<'_>,
    unselected: &[(String, Vec<String>)],
) -> Result<Vec<ProgramPart>, RawWorkbook> {
    // A fill-in template names its program.
    if let Some(program) = template::template_program(&raw, ctx) {
        return Ok(vec![ProgramPart {
            program,
            raw,
            elsewhere: Vec::new(),
        }]);
    }
    let file_prog = classify_program(name, &raw, ctx);
    let whole = |raw: RawWorkbook| match file_prog {
        Some(program) => Ok(vec![ProgramPart {
            program,
            raw,
            elsewhere: Vec::new(),
        }]),
        None => Err(raw),
    };
    if raw.sheets.len() < 2 {
        return whole(raw);
    }
    // The programs each visible, non-blank sheet reads as a ledger of.
    let ledger_of: Vec<Vec<usize>> = raw
        .sheets
        .iter()
        .map(|s| {
            if !s.visible || s.rows.iter().all(|r| r.iter().all(Cell::is_blank)) {
                return Vec::new();
            }
            (0..ctx.specs.len())
                .filter(|&i| locate(s, &ctx.specs[i], MIN_LEDGER_SCORE).is_some())
                .collect()
        })
        .collect();
    let several = ledger_of.iter().filter(|l| !l.is_empty()).count() >= 2;
    let dests: Vec<Dest> = raw
        .sheets
        .iter()
        .zip(&ledger_of)
        .map(|(s, ledger)| {
            if ledger.is_empty() {
                return Dest::Rest;
            }
            let owner = named_program(&s.name, ctx, unselected)
                .or_else(|| named_program(&rows_text(s, 0, 6).join(" "), ctx, unselected))
                .or_else(|| {
                    if !several {
                        return None;
                    }
                    let mut counts = vec![0usize; ctx.specs.len()];
                    count_codes(s, ctx, &mut counts);
                    most_codes(&counts).map(SheetOwner::Program)
                });
            match owner {
                Some(SheetOwner::Program(p)) if Some(p) != file_prog && ledger.contains(&p) => {
                    Dest::Program(p)
                }
                Some(SheetOwner::Unselected(u)) => Dest::Unselected(u),
                _ => Dest::Rest,
            }
        })
        .collect();
    let moved: Vec<usize> = dests
        .iter()
        .filter_map(|d| match d {
            Dest::Program(p) => Some(*p),
            _ => None,
        })
        .collect();
    // The rest stays with the file's program when it holds a ledger of it;
    // else it joins the first program a sheet moved to.
    let rest_has_own = file_prog.is_some_and(|fp| {
        dests
            .iter()
            .zip(&ledger_of)
            .any(|(d, l)| *d == Dest::Rest && l.contains(&fp))
    });
    if moved.is_empty() && !dests.iter().any(|d| matches!(d, Dest::Unselected(_))) {
        return whole(raw);
    }
    let rest_prog = match (file_prog, moved.first()) {
        (Some(fp), _) if rest_has_own => fp,
        (_, Some(first)) => *first,
        // Nothing moved to a program of this run and the rest holds no
        // ledger of the file's program: the workbook stays whole.
        (_, None) => return whole(raw),
    };
    let target = |d: Dest| match d {
        Dest::Rest => Some(rest_prog),
        Dest::Program(p) => Some(p),
        Dest::Unselected(_) => None,
    };
    let why = |d: Dest| match d {
        Dest::Unselected(u) => format!(
            "属于本次未选择的项目类别 {}（未读取）",
            unselected.get(u).map(|x| x.0.as_str()).unwrap_or_default()
        ),
        _ => {
            let spec = target(d).and_then(|p| ctx.specs.get(p));
            format!(
                "属于{}（见该类别的报表）",
                spec.map(|s| s.name.as_str()).unwrap_or_default()
            )
        }
    };
    let mut programs: Vec<usize> = dests.iter().filter_map(|d| target(*d)).collect();
    programs.sort_unstable();
    programs.dedup();
    let mut parts: Vec<ProgramPart> = programs
        .iter()
        .map(|&program| ProgramPart {
            program,
            raw: RawWorkbook {
                sheets: Vec::new(),
                is_1904: raw.is_1904,
                properties: raw.properties.clone(),
            },
            elsewhere: Vec::new(),
        })
        .collect();
    for (sheet, d) in raw.sheets.into_iter().zip(dests) {
        let to = target(d);
        for part in parts.iter_mut() {
            if Some(part.program) != to {
                part.elsewhere.push((sheet.name.clone(), why(d)));
            }
        }
        if let Some(part) = parts.iter_mut().find(|p| Some(p.program) == to) {
            part.raw.sheets.push(sheet);
        }
    }
    Ok(parts)
}

/// Parses one program's part of a workbook ([`program_parts`]): as
/// [`parse_file`], the sheets of other programs listed as skipped.
pub fn parse_part(file: InboxFile, part: ProgramPart, ctx: &Context<'_>) -> ParsedFile {
    let mut out = parse_file(file, part.raw, part.program, ctx);
    out.skipped_sheets.extend(part.elsewhere);
    out
}

/// Parses one file for one program.
pub fn parse_file(
    file: InboxFile,
    raw: RawWorkbook,
    program: usize,
    ctx: &Context<'_>,
) -> ParsedFile {
    let spec = &ctx.specs[program];
    if let Some(id) = template::identity(&raw)
        .filter(|id| id.program == spec.id && raw.sheets.iter().any(|s| s.name == id.sheet))
    {
        return template::parse(file, raw, program, &id, ctx);
    }
    let mut out = ParsedFile {
        file,
        program: Some(spec.id.clone()),
        unit_id: None,
        declared_period: None,
        filled_on: None,
        tables: Vec::new(),
        findings: Vec::new(),
        status: FileStatus::Ok,
        error: None,
        skipped_sheets: Vec::new(),
        raw: None,
    };
    let fname = out.file.name.clone();
    for sheet in &raw.sheets {
        if sheet.rows.iter().all(|r| r.iter().all(Cell::is_blank)) {
            out.skipped_sheets
                .push((sheet.name.clone(), "空工作表".to_string()));
            continue;
        }
        let Some(layout) = locate(sheet, spec, MIN_LEDGER_SCORE) else {
            out.skipped_sheets.push((
                sheet.name.clone(),
                "未找到台账表头（说明页或其他表）".to_string(),
            ));
            continue;
        };
        if !sheet.visible {
            out.findings.push(finding(
                Some(spec),
                "W010",
                &Loc {
                    file: &fname,
                    sheet: &sheet.name,
                    ..Default::default()
                },
                "隐藏的工作表看起来是台账，未计入本期数据",
                "",
                "",
            ));
            out.skipped_sheets
                .push((sheet.name.clone(), "隐藏的台账工作表（未读取）".to_string()));
            continue;
        }
        let above = rows_text(sheet, 0, layout.header_top);
        for line in &above {
            if out.filled_on.is_none() {
                out.filled_on = fill_date_re()
                    .captures(line)
                    .and_then(|c| c.get(1))
                    .map(|m| m.as_str().to_string());
            }
            if out.declared_period.is_none() && !line.contains("填报") && !line.contains("报送")
            {
                out.declared_period = stated_period(line);
            }
        }
        let table = parse_table(
            sheet,
            &layout,
            &above,
            spec,
            &fname,
            raw.is_1904,
            &mut out.findings,
        );
        out.tables.push(table);
    }
    if out.declared_period.is_none() {
        out.declared_period = stated_period(&fname);
    }
    // Unit: file name, then 填报单位 line, then title, then the 责任单位 column
    // if it holds one unit (validate may still decide it from the projects).
    out.unit_id = unit_clues(&fname, Some(&raw), &out.tables, ctx.units)
        .into_iter()
        .next()
        .map(|c| c.unit_id);
    if out.tables.is_empty() {
        out.status = FileStatus::Rejected;
        out.error = Some("未找到台账表头".to_string());
        out.findings.push(finding(
            Some(spec),
            "E005",
            &Loc {
                file: &fname,
                ..Default::default()
            },
            "所有工作表中都没有找到台账表头（需有项目代码或项目名称，以及投资额等列）",
            "",
            "",
        ));
    }
    name_unit_in_findings(&mut out, ctx);
    out.raw = Some(raw);
    out
}

/// Every finding of a parsed file names its unit.
fn name_unit_in_findings(out: &mut ParsedFile, ctx: &Context<'_>) {
    let unit_name = out
        .unit_id
        .as_deref()
        .and_then(|id| ctx.units.by_id(id))
        .map(|u| u.name.clone())
        .unwrap_or_default();
    for f in out.findings.iter_mut() {
        f.unit.clone_from(&unit_name);
    }
    for t in out.tables.iter_mut() {
        for r in t.rows.iter_mut() {
            for f in r.findings.iter_mut() {
                f.unit.clone_from(&unit_name);
            }
        }
    }
}

/// Text of a cell as a row label (合计, 一、…); numbers (序号) are never labels.
fn label_text(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => strip_spaces(s),
        _ => String::new(),
    }
}

fn is_footer_text(s: &str) -> bool {
    const STARTS: [&str; 16] = [
        "备注",
        "注:",
        "注：",
        "说明",
        "填报人",
        "审核人",
        "制表人",
        "制表",
        "负责人",
        "联系人:",
        "联系人：",
        "联系电话",
        "填表人",
        "单位负责人",
        "附注",
        "数据来源",
    ];
    let t = crate::text::to_halfwidth(s);
    STARTS
        .iter()
        .any(|p| t.starts_with(&crate::text::to_halfwidth(p)))
        || t.starts_with("注")
            && t.chars()
                .nth(1)
                .is_some_and(|c| c.is_ascii_digit() || c == ':')
}

fn parse_table(
    sheet: &RawSheet,
    layout: &TableLayout,
    above: &[String],
    spec: &PipelineSpec,
    fname: &str,
    is_1904: bool,
    file_findings: &mut Vec<Finding>,
) -> SheetTable {
    // Sheet-level unit from a 单位 line above (or inside) the header.
    let sheet_unit = above.iter().find_map(|l| unit_line(l)).or_else(|| {
        (layout.header_top..=layout.header_bottom)
            .flat_map(|r| sheet.rows.get(r as usize).into_iter().flatten())
            .find_map(|c| match c {
                Cell::Text(s) => unit_line(s),
                _ => None,
            })
    });
    let cols: std::sync::Arc<BTreeMap<String, u32>> = std::sync::Arc::new(
        layout
            .columns
            .iter()
            .map(|c| (c.field.clone(), c.col))
            .collect(),
    );
    let mut units: BTreeMap<u32, MoneyUnit> = BTreeMap::new();
    for c in &layout.columns {
        if spec
            .field(&c.field)
            .is_some_and(|f| f.kind == FieldKind::Money)
        {
            units.insert(c.col, c.unit.or(sheet_unit).unwrap_or(spec.default_unit));
        }
    }
    let (header_findings, fatal_missing) = header_findings(sheet, layout, spec, fname, &cols);
    file_findings.extend(header_findings);

    let mut table = SheetTable {
        sheet: sheet.name.clone(),
        header_rows: (layout.header_top, layout.header_bottom),
        // Money columns carry their effective unit (header, 单位 line or default).
        columns: layout
            .columns
            .iter()
            .map(|c| ColumnMap {
                unit: units.get(&c.col).copied().or(c.unit),
                unit_from: match (units.contains_key(&c.col), c.unit, sheet_unit) {
                    (false, _, _) => String::new(),
                    (true, Some(_), _) => "表头".to_string(),
                    (true, None, Some(_)) => "单位行".to_string(),
                    (true, None, None) => "默认".to_string(),
                },
                ..c.clone()
            })
            .collect(),
        ..Default::default()
    };
    let first = layout.header_bottom + 1;
    let last = sheet.rows.len() as u32;
    let label_cols: Vec<u32> = ["seq", "code", "name"]
        .iter()
        .filter_map(|k| cols.get(*k).copied())
        .collect();
    let plan = field_plan(spec, &cols, &units);
    let mut hidden = sheet.hidden_rows.clone();
    hidden.sort_unstable();
    for r in first..last {
        table.rows_read += 1;
        let row_cells = &sheet.rows[r as usize];
        if row_cells.iter().all(Cell::is_blank) {
            table.skipped.push((r, SkipReason::Blank));
            continue;
        }
        let has_code = match cols.get("code").map(|c| sheet.cell(r, *c)) {
            Some(Cell::Text(t)) => is_project_code(t) || is_project_code(&clean_code(t)),
            _ => false,
        };
        // Rows with a valid code are data; only the others can be totals, groups or footers.
        if !has_code {
            let mut labels: Vec<String> = label_cols
                .iter()
                .map(|c| label_text(sheet.cell(r, *c)))
                .filter(|s| !s.is_empty())
                .collect();
            let mut non_blank = row_cells.iter().filter(|c| !c.is_blank());
            let first_text = non_blank.next().map(label_text).unwrap_or_default();
            let only_one = non_blank.next().is_none();
            if labels.is_empty() {
                labels.extend(
                    row_cells
                        .iter()
                        .filter(|c| !c.is_blank())
                        .take(2)
                        .map(label_text)
                        .filter(|s| !s.is_empty()),
                );
            }
            if is_footer_text(&first_text) || only_one && first_text.chars().count() > 30 {
                table.skipped.push((r, SkipReason::Footer));
                continue;
            }
            let total_label = labels
                .iter()
                .find(|l| l.contains("合计") || l.contains("总计") || l.contains("小计"));
            if let Some(label) = total_label {
                let money = |k: &str| -> Option<Yuan> {
                    let c = *cols.get(k)?;
                    match money_value(sheet.cell(r, c), *units.get(&c)?) {
                        MoneyValue::Value(v) | MoneyValue::Converted(v, _) => Some(v),
                        _ => None,
                    }
                };
                let grand = ["合计", "总计", "全省合计"]
                    .iter()
                    .any(|g| label.starts_with(g));
                table.totals.push(TotalRow {
                    row: r,
                    label: label.clone(),
                    ytd_done: money("ytd_done"),
                    annual_plan: money("annual_plan"),
                    // `其中：新开工项目合计` is a breakdown, never checked.
                    kind: if label.starts_with("其中") {
                        TotalKind::Group(4)
                    } else if grand {
                        TotalKind::Grand
                    } else {
                        TotalKind::Subtotal
                    },
                });
                table.skipped.push((r, SkipReason::Total));
                continue;
            }
            if let Some(label) = labels.iter().find(|l| group_re().is_match(l)) {
                // Kept as a boundary of the totals around it; a numbered heading
                // that carries figures is also the subtotal of its group.
                let ytd = cols.get("ytd_done").and_then(|c| {
                    match money_value(sheet.cell(r, *c), *units.get(c)?) {
                        MoneyValue::Value(v) | MoneyValue::Converted(v, _) => Some(v),
                        _ => None,
                    }
                });
                table.totals.push(TotalRow {
                    row: r,
                    label: label.clone(),
                    ytd_done: ytd,
                    annual_plan: None,
                    kind: TotalKind::Group(group_level(label)),
                });
                table.skipped.push((r, SkipReason::Group));
                continue;
            }
        }
        let hidden = hidden.binary_search(&r).is_ok();
        if hidden && spec.hidden_rows == HiddenRowsPolicy::Skip {
            table.skipped.push((r, SkipReason::Hidden));
            continue;
        }
        let mut row = LedgerRow {
            sheet: sheet.name.clone(),
            row: r,
            cols: cols.clone(),
            ..Default::default()
        };
        extract_row(&mut row, sheet, &plan, spec, fname, is_1904);
        if hidden && spec.hidden_rows == HiddenRowsPolicy::ReadAndWarn {
            let cell = row.identity_cell();
            let code = row.code.clone().unwrap_or_default();
            row.findings.push(finding(
                Some(spec),
                "W010",
                &Loc {
                    file: fname,
                    sheet: &sheet.name,
                    cell: &cell,
                    project_code: &code,
                    ..Default::default()
                },
                "该行在原表中被隐藏，已按流水线设置读取并计入",
                "隐藏行",
                "",
            ));
        }
        if row.code.is_none() && row.name.is_none() {
            // A template's empty line: no identity, every figure zero.
            let zeros_only = row_cells.iter().all(|c| match c {
                Cell::Number(x) => *x == 0.0,
                c => c.is_blank(),
            });
            if zeros_only {
                table.skipped.push((r, SkipReason::Blank));
                continue;
            }
            // Neither identity nor a recognisable total/group: a stray note line.
            if row_cells.iter().filter(|c| !c.is_blank()).count() <= 2
                && row.ytd_done.is_none()
                && row.month_done.is_none()
            {
                table.skipped.push((r, SkipReason::Footer));
                continue;
            }
            let cell = crate::text::a1(
                r,
                cols.get("name").or(cols.get("code")).copied().unwrap_or(0),
            );
            row.findings.push(finding(
                Some(spec),
                "E215",
                &Loc {
                    file: fname,
                    sheet: &sheet.name,
                    cell: &cell,
                    ..Default::default()
                },
                "该行有数据但没有项目代码和项目名称，无法确定是哪个项目",
                "",
                "项目代码或项目名称",
            ));
        }
        if fatal_missing {
            row.findings.push(finding(
                Some(spec),
                "E101",
                &Loc {
                    file: fname,
                    sheet: &sheet.name,
                    cell: &crate::text::a1(r, 0),
                    project_code: row.code.as_deref().unwrap_or(""),
                    ..Default::default()
                },
                "本表缺少必填列，该行无法计入",
                "",
                "",
            ));
        }
        table.rows.push(row);
    }
    reconcile_totals(&mut table, spec, fname, file_findings);
    table
}

/// What a sheet's header says before any row is read: E102 a field on two
/// columns, W103 a money unit not understood, W104 several header-like rows,
/// E101 a required column missing; and whether a missing column is fatal for
/// the kind (the sheet is then not read row by row).
fn header_findings(
    sheet: &RawSheet,
    layout: &TableLayout,
    spec: &PipelineSpec,
    fname: &str,
    cols: &BTreeMap<String, u32>,
) -> (Vec<Finding>, bool) {
    let mut out = Vec::new();
    // A finding at a header cell (row, column) of this sheet.
    let mut at = |check: &str, (r, c): (u32, u32), detail: String, value: &str, expected: &str| {
        let loc = Loc {
            file: fname,
            sheet: &sheet.name,
            cell: &crate::text::a1(r, c),
            ..Default::default()
        };
        out.push(finding(Some(spec), check, &loc, &detail, value, expected));
    };
    let (top, bottom) = (layout.header_top, layout.header_bottom);
    for (field, c1, c2) in &layout.duplicates {
        let detail = format!(
            "字段“{field}”同时对应第 {} 列和第 {} 列，已按第一列读取",
            crate::text::col_letters(*c1),
            crate::text::col_letters(*c2)
        );
        at("E102", (bottom, *c1), detail, "", "");
    }
    for (col, unit) in &layout.unknown_units {
        let detail = format!(
            "表头金额单位“{unit}”无法识别，已按{}读取",
            spec.default_unit.label()
        );
        at("W103", (bottom, *col), detail, unit, "元、万元或亿元");
    }
    if layout.ambiguous {
        let detail = format!("有多处像表头的行，已采用第 {}-{} 行", top + 1, bottom + 1);
        at("W104", (top, 0), detail, "", "");
    }
    let missing: Vec<_> = spec
        .fields
        .iter()
        .filter(|f| f.required)
        .filter(|f| !(cols.contains_key(&f.key) || f.key == "code" && cols.contains_key("name")))
        .collect();
    for f in &missing {
        let ways: Vec<&str> = f.synonyms.iter().take(4).map(String::as_str).collect();
        let detail = format!(
            "缺少必填列“{}”（可用写法：{}）",
            f.synonyms.first().map_or("", |s| s.as_str()),
            ways.join("、")
        );
        at("E101", (top, 0), detail, "", "");
    }
    let fatal_keys = crate::kinds::schema(spec.kind).fatal_missing;
    let fatal_missing = missing.iter().any(|f| fatal_keys.contains(&f.key.as_str()));
    (out, fatal_missing)
}

/// Level of a group row: `一、` (or a bare `一`) is 1, `（一）` is 2, another
/// heading (`南昌县（14个）`) 3, a breakdown (`其中：…`) 4. Only 1 and 2 are checked.
fn group_level(label: &str) -> u8 {
    static L1: OnceLock<Regex> = OnceLock::new();
    static L2: OnceLock<Regex> = OnceLock::new();
    // `一、市本级`, or a bare `一` in 序号 with the group's name beside it.
    if re(&L1, r"^[一二三四五六七八九十]+\s*(?:[、.．]|$)").is_match(label) {
        1
    } else if re(&L2, r"^[（(]\s*[一二三四五六七八九十]+\s*[）)]").is_match(label) {
        2
    } else if label.starts_with("其中") {
        4
    } else {
        3
    }
}

/// The count a total row states (`南昌县合计14个`, `合计（4项）`).
fn stated_count(label: &str) -> Option<i64> {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(\d+)\s*[个项]").captures(label)?[1].parse().ok()
}

/// The spans (exclusive sheet-row bounds) of data rows a total-like row may
/// cover, the likeliest first; none for rows never checked (`其中`, plain group
/// rows). A subtotal may lead its group (`广丰区合计3个` above its projects) or
/// close it (`小计` under them, counted from the nearest heading or the last
/// total): `leading` (the table's first subtotal has no data row above it)
/// only decides which span comes first.
fn candidate_spans(
    t: &TotalRow,
    totals: &[TotalRow],
    first: u32,
    leading: bool,
) -> Vec<(u32, u32)> {
    let next = |stop: &dyn Fn(&TotalRow) -> bool| {
        totals
            .iter()
            .filter(|o| o.row > t.row && stop(o))
            .map(|o| o.row)
            .min()
            .unwrap_or(u32::MAX)
    };
    match t.kind {
        TotalKind::Grand => vec![(first, u32::MAX)],
        // Up to the next heading of the same or a higher level, or a 合计.
        TotalKind::Group(level @ (1 | 2)) => vec![(
            t.row + 1,
            next(&|o| match o.kind {
                TotalKind::Grand => true,
                TotalKind::Group(l) => l <= level,
                TotalKind::Subtotal => false,
            }),
        )],
        TotalKind::Group(_) => Vec::new(),
        TotalKind::Subtotal => {
            let since_total = previous_total(t.row, totals).unwrap_or(first);
            let below = (
                t.row + 1,
                next(&|o| {
                    matches!(
                        o.kind,
                        TotalKind::Grand | TotalKind::Subtotal | TotalKind::Group(1 | 2)
                    )
                }),
            );
            let heading = totals
                .iter()
                .filter(|o| o.row < t.row && o.row >= since_total)
                .filter(|o| matches!(o.kind, TotalKind::Group(1..=3)))
                .map(|o| o.row + 1)
                .max();
            let mut above: Vec<(u32, u32)> = heading.map(|h| (h, t.row)).into_iter().collect();
            above.push((since_total, t.row));
            if leading {
                std::iter::once(below).chain(above).collect()
            } else {
                above.into_iter().chain(std::iter::once(below)).collect()
            }
        }
    }
}

/// The row after the last 合计/小计 above `row`.
fn previous_total(row: u32, totals: &[TotalRow]) -> Option<u32> {
    totals
        .iter()
        .filter(|o| o.row < row && !matches!(o.kind, TotalKind::Group(_)))
        .map(|o| o.row + 1)
        .max()
}

/// Checks every total-like row whose figure can be checked against the data
/// rows it covers: 合计 against all rows, 小计 against the rows since the last
/// total, a numbered heading with figures against its group.
fn reconcile_totals(
    table: &mut SheetTable,
    spec: &PipelineSpec,
    fname: &str,
    findings: &mut Vec<Finding>,
) {
    let col = table
        .columns
        .iter()
        .find(|c| c.field == "ytd_done")
        .map(|c| c.col);
    let (Some(col), true) = (col, !table.rows.is_empty()) else {
        return;
    };
    let first = table.header_rows.1 + 1;
    let data_between = |from: u32, to: u32| table.rows.iter().any(|r| r.row >= from && r.row < to);
    let leading = table
        .totals
        .iter()
        .find(|t| t.kind == TotalKind::Subtotal)
        .is_some_and(|t| {
            !data_between(previous_total(t.row, &table.totals).unwrap_or(first), t.row)
        });
    for t in &table.totals {
        let Some(v) = t.ytd_done else { continue };
        // Each candidate span with rows in it (and as many as the label states,
        // if it states a count); no finding if any of them adds up.
        let sums: Vec<(i64, Yuan)> = candidate_spans(t, &table.totals, first, leading)
            .into_iter()
            .map(|(from, to)| {
                table
                    .rows
                    .iter()
                    .filter(|r| r.row >= from && r.row < to)
                    .fold((0i64, 0 as Yuan), |(n, s), r| {
                        (n + 1, s.saturating_add(r.ytd_done.unwrap_or(0)))
                    })
            })
            .filter(|(n, _)| {
                *n > 0
                    && (t.kind == TotalKind::Grand
                        || stated_count(&t.label).is_none_or(|c| c == *n))
            })
            .collect();
        // Each row was rounded to 2 decimals of its unit at most; allow that.
        let adds_up = |(n, sum): &(i64, Yuan)| v.abs_diff(*sum) <= n.unsigned_abs() * 100 + 1;
        let Some(&(n, sum)) = sums.first() else {
            continue;
        };
        if sums.iter().any(adds_up) {
            continue;
        }
        let what = match t.kind {
            TotalKind::Grand => "明细行之和".to_string(),
            _ => format!("所辖 {n} 行明细之和"),
        };
        findings.push(finding(
            Some(spec),
            "W214",
            &Loc {
                file: fname,
                sheet: &table.sheet,
                cell: &crate::text::a1(t.row, col),
                ..Default::default()
            },
            &format!("“{}”行的累计完成投资与{what}不符", t.label),
            &crate::parse::fmt_wan(v),
            &crate::parse::fmt_wan(sum),
        ));
    }
}

fn month_value(cell: &Cell, is_1904: bool) -> Result<Option<YearMonth>, String> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Date(f) => month_from_serial(*f, is_1904)
            .map(Some)
            .ok_or_else(|| format!("{f}")),
        Cell::Number(f) => {
            let i = f.trunc() as i64;
            if (190_001..=220_012).contains(&i) {
                parse_month_text(&i.to_string())
                    .map(Some)
                    .ok_or_else(|| format!("{f}"))
            } else if (1900.0..2200.0).contains(f) && f.fract() > 0.0 {
                parse_month_text(&format!("{f}"))
                    .map(Some)
                    .ok_or_else(|| format!("{f}"))
            } else {
                month_from_serial(*f, is_1904)
                    .map(Some)
                    .ok_or_else(|| format!("{f}"))
            }
        }
        Cell::Text(s) if crate::parse::is_null_marker(s) => Ok(None),
        Cell::Text(s) => parse_month_text(s).map(Some).ok_or_else(|| s.to_string()),
        other => Err(other.display()),
    }
}

/// A free-text cell as the unit typed it (only trimmed): names and remarks are
/// shown back to the unit and compared through keys, never rewritten.
fn typed_text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Text(s) if !crate::parse::is_null_marker(s) => Some(s.trim().to_string()),
        Cell::Number(f) => Some(format!("{f}")),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

fn text_value(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Text(s) if !crate::parse::is_null_marker(s) => Some(clean_cell_text(s)),
        Cell::Number(f) => Some(format!("{f}")),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// Where each mapped field of a table sits and how it is parsed (built once per table).
pub struct FieldPlan {
    pub key: String,
    pub col: u32,
    pub kind: FieldKind,
    /// Money columns: their unit.
    pub unit: MoneyUnit,
    /// The program's kind reads this field (`Use::Read`): a field without a
    /// slot of its own is kept in `LedgerRow::extra`.
    pub keep: bool,
}

fn field_plan(
    spec: &PipelineSpec,
    cols: &BTreeMap<String, u32>,
    units: &BTreeMap<u32, MoneyUnit>,
) -> Vec<FieldPlan> {
    cols.iter()
        .filter_map(|(key, &col)| {
            let kind = spec.field(key)?.kind;
            let keep = crate::kinds::schema(spec.kind)
                .field(key)
                .is_some_and(|u| u.usage == crate::kinds::Use::Read);
            Some(FieldPlan {
                key: key.clone(),
                col,
                kind,
                unit: units.get(&col).copied().unwrap_or(spec.default_unit),
                keep,
            })
        })
        .collect()
}

fn extract_row(
    row: &mut LedgerRow,
    sheet: &RawSheet,
    plan: &[FieldPlan],
    spec: &PipelineSpec,
    fname: &str,
    is_1904: bool,
) {
    let r = row.row;
    let code_col = row.cols.get("code").copied();
    if let Some(c) = code_col {
        row.code = match sheet.cell(r, c) {
            Cell::Text(t) if !crate::parse::is_null_marker(t) => Some(clean_code(t)),
            other => text_value(other).map(|s| clean_code(&s)),
        }
        .filter(|c| !c.is_empty());
    }
    let code_for_loc = row.code.clone().unwrap_or_default();
    // Addresses are formatted only when a finding is made.
    let push =
        |row: &mut LedgerRow, col: u32, id: &str, detail: &str, value: &str, expected: &str| {
            let addr = crate::text::a1(r, col);
            let loc = Loc {
                file: fname,
                sheet: &sheet.name,
                cell: &addr,
                project_code: &code_for_loc,
                ..Default::default()
            };
            row.findings
                .push(finding(Some(spec), id, &loc, detail, value, expected));
        };
    for f in plan {
        let cell = sheet.cell(r, f.col);
        if matches!(cell, Cell::Empty) {
            continue;
        }
        match f.kind {
            FieldKind::Money => {
                let v = match money_value(cell, f.unit) {
                    MoneyValue::Empty => None,
                    MoneyValue::Value(v) => Some(v),
                    MoneyValue::Converted(v, seen) => {
                        let detail = format!(
                            "数字以文本形式填写并带有单位，已按 {}万元 读取",
                            crate::parse::fmt_wan(v)
                        );
                        let expected = format!(
                            "{}（数字，单位{}）",
                            crate::parse::fmt_amount(v, f.unit),
                            f.unit.label()
                        );
                        push(row, f.col, "W210", &detail, &seen, &expected);
                        Some(v)
                    }
                    MoneyValue::Bad(id, detail) => {
                        push(
                            row,
                            f.col,
                            id,
                            &detail,
                            &cell.display(),
                            &format!("数字（单位{}）", f.unit.label()),
                        );
                        None
                    }
                };
                match f.key.as_str() {
                    "total_investment" => row.total_investment = v,
                    "annual_plan" => row.annual_plan = v,
                    "month_done" => row.month_done = v,
                    "ytd_done" => row.ytd_done = v,
                    "since_start_done" => row.since_start_done = v,
                    _ => {}
                }
            }
            FieldKind::Status => {
                let parsed = match cell {
                    Cell::Text(t) => Status::parse(t),
                    _ => None,
                };
                if let Some(s) = parsed {
                    row.status = Some(s);
                } else if let Some(t) = text_value(cell) {
                    match Status::parse(&t) {
                        Some(s) => row.status = Some(s),
                        None => push(
                            row,
                            f.col,
                            "W216",
                            "建设状态无法识别",
                            &t,
                            "未开工、在建、已竣工或已投产",
                        ),
                    }
                }
            }
            FieldKind::Nature => row.nature = text_value(cell).and_then(|t| Nature::parse(&t)),
            FieldKind::Month => match month_value(cell, is_1904) {
                Ok(m) => {
                    if f.key == "start_date" {
                        row.start_date = m;
                    } else if let (true, Some(m)) = (f.keep, m) {
                        row.extra.push((f.key.clone(), Extra::Month(m)));
                    }
                }
                Err(seen) => push(
                    row,
                    f.col,
                    "W209",
                    "日期无法识别",
                    &seen,
                    "2023-07 或 2023年7月",
                ),
            },
            FieldKind::Unit => row.unit_text = text_value(cell),
            FieldKind::Rate => {}
            FieldKind::Text => {
                // Grouping fields are cleaned; free text keeps what the unit typed.
                let (slot, typed) = match f.key.as_str() {
                    "name" => (&mut row.name, true),
                    "county" => (&mut row.county, false),
                    "category" => (&mut row.category, false),
                    "batch" => (&mut row.batch, false),
                    "progress" => (&mut row.progress, true),
                    "problems" => (&mut row.problems, true),
                    "coordination" => (&mut row.coordination, true),
                    "contact" => (&mut row.contact, true),
                    _ if f.keep => {
                        if let Some(t) = typed_text(cell) {
                            row.extra.push((f.key.clone(), Extra::Text(t)));
                        }
                        continue;
                    }
                    _ => continue,
                };
                *slot = if typed {
                    typed_text(cell)
                } else {
                    text_value(cell)
                };
            }
        }
    }
    if let Some(Cell::Error(e)) = code_col.map(|c| sheet.cell(r, c)) {
        push(
            row,
            code_col.unwrap_or(0),
            "E212",
            "项目代码单元格为错误值",
            e,
            "",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_levels_and_stated_counts() {
        for (label, level) in [
            ("一、信息基础设施（48项）", 1),
            ("二. 融合基础设施", 1),
            ("一", 1),
            ("（一）在建（11项）", 2),
            ("(二)工业项目82个", 2),
            ("其中：在建重点项目（90项）", 4),
            ("南昌县（14个）", 3),
            ("一期工程", 3),
        ] {
            assert_eq!(group_level(label), level, "{label}");
        }
        assert_eq!(stated_count("南昌县合计14个"), Some(14));
        assert_eq!(stated_count("合计（4 项）"), Some(4));
        assert_eq!(stated_count("小计"), None);
    }

    #[test]
    fn stated_periods() {
        let ym = |y, m| Some(YearMonth { year: y, month: m });
        assert_eq!(
            stated_period("2023年1-7月全省新基建项目推进情况调度表"),
            ym(2023, 7)
        );
        assert_eq!(
            stated_period("南昌市数字经济重点项目进展情况表（2023年7月）"),
            ym(2023, 7)
        );
        assert_eq!(stated_period("赣州-新基建-202307.xlsx"), ym(2023, 7));
        assert_eq!(stated_period("2023年1—12月"), ym(2023, 12));
        assert_eq!(stated_period("项目库"), None);
    }

    #[test]
    fn money_cells() {
        assert_eq!(
            money_value(&Cell::Number(1234.56), MoneyUnit::Wan),
            MoneyValue::Value(12_345_600)
        );
        assert_eq!(
            money_value(&Cell::Text("1,234.50".into()), MoneyUnit::Wan),
            MoneyValue::Value(12_345_000)
        );
        assert_eq!(
            money_value(&Cell::Text("1,234.50万元".into()), MoneyUnit::Wan),
            MoneyValue::Converted(12_345_000, "1,234.50万元".into())
        );
        assert_eq!(
            money_value(&Cell::Text("1.2亿".into()), MoneyUnit::Wan),
            MoneyValue::Converted(120_000_000, "1.2亿".into())
        );
        assert_eq!(
            money_value(&Cell::Text(" - ".into()), MoneyUnit::Wan),
            MoneyValue::Empty
        );
        assert!(matches!(
            money_value(&Cell::Text("约300".into()), MoneyUnit::Wan),
            MoneyValue::Bad("E206", _)
        ));
        assert!(matches!(
            money_value(&Cell::Text("300千元".into()), MoneyUnit::Wan),
            MoneyValue::Bad("E208", _)
        ));
        assert!(matches!(
            money_value(&Cell::Number(-3.0), MoneyUnit::Wan),
            MoneyValue::Bad("E207", _)
        ));
        assert!(matches!(
            money_value(&Cell::Error("#REF!".into()), MoneyUnit::Wan),
            MoneyValue::Bad("E212", _)
        ));
        assert_eq!(
            money_value(&Cell::Number(1.5), MoneyUnit::Yi),
            MoneyValue::Value(150_000_000)
        );
    }

    #[test]
    fn group_and_footer_labels() {
        assert!(group_re().is_match("一、信息基础设施(48项)"));
        assert!(group_re().is_match("(一)在建(11项)"));
        assert!(group_re().is_match("其中:在建重点项目(90项)"));
        assert!(!group_re().is_match("南昌5G网络建设工程"));
        assert!(is_footer_text("备注：项目性质是指……"));
        assert!(is_footer_text("填报人：张三"));
        assert!(!is_footer_text("南昌数据中心"));
    }
}
