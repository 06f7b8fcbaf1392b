//! SOM's jeopardy handling (async mode), as COM's (`com::jeopardy`) one layer
//! down: every resource order SOM creates gets a deadline; past it SOM asks ROM for the
//! order's state. Alive re-arms the deadline; unknown (ROM restarted without its state) or no
//! answer fails the item as `childLost`, asks ROM to cancel and compensates whatever the
//! resource order may still complete (the sync call timeout's path). ROM's own children
//! (activations, element operations) already have timeouts.

use std::time::Duration;

use super::{SomInput, SomLayer};
use crate::config::ChainConfig;
use crate::domain::ids::ServiceOrderId;
use crate::domain::state::OrderState;
use crate::domain::time::Time;
use crate::layers::failure::{FailureCode, FailureReason};
use crate::layers::rom::RomInput;
use crate::layers::watchdog::Watchdog;
use crate::layers::{Effects, Message};

/// SOM's watchdog over its resource orders. Over the HTTP transport the question travels as a
/// TMF652 search by `externalId` (see `runtime::transport::codec::Query`).
pub(super) fn watchdog(chain: &ChainConfig) -> Watchdog<(ServiceOrderId, String)> {
    Watchdog::new(
        Duration::from_millis(chain.som_child_deadline_ms),
        Duration::from_millis(chain.child_answer_ms),
    )
}

impl SomLayer {
    /// Starts watching the resource order of `key`'s item (one sweep wake-up per layer, see
    /// [`crate::layers::watchdog`]).
    pub(super) fn watch_child(
        &mut self,
        key: (ServiceOrderId, String),
        now: Time,
        effects: &mut Effects,
    ) {
        let orders = &self.orders;
        let still_waiting = |(id, item_id): &(ServiceOrderId, String)| {
            orders.get(id).is_some_and(|order| {
                order
                    .items
                    .iter()
                    .any(|item| &item.id == item_id && item.state == OrderState::InProgress)
            })
        };
        if let Some(at) = self.jeopardy.watch(key, now, still_waiting) {
            effects.send_at(at, Message::Som(SomInput::JeopardySweep(at)));
        }
    }

    /// The sweep armed for `armed` fired: every item past its deadline is asked about.
    pub(super) fn jeopardy_sweep(&mut self, armed: Time, now: Time, effects: &mut Effects) {
        let (due, next) = self.jeopardy.sweep(armed, now);
        for (id, item_id) in due {
            self.child_deadline(id, item_id, now, effects);
        }
        if let Some(at) = next {
            effects.send_at(at, Message::Som(SomInput::JeopardySweep(at)));
        }
    }

    /// The deadline passed: if the item still waits for its resource order, ask ROM.
    fn child_deadline(
        &mut self,
        id: ServiceOrderId,
        item_id: String,
        now: Time,
        effects: &mut Effects,
    ) {
        let answer = self.jeopardy.answer;
        // A stale entry: the order or item ended (or was evicted) before its deadline.
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        if order.state != OrderState::InProgress {
            return;
        }
        let Some(item) = order.items.iter_mut().find(|item| item.id == item_id) else {
            return;
        };
        if item.state != OrderState::InProgress || item.child_queried {
            return;
        }
        item.child_queried = true;
        let parent = (id, item_id.clone());
        effects.send(now, Message::Rom(RomInput::Report { parent }));
        let wake = SomInput::ChildAnswer {
            order: id,
            item: item_id,
        };
        effects.send_at(now.after(answer), Message::Som(wake));
    }

    /// ROM answered: alive re-arms the deadline, unknown loses the child.
    pub(super) fn child_status(
        &mut self,
        (id, item_id): (ServiceOrderId, String),
        state: Option<OrderState>,
        now: Time,
        effects: &mut Effects,
    ) {
        if !self.take_query(id, &item_id) {
            // An answer that came after the answer deadline already decided.
            return;
        }
        match state {
            Some(_) => self.watch_child((id, item_id), now, effects),
            None => {
                let why = "ROM does not know the resource order";
                self.child_lost(id, &item_id, why, now, effects);
            }
        }
    }

    /// The answer deadline passed: without an answer the child is lost.
    pub(super) fn child_answer(
        &mut self,
        id: ServiceOrderId,
        item_id: &str,
        now: Time,
        effects: &mut Effects,
    ) {
        if self.take_query(id, item_id) {
            let why = "ROM did not answer about the resource order";
            self.child_lost(id, item_id, why, now, effects);
        }
    }

    /// Clears the item's open question; whether there was one.
    fn take_query(&mut self, id: ServiceOrderId, item_id: &str) -> bool {
        let item = self
            .orders
            .get_mut(&id)
            .and_then(|order| order.items.iter_mut().find(|item| item.id == item_id));
        item.is_some_and(|item| std::mem::take(&mut item.child_queried))
    }

    fn child_lost(
        &mut self,
        id: ServiceOrderId,
        item_id: &str,
        why: &str,
        now: Time,
        effects: &mut Effects,
    ) {
        let message = format!("the resource order passed its deadline and {why}");
        let failure = FailureReason::new(FailureCode::ChildLost, message);
        self.abandon_item(id, item_id, failure, now, effects);
    }
}
