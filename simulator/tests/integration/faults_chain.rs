//! Faults under the whole chain, in virtual time (deterministic): an OLT outage fails only the
//! orders on that OLT, a fault with a duration heals by itself, a scenario timeline applied as
//! messages, and the audit stays clean under lost replies with cancellation running.

use std::sync::Arc;
use std::time::Duration;

use simulator::config::{OltConfig, SimConfig};
use simulator::domain::ids::ProductOrderId;
use simulator::domain::state::OrderState;
use simulator::domain::time::Time;
use simulator::layers::com::{ComInput, ProductOrderCreate, ProductOrderItemCreate};
use simulator::layers::common::{Action, Characteristic};
use simulator::layers::{Message, Reply};
use simulator::network::faults::{Fault, FaultKind, FaultSpec, operation_set};
use simulator::network::profile::Latency;
use simulator::network::{FaultCommand, NetworkInput, OperationKind};
use simulator::runtime::virtual_time::VirtualChain;

/// The default network with a second OLT in `north`, 5 ms element operations, no failures.
fn config() -> SimConfig {
    let mut config = SimConfig::default();
    config.profiles.default.latency = Latency::Fixed { ms: 5.0 };
    config.network.regions[0].olts.push(OltConfig {
        name: "olt-north-2".into(),
        pon_ports: 16,
        onus_per_port: 128,
        s_vlan_first: 200,
    });
    config
}

fn fibre(olt: &str) -> ProductOrderCreate {
    let characteristic = |name: &str, value: &str| Characteristic {
        name: name.into(),
        value: value.into(),
    };
    ProductOrderCreate {
        external_id: Some(olt.to_string()),
        items: vec![ProductOrderItemCreate {
            id: "1".into(),
            action: Action::Add,
            offering: Arc::from("fibre-broadband"),
            product: None,
            characteristics: vec![
                characteristic("region", "north"),
                characteristic("oltId", olt),
            ],
        }],
        attributes: None,
    }
}

/// Submits an order now and runs until its acknowledgement; returns its id.
fn submit(chain: &mut VirtualChain, order: ProductOrderCreate) -> ProductOrderId {
    let token = chain.submit(|reply| Message::Com(ComInput::Create { reply, order }));
    while !chain.replies.contains_key(&token) && chain.step() {}
    match chain.take_reply(token) {
        Some(Reply::ProductOrder(order)) => order.id,
        other => panic!("expected an acknowledged order, got {other:?}"),
    }
}

fn state(chain: &VirtualChain, order: ProductOrderId) -> OrderState {
    chain.layers.com.orders()[&order].state
}

fn outage(name: &str, olt: &str, duration: Option<Duration>, now: Time) -> Fault {
    Fault {
        name: name.into(),
        target: format!("olt:{olt}").parse().expect("target"),
        operations: operation_set(None).expect("all"),
        kind: FaultKind::Outage { reboot_ms: 0 },
        starts_at: now,
        duration,
    }
}

/// Replies lost with `probability` on every element, for `operations` (all when `None`).
fn lost_replies(
    operations: Option<&[OperationKind]>,
    probability: f64,
    duration: Option<Duration>,
    now: Time,
) -> Fault {
    Fault {
        name: "lost".into(),
        target: "all".parse().expect("target"),
        operations: operation_set(operations).expect("operations"),
        kind: FaultKind::ReplyLost { probability },
        starts_at: now,
        duration,
    }
}

fn assert_audit_clean(chain: &VirtualChain) {
    let report = chain.audit();
    assert!(report.ok, "audit findings: {:#?}", report.findings);
}

