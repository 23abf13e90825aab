//! The plan of a tasks-kind program: its items (序号, 重点专项, 工作举措,
//! 牵头单位, 配合单位, 完成时限, 责任单位, 备注) read from the pipeline's
//! `library` workbook, with lookups by number, by responsible unit and by
//! closest text.

use std::path::Path;

pub use crate::model::tasks::{Plan, PlanItem};
use crate::model::{Cell, RawSheet, YearMonth};
use crate::seeds::{SeedError, Units};
use crate::text::{clean_cell_text, strip_spaces};

impl Plan {
    pub fn new(items: Vec<PlanItem>) -> Plan {
        let mut plan = Plan {
            items,
            ..Default::default()
        };
        for (i, it) in plan.items.iter().enumerate() {
            plan.by_no.insert(it.no, i);
            for u in &it.units {
                plan.by_unit.entry(u.clone()).or_default().push(i);
            }
        }
        plan.grams = plan
            .items
            .iter()
            .filter(|it| !it.lost)
            .map(|it| {
                let k = text_key(&it.text);
                let g = bigrams(&k);
                (k, g)
            })
            .collect();
        plan
    }

    /// Whether a cell's text reads as one of the plan's items, as a unit
    /// retypes it: the same text, a text of at least 10 characters inside an
    /// item's (or holding one), or bigram similarity at least `min` — the
    /// content vote that decides a file's program when its keywords and
    /// header do not.
    pub fn knows(&self, text: &str, min: f64) -> bool {
        let q = text_key(text);
        if q.chars().count() < 6 {
            return false;
        }
        let long = q.chars().count() >= 10;
        let gq = bigrams(&q);
        self.grams.iter().any(|(k, g)| {
            *k == q || (long && (k.contains(&q) || q.contains(k.as_str()))) || dice(&gq, g) >= min
        })
    }

    pub fn by_no(&self, no: u32) -> Option<&PlanItem> {
        self.by_no.get(&no).map(|i| &self.items[*i])
    }

    /// The items a unit is responsible for, in plan order.
    pub fn of_unit(&self, unit_id: &str) -> impl Iterator<Item = &PlanItem> {
        self.by_unit
            .get(unit_id)
            .into_iter()
            .flatten()
            .map(|i| &self.items[*i])
    }

    /// The item of `items` whose text is closest to `text`, with its similarity.
    pub fn closest<'a>(
        items: impl Iterator<Item = &'a PlanItem>,
        text: &str,
    ) -> Option<(&'a PlanItem, f64)> {
        let q = text_key(text);
        let mut best: Option<(&PlanItem, f64)> = None;
        for it in items.filter(|it| !it.lost) {
            let s = similarity(&q, &text_key(&it.text));
            if best.is_none_or(|(_, b)| s > b) {
                best = Some((it, s));
            }
        }
        best
    }
}

/// A text reduced for comparison: no spaces, no punctuation, half-width.
pub fn text_key(s: &str) -> String {
    crate::text::to_halfwidth(&strip_spaces(s))
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Dice similarity of the character bigrams of two keys (1 = same text).
pub fn similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    dice(&bigrams(a), &bigrams(b))
}

/// The character bigrams of a key, sorted.
fn bigrams(s: &str) -> Vec<(char, char)> {
    let c: Vec<char> = s.chars().collect();
    let mut g: Vec<(char, char)> = c.windows(2).map(|w| (w[0], w[1])).collect();
    g.sort_unstable();
    g
}

