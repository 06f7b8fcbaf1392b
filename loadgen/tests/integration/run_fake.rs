//! End-to-end runs of `loadgen::run` against the fake TMF server: the report's counts, the
//! report.json schema, the exit code for passing and failing thresholds, polling mode, and a
//! bad report path failing before any load is sent.

use crate::common;

const SCENARIO: &str = r#"
name = "fake-e2e"
seed = 11
[load]
rate = 200
duration = "1s"
cancel_delay = { distribution = "fixed", ms = 5.0 }
drain_timeout = "10s"
[load.mix]
add_fibre = 70
cancel = 10
duplicate_cancel = 5
bad_request = 15
[thresholds]
checks = ["failed_rate < 1%", "open_at_end == 0", "lost_orders == 0", "bad_requests_accepted == 0", "e2e_p99 < 10s", "leaks == 0"]
"#;

fn with_checks(checks: &str) -> String {
    let start = SCENARIO.find("checks").unwrap();
    format!("{}checks = [{checks}]\n", &SCENARIO[..start])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passing_run_counts_everything_and_exits_zero() {
    let fake = common::start(common::FakeOptions::default()).await;
    let dir = common::scratch("pass");
    let path = common::scenario(&dir, SCENARIO);
    let outcome = loadgen::run(common::options(path, &fake.url(), &dir))
        .await
        .unwrap();
    let report = &outcome.report;
    assert_eq!(
        outcome.exit_code(),
        0,
        "thresholds: {:?}",
        report.thresholds
    );
    assert_eq!(report.load.sends_scheduled, Some(200));
    assert_eq!(report.load.sends_started, 200);
    let by_kind: u64 = report.requests.by_kind.values().sum();
    assert_eq!(by_kind, 200);
    let bad = report
        .requests
        .by_kind
        .get("bad_request")
        .copied()
        .unwrap_or(0);
    assert!(bad > 0, "the mix should have drawn bad requests");
    assert_eq!(report.requests.bad_requests_refused, bad);
    assert_eq!(report.outcomes.tracked, 200 - bad);
    let o = &report.outcomes;
    assert_eq!(o.completed + o.cancelled, o.tracked, "{o:?}");
    let cancels = report.requests.by_kind.get("cancel").copied().unwrap_or(0)
        + report
            .requests
            .by_kind
            .get("duplicate_cancel")
            .copied()
            .unwrap_or(0);
    assert_eq!(o.cancelled, cancels);
    assert_eq!(o.open_at_end, 0);
    assert_eq!(report.events.terminal_seen, report.events.terminal_expected);
    // The fake repeats each completion; a repeat is a duplicate unless both came early.
    assert!(
        report.events.duplicates > 0
            && report.events.duplicates + report.events.early >= o.completed
    );
    assert_eq!(report.latency.e2e.count, o.tracked);
    assert_eq!(report.latency.submit.count, o.tracked);
    assert_eq!(report.verdict.audit.ok, Some(true));
    assert_eq!(
        report.verdict.counts_agree,
        Some(true),
        "{:?}",
        report.verdict.count_differences
    );
    assert_eq!(report.verdict.outside.lost_orders, 0);
    assert_eq!(report.verdict.outside.state_mismatches, 0);
    assert!(report.verdict.outside.orders_checked >= o.tracked.min(1_000));
    for file in [
        "report.json",
        "report.md",
        "report.html",
        "junit.xml",
        "series.csv",
        "submit.hgrm",
        "e2e.hgrm",
    ] {
        assert!(outcome.report_dir.join(file).is_file(), "{file} missing");
    }
    // The per-operation breakdown adds up to the whole.
    let operations = &report.operations;
    let sent: u64 = operations.values().map(|o| o.sent).sum();
    assert_eq!(sent, by_kind);
    let ended: u64 = operations.values().flat_map(|o| o.outcomes.values()).sum();
    assert_eq!(ended, o.tracked);
    assert_eq!(
        operations["cancel"].outcomes.get("cancelled"),
        Some(&report.requests.by_kind["cancel"])
    );
    assert_eq!(
        operations["add_fibre"].e2e.count,
        operations["add_fibre"].outcomes["completed"]
    );
    common::check_schema(&outcome.report_dir.join("report.json"));
    fake.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_threshold_exits_one() {
    let fake = common::start(common::FakeOptions::default()).await;
    let dir = common::scratch("fail");
    let checks = r#""e2e_p99 < 1us", "open_at_end == 0", "e2e_p99{op=add_fibre} < 1us", "failed_rate{op=cancel} == 0""#;
    let path = common::scenario(&dir, &with_checks(checks));
    let outcome = loadgen::run(common::options(path, &fake.url(), &dir))
        .await
        .unwrap();
    assert_eq!(outcome.exit_code(), 1);
    let results: Vec<(String, &str)> = outcome
        .report
        .thresholds
        .iter()
        .map(|t| (t.label(), t.result()))
        .collect();
    // The scenario's two, then the verdict's own checks on the metrics it left out.
    let expected = [
        ("e2e_p99 < 1us", "FAIL"),
        ("open_at_end == 0", "pass"),
        ("e2e_p99{op=add_fibre} < 1us", "FAIL"),
        ("failed_rate{op=cancel} == 0", "pass"),
        ("audit_findings == 0 (implicit)", "pass"),
        ("count_differences == 0 (implicit)", "pass"),
        ("lost_orders == 0 (implicit)", "pass"),
        ("state_mismatches == 0 (implicit)", "pass"),
        ("leaks == 0 (implicit)", "pass"),
    ];
    let expected: Vec<(String, &str)> = expected
        .iter()
        .map(|(check, result)| (check.to_string(), *result))
        .collect();
    assert_eq!(results, expected);
    let markdown = std::fs::read_to_string(outcome.report_dir.join("report.md")).unwrap();
    assert!(markdown.contains("**FAIL**"));
    assert!(markdown.contains("### Per operation"));
    let junit = std::fs::read_to_string(outcome.report_dir.join("junit.xml")).unwrap();
    assert!(junit.contains("failures=\"2\""), "{junit}");
    fake.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_finds_the_same_outcomes() {
    let fake = common::start(common::FakeOptions::default()).await;
    let dir = common::scratch("poll");
    let path = common::scenario(&dir, SCENARIO);
    let mut options = common::options(path, &fake.url(), &dir);
    options.track = Some(loadgen::plan::scenario::Track::Poll);
    options.rate_per_s = Some(100.0);
    let outcome = loadgen::run(options).await.unwrap();
    let o = &outcome.report.outcomes;
    assert_eq!(outcome.report.load.track, "poll");
    assert!(
        outcome.report.events.received >= o.tracked,
        "each order is seen by a poll"
    );
    assert_eq!(o.completed + o.cancelled, o.tracked);
    assert_eq!(o.open_at_end, 0);
    assert_eq!(outcome.exit_code(), 0, "{:?}", outcome.report.thresholds);
    fake.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_report_path_fails_before_the_load() {
    let dir = common::scratch("badpath");
    let path = common::scenario(&dir, SCENARIO);
    let blocker = dir.join("not-a-dir");
    std::fs::write(&blocker, "a file").unwrap();
    // No server at all: the folder error must come first.
    let mut options = common::options(path, "http://127.0.0.1:9", &dir);
    options.out = blocker.join("reports");
    let error = loadgen::run(options).await.unwrap_err();
    assert!(format!("{error:#}").contains("report folder"), "{error:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_target_is_an_error_not_a_report() {
    let dir = common::scratch("unreachable");
    let path = common::scenario(&dir, SCENARIO);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let error = loadgen::run(common::options(path, &url, &dir))
        .await
        .unwrap_err();
    let error = format!("{error:#}");
    assert!(error.contains("does not answer"), "{error}");
    assert!(
        error.contains(&format!("is the simulator running at {url}?")),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_without_a_scheme_is_refused_with_the_fix() {
    let dir = common::scratch("no-scheme");
    let path = common::scenario(&dir, SCENARIO);
    let error = loadgen::run(common::options(path, "localhost:19201", &dir))
        .await
        .unwrap_err();
    let error = format!("{error:#}");
    assert!(
        error.contains("give the target as `http://localhost:19201`"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_prints_the_table_and_exits_with_the_verdict() {
    let fake = common::start(common::FakeOptions::default()).await;
    let dir = common::scratch("binary");
    let binary = env!("CARGO_BIN_EXE_loadgen");
    let run = |checks: &str, out: &str| {
        let path = dir.join(format!("{out}.toml"));
        std::fs::write(&path, with_checks(checks)).unwrap();
        tokio::process::Command::new(binary)
            .arg("run")
            .arg(&path)
            .args([
                "--target",
                &fake.url(),
                "--rate",
                "50",
                "--duration",
                "1s",
                "--seed",
                "4",
            ])
            .arg("--out")
            .arg(dir.join(out))
            .output()
    };
    let passing = run(r#""open_at_end == 0""#, "pass").await.unwrap();
    let stdout = String::from_utf8_lossy(&passing.stdout);
    assert_eq!(passing.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("open_at_end == 0") && stdout.contains("pass"),
        "{stdout}"
    );
    assert!(stdout.contains("seed 4"), "{stdout}");
    let failing = run(r#""e2e_max < 1us""#, "fail").await.unwrap();
    assert_eq!(failing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failing.stdout).contains("FAIL"));
    let broken = tokio::process::Command::new(binary)
        .args(["run", "no-such-scenario.toml", "--quiet"])
        .output()
        .await
        .unwrap();
    assert_eq!(broken.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("no-such-scenario.toml"));
    fake.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_users_wait_for_each_order_and_warmup_is_excluded() {
    let fake = common::start(common::FakeOptions::default()).await;
    let dir = common::scratch("closed");
    let text = r#"
name = "closed"
[load]
model = "closed"
users = 4
think_time = "5ms"
duration = "1s"
orders = 40
[load.mix]
add_fibre = 1
[thresholds]
checks = ["open_at_end == 0"]
"#;
    let outcome = loadgen::run(common::options(
        common::scenario(&dir, text),
        &fake.url(),
        &dir,
    ))
    .await
    .unwrap();
    let report = &outcome.report;
    assert_eq!(report.load.model, "closed");
    assert_eq!(report.load.users, Some(4));
    assert_eq!(
        report.outcomes.completed, 40,
        "the order budget stops the users"
    );
    assert_eq!(outcome.exit_code(), 0);

    // Open model, 1 s at 100/s with 0.5 s warm-up: the first 50 sends are not measured.
    let dir = common::scratch("warmup");
    let text = SCENARIO.replace("duration = \"1s\"", "duration = \"1s\"\nwarmup = \"500ms\"");
    let mut options = common::options(common::scenario(&dir, &text), &fake.url(), &dir);
    options.rate_per_s = Some(100.0);
    let outcome = loadgen::run(options).await.unwrap();
    let report = &outcome.report;
    assert_eq!(report.load.sends_started, 100);
    assert_eq!(report.requests.by_kind.values().sum::<u64>(), 50);
    assert_eq!(report.events.terminal_expected, report.events.terminal_seen);
    assert!((report.load.target_rate_per_s.unwrap() - 100.0).abs() < 1e-6);
    fake.stop();
}

/// Output that is not a terminal (here a pipe, as in CI) gets a plain progress line every
/// `--progress-every`: a 1 s run with 200 ms between lines prints at least one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_output_is_not_a_terminal_prints_progress_lines() {
    let fake = common::start(common::FakeOptions::default()).await;
    let dir = common::scratch("progress");
    let path = common::scenario(&dir, &with_checks(r#""open_at_end == 0""#));
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .arg("run")
        .arg(&path)
        .args(["--target", &fake.url(), "--progress-every", "200ms"])
        .arg("--out")
        .arg(dir.join("out"))
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr.lines().find(|line| line.starts_with("progress "));
    let line = line.unwrap_or_else(|| panic!("no progress line in {stderr}"));
    assert!(
        line.contains("/1s: ") && line.contains("completed"),
        "{line}"
    );
}

/// Ctrl-C (SIGINT) during the load stops sending, drains, writes the report (which says it
/// was interrupted) and prints the summary, and exits 130. The signal is sent once the first
/// progress line shows the load is under way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_the_load_writes_the_report_and_exits_130() {
    use tokio::io::AsyncBufReadExt;
    let fake = common::start(common::FakeOptions::default()).await;
    let dir = common::scratch("interrupt");
    let long =
        with_checks(r#""open_at_end == 0""#).replace("duration = \"1s\"", "duration = \"5m\"");
    let path = common::scenario(&dir, &long);
    let out = dir.join("out");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .arg("run")
        .arg(&path)
        .args(["--target", &fake.url(), "--progress-every", "100ms"])
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stderr).lines();
    while let Some(line) = lines.next_line().await.unwrap() {
        if line.starts_with("progress ") {
            break;
        }
    }
    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let output = child.wait_with_output().await.unwrap();
    assert_eq!(output.status.code(), Some(130));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("interrupted by Ctrl-C"), "{stdout}");
    let folder = std::fs::read_dir(&out)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["load"]["interrupted"], true);
    assert!(report["load"]["duration_s"].as_f64().unwrap() < 300.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_whose_terminal_event_is_lost_are_resolved_by_get_not_left_open() {
    let fake = common::start(common::FakeOptions {
        lose_terminal_every: 10,
        ..common::FakeOptions::default()
    })
    .await;
    let dir = common::scratch("lost-events");
    let text = r#"
name = "lost-events"
seed = 5
[load]
rate = 100
duration = "1s"
drain_timeout = "1s"
[load.mix]
add_fibre = 100
[thresholds]
checks = ["lost_orders == 0", "event_lag_p99 < 10s"]
"#;
    let path = common::scenario(&dir, text);
    let outcome = loadgen::run(common::options(path, &fake.url(), &dir))
        .await
        .unwrap();
    let report = &outcome.report;
    let outside = &report.verdict.outside;
    // POSTs 0, 10, … 90 completed without an event.
    assert_eq!(report.outcomes.open_at_end, 10, "{:?}", report.outcomes);
    assert_eq!(outside.events_missing, 10);
    assert_eq!(outside.ended_by_state.get("completed"), Some(&10));
    assert_eq!((outside.not_terminal, outside.open_unresolved), (0, 0));
    // Every other event was timed: delivery lag is its own measurement.
    assert!(
        report.latency.event_lag.count >= 90,
        "{:?}",
        report.latency.event_lag
    );
    assert_eq!(outcome.exit_code(), 0, "{:?}", report.thresholds);
    let summary = loadgen::report::summary::render(report, &dir);
    assert!(
        summary.contains("10 ended at the target, event late or lost (10 completed); 0 still open"),
        "{summary}"
    );
    assert!(summary.contains("delivery lag p50"), "{summary}");
    fake.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tmf622_server_without_operator_endpoints_is_driven_and_nothing_unmeasured_passes() {
    let fake = common::start(common::FakeOptions {
        foreign: true,
        ..common::FakeOptions::default()
    })
    .await;
    let dir = common::scratch("foreign");
    let text = r#"
name = "foreign"
seed = 9
[profiles.default]
latency = { distribution = "fixed", ms = 1.0 }
[load]
rate = 50
duration = "1s"
drain_timeout = "5s"
[load.mix]
add_fibre = 100
[thresholds]
checks = ["open_at_end == 0", "leaks == 0"]
optional = ["retries < 10"]
"#;
    let path = common::scenario(&dir, text);
    let outcome = loadgen::run(common::options(path, &fake.url(), &dir))
        .await
        .expect("no /health is needed");
    let report = &outcome.report;
    assert_eq!(report.outcomes.completed, 50);
    assert_eq!(report.target.not_applied, ["[profiles]"]);
    let summary = loadgen::report::summary::render(report, &dir);
    assert!(summary.contains("not applied to the target"), "{summary}");
    assert!(!report.verdict.audit.reachable);
    assert_eq!(report.leaks(), None);
    let result = |check: &str| {
        let found = report.thresholds.iter().find(|t| t.check == check);
        found.map(|t| (t.result(), t.why.clone().unwrap_or_default()))
    };
    assert_eq!(result("open_at_end == 0").map(|r| r.0), Some("pass"));
    let (leaks, why) = result("leaks == 0").expect("leaks evaluated");
    assert_eq!(leaks, "FAIL");
    assert!(
        why.contains("no resource inventory could be scanned"),
        "{why}"
    );
    assert_eq!(result("retries < 10").map(|r| r.0), Some("skip"));
    // The implicit audit check is skipped, not passed: the audit never answered.
    assert_eq!(result("audit_findings == 0").map(|r| r.0), Some("skip"));
    assert_eq!(outcome.exit_code(), 1);
    let markdown = std::fs::read_to_string(outcome.report_dir.join("report.md")).unwrap();
    assert!(
        markdown.contains("not measured: the audit did not answer"),
        "{markdown}"
    );
    fake.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failure_codes_add_up_to_failed_orders_even_when_every_event_comes_first() {
    let fake = common::start(common::FakeOptions {
        fail_every: 3,
        events_before_answer: true,
        ..common::FakeOptions::default()
    })
    .await;
    let dir = common::scratch("codes");
    let text = r#"
name = "codes"
seed = 4
[load]
rate = 90
duration = "1s"
drain_timeout = "5s"
[load.mix]
add_fibre = 100
"#;
    let path = common::scenario(&dir, text);
    let outcome = loadgen::run(common::options(path, &fake.url(), &dir))
        .await
        .unwrap();
    let report = &outcome.report;
    // POSTs 0, 3, … 87 fail: 30 of 90; every terminal event arrived before its POST answered.
    assert_eq!(report.outcomes.failed, 30, "{:?}", report.outcomes);
    assert!(report.events.early >= 90, "{:?}", report.events);
    let codes = &report.outcomes.failure_codes;
    assert_eq!(codes.get("elementDown"), Some(&30), "{codes:?}");
    assert_eq!(
        codes.values().sum::<u64>(),
        report.outcomes.failed + report.outcomes.partial
    );
    fake.stop();
}
