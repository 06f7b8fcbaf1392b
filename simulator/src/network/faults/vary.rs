//! Fault knobs drawn per seed: a `[[faults]]` entry with `vary` gets some of its numbers drawn
//! uniformly from ranges, from the run's seed, so that a seed sweep explores fault timing and
//! strength as well as the chain's own randomness, and one seed always draws the same values
//! (a failing seed replays exactly).
//!
//! ```toml
//! [[faults]]
//! name = "activation-silent"
//! at = "8s"
//! duration = "15s"
//! target = "activation"
//! kind = { type = "black_hole", probability = 0.35 }
//! vary = { probability = [0.1, 0.6], at_s = [4.0, 12.0], duration_s = [5.0, 20.0] }
//! ```

use std::time::Duration;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::{FaultError, FaultKind, FaultSpec, HumanDuration, invalid};

/// The knobs a fault may have drawn per seed, each as `[low, high]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultVary {
    /// When it starts, seconds after the start of the load.
    pub at_s: Option<[f64; 2]>,
    /// How long it lasts, seconds.
    pub duration_s: Option<[f64; 2]>,
    /// How often it strikes (error, black hole, reply lost).
    pub probability: Option<[f64; 2]>,
    /// Added latency, milliseconds (latency faults).
    pub added_ms: Option<[f64; 2]>,
    /// Slowdown factor (latency faults).
    pub factor: Option<[f64; 2]>,
    /// Reboot delay, milliseconds (outages).
    pub reboot_ms: Option<[f64; 2]>,
}

/// The longest `at_s` or `duration_s` a range may reach: one day.
const SECONDS_MAX: f64 = 86_400.0;

impl FaultVary {
    /// Checks every range (ordered, finite, in bounds) and that each knob fits `kind`.
    pub fn validate(&self, kind: &FaultKind) -> Result<(), FaultError> {
        let ranges = [
            ("vary.at_s", self.at_s, SECONDS_MAX),
            ("vary.duration_s", self.duration_s, SECONDS_MAX),
            ("vary.probability", self.probability, 1.0),
            ("vary.added_ms", self.added_ms, SECONDS_MAX * 1_000.0),
            ("vary.factor", self.factor, 1_000.0),
            ("vary.reboot_ms", self.reboot_ms, SECONDS_MAX * 1_000.0),
        ];
        for (name, range, max) in ranges {
            if let Some([low, high]) = range
                && !(0.0 <= low && low <= high && high <= max)
            {
                let reason = "must be [low, high] with 0 <= low <= high within bounds";
                return Err(invalid(name, format!("[{low}, {high}]"), reason));
            }
        }
        let fits = |knob: Option<[f64; 2]>, ok: bool| knob.is_none() || ok;
        let strikes = matches!(
            kind,
            FaultKind::Error { .. } | FaultKind::BlackHole { .. } | FaultKind::ReplyLost { .. }
        );
        let slows = matches!(kind, FaultKind::Latency { .. });
        let reboots = matches!(kind, FaultKind::Outage { .. });
        let checks = [
            ("vary.probability", fits(self.probability, strikes)),
            ("vary.added_ms", fits(self.added_ms, slows)),
            ("vary.factor", fits(self.factor, slows)),
            ("vary.reboot_ms", fits(self.reboot_ms, reboots)),
        ];
        match checks.into_iter().find(|(_, ok)| !ok) {
            Some((name, _)) => Err(invalid(name, "set", "does not apply to this fault kind")),
            None => Ok(()),
        }
    }
}

