//! Operation profiles: how long an element operation takes and how it goes wrong.
//!
//! A profile is data from the scenario ([`OperationProfile`]); [`OperationProfile::sample`]
//! draws one outcome from the layer's seeded RNG. Latency distributions: fixed, uniform,
//! normal, lognormal, exponential, each with an optional tail (with probability `p`, add a
//! second draw), all in milliseconds and clamped at zero.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::layers::SimRng;

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

impl OperationProfile {
    /// Draws one outcome.
    pub fn sample(&self, rng: &mut SimRng) -> SampledOutcome {
        let _ = rng;
        todo!("network helper: sample latency and outcome")
    }
}
