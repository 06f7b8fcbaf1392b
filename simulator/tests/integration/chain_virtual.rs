//! The whole chain driven in virtual time: decomposition, allocation, activation, inventory
//! and the audit, for each shipped offering and for each kind of element misbehaviour.

use std::sync::Arc;

use simulator::config::SimConfig;
use simulator::domain::state::{OrderState, ServiceState};
use simulator::layers::com::{ComInput, ProductOrderCreate, ProductOrderItemCreate};
use simulator::layers::common::{Action, Characteristic};
use simulator::layers::failure::FailureCode;
use simulator::layers::inventory::ResourceStatus;
use simulator::layers::{Message, RejectionKind, Reply};
use simulator::network::profile::OperationProfile;
use simulator::runtime::virtual_time::VirtualChain;

fn item(id: &str, offering: &str) -> ProductOrderItemCreate {
    ProductOrderItemCreate {
        id: id.to_string(),
        action: Action::Add,
        offering: Arc::from(offering),
        product: None,
        characteristics: vec![Characteristic {
            name: "region".into(),
            value: "north".into(),
        }],
    }
}

fn order(items: Vec<ProductOrderItemCreate>) -> ProductOrderCreate {
    ProductOrderCreate {
        external_id: Some("test".to_string()),
        items,
        attributes: None,
    }
}

/// Submits `request` and runs the chain until it is idle; returns the order's final state.
fn run_order(chain: &mut VirtualChain, request: ProductOrderCreate) -> OrderState {
    let token = chain.submit(|reply| {
        Message::Com(ComInput::Create {
            reply,
            order: request,
        })
    });
    chain.run_until_idle();
    match chain.take_reply(token) {
        Some(Reply::ProductOrder(order)) => {
            assert_eq!(
                order.state,
                OrderState::Acknowledged,
                "POST answers acknowledged"
            );
            chain.layers.com.orders()[&order.id].state
        }
        other => panic!("expected a product order, got {other:?}"),
    }
}

