//! The network layer's state machine: element operations against pools, with profiles.
//!
//! For each [`ElementRequest`] the layer draws an outcome from the operation kind's profile:
//! a success is applied and answered after the drawn latency; a failure is not applied and is
//! answered with `Failed` (or with `Exhausted`/`InvalidRequest` when the request could not have
//! succeeded anyway); a black hole is neither applied nor answered; a lost reply is applied but
//! not answered. Calls to an element that is down fail fast with `ElementDown`. Allocations are
//! named by the caller's [`AllocationId`], which makes allocate and release idempotent.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Serialize;

use crate::config::{NetworkConfig, ProfilesConfig};
use crate::domain::ids::{ActivationId, AllocationId};
use crate::domain::time::Time;
use crate::layers::activation::ActivationInput;
use crate::layers::rom::RomInput;
use crate::layers::{Effects, Layer, LayerId, Message, Observation, SimRng};
use crate::network::faults::FaultSet;
use crate::network::faults::set::Verdict;
use crate::network::pool::PoolStats;
use crate::network::profile::{OperationProfile, ProfileError, Profiles, SampledOutcome};
use crate::network::resources::{Resources, element_error};
use crate::network::topology::TopologyError;
use crate::network::{
    AllocationRequest, ElementError, ElementErrorKind, ElementId, ElementOperation, ElementOutcome,
    ElementReply, ElementRequest, NetworkInput, OperationKind, ResourceValue, Topology,
};

/// How long a down element takes to refuse a call.
pub const ELEMENT_DOWN_LATENCY: Duration = Duration::from_millis(1);

/// Most services configured on an element, per ONU slot or DSLAM port it has.
pub const SERVICES_PER_SLOT_MAX: u32 = 4;

/// The network configuration or the profiles are invalid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NetworkConfigError {
    /// The elements, regions or pools are invalid.
    #[error("network: {0}")]
    Topology(#[from] TopologyError),
    /// An operation profile is invalid.
    #[error("profile for {kind:?}: {source}")]
    Profile {
        /// The operation kind whose profile is invalid.
        kind: OperationKind,
        /// Why.
        source: ProfileError,
    },
}

/// How one element operation ended, as counted for metrics.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum OperationOutcome {
    /// Applied and answered.
    Succeeded,
    /// Not applied; answered `Failed` (the profile's failure draw).
    Failed,
    /// Neither applied nor answered.
    BlackHole,
    /// Applied (if it could be) but not answered.
    ReplyLost,
    /// Answered `Exhausted`.
    Exhausted,
    /// Answered `InvalidRequest`.
    InvalidRequest,
    /// Answered `ElementDown`.
    ElementDown,
}

impl OperationOutcome {
    /// Every outcome, in declaration order (for metrics).
    pub const ALL: [OperationOutcome; 7] = [
        OperationOutcome::Succeeded,
        OperationOutcome::Failed,
        OperationOutcome::BlackHole,
        OperationOutcome::ReplyLost,
        OperationOutcome::Exhausted,
        OperationOutcome::InvalidRequest,
        OperationOutcome::ElementDown,
    ];

    /// Lower-case name for metric labels.
    pub const fn as_str(self) -> &'static str {
        match self {
            OperationOutcome::Succeeded => "succeeded",
            OperationOutcome::Failed => "failed",
            OperationOutcome::BlackHole => "black_hole",
            OperationOutcome::ReplyLost => "reply_lost",
            OperationOutcome::Exhausted => "exhausted",
            OperationOutcome::InvalidRequest => "invalid_request",
            OperationOutcome::ElementDown => "element_down",
        }
    }

    fn of(result: &Result<ElementOutcome, ElementError>) -> OperationOutcome {
        match result {
            Ok(_) => OperationOutcome::Succeeded,
            Err(error) => match error.kind {
                ElementErrorKind::Exhausted => OperationOutcome::Exhausted,
                ElementErrorKind::Failed => OperationOutcome::Failed,
                ElementErrorKind::ElementDown => OperationOutcome::ElementDown,
                ElementErrorKind::InvalidRequest => OperationOutcome::InvalidRequest,
            },
        }
    }
}

/// The TMF640 services an element has configured and active.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ElementServices {
    /// Configured (and not deactivated since).
    pub configured: BTreeSet<ActivationId>,
    /// Active (always also configured).
    pub active: BTreeSet<ActivationId>,
}

