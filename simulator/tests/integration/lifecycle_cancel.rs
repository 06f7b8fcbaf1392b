//! Cancellation in virtual time: a cancel at each named step boundary of the chain, and at
//! every boundary one step apart; duplicate cancels; cancels of terminal orders; cancels of
//! held and pending orders. Every run ends with the audit clean and the pools as they were.

use simulator::domain::ids::ProductOrderId;
use simulator::domain::state::{OrderState, ServiceState, TaskState};
use simulator::layers::common::Action;
use simulator::layers::{RejectionKind, Reply};
use simulator::runtime::virtual_time::VirtualChain;

use crate::lifecycle_support::*;

/// Steps until `reached` holds; panics if the chain goes idle first.
fn step_until(chain: &mut VirtualChain, what: &str, reached: impl Fn(&VirtualChain) -> bool) {
    while !reached(chain) {
        assert!(chain.step(), "the chain went idle before {what}");
    }
}

/// Cancels `id` now, runs to idle and checks the order ended cancelled with nothing left.
fn cancel_and_check(chain: &mut VirtualChain, id: ProductOrderId, empty: &[(String, u64)]) {
    let request = cancel_request(cancel_now(chain, id));
    assert_eq!(request.order, id);
    chain.run_until_idle();
    assert_cancelled(chain, id, empty);
}

fn assert_cancelled(chain: &VirtualChain, id: ProductOrderId, empty: &[(String, u64)]) {
    let order = &chain.layers.com.orders()[&id];
    assert_eq!(order.state, OrderState::Cancelled, "{:?}", order.history);
    assert!(
        order
            .items
            .iter()
            .all(|item| item.state == OrderState::Cancelled)
    );
    let cancel = order.cancellation.expect("the cancel request");
    assert_eq!(chain.layers.com.cancels()[&cancel].state, TaskState::Done);
    assert!(chain.layers.com.cancels()[&cancel].effective.is_some());
    assert_eq!(occupancy(chain), empty, "pools back to where they were");
    assert_eq!(chain.layers.network.allocations().count(), 0);
    assert!(chain.layers.rom.live().is_empty(), "no live resource");
    assert!(chain.layers.som.services().is_empty(), "no live CFS");
    assert!(chain.layers.com.products().is_empty(), "no product");
    assert!(
        chain
            .layers
            .activation
            .services()
            .values()
            .all(|service| service.state == ServiceState::Terminated),
        "every activation terminated"
    );
    assert_elements_idle(chain);
    assert!(
        chain
            .layers
            .som
            .cancels()
            .values()
            .all(|request| request.state == TaskState::Done)
    );
    assert!(
        chain
            .layers
            .rom
            .cancels()
            .values()
            .all(|request| request.state == TaskState::Done)
    );
    assert_audit_clean(chain);
}

fn fibre(chain: &mut VirtualChain) -> ProductOrderId {
    place(chain, vec![add("1", "fibre-broadband")])
}

#[test]
fn cancel_before_decomposition_discards_the_order() {
    let mut chain = chain_with(|_| {});
    let empty = occupancy(&chain);
    let id = fibre(&mut chain);
    assert_eq!(
        chain.layers.com.orders()[&id].state,
        OrderState::Acknowledged
    );
    // The start wake-up is already queued: the cancel overtakes it.
    cancel_request(cancel_urgent(&mut chain, id));
    chain.run_until_idle();
    assert_cancelled(&chain, id, &empty);
    assert!(chain.layers.som.orders().is_empty(), "nothing reached SOM");
}

#[test]
fn cancel_after_the_service_order_was_created() {
    let mut chain = chain_with(|_| {});
    let empty = occupancy(&chain);
    let id = fibre(&mut chain);
    step_until(&mut chain, "SOM has the order", |chain| {
        !chain.layers.som.orders().is_empty()
    });
    assert!(chain.layers.rom.orders().is_empty());
    cancel_and_check(&mut chain, id, &empty);
    let service_order = chain
        .layers
        .som
        .orders()
        .values()
        .next()
        .expect("service order");
    assert_eq!(service_order.state, OrderState::Cancelled);
}

#[test]
fn cancel_after_each_resource_allocation() {
    for allocated in 0..=3 {
        let mut chain = chain_with(|_| {});
        let empty = occupancy(&chain);
        let id = fibre(&mut chain);
        step_until(&mut chain, "the allocations", |chain| {
            chain
                .layers
                .rom
                .orders()
                .values()
                .next()
                .is_some_and(|order| {
                    order
                        .items
                        .iter()
                        .filter(|item| item.value.is_some())
                        .count()
                        == allocated
                })
        });
        assert_eq!(chain.layers.network.allocations().count(), allocated);
        cancel_and_check(&mut chain, id, &empty);
        let resource_order = chain
            .layers
            .rom
            .orders()
            .values()
            .next()
            .expect("resource order");
        assert_eq!(resource_order.state, OrderState::Cancelled, "{allocated}");
    }
}

