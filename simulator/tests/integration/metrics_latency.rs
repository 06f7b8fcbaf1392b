//! The latency histograms: order durations per layer and terminal state, element operation
//! latencies per operation and outcome. In virtual time they must agree exactly with the
//! stores (every order's `completionDate - orderDate`) and with the network's operation
//! counts.

use std::collections::BTreeMap;

use simulator::config::SimConfig;
use simulator::domain::state::OrderState;
use simulator::domain::time::Time;
use simulator::layers::com::ComInput;
use simulator::layers::{LayerId, Message};
use simulator::network::OperationOutcome;
use simulator::network::profile::Latency;
use simulator::runtime::latency::HistogramSnapshot;
use simulator::runtime::virtual_time::VirtualChain;

use crate::chain_support::fibre;

/// Per terminal state: how many orders ended in it and the sum of their durations (µs).
type Ends = BTreeMap<OrderState, (u64, u64)>;

fn ends(orders: impl Iterator<Item = (OrderState, Time, Option<Time>)>) -> Ends {
    let mut ends = Ends::new();
    for (state, received, completed) in orders {
        let completed = completed.expect("a terminal order has its completion date");
        let entry = ends.entry(state).or_default();
        entry.0 += 1;
        entry.1 += completed.since(received).as_micros() as u64;
    }
    ends
}

/// What the order duration histograms of `layer` counted, as [`Ends`].
fn histogram_ends(chain: &VirtualChain, layer: LayerId) -> Ends {
    chain
        .latencies()
        .order_durations()
        .filter(|(of, _, _)| *of == layer)
        .map(|(_, state, snapshot)| {
            let micros = (snapshot.sum_seconds * 1e6).round() as u64;
            (state, (snapshot.count, micros))
        })
        .collect()
}

/// Panics unless every order COM, SOM and ROM hold was timed once, under its terminal state,
/// for exactly its `completionDate - orderDate` (call once the chain drained, with every
/// order still retained).
pub(crate) fn assert_every_order_timed(chain: &VirtualChain) {
    let layers = &chain.layers;
    let com = ends(layers.com.orders().values().map(|order| {
        let order = &**order;
        (order.state, order.order_date, order.completion_date)
    }));
    let som = ends(layers.som.orders().values().map(|order| {
        let order = &**order;
        (order.state, order.order_date, order.completion_date)
    }));
    let rom = ends(layers.rom.orders().values().map(|order| {
        let order = &**order;
        (order.state, order.order_date, order.completion_date)
    }));
    assert_eq!(histogram_ends(chain, LayerId::Com), com, "COM");
    assert_eq!(histogram_ends(chain, LayerId::Som), som, "SOM");
    assert_eq!(histogram_ends(chain, LayerId::Rom), rom, "ROM");
}

#[test]
fn virtual_time_histograms_agree_with_the_stores_and_the_network_counts() {
    let mut config = SimConfig::default();
    config.profiles.default.latency = Latency::Fixed { ms: 5.0 };
    config.profiles.default.failure_probability = 0.1;
    config.profiles.default.timeout_probability = 0.02;
    let mut chain = VirtualChain::new(config).expect("valid config");
    let orders = 60;
    for _ in 0..orders {
        let order = fibre();
        chain.submit(|reply| Message::Com(ComInput::Create { reply, order }));
    }
    chain.run_until_idle();

    assert_every_order_timed(&chain);
    let com = histogram_ends(&chain, LayerId::Com);
    assert_eq!(com.values().map(|(count, _)| count).sum::<u64>(), orders);
    assert!(
        com.len() > 1,
        "10% element failures end some orders otherwise: {com:?}"
    );
    let layers = &chain.layers;

    let timed: BTreeMap<_, HistogramSnapshot> = chain
        .latencies()
        .operation_durations()
        .map(|(kind, outcome, snapshot)| ((kind, outcome), snapshot))
        .collect();
    let mut unanswered = 0;
    for (kind, outcome, count) in layers.network.operation_counts() {
        let snapshot = timed.get(&(kind, outcome));
        if matches!(
            outcome,
            OperationOutcome::BlackHole | OperationOutcome::ReplyLost
        ) {
            assert!(
                snapshot.is_none(),
                "{kind:?} {outcome:?} has no reply to time"
            );
            unanswered += count;
            continue;
        }
        let snapshot = snapshot.unwrap_or_else(|| panic!("{kind:?} {outcome:?} not timed"));
        assert_eq!(snapshot.count, count, "{kind:?} {outcome:?}");
        // Every answer came after the fixed 5 ms.
        let expected = count as f64 * 0.005;
        assert!(
            (snapshot.sum_seconds - expected).abs() < 1e-9,
            "{kind:?} {outcome:?}: {snapshot:?}"
        );
    }
    assert!(unanswered > 0, "2% of calls are black holes");
    assert_eq!(
        timed.len(),
        layers
            .network
            .operation_counts()
            .filter(|(_, outcome, _)| !matches!(
                outcome,
                OperationOutcome::BlackHole | OperationOutcome::ReplyLost
            ))
            .count()
    );
}
