//! The correctness verdict: drain, the simulator's own audit, and checks from the outside.
//!
//! After the load, loadgen waits (bounded) for open orders to finish, then asks
//! `GET /admin/audit`, and independently checks through the public APIs: a seeded sample of
//! the orders it saw finish is fetched one by one (found? same terminal state?), orders still
//! open are fetched (terminal without an event? lost?), and the resource inventory is scanned
//! for resources still tied to cancelled or failed orders (leaks).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

use crate::client::{ClientError, TmfClient};
use crate::metrics::Outcome;
use crate::tracker::Tracker;

/// Examples kept per finding.
pub const EXAMPLES_MAX: usize = 10;
/// Resources scanned in the inventory check.
pub const RESOURCES_SCANNED_MAX: usize = 100_000;

/// What `/admin/audit` said.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct AuditVerdict {
    /// Whether the endpoint answered.
    pub reachable: bool,
    /// Its `ok` field.
    pub ok: Option<bool>,
    /// Number of findings (0 when ok; from the body's counts otherwise, at least 1).
    pub findings: u64,
    /// Leak findings the audit reports (sum of numeric fields whose name contains "leak").
    pub leaks: u64,
    /// The error, when it did not answer.
    pub error: Option<String>,
    /// The body as answered.
    pub body: Option<Value>,
}

/// What the outside checks found.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct OutsideVerdict {
    /// Orders fetched one by one.
    pub orders_checked: u64,
    /// Orders the simulator answered 404 for.
    pub lost_orders: u64,
    /// Finished orders whose state now differs from the terminal state seen.
    pub state_mismatches: u64,
    /// Orders still open after the drain that the simulator reports terminal (no event seen).
    pub events_missing: u64,
    /// Orders still open after the drain that are not terminal in the simulator either.
    pub not_terminal: u64,
    /// Whether the resource inventory could be listed.
    pub inventory_checked: bool,
    /// Resources scanned.
    pub resources_scanned: u64,
    /// Resources still tied to a cancelled or failed order of the sample.
    pub leaks: u64,
    /// Examples, `finding: order id (detail)`.
    pub examples: Vec<String>,
}

impl OutsideVerdict {
    fn example(&mut self, text: String) {
        if self.examples.len() < EXAMPLES_MAX {
            self.examples.push(text);
        }
    }
}

