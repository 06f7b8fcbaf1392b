//! Virtual-time runs: the same seed gives the same event-log hash, another seed another hash;
//! a sweep names the seeds that fail and replaying one reproduces it; and the outcome rates
//! agree with a real-time run of the same scenario.

use std::path::PathBuf;

use loadgen::RunOptions;
use loadgen::drive::virtual_time;
use loadgen::plan::scenario;

const SCENARIO: &str = r#"
name = "virtual-test"
seed = 7

[profiles.default]
latency = { distribution = "lognormal", median_ms = 5.0, sigma = 0.5 }
failure_probability = 0.02

[load]
model = "open"
rate = 50
duration = "6s"
warmup = "1s"
drain_timeout = "10s"
cancel_delay = { distribution = "uniform", min_ms = 0.0, max_ms = 30.0 }

[load.mix]
add_fibre = 60
add_dsl = 15
add_bundle = 10
cancel = 10
bad_request = 5

[thresholds]
checks = ["open_at_end == 0", "audit_findings == 0"]
"#;

fn write_scenario(name: &str, text: &str) -> PathBuf {
    let directory =
        std::env::temp_dir().join(format!("loadgen-virtual-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&directory).expect("temp dir");
    let path = directory.join(format!("{name}.toml"));
    std::fs::write(&path, text).expect("write scenario");
    path
}

fn hash_of(path: &std::path::Path, seed: u64) -> (u64, u64) {
    let mut scenario = scenario::load(path).expect("scenario");
    scenario.seed = seed;
    let run = virtual_time::run(&scenario, None, None).expect("run");
    (run.log.hash, run.log.count)
}

#[test]
fn the_same_seed_gives_the_same_event_log_and_another_seed_another() {
    let path = write_scenario("determinism", SCENARIO);
    let first = hash_of(&path, 7);
    assert!(first.1 > 1_000, "a real run: {} events", first.1);
    assert_eq!(first, hash_of(&path, 7));
    assert_ne!(first.0, hash_of(&path, 8).0);
}

#[test]
fn a_sweep_names_failing_seeds_and_a_replay_reproduces_the_failure() {
    // Elements slower than the drain allows: every seed ends with orders still open.
    let failing = SCENARIO
        .replace("median_ms = 5.0", "median_ms = 20000.0")
        .replace("drain_timeout = \"10s\"", "drain_timeout = \"1s\"")
        .replace(
            "[load]",
            "[chain]\nelement_timeout_ms = 60000\nliveness_bound_ms = 120000\n\n[load]",
        );
    let path = write_scenario("failing", &failing);
    let outcome = loadgen::drive::sweep::sweep(&path, 3..=4, |_, _| {}).expect("sweep");
    assert_eq!(outcome.seeds, 2);
    let seeds: Vec<u64> = outcome.failed.iter().map(|failed| failed.seed).collect();
    assert_eq!(seeds, [3, 4]);
    assert!(
        outcome.failed[0].replay.contains("--virtual-time --seed 3"),
        "{}",
        outcome.failed[0].replay
    );
    let mut scenario = scenario::load(&path).expect("scenario");
    scenario.seed = 3;
    let first = virtual_time::run(&scenario, None, None).expect("run");
    let replay = virtual_time::run(&scenario, None, None).expect("replay");
    assert_eq!(first.log.hash, replay.log.hash);
    assert_eq!(first.open_at_end, replay.open_at_end);
    assert!(
        replay.open_at_end.values().sum::<u64>() > 0,
        "the failure is reproduced"
    );
}

#[test]
fn virtual_runs_report_fault_windows_and_sweeps_draw_varied_knobs() {
    let fault = "\n[[faults]]\nname = \"olt-down\"\nat = \"2s\"\nduration = \"2s\"\n\
                 target = \"olt:olt-north-1\"\nkind = { type = \"outage\" }\n\
                 vary = { at_s = [1.0, 3.0] }\n";
    let path = write_scenario("faults", &format!("{SCENARIO}{fault}"));
    let mut scenario = scenario::load(&path).expect("scenario");
    let plain = virtual_time::run(&scenario, None, None).expect("run");
    let window = &plain.faults[0];
    assert_eq!(window.name, "olt-down");
    assert!(window.applied);
    assert_eq!(window.start_s, 2.0, "declared values without --vary-faults");
    assert!(window.calls_affected > 0, "{window:?}");
    assert!(!window.orders_hit.is_empty(), "{window:?}");
    assert!(window.orders_hit.iter().all(|o| !o.state.is_empty()));
    let hit: u64 = window.orders_hit_by_state.values().sum();
    assert_eq!(hit, window.orders_hit.len() as u64);

    scenario.vary_faults = true;
    let starts: Vec<f64> = (1..=4)
        .map(|seed| {
            scenario.seed = seed;
            let run = virtual_time::run(&scenario, None, None).expect("run");
            run.faults[0].start_s
        })
        .collect();
    assert!(starts.iter().all(|s| (1.0..=3.0).contains(s)), "{starts:?}");
    assert!(starts.windows(2).any(|w| w[0] != w[1]), "{starts:?}");
    let outcome = loadgen::drive::sweep::sweep(&path, 1..=2, |_, _| {}).expect("sweep");
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
}

#[test]
fn deleted_products_are_not_offered_again() {
    // Half the orders cease a product: each must name a product still in service.
    let text = SCENARIO
        .replace(
            "add_dsl = 15\nadd_bundle = 10\ncancel = 10\nbad_request = 5",
            "delete = 40",
        )
        .replace("failure_probability = 0.02", "failure_probability = 0.0");
    let path = write_scenario("deletes", &text);
    let scenario = scenario::load(&path).expect("scenario");
    let run = virtual_time::run(&scenario, None, None).expect("run");
    assert!(
        run.metrics.http_status.is_empty(),
        "deletes refused: {:?}",
        run.metrics.http_status
    );
    assert!(run.metrics.sent_by_kind.get("delete").copied().unwrap_or(0) > 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn virtual_outcome_rates_agree_with_a_real_time_run() {
    let path = write_scenario("agreement", SCENARIO);
    let out = std::env::temp_dir().join(format!("loadgen-virtual-reports-{}", std::process::id()));
    let mut options = RunOptions::new(&path);
    options.out = out.clone();
    options.quiet = true;
    let real = loadgen::run(options.clone()).await.expect("real run");
    options.virtual_time = true;
    options.check_determinism = true;
    let simulated = loadgen::run(options).await.expect("virtual run");
    assert_eq!(simulated.report.clock, "virtual");
    assert_eq!(real.report.clock, "wall");
    let info = simulated
        .report
        .virtual_time
        .as_ref()
        .expect("virtual info");
    assert_eq!(info.deterministic, Some(true));
    assert!(
        simulated
            .files
            .iter()
            .any(|file| file.ends_with("history.jsonl"))
    );
    for outcome in ["completed", "failed", "cancelled"] {
        let (a, b) = (
            real.report.outcomes.rates[outcome],
            simulated.report.outcomes.rates[outcome],
        );
        // About 300 orders each: a few percentage points of sampling noise either way.
        assert!(
            (a - b).abs() < 0.08,
            "{outcome}: real {a:.3} vs virtual {b:.3}"
        );
    }
    assert!(
        simulated.report.verdict.audit.ok == Some(true)
            && real.report.verdict.audit.ok == Some(true)
    );
    // One report assembly: the schedule's figures are computed by the same rules.
    let (real_load, virtual_load) = (&real.report.load, &simulated.report.load);
    assert_eq!(real_load.sends_scheduled, virtual_load.sends_scheduled);
    assert_eq!(real_load.target_rate_per_s, virtual_load.target_rate_per_s);
    // Both compare what they saw end with the audit's counts, and agree.
    assert_eq!(real.report.verdict.counts_agree, Some(true));
    assert_eq!(simulated.report.verdict.counts_agree, Some(true));
    let _ = std::fs::remove_dir_all(out);
}
