//! ROM's way back: a failed or cancelled order releases every allocation it made or may have
//! made (by the `AllocationId` fixed before each call) and terminates every activation; a
//! release is retried until the network confirms it, and one that never succeeds is counted
//! for the audit.

use std::time::Duration;

use super::{CancelResourceOrder, PendingOperation, ResourceOrderRef, RomLayer};
use crate::domain::ids::{
    AllocationId, CancelResourceOrderId, OperationId, ResourceId, ResourceOrderId,
};
use crate::domain::state::{Machine, OrderEvent, OrderState, TaskEvent, TaskState};
use crate::domain::time::Time;
use crate::layers::activation::ActivationInput;
use crate::layers::common::{Action, transition};
use crate::layers::failure::{FailureCode, FailureReason, record_first};
use crate::layers::inventory::{InventoryInput, ResourceStatus};
use crate::layers::{
    Effects, EventKind, Message, Rejection, RejectionKind, Reply, ReplyToken, Subject,
};
use crate::network::ElementOperation;

impl RomLayer {
    /// Records why `id` failed (unless something failed first), then fails it.
    pub(super) fn fail_because(
        &mut self,
        id: ResourceOrderId,
        reason: FailureReason,
        now: Time,
        effects: &mut Effects,
    ) {
        if let Some(order) = self.orders.get_mut(&id) {
            record_first(&mut order.failure, Some(reason));
        }
        self.fail(id, now, effects);
    }

    /// Fails every open item and undoes the order's work.
    pub(super) fn fail(&mut self, id: ResourceOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        if order.state.is_terminal() {
            return;
        }
        for item in order
            .items
            .iter_mut()
            .filter(|item| !item.state.is_terminal())
        {
            let _ = transition(
                Machine::ResourceOrderItem,
                &mut item.state,
                &mut item.history,
                OrderEvent::Fail,
                now,
                &mut self.illegal,
            );
        }
        self.compensate(id, now, effects);
        self.settle(id, now, effects);
    }

    /// Releases what an `add` order allocated (or may have) and terminates its activations.
    fn compensate(&mut self, id: ResourceOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        match order.items.first().map(|item| item.action) {
            Some(Action::Add) => {}
            Some(Action::Modify) => return self.restore_services(id, now, effects),
            _ => return,
        }
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        let mut releases = Vec::new();
        for item in &mut order.items {
            if item.value.is_some() || item.operation.is_some() {
                releases.push((item.allocation, item.resource));
            }
            if let Some(operation) = item.operation.take() {
                self.operations.remove(&operation);
            }
        }
        for (_, activation) in &order.activations {
            effects.send(
                now,
                Message::Activation(ActivationInput::Terminate(*activation)),
            );
        }
        for (allocation, resource) in releases {
            self.release(allocation, resource, 1, None, Duration::ZERO, now, effects);
        }
    }

