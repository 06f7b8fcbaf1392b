//! How loadgen looks at the system it drives: the order table with the hub listener and the
//! poller ([`tracker`]), the measurements ([`metrics`]) and loadgen's own CPU ([`cpu`]), the
//! chain's mode and workers ([`chainwatch`]) and each order's time per layer ([`timeline`]);
//! after the load, the verdict ([`verdict`]: drain, audit, checks through the public APIs),
//! for a split chain each layer process ([`processes`]) with the checks across them
//! ([`cross`]) merged into one verdict ([`merged`]); and the run's measurements served live to
//! Prometheus while it goes ([`live`]).

pub mod chainwatch;
pub mod cpu;
pub mod cross;
pub mod live;
pub mod merged;
pub mod metrics;
pub mod processes;
pub mod timeline;
pub mod tracker;
pub mod verdict;
