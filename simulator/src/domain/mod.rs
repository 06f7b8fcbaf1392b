//! The pure domain: time, ids, TMF state tables, the catalog and its decomposition.
//! Nothing here reads a clock, spawns a task or does I/O.

pub mod catalog;
pub mod characteristic;
pub mod decompose;
pub mod ids;
pub mod rejection;
pub mod state;
pub mod time;
