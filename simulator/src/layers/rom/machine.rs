//! ROM's forward path. An `add` order allocates each item's resource in order, then asks
//! TMF640 to activate each RFS; a `modify` order reconfigures the RFSs' activations (no new
//! resources); a `delete` order terminates the activations and releases every resource. See
//! `rollback` for failure, cancellation and releases.
//!
//! Compensation is registered before each forward call: an item's `AllocationId` is fixed
//! when the order is created, so an allocation whose reply was lost or timed out is released
//! by name all the same.

use std::time::Duration;

use super::{
    ActivationSummary, HeldResource, LiveResource, PendingOperation, ResourceOrder,
    ResourceOrderCreate, ResourceOrderItem, Rfs, RomInput, RomLayer,
};
use crate::config::{ChainConfig, ChainMode, Limits};
use crate::domain::catalog::ResourceKind;
use crate::domain::ids::{ActivationId, AllocationId, OperationId, ResourceId, ResourceOrderId};
use crate::domain::state::{Machine, OrderEvent, OrderState, ServiceState, derive_from_items};
use crate::domain::time::Time;
use crate::layers::activation::{ActivationCreate, ActivationInput};
use crate::layers::common::{
    Action, History, IllegalLog, OrderPatch, Retention, WorkerPool, delete_and_answer,
    patch_and_answer, retry_backoff, start_order, transition,
};
use crate::layers::failure::{FailureCode, FailureReason};
use crate::layers::inventory::{InventoryInput, ResourceRecord, ResourceStatus};
use crate::layers::som::{ResourceOrderSummary, SomInput};
use crate::layers::{
    Effects, EventKind, Layer, LayerId, Message, Observation, Rejection, RejectionKind, Reply,
    ReplyToken, SimRng, Subject,
};
use crate::network::{
    AllocationRequest, ElementErrorKind, ElementOperation, ElementOutcome, ElementReply,
    ElementRequest, NetworkInput, ResourceValue,
};

impl RomLayer {
    /// An empty ROM.
    pub fn new(
        catalog: std::sync::Arc<crate::domain::catalog::Catalog>,
        chain: &ChainConfig,
        limits: Limits,
    ) -> RomLayer {
        RomLayer {
            orders: Default::default(),
            operations: Default::default(),
            live: Default::default(),
            cancels: Default::default(),
            by_parent: Default::default(),
            activated: Default::default(),
            releases: Default::default(),
            illegal: IllegalLog::default(),
            retention: Retention::new(limits.retained_orders_max),
            next_order: 1,
            next_number: 1,
            open: 0,
            compensation_failures: 0,
            retry: chain.retry.rom.clone(),
            retries: Default::default(),
            element_timeout: Duration::from_millis(chain.element_timeout_ms),
            mode: chain.mode,
            call_timeout: Duration::from_millis(chain.call_timeout_ms),
            workers: WorkerPool::new(usize::try_from(chain.workers).unwrap_or(usize::MAX)),
            limits,
            reconciliation: None,
            deferred: Vec::new(),
            former_orders_below: None,
            late_sweep: None,
            catalog,
            element_deadlines: crate::layers::watchdog::Watchdog::new(
                Duration::from_millis(chain.element_timeout_ms),
                Duration::ZERO,
            ),
            jeopardy: crate::layers::watchdog::Watchdog::new(
                Duration::from_millis(chain.rom_child_deadline_ms),
                Duration::from_millis(chain.child_answer_ms),
            ),
            asked: Default::default(),
            watches_activations: chain.mode == ChainMode::Async,
        }
    }

    pub(super) fn take_number(&mut self) -> u64 {
        let number = self.next_number;
        self.next_number += 1;
        number
    }
}

impl RomLayer {
    /// Answers SOM's jeopardy question: the state of the resource order realising `parent`,
    /// or `None` when ROM does not know it. One that ended has already sent SOM its outcome,
    /// ahead of this answer on the same path.
    fn report(
        &self,
        parent: (crate::domain::ids::ServiceOrderId, String),
        now: Time,
        effects: &mut Effects,
    ) {
        let state = self
            .by_parent
            .get(&parent)
            .and_then(|id| self.orders.get(id))
            .map(|order| order.state);
        let status = SomInput::ResourceOrderStatus { parent, state };
        effects.send(now, Message::Som(status));
    }
}

