//! Carrying the load to a target and recording what came back, the same way for every target.
//!
//! One schedule ([`crate::plan::sends`]), one recording path ([`record`]) and one report
//! assembly ([`crate::report::assemble`]) serve two carriers of the same sends: HTTP to an
//! embedded or external ordersim or any TMF622 v4 server ([`wall_clock`], run by [`runner`],
//! over [`client`]), and the simulator's virtual-time chain through its public query API
//! ([`virtual_time`], run by [`virtual_runner`]). They differ only in how a send reaches the
//! target and how its answer and its order's end come back: a tokio task and the hub listener
//! or poller under the wall clock, an agenda entry and the chain's replies and events in
//! simulated time. [`faults`] applies a scenario's fault timeline, [`sweep`] and [`compare`]
//! run a scenario several times.

pub mod client;
pub mod compare;
pub mod faults;
pub mod record;
pub mod runner;
pub mod sweep;
pub mod virtual_runner;
pub mod virtual_time;
pub mod wall_clock;
