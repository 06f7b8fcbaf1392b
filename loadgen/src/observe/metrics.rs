//! What was measured: one HdrHistogram per metric, outcome and error counts, a per-second
//! time series for the charts.
//!
//! Latencies are recorded in microseconds from the *intended* send instant, so time spent
//! waiting on a stalled server or on loadgen itself counts (no coordinated omission). Memory is
//! bounded: histograms have fixed bounds, the time series holds at most
//! [`SERIES_SECONDS_MAX`] seconds, and per-second percentiles come from one small histogram
//! that is reset every second.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

/// Longest latency recorded, microseconds (larger values saturate): one hour.
pub const LATENCY_US_MAX: u64 = 3_600_000_000;
/// Error answers kept as examples.
pub const ERROR_EXAMPLES_MAX: usize = 10;
/// Seconds of time series kept.
pub const SERIES_SECONDS_MAX: usize = 86_400;

/// A terminal outcome of an order.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// `completed`.
    Completed,
    /// `partial`.
    Partial,
    /// `failed`.
    Failed,
    /// `cancelled`.
    Cancelled,
    /// `rejected`.
    Rejected,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 5] = [
        Outcome::Completed,
        Outcome::Partial,
        Outcome::Failed,
        Outcome::Cancelled,
        Outcome::Rejected,
    ];

    /// The TMF state name.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Partial => "partial",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
            Outcome::Rejected => "rejected",
        }
    }

    /// The outcome of a TMF state, when it is terminal.
    pub fn from_state(state: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.name() == state)
    }

    /// Its position in per-outcome arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A latency histogram in microseconds.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, LATENCY_US_MAX, 3)
        .unwrap_or_else(|_| unreachable!("constant bounds are valid"))
}

fn coarse_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, LATENCY_US_MAX, 2)
        .unwrap_or_else(|_| unreachable!("constant bounds are valid"))
}

/// A latency in whole microseconds, at least 1 (the histograms' lowest value).
pub fn micros(latency: Duration) -> u64 {
    u64::try_from(latency.as_micros())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// One second of the time series.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SecondBucket {
    /// Orders acknowledged (201) in this second.
    pub submitted: u64,
    /// Orders that reached `completed` in this second.
    pub completed: u64,
    /// Orders that reached another terminal state in this second.
    pub other_terminal: u64,
    /// Orders that ended in this second, by outcome (completed, partial, failed, cancelled,
    /// rejected).
    pub ended: [u64; 5],
    /// Requests that failed (non-2xx or transport) in this second.
    pub errors: u64,
    /// End-to-end latency percentiles of orders finishing in this second, ms.
    pub e2e_ms: Option<[f64; 4]>,
}

/// What was measured of one operation kind (`add_fibre`, `modify_speed`, `cancel`, …).
#[derive(Debug)]
pub struct OperationMetrics {
    /// POST latency of its orders, from the intended send instant.
    pub submit: Histogram<u64>,
    /// End-to-end latency of its orders, all outcomes.
    pub e2e: Histogram<u64>,
    /// Terminal outcomes of its orders.
    pub outcomes: [u64; 5],
    /// Its requests that failed (unexpected HTTP error or transport failure).
    pub errors: u64,
}

impl Default for OperationMetrics {
    fn default() -> Self {
        OperationMetrics {
            submit: latency_histogram(),
            e2e: latency_histogram(),
            outcomes: [0; 5],
            errors: 0,
        }
    }
}

/// The most distinct failure codes counted; more count as `other`.
pub const FAILURE_CODES_MAX: usize = 32;