impl Layer for RomLayer {
    type Input = RomInput;
    const ID: LayerId = LayerId::Rom;

    fn handle(&mut self, input: RomInput, now: Time, _rng: &mut SimRng, effects: &mut Effects) {
        match input {
            RomInput::Create { reply, order } => self.create(reply, *order, now, effects),
            RomInput::Report { parent } => self.report(parent, now, effects),
            RomInput::Patch {
                reply,
                order,
                patch,
            } => self.patch(reply, order, patch, now, effects),
            RomInput::Delete { reply, order } => self.delete(reply, order, now, effects),
            RomInput::Element(reply) => self.element_reply(reply, now, effects),
            RomInput::ActivationChanged(summary) => self.activation_changed(summary, now, effects),
            RomInput::OperationTimeout(operation) => {
                self.operation_timeout(operation, now, effects)
            }
            RomInput::OperationTimeoutSweep(armed) => {
                self.operation_timeout_sweep(armed, now, effects)
            }
            RomInput::Cancel {
                reply,
                order,
                reason,
            } => self.cancel(reply, order, reason, now, effects),
            RomInput::RetryAllocate {
                order,
                item,
                failed,
                attempt,
            } => self.retry_allocate(order, item, failed, attempt, now, effects),
            RomInput::Start(order) => self.start(order, now, effects),
            RomInput::ActivationTimeout(order) => self.activation_timeout(order, now, effects),
            RomInput::JeopardySweep(armed) => self.jeopardy_sweep(armed, now, effects),
            RomInput::ActivationStatus { order, alive } => {
                self.activation_status(order, alive, now, effects)
            }
            RomInput::ChildAnswer(order) => self.activation_unanswered(order, now, effects),
            RomInput::Reconcile => self.reconcile(now, effects),
            RomInput::ReconcileUnanswered => self.abandon_reconciliation(now, effects),
            answer @ (RomInput::NetworkAllocations(_)
            | RomInput::InventoryResources(_)
            | RomInput::ActiveServices(_)
            | RomInput::LiveResources(_)) => self.reconcile_answer(answer, now, effects),
            RomInput::ListActivations => {
                let answer = ActivationInput::OwnedByRom(self.activations_in_service());
                effects.send(now, Message::Activation(answer));
            }
        }
    }
}

impl RomLayer {
    pub(super) fn create(
        &mut self,
        reply: Option<ReplyToken>,
        request: ResourceOrderCreate,
        now: Time,
        effects: &mut Effects,
    ) {
        if self.waits_for_reconciliation(&request) {
            // It names a resource this ROM may know again once reconciled (a cease of a
            // product from before a restart): it is taken up then.
            if self.deferred.len() < self.limits.open_orders_max {
                self.deferred.push((reply, request));
            } else if let Some(token) = reply {
                let busy = "ROM is reconciling after a restart; retry later";
                let rejection = Rejection::new(RejectionKind::LimitExceeded, busy);
                effects.reply(token, Reply::Rejected(rejection));
            }
            return;
        }
        if let Err(rejection) = self.validate(&request) {
            match reply {
                Some(token) => effects.reply(token, Reply::Rejected(rejection)),
                None => debug_assert!(false, "SOM sent an invalid resource order: {rejection}"),
            }
            return;
        }
        let id = ResourceOrderId(self.next_order);
        self.next_order += 1;
        let mut items = Vec::with_capacity(request.items.len());
        for item in request.items {
            let live = item.resource.and_then(|resource| self.live.get(&resource));
            let (allocation, value) = match live {
                Some(live) => (live.allocation, Some(live.value)),
                None => (AllocationId(self.take_number()), None),
            };
            items.push(ResourceOrderItem {
                id: item.id,
                action: item.action,
                resource_specification: item.resource_specification,
                kind: item.kind,
                rfs: item.rfs,
                allocation,
                resource: item.resource,
                value,
                operation: None,
                state: OrderState::Acknowledged,
                history: History::starting(OrderState::Acknowledged, now),
            });
        }
        let order = ResourceOrder {
            id,
            external_id: request.external_id,
            header: request.header,
            parent: request.parent,
            state: OrderState::Acknowledged,
            history: History::starting(OrderState::Acknowledged, now),
            order_date: now,
            completion_date: None,
            region: request.region,
            olt: request.olt,
            characteristics: request.characteristics,
            items,
            activations: Vec::new(),
            cancellation: None,
            failure: None,
        };
        if let Some(token) = reply {
            effects.reply(token, Reply::ResourceOrder(Box::new(order.clone())));
        }
        if let Some(parent) = order.parent.clone() {
            self.by_parent.insert(parent, id);
        }
        self.orders.insert(id, Box::new(order));
        self.open += 1;
        effects.publish(EventKind::Create, Subject::ResourceOrder(id), now);
        self.start(id, now, effects);
    }

