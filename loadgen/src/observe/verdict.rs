//! The correctness verdict: drain, the simulator's own audit, and checks from the outside.
//!
//! After the load, loadgen waits (bounded) for open orders to finish, then asks
//! `GET /admin/audit`, and independently checks through the public APIs: a seeded sample of
//! the orders it saw finish is fetched one by one (found? same terminal state?), orders still
//! open are fetched (terminal without an event? lost?), and the resource inventory is scanned
//! for resources still reserved when no order is in flight (leaks).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

use simulator::audit::AuditRead;

use crate::drive::client::{ClientError, TmfClient};
use crate::observe::metrics::Outcome;
use crate::observe::tracker::Tracker;

/// Examples kept per finding.
pub const EXAMPLES_MAX: usize = 10;
/// Resources scanned in the inventory check.
pub const RESOURCES_SCANNED_MAX: usize = 100_000;
/// Orders still open after the drain that are fetched to learn whether they ended at the
/// target (their event late or lost) or are still open there.
pub const OPEN_RESOLVED_MAX: usize = 100_000;
/// Order GETs in flight at once during the outside checks (paced so that resolving many open
/// orders does not become a load of its own).
pub const FETCHES_IN_FLIGHT: usize = 16;

/// What `/admin/audit` said.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct AuditVerdict {
    /// Whether the endpoint answered.
    pub reachable: bool,
    /// Its `ok` field.
    pub ok: Option<bool>,
    /// Number of findings (0 when ok; from the body's counts otherwise, at least 1).
    pub findings: u64,
    /// Leak findings the audit reports (its `leaked_resource` check).
    pub leaks: u64,
    /// One line per finding with a count: `check: count (first example)`.
    pub summary: Vec<String>,
    /// Checks the simulator could not run (a `--role` process holds one layer): no pass.
    pub not_checked: Vec<String>,
    /// The error, when it did not answer.
    pub error: Option<String>,
    /// The audit as answered, read back typed.
    pub body: Option<AuditRead>,
}

/// What the outside checks found.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct OutsideVerdict {
    /// Orders fetched one by one.
    pub orders_checked: u64,
    /// Orders the simulator answered 404 for (it never knew them).
    pub lost_orders: u64,
    /// Finished orders the simulator answered 410 for: its retention bound
    /// (`limits.retained_orders_max`) forgot them, which is not a loss.
    pub evicted_orders: u64,
    /// Finished orders whose state now differs from the terminal state seen.
    pub state_mismatches: u64,
    /// Orders still open after the drain that the simulator reports terminal (no event seen).
    pub events_missing: u64,
    /// Orders still open after the drain that are not terminal in the simulator either.
    pub not_terminal: u64,
    /// Orders still open after the drain that were not asked about (over
    /// [`OPEN_RESOLVED_MAX`]; the caller adds those) or whose GET failed.
    pub open_unresolved: u64,
    /// Of `events_missing`, how many ended in each terminal state at the target.
    pub ended_by_state: BTreeMap<String, u64>,
    /// Whether the resource inventory could be listed.
    pub inventory_checked: bool,
    /// Resources scanned.
    pub resources_scanned: u64,
    /// Resources by `resourceStatus`.
    pub resources_by_status: BTreeMap<String, u64>,
    /// Resources still `reserved` after a full drain (held for no order in flight).
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

