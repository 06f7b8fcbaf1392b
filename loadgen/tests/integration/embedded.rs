//! `loadgen run` against the embedded simulator (no `--target`): counts, the audit verdict,
//! the outcome counts against the simulator's own, and the exit code for a passing and a
//! failing threshold.

use crate::common;

const SCENARIO: &str = r#"
name = "embedded-e2e"
seed = 5
[profiles.default]
latency = { distribution = "fixed", ms = 1.0 }
[load]
rate = 50
duration = "2s"
cancel_delay = { distribution = "fixed", ms = 0.0 }
drain_timeout = "20s"
[load.mix]
add_fibre = 60
add_dsl = 10
add_voip = 10
add_bundle = 10
cancel = 5
bad_request = 5
[thresholds]
checks = ["open_at_end == 0", "lost_orders == 0", "leaks == 0", "audit_findings == 0", "bad_requests_accepted == 0", "e2e_p99 < 10s"]
"#;

async fn run_embedded(name: &str, text: &str) -> loadgen::RunOutcome {
    let dir = common::scratch(name);
    let mut options = loadgen::RunOptions::new(common::scenario(&dir, text));
    options.out = dir.join("reports");
    options.quiet = true;
    loadgen::run(options).await.expect("the run completes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_run_against_the_embedded_simulator() {
    let outcome = run_embedded("embedded-pass", SCENARIO).await;
    let report = &outcome.report;
    assert!(report.target.embedded);
    assert_eq!(report.load.sends_started, 100);
    let by_kind: u64 = report.requests.by_kind.values().sum();
    assert_eq!(by_kind, 100);
    let o = &report.outcomes;
    assert_eq!(
        o.tracked + report.requests.bad_requests_refused,
        100,
        "{:?}",
        report.requests
    );
    assert_eq!(
        o.completed + o.partial + o.failed + o.cancelled + o.rejected + o.open_at_end,
        o.tracked
    );
    assert!(o.completed > 0);
    assert_eq!(
        report.verdict.audit.ok,
        Some(true),
        "{:?}",
        report.verdict.audit
    );
    assert_eq!(outcome.exit_code(), 0, "{:?}", report.thresholds);

    let failing = SCENARIO.replace("\"e2e_p99 < 10s\"", "\"e2e_p99 < 1us\"");
    let outcome = run_embedded("embedded-fail", &failing).await;
    assert_eq!(outcome.exit_code(), 1);
}
