//! SOM's cancellation: CancelServiceOrder puts the order in pendingCancellation, discards the
//! items not started, asks ROM to cancel the resource orders in flight, and undoes (with a
//! compensating `delete` resource order) any `add` item whose resource order completed before
//! the cancel reached it. The order ends `cancelled` when all of that is done.

use super::machine::{UNDO_SUFFIX, held_items, record_services, resource_order};
use super::{CancelServiceOrder, ServiceOrderRef, SomLayer};
use crate::domain::ids::{CancelServiceOrderId, ServiceId, ServiceOrderId};
use crate::domain::state::{
    Machine, OrderEvent, OrderState, ServiceState, TaskEvent, TaskState, task_next,
};
use crate::domain::time::Time;
use crate::layers::common::{Action, transition};
use crate::layers::rom::{HeldResource, ResourceOrderRef, RomInput};
use crate::layers::{
    Effects, EventKind, Message, Rejection, RejectionKind, Reply, ReplyToken, Subject,
};

impl SomLayer {
    pub(super) fn cancel(
        &mut self,
        reply: Option<ReplyToken>,
        target: ServiceOrderRef,
        reason: Option<String>,
        now: Time,
        effects: &mut Effects,
    ) {
        let answer = |effects: &mut Effects, outcome: Reply| {
            if let Some(token) = reply {
                effects.reply(token, outcome);
            }
        };
        let id = match target {
            ServiceOrderRef::Id(id) => Some(id),
            ServiceOrderRef::Parent(parent) => self.by_parent.get(&parent).copied(),
        };
        let Some((id, order)) = id.and_then(|id| Some((id, self.orders.get(&id)?))) else {
            answer(
                effects,
                Reply::Rejected(Rejection::new(
                    RejectionKind::NotFound,
                    "service order not found or already ended",
                )),
            );
            return;
        };
        if let Some(existing) = self
            .cancelling
            .get(&id)
            .and_then(|cancel| self.cancels.get(cancel))
        {
            answer(
                effects,
                Reply::CancelServiceOrder(Box::new(existing.clone())),
            );
            return;
        }
        if order.state.is_terminal() {
            let message = format!(
                "service order {id} is {} and can no longer be cancelled",
                order.state.as_str()
            );
            answer(
                effects,
                Reply::Rejected(Rejection::new(RejectionKind::Conflict, message)),
            );
            return;
        }
        let cancel_id = CancelServiceOrderId(self.next_order);
        self.next_order += 1;
        let request = CancelServiceOrder {
            id: cancel_id,
            order: id,
            state: TaskState::InProgress,
            reason: reason.clone(),
            requested: now,
            effective: None,
        };
        self.cancels.insert(cancel_id, request.clone());
        self.cancelling.insert(id, cancel_id);
        answer(effects, Reply::CancelServiceOrder(Box::new(request)));
        self.accept_cancel(id, reason, now, effects);
        self.undo_completed(id, now, effects);
        self.settle(id, now, effects);
    }

    /// assessingCancellation → pendingCancellation; discards unstarted items and cancels the
    /// resource orders in flight.
    fn accept_cancel(
        &mut self,
        id: ServiceOrderId,
        reason: Option<String>,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        for event in [OrderEvent::CancelRequested, OrderEvent::CancelAccepted] {
            let _ = transition(
                Machine::ServiceOrder,
                &mut order.state,
                &mut order.history,
                event,
                now,
                &mut self.illegal,
            );
        }
        effects.publish(EventKind::StateChange, Subject::ServiceOrder(id), now);
        for item in &mut order.items {
            match item.state {
                OrderState::Acknowledged => {
                    for event in [
                        OrderEvent::CancelRequested,
                        OrderEvent::CancelAccepted,
                        OrderEvent::CancelCompleted,
                    ] {
                        let _ = transition(
                            Machine::ServiceOrderItem,
                            &mut item.state,
                            &mut item.history,
                            event,
                            now,
                            &mut self.illegal,
                        );
                    }
                }
                OrderState::InProgress => {
                    let target = ResourceOrderRef::Parent(id, item.id.clone());
                    let message = RomInput::Cancel {
                        reply: None,
                        order: target,
                        reason: reason.clone(),
                    };
                    effects.send(now, Message::Rom(message));
                }
                _ => {}
            }
        }
    }

