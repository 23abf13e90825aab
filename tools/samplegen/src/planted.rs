//! The planted mistakes of the sample inbox and the findings they must cause
//! (`samples/planted.json`). Apart from these, the samples are clean.
//!
//! a. 2023-06 新基建: a 南昌市 project also appears in 赣江新区's file → E204 + W205.
//! b. 2023-07 新基建 九江市: 1-7月累计 below 1-6月累计 (digits swapped) → E301.
//! c. 2023-05 数字经济 上饶市: a money cell typed `1,234.50万元` → W210.
//! d. 2023-07 数字经济 吉安市: an extra row with a code not in the library → E201.
//! e. 2023-05 数字经济 萍乡市: no file at all → W402.

use std::collections::BTreeSet;

use serde::Serialize;

use super::ledger::WrittenLedger;
use super::library::{Nature, Project, SEED};
use super::money::{parse_wan, wan2, wan2_grouped, WAN};
use super::rng::Rng;
use super::rows::{ledger_row, Col, LedgerRow};
use super::truth::{Status, Timeline};
use super::units::Unit;
use super::{GenError, Program};

/// One expected finding.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct PlantedEntry {
    pub period: String,
    pub program: String,
    pub unit: String,
    pub file: String,
    pub sheet: String,
    pub cell: String,
    pub check: String,
    pub project_code: String,
    pub what: String,
}

/// What was chosen for each planted mistake.
#[derive(Debug, Clone)]
pub struct Plan {
    /// a: the 南昌市 row copied into 赣江新区's 2023-06 file.
    pub dup_row: LedgerRow,
    /// b: (code, typed ytd, true ytd, last month's ytd), 元.
    pub typo: (String, i64, i64, i64),
    /// c: (code, cell text, true ytd).
    pub text: (String, String, i64),
    /// d: the extra row of 吉安市.
    pub extra: LedgerRow,
}

/// Unit names of the planted mistakes.
pub const DUP_OWNER: &str = "南昌市";
pub const DUP_FILER: &str = "赣江新区";
pub const TYPO_UNIT: &str = "九江市";
pub const TEXT_UNIT: &str = "上饶市";
pub const EXTRA_UNIT: &str = "吉安市";
pub const SILENT_UNIT: &str = "萍乡市";

/// Library, truth and units of one program.
pub struct ProgramData<'a> {
    pub program: Program,
    pub projects: &'a [Project],
    pub truths: &'a [Timeline],
    pub units: &'a [Unit],
}

impl ProgramData<'_> {
    fn of_unit(&self, name: &str) -> Vec<usize> {
        (0..self.projects.len())
            .filter(|&i| {
                self.units
                    .get(self.projects[i].unit)
                    .is_some_and(|u| u.name == name)
            })
            .collect()
    }
}

fn unit_named<'a>(units: &'a [Unit], name: &str) -> Result<&'a Unit, GenError> {
    units
        .iter()
        .find(|u| u.name == name)
        .ok_or_else(|| GenError::Invariant(format!("unit {name} missing from units.toml")))
}

/// True for the file that is never sent (萍乡市, 数字经济, 2023-05).
pub fn is_silent(program: Program, unit: &Unit, month: u32) -> bool {
    program == Program::DigitalEconomy && unit.name == SILENT_UNIT && month == 5
}

