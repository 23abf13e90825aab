//! The planted mistakes of the work-plan ledgers and the findings they must
//! cause (ids of the `tasks` kind). Apart from these the ledgers are clean.

use super::ledgers::Row;

/// A mistake planted in one unit's ledger of one month.
#[derive(Debug, Clone, Copy)]
pub enum Plant {
    /// E501: a row with this 序号 and a text matching no item of the plan.
    Unknown {
        seq: &'static str,
        text: &'static str,
    },
    /// E502: the unit reports another unit's item (its 序号 and text).
    Foreign { seq: u32 },
    /// W503: an item done earlier shown 按序时推进 again.
    Backwards { seq: u32 },
    /// W504: 已完成 with 完成时间 left empty.
    NoDoneDate { seq: u32 },
    /// W505: 进展情况 left empty.
    EmptyProgress { seq: u32 },
    /// W507: the file numbers its rows 1..n and the item's text is retyped.
    Retyped { seq: u32, text: &'static str },
    /// E508: a 完成状态 that is none of the four.
    BadState { seq: u32, state: &'static str },
    /// W509: the unit leaves the item out.
    Omit { seq: u32 },
}

impl Plant {
    /// Check id the plant must fire.
    pub fn check(self) -> &'static str {
        match self {
            Plant::Unknown { .. } => "E501",
            Plant::Foreign { .. } => "E502",
            Plant::Backwards { .. } => "W503",
            Plant::NoDoneDate { .. } => "W504",
            Plant::EmptyProgress { .. } => "W505",
            Plant::Retyped { .. } => "W507",
            Plant::BadState { .. } => "E508",
            Plant::Omit { .. } => "W509",
        }
    }

    /// The plan item concerned (none for an unknown row).
    pub fn seq(self) -> Option<u32> {
        match self {
            Plant::Unknown { .. } => None,
            Plant::Foreign { seq }
            | Plant::Backwards { seq }
            | Plant::NoDoneDate { seq }
            | Plant::EmptyProgress { seq }
            | Plant::Retyped { seq, .. }
            | Plant::BadState { seq, .. }
            | Plant::Omit { seq } => Some(seq),
        }
    }
}

/// (month, unit, plant).
pub const PLANTS: [(u32, &str, Plant); 20] = [
    (2, "赣州市", Plant::EmptyProgress { seq: 15 }),
    (
        2,
        "省市场监管局",
        Plant::BadState {
            seq: 2,
            state: "待定",
        },
    ),
    (
        3,
        "省科技厅",
        Plant::Unknown {
            seq: "112",
            text: "建设全省科技成果转化数字化服务平台",
        },
    ),
    (3, "省商务厅", Plant::EmptyProgress { seq: 52 }),
    (4, "省商务厅", Plant::Foreign { seq: 9 }),
    (
        4,
        "省工信厅",
        Plant::BadState {
            seq: 31,
            state: "基本完成中",
        },
    ),
    (4, "省工信厅", Plant::NoDoneDate { seq: 11 }),
    (
        4,
        "省人社厅",
        Plant::Retyped {
            seq: 86,
            text: "培育数字技术工程师2000名以上",
        },
    ),
    (5, "省卫健委", Plant::NoDoneDate { seq: 81 }),
    (5, "省委组织部", Plant::EmptyProgress { seq: 90 }),
    (6, "省教育厅", Plant::Backwards { seq: 73 }),
    (
        6,
        "省发改委",
        Plant::BadState {
            seq: 24,
            state: "正在推进 ",
        },
    ),
    (6, "九江市", Plant::Foreign { seq: 17 }),
    (6, "省工信厅", Plant::Omit { seq: 36 }),
    (7, "省发改委", Plant::Backwards { seq: 22 }),
    (7, "省文旅厅", Plant::NoDoneDate { seq: 62 }),
    (7, "省农业农村厅", Plant::EmptyProgress { seq: 66 }),
    (
        7,
        "省交通运输厅",
        Plant::Retyped {
            seq: 70,
            text: "加快数字航道建设，完成赣州至石虎塘段电子航道图制作",
        },
    ),
    (
        7,
        "省交通运输厅",
        Plant::Retyped {
            seq: 71,
            text: "组织庐山、七里岗服务区开展智慧服务区试点，构建服务区数据标准化体系",
        },
    ),
    (
        7,
        "鹰潭市",
        Plant::Unknown {
            seq: "4",
            text: "推进鹰潭市数字经济产业园二期建设",
        },
    ),
];

/// The unit that sends nothing one month (W402).
pub const SILENT: (u32, &str) = (2, "省委宣传部");

/// A unit sending its ledger and a later 补报 file correcting one item, the
/// same month: (month, unit, item).
pub const SUPPLEMENT: (u32, &str, u32) = (5, "省市场监管局", 110);

/// The plants of one unit's ledger of one month.
pub fn plants_of(month: u32, unit: &str) -> Vec<Plant> {
    PLANTS
        .iter()
        .filter(|(m, u, _)| *m == month && *u == unit)
        .map(|(_, _, p)| *p)
        .collect()
}

/// Index of the row holding the plant (the item's row, or the unknown text).
pub fn row_of(rows: &[Row], plant: Plant) -> Option<usize> {
    match plant {
        Plant::Unknown { text, .. } => rows.iter().position(|r| r.text == text),
        Plant::Omit { .. } => None,
        p => rows.iter().position(|r| r.item == p.seq()),
    }
}
