//! Text normalisation shared by the stages: full-width folding, header keys,
//! name keys for matching, and A1 cell addresses.
//!
//! Everything here is pure and allocation-light; property tests live beside it.

/// 一 / 二 / 三 / 四 for quarter 1-4 (clamped).
pub fn quarter_cn(quarter: u32) -> &'static str {
    ["一", "二", "三", "四"][quarter.clamp(1, 4) as usize - 1]
}

/// Folds full-width ASCII forms (U+FF01..U+FF5E) and the ideographic space
/// (U+3000) to their half-width equivalents; other characters pass through.
pub fn to_halfwidth(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

/// One character folded as [`to_halfwidth`] does.
pub fn to_halfwidth_char(c: char) -> char {
    fold_char(c)
}

fn fold_char(c: char) -> char {
    match c {
        '\u{3000}' | '\u{00A0}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Maps every dash-like character to ASCII `-` (used in headers such as `1—7月`, `1～7月`).
fn fold_dash(c: char) -> char {
    match c {
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '~' | '\u{301C}' | '\u{FF5E}' => '-',
        _ => c,
    }
}

/// Unifies bracket styles to ASCII parentheses.
fn fold_bracket(c: char) -> char {
    match c {
        '(' | '（' | '【' | '〔' | '[' | '{' | '﹙' => '(',
        ')' | '）' | '】' | '〕' | ']' | '}' | '﹚' => ')',
        _ => c,
    }
}

/// Trims a cell value and folds full-width forms; inner runs of spaces become one space.
pub fn clean_cell_text(s: &str) -> String {
    // Fast path: most cells are already clean (one allocation, no folding).
    let mut prev_space = true;
    let clean = s.chars().all(|c| {
        let ok = fold_char(c) == c && (c == ' ' && !prev_space || !c.is_whitespace());
        prev_space = c == ' ';
        ok
    }) && !s.ends_with(' ');
    if clean {
        return s.to_string();
    }
    let half = to_halfwidth(s);
    let mut out = String::with_capacity(half.len());
    let mut last_space = false;
    for c in half.trim().chars() {
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    out
}

/// Removes every whitespace character (including line breaks and ideographic spaces).
pub fn strip_spaces(s: &str) -> String {
    to_halfwidth(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The key a header cell is matched by: full-width folded, whitespace and line
/// breaks removed, brackets and dashes unified, decorations dropped.
/// The unit in brackets is kept; [`split_header_unit`] takes it off.
pub fn header_key(s: &str) -> String {
    to_halfwidth(s)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '*' | '★' | '☆' | '※' | '△' | '▲'))
        .map(fold_bracket)
        .map(fold_dash)
        .collect::<String>()
        .trim_end_matches([':', '：'])
        .to_string()
}

/// Money or percent unit named in a header.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum HeaderUnit {
    Yuan,
    Wan,
    Yi,
    Percent,
}

/// Splits a header key (see [`header_key`]) into the bare name and the unit
/// it names, e.g. `总投资(万元)` → (`总投资`, Some(Wan)); `完成率(%)` → (`完成率`, Some(Percent)).
/// A unit written without brackets at the end (`总投资万元`, `总投资/亿元`) is taken too.
pub fn split_header_unit(key: &str) -> (String, Option<HeaderUnit>) {
    const UNITS: [(&str, HeaderUnit); 7] = [
        ("亿元", HeaderUnit::Yi),
        ("万元", HeaderUnit::Wan),
        ("元", HeaderUnit::Yuan),
        ("%", HeaderUnit::Percent),
        ("亿", HeaderUnit::Yi),
        ("万", HeaderUnit::Wan),
        ("百分比", HeaderUnit::Percent),
    ];
    let mut unit = None;
    let mut bare = String::with_capacity(key.len());
    let mut rest = key;
    // Bracketed groups: drop the ones that are a unit (possibly with 单位:), keep others.
    while let Some(open) = rest.find('(') {
        bare.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find(')') else {
            bare.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let inner = after[..close]
            .trim_start_matches("单位:")
            .trim_start_matches("单位：")
            .trim_start_matches("计量单位:");
        match UNITS.iter().find(|(u, _)| *u == inner) {
            Some((_, hu)) => unit = unit.or(Some(*hu)),
            None => {
                bare.push('(');
                bare.push_str(&after[..close]);
                bare.push(')');
            }
        }
        rest = &after[close + 1..];
    }
    bare.push_str(rest);
    if unit.is_none() {
        for (u, hu) in UNITS.iter().take(4) {
            if let Some(stripped) = bare.strip_suffix(u) {
                let stripped = stripped.trim_end_matches(['/', '_', '-']);
                // "元" alone would eat names such as 单元; only strip after a money word.
                if *u == "元" && !stripped.ends_with("投资") && !stripped.ends_with("金额") {
                    continue;
                }
                if !stripped.is_empty() {
                    bare = stripped.to_string();
                    unit = Some(*hu);
                }
                break;
            }
        }
    }
    (bare, unit)
}

/// Key used to compare project names: full-width folded, whitespace, markers
/// (`★`, `*`, `▲`) and bracket styles unified.
pub fn name_key(s: &str) -> String {
    to_halfwidth(s)
        .chars()
        .filter(|c| {
            !c.is_whitespace() && !matches!(c, '*' | '★' | '☆' | '※' | '△' | '▲' | '●' | '◆')
        })
        .map(fold_bracket)
        .collect()
}

/// Removes a trailing parenthesised suffix such as `（南平段）` or `(一期)`.
pub fn strip_trailing_paren(s: &str) -> &str {
    let t = s.trim_end();
    if t.ends_with(')') {
        if let Some(i) = t.rfind('(') {
            if i > 0 {
                return &t[..i];
            }
        }
    }
    t
}

/// Column index (0-based) to letters: 0 → `A`, 25 → `Z`, 26 → `AA`.
pub fn col_letters(col: u32) -> String {
    let mut n = col as u64 + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = ((n - 1) % 26) as u8;
        out.push(b'A' + r);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// A1 address of a 0-based (row, col): (11, 3) → `D12`.
pub fn a1(row: u32, col: u32) -> String {
    format!("{}{}", col_letters(col), row as u64 + 1)
}

/// Parses an A1 address back to 0-based (row, col).
pub fn parse_a1(s: &str) -> Option<(u32, u32)> {
    let letters: String = s.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let digits = &s[letters.len()..];
    if letters.is_empty() || digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut col: u64 = 0;
    for c in letters.chars() {
        col = col * 26 + (c.to_ascii_uppercase() as u64 - 'A' as u64 + 1);
        if col > u32::MAX as u64 {
            return None;
        }
    }
    let row: u64 = digits.parse().ok()?;
    if row == 0 || row > u32::MAX as u64 {
        return None;
    }
    Some(((row - 1) as u32, (col - 1) as u32))
}

/// Display width of a string in Excel column units: East-Asian wide characters count 2.
pub fn display_width(s: &str) -> usize {
    s.lines()
        .map(unicode_width::UnicodeWidthStr::width)
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn header_keys() {
        assert_eq!(header_key("总投资\n（万元）"), "总投资(万元)");
        assert_eq!(header_key("总投资        (万元)"), "总投资(万元)");
        assert_eq!(header_key("1-  月累计完成投资"), "1-月累计完成投资");
        assert_eq!(header_key("1—7月完成投资"), "1-7月完成投资");
        assert_eq!(header_key("\u{3000}项目名称 "), "项目名称");
        assert_eq!(header_key("所在县（区）"), "所在县(区)");
    }

    #[test]
    fn header_units() {
        assert_eq!(
            split_header_unit("总投资(万元)"),
            ("总投资".into(), Some(HeaderUnit::Wan))
        );
        assert_eq!(
            split_header_unit("总投资(亿元)"),
            ("总投资".into(), Some(HeaderUnit::Yi))
        );
        assert_eq!(
            split_header_unit("完成率(%)"),
            ("完成率".into(), Some(HeaderUnit::Percent))
        );
        assert_eq!(split_header_unit("所在县(区)"), ("所在县(区)".into(), None));
        assert_eq!(
            split_header_unit("总投资万元"),
            ("总投资".into(), Some(HeaderUnit::Wan))
        );
        assert_eq!(
            split_header_unit("总投资(单位:亿元)"),
            ("总投资".into(), Some(HeaderUnit::Yi))
        );
        assert_eq!(
            split_header_unit("计划总投资(内资+外资)(万元)").1,
            Some(HeaderUnit::Wan)
        );
        assert_eq!(split_header_unit("单元"), ("单元".into(), None));
    }

    #[test]
    fn addresses() {
        assert_eq!(a1(11, 3), "D12");
        assert_eq!(a1(0, 26), "AA1");
        assert_eq!(parse_a1("AA1"), Some((0, 26)));
        assert_eq!(parse_a1("D0"), None);
    }

    #[test]
    fn names() {
        assert_eq!(name_key("★九江 数据中心（一期）"), "九江数据中心(一期)");
        assert_eq!(
            strip_trailing_paren("宁德至武夷山高速公路(南平段)"),
            "宁德至武夷山高速公路"
        );
        assert_eq!(display_width("项目名称ab"), 10);
    }

    proptest! {
        #[test]
        fn a1_roundtrip(r in 0u32..1_048_576, c in 0u32..16_384) {
            prop_assert_eq!(parse_a1(&a1(r, c)), Some((r, c)));
        }

        #[test]
        fn clean_cell_text_fast_path_agrees(s in "[ a-z\u{3000}\u{FF10}-\u{FF19}\t]{0,12}") {
            let slow: String = {
                let half = to_halfwidth(&s);
                half.split_whitespace().collect::<Vec<_>>().join(" ")
            };
            prop_assert_eq!(clean_cell_text(&s), slow);
        }

        #[test]
        fn header_key_is_idempotent(s in "\\PC{0,30}") {
            let k = header_key(&s);
            prop_assert_eq!(header_key(&k), k);
        }

        #[test]
        fn split_unit_never_panics(s in "\\PC{0,30}") {
            let _ = split_header_unit(&header_key(&s));
        }
    }
}
