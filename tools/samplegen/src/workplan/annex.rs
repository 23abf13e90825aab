//! Parser of the raw extraction of the plan's annex
//! (`../shared/data/work-plan-2023-annex.txt`): the 111 work items with their
//! 重点专项, 工作举措, 责任单位 and 完成时限.
//!
//! The extraction is kept as found; this parser decides, and documents, how
//! each of its artefacts is read:
//!
//! - **Lines.** `#` lines are the file's own notes. A line starting with a
//!   number and a tab is an item; any other non-empty line containing 序号,
//!   责任单位, 工作举措 or 重点专项 is a repeated table header and starts a new
//!   *page block*; everything else (the title lines) is ignored.
//! - **Fields.** An item's fields are tab-separated and their count varies by
//!   page (empty columns, a lost column). After the 序号, the last non-empty
//!   field is the 责任单位; a field that reads as a group label (contains 专项
//!   and either 牵头 or ends with 专项, spaces removed) is the 重点专项; the
//!   other non-empty field is the 工作举措. A row with none has lost its text
//!   (items 46-58): 工作举措 is [`LOST_TEXT`] and 备注 says so — never invented.
//! - **Group labels.** The label sat in a vertically merged cell and the
//!   extraction put it on one row of its block, sometimes on none. Within a
//!   page block each row takes the nearest label of that block at or above it,
//!   else the nearest below it; a block without any label continues the label
//!   the previous block ended with. A row whose label was inferred this way
//!   gets [`INFERRED_GROUP`] in 备注, so no inference is silent.
//! - **Label text.** Spaces (line breaks of the PDF) are removed; the 专项 name
//!   is the part before the last bracket when that bracket names the 牵头
//!   (`智慧教育和数字技术(技能)人才教育专项(省教育厅牵头)` keeps its `(技能)`); the
//!   bracket (`（省科技厅牵头）`) is kept as the group's 牵头 information.
//! - **责任单位.** Split on spaces: the first named is the 牵头单位, the rest
//!   the 配合单位. `各设区市政府和赣江新区` / `设区市及赣江新区` expand to the
//!   12 units (the 11 设区市 and 赣江新区, in the order of `seeds/units.toml`);
//!   `南昌市政府` is 南昌市; `有关部门` stays as text among the 配合单位 but is
//!   no reporting unit (备注 says so). Every other name must be a unit of
//!   `seeds/units.toml` (name or alias), else parsing fails.
//! - **工作举措 text** is kept as found (trimmed only): the PDF's spaces around
//!   figures (`创新平台 3 个`) and artefacts such as item 45's `and` stay.
//! - **完成时限** is 2023年12月 unless the text names an earlier time
//!   ([`due_month`]: 一季度 → 3月, 上半年 → 6月, `N月底前` → N月 …).

use super::super::units::Unit;
use super::super::GenError;

/// 工作举措 of an item whose text was lost in the extraction.
pub const LOST_TEXT: &str = "（原文缺失）";
/// 备注 of an item whose text was lost.
pub const LOST_NOTE: &str = "工作举措原文在提取中缺失，待补录";
/// 备注 of an item whose 重点专项 was inferred from the layout.
pub const INFERRED_GROUP: &str = "重点专项按原表版面推断";
/// 备注 of an item naming 有关部门.
pub const VAGUE_NOTE: &str = "配合单位“有关部门”未指明具体单位，不作为填报单位";
/// The collective names that stand for the 11 设区市 and 赣江新区.
const ALL_CITIES: [&str; 2] = ["各设区市政府和赣江新区", "设区市及赣江新区"];
/// A partner named only vaguely.
const VAGUE: &str = "有关部门";

/// One work item of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// 序号 (1-111).
    pub seq: u32,
    /// 重点专项 name (label text before the bracket, spaces removed).
    pub group: String,
    /// The label's bracket (`省科技厅牵头`), empty when it had none.
    pub group_lead: String,
    /// True when the row carried no label and its group was inferred.
    pub group_inferred: bool,
    /// 工作举措 as found; `None` when lost in the extraction.
    pub text: Option<String>,
    /// 责任单位 cell as found, split on spaces.
    pub units_raw: Vec<String>,
    /// 牵头单位: canonical name of the first unit named.
    pub lead: String,
    /// 配合单位: canonical names (expanded) and `有关部门` as text.
    pub partners: Vec<String>,
    /// Every reporting unit of the item (lead first), canonical names.
    pub reporting: Vec<String>,
    /// 完成时限 month of 2023.
    pub due_month: u32,
    /// The text cue of an earlier 完成时限, if any.
    pub due_cue: Option<String>,
    /// Notes for 备注, in order.
    pub notes: Vec<String>,
}

