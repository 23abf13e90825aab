//! The hidden month-by-month truth of each (item, reporting unit): when the
//! unit starts, whether it lags for a while, when the item is done, and the
//! texts it writes. States never go backwards in the truth: 未启动 → 按序时推进
//! (⇄ 滞后) → 已完成; only planted mistakes show otherwise.

use super::super::rng::Rng;
use super::annex::Item;
use super::SEED;

/// Months of the samples (2023-01 … 2023-07).
pub const MONTHS: u32 = 7;

/// 完成状态 of an item in a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    NotStarted,
    OnTrack,
    Lagging,
    Done,
}

impl State {
    /// The word a unit writes.
    pub fn label(self) -> &'static str {
        match self {
            State::NotStarted => "未启动",
            State::OnTrack => "按序时推进",
            State::Lagging => "滞后",
            State::Done => "已完成",
        }
    }
}

/// Items whose completion month is fixed, because a planted mistake needs an
/// item already done ((序号, month done)).
pub const FORCED_DONE: [(u32, u32); 6] = [(73, 4), (22, 3), (81, 5), (11, 4), (62, 7), (110, 5)];

/// The month an item is done (1-7), or `None` when it is still open in July.
pub fn done_month(seq: u32) -> Option<u32> {
    if let Some((_, m)) = FORCED_DONE.iter().find(|(s, _)| *s == seq) {
        return Some(*m);
    }
    let mut rng = Rng::derive(SEED, &format!("wp/done/{seq}"));
    if rng.chance(300) {
        Some(rng.range(2, i64::from(MONTHS)) as u32)
    } else {
        None
    }
}

/// One unit's timeline of one item.
#[derive(Debug, Clone)]
pub struct Track {
    pub seq: u32,
    pub unit: String,
    /// State of months 1..=7 (index 0 = January).
    pub states: [State; MONTHS as usize],
    pub done: Option<u32>,
    /// A cause of delay, used while lagging.
    pub cause: usize,
}

impl Track {
    pub fn state(&self, month: u32) -> State {
        self.states[(month.clamp(1, MONTHS) - 1) as usize]
    }
}

/// Simulates the track of `unit` on `item`.
pub fn simulate(item: &Item, unit: &str) -> Track {
    let mut rng = Rng::derive(SEED, &format!("wp/track/{}/{unit}", item.seq));
    let done = done_month(item.seq);
    let mut start = 1 + rng.weighted(&[70, 15, 10, 5]) as u32;
    if let Some(d) = done {
        start = start.min(d);
    }
    // A lag phase for some open items: from `a` to `b` inclusive.
    let lag = if done.is_none() && rng.chance(150) {
        let a = rng.range(i64::from(start.max(3)), 6) as u32;
        let b = rng.range(i64::from(a), i64::from(MONTHS)) as u32;
        Some((a, b))
    } else {
        None
    };
    let cause = rng.below(CAUSES.len() as u64) as usize;
    let mut states = [State::NotStarted; MONTHS as usize];
    for (i, s) in states.iter_mut().enumerate() {
        let m = i as u32 + 1;
        *s = if done.is_some_and(|d| m >= d) {
            State::Done
        } else if m < start {
            State::NotStarted
        } else if lag.is_some_and(|(a, b)| (a..=b).contains(&m)) {
            State::Lagging
        } else {
            State::OnTrack
        };
    }
    Track {
        seq: item.seq,
        unit: unit.to_string(),
        states,
        done,
        cause,
    }
}

/// Causes of delay (存在问题 of a lagging item).
pub const CAUSES: [&str; 6] = [
    "配套资金尚未到位，影响推进进度",
    "方案审批周期较长，部分环节尚未完成",
    "部分配合单位材料未及时报送",
    "项目招标流程延期",
    "相关政策尚待国家层面明确",
    "专业人员力量不足",
];

const NOT_STARTED: [&str; 3] = [
    "正在研究制定工作方案，待条件成熟后启动。",
    "已列入本单位年度工作要点，拟于下月启动。",
    "正在与相关单位对接，尚未正式启动。",
];

const PHRASES: [&str; 8] = [
    "正在组织申报和评审",
    "相关材料已报送",
    "正在开展调研摸底",
    "已形成初稿，正在征求意见",
    "正在加快推进实施",
    "已召开专题推进会，明确责任分工和时间节点",
    "已建立工作台账，实行清单化管理",
    "正在会同有关单位细化落实举措",
];

const RESULTS: [&str; 4] = [
    "相关文件已印发实施",
    "成果已通过验收",
    "已完成评审并公布名单",
    "各项工作已全部完成",
];

/// The 进展情况 a unit writes for its track in `month`.
pub fn progress(track: &Track, month: u32) -> String {
    let mut rng = Rng::derive(
        SEED,
        &format!("wp/progress/{}/{}/{month}", track.seq, track.unit),
    );
    let phrase = PHRASES[rng.below(PHRASES.len() as u64) as usize];
    match track.state(month) {
        State::NotStarted => NOT_STARTED[rng.below(NOT_STARTED.len() as u64) as usize].to_string(),
        State::OnTrack => {
            let pct = (month * 100 / 12).clamp(5, 95) + rng.range(0, 8) as u32;
            match rng.below(3) {
                0 => format!("截至{month}月底，已完成年度工作量的{pct}%左右，{phrase}。"),
                1 => format!("{phrase}，各项工作按序时推进。"),
                _ => format!("已制定工作方案，{phrase}，正按计划有序推进。"),
            }
        }
        State::Lagging => format!(
            "受{}影响，进度滞后于计划，{phrase}。",
            CAUSES[track.cause].split('，').next().unwrap_or("")
        ),
        State::Done => {
            let d = track.done.unwrap_or(month);
            let result = RESULTS[(track.seq as usize) % RESULTS.len()];
            format!("已于{d}月完成，{result}。")
        }
    }
}

/// The 存在问题 a unit writes for its track in `month`.
pub fn problems(track: &Track, month: u32) -> String {
    match track.state(month) {
        State::Lagging => CAUSES[track.cause].to_string(),
        _ => "无".to_string(),
    }
}
