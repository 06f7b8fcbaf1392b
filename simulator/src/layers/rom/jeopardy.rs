//! ROM's jeopardy handling (async mode, in every transport), as SOM's one layer down: every
//! resource order whose TMF640 services ROM asked for, or asked to reconfigure (a speed
//! change), gets a deadline (`chain.rom_child_deadline_ms`). Past it ROM asks activation whether it still holds a live
//! service of the order. Alive re-arms the deadline; unknown (the activation layer restarted
//! without its state) or no answer within `chain.child_answer_ms` fails the order as
//! `childLost` through the sync call timeout's path, which releases what it allocated. Without
//! this a resource order whose activation was lost never ended (issue 11).
//!
//! Over the HTTP transport the question is a TMF630 search of TMF640 by the requester's id
//! (see [`crate::runtime::transport`]).

use super::{Rfs, RomInput, RomLayer};
use crate::domain::ids::ResourceOrderId;
use crate::domain::state::OrderState;
use crate::domain::time::Time;
use crate::layers::activation::ActivationInput;
use crate::layers::failure::{FailureCode, FailureReason};
use crate::layers::{Effects, Message};

impl RomLayer {
    /// Starts watching the activations of order `id` (one sweep wake-up per layer).
    pub(super) fn watch_activation(
        &mut self,
        id: ResourceOrderId,
        now: Time,
        effects: &mut Effects,
    ) {
        if !self.watches_activations {
            return;
        }
        let orders = &self.orders;
        let still_waiting = |id: &ResourceOrderId| {
            orders
                .get(id)
                .is_some_and(|order| order.state == OrderState::InProgress)
        };
        if let Some(at) = self.jeopardy.watch(id, now, still_waiting) {
            effects.send_at(at, Message::Rom(RomInput::JeopardySweep(at)));
        }
    }

    /// The sweep armed for `armed` fired: every order past its deadline is asked about.
    pub(super) fn jeopardy_sweep(&mut self, armed: Time, now: Time, effects: &mut Effects) {
        let (due, next) = self.jeopardy.sweep(armed, now);
        for id in due {
            let in_progress = self
                .orders
                .get(&id)
                .is_some_and(|order| order.state == OrderState::InProgress);
            if in_progress && self.asked.insert(id) {
                let report = ActivationInput::Report { parent: id };
                effects.send(now, Message::Activation(report));
                let at = now.after(self.jeopardy.answer);
                effects.send_at(at, Message::Rom(RomInput::ChildAnswer(id)));
            }
        }
        if let Some(at) = next {
            effects.send_at(at, Message::Rom(RomInput::JeopardySweep(at)));
        }
    }

    /// Activation answered with the RFS its live services of the order activate: the order
    /// is alive when every RFS it still waits for has one (re-armed); when one has none (its
    /// create was lost, e.g. dropped while activation's process was down) the child is lost.
    pub(super) fn activation_status(
        &mut self,
        id: ResourceOrderId,
        alive: Vec<Rfs>,
        now: Time,
        effects: &mut Effects,
    ) {
        if !self.asked.remove(&id) {
            // An answer after the answer deadline already decided.
            return;
        }
        let Some(order) = self.orders.get(&id) else {
            return;
        };
        let activated = self.activated.get(&id);
        let waiting = super::machine::distinct_services(order)
            .into_iter()
            .filter(|rfs| activated.is_none_or(|done| !done.contains(rfs)));
        let lost = waiting.filter(|rfs| !alive.contains(rfs)).count();
        match lost {
            0 => self.watch_activation(id, now, effects),
            _ => {
                let why = format!("activation does not know {lost} of its services");
                self.activation_lost(id, &why, now, effects)
            }
        }
    }

    /// The answer deadline passed: without an answer the child is lost.
    pub(super) fn activation_unanswered(
        &mut self,
        id: ResourceOrderId,
        now: Time,
        effects: &mut Effects,
    ) {
        if self.asked.remove(&id) {
            self.activation_lost(id, "activation did not answer", now, effects);
        }
    }

    fn activation_lost(
        &mut self,
        id: ResourceOrderId,
        why: &str,
        now: Time,
        effects: &mut Effects,
    ) {
        let in_progress = self
            .orders
            .get(&id)
            .is_some_and(|order| order.state == OrderState::InProgress);
        if in_progress {
            let message = format!("the order's activation passed its deadline and {why}");
            let reason = FailureReason::new(FailureCode::ChildLost, message);
            self.fail_because(id, reason, now, effects);
        }
    }
}
