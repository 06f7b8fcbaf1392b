//! `loadgen compare`: variant parsing (good and bad input, with file and line), and a short
//! end-to-end comparison of an async and a sync chain on embedded simulators, whose
//! `report.json` is checked against `loadgen/compare.schema.json`.

use crate::common;
use serde_json::Value;

const BASE: &str = r#"
name = "tiny-compare"
seed = 9
[chain]
workers = 2
call_timeout_ms = 5000
[profiles.default]
latency = { distribution = "fixed", ms = 2.0 }
[profiles.activate]
latency = { distribution = "fixed", ms = 40.0 }
[load]
rate = 20
duration = "2s"
drain_timeout = "30s"
request_timeout = "30s"
[load.mix]
add_fibre = 1
[thresholds]
checks = ["open_at_end == 0", "leaks == 0", "audit_findings == 0"]
"#;

const VARIANTS: &str = r#"
[[variants]]
name = "async"
chain = { mode = "async" }

[[variants]]
name = "sync"
description = "waiting calls"
chain = { mode = "sync", workers = 3 }
profiles.activate = { latency = { distribution = "fixed", ms = 50.0 } }
"#;

fn parse(text: &str) -> Result<loadgen::plan::scenario::Scenario, String> {
    loadgen::plan::scenario::parse(text, "v.toml", "v").map_err(|e| e.to_string())
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn variants_parse_and_merge_into_the_simulator_sections() {
    let text = format!("{BASE}{VARIANTS}");
    let scenario = parse(&text).unwrap();
    let names: Vec<&str> = scenario.variants.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["async", "sync"]);
    let sync = &scenario.variants[1];
    assert_eq!(sync.line, line_of(&text, "name = \"sync\""));
    let merged = sync.apply(&scenario.simulator);
    assert_eq!(merged["chain"]["mode"].as_str(), Some("sync"));
    assert_eq!(merged["chain"]["workers"].as_integer(), Some(3));
    assert_eq!(merged["chain"]["call_timeout_ms"].as_integer(), Some(5000));
    let config = simulator::config::SimConfig::from_toml_str(
        &loadgen::plan::variant::simulator_text(&merged),
        "merged",
    )
    .unwrap();
    assert_eq!(config.chain.workers, 3);
    assert!(
        sync.override_lines()
            .contains(&"chain.mode = \"sync\"".to_string())
    );
    // The simulator reads the file without the variants, at the same lines.
    assert!(!scenario.text.contains("variants"));
    assert_eq!(scenario.text.lines().count(), text.lines().count());
    simulator::config::SimConfig::from_toml_str(&scenario.text, "base").unwrap();
}

#[test]
fn bad_variants_name_the_file_and_the_line() {
    let cases = [
        (
            "[[variants]]\nname = \"x\"\nchian = { mode = \"sync\" }\n",
            "chian",
            "chian",
        ),
        (
            "[[variants]]\nname = \"x\"\nchain = { mode = \"sideways\" }\n",
            "sideways",
            "sideways",
        ),
        (
            "[[variants]]\nname = \"x\"\nchain = { wokers = 3 }\n",
            "wokers",
            "wokers",
        ),
        (
            "[[variants]]\nname = \"a b\"\n",
            "name = \"a b\"",
            "variant name",
        ),
        (
            "[[variants]]\nname = \"x\"\n[[variants]]\nname = \"x\"\n",
            "[[variants]]\nname = \"x\"\n[[variants]]\nname",
            "declared twice",
        ),
        (
            "[[variants]]\ndescription = \"no name\"\n",
            "[[variants]]",
            "name",
        ),
    ];
    for (variants, at, says) in cases {
        let text = format!("{BASE}{variants}");
        let error = parse(&text).expect_err(variants);
        assert!(error.starts_with("v.toml:"), "{error}");
        assert!(error.contains(says), "{variants}: {error}");
        let line: usize = error.split(':').nth(1).unwrap().parse().unwrap();
        let first = at.lines().next().unwrap();
        let expected = if says == "declared twice" {
            text.lines()
                .collect::<Vec<_>>()
                .iter()
                .rposition(|l| l.contains("name = \"x\""))
                .unwrap()
                + 1
        } else {
            line_of(&text[BASE.len()..], first) + BASE.lines().count()
        };
        assert!(
            line == expected || line + 1 == expected || line == expected + 1,
            "{variants}: error at line {line}, expected about {expected}: {error}"
        );
    }
}

