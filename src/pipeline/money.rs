//! A money cell read as exact 元: shared by `normalize` (ledger rows) and
//! the library loader in `seeds` (plans), so neither imports the other.

use crate::model::Cell;
use crate::parse::{decimal_from_f64, parse_amount_text, to_yuan, MoneyUnit, TextAmount, Yuan};
use crate::text::strip_spaces;

/// A money cell, interpreted.
#[derive(Debug, Clone, PartialEq)]
pub enum MoneyValue {
    Empty,
    Value(Yuan),
    /// Typed as text with a unit (converted): value and the text seen.
    Converted(Yuan, String),
    /// Not usable: check id and detail.
    Bad(&'static str, String),
}

/// Interprets a money cell in a column of unit `unit`.
pub fn money_value(cell: &Cell, unit: MoneyUnit) -> MoneyValue {
    // `seen` is only rendered when the value is refused (no formatting per cell).
    let signed = |v: Option<Yuan>, seen: &dyn std::fmt::Display| -> MoneyValue {
        match v {
            None => MoneyValue::Bad("E206", format!("数值“{seen}”超出范围")),
            Some(y) if y < 0 => MoneyValue::Bad("E207", "金额为负数".to_string()),
            Some(y) => MoneyValue::Value(y),
        }
    };
    match cell {
        Cell::Empty => MoneyValue::Empty,
        Cell::Number(f) => match decimal_from_f64(*f) {
            Some(d) => signed(to_yuan(d, unit), f),
            None => MoneyValue::Bad("E206", "数值无效".to_string()),
        },
        Cell::Text(s) => match parse_amount_text(s) {
            TextAmount::Null => MoneyValue::Empty,
            TextAmount::Number { percent: true, .. } => {
                MoneyValue::Bad("E206", "金额列中填写了百分数".to_string())
            }
            TextAmount::Number {
                value, unit: None, ..
            } => signed(to_yuan(value, unit), s),
            TextAmount::Number {
                value,
                unit: Some(u),
                ..
            } => match signed(to_yuan(value, u), s) {
                MoneyValue::Value(y) => MoneyValue::Converted(y, s.to_string()),
                other => other,
            },
            TextAmount::Invalid => {
                let t = strip_spaces(s);
                let digits = t.chars().filter(|c| c.is_ascii_digit()).count();
                if digits > 0 && t.ends_with('元') {
                    MoneyValue::Bad("E208", format!("金额单位无法识别：“{s}”"))
                } else {
                    MoneyValue::Bad("E206", format!("“{s}”不是数字"))
                }
            }
        },
        Cell::Bool(_) | Cell::Date(_) => MoneyValue::Bad("E206", "金额单元格不是数字".to_string()),
        Cell::Error(e) if &**e == crate::pipeline::ingest::UNCACHED_FORMULA => MoneyValue::Bad(
            "E212",
            "单元格是公式但文件中没有保存计算结果（请在 Excel/WPS 中打开并保存一次，或改填数值）"
                .to_string(),
        ),
        Cell::Error(e) => MoneyValue::Bad("E212", format!("单元格为错误值 {e}")),
    }
}
