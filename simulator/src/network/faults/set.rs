//! The faults a network layer holds, and the judgement of one operation against them.
//!
//! [`FaultSet`] is bounded (`faults_max`), ordered by name (so faults are consulted, and their
//! draws made, in a fixed order), and moved forward only by [`FaultSet::advance`] with the
//! layer's `now`: scheduled faults start, finished ones are removed. [`FaultSet::judge`] says
//! what the active faults do to one operation, drawing from the layer's RNG once per matching
//! probabilistic fault until one decides, and counts the calls each fault matched and
//! affected.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use rand::RngExt;
use serde::Serialize;

use super::{Fault, FaultError, FaultKind, FaultTarget, RegionPool};
use crate::domain::ids::OperationId;
use crate::domain::time::Time;
use crate::layers::SimRng;
use crate::network::profile::{LATENCY_MS_MAX, Latency};
use crate::network::{ElementId, OperationKind, RegionId};

/// Most recent hits kept per fault (older ones are dropped; the counters keep counting).
pub const FAULT_HITS_KEPT_MAX: usize = 32;

/// Where an operation lands, as far as faults can tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperationSite {
    /// The operation kind.
    pub kind: OperationKind,
    /// The element it acts on (the OLT or DSLAM an allocation comes from), if any.
    pub element: Option<ElementId>,
    /// The PON port, for ONU and VLAN allocations.
    pub pon_port: Option<u16>,
    /// The region.
    pub region: Option<RegionId>,
    /// The region pool, for IPv4, multicast and phone allocations.
    pub pool: Option<RegionPool>,
    /// The request's id (for the hit list).
    pub operation_id: OperationId,
    /// What it is about: the allocation or the TMF640 service id.
    pub subject: String,
}

/// What the faults decided for one operation.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// No fault decided: the profile draws as usual.
    Proceed,
    /// An outage: fail fast with `ElementDown`.
    Down {
        /// The fault.
        fault: String,
    },
    /// Neither apply nor answer.
    BlackHole,
    /// Apply, do not answer.
    ReplyLost,
    /// Do not apply; answer `Failed` with `reason`.
    Fail {
        /// The failure message.
        reason: String,
    },
}

/// Latency faults folded together: a replacement distribution (the last by name wins), the
/// product of the factors, the sums of the added delays and jitters.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyChange {
    /// Replaces the profile's distribution.
    pub distribution: Option<Latency>,
    /// Slowdown factor.
    pub factor: f64,
    /// Added milliseconds.
    pub added_ms: f64,
    /// Upper bound of the uniform extra milliseconds.
    pub jitter_ms: f64,
}

impl Default for LatencyChange {
    fn default() -> Self {
        LatencyChange {
            distribution: None,
            factor: 1.0,
            added_ms: 0.0,
            jitter_ms: 0.0,
        }
    }
}

impl LatencyChange {
    /// Whether it changes nothing (and draws nothing).
    pub fn is_identity(&self) -> bool {
        *self == LatencyChange::default()
    }

    /// `latency` as the faults change it, clamped to the profile's maximum.
    pub fn apply(&self, latency: Duration, rng: &mut SimRng) -> Duration {
        if self.is_identity() {
            return latency;
        }
        let base_ms = match &self.distribution {
            Some(distribution) => distribution.sample_ms(rng),
            None => latency.as_secs_f64() * 1_000.0,
        };
        let jitter_ms = if self.jitter_ms > 0.0 {
            self.jitter_ms * rng.random::<f64>()
        } else {
            0.0
        };
        let ms = (base_ms * self.factor + self.added_ms + jitter_ms).clamp(0.0, LATENCY_MS_MAX);
        // In [0, LATENCY_MS_MAX] (NaN clamps to 0 through max/min below), so the cast is exact.
        Duration::from_micros((ms.max(0.0) * 1_000.0).round() as u64)
    }
}

/// The faults' judgement of one operation.
#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
    /// Whether a fault decided its outcome.
    pub verdict: Verdict,
    /// How its reply latency changes.
    pub latency: LatencyChange,
    /// Pool-pressure faults on the pool it allocates from (affected if it ends exhausted).
    pub pressured: Vec<String>,
}

/// One call a fault affected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultHit {
    /// When (core time).
    pub at: Time,
    /// The operation kind.
    pub operation: OperationKind,
    /// The request's id.
    pub operation_id: OperationId,
    /// The allocation or TMF640 service it was about.
    pub subject: String,
}

/// Where a fault is in its life.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultState {
    /// Waiting for its start.
    Scheduled,
    /// Acting.
    Active,
    /// An outage whose window ended, still down for its reboot delay.
    Rebooting,
}

/// A fault as listed: its definition, its state and its counters.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultStatus {
    /// The definition.
    pub fault: Fault,
    /// Its state at the time of listing.
    pub state: FaultState,
    /// Calls it applied to while active.
    pub calls_matched: u64,
    /// Calls whose outcome or latency it changed.
    pub calls_affected: u64,
    /// Pool entries it holds (pool pressure).
    pub reserved_entries: u32,
    /// The most recent calls it affected, oldest first.
    pub recent_hits: Vec<FaultHit>,
}

