//! The in-process real-time runtime: orders submitted through `Chain::request` reach a
//! terminal state, parents advancing on events, and the audit is clean afterwards.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use crate::chain_support::StateChanges;
use crate::chain_support::{fibre, wait_terminal};

use simulator::config::SimConfig;
use simulator::layers::com::ComInput;
use simulator::layers::{Message, Reply};
use simulator::runtime::Chain;
use tokio::sync::mpsc;

#[tokio::test(start_paused = true)]
async fn orders_complete_on_events_and_the_audit_is_clean() {
    let (sender, mut changes) = mpsc::unbounded_channel();
    let mut config = SimConfig::default();
    config.profiles.default.latency = simulator::network::profile::Latency::Fixed { ms: 5.0 };
    config.profiles.default.failure_probability = 0.05;
    let chain = Chain::start(config, Arc::new(StateChanges(sender))).expect("chain starts");

    let mut open = BTreeSet::new();
    for _ in 0..200 {
        match chain
            .request(|reply| {
                Message::Com(ComInput::Create {
                    reply,
                    order: fibre(),
                })
            })
            .await
        {
            Ok(Reply::ProductOrder(order)) => {
                open.insert(order.id);
            }
            other => panic!("expected an order, got {other:?}"),
        }
    }
    wait_terminal(&chain, &mut changes, open).await;
    // Releases of failed orders may still be in flight: wait for the network to go quiet.
    while chain.stats().timers_pending > 0 || !chain.inboxes_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let report = chain.audit();
    assert!(report.ok, "audit: {:#?}", report.findings);
}

#[tokio::test(start_paused = true)]
async fn a_full_timer_sheds_callers_and_never_delivers_early() {
    let (sender, mut changes) = mpsc::unbounded_channel();
    let mut config = SimConfig::default();
    config.limits.timers_max = 4;
    config.profiles.default.latency = simulator::network::profile::Latency::Fixed { ms: 50.0 };
    let chain = Chain::start(config, Arc::new(StateChanges(sender))).expect("chain starts");
    let mut open = BTreeSet::new();
    let mut refused = 0;
    while open.len() < 20 {
        match chain
            .request(|reply| {
                Message::Com(ComInput::Create {
                    reply,
                    order: fibre(),
                })
            })
            .await
        {
            Ok(Reply::ProductOrder(order)) => {
                open.insert(order.id);
            }
            // A caller honouring Retry-After: the timer is full, come back a little later.
            Err(_) => {
                refused += 1;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            Ok(other) => panic!("unexpected reply {other:?}"),
        }
    }
    assert!(refused > 0, "four pending timers must shed the next caller");
    assert_eq!(chain.stats().shed, refused, "each refusal counted as shed");
    wait_terminal(&chain, &mut changes, open).await;
    let com = chain.com();
    let failed = com
        .orders()
        .values()
        .filter(|order| order.state != simulator::domain::state::OrderState::Completed)
        .count();
    assert_eq!(
        failed, 0,
        "a timeout delivered early would have failed an order"
    );
    assert_eq!(com.orders().len(), 20);
    // Three allocations in a row, then configure and activate: at least five 50 ms replies.
    for order in com.orders().values() {
        let took = order
            .completion_date
            .expect("ended")
            .since(order.order_date);
        assert!(
            took >= Duration::from_millis(250),
            "{} took {took:?}: a reply came early",
            order.id
        );
    }
}