/// The network layer.
#[derive(Debug, Default)]
pub struct NetworkLayer {
    topology: Topology,
    profiles: Profiles,
    resources: Resources,
    /// Services per element, indexed by `ElementId.0`.
    services: Vec<ElementServices>,
    /// Elements put in an outage by [`NetworkLayer::set_element_down`].
    down: BTreeSet<ElementId>,
    /// Elements down, by hand or by an outage fault: allocations skip them, calls fail fast.
    all_down: BTreeSet<ElementId>,
    /// Injected faults.
    faults: FaultSet,
    /// Fault commands sent as messages that were refused.
    fault_commands_refused: u64,
    /// Operations by kind and outcome.
    counts: BTreeMap<(OperationKind, OperationOutcome), u64>,
}

impl NetworkLayer {
    /// A network with every pool empty, after validating the topology and the profiles.
    pub fn new(
        config: &NetworkConfig,
        profiles: &ProfilesConfig,
    ) -> Result<NetworkLayer, NetworkConfigError> {
        let topology = Topology::from_config(config)?;
        let profiles = Profiles::from_config(profiles)
            .map_err(|(kind, source)| NetworkConfigError::Profile { kind, source })?;
        let resources = Resources::new(config, &topology)?;
        Ok(NetworkLayer {
            services: vec![ElementServices::default(); topology.elements.len()],
            topology,
            profiles,
            resources,
            down: BTreeSet::new(),
            all_down: BTreeSet::new(),
            faults: FaultSet::default(),
            fault_commands_refused: 0,
            counts: BTreeMap::new(),
        })
    }

    /// The elements and regions.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Replaces the profile of `kind` (fault injection).
    pub fn set_profile(
        &mut self,
        kind: OperationKind,
        profile: OperationProfile,
    ) -> Result<(), ProfileError> {
        self.profiles.set(kind, profile)
    }

    /// Puts `element` in or out of an outage; false if there is no such element.
    pub fn set_element_down(&mut self, element: ElementId, down: bool) -> bool {
        if self.topology.element(element).is_none() {
            return false;
        }
        if down {
            self.down.insert(element);
        } else {
            self.down.remove(&element);
        }
        self.refresh_down();
        true
    }

    /// Whether `element` is in an outage (by hand or by a fault).
    pub fn is_element_down(&self, element: ElementId) -> bool {
        self.all_down.contains(&element)
    }

