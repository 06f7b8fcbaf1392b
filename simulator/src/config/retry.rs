//! Retry policies of the layers that call network elements (`[chain.retry.rom]` for TMF652's
//! allocations and releases, `[chain.retry.activation]` for TMF640's configure, activate and
//! deactivate), so QA can see what retries hide (failures that never reach an order) and what
//! they cost (extra element calls, longer orders).
//!
//! A forward step (allocate; configure, activate) that failed in a way a retry can mend (the
//! element failed it, the element is down, or it did not answer in time) is tried again after
//! a backoff, up to `attempts` tries in all; an exhausted pool or an invalid request fails at
//! once. A compensation step (release; deactivate) is tried up to `compensation_attempts`
//! times before it counts as a compensation failure, which the audit reports as a leak.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One layer's retry policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryPolicy {
    /// Tries per forward element step in all; 1 means no retry.
    pub attempts: u32,
    /// Wait before the second try.
    pub backoff_ms: u64,
    /// Each later wait is the previous one times this (1 keeps it constant).
    pub backoff_multiplier: f64,
    /// The longest wait between two tries.
    pub backoff_max_ms: u64,
    /// Tries per compensation step (release, deactivate) before it counts as failed.
    pub compensation_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 1,
            backoff_ms: 100,
            backoff_multiplier: 2.0,
            backoff_max_ms: 5_000,
            compensation_attempts: 8,
        }
    }
}

impl RetryPolicy {
    /// The most tries a policy may ask for, forward or compensation.
    pub const ATTEMPTS_MAX: u32 = 100;

    /// Whether a forward step that just failed its try number `attempt` (1-based) gets another.
    pub fn retries(&self, attempt: u32) -> bool {
        attempt < self.attempts
    }

    /// The wait before try number `attempt` (2 is the first retry):
    /// `backoff_ms × backoff_multiplier^(attempt − 2)`, at most `backoff_max_ms`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exponent = i32::try_from(attempt.saturating_sub(2)).unwrap_or(i32::MAX);
        let wait_ms = self.backoff_ms as f64 * self.backoff_multiplier.powi(exponent);
        let capped_ms = wait_ms.min(self.backoff_max_ms as f64);
        Duration::from_micros((capped_ms * 1_000.0) as u64)
    }

    /// The longest a forward step can take with every try timing out: each try's
    /// `element_timeout` plus the waits between them.
    pub fn worst_case(&self, element_timeout: Duration) -> Duration {
        (2..=self.attempts).fold(element_timeout, |total, attempt| {
            total + self.backoff(attempt) + element_timeout
        })
    }
}

/// The retry policies, one per layer that calls elements.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    /// TMF652 resource ordering: allocations (forward) and releases (compensation).
    pub rom: RetryPolicy,
    /// TMF640 activation: configure and activate (forward) and deactivate (compensation).
    pub activation: RetryPolicy,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(attempts: u32) -> RetryPolicy {
        RetryPolicy {
            attempts,
            backoff_ms: 100,
            backoff_multiplier: 2.0,
            backoff_max_ms: 500,
            compensation_attempts: 8,
        }
    }

    #[test]
    fn backoff_doubles_from_the_second_try_and_stops_at_the_cap() {
        let waits: Vec<u128> = (2..=6).map(|n| policy(6).backoff(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 500, 500]);
    }

    #[test]
    fn constant_backoff_with_multiplier_one() {
        let constant = RetryPolicy {
            backoff_multiplier: 1.0,
            ..policy(4)
        };
        assert_eq!(constant.backoff(4), Duration::from_millis(100));
    }

    #[test]
    fn one_attempt_never_retries() {
        assert!(!RetryPolicy::default().retries(1));
        assert!(policy(3).retries(2));
        assert!(!policy(3).retries(3));
    }

    #[test]
    fn worst_case_adds_every_timeout_and_wait() {
        let timeout = Duration::from_millis(1_000);
        assert_eq!(policy(1).worst_case(timeout), timeout);
        // 3 timeouts + waits of 100 and 200 ms.
        assert_eq!(policy(3).worst_case(timeout), Duration::from_millis(3_300));
    }

    #[test]
    fn huge_attempt_numbers_stay_at_the_cap() {
        assert_eq!(policy(6).backoff(u32::MAX), Duration::from_millis(500));
    }
}
