//! Per-layer retry policies (`[chain.retry.rom]`, `[chain.retry.activation]`) in virtual time:
//! what retries hide (element failures that no longer fail orders), what they cost (element
//! calls, counted per layer), what they must not retry (exhausted pools), and that a cancel
//! during a backoff leaves nothing behind.

use std::time::Duration;

use simulator::config::SimConfig;
use simulator::domain::state::OrderState;
use simulator::domain::time::Time;
use simulator::network::OperationKind;
use simulator::network::profile::OperationProfile;
use simulator::runtime::virtual_time::VirtualChain;

use crate::lifecycle_support::{
    add, assert_audit_clean, cancel_now, cancel_request, chain_with, place, submit,
};

fn failing(probability: f64) -> Option<OperationProfile> {
    Some(OperationProfile {
        failure_probability: probability,
        ..OperationProfile::default()
    })
}

/// A chain where a third of allocations, configures and activates fail, with `attempts` tries.
fn flaky_chain(attempts: u32) -> VirtualChain {
    chain_with(|config: &mut SimConfig| {
        config.profiles.allocate = failing(0.3);
        config.profiles.configure = failing(0.3);
        config.profiles.activate = failing(0.3);
        config.network.regions[0].olts[0].onus_per_port = 128;
        config.chain.retry.rom.attempts = attempts;
        config.chain.retry.activation.attempts = attempts;
    })
}

/// Submits `count` fibre orders, runs until idle, and counts completed and failed ones.
fn run_fibre_orders(chain: &mut VirtualChain, count: usize) -> (usize, usize) {
    for _ in 0..count {
        submit(chain, vec![add("1", "fibre-broadband")]);
    }
    chain.run_until_idle();
    let states: Vec<OrderState> = chain
        .layers
        .com
        .orders()
        .values()
        .map(|o| o.state)
        .collect();
    assert_eq!(states.len(), count);
    let completed = states
        .iter()
        .filter(|s| **s == OrderState::Completed)
        .count();
    let failed = states.iter().filter(|s| **s == OrderState::Failed).count();
    assert_eq!(completed + failed, count, "every order terminal");
    (completed, failed)
}

fn calls(chain: &VirtualChain, kind: OperationKind) -> u64 {
    chain
        .layers
        .network
        .operation_counts()
        .filter(|(k, _, _)| *k == kind)
        .map(|(_, _, count)| count)
        .sum()
}

#[test]
fn retries_hide_element_failures_and_cost_element_calls() {
    let (mut without, mut with) = (flaky_chain(1), flaky_chain(5));
    let (completed_without, failed_without) = run_fibre_orders(&mut without, 200);
    let (completed_with, failed_with) = run_fibre_orders(&mut with, 200);
    // Five tries of a step that fails 30 % of the time fail 0.24 % of the time.
    assert!(
        failed_without > 100 && failed_with < 10,
        "without retries {failed_without} failed, with retries {failed_with}"
    );
    assert!(completed_with > completed_without);
    assert_eq!(without.layers.rom.retries().forward, 0);
    assert_eq!(without.layers.activation.retries().forward, 0);
    assert!(
        with.layers.rom.retries().forward > 20,
        "{:?}",
        with.layers.rom.retries()
    );
    assert!(
        with.layers.activation.retries().forward > 40,
        "{:?}",
        with.layers.activation.retries()
    );
    // Every retry is one more element call.
    let allocations_per_order = calls(&with, OperationKind::Allocate) as f64 / 200.0;
    assert!(
        allocations_per_order > calls(&without, OperationKind::Allocate) as f64 / 200.0,
        "retries cost allocations: {allocations_per_order} per order"
    );
    assert_audit_clean(&without);
    assert_audit_clean(&with);
}

#[test]
fn failures_that_outlast_every_try_fail_the_order_and_are_counted() {
    let mut chain = chain_with(|config| {
        config.profiles.configure = failing(1.0);
        config.chain.retry.activation.attempts = 3;
    });
    let (_, failed) = run_fibre_orders(&mut chain, 1);
    assert_eq!(failed, 1);
    assert_eq!(calls(&chain, OperationKind::Configure), 3, "three tries");
    assert_eq!(chain.layers.activation.retries().forward, 2);
    assert_eq!(chain.layers.activation.retries().forward_exhausted, 1);
    assert_eq!(chain.layers.network.allocations().count(), 0);
    assert_audit_clean(&chain);
}

#[test]
fn exhausted_pools_are_not_retried() {
    let mut chain = chain_with(|config| {
        let olt = &mut config.network.regions[0].olts[0];
        olt.pon_ports = 1;
        olt.onus_per_port = 1;
        config.network.regions[0].olts.truncate(1);
        config.chain.retry.rom.attempts = 5;
    });
    let (completed, failed) = run_fibre_orders(&mut chain, 2);
    assert_eq!((completed, failed), (1, 1), "one ONU slot for two orders");
    assert_eq!(
        chain.layers.rom.retries().forward,
        0,
        "exhaustion is not retried"
    );
    assert_audit_clean(&chain);
}

#[test]
fn lost_allocation_replies_are_retried_under_one_name_and_released() {
    let mut chain = chain_with(|config| {
        config.profiles.allocate = Some(OperationProfile {
            reply_lost_probability: 1.0,
            ..OperationProfile::default()
        });
        config.chain.retry.rom.attempts = 3;
    });
    let (_, failed) = run_fibre_orders(&mut chain, 1);
    assert_eq!(failed, 1);
    assert_eq!(calls(&chain, OperationKind::Allocate), 3);
    assert_eq!(chain.layers.rom.retries().forward, 2);
    assert_eq!(
        chain.layers.network.allocations().count(),
        0,
        "every try held the same allocation, released once"
    );
    assert_audit_clean(&chain);
}

#[test]
fn a_cancel_during_a_backoff_sends_no_more_tries_and_leaves_nothing() {
    let mut chain = chain_with(|config| {
        config.profiles.allocate = failing(1.0);
        config.chain.retry.rom.attempts = 10;
        config.chain.retry.rom.backoff_ms = 1_000;
        config.chain.retry.rom.backoff_multiplier = 1.0;
    });
    let order = place(&mut chain, vec![add("1", "fibre-broadband")]);
    // The first try fails within milliseconds; the second waits for its backoff.
    chain.run_until(Time::ZERO.after(Duration::from_millis(500)));
    assert_eq!(calls(&chain, OperationKind::Allocate), 1);
    assert_eq!(chain.layers.rom.retries().forward, 1, "a retry is waiting");
    let request = cancel_request(cancel_now(&mut chain, order));
    assert_eq!(request.order, order);
    chain.run_until_idle();
    assert_eq!(
        chain.layers.com.orders()[&order].state,
        OrderState::Cancelled
    );
    assert_eq!(
        calls(&chain, OperationKind::Allocate),
        1,
        "no try after cancel"
    );
    assert_eq!(chain.layers.network.allocations().count(), 0);
    assert_audit_clean(&chain);
}