fn check_schema(report: &Value) {
    let schema_path = concat!(env!("CARGO_MANIFEST_DIR"), "/compare.schema.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema is valid");
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "report.json does not match: {errors:#?}");
    let mut broken = report.clone();
    broken["variants"][0]["summary"]
        .as_object_mut()
        .unwrap()
        .remove("completed_per_s");
    assert!(!validator.is_valid(&broken), "the schema is vacuous");
    // Each variant's run report follows the single-run schema.
    let run_schema_path = concat!(env!("CARGO_MANIFEST_DIR"), "/report.schema.json");
    let run_schema: Value =
        serde_json::from_str(&std::fs::read_to_string(run_schema_path).unwrap()).unwrap();
    let run_validator = jsonschema::validator_for(&run_schema).unwrap();
    for variant in report["variants"].as_array().unwrap() {
        let errors: Vec<String> = run_validator
            .iter_errors(&variant["run"])
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "run report does not match: {errors:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_runs_every_variant_and_writes_one_report() {
    let dir = common::scratch("compare-e2e");
    let path = common::scenario(&dir, &format!("{BASE}{VARIANTS}"));
    let mut options = loadgen::RunOptions::new(path);
    options.out = dir.join("reports");
    options.quiet = true;
    let outcome = loadgen::compare(options)
        .await
        .expect("the comparison runs");
    assert_eq!(
        outcome.exit_code(),
        0,
        "{:#?}",
        outcome.report.variants[1].run.verdict
    );
    let folder = outcome
        .report_dir
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(folder.starts_with("tiny-compare-compare-"), "{folder}");
    for file in ["report.json", "report.md", "report.html", "sync-e2e.hgrm"] {
        assert!(outcome.report_dir.join(file).exists(), "{file} missing");
    }
    let report = &outcome.report;
    let names: Vec<&str> = report.variants.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["async", "sync"]);
    for variant in &report.variants {
        assert_eq!(variant.summary.tracked, 40, "{}", variant.name);
        assert_eq!(variant.run.outcomes.completed, 40, "{}", variant.name);
        assert_eq!(variant.run.scenario.seed, 9);
        assert_eq!(
            variant.run.chain.mode.as_deref(),
            Some(variant.chain.mode.as_str())
        );
        assert!(
            !variant.run.chain.workers.is_empty(),
            "{}: no worker samples",
            variant.name
        );
        assert!(
            variant.summary.breakdown_sampled > 0,
            "{}: no timelines",
            variant.name
        );
    }
    let (async_run, sync_run) = (&report.variants[0], &report.variants[1]);
    assert_eq!(sync_run.chain.workers, 3);
    // Async acknowledges at once; sync answers after the chain, which includes a 50 ms
    // activation, so every sync POST took at least that long.
    assert!(
        async_run.summary.submit.p50_ms < 40.0,
        "{:?}",
        async_run.summary.submit
    );
    assert!(
        sync_run.summary.submit.p50_ms >= 50.0,
        "{:?}",
        sync_run.summary.submit
    );
    assert!(
        sync_run.summary.submit.p50_ms >= 0.9 * sync_run.summary.e2e.p50_ms,
        "sync submit {:?} vs e2e {:?}",
        sync_run.summary.submit,
        sync_run.summary.e2e
    );
    let activation = sync_run.summary.breakdown_median_ms["activation"];
    assert!(
        (45.0..200.0).contains(&activation),
        "activation {activation} ms"
    );
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(outcome.report_dir.join("report.json")).unwrap(),
    )
    .unwrap();
    check_schema(&json);
    let html = std::fs::read_to_string(outcome.report_dir.join("report.html")).unwrap();
    assert!(html.matches("<svg").count() >= 5, "charts missing");
    // The charts' own inline script, and nothing fetched.
    assert_eq!(html.matches("<script").count(), 1);
    assert!(!html.contains("src=") && !html.contains("<link"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_refuses_an_external_target_and_a_failing_threshold_exits_1() {
    let dir = common::scratch("compare-exit");
    let text = format!("{BASE}{VARIANTS}").replace("\"leaks == 0\"", "\"e2e_p99 < 1ms\"");
    let path = common::scenario(&dir, &text);
    let mut options = loadgen::RunOptions::new(path);
    options.out = dir.join("reports");
    options.quiet = true;
    options.duration = Some(std::time::Duration::from_millis(500));
    let mut external = options.clone();
    external.target = Some("http://127.0.0.1:9".into());
    assert!(loadgen::compare(external).await.is_err());
    let outcome = loadgen::compare(options).await.unwrap();
    assert_eq!(outcome.exit_code(), 1);
    assert!(!outcome.report.passed);
}
