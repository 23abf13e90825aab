//! A fill-in template read back exactly (`taizhang templates`; the model in
//! `crate::template`): a workbook whose `taizhang.` properties name a program
//! of this run is mapped by the layout it carries — no header discovery, no
//! W104 — and its program and unit come from its identity, not from clues.
//! Its locked cells are compared with what the library sends the unit
//! (E105 a changed code or 序号: the row would count for another project or
//! item, so it is refused; W106 a changed name, category, plan or 完成时限:
//! the library's value counts anyway). A template of another period (E013)
//! or another unit (E014) is refused whole. Rows filled in the blank rows
//! are ordinary rows: the library checks (E201 / E501) decide them.

use std::collections::HashMap;

use super::{parse_table, rows_text, unit_clues, Context, UnitSource};
use crate::checks::{finding, Loc};
use crate::config::{FieldKind, PipelineSpec};
use crate::model::{
    Cell, ColumnMap, FileStatus, Finding, InboxFile, ParsedFile, RawSheet, RawWorkbook, SheetTable,
};
use crate::pipeline::header::TableLayout;
use crate::template::{self, Identity, Locked};

/// The identity of a workbook, when it carries one that reads.
pub fn identity(raw: &RawWorkbook) -> Option<Identity> {
    Identity::from_properties(&raw.properties)?.ok()
}

/// The program of this run a template names.
pub fn template_program(raw: &RawWorkbook, ctx: &Context<'_>) -> Option<usize> {
    let id = identity(raw)?;
    if !raw.sheets.iter().any(|s| s.name == id.sheet) {
        return None;
    }
    ctx.specs.iter().position(|s| s.id == id.program)
}

/// The table layout a template states.
fn layout(id: &Identity, sheet: &RawSheet, spec: &PipelineSpec) -> TableLayout {
    let columns = id
        .columns
        .iter()
        .filter(|(_, key)| spec.field(key).is_some())
        .map(|(col, key)| {
            let money = spec.field(key).is_some_and(|f| f.kind == FieldKind::Money);
            ColumnMap {
                field: key.clone(),
                col: *col,
                header: crate::text::clean_cell_text(&sheet.cell(id.header_row, *col).display()),
                unit: money.then_some(id.money_unit),
                unit_from: String::new(),
            }
        })
        .collect();
    TableLayout {
        header_top: id.header_row,
        header_bottom: id.header_row,
        columns,
        duplicates: Vec::new(),
        unknown_units: Vec::new(),
        score: 0,
        ambiguous: false,
    }
}

/// Parses a template of program `program` by its own layout.
pub fn parse(
    file: InboxFile,
    raw: RawWorkbook,
    program: usize,
    id: &Identity,
    ctx: &Context<'_>,
) -> ParsedFile {
    let spec = &ctx.specs[program];
    let fname = file.name.clone();
    let mut out = ParsedFile {
        file,
        program: Some(spec.id.clone()),
        unit_id: ctx.units.by_id(&id.unit).map(|u| u.id.clone()),
        declared_period: Some(id.period),
        filled_on: None,
        tables: Vec::new(),
        findings: Vec::new(),
        status: FileStatus::Ok,
        error: None,
        skipped_sheets: Vec::new(),
        raw: None,
    };
    for sheet in &raw.sheets {
        if sheet.name != id.sheet {
            out.skipped_sheets
                .push((sheet.name.clone(), "填报模板的说明页".to_string()));
            continue;
        }
        let layout = layout(id, sheet, spec);
        let above = rows_text(sheet, 0, layout.header_top);
        let mut table = parse_table(
            sheet,
            &layout,
            &above,
            spec,
            &fname,
            raw.is_1904,
            &mut out.findings,
        );
        // The library the template was made from: its period's version.
        let lib = ctx.libraries.for_period(program, id.period).ok();
        if let Some(lib) = lib {
            let expected = template::locked_rows(spec, lib, &id.unit);
            let sent = Sent {
                spec,
                id,
                sheet,
                fname: &fname,
                is_1904: raw.is_1904,
            };
            sent.compare(&expected, &mut table, &mut out.findings);
        }
        out.tables.push(table);
    }
    refuse_other_period(&mut out, id, ctx, spec);
    if out.status == FileStatus::Ok {
        refuse_other_unit(&mut out, id, ctx, spec, &raw);
    }
    super::name_unit_in_findings(&mut out, ctx);
    out.raw = Some(raw);
    out
}

