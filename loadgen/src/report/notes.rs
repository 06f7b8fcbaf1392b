//! The verdict's notes: one sentence per disagreement, per check that could not be made and
//! per process of a split chain, written once here and shown alike in the terminal summary,
//! `report.md` and `report.html` (the JSON holds the fields they are made from), so that
//! no format shows a pass another contradicts.

use super::model::RunReport;
use crate::report::thresholds::Metric;

/// The notes of `report`'s verdict, most important first.
pub fn verdict_notes(report: &RunReport) -> Vec<String> {
    let v = &report.verdict;
    let mut notes = Vec::new();
    if !report.target.not_applied.is_empty() {
        notes.push(format!(
            "not applied to the target, which runs its own configuration: {} (start it with `simulator --scenario <this file>`)",
            report.target.not_applied.join(", ")
        ));
    }
    match v.counts_agree {
        Some(false) => notes.push(format!(
            "outcome counts DISAGREE with the simulator's: {}",
            v.count_differences.join("; ")
        )),
        None => notes.extend(
            v.count_differences
                .iter()
                .map(|line| format!("outcome counts {line}")),
        ),
        Some(true) => {}
    }
    let o = &v.outside;
    for (count, what) in [
        (o.lost_orders, "orders the target never knew (404)"),
        (
            o.state_mismatches,
            "orders whose state differs from the event's",
        ),
    ] {
        if count > 0 {
            notes.push(format!("{count} {what}"));
        }
    }
    if report.outcomes.open_at_end > 0 || o.events_missing + o.not_terminal > 0 {
        let ended: Vec<String> = o
            .ended_by_state
            .iter()
            .map(|(state, n)| format!("{n} {state}"))
            .collect();
        notes.push(format!(
            "open at the end, asked by GET: {} ended at the target, event late or lost ({}); {} still open there; {} not resolved",
            o.events_missing,
            if ended.is_empty() { "none".to_string() } else { ended.join(", ") },
            o.not_terminal,
            o.open_unresolved
        ));
    }
    if !v.audit.not_checked.is_empty() {
        notes.push(format!("not checked: {}", v.audit.not_checked.join(", ")));
    }
    if report.leaks().is_none() {
        notes.push("leaks not checked: no audit ran a leak check and no resource inventory could be scanned".into());
    }
    if !v.processes.is_empty() {
        let each: Vec<String> = v
            .processes
            .iter()
            .map(|p| match (&p.audit.error, p.audit.ok) {
                (Some(error), _) => format!("{} unreachable ({error})", p.role),
                (None, Some(true)) => format!("{} ok", p.role),
                (None, _) => format!("{} {} findings", p.role, p.audit.findings),
            })
            .collect();
        notes.push(format!(
            "{} processes audited: {}",
            v.processes.len(),
            each.join(", ")
        ));
    }
    if let Some(cross) = &v.cross {
        let count = |n: Option<u64>| n.map_or_else(|| "?".to_string(), |n| n.to_string());
        let made: Vec<String> = cross
            .checks
            .iter()
            .map(|(check, n)| format!("{check} {n}"))
            .collect();
        notes.push(format!(
            "across processes: {} allocations, {} resources in use, {} configurations, {} active TMF640 services; {}",
            count(cross.allocations),
            count(cross.resources_in_use),
            count(cross.configurations),
            count(cross.active_services),
            if made.is_empty() { "no check made".to_string() } else { made.join(", ") }
        ));
    }
    notes
}

/// Why `metric` has no value in `report`, as a sentence.
pub fn why_not_measured(report: &RunReport, metric: Metric) -> String {
    let audit = &report.verdict.audit;
    let audit_silent = || match &audit.error {
        Some(error) => format!("the audit did not answer ({error})"),
        None => "the target has no audit (GET /admin/audit)".to_string(),
    };
    match metric {
        Metric::AuditFindings => audit_silent(),
        Metric::Leaks if audit.reachable => format!(
            "no audit ran a leak check (not checked: {}) and no resource inventory could be scanned",
            audit.not_checked.join(", ")
        ),
        Metric::Leaks => format!(
            "{}, and no resource inventory could be scanned",
            audit_silent()
        ),
        Metric::CountDifferences => match report.verdict.count_differences.first() {
            Some(line) => format!("outcome counts {line}"),
            None if audit.reachable => "the audit gives no product order counts".to_string(),
            None => audit_silent(),
        },
        Metric::Retries | Metric::RetriesExhausted => {
            "the target does not report retries (GET /admin/workers)".to_string()
        }
        Metric::EventLagP50 | Metric::EventLagP99 | Metric::EventLagMax => {
            "no event with an eventTime was received (polling, or the target sends none)"
                .to_string()
        }
        Metric::AchievedRateRatio => "the load has no target rate (closed model)".to_string(),
        Metric::CompletedRate
        | Metric::FailedRate
        | Metric::PartialRate
        | Metric::RejectedRate
        | Metric::CancelledRate => "no order was tracked to its end".to_string(),
        _ if metric.unit() == crate::report::thresholds::Unit::Duration => {
            "no order was measured (none ended in the measured window)".to_string()
        }
        _ => "the run did not measure it".to_string(),
    }
}
