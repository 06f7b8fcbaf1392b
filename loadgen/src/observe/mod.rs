//! How loadgen looks at the system it drives beyond the answers to its own orders: the layer
//! processes of a split chain ([`processes`]) and the checks that only make sense across them
//! ([`cross`]), merged into one verdict with each process's own audit ([`merged`]).

pub mod cross;
pub mod merged;
pub mod processes;