    fn validate(&self, request: &ResourceOrderCreate) -> Result<(), Rejection> {
        let invalid = |message: String| Err(Rejection::new(RejectionKind::InvalidRequest, message));
        if self.open >= self.limits.open_orders_max {
            return Err(Rejection::new(
                RejectionKind::LimitExceeded,
                "too many open resource orders; retry later",
            ));
        }
        let Some(first) = request.items.first() else {
            return invalid("orderItem is empty".to_string());
        };
        if request.items.len() > self.limits.items_per_order_max {
            return invalid("orderItem holds more than items_per_order_max items".to_string());
        }
        for (index, item) in request.items.iter().enumerate() {
            if item.action != first.action {
                return invalid(
                    "every item of a resource order must have the same action".to_string(),
                );
            }
            let needs_live = matches!(item.action, Action::Modify | Action::Delete);
            let is_live = item
                .resource
                .is_some_and(|resource| self.live.contains_key(&resource));
            if needs_live && !is_live {
                return invalid(format!(
                    "item {}: the resource to {} is not in service",
                    item.id,
                    item.action.as_str()
                ));
            }
            let onu_before = request.items[..index]
                .iter()
                .any(|earlier| earlier.rfs == item.rfs && earlier.kind == ResourceKind::OnuSlot);
            if item.action == Action::Add && item.kind == ResourceKind::VlanPair && !onu_before {
                return invalid(format!(
                    "item {}: a VLAN pair needs an ONU slot earlier in the same service",
                    item.id
                ));
            }
        }
        Ok(())
    }

    /// acknowledged → inProgress for the order and all its items, then the work its action asks.
    fn start(&mut self, id: ResourceOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        let workers = (self.mode == ChainMode::Sync).then_some(&mut self.workers);
        let (state, history) = (&mut order.state, &mut order.history);
        if !start_order(
            Machine::ResourceOrder,
            id,
            state,
            history,
            workers,
            now,
            &mut self.illegal,
        ) {
            return;
        }
        for item in &mut order.items {
            let _ = transition(
                Machine::ResourceOrderItem,
                &mut item.state,
                &mut item.history,
                OrderEvent::Start,
                now,
                &mut self.illegal,
            );
        }
        effects.publish(EventKind::StateChange, Subject::ResourceOrder(id), now);
        match order.items.first().map(|item| item.action) {
            Some(Action::Add) => self.allocate_next(id, now, effects),
            Some(Action::Modify) => self.reconfigure(id, now, effects),
            Some(Action::Delete) => self.cease(id, now, effects),
            Some(Action::NoChange) | None => self.complete_items(id, None, now, effects),
        }
    }

    /// Allocates the first item without a resource, or activates when all have one.
    fn allocate_next(&mut self, id: ResourceOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get(&id) else {
            return;
        };
        let Some(index) = order.items.iter().position(|item| item.value.is_none()) else {
            self.activate(id, now, effects);
            return;
        };
        self.send_allocate(id, index, 1, now, effects);
    }

    /// Sends try number `attempt` of item `index`'s allocation.
    pub(super) fn send_allocate(
        &mut self,
        id: ResourceOrderId,
        index: usize,
        attempt: u32,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(order) = self.orders.get(&id) else {
            return;
        };
        let Some(request) = allocation_request(order, index) else {
            let message = format!("item {index} names no resource to allocate");
            let reason = FailureReason::new(FailureCode::InvalidRequest, message);
            self.fail_because(id, reason, now, effects);
            return;
        };
        let allocation = order.items[index].allocation;
        let operation = OperationId(self.take_number());
        self.operations.insert(
            operation,
            PendingOperation::Allocate {
                order: id,
                item: index,
                attempt,
            },
        );
        if let Some(order) = self.orders.get_mut(&id) {
            order.items[index].operation = Some(operation);
        }
        let request = ElementOperation::Allocate {
            allocation,
            request,
        };
        self.call_network(operation, request, now, effects);
    }

