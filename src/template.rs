//! Fill-in templates per unit (`taizhang templates`): what a template is made
//! of, shared by the writer (`report/template.rs`) and the reader
//! (`pipeline/normalize/template.rs`).
//!
//! A template carries its identity in the workbook's custom document
//! properties, every name prefixed `taizhang.`: program, unit, period, the
//! library's sha256 (short), the template version, and its layout — the
//! ledger sheet, the header row, the field key of each column, the rows sent
//! from the library, the blank rows for 新增项目 and the 合计 row — so reading
//! it back needs no header guessing. What its locked cells hold is
//! [`locked_rows`], computed from the library the same way on both sides; a
//! digest of it ([`sent_digest`]) tells the reader whether the library it
//! holds still gives the same rows.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

use crate::config::{FieldKind, PipelineSpec};
use crate::kinds::ProgramKind;
use crate::model::{MoneyUnit, Period, YearMonth, Yuan};
use crate::seeds::Library;

/// The version of the template layout written by this build.
pub const VERSION: &str = "1";
/// Prefix of every custom property a template carries.
pub const PREFIX: &str = crate::model::PROPERTY_PREFIX;
/// Blank unlocked rows for 新增项目 below the library's rows.
pub const BLANK_ROWS: u32 = 5;
/// Name of the ledger sheet.
pub const LEDGER_SHEET: &str = "填报表";
/// The text of a plan item whose 工作举措 was lost.
pub const LOST_TEXT: &str = "（原文缺失）";
/// Name of the instructions sheet.
pub const GUIDE_SHEET: &str = "填报说明";

/// One column of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// A field sent from the library: locked and shaded.
    Locked(&'static str),
    /// A field the unit fills: unlocked, validated.
    Fill(&'static str),
    /// 上月累计 (investment): last period's cumulative, for reference, locked.
    PrevYtd,
    /// 上月状态: last period's state, for reference, locked.
    PrevState,
}

impl Column {
    /// The field key, for field columns.
    pub fn field(self) -> Option<&'static str> {
        match self {
            Column::Locked(k) | Column::Fill(k) => Some(k),
            Column::PrevYtd | Column::PrevState => None,
        }
    }
}

/// The columns of a program's template, in order: only fields the pipeline
/// declares.
pub fn columns(spec: &PipelineSpec) -> Vec<Column> {
    use Column::{Fill, Locked, PrevState, PrevYtd};
    let wanted: Vec<Column> = match spec.kind {
        ProgramKind::Investment => vec![
            Locked("seq"),
            Locked("code"),
            Locked("name"),
            Locked("category"),
            Locked("batch"),
            Locked("total_investment"),
            Locked("annual_plan"),
            PrevYtd,
            PrevState,
            Fill("month_done"),
            Fill("ytd_done"),
            Fill("status"),
            Fill("start_date"),
            Fill("progress"),
            Fill("problems"),
        ],
        ProgramKind::Tasks => vec![
            Locked("seq"),
            Locked("category"),
            Locked("name"),
            Locked("due"),
            PrevState,
            Fill("progress"),
            Fill("state"),
            Fill("done_date"),
            Fill("problems"),
        ],
    };
    wanted
        .into_iter()
        .filter(|c| match c {
            Column::Locked("batch") => spec.group_label.is_some() && spec.field("batch").is_some(),
            _ => c.field().is_none_or(|k| spec.field(k).is_some()),
        })
        .collect()
}

/// The field that identifies a sent row: a changed one is an error (the row
/// would count for another project or item).
pub fn key_field(spec: &PipelineSpec) -> &'static str {
    match spec.kind {
        ProgramKind::Investment => "code",
        ProgramKind::Tasks => "seq",
    }
}

/// What a locked cell holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locked {
    Text(String),
    Money(Yuan),
    Month(YearMonth),
    Empty,
}

impl Locked {
    /// As shown in a message.
    pub fn shown(&self, unit: MoneyUnit) -> String {
        match self {
            Locked::Text(t) => t.clone(),
            Locked::Money(y) => match unit {
                MoneyUnit::Yuan => y.to_string(),
                MoneyUnit::Wan => crate::parse::fmt_wan(*y),
                MoneyUnit::Yi => format!("{}", *y as f64 / 1e8),
            },
            Locked::Month(m) => format!("{}年{}月", m.year, m.month),
            Locked::Empty => String::new(),
        }
    }
}

