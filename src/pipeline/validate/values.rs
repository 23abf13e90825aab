//! Phase 4 of validate: the figures of a project's kept row against the
//! library and the history — a status guessed where none was given (W216),
//! a missing cumulative (E215), plan, total and status consistency
//! (W303-W306), last month's cumulative and status (E301, W302, W307) and a
//! month far above the project's usual (W308).

use super::Inputs;
use crate::checks::{finding, Loc};
use crate::model::{Finding, LedgerRow, ProjectRecord, Status};
use crate::parse::{fmt_wan, Yuan};
use crate::seeds::Project;

/// What the row is compared with besides the library project.
pub struct RowContext<'a> {
    pub file: &'a str,
    pub unit: &'a str,
    /// Rounding tolerance of the row's annual-plan column (half its unit).
    pub plan_tolerance: Yuan,
    /// The project's record last month, if stored.
    pub last_month: Option<&'a ProjectRecord>,
    /// The project's highest single month so far this year, if any.
    pub max_month: Option<Yuan>,
}

/// The row's figures as they count, and its findings.
#[derive(Debug, Clone, PartialEq)]
pub struct RowVerdict {
    pub status: Status,
    /// (cumulative, month), or `None` when the cumulative is missing (E215).
    pub figures: Option<(Yuan, Yuan)>,
    pub findings: Vec<Finding>,
}

/// Checks one kept row of project `p`.
pub fn check_row(inp: &Inputs<'_>, c: &RowContext<'_>, p: &Project, row: &LedgerRow) -> RowVerdict {
    let spec = inp.spec;
    let mut findings = Vec::new();
    let mut push = |id: &str, field: &str, detail: &str, value: &str, expected: &str| {
        let cell = row.cell_of(field);
        let loc = Loc {
            file: c.file,
            sheet: &row.sheet,
            cell: &cell,
            project_code: &p.code,
            unit: c.unit,
        };
        findings.push(finding(Some(spec), id, &loc, detail, value, expected));
    };
    let month = row.month_done.unwrap_or(0);
    let status = match row.status {
        Some(s) => s,
        None => {
            let guess = match (row.ytd_done.unwrap_or(0) > 0, c.last_month) {
                (_, Some(pr)) if pr.status.is_started() => pr.status,
                (true, _) => Status::UnderConstruction,
                (false, _) => Status::NotStarted,
            };
            // A status that was typed but not recognised already has its W216.
            if row.cols.contains_key("status") && !row.findings.iter().any(|f| f.id == "W216") {
                let detail = format!("建设状态未填写，已按投资情况推定为“{}”", guess.label());
                push(
                    "W216",
                    "status",
                    &detail,
                    "",
                    "未开工、在建、已竣工或已投产",
                );
            }
            guess
        }
    };
    let ytd = match row.ytd_done {
        Some(v) => v,
        None if status == Status::NotStarted
            || month == 0 && !row.cols.contains_key("ytd_done") =>
        {
            0
        }
        None => {
            push(
                "E215",
                "ytd_done",
                "本年累计完成投资未填写",
                "",
                "数字（无投资填 0）",
            );
            return RowVerdict {
                status,
                figures: None,
                findings,
            };
        }
    };
    plan_and_total(c, p, row, (ytd, month, status), &mut push);
    if !against_last_month(inp, c, (ytd, month, status), &mut push) {
        if let Some(max) = c.max_month {
            if max > 0
                && month >= spec.checks.jump_min_yuan
                && month as f64 > spec.checks.jump_factor * max as f64
            {
                let detail = format!(
                    "本月完成投资是该项目以往单月最高值 {} 万元的 {:.0} 倍",
                    fmt_wan(max),
                    month as f64 / max as f64
                );
                push("W308", "month_done", &detail, &fmt_wan(month), "");
            }
        }
    }
    RowVerdict {
        status,
        figures: Some((ytd, month)),
        findings,
    }
}

type Push<'p> = dyn FnMut(&str, &str, &str, &str, &str) + 'p;

/// W306 plan against the library, W303 / W304 against the total, W305 a
/// project not started with investment.
fn plan_and_total(
    c: &RowContext<'_>,
    p: &Project,
    row: &LedgerRow,
    (ytd, month, status): (Yuan, Yuan, Status),
    push: &mut Push<'_>,
) {
    if let Some(plan) = row.annual_plan {
        if (plan - p.annual_plan).abs() > c.plan_tolerance {
            let detail = "年度计划投资与项目库不一致，统计时以项目库为准";
            push(
                "W306",
                "annual_plan",
                detail,
                &fmt_wan(plan),
                &fmt_wan(p.annual_plan),
            );
        }
    }
    let total = row
        .total_investment
        .filter(|t| *t > 0)
        .unwrap_or(p.total_investment);
    if total > 0 && ytd > total {
        let expected = format!("≤ {}", fmt_wan(total));
        push(
            "W303",
            "ytd_done",
            "本年累计完成投资超过项目总投资",
            &fmt_wan(ytd),
            &expected,
        );
    }
    if let (Some(plan), Some(t)) = (row.annual_plan, row.total_investment) {
        if t > 0 && plan > t {
            let expected = format!("≤ {}", fmt_wan(t));
            push(
                "W304",
                "annual_plan",
                "年度计划投资超过项目总投资",
                &fmt_wan(plan),
                &expected,
            );
        }
    }
    if status == Status::NotStarted && (month > 0 || ytd > 0) {
        let detail = "建设状态为“未开工”，但已填报完成投资";
        push("W305", "status", detail, "未开工", "在建（或核对投资额）");
    }
}

