//! Embeds the shipped `pipelines/*.toml` and `seeds/units.toml` for
//! `taizhang init`, so a deployed binary can write a starter folder and
//! `src/` names no program. The texts are written into the generated file as
//! literals, never as `include_str!` of this checkout's absolute paths: a
//! target folder shared by two checkouts (CI's cache) would otherwise point
//! at a folder that may be gone.

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
        let text = std::fs::read_to_string(root.join("pipelines").join(n)).unwrap_or_default();
        let _ = writeln!(src, "    ({n:?}, {text:?}),");
    }
    src.push_str("];\n");
    let units = std::fs::read_to_string(root.join("seeds").join("units.toml")).unwrap_or_default();
    let _ = writeln!(
        src,
        "/// The shipped unit list.\npub const UNITS: &str = {units:?};"
    );
    if let Err(e) = std::fs::write(out.join("starter.rs"), src) {
        println!("cargo:warning=cannot write starter.rs: {e}");
    }
}
