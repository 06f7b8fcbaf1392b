//! Watching the chain itself while it runs: worker slot occupancy and queue depth per layer
//! (`GET /admin/workers`, sampled about once per second). Where orders spent their time, layer
//! by layer, comes from [`crate::observe::timeline`].
//!
//! The endpoint is an operator extra of the simulator: an external simulator without it yields
//! an empty series, never an error.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::drive::client::TmfClient;
use crate::report::model::{ChainInfo, LayerLoad, RetryInfo, WorkerPoint};

/// Most worker samples kept (one per second: a day).
pub const WORKER_SAMPLES_MAX: usize = 86_400;

/// A running `/admin/workers` sampler.
pub struct WorkerSampler {
    stop: watch::Sender<bool>,
    task: JoinHandle<(Option<String>, Vec<WorkerPoint>)>,
}

/// Starts sampling `/admin/workers` every `period`; seconds are counted from `start`.
pub fn start_sampler(client: TmfClient, start: Instant, period: Duration) -> WorkerSampler {
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        let mut mode = None;
        let mut samples = Vec::new();
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = stopped.changed() => break,
            }
            let at = Instant::now().saturating_duration_since(start);
            let Ok(answer) = client.workers().await else {
                continue;
            };
            if let Some((sampled_mode, layers)) = parse_workers(&answer)
                && samples.len() < WORKER_SAMPLES_MAX
            {
                mode = Some(sampled_mode);
                samples.push(WorkerPoint {
                    second: (at.as_secs_f64() * 10.0).round() / 10.0,
                    layers,
                });
            }
        }
        (mode, samples)
    });
    WorkerSampler { stop, task }
}

impl WorkerSampler {
    /// Stops sampling; answers the chain mode (if the simulator told it) and the samples.
    pub async fn stop(self) -> (Option<String>, Vec<WorkerPoint>) {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or_default()
    }
}

/// Reads a `/admin/workers` answer: `{"mode", "layers": [{"layer", "capacity", "busy",
/// "waiting", "inbox_depth"}]}` (`inboxDepth` is accepted too).
pub fn parse_workers(answer: &Value) -> Option<(String, Vec<LayerLoad>)> {
    let mode = answer.get("mode")?.as_str()?.to_string();
    let count = |row: &Value, keys: &[&str]| {
        keys.iter()
            .find_map(|key| row.get(*key).and_then(Value::as_u64))
            .unwrap_or(0)
    };
    let layers = answer
        .get("layers")?
        .as_array()?
        .iter()
        .filter_map(|row| {
            Some(LayerLoad {
                layer: row.get("layer")?.as_str()?.to_string(),
                capacity: count(row, &["capacity"]),
                busy: count(row, &["busy"]),
                waiting: count(row, &["waiting"]),
                inbox_depth: count(row, &["inbox_depth", "inboxDepth"]),
            })
        })
        .collect();
    Some((mode, layers))
}

/// Reads the `retries` of a `/admin/workers` answer: `{"rom": {"forward", "compensation",
/// "forward_exhausted"}, "activation": {…}}`; empty when it has none.
pub fn parse_retries(answer: &Value) -> BTreeMap<String, RetryInfo> {
    let Some(layers) = answer.get("retries").and_then(Value::as_object) else {
        return BTreeMap::new();
    };
    let count = |row: &Value, key: &str| row.get(key).and_then(Value::as_u64).unwrap_or(0);
    layers
        .iter()
        .map(|(layer, row)| {
            let info = RetryInfo {
                forward: count(row, "forward"),
                compensation: count(row, "compensation"),
                forward_exhausted: count(row, "forward_exhausted"),
            };
            (layer.clone(), info)
        })
        .collect()
}

/// Assembles what was watched into the report's [`ChainInfo`].
pub fn chain_info(mode: Option<String>, workers: Vec<WorkerPoint>) -> ChainInfo {
    let mut busy_max: BTreeMap<String, u64> = BTreeMap::new();
    let mut waiting_max: BTreeMap<String, u64> = BTreeMap::new();
    for layer in workers.iter().flat_map(|point| point.layers.iter()) {
        let busy = busy_max.entry(layer.layer.clone()).or_insert(0);
        *busy = (*busy).max(layer.busy);
        let waiting = waiting_max.entry(layer.layer.clone()).or_insert(0);
        *waiting = (*waiting).max(layer.waiting);
    }
    ChainInfo {
        mode,
        workers,
        busy_max,
        waiting_max,
        retries: BTreeMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_answer_parses_with_either_spelling() {
        let answer = serde_json::json!({"mode": "sync", "layers": [
            {"layer": "com", "capacity": 4, "busy": 4, "waiting": 7, "inbox_depth": 1},
            {"layer": "som", "capacity": 4, "busy": 2, "waiting": 0, "inboxDepth": 3},
            {"capacity": 1}
        ]});
        let (mode, layers) = parse_workers(&answer).unwrap();
        assert_eq!(mode, "sync");
        assert_eq!(layers.len(), 2);
        assert_eq!((layers[0].busy, layers[0].waiting), (4, 7));
        assert_eq!(layers[1].inbox_depth, 3);
        assert!(parse_workers(&serde_json::json!({"layers": []})).is_none());
    }

    #[test]
    fn chain_info_keeps_the_peaks() {
        let point = |busy, waiting| WorkerPoint {
            second: 0.0,
            layers: vec![LayerLoad {
                layer: "com".into(),
                capacity: 8,
                busy,
                waiting,
                inbox_depth: 0,
            }],
        };
        let info = chain_info(None, vec![point(3, 9), point(8, 2)]);
        assert_eq!(info.busy_max["com"], 8);
        assert_eq!(info.waiting_max["com"], 9);
    }

    #[test]
    fn retries_parse_per_layer_and_are_empty_when_missing() {
        let answer = serde_json::json!({"mode": "async", "layers": [], "retries": {
            "rom": {"forward": 3, "compensation": 1, "forward_exhausted": 0},
            "activation": {"forward": 7}
        }});
        let retries = parse_retries(&answer);
        assert_eq!(retries["rom"].forward, 3);
        assert_eq!(retries["rom"].compensation, 1);
        assert_eq!(retries["activation"].forward, 7);
        assert_eq!(retries["activation"].forward_exhausted, 0);
        assert!(parse_retries(&serde_json::json!({"mode": "sync"})).is_empty());
    }
}
