//! When to send: the intended send instants of an open-model load, as pure arithmetic.
//!
//! A schedule is a list of stages, each either a constant rate or a linear ramp between two
//! rates. Send `i` is intended at the instant `t` where the cumulative count of sends `N(t)`
//! reaches `i`; for a constant rate that is `start + i / rate`. Instants are computed from the
//! index, never by adding intervals, so they do not drift. Keeping *when* apart from *how* (the
//! driver) lets the arithmetic be tested without a clock.

use std::time::Duration;

/// One stage of an open-model schedule.
#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    /// A constant rate for a while.
    Constant {
        /// Sends per second.
        rate_per_s: f64,
        /// How long the stage lasts.
        duration: Duration,
    },
    /// A rate changing linearly from one value to another.
    Ramp {
        /// Sends per second at the start of the stage.
        rate_from_per_s: f64,
        /// Sends per second at the end of the stage.
        rate_to_per_s: f64,
        /// How long the stage lasts.
        duration: Duration,
    },
}

impl Stage {
    fn duration(&self) -> Duration {
        match self {
            Stage::Constant { duration, .. } | Stage::Ramp { duration, .. } => *duration,
        }
    }

    fn rates(&self) -> (f64, f64) {
        match self {
            Stage::Constant { rate_per_s, .. } => (*rate_per_s, *rate_per_s),
            Stage::Ramp {
                rate_from_per_s,
                rate_to_per_s,
                ..
            } => (*rate_from_per_s, *rate_to_per_s),
        }
    }

    /// Sends in the whole stage (fractional): the area under the rate line.
    fn count(&self) -> f64 {
        let (from, to) = self.rates();
        (from + to) / 2.0 * self.duration().as_secs_f64()
    }

    /// Seconds into the stage at which the cumulative count reaches `n`.
    fn time_of(&self, n: f64) -> f64 {
        let (from, to) = self.rates();
        let length_s = self.duration().as_secs_f64();
        let slope = (to - from) / length_s;
        if slope.abs() < 1e-12 {
            return n / from;
        }
        // N(t) = from*t + slope*t^2/2; solve slope/2 t^2 + from t - n = 0.
        let discriminant = (from * from + 2.0 * slope * n).max(0.0);
        let root = (discriminant.sqrt() - from) / slope;
        root.clamp(0.0, length_s)
    }
}

/// Why a schedule is not valid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    /// There are no stages.
    #[error("a schedule needs at least one stage")]
    Empty,
    /// A rate is negative, not finite or above the maximum.
    #[error("stage {stage}: rate {rate} must be between 0 and {max} per second")]
    BadRate {
        /// Index of the stage.
        stage: usize,
        /// The rate given.
        rate: f64,
        /// The largest rate accepted.
        max: f64,
    },
    /// A stage lasts zero time.
    #[error("stage {stage}: duration must be above zero")]
    ZeroDuration {
        /// Index of the stage.
        stage: usize,
    },
}

/// The largest rate a schedule accepts, sends per second.
pub const RATE_PER_S_MAX: f64 = 1_000_000.0;

/// A validated open-model schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    stages: Vec<Stage>,
}

impl Schedule {
    /// Validates the stages.
    pub fn new(stages: Vec<Stage>) -> Result<Schedule, ScheduleError> {
        if stages.is_empty() {
            return Err(ScheduleError::Empty);
        }
        for (index, stage) in stages.iter().enumerate() {
            let (from, to) = stage.rates();
            for rate in [from, to] {
                if !(rate.is_finite() && (0.0..=RATE_PER_S_MAX).contains(&rate)) {
                    return Err(ScheduleError::BadRate {
                        stage: index,
                        rate,
                        max: RATE_PER_S_MAX,
                    });
                }
            }
            if stage.duration().is_zero() {
                return Err(ScheduleError::ZeroDuration { stage: index });
            }
        }
        Ok(Schedule { stages })
    }

    /// A single constant-rate stage.
    pub fn constant(rate_per_s: f64, duration: Duration) -> Result<Schedule, ScheduleError> {
        Schedule::new(vec![Stage::Constant {
            rate_per_s,
            duration,
        }])
    }

    /// The stages.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// How long the whole schedule lasts.
    pub fn duration(&self) -> Duration {
        self.stages.iter().map(Stage::duration).sum()
    }

    /// How many sends the schedule intends (sends at instants before its end).
    pub fn sends_total(&self) -> u64 {
        let total: f64 = self.stages.iter().map(Stage::count).sum();
        // Send i happens at N(t) = i for i = 0, 1, ...; those with t < end number ceil(total).
        total.ceil() as u64
    }

    /// The offset from the start at which send `index` is intended; `None` past the end.
    pub fn intended_offset(&self, index: u64) -> Option<Duration> {
        let mut count_before = 0.0_f64;
        let mut time_before = Duration::ZERO;
        let wanted = index as f64;
        for stage in &self.stages {
            let count = stage.count();
            if wanted < count_before + count {
                let seconds = stage.time_of(wanted - count_before);
                return Some(time_before + Duration::from_secs_f64(seconds));
            }
            count_before += count;
            time_before += stage.duration();
        }
        None
    }