#[test]
fn cancel_after_activation() {
    let mut chain = chain_with(|_| {});
    let empty = occupancy(&chain);
    let id = fibre(&mut chain);
    step_until(&mut chain, "an active RFS", |chain| {
        chain
            .layers
            .activation
            .services()
            .values()
            .any(|service| service.state == ServiceState::Active)
    });
    cancel_and_check(&mut chain, id, &empty);
}

#[test]
fn cancel_after_the_resource_order_completed() {
    let mut chain = chain_with(|_| {});
    let empty = occupancy(&chain);
    let id = fibre(&mut chain);
    step_until(&mut chain, "ROM completed", |chain| {
        chain
            .layers
            .rom
            .orders()
            .values()
            .any(|order| order.state == OrderState::Completed)
    });
    assert_eq!(
        chain
            .layers
            .som
            .orders()
            .values()
            .next()
            .map(|order| order.state),
        Some(OrderState::InProgress)
    );
    cancel_and_check(&mut chain, id, &empty);
}

#[test]
fn cancel_after_som_finished_but_before_com_saw_it_compensates() {
    let mut chain = chain_with(|_| {});
    let empty = occupancy(&chain);
    let id = fibre(&mut chain);
    step_until(&mut chain, "SOM completed", |chain| {
        chain
            .layers
            .som
            .orders()
            .values()
            .any(|order| order.state == OrderState::Completed)
    });
    assert_eq!(chain.layers.com.orders()[&id].state, OrderState::InProgress);
    // SOM's completion event is queued for COM: the cancel overtakes it.
    cancel_request(cancel_urgent(&mut chain, id));
    chain.run_until_idle();
    assert_cancelled(&chain, id, &empty);
    let compensation: Vec<_> = chain
        .layers
        .som
        .orders()
        .values()
        .filter(|order| order.items.iter().all(|item| item.action == Action::Delete))
        .collect();
    assert_eq!(compensation.len(), 1, "one compensating service order");
    assert_eq!(compensation[0].state, OrderState::Completed);
}

/// Every step boundary of an add order: the cancel either wins (cancelled, nothing left) or
/// loses to completion (refused with Conflict, the product in service); never both.
#[test]
fn cancel_at_every_step_boundary_has_exactly_one_winner() {
    for urgent in [false, true] {
        cancel_at_every_boundary(urgent);
    }
}

/// `urgent`: the cancel overtakes every queued message; otherwise it queues behind them.
fn cancel_at_every_boundary(urgent: bool) {
    let steps = {
        let mut chain = chain_with(|_| {});
        fibre(&mut chain);
        chain.run_until_idle()
    };
    let (mut won, mut lost) = (0, 0);
    for boundary in 0..=steps {
        let mut chain = chain_with(|_| {});
        let empty = occupancy(&chain);
        let id = fibre(&mut chain);
        for _ in 0..boundary {
            chain.step();
        }
        let reply = if urgent {
            cancel_urgent(&mut chain, id)
        } else {
            cancel_now(&mut chain, id)
        };
        chain.run_until_idle();
        match reply {
            Reply::CancelProductOrder(_) => {
                won += 1;
                assert_cancelled(&chain, id, &empty);
            }
            Reply::Rejected(rejection) => {
                lost += 1;
                assert_eq!(rejection.kind, RejectionKind::Conflict, "{boundary}");
                let order = &chain.layers.com.orders()[&id];
                assert_eq!(order.state, OrderState::Completed, "{boundary}");
                assert!(order.cancellation.is_none());
                assert!(chain.layers.com.cancels().is_empty());
                assert_eq!(chain.layers.network.allocations().count(), 3);
                assert_audit_clean(&chain);
            }
            other => panic!("boundary {boundary}: unexpected {other:?}"),
        }
    }
    assert!(
        won > 5 && lost > 0,
        "urgent {urgent}: {won} won, {lost} lost"
    );
}