/// Everything measured during a run (the measured window; warm-up is excluded by callers).
#[derive(Debug)]
pub struct Metrics {
    /// POST /productOrder latency from the intended send instant.
    pub submit: Histogram<u64>,
    /// End-to-end latency (intended send to terminal state), all outcomes.
    pub e2e_all: Histogram<u64>,
    /// End-to-end latency per outcome.
    pub e2e: [Histogram<u64>; 5],
    /// Cancel request latency (from when it was due).
    pub cancel: Histogram<u64>,
    /// Event delivery lag: arrival at loadgen's listener after the state change's
    /// `eventTime`, every event of the measured window.
    pub event_lag: Histogram<u64>,
    /// Terminal outcomes seen.
    pub outcomes: [u64; 5],
    /// Failed and partial orders by the failure code the simulator gave (at most
    /// [`FAILURE_CODES_MAX`] codes; the rest count as `other`).
    pub failure_codes: BTreeMap<String, u64>,
    /// HTTP error answers by status, per request kind (`create`, `cancel`, ...).
    pub http_status: BTreeMap<(String, u16), u64>,
    /// Transport failures by kind.
    pub client_errors: BTreeMap<&'static str, u64>,
    /// Requests sent by operation kind.
    pub sent_by_kind: BTreeMap<&'static str, u64>,
    /// Latencies and outcomes by operation kind (at most the workload's kinds).
    pub by_operation: BTreeMap<&'static str, OperationMetrics>,
    /// Orders acknowledged.
    pub acknowledged: u64,
    /// Requests sent (orders, cancels).
    pub requests: u64,
    /// Cancel answers by status (200/201 are successes; 4xx refusals are expected).
    pub cancel_status: BTreeMap<u16, u64>,
    /// Deliberately bad requests answered 4xx.
    pub bad_requests_refused: u64,
    /// Deliberately bad requests answered 2xx (a finding).
    pub bad_requests_accepted: u64,
    /// Modify/delete that fell back to an add.
    pub fallbacks: u64,
    /// The first few error answers, `request kind: error` (at most [`ERROR_EXAMPLES_MAX`]).
    pub error_examples: Vec<String>,
    series: Vec<SecondBucket>,
    current_second: usize,
    current_e2e: Histogram<u64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            submit: latency_histogram(),
            e2e_all: latency_histogram(),
            e2e: std::array::from_fn(|_| latency_histogram()),
            cancel: latency_histogram(),
            event_lag: latency_histogram(),
            outcomes: [0; 5],
            failure_codes: BTreeMap::new(),
            http_status: BTreeMap::new(),
            client_errors: BTreeMap::new(),
            sent_by_kind: BTreeMap::new(),
            by_operation: BTreeMap::new(),
            acknowledged: 0,
            requests: 0,
            cancel_status: BTreeMap::new(),
            bad_requests_refused: 0,
            bad_requests_accepted: 0,
            fallbacks: 0,
            error_examples: Vec::new(),
            series: Vec::new(),
            current_second: 0,
            current_e2e: coarse_histogram(),
        }
    }
}

impl Metrics {
    fn bucket(&mut self, second: usize) -> Option<&mut SecondBucket> {
        if second >= SERIES_SECONDS_MAX {
            return None;
        }
        if self.series.len() <= second {
            self.series.resize(second + 1, SecondBucket::default());
        }
        self.series.get_mut(second)
    }

    /// An order of operation `kind` was acknowledged after `latency` (from its intended
    /// instant) at `second`.
    pub fn record_submit(&mut self, kind: &'static str, latency: Duration, second: usize) {
        self.submit.saturating_record(micros(latency));
        let operation = self.by_operation.entry(kind).or_default();
        operation.submit.saturating_record(micros(latency));
        self.acknowledged += 1;
        if let Some(bucket) = self.bucket(second) {
            bucket.submitted += 1;
        }
    }

    /// An order ended as `outcome` with the failure code `code` (if it said one): a failed or
    /// partial order counts under its code, or `unknown` without one, so that the codes
    /// always add up to failed + partial.
    pub fn record_outcome_code(&mut self, outcome: Outcome, code: Option<&str>) {
        if matches!(outcome, Outcome::Failed | Outcome::Partial) {
            self.record_failure_code(code.unwrap_or("unknown"));
        }
    }

    /// A failed or partial order said why: `code`.
    pub fn record_failure_code(&mut self, code: &str) {
        let known = self.failure_codes.contains_key(code);
        let key = if known || self.failure_codes.len() < FAILURE_CODES_MAX {
            code.chars().take(64).collect()
        } else {
            "other".to_string()
        };
        *self.failure_codes.entry(key).or_default() += 1;
    }

    /// An order of operation `kind` reached `outcome` `latency` after its intended instant,
    /// at `second`.
    pub fn record_terminal(
        &mut self,
        kind: &'static str,
        outcome: Outcome,
        latency: Duration,
        second: usize,
    ) {
        let value = micros(latency);
        let operation = self.by_operation.entry(kind).or_default();
        operation.e2e.saturating_record(value);
        if let Some(count) = operation.outcomes.get_mut(outcome.index()) {
            *count += 1;
        }
        self.e2e_all.saturating_record(value);
        if let Some(histogram) = self.e2e.get_mut(outcome.index()) {
            histogram.saturating_record(value);
        }
        if let Some(count) = self.outcomes.get_mut(outcome.index()) {
            *count += 1;
        }
        self.roll_to(second);
        self.current_e2e.saturating_record(value);
        if let Some(bucket) = self.bucket(second) {
            match outcome {
                Outcome::Completed => bucket.completed += 1,
                _ => bucket.other_terminal += 1,
            }
            if let Some(count) = bucket.ended.get_mut(outcome.index()) {
                *count += 1;
            }
        }
    }