#[test]
fn an_olt_outage_fails_only_the_orders_on_that_olt() {
    let mut chain = VirtualChain::new(config()).expect("valid config");
    let now = chain.now();
    chain
        .layers
        .network
        .put_fault(outage("olt-1-down", "olt-north-1", None, now), now)
        .expect("valid fault");
    let hit: Vec<_> = (0..5)
        .map(|_| submit(&mut chain, fibre("olt-north-1")))
        .collect();
    let spared: Vec<_> = (0..5)
        .map(|_| submit(&mut chain, fibre("olt-north-2")))
        .collect();
    chain.run_until_idle();
    for order in &hit {
        assert_eq!(state(&chain, *order), OrderState::Failed, "{order}");
    }
    for order in &spared {
        assert_eq!(state(&chain, *order), OrderState::Completed, "{order}");
    }
    let status = chain
        .layers
        .network
        .fault_status("olt-1-down", chain.now())
        .unwrap();
    assert_eq!(status.calls_affected, 5, "one refused allocation per order");
    assert_audit_clean(&chain);

    chain
        .layers
        .network
        .remove_fault("olt-1-down", chain.now())
        .unwrap();
    let after = submit(&mut chain, fibre("olt-north-1"));
    chain.run_until_idle();
    assert_eq!(state(&chain, after), OrderState::Completed, "repaired");
    assert_audit_clean(&chain);
}

#[test]
fn a_fault_with_a_duration_heals_by_itself() {
    let mut chain = VirtualChain::new(config()).expect("valid config");
    let now = chain.now();
    let window = Some(Duration::from_secs(1));
    chain
        .layers
        .network
        .put_fault(outage("blip", "olt-north-1", window, now), now)
        .unwrap();
    let during = submit(&mut chain, fibre("olt-north-1"));
    chain.run_until_idle();
    assert_eq!(state(&chain, during), OrderState::Failed);
    chain.run_until(Time::from_millis(1_000));
    let after = submit(&mut chain, fibre("olt-north-1"));
    chain.run_until_idle();
    assert_eq!(state(&chain, after), OrderState::Completed);
    assert!(chain.layers.network.fault_statuses(chain.now()).is_empty());
    assert_audit_clean(&chain);
}

#[test]
fn a_timeline_applied_as_messages_slows_then_heals_activation() {
    let timeline: Vec<FaultSpec> = toml::from_str::<toml::Table>(
        r#"
[[faults]]
name = "slow-activation"
at = "0s"
duration = "10s"
target = "activation"
kind = { type = "latency", added_ms = 3000.0 }
"#,
    )
    .map(|mut table| table.remove("faults").expect("faults"))
    .and_then(|faults| faults.try_into())
    .expect("valid timeline");
    let mut chain = VirtualChain::new(config()).expect("valid config");
    let fault = timeline[0].to_fault(chain.now()).expect("valid fault");
    chain.submit(|_| {
        Message::Network(NetworkInput::Faults {
            command: FaultCommand::Put(Box::new(fault)),
            reply_to: None,
        })
    });
    chain.step();
    let slow = submit(&mut chain, fibre("olt-north-2"));
    chain.run_until_idle();
    // Each activation step waits 3 s, longer than the 2 s element timeout: the order fails.
    assert_eq!(state(&chain, slow), OrderState::Failed);
    chain.run_until(Time::from_millis(10_000));
    let fast = submit(&mut chain, fibre("olt-north-2"));
    chain.run_until_idle();
    assert_eq!(state(&chain, fast), OrderState::Completed);
    assert_audit_clean(&chain);
}

/// Orders under lost replies on every operation, half of them cancelled at staggered times.
fn lost_replies_with_cancels(seed: u64) -> Vec<OrderState> {
    let mut config = config();
    config.seed = seed;
    let mut chain = VirtualChain::new(config).expect("valid config");
    let now = chain.now();
    let lost = lost_replies(None, 0.2, Some(Duration::from_secs(60)), now);
    chain.layers.network.put_fault(lost, now).unwrap();
    let mut orders = Vec::new();
    for index in 0..40_u64 {
        let olt = if index % 2 == 0 {
            "olt-north-1"
        } else {
            "olt-north-2"
        };
        let order = submit(&mut chain, fibre(olt));
        orders.push(order);
        if index % 2 == 1 {
            // Cancel an earlier order, at a point that moves through its life.
            let target = orders[usize::try_from(index / 2).unwrap_or(0)];
            chain.submit(|reply| {
                Message::Com(ComInput::Cancel {
                    reply,
                    order: target,
                    reason: Some("test".into()),
                })
            });
        }
        let next = chain.now().after(Duration::from_millis(3 * index % 40));
        chain.run_until(next);
    }
    // Inside the fault's window (idle would now run on to COM's 60 s jeopardy deadlines).
    chain.run_until(Time::from_millis(59_000));
    assert!(
        chain
            .layers
            .network
            .fault_status("lost", chain.now())
            .is_some_and(|s| s.calls_affected > 0),
        "some replies were lost"
    );
    chain.run_until(Time::from_millis(61_000));
    chain.run_until_idle();
    assert_audit_clean(&chain);
    orders.iter().map(|order| state(&chain, *order)).collect()
}

