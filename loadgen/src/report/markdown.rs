//! `report.md`: a summary fit to paste into a pull request.

use std::fmt::Write;

use super::model::{Percentiles, RunReport};

/// Renders the report as Markdown.
pub fn render(report: &RunReport) -> String {
    let mut md = String::new();
    let verdict = if report.passed { "PASS" } else { "FAIL" };
    let _ = writeln!(md, "## loadgen: `{}` — {verdict}\n", report.scenario.name);
    if !report.scenario.description.is_empty() {
        let _ = writeln!(md, "{}\n", report.scenario.description.trim());
    }
    summary(&mut md, report);
    latency(&mut md, report);
    outcomes(&mut md, report);
    operations(&mut md, report);
    retries(&mut md, report);
    correctness(&mut md, report);
    faults(&mut md, report);
    thresholds(&mut md, report);
    md
}

/// Hits a fault keeps (the simulator's bound): the orders-hit column is a sample of them, not
/// a total; `calls affected` is the total.
const HITS: usize = simulator::network::faults::set::FAULT_HITS_KEPT_MAX;

fn faults(md: &mut String, r: &RunReport) {
    if r.faults.is_empty() {
        return;
    }
    let _ = writeln!(md, "### Faults\n");
    let _ = writeln!(
        md,
        "| fault | source | target | kind | window (s) | calls affected | orders hit, by final state (a sample: its last {HITS} hits) |\n|---|---|---|---|---|---|---|"
    );
    for fault in &r.faults {
        let window = match (fault.applied, fault.end_s) {
            (false, _) => format!("not applied: {}", fault.error.as_deref().unwrap_or("?")),
            (true, Some(end)) => format!("{:.1} – {end:.1}", fault.start_s),
            (true, None) => format!("{:.1} –", fault.start_s),
        };
        let hit: Vec<String> = fault
            .orders_hit_by_state
            .iter()
            .map(|(state, count)| format!("{state} {count}"))
            .collect();
        let _ = writeln!(
            md,
            "| `{}` | {} | `{}` | {} | {window} | {} of {} | {} |",
            fault.name,
            fault.source,
            fault.target,
            fault.kind,
            fault.calls_affected,
            fault.calls_matched,
            if hit.is_empty() {
                "—".to_string()
            } else {
                hit.join(", ")
            }
        );
    }
    let examples: Vec<String> = r
        .faults
        .iter()
        .flat_map(|fault| fault.orders_hit.iter().take(5).map(move |o| (fault, o)))
        .map(|(fault, order)| format!("`{}` ({}, by `{}`)", order.id, order.state, fault.name))
        .take(20)
        .collect();
    if !examples.is_empty() {
        let _ = writeln!(md, "\nOrders hit (examples): {}", examples.join(", "));
    }
    let _ = writeln!(md);
}

fn summary(md: &mut String, r: &RunReport) {
    let load = &r.load;
    let target = load
        .target_rate_per_s
        .map_or_else(|| "closed model".to_string(), |t| format!("{t:.1}/s"));
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(
        md,
        "| target | {} ({}) |",
        r.target.url,
        if r.target.embedded {
            "embedded"
        } else {
            "external"
        }
    );
    let _ = writeln!(md, "| seed | {} |", r.scenario.seed);
    let _ = writeln!(md, "| clock | {} |", r.clock);
    if let Some(info) = &r.virtual_time {
        let _ = writeln!(
            md,
            "| virtual time | {:.1} simulated s in {:.2} wall s ({:.0}x), event-log hash `{}`, replay: `{}` |",
            info.simulated_s, info.wall_s, info.speedup, info.event_log_hash, info.replay
        );
    }
    let _ = writeln!(md, "| model / tracking | {} / {} |", load.model, load.track);
    let _ = writeln!(
        md,
        "| duration (warm-up) | {:.1} s ({:.1} s) |",
        load.duration_s, load.warmup_s
    );
    let _ = writeln!(
        md,
        "| rate achieved / target | {:.1}/s / {target} |",
        load.achieved_rate_per_s
    );
    let _ = writeln!(
        md,
        "| sends late / dropped | {} / {} |{}",
        load.late_sends,
        load.dropped_sends,
        if load.interrupted {
            "\n| interrupted | yes: Ctrl-C stopped the load early |"
        } else {
            ""
        }
    );
    if let (Some(cpu), Some(cores)) = (r.loadgen.cpu_s, r.loadgen.cpu_cores) {
        let _ = writeln!(md, "| loadgen CPU | {cpu:.1} s ({cores:.2} cores) |");
    }
    let _ = writeln!(md);
}