    /// Every holding, by allocation id.
    pub fn allocations(&self) -> impl Iterator<Item = (&AllocationId, &ResourceValue)> + '_ {
        self.resources.allocations().iter()
    }

    /// What `allocation` holds, if anything.
    pub fn held(&self, allocation: AllocationId) -> Option<ResourceValue> {
        self.resources.held(allocation)
    }

    /// What an allocate of `request` for `allocation` would return now, taking nothing.
    pub fn peek(
        &self,
        allocation: AllocationId,
        request: &AllocationRequest,
    ) -> Result<ResourceValue, ElementError> {
        self.resources
            .peek(&self.topology, allocation, request, &self.all_down)
    }

    /// The services configured and active on `element`.
    pub fn element_services(&self, element: ElementId) -> Option<&ElementServices> {
        usize::try_from(element.0)
            .ok()
            .and_then(|index| self.services.get(index))
    }

    /// Every service configured on an element, with its element.
    pub fn configured_services(&self) -> impl Iterator<Item = (ElementId, ActivationId)> + '_ {
        self.services
            .iter()
            .enumerate()
            .flat_map(|(index, services)| {
                let element = ElementId(u32::try_from(index).unwrap_or(u32::MAX));
                services.configured.iter().map(move |id| (element, *id))
            })
    }

    /// Counts of every pool; OLT pools per PON port (`olt-north-1/pon-3/onu`).
    pub fn pool_stats(&self) -> Vec<PoolStats> {
        self.resources.pool_stats(&self.topology, true)
    }

    /// Counts summed per OLT (`olt-north-1/onu`), per DSLAM and per region pool.
    pub fn pool_summary(&self) -> Vec<PoolStats> {
        self.resources.pool_stats(&self.topology, false)
    }

    /// Operations so far by kind and outcome (only non-zero counts).
    pub fn operation_counts(
        &self,
    ) -> impl Iterator<Item = (OperationKind, OperationOutcome, u64)> + '_ {
        self.counts
            .iter()
            .map(|(&(kind, outcome), &count)| (kind, outcome, count))
    }

    /// Every inconsistency in the network's state, as sentences; empty when all is well. The
    /// audit calls this.
    pub fn check_invariants(&self) -> Vec<String> {
        let mut violations = self.resources.check_invariants(&self.topology);
        for (index, services) in self.services.iter().enumerate() {
            let element = ElementId(u32::try_from(index).unwrap_or(u32::MAX));
            for service in services.active.difference(&services.configured) {
                violations.push(format!(
                    "{}: {service} is active but not configured",
                    self.topology.element_name(element)
                ));
            }
        }
        violations
    }

    /// The element a call is refused for because it is down, if any.
    fn down_target(&self, operation: &ElementOperation) -> Option<ElementId> {
        let element = match operation {
            ElementOperation::Allocate { request, .. } => match request {
                AllocationRequest::OnuSlot { olt, .. } => *olt,
                AllocationRequest::VlanPair { olt, .. } => Some(*olt),
                _ => None,
            },
            ElementOperation::Release { allocation } => {
                self.held(*allocation).and_then(|value| value.element())
            }
            ElementOperation::Configure { element, .. }
            | ElementOperation::Activate { element, .. }
            | ElementOperation::Deactivate { element, .. } => Some(*element),
        };
        element.filter(|element| self.all_down.contains(element))
    }

    /// Whether `operation` could be applied now (without applying it).
    fn check(&self, operation: &ElementOperation) -> Result<(), ElementError> {
        match operation {
            ElementOperation::Allocate {
                allocation,
                request,
            } => self.peek(*allocation, request).map(drop),
            ElementOperation::Release { .. } => Ok(()),
            ElementOperation::Configure { element, service } => {
                let (services, max) = self.services_of(*element)?;
                if services.configured.contains(service) || services.configured.len() < max {
                    Ok(())
                } else {
                    Err(element_error(
                        ElementErrorKind::Exhausted,
                        format!(
                            "{} has {max} services configured",
                            self.topology.element_name(*element)
                        ),
                    ))
                }
            }
            ElementOperation::Activate { element, service } => {
                let (services, _) = self.services_of(*element)?;
                if services.configured.contains(service) {
                    Ok(())
                } else {
                    Err(element_error(
                        ElementErrorKind::InvalidRequest,
                        format!(
                            "{service} is not configured on {}",
                            self.topology.element_name(*element)
                        ),
                    ))
                }
            }
            ElementOperation::Deactivate { element, .. } => self.services_of(*element).map(drop),
        }
    }

    /// The services of `element` and how many it may hold.
    fn services_of(&self, element: ElementId) -> Result<(&ElementServices, usize), ElementError> {
        let found = self.topology.element(element);
        let services = self.element_services(element);
        match (found, services) {
            (Some(found), Some(services)) => {
                let slots = u32::from(found.ports) * u32::from(found.slots_per_port);
                let max = usize::try_from(slots * SERVICES_PER_SLOT_MAX).unwrap_or(usize::MAX);
                Ok((services, max))
            }
            _ => Err(element_error(
                ElementErrorKind::InvalidRequest,
                format!("no element {}", element.0),
            )),
        }
    }

    /// Applies `operation`: allocates, releases or changes the element's services.
    fn apply(&mut self, operation: &ElementOperation) -> Result<ElementOutcome, ElementError> {
        match operation {
            ElementOperation::Allocate {
                allocation,
                request,
            } => self
                .resources
                .allocate(&self.topology, *allocation, request, &self.all_down)
                .map(ElementOutcome::Allocated),
            ElementOperation::Release { allocation } => self
                .resources
                .release(*allocation)
                .map(|_| ElementOutcome::Released),
            ElementOperation::Configure { element, service } => {
                self.check(operation)?;
                self.services_mut(*element)?.configured.insert(*service);
                Ok(ElementOutcome::Configured)
            }
            ElementOperation::Activate { element, service } => {
                self.check(operation)?;
                self.services_mut(*element)?.active.insert(*service);
                Ok(ElementOutcome::Activated)
            }
            ElementOperation::Deactivate { element, service } => {
                self.check(operation)?;
                let services = self.services_mut(*element)?;
                services.active.remove(service);
                services.configured.remove(service);
                Ok(ElementOutcome::Deactivated)
            }
        }
    }

    fn services_mut(&mut self, element: ElementId) -> Result<&mut ElementServices, ElementError> {
        usize::try_from(element.0)
            .ok()
            .and_then(|index| self.services.get_mut(index))
            .ok_or_else(|| {
                element_error(
                    ElementErrorKind::InvalidRequest,
                    format!("no element {}", element.0),
                )
            })
    }

    fn count(&mut self, kind: OperationKind, outcome: OperationOutcome) {
        *self.counts.entry((kind, outcome)).or_default() += 1;
    }
}

/// The message that carries `reply` to `reply_to`; only ROM and activation call the network.
fn reply_message(reply_to: LayerId, reply: ElementReply) -> Option<Message> {
    match reply_to {
        LayerId::Rom => Some(Message::Rom(RomInput::Element(reply))),
        LayerId::Activation => Some(Message::Activation(ActivationInput::Element(reply))),
        other => {
            debug_assert!(false, "network reply to {other:?}, which never calls it");
            None
        }
    }
}

