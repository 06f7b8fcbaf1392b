//! The activation layer's state machine: configure then activate a TMF640 service on its
//! element, report to the requesting resource order, and deactivate on request or failure.

use std::time::Duration;

use super::{
    ActivationCreate, ActivationInput, ActivationLayer, ActivationService, PendingStep,
    ServiceHistory, Step,
};
use crate::config::{ChainConfig, Limits};
use crate::domain::ids::{ActivationId, OperationId, ResourceOrderId};
use crate::domain::state::{ServiceEvent, ServiceState, service_next};
use crate::domain::time::Time;
use crate::layers::common::{Characteristics, IllegalLog, Retention, retry_backoff};
use crate::layers::failure::{FailureCode, FailureReason};
use crate::layers::rom::{ActivationSummary, Rfs, RomInput};
use crate::layers::{
    Effects, EventKind, Layer, LayerId, Message, Rejection, RejectionKind, Reply, ReplyToken,
    SimRng, Subject,
};
use crate::network::{ElementOperation, ElementReply, ElementRequest, NetworkInput};

impl ActivationLayer {
    /// An empty activation layer.
    pub fn new(chain: &ChainConfig, limits: &Limits) -> ActivationLayer {
        ActivationLayer {
            services: Default::default(),
            operations: Default::default(),
            illegal: IllegalLog::default(),
            retention: Retention::new(limits.retained_orders_max),
            next_number: 1,
            compensation_failures: 0,
            retry: chain.retry.activation.clone(),
            retries: Default::default(),
            element_timeout: Duration::from_millis(chain.element_timeout_ms),
            element_deadlines: crate::layers::watchdog::Watchdog::new(
                Duration::from_millis(chain.element_timeout_ms),
                Duration::ZERO,
            ),
            direct: 0,
            direct_max: limits.open_orders_max,
            reconciliation: None,
            deferred: Vec::new(),
        }
    }
}

impl Layer for ActivationLayer {
    type Input = ActivationInput;
    const ID: LayerId = LayerId::Activation;

    fn handle(
        &mut self,
        input: ActivationInput,
        now: Time,
        _rng: &mut SimRng,
        effects: &mut Effects,
    ) {
        if self.waits_for_reconciliation(&input) {
            self.defer(input, effects);
            return;
        }
        match input {
            ActivationInput::Create { reply, service } => {
                self.create(reply, *service, now, effects)
            }
            change @ (ActivationInput::Terminate(_)
            | ActivationInput::Restore(_)
            | ActivationInput::Reconfigure { .. }
            | ActivationInput::Patch { .. }) => self.change(change, now, effects),
            ActivationInput::Element(reply) => self.element_reply(reply, now, effects),
            ActivationInput::OperationTimeout(operation) => {
                self.operation_timeout(operation, now, effects)
            }
            ActivationInput::OperationTimeoutSweep(armed) => {
                self.operation_timeout_sweep(armed, now, effects)
            }
            ActivationInput::Reconcile => self.reconcile(now, effects),
            ActivationInput::ReconcileUnanswered => {
                if self.reconciliation.take().is_some() {
                    self.take_up_deferred(now, effects);
                }
            }
            ActivationInput::Report { parent } => {
                let live = self.services.values().filter(|service| {
                    service.parent == Some(parent) && service.state != ServiceState::Terminated
                });
                let alive = live.map(|service| crate::layers::rom::Rfs {
                    id: service.service,
                    specification: service.service_specification.clone(),
                });
                let answer = crate::layers::rom::RomInput::ActivationStatus {
                    order: parent,
                    alive: alive.collect(),
                };
                effects.send(now, Message::Rom(answer));
            }
            ActivationInput::ListActive => {
                let answer = crate::layers::rom::RomInput::ActiveServices(self.active_services());
                effects.send(now, Message::Rom(answer));
            }
            answer @ (ActivationInput::ElementServices(_) | ActivationInput::OwnedByRom(_)) => {
                self.reconcile_answer(answer, now, effects)
            }
            ActivationInput::Retry {
                service,
                step,
                failed,
                attempt,
            } => self.retry_step(service, step, failed, attempt, now, effects),
        }
    }
}

