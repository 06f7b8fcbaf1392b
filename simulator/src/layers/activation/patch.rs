//! TMF640 `PATCH /service/{id}` and `DELETE /service/{id}` from a caller that waits for the
//! answer: 404 for an unknown service, 409 for a change its state forbids, otherwise the
//! change starts and the caller gets the service as it then is (or 204 for a `DELETE`). The
//! element work the change needs goes on after the answer, reported by state-change events.

use super::{ActivationLayer, ActivationService, ServiceChange};
use crate::domain::ids::ActivationId;
use crate::domain::state::ServiceState;
use crate::domain::time::Time;
use crate::layers::{Effects, Rejection, RejectionKind, Reply, ReplyToken};

impl ActivationLayer {
    /// Applies `change` to service `id` and answers `reply`.
    pub(super) fn patch(
        &mut self,
        reply: ReplyToken,
        id: ActivationId,
        change: ServiceChange,
        delete: bool,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(service) = self.services.get(&id) else {
            let message = format!("service {id} does not exist");
            let rejection = Rejection::new(RejectionKind::NotFound, message);
            effects.reply(reply, Reply::Rejected(rejection));
            return;
        };
        let before = service.clone();
        if let Some(message) = refusal(service, &change) {
            if let ServiceChange::Reconfigure {
                parent: Some(parent),
                characteristics,
            } = change
            {
                // The requesting resource order follows events: it is told the failure too.
                self.reconfigure(id, Some(parent), characteristics, now, effects);
            }
            let rejection = Rejection::new(RejectionKind::Conflict, message);
            effects.reply(reply, Reply::Rejected(rejection));
            return;
        }
        match change {
            ServiceChange::Terminate => self.terminate(id, now, effects),
            ServiceChange::Restore => self.restore(id, now, effects),
            ServiceChange::Reconfigure {
                parent,
                characteristics,
            } => self.reconfigure(id, parent, characteristics, now, effects),
        }
        if delete {
            effects.reply(reply, Reply::Deleted);
            return;
        }
        // A service without an element terminates at once and may have been evicted.
        let after = self.services.get(&id).map_or(before, Clone::clone);
        effects.reply(reply, Reply::ActivationService(after));
    }
}

/// Why `change` cannot be applied to `service` now (`None`: it can). Terminating is
/// idempotent, so it is never refused; nor is restoring a service that is not terminated
/// (nothing happens to one never reconfigured, or being restored already).
fn refusal(service: &ActivationService, change: &ServiceChange) -> Option<String> {
    let (id, state) = (service.id, service.state.as_str());
    match change {
        ServiceChange::Terminate => None,
        _ if service.state == ServiceState::Terminated => {
            Some(format!("service {id} is terminated; it cannot be changed"))
        }
        ServiceChange::Reconfigure { .. }
            if service.state != ServiceState::Active || service.operation.is_some() =>
        {
            Some(format!(
                "service {id} is {state} and busy or not active; only an active service can be \
                 reconfigured"
            ))
        }
        _ => None,
    }
}
