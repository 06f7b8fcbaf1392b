//! ROM's forward retries: an allocation that failed in a way that may mend (the element failed
//! it, was down, or did not answer) is tried again after the policy's backoff, up to its
//! `attempts`; otherwise the order fails and compensates.
//!
//! The backoff is a timer to ROM itself, not a delayed network call: when it fires, ROM sends
//! the next try only if the item still waits on the failed one. An order cancelled or failed
//! in between has already released the allocation (the failed try may have taken effect, so
//! the item keeps naming it until then), and no late allocation can land after that release.

use super::{RomInput, RomLayer};
use crate::domain::ids::{OperationId, ResourceOrderId};
use crate::domain::time::Time;
use crate::layers::failure::FailureReason;
use crate::layers::{Effects, Message};

impl RomLayer {
    /// Try `attempt` of item `index`'s allocation (operation `failed`) did not succeed.
    /// `attempt` is the try's number and whether its failure may mend.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn allocation_failed(
        &mut self,
        id: ResourceOrderId,
        index: usize,
        failed: OperationId,
        (attempt, mendable): (u32, bool),
        reason: FailureReason,
        now: Time,
        effects: &mut Effects,
    ) {
        let live = self
            .orders
            .get(&id)
            .is_some_and(|order| !order.state.is_terminal());
        if !(mendable && live) {
            self.fail_because(id, reason, now, effects);
            return;
        }
        if !self.retry.retries(attempt) {
            if attempt > 1 {
                self.retries.forward_exhausted += 1;
            }
            self.fail_because(id, reason, now, effects);
            return;
        }
        self.retries.forward += 1;
        let next = attempt + 1;
        let retry = RomInput::RetryAllocate {
            order: id,
            item: index,
            failed,
            attempt: next,
        };
        effects.send_at(now.after(self.retry.backoff(next)), Message::Rom(retry));
    }

    /// A backoff is over: sends the next try if item `index` still waits on `failed`.
    pub(super) fn retry_allocate(
        &mut self,
        id: ResourceOrderId,
        index: usize,
        failed: OperationId,
        attempt: u32,
        now: Time,
        effects: &mut Effects,
    ) {
        let waiting = self.orders.get(&id).is_some_and(|order| {
            !order.state.is_terminal()
                && order
                    .items
                    .get(index)
                    .is_some_and(|item| item.operation == Some(failed) && item.value.is_none())
        });
        if waiting {
            self.send_allocate(id, index, attempt, now, effects);
        }
    }
}
