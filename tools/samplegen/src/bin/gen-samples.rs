//! `gen-samples`: writes the project libraries (`seeds/*-library.xlsx`) and the
//! sample inbox (`samples/`) deterministically.
//!
//! Usage: `cargo run --release -p taizhang-samplegen -- [--root DIR] [--annex FILE]`
//! (default root: the current directory; default annex: the work plan's
//! `../shared/data/work-plan-2023-annex.txt` relative to the root).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut root = PathBuf::from(".");
    let mut annex: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--root" => match args.next() {
                Some(dir) => root = PathBuf::from(dir),
                None => {
                    eprintln!("gen-samples: --root needs a directory");
                    return ExitCode::from(2);
                }
            },
            "--annex" => match args.next() {
                Some(file) => annex = Some(PathBuf::from(file)),
                None => {
                    eprintln!("gen-samples: --annex needs a file");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                println!("usage: gen-samples [--root DIR] [--annex FILE]");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!(
                    "gen-samples: unknown argument {other:?} (usage: gen-samples [--root DIR] [--annex FILE])"
                );
                return ExitCode::from(2);
            }
        }
    }
    match taizhang_samplegen::generate_all_with(&root, annex.as_deref()) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-samples: {e}");
            ExitCode::FAILURE
        }
    }
}