/// One row sent from the library: its locked fields, in column order.
pub type LockedRow = Vec<(&'static str, Locked)>;

/// The library's rows for a unit, as the template sends them: an investment
/// program's projects of the unit in library order; a tasks program's items
/// the unit is responsible for, in plan order.
pub fn locked_rows(spec: &PipelineSpec, lib: &Library, unit_id: &str) -> Vec<LockedRow> {
    let keys: Vec<&'static str> = columns(spec)
        .into_iter()
        .filter_map(|c| match c {
            Column::Locked(k) => Some(k),
            _ => None,
        })
        .collect();
    match spec.kind {
        ProgramKind::Investment => lib
            .projects
            .iter()
            .filter(|p| p.unit_id == unit_id)
            .enumerate()
            .map(|(i, p)| {
                keys.iter()
                    .map(|k| {
                        let v = match *k {
                            "seq" => Locked::Text((i + 1).to_string()),
                            "code" => Locked::Text(p.code.clone()),
                            "name" => Locked::Text(p.name.clone()),
                            "category" => Locked::Text(p.category.clone()),
                            "batch" => Locked::Text(p.batch.clone()),
                            "total_investment" => Locked::Money(p.total_investment),
                            "annual_plan" => Locked::Money(p.annual_plan),
                            _ => Locked::Empty,
                        };
                        (*k, v)
                    })
                    .collect()
            })
            .collect(),
        ProgramKind::Tasks => lib
            .plan
            .iter()
            .flat_map(|plan| plan.of_unit(unit_id))
            .map(|it| {
                keys.iter()
                    .map(|k| {
                        let v = match *k {
                            "seq" => Locked::Text(it.no.to_string()),
                            "category" => Locked::Text(it.group.clone()),
                            // As the plan marks it (and the units' ledgers copy it).
                            "name" if it.lost => Locked::Text(LOST_TEXT.to_string()),
                            "name" => Locked::Text(it.text.clone()),
                            "due" => Locked::Month(it.due),
                            _ => Locked::Empty,
                        };
                        (*k, v)
                    })
                    .collect()
            })
            .collect(),
    }
}

/// A short digest of the rows sent to a unit: equal on both sides when the
/// library still gives the same rows.
pub fn sent_digest(rows: &[LockedRow]) -> String {
    let mut h = Sha256::new();
    for row in rows {
        for (k, v) in row {
            h.update(format!("{k}={v:?}\u{1f}").as_bytes());
        }
        h.update(b"\x1e");
    }
    hex_short(&h.finalize())
}

/// The first 12 hex digits of a digest.
pub fn hex_short(bytes: &[u8]) -> String {
    bytes.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// The header text of a field: its first synonym, the month and year filled
/// in, money columns with their unit.
pub fn header(spec: &PipelineSpec, key: &str, period: Period) -> String {
    let Some(f) = spec.field(key) else {
        return key.to_string();
    };
    let h = f
        .synonyms
        .first()
        .cloned()
        .unwrap_or_else(|| key.to_string())
        .replace("YYYY", &period.year.to_string())
        .replace('N', &period.month.to_string());
    match f.kind {
        FieldKind::Money => format!("{h}（{}）", spec.default_unit.label()),
        _ => h,
    }
}

/// The identity and layout a template carries (rows 0-based here, 1-based in
/// the properties).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub program: String,
    pub unit: String,
    pub period: Period,
    /// sha256 (short) of the library file the template was made from.
    pub library: String,
    /// [`sent_digest`] of the rows sent.
    pub sent: String,
    pub version: String,
    pub sheet: String,
    pub header_row: u32,
    /// Field key by column (0-based).
    pub columns: Vec<(u32, String)>,
    pub money_unit: MoneyUnit,
    /// Rows sent from the library: first, count.
    pub first_row: u32,
    pub sent_rows: u32,
    /// Blank rows for 新增项目, right below the sent rows.
    pub blank_rows: u32,
    /// The 合计 row.
    pub total_row: u32,
}

impl Identity {
    /// The custom properties, names with [`PREFIX`], values text (text
    /// survives a re-save by Excel, WPS or LibreOffice unchanged).
    pub fn to_properties(&self) -> Vec<(String, String)> {
        let mut out = vec![
            ("program", self.program.clone()),
            ("unit", self.unit.clone()),
            ("period", self.period.to_string()),
            ("library", self.library.clone()),
            ("sent", self.sent.clone()),
            ("version", self.version.clone()),
            ("sheet", self.sheet.clone()),
            ("header_row", (self.header_row + 1).to_string()),
            ("money_unit", self.money_unit.label().to_string()),
            ("first_row", (self.first_row + 1).to_string()),
            ("sent_rows", self.sent_rows.to_string()),
            ("blank_rows", self.blank_rows.to_string()),
            ("total_row", (self.total_row + 1).to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (format!("{PREFIX}{k}"), v))
        .collect::<Vec<_>>();
        for (c, key) in &self.columns {
            out.push((
                format!("{PREFIX}col.{}", crate::text::col_letters(*c)),
                key.clone(),
            ));
        }
        out
    }

    /// Reads the identity from a workbook's `taizhang.` properties: none when
    /// it carries no `taizhang.program`; `Err` (what is wrong, in Chinese)
    /// when it carries one but the rest does not read.
    pub fn from_properties(props: &BTreeMap<String, String>) -> Option<Result<Identity, String>> {
        let get = |k: &str| props.get(&format!("{PREFIX}{k}")).map(|v| v.trim());
        let program = get("program")?.to_string();
        Some(Self::parse_rest(program, &get, props))
    }

    fn parse_rest<'a>(
        program: String,
        get: &impl Fn(&str) -> Option<&'a str>,
        props: &BTreeMap<String, String>,
    ) -> Result<Identity, String> {
        let need = |k: &str| get(k).ok_or_else(|| format!("模板标识缺少 {PREFIX}{k}"));
        let num = |k: &str| -> Result<u32, String> {
            need(k)?
                .parse::<u32>()
                .map_err(|_| format!("模板标识 {PREFIX}{k} 不是数字"))
        };
        let row = |k: &str| -> Result<u32, String> {
            num(k)?
                .checked_sub(1)
                .ok_or_else(|| format!("模板标识 {PREFIX}{k} 不是行号"))
        };
        let period = Period::parse_period(need("period")?)
            .ok_or_else(|| format!("模板标识 {PREFIX}period 不是期别"))?;
        let money_unit = MoneyUnit::parse(need("money_unit")?)
            .ok_or_else(|| format!("模板标识 {PREFIX}money_unit 不是金额单位"))?;
        let col_prefix = format!("{PREFIX}col.");
        let mut columns = Vec::new();
        for (k, v) in props {
            if let Some(letters) = k.strip_prefix(&col_prefix) {
                let c = crate::text::parse_a1(&format!("{letters}1"))
                    .map(|(_, c)| c)
                    .ok_or_else(|| format!("模板标识 {k} 不是列号"))?;
                columns.push((c, v.trim().to_string()));
            }
        }
        columns.sort();
        Ok(Identity {
            program,
            unit: need("unit")?.to_string(),
            period,
            library: get("library").unwrap_or_default().to_string(),
            sent: get("sent").unwrap_or_default().to_string(),
            version: need("version")?.to_string(),
            sheet: need("sheet")?.to_string(),
            header_row: row("header_row")?,
            columns,
            money_unit,
            first_row: row("first_row")?,
            sent_rows: num("sent_rows")?,
            blank_rows: num("blank_rows")?,
            total_row: row("total_row")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_round_trips_through_properties() {
        let id = Identity {
            program: "new-infra".into(),
            unit: "nanchang".into(),
            period: Period {
                year: 2023,
                month: 8,
            },
            library: "0123456789ab".into(),
            sent: "ba9876543210".into(),
            version: VERSION.into(),
            sheet: LEDGER_SHEET.into(),
            header_row: 3,
            columns: vec![(0, "seq".into()), (1, "code".into()), (27, "status".into())],
            money_unit: MoneyUnit::Wan,
            first_row: 4,
            sent_rows: 12,
            blank_rows: BLANK_ROWS,
            total_row: 21,
        };
        let props: BTreeMap<String, String> = id.to_properties().into_iter().collect();
        assert_eq!(props["taizhang.header_row"], "4");
        assert_eq!(props["taizhang.col.AB"], "status");
        assert_eq!(Identity::from_properties(&props), Some(Ok(id)));
        assert_eq!(Identity::from_properties(&BTreeMap::new()), None);
        let mut broken = props.clone();
        broken.remove("taizhang.period");
        assert!(matches!(Identity::from_properties(&broken), Some(Err(m)) if m.contains("period")));
    }
}
