//! Reporting units (填报单位) as the sample generator sees them.
//!
//! The units come from `seeds/units.toml` under the generator's root; when that
//! file is absent (a scratch root in tests or benchmarks) the copy compiled into
//! the binary is used, so results never depend on the working directory.

use std::path::Path;

use super::GenError;

/// The copy of `seeds/units.toml` compiled into the binary.
const EMBEDDED_UNITS: &str = include_str!("../../../seeds/units.toml");

pub use taizhang::seeds::Unit;

/// What only the generator needs to know of a unit.
pub trait UnitExt {
    /// The full name used on a 填报单位 line (the longest alias, first on ties).
    fn full_name(&self) -> &str;
    /// Telephone area code used for invented contact numbers.
    fn area_code(&self) -> &'static str;
}

impl UnitExt for Unit {
    /// The full name used on a 填报单位 line (the longest alias, first on ties).
    fn full_name(&self) -> &str {
        let mut best = self.name.as_str();
        for alias in &self.aliases {
            if alias.chars().count() > best.chars().count() {
                best = alias.as_str();
            }
        }
        best
    }

    /// Telephone area code used for invented contact numbers.
    fn area_code(&self) -> &'static str {
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
    taizhang::seeds::Units::parse(text, Path::new("seeds/units.toml"))
        .map(|u| u.list)
        .map_err(|e| GenError::Units(e.to_string()))
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
