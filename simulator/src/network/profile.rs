//! Operation profiles: how long an element operation takes and how it goes wrong.
//!
//! A profile is data from the scenario ([`OperationProfile`]); [`OperationProfile::sample`]
//! draws one outcome from the layer's seeded RNG. Latency distributions: fixed, uniform,
//! normal, lognormal, exponential, each with an optional tail (with probability `p`, add a
//! second draw), all in milliseconds and clamped at zero.

use std::time::Duration;

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::config::ProfilesConfig;
use crate::layers::SimRng;
use crate::network::OperationKind;

/// Longest latency a draw can give (one hour); longer draws are clamped to it.
pub const LATENCY_MS_MAX: f64 = 3_600_000.0;

/// A latency distribution, in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "distribution", rename_all = "lowercase", deny_unknown_fields)]
pub enum Latency {
    /// Always `ms`.
    Fixed {
        /// The latency.
        ms: f64,
    },
    /// Uniform in [`min_ms`, `max_ms`].
    Uniform {
        /// Lower bound.
        min_ms: f64,
        /// Upper bound.
        max_ms: f64,
    },
    /// Normal, clamped at zero.
    Normal {
        /// Mean.
        mean_ms: f64,
        /// Standard deviation.
        stddev_ms: f64,
    },
    /// Lognormal with the given median and shape.
    Lognormal {
        /// Median (e^mu).
        median_ms: f64,
        /// Sigma of the underlying normal.
        sigma: f64,
    },
    /// Exponential with the given mean.
    Exponential {
        /// Mean.
        mean_ms: f64,
    },
}

impl Default for Latency {
    fn default() -> Self {
        Latency::Fixed { ms: 0.0 }
    }
}

/// With probability `probability`, a second latency is added (a heavy tail).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tail {
    /// How often the tail applies, 0..=1.
    pub probability: f64,
    /// The added latency.
    pub latency: Latency,
}

/// How one operation kind behaves.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OperationProfile {
    /// How long a reply takes.
    pub latency: Latency,
    /// Optional heavy tail.
    pub tail: Option<Tail>,
    /// Probability that the operation fails (not applied; a failure reply).
    pub failure_probability: f64,
    /// Probability that the call never answers and is not applied (black hole).
    pub timeout_probability: f64,
    /// Probability that the operation is applied but the reply is lost.
    pub reply_lost_probability: f64,
}

/// One sampled outcome of an operation.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SampledOutcome {
    /// Apply it and reply after `latency`.
    Succeed {
        /// Reply delay.
        latency: Duration,
    },
    /// Do not apply it; reply with a failure after `latency`.
    Fail {
        /// Reply delay.
        latency: Duration,
    },
    /// Do not apply it; never reply.
    BlackHole,
    /// Apply it; never reply.
    ReplyLost,
}

/// A profile that cannot be sampled: a probability outside [0, 1], probabilities adding up to
/// more than 1, or a negative, infinite or NaN latency parameter.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProfileError {
    /// A probability is not in [0, 1].
    #[error("{name} = {value} is not a probability in [0, 1]")]
    ProbabilityOutOfRange {
        /// Which probability.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// Timeout, reply-lost and failure probabilities add up to more than 1.
    #[error("timeout, reply-lost and failure probabilities add up to {sum}, more than 1")]
    ProbabilitySumAboveOne {
        /// Their sum.
        sum: f64,
    },
    /// A latency parameter is negative, infinite or NaN, or a uniform range is reversed.
    #[error("latency parameter {name} = {value} is invalid (must be finite, >= 0, min <= max)")]
    InvalidLatency {
        /// Which parameter.
        name: &'static str,
        /// Its value.
        value: f64,
    },
}

impl Latency {
    /// Draws one latency in milliseconds, clamped to [0, [`LATENCY_MS_MAX`]].
    pub fn sample_ms(&self, rng: &mut SimRng) -> f64 {
        let ms = match *self {
            Latency::Fixed { ms } => ms,
            Latency::Uniform { min_ms, max_ms } => min_ms + (max_ms - min_ms) * rng.random::<f64>(),
            Latency::Normal { mean_ms, stddev_ms } => mean_ms + stddev_ms * standard_normal(rng),
            Latency::Lognormal { median_ms, sigma } => {
                if median_ms <= 0.0 {
                    0.0
                } else {
                    (median_ms.ln() + sigma * standard_normal(rng)).exp()
                }
            }
            Latency::Exponential { mean_ms } => -mean_ms * (1.0 - rng.random::<f64>()).ln(),
        };
        clamp_ms(ms)
    }

