//! A property test: random interleavings of add, modify (speed, migration, bundle), delete,
//! cancel and duplicate cancel, with random element failures, timeouts and lost replies, each
//! at a random step boundary. After the chain drains, every order and every cancel request is
//! terminal and the audit is clean.

use proptest::prelude::*;
use simulator::domain::ids::ProductOrderId;
use simulator::domain::state::{OrderState, TaskState};
use simulator::layers::common::Action;
use simulator::layers::{RejectionKind, Reply};
use simulator::network::profile::OperationProfile;
use simulator::runtime::virtual_time::VirtualChain;

use crate::lifecycle_support::*;

/// One thing the test does to the chain.
#[derive(Clone, Debug)]
enum Operation {
    /// Order a new product (0 fibre, 1 DSL, 2 VoIP, 3 fibre with IPTV).
    Add(u8),
    /// Modify a product (0 speed, 1 migration, 2 bundle).
    Modify(u8, usize),
    /// Cease a product.
    Delete(usize),
    /// Cancel an order, queued or overtaking the queue.
    Cancel(usize, bool),
    /// Cancel again an order that already has a cancel request.
    DuplicateCancel(usize),
    /// A client cancels a service order (true) or resource order (false) directly.
    ChildCancel(usize, bool),
    /// Let the chain handle this many messages.
    Steps(u16),
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        3 => (0u8..4).prop_map(Operation::Add),
        2 => (0u8..3, any::<usize>()).prop_map(|(kind, pick)| Operation::Modify(kind, pick)),
        1 => any::<usize>().prop_map(Operation::Delete),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(pick, urgent)| Operation::Cancel(pick, urgent)),
        1 => any::<usize>().prop_map(Operation::DuplicateCancel),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(pick, som)| Operation::ChildCancel(pick, som)),
        3 => (0u16..40).prop_map(Operation::Steps),
    ]
}

/// Faults: a default profile for forward calls and a milder one for compensation.
#[derive(Clone, Debug)]
struct Faults {
    failure: f64,
    timeout: f64,
    lost: f64,
}

fn faults() -> impl Strategy<Value = Faults> {
    (0.0..0.15f64, 0.0..0.05f64, 0.0..0.05f64).prop_map(|(failure, timeout, lost)| Faults {
        failure,
        timeout,
        lost,
    })
}

fn build(seed: u64, faults: &Faults) -> VirtualChain {
    chain_with(|config| {
        config.seed = seed;
        let forward = &mut config.profiles.default;
        forward.failure_probability = faults.failure;
        forward.timeout_probability = faults.timeout;
        forward.reply_lost_probability = faults.lost;
        // Compensation may fail or lose its reply too, but not so often that five attempts
        // in a row fail (that is a finding the audit rightly reports).
        let back = OperationProfile {
            failure_probability: faults.failure / 3.0,
            reply_lost_probability: faults.lost,
            ..Default::default()
        };
        config.profiles.release = Some(back.clone());
        config.profiles.deactivate = Some(back);
    })
}

fn pick_product(
    chain: &VirtualChain,
    pick: usize,
    wanted: impl Fn(&str) -> bool,
) -> Option<simulator::domain::ids::ProductId> {
    let products: Vec<_> = chain
        .layers
        .com
        .products()
        .iter()
        .filter(|(_, live)| wanted(&live.offering))
        .map(|(id, _)| *id)
        .collect();
    products.get(pick % products.len().max(1)).copied()
}

/// Submits a create and records the order if it was accepted.
fn order(
    chain: &mut VirtualChain,
    orders: &mut Vec<ProductOrderId>,
    items: Vec<simulator::layers::com::ProductOrderItemCreate>,
) {
    let token = submit(chain, items);
    match reply_to(chain, token) {
        Reply::ProductOrder(order) => orders.push(order.id),
        Reply::Rejected(rejection) => assert!(
            matches!(
                rejection.kind,
                RejectionKind::Conflict | RejectionKind::NotFound | RejectionKind::InvalidRequest
            ),
            "{rejection:?}"
        ),
        other => panic!("unexpected {other:?}"),
    }
}

