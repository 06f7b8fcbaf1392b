//! The terminal summary printed after a run: headline figures and the pass/fail table.

use std::fmt::Write;
use std::path::Path;

use crate::report::model::RunReport;

/// Renders the summary as plain text.
pub fn render(report: &RunReport, report_dir: &Path) -> String {
    let mut text = String::new();
    let load = &report.load;
    let o = &report.outcomes;
    let (submit, e2e) = (&report.latency.submit, &report.latency.e2e);
    let _ = writeln!(
        text,
        "scenario   {} (seed {}, {} clock)",
        report.scenario.name, report.scenario.seed, report.clock
    );
    let target = load
        .target_rate_per_s
        .map_or_else(String::new, |t| format!(" of {t:.1}/s target"));
    let _ = writeln!(
        text,
        "load       {:.1}/s achieved{target}, {} late, {} dropped{}",
        load.achieved_rate_per_s,
        load.late_sends,
        load.dropped_sends,
        if load.interrupted {
            " (interrupted by Ctrl-C: shorter than planned)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        text,
        "outcomes   {} tracked: {} completed, {} partial, {} failed, {} cancelled, {} rejected, {} open",
        o.tracked, o.completed, o.partial, o.failed, o.cancelled, o.rejected, o.open_at_end
    );
    let _ = writeln!(
        text,
        "latency    submit p50 {:.1} / p99 {:.1} ms; e2e p50 {:.1} / p99 {:.1} / max {:.1} ms",
        submit.p50_ms, submit.p99_ms, e2e.p50_ms, e2e.p99_ms, e2e.max_ms
    );
    if report.operations.len() > 1 {
        for row in crate::report::operations::rows(&report.operations) {
            let [name, sent, errors, _, e2e, _, outcomes] = row;
            let _ = writeln!(
                text,
                "  {name:<18} {sent:>7} sent, {errors} errors, e2e p50/p99 {e2e} ms; {outcomes}"
            );
        }
    }
    let lag = &report.latency.event_lag;
    if lag.count > 0 {
        let _ = writeln!(
            text,
            "events     delivery lag p50 {:.1} / p99 {:.1} / max {:.1} ms ({} events)",
            lag.p50_ms, lag.p99_ms, lag.max_ms, lag.count
        );
    }
    let audit = match report.verdict.audit.ok {
        Some(true) => "ok".to_string(),
        Some(false) => format!("{} findings", report.verdict.audit.findings),
        None => "unavailable".to_string(),
    };
    let outside = &report.verdict.outside;
    let _ = writeln!(
        text,
        "verdict    audit {audit}; {} lost, {} mismatched, leaks: {}",
        outside.lost_orders,
        outside.state_mismatches,
        report.leaks_text()
    );
    for note in crate::report::notes::verdict_notes(report) {
        let _ = writeln!(text, "           {note}");
    }
    if !report.thresholds.is_empty() {
        let _ = writeln!(text, "\n  {:<36} {:>12}  result", "threshold", "value");
        for t in &report.thresholds {
            let value = &t.shown;
            let _ = writeln!(text, "  {:<36} {value:>12}  {}", t.label(), t.result());
            if let Some(why) = &t.why {
                let _ = writeln!(text, "    ({why})");
            }
        }
    }
    let verdict = if report.passed { "PASS" } else { "FAIL" };
    let _ = writeln!(
        text,
        "\n{verdict}  report: {}",
        report_dir.join("report.html").display()
    );
    text
}