fn refuse(out: &mut ParsedFile, spec: &PipelineSpec, check: &str, detail: String) {
    let fname = out.file.name.clone();
    out.status = FileStatus::Rejected;
    out.findings.push(finding(
        Some(spec),
        check,
        &Loc {
            file: &fname,
            ..Default::default()
        },
        &detail,
        "",
        "",
    ));
    out.error = Some(detail);
}

/// E013: a template of another period than the one being processed.
fn refuse_other_period(
    out: &mut ParsedFile,
    id: &Identity,
    ctx: &Context<'_>,
    spec: &PipelineSpec,
) {
    let Some(p) = ctx.period.filter(|p| *p != id.period) else {
        return;
    };
    let detail = format!(
        "这是 {}年{}月 的填报模板，本期为 {}年{}月，整个文件不计入本期；请使用本期的模板填报",
        id.period.year, id.period.month, p.year, p.month
    );
    refuse(out, spec, "E013", detail);
}

/// E014: a template made for another unit than the one the file name or the
/// 填报单位 line names, or for a unit the unit list does not know.
fn refuse_other_unit(
    out: &mut ParsedFile,
    id: &Identity,
    ctx: &Context<'_>,
    spec: &PipelineSpec,
    raw: &RawWorkbook,
) {
    let Some(owner) = ctx.units.by_id(&id.unit) else {
        let detail = format!(
            "模板标识的填报单位（{}）不在单位名录中，整个文件不计入；请使用省发改委下发的本单位模板",
            id.unit
        );
        refuse(out, spec, "E014", detail);
        return;
    };
    let clues = unit_clues(&out.file.name, Some(raw), &out.tables, ctx.units);
    let other = clues.into_iter().find(|c| {
        matches!(c.source, UnitSource::FileName | UnitSource::FillLine) && c.unit_id != owner.id
    });
    let Some(other) = other else { return };
    let claimed = ctx
        .units
        .by_id(&other.unit_id)
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let detail = format!(
        "这是{}的填报模板，但{}写的是{}，整个文件不计入；请{}使用本单位的模板填报",
        owner.name,
        other.source.label(),
        claimed,
        claimed
    );
    out.unit_id = Some(other.unit_id);
    refuse(out, spec, "E014", detail);
}

/// The locked cells of a template, compared with what was sent.
struct Sent<'a> {
    spec: &'a PipelineSpec,
    id: &'a Identity,
    sheet: &'a RawSheet,
    fname: &'a str,
    is_1904: bool,
}

