//! Profiling aid for the ingest path (not part of the product): runs one phase
//! over a bench inbox so `perf stat -e instructions:u` can compare phases.
//! Usage: cargo run --release --example prof -- DIR [lib|load|bare|read|norm]
#![allow(clippy::unwrap_used)]
use taizhang::pipeline::{inbox, ingest, normalize};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(&args[1]);
    let phase = args.get(2).map(String::as_str).unwrap_or("norm");
    let (paths, _) = inbox::scan(&dir).unwrap();
    // TAIZHANG_ROOT: another project root (e.g. a bench root with its library).
    let root = std::env::var_os("TAIZHANG_ROOT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let setup = taizhang::pipeline::setup(&root, &[], None).unwrap();
    setup.libraries.get().unwrap();
    if phase == "lib" {
        return;
    }
    let ctx = normalize::Context {
        specs: &setup.specs,
        unselected: &setup.unselected,
        libraries: &setup.libraries,
        units: &setup.units,
        period: None,
    };
    let loaded: Vec<_> = paths
        .iter()
        .map(|p| inbox::load(&dir, p).unwrap())
        .collect();
    for (f, b) in &loaded {
        match phase {
            "bare" => {
                std::hint::black_box(ingest::bare_cell_count(b));
            }
            "read" => {
                std::hint::black_box(ingest::read(f.format, b).unwrap());
            }
            "norm" => {
                let r = ingest::read(f.format, b).unwrap();
                let p = normalize::classify_program(&f.name, &r, &ctx).unwrap_or(0);
                std::hint::black_box(normalize::parse_file(f.clone(), r, p, &ctx));
            }
            _ => {}
        }
    }
}
