//! Embeds the shipped `pipelines/*.toml` and `seeds/units.toml` for
//! `taizhang init`, so a deployed binary can write a starter folder and
//! `src/` names no program.

use std::fmt::Write;

fn main() {
    let root = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    println!("cargo:rerun-if-changed=pipelines");
    println!("cargo:rerun-if-changed=seeds/units.toml");
    let mut names: Vec<String> = std::fs::read_dir(root.join("pipelines"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| n.ends_with(".toml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut src = String::from("/// The shipped pipeline files: (file name, text).\npub const PIPELINES: &[(&str, &str)] = &[\n");
    for n in &names {
        let path = root.join("pipelines").join(n);
        let _ = writeln!(
            src,
            "    ({n:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    src.push_str("];\n");
    let units = root.join("seeds").join("units.toml");
    let _ = writeln!(
        src,
        "/// The shipped unit list.\npub const UNITS: &str = include_str!({:?});",
        units.display().to_string()
    );
    if let Err(e) = std::fs::write(out.join("starter.rs"), src) {
        println!("cargo:warning=cannot write starter.rs: {e}");
    }
}
