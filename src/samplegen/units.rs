//! Reporting units (填报单位) as the sample generator sees them.
//!
//! The units come from `seeds/units.toml` under the generator's root; when that
//! file is absent (a scratch root in tests or benchmarks) the copy compiled into
//! the binary is used, so results never depend on the working directory.

use std::path::Path;

use serde::Deserialize;

use super::GenError;

/// The copy of `seeds/units.toml` compiled into the binary.
const EMBEDDED_UNITS: &str = include_str!("../../seeds/units.toml");

/// One reporting unit.
#[derive(Debug, Clone, Deserialize)]
pub struct Unit {
    /// Division code or stable pseudo-id (`GJXQ`, `PROV-CA`).
    pub id: String,
    /// Official name, e.g. `南昌市`.
    pub name: String,
    /// Short name, e.g. `南昌`.
    pub short: String,
    /// `city`, `new-area` or `department`.
    pub kind: String,
    /// Every accepted spelling.
    pub aliases: Vec<String>,
    /// Counties, districts and zones of the unit.
    pub counties: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct UnitsFile {
    unit: Vec<Unit>,
}

impl Unit {
    /// True for the 11 设区市.
    pub fn is_city(&self) -> bool {
        self.kind == "city"
    }

    /// True for provincial departments such as 省通信管理局.
    pub fn is_department(&self) -> bool {
        self.kind == "department"
    }

    /// The full name used on a 填报单位 line (the longest alias, first on ties).
    pub fn full_name(&self) -> &str {
        let mut best = self.name.as_str();
        for alias in &self.aliases {
            if alias.chars().count() > best.chars().count() {
                best = alias.as_str();
            }
        }
        best
    }

    /// Telephone area code used for invented contact numbers.
    pub fn area_code(&self) -> &'static str {
        match self.id.as_str() {
            "360200" => "0798",
            "360300" => "0799",
            "360400" => "0792",
            "360500" => "0790",
            "360600" => "0701",
            "360700" => "0797",
            "360800" => "0796",
            "360900" => "0795",
            "361000" => "0794",
            "361100" => "0793",
            _ => "0791",
        }
    }
}

/// Parses a units file.
pub fn parse_units(text: &str) -> Result<Vec<Unit>, GenError> {
    let file: UnitsFile =
        toml::from_str(text).map_err(|e| GenError::Units(format!("units.toml: {e}")))?;
    if file.unit.is_empty() {
        return Err(GenError::Units("units.toml lists no unit".into()));
    }
    Ok(file.unit)
}

/// Loads `root/seeds/units.toml`, or the embedded copy when it does not exist.
pub fn load_units(root: &Path) -> Result<Vec<Unit>, GenError> {
    let path = root.join("seeds").join("units.toml");
    if path.exists() {
        let text = std::fs::read_to_string(&path).map_err(|source| GenError::Io {
            path: path.display().to_string(),
            source,
        })?;
        parse_units(&text)
    } else {
        embedded_units()
    }
}

/// The units compiled into the binary.
pub fn embedded_units() -> Result<Vec<Unit>, GenError> {
    parse_units(EMBEDDED_UNITS)
}