impl ActivationLayer {
    /// A change to an existing service: terminate, restore, reconfigure, or a caller's patch.
    pub(super) fn change(&mut self, input: ActivationInput, now: Time, effects: &mut Effects) {
        match input {
            ActivationInput::Terminate(id) => self.terminate(id, now, effects),
            ActivationInput::Restore(id) => self.restore(id, now, effects),
            ActivationInput::Reconfigure {
                id,
                parent,
                characteristics,
            } => {
                self.reconfigure(id, parent, characteristics, now, effects);
            }
            ActivationInput::Patch {
                reply,
                id,
                change,
                delete,
            } => self.patch(reply, id, change, delete, now, effects),
            other => debug_assert!(false, "not a change: {other:?}"),
        }
    }

    fn create(
        &mut self,
        reply: Option<ReplyToken>,
        request: ActivationCreate,
        now: Time,
        effects: &mut Effects,
    ) {
        if request.parent.is_none() {
            // A direct client's service: bounded, since nothing else bounds it.
            if self.direct >= self.direct_max {
                let rejection = Rejection::new(
                    RejectionKind::LimitExceeded,
                    "too many services activated directly; terminate some or retry later",
                );
                if let Some(token) = reply {
                    effects.reply(token, Reply::Rejected(rejection));
                }
                return;
            }
            self.direct += 1;
        }
        let id = ActivationId(self.next_number);
        self.next_number += 1;
        let element = request
            .resources
            .iter()
            .find_map(|resource| resource.element());
        let mut service = ActivationService {
            id,
            parent: request.parent,
            service: request.service,
            service_specification: request.service_specification,
            name: request.name,
            state: ServiceState::FeasibilityChecked,
            history: history_starting(now),
            element,
            resources: request.resources,
            supporting_resources: request.supporting_resources,
            characteristics: request.characteristics,
            previous: None,
            restoring: false,
            operation: None,
            error: None,
            created: now,
        };
        apply(&mut service, ServiceEvent::Reserve, now, &mut self.illegal);
        if let Some(token) = reply {
            effects.reply(token, Reply::ActivationService(Box::new(service.clone())));
        }
        self.services.insert(id, Box::new(service));
        effects.publish(EventKind::Create, Subject::ActivationService(id), now);
        match element {
            Some(_) => self.step(id, Step::Configure, 1, now, effects),
            // Nothing to push to an element: the service is recorded as configured and active.
            None => {
                self.advance(id, ServiceEvent::Configure, now, effects);
                self.advance(id, ServiceEvent::Activate, now, effects);
            }
        }
    }

    /// Applies `event` to service `id`, publishes the change, and reports `active` upwards.
    /// The service is changed in place: taking it out of the map and putting it back cost a
    /// B-tree removal and insertion per step.
    pub(super) fn advance(
        &mut self,
        id: ActivationId,
        event: ServiceEvent,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(service) = self.services.get_mut(&id) else {
            return;
        };
        let changed = apply(service, event, now, &mut self.illegal);
        if changed {
            effects.publish(EventKind::StateChange, Subject::ActivationService(id), now);
            if service.state == ServiceState::Active {
                if service.restoring {
                    // Back as it was: the failed modify was reported already.
                    service.restoring = false;
                } else {
                    report(service, now, effects);
                }
            }
        }
        let terminated = service.state == ServiceState::Terminated;
        if changed && terminated && service.parent.is_none() {
            self.direct = self.direct.saturating_sub(1);
        }
        if terminated && let Some(evicted) = self.retention.terminal(id) {
            self.services.remove(&evicted);
        }
    }

    pub(super) fn step(
        &mut self,
        id: ActivationId,
        step: Step,
        attempt: u32,
        now: Time,
        effects: &mut Effects,
    ) {
        self.step_after(id, step, attempt, std::time::Duration::ZERO, now, effects);
    }

