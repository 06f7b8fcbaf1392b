//! Fault injection, as data: what can go wrong, where, for which operations and when.
//!
//! A [`Fault`] names a target ([`TargetSpec`]: an OLT, a PON port, a DSLAM, a region's pool,
//! the activation system, a region or everything), the operation kinds it applies to, a
//! [`FaultKind`] (latency, errors, black holes, lost replies, outages, pool pressure) and a
//! window (`starts_at`, optional `duration`). Faults hold no clock: whether one is active is
//! decided from the `now` the layer is given, and every random choice is drawn from the
//! network layer's seeded RNG, once per request, so a run with the same seed and the same
//! fault timeline is reproducible.
//!
//! This module is pure and topology-free except for [`TargetSpec::resolve`]; [`set`] keeps the
//! active faults of a layer and judges each operation against them. A scenario's `[[faults]]`
//! timeline entry is a [`FaultSpec`] (TOML, snake_case keys, `at`/`duration` as `"30s"`), which
//! loadgen reuses; the REST body is in `http::faults`.

pub mod set;
pub mod vary;

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::domain::time::Time;
use crate::network::profile::{Latency, ProfileError};
use crate::network::topology::{ElementKind, Topology};
use crate::network::{ElementId, OperationKind, RegionId};

pub use set::{FaultHit, FaultSet, FaultState, FaultStatus, PutOutcome};

/// Default bound on the faults a network holds at once.
pub const FAULTS_MAX_DEFAULT: usize = 256;

/// Longest fault name (characters); names are `[A-Za-z0-9._-]`.
pub const FAULT_NAME_LEN_MAX: usize = 64;

/// Longest error reason (characters).
pub const FAULT_REASON_LEN_MAX: usize = 256;

/// Longest fault window, start delay or reboot delay: one day.
pub const FAULT_DURATION_MAX: Duration = Duration::from_secs(86_400);

/// Largest slowdown factor.
pub const LATENCY_FACTOR_MAX: f64 = 1_000.0;

/// Largest added latency or jitter (one hour, the profile's own latency maximum).
pub const ADDED_LATENCY_MS_MAX: f64 = crate::network::profile::LATENCY_MS_MAX;

/// Most pool entries one pool-pressure fault takes (4 MiB of indices).
pub const POOL_PRESSURE_ENTRIES_MAX: u32 = 1 << 20;

/// Every operation kind, the default set a fault applies to.
pub const ALL_OPERATIONS: [OperationKind; 5] = OperationKind::ALL;

/// A region-level pool a fault can target.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionPool {
    /// The region's IPv4 addresses.
    Ipv4,
    /// Members of the region's IPTV multicast VLAN.
    Multicast,
    /// The region's telephone numbers.
    Phone,
}

impl RegionPool {
    /// The name used in target strings (`pool:north/ipv4`).
    pub const fn as_str(self) -> &'static str {
        match self {
            RegionPool::Ipv4 => "ipv4",
            RegionPool::Multicast => "multicast",
            RegionPool::Phone => "phone",
        }
    }
}

/// Where a fault applies, by name, as written in a scenario or a REST body:
/// `olt:NAME`, `pon:OLT/PORT`, `dslam:NAME`, `pool:REGION/ipv4|multicast|phone`,
/// `activation` (every configure, activate and deactivate), `region:NAME` or `all`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum TargetSpec {
    /// One OLT.
    Olt(String),
    /// One PON port of an OLT (ONU and VLAN allocations on it).
    PonPort {
        /// The OLT.
        olt: String,
        /// The PON port, 0-based.
        port: u16,
    },
    /// One DSLAM.
    Dslam(String),
    /// One region-level pool.
    Pool {
        /// The region.
        region: String,
        /// Which pool.
        pool: RegionPool,
    },
    /// The activation system: every configure, activate and deactivate.
    Activation,
    /// Everything in one region.
    Region(String),
    /// Everything.
    All,
}

/// A target resolved against the topology: ids instead of names.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultTarget {
    /// One OLT or DSLAM.
    Element(ElementId),
    /// One PON port.
    PonPort {
        /// The OLT.
        olt: ElementId,
        /// The port.
        port: u16,
    },
    /// One region-level pool.
    Pool {
        /// The region.
        region: RegionId,
        /// Which pool.
        pool: RegionPool,
    },
    /// Every configure, activate and deactivate.
    Activation,
    /// One region.
    Region(RegionId),
    /// Everything.
    All,
}

