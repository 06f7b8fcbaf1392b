//! Live metrics: `loadgen run --metrics-listen ADDR` serves `GET /metrics` (OpenMetrics text,
//! through `prometheus-client`) while the run goes, so that Prometheus and Grafana follow a
//! long run as it happens: sends, answers, in flight, outcomes, and latency histograms per
//! operation. Each scrape reads the run's own measurements (the HdrHistograms the report is
//! made from, folded into fixed buckets), so nothing extra is recorded per order.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use hdrhistogram::Histogram;
use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use crate::drive::wall_clock::RunState;
use crate::observe::metrics::{Metrics, Outcome};

/// The content type of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds of the latency buckets, seconds (the last, +Inf, is implied).
pub const BUCKETS_S: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// An HdrHistogram (microseconds) shown as an OpenMetrics histogram in seconds.
#[derive(Debug)]
struct Buckets {
    sum_s: f64,
    count: u64,
    /// Per bucket (not cumulative), the last one +Inf.
    counts: Vec<(f64, u64)>,
}

impl Buckets {
    fn of(histogram: &Histogram<u64>) -> Buckets {
        let mut counts: Vec<(f64, u64)> = BUCKETS_S.iter().map(|b| (*b, 0)).collect();
        counts.push((f64::MAX, 0));
        let mut sum_s = 0.0;
        for value in histogram.iter_recorded() {
            let seconds = value.value_iterated_to() as f64 / 1e6;
            let n = value.count_at_value();
            sum_s += seconds * n as f64;
            let index = counts.iter().position(|(upper, _)| seconds <= *upper);
            if let Some(bucket) = index.and_then(|i| counts.get_mut(i)) {
                bucket.1 += n;
            }
        }
        Buckets {
            sum_s,
            count: histogram.len(),
            counts,
        }
    }
}

