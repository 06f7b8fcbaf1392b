//! How loadgen looks at the system it drives beyond the answers to its own orders: the layer
//! processes of a split chain ([`processes`]) and the checks that only make sense across them
//! ([`cross`]), merged into one verdict with each process's own audit ([`merged`]); and the
//! run's own measurements served live to Prometheus while it goes ([`live`]).

pub mod cross;
pub mod live;
pub mod merged;
pub mod processes;