    /// The target rate at `offset` from the start (0 past the end).
    pub fn rate_at(&self, offset: Duration) -> f64 {
        let mut time_before = Duration::ZERO;
        for stage in &self.stages {
            let end = time_before + stage.duration();
            if offset < end {
                let (from, to) = stage.rates();
                let fraction =
                    (offset - time_before).as_secs_f64() / stage.duration().as_secs_f64();
                return from + (to - from) * fraction;
            }
            time_before = end;
        }
        0.0
    }

    /// The same schedule cut off (or its last stage extended) so it lasts `duration`.
    pub fn with_duration(&self, duration: Duration) -> Result<Schedule, ScheduleError> {
        let mut stages = Vec::new();
        let mut left = duration;
        for stage in &self.stages {
            if left.is_zero() {
                break;
            }
            let length = stage.duration().min(left);
            left -= length;
            stages.push(truncate(stage, length));
        }
        if let (false, Some(last)) = (left.is_zero(), stages.last_mut()) {
            let (_, to) = last.rates();
            stages.push(Stage::Constant {
                rate_per_s: to,
                duration: left,
            });
        }
        Schedule::new(stages)
    }
}

fn truncate(stage: &Stage, length: Duration) -> Stage {
    match stage {
        Stage::Constant { rate_per_s, .. } => Stage::Constant {
            rate_per_s: *rate_per_s,
            duration: length,
        },
        Stage::Ramp {
            rate_from_per_s,
            rate_to_per_s,
            duration,
        } => {
            let fraction = length.as_secs_f64() / duration.as_secs_f64();
            Stage::Ramp {
                rate_from_per_s: *rate_from_per_s,
                rate_to_per_s: rate_from_per_s + (rate_to_per_s - rate_from_per_s) * fraction,
                duration: length,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(offset: Option<Duration>) -> f64 {
        offset.map(|d| d.as_secs_f64()).unwrap_or(f64::NAN)
    }

    #[test]
    fn constant_rate_instants_are_index_over_rate_without_drift() {
        let schedule = Schedule::constant(1_000.0, Duration::from_secs(10)).unwrap();
        assert_eq!(schedule.sends_total(), 10_000);
        assert_eq!(schedule.intended_offset(0), Some(Duration::ZERO));
        for index in [1_u64, 7, 999, 1_234, 9_999] {
            let expected = index as f64 / 1_000.0;
            assert!((secs(schedule.intended_offset(index)) - expected).abs() < 1e-9);
        }
        assert_eq!(schedule.intended_offset(10_000), None);
    }

    #[test]
    fn ramp_follows_the_integral_of_the_rate() {
        // 0 -> 100/s over 10 s: N(t) = 5 t^2, so send n is at sqrt(n / 5).
        let schedule = Schedule::new(vec![Stage::Ramp {
            rate_from_per_s: 0.0,
            rate_to_per_s: 100.0,
            duration: Duration::from_secs(10),
        }])
        .unwrap();
        assert_eq!(schedule.sends_total(), 500);
        for n in [1_u64, 5, 20, 125, 499] {
            let expected = (n as f64 / 5.0).sqrt();
            assert!(
                (secs(schedule.intended_offset(n)) - expected).abs() < 1e-9,
                "n={n}"
            );
        }
        assert_eq!(schedule.intended_offset(500), None);
    }

    #[test]
    fn stages_chain_and_a_falling_ramp_works() {
        // 10 s at 10/s (100 sends), then 100 -> 0 over 2 s (100 sends).
        let schedule = Schedule::new(vec![
            Stage::Constant {
                rate_per_s: 10.0,
                duration: Duration::from_secs(10),
            },
            Stage::Ramp {
                rate_from_per_s: 100.0,
                rate_to_per_s: 0.0,
                duration: Duration::from_secs(2),
            },
        ])
        .unwrap();
        assert_eq!(schedule.sends_total(), 200);
        assert!((secs(schedule.intended_offset(99)) - 9.9).abs() < 1e-9);
        assert!((secs(schedule.intended_offset(100)) - 10.0).abs() < 1e-9);
        // Falling ramp: N(t) = 100 t - 25 t^2; N = 75 at t = 1.
        assert!((secs(schedule.intended_offset(175)) - 11.0).abs() < 1e-9);
        let mut previous = Duration::ZERO;
        for index in 0..200 {
            let offset = schedule.intended_offset(index).unwrap();
            assert!(offset >= previous, "instants must not go back");
            previous = offset;
        }
        assert!((schedule.rate_at(Duration::from_secs(11)) - 50.0).abs() < 1e-9);
    }

    #[test]
    fn bad_stages_are_refused() {
        assert_eq!(Schedule::new(vec![]), Err(ScheduleError::Empty));
        assert!(matches!(
            Schedule::constant(-1.0, Duration::from_secs(1)),
            Err(ScheduleError::BadRate { .. })
        ));
        assert!(matches!(
            Schedule::constant(f64::NAN, Duration::from_secs(1)),
            Err(ScheduleError::BadRate { .. })
        ));
        assert_eq!(
            Schedule::constant(1.0, Duration::ZERO),
            Err(ScheduleError::ZeroDuration { stage: 0 })
        );
    }

    #[test]
    fn with_duration_cuts_and_extends() {
        let schedule = Schedule::constant(10.0, Duration::from_secs(10)).unwrap();
        assert_eq!(
            schedule
                .with_duration(Duration::from_secs(3))
                .unwrap()
                .sends_total(),
            30
        );
        assert_eq!(
            schedule
                .with_duration(Duration::from_secs(12))
                .unwrap()
                .sends_total(),
            120
        );
    }
}