    /// Checks that every parameter is finite and non-negative (and `min_ms <= max_ms`).
    pub fn validate(&self) -> Result<(), ProfileError> {
        match *self {
            Latency::Fixed { ms } => non_negative("ms", ms),
            Latency::Uniform { min_ms, max_ms } => {
                non_negative("min_ms", min_ms)?;
                non_negative("max_ms", max_ms)?;
                if min_ms > max_ms {
                    return Err(ProfileError::InvalidLatency {
                        name: "min_ms",
                        value: min_ms,
                    });
                }
                Ok(())
            }
            Latency::Normal { mean_ms, stddev_ms } => {
                non_negative("mean_ms", mean_ms)?;
                non_negative("stddev_ms", stddev_ms)
            }
            Latency::Lognormal { median_ms, sigma } => {
                non_negative("median_ms", median_ms)?;
                non_negative("sigma", sigma)
            }
            Latency::Exponential { mean_ms } => non_negative("mean_ms", mean_ms),
        }
    }
}

/// A standard normal draw by the Box-Muller transform (two uniform draws).
fn standard_normal(rng: &mut SimRng) -> f64 {
    // 1 - u is in (0, 1], so its logarithm is finite.
    let radius = (-2.0 * (1.0 - rng.random::<f64>()).ln()).sqrt();
    let angle = std::f64::consts::TAU * rng.random::<f64>();
    radius * angle.cos()
}

/// Clamps a drawn latency into [0, LATENCY_MS_MAX]; NaN becomes 0.
fn clamp_ms(ms: f64) -> f64 {
    if ms.is_nan() {
        0.0
    } else {
        ms.clamp(0.0, LATENCY_MS_MAX)
    }
}

/// Milliseconds (already clamped) to a whole number of microseconds.
fn duration_from_ms(ms: f64) -> Duration {
    // The value is in [0, LATENCY_MS_MAX], so the cast neither truncates nor saturates.
    Duration::from_micros((clamp_ms(ms) * 1_000.0).round() as u64)
}

fn non_negative(name: &'static str, value: f64) -> Result<(), ProfileError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(ProfileError::InvalidLatency { name, value })
    }
}

fn probability(name: &'static str, value: f64) -> Result<(), ProfileError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(ProfileError::ProbabilityOutOfRange { name, value })
    }
}

impl OperationProfile {
    /// Draws one outcome: first whether it is a black hole, a lost reply, a failure or a
    /// success (one uniform draw against the cumulative probabilities), then, for a failure or
    /// a success, its latency (plus the tail, when its draw hits).
    pub fn sample(&self, rng: &mut SimRng) -> SampledOutcome {
        let draw = rng.random::<f64>();
        let black_hole = self.timeout_probability;
        let reply_lost = black_hole + self.reply_lost_probability;
        let failure = reply_lost + self.failure_probability;
        if draw < black_hole {
            SampledOutcome::BlackHole
        } else if draw < reply_lost {
            SampledOutcome::ReplyLost
        } else if draw < failure {
            SampledOutcome::Fail {
                latency: self.sample_latency(rng),
            }
        } else {
            SampledOutcome::Succeed {
                latency: self.sample_latency(rng),
            }
        }
    }

    /// Draws the reply latency: the distribution, plus the tail when it applies.
    pub fn sample_latency(&self, rng: &mut SimRng) -> Duration {
        let mut ms = self.latency.sample_ms(rng);
        if let Some(tail) = &self.tail
            && rng.random::<f64>() < tail.probability
        {
            ms += tail.latency.sample_ms(rng);
        }
        duration_from_ms(ms)
    }

    /// Checks the probabilities (each in [0, 1], their sum at most 1) and the latencies.
    pub fn validate(&self) -> Result<(), ProfileError> {
        probability("failure_probability", self.failure_probability)?;
        probability("timeout_probability", self.timeout_probability)?;
        probability("reply_lost_probability", self.reply_lost_probability)?;
        let sum = self.failure_probability + self.timeout_probability + self.reply_lost_probability;
        // A little slack so that e.g. 0.7 + 0.2 + 0.1 is not refused for rounding.
        if sum > 1.0 + 1e-9 {
            return Err(ProfileError::ProbabilitySumAboveOne { sum });
        }
        self.latency.validate()?;
        if let Some(tail) = &self.tail {
            probability("tail.probability", tail.probability)?;
            tail.latency.validate()?;
        }
        Ok(())
    }
}