    /// The `add` items that completed before the cancel arrived: their CFSs leave service
    /// (retired in TMF638) and a compensating resource order deletes what they built.
    fn undo_completed(&mut self, id: ServiceOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get(&id) else {
            return;
        };
        let built: Vec<(String, ServiceId)> = order
            .items
            .iter()
            .filter(|item| item.state == OrderState::Completed && item.action == Action::Add)
            .filter_map(|item| Some((item.id.clone(), item.service?)))
            .collect();
        for (item_id, cfs) in built {
            let resources = match self.services.remove(&cfs) {
                Some(live) => {
                    record_services(cfs, &live, id, ServiceState::Terminated, now, effects);
                    live.resources
                }
                None => Vec::new(),
            };
            self.compensate_item(id, item_id, &resources, now, effects);
        }
    }

    /// An `add` item completed while its order is being cancelled: delete what it built.
    pub(super) fn compensate_item(
        &mut self,
        id: ServiceOrderId,
        item_id: String,
        resources: &[HeldResource],
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(order) = self.orders.get(&id) else {
            return;
        };
        let Some(item) = order.items.iter().find(|item| item.id == item_id) else {
            return;
        };
        let key = format!("{item_id}{UNDO_SUFFIX}");
        let request = resource_order(
            &self.topology,
            id,
            key,
            &item.characteristics,
            held_items(resources, Action::Delete),
        );
        if request.items.is_empty() {
            self.compensation_done(id, &item_id, OrderState::Completed, now, effects);
            return;
        }
        effects.send(
            now,
            Message::Rom(RomInput::Create {
                reply: None,
                order: request,
            }),
        );
    }

    /// The compensating resource order of `item_id` ended.
    pub(super) fn compensation_done(
        &mut self,
        id: ServiceOrderId,
        item_id: &str,
        state: OrderState,
        now: Time,
        effects: &mut Effects,
    ) {
        if !state.is_terminal() {
            return;
        }
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        if let Some(item) = order.items.iter_mut().find(|item| item.id == item_id) {
            item.compensated = true;
        }
        self.settle(id, now, effects);
    }

    /// Once the order is terminal, its cancel request (if any) is done or failed.
    pub(super) fn finish_cancel(&mut self, id: ServiceOrderId, now: Time, effects: &mut Effects) {
        let _ = effects;
        let Some(cancel_id) = self.cancelling.remove(&id) else {
            return;
        };
        let cancelled = self
            .orders
            .get(&id)
            .is_some_and(|order| order.state == OrderState::Cancelled);
        if let Some(request) = self.cancels.get_mut(&cancel_id) {
            let event = if cancelled {
                TaskEvent::Finish
            } else {
                TaskEvent::Abort
            };
            request.state = task_next(request.state, event).unwrap_or(request.state);
            request.effective = Some(now);
        }
    }
}

impl SomLayer {
    /// Sync mode: item `item_id`'s resource order did not finish in time. The item fails, ROM
    /// is asked to cancel, and a completion that still comes is undone (`compensate_item`).
    pub(super) fn call_timeout(
        &mut self,
        id: ServiceOrderId,
        item_id: &str,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        if order.state != OrderState::InProgress {
            return;
        }
        let Some(item) = order.items.iter_mut().find(|item| item.id == item_id) else {
            return;
        };
        if item.state != OrderState::InProgress {
            return;
        }
        let machine = Machine::ServiceOrderItem;
        let _ = transition(
            machine,
            &mut item.state,
            &mut item.history,
            OrderEvent::Fail,
            now,
            &mut self.illegal,
        );
        let reason = Some("call timeout: the resource order did not finish in time".to_string());
        let target = ResourceOrderRef::Parent(id, item_id.to_string());
        effects.send(
            now,
            Message::Rom(RomInput::Cancel {
                reply: None,
                order: target,
                reason,
            }),
        );
        self.settle(id, now, effects);
    }
}
