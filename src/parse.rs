//! Value parsers: amounts (numbers, numbers as text, units, null markers),
//! exact money in 元, percentages, months/dates, statuses.
//!
//! Money is exact: a decimal is parsed from the cell's text (or from the
//! shortest decimal form of the cell's float), multiplied by the unit factor and
//! rounded to whole 元 (half away from zero). See ARCHITECTURE.md, "Money".

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use std::str::FromStr;

use crate::text::{to_halfwidth, to_halfwidth_char, HeaderUnit};

/// Whole 元. Every amount in the pipeline is one of these.
pub type Yuan = i64;

/// Money unit, with its factor to 元.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum MoneyUnit {
    #[serde(rename = "元")]
    Yuan,
    #[serde(rename = "万元")]
    Wan,
    #[serde(rename = "亿元")]
    Yi,
}

impl MoneyUnit {
    /// 元 per one of this unit.
    pub fn factor(self) -> i64 {
        match self {
            MoneyUnit::Yuan => 1,
            MoneyUnit::Wan => 10_000,
            MoneyUnit::Yi => 100_000_000,
        }
    }

    /// The Chinese name (`万元`).
    pub fn label(self) -> &'static str {
        match self {
            MoneyUnit::Yuan => "元",
            MoneyUnit::Wan => "万元",
            MoneyUnit::Yi => "亿元",
        }
    }

    /// Parses `元`, `万元`, `亿元` (also `万`, `亿`, surrounding spaces).
    pub fn parse(s: &str) -> Option<MoneyUnit> {
        match to_halfwidth(s).trim() {
            "元" => Some(MoneyUnit::Yuan),
            "万元" | "万" => Some(MoneyUnit::Wan),
            "亿元" | "亿" => Some(MoneyUnit::Yi),
            _ => None,
        }
    }

    /// The money unit a header names, if it names one.
    pub fn from_header(u: HeaderUnit) -> Option<MoneyUnit> {
        match u {
            HeaderUnit::Yuan => Some(MoneyUnit::Yuan),
            HeaderUnit::Wan => Some(MoneyUnit::Wan),
            HeaderUnit::Yi => Some(MoneyUnit::Yi),
            HeaderUnit::Percent => None,
        }
    }
}

/// Converts an amount in `unit` to whole 元 (half away from zero); `None` on overflow.
pub fn to_yuan(value: Decimal, unit: MoneyUnit) -> Option<Yuan> {
    value
        .checked_mul(Decimal::from(unit.factor()))?
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
}

/// The exact decimal a float cell shows: its shortest round-trip representation
/// (`0.1 + 0.2` stored by Excel as 0.30000000000000004 becomes 0.30000000000000004,
/// but 1234.56 stays 1234.56). `None` for NaN and infinities.
pub fn decimal_from_f64(f: f64) -> Option<Decimal> {
    if !f.is_finite() {
        return None;
    }
    // Fast path: a value with at most 4 decimals below 1e11 (every real amount in
    // 万元). Two decimals 1e-4 apart cannot round to the same double there, so
    // k / 10^4 is exactly the value the cell shows.
    if f.abs() < 1e11 {
        let k = (f * 10_000.0).round();
        if k / 10_000.0 == f {
            return Some(Decimal::new(k as i64, 4).normalize());
        }
    }
    let s = format!("{f}");
    Decimal::from_str(&s)
        .ok()
        .or_else(|| Decimal::from_scientific(&format!("{f:e}")).ok())
}

/// What a text cell holding an amount turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum TextAmount {
    /// Empty, a lone space, or a null marker (`-`, `—`, `/`, `无`).
    Null,
    /// A number; `unit` when the text carried one (`1234万元`, `1.2亿`), `percent` for `65.3%`.
    Number {
        value: Decimal,
        unit: Option<MoneyUnit>,
        percent: bool,
    },
    /// Not a number.
    Invalid,
}