/// The validated profile of every operation kind.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profiles {
    allocate: OperationProfile,
    release: OperationProfile,
    configure: OperationProfile,
    activate: OperationProfile,
    deactivate: OperationProfile,
}

impl Profiles {
    /// Resolves the per-kind overrides against the default and validates each.
    pub fn from_config(config: &ProfilesConfig) -> Result<Profiles, (OperationKind, ProfileError)> {
        let pick = |kind: OperationKind, over: &Option<OperationProfile>| {
            let profile = over.clone().unwrap_or_else(|| config.default.clone());
            profile
                .validate()
                .map(|()| profile)
                .map_err(|error| (kind, error))
        };
        Ok(Profiles {
            allocate: pick(OperationKind::Allocate, &config.allocate)?,
            release: pick(OperationKind::Release, &config.release)?,
            configure: pick(OperationKind::Configure, &config.configure)?,
            activate: pick(OperationKind::Activate, &config.activate)?,
            deactivate: pick(OperationKind::Deactivate, &config.deactivate)?,
        })
    }

    /// The profile of `kind`.
    pub fn get(&self, kind: OperationKind) -> &OperationProfile {
        match kind {
            OperationKind::Allocate => &self.allocate,
            OperationKind::Release => &self.release,
            OperationKind::Configure => &self.configure,
            OperationKind::Activate => &self.activate,
            OperationKind::Deactivate => &self.deactivate,
        }
    }