impl Item {
    /// 工作举措 as the library shows it.
    pub fn text_or_lost(&self) -> &str {
        self.text.as_deref().unwrap_or(LOST_TEXT)
    }

    /// 完成时限 as the library shows it (`2023年12月`).
    pub fn due_text(&self) -> String {
        format!("2023年{}月", self.due_month)
    }

    /// 备注 joined.
    pub fn remark(&self) -> String {
        self.notes.join("；")
    }
}

/// A row of the extraction before the groups are resolved.
struct RawRow {
    seq: u32,
    block: usize,
    label: Option<(String, String)>,
    text: Option<String>,
    units: Vec<String>,
}

fn invariant(msg: String) -> GenError {
    GenError::Invariant(format!("工作计划附件：{msg}"))
}

/// True for a repeated table header line.
fn is_header(line: &str) -> bool {
    ["序号", "责任单位", "工作举措", "重点专项"]
        .iter()
        .any(|k| line.contains(k))
}

/// True when a field reads as a group label.
fn is_label(field: &str) -> bool {
    let s = strip(field);
    s.contains("专项") && (s.contains("牵头") || s.ends_with("专项"))
}

fn strip(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Splits a cleaned label into (专项 name, bracket content).
pub fn clean_label(raw: &str) -> (String, String) {
    let s = strip(raw);
    // The 牵头 bracket is the last one (a name may hold its own: `数字技术(技能)人才`).
    match s.rfind(['（', '(']).filter(|&i| s[i..].contains("牵头")) {
        Some(i) => {
            let name = s[..i].to_string();
            let lead: String = s[i..]
                .chars()
                .filter(|c| !matches!(c, '（' | '(' | '）' | ')'))
                .collect();
            (name, lead)
        }
        None => (s, String::new()),
    }
}

/// Parses one item line (`seq \t …`).
fn parse_row(line: &str, block: usize) -> Result<Option<RawRow>, GenError> {
    let mut fields = line.split('\t');
    let head = fields.next().unwrap_or("").trim();
    let Ok(seq) = head.parse::<u32>() else {
        return Ok(None);
    };
    let rest: Vec<&str> = fields.map(str::trim).filter(|f| !f.is_empty()).collect();
    let Some((units, middle)) = rest.split_last() else {
        return Err(invariant(format!("第{seq}项没有责任单位")));
    };
    let mut label = None;
    let mut text = None;
    for f in middle {
        if label.is_none() && is_label(f) {
            label = Some(clean_label(f));
        } else if text.is_none() {
            text = Some((*f).to_string());
        } else {
            return Err(invariant(format!("第{seq}项的字段无法归属：{f}")));
        }
    }
    Ok(Some(RawRow {
        seq,
        block,
        label,
        text,
        units: units.split_whitespace().map(str::to_string).collect(),
    }))
}

/// Reads the rows and their page blocks.
fn raw_rows(text: &str) -> Result<Vec<RawRow>, GenError> {
    let mut rows = Vec::new();
    let mut block = 0usize;
    let mut block_has_rows = false;
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if let Some(row) = parse_row(line, block)? {
            rows.push(row);
            block_has_rows = true;
        } else if is_header(line) && block_has_rows {
            block += 1;
            block_has_rows = false;
        }
    }
    Ok(rows)
}

/// The group of each row by the block rule (see the module doc): (name,
/// lead, inferred).
fn resolve_groups(rows: &[RawRow]) -> Vec<(String, String, bool)> {
    let mut out = Vec::with_capacity(rows.len());
    let mut carry: Option<(String, String)> = None;
    let mut start = 0;
    while start < rows.len() {
        let block = rows[start].block;
        let end = rows[start..]
            .iter()
            .position(|r| r.block != block)
            .map_or(rows.len(), |n| start + n);
        for i in start..end {
            if let Some((name, lead)) = &rows[i].label {
                out.push((name.clone(), lead.clone(), false));
                continue;
            }
            let above = rows[start..i].iter().rev().find_map(|r| r.label.clone());
            let below = || rows[i + 1..end].iter().find_map(|r| r.label.clone());
            let (name, lead) = above
                .or_else(below)
                .or_else(|| carry.clone())
                .unwrap_or_default();
            out.push((name, lead, true));
        }
        if let Some(last) = out.last() {
            carry = Some((last.0.clone(), last.1.clone()));
        }
        start = end;
    }
    out
}

/// Finds a unit by its name or an alias (spaces ignored).
fn unit_name(units: &[Unit], raw: &str) -> Option<String> {
    let key = strip(raw);
    let key = key
        .strip_suffix("人民政府")
        .or_else(|| key.strip_suffix("政府"))
        .unwrap_or(&key);
    units
        .iter()
        .find(|u| u.name == key || u.short == key || u.aliases.iter().any(|a| strip(a) == key))
        .map(|u| u.name.clone())
}