/// Runs a fibre order, cancelled after `boundary` steps, and `duplicates` more cancels at the
/// boundaries in `again`; returns the event log and the chain.
fn cancelled_run(boundary: usize, again: &[usize]) -> (Vec<String>, VirtualChain) {
    let mut chain = chain_with(|_| {});
    let id = fibre(&mut chain);
    for _ in 0..boundary {
        chain.step();
    }
    let first = cancel_request(cancel_urgent(&mut chain, id));
    let mut step = 0;
    loop {
        if again.contains(&step) {
            let duplicate = cancel_request(cancel_urgent(&mut chain, id));
            assert_eq!(duplicate.id, first.id, "the first request, at step {step}");
        }
        step += 1;
        if !chain.step() {
            break;
        }
    }
    if again.iter().any(|at| *at >= step) {
        let duplicate = cancel_request(cancel_urgent(&mut chain, id));
        assert_eq!(duplicate.id, first.id, "after the drain");
        assert_eq!(duplicate.state, TaskState::Done);
    }
    let events = chain
        .events
        .iter()
        .map(|event| format!("{event:?}"))
        .collect();
    (events, chain)
}

#[test]
fn a_duplicate_cancel_returns_the_first_request_and_changes_nothing() {
    let empty = occupancy(&chain_with(|_| {}));
    for boundary in [0, 3, 8, 15] {
        let (events, chain) = cancelled_run(boundary, &[]);
        for again in [&[0][..], &[1, 2], &[5], &[0, 4, 9, 1_000]] {
            let (duplicated, twice) = cancelled_run(boundary, again);
            assert_eq!(duplicated, events, "boundary {boundary}, again {again:?}");
            assert_eq!(twice.layers.com.cancels(), chain.layers.com.cancels());
            assert_eq!(twice.layers.som.cancels(), chain.layers.som.cancels());
            assert_eq!(twice.layers.rom.cancels(), chain.layers.rom.cancels());
            assert_eq!(twice.layers.com.orders(), chain.layers.com.orders());
            let id = *twice.layers.com.orders().keys().next().expect("the order");
            assert_cancelled(&twice, id, &empty);
        }
    }
}

#[test]
fn cancels_of_terminal_orders_are_refused_with_conflict() {
    let mut chain = chain_with(|config| {
        config.network.regions[0].multicast_members_max = 0;
    });
    let completed = run(&mut chain, vec![add("1", "fibre-broadband")]);
    let failed_order = run(&mut chain, vec![add("1", "voip"), add("2", "iptv")]);
    assert_eq!(completed.state, OrderState::Completed);
    assert_eq!(failed_order.state, OrderState::Partial);
    let cancelled = fibre(&mut chain);
    cancel_request(cancel_now(&mut chain, cancelled));
    chain.run_until_idle();
    let held = occupancy(&chain);
    for id in [completed.id, failed_order.id] {
        match cancel_now(&mut chain, id) {
            Reply::Rejected(rejection) => assert_eq!(rejection.kind, RejectionKind::Conflict),
            other => panic!("{id}: expected Conflict, got {other:?}"),
        }
    }
    match cancel_now(&mut chain, ProductOrderId(999)) {
        Reply::Rejected(rejection) => assert_eq!(rejection.kind, RejectionKind::NotFound),
        other => panic!("expected NotFound, got {other:?}"),
    }
    // A cancelled order answers with its own request (idempotent), not a new one.
    let again = cancel_request(cancel_now(&mut chain, cancelled));
    assert_eq!(again.state, TaskState::Done);
    chain.run_until_idle();
    assert_eq!(occupancy(&chain), held);
    assert_eq!(chain.layers.com.cancels().len(), 1);
    assert_audit_clean(&chain);
}

