//! loadgen: drives an ordersim simulator (embedded or external) with a scenario's load,
//! measures it honestly, checks the result for correctness, and writes reports.
//!
//! Modules, in the order a run uses them:
//! - [`scenario`]: the TOML scenario file → validated [`scenario::Scenario`];
//! - [`schedule`]: pure arithmetic of intended send instants (constant rate, ramps);
//! - [`workload`]: the seeded choice of operation and its TMF622 payload;
//! - [`client`]: one function per TMF call over one shared HTTP client;
//! - [`driver`]: the open and closed send loops;
//! - [`faults`]: the `[[faults]]` timeline applied during the load, the fault watcher, and
//!   the `loadgen fault` commands;
//! - [`tracker`]: the order table, the hub listener and the poller;
//! - [`metrics`]: HdrHistograms from the intended instant, counts, the per-second series;
//! - [`verdict`]: drain, `/admin/audit`, checks through the public APIs;
//! - [`timeline`]: time in each layer, from the simulator's per-order timelines;
//! - [`thresholds`]: `e2e_p99 < 2s`-style pass/fail checks that decide the exit code;
//! - [`report`]: the report model and its JSON, Markdown, HTML and `.hgrm` writers;
//! - [`progress`], [`summary`], [`cpu`]: what the user sees while and after it runs.
//!
//! [`run`] ties them together; `main.rs` only parses the command line and calls it.

pub mod chainwatch;
pub mod client;
pub mod compare;
pub mod cpu;
pub mod drive;
pub mod driver;
pub mod faults;
pub mod http_bench;
pub mod metrics;
pub mod observe;
pub mod order_body;
pub mod progress;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod schedule;
pub mod summary;
pub mod sweep;
pub mod thresholds;
pub mod timeline;
pub mod tracker;
pub mod variant;
pub mod verdict;
pub mod virtual_runner;
pub mod virtual_time;
pub mod workload;

pub use compare::{CompareOutcome, compare};
pub use runner::{RunOptions, RunOutcome, run};