fn latency(md: &mut String, r: &RunReport) {
    let _ = writeln!(md, "### Latency (ms, from intended send)\n");
    let _ = writeln!(
        md,
        "| metric | count | p50 | p90 | p99 | p99.9 | max |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    let row = |md: &mut String, name: &str, p: &Percentiles| {
        let _ = writeln!(
            md,
            "| {name} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
            p.count, p.p50_ms, p.p90_ms, p.p99_ms, p.p999_ms, p.max_ms
        );
    };
    row(md, "submit", &r.latency.submit);
    row(md, "end-to-end", &r.latency.e2e);
    for (outcome, p) in &r.latency.e2e_by_outcome {
        row(md, &format!("e2e {outcome}"), p);
    }
    if r.latency.event_lag.count > 0 {
        row(md, "event delivery lag", &r.latency.event_lag);
    }
    if r.latency.cancel.count > 0 {
        row(md, "cancel", &r.latency.cancel);
    }
    for layer in crate::observe::timeline::LAYERS {
        if let Some(p) = r.latency.layers.get(layer) {
            row(md, &format!("in {layer} (sampled)"), p);
        }
    }
    let _ = writeln!(md);
    if r.latency.layers.is_empty() {
        let _ = writeln!(
            md,
            "Time per layer: not measured (the target answered no order timelines).\n"
        );
    }
}

fn outcomes(md: &mut String, r: &RunReport) {
    let o = &r.outcomes;
    let _ = writeln!(md, "### Outcomes\n");
    let _ = writeln!(
        md,
        "| tracked | completed | partial | failed | cancelled | rejected | open at end |\n|---:|---:|---:|---:|---:|---:|---:|"
    );
    let _ = writeln!(
        md,
        "| {} | {} | {} | {} | {} | {} | {} |\n",
        o.tracked, o.completed, o.partial, o.failed, o.cancelled, o.rejected, o.open_at_end
    );
    if !o.failure_codes.is_empty() {
        let codes: Vec<String> = o
            .failure_codes
            .iter()
            .map(|(code, count)| format!("{code} {count}"))
            .collect();
        let _ = writeln!(md, "Why orders failed: {}.\n", codes.join(", "));
    }
    let q = &r.requests;
    let _ = writeln!(
        md,
        "Requests: {} sent, {} acknowledged, error rate {:.2}%, shed (503/429) {} ({:.2}%), bad requests refused {} / accepted {}.",
        q.sent,
        q.acknowledged,
        q.http_error_rate * 100.0,
        q.shed,
        q.shed_rate * 100.0,
        q.bad_requests_refused,
        q.bad_requests_accepted
    );
    for e in &q.http_errors {
        let _ = writeln!(md, "- HTTP {} on {}: {}", e.status, e.request, e.count);
    }
    for (kind, count) in &q.transport_errors {
        let _ = writeln!(md, "- transport {kind}: {count}");
    }
    for example in &q.error_examples {
        let _ = writeln!(md, "- e.g. `{}`", example.replace('`', "'"));
    }
    let e = &r.events;
    let _ = writeln!(
        md,
        "\nEvents: {} received, {} terminal seen of {} expected, {} duplicates, {} early.\n",
        e.received, e.terminal_seen, e.terminal_expected, e.duplicates, e.early
    );
}