impl Sent<'_> {
    fn compare(
        &self,
        expected: &[template::LockedRow],
        table: &mut SheetTable,
        file_findings: &mut Vec<Finding>,
    ) {
        if template::sent_digest(expected) != self.id.sent
            || expected.len() as u32 != self.id.sent_rows
        {
            file_findings.push(finding(
                Some(self.spec),
                "W107",
                &Loc {
                    file: self.fname,
                    sheet: &self.sheet.name,
                    ..Default::default()
                },
                "项目库在模板生成后已更新，锁定单元格不再与项目库逐格比对（各行仍按项目库校验）",
                "",
                "",
            ));
            return;
        }
        let cols: HashMap<&str, u32> = self
            .id
            .columns
            .iter()
            .map(|(c, k)| (k.as_str(), *c))
            .collect();
        let key = template::key_field(self.spec);
        let at = self.rows_by_key(expected, &cols, key);
        for (i, row) in expected.iter().enumerate() {
            let code = match row.iter().find(|(k, _)| *k == "code") {
                Some((_, Locked::Text(c))) => c.as_str(),
                _ => "",
            };
            // Its row where the clerk left it (rows inserted or deleted
            // above shift it); else its own place, unless another sent row
            // sits there (this one was deleted: nothing to compare).
            let r = match at.get(&i) {
                Some(&r) => r,
                None => {
                    let r = self.id.first_row + i as u32;
                    if at.values().any(|&x| x == r) {
                        continue;
                    }
                    r
                }
            };
            for (k, want) in row {
                if *k == "seq" && key != "seq" {
                    continue;
                }
                let Some(&col) = cols.get(k) else { continue };
                let cell = self.sheet.cell(r, col);
                if self.same(cell, want) {
                    continue;
                }
                let fd = self.changed(k, key, r, col, cell, want, code);
                match table.rows.iter_mut().find(|lr| lr.row == r) {
                    Some(lr) => {
                        lr.findings.push(fd);
                        if *k != key {
                            restore(lr, k, want);
                        }
                    }
                    None => file_findings.push(fd),
                }
            }
        }
    }

    /// Where each sent row is now: the sheet row (from the first data row to
    /// the end of the sheet) whose key cell (code or 序号) holds its key,
    /// the first such row for each; rows whose key is nowhere are left out.
    fn rows_by_key(
        &self,
        expected: &[template::LockedRow],
        cols: &HashMap<&str, u32>,
        key: &str,
    ) -> HashMap<usize, u32> {
        let mut at = HashMap::new();
        let Some(&col) = cols.get(key) else {
            return at;
        };
        // Keys are texts (codes, 序号): compared as the cells are, cleaned.
        let clean = |t: &str| crate::text::clean_cell_text(t);
        let mut wanted: HashMap<String, usize> = HashMap::new();
        for (i, row) in expected.iter().enumerate() {
            if let Some((_, Locked::Text(k))) = row.iter().find(|(k, _)| *k == key) {
                wanted.entry(clean(k)).or_insert(i);
            }
        }
        let end = self.sheet.rows.len() as u32;
        for r in self.id.first_row..end {
            if wanted.is_empty() {
                break;
            }
            let cell = clean(&self.sheet.cell(r, col).display());
            if let Some(i) = wanted.remove(&cell) {
                at.insert(i, r);
            }
        }
        at
    }

    fn same(&self, cell: &Cell, want: &Locked) -> bool {
        let text = || crate::text::clean_cell_text(&cell.display());
        match want {
            Locked::Text(t) => text() == crate::text::clean_cell_text(t),
            Locked::Money(y) => {
                super::money_value(cell, self.id.money_unit) == super::MoneyValue::Value(*y)
            }
            Locked::Month(m) => match cell {
                Cell::Date(f) | Cell::Number(f) => {
                    crate::parse::month_from_serial(*f, self.is_1904) == Some(*m)
                }
                _ => crate::parse::parse_month_text(&text()) == Some(*m),
            },
            Locked::Empty => cell.is_blank(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn changed(
        &self,
        field: &str,
        key: &str,
        r: u32,
        col: u32,
        cell: &Cell,
        want: &Locked,
        code: &str,
    ) -> Finding {
        let header = template::header(self.spec, field, self.id.period);
        let shown = want.shown(self.id.money_unit);
        let (check, what) = if field == key {
            ("E105", "本行不计入；请恢复原值，新增项目请填在下方空白行")
        } else {
            (
                "W106",
                "已按项目库的值计入；请恢复原值，如需调整请按程序申请",
            )
        };
        finding(
            Some(self.spec),
            check,
            &Loc {
                file: self.fname,
                sheet: &self.sheet.name,
                cell: &crate::text::a1(r, col),
                project_code: code,
                unit: "",
            },
            &format!("模板锁定的“{header}”被改动（下发时为“{shown}”），{what}"),
            &cell.display(),
            &shown,
        )
    }
}

/// A locked cell the clerk changed counts with the library's value (W106
/// says so): the row carries that value on, so the library checks that
/// follow (name, plan against total) see what counts, not the change again.
fn restore(lr: &mut crate::model::LedgerRow, field: &str, want: &Locked) {
    match (field, want) {
        ("name", Locked::Text(t)) => lr.name = Some(t.clone()),
        ("category", Locked::Text(t)) => lr.category = Some(t.clone()),
        ("batch", Locked::Text(t)) => lr.batch = Some(t.clone()),
        ("total_investment", Locked::Money(y)) => lr.total_investment = Some(*y),
        ("annual_plan", Locked::Money(y)) => lr.annual_plan = Some(*y),
        _ => {}
    }
}
