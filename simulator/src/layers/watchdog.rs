//! Jeopardy deadlines as one sweep per layer instead of one timer per child order.
//!
//! Every child order a parent creates gets the same deadline after its creation, so deadlines
//! arrive in the order they were set: a FIFO queue holds them, and one wake-up at the head's
//! deadline takes everything due. A parent whose orders all end in time pays a queue push and a
//! pop per order, not a timer entry and a message through its inbox (a third of the virtual-time
//! chain's cost went to those, issue 10's benchmark).
//!
//! Entries are not removed when their order ends; a sweep finds them stale and skips them. So
//! that they cannot pile up, the queue is compacted (stale entries dropped) whenever it doubles
//! past what was live at the last compaction: amortised O(1), bounded by twice the live orders.
//! A wake-up names the instant it was armed for, and only that one counts: after a layer
//! restarts without its state, the old store's wake-up finds the new store unarmed and is
//! ignored, so sweep chains never multiply.

use std::collections::VecDeque;
use std::time::Duration;

use crate::domain::time::Time;

/// Below this many entries the queue is never compacted.
const COMPACT_FLOOR: usize = 4096;

/// The deadlines of one parent layer's child orders, keyed by `K`.
#[derive(Debug, Clone)]
pub struct Watchdog<K> {
    /// How long a child may run before its parent asks about it.
    pub deadline: Duration,
    /// How long the child has to answer.
    pub answer: Duration,
    due: VecDeque<(Time, K)>,
    armed: Option<Time>,
    compact_at: usize,
}

impl<K> Watchdog<K> {
    /// A watchdog with nothing watched.
    pub fn new(deadline: Duration, answer: Duration) -> Watchdog<K> {
        Watchdog {
            deadline,
            answer,
            due: VecDeque::new(),
            armed: None,
            compact_at: COMPACT_FLOOR,
        }
    }

    /// Watches `key` from `now`. Returns the instant to schedule a sweep at, when none is
    /// pending; `still_watched` tells whether an entry is live (for compaction).
    pub fn watch(
        &mut self,
        key: K,
        now: Time,
        still_watched: impl FnMut(&K) -> bool,
    ) -> Option<Time> {
        if self.due.len() >= self.compact_at {
            self.compact(still_watched);
        }
        let at = now.after(self.deadline);
        debug_assert!(self.due.back().is_none_or(|(last, _)| *last <= at));
        self.due.push_back((at, key));
        match self.armed {
            Some(_) => None,
            None => {
                self.armed = Some(at);
                Some(at)
            }
        }
    }

    /// The sweep armed for `armed_at` fired at `now`: the keys whose deadline passed (stale
    /// ones included; the caller checks), and the instant to schedule the next sweep at.
    /// A wake-up this watchdog did not arm takes nothing.
    pub fn sweep(&mut self, armed_at: Time, now: Time) -> (Vec<K>, Option<Time>) {
        if self.armed != Some(armed_at) {
            return (Vec::new(), None);
        }
        let mut keys = Vec::new();
        while self.due.front().is_some_and(|(at, _)| *at <= now) {
            if let Some((_, key)) = self.due.pop_front() {
                keys.push(key);
            }
        }
        self.armed = self.due.front().map(|(at, _)| *at);
        (keys, self.armed)
    }

    /// Entries held (live or stale).
    pub fn len(&self) -> usize {
        self.due.len()
    }

    /// Whether nothing is watched.
    pub fn is_empty(&self) -> bool {
        self.due.is_empty()
    }

    fn compact(&mut self, mut still_watched: impl FnMut(&K) -> bool) {
        self.due.retain(|(_, key)| still_watched(key));
        self.compact_at = (2 * self.due.len()).max(COMPACT_FLOOR);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Time {
        Time::ZERO.after(Duration::from_millis(ms))
    }

    fn watchdog() -> Watchdog<u32> {
        Watchdog::new(Duration::from_millis(100), Duration::from_millis(10))
    }

    #[test]
    fn one_sweep_takes_every_deadline_that_passed_and_arms_the_next() {
        let mut dog = watchdog();
        assert_eq!(dog.watch(1, at(0), |_| true), Some(at(100)));
        assert_eq!(dog.watch(2, at(30), |_| true), None);
        assert_eq!(dog.watch(3, at(80), |_| true), None);
        assert_eq!(dog.sweep(at(100), at(131)), (vec![1, 2], Some(at(180))));
        assert_eq!(dog.sweep(at(180), at(180)), (vec![3], None));
        // Nothing pending: the next watch arms a new sweep.
        assert_eq!(dog.watch(4, at(200), |_| true), Some(at(300)));
    }

    #[test]
    fn a_wake_up_it_did_not_arm_takes_nothing() {
        let mut dog = watchdog();
        dog.watch(1, at(0), |_| true);
        assert_eq!(dog.sweep(at(55), at(200)), (vec![], None));
        assert_eq!(dog.len(), 1);
        // A fresh watchdog (a restarted layer) ignores the old store's wake-up.
        let mut fresh = watchdog();
        assert_eq!(fresh.sweep(at(100), at(100)), (vec![], None));
    }

    #[test]
    fn stale_entries_are_compacted_so_the_queue_stays_bounded() {
        let mut dog = watchdog();
        for key in 0..100_000u32 {
            // Only the last ten orders are still running.
            dog.watch(key, at(0), |k| *k + 10 >= key);
        }
        assert!(dog.len() <= COMPACT_FLOOR + 1, "{} entries", dog.len());
    }
}