/// True for the markers units type into a cell that has no value.
pub fn is_null_marker(s: &str) -> bool {
    // Every marker is at most 4 characters once trimmed; longer text is never one.
    let t = s.trim_matches(|c: char| c.is_whitespace());
    if t.chars().nth(4).is_some() {
        return false;
    }
    matches!(
        to_halfwidth(s).trim(),
        "" | "-"
            | "--"
            | "—"
            | "——"
            | "/"
            | "\\"
            | "无"
            | "暂无"
            | "空"
            | "－"
            | "–"
            | "N/A"
            | "n/a"
            | "NA"
            | "#N/A"
    )
}

/// Parses an amount typed as text: `1,234.50`, `１２３４`, `1234万元`, `1.2亿`,
/// ` 56 `, `(12.5)` (negative), `-3`, `65.3%`, null markers.
pub fn parse_amount_text(raw: &str) -> TextAmount {
    if is_null_marker(raw) {
        return TextAmount::Null;
    }
    let half = to_halfwidth(raw);
    let mut s: String = half.chars().filter(|c| !c.is_whitespace()).collect();
    let mut percent = false;
    if let Some(t) = s.strip_suffix('%') {
        s = t.to_string();
        percent = true;
    }
    let mut unit = None;
    for (suffix, u) in [
        ("亿元", MoneyUnit::Yi),
        ("万元", MoneyUnit::Wan),
        ("元", MoneyUnit::Yuan),
        ("亿", MoneyUnit::Yi),
        ("万", MoneyUnit::Wan),
    ] {
        if let Some(t) = s.strip_suffix(suffix) {
            if percent {
                return TextAmount::Invalid;
            }
            s = t.to_string();
            unit = Some(u);
            break;
        }
    }
    let mut negative = false;
    if s.starts_with('(') && s.ends_with(')') && s.len() > 2 {
        s = s[1..s.len() - 1].to_string();
        negative = true;
    }
    if let Some(t) = s.strip_prefix('-') {
        if negative {
            return TextAmount::Invalid;
        }
        s = t.to_string();
        negative = true;
    } else if let Some(t) = s.strip_prefix('+') {
        s = t.to_string();
    }
    // Thousands separators: only in valid positions (groups of three digits).
    if s.contains(',') {
        let int_part = s.split('.').next().unwrap_or("");
        let groups: Vec<&str> = int_part.split(',').collect();
        let ok = groups.len() > 1
            && !groups[0].is_empty()
            && groups[0].len() <= 3
            && groups[1..].iter().all(|g| g.len() == 3);
        if !ok {
            return TextAmount::Invalid;
        }
        s = s.replace(',', "");
    }
    if s.is_empty()
        || !s.chars().all(|c| c.is_ascii_digit() || c == '.')
        || s.chars().filter(|c| *c == '.').count() > 1
        || s.starts_with('.') && s.len() == 1
    {
        return TextAmount::Invalid;
    }
    match Decimal::from_str(&s) {
        Ok(v) => TextAmount::Number {
            value: if negative { -v } else { v },
            unit,
            percent,
        },
        Err(_) => TextAmount::Invalid,
    }
}

/// Formats 元 as 万元 with two decimals and thousands separators (`12,345.60`),
/// rounding half away from zero: the display rule of every report.
pub fn fmt_wan(yuan: Yuan) -> String {
    fmt_amount(yuan, MoneyUnit::Wan)
}

/// Formats 元 in `unit` with two decimals and thousands separators.
pub fn fmt_amount(yuan: Yuan, unit: MoneyUnit) -> String {
    let d = (Decimal::from(yuan) / Decimal::from(unit.factor()))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let neg = d.is_sign_negative() && !d.is_zero();
    let s = format!("{:.2}", d.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{frac}", if neg { "-" } else { "" })
}

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    pub year: i32,
    pub month: u32,
}