/// What a fault does to the operations it matches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum FaultKind {
    /// Slower replies: the latency (the profile's, or `distribution` instead) times `factor`,
    /// plus `added_ms`, plus a uniform draw in `[0, jitter_ms]`.
    Latency {
        /// Added to every reply's latency.
        #[serde(default, alias = "added_ms")]
        added_ms: f64,
        /// Upper bound of a uniform extra delay.
        #[serde(default, alias = "jitter_ms")]
        jitter_ms: f64,
        /// Slowdown factor applied to the base latency (1 = unchanged).
        #[serde(default = "one")]
        factor: f64,
        /// Replaces the profile's latency distribution.
        #[serde(default)]
        distribution: Option<Latency>,
    },
    /// With `probability`, the operation fails (not applied) with `reason`.
    Error {
        /// How often, 0..=1.
        probability: f64,
        /// The message of the failure reply.
        reason: String,
    },
    /// With `probability`, the call is neither applied nor answered.
    #[serde(alias = "black_hole")]
    BlackHole {
        /// How often, 0..=1.
        probability: f64,
    },
    /// With `probability`, the operation is applied but its reply is lost.
    #[serde(alias = "reply_lost")]
    ReplyLost {
        /// How often, 0..=1.
        probability: f64,
    },
    /// The target is down: every call fails fast with `ElementDown`. When the window ends by
    /// its duration the target stays down `reboot_ms` longer (rebooting).
    Outage {
        /// Reboot delay after the window, milliseconds.
        #[serde(default, alias = "reboot_ms")]
        reboot_ms: u64,
    },
    /// Takes entries from the target's pools when the fault starts, giving them back when it
    /// ends: `shrink_by` takes that many (or all that are free), `free_left` takes all but
    /// that many. Exactly one of the two.
    #[serde(alias = "pool_pressure")]
    PoolPressure {
        /// Entries to take.
        #[serde(default, alias = "shrink_by")]
        shrink_by: Option<u32>,
        /// Entries to leave free.
        #[serde(default, alias = "free_left")]
        free_left: Option<u32>,
    },
}

const fn one() -> f64 {
    1.0
}

impl FaultKind {
    /// The kind's name, as in the `type` field and metric labels.
    pub const fn as_str(&self) -> &'static str {
        match self {
            FaultKind::Latency { .. } => "latency",
            FaultKind::Error { .. } => "error",
            FaultKind::BlackHole { .. } => "blackHole",
            FaultKind::ReplyLost { .. } => "replyLost",
            FaultKind::Outage { .. } => "outage",
            FaultKind::PoolPressure { .. } => "poolPressure",
        }
    }
}

/// How a pool-pressure fault sizes what it takes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PressureMode {
    /// Take this many free entries (or all that are free).
    ShrinkBy(u32),
    /// Take free entries until this many are left.
    FreeLeft(u32),
}

/// One named fault.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// Its name (unique in the network; putting the same name again replaces it).
    pub name: String,
    /// Where it applies.
    pub target: TargetSpec,
    /// The operation kinds it applies to (all five unless narrowed).
    pub operations: BTreeSet<OperationKind>,
    /// What it does.
    pub kind: FaultKind,
    /// When it starts.
    pub starts_at: Time,
    /// How long it lasts; `None` until it is removed.
    pub duration: Option<Duration>,
}

/// A fault that cannot be used, or a fault operation that cannot be done.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultError {
    /// The name is empty, too long or has characters outside `[A-Za-z0-9._-]`.
    #[error(
        "fault name `{name}` is invalid: 1..={FAULT_NAME_LEN_MAX} characters of A-Z a-z 0-9 . _ -"
    )]
    InvalidName {
        /// The name (truncated).
        name: String,
    },
    /// The target string does not parse.
    #[error(
        "target `{target}` is invalid: expected olt:NAME, pon:OLT/PORT, dslam:NAME, pool:REGION/ipv4|multicast|phone, activation, region:NAME or all"
    )]
    InvalidTarget {
        /// The text (truncated).
        target: String,
    },
    /// The target names an element or region the network does not have (or the wrong kind).
    #[error("target `{target}`: {reason}")]
    UnknownTarget {
        /// The target.
        target: String,
        /// What is missing.
        reason: String,
    },
    /// The fault kind cannot apply to this target (pool pressure needs a pool).
    #[error("a {kind} fault cannot target `{target}`: {reason}")]
    TargetNotAllowed {
        /// The kind.
        kind: &'static str,
        /// The target.
        target: String,
        /// Why.
        reason: &'static str,
    },
    /// A parameter is out of range.
    #[error("{name} = {value} is invalid: {reason}")]
    InvalidParameter {
        /// Which parameter.
        name: &'static str,
        /// Its value, as text.
        value: String,
        /// What is accepted.
        reason: &'static str,
    },
    /// The replacement latency distribution is invalid.
    #[error("distribution: {0}")]
    Distribution(#[from] ProfileError),
    /// The network already holds the maximum of faults.
    #[error("the network already holds {max} faults, the maximum")]
    TooMany {
        /// The maximum.
        max: usize,
    },
    /// No fault has that name.
    #[error("no fault named `{name}`")]
    NotFound {
        /// The name (truncated).
        name: String,
    },
}