    /// Sends the element call of `step`, `delay` from now (a retry after its backoff).
    fn step_after(
        &mut self,
        id: ActivationId,
        step: Step,
        attempt: u32,
        delay: std::time::Duration,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(service) = self.services.get_mut(&id) else {
            return;
        };
        let Some(element) = service.element else {
            return;
        };
        let operation_id = OperationId(self.next_number);
        self.next_number += 1;
        service.operation = Some(operation_id);
        self.operations.insert(
            operation_id,
            PendingStep {
                service: id,
                step,
                attempt,
            },
        );
        let operation = match step {
            Step::Configure => ElementOperation::Configure {
                element,
                service: id,
            },
            Step::Activate => ElementOperation::Activate {
                element,
                service: id,
            },
            Step::Deactivate => ElementOperation::Deactivate {
                element,
                service: id,
            },
        };
        let request = ElementRequest {
            operation_id,
            reply_to: LayerId::Activation,
            operation,
        };
        let at = now.after(delay);
        effects.send_at(at, Message::Network(NetworkInput::Request(request)));
        if at > now {
            // After a backoff: out of the sweep's order, so a timeout message of its own.
            let timeout = Message::Activation(ActivationInput::OperationTimeout(operation_id));
            effects.send_at(at.after(self.element_timeout), timeout);
            return;
        }
        let operations = &self.operations;
        let pending = |operation: &OperationId| operations.contains_key(operation);
        if let Some(at) = self.element_deadlines.watch(operation_id, now, pending) {
            let sweep = ActivationInput::OperationTimeoutSweep(at);
            effects.send_at(at, Message::Activation(sweep));
        }
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
            let sweep = ActivationInput::OperationTimeoutSweep(at);
            effects.send_at(at, Message::Activation(sweep));
        }
    }

    fn element_reply(&mut self, reply: ElementReply, now: Time, effects: &mut Effects) {
        let Some(pending) = self.operations.remove(&reply.operation_id) else {
            return;
        };
        if let Some(service) = self.services.get_mut(&pending.service) {
            service.operation = None;
        }
        match (pending.step, reply.result) {
            (Step::Configure, Ok(_)) => {
                self.advance(pending.service, ServiceEvent::Configure, now, effects);
                self.step(pending.service, Step::Activate, 1, now, effects);
            }
            (Step::Activate, Ok(_)) => {
                self.advance(pending.service, ServiceEvent::Activate, now, effects)
            }
            (Step::Deactivate, Ok(_)) => self.terminated(pending.service, now, effects),
            (Step::Configure | Step::Activate, Err(error)) => {
                let mendable = matches!(
                    error.kind,
                    crate::network::ElementErrorKind::Failed
                        | crate::network::ElementErrorKind::ElementDown
                );
                let failed = reply.operation_id;
                let reason = FailureReason::of_element(&error);
                self.step_failed(pending, failed, mendable, reason, now, effects)
            }
            (Step::Deactivate, Err(error)) => {
                // An element that says it is down is given time to come back.
                let down = error.kind == crate::network::ElementErrorKind::ElementDown;
                self.retry_deactivate(pending, down, now, effects)
            }
        }
    }

    fn operation_timeout(&mut self, operation: OperationId, now: Time, effects: &mut Effects) {
        let Some(pending) = self.operations.remove(&operation) else {
            return;
        };
        if let Some(service) = self.services.get_mut(&pending.service) {
            service.operation = None;
        }
        match pending.step {
            Step::Configure | Step::Activate => {
                let what = match pending.step {
                    Step::Configure => "configure",
                    _ => "activate",
                };
                let reason = FailureReason::timeout(what);
                self.step_failed(pending, operation, true, reason, now, effects);
            }
            // No answer: the element may be down or overloaded; give it time.
            Step::Deactivate => self.retry_deactivate(pending, true, now, effects),
        }
    }

    fn retry_deactivate(
        &mut self,
        pending: PendingStep,
        back_off: bool,
        now: Time,
        effects: &mut Effects,
    ) {
        if pending.attempt >= self.retry.compensation_attempts {
            self.compensation_failures += 1;
            return;
        }
        self.retries.compensation += 1;
        let attempt = pending.attempt + 1;
        let delay = if back_off {
            retry_backoff(self.element_timeout, attempt)
        } else {
            std::time::Duration::ZERO
        };
        let service = pending.service;
        self.step_after(service, Step::Deactivate, attempt, delay, now, effects);
    }

    /// Configure or activate failed: report the error, then deactivate what may have been
    /// applied (the call may have taken effect even though it failed or timed out).
    pub(super) fn fail(
        &mut self,
        id: ActivationId,
        reason: FailureReason,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(service) = self.services.get_mut(&id) else {
            return;
        };
        service.error = Some(reason);
        report(service, now, effects);
        if service.previous.is_some() {
            // A reconfiguration failed: the service goes back to how it was, not away.
            service.error = None;
            self.restore(id, now, effects);
            return;
        }
        self.step(id, Step::Deactivate, 1, now, effects);
    }

    /// Deactivates and terminates a service (ROM's compensation); idempotent.
    pub(super) fn terminate(&mut self, id: ActivationId, now: Time, effects: &mut Effects) {
        let Some(service) = self.services.get(&id) else {
            return;
        };
        let deactivating = service.operation.is_some_and(|operation| {
            self.operations
                .get(&operation)
                .is_some_and(|pending| pending.step == Step::Deactivate)
        });
        if service.state == ServiceState::Terminated || deactivating {
            return;
        }
        if service.element.is_none() {
            self.terminated(id, now, effects);
            return;
        }
        if let Some(operation) = service.operation {
            // A configure/activate in flight is superseded; its late reply is ignored.
            self.operations.remove(&operation);
        }
        self.step(id, Step::Deactivate, 1, now, effects);
    }

    /// A speed change: active → inactive, configure, activate again; the result goes to
    /// `parent`. A service that is not active cannot be reconfigured.
    pub(super) fn reconfigure(
        &mut self,
        id: ActivationId,
        parent: Option<ResourceOrderId>,
        characteristics: Characteristics,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(service) = self.services.get_mut(&id) else {
            return;
        };
        if parent.is_some() {
            service.parent = parent;
        }
        if service.state != ServiceState::Active || service.operation.is_some() {
            let message = format!(
                "service {id} is {} and cannot be reconfigured",
                service.state.as_str()
            );
            service.error = Some(FailureReason::new(FailureCode::InvalidRequest, message));
            report(service, now, effects);
            service.error = None;
            return;
        }
        service.previous = Some(std::mem::replace(
            &mut service.characteristics,
            characteristics,
        ));
        self.reapply(id, now, effects);
    }

    /// Pushes a service's (new or restored) characteristics: an active service goes inactive,
    /// then is configured and activated again on its element, or just recorded so when it has
    /// none.
    pub(super) fn reapply(&mut self, id: ActivationId, now: Time, effects: &mut Effects) {
        let Some(service) = self.services.get(&id) else {
            return;
        };
        let element = service.element;
        if service.state == ServiceState::Active {
            self.advance(id, ServiceEvent::Deactivate, now, effects);
        }
        match element {
            Some(_) => self.step(id, Step::Configure, 1, now, effects),
            None => {
                self.advance(id, ServiceEvent::Configure, now, effects);
                self.advance(id, ServiceEvent::Activate, now, effects);
            }
        }
    }

    fn terminated(&mut self, id: ActivationId, now: Time, effects: &mut Effects) {
        let active = self
            .services
            .get(&id)
            .is_some_and(|service| service.state == ServiceState::Active);
        if active {
            self.advance(id, ServiceEvent::Deactivate, now, effects);
        }
        self.advance(id, ServiceEvent::Terminate, now, effects);
    }
}

/// Tells the resource order that asked for `service` how it went.
fn report(service: &ActivationService, now: Time, effects: &mut Effects) {
    let Some(parent) = service.parent else { return };
    let summary = ActivationSummary {
        id: service.id,
        parent,
        rfs: Rfs {
            id: service.service,
            specification: service.service_specification.clone(),
        },
        state: service.state,
        error: service.error.clone(),
    };
    effects.send(now, Message::Rom(RomInput::ActivationChanged(summary)));
}

/// A new service's history, with room for the states of a service that is activated
/// (feasibilityChecked, reserved, inactive, active) so it is not reallocated on the way.
fn history_starting(now: Time) -> ServiceHistory {
    ServiceHistory::starting(ServiceState::FeasibilityChecked, now)
}

/// Applies `event` to `service` through the service state table; a refusal is recorded in
/// `illegal` and changes nothing.
fn apply(
    service: &mut ActivationService,
    event: ServiceEvent,
    now: Time,
    illegal: &mut IllegalLog,
) -> bool {
    match service_next(service.state, event) {
        Ok(next) => {
            service.state = next;
            service.history.push(now, next);
            true
        }
        Err(refused) => {
            illegal.record(refused);
            false
        }
    }
}
