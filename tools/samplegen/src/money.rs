//! Exact money formatting for the generator.
//!
//! Amounts are kept as integer 元 (always a multiple of 100 元, i.e. 万元 with
//! two decimals). They are written to cells as the decimal string in the
//! column's unit, parsed to the nearest `f64`, which Excel stores with its
//! shortest round-trip representation (`1234.56`), so a reader that parses the
//! cell text to a decimal gets the exact amount back.

/// 元 per 万元.
pub const WAN: i64 = 10_000;
/// 元 per 亿元.
pub const YI: i64 = 100_000_000;

/// The unit a money column is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyUnit {
    /// 万元
    Wan,
    /// 亿元
    Yi,
}

impl MoneyUnit {
    /// Chinese name of the unit.
    pub fn label(self) -> &'static str {
        match self {
            MoneyUnit::Wan => "万元",
            MoneyUnit::Yi => "亿元",
        }
    }

    /// 元 per unit.
    pub fn factor(self) -> i64 {
        match self {
            MoneyUnit::Wan => WAN,
            MoneyUnit::Yi => YI,
        }
    }
}

/// Exact decimal text of `yuan` in `unit`, trailing zeros trimmed (`1234.5`).
pub fn plain(yuan: i64, unit: MoneyUnit) -> String {
    let factor = unit.factor();
    let sign = if yuan < 0 { "-" } else { "" };
    let abs = yuan.unsigned_abs();
    let f = factor.unsigned_abs();
    let int = abs / f;
    let frac = abs % f;
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let width = f.to_string().len() - 1;
    let digits = format!("{frac:0width$}");
    format!("{sign}{int}.{}", digits.trim_end_matches('0'))
}

/// `yuan` in 万元 with exactly two decimals (`1234.50`).
pub fn wan2(yuan: i64) -> String {
    let sign = if yuan < 0 { "-" } else { "" };
    let abs = yuan.unsigned_abs();
    let cents = abs / 100;
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}

/// `yuan` in 万元 with two decimals and thousands separators (`1,234.50`).
pub fn wan2_grouped(yuan: i64) -> String {
    let text = wan2(yuan);
    let (sign, rest) = match text.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", text.as_str()),
    };
    let (int, frac) = rest.split_once('.').unwrap_or((rest, "00"));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped}.{frac}")
}

/// The `f64` written to a cell for `yuan` in `unit`.
pub fn cell_value(yuan: i64, unit: MoneyUnit) -> f64 {
    plain(yuan, unit).parse::<f64>().unwrap_or(0.0)
}

/// Parses a 万元 amount with at most two decimals back to 元.
pub fn parse_wan(text: &str) -> Option<i64> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if frac.len() > 2 || int.is_empty() {
        return None;
    }
    let int: i64 = int.parse().ok()?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    Some(int * WAN + frac * 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_exactly() {
        assert_eq!(plain(12_345_600, MoneyUnit::Wan), "1234.56");
        assert_eq!(plain(12_340_000, MoneyUnit::Wan), "1234");
        assert_eq!(plain(123_450_000, MoneyUnit::Yi), "1.2345");
        assert_eq!(wan2(12_345_000), "1234.50");
        assert_eq!(wan2_grouped(1_234_567_800), "123,456.78");
        assert_eq!(wan2_grouped(500), "0.05");
        assert_eq!(parse_wan("1234.5"), Some(12_345_000));
        assert_eq!(
            cell_value(12_345_600, MoneyUnit::Wan).to_string(),
            "1234.56"
        );
    }
}
