//! The latency histograms a runtime keeps from the layers' [`Observation`]s, which `/metrics`
//! exposes: how long orders took from their receipt to their terminal state, per layer and
//! state, and how long the network took to answer each element operation, per kind and
//! outcome.
//!
//! The layers measure (a difference of two times they were handed, so the core stays pure and
//! a replay observes the same values); the runtime only counts. Every histogram has the same
//! fixed buckets ([`BUCKET_BOUNDS_SECONDS`]) and lives in one table allocated with the chain
//! and indexed by its labels, so memory is bounded whatever the load, and counting takes no
//! lock and allocates nothing: two relaxed atomic additions (the bucket's and the sum's). A
//! scrape reads the counters while the layers go on; it may see a sum an observation or two
//! ahead of the buckets, never a count that disagrees with them (the count is their total).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::domain::state::OrderState;
use crate::layers::{LayerId, Observation};
use crate::network::{OperationKind, OperationOutcome};

/// The buckets' upper bounds in seconds (a last, unbounded bucket counts the rest): from a
/// millisecond (an element that is down refuses in one) to a minute (an order held or pending
/// for a while, or waiting for a worker slot).
pub const BUCKET_BOUNDS_SECONDS: [f64; 15] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// [`BUCKET_BOUNDS_SECONDS`] in microseconds, the unit of the core's [`crate::domain::time::Time`].
const BOUNDS_MICROS: [u64; 15] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000, 30_000_000, 60_000_000,
];

/// Buckets per histogram: one per bound and the unbounded one.
pub const BUCKETS: usize = BOUNDS_MICROS.len() + 1;

/// The layers whose orders are timed, in chain order.
pub const ORDER_LAYERS: [LayerId; 3] = [LayerId::Com, LayerId::Som, LayerId::Rom];

/// One histogram: a count per bucket (each bucket alone, not cumulative) and the sum of the
/// values in microseconds.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS],
    sum_micros: AtomicU64,
}

impl Histogram {
    /// Counts `value` in the first bucket whose bound is at least it (Prometheus' `le`).
    pub fn record(&self, value: Duration) {
        let micros = u64::try_from(value.as_micros()).unwrap_or(u64::MAX);
        let index = BOUNDS_MICROS.partition_point(|&bound| bound < micros);
        if let Some(bucket) = self.buckets.get(index) {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// The counts as they are now.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut buckets = [(f64::MAX, 0); BUCKETS];
        for ((slot, bound), bucket) in buckets
            .iter_mut()
            .zip(BUCKET_BOUNDS_SECONDS.iter().copied().chain([f64::MAX]))
            .zip(&self.buckets)
        {
            *slot = (bound, bucket.load(Ordering::Relaxed));
        }
        let micros = self.sum_micros.load(Ordering::Relaxed);
        HistogramSnapshot {
            count: buckets.iter().map(|(_, count)| count).sum(),
            sum_seconds: micros as f64 / 1e6,
            buckets,
        }
    }
}

/// A histogram's counts at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramSnapshot {
    /// Values counted.
    pub count: u64,
    /// Their sum, in seconds.
    pub sum_seconds: f64,
    /// Per bucket: its upper bound in seconds (`f64::MAX` for the unbounded one) and the
    /// values in it alone (not cumulative), the shape `prometheus-client`'s encoder takes.
    pub buckets: [(f64, u64); BUCKETS],
}

/// Every histogram of a chain.
#[derive(Debug, Default)]
pub struct Latencies {
    /// By layer ([`ORDER_LAYERS`]) and state (in [`OrderState::ALL`] order; only terminal
    /// states are ever counted).
    orders: [[Histogram; OrderState::ALL.len()]; ORDER_LAYERS.len()],
    /// By kind ([`OperationKind::ALL`]) and outcome ([`OperationOutcome::ALL`]; calls without
    /// a reply are never counted).
    operations: [[Histogram; OperationOutcome::ALL.len()]; OperationKind::ALL.len()],
}

impl Latencies {
    /// Counts what a layer observed.
    pub fn record(&self, observation: &Observation) {
        let histogram = match *observation {
            Observation::OrderEnded { layer, state, took } => {
                self.order_histogram(layer, state).map(|h| (h, took))
            }
            Observation::ElementOperation {
                kind,
                outcome,
                took,
            } => self
                .operations
                .get(kind as usize)
                .and_then(|row| row.get(outcome as usize))
                .map(|h| (h, took)),
        };
        if let Some((histogram, took)) = histogram {
            histogram.record(took);
        }
    }