fn shown(text: &str) -> String {
    text.chars().take(FAULT_NAME_LEN_MAX * 2).collect()
}

fn invalid(name: &'static str, value: impl fmt::Display, reason: &'static str) -> FaultError {
    FaultError::InvalidParameter {
        name,
        value: value.to_string(),
        reason,
    }
}

/// Checks a fault name: 1..=64 characters of `[A-Za-z0-9._-]`.
pub fn validate_name(name: &str) -> Result<(), FaultError> {
    let ok = !name.is_empty()
        && name.chars().count() <= FAULT_NAME_LEN_MAX
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(FaultError::InvalidName { name: shown(name) })
    }
}

fn probability(name: &'static str, value: f64) -> Result<(), FaultError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(invalid(name, value, "a probability in [0, 1]"))
    }
}

fn milliseconds(name: &'static str, value: f64) -> Result<(), FaultError> {
    if (0.0..=ADDED_LATENCY_MS_MAX).contains(&value) {
        Ok(())
    } else {
        Err(invalid(name, value, "milliseconds in 0..=3600000"))
    }
}

/// Checks that a duration is at most [`FAULT_DURATION_MAX`].
pub fn validate_duration(name: &'static str, duration: Duration) -> Result<(), FaultError> {
    if duration <= FAULT_DURATION_MAX {
        Ok(())
    } else {
        Err(invalid(
            name,
            format!("{} ms", duration.as_millis()),
            "at most one day",
        ))
    }
}

impl FaultKind {
    /// Checks every parameter against its range, and that pool pressure targets a pool.
    pub fn validate(&self, target: &TargetSpec) -> Result<(), FaultError> {
        match self {
            FaultKind::Latency {
                added_ms,
                jitter_ms,
                factor,
                distribution,
            } => {
                milliseconds("added_ms", *added_ms)?;
                milliseconds("jitter_ms", *jitter_ms)?;
                if !(*factor > 0.0 && *factor <= LATENCY_FACTOR_MAX) {
                    return Err(invalid("factor", factor, "a slowdown factor in (0, 1000]"));
                }
                if let Some(distribution) = distribution {
                    distribution.validate()?;
                }
                if *added_ms == 0.0 && *jitter_ms == 0.0 && *factor == 1.0 && distribution.is_none()
                {
                    // A fault that changes nothing would count "affected" calls it never
                    // affected.
                    return Err(invalid(
                        "added_ms",
                        added_ms,
                        "a latency change: added_ms, jitter_ms, a factor other than 1, or a distribution",
                    ));
                }
                Ok(())
            }
            FaultKind::Error {
                probability: p,
                reason,
            } => {
                probability("probability", *p)?;
                let length = reason.chars().count();
                if length == 0 || length > FAULT_REASON_LEN_MAX {
                    return Err(invalid("reason", shown(reason), "1..=256 characters"));
                }
                Ok(())
            }
            FaultKind::BlackHole { probability: p } | FaultKind::ReplyLost { probability: p } => {
                probability("probability", *p)
            }
            FaultKind::Outage { reboot_ms } => {
                validate_duration("reboot_ms", Duration::from_millis(*reboot_ms))
            }
            FaultKind::PoolPressure { .. } => {
                self.pressure_mode()?;
                match target {
                    TargetSpec::Olt(_)
                    | TargetSpec::PonPort { .. }
                    | TargetSpec::Dslam(_)
                    | TargetSpec::Pool { .. } => Ok(()),
                    _ => Err(FaultError::TargetNotAllowed {
                        kind: self.as_str(),
                        target: target.to_string(),
                        reason: "pool pressure needs an OLT, a PON port, a DSLAM or a region pool",
                    }),
                }
            }
        }
    }

