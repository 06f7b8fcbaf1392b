//! Jeopardy (issue 11): a parent whose child order was lost — the child's layer restarted
//! without its state — notices at the child's deadline, asks, and fails the order as
//! `childLost` instead of waiting for ever. The clock is paused: a parent that never gives up
//! leaves every task idle, and the wait's deadline names the orders still open.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use crate::chain_support::fibre;

use simulator::config::SimConfig;
use simulator::domain::ids::ProductOrderId;
use simulator::domain::state::OrderState;
use simulator::layers::com::ComInput;
use simulator::layers::failure::FailureCode;
use simulator::layers::{LayerId, Message, Reply};
use simulator::network::profile::Latency;
use simulator::runtime::{Chain, NoEvents};

/// A chain whose element operations take 200 ms, with a 5 s child deadline and 1 s to answer.
fn slow_chain() -> Chain {
    let mut config = SimConfig::default();
    config.profiles.default.latency = Latency::Fixed { ms: 200.0 };
    config.chain.com_child_deadline_ms = 8_000;
    config.chain.som_child_deadline_ms = 5_000;
    config.chain.rom_child_deadline_ms = 3_000;
    config.chain.child_answer_ms = 1_000;
    Chain::start(config, Arc::new(NoEvents)).expect("chain starts")
}

async fn submit(chain: &Chain, count: usize) -> BTreeSet<ProductOrderId> {
    let mut ids = BTreeSet::new();
    for _ in 0..count {
        let reply = chain
            .request(|reply| {
                Message::Com(ComInput::Create {
                    reply,
                    order: fibre(),
                })
            })
            .await;
        match reply {
            Ok(Reply::ProductOrder(order)) => ids.insert(order.id),
            other => panic!("expected an order, got {other:?}"),
        };
    }
    ids
}

