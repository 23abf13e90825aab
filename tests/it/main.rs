//! Integration tests: drive the real CLI (or the library entry points) on real
//! files, read the written workbooks back with calamine and check their cells.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod archive;
mod bench;
mod checks;
mod common;
mod corpus;
mod deploy;
mod faults;
mod feedback;
mod hostile;
mod ingest_edge;
mod kinds;
mod libchange;
mod notice;
mod pages;
mod reports;
mod rules;
mod samples_run;
mod sheets;
mod shuffle;
mod status;
mod store_layout;
mod templates;
mod units;
mod workplan;