/// Compares the terminal outcomes loadgen knows (warm-up included: from events, and from a
/// GET for the orders whose terminal event never came) with the audit's
/// `orders.productOrder` counts; answers whether they agree and one line per difference.
/// `None` when the audit has no such counts. Only meaningful when loadgen was the only client
/// and the simulator retained every order.
pub fn compare_counts(audit: &AuditVerdict, seen: &[u64; 5]) -> (Option<bool>, Vec<String>) {
    let Some(counts) = audit
        .body
        .as_ref()
        .and_then(|body| body.orders.get("productOrder"))
    else {
        return (None, Vec::new());
    };
    let held_total: u64 = counts.values().sum();
    let seen_total: u64 = seen.iter().sum();
    if held_total < seen_total {
        // The retention bound forgot terminal orders: per-state counts cannot match.
        let why = format!(
            "not comparable: the simulator keeps {held_total} orders, loadgen followed \
             {seen_total} to their end (limits.retained_orders_max forgets the oldest)"
        );
        return (None, vec![why]);
    }
    let mut differences = Vec::new();
    for outcome in Outcome::ALL {
        let held = counts.get(outcome.name()).copied().unwrap_or(0);
        let saw = seen.get(outcome as usize).copied().unwrap_or(0);
        if held != saw {
            differences.push(format!(
                "{}: loadgen saw {saw}, the simulator holds {held}",
                outcome.name()
            ));
        }
    }
    (Some(differences.is_empty()), differences)
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
        Ok(read) => audit_verdict(read),
        Err(error) => AuditVerdict {
            error: Some(error.to_string()),
            ..AuditVerdict::default()
        },
    }
}

/// The verdict an audit (the simulator's `/admin/audit`, read back typed) gives.
pub fn audit_verdict(read: AuditRead) -> AuditVerdict {
    let findings = match read.ok {
        true => 0,
        false => read.findings.iter().map(|f| f.count).sum::<u64>().max(1),
    };
    let leaks = read
        .findings
        .iter()
        .filter(|f| f.is_leak())
        .map(|f| f.count)
        .sum();
    let summary = read
        .findings
        .iter()
        .filter(|f| f.count > 0)
        .take(EXAMPLES_MAX)
        .map(|f| match f.examples.first() {
            Some(example) => format!("{}: {} (e.g. {example})", f.check, f.count),
            None => format!("{}: {}", f.check, f.count),
        })
        .collect();
    AuditVerdict {
        reachable: true,
        ok: Some(read.ok),
        findings,
        leaks,
        summary,
        not_checked: read.not_checked.clone(),
        error: None,
        body: Some(read),
    }
}

/// Fetches the sampled finished orders and the orders still open (up to
/// [`OPEN_RESOLVED_MAX`] of `open`) from `client`, [`FETCHES_IN_FLIGHT`] at a time, and scans
/// the resource inventory `inventory` serves (the target's, or a split chain's ROM process's).
/// An open order the target says is terminal ended with its event late or lost; one it says is
/// not is still open.
pub async fn outside_checks(
    client: &TmfClient,
    inventory: &TmfClient,
    sample: &[(String, Outcome)],
    open: &[String],
    drained: bool,
) -> OutsideVerdict {
    let mut verdict = OutsideVerdict::default();
    let expected: BTreeMap<&str, Outcome> =
        sample.iter().map(|(id, o)| (id.as_str(), *o)).collect();
    let ids = sample.iter().map(|(id, _)| id.clone());
    fetch_states(client, ids.collect(), |id, answer| {
        verdict.orders_checked += 1;
        let outcome = expected.get(id).map_or("", |o| o.name());
        match answer {
            Ok(state) if state != outcome => {
                verdict.state_mismatches += 1;
                verdict.example(format!(
                    "state mismatch: {id} (event said {outcome}, GET says {state})"
                ));
            }
            Ok(_) => {}
            Err(error) => lost(&mut verdict, id, &error),
        }
    })
    .await;
    let ids = open.iter().take(OPEN_RESOLVED_MAX).cloned().collect();
    fetch_states(client, ids, |id, answer| {
        verdict.orders_checked += 1;
        match answer {
            Ok(state) if Outcome::from_state(&state).is_some() => {
                verdict.events_missing += 1;
                *verdict.ended_by_state.entry(state.clone()).or_insert(0) += 1;
                verdict.example(format!("no terminal event: {id} (GET says {state})"));
            }
            Ok(state) => {
                verdict.not_terminal += 1;
                verdict.example(format!("not terminal: {id} ({state})"));
            }
            Err(error) => {
                verdict.open_unresolved += 1;
                lost(&mut verdict, id, &error);
            }
        }
    })
    .await;
    inventory_check(inventory, drained, &mut verdict).await;
    verdict
}

