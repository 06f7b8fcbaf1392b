//! The timer task: holds messages due later in a heap ordered by (time, sequence) and
//! delivers each when its time comes; nothing is ever delivered early, nor later than the
//! task can run. It always takes what layers send: a timer that stopped taking made layers
//! wait on it while it waited on them, and held back 1 ms element replies behind a 5 s timeout
//! it could not yet take, so calls timed out that had answered. Its bound is the edge's
//! instead: while `limits.timers_max` messages are pending, callers' requests are refused
//! (see `super::inbox`).

use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::mpsc;

use super::realtime::Router;
use crate::domain::time::Time;
use crate::layers::Message;

/// A message to deliver at `at`.
pub(crate) struct TimerEntry {
    at: Time,
    sequence: u64,
    message: Message,
}

impl TimerEntry {
    /// An entry for `message` at `at` (the sequence is set by the timer task).
    pub(crate) fn new(at: Time, message: Message) -> TimerEntry {
        TimerEntry {
            at,
            sequence: 0,
            message,
        }
    }
}

impl PartialEq for TimerEntry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.sequence) == (other.at, other.sequence)
    }
}

impl Eq for TimerEntry {}

impl PartialOrd for TimerEntry {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl Ord for TimerEntry {
    /// Reversed, so the max-heap pops the earliest entry first.
    fn cmp(&self, other: &Self) -> CmpOrdering {
        (other.at, other.sequence).cmp(&(self.at, self.sequence))
    }
}

/// Runs until the channel closes.
pub(crate) async fn run(mut receiver: mpsc::UnboundedReceiver<TimerEntry>, router: Arc<Router>) {
    let mut heap: BinaryHeap<TimerEntry> = BinaryHeap::new();
    let mut sequence = 0u64;
    let mut received = Vec::with_capacity(256);
    loop {
        let next = heap.peek().map(|entry| entry.at);
        let sleep = next.map(|at| at.since(router.now()));
        tokio::select! {
            count = receiver.recv_many(&mut received, 256) => {
                if count == 0 {
                    return;
                }
                for mut entry in received.drain(..) {
                    sequence += 1;
                    entry.sequence = sequence;
                    heap.push(entry);
                }
            }
            () = tokio::time::sleep(sleep.unwrap_or(Duration::ZERO)), if sleep.is_some() => {}
        }
        let now = router.now();
        while heap.peek().is_some_and(|entry| entry.at <= now) {
            if let Some(entry) = heap.pop() {
                router
                    .pending_timers(&entry.message)
                    .fetch_sub(1, Ordering::Relaxed);
                router.route(entry.message).await;
            }
        }
    }
}