/// What the layers' retry policies cost and hid; nothing when no layer retried.
fn operations(md: &mut String, r: &RunReport) {
    if r.operations.is_empty() {
        return;
    }
    let headings = super::operations::HEADINGS;
    let _ = writeln!(md, "### Per operation\n\n| {} |", headings.join(" | "));
    let _ = writeln!(md, "|---|{}", "---:|".repeat(headings.len() - 1));
    for row in super::operations::rows(&r.operations) {
        let _ = writeln!(md, "| {} |", row.join(" | "));
    }
    let _ = writeln!(md);
}

fn retries(md: &mut String, r: &RunReport) {
    let retries = &r.chain.retries;
    if retries.values().all(|l| l.forward + l.compensation == 0) {
        return;
    }
    let _ = writeln!(
        md,
        "### Retries
"
    );
    let _ = writeln!(
        md,
        "| layer | forward retries | compensation retries | forward steps out of tries |\n|---|---:|---:|---:|"
    );
    for (layer, l) in retries {
        let (f, c, x) = (l.forward, l.compensation, l.forward_exhausted);
        let _ = writeln!(md, "| {layer} | {f} | {c} | {x} |");
    }
    let _ = writeln!(md);
}

fn correctness(md: &mut String, r: &RunReport) {
    let v = &r.verdict;
    let audit = match (v.audit.reachable, v.audit.ok) {
        (false, _) => format!("unreachable ({})", v.audit.error.as_deref().unwrap_or("?")),
        (true, Some(true)) => "ok".to_string(),
        (true, _) => format!("NOT ok, {} findings", v.audit.findings),
    };
    let o = &v.outside;
    let _ = writeln!(md, "### Correctness\n");
    let _ = writeln!(
        md,
        "- drained: {} (waited {:.1} s)",
        v.drained, v.drain_wait_s
    );
    let _ = writeln!(md, "- /admin/audit: {audit}");
    for line in &v.audit.summary {
        let _ = writeln!(md, "  - {line}");
    }
    let _ = writeln!(md, "- leaks: {}", r.leaks_text());
    if v.counts_agree == Some(true) {
        let _ = writeln!(md, "- outcome counts agree with the simulator's");
    }
    for note in super::notes::verdict_notes(r) {
        let _ = writeln!(md, "- {note}");
    }
    let _ = writeln!(
        md,
        "- outside checks: {} orders fetched, {} lost, {} no longer kept (retention), {} state mismatches, {} without terminal event, {} not terminal",
        o.orders_checked,
        o.lost_orders,
        o.evicted_orders,
        o.state_mismatches,
        o.events_missing,
        o.not_terminal
    );
    let _ = writeln!(
        md,
        "- inventory: {} ({} resources scanned, {} leaks)",
        if o.inventory_checked {
            "checked"
        } else {
            "not reachable"
        },
        o.resources_scanned,
        o.leaks
    );
    for example in &o.examples {
        let _ = writeln!(md, "  - {example}");
    }
    let _ = writeln!(md);
}

fn thresholds(md: &mut String, r: &RunReport) {
    if r.thresholds.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "### Thresholds\n\n| check | value | result |\n|---|---:|---|"
    );
    for t in &r.thresholds {
        let value = match &t.why {
            Some(why) => format!("{}: {why}", t.shown),
            None => t.shown.clone(),
        };
        let result = match t.result() {
            "FAIL" => "**FAIL**",
            other => other,
        };
        let _ = writeln!(md, "| `{}` | {value} | {result} |", t.label());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::RetryInfo;

    #[test]
    fn retries_table_appears_only_when_a_layer_retried() {
        let mut report = RunReport::default();
        report
            .chain
            .retries
            .insert("rom".into(), RetryInfo::default());
        assert!(!render(&report).contains("### Retries"));
        report.chain.retries.insert(
            "activation".into(),
            RetryInfo {
                forward: 12,
                compensation: 3,
                forward_exhausted: 1,
            },
        );
        let md = render(&report);
        assert!(md.contains("### Retries"), "{md}");
        assert!(md.contains("| activation | 12 | 3 | 1 |"), "{md}");
        assert!(md.contains("| rom | 0 | 0 | 0 |"), "{md}");
    }
}
