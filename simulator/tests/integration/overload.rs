//! Overload past saturation (issue 11): bursts into tiny inboxes must never wedge the chain.
//! Callers are shed at the edge (a `LimitExceeded` refusal, 503 over HTTP), every accepted
//! order ends, and the audit is clean. The clock is paused, so a wedged chain leaves every task
//! idle, tokio jumps to the wait's deadline and the test names the orders that never ended.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use crate::chain_support::StateChanges;
use crate::chain_support::{fibre, wait_terminal};

use proptest::prelude::*;
use simulator::config::SimConfig;
use simulator::domain::ids::ProductOrderId;
use simulator::layers::com::ComInput;
use simulator::layers::{Message, Reply};
use simulator::network::profile::Latency;
use simulator::runtime::Chain;
use tokio::sync::mpsc;

/// Submits `count` orders at once (each request a task, so inboxes see a burst) and returns
/// the ids of those accepted; refusals (a full inbox, an overloaded chain) are counted.
async fn burst(chain: &Chain, count: usize) -> (BTreeSet<ProductOrderId>, usize) {
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..count {
        let chain = chain.clone();
        requests.spawn(async move {
            chain
                .request(|reply| {
                    Message::Com(ComInput::Create {
                        reply,
                        order: fibre(),
                    })
                })
                .await
        });
    }
    let (mut accepted, mut refused) = (BTreeSet::new(), 0);
    while let Some(result) = requests.join_next().await {
        match result.expect("request task") {
            Ok(Reply::ProductOrder(order)) => {
                accepted.insert(order.id);
            }
            Ok(Reply::Rejected(_)) | Err(_) => refused += 1,
            Ok(other) => panic!("unexpected reply {other:?}"),
        }
    }
    (accepted, refused)
}

/// What one overload run saw.
struct Outcome {
    accepted: usize,
    refused: usize,
    shed: u64,
}

/// Sends `rounds` bursts of `burst_size` orders, `gap` apart, into a chain with `config`;
/// then waits until every accepted order ended and the chain settled, and audits it.
async fn overload(config: SimConfig, rounds: usize, burst_size: usize, gap: Duration) -> Outcome {
    let (sender, mut changes) = mpsc::unbounded_channel();
    let chain = Chain::start(config, Arc::new(StateChanges(sender))).expect("chain starts");
    let (mut accepted, mut refused) = (BTreeSet::new(), 0);
    for _ in 0..rounds {
        let (more, refusals) = burst(&chain, burst_size).await;
        accepted.extend(more);
        refused += refusals;
        tokio::time::sleep(gap).await;
    }
    let outcome = Outcome {
        accepted: accepted.len(),
        refused,
        shed: chain.stats().shed,
    };
    wait_terminal(&chain, &mut changes, accepted).await;
    let settled = tokio::time::timeout(Duration::from_secs(600), async {
        while chain.stats().timers_pending > 0 || !chain.settled() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(
        settled.is_ok(),
        "the chain never settled: {:?}",
        chain.stats()
    );
    let report = chain.audit();
    assert!(report.ok, "audit: {:#?}", report.findings);
    outcome
}

#[tokio::test(start_paused = true)]
async fn a_burst_into_tiny_inboxes_never_wedges_the_chain() {
    // Before inboxes stopped waiting on each other, 24 accepted orders never ended here: SOM
    // and ROM each waited on the other's full inbox.
    let mut config = SimConfig::default();
    config.limits.inbox_capacity = 4;
    config.profiles.default.latency = Latency::Fixed { ms: 1.0 };
    let outcome = overload(config, 50, 200, Duration::from_millis(2)).await;
    assert!(outcome.accepted >= 50, "only {} accepted", outcome.accepted);
    assert!(
        outcome.refused > 0,
        "a burst of 200 into 4-message inboxes must shed"
    );
    assert_eq!(
        outcome.shed,
        u64::try_from(outcome.refused).expect("fits"),
        "every refusal is counted as shed"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random bounds and rates: whatever the inbox capacity, timer bound, burst size and gap,
    /// every accepted order ends and the audit is clean.
    #[test]
    fn no_bound_or_rate_wedges_the_chain(
        inbox_capacity in 1usize..64,
        timers_max in 1usize..256,
        burst_size in 1usize..300,
        rounds in 1usize..8,
        gap_us in 0u64..5_000,
        latency_ms in 0.0f64..5.0,
        seed in any::<u64>(),
    ) {
        let mut config = SimConfig { seed, ..SimConfig::default() };
        config.limits.inbox_capacity = inbox_capacity;
        config.limits.timers_max = timers_max;
        config.profiles.default.latency = Latency::Fixed { ms: latency_ms };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("runtime");
        let outcome = runtime.block_on(overload(
            config,
            rounds,
            burst_size,
            Duration::from_micros(gap_us),
        ));
        prop_assert_eq!(outcome.accepted + outcome.refused, rounds * burst_size);
    }
}

#[tokio::test(start_paused = true)]
async fn over_http_a_shed_order_gets_503_retry_after_and_a_tmf_error_and_is_counted() {
    use crate::http_support::{TestApp, fast_config, fibre_order, validate_error};
    use axum::http::{Method, StatusCode, header};
    let mut config = fast_config();
    // One pending timer fills the chain: the first order's element call leaves it full.
    config.limits.timers_max = 1;
    let app = TestApp::start(config);
    let path = "/tmf-api/productOrderingManagement/v4/productOrder";
    let (first, _, _) = app
        .call(Method::POST, path, Some(fibre_order("first")))
        .await;
    assert_eq!(first, StatusCode::CREATED);
    // Let COM start the order so its first element call is pending on the timer.
    tokio::time::sleep(Duration::from_millis(1)).await;
    let (status, headers, body) = app
        .call(Method::POST, path, Some(fibre_order("second")))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(
        headers.get(header::RETRY_AFTER).map(|v| v.as_bytes()),
        Some(&b"1"[..])
    );
    validate_error(&body, 503);
    let (_, metrics) = app.get_ok("/metrics").await;
    let metrics = metrics.as_str().expect("text");
    assert!(
        metrics.contains("ordersim_requests_shed_total{layer=\"com\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("ordersim_inbox_depth_peak{layer=\"com\"}"),
        "{metrics}"
    );
}
