//! The crate's integration tests, linked into one binary: one link instead of one per file
//! keeps CI's build small and fast. Each module is one former test file.

mod cli_errors;
mod common;
mod compare;
mod coordinated_omission;
mod dashboard;
mod embedded;
mod html_chromium;
mod http_bench;
mod run_fake;
mod samples;
mod scenarios;
mod split;
mod virtual_time;