/// Chooses the subjects of the planted mistakes.
pub fn plan(
    ni: &ProgramData,
    de: &ProgramData,
    used_codes: &BTreeSet<String>,
    used_names: &BTreeSet<String>,
) -> Result<Plan, GenError> {
    let nanchang = unit_named(ni.units, DUP_OWNER)?;
    let dup = ni
        .of_unit(DUP_OWNER)
        .into_iter()
        .filter(|&i| ni.truths[i].status(6) == Status::Building && ni.truths[i].ytd(6) > 0)
        .max_by_key(|&i| {
            let county = ni.projects[i].county.as_str();
            let near = ["新建区", "青山湖区", "红谷滩区"].contains(&county);
            (near, std::cmp::Reverse(i))
        })
        .ok_or_else(|| GenError::Invariant("no 南昌市 project under way in June".into()))?;
    let dup_row = ledger_row(
        Program::NewInfra,
        &ni.projects[dup],
        &ni.truths[dup],
        nanchang,
        6,
    );

    let mut typo = None;
    'search: for allow_drop in [false, true] {
        for i in ni.of_unit(TYPO_UNIT) {
            let t = &ni.truths[i];
            let (ytd6, ytd7) = (t.ytd(6), t.ytd(7));
            if ytd6 == 0 || ytd7 == ytd6 {
                continue;
            }
            if let Some(v) = typo_below(ytd7, ytd6, allow_drop) {
                typo = Some((ni.projects[i].code.clone(), v, ytd7, ytd6));
                break 'search;
            }
        }
    }
    let typo = typo.ok_or_else(|| GenError::Invariant("no 九江市 project fits the typo".into()))?;

    let text = de
        .of_unit(TEXT_UNIT)
        .into_iter()
        .find(|&i| de.truths[i].ytd(5) >= 1_000 * WAN)
        .map(|i| {
            let ytd = de.truths[i].ytd(5);
            (
                de.projects[i].code.clone(),
                format!("{}万元", wan2_grouped(ytd)),
                ytd,
            )
        })
        .ok_or_else(|| GenError::Invariant("no 上饶市 project with ytd ≥ 1000万元".into()))?;

    let ji_an = unit_named(de.units, EXTRA_UNIT)?;
    let template = de
        .of_unit(EXTRA_UNIT)
        .into_iter()
        .next()
        .ok_or_else(|| GenError::Invariant("吉安市 has no digital-economy project".into()))?;
    let mut extra = ledger_row(
        Program::DigitalEconomy,
        &de.projects[template],
        &de.truths[template],
        ji_an,
        7,
    );
    let mut rng = Rng::derive(SEED, "planted/extra");
    let code = loop {
        let c = format!("2023-360800-39-03-{:06}", rng.range(100_000, 999_999));
        if !used_codes.contains(&c) {
            break c;
        }
    };
    let name = "吉安市井冈山经开区智能终端配套产业园项目".to_string();
    if used_names.contains(&name) {
        return Err(GenError::Invariant("extra row name collides".into()));
    }
    extra.code = code;
    extra.name = name;
    extra.batch = "第二批".into();
    extra.county = "吉州区".into();
    extra.category = 8;
    extra.category_name = "移动智能终端".into();
    extra.owner = "江西赣晟智能终端有限公司".into();
    extra.nature = Nature::New;
    extra.years = "2023-2025".into();
    extra.planned_start = "2023-03".into();
    extra.total = 36_000 * WAN;
    extra.annual = 12_000 * WAN;
    extra.month = 850 * WAN + 5_000;
    extra.ytd = 3_260 * WAN;
    extra.since_start = 3_260 * WAN;
    extra.status = Status::Building.label();
    extra.start = Some((2023, 3, 15));
    extra.progress = "主体施工，完成年度计划27%".into();
    extra.problems = String::new();
    extra.coordination = String::new();
    extra.remark = String::new();
    Ok(Plan {
        dup_row,
        typo,
        text,
        extra,
    })
}

/// A plausible typo of `ytd` (two adjacent digits of the 万元 integer part
/// swapped or, with `allow_drop`, one digit dropped) that is below `floor`
/// and above zero.
pub fn typo_below(ytd: i64, floor: i64, allow_drop: bool) -> Option<i64> {
    let text = wan2(ytd);
    let (int, frac) = text.split_once('.')?;
    let digits: Vec<char> = int.chars().collect();
    let mut candidates = Vec::new();
    for i in 0..digits.len().saturating_sub(1) {
        if digits[i] != digits[i + 1] {
            let mut d = digits.clone();
            d.swap(i, i + 1);
            candidates.push(d);
        }
    }
    if allow_drop && digits.len() > 1 {
        for i in 0..digits.len() {
            let mut d = digits.clone();
            d.remove(i);
            candidates.push(d);
        }
    }
    candidates
        .into_iter()
        .filter(|d| d.first() != Some(&'0'))
        .filter_map(|d| parse_wan(&format!("{}.{frac}", d.iter().collect::<String>())))
        .find(|v| *v > 0 && *v < floor)
}

