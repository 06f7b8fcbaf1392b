//! Sync orchestration in virtual time: the caller's reply waits for the whole chain, worker
//! slots bound the orders in progress, call timeouts cascade, and work that completes after
//! its caller gave up is compensated (the audit stays clean).

use simulator::layers::failure::FailureCode;
use std::sync::Arc;

use simulator::config::{ChainMode, SimConfig};
use simulator::domain::state::OrderState;
use simulator::domain::time::Time;
use simulator::layers::com::{ComInput, ProductOrderCreate, ProductOrderItemCreate};
use simulator::layers::common::{Action, Characteristic};
use simulator::layers::{Message, Reply, ReplyToken};
use simulator::network::profile::{Latency, OperationProfile};
use simulator::runtime::virtual_time::VirtualChain;

fn fibre() -> ProductOrderCreate {
    ProductOrderCreate {
        external_id: None,
        items: vec![ProductOrderItemCreate {
            id: "1".to_string(),
            action: Action::Add,
            offering: Arc::from("fibre-broadband"),
            product: None,
            characteristics: vec![Characteristic {
                name: "region".into(),
                value: "north".into(),
            }],
        }],
        attributes: None,
    }
}

fn sync_chain(configure: impl FnOnce(&mut SimConfig)) -> VirtualChain {
    let mut config = SimConfig::default();
    config.chain.mode = ChainMode::Sync;
    config.profiles.default.latency = Latency::Fixed { ms: 10.0 };
    configure(&mut config);
    VirtualChain::new(config).expect("valid config")
}

fn submit(chain: &mut VirtualChain) -> ReplyToken {
    chain.submit(|reply| {
        Message::Com(ComInput::Create {
            reply,
            order: fibre(),
        })
    })
}

fn final_state(chain: &mut VirtualChain, token: ReplyToken) -> Option<OrderState> {
    match chain.take_reply(token)? {
        Reply::ProductOrder(order) => Some(order.state),
        other => panic!("expected a product order, got {other:?}"),
    }
}

#[test]
fn the_reply_waits_for_the_whole_chain() {
    let mut chain = sync_chain(|_| {});
    let token = submit(&mut chain);
    chain.run_until(Time::from_millis(5));
    assert!(
        !chain.replies.contains_key(&token),
        "no answer while the chain works"
    );
    chain.run_until_idle();
    assert_eq!(final_state(&mut chain, token), Some(OrderState::Completed));
    assert!(chain.audit().ok);
}

#[test]
fn worker_slots_bound_the_orders_in_progress() {
    let mut chain = sync_chain(|config| config.chain.workers = 2);
    let tokens: Vec<_> = (0..6).map(|_| submit(&mut chain)).collect();
    let mut most_in_progress = 0;
    while chain.step() {
        let in_progress = chain
            .layers
            .com
            .orders()
            .values()
            .filter(|order| order.state == OrderState::InProgress)
            .count();
        most_in_progress = most_in_progress.max(in_progress);
    }
    assert_eq!(most_in_progress, 2);
    assert!(
        chain.layers.com.workers().waited > 0,
        "later orders queued for a slot"
    );
    for token in tokens {
        assert_eq!(final_state(&mut chain, token), Some(OrderState::Completed));
    }
    assert!(chain.audit().ok);
}

#[test]
fn async_mode_does_not_queue_for_worker_slots() {
    let mut chain = sync_chain(|config| {
        config.chain.mode = ChainMode::Async;
        config.chain.workers = 2;
    });
    for _ in 0..6 {
        submit(&mut chain);
    }
    let mut most_in_progress = 0;
    while chain.step() {
        let in_progress = chain
            .layers
            .com
            .orders()
            .values()
            .filter(|order| order.state == OrderState::InProgress)
            .count();
        most_in_progress = most_in_progress.max(in_progress);
    }
    assert_eq!(most_in_progress, 6);
}

