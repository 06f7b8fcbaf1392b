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
use crate::layers::{Effects, Message};

impl ActivationLayer {
    /// A configure or activate (operation `failed`) did not succeed.
    pub(super) fn step_failed(
        &mut self,
        pending: PendingStep,
        failed: OperationId,
        mendable: bool,
        reason: String,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(service) = self.services.get_mut(&pending.service) else {
            return;
        };
        let waiting = service.operation.is_none() && service.state != ServiceState::Terminated;
        if !(mendable && waiting && self.retry.retries(pending.attempt)) {
            if mendable && pending.attempt > 1 {
                self.retries.forward_exhausted += 1;
            }
            self.fail(pending.service, reason, now, effects);
            return;
        }
        // The failed call may still have taken effect: the service keeps naming it until the
        // next try goes out, so a termination in between deactivates.
        service.operation = Some(failed);
        self.retries.forward += 1;
        let attempt = pending.attempt + 1;
        let retry = ActivationInput::Retry {
            service: pending.service,
            step: pending.step,
            failed,
            attempt,
        };
        let at = now.after(self.retry.backoff(attempt));
        effects.send_at(at, Message::Activation(retry));
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
