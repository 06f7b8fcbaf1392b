//! A layer's inbox in the real-time runtime, and the admission rule that keeps it bounded.
//!
//! Why not a bounded channel whose senders wait: layers send to each other in both directions
//! (orders down, events and replies up), so waiting on a full inbox can close a cycle — SOM
//! waits on ROM's full inbox while ROM waits on SOM's — and the chain stops for good (issue 11:
//! 20,000 orders/s wedged SOM and ROM at 65,536 queued messages each). Here a message between
//! layers is never refused and never waited on. The bound comes from the edge instead: a
//! caller's request (an HTTP POST, PATCH, DELETE) is admitted only while every inbox is below
//! its `capacity`, and COM admits at most `open_orders_max` open orders, each of which has a
//! bounded number of messages in flight. So depth stays within `capacity` plus what the
//! admitted orders still owe, and new work is shed (503 with `Retry-After`) before queues and
//! latency grow without end.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::sync::mpsc;

/// The sending half of a layer's inbox, with its depth and edge-admission counters.
pub(crate) struct Inbox<T> {
    sender: mpsc::UnboundedSender<T>,
    /// Messages sent and not yet taken by the layer task.
    depth: AtomicUsize,
    /// The deepest the inbox has been.
    depth_peak: AtomicUsize,
    /// From this depth on, callers' requests are refused.
    capacity: usize,
    /// Callers' requests refused because the chain was congested.
    shed: AtomicU64,
}

impl<T> Inbox<T> {
    /// An inbox that admits callers' requests below `capacity`, and its receiving half.
    pub(crate) fn new(capacity: usize) -> (Inbox<T>, mpsc::UnboundedReceiver<T>) {
        assert!(capacity > 0, "an inbox needs room for one message");
        let (sender, receiver) = mpsc::unbounded_channel();
        let inbox = Inbox {
            sender,
            depth: AtomicUsize::new(0),
            depth_peak: AtomicUsize::new(0),
            capacity,
            shed: AtomicU64::new(0),
        };
        (inbox, receiver)
    }

    /// Delivers a message between layers: never refused, never waited on (see the module doc).
    /// A closed inbox (the chain is stopping) drops it.
    pub(crate) fn push(&self, message: T) {
        // Counted before it is sent: the layer task may take it (and count it out) at once.
        let depth = self.depth.fetch_add(1, Ordering::Relaxed) + 1;
        if self.sender.send(message).is_ok() {
            self.depth_peak.fetch_max(depth, Ordering::Relaxed);
        } else {
            self.depth.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// The layer task took `count` messages out.
    pub(crate) fn taken(&self, count: usize) {
        let before = self.depth.fetch_sub(count, Ordering::Relaxed);
        debug_assert!(before >= count, "an inbox gave out more than it was given");
    }

    /// Whether this inbox is at or over the depth from which callers are refused.
    pub(crate) fn congested(&self) -> bool {
        self.depth() >= self.capacity
    }

    /// Counts a caller's request refused at the edge.
    pub(crate) fn count_shed(&self) {
        self.shed.fetch_add(1, Ordering::Relaxed);
    }

    /// Messages waiting.
    pub(crate) fn depth(&self) -> usize {
        self.depth.load(Ordering::Relaxed)
    }

    /// The deepest the inbox has been.
    pub(crate) fn depth_peak(&self) -> usize {
        self.depth_peak.load(Ordering::Relaxed)
    }

    /// Callers' requests for this layer refused at the edge.
    pub(crate) fn shed(&self) -> u64 {
        self.shed.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_past_capacity_and_reports_congestion() {
        let (inbox, mut receiver) = Inbox::new(2);
        inbox.push(1);
        assert!(!inbox.congested());
        inbox.push(2);
        inbox.push(3);
        assert!(inbox.congested(), "two or more waiting is congested");
        assert_eq!((inbox.depth(), inbox.depth_peak()), (3, 3));
        let mut taken = Vec::new();
        let count = receiver.try_recv().map(|m| taken.push(m)).map(|()| 1);
        inbox.taken(count.expect("one waiting"));
        assert_eq!((inbox.depth(), inbox.depth_peak()), (2, 3));
        inbox.count_shed();
        assert_eq!(inbox.shed(), 1);
    }

    #[test]
    fn a_closed_inbox_drops_without_counting() {
        let (inbox, receiver) = Inbox::new(1);
        drop(receiver);
        inbox.push(1);
        assert_eq!(inbox.depth(), 0);
    }
}