    /// How a pool-pressure fault sizes what it takes (an error for other kinds or when not
    /// exactly one of `shrink_by` and `free_left` is given).
    pub fn pressure_mode(&self) -> Result<PressureMode, FaultError> {
        match self {
            FaultKind::PoolPressure {
                shrink_by: Some(count),
                free_left: None,
            } if *count > 0 => Ok(PressureMode::ShrinkBy(*count)),
            FaultKind::PoolPressure {
                shrink_by: None,
                free_left: Some(count),
            } => Ok(PressureMode::FreeLeft(*count)),
            FaultKind::PoolPressure { .. } => Err(invalid(
                "shrink_by/free_left",
                "both or neither (or shrink_by = 0)",
                "exactly one of shrink_by (> 0) and free_left",
            )),
            other => Err(invalid("type", other.as_str(), "not a pool-pressure fault")),
        }
    }
}

impl Fault {
    /// Checks the name, the kind's parameters and the duration (not the target's names: see
    /// [`TargetSpec::resolve`]).
    pub fn validate(&self) -> Result<(), FaultError> {
        validate_name(&self.name)?;
        self.kind.validate(&self.target)?;
        if let Some(duration) = self.duration {
            validate_duration("duration", duration)?;
        }
        Ok(())
    }

    /// Whether it applies to operations of `kind`.
    pub fn applies_to(&self, kind: OperationKind) -> bool {
        self.operations.contains(&kind)
    }

    /// When its window closes (`None`: when removed).
    pub fn ends_at(&self) -> Option<Time> {
        self.duration.map(|duration| self.starts_at.after(duration))
    }

    /// When it stops acting: the end of the window, plus the reboot delay for an outage.
    pub fn gone_at(&self) -> Option<Time> {
        let reboot = match self.kind {
            FaultKind::Outage { reboot_ms } => Duration::from_millis(reboot_ms),
            _ => Duration::ZERO,
        };
        self.ends_at().map(|end| end.after(reboot))
    }
}

/// The operation set from an optional list: absent means every kind; an empty list is an
/// error (omit the key for every kind).
pub fn operation_set(
    operations: Option<&[OperationKind]>,
) -> Result<BTreeSet<OperationKind>, FaultError> {
    match operations {
        None => Ok(ALL_OPERATIONS.into_iter().collect()),
        Some([]) => Err(invalid(
            "operations",
            "[]",
            "at least one operation kind (omit the key for all)",
        )),
        Some(list) => Ok(list.iter().copied().collect()),
    }
}

impl TargetSpec {
    /// The ids this target names in `topology`; an unknown name (or an element of the wrong
    /// kind, or a PON port the OLT does not have) is an error.
    pub fn resolve(&self, topology: &Topology) -> Result<FaultTarget, FaultError> {
        let unknown = |reason: String| FaultError::UnknownTarget {
            target: self.to_string(),
            reason,
        };
        let element = |name: &str, kind: ElementKind| {
            topology
                .element_by_name(name)
                .filter(|id| topology.element(*id).is_some_and(|e| e.kind == kind))
                .ok_or_else(|| {
                    let kind = match kind {
                        ElementKind::Olt => "OLT",
                        ElementKind::Dslam => "DSLAM",
                    };
                    unknown(format!("no {kind} named `{}`", shown(name)))
                })
        };
        let region = |name: &str| {
            topology
                .region_by_name(name)
                .ok_or_else(|| unknown(format!("no region named `{}`", shown(name))))
        };
        Ok(match self {
            TargetSpec::Olt(name) => FaultTarget::Element(element(name, ElementKind::Olt)?),
            TargetSpec::Dslam(name) => FaultTarget::Element(element(name, ElementKind::Dslam)?),
            TargetSpec::PonPort { olt, port } => {
                let id = element(olt, ElementKind::Olt)?;
                let ports = topology.element(id).map_or(0, |e| e.ports);
                if *port >= ports {
                    return Err(unknown(format!("`{olt}` has {ports} PON ports")));
                }
                FaultTarget::PonPort {
                    olt: id,
                    port: *port,
                }
            }
            TargetSpec::Pool { region: name, pool } => FaultTarget::Pool {
                region: region(name)?,
                pool: *pool,
            },
            TargetSpec::Activation => FaultTarget::Activation,
            TargetSpec::Region(name) => FaultTarget::Region(region(name)?),
            TargetSpec::All => FaultTarget::All,
        })
    }
}

