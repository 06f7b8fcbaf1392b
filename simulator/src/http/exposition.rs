//! The `/metrics` exposition through `prometheus-client`: each scrape fills a fresh registry
//! with the families it reads from the chain (typed gauges, counters and histograms, each with
//! its HELP) and encodes it as OpenMetrics text, which Prometheus scrapes.
//!
//! Histograms are counted by the runtime ([`crate::runtime::latency`]) in atomics that live as
//! long as the chain; a scrape encodes a snapshot of them through [`HistogramFamily`], so the
//! registry never owns a histogram and recording never touches `prometheus-client`.
//!
//! `prometheus-client` writes label values as they are, so every value goes through
//! [`LabelValue`], which escapes `\`, `"` and line feeds as the text formats require: an
//! element or fault named with a quote cannot break the exposition.

use prometheus_client::encoding::{
    EncodeLabelValue, EncodeMetric, LabelValueEncoder, MetricEncoder, NoLabelSet,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use crate::runtime::latency::HistogramSnapshot;

/// The content type of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A label value, escaped when encoded.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LabelValue(pub String);

impl From<&str> for LabelValue {
    fn from(text: &str) -> LabelValue {
        LabelValue(text.to_string())
    }
}

impl From<String> for LabelValue {
    fn from(text: String) -> LabelValue {
        LabelValue(text)
    }
}

impl EncodeLabelValue for LabelValue {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        use std::fmt::Write as _;
        for character in self.0.chars() {
            match character {
                '\\' => encoder.write_str("\\\\")?,
                '"' => encoder.write_str("\\\"")?,
                '\n' => encoder.write_str("\\n")?,
                other => encoder.write_char(other)?,
            }
        }
        Ok(())
    }
}

/// One sample's labels, in order.
pub type Labels = Vec<(&'static str, LabelValue)>;

/// A histogram family read at scrape time: one snapshot per label set, each encoded as an
/// OpenMetrics histogram (`_bucket` per `le` bound, cumulative, `_sum` and `_count`).
#[derive(Debug)]
pub struct HistogramFamily(Vec<(Labels, HistogramSnapshot)>);

impl EncodeMetric for HistogramFamily {
    fn encode(&self, mut encoder: MetricEncoder<'_>) -> Result<(), std::fmt::Error> {
        for (labels, snapshot) in &self.0 {
            encoder
                .encode_family(labels)?
                .encode_histogram::<NoLabelSet>(
                    snapshot.sum_seconds,
                    snapshot.count,
                    &snapshot.buckets,
                    None,
                )?;
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// A scrape being assembled: families registered under the `ordersim_` prefix. Help texts
/// are sentences; the encoder adds their final period.
#[derive(Debug)]
pub struct Exposition {
    registry: Registry,
}

impl Default for Exposition {
    fn default() -> Self {
        Exposition {
            registry: Registry::with_prefix("ordersim"),
        }
    }
}

impl Exposition {
    /// A gauge family `ordersim_{name}` with one sample per entry.
    pub fn gauges(
        &mut self,
        name: &str,
        help: &str,
        samples: impl IntoIterator<Item = (Labels, u64)>,
    ) {
        let family = Family::<Labels, Gauge>::default();
        for (labels, value) in samples {
            family
                .get_or_create(&labels)
                .set(i64::try_from(value).unwrap_or(i64::MAX));
        }
        self.registry
            .register(name, help.trim_end_matches('.'), family);
    }

    /// An unlabelled gauge `ordersim_{name}`.
    pub fn gauge(&mut self, name: &str, help: &str, value: u64) {
        let gauge = Gauge::<i64>::default();
        gauge.set(i64::try_from(value).unwrap_or(i64::MAX));
        self.registry
            .register(name, help.trim_end_matches('.'), gauge);
    }

    /// A counter family `ordersim_{name}_total` with one sample per entry.
    pub fn counters(
        &mut self,
        name: &str,
        help: &str,
        samples: impl IntoIterator<Item = (Labels, u64)>,
    ) {
        let family = Family::<Labels, Counter>::default();
        for (labels, value) in samples {
            family.get_or_create(&labels).inc_by(value);
        }
        self.registry
            .register(name, help.trim_end_matches('.'), family);
    }

    /// An unlabelled counter `ordersim_{name}_total`.
    pub fn counter(&mut self, name: &str, help: &str, value: u64) {
        let counter = Counter::<u64>::default();
        counter.inc_by(value);
        self.registry
            .register(name, help.trim_end_matches('.'), counter);
    }

    /// A histogram family `ordersim_{name}_seconds` (with its `# UNIT`) with one histogram per
    /// entry.
    pub fn seconds_histograms(
        &mut self,
        name: &str,
        help: &str,
        samples: impl IntoIterator<Item = (Labels, HistogramSnapshot)>,
    ) {
        let family = HistogramFamily(samples.into_iter().collect());
        self.registry
            .register_with_unit(name, help.trim_end_matches('.'), Unit::Seconds, family);
    }

    /// The OpenMetrics text (ends with `# EOF`).
    pub fn render(&self) -> String {
        let mut text = String::with_capacity(8192);
        if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(%error, "metrics encoding failed");
        }
        text
    }
}

/// Labels from `(key, value)` pairs.
pub fn labels<const N: usize>(pairs: [(&'static str, &str); N]) -> Labels {
    pairs
        .into_iter()
        .map(|(key, value)| (key, LabelValue::from(value)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_and_families_typed() {
        let mut exposition = Exposition::default();
        exposition.gauges(
            "pool_free",
            "Entries free.",
            [(labels([("pool", "olt \"north\"\\1\nx")]), 3)],
        );
        exposition.counter("events", "Events raised.", 7);
        let text = exposition.render();
        assert!(
            text.contains("ordersim_pool_free{pool=\"olt \\\"north\\\"\\\\1\\nx\"} 3\n"),
            "{text}"
        );
        assert!(text.contains("# TYPE ordersim_pool_free gauge\n"), "{text}");
        assert!(
            text.contains("# HELP ordersim_events Events raised.\n"),
            "{text}"
        );
        assert!(text.contains("# TYPE ordersim_events counter\n"), "{text}");
        assert!(text.contains("ordersim_events_total 7\n"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn histograms_are_cumulative_with_sum_count_and_unit() {
        use crate::runtime::latency::Histogram;
        use std::time::Duration;
        let histogram = Histogram::default();
        for ms in [3, 4, 40] {
            histogram.record(Duration::from_millis(ms));
        }
        let mut exposition = Exposition::default();
        exposition.seconds_histograms(
            "order_duration",
            "Orders' time to their terminal state.",
            [(
                labels([("layer", "com"), ("state", "completed")]),
                histogram.snapshot(),
            )],
        );
        let text = exposition.render();
        for line in [
            "# TYPE ordersim_order_duration_seconds histogram\n",
            "# UNIT ordersim_order_duration_seconds seconds\n",
            "ordersim_order_duration_seconds_sum{layer=\"com\",state=\"completed\"} 0.047\n",
            "ordersim_order_duration_seconds_count{layer=\"com\",state=\"completed\"} 3\n",
            "ordersim_order_duration_seconds_bucket{le=\"0.0025\",layer=\"com\",state=\"completed\"} 0\n",
            "ordersim_order_duration_seconds_bucket{le=\"0.005\",layer=\"com\",state=\"completed\"} 2\n",
            "ordersim_order_duration_seconds_bucket{le=\"0.05\",layer=\"com\",state=\"completed\"} 3\n",
            "ordersim_order_duration_seconds_bucket{le=\"+Inf\",layer=\"com\",state=\"completed\"} 3\n",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
    }
}