fn send_reply(
    at: Time,
    request: &ElementRequest,
    result: Result<ElementOutcome, ElementError>,
    effects: &mut Effects,
) {
    let reply = ElementReply {
        operation_id: request.operation_id,
        result,
    };
    if let Some(message) = reply_message(request.reply_to, reply) {
        effects.send_at(at, message);
    }
}

impl Layer for NetworkLayer {
    type Input = NetworkInput;

    const ID: LayerId = LayerId::Network;

    fn handle(&mut self, input: NetworkInput, now: Time, rng: &mut SimRng, effects: &mut Effects) {
        match input {
            NetworkInput::Request(request) => self.handle_request(request, now, rng, effects),
            NetworkInput::Faults { command, reply_to } => {
                self.handle_fault_command(command, reply_to, now, effects)
            }
            NetworkInput::ListAllocations { reply_to } => {
                if reply_to == LayerId::Rom {
                    let held = self
                        .allocations()
                        .map(|(id, value)| (*id, *value))
                        .collect();
                    effects.send(now, Message::Rom(RomInput::NetworkAllocations(held)));
                }
            }
            NetworkInput::ListServices { reply_to } => {
                if reply_to == LayerId::Activation {
                    let configured = self.configured_services().collect();
                    let answer = ActivationInput::ElementServices(configured);
                    effects.send(now, Message::Activation(answer));
                }
            }
        }
    }
}

impl NetworkLayer {
    /// One element operation: the faults' judgement first, then outages, then the profile.
    fn handle_request(
        &mut self,
        request: ElementRequest,
        now: Time,
        rng: &mut SimRng,
        effects: &mut Effects,
    ) {
        let kind = request.operation.kind();
        let (judgement, site) = self.judge_faults(&request, now, rng);
        if let Some(error) = self.down_error(&judgement.verdict, &request.operation) {
            self.count(kind, OperationOutcome::ElementDown);
            effects.observe(Observation::ElementOperation {
                kind,
                outcome: OperationOutcome::ElementDown,
                took: ELEMENT_DOWN_LATENCY,
            });
            let at = now.after(ELEMENT_DOWN_LATENCY);
            send_reply(at, &request, Err(error), effects);
            return;
        }
        // A fault's reason, if one fails the call; the default sentence is written only when a
        // call does fail (formatting it for every call cost more than the call's judgement).
        let mut failure = None;
        let outcome = match judgement.verdict {
            Verdict::BlackHole => SampledOutcome::BlackHole,
            Verdict::ReplyLost => SampledOutcome::ReplyLost,
            Verdict::Fail { ref reason } => {
                failure = Some(reason.clone());
                SampledOutcome::Fail {
                    latency: self.profiles.get(kind).sample_latency(rng),
                }
            }
            Verdict::Down { .. } | Verdict::Proceed => self.profiles.get(kind).sample(rng),
        };
        let (result, latency) = match outcome {
            SampledOutcome::BlackHole => {
                self.count(kind, OperationOutcome::BlackHole);
                return;
            }
            SampledOutcome::ReplyLost => {
                // Applied if it can be; nobody hears how it went.
                let _ = self.apply(&request.operation);
                self.count(kind, OperationOutcome::ReplyLost);
                return;
            }
            SampledOutcome::Fail { latency } => {
                let failure =
                    failure.unwrap_or_else(|| format!("the element failed the {kind:?} operation"));
                let failed = element_error(ElementErrorKind::Failed, failure);
                (self.check(&request.operation).and(Err(failed)), latency)
            }
            SampledOutcome::Succeed { latency } => (self.apply(&request.operation), latency),
        };
        let latency = judgement.latency.apply(latency, rng);
        self.after_judgement(&judgement, site.as_ref(), &result, now);
        let outcome = OperationOutcome::of(&result);
        self.count(kind, outcome);
        effects.observe(Observation::ElementOperation {
            kind,
            outcome,
            took: latency,
        });
        send_reply(now.after(latency), &request, result, effects);
    }

    /// The `ElementDown` refusal for a call to an element in an outage (by hand or by a
    /// fault on the whole element), or for a call an outage fault matched.
    fn down_error(&self, verdict: &Verdict, operation: &ElementOperation) -> Option<ElementError> {
        let what = match verdict {
            Verdict::Down { fault } => format!("the target of fault {fault}"),
            _ => {
                let element = self.down_target(operation)?;
                self.topology.element_name(element).to_string()
            }
        };
        Some(element_error(
            ElementErrorKind::ElementDown,
            format!("{what} is down"),
        ))
    }
}

#[cfg(test)]
mod tests;

mod faulted;