    fn order_histogram(&self, layer: LayerId, state: OrderState) -> Option<&Histogram> {
        let row = ORDER_LAYERS.iter().position(|timed| *timed == layer)?;
        self.orders.get(row)?.get(state as usize)
    }

    /// Order durations by layer and terminal state; only those counted at least once.
    pub fn order_durations(
        &self,
    ) -> impl Iterator<Item = (LayerId, OrderState, HistogramSnapshot)> + '_ {
        ORDER_LAYERS
            .into_iter()
            .zip(&self.orders)
            .flat_map(|(layer, row)| {
                OrderState::ALL
                    .into_iter()
                    .zip(row)
                    .map(move |(state, histogram)| (layer, state, histogram.snapshot()))
            })
            .filter(|(_, _, snapshot)| snapshot.count > 0)
    }

    /// Element operation latencies by kind and outcome; only those counted at least once.
    pub fn operation_durations(
        &self,
    ) -> impl Iterator<Item = (OperationKind, OperationOutcome, HistogramSnapshot)> + '_ {
        OperationKind::ALL
            .into_iter()
            .zip(&self.operations)
            .flat_map(|(kind, row)| {
                OperationOutcome::ALL
                    .into_iter()
                    .zip(row)
                    .map(move |(outcome, histogram)| (kind, outcome, histogram.snapshot()))
            })
            .filter(|(_, _, snapshot)| snapshot.count > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_agree_and_indices_follow_declaration_order() {
        for (seconds, micros) in BUCKET_BOUNDS_SECONDS.iter().zip(BOUNDS_MICROS) {
            assert_eq!((seconds * 1e6).round() as u64, micros);
        }
        assert!(BOUNDS_MICROS.windows(2).all(|pair| pair[0] < pair[1]));
        for (index, state) in OrderState::ALL.into_iter().enumerate() {
            assert_eq!(state as usize, index);
        }
        for (index, kind) in OperationKind::ALL.into_iter().enumerate() {
            assert_eq!(kind as usize, index);
        }
        for (index, outcome) in OperationOutcome::ALL.into_iter().enumerate() {
            assert_eq!(outcome as usize, index);
        }
    }

    #[test]
    fn a_value_on_a_bound_counts_in_that_bucket_and_the_rest_in_the_last() {
        let histogram = Histogram::default();
        histogram.record(Duration::ZERO);
        histogram.record(Duration::from_millis(5));
        histogram.record(Duration::from_micros(5_001));
        histogram.record(Duration::from_secs(3_600));
        let snapshot = histogram.snapshot();
        assert_eq!(snapshot.count, 4);
        assert!(
            (snapshot.sum_seconds - 3_600.010_001).abs() < 1e-9,
            "{snapshot:?}"
        );
        let count_at = |bound: f64| {
            snapshot
                .buckets
                .iter()
                .find(|(upper, _)| *upper == bound)
                .map(|(_, count)| *count)
        };
        assert_eq!(count_at(0.001), Some(1));
        assert_eq!(count_at(0.005), Some(1));
        assert_eq!(count_at(0.01), Some(1));
        assert_eq!(count_at(f64::MAX), Some(1));
        assert_eq!(snapshot.buckets.len(), BUCKETS);
    }

    #[test]
    fn observations_land_under_their_labels_and_only_counted_ones_are_listed() {
        let latencies = Latencies::default();
        let ended = |layer, state, ms| Observation::OrderEnded {
            layer,
            state,
            took: Duration::from_millis(ms),
        };
        latencies.record(&ended(LayerId::Com, OrderState::Completed, 40));
        latencies.record(&ended(LayerId::Com, OrderState::Completed, 60));
        latencies.record(&ended(LayerId::Rom, OrderState::Failed, 7));
        // Only COM, SOM and ROM keep orders; anything else is not counted.
        latencies.record(&ended(LayerId::Activation, OrderState::Completed, 1));
        latencies.record(&Observation::ElementOperation {
            kind: OperationKind::Configure,
            outcome: OperationOutcome::ElementDown,
            took: Duration::from_millis(1),
        });
        let orders: Vec<_> = latencies
            .order_durations()
            .map(|(layer, state, snapshot)| (layer, state, snapshot.count, snapshot.sum_seconds))
            .collect();
        assert_eq!(
            orders,
            vec![
                (LayerId::Com, OrderState::Completed, 2, 0.1),
                (LayerId::Rom, OrderState::Failed, 1, 0.007),
            ]
        );
        let operations: Vec<_> = latencies
            .operation_durations()
            .map(|(kind, outcome, snapshot)| (kind, outcome, snapshot.count))
            .collect();
        assert_eq!(
            operations,
            vec![(OperationKind::Configure, OperationOutcome::ElementDown, 1)]
        );
    }
}