    /// Sends an element operation now; its timeout is an entry in the element-timeout sweep.
    pub(super) fn call_network(
        &mut self,
        operation_id: OperationId,
        operation: ElementOperation,
        now: Time,
        effects: &mut Effects,
    ) {
        send_request(operation_id, operation, now, effects);
        let operations = &self.operations;
        let pending = |operation: &OperationId| operations.contains_key(operation);
        if let Some(at) = self.element_deadlines.watch(operation_id, now, pending) {
            effects.send_at(at, Message::Rom(RomInput::OperationTimeoutSweep(at)));
        }
    }

    /// Like [`RomLayer::call_network`], the call sent at `at` (a retry after its backoff):
    /// its deadline is out of the sweep's order, so it gets its own timeout message.
    pub(super) fn call_network_at(
        &self,
        operation_id: OperationId,
        operation: ElementOperation,
        at: Time,
        effects: &mut Effects,
    ) {
        send_request(operation_id, operation, at, effects);
        effects.send_at(
            at.after(self.element_timeout),
            Message::Rom(RomInput::OperationTimeout(operation_id)),
        );
    }

    /// The element-timeout sweep armed for `armed` fired: each operation past its deadline
    /// that is still waiting for its reply times out.
    fn operation_timeout_sweep(&mut self, armed: Time, now: Time, effects: &mut Effects) {
        let (due, next) = self.element_deadlines.sweep(armed, now);
        for operation in due {
            if self.operations.contains_key(&operation) {
                self.operation_timeout(operation, now, effects);
            }
        }
        if let Some(at) = next {
            effects.send_at(at, Message::Rom(RomInput::OperationTimeoutSweep(at)));
        }
    }

    /// Every item has its resource: ask TMF640 to activate each RFS.
    fn activate(&mut self, id: ResourceOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get(&id) else {
            return;
        };
        if self.mode == ChainMode::Sync {
            let timeout = Message::Rom(RomInput::ActivationTimeout(id));
            effects.send_at(now.after(self.call_timeout), timeout);
        }
        for rfs in distinct_services(order) {
            // In TMF640's order of values, so that supportingResource[i] names resources[i]
            // also when the service is read back from JSON (a reconciling ROM relies on it).
            let mut parts: Vec<(ResourceValue, ResourceId)> = (order.items.iter())
                .filter(|item| item.rfs == rfs)
                .filter_map(|item| Some((item.value?, item.resource?)))
                .collect();
            parts.sort_by_key(|(value, _)| value.wire_rank());
            let mut resources = Vec::with_capacity(parts.len());
            let mut supporting_resources = Vec::with_capacity(parts.len());
            for (value, resource) in parts {
                resources.push(value);
                supporting_resources.push(resource);
            }
            let create = ActivationCreate {
                parent: Some(id),
                service: rfs.id,
                service_specification: rfs.specification,
                name: None,
                resources,
                supporting_resources,
                characteristics: order.characteristics.clone(),
            };
            effects.send(
                now,
                Message::Activation(ActivationInput::Create {
                    reply: None,
                    service: Box::new(create),
                }),
            );
        }
        self.watch_activation(id, now, effects);
    }

    /// The TMF640 service activating `service`, found through the order's own items (their
    /// resources are live): a lookup, not a scan of every live resource.
    pub(super) fn activation_of(&self, order: &ResourceOrder, rfs: &Rfs) -> Option<ActivationId> {
        order
            .items
            .iter()
            .filter(|item| item.rfs == *rfs)
            .find_map(|item| self.live.get(&item.resource?)?.activation)
    }

    /// A speed change: reconfigure each RFS's activation with the new characteristics.
    fn reconfigure(&mut self, id: ResourceOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get(&id) else {
            return;
        };
        let characteristics = order.characteristics.clone();
        let plan: Vec<_> = distinct_services(order)
            .into_iter()
            .map(|rfs| {
                let activation = self.activation_of(order, &rfs);
                (rfs, activation)
            })
            .collect();
        let mut reconfiguring = false;
        for (service, activation) in plan {
            match activation {
                Some(activation) => {
                    let characteristics = characteristics.clone();
                    let message = ActivationInput::Reconfigure {
                        id: activation,
                        parent: Some(id),
                        characteristics,
                    };
                    effects.send(now, Message::Activation(message));
                    reconfiguring = true;
                }
                None => self.complete_items(id, Some(service), now, effects),
            }
        }
        if reconfiguring {
            // A reconfiguration lost with activation's state must end this order too.
            self.watch_activation(id, now, effects);
        }
    }

