//! Coordinated omission: a server that stalls must show up in the measured percentiles.
//!
//! The fake server holds order POSTs number 50..150 on a barrier until the 150th arrives.
//! At 200 sends/s that is a stall of about half a second, driven by loadgen's own schedule
//! (no sleeps in the test). Latency is measured from the intended send instant, so the held
//! requests (a quarter of the run) carry their waiting time, and p99 comes out near the stall
//! length, not near the few milliseconds an unstalled request takes.

use crate::common;

const SCENARIO: &str = r#"
name = "stall"
seed = 3
[load]
rate = 200
duration = "2s"
drain_timeout = "10s"
[load.mix]
add_fibre = 1
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_raises_p99_to_about_the_stall() {
    let fake = common::start(common::FakeOptions {
        stall_from: 50,
        stall_count: 100,
    })
    .await;
    let dir = common::scratch("stall");
    let path = common::scenario(&dir, SCENARIO);
    let outcome = loadgen::run(common::options(path, &fake.url(), &dir))
        .await
        .unwrap();
    let submit = &outcome.report.latency.submit;
    assert_eq!(submit.count, 400);
    // 100 sends at 200/s: the first held request waited ~500 ms for the last to arrive.
    let stall_ms = 100.0 / 200.0 * 1_000.0;
    assert!(
        submit.p99_ms > 0.8 * stall_ms,
        "p99 {} ms should be near the {stall_ms} ms stall",
        submit.p99_ms
    );
    assert!(submit.max_ms < 4.0 * stall_ms, "max {} ms", submit.max_ms);
    // The stall is a quarter of the run: the median request was not held.
    assert!(submit.p50_ms < 0.5 * stall_ms, "p50 {} ms", submit.p50_ms);
    assert_eq!(outcome.report.load.dropped_sends, 0);
    assert_eq!(outcome.report.outcomes.completed, 400);
    fake.stop();
}