/// Waits in paused time until every order in `ids` is terminal, then until the chain settled.
async fn wait_terminal(chain: &Chain, ids: &BTreeSet<ProductOrderId>) {
    let ended = tokio::time::timeout(Duration::from_secs(3_600), async {
        loop {
            let open = {
                let com = chain.com();
                ids.iter()
                    .filter(|id| com.orders().get(id).is_none_or(|o| !o.state.is_terminal()))
                    .count()
            };
            if open == 0 && chain.settled() && chain.stats().timers_pending == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(ended.is_ok(), "orders stayed open: {:?}", chain.stats());
}

/// Submits 20 slow orders, restarts `layer` without its state while their children run, and
/// waits until every order ended.
async fn lose_children_of(layer: LayerId) -> (Chain, BTreeSet<ProductOrderId>) {
    lose_children_after(layer, Duration::from_millis(300)).await
}

/// As [`lose_children_of`], restarting `layer` `after` the orders were submitted.
async fn lose_children_after(layer: LayerId, after: Duration) -> (Chain, BTreeSet<ProductOrderId>) {
    let chain = slow_chain();
    let ids = submit(&chain, 20).await;
    // The children are under way (200 ms per element step): lose them all.
    tokio::time::sleep(after).await;
    chain
        .restart_layer_without_state(layer)
        .expect("the layer restarts");
    wait_terminal(&chain, &ids).await;
    (chain, ids)
}

/// Every order in `ids` failed as `childLost`, naming the lost `child` (its layer's parent
/// found it).
fn assert_child_lost(chain: &Chain, ids: &BTreeSet<ProductOrderId>, child: &str) {
    let com = chain.com();
    for id in ids {
        let order = &com.orders()[id];
        assert_eq!(order.state, OrderState::Failed, "{id}");
        let failure = order.failure.as_ref().expect("a failed order says why");
        assert_eq!(failure.code, FailureCode::ChildLost, "{id}: {failure:?}");
        assert!(failure.message.contains(child), "{id}: {failure:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn orders_whose_service_orders_were_lost_fail_as_child_lost() {
    let (chain, ids) = lose_children_of(LayerId::Som).await;
    assert_child_lost(&chain, &ids, "service order");
    assert_nothing_held_and_audit_clean(&chain);
}

#[tokio::test(start_paused = true)]
async fn a_slow_but_alive_child_is_asked_and_waited_for() {
    let mut config = SimConfig::default();
    // Each order takes over a second; both deadlines pass several times before it ends.
    config.profiles.default.latency = Latency::Fixed { ms: 400.0 };
    config.chain.com_child_deadline_ms = 300;
    config.chain.som_child_deadline_ms = 200;
    config.chain.child_answer_ms = 100;
    let chain = Chain::start(config, Arc::new(NoEvents)).expect("chain starts");
    let ids = submit(&chain, 10).await;
    wait_terminal(&chain, &ids).await;
    let com = chain.com();
    for id in &ids {
        assert_eq!(com.orders()[id].state, OrderState::Completed, "{id}");
    }
}

#[tokio::test(start_paused = true)]
async fn orders_whose_resource_orders_were_lost_end_and_say_why() {
    // SOM, not COM, finds the lost child: the failure names the resource order.
    let (chain, ids) = lose_children_of(LayerId::Rom).await;
    assert_child_lost(&chain, &ids, "resource order");
    // The restarted ROM reconciled with the network: nothing its lost orders took is held.
    assert_nothing_held_and_audit_clean(&chain);
}

#[tokio::test(start_paused = true)]
async fn orders_whose_activations_were_lost_end_and_say_why() {
    // Three allocations take 600 ms: at 900 ms every order's activation is under way.
    let (chain, ids) = lose_children_after(LayerId::Activation, Duration::from_millis(900)).await;
    // ROM, not SOM, finds the lost activation: the failure names it.
    assert_child_lost(&chain, &ids, "activation");
    assert_nothing_held_and_audit_clean(&chain);
    let configured = chain.network().configured_services().count();
    assert_eq!(
        configured, 0,
        "{configured} services left configured on elements"
    );
}

/// The network holds no allocation and the audit finds nothing.
fn assert_nothing_held_and_audit_clean(chain: &Chain) {
    let held = chain.network().allocations().count();
    assert_eq!(
        held, 0,
        "every order failed, yet the network still holds {held} allocations"
    );
    let report = chain.audit();
    assert!(report.ok, "audit: {:#?}", report.findings);
}

#[test]
fn in_virtual_time_a_restarted_rom_reconciles_and_nothing_leaks() {
    use simulator::domain::time::Time;
    use simulator::runtime::virtual_time::VirtualChain;
    let mut config = SimConfig::default();
    config.profiles.default.latency = Latency::Fixed { ms: 200.0 };
    config.chain.som_child_deadline_ms = 5_000;
    config.chain.child_answer_ms = 1_000;
    let mut chain = VirtualChain::new(config).expect("valid config");
    for _ in 0..20 {
        chain.submit(|reply| {
            Message::Com(ComInput::Create {
                reply,
                order: fibre(),
            })
        });
    }
    chain.run_until(Time::from_millis(300));
    chain
        .restart_layer_without_state(LayerId::Rom)
        .expect("ROM restarts");
    chain.run_until_idle();
    assert_eq!(chain.layers.com.orders().len(), 20);
    for order in chain.layers.com.orders().values() {
        assert_eq!(order.state, OrderState::Failed, "{}", order.id);
    }
    let held = chain.layers.network.allocations().count();
    assert_eq!(held, 0, "the network still holds {held} allocations");
    let report = chain.audit();
    assert!(report.ok, "audit: {:#?}", report.findings);
}

/// A speed change whose reconfiguration was under way when activation lost its state: ROM
/// watches reconfigurations as it watches creates, so every modify order ends (`childLost`
/// when the reconfiguration was lost), the products can still be ceased, and nothing is left
/// held or configured. Before, ROM watched creates only, and those modify orders never ended.
#[test]
fn a_speed_change_whose_activation_was_lost_ends_and_the_product_can_be_ceased() {
    use crate::lifecycle_support::{chain_with, change, characteristic, place, product, run};
    use simulator::layers::common::Action;
    let mut chain = chain_with(|config| {
        config.profiles.default.latency = Latency::Fixed { ms: 200.0 };
        config.chain.som_child_deadline_ms = 20_000;
        config.chain.rom_child_deadline_ms = 3_000;
        config.chain.child_answer_ms = 1_000;
    });
    let products: Vec<_> = (0..4)
        .map(|_| product(&mut chain, "fibre-broadband"))
        .collect();
    let speed = || vec![characteristic("downstreamSpeedMbps", 500)];
    let modifies: Vec<_> = (products.iter())
        .map(|p| {
            place(
                &mut chain,
                vec![change(Action::Modify, "fibre-broadband", *p, speed())],
            )
        })
        .collect();
    // Reconfigurations take three 200 ms element steps: lose them half-way.
    chain.run_until(chain.now().after(Duration::from_millis(300)));
    chain
        .restart_layer_without_state(LayerId::Activation)
        .expect("activation restarts");
    // Watchdogs re-arm while an order is open: run a bounded virtual minute, not until idle.
    chain.run_until(chain.now().after(Duration::from_secs(60)));
    for id in &modifies {
        let order = &chain.layers.com.orders()[id];
        assert!(order.state.is_terminal(), "{id} is {:?}", order.state);
        if order.state == OrderState::Failed {
            let failure = order.failure.as_ref().expect("a failed order says why");
            assert_eq!(failure.code, FailureCode::ChildLost, "{id}: {failure:?}");
        }
    }
    for product in products {
        let cease = run(
            &mut chain,
            vec![change(
                Action::Delete,
                "fibre-broadband",
                product,
                Vec::new(),
            )],
        );
        assert_eq!(cease.state, OrderState::Completed, "{product}");
    }
    let held = chain.layers.network.allocations().count();
    assert_eq!(held, 0, "the network still holds {held} allocations");
    let configured = chain.layers.network.configured_services().count();
    assert_eq!(configured, 0, "{configured} services still configured");
    let report = chain.audit();
    assert!(report.ok, "audit: {:#?}", report.findings);
}