/// Whether a put created a fault or replaced one of the same name.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PutOutcome {
    /// A new fault.
    Created,
    /// A fault of the same name was replaced.
    Replaced,
}

/// Faults that started and ended in one [`FaultSet::advance`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Names of faults that became active.
    pub started: Vec<String>,
    /// Names of faults removed because their time was up.
    pub ended: Vec<String>,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.started.is_empty() && self.ended.is_empty()
    }
}

#[derive(Clone, Debug)]
struct Entry {
    fault: Fault,
    target: FaultTarget,
    started: bool,
    calls_matched: u64,
    calls_affected: u64,
    reserved_entries: u32,
    hits: VecDeque<FaultHit>,
}

impl Entry {
    fn hit(&mut self, site: &OperationSite, now: Time) {
        self.calls_affected += 1;
        if self.hits.len() >= FAULT_HITS_KEPT_MAX {
            self.hits.pop_front();
        }
        self.hits.push_back(FaultHit {
            at: now,
            operation: site.kind,
            operation_id: site.operation_id,
            subject: site.subject.clone(),
        });
    }

    fn state(&self, now: Time) -> FaultState {
        if !self.started {
            FaultState::Scheduled
        } else if self.fault.ends_at().is_some_and(|end| end <= now) {
            FaultState::Rebooting
        } else {
            FaultState::Active
        }
    }
}

/// The faults of one network, by name, at most `faults_max`.
#[derive(Clone, Debug)]
pub struct FaultSet {
    entries: BTreeMap<String, Entry>,
    faults_max: usize,
}

impl Default for FaultSet {
    fn default() -> Self {
        FaultSet::new(super::FAULTS_MAX_DEFAULT)
    }
}

impl FaultSet {
    /// An empty set holding at most `faults_max` faults.
    pub fn new(faults_max: usize) -> FaultSet {
        FaultSet {
            entries: BTreeMap::new(),
            faults_max,
        }
    }

    /// Sets the most faults held at once (faults already held stay, even beyond it).
    pub fn set_faults_max(&mut self, faults_max: usize) {
        self.faults_max = faults_max;
    }

    /// The most faults held at once.
    pub fn faults_max(&self) -> usize {
        self.faults_max
    }

    /// How many faults it holds (scheduled ones included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The fault named `name`.
    pub fn get(&self, name: &str) -> Option<&Fault> {
        self.entries.get(name).map(|entry| &entry.fault)
    }

    /// The resolved target of the fault named `name`.
    pub fn target(&self, name: &str) -> Option<FaultTarget> {
        self.entries.get(name).map(|entry| entry.target)
    }

    /// Adds `fault` (already validated and resolved to `target`), not started yet: the next
    /// [`FaultSet::advance`] starts it when its time has come. The caller removes a fault of
    /// the same name first (undoing what it did); over the maximum is an error.
    pub fn insert(&mut self, fault: Fault, target: FaultTarget) -> Result<(), FaultError> {
        debug_assert!(
            !self.entries.contains_key(&fault.name),
            "remove before insert"
        );
        if self.entries.len() >= self.faults_max {
            return Err(FaultError::TooMany {
                max: self.faults_max,
            });
        }
        let entry = Entry {
            fault,
            target,
            started: false,
            calls_matched: 0,
            calls_affected: 0,
            reserved_entries: 0,
            hits: VecDeque::new(),
        };
        self.entries.insert(entry.fault.name.clone(), entry);
        Ok(())
    }

    /// Removes the fault named `name`; whether it had started.
    pub fn remove(&mut self, name: &str) -> Option<bool> {
        self.entries.remove(name).map(|entry| entry.started)
    }

    /// Every fault's name.
    pub fn names(&self) -> Vec<String> {
        self.entries.keys().cloned().collect()
    }

    /// Starts the faults whose start has come and removes those whose time is up.
    pub fn advance(&mut self, now: Time) -> Changes {
        let mut changes = Changes::default();
        for (name, entry) in &mut self.entries {
            if entry.fault.gone_at().is_some_and(|gone| gone <= now) {
                changes.ended.push(name.clone());
            } else if !entry.started && entry.fault.starts_at <= now {
                entry.started = true;
                changes.started.push(name.clone());
            }
        }
        for name in &changes.ended {
            self.entries.remove(name);
        }
        changes
    }

    /// Records how many pool entries the fault named `name` holds.
    pub fn set_reserved(&mut self, name: &str, entries: u32) {
        if let Some(entry) = self.entries.get_mut(name) {
            entry.reserved_entries = entries;
        }
    }

    /// Elements that are down because of a started outage on the whole element (every
    /// operation kind): allocations choosing an element skip them.
    pub fn down_elements(&self) -> BTreeSet<ElementId> {
        self.entries
            .values()
            .filter(|entry| entry.started && entry.fault.operations.len() == 5)
            .filter(|entry| matches!(entry.fault.kind, FaultKind::Outage { .. }))
            .filter_map(|entry| match entry.target {
                FaultTarget::Element(element) => Some(element),
                _ => None,
            })
            .collect()
    }