/// Waits until no order is open or `timeout` passed; answers whether it drained and how long it took.
pub async fn drain(tracker: &Arc<Mutex<Tracker>>, timeout: Duration) -> (bool, Duration) {
    let started = Instant::now();
    loop {
        let open = tracker.lock().map_or(0, |t| t.open_count());
        if open == 0 {
            return (true, started.elapsed());
        }
        if started.elapsed() >= timeout {
            return (false, started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Asks the simulator's audit.
pub async fn audit(client: &TmfClient) -> AuditVerdict {
    match client.audit().await {
        Ok(body) => {
            let ok = body.get("ok").and_then(Value::as_bool);
            let leaks = sum_fields(&body, "leak");
            let findings = match ok {
                Some(true) => 0,
                _ => sum_fields(&body, "").max(1),
            };
            AuditVerdict {
                reachable: true,
                ok,
                findings,
                leaks,
                error: None,
                body: Some(body),
            }
        }
        Err(error) => AuditVerdict {
            error: Some(error.to_string()),
            ..AuditVerdict::default()
        },
    }
}

/// Sums the unsigned integers under keys containing `needle` (any key when empty), skipping
/// example lists.
fn sum_fields(value: &Value, needle: &str) -> u64 {
    match value {
        Value::Object(map) => map
            .iter()
            .filter(|(key, _)| key.as_str() != "examples")
            .map(|(key, inner)| match inner {
                Value::Number(n) if key.contains(needle) => n.as_u64().unwrap_or(0),
                other => sum_fields(other, needle),
            })
            .sum(),
        _ => 0,
    }
}

/// Fetches the sampled finished orders and up to `open_max` open ones.
pub async fn outside_checks(
    client: &TmfClient,
    sample: &[(String, Outcome)],
    open_ids: &[String],
) -> OutsideVerdict {
    let mut verdict = OutsideVerdict::default();
    for (id, outcome) in sample {
        verdict.orders_checked += 1;
        match client.get_product_order(id).await {
            Ok(order) => {
                let state = order.get("state").and_then(Value::as_str).unwrap_or("");
                if state != outcome.name() {
                    verdict.state_mismatches += 1;
                    verdict.example(format!(
                        "state mismatch: {id} (event said {}, GET says {state})",
                        outcome.name()
                    ));
                }
            }
            Err(error) => lost(&mut verdict, id, &error),
        }
    }
    for id in open_ids {
        verdict.orders_checked += 1;
        match client.get_product_order(id).await {
            Ok(order) => {
                let state = order.get("state").and_then(Value::as_str).unwrap_or("");
                if Outcome::from_state(state).is_some() {
                    verdict.events_missing += 1;
                    verdict.example(format!("no terminal event: {id} (GET says {state})"));
                } else {
                    verdict.not_terminal += 1;
                    verdict.example(format!("not terminal: {id} ({state})"));
                }
            }
            Err(error) => lost(&mut verdict, id, &error),
        }
    }
    inventory_check(client, sample, &mut verdict).await;
    verdict
}

fn lost(verdict: &mut OutsideVerdict, id: &str, error: &ClientError) {
    if error.status() == Some(404) {
        verdict.lost_orders += 1;
        verdict.example(format!("lost: {id} (404)"));
    } else {
        verdict.example(format!("unchecked: {id} ({error})"));
    }
}

/// Resource states that mean "free again".
const FREE_STATES: [&str; 4] = ["available", "standby", "retired", "released"];

async fn inventory_check(
    client: &TmfClient,
    sample: &[(String, Outcome)],
    verdict: &mut OutsideVerdict,
) {
    let released: HashSet<&str> = sample
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Cancelled | Outcome::Failed | Outcome::Rejected))
        .map(|(id, _)| id.as_str())
        .collect();
    let page = 1_000;
    let mut offset = 0;
    while offset < RESOURCES_SCANNED_MAX {
        let Ok((resources, total)) = client.list_resources(page, offset).await else {
            return;
        };
        verdict.inventory_checked = true;
        for resource in &resources {
            verdict.resources_scanned += 1;
            let status = resource
                .get("resourceStatus")
                .and_then(Value::as_str)
                .unwrap_or("");
            if FREE_STATES.contains(&status) {
                continue;
            }
            let mut strings = BTreeMap::new();
            collect_strings(resource, &mut strings, 0);
            if let Some(order) = strings.keys().find(|s| released.contains(s.as_str())) {
                verdict.leaks += 1;
                let id = resource.get("id").and_then(Value::as_str).unwrap_or("?");
                verdict.example(format!(
                    "leak: resource {id} still tied to {order} ({status})"
                ));
            }
        }
        offset += resources.len();
        if resources.len() < page || total.is_some_and(|t| offset as u64 >= t) {
            return;
        }
    }
}

fn collect_strings(value: &Value, into: &mut BTreeMap<String, ()>, depth: usize) {
    if depth > 16 {
        return;
    }
    match value {
        Value::String(s) => {
            into.insert(s.clone(), ());
        }
        Value::Array(items) => items
            .iter()
            .for_each(|v| collect_strings(v, into, depth + 1)),
        Value::Object(map) => map
            .values()
            .for_each(|v| collect_strings(v, into, depth + 1)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_counts_are_summed_without_examples() {
        let body = serde_json::json!({"ok": false, "findings": {"leaks": 2, "double_allocations": 1,
            "examples": {"leaks": 9}}, "resource_leaks": 3});
        assert_eq!(sum_fields(&body, "leak"), 5);
        assert_eq!(sum_fields(&body, ""), 6);
    }
}
