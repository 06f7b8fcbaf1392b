//! Coordinated omission: a server that stalls must show up in the measured percentiles.
//!
//! The fake server holds order POSTs number 50..150 on a barrier until the 150th arrives.
//! At 200 sends/s that is a stall of about half a second, driven by loadgen's own schedule
//! (no sleeps in the test). Latency is measured from the intended send instant, so the held
//! requests (a quarter of the run) carry their waiting time, and p99 comes out near the stall
//! length, not near the few milliseconds an unstalled request takes.
//!
//! Only bounds the barrier guarantees are asserted: request 50 cannot be answered before
//! request 150's intended instant, 500 ms after its own, however loaded the machine is. Upper
//! bounds (a small median, a max near the stall) depend on the machine's load and made this
//! test flaky on shared CI machines, so they are printed, not asserted.

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
        ..common::FakeOptions::default()
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
    // The median request was not held, but how fast it was depends on the machine.
    println!(
        "p50 {} ms, p99 {} ms, max {} ms",
        submit.p50_ms, submit.p99_ms, submit.max_ms
    );
    // Request k of the held ones waited at least (150 - k) / 200 s: the 40 slowest (p90) all
    // waited at least 300 ms. Measured from the actual send, a closed-loop sender would see less.
    assert!(submit.p90_ms > 0.55 * stall_ms, "p90 {} ms", submit.p90_ms);
    assert_eq!(outcome.report.load.dropped_sends, 0);
    assert_eq!(outcome.report.outcomes.completed, 400);
    fake.stop();
}
