//! SOM's cancellation: CancelServiceOrder puts the order in pendingCancellation, discards the
//! items not started, asks ROM to cancel the resource orders in flight, and undoes (with a
//! compensating `delete` resource order) any `add` item whose resource order completed before
//! the cancel reached it. The order ends `cancelled` when all of that is done.

use super::machine::{UNDO_SUFFIX, held_items, record_services, resource_order};
use super::{CancelServiceOrder, ServiceOrderRef, SomLayer};
use crate::domain::ids::{CancelServiceOrderId, ServiceId, ServiceOrderId};
use crate::domain::state::{Machine, OrderEvent, OrderState, ServiceState, TaskEvent, TaskState};
use crate::domain::time::Time;
use crate::layers::common::{Action, transition};
use crate::layers::failure::{FailureCode, FailureReason, record_first};
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
        let id = match target {
            ServiceOrderRef::Id(id) => Some(id),
            ServiceOrderRef::Parent(parent) => self.by_parent.get(&parent).copied(),
        };
        let answer = match id.filter(|id| self.orders.contains_key(id)) {
            None => Reply::Rejected(Rejection::new(
                RejectionKind::NotFound,
                "service order not found or already ended",
            )),
            Some(id) => match self.existing_or_refusal(id) {
                Some(answer) => answer,
                None => {
                    let answer = self.open_cancel(id, reason.clone(), now, effects);
                    self.accept_cancel(id, reason, now, effects);
                    self.undo_completed(id, now, effects);
                    self.settle(id, now, effects);
                    answer
                }
            },
        };
        if let Some(token) = reply {
            effects.reply(token, answer);
        }
    }

    /// The first cancel request of `id` if it has one (a duplicate changes nothing), or the
    /// refusal of a terminal order or of a modify/delete under way (which cannot be undone,
    /// as in COM); `None` when a new cancel may start.
    fn existing_or_refusal(&self, id: ServiceOrderId) -> Option<Reply> {
        let order = self.orders.get(&id)?;
        if let Some(existing) = self
            .cancelling
            .get(&id)
            .and_then(|cancel| self.cancels.get(cancel))
        {
            return Some(Reply::CancelServiceOrder(Box::new(existing.clone())));
        }
        let changing = order.state != OrderState::Acknowledged
            && order
                .items
                .iter()
                .any(|item| matches!(item.action, Action::Modify | Action::Delete));
        let message = if changing {
            format!("service order {id} changes services in service and is under way")
        } else if order.state.is_terminal() {
            format!("service order {id} is {}", order.state.as_str())
        } else {
            return None;
        };
        Some(Reply::Rejected(Rejection::new(
            RejectionKind::Conflict,
            format!("{message}; it cannot be cancelled"),
        )))
    }

    /// Records a new cancel request for `id` (accepted, then inProgress, each with its
    /// event); returns the answer to the client.
    fn open_cancel(
        &mut self,
        id: ServiceOrderId,
        reason: Option<String>,
        now: Time,
        effects: &mut Effects,
    ) -> Reply {
        let cancel_id = CancelServiceOrderId(self.next_order);
        self.next_order += 1;
        let mut request = CancelServiceOrder {
            id: cancel_id,
            order: id,
            state: TaskState::Acknowledged,
            reason,
            requested: now,
            effective: None,
        };
        let answer = Reply::CancelServiceOrder(Box::new(request.clone()));
        let subject = Subject::CancelServiceOrder(cancel_id);
        effects.publish(EventKind::Create, subject, now);
        if request.advance(TaskEvent::Start, now, &mut self.illegal) {
            effects.publish(EventKind::StateChange, subject, now);
        }
        self.cancels.insert(cancel_id, request);
        self.cancelling.insert(id, cancel_id);
        answer
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
                order: Box::new(request),
            }),
        );
    }

    /// A resource order completed for a service order SOM does not know: SOM restarted without
    /// its state (or forgot the order), and the order's parent has failed it as `childLost`.
    /// Nobody will ever use what it allocated, so SOM releases it with an undo order (whose
    /// own outcome is then ignored, as its order is unknown too).
    pub(super) fn release_orphan(
        &mut self,
        summary: &super::ResourceOrderSummary,
        now: Time,
        effects: &mut Effects,
    ) {
        if summary.state != OrderState::Completed || summary.resources.is_empty() {
            return;
        }
        let (order, item) = &summary.parent;
        let request = resource_order(
            &self.topology,
            *order,
            format!("{item}{UNDO_SUFFIX}"),
            &Vec::new().into(),
            held_items(&summary.resources, Action::Delete),
        );
        effects.send(
            now,
            Message::Rom(RomInput::Create {
                reply: None,
                order: Box::new(request),
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
            if item.state == OrderState::PendingCancellation {
                let _ = transition(
                    Machine::ServiceOrderItem,
                    &mut item.state,
                    &mut item.history,
                    OrderEvent::CancelCompleted,
                    now,
                    &mut self.illegal,
                );
            }
        }
        self.settle(id, now, effects);
    }

    /// Once the order is terminal, its cancel request (if any) is done or failed.
    pub(super) fn finish_cancel(&mut self, id: ServiceOrderId, now: Time, effects: &mut Effects) {
        // The entry stays (a later cancel answers with this request) until retention evicts
        // the order.
        let Some(cancel_id) = self.cancelling.get(&id).copied() else {
            return;
        };
        let cancelled = self
            .orders
            .get(&id)
            .is_some_and(|order| order.state == OrderState::Cancelled);
        let event = if cancelled {
            TaskEvent::Finish
        } else {
            TaskEvent::Abort
        };
        if let Some(request) = self.cancels.get_mut(&cancel_id)
            && request.advance(event, now, &mut self.illegal)
        {
            effects.publish(
                EventKind::StateChange,
                Subject::CancelServiceOrder(cancel_id),
                now,
            );
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
        let message = "the resource order did not finish within the call timeout";
        let failure = FailureReason::new(FailureCode::CallTimeout, message);
        self.abandon_item(id, item_id, failure, now, effects);
    }

    /// Gives up on the resource order of `item_id` for `failure`: fails the item, asks ROM to
    /// cancel, and compensates whatever the resource order still completes.
    pub(super) fn abandon_item(
        &mut self,
        id: ServiceOrderId,
        item_id: &str,
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
        let Some(item) = order.items.iter_mut().find(|item| item.id == item_id) else {
            return;
        };
        if item.state != OrderState::InProgress {
            return;
        }
        let reason = Some(format!("{}: {}", failure.code.as_str(), failure.message));
        let machine = Machine::ServiceOrderItem;
        let _ = transition(
            machine,
            &mut item.state,
            &mut item.history,
            OrderEvent::Fail,
            now,
            &mut self.illegal,
        );
        record_first(&mut order.failure, Some(failure));
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