impl std::fmt::Display for YearMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Converts an Excel date serial to a calendar month (1900 or 1904 epoch).
pub fn month_from_serial(serial: f64, is_1904: bool) -> Option<YearMonth> {
    if !serial.is_finite() || !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    let base = if is_1904 {
        chrono::NaiveDate::from_ymd_opt(1904, 1, 1)?
    } else {
        // 1899-12-30 makes serial 61 = 1900-03-01 (Excel's 1900 leap-year bug).
        chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?
    };
    let d = base.checked_add_signed(chrono::Duration::days(serial.floor() as i64))?;
    use chrono::Datelike;
    Some(YearMonth {
        year: d.year(),
        month: d.month(),
    })
}

/// Parses a month typed as text: `2023.7`, `2023年7月`, `2023-07-15`, `2023/7`,
/// `202307`, `2023年7月15日`, `2023.07.15`.
pub fn parse_month_text(raw: &str) -> Option<YearMonth> {
    let s: String = to_halfwidth(raw)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let s = s.trim_end_matches(['日', '号']);
    let digits_only = s.chars().all(|c| c.is_ascii_digit());
    let (y, m) = if digits_only && (s.len() == 6 || s.len() == 8) {
        (s[..4].parse::<i32>().ok()?, s[4..6].parse::<u32>().ok()?)
    } else {
        let parts: Vec<&str> = s
            .split(['.', '-', '/', '年', '月'])
            .filter(|p| !p.is_empty())
            .collect();
        if parts.len() < 2
            || parts.len() > 3
            || !parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()))
        {
            return None;
        }
        if parts[0].len() != 4 || parts[1].len() > 2 || parts.get(2).is_some_and(|d| d.len() > 2) {
            return None;
        }
        if let Some(d) = parts.get(2) {
            let d: u32 = d.parse().ok()?;
            if !(1..=31).contains(&d) {
                return None;
            }
        }
        (parts[0].parse().ok()?, parts[1].parse().ok()?)
    };
    if !(1900..=2200).contains(&y) || !(1..=12).contains(&m) {
        return None;
    }
    Some(YearMonth { year: y, month: m })
}

/// Construction status of a project, in the order it may advance.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Status {
    #[serde(rename = "未开工")]
    NotStarted,
    #[serde(rename = "在建")]
    UnderConstruction,
    #[serde(rename = "已竣工")]
    Completed,
    #[serde(rename = "已投产")]
    InOperation,
}

impl Status {
    /// Parses the words units use (`未开工`, `已开工`, `在建`, `续建`, `已竣工`, `建成投产`, `是`/`否` …).
    pub fn parse(raw: &str) -> Option<Status> {
        // Most cells are already clean: match them without allocating.
        let t = raw.trim();
        let folded: String;
        let s = if t
            .chars()
            .all(|c| !c.is_whitespace() && to_halfwidth_char(c) == c)
        {
            t
        } else {
            folded = to_halfwidth(t)
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            folded.as_str()
        };
        Some(match s {
            "未开工" | "否" | "前期" | "前期工作" | "待开工" | "未动工" | "筹建" => {
                Status::NotStarted
            }
            "已开工" | "开工" | "是" | "在建" | "续建" | "建设中" | "施工中" | "正在建设"
            | "已动工" => Status::UnderConstruction,
            "已竣工" | "竣工" | "完工" | "已完工" | "建成" | "已建成" | "部分竣工" => {
                Status::Completed
            }
            "已投产" | "投产" | "建成投产" | "已建成投产" | "已投用" | "投用" | "已运营" => {
                Status::InOperation
            }
            _ => return None,
        })
    }

    /// Chinese label used in reports.
    pub fn label(self) -> &'static str {
        match self {
            Status::NotStarted => "未开工",
            Status::UnderConstruction => "在建",
            Status::Completed => "已竣工",
            Status::InOperation => "已投产",
        }
    }

    /// Started in any sense (在建 or later).
    pub fn is_started(self) -> bool {
        self != Status::NotStarted
    }
}

/// 建设性质.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Nature {
    #[serde(rename = "新开工")]
    New,
    #[serde(rename = "续建")]
    Continuing,
}