    /// A request of `request` kind failed with `error` at `second`.
    pub fn record_error(
        &mut self,
        request: &str,
        error: &crate::drive::client::ClientError,
        second: usize,
    ) {
        self.error_example(request, error);
        match error.status() {
            Some(status) => {
                *self
                    .http_status
                    .entry((request.to_string(), status))
                    .or_insert(0) += 1;
            }
            None => *self.client_errors.entry(error.kind()).or_insert(0) += 1,
        }
        if let Some(bucket) = self.bucket(second) {
            bucket.errors += 1;
        }
    }

    /// Keeps `error` as an example if there is room.
    pub fn error_example(&mut self, request: &str, error: &crate::drive::client::ClientError) {
        if self.error_examples.len() < ERROR_EXAMPLES_MAX {
            let mut text = format!("{request}: {error}");
            text.truncate(300);
            self.error_examples.push(text);
        }
    }

    /// Closes the per-second percentile window up to `second`.
    fn roll_to(&mut self, second: usize) {
        if second <= self.current_second {
            // Late samples for an earlier second join the open window.
            return;
        }
        if !self.current_e2e.is_empty() {
            let percentiles = [0.5, 0.9, 0.99, 1.0]
                .map(|q| self.current_e2e.value_at_quantile(q) as f64 / 1_000.0);
            let current = self.current_second;
            if let Some(bucket) = self.bucket(current) {
                bucket.e2e_ms = Some(percentiles);
            }
            self.current_e2e.reset();
        }
        self.current_second = second;
    }

    /// The time series so far (closing the current second).
    pub fn series(&mut self) -> Vec<SecondBucket> {
        self.roll_to(usize::MAX);
        self.current_second = self.series.len();
        self.series.clone()
    }

    /// Orders that reached a terminal state.
    pub fn terminal_total(&self) -> u64 {
        self.outcomes.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_second_percentiles_and_counts() {
        let mut metrics = Metrics::default();
        for ms in 1..=100 {
            metrics.record_terminal(
                "add_fibre",
                Outcome::Completed,
                Duration::from_millis(ms),
                0,
            );
        }
        metrics.record_terminal("delete", Outcome::Failed, Duration::from_millis(500), 2);
        metrics.record_submit("delete", Duration::from_millis(3), 1);
        let series = metrics.series();
        assert_eq!(series.len(), 3);
        assert_eq!(series[0].completed, 100);
        let [p50, _, p99, max] = series[0].e2e_ms.unwrap();
        assert!((p50 - 50.0).abs() < 1.0 && (p99 - 99.0).abs() < 1.5 && (max - 100.0).abs() < 1.5);
        assert_eq!(series[1].submitted, 1);
        assert_eq!(series[1].e2e_ms, None);
        assert_eq!(series[2].other_terminal, 1);
        assert!(series[2].e2e_ms.is_some());
        assert_eq!(metrics.outcomes, [100, 0, 1, 0, 0]);
        assert_eq!(metrics.e2e_all.len(), 101);
        let delete = &metrics.by_operation["delete"];
        assert_eq!(
            (delete.outcomes, delete.e2e.len(), delete.submit.len()),
            ([0, 0, 1, 0, 0], 1, 1)
        );
        assert_eq!(metrics.by_operation["add_fibre"].e2e.len(), 100);
    }

    #[test]
    fn failure_codes_are_counted_and_bounded() {
        let mut metrics = Metrics::default();
        metrics.record_failure_code("elementTimeout");
        metrics.record_failure_code("elementTimeout");
        for index in 0..FAILURE_CODES_MAX + 5 {
            metrics.record_failure_code(&format!("code-{index}"));
        }
        assert_eq!(metrics.failure_codes["elementTimeout"], 2);
        assert_eq!(
            metrics.failure_codes.len(),
            FAILURE_CODES_MAX + 1,
            "plus `other`"
        );
        assert_eq!(metrics.failure_codes["other"], 6);
    }
}