/// GETs each order of `ids`, [`FETCHES_IN_FLIGHT`] at a time, handing its id and its state
/// (or the error) to `each` as the answers come.
async fn fetch_states(
    client: &TmfClient,
    ids: Vec<String>,
    mut each: impl FnMut(&str, Result<String, ClientError>),
) {
    let mut tasks = tokio::task::JoinSet::new();
    let mut ids = ids.into_iter();
    loop {
        while tasks.len() < FETCHES_IN_FLIGHT {
            let Some(id) = ids.next() else { break };
            let client = client.clone();
            tasks.spawn(async move {
                let answer = client.get_product_order(&id).await.map(|order| {
                    let state = order.get("state").and_then(Value::as_str);
                    state.unwrap_or_default().to_string()
                });
                (id, answer)
            });
        }
        match tasks.join_next().await {
            Some(Ok((id, answer))) => each(&id, answer),
            Some(Err(_)) => {}
            None => return,
        }
    }
}

fn lost(verdict: &mut OutsideVerdict, id: &str, error: &ClientError) {
    if error.status() == Some(404) {
        verdict.lost_orders += 1;
        verdict.example(format!("lost: {id} (404)"));
    } else if error.status() == Some(410) {
        verdict.evicted_orders += 1;
    } else {
        verdict.example(format!("unchecked: {id} ({error})"));
    }
}

