//! The audit's `cancel_applied_once` check (DESIGN.md check 4) can fail: a chain broken on
//! purpose (a second release of a cancelled allocation, a second cancel request, a cancel
//! request left open, a cancelled order whose allocation was never released) trips it.

use simulator::domain::ids::{CancelProductOrderId, OperationId};
use simulator::domain::state::{OrderState, TaskState};
use simulator::layers::rom::PendingOperation;
use simulator::layers::{LayerId, Message};
use simulator::network::{ElementOperation, ElementRequest, NetworkInput};
use simulator::runtime::virtual_time::VirtualChain;

use crate::lifecycle_support::*;

/// A fibre order cancelled after two allocations, drained; the audit is clean.
fn cancelled_chain() -> VirtualChain {
    let mut chain = chain_with(|_| {});
    let id = place(&mut chain, vec![add("1", "fibre-broadband")]);
    while chain.layers.network.allocations().count() < 2 {
        assert!(chain.step());
    }
    cancel_request(cancel_urgent(&mut chain, id));
    chain.run_until_idle();
    assert_eq!(chain.layers.com.orders()[&id].state, OrderState::Cancelled);
    assert_audit_clean(&chain);
    chain
}

fn cancel_finding(chain: &VirtualChain) -> (bool, u64, Vec<String>) {
    let report = chain.audit();
    let finding = report
        .findings
        .iter()
        .find(|finding| finding.check == "cancel_applied_once")
        .expect("the check runs");
    (report.ok, finding.count, finding.examples.clone())
}

#[test]
fn a_second_release_of_a_cancelled_allocation_is_found() {
    let mut chain = cancelled_chain();
    let order = chain
        .layers
        .rom
        .orders()
        .values()
        .next()
        .expect("resource order");
    let (allocation, resource) = (order.items[0].allocation, order.items[0].resource);
    // ROM releases the same allocation again, as a cancel applied twice would.
    let operation = OperationId(1_000_000);
    chain.layers.rom.operations_mut().insert(
        operation,
        PendingOperation::Release {
            allocation,
            resource,
            attempt: 1,
            item: None,
        },
    );
    let request = ElementRequest {
        operation_id: operation,
        reply_to: LayerId::Rom,
        operation: ElementOperation::Release { allocation },
    };
    chain.submit(|_| Message::Network(NetworkInput::Request(request)));
    chain.run_until_idle();
    let (ok, count, examples) = cancel_finding(&chain);
    assert!(!ok);
    assert!(count >= 1, "{examples:?}");
    assert!(examples[0].contains("released 2 times"), "{examples:?}");
}

#[test]
fn an_allocation_of_a_cancelled_order_never_released_is_found() {
    let mut chain = cancelled_chain();
    let allocation = chain
        .layers
        .rom
        .orders()
        .values()
        .next()
        .expect("order")
        .items[0]
        .allocation;
    chain.layers.rom.releases_mut().remove(&allocation);
    let (ok, count, examples) = cancel_finding(&chain);
    assert!(!ok);
    assert_eq!(count, 1, "{examples:?}");
    assert!(examples[0].contains("released 0 times"), "{examples:?}");
}

#[test]
fn a_second_cancel_request_for_one_order_is_found() {
    let mut chain = cancelled_chain();
    let mut second = chain
        .layers
        .com
        .cancels()
        .values()
        .next()
        .expect("request")
        .clone();
    second.id = CancelProductOrderId(999);
    chain.layers.com.cancels_mut().insert(second.id, second);
    let (ok, count, examples) = cancel_finding(&chain);
    assert!(!ok);
    assert_eq!(count, 1, "{examples:?}");
    assert!(examples[0].contains("more than one cancel request"));
}

#[test]
fn a_cancel_request_left_open_is_found() {
    let mut chain = cancelled_chain();
    for request in chain.layers.som.cancels_mut().values_mut() {
        request.state = TaskState::InProgress;
    }
    let (ok, count, examples) = cancel_finding(&chain);
    assert!(!ok);
    assert_eq!(count, 1, "{examples:?}");
    let mut chain = cancelled_chain();
    for request in chain.layers.com.cancels_mut().values_mut() {
        request.state = TaskState::TerminatedWithError;
    }
    let (ok, count, examples) = cancel_finding(&chain);
    assert!(!ok);
    assert_eq!(
        count, 2,
        "disagrees with the order twice over: {examples:?}"
    );
}