#[test]
fn a_hung_activation_times_out_up_the_chain_and_leaks_nothing() {
    let mut chain = sync_chain(|config| {
        config.chain.call_timeout_ms = 300;
        config.chain.element_timeout_ms = 2_000;
        config.chain.liveness_bound_ms = 10_000;
        config.profiles.activate = Some(OperationProfile {
            timeout_probability: 1.0,
            ..OperationProfile::default()
        });
    });
    let token = submit(&mut chain);
    chain.run_until(Time::from_millis(400));
    assert_eq!(
        final_state(&mut chain, token),
        Some(OrderState::Failed),
        "COM gave up after its call timeout"
    );
    let order = chain
        .layers
        .com
        .orders()
        .values()
        .next()
        .expect("the order");
    let reason = order.failure.as_ref().expect("a failed order says why");
    assert_eq!(reason.code, FailureCode::CallTimeout, "{reason:?}");
    chain.run_until_idle();
    let report = chain.audit();
    assert!(report.ok, "audit: {:#?}", report.findings);
    assert_eq!(
        chain.layers.network.allocations().count(),
        0,
        "everything the abandoned order took was given back"
    );
}

#[test]
fn work_finishing_after_the_caller_gave_up_is_compensated() {
    // Activation takes 400 ms; COM waits 300 ms, SOM and ROM too: everything below completes
    // or is cancelled after COM failed the order, and must not stay allocated.
    let mut chain = sync_chain(|config| {
        config.chain.call_timeout_ms = 300;
        config.profiles.activate = Some(OperationProfile {
            latency: Latency::Fixed { ms: 400.0 },
            ..OperationProfile::default()
        });
    });
    let tokens: Vec<_> = (0..5).map(|_| submit(&mut chain)).collect();
    chain.run_until_idle();
    for token in tokens {
        assert_eq!(final_state(&mut chain, token), Some(OrderState::Failed));
    }
    let report = chain.audit();
    assert!(report.ok, "audit: {:#?}", report.findings);
    assert_eq!(chain.layers.network.allocations().count(), 0);
}

mod late_completion {
    //! The layers alone, driven message by message: a child that completes after its parent
    //! gave up is undone by a compensating order.

    use std::sync::Arc;

    use rand::SeedableRng;
    use simulator::config::{ChainMode, SimConfig};
    use simulator::domain::catalog::{Catalog, ResourceKind};
    use simulator::domain::ids::{ResourceId, ResourceOrderId, ServiceId, ServiceOrderId};
    use simulator::domain::state::OrderState;
    use simulator::domain::time::Time;
    use simulator::layers::com::{
        ComInput, ComLayer, ComWake, ServiceItemSummary, ServiceOrderSummary,
    };
    use simulator::layers::common::Action;
    use simulator::layers::rom::{HeldResource, RomInput};
    use simulator::layers::som::{ResourceOrderSummary, SomInput, SomLayer};
    use simulator::layers::{Effect, Effects, Layer, Message, ReplyToken, SimRng};
    use simulator::network::Topology;

    fn sent(effects: &mut Effects) -> Vec<Message> {
        effects
            .drain()
            .filter_map(|effect| match effect {
                Effect::Send { message, .. } => Some(message),
                _ => None,
            })
            .collect()
    }

    fn parts() -> (Arc<Catalog>, Arc<Topology>, SimConfig) {
        let mut config = SimConfig::default();
        config.chain.mode = ChainMode::Sync;
        let topology = Topology::from_config(&config.network).expect("topology");
        (Arc::new(Catalog::builtin()), Arc::new(topology), config)
    }

    #[test]
    fn com_undoes_a_service_order_that_completed_after_the_call_timeout() {
        let (catalog, topology, config) = parts();
        let mut com = ComLayer::new(
            catalog,
            topology,
            config.chain.clone(),
            config.limits.clone(),
        );
        let (mut rng, mut effects, now) =
            (SimRng::seed_from_u64(1), Effects::default(), Time::ZERO);
        com.handle(
            ComInput::Create {
                reply: ReplyToken(1),
                order: super::fibre(),
            },
            now,
            &mut rng,
            &mut effects,
        );
        let id = *com.orders().keys().next().expect("order");
        com.handle(
            ComInput::Wake(ComWake::Start(id)),
            now,
            &mut rng,
            &mut effects,
        );
        effects.drain().for_each(drop);
        com.handle(
            ComInput::Wake(ComWake::CallTimeout(id)),
            now,
            &mut rng,
            &mut effects,
        );
        assert_eq!(com.orders()[&id].state, OrderState::Failed);
        assert!(
            sent(&mut effects)
                .iter()
                .any(|message| matches!(message, Message::Som(SomInput::Cancel { .. })))
        );
        let summary = ServiceOrderSummary {
            id: ServiceOrderId(1),
            parent: id,
            state: OrderState::Completed,
            items: vec![ServiceItemSummary {
                id: "1.1".to_string(),
                parent_item: "1".to_string(),
                action: Action::Add,
                specification: Arc::from("internet-access"),
                state: OrderState::Completed,
                service: Some(ServiceId(1)),
            }],
            failure: None,
        };
        com.handle(
            ComInput::ServiceOrderChanged(summary.clone()),
            now,
            &mut rng,
            &mut effects,
        );
        let undo: Vec<_> = sent(&mut effects)
            .into_iter()
            .filter_map(|message| match message {
                Message::Som(SomInput::Create { order, .. }) => Some(order),
                _ => None,
            })
            .collect();
        assert_eq!(undo.len(), 1, "one compensating service order");
        assert!(
            undo[0]
                .items
                .iter()
                .all(|item| item.action == Action::Delete && item.service == Some(ServiceId(1)))
        );
        com.handle(
            ComInput::ServiceOrderChanged(summary),
            now,
            &mut rng,
            &mut effects,
        );
        assert!(sent(&mut effects).is_empty(), "compensated once");
    }