fn rejection(chain: &mut VirtualChain, request: ProductOrderCreate) -> RejectionKind {
    let token = chain.submit(|reply| {
        Message::Com(ComInput::Create {
            reply,
            order: request,
        })
    });
    chain.run_until_idle();
    match chain.take_reply(token) {
        Some(Reply::Rejected(rejection)) => rejection.kind,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn chain_with(configure: impl FnOnce(&mut SimConfig)) -> VirtualChain {
    let mut config = SimConfig::default();
    configure(&mut config);
    VirtualChain::new(config).expect("valid config")
}

fn assert_audit_clean(chain: &VirtualChain) {
    let report = chain.audit();
    assert!(report.ok, "audit findings: {:#?}", report.findings);
}

#[test]
fn fibre_order_completes_through_every_layer() {
    let mut chain = chain_with(|_| {});
    assert_eq!(
        run_order(&mut chain, order(vec![item("1", "fibre-broadband")])),
        OrderState::Completed
    );

    let service_order = chain
        .layers
        .som
        .orders()
        .values()
        .next()
        .expect("a service order");
    assert_eq!(service_order.state, OrderState::Completed);
    let resource_order = chain
        .layers
        .rom
        .orders()
        .values()
        .next()
        .expect("a resource order");
    assert_eq!(resource_order.state, OrderState::Completed);
    assert_eq!(
        resource_order.items.len(),
        3,
        "ONU slot, VLAN pair, IPv4 address"
    );
    assert_eq!(
        resource_order.activations.len(),
        2,
        "GPON access and IP connectivity"
    );
    for service in chain.layers.activation.services().values() {
        assert_eq!(service.state, ServiceState::Active);
    }
    assert_eq!(chain.layers.inventory.products().len(), 1);
    assert_eq!(
        chain.layers.inventory.services().len(),
        3,
        "one CFS and two RFSs"
    );
    assert_eq!(chain.layers.inventory.resources().len(), 3);
    assert!(
        chain
            .layers
            .inventory
            .resources()
            .values()
            .all(|resource| resource.status == ResourceStatus::Available)
    );
    assert_eq!(chain.layers.network.allocations().count(), 3);
    assert_audit_clean(&chain);
}

#[test]
fn every_offering_completes() {
    for offerings in [
        &["fibre-broadband"][..],
        &["dsl-broadband"],
        &["voip"],
        &["fibre-broadband", "iptv"],
    ] {
        let mut chain = chain_with(|_| {});
        let items = offerings
            .iter()
            .enumerate()
            .map(|(index, offering)| item(&(index + 1).to_string(), offering))
            .collect();
        assert_eq!(
            run_order(&mut chain, order(items)),
            OrderState::Completed,
            "{offerings:?}"
        );
        assert_audit_clean(&chain);
    }
}

#[test]
fn broadband_with_exhausted_iptv_ends_partial_without_leaks() {
    let mut chain = chain_with(|config| config.network.regions[0].multicast_members_max = 0);
    let state = run_order(
        &mut chain,
        order(vec![item("1", "fibre-broadband"), item("2", "iptv")]),
    );
    assert_eq!(state, OrderState::Partial);
    let order = chain
        .layers
        .com
        .orders()
        .values()
        .next()
        .expect("the order");
    assert_eq!(order.items[0].state, OrderState::Completed);
    assert_eq!(order.items[1].state, OrderState::Failed);
    let reason = order.failure.as_ref().expect("a partial order says why");
    assert_eq!(reason.code, FailureCode::PoolExhausted, "{reason:?}");
    assert_eq!(
        chain.layers.network.allocations().count(),
        3,
        "only the broadband resources stay held"
    );
    assert_audit_clean(&chain);
}

#[test]
fn invalid_orders_are_rejected_before_any_work() {
    let mut chain = chain_with(|_| {});
    assert_eq!(
        rejection(&mut chain, order(vec![item("1", "no-such-offering")])),
        RejectionKind::InvalidRequest
    );
    assert_eq!(
        rejection(&mut chain, order(vec![item("1", "iptv")])),
        RejectionKind::InvalidRequest,
        "add-on alone"
    );
    let mut far = item("1", "fibre-broadband");
    far.characteristics[0].value = "atlantis".into();
    assert_eq!(
        rejection(&mut chain, order(vec![far])),
        RejectionKind::InvalidRequest
    );
    assert!(chain.layers.com.orders().is_empty());
    assert_eq!(chain.layers.network.allocations().count(), 0);
}

/// The failure code every failed product order carries (all the same), or a panic.
fn failure_code(chain: &VirtualChain) -> FailureCode {
    let mut codes = chain
        .layers
        .com
        .orders()
        .values()
        .filter(|order| order.state == OrderState::Failed)
        .map(|order| {
            order
                .failure
                .as_ref()
                .expect("a failed order says why")
                .code
        });
    let first = codes.next().expect("a failed order");
    assert!(codes.all(|code| code == first));
    first
}

fn always(configure: impl FnOnce(&mut OperationProfile)) -> Option<OperationProfile> {
    let mut profile = OperationProfile::default();
    configure(&mut profile);
    Some(profile)
}

#[test]
fn allocation_failures_fail_the_order_and_release_everything() {
    let mut chain =
        chain_with(|config| config.profiles.allocate = always(|p| p.failure_probability = 1.0));
    assert_eq!(
        run_order(&mut chain, order(vec![item("1", "fibre-broadband")])),
        OrderState::Failed
    );
    assert_eq!(failure_code(&chain), FailureCode::ElementFailed);
    assert_eq!(chain.layers.network.allocations().count(), 0);
    assert_audit_clean(&chain);
}

#[test]
fn activation_timeouts_fail_the_order_and_roll_back() {
    let mut chain =
        chain_with(|config| config.profiles.activate = always(|p| p.timeout_probability = 1.0));
    assert_eq!(
        run_order(&mut chain, order(vec![item("1", "fibre-broadband")])),
        OrderState::Failed
    );
    assert_eq!(failure_code(&chain), FailureCode::ElementTimeout);
    let failed = chain
        .layers
        .com
        .orders()
        .values()
        .next()
        .expect("the order");
    let message = &failed.failure.as_ref().expect("a reason").message;
    assert!(message.contains("activate"), "{message}");
    assert_eq!(
        chain.layers.network.allocations().count(),
        0,
        "resources released after the timeout"
    );
    assert!(
        chain
            .layers
            .activation
            .services()
            .values()
            .all(|service| service.state == ServiceState::Terminated)
    );
    assert_audit_clean(&chain);
}

#[test]
fn allocations_whose_reply_was_lost_are_released_by_name() {
    let mut chain =
        chain_with(|config| config.profiles.allocate = always(|p| p.reply_lost_probability = 1.0));
    assert_eq!(
        run_order(&mut chain, order(vec![item("1", "fibre-broadband")])),
        OrderState::Failed
    );
    assert_eq!(
        chain.layers.network.allocations().count(),
        0,
        "the applied allocation was compensated"
    );
    assert_audit_clean(&chain);
}

#[test]
fn held_orders_resume_and_complete() {
    let mut chain = chain_with(|config| config.chain.held_probability = 1.0);
    assert_eq!(
        run_order(&mut chain, order(vec![item("1", "fibre-broadband")])),
        OrderState::Completed
    );
    let history: Vec<_> = chain
        .layers
        .com
        .orders()
        .values()
        .next()
        .expect("order")
        .history
        .iter()
        .map(|(_, state)| state)
        .collect();
    assert_eq!(
        history,
        [
            OrderState::Acknowledged,
            OrderState::Held,
            OrderState::InProgress,
            OrderState::Completed
        ]
    );
    assert_audit_clean(&chain);
}

#[test]
fn a_thousand_orders_with_element_failures_all_end_and_audit_clean() {
    let mut chain = chain_with(|config| {
        config.profiles.default.failure_probability = 0.05;
        config.network.regions[0].olts[0].onus_per_port = 128;
    });
    for index in 0..1_000u32 {
        let items = match index % 4 {
            0 => vec![item("1", "fibre-broadband"), item("2", "iptv")],
            1 => vec![item("1", "dsl-broadband")],
            2 => vec![item("1", "voip")],
            _ => vec![item("1", "fibre-broadband")],
        };
        chain.submit(|reply| {
            Message::Com(ComInput::Create {
                reply,
                order: order(items),
            })
        });
    }
    chain.run_until_idle();
    let orders = &chain.layers.com.orders();
    assert_eq!(orders.len(), 1_000);
    let count = |state| orders.values().filter(|order| order.state == state).count();
    let (completed, failed, partial) = (
        count(OrderState::Completed),
        count(OrderState::Failed),
        count(OrderState::Partial),
    );
    assert_eq!(completed + failed + partial, 1_000, "every order terminal");
    assert!(
        failed > 0 && completed > failed,
        "5% element failures: {completed} completed, {failed} failed"
    );
    assert_audit_clean(&chain);
}

#[test]
fn the_same_seed_replays_the_same_events() {
    let run = |seed: u64| {
        let mut chain = chain_with(|config| {
            config.seed = seed;
            config.profiles.default.failure_probability = 0.2;
        });
        for _ in 0..50 {
            chain.submit(|reply| {
                Message::Com(ComInput::Create {
                    reply,
                    order: order(vec![item("1", "fibre-broadband")]),
                })
            });
        }
        chain.run_until_idle();
        chain
            .events
            .iter()
            .map(|event| format!("{event:?}"))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
}

#[test]
fn unread_events_are_bounded_and_the_rest_counted() {
    let mut chain = chain_with(|_| {});
    chain.set_events_max(3);
    for _ in 0..5 {
        chain.submit(|reply| {
            Message::Com(ComInput::Create {
                reply,
                order: order(vec![item("1", "fibre-broadband")]),
            })
        });
    }
    chain.run_until_idle();
    assert_eq!(chain.events.len(), 3);
    assert!(chain.events_dropped > 0);
    // Reading them makes room again.
    chain.events.clear();
    chain.submit(|reply| {
        Message::Com(ComInput::Create {
            reply,
            order: order(vec![item("1", "fibre-broadband")]),
        })
    });
    chain.run_until_idle();
    assert_eq!(chain.events.len(), 3);
}

#[test]
fn a_patch_to_in_progress_resumes_a_held_order_at_once() {
    use simulator::layers::common::OrderPatch;
    let mut chain = chain_with(|config| {
        config.chain.held_probability = 1.0;
        config.chain.held_resume_ms = 3_600_000;
    });
    chain.submit(|reply| {
        Message::Com(ComInput::Create {
            reply,
            order: order(vec![item("1", "fibre-broadband")]),
        })
    });
    chain.run_until(simulator::domain::time::Time::from_millis(10));
    let id = *chain.layers.com.orders().keys().next().expect("order");
    assert_eq!(chain.layers.com.orders()[&id].state, OrderState::Held);
    let resume = OrderPatch {
        resume: true,
        ..OrderPatch::default()
    };
    let token = chain.submit(|reply| {
        Message::Com(ComInput::Patch {
            reply,
            order: id,
            patch: resume.clone(),
        })
    });
    chain.run_until(simulator::domain::time::Time::from_millis(20));
    assert!(matches!(
        chain.take_reply(token),
        Some(Reply::ProductOrder(_))
    ));
    assert_eq!(
        chain.layers.com.orders()[&id].state,
        OrderState::Completed,
        "resumed long before the hour"
    );
    let again = chain.submit(|reply| {
        Message::Com(ComInput::Patch {
            reply,
            order: id,
            patch: resume,
        })
    });
    chain.run_until_idle();
    match chain.take_reply(again) {
        Some(Reply::Rejected(rejection)) => assert_eq!(rejection.kind, RejectionKind::Conflict),
        other => panic!("a completed order cannot be resumed: {other:?}"),
    }
    assert_audit_clean(&chain);
}

#[test]
fn orders_failing_a_check_after_acknowledgement_end_rejected() {
    let mut chain = chain_with(|config| config.chain.rejected_probability = 1.0);
    assert_eq!(
        run_order(&mut chain, order(vec![item("1", "fibre-broadband")])),
        OrderState::Rejected
    );
    let order = chain.layers.com.orders().values().next().expect("order");
    assert!(
        order
            .items
            .iter()
            .all(|item| item.state == OrderState::Rejected)
    );
    assert!(
        chain.layers.som.orders().is_empty(),
        "nothing was decomposed"
    );
    assert_eq!(chain.layers.network.allocations().count(), 0);
    assert_audit_clean(&chain);
}
