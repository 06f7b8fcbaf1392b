//! loadgen: drives an ordersim simulator (embedded or external), any TMF622 v4 server, or the
//! simulator's virtual-time chain with a scenario's load, measures it honestly, checks the
//! result for correctness, and writes reports.
//!
//! Folders, in the order a run uses them:
//! - [`plan`]: the scenario, the schedule of sends, the seeded workload;
//! - [`drive`]: carrying sends to the target and recording the answers, one path for every
//!   target (HTTP or virtual time), plus the fault timeline and multi-run commands;
//! - [`observe`]: following orders (events or polling), the measurements, the verdict
//!   (drain, audit, outside checks, split processes), live metrics;
//! - [`report`]: one assembly, thresholds, and the JSON, Markdown, HTML, JUnit, CSV and
//!   `.hgrm` writers, plus the terminal summary.
//!
//! [`run`] ties them together; `main.rs` only parses the command line and calls it.
//! [`http_bench`] is the raw HTTP client benchmark (`loadgen bench-http`).

pub mod drive;
pub mod http_bench;
pub mod observe;
pub mod plan;
pub mod report;

pub use drive::compare::{CompareOutcome, compare};
pub use drive::runner::{RunOptions, RunOutcome, run};