impl FaultSpec {
    /// This fault with its `vary` knobs drawn for `seed` (the same seed, the same values);
    /// unchanged without `vary`. The draw depends on the seed and the fault's name only.
    pub fn drawn(&self, seed: u64) -> FaultSpec {
        let Some(vary) = &self.vary else {
            return self.clone();
        };
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ name_hash(&self.name));
        let mut draw = |range: [f64; 2]| {
            let [low, high] = range;
            if high > low {
                rng.random_range(low..=high)
            } else {
                low
            }
        };
        let mut spec = self.clone();
        if let Some(range) = vary.at_s {
            spec.at = HumanDuration(Duration::from_secs_f64(draw(range)));
        }
        if let Some(range) = vary.duration_s {
            spec.duration = Some(HumanDuration(Duration::from_secs_f64(draw(range))));
        }
        match &mut spec.kind {
            FaultKind::Error { probability, .. }
            | FaultKind::BlackHole { probability }
            | FaultKind::ReplyLost { probability } => {
                if let Some(range) = vary.probability {
                    *probability = draw(range);
                }
            }
            FaultKind::Latency {
                added_ms, factor, ..
            } => {
                if let Some(range) = vary.added_ms {
                    *added_ms = draw(range);
                }
                if let Some(range) = vary.factor {
                    *factor = draw(range);
                }
            }
            FaultKind::Outage { reboot_ms } => {
                if let Some(range) = vary.reboot_ms {
                    *reboot_ms = draw(range) as u64;
                }
            }
            FaultKind::PoolPressure { .. } => {}
        }
        spec
    }
}

/// FNV-1a of a name: each fault draws from its own stream.
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::faults::TargetSpec;

    fn spec(vary: FaultVary) -> FaultSpec {
        FaultSpec {
            name: "silent".into(),
            at: HumanDuration(Duration::from_secs(8)),
            duration: Some(HumanDuration(Duration::from_secs(15))),
            target: "activation".parse::<TargetSpec>().expect("target"),
            operations: None,
            kind: FaultKind::BlackHole { probability: 0.35 },
            vary: Some(vary),
        }
    }

    fn probability(spec: &FaultSpec) -> f64 {
        match spec.kind {
            FaultKind::BlackHole { probability } => probability,
            _ => f64::NAN,
        }
    }

    #[test]
    fn one_seed_draws_the_same_values_and_seeds_differ() {
        let fault = spec(FaultVary {
            probability: Some([0.1, 0.6]),
            at_s: Some([4.0, 12.0]),
            ..FaultVary::default()
        });
        assert_eq!(fault.drawn(7), fault.drawn(7));
        let drawn: Vec<f64> = (1..=20)
            .map(|seed| probability(&fault.drawn(seed)))
            .collect();
        assert!(drawn.iter().all(|p| (0.1..=0.6).contains(p)), "{drawn:?}");
        assert!(drawn.windows(2).any(|w| w[0] != w[1]), "{drawn:?}");
        let at = fault.drawn(3).at.0;
        assert!(at >= Duration::from_secs(4) && at <= Duration::from_secs(12));
        assert_eq!(fault.drawn(3).duration, fault.duration, "not asked to vary");
    }

    #[test]
    fn a_fault_without_vary_is_unchanged() {
        let mut fault = spec(FaultVary::default());
        fault.vary = None;
        assert_eq!(fault.drawn(5), fault);
    }

    #[test]
    fn bad_ranges_and_knobs_that_do_not_fit_are_refused() {
        let kind = FaultKind::BlackHole { probability: 0.5 };
        let reversed = FaultVary {
            probability: Some([0.6, 0.1]),
            ..FaultVary::default()
        };
        assert!(reversed.validate(&kind).is_err());
        let too_likely = FaultVary {
            probability: Some([0.5, 1.5]),
            ..FaultVary::default()
        };
        assert!(too_likely.validate(&kind).is_err());
        let wrong_kind = FaultVary {
            reboot_ms: Some([0.0, 100.0]),
            ..FaultVary::default()
        };
        let error = wrong_kind.validate(&kind).unwrap_err().to_string();
        assert!(error.contains("vary.reboot_ms"), "{error}");
        let fine = FaultVary {
            probability: Some([0.1, 0.6]),
            duration_s: Some([1.0, 10.0]),
            ..FaultVary::default()
        };
        assert!(fine.validate(&kind).is_ok());
    }
}