/// Dice coefficient of two sorted bigram lists.
fn dice(ga: &[(char, char)], gb: &[(char, char)]) -> f64 {
    if ga.is_empty() || gb.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < ga.len() && j < gb.len() {
        match ga[i].cmp(&gb[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    2.0 * common as f64 / (ga.len() + gb.len()) as f64
}

/// Column headers of the plan workbook.
pub const HEADERS: [&str; 8] = [
    "序号",
    "重点专项",
    "工作举措",
    "牵头单位",
    "配合单位",
    "完成时限",
    "责任单位",
    "备注",
];

/// Reads the plan workbook. Units are named as in `seeds/units.toml`;
/// `有关部门` and other non-units in 配合单位 are kept as text.
pub fn load(path: &Path, year: i32, units: &Units) -> Result<Plan, SeedError> {
    let err = |message: String| SeedError::Library {
        path: path.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|source| SeedError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let format = crate::pipeline::inbox::sniff(&bytes, &path.to_string_lossy());
    let raw = crate::pipeline::ingest::read(format, &bytes).map_err(|e| err(e.to_string()))?;
    for sheet in raw.sheets.iter().filter(|s| s.visible) {
        if let Some((hr, cols)) = header(sheet) {
            return items(sheet, hr, &cols, year, units)
                .map(Plan::new)
                .map_err(err);
        }
    }
    Err(err(
        "未找到任务库表头（需含“序号”“工作举措”及“责任单位”或“牵头单位”列）".to_string(),
    ))
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => clean_cell_text(s),
        Cell::Number(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        Cell::Number(f) => format!("{f}"),
        _ => String::new(),
    }
}

/// The header row (among the first ten) and the column of each header.
fn header(sheet: &RawSheet) -> Option<(u32, [Option<u32>; 8])> {
    for r in 0..sheet.rows.len().min(10) as u32 {
        let mut cols = [None; 8];
        for (c, cell) in sheet.rows[r as usize].iter().enumerate() {
            let t = strip_spaces(&cell_text(cell));
            if let Some(i) = HEADERS.iter().position(|h| t.contains(h)) {
                cols[i].get_or_insert(c as u32);
            }
        }
        if cols[0].is_some() && cols[2].is_some() && (cols[6].is_some() || cols[3].is_some()) {
            return Some((r, cols));
        }
    }
    None
}

fn items(
    sheet: &RawSheet,
    hr: u32,
    cols: &[Option<u32>; 8],
    year: i32,
    units: &Units,
) -> Result<Vec<PlanItem>, String> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for r in hr + 1..sheet.rows.len() as u32 {
        let get = |i: usize| {
            cols[i]
                .map(|c| cell_text(sheet.cell(r, c)))
                .unwrap_or_default()
        };
        let Ok(no) = get(0).trim().parse::<u32>() else {
            continue;
        };
        let text = get(2);
        let lost = text.is_empty() || text.contains("原文缺失");
        let named = if cols[6].is_some() {
            get(6)
        } else {
            format!("{} {}", get(3), get(4))
        };
        let mut ids = Vec::new();
        for name in named
            .split(|c: char| c.is_whitespace() || "、，,；;".contains(c))
            .filter(|s| !s.is_empty())
        {
            match units.find_exact(name) {
                Some(u) if !ids.contains(&u.id) => ids.push(u.id.clone()),
                Some(_) => {}
                None if name.contains("有关") => {}
                None => problems.push(format!(
                    "{} 责任单位“{name}”不在单位表（seeds/units.toml）中",
                    crate::text::a1(r, cols[6].or(cols[3]).unwrap_or(0))
                )),
            }
        }
        let due = crate::parse::parse_month_text(&get(5)).unwrap_or(YearMonth { year, month: 12 });
        out.push(PlanItem {
            no,
            group: get(1),
            text: if lost { String::new() } else { text },
            lost,
            lead: get(3),
            co: get(4),
            due,
            units: ids,
            remark: get(7),
        });
    }
    if !problems.is_empty() {
        return Err(problems.join("；"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_texts() {
        let a = text_key("开展全省专利促进条例修订工作");
        assert_eq!(similarity(&a, &a), 1.0);
        let b = text_key("开展全省专利促进条例的修订");
        assert!(similarity(&a, &b) > 0.6);
        assert!(similarity(&a, &text_key("建设江西先进算力中心")) < 0.2);
    }

    fn item(no: u32, text: &str) -> PlanItem {
        PlanItem {
            no,
            group: "数字技术创新专项".to_string(),
            text: text.to_string(),
            lost: text.is_empty(),
            lead: "省科技厅".to_string(),
            co: String::new(),
            due: YearMonth {
                year: 2023,
                month: 12,
            },
            units: vec!["PROV-KJ".to_string()],
            remark: String::new(),
        }
    }

    #[test]
    fn cells_that_read_as_an_item() {
        let plan = Plan::new(vec![
            item(
                1,
                "提升国家虚拟现实创新中心带动能力，推动中国工业互联网研究院江西分院建成投运",
            ),
            item(2, "建设江西先进算力中心"),
            item(3, ""),
        ]);
        // The same text, retyped punctuation, its opening words, a close paraphrase.
        assert!(plan.knows("建设江西先进算力中心", 0.5));
        assert!(plan.knows("★建设江西先进算力中心。", 0.5));
        assert!(plan.knows("提升国家虚拟现实创新中心带动能力", 0.5));
        assert!(plan.knows(
            "提升国家虚拟现实创新中心带动能力,推动工业互联网研究院江西分院建成",
            0.5
        ));
        // Short cells, other ledgers' words, and the lost item's empty text never count.
        assert!(!plan.knows("已完成", 0.5));
        assert!(!plan.knows("南昌市新建5G基站项目一期工程", 0.5));
        assert!(!plan.knows("", 0.5));
    }
}