impl Nature {
    /// Parses `新开工`, `新建`, `计划新开工` / `续建`.
    pub fn parse(raw: &str) -> Option<Nature> {
        let s: String = to_halfwidth(raw)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        match s.as_str() {
            "新开工" | "新建" | "计划新开工" | "新开" => Some(Nature::New),
            "续建" | "续建项目" | "在建" => Some(Nature::Continuing),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Nature::New => "新开工",
            Nature::Continuing => "续建",
        }
    }
}

/// A national investment-project code `YYYY-AAAAAA-II-TT-NNNNNN` (pattern only).
pub fn is_project_code(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 24
        && [4usize, 11, 14, 17].iter().all(|&i| b[i] == b'-')
        && b.iter()
            .enumerate()
            .all(|(i, c)| [4usize, 11, 14, 17].contains(&i) || c.is_ascii_digit())
}

/// Folds what units type into a code cell (full-width digits, spaces, `—`) to the canonical form.
pub fn clean_code(raw: &str) -> String {
    if raw.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return raw.to_string();
    }
    to_halfwidth(raw)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\'')
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '_' => '-',
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn num(s: &str) -> Option<(Decimal, Option<MoneyUnit>)> {
        match parse_amount_text(s) {
            TextAmount::Number { value, unit, .. } => Some((value, unit)),
            _ => None,
        }
    }

    #[test]
    fn amounts_as_text() {
        assert_eq!(
            num("1,234.50"),
            Some((Decimal::from_str("1234.50").unwrap(), None))
        );
        assert_eq!(num("１２３４"), Some((Decimal::from(1234), None)));
        assert_eq!(
            num("1234万元"),
            Some((Decimal::from(1234), Some(MoneyUnit::Wan)))
        );
        assert_eq!(
            num("1.2亿"),
            Some((Decimal::from_str("1.2").unwrap(), Some(MoneyUnit::Yi)))
        );
        assert_eq!(num(" 56 "), Some((Decimal::from(56), None)));
        assert_eq!(
            num("(12.5)"),
            Some((Decimal::from_str("-12.5").unwrap(), None))
        );
        assert_eq!(parse_amount_text("-"), TextAmount::Null);
        assert_eq!(parse_amount_text("无"), TextAmount::Null);
        assert_eq!(parse_amount_text(" 暂无 "), TextAmount::Null);
        assert!(is_null_marker("——"));
        assert!(is_null_marker("#N/A"));
        assert!(!is_null_marker("暂无数据可填"));
        assert_eq!(parse_amount_text("  "), TextAmount::Null);
        assert_eq!(parse_amount_text("约100"), TextAmount::Invalid);
        assert_eq!(parse_amount_text("12,34"), TextAmount::Invalid);
        assert_eq!(parse_amount_text("1.2.3"), TextAmount::Invalid);
        assert!(matches!(
            parse_amount_text("65.3%"),
            TextAmount::Number { percent: true, .. }
        ));
    }

    #[test]
    fn yuan_conversion_is_exact() {
        assert_eq!(
            to_yuan(Decimal::from_str("1234.56").unwrap(), MoneyUnit::Wan),
            Some(12_345_600)
        );
        assert_eq!(
            to_yuan(Decimal::from_str("1.2").unwrap(), MoneyUnit::Yi),
            Some(120_000_000)
        );
        assert_eq!(
            to_yuan(Decimal::from_str("0.00005").unwrap(), MoneyUnit::Wan),
            Some(1)
        );
        assert_eq!(decimal_from_f64(1234.56), Decimal::from_str("1234.56").ok());
        assert_eq!(
            decimal_from_f64(1e21).map(|d| d.to_string()),
            Some("1000000000000000000000".into())
        );
        assert_eq!(decimal_from_f64(f64::NAN), None);
    }

    #[test]
    fn formatting() {
        assert_eq!(fmt_wan(12_345_600), "1,234.56");
        assert_eq!(fmt_wan(-5_000), "-0.50");
        assert_eq!(fmt_wan(0), "0.00");
        assert_eq!(fmt_amount(60_000_000_000, MoneyUnit::Yi), "600.00");
        assert_eq!(fmt_wan(49), "0.00");
        assert_eq!(fmt_wan(50), "0.01");
    }

    #[test]
    fn months() {
        let ym = |y, m| Some(YearMonth { year: y, month: m });
        assert_eq!(parse_month_text("2023.7"), ym(2023, 7));
        assert_eq!(parse_month_text("2023年7月"), ym(2023, 7));
        assert_eq!(parse_month_text("2023-07-15"), ym(2023, 7));
        assert_eq!(parse_month_text("2023/7"), ym(2023, 7));
        assert_eq!(parse_month_text("202307"), ym(2023, 7));
        assert_eq!(parse_month_text("2023年7月15日"), ym(2023, 7));
        assert_eq!(parse_month_text("2023-13"), None);
        assert_eq!(parse_month_text("明年"), None);
        assert_eq!(month_from_serial(45123.0, false), ym(2023, 7)); // 2023-07-16
        assert_eq!(month_from_serial(43661.0, true), ym(2023, 7));
        assert_eq!(month_from_serial(-1.0, false), None);
    }

    #[test]
    fn codes_and_enums() {
        assert!(is_project_code("2023-360100-64-01-104233"));
        assert!(!is_project_code("2023-36010-64-01-104233"));
        assert_eq!(
            clean_code(" 2023—360100－64-01-104233 "),
            "2023-360100-64-01-104233"
        );
        assert_eq!(Status::parse("建成投产"), Some(Status::InOperation));
        assert_eq!(Status::parse("否"), Some(Status::NotStarted));
        assert_eq!(Nature::parse("续建"), Some(Nature::Continuing));
    }

    proptest! {
        #[test]
        fn text_amount_roundtrip(cents in -10_000_000_000i64..10_000_000_000i64) {
            let d = Decimal::new(cents, 2);
            let s = d.to_string();
            prop_assert_eq!(num(&s), Some((d, None)));
            let wan = format!("{s}万元");
            prop_assert_eq!(num(&wan), Some((d, Some(MoneyUnit::Wan))));
        }

        #[test]
        fn thousands_separators(n in 0u64..1_000_000_000_000u64) {
            let plain = n.to_string();
            let mut grouped = String::new();
            for (i, c) in plain.chars().enumerate() {
                if i > 0 && (plain.len() - i) % 3 == 0 { grouped.push(','); }
                grouped.push(c);
            }
            prop_assert_eq!(num(&grouped), Some((Decimal::from(n), None)));
        }

        #[test]
        fn float_cells_are_exact(cents in 0i64..100_000_000_000i64) {
            let f = cents as f64 / 100.0;
            let d = decimal_from_f64(f).unwrap();
            prop_assert_eq!(to_yuan(d, MoneyUnit::Wan), Some(cents * 100));
        }

        #[test]
        fn decimal_fast_path_matches_shortest_form(f in -1e12f64..1e12f64, dp in 0u32..6) {
            let m = 10f64.powi(dp as i32);
            let g = (f * m).round() / m;
            let slow = Decimal::from_str(&format!("{g}")).ok().or_else(|| Decimal::from_scientific(&format!("{g:e}")).ok());
            prop_assert_eq!(decimal_from_f64(g), slow);
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,24}") {
            let _ = parse_amount_text(&s);
            let _ = parse_month_text(&s);
            let _ = Status::parse(&s);
            let _ = is_project_code(&s);
        }

        #[test]
        fn month_text_roundtrip(y in 1990i32..2100, m in 1u32..=12, sep in 0usize..4) {
            let s = match sep { 0 => format!("{y}.{m}"), 1 => format!("{y}年{m}月"), 2 => format!("{y}-{m:02}-15"), _ => format!("{y}{m:02}") };
            prop_assert_eq!(parse_month_text(&s), Some(YearMonth { year: y, month: m }));
        }
    }
}