/// E301 / W302 / W307 against last month (W302 in January: cumulative =
/// month). Returns true when the cumulative fell below last month's (E301:
/// the row is rejected, no further check).
fn against_last_month(
    inp: &Inputs<'_>,
    c: &RowContext<'_>,
    (ytd, month, status): (Yuan, Yuan, Status),
    push: &mut Push<'_>,
) -> bool {
    let tol = inp.spec.checks.cumulative_tolerance_yuan;
    let m = inp.period.month;
    match c.last_month {
        Some(pr) if pr.reported || pr.carried => {
            if ytd < pr.ytd_done {
                let detail = format!("1-{m}月累计低于上月的1-{}月累计", m - 1);
                let expected = format!("≥ {}", fmt_wan(pr.ytd_done));
                push("E301", "ytd_done", &detail, &fmt_wan(ytd), &expected);
                return true;
            }
            if pr.reported && (ytd - (pr.ytd_done + month)).abs() > tol {
                let detail = format!(
                    "本年累计应等于上月累计 {} 加本月完成 {}",
                    fmt_wan(pr.ytd_done),
                    fmt_wan(month)
                );
                push(
                    "W302",
                    "ytd_done",
                    &detail,
                    &fmt_wan(ytd),
                    &fmt_wan(pr.ytd_done + month),
                );
            }
            if pr.reported && status < pr.status {
                let detail = format!("上月为“{}”，本月为“{}”", pr.status.label(), status.label());
                let expected = format!("不早于“{}”", pr.status.label());
                push("W307", "status", &detail, status.label(), &expected);
            }
        }
        _ if m == 1 && (ytd - month).abs() > tol => {
            let detail = "1月的本年累计应等于本月完成";
            push("W302", "ytd_done", detail, &fmt_wan(ytd), &fmt_wan(month));
        }
        _ => {}
    }
    false
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{project, Fixture};
    use super::*;

    fn ctx<'a>(last: Option<&'a ProjectRecord>, max: Option<Yuan>) -> RowContext<'a> {
        RowContext {
            file: "a.xlsx",
            unit: "南昌市",
            plan_tolerance: 50,
            last_month: last,
            max_month: max,
        }
    }

    fn row(ytd: Option<Yuan>, month: Option<Yuan>, status: Option<Status>) -> LedgerRow {
        LedgerRow {
            sheet: "表".to_string(),
            row: 4,
            ytd_done: ytd,
            month_done: month,
            status,
            ..Default::default()
        }
    }

    fn last(ytd: Yuan, status: Status) -> ProjectRecord {
        ProjectRecord {
            reported: true,
            ytd_done: ytd,
            status,
            ..super::super::base_record(&project(0))
        }
    }

    fn ids(v: &RowVerdict) -> Vec<&str> {
        v.findings.iter().map(|f| f.id.as_str()).collect()
    }

    #[test]
    fn a_consistent_row_is_silent() {
        let fx = Fixture::new();
        let pr = last(300_000, Status::UnderConstruction);
        let r = row(
            Some(400_000),
            Some(100_000),
            Some(Status::UnderConstruction),
        );
        let v = check_row(&fx.inputs(), &ctx(Some(&pr), Some(90_000)), &project(0), &r);
        assert_eq!(v.figures, Some((400_000, 100_000)));
        assert!(v.findings.is_empty(), "{:?}", v.findings);
    }

    #[test]
    fn cumulative_below_last_month_is_e301_and_stops_there() {
        let fx = Fixture::new();
        let pr = last(500_000, Status::UnderConstruction);
        let r = row(
            Some(400_000),
            Some(9_000_000),
            Some(Status::UnderConstruction),
        );
        let v = check_row(&fx.inputs(), &ctx(Some(&pr), Some(1)), &project(0), &r);
        assert_eq!(ids(&v), ["E301"]);
    }

    #[test]
    fn missing_cumulative_is_e215_with_no_figures() {
        let fx = Fixture::new();
        let r = row(None, Some(100_000), Some(Status::UnderConstruction));
        let v = check_row(&fx.inputs(), &ctx(None, None), &project(0), &r);
        assert_eq!(ids(&v), ["E215"]);
        assert_eq!(v.figures, None);
    }

    #[test]
    fn no_status_is_guessed_from_last_month() {
        let fx = Fixture::new();
        let pr = last(100_000, Status::Completed);
        let v = check_row(
            &fx.inputs(),
            &ctx(Some(&pr), None),
            &project(0),
            &row(Some(100_000), Some(0), None),
        );
        assert_eq!(v.status, Status::Completed);
    }

    #[test]
    fn status_going_backwards_and_sum_not_adding_up() {
        let fx = Fixture::new();
        let pr = last(100_000, Status::Completed);
        let r = row(
            Some(300_000),
            Some(100_000),
            Some(Status::UnderConstruction),
        );
        let v = check_row(&fx.inputs(), &ctx(Some(&pr), None), &project(0), &r);
        assert_eq!(ids(&v), ["W302", "W307"]);
    }

    #[test]
    fn a_month_far_above_the_usual_is_w308() {
        let fx = Fixture::new();
        let r = row(
            Some(9_000_000),
            Some(9_000_000),
            Some(Status::UnderConstruction),
        );
        let mut i = fx.inputs();
        i.period.month = 1;
        let v = check_row(&i, &ctx(None, Some(10_000)), &project(0), &r);
        assert!(ids(&v).contains(&"W308"), "{:?}", ids(&v));
    }
}