    /// What the started faults do to the operation at `site`: counts every match, draws one
    /// uniform number per matching probabilistic fault until one decides, folds the latency
    /// faults, and records a hit on each fault that changed the call.
    pub fn judge(&mut self, site: &OperationSite, now: Time, rng: &mut SimRng) -> Judgement {
        let mut judgement = Judgement {
            verdict: Verdict::Proceed,
            latency: LatencyChange::default(),
            pressured: Vec::new(),
        };
        for (name, entry) in &mut self.entries {
            if !entry.started
                || !entry.fault.applies_to(site.kind)
                || !target_matches(entry.target, site)
                || (matches!(entry.fault.kind, FaultKind::PoolPressure { .. })
                    && site.kind != OperationKind::Allocate)
            {
                continue;
            }
            entry.calls_matched += 1;
            let decided = judgement.verdict != Verdict::Proceed;
            let verdict = match &entry.fault.kind {
                FaultKind::Outage { .. } if !decided => Some(Verdict::Down {
                    fault: name.clone(),
                }),
                FaultKind::BlackHole { probability } if !decided => {
                    drawn(rng, *probability).then_some(Verdict::BlackHole)
                }
                FaultKind::ReplyLost { probability } if !decided => {
                    drawn(rng, *probability).then_some(Verdict::ReplyLost)
                }
                FaultKind::Error {
                    probability,
                    reason,
                } if !decided => drawn(rng, *probability).then(|| Verdict::Fail {
                    reason: reason.clone(),
                }),
                FaultKind::Latency {
                    added_ms,
                    jitter_ms,
                    factor,
                    distribution,
                } => {
                    let change = &mut judgement.latency;
                    change.added_ms += added_ms;
                    change.jitter_ms += jitter_ms;
                    change.factor *= factor;
                    if distribution.is_some() {
                        change.distribution.clone_from(distribution);
                    }
                    entry.hit(site, now);
                    None
                }
                FaultKind::PoolPressure { .. } => {
                    judgement.pressured.push(name.clone());
                    None
                }
                _ => None,
            };
            if let Some(verdict) = verdict {
                judgement.verdict = verdict;
                entry.hit(site, now);
            }
        }
        judgement
    }

    /// Records that the call at `site` found its pool exhausted under the faults `names`.
    pub fn mark_exhausted(&mut self, names: &[String], site: &OperationSite, now: Time) {
        for name in names {
            if let Some(entry) = self.entries.get_mut(name) {
                entry.hit(site, now);
            }
        }
    }

    /// Records that the call at `site` was refused `ElementDown` without a fault deciding it
    /// (an allocation that found every candidate element down): the started whole-element
    /// outages on the elements `covers` says could have served it count it.
    pub fn mark_down(
        &mut self,
        covers: impl Fn(ElementId) -> bool,
        site: &OperationSite,
        now: Time,
    ) {
        for entry in self.entries.values_mut() {
            let element = match entry.target {
                FaultTarget::Element(element) => element,
                _ => continue,
            };
            if entry.started
                && matches!(entry.fault.kind, FaultKind::Outage { .. })
                && entry.fault.applies_to(site.kind)
                && covers(element)
            {
                entry.calls_matched += 1;
                entry.hit(site, now);
            }
        }
    }

    /// Every fault with its state and counters, by name.
    pub fn statuses(&self, now: Time) -> Vec<FaultStatus> {
        self.entries
            .values()
            .map(|entry| status(entry, now))
            .collect()
    }

    /// One fault's status.
    pub fn status(&self, name: &str, now: Time) -> Option<FaultStatus> {
        self.entries.get(name).map(|entry| status(entry, now))
    }
}

fn status(entry: &Entry, now: Time) -> FaultStatus {
    FaultStatus {
        fault: entry.fault.clone(),
        state: entry.state(now),
        calls_matched: entry.calls_matched,
        calls_affected: entry.calls_affected,
        reserved_entries: entry.reserved_entries,
        recent_hits: entry.hits.iter().cloned().collect(),
    }
}

/// One uniform draw against `probability` (a probability of 0 still draws, so that the
/// sequence of draws does not depend on the probabilities' values).
fn drawn(rng: &mut SimRng, probability: f64) -> bool {
    rng.random::<f64>() < probability
}

/// Whether `target` covers the operation at `site`.
fn target_matches(target: FaultTarget, site: &OperationSite) -> bool {
    match target {
        FaultTarget::Element(element) => site.element == Some(element),
        FaultTarget::PonPort { olt, port } => {
            site.element == Some(olt) && site.pon_port == Some(port)
        }
        FaultTarget::Pool { region, pool } => {
            site.region == Some(region) && site.pool == Some(pool)
        }
        FaultTarget::Activation => matches!(
            site.kind,
            OperationKind::Configure | OperationKind::Activate | OperationKind::Deactivate
        ),
        FaultTarget::Region(region) => site.region == Some(region),
        FaultTarget::All => true,
    }
}
