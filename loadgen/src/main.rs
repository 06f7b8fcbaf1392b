//! `loadgen`: runs scenarios against the simulator.

fn main() {}