impl EncodeMetric for Buckets {
    fn encode(&self, mut encoder: MetricEncoder<'_>) -> Result<(), std::fmt::Error> {
        encoder.encode_histogram::<NoLabelSet>(self.sum_s, self.count, &self.counts, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// One sample's labels.
type Labels = Vec<(&'static str, String)>;

/// A family whose samples are known at scrape time: one metric per label set.
#[derive(Debug)]
struct Samples<M> {
    kind: MetricType,
    rows: Vec<(Labels, M)>,
}

impl<M: EncodeMetric> EncodeMetric for Samples<M> {
    fn encode(&self, mut encoder: MetricEncoder<'_>) -> Result<(), std::fmt::Error> {
        for (labels, metric) in &self.rows {
            metric.encode(encoder.encode_family(labels)?)?;
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        self.kind
    }
}

/// A scrape being assembled, under the `loadgen_` prefix.
struct Scrape(Registry);

impl Scrape {
    fn counters(&mut self, name: &str, help: &str, rows: Vec<(Labels, u64)>) {
        let rows = rows
            .into_iter()
            .map(|(l, v)| (l, ConstCounter::new(v)))
            .collect();
        let samples = Samples {
            kind: MetricType::Counter,
            rows,
        };
        self.0.register(name, help, samples);
    }

    fn gauge(&mut self, name: &str, help: &str, value: u64) {
        let value = i64::try_from(value).unwrap_or(i64::MAX);
        self.0.register(name, help, ConstGauge::new(value));
    }

    fn histograms(&mut self, name: &str, help: &str, rows: Vec<(Labels, &Histogram<u64>)>) {
        let rows = rows.into_iter().map(|(l, h)| (l, Buckets::of(h))).collect();
        let samples = Samples {
            kind: MetricType::Histogram,
            rows,
        };
        self.0.register(name, help, samples);
    }
}

/// The exposition of a run: what `metrics` measured so far and the send loop's counters.
pub fn render(metrics: &Metrics, in_flight: u64, open: u64, late: u64, dropped: u64) -> String {
    let mut scrape = Scrape(Registry::with_prefix("loadgen"));
    let by_op = |op: &str| vec![("operation", op.to_string())];
    let sent = metrics.sent_by_kind.iter().map(|(op, n)| (by_op(op), *n));
    scrape.counters(
        "requests_sent",
        "Requests sent, by operation",
        sent.collect(),
    );
    let ended = metrics.by_operation.iter().flat_map(|(op, m)| {
        Outcome::ALL.into_iter().map(move |o| {
            let labels = vec![
                ("operation", op.to_string()),
                ("outcome", o.name().to_string()),
            ];
            (labels, m.outcomes.get(o.index()).copied().unwrap_or(0))
        })
    });
    scrape.counters(
        "orders_ended",
        "Orders that reached a terminal state",
        ended.collect(),
    );
    let errors = metrics
        .by_operation
        .iter()
        .map(|(op, m)| (by_op(op), m.errors));
    scrape.counters(
        "request_errors",
        "Requests that failed unexpectedly",
        errors.collect(),
    );
    scrape.counters(
        "orders_acknowledged",
        "Orders the target acknowledged",
        vec![(Vec::new(), metrics.acknowledged)],
    );
    scrape.gauge("requests_in_flight", "Send tasks alive now", in_flight);
    scrape.gauge("orders_open", "Orders acknowledged and not yet ended", open);
    scrape.counters("sends_late", "Sends started late", vec![(Vec::new(), late)]);
    scrape.counters(
        "sends_dropped",
        "Sends dropped (too many waiting)",
        vec![(Vec::new(), dropped)],
    );
    let submit = metrics
        .by_operation
        .iter()
        .map(|(op, m)| (by_op(op), &m.submit));
    scrape.histograms(
        "submit_seconds",
        "POST latency from the intended send",
        submit.collect(),
    );
    let e2e = metrics
        .by_operation
        .iter()
        .map(|(op, m)| (by_op(op), &m.e2e));
    scrape.histograms(
        "e2e_seconds",
        "Intended send to terminal state",
        e2e.collect(),
    );
    let lag = vec![(Vec::new(), &metrics.event_lag)];
    scrape.histograms(
        "event_lag_seconds",
        "Event arrival after its eventTime",
        lag,
    );
    let mut text = String::with_capacity(16 * 1024);
    if prometheus_client::encoding::text::encode(&mut text, &scrape.0).is_err() {
        text.clear();
    }
    text
}

async fn metrics(State(state): State<Arc<RunState>>) -> impl IntoResponse {
    let counters = &state.counters;
    let in_flight = counters.active.load(Ordering::Relaxed) as u64;
    let open = state.tracker.lock().map_or(0, |t| t.open_count()) as u64;
    let late = counters.late.load(Ordering::Relaxed);
    let dropped = counters.dropped.load(Ordering::Relaxed);
    let text = match state.recorder.lock() {
        Ok(recorder) => render(&recorder.metrics, in_flight, open, late, dropped),
        Err(_) => String::new(),
    };
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text)
}

/// Serves `/metrics` for `state` on `listener` until `stop` fires.
pub fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<RunState>,
    stop: tokio::sync::oneshot::Receiver<()>,
) -> tokio::task::JoinHandle<()> {
    let app = axum::Router::new()
        .route("/metrics", axum::routing::get(metrics))
        .with_state(state);
    tokio::spawn(async move {
        let stopped = async {
            let _ = stop.await;
        };
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(stopped)
            .await;
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn every_family_is_typed_and_histograms_have_cumulative_buckets() {
        let mut metrics = Metrics::default();
        *metrics.sent_by_kind.entry("add_fibre").or_default() += 3;
        for ms in [2, 40, 40] {
            metrics.record_submit("add_fibre", Duration::from_millis(ms), 0);
            metrics.record_terminal(
                "add_fibre",
                Outcome::Completed,
                Duration::from_millis(ms),
                0,
            );
        }
        let text = render(&metrics, 1, 0, 0, 0);
        assert!(
            text.contains("# TYPE loadgen_e2e_seconds histogram"),
            "{text}"
        );
        assert!(
            text.contains("loadgen_requests_sent_total{operation=\"add_fibre\"} 3"),
            "{text}"
        );
        assert!(
            text.contains(
                "loadgen_orders_ended_total{operation=\"add_fibre\",outcome=\"completed\"} 3"
            ),
            "{text}"
        );
        assert!(
            text.contains("loadgen_e2e_seconds_bucket{le=\"0.0025\",operation=\"add_fibre\"} 1")
                || text.contains(
                    "loadgen_e2e_seconds_bucket{operation=\"add_fibre\",le=\"0.0025\"} 1"
                ),
            "{text}"
        );
        assert!(
            text.contains("loadgen_e2e_seconds_count{operation=\"add_fibre\"} 3"),
            "{text}"
        );
        assert!(text.contains("loadgen_requests_in_flight 1"), "{text}");
        assert!(text.trim_end().ends_with("# EOF"));
    }
}
