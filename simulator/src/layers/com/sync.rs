//! COM in sync mode: the caller's request waits for the order's end, each order holds a
//! worker slot until then, and COM waits at most `call_timeout_ms` for the service order.
//! When that runs out COM fails the order, asks SOM to cancel, and undoes with a compensating
//! service order whatever the abandoned service order still completes (otherwise it would
//! show up as a leak).

use super::ComLayer;
use super::lifecycle::undo_request;
use crate::domain::ids::ProductOrderId;
use crate::domain::state::{Machine, OrderEvent, OrderState};
use crate::domain::time::Time;
use crate::layers::com::ServiceOrderSummary;
use crate::layers::common::transition;
use crate::layers::failure::{FailureCode, FailureReason, record_first};
use crate::layers::som::{ServiceOrderRef, SomInput};
use crate::layers::{Effects, Message};

impl ComLayer {
    /// The service order did not finish in time: fail the order and cancel downstream.
    pub(super) fn call_timeout(&mut self, id: ProductOrderId, now: Time, effects: &mut Effects) {
        let message = "the service order did not finish within the call timeout";
        let failure = FailureReason::new(FailureCode::CallTimeout, message);
        self.abandon(id, failure, now, effects);
    }

    /// Gives up on the service order of `id` for `failure`: fails the order's open items,
    /// asks SOM to cancel, and compensates whatever the service order still completes.
    pub(super) fn abandon(
        &mut self,
        id: ProductOrderId,
        failure: FailureReason,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        if order.state != OrderState::InProgress {
            return;
        }
        order.abandoned = true;
        let reason = format!("{}: {}", failure.code.as_str(), failure.message);
        record_first(&mut order.failure, Some(failure));
        for item in order
            .items
            .iter_mut()
            .filter(|item| !item.state.is_terminal())
        {
            let machine = Machine::ProductOrderItem;
            let _ = transition(
                machine,
                &mut item.state,
                &mut item.history,
                OrderEvent::Fail,
                now,
                &mut self.illegal,
            );
        }
        let cancel = SomInput::Cancel {
            reply: None,
            order: ServiceOrderRef::Parent(id),
            reason: Some(reason),
        };
        effects.send(now, Message::Som(cancel));
        self.settle(id, now, effects);
    }

    /// The service order of an abandoned order ended: undo what it built, once.
    pub(super) fn abandoned_outcome(
        &mut self,
        summary: ServiceOrderSummary,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(order) = self.orders.get_mut(&summary.parent) else {
            return;
        };
        if order.compensating {
            return;
        }
        if let Some(request) = undo_request(&summary) {
            order.compensating = true;
            effects.send(
                now,
                Message::Som(SomInput::Create {
                    reply: None,
                    order: request,
                }),
            );
        }
    }
}