fn apply(chain: &mut VirtualChain, orders: &mut Vec<ProductOrderId>, operation: &Operation) {
    match *operation {
        Operation::Add(kind) => {
            let items = match kind {
                0 => vec![add("1", "fibre-broadband")],
                1 => vec![add("1", "dsl-broadband")],
                2 => vec![add("1", "voip")],
                _ => vec![add("1", "fibre-broadband"), add("2", "iptv")],
            };
            order(chain, orders, items);
        }
        Operation::Modify(kind, pick) => {
            let (offering, characteristics, from) = match kind {
                0 => (
                    "fibre-broadband",
                    vec![characteristic("downstreamSpeedMbps", 500)],
                    "fibre-broadband",
                ),
                1 => ("fibre-broadband", Vec::new(), "dsl-broadband"),
                _ => (
                    "fibre-broadband",
                    vec![characteristic("addOn", "iptv")],
                    "fibre-broadband",
                ),
            };
            if let Some(product) = pick_product(chain, pick, |offering| offering == from) {
                let item = change(Action::Modify, offering, product, characteristics);
                order(chain, orders, vec![item]);
            }
        }
        Operation::Delete(pick) => {
            if let Some(product) = pick_product(chain, pick, |_| true) {
                let offering = chain.layers.com.products()[&product].offering.to_string();
                let item = change(Action::Delete, &offering, product, Vec::new());
                order(chain, orders, vec![item]);
            }
        }
        Operation::Cancel(pick, urgent) => {
            let Some(id) = orders.get(pick % orders.len().max(1)).copied() else {
                return;
            };
            let reply = if urgent {
                cancel_urgent(chain, id)
            } else {
                cancel_now(chain, id)
            };
            check_cancel_reply(chain, id, reply);
        }
        Operation::DuplicateCancel(pick) => {
            let cancelled: Vec<_> = orders
                .iter()
                .filter(|id| chain.layers.com.orders()[*id].cancellation.is_some())
                .copied()
                .collect();
            let Some(id) = cancelled.get(pick % cancelled.len().max(1)).copied() else {
                return;
            };
            let first = chain.layers.com.orders()[&id].cancellation;
            let cancels = chain.layers.com.cancels().len();
            let again = cancel_request(cancel_urgent(chain, id));
            assert_eq!(Some(again.id), first, "the first request");
            assert_eq!(
                chain.layers.com.cancels().len(),
                cancels,
                "no second request"
            );
        }
        Operation::ChildCancel(pick, som_level) => child_cancel(chain, pick, som_level),
        Operation::Steps(count) => {
            for _ in 0..count {
                chain.step();
            }
        }
    }
}

fn child_cancel(chain: &mut VirtualChain, pick: usize, som_level: bool) {
    use simulator::layers::Message;
    use simulator::layers::rom::{ResourceOrderRef, RomInput};
    use simulator::layers::som::{ServiceOrderRef, SomInput};
    let token = if som_level {
        let ids: Vec<_> = chain.layers.som.orders().keys().copied().collect();
        let Some(order) = ids.get(pick % ids.len().max(1)).copied() else {
            return;
        };
        chain.submit(|reply| {
            Message::Som(SomInput::Cancel {
                reply: Some(reply),
                order: ServiceOrderRef::Id(order),
                reason: None,
            })
        })
    } else {
        let ids: Vec<_> = chain.layers.rom.orders().keys().copied().collect();
        let Some(order) = ids.get(pick % ids.len().max(1)).copied() else {
            return;
        };
        chain.submit(|reply| {
            Message::Rom(RomInput::Cancel {
                reply: Some(reply),
                order: ResourceOrderRef::Id(order),
                reason: None,
            })
        })
    };
    match reply_to(chain, token) {
        Reply::CancelServiceOrder(_) | Reply::CancelResourceOrder(_) => {}
        Reply::Rejected(rejection) => assert!(
            matches!(
                rejection.kind,
                RejectionKind::Conflict | RejectionKind::NotFound
            ),
            "{rejection:?}"
        ),
        other => panic!("unexpected {other:?}"),
    }
}