    #[test]
    fn som_undoes_a_resource_order_that_completed_after_the_call_timeout() {
        let (catalog, topology, config) = parts();
        let mut som = SomLayer::new(catalog, topology, &config.chain, config.limits.clone());
        let (mut rng, mut effects, now) =
            (SimRng::seed_from_u64(1), Effects::default(), Time::ZERO);
        let request = simulator::layers::som::ServiceOrderCreate {
            external_id: None,
            parent: None,
            items: vec![simulator::layers::som::ServiceOrderItemCreate {
                id: "1".to_string(),
                action: Action::Add,
                service_specification: Arc::from("internet-access"),
                service: None,
                parent_item: None,
                characteristics: super::fibre().items[0].characteristics.clone().into(),
            }],
        };
        som.handle(
            SomInput::Create {
                reply: None,
                order: request,
            },
            now,
            &mut rng,
            &mut effects,
        );
        let id = *som.orders().keys().next().expect("order");
        som.handle(SomInput::Wake(id), now, &mut rng, &mut effects);
        effects.drain().for_each(drop);
        som.handle(
            SomInput::CallTimeout {
                order: id,
                item: "1".to_string(),
            },
            now,
            &mut rng,
            &mut effects,
        );
        assert_eq!(som.orders()[&id].state, OrderState::Failed);
        assert!(
            sent(&mut effects)
                .iter()
                .any(|message| matches!(message, Message::Rom(RomInput::Cancel { .. })))
        );
        let held = HeldResource {
            resource: ResourceId(9),
            service: ServiceId(2),
            service_specification: Arc::from("gpon-access"),
            resource_specification: Arc::from("onu-slot"),
            kind: ResourceKind::OnuSlot,
        };
        let summary = ResourceOrderSummary {
            id: ResourceOrderId(1),
            parent: (id, "1".to_string()),
            state: OrderState::Completed,
            resources: vec![held],
            failure: None,
        };
        som.handle(
            SomInput::ResourceOrderChanged(summary),
            now,
            &mut rng,
            &mut effects,
        );
        let undo: Vec<_> = sent(&mut effects)
            .into_iter()
            .filter_map(|message| match message {
                Message::Rom(RomInput::Create { order, .. }) => Some(order),
                _ => None,
            })
            .collect();
        assert_eq!(undo.len(), 1, "one compensating resource order");
        assert!(
            undo[0]
                .items
                .iter()
                .all(|item| item.action == Action::Delete && item.resource == Some(ResourceId(9)))
        );
        assert!(
            som.services().is_empty(),
            "nothing abandoned is put in service"
        );
    }
}

#[test]
fn a_sync_order_that_fails_says_why() {
    let mut chain = sync_chain(|config| {
        config.profiles.allocate = Some(OperationProfile {
            failure_probability: 1.0,
            ..OperationProfile::default()
        });
    });
    let token = submit(&mut chain);
    chain.run_until_idle();
    assert_eq!(final_state(&mut chain, token), Some(OrderState::Failed));
    let order = chain
        .layers
        .com
        .orders()
        .values()
        .next()
        .expect("the order");
    let reason = order.failure.as_ref().expect("a failed order says why");
    assert_eq!(reason.code, FailureCode::ElementFailed, "{reason:?}");
}