/// Alters the rows of one file before it is written.
pub fn mutate(plan: &Plan, program: Program, unit: &Unit, month: u32, rows: &mut Vec<LedgerRow>) {
    match (program, unit.name.as_str(), month) {
        (Program::NewInfra, DUP_FILER, 6) => rows.push(plan.dup_row.clone()),
        (Program::NewInfra, TYPO_UNIT, 7) => {
            if let Some(r) = rows.iter_mut().find(|r| r.code == plan.typo.0) {
                r.ytd = plan.typo.1;
            }
        }
        (Program::DigitalEconomy, TEXT_UNIT, 5) => {
            if let Some(r) = rows.iter_mut().find(|r| r.code == plan.text.0) {
                r.text_override = Some((Col::Ytd, plan.text.1.clone()));
            }
        }
        (Program::DigitalEconomy, EXTRA_UNIT, 7) => rows.push(plan.extra.clone()),
        _ => {}
    }
}

/// The expected findings of one file: (code, column, check id, message).
fn expected(
    plan: &Plan,
    program: Program,
    unit: &Unit,
    month: u32,
) -> Vec<(String, Col, &'static str, String)> {
    match (program, unit.name.as_str(), month) {
        (Program::NewInfra, DUP_FILER, 6) => {
            let d = &plan.dup_row;
            let e204 = format!(
                "重复报送：南昌市项目“{}”同时出现在赣江新区的报表中（代码、数据相同），\
                 赣江新区文件中的这一行应拒收，以南昌市报送的为准",
                d.name
            );
            let w205 = format!(
                "非本单位项目：“{}”的责任单位是南昌市，却由赣江新区报送",
                d.name
            );
            vec![
                (d.code.clone(), Col::Code, "E204", e204),
                (d.code.clone(), Col::Code, "W205", w205),
            ]
        }
        (Program::NewInfra, TYPO_UNIT, 7) => {
            let (code, typed, truth, last) = &plan.typo;
            let how = if wan2(*typed).len() == wan2(*truth).len() {
                "录入时相邻两位数字颠倒"
            } else {
                "录入时漏了一位数字"
            };
            let what = format!(
                "1-7月累计完成投资填为{}万元，小于1-6月累计{}万元\
                 （累计数不能减少；实为{}万元，{how}）",
                wan2(*typed),
                wan2(*last),
                wan2(*truth)
            );
            vec![(code.clone(), Col::Ytd, "E301", what)]
        }
        (Program::DigitalEconomy, TEXT_UNIT, 5) => {
            let (code, text, truth) = &plan.text;
            let what = format!(
                "金额单元格为带单位的文本“{text}”，按万元列读取为{}万元（保留并提示规范填写数字）",
                wan2(*truth)
            );
            vec![(code.clone(), Col::Ytd, "W210", what)]
        }
        (Program::DigitalEconomy, EXTRA_UNIT, 7) => {
            let e = &plan.extra;
            let what = format!("项目库中没有项目代码{}（“{}”），该行拒收", e.code, e.name);
            vec![(e.code.clone(), Col::Code, "E201", what)]
        }
        _ => Vec::new(),
    }
}

/// Records the expected findings of a written file.
pub fn record(
    plan: &Plan,
    program: Program,
    unit: &Unit,
    month: u32,
    written: &WrittenLedger,
    out: &mut Vec<PlantedEntry>,
) -> Result<(), GenError> {
    for (code, col, check, what) in expected(plan, program, unit, month) {
        let cell = written.cell(&code, col).ok_or_else(|| {
            let file = &written.file_name;
            GenError::Invariant(format!("planted cell of {code} not found in {file}"))
        })?;
        out.push(PlantedEntry {
            period: format!("2023-{month:02}"),
            program: program.id().to_string(),
            unit: unit.name.clone(),
            file: written.file_name.clone(),
            sheet: written.sheet.clone(),
            cell,
            check: check.to_string(),
            project_code: code,
            what,
        });
    }
    Ok(())
}

/// The W402 entry of the unit that sent nothing.
pub fn silent_entry() -> PlantedEntry {
    PlantedEntry {
        period: "2023-05".into(),
        program: Program::DigitalEconomy.id().into(),
        unit: SILENT_UNIT.into(),
        file: String::new(),
        sheet: String::new(),
        cell: String::new(),
        check: "W402".into(),
        project_code: String::new(),
        what: "萍乡市2023年5月未报送数字经济重点项目调度表（6月报表的1-6月累计数已含5月）".into(),
    }
}