/// A cancel is accepted (idempotently) or refused with Conflict for a terminal order or a
/// change under way; nothing else.
fn check_cancel_reply(chain: &VirtualChain, id: ProductOrderId, reply: Reply) {
    let order = &chain.layers.com.orders()[&id];
    match reply {
        Reply::CancelProductOrder(request) => {
            assert_eq!(request.order, id);
            assert_eq!(order.cancellation, Some(request.id));
        }
        Reply::Rejected(rejection) => {
            assert_eq!(rejection.kind, RejectionKind::Conflict, "{rejection:?}");
            assert!(order.cancellation.is_none());
            let change = order.items.iter().any(|item| item.action != Action::Add);
            assert!(
                order.state.is_terminal() || change,
                "refused a cancel of a {} add order",
                order.state.as_str()
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// The order and everything under it, for a failure message.
fn describe(chain: &VirtualChain, id: ProductOrderId) -> String {
    let mut text = format!("{:#?}\n", chain.layers.com.orders()[&id]);
    for order in chain
        .layers
        .som
        .orders()
        .values()
        .filter(|order| order.parent == Some(id))
    {
        text.push_str(&format!("{order:#?}\n"));
        for child in chain.layers.rom.orders().values() {
            if child
                .parent
                .as_ref()
                .is_some_and(|(parent, _)| *parent == order.id)
            {
                text.push_str(&format!("{child:#?}\n"));
            }
        }
    }
    text.push_str(&format!(
        "{:#?}\n{:#?}\n",
        chain.layers.som.cancels(),
        chain.layers.rom.cancels()
    ));
    text
}

fn check_drained(chain: &VirtualChain) {
    for order in chain.layers.com.orders().values() {
        assert!(
            order.state.is_terminal(),
            "{} is {} after the drain: {}",
            order.id,
            order.state.as_str(),
            describe(chain, order.id)
        );
        let cancel = order
            .cancellation
            .map(|id| &chain.layers.com.cancels()[&id]);
        match cancel {
            Some(request) if order.state == OrderState::Cancelled => {
                assert_eq!(request.state, TaskState::Done, "{}", order.id)
            }
            Some(request) => assert_eq!(
                request.state,
                TaskState::TerminatedWithError,
                "{} ended {} with a cancel",
                order.id,
                order.state.as_str()
            ),
            None => assert_ne!(order.state, OrderState::Cancelled),
        }
    }
    for order in chain.layers.som.orders().values() {
        assert!(
            order.state.is_terminal(),
            "{} {:?}",
            order.id,
            order.history
        );
    }
    for order in chain.layers.rom.orders().values() {
        assert!(
            order.state.is_terminal(),
            "{} {:?}",
            order.id,
            order.history
        );
    }
    let open =
        |state: TaskState| !matches!(state, TaskState::Done | TaskState::TerminatedWithError);
    assert!(
        !chain
            .layers
            .som
            .cancels()
            .values()
            .any(|request| open(request.state))
    );
    assert!(
        !chain
            .layers
            .rom
            .cancels()
            .values()
            .any(|request| open(request.state))
    );
    assert_audit_clean(chain);
    // Whichever way an order ended (completed, failed, cancelled at any level), it was timed.
    crate::metrics_latency::assert_every_order_timed(chain);
}

proptest! {
    // 64 cases unless PROPTEST_CASES asks for more.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(64)
    ))]

    #[test]
    fn random_lifecycles_drain_to_terminal_states_with_a_clean_audit(
        seed in any::<u64>(),
        faults in faults(),
        operations in prop::collection::vec(operation(), 1..60),
    ) {
        let mut chain = build(seed, &faults);
        let mut orders = Vec::new();
        for operation in &operations {
            apply(&mut chain, &mut orders, operation);
        }
        chain.run_until_idle();
        check_drained(&chain);
    }
}