    /// Sends (or resends, `delay` from now) a release of `allocation`; gives up after the last
    /// attempt. `item` is the delete item it carries out, if any.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn release(
        &mut self,
        allocation: AllocationId,
        resource: Option<ResourceId>,
        attempt: u32,
        item: Option<(ResourceOrderId, usize)>,
        delay: std::time::Duration,
        now: Time,
        effects: &mut Effects,
    ) {
        // `compensation_attempts` (8 by default): releases are idempotent and back off (see
        // `retry_backoff`), so 8 tries outlast a fault window of about a minute; with 15 % of
        // replies lost, 5 left about one release in 13,000 unconfirmed (`loadgen sweep
        // --virtual-time --seeds 1..5 scenarios/reply-lost.toml` found seed 4).
        if attempt > self.retry.compensation_attempts {
            self.compensation_failures += 1;
            if let Some((order, index)) = item {
                self.fail_item(order, index, now, effects);
            }
            return;
        }
        if attempt > 1 {
            self.retries.compensation += 1;
        }
        let operation = OperationId(self.take_number());
        self.operations.insert(
            operation,
            PendingOperation::Release {
                allocation,
                resource,
                attempt,
                item,
            },
        );
        let at = now.after(delay);
        self.call_network_at(
            operation,
            ElementOperation::Release { allocation },
            at,
            effects,
        );
    }

    /// A failed modify: every service it reconfigured (or was reconfiguring) goes back to its
    /// configuration from before, so a speed change fails as a whole and the customer keeps
    /// the old speed. Services whose reconfigure failed restore themselves; a second request
    /// changes nothing.
    fn restore_services(&mut self, id: ResourceOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get(&id) else {
            return;
        };
        let activations: Vec<_> = super::machine::distinct_services(order)
            .into_iter()
            .filter_map(|rfs| self.activation_of(order, &rfs))
            .collect();
        for activation in activations {
            let restore = ActivationInput::Restore(activation);
            effects.send(now, Message::Activation(restore));
        }
    }

    /// The network confirmed a release.
    pub(super) fn released(
        &mut self,
        allocation: AllocationId,
        resource: Option<ResourceId>,
        item: Option<(ResourceOrderId, usize)>,
        now: Time,
        effects: &mut Effects,
    ) {
        *self.releases.entry(allocation).or_default() += 1;
        if let Some(id) = resource {
            self.live.remove(&id);
            effects.send(
                now,
                Message::Inventory(InventoryInput::ResourceStatus {
                    id,
                    status: ResourceStatus::Standby,
                    activation: None,
                }),
            );
        }
        let Some((order_id, index)) = item else {
            return;
        };
        let Some(order) = self.orders.get_mut(&order_id) else {
            return;
        };
        if let Some(item) = order.items.get_mut(index) {
            let _ = transition(
                Machine::ResourceOrderItem,
                &mut item.state,
                &mut item.history,
                OrderEvent::Complete,
                now,
                &mut self.illegal,
            );
        }
        self.settle(order_id, now, effects);
    }

    fn fail_item(&mut self, id: ResourceOrderId, index: usize, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        if let Some(item) = order.items.get_mut(index) {
            let _ = transition(
                Machine::ResourceOrderItem,
                &mut item.state,
                &mut item.history,
                OrderEvent::Fail,
                now,
                &mut self.illegal,
            );
        }
        self.settle(id, now, effects);
    }

    /// CancelResourceOrder: idempotent; refused for terminal orders and for a modify or cease
    /// under way.
    pub(super) fn cancel(
        &mut self,
        reply: Option<ReplyToken>,
        target: ResourceOrderRef,
        reason: Option<String>,
        now: Time,
        effects: &mut Effects,
    ) {
        let id = match target {
            ResourceOrderRef::Id(id) => Some(id),
            ResourceOrderRef::Parent(order, item) => self.by_parent.get(&(order, item)).copied(),
        };
        let answer = match id.filter(|id| self.orders.contains_key(id)) {
            None => Reply::Rejected(Rejection::new(
                RejectionKind::NotFound,
                "resource order not found or already ended",
            )),
            Some(id) => match self.existing_or_refusal(id) {
                Some(answer) => answer,
                None => self.cancel_now(id, reason, now, effects),
            },
        };
        if let Some(token) = reply {
            effects.reply(token, answer);
        }
    }

    /// The first cancel request of `id` if it has one (a duplicate changes nothing), or the
    /// refusal of a terminal order or of a modify/cease under way (which cannot be undone);
    /// `None` when a new cancel may start.
    fn existing_or_refusal(&self, id: ResourceOrderId) -> Option<Reply> {
        let order = self.orders.get(&id)?;
        if let Some(existing) = order
            .cancellation
            .and_then(|cancel| self.cancels.get(&cancel))
        {
            return Some(Reply::CancelResourceOrder(Box::new(existing.clone())));
        }
        let changing = order
            .items
            .first()
            .is_some_and(|item| matches!(item.action, Action::Modify | Action::Delete));
        let why = if changing {
            "a change of resources in service under way"
        } else if order.state.is_terminal() {
            order.state.as_str()
        } else {
            return None;
        };
        Some(Reply::Rejected(Rejection::new(
            RejectionKind::Conflict,
            format!("resource order {id} is {why} and cannot be cancelled"),
        )))
    }

    /// A new cancel request for `id`: acknowledged, inProgress, the rollback, then done (the
    /// rollback is synchronous here: releases are registered and retried, and the order is
    /// `cancelled` at once). Each step publishes its event. Returns the answer to the client.
    fn cancel_now(
        &mut self,
        id: ResourceOrderId,
        reason: Option<String>,
        now: Time,
        effects: &mut Effects,
    ) -> Reply {
        let cancel_id = CancelResourceOrderId(self.take_number());
        let mut request = CancelResourceOrder {
            id: cancel_id,
            order: id,
            state: TaskState::Acknowledged,
            reason,
            requested: now,
            effective: None,
        };
        let answer = Reply::CancelResourceOrder(Box::new(request.clone()));
        let subject = Subject::CancelResourceOrder(cancel_id);
        effects.publish(EventKind::Create, subject, now);
        if request.advance(TaskEvent::Start, now, &mut self.illegal) {
            effects.publish(EventKind::StateChange, subject, now);
        }
        if let Some(order) = self.orders.get_mut(&id) {
            order.cancellation = Some(cancel_id);
        }
        // Stored before the rollback, so that an eviction it causes takes the request along.
        self.cancels.insert(cancel_id, request);
        self.roll_back(id, now, effects);
        // An order evicted at once has ended cancelled: rollback always ends it so.
        let cancelled = self
            .orders
            .get(&id)
            .is_none_or(|order| order.state == OrderState::Cancelled);
        let event = if cancelled {
            TaskEvent::Finish
        } else {
            TaskEvent::Abort
        };
        if let Some(request) = self.cancels.get_mut(&cancel_id)
            && request.advance(event, now, &mut self.illegal)
        {
            effects.publish(EventKind::StateChange, subject, now);
        }
        answer
    }

    /// assessingCancellation → pendingCancellation → cancelled, undoing the order's work.
    fn roll_back(&mut self, id: ResourceOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        for event in [OrderEvent::CancelRequested, OrderEvent::CancelAccepted] {
            let _ = transition(
                Machine::ResourceOrder,
                &mut order.state,
                &mut order.history,
                event,
                now,
                &mut self.illegal,
            );
            for item in order
                .items
                .iter_mut()
                .filter(|item| !item.state.is_terminal())
            {
                let _ = transition(
                    Machine::ResourceOrderItem,
                    &mut item.state,
                    &mut item.history,
                    event,
                    now,
                    &mut self.illegal,
                );
            }
        }
        for item in order
            .items
            .iter_mut()
            .filter(|item| item.state == OrderState::PendingCancellation)
        {
            let _ = transition(
                Machine::ResourceOrderItem,
                &mut item.state,
                &mut item.history,
                OrderEvent::CancelCompleted,
                now,
                &mut self.illegal,
            );
        }
        self.compensate(id, now, effects);
        self.settle(id, now, effects);
    }
}

impl RomLayer {
    /// Sync mode: the order's activations did not all finish in time; fail and roll back
    /// (an activation that still completes is terminated when its report arrives).
    pub(super) fn activation_timeout(
        &mut self,
        id: ResourceOrderId,
        now: Time,
        effects: &mut Effects,
    ) {
        if self
            .orders
            .get(&id)
            .is_some_and(|order| order.state == OrderState::InProgress)
        {
            let message = format!("activation did not finish within {:?}", self.call_timeout);
            let reason = FailureReason::new(FailureCode::CallTimeout, message);
            self.fail_because(id, reason, now, effects);
        }
    }
}
