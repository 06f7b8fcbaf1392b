//! The per-operation breakdown: for each operation kind the workload sent (`add_fibre`,
//! `modify_speed`, `delete`, `cancel`, `bad_request`, …) its requests, submit and end-to-end
//! latency and outcomes, so that one slow or failing kind is not averaged away by the mix.
//! Thresholds can name one (`e2e_p99{op=modify_speed} < 1s`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::model::Percentiles;
use crate::observe::metrics::{Metrics, Outcome};

/// One operation kind's figures.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct OperationInfo {
    /// Requests sent for it in the measured window.
    pub sent: u64,
    /// POST latency of its acknowledged orders.
    pub submit: Percentiles,
    /// End-to-end latency of its orders that ended.
    pub e2e: Percentiles,
    /// Its orders by terminal state.
    pub outcomes: BTreeMap<String, u64>,
    /// Each outcome over its orders that ended (0..1).
    pub rates: BTreeMap<String, f64>,
    /// Its requests that failed unexpectedly (HTTP error or transport).
    pub errors: u64,
}

/// The breakdown of `metrics`, by operation name.
pub fn operations_info(metrics: &Metrics) -> BTreeMap<String, OperationInfo> {
    let mut kinds: Vec<&'static str> = metrics.sent_by_kind.keys().copied().collect();
    kinds.extend(metrics.by_operation.keys().copied());
    kinds.sort_unstable();
    kinds.dedup();
    kinds
        .into_iter()
        .map(|kind| {
            let sent = metrics.sent_by_kind.get(kind).copied().unwrap_or(0);
            let info = match metrics.by_operation.get(kind) {
                Some(measured) => {
                    let ended: u64 = measured.outcomes.iter().sum();
                    let by_outcome = Outcome::ALL.iter().map(|o| (o.name(), o.index()));
                    let counted = by_outcome.filter_map(|(name, index)| {
                        let count = measured.outcomes.get(index).copied().unwrap_or(0);
                        (count > 0).then(|| (name.to_string(), count))
                    });
                    let outcomes: BTreeMap<String, u64> = counted.collect();
                    let rates = outcomes
                        .iter()
                        .map(|(name, count)| (name.clone(), *count as f64 / ended.max(1) as f64))
                        .collect();
                    OperationInfo {
                        sent,
                        submit: Percentiles::of(&measured.submit),
                        e2e: Percentiles::of(&measured.e2e),
                        outcomes,
                        rates,
                        errors: measured.errors,
                    }
                }
                None => OperationInfo {
                    sent,
                    ..OperationInfo::default()
                },
            };
            (kind.to_string(), info)
        })
        .collect()
}

/// The breakdown's column headings, as [`rows`] fills them.
pub const HEADINGS: [&str; 7] = [
    "operation",
    "sent",
    "errors",
    "submit p50 / p99 (ms)",
    "e2e p50 / p99 (ms)",
    "ended",
    "outcomes",
];

/// One row of text per operation, for the Markdown and HTML tables alike.
pub fn rows(operations: &BTreeMap<String, OperationInfo>) -> Vec<[String; 7]> {
    let pair = |p: &Percentiles| match p.count {
        0 => "–".to_string(),
        _ => format!("{:.1} / {:.1}", p.p50_ms, p.p99_ms),
    };
    operations
        .iter()
        .map(|(name, info)| {
            let outcomes: Vec<String> = info
                .outcomes
                .iter()
                .map(|(state, count)| format!("{count} {state}"))
                .collect();
            [
                name.clone(),
                info.sent.to_string(),
                info.errors.to_string(),
                pair(&info.submit),
                pair(&info.e2e),
                info.outcomes.values().sum::<u64>().to_string(),
                outcomes.join(", "),
            ]
        })
        .collect()
}