/// The 11 设区市 and 赣江新区, in the order of the units file.
fn all_cities(units: &[Unit]) -> Vec<String> {
    units
        .iter()
        .filter(|u| u.is_city() || u.kind == "new-area")
        .map(|u| u.name.clone())
        .collect()
}

/// (lead, partners, reporting units, notes) of a 责任单位 cell.
type Resolved = (String, Vec<String>, Vec<String>, Vec<String>);

/// Resolves a 责任单位 cell (see [`Resolved`]).
fn resolve_units(seq: u32, raw: &[String], units: &[Unit]) -> Result<Resolved, GenError> {
    let mut named: Vec<String> = Vec::new();
    let mut reporting: Vec<String> = Vec::new();
    let mut notes = Vec::new();
    let push = |list: &mut Vec<String>, n: String| {
        if !list.contains(&n) {
            list.push(n);
        }
    };
    for token in raw {
        if ALL_CITIES.contains(&token.as_str()) {
            for c in all_cities(units) {
                push(&mut named, c.clone());
                push(&mut reporting, c);
            }
            notes.push(format!("“{token}”按11个设区市和赣江新区展开"));
        } else if token == VAGUE {
            push(&mut named, token.clone());
            notes.push(VAGUE_NOTE.to_string());
        } else {
            let name = unit_name(units, token)
                .ok_or_else(|| invariant(format!("第{seq}项的责任单位“{token}”不在单位表中")))?;
            push(&mut named, name.clone());
            push(&mut reporting, name);
        }
    }
    let Some((lead, partners)) = named.split_first() else {
        return Err(invariant(format!("第{seq}项没有责任单位")));
    };
    if lead == VAGUE {
        return Err(invariant(format!("第{seq}项的牵头单位不明确")));
    }
    Ok((lead.clone(), partners.to_vec(), reporting, notes))
}

/// The 完成时限 month a text names (with the words that said it), else
/// December. Recognised: 一季度 / 第一季度 → 3, 上半年 / 二季度 → 6,
/// 三季度 / 前三季度 → 9, `N月底前` / `N月前` / `N月底` → N.
pub fn due_month(text: &str) -> (u32, Option<String>) {
    let s = strip(text);
    for (cue, m) in [
        ("前三季度", 9),
        ("第一季度", 3),
        ("一季度", 3),
        ("上半年", 6),
        ("二季度", 6),
        ("三季度", 9),
    ] {
        if s.contains(cue) {
            return (m, Some(cue.to_string()));
        }
    }
    let chars: Vec<char> = s.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c != '月' {
            continue;
        }
        let tail: String = chars[i + 1..].iter().take(2).collect();
        if !(tail.starts_with("底") || tail.starts_with('前')) {
            continue;
        }
        let digits: String = chars[..i]
            .iter()
            .rev()
            .take_while(|d| d.is_ascii_digit())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if let Ok(m) = digits.parse::<u32>() {
            if (1..=12).contains(&m) {
                let suffix = if tail.starts_with("底前") {
                    "底前"
                } else if tail.starts_with('底') {
                    "底"
                } else {
                    "前"
                };
                return (m, Some(format!("{m}月{suffix}")));
            }
        }
    }
    (12, None)
}

/// Parses the annex text into its items, checked to be numbered 1..=n.
pub fn parse(text: &str, units: &[Unit]) -> Result<Vec<Item>, GenError> {
    let rows = raw_rows(text)?;
    let groups = resolve_groups(&rows);
    let mut items = Vec::with_capacity(rows.len());
    for (k, (row, (group, group_lead, inferred))) in rows.iter().zip(groups).enumerate() {
        if row.seq as usize != k + 1 {
            return Err(invariant(format!("序号不连续：第{}行是{}", k + 1, row.seq)));
        }
        let (lead, partners, reporting, unit_notes) = resolve_units(row.seq, &row.units, units)?;
        let mut notes = Vec::new();
        if row.text.is_none() {
            notes.push(LOST_NOTE.to_string());
        }
        if inferred {
            notes.push(INFERRED_GROUP.to_string());
        }
        notes.extend(unit_notes);
        let (due, cue) = row.text.as_deref().map_or((12, None), due_month);
        items.push(Item {
            seq: row.seq,
            group,
            group_lead,
            group_inferred: inferred,
            text: row.text.clone(),
            units_raw: row.units.clone(),
            lead,
            partners,
            reporting,
            due_month: due,
            due_cue: cue,
            notes,
        });
    }
    Ok(items)
}