/// After a full drain no order is in flight, so no resource may still be `reserved` (held
/// for an order in flight): each one that is, is a leak. `available` means in use by a live
/// service and `standby` released; both are fine.
async fn inventory_check(client: &TmfClient, drained: bool, verdict: &mut OutsideVerdict) {
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
                .unwrap_or("unknown");
            *verdict
                .resources_by_status
                .entry(status.to_string())
                .or_insert(0) += 1;
            if drained && status == "reserved" {
                verdict.leaks += 1;
                let id = resource.get("id").and_then(Value::as_str).unwrap_or("?");
                let name = resource.get("name").and_then(Value::as_str).unwrap_or("");
                verdict.example(format!(
                    "leak: resource {id} {name} still reserved after drain"
                ));
            }
        }
        offset += resources.len();
        if resources.len() < page || total.is_some_and(|t| offset as u64 >= t) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: Value) -> AuditRead {
        serde_json::from_value(body).expect("an audit")
    }

    #[test]
    fn leaks_nobody_measured_are_not_checked_and_fail_their_threshold() {
        use crate::report::model::RunReport;
        let threshold: crate::report::thresholds::Threshold =
            "leaks == 0".parse().expect("threshold");
        let role_process = read(serde_json::json!({"ok": true, "findings": [
            {"check": "double_allocation", "count": 0, "examples": []}],
            "not_checked": ["leaked_resource", "ghost_resource"]}));
        let mut report = RunReport::default();
        report.verdict.audit = audit_verdict(role_process);
        assert_eq!(report.leaks(), None);
        assert_eq!(report.leaks_text(), "not checked");
        report.evaluate(std::slice::from_ref(&threshold));
        assert!(!report.passed, "an unmeasured leak count must not pass");
        // The outside check scanned the inventory: measured.
        report.verdict.outside.resources_scanned = 3;
        assert_eq!(report.leaks(), Some(0));
        // A whole chain's audit measured them.
        let mut whole = RunReport::default();
        whole.verdict.audit = audit_verdict(read(serde_json::json!({"ok": true, "findings": [
            {"check": "leaked_resource", "count": 0, "examples": []}]})));
        whole.evaluate(std::slice::from_ref(&threshold));
        assert!(whole.passed);
        // No audit and no inventory: nothing measured.
        assert_eq!(RunReport::default().leaks(), None);
    }

    #[test]
    fn unmeasured_checks_fail_with_why_unless_optional_and_disagreements_fail_unasked() {
        use crate::report::model::RunReport;
        use crate::report::thresholds::Threshold;
        let required: Threshold = "retries < 5".parse().expect("threshold");
        let optional = Threshold {
            optional: true,
            ..("retries_exhausted == 0".parse().expect("threshold"))
        };
        let mut report = RunReport::default();
        report.evaluate(&[required, optional]);
        let results = &report.thresholds;
        assert_eq!((results[0].result(), results[1].result()), ("FAIL", "skip"));
        let why = results[0].why.as_deref().unwrap_or_default();
        assert!(why.contains("does not report retries"), "{why}");
        assert!(!report.passed);
        // Nobody asked for the counts to agree; they disagree, so the run fails.
        let mut report = RunReport::default();
        report.verdict.counts_agree = Some(false);
        report.verdict.count_differences =
            vec!["completed: loadgen saw 3, the simulator holds 2".into()];
        report.evaluate(&[]);
        assert!(!report.passed);
        let failed: Vec<String> = report
            .thresholds
            .iter()
            .filter(|t| !t.passed)
            .map(|t| t.label())
            .collect();
        assert_eq!(failed, ["count_differences == 0 (implicit)"]);
    }

    #[test]
    fn outcome_counts_are_compared_with_the_audit() {
        let audit = AuditVerdict {
            body: Some(read(serde_json::json!({"ok": true,
                "orders": {"productOrder": {"completed": 5, "failed": 1}}}))),
            ..AuditVerdict::default()
        };
        assert_eq!(
            compare_counts(&audit, &[5, 0, 1, 0, 0]),
            (Some(true), vec![])
        );
        let (agree, differences) = compare_counts(&audit, &[4, 0, 1, 1, 0]);
        assert_eq!(agree, Some(false));
        assert_eq!(differences.len(), 2);
        assert_eq!(
            compare_counts(&AuditVerdict::default(), &[0; 5]),
            (None, vec![])
        );
        // More ended than the simulator still keeps: its retention bound forgot some.
        let (agree, why) = compare_counts(&audit, &[50, 0, 10, 0, 0]);
        assert_eq!(agree, None);
        assert!(why[0].starts_with("not comparable"), "{why:?}");
    }

    #[test]
    fn the_simulators_finding_list_is_read() {
        let body = serde_json::json!({"ok": false, "orders": {"com": {"completed": 40}},
            "findings": [
                {"check": "leaked_resource", "count": 2, "examples": ["ONU olt-1/0/3 held by cancelled PO-4"]},
                {"check": "illegal_transition", "count": 0, "examples": []},
                {"check": "double_allocation", "count": 1, "examples": []}]});
        let verdict = audit_verdict(read(body));
        assert_eq!((verdict.findings, verdict.leaks), (3, 2));
        assert_eq!(verdict.summary.len(), 2);
        assert!(verdict.summary[0].starts_with("leaked_resource: 2 (e.g. ONU"));
        // A check whose name merely mentions leaks is not the leak check.
        let other = read(serde_json::json!({"ok": false, "findings": [
            {"check": "no_leaks_here", "count": 4, "examples": []}]}));
        assert_eq!(audit_verdict(other).leaks, 0);
    }

    #[test]
    fn an_audit_of_another_shape_does_not_parse() {
        let counts = serde_json::json!({"ok": false, "findings": {"leaks": 2}});
        assert!(serde_json::from_value::<AuditRead>(counts).is_err());
    }

    #[test]
    fn a_forgotten_order_is_not_a_lost_one() {
        let mut verdict = OutsideVerdict::default();
        let status = |status| ClientError::Status {
            status,
            body: String::new(),
        };
        lost(&mut verdict, "PO-1", &status(410));
        lost(&mut verdict, "PO-2", &status(404));
        assert_eq!((verdict.evicted_orders, verdict.lost_orders), (1, 1));
        assert_eq!(verdict.examples, ["lost: PO-2 (404)"]);
    }
}
