//! The tasks kind's record and state: what validate decides per item and
//! responsible unit, the store keeps and the reports read (`kinds::tasks`
//! re-exports them).

use serde::{Deserialize, Serialize};

/// The state a unit reports for an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Done,
    OnSchedule,
    Lagging,
    NotStarted,
}

impl TaskState {
    pub const ALL: [TaskState; 4] = [
        TaskState::Done,
        TaskState::OnSchedule,
        TaskState::Lagging,
        TaskState::NotStarted,
    ];

    pub fn label(self) -> &'static str {
        match self {
            TaskState::Done => "已完成",
            TaskState::OnSchedule => "按序时推进",
            TaskState::Lagging => "滞后",
            TaskState::NotStarted => "未启动",
        }
    }

    /// Reads a state as units write it (`已完成`, `完成`, `按序时进度推进`,
    /// `正常推进`, `进度滞后`, `尚未启动` …); none when it is none of them —
    /// `推进中` or `正在推进` do not say whether on schedule or behind.
    pub fn parse(text: &str) -> Option<TaskState> {
        let t: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && !"，。、；;,.".contains(*c))
            .collect();
        let t = t.as_str();
        let done = ["已完成", "完成", "已办结", "已落实", "全部完成", "办结"];
        let on = [
            "按序时推进",
            "按序时进度推进",
            "按时序推进",
            "按进度推进",
            "正常推进",
            "序时推进",
            "按计划推进",
        ];
        let lag = [
            "滞后",
            "进度滞后",
            "滞后于序时",
            "滞后序时进度",
            "未按序时推进",
        ];
        let not = ["未启动", "尚未启动", "未开始", "未开展"];
        if done.contains(&t) {
            Some(TaskState::Done)
        } else if on.contains(&t) {
            Some(TaskState::OnSchedule)
        } else if lag.contains(&t) {
            Some(TaskState::Lagging)
        } else if not.contains(&t) {
            Some(TaskState::NotStarted)
        } else {
            None
        }
    }

    /// How far along: 未启动 0, 推进中 (on schedule or lagging) 1, 已完成 2.
    /// A state lower than last month's is going backwards.
    pub fn stage(self) -> u8 {
        match self {
            TaskState::NotStarted => 0,
            TaskState::OnSchedule | TaskState::Lagging => 1,
            TaskState::Done => 2,
        }
    }

    /// 已完成 or 按序时推进.
    pub fn on_time(self) -> bool {
        matches!(self, TaskState::Done | TaskState::OnSchedule)
    }
}

/// One item of the plan for one responsible unit in one period (what the
/// store keeps for a tasks-kind program). Empty texts, `false` and `None`
/// are left out of the store and read back as such.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// The plan's 序号.
    pub no: u32,
    /// 重点专项.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// 工作举措 (the plan's text).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub item: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// The unit leads the item (牵头单位), else it cooperates (配合单位).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lead: bool,
    /// 完成时限, `YYYY-MM`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub due: String,
    /// An accepted row this period.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reported: bool,
    /// Not reported this period: state and progress are the latest earlier ones.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub carried: bool,
    /// The state this period (or carried); none when never reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<TaskState>,
    /// 完成时间, `YYYY-MM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_on: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub progress: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub problems: String,
    /// Due by the period and not 已完成 (逾期).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overdue: bool,
    /// `file!sheet!row` of the accepted row.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// Not reported because its row was rejected.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rejected: bool,
}

impl TaskRecord {
    /// The state as counted this period: none when not reported.
    pub fn counted(&self) -> Option<TaskState> {
        if self.reported {
            self.state
        } else {
            None
        }
    }
}

/// The plan of a tasks-kind program (the library of its pipeline file):
/// read and searched by `kinds::tasks::plan`, held by `seeds::Library`.
/// One work item.
#[derive(Debug, Clone)]
pub struct PlanItem {
    pub no: u32,
    pub group: String,
    /// 工作举措 (empty when the text was lost: see `lost`).
    pub text: String,
    /// The item's text is missing from the plan (marked so, never invented).
    pub lost: bool,
    pub lead: String,
    pub co: String,
    pub due: crate::parse::YearMonth,
    /// Responsible units (ids), the lead first.
    pub units: Vec<String>,
    pub remark: String,
}

/// The plan with its lookups.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub items: Vec<PlanItem>,
    pub(crate) by_no: std::collections::HashMap<u32, usize>,
    pub(crate) by_unit: std::collections::HashMap<String, Vec<usize>>,
    /// Each item's text key and its sorted bigrams (for [`Plan::knows`]).
    pub(crate) grams: Vec<(String, Vec<(char, char)>)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_as_units_write_them() {
        assert_eq!(TaskState::parse(" 已完成 "), Some(TaskState::Done));
        assert_eq!(
            TaskState::parse("按序时进度推进"),
            Some(TaskState::OnSchedule)
        );
        assert_eq!(TaskState::parse("进度滞后"), Some(TaskState::Lagging));
        assert_eq!(TaskState::parse("尚未启动。"), Some(TaskState::NotStarted));
        assert_eq!(TaskState::parse("基本完成中"), None);
        assert_eq!(TaskState::parse("正在推进 "), None);
        assert!(TaskState::Done.stage() > TaskState::Lagging.stage());
        assert!(TaskState::OnSchedule.on_time() && !TaskState::Lagging.on_time());
    }
}
