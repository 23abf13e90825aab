//! Integration tests: drive the real CLI on the shipped samples, read the
//! written workbooks back with calamine and check their cells.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod corpus;
mod samples_run;