    /// A cease: terminate each RFS's activation and release every resource.
    fn cease(&mut self, id: ResourceOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get(&id) else {
            return;
        };
        let mut activations = Vec::new();
        for rfs in distinct_services(order) {
            activations.extend(self.activation_of(order, &rfs));
        }
        let releases: Vec<_> = order
            .items
            .iter()
            .enumerate()
            .map(|(index, item)| (item.allocation, item.resource, index))
            .collect();
        for activation in activations {
            effects.send(
                now,
                Message::Activation(ActivationInput::Terminate(activation)),
            );
        }
        for (allocation, resource, index) in releases {
            let item = Some((id, index));
            self.release(allocation, resource, 1, item, Duration::ZERO, now, effects);
        }
    }

    fn element_reply(&mut self, reply: ElementReply, now: Time, effects: &mut Effects) {
        // A reply to an operation that already timed out finds nothing: its compensation ran.
        let Some(pending) = self.operations.remove(&reply.operation_id) else {
            return;
        };
        match (pending, reply.result) {
            (
                PendingOperation::Allocate { order, item, .. },
                Ok(ElementOutcome::Allocated(value)),
            ) => {
                self.allocated(order, item, value, now, effects);
            }
            (
                PendingOperation::Allocate {
                    order,
                    item,
                    attempt,
                },
                outcome,
            ) => {
                // Exhaustion and invalid requests stay as they are; the rest may mend.
                let (mendable, reason) = match outcome {
                    Err(error) => (
                        matches!(
                            error.kind,
                            ElementErrorKind::Failed | ElementErrorKind::ElementDown
                        ),
                        FailureReason::of_element(&error),
                    ),
                    Ok(other) => {
                        let message = format!("allocate answered {other:?}");
                        (
                            false,
                            FailureReason::new(FailureCode::ElementFailed, message),
                        )
                    }
                };
                let failed = reply.operation_id;
                let attempt = (attempt, mendable);
                self.allocation_failed(order, item, failed, attempt, reason, now, effects);
            }
            (
                PendingOperation::Release {
                    allocation,
                    resource,
                    item,
                    ..
                },
                Ok(_),
            ) => self.released(allocation, resource, item, now, effects),
            (
                PendingOperation::Release {
                    allocation,
                    resource,
                    attempt,
                    item,
                },
                Err(error),
            ) => {
                // An element that says it is down is given time to come back; other
                // failures are retried at once.
                let delay = if error.kind == ElementErrorKind::ElementDown {
                    retry_backoff(self.element_timeout, attempt + 1)
                } else {
                    Duration::ZERO
                };
                self.release(allocation, resource, attempt + 1, item, delay, now, effects);
            }
        }
    }

    fn operation_timeout(&mut self, operation: OperationId, now: Time, effects: &mut Effects) {
        match self.operations.remove(&operation) {
            None => {}
            Some(PendingOperation::Allocate {
                order,
                item,
                attempt,
            }) => {
                let reason = FailureReason::timeout("allocate");
                let attempt = (attempt, true);
                self.allocation_failed(order, item, operation, attempt, reason, now, effects)
            }
            Some(PendingOperation::Release {
                allocation,
                resource,
                attempt,
                item,
            }) => {
                // No answer: the element may be down or overloaded; give it time.
                let delay = retry_backoff(self.element_timeout, attempt + 1);
                self.release(allocation, resource, attempt + 1, item, delay, now, effects);
            }
        }
    }

    fn allocated(
        &mut self,
        id: ResourceOrderId,
        index: usize,
        value: ResourceValue,
        now: Time,
        effects: &mut Effects,
    ) {
        let resource = ResourceId(self.take_number());
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        let Some(item) = order.items.get_mut(index) else {
            return;
        };
        item.value = Some(value);
        item.resource = Some(resource);
        item.operation = None;
        let record = ResourceRecord {
            id: resource,
            specification: item.resource_specification.clone(),
            kind: item.kind,
            value,
            allocation: item.allocation,
            status: ResourceStatus::Reserved,
            order: id,
            activation: None,
        };
        effects.send(now, Message::Inventory(InventoryInput::Resource(record)));
        if order.state.is_terminal() {
            // The order ended while this call was in flight: give it straight back.
            let allocation = item.allocation;
            self.release(
                allocation,
                Some(resource),
                1,
                None,
                Duration::ZERO,
                now,
                effects,
            );
            return;
        }
        self.allocate_next(id, now, effects);
    }

