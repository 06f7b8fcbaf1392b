//! COM's jeopardy handling (async mode): every service order COM creates gets a deadline.
//! When it passes with the order still in progress, COM asks SOM for the service order's state
//! (over the HTTP transport literally `GET {TMF641}/serviceOrder?externalId=PO-n`) and gives SOM `child_answer_ms` to
//! answer. A child that is alive re-arms the deadline, so a slow chain is never failed for
//! being slow; a child SOM does not know (its layer restarted without its state), or no answer
//! at all (its layer is down), fails the order as `childLost` and compensates whatever the
//! service order may still build (see `sync::abandon`). Without this a parent whose child was
//! lost waited for ever (issue 11: 601 of 901 orders stayed `inProgress` after ROM restarted).

use super::{ComInput, ComLayer, ComWake};
use crate::domain::ids::ProductOrderId;
use crate::domain::state::OrderState;
use crate::domain::time::Time;
use crate::layers::failure::{FailureCode, FailureReason};
use crate::layers::som::SomInput;
use crate::layers::{Effects, Message};

impl ComLayer {
    /// Starts watching `id`'s service order (one sweep wake-up per layer, see
    /// [`crate::layers::watchdog`]).
    pub(super) fn arm_child_deadline(
        &mut self,
        id: ProductOrderId,
        now: Time,
        effects: &mut Effects,
    ) {
        let orders = &self.orders;
        let still_waiting = |id: &ProductOrderId| {
            orders
                .get(id)
                .is_some_and(|order| order.state == OrderState::InProgress)
        };
        if let Some(at) = self.watchdog.watch(id, now, still_waiting) {
            effects.send_at(at, Message::Com(ComInput::Wake(ComWake::JeopardySweep(at))));
        }
    }

    /// The sweep armed for `armed` fired: every service order past its deadline is asked about.
    pub(super) fn jeopardy_sweep(&mut self, armed: Time, now: Time, effects: &mut Effects) {
        let (due, next) = self.watchdog.sweep(armed, now);
        for id in due {
            self.child_deadline(id, now, effects);
        }
        if let Some(at) = next {
            effects.send_at(at, Message::Com(ComInput::Wake(ComWake::JeopardySweep(at))));
        }
    }

    /// The deadline passed: if the order still waits for its service order, ask SOM.
    fn child_deadline(&mut self, id: ProductOrderId, now: Time, effects: &mut Effects) {
        // A stale entry: the order ended (or was evicted) before its deadline.
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        if order.state != OrderState::InProgress || order.abandoned || order.child_queried {
            return;
        }
        order.child_queried = true;
        effects.send(now, Message::Som(SomInput::Report { parent: id }));
        let at = now.after(self.watchdog.answer);
        effects.send_at(at, Message::Com(ComInput::Wake(ComWake::ChildAnswer(id))));
    }

    /// SOM answered: alive re-arms the deadline, unknown loses the child.
    pub(super) fn child_status(
        &mut self,
        id: ProductOrderId,
        state: Option<OrderState>,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        if !order.child_queried {
            // An answer that came after the answer deadline already decided.
            return;
        }
        order.child_queried = false;
        match state {
            Some(_) => self.arm_child_deadline(id, now, effects),
            None => self.child_lost(id, "SOM does not know the service order", now, effects),
        }
    }

    /// The answer deadline passed: without an answer the child is lost.
    pub(super) fn child_answer(&mut self, id: ProductOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        if !order.child_queried {
            return;
        }
        order.child_queried = false;
        self.child_lost(
            id,
            "SOM did not answer about the service order",
            now,
            effects,
        );
    }

    fn child_lost(&mut self, id: ProductOrderId, why: &str, now: Time, effects: &mut Effects) {
        let message = format!("the service order passed its deadline and {why}");
        let failure = FailureReason::new(FailureCode::ChildLost, message);
        self.abandon(id, failure, now, effects);
    }
}
