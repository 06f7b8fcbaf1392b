//! Maps the core's [`Time`] to wall-clock dates for the API.

use std::time::{Duration, SystemTime};

use crate::domain::time::Time;

/// The wall-clock instant of the runtime's epoch.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct WallClock {
    /// When `Time::ZERO` happened.
    pub epoch: SystemTime,
}

impl WallClock {
    /// The wall-clock instant of `time`.
    pub fn at(&self, time: Time) -> SystemTime {
        self.epoch + Duration::from_micros(time.as_micros())
    }

    /// `time` as an RFC 3339 date-time with milliseconds (TMF `date-time`).
    pub fn rfc3339(&self, time: Time) -> String {
        humantime::format_rfc3339_millis(self.at(time)).to_string()
    }
}
