//! Phase 2 of validate: a row's project in the library — by code, else by
//! name — and the findings that say how it was matched or why it was not.

use super::Inputs;
use crate::checks::{finding, Loc};
use crate::model::{Finding, LedgerRow};
use crate::parse::is_project_code;
use crate::seeds::{NameMatch, Project};

/// The library index of the row's project (if any) and the row's findings.
pub fn match_row(
    inp: &Inputs<'_>,
    fname: &str,
    uname: &str,
    row: &LedgerRow,
) -> (Option<usize>, Vec<Finding>) {
    let spec = inp.spec;
    let code = row.code.clone().unwrap_or_default();
    let name = row.name.clone().unwrap_or_default();
    let code_cell = row.identity_cell();
    let name_cell = row.cell_of("name");
    let mut out = Vec::new();
    let mut push = |id: &str, cell: &str, detail: &str, value: &str, expected: &str| {
        let l = Loc {
            file: fname,
            sheet: &row.sheet,
            cell,
            project_code: &code,
            unit: uname,
        };
        out.push(finding(Some(spec), id, &l, detail, value, expected));
    };
    let hit: Option<&Project> = if is_project_code(&code) {
        match inp.library.by_code(&code) {
            Some(p) => {
                if let Some(how) = name_differs(inp, &name, p) {
                    push("W202", &name_cell, how, &name, &p.name);
                }
                Some(p)
            }
            None => {
                let hint = match inp.library.by_name(&name) {
                    Some((q, _)) => format!("；项目库中同名项目的代码为 {}", q.code),
                    None => closest_hint(inp, &name),
                };
                let detail = format!("项目代码不在{}中{hint}", spec.library_label());
                push("E201", &code_cell, &detail, &code, "");
                None
            }
        }
    } else {
        match inp.library.by_name(&name) {
            Some((p, how)) => {
                let detail = match (code.is_empty(), how) {
                    (true, NameMatch::Exact) => "未填项目代码，已按项目名称匹配".to_string(),
                    (true, NameMatch::Loose) => {
                        "未填项目代码，已按去除标记和后缀后的名称匹配".to_string()
                    }
                    (false, _) => format!("项目代码“{code}”格式错误，已按项目名称匹配"),
                };
                push("W213", &code_cell, &detail, &code, &p.code);
                Some(p)
            }
            None if code.is_empty() => {
                let detail = format!(
                    "未填项目代码，项目名称在{}中找不到{}",
                    spec.library_label(),
                    closest_hint(inp, &name)
                );
                push("E201", &name_cell, &detail, &name, "");
                None
            }
            None => {
                push(
                    "E211",
                    &code_cell,
                    "项目代码格式错误，且项目名称在项目库中找不到",
                    &code,
                    "YYYY-AAAAAA-II-TT-NNNNNN",
                );
                None
            }
        }
    };
    (hit.and_then(|p| inp.library.index_of(&p.code)), out)
}

/// Why a name differs from the library's for the same code (W202), or
/// `None` when it differs only in spacing or full-width forms.
fn name_differs(inp: &Inputs<'_>, name: &str, p: &Project) -> Option<&'static str> {
    if name.is_empty() || crate::text::strip_spaces(name) == crate::text::strip_spaces(&p.name) {
        return None;
    }
    // Markers (★), suffixes (（南平段）) and other wording are findings.
    Some(
        if crate::text::name_key(name) == crate::text::name_key(&p.name) {
            "名称带有标记（如“★”），已按项目代码匹配"
        } else {
            match inp.library.by_name(name) {
                Some((q, NameMatch::Loose)) if q.code == p.code => {
                    "名称带有标记或后缀（如“（南平段）”），已按项目代码匹配"
                }
                _ => "项目名称与项目库不一致，已按项目代码匹配",
            }
        },
    )
}

/// `；最接近的库内项目：…（code）` for a name not in the library, or nothing.
fn closest_hint(inp: &Inputs<'_>, name: &str) -> String {
    inp.library
        .closest_name(name)
        .map(|q| format!("；最接近的库内项目：{}（{}）", q.name, q.code))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{project, Fixture};
    use super::*;

    fn row(code: Option<&str>, name: Option<&str>) -> LedgerRow {
        LedgerRow {
            sheet: "表".to_string(),
            row: 4,
            code: code.map(str::to_string),
            name: name.map(str::to_string),
            ..Default::default()
        }
    }

    fn ids(f: &[Finding]) -> Vec<&str> {
        f.iter().map(|f| f.id.as_str()).collect()
    }

    #[test]
    fn by_code_with_the_library_name_is_silent() {
        let fx = Fixture::new();
        let p = project(1);
        let (hit, f) = match_row(
            &fx.inputs(),
            "a.xlsx",
            "南昌市",
            &row(Some(&p.code), Some(&p.name)),
        );
        assert_eq!(hit, Some(1));
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn by_code_with_a_marked_name_says_so() {
        let fx = Fixture::new();
        let p = project(2);
        let named = format!("★{}", p.name);
        let (hit, f) = match_row(
            &fx.inputs(),
            "a.xlsx",
            "南昌市",
            &row(Some(&p.code), Some(&named)),
        );
        assert_eq!(hit, Some(2));
        assert_eq!(ids(&f), ["W202"]);
        assert!(f[0].message.contains("标记"), "{}", f[0].message);
    }

    #[test]
    fn unknown_code_is_rejected_with_the_same_named_projects_code() {
        let fx = Fixture::new();
        let p = project(3);
        let (hit, f) = match_row(
            &fx.inputs(),
            "a.xlsx",
            "九江市",
            &row(Some("2023-360400-64-01-999999"), Some(&p.name)),
        );
        assert_eq!(hit, None);
        assert_eq!(ids(&f), ["E201"]);
        assert!(f[0].message.contains(&p.code), "{}", f[0].message);
    }

    #[test]
    fn no_code_matched_by_name_is_a_warning() {
        let fx = Fixture::new();
        let p = project(0);
        let (hit, f) = match_row(&fx.inputs(), "a.xlsx", "南昌市", &row(None, Some(&p.name)));
        assert_eq!(hit, Some(0));
        assert_eq!(ids(&f), ["W213"]);
    }

    #[test]
    fn malformed_code_and_unknown_name_is_e211() {
        let fx = Fixture::new();
        let (hit, f) = match_row(
            &fx.inputs(),
            "a.xlsx",
            "南昌市",
            &row(Some("12-34"), Some("无此项目")),
        );
        assert_eq!(hit, None);
        assert_eq!(ids(&f), ["E211"]);
        assert_eq!(f[0].cell, "A5");
    }
}