impl fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetSpec::Olt(name) => write!(f, "olt:{name}"),
            TargetSpec::PonPort { olt, port } => write!(f, "pon:{olt}/{port}"),
            TargetSpec::Dslam(name) => write!(f, "dslam:{name}"),
            TargetSpec::Pool { region, pool } => write!(f, "pool:{region}/{}", pool.as_str()),
            TargetSpec::Activation => f.write_str("activation"),
            TargetSpec::Region(name) => write!(f, "region:{name}"),
            TargetSpec::All => f.write_str("all"),
        }
    }
}

impl FromStr for TargetSpec {
    type Err = FaultError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let refused = || FaultError::InvalidTarget {
            target: shown(text),
        };
        let name = |name: &str| {
            if name.is_empty() || name.len() > FAULT_NAME_LEN_MAX * 2 {
                Err(refused())
            } else {
                Ok(name.to_string())
            }
        };
        match text.split_once(':') {
            None if text == "activation" => Ok(TargetSpec::Activation),
            None if text == "all" => Ok(TargetSpec::All),
            None => Err(refused()),
            Some(("olt", rest)) => Ok(TargetSpec::Olt(name(rest)?)),
            Some(("dslam", rest)) => Ok(TargetSpec::Dslam(name(rest)?)),
            Some(("region", rest)) => Ok(TargetSpec::Region(name(rest)?)),
            Some(("pon", rest)) => {
                let (olt, port) = rest.rsplit_once('/').ok_or_else(refused)?;
                let port = port.parse::<u16>().map_err(|_| refused())?;
                Ok(TargetSpec::PonPort {
                    olt: name(olt)?,
                    port,
                })
            }
            Some(("pool", rest)) => {
                let (region, pool) = rest.rsplit_once('/').ok_or_else(refused)?;
                let pool = match pool {
                    "ipv4" => RegionPool::Ipv4,
                    "multicast" => RegionPool::Multicast,
                    "phone" => RegionPool::Phone,
                    _ => return Err(refused()),
                };
                Ok(TargetSpec::Pool {
                    region: name(region)?,
                    pool,
                })
            }
            Some(_) => Err(refused()),
        }
    }
}

impl TryFrom<String> for TargetSpec {
    type Error = FaultError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<TargetSpec> for String {
    fn from(target: TargetSpec) -> String {
        target.to_string()
    }
}

/// A duration written as text (`"30s"`, `"1m 30s"`, `"250ms"`), as in scenario files.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HumanDuration(pub Duration);

impl TryFrom<String> for HumanDuration {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        humantime::parse_duration(&text)
            .map(HumanDuration)
            .map_err(|error| format!("`{}` is not a duration like \"30s\": {error}", shown(&text)))
    }
}

impl From<HumanDuration> for String {
    fn from(duration: HumanDuration) -> String {
        humantime::format_duration(duration.0).to_string()
    }
}

/// One `[[faults]]` entry of a scenario's timeline:
///
/// ```toml
/// [[faults]]
/// name = "olt-north-1-down"
/// at = "10s"                    # after the start of the load
/// duration = "20s"              # optional: until removed
/// target = "olt:olt-north-1"
/// operations = ["allocate"]     # optional: every kind
/// kind = { type = "outage", reboot_ms = 2000 }
/// vary = { at_s = [5.0, 30.0] }  # optional: knobs drawn per seed
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// The fault's name.
    pub name: String,
    /// When it starts, after the start of the run.
    #[serde(default)]
    pub at: HumanDuration,
    /// How long it lasts; absent: until the end of the run.
    #[serde(default)]
    pub duration: Option<HumanDuration>,
    /// Where it applies.
    pub target: TargetSpec,
    /// The operation kinds it applies to; absent: every kind.
    #[serde(default)]
    pub operations: Option<Vec<OperationKind>>,
    /// What it does.
    pub kind: FaultKind,
    /// Knobs drawn per seed from ranges (see [`vary`]); absent: fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vary: Option<vary::FaultVary>,
}

impl FaultSpec {
    /// The fault, with the run starting at `origin`; validated (names against the topology
    /// are checked when it is put).
    pub fn to_fault(&self, origin: Time) -> Result<Fault, FaultError> {
        validate_duration("at", self.at.0)?;
        if let Some(vary) = &self.vary {
            vary.validate(&self.kind)?;
        }
        let fault = Fault {
            name: self.name.clone(),
            target: self.target.clone(),
            operations: operation_set(self.operations.as_deref())?,
            kind: self.kind.clone(),
            starts_at: origin.after(self.at.0),
            duration: self.duration.map(|duration| duration.0),
        };
        fault.validate()?;
        Ok(fault)
    }
}

#[cfg(test)]
mod tests;
