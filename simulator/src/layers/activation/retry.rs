//! Activation's forward retries: a configure or activate that failed in a way that may mend
//! (the element failed it, was down, or did not answer) is tried again after the policy's
//! backoff, up to its `attempts`; otherwise the service fails and is deactivated.
//!
//! The backoff is a timer to the layer itself, not a delayed element call: when it fires, the
//! next try goes out only if the service still waits on the failed one. A service terminated
//! in between (ROM's compensation) has been deactivated already, and no late configure can
//! land on the element after that deactivation.

use super::{ActivationInput, ActivationLayer, PendingStep, Step};
use crate::domain::ids::{ActivationId, OperationId};
use crate::domain::state::ServiceState;
use crate::domain::time::Time;
use crate::layers::common::retry_backoff;
use crate::layers::failure::FailureReason;
use crate::layers::{Effects, Message};

impl ActivationLayer {
    /// A configure or activate (operation `failed`) did not succeed.
    pub(super) fn step_failed(
        &mut self,
        pending: PendingStep,
        failed: OperationId,
        mendable: bool,
        reason: FailureReason,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(service) = self.services.get_mut(&pending.service) else {
            return;
        };
        let waiting = service.operation.is_none() && service.state != ServiceState::Terminated;
        if service.restoring {
            self.restore_failed(pending, failed, waiting, reason, now, effects);
            return;
        }
        if !(mendable && waiting && self.retry.retries(pending.attempt)) {
            if mendable && pending.attempt > 1 {
                self.retries.forward_exhausted += 1;
            }
            self.fail(pending.service, reason, now, effects);
            return;
        }
        self.retries.forward += 1;
        let attempt = pending.attempt + 1;
        let delay = self.retry.backoff(attempt);
        self.retry_later(pending, failed, attempt, delay, now, effects);
    }

    /// A step of a restore failed: it is compensation, so it is tried up to
    /// `compensation_attempts` times, backing off like a deactivation; after that the service
    /// is counted as a compensation failure and taken down.
    fn restore_failed(
        &mut self,
        pending: PendingStep,
        failed: OperationId,
        waiting: bool,
        reason: FailureReason,
        now: Time,
        effects: &mut Effects,
    ) {
        if waiting && pending.attempt < self.retry.compensation_attempts {
            self.retries.compensation += 1;
            let attempt = pending.attempt + 1;
            let delay = retry_backoff(self.element_timeout, attempt);
            self.retry_later(pending, failed, attempt, delay, now, effects);
            return;
        }
        self.compensation_failures += 1;
        if let Some(service) = self.services.get_mut(&pending.service) {
            service.restoring = false;
            service.previous = None;
        }
        self.fail(pending.service, reason, now, effects);
    }

    /// Sends try `attempt` of `pending`'s step `delay` from now, through a timer of the
    /// layer's own.
    fn retry_later(
        &mut self,
        pending: PendingStep,
        failed: OperationId,
        attempt: u32,
        delay: std::time::Duration,
        now: Time,
        effects: &mut Effects,
    ) {
        // The failed call may still have taken effect: the service keeps naming it until the
        // next try goes out, so a termination in between deactivates.
        if let Some(service) = self.services.get_mut(&pending.service) {
            service.operation = Some(failed);
        }
        let retry = ActivationInput::Retry {
            service: pending.service,
            step: pending.step,
            failed,
            attempt,
        };
        effects.send_at(now.after(delay), Message::Activation(retry));
    }

    /// A backoff is over: sends the next try if `id` still waits on `failed`.
    pub(super) fn retry_step(
        &mut self,
        id: ActivationId,
        step: Step,
        failed: OperationId,
        attempt: u32,
        now: Time,
        effects: &mut Effects,
    ) {
        let waiting = self
            .services
            .get(&id)
            .is_some_and(|service| service.operation == Some(failed));
        if waiting {
            self.step(id, step, attempt, now, effects);
        }
    }
}