#[test]
fn the_audit_stays_clean_under_lost_replies_with_cancellation() {
    let states = lost_replies_with_cancels(7);
    for state in &states {
        assert!(
            matches!(
                state,
                OrderState::Completed
                    | OrderState::Failed
                    | OrderState::Cancelled
                    | OrderState::Partial
            ),
            "not terminal: {state:?}"
        );
    }
    assert!(states.contains(&OrderState::Cancelled), "{states:?}");
    assert!(states.contains(&OrderState::Completed), "{states:?}");
    assert_eq!(states, lost_replies_with_cancels(7), "same seed, same ends");
}

#[test]
fn compensation_waits_out_an_outage_instead_of_leaking() {
    let mut chain = VirtualChain::new(config()).expect("valid config");
    let now = chain.now();
    // Allocations go through; configure and release on the OLT fail fast for 5 s.
    let mut down = outage(
        "mgmt-down",
        "olt-north-1",
        Some(Duration::from_secs(5)),
        now,
    );
    down.operations = [
        simulator::network::OperationKind::Configure,
        simulator::network::OperationKind::Release,
    ]
    .into_iter()
    .collect();
    chain.layers.network.put_fault(down, now).unwrap();
    let order = submit(&mut chain, fibre("olt-north-1"));
    chain.run_until_idle();
    assert_eq!(state(&chain, order), OrderState::Failed);
    assert_eq!(
        chain.layers.network.allocations().count(),
        0,
        "released after the outage"
    );
    assert!(
        chain.now() >= Time::from_millis(5_000),
        "retries outlasted the outage"
    );
    assert_audit_clean(&chain);
}

/// Element timeouts are one sweep per layer (issue 10's chain profile), not a timer message
/// per call: a call that never gets its reply still times out exactly `element_timeout`
/// after it was sent, and one sent after a retry's backoff too.
#[test]
fn an_unanswered_allocation_times_out_at_its_deadline_on_every_try() {
    let mut config = config();
    config.chain.element_timeout_ms = 2_000;
    config.chain.retry.rom.attempts = 2;
    config.chain.retry.rom.backoff_ms = 300;
    let mut chain = VirtualChain::new(config.clone()).expect("valid config");
    let now = chain.now();
    let lost = lost_replies(Some(&[OperationKind::Allocate]), 1.0, None, now);
    chain.layers.network.put_fault(lost, now).unwrap();
    let order = submit(&mut chain, fibre("olt-north-1"));
    chain.run_until_idle();
    assert_eq!(state(&chain, order), OrderState::Failed);
    let resource_order = chain
        .layers
        .rom
        .orders()
        .values()
        .next()
        .expect("a resource order");
    let (failed_at, _) = resource_order.history.iter().last().expect("a history");
    // First try: sent at 0, times out at 2 s; the retry waits its 300 ms backoff, is sent at
    // 2.3 s and times out at 4.3 s, when the order fails. Messages between layers take no time.
    let element_timeout = Duration::from_millis(config.chain.element_timeout_ms);
    let expected = config.chain.retry.rom.worst_case(element_timeout);
    assert_eq!(expected, Duration::from_millis(4_300));
    assert_eq!(
        failed_at,
        Time::ZERO.after(expected),
        "{:?}",
        resource_order.history
    );
    assert_eq!(resource_order.state, OrderState::Failed);
    assert_audit_clean(&chain);
}
