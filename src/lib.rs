//! # taizhang (台账)
//!
//! Month-end batch pipeline for provincial key-project ledgers: reads every
//! unit's Excel ledger, checks it against the project library and last month,
//! aggregates investment, and writes the official monitoring workbooks.
//!
//! Code map (see ARCHITECTURE.md):
//! - [`cli`] — clap definitions; `main.rs` is thin.
//! - [`config`] — `pipelines/*.toml` → [`config::PipelineSpec`].
//! - [`seeds`] — units and project libraries.
//! - [`model`] — the types passed between stages.
//! - [`pipeline`] — the stages: inbox, ingest, header, normalize, validate,
//!   store, aggregate, manifest; [`pipeline::run`] calls them in order.
//! - [`report`] — workbooks (rust_xlsxwriter).
//! - [`checks`] — the check catalogue and the one finding constructor.
//! - [`text`], [`parse`] — pure helpers (normalisation, numbers, dates).
//! - [`guard`] — third-party panics on bad input caught as errors.
//! - [`fsx`], [`lock`] — atomic writes, Chinese I/O reasons, stale temp
//!   clean-up; one run at a time per output folder and store.
//! - [`bench`] — the `taizhang bench` throughput benchmark.
//! - [`init`] — where the configuration folder is (`--root`, `TAIZHANG_ROOT`,
//!   current folder, executable's folder) and `taizhang init`.

pub mod bench;
pub mod checks;
pub mod cli;
pub mod config;
pub mod fsx;
pub mod guard;
pub mod init;
pub mod kinds;
pub mod lock;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod report;
pub mod seeds;
pub mod template;
pub mod text;
pub mod waivers;

pub use pipeline::{run, RunError, RunOptions, RunSummary};
