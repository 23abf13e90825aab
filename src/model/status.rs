//! What `taizhang status` finds in a period's inbox: per program and
//! reporting unit, the files received and where the unit stands.

/// Where a unit stands in the reporting window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum UnitState {
    NotReported,
    ReportedWithErrors,
    Reported,
}

impl UnitState {
    pub fn label(self) -> &'static str {
        match self {
            UnitState::NotReported => "未报送",
            UnitState::ReportedWithErrors => "已报送有错",
            UnitState::Reported => "已报送",
        }
    }
}

/// One file a unit sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedFile {
    pub name: String,
    /// Modification time, seconds since the epoch (when it was saved or copied in).
    pub modified: u64,
    pub rows_read: usize,
    pub accepted: usize,
    pub rejected: usize,
    /// Refused whole (the reason), or superseded by a later file of the unit.
    pub note: String,
}

/// One reporting unit of a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitStatus {
    pub unit: String,
    /// `city` / `department` (units.toml).
    pub kind: String,
    pub state: UnitState,
    pub files: Vec<ReceivedFile>,
    pub errors: usize,
    pub warnings: usize,
}

/// One program's reporting window.
#[derive(Debug, Clone)]
pub struct ProgramStatus {
    pub id: String,
    pub name: String,
    pub units: Vec<UnitStatus>,
    /// Files of the program no unit could be named for (refused E007 and the like).
    pub unowned: Vec<ReceivedFile>,
}

impl ProgramStatus {
    /// Units in `state`.
    pub fn in_state(&self, state: UnitState) -> impl Iterator<Item = &UnitStatus> {
        self.units.iter().filter(move |u| u.state == state)
    }
}

/// A period's reporting window: every program's units, and the files no
/// program could claim (unreadable, empty, not a spreadsheet), listed once.
#[derive(Debug, Clone)]
pub struct WindowStatus {
    pub programs: Vec<ProgramStatus>,
    pub unreadable: Vec<ReceivedFile>,
}