    fn activation_changed(&mut self, summary: ActivationSummary, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get_mut(&summary.parent) else {
            self.orphan_reported(&summary, now, effects);
            return;
        };
        let adds = order
            .items
            .first()
            .is_some_and(|item| item.action == Action::Add);
        if adds
            && !order
                .activations
                .iter()
                .any(|(_, activation)| *activation == summary.id)
        {
            order.activations.push((summary.rfs.clone(), summary.id));
        }
        if order.state == OrderState::Completed {
            // A late or repeated report (a child's state-change events may be delivered
            // more than once, and after the order completed): nothing left to do.
            return;
        }
        if order.state.is_terminal() || order.state == OrderState::PendingCancellation {
            if adds && summary.state == ServiceState::Active {
                // Activated after the order failed or was cancelled: compensate.
                effects.send(
                    now,
                    Message::Activation(ActivationInput::Terminate(summary.id)),
                );
            }
            return;
        }
        if let Some(reason) = summary.error {
            self.fail_because(summary.parent, reason, now, effects);
        } else if summary.state == ServiceState::Active {
            self.complete_items(summary.parent, Some(summary.rfs), now, effects);
        }
    }

    /// Records that `service` (or every RFS, when `None`) is done; once every RFS of the order
    /// is, completes all its items and settles the order.
    pub(super) fn complete_items(
        &mut self,
        id: ResourceOrderId,
        rfs: Option<Rfs>,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        let activated = self.activated.entry(id).or_default();
        match rfs {
            Some(rfs) if !activated.contains(&rfs) => activated.push(rfs),
            Some(_) => {}
            None => *activated = distinct_services(order),
        }
        if !order.items.iter().all(|item| activated.contains(&item.rfs)) {
            return;
        }
        self.activated.remove(&id);
        for item in order.items.iter_mut() {
            let completed = transition(
                Machine::ResourceOrderItem,
                &mut item.state,
                &mut item.history,
                OrderEvent::Complete,
                now,
                &mut self.illegal,
            )
            .is_ok();
            if completed
                && item.action == Action::Add
                && let Some(id) = item.resource
            {
                let activation = (order.activations.iter())
                    .find(|(rfs, _)| *rfs == item.rfs)
                    .map(|(rfs, service)| (*service, rfs.clone()));
                let status = InventoryInput::ResourceStatus {
                    id,
                    status: ResourceStatus::Available,
                    activation,
                };
                effects.send(now, Message::Inventory(status));
            }
        }
        self.settle(id, now, effects);
    }

    /// Moves the order to the terminal state its items imply and tells the parent.
    pub(super) fn settle(&mut self, id: ResourceOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        if order.state.is_terminal() {
            return;
        }
        let Some(mut event) = derive_from_items(order.items.iter().map(|item| item.state)) else {
            return;
        };
        if order.state == OrderState::PendingCancellation {
            // Items that completed before the cancel are undone by the compensation.
            event = OrderEvent::CancelCompleted;
        }
        if transition(
            Machine::ResourceOrder,
            &mut order.state,
            &mut order.history,
            event,
            now,
            &mut self.illegal,
        )
        .is_err()
        {
            return;
        }
        order.completion_date = Some(now);
        self.open = self.open.saturating_sub(1);
        effects.observe(Observation::OrderEnded {
            layer: LayerId::Rom,
            state: order.state,
            took: now.since(order.order_date),
        });
        self.activated.remove(&id);
        effects.publish(EventKind::StateChange, Subject::ResourceOrder(id), now);
        if order.state == OrderState::Completed {
            for item in order.items.iter().filter(|item| item.action == Action::Add) {
                let (Some(resource), Some(value)) = (item.resource, item.value) else {
                    continue;
                };
                let activation = order
                    .activations
                    .iter()
                    .find(|(rfs, _)| *rfs == item.rfs)
                    .map(|(_, id)| *id);
                self.live.insert(
                    resource,
                    Box::new(LiveResource {
                        allocation: item.allocation,
                        value,
                        rfs: item.rfs.clone(),
                        activation,
                        order: Some(id),
                        resource_specification: item.resource_specification.clone(),
                        kind: item.kind,
                    }),
                );
            }
        }
        if let Some(parent) = order.parent.clone() {
            self.by_parent.remove(&parent);
            let resources = if order.state == OrderState::Completed {
                order.items.iter().filter_map(held_resource).collect()
            } else {
                Vec::new()
            };
            let summary = ResourceOrderSummary {
                id,
                parent,
                state: order.state,
                resources,
                failure: order.failure.clone(),
            };
            effects.send(now, Message::Som(SomInput::ResourceOrderChanged(summary)));
        }
        if let Some(next) = self.workers.release(id) {
            effects.send(now, Message::Rom(RomInput::Start(next)));
        }
        if let Some(evicted) = self.retention.terminal(id) {
            self.evict(evicted);
        }
    }

