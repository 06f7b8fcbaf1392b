//! Benchmark of the in-process chain.

fn main() {}
