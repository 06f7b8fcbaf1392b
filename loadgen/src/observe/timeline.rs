//! Time in each layer: for a sample of finished orders, the simulator's
//! `GET /admin/timeline/{id}` says how long the order spent in COM, SOM, ROM and activation
//! alone (`breakdownMs`); loadgen keeps one histogram per layer. A simulator without the
//! endpoint gives empty histograms.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde_json::Value;

use crate::drive::client::TmfClient;
use crate::observe::metrics::{Outcome, latency_histogram};

/// The layers of `breakdownMs`, in chain order.
pub const LAYERS: [&str; 4] = ["com", "som", "rom", "activation"];

/// Fetches the timeline of each completed order in `sample` and records its per-layer times
/// (microseconds); answers one histogram per layer that has samples.
pub async fn layer_times(
    client: &TmfClient,
    sample: &[(String, Outcome)],
) -> BTreeMap<&'static str, Histogram<u64>> {
    let mut histograms: BTreeMap<&'static str, Histogram<u64>> = BTreeMap::new();
    for (id, _) in sample.iter().filter(|(_, o)| *o == Outcome::Completed) {
        let Ok(timeline) = client.timeline(id).await else {
            // No endpoint (or the order was evicted): nothing to learn from the rest either
            // when the very first one fails.
            if histograms.is_empty() {
                return histograms;
            }
            continue;
        };
        record(&timeline, &mut histograms);
    }
    histograms
}

fn record(timeline: &Value, histograms: &mut BTreeMap<&'static str, Histogram<u64>>) {
    for layer in LAYERS {
        let Some(ms) = timeline
            .pointer(&format!("/breakdownMs/{layer}"))
            .and_then(Value::as_f64)
        else {
            continue;
        };
        if ms.is_finite() && ms >= 0.0 {
            let us = (ms * 1_000.0).round().max(1.0) as u64;
            histograms
                .entry(layer)
                .or_insert_with(latency_histogram)
                .saturating_record(us);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakdowns_land_in_their_layer() {
        let mut histograms = BTreeMap::new();
        let timeline = serde_json::json!({"breakdownMs":
            {"com": 1.5, "som": 2.0, "rom": null, "activation": 40.0}});
        record(&timeline, &mut histograms);
        record(&timeline, &mut histograms);
        assert_eq!(
            histograms.keys().copied().collect::<Vec<_>>(),
            vec!["activation", "com", "som"]
        );
        assert_eq!(histograms["activation"].len(), 2);
        assert!((histograms["com"].mean() - 1_500.0).abs() < 2.0);
    }
}