    /// Replaces the profile of `kind` (fault injection), after validating it.
    pub fn set(
        &mut self,
        kind: OperationKind,
        profile: OperationProfile,
    ) -> Result<(), ProfileError> {
        profile.validate()?;
        match kind {
            OperationKind::Allocate => self.allocate = profile,
            OperationKind::Release => self.release = profile,
            OperationKind::Configure => self.configure = profile,
            OperationKind::Activate => self.activate = profile,
            OperationKind::Deactivate => self.deactivate = profile,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn rng() -> SimRng {
        SimRng::seed_from_u64(7)
    }

    fn profile(latency: Latency) -> OperationProfile {
        OperationProfile {
            latency,
            ..OperationProfile::default()
        }
    }

    #[test]
    fn same_seed_same_draws() {
        let p = OperationProfile {
            latency: Latency::Lognormal {
                median_ms: 20.0,
                sigma: 0.5,
            },
            failure_probability: 0.1,
            timeout_probability: 0.1,
            reply_lost_probability: 0.1,
            tail: Some(Tail {
                probability: 0.2,
                latency: Latency::Exponential { mean_ms: 100.0 },
            }),
        };
        let draw = |seed| {
            let mut rng = SimRng::seed_from_u64(seed);
            (0..100).map(|_| p.sample(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
    }

    #[test]
    fn outcome_probabilities_are_respected() {
        let p = OperationProfile {
            failure_probability: 0.2,
            timeout_probability: 0.1,
            reply_lost_probability: 0.05,
            ..OperationProfile::default()
        };
        let mut rng = rng();
        let (mut fail, mut hole, mut lost, mut ok) = (0, 0, 0, 0);
        for _ in 0..10_000 {
            match p.sample(&mut rng) {
                SampledOutcome::Fail { .. } => fail += 1,
                SampledOutcome::BlackHole => hole += 1,
                SampledOutcome::ReplyLost => lost += 1,
                SampledOutcome::Succeed { .. } => ok += 1,
            }
        }
        assert!((1_700..=2_300).contains(&fail), "fail {fail}");
        assert!((800..=1_200).contains(&hole), "black hole {hole}");
        assert!((350..=650).contains(&lost), "reply lost {lost}");
        assert!((6_200..=6_800).contains(&ok), "success {ok}");
    }

    fn mean_ms(latency: Latency) -> f64 {
        let p = profile(latency);
        let mut rng = rng();
        let total: f64 = (0..10_000)
            .map(|_| p.sample_latency(&mut rng).as_secs_f64() * 1_000.0)
            .sum();
        total / 10_000.0
    }

    #[test]
    fn latency_distributions_have_their_means() {
        assert!((mean_ms(Latency::Fixed { ms: 5.0 }) - 5.0).abs() < 1e-9);
        let uniform = mean_ms(Latency::Uniform {
            min_ms: 10.0,
            max_ms: 30.0,
        });
        assert!((19.0..21.0).contains(&uniform), "uniform {uniform}");
        let normal = mean_ms(Latency::Normal {
            mean_ms: 50.0,
            stddev_ms: 5.0,
        });
        assert!((49.0..51.0).contains(&normal), "normal {normal}");
        let exponential = mean_ms(Latency::Exponential { mean_ms: 40.0 });
        assert!(
            (37.0..43.0).contains(&exponential),
            "exponential {exponential}"
        );
        // Lognormal mean = median * exp(sigma^2 / 2) = 20 * 1.133 = 22.66.
        let lognormal = mean_ms(Latency::Lognormal {
            median_ms: 20.0,
            sigma: 0.5,
        });
        assert!((21.5..24.0).contains(&lognormal), "lognormal {lognormal}");
    }

    #[test]
    fn latency_is_clamped_at_zero() {
        let p = profile(Latency::Normal {
            mean_ms: 0.0,
            stddev_ms: 10.0,
        });
        let mut rng = rng();
        let zeros = (0..1_000)
            .filter(|_| p.sample_latency(&mut rng) == Duration::ZERO)
            .count();
        assert!((400..=600).contains(&zeros), "zeros {zeros}");
    }

    #[test]
    fn tail_adds_latency_with_its_probability() {
        let p = OperationProfile {
            latency: Latency::Fixed { ms: 1.0 },
            tail: Some(Tail {
                probability: 0.25,
                latency: Latency::Fixed { ms: 100.0 },
            }),
            ..OperationProfile::default()
        };
        let mut rng = rng();
        let slow = (0..10_000)
            .filter(|_| p.sample_latency(&mut rng) == Duration::from_millis(101))
            .count();
        assert!((2_200..=2_800).contains(&slow), "slow {slow}");
    }

    #[test]
    fn validation_refuses_bad_profiles() {
        let bad_probability = OperationProfile {
            failure_probability: 1.5,
            ..OperationProfile::default()
        };
        assert!(matches!(
            bad_probability.validate(),
            Err(ProfileError::ProbabilityOutOfRange { .. })
        ));
        let nan = OperationProfile {
            timeout_probability: f64::NAN,
            ..OperationProfile::default()
        };
        assert!(nan.validate().is_err());
        let sum = OperationProfile {
            failure_probability: 0.5,
            timeout_probability: 0.4,
            reply_lost_probability: 0.2,
            ..OperationProfile::default()
        };
        assert!(matches!(
            sum.validate(),
            Err(ProfileError::ProbabilitySumAboveOne { .. })
        ));
        for latency in [
            Latency::Fixed { ms: -1.0 },
            Latency::Uniform {
                min_ms: 5.0,
                max_ms: 1.0,
            },
            Latency::Normal {
                mean_ms: 1.0,
                stddev_ms: f64::INFINITY,
            },
            Latency::Exponential { mean_ms: f64::NAN },
        ] {
            assert!(profile(latency.clone()).validate().is_err(), "{latency:?}");
        }
        assert_eq!(OperationProfile::default().validate(), Ok(()));
    }

    #[test]
    fn per_kind_override_wins_over_default() {
        let config = ProfilesConfig {
            default: profile(Latency::Fixed { ms: 1.0 }),
            activate: Some(profile(Latency::Fixed { ms: 9.0 })),
            ..ProfilesConfig::default()
        };
        let profiles = Profiles::from_config(&config).expect("valid profiles");
        assert_eq!(
            profiles.get(OperationKind::Activate).latency,
            Latency::Fixed { ms: 9.0 }
        );
        assert_eq!(
            profiles.get(OperationKind::Release).latency,
            Latency::Fixed { ms: 1.0 }
        );
        let bad = ProfilesConfig {
            release: Some(OperationProfile {
                failure_probability: -0.1,
                ..OperationProfile::default()
            }),
            ..ProfilesConfig::default()
        };
        assert!(matches!(
            Profiles::from_config(&bad),
            Err((OperationKind::Release, _))
        ));
    }
}