    /// Forgets a terminal order the retention bound pushed out, its cancel request and its
    /// release counts (those of resources still in service stay).
    fn evict(&mut self, id: ResourceOrderId) {
        let Some(order) = self.orders.remove(&id) else {
            return;
        };
        if let Some(cancel) = order.cancellation {
            self.cancels.remove(&cancel);
        }
        for item in &order.items {
            let in_service = item
                .resource
                .is_some_and(|resource| self.live.contains_key(&resource));
            if !in_service {
                self.releases.remove(&item.allocation);
            }
        }
    }

    fn patch(
        &mut self,
        reply: ReplyToken,
        id: ResourceOrderId,
        patch: OrderPatch,
        now: Time,
        effects: &mut Effects,
    ) {
        patch_and_answer(
            &mut self.orders,
            id,
            "resource order",
            patch,
            reply,
            Subject::ResourceOrder(id),
            Reply::ResourceOrder,
            now,
            effects,
        );
    }

    fn delete(&mut self, reply: ReplyToken, id: ResourceOrderId, now: Time, effects: &mut Effects) {
        delete_and_answer(
            &mut self.orders,
            id,
            "resource order",
            reply,
            Subject::ResourceOrder(id),
            now,
            effects,
        );
    }
}

/// What a completed item holds, as SOM is told.
fn held_resource(item: &ResourceOrderItem) -> Option<HeldResource> {
    Some(HeldResource {
        resource: item.resource?,
        service: item.rfs.id?,
        service_specification: item.rfs.specification.clone(),
        resource_specification: item.resource_specification.clone(),
        kind: item.kind,
    })
}

/// Sends ROM's element request `operation_id` to the network at `at`.
fn send_request(
    operation_id: OperationId,
    operation: ElementOperation,
    at: Time,
    effects: &mut Effects,
) {
    let request = ElementRequest {
        operation_id,
        reply_to: LayerId::Rom,
        operation,
    };
    effects.send_at(at, Message::Network(NetworkInput::Request(request)));
}

/// The RFSs the order's items support, in item order, each once.
pub(super) fn distinct_services(order: &ResourceOrder) -> Vec<Rfs> {
    let mut services: Vec<Rfs> = Vec::with_capacity(order.items.len());
    for item in &order.items {
        if !services.contains(&item.rfs) {
            services.push(item.rfs.clone());
        }
    }
    services
}

/// What to ask the network for item `index`; a VLAN pair goes on the PON port of the ONU slot
/// allocated earlier for the same RFS.
fn allocation_request(order: &ResourceOrder, index: usize) -> Option<AllocationRequest> {
    let item = order.items.get(index)?;
    let region = order.region;
    Some(match item.kind {
        ResourceKind::OnuSlot => AllocationRequest::OnuSlot {
            region,
            olt: order.olt,
        },
        ResourceKind::VlanPair => {
            let onu = order.items[..index]
                .iter()
                .filter(|earlier| earlier.rfs == item.rfs)
                .find_map(|earlier| match earlier.value {
                    Some(ResourceValue::OnuSlot { olt, pon_port, .. }) => Some((olt, pon_port)),
                    _ => None,
                })?;
            AllocationRequest::VlanPair {
                olt: onu.0,
                pon_port: onu.1,
            }
        }
        ResourceKind::Ipv4Address => AllocationRequest::Ipv4Address { region },
        ResourceKind::DslamPort => AllocationRequest::DslamPort { region },
        ResourceKind::MulticastVlan => AllocationRequest::MulticastVlan { region },
        ResourceKind::PhoneNumber => AllocationRequest::PhoneNumber { region },
    })
}
