//! Time as the pure core sees it: a count of microseconds since the runtime's epoch.
//!
//! The core never reads a clock. Runtimes pass `now` into every `handle` call: the real-time
//! runtime measures it from a tokio `Instant` taken at start, the virtual-time runtime takes it
//! from its scheduler. Durations are `std::time::Duration`.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// An instant, in microseconds since the runtime's epoch.
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Time(u64);

impl Time {
    /// The runtime's epoch.
    pub const ZERO: Time = Time(0);

    /// An instant `micros` microseconds after the epoch.
    pub const fn from_micros(micros: u64) -> Time {
        Time(micros)
    }

    /// An instant `millis` milliseconds after the epoch.
    pub const fn from_millis(millis: u64) -> Time {
        Time(millis.saturating_mul(1_000))
    }

    /// Microseconds since the epoch.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// This instant moved `duration` later, saturating at the end of time.
    pub fn after(self, duration: Duration) -> Time {
        let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        Time(self.0.saturating_add(micros))
    }

    /// How long after `earlier` this instant is (zero if it is not later).
    pub fn since(self, earlier: Time) -> Duration {
        Duration::from_micros(self.0.saturating_sub(earlier.0))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}s", self.0 / 1_000_000, self.0 % 1_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_and_since_are_inverse() {
        let t = Time::from_millis(5);
        let later = t.after(Duration::from_micros(250));
        assert_eq!(later.as_micros(), 5_250);
        assert_eq!(later.since(t), Duration::from_micros(250));
        assert_eq!(t.since(later), Duration::ZERO);
    }

    #[test]
    fn after_saturates() {
        assert_eq!(
            Time::from_micros(u64::MAX)
                .after(Duration::from_secs(1))
                .as_micros(),
            u64::MAX
        );
    }
}
