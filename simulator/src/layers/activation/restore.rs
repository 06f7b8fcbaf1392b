//! Restoring a reconfigured service: the compensation of a failed modify (a speed change).
//!
//! A reconfigure keeps the service's characteristics from before it (`previous`). When the
//! reconfigure fails, or ROM fails the modify order because another of its services did, the
//! service is configured and activated again with those characteristics: the customer keeps
//! the old speed instead of losing the service. Restore steps retry as compensation does; a
//! restore that never succeeds is a compensation failure the audit reports.

use super::ActivationLayer;
use crate::domain::ids::ActivationId;
use crate::domain::state::ServiceState;
use crate::domain::time::Time;
use crate::layers::Effects;

impl ActivationLayer {
    /// Puts service `id` back to its configuration before the last reconfigure; nothing for
    /// a service that was never reconfigured, is terminated, or is being restored already.
    pub(super) fn restore(&mut self, id: ActivationId, now: Time, effects: &mut Effects) {
        let Some(service) = self.services.get_mut(&id) else {
            return;
        };
        if service.state == ServiceState::Terminated || service.restoring {
            return;
        }
        let Some(previous) = service.previous.take() else {
            return;
        };
        if let Some(operation) = service.operation.take() {
            // A reconfigure step in flight is superseded; its late reply is ignored.
            self.operations.remove(&operation);
        }
        service.characteristics = previous;
        service.restoring = true;
        service.error = None;
        self.reapply(id, now, effects);
    }
}