#[test]
fn failed_orders_refuse_cancel() {
    let mut chain = chain_with(|config| {
        config.profiles.allocate = Some(simulator::network::profile::OperationProfile {
            failure_probability: 1.0,
            ..Default::default()
        });
    });
    let order = run(&mut chain, vec![add("1", "fibre-broadband")]);
    assert_eq!(order.state, OrderState::Failed);
    match cancel_now(&mut chain, order.id) {
        Reply::Rejected(rejection) => assert_eq!(rejection.kind, RejectionKind::Conflict),
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert_audit_clean(&chain);
}

#[test]
fn running_modify_and_delete_orders_refuse_cancel() {
    let mut chain = chain_with(|_| {});
    let product = product(&mut chain, "fibre-broadband");
    let speed = vec![characteristic("downstreamSpeedMbps", 500)];
    let modify = place(
        &mut chain,
        vec![change(Action::Modify, "fibre-broadband", product, speed)],
    );
    step_until(&mut chain, "the modify under way", |chain| {
        chain.layers.com.orders()[&modify].state == OrderState::InProgress
    });
    match cancel_now(&mut chain, modify) {
        Reply::Rejected(rejection) => assert_eq!(rejection.kind, RejectionKind::Conflict),
        other => panic!("expected Conflict, got {other:?}"),
    }
    chain.run_until_idle();
    assert_eq!(
        chain.layers.com.orders()[&modify].state,
        OrderState::Completed
    );
    // Not yet started: the change is simply discarded, and the product stays as it was.
    let delete = place(
        &mut chain,
        vec![change(
            Action::Delete,
            "fibre-broadband",
            product,
            Vec::new(),
        )],
    );
    cancel_request(cancel_urgent(&mut chain, delete));
    chain.run_until_idle();
    assert_eq!(
        chain.layers.com.orders()[&delete].state,
        OrderState::Cancelled
    );
    assert!(
        chain.layers.com.products()[&product].busy.is_none(),
        "product free again"
    );
    assert_eq!(
        chain.layers.network.allocations().count(),
        3,
        "still in service"
    );
    assert_audit_clean(&chain);
}

#[test]
fn held_and_pending_orders_resume_and_can_be_cancelled() {
    for (held, state) in [(true, OrderState::Held), (false, OrderState::Pending)] {
        let mut chain = chain_with(|config| {
            if held {
                config.chain.held_probability = 1.0;
            } else {
                config.chain.pending_probability = 1.0;
            }
        });
        let empty = occupancy(&chain);
        let resumed = fibre(&mut chain);
        step_until(&mut chain, "the hold", |chain| {
            chain.layers.com.orders()[&resumed].state == state
        });
        chain.run_until_idle();
        let order = &chain.layers.com.orders()[&resumed];
        assert_eq!(order.state, OrderState::Completed);
        assert!(order.history.iter().any(|(_, s)| s == state));

        let mut chain = chain_with(|config| {
            config.chain.held_probability = if held { 1.0 } else { 0.0 };
            config.chain.pending_probability = if held { 0.0 } else { 1.0 };
        });
        let id = fibre(&mut chain);
        step_until(&mut chain, "the hold", |chain| {
            chain.layers.com.orders()[&id].state == state
        });
        cancel_and_check(&mut chain, id, &empty);
        assert!(
            chain.layers.som.orders().is_empty(),
            "a held order never reached SOM"
        );
    }
}

/// A client cancels a resource order (TMF652) or a service order (TMF641) directly: the
/// parent item fails (it was not the parent's own cancel) and every layer ends terminal.
#[test]
fn direct_cancels_of_child_orders_fail_the_parent_items() {
    use simulator::layers::Message;
    use simulator::layers::rom::{ResourceOrderRef, RomInput};
    use simulator::layers::som::{ServiceOrderRef, SomInput};
    for som_level in [false, true] {
        let mut chain = chain_with(|_| {});
        let empty = occupancy(&chain);
        let id = fibre(&mut chain);
        step_until(&mut chain, "an allocation", |chain| {
            chain.layers.network.allocations().count() == 1
        });
        let service_order = *chain
            .layers
            .som
            .orders()
            .keys()
            .next()
            .expect("service order");
        let resource_order = *chain
            .layers
            .rom
            .orders()
            .keys()
            .next()
            .expect("resource order");
        let cancel = |chain: &mut VirtualChain| {
            let token = chain.submit(|reply| {
                if som_level {
                    Message::Som(SomInput::Cancel {
                        reply: Some(reply),
                        order: ServiceOrderRef::Id(service_order),
                        reason: None,
                    })
                } else {
                    Message::Rom(RomInput::Cancel {
                        reply: Some(reply),
                        order: ResourceOrderRef::Id(resource_order),
                        reason: None,
                    })
                }
            });
            chain.run_until_idle();
            match chain.take_reply(token) {
                Some(Reply::CancelServiceOrder(request)) if som_level => request.id.0,
                Some(Reply::CancelResourceOrder(request)) if !som_level => request.id.0,
                other => panic!("expected a cancel request, got {other:?}"),
            }
        };
        let first = cancel(&mut chain);
        assert_eq!(
            cancel(&mut chain),
            first,
            "after the end, the first request again"
        );
        let order = &chain.layers.com.orders()[&id];
        assert_eq!(order.state, OrderState::Failed, "{:?}", order.history);
        let service_order = chain
            .layers
            .som
            .orders()
            .values()
            .next()
            .expect("service order");
        let expected = if som_level {
            OrderState::Cancelled
        } else {
            OrderState::Failed
        };
        assert_eq!(service_order.state, expected, "{:?}", service_order.history);
        assert_eq!(occupancy(&chain), empty);
        assert!(
            chain
                .layers
                .som
                .cancels()
                .values()
                .all(|r| r.state == TaskState::Done)
        );
        assert!(
            chain
                .layers
                .rom
                .cancels()
                .values()
                .all(|r| r.state == TaskState::Done)
        );
        assert_audit_clean(&chain);
    }
}

/// Cancel requests are bounded like the orders they belong to: they leave with them.
#[test]
fn cancel_requests_leave_with_their_evicted_orders() {
    let mut chain = chain_with(|config| config.limits.retained_orders_max = 2);
    for _ in 0..6 {
        let id = fibre(&mut chain);
        while chain.layers.network.allocations().count() < 1 {
            assert!(chain.step());
        }
        cancel_request(cancel_urgent(&mut chain, id));
        chain.run_until_idle();
    }
    assert!(chain.layers.com.orders().len() <= 2);
    assert!(
        chain.layers.com.cancels().len() <= 2,
        "{}",
        chain.layers.com.cancels().len()
    );
    assert!(
        chain.layers.som.cancels().len() <= 2,
        "{}",
        chain.layers.som.cancels().len()
    );
    assert!(
        chain.layers.rom.cancels().len() <= 2,
        "{}",
        chain.layers.rom.cancels().len()
    );
    assert!(
        chain.layers.rom.releases().len() <= 2 * 3,
        "{}",
        chain.layers.rom.releases().len()
    );
    assert_audit_clean(&chain);
}

/// The same race for a two-item order (broadband and IPTV) whose IPTV item fails (no
/// multicast capacity), and for a DSL order: at every boundary, queued or overtaking, the
/// cancel either wins (cancelled, pools empty) or loses to the order's own end (409, the
/// order partial or completed with only what it kept); the audit is clean either way.
#[test]
fn cancel_races_a_partial_order_and_a_dsl_order_with_one_winner() {
    type Items = fn() -> Vec<simulator::layers::com::ProductOrderItemCreate>;
    let cases: [(Items, u32, OrderState); 2] = [
        (
            || vec![add("1", "fibre-broadband"), add("2", "iptv")],
            0,
            OrderState::Partial,
        ),
        (
            || vec![add("1", "dsl-broadband")],
            16,
            OrderState::Completed,
        ),
    ];
    for (items, multicast, end) in cases {
        let build =
            || chain_with(|config| config.network.regions[0].multicast_members_max = multicast);
        let steps = {
            let mut chain = build();
            place(&mut chain, items());
            chain.run_until_idle()
        };
        for urgent in [false, true] {
            let mut outcomes = [0u32; 2];
            for boundary in 0..=steps {
                let mut chain = build();
                let empty = occupancy(&chain);
                let id = place(&mut chain, items());
                for _ in 0..boundary {
                    chain.step();
                }
                let reply = if urgent {
                    cancel_urgent(&mut chain, id)
                } else {
                    cancel_now(&mut chain, id)
                };
                chain.run_until_idle();
                if let Reply::CancelProductOrder(_) = reply {
                    outcomes[0] += 1;
                    assert_cancelled(&chain, id, &empty);
                    continue;
                }
                outcomes[1] += 1;
                assert!(
                    matches!(&reply, Reply::Rejected(r) if r.kind == RejectionKind::Conflict),
                    "{boundary}: {reply:?}"
                );
                assert_eq!(chain.layers.com.orders()[&id].state, end, "{boundary}");
                assert!(chain.layers.com.cancels().is_empty());
                assert_audit_clean(&chain);
            }
            assert!(outcomes[0] > 3 && outcomes[1] > 0, "{outcomes:?}");
        }
    }
}

/// The network applied an allocation whose reply has not arrived when the cancel does: the
/// compensation, registered before the call under the allocation's name, still releases it.
#[test]
fn cancel_while_an_applied_allocation_is_unanswered_releases_it_by_name() {
    let mut chain = chain_with(|config| {
        config.profiles.allocate = Some(simulator::network::profile::OperationProfile {
            latency: simulator::network::profile::Latency::Fixed { ms: 10.0 },
            ..Default::default()
        });
    });
    let empty = occupancy(&chain);
    let id = fibre(&mut chain);
    step_until(&mut chain, "an applied, unanswered allocation", |chain| {
        let answered = chain
            .layers
            .rom
            .orders()
            .values()
            .flat_map(|order| &order.items)
            .filter(|item| item.value.is_some())
            .count();
        chain.layers.network.allocations().count() == 1 && answered == 0
    });
    cancel_request(cancel_urgent(&mut chain, id));
    chain.run_until_idle();
    assert_cancelled(&chain, id, &empty);
}
