//! The network layer's side of fault injection: putting, removing and listing faults, moving
//! them forward with `now` (starting pool pressure, ending outages), and locating each
//! operation so that the faults can judge it.

use super::NetworkLayer;
use crate::domain::time::Time;
use crate::layers::SimRng;
use crate::layers::{Effects, Reply, ReplyToken};
use crate::network::faults::set::{Judgement, LatencyChange, OperationSite, Verdict};
use crate::network::faults::{Fault, FaultError, FaultSet, FaultStatus, PutOutcome, RegionPool};
use crate::network::{
    AllocationRequest, ElementError, ElementErrorKind, ElementId, ElementOperation, ElementOutcome,
    ElementRequest, FaultAnswer, FaultCommand, FaultRefusal, RegionId, ResourceValue,
};

/// Where an operation lands: element, PON port, region, region pool.
type Locus = (
    Option<ElementId>,
    Option<u16>,
    Option<RegionId>,
    Option<RegionPool>,
);

impl NetworkLayer {
    /// Sets the most faults held at once (faults already held stay, even beyond it).
    pub fn set_faults_max(&mut self, faults_max: usize) {
        self.faults.set_faults_max(faults_max);
    }

    /// Puts `fault` at `now`: validates it, resolves its target, replaces a fault of the same
    /// name (undoing what that one did), and starts it if its start has come.
    pub fn put_fault(&mut self, fault: Fault, now: Time) -> Result<PutOutcome, FaultError> {
        fault.validate()?;
        let target = fault.target.resolve(&self.topology)?;
        self.advance_faults(now);
        let outcome = if self.faults.get(&fault.name).is_some() {
            self.drop_fault(&fault.name);
            PutOutcome::Replaced
        } else {
            PutOutcome::Created
        };
        self.faults.insert(fault, target)?;
        self.advance_faults(now);
        Ok(outcome)
    }

    /// Removes the fault named `name` (an outage ends at once, without its reboot delay;
    /// pool entries it took are given back).
    pub fn remove_fault(&mut self, name: &str, now: Time) -> Result<(), FaultError> {
        self.advance_faults(now);
        if self.drop_fault(name) {
            Ok(())
        } else {
            Err(FaultError::NotFound {
                name: name.chars().take(128).collect(),
            })
        }
    }

    /// Removes every fault; returns how many there were.
    pub fn reset_faults(&mut self, now: Time) -> usize {
        self.advance_faults(now);
        let names = self.faults.names();
        for name in &names {
            self.drop_fault(name);
        }
        names.len()
    }

    /// Every fault as it is at `now` (expired ones removed first), by name.
    pub fn fault_statuses(&mut self, now: Time) -> Vec<FaultStatus> {
        self.advance_faults(now);
        self.faults.statuses(now)
    }

    /// The fault named `name` as it is at `now`.
    pub fn fault_status(&mut self, name: &str, now: Time) -> Option<FaultStatus> {
        self.advance_faults(now);
        self.faults.status(name, now)
    }

    /// The faults, without moving them forward (metrics read this).
    pub fn faults(&self) -> &FaultSet {
        &self.faults
    }

    /// Starts the faults whose time has come and removes the finished ones: pool pressure
    /// takes or gives back its entries, outages change the set of down elements.
    pub fn advance_faults(&mut self, now: Time) {
        let changes = self.faults.advance(now);
        if changes.is_empty() {
            return;
        }
        for name in &changes.ended {
            self.resources.unreserve(name);
        }
        for name in &changes.started {
            let mode = self.faults.get(name).map(|f| f.kind.pressure_mode());
            if let (Some(Ok(mode)), Some(target)) = (mode, self.faults.target(name)) {
                let taken = self.resources.reserve(name, target, mode);
                self.faults.set_reserved(name, taken);
            }
        }
        self.refresh_down();
    }

    /// Carries out a fault command sent as a message and answers `reply_to` (without one, a
    /// refusal is only counted).
    pub(super) fn handle_fault_command(
        &mut self,
        command: FaultCommand,
        reply_to: Option<ReplyToken>,
        now: Time,
        effects: &mut Effects,
    ) {
        let result = self.fault_command(command, now);
        match reply_to {
            Some(token) => effects.reply(token, Reply::Faults(result)),
            None if result.is_err() => self.fault_commands_refused += 1,
            None => {}
        }
    }

    fn fault_command(
        &mut self,
        command: FaultCommand,
        now: Time,
    ) -> Result<FaultAnswer, FaultRefusal> {
        match command {
            FaultCommand::Put(fault) => self.put_answered(*fault, now),
            FaultCommand::Create(fault) => {
                if self.fault_status(&fault.name, now).is_some() {
                    return Err(FaultRefusal::Exists { name: fault.name });
                }
                self.put_answered(*fault, now)
            }
            FaultCommand::ReplaceAll(faults) => self.replace_faults(faults, now),
            FaultCommand::Remove(name) => self
                .remove_fault(&name, now)
                .map(|()| FaultAnswer::Removed(1))
                .map_err(FaultRefusal::from),
            FaultCommand::Reset => Ok(FaultAnswer::Removed(self.reset_faults(now))),
        }
    }

    fn put_answered(&mut self, fault: Fault, now: Time) -> Result<FaultAnswer, FaultRefusal> {
        let name = fault.name.clone();
        let outcome = self.put_fault(fault, now)?;
        let status = self
            .fault_status(&name, now)
            .ok_or(FaultError::NotFound { name })?;
        Ok(FaultAnswer::Put {
            outcome,
            status: Box::new(status),
        })
    }

    /// Resolves every fault's target, then replaces the faults with them.
    fn replace_faults(
        &mut self,
        faults: Vec<Fault>,
        now: Time,
    ) -> Result<FaultAnswer, FaultRefusal> {
        for (index, fault) in faults.iter().enumerate() {
            fault
                .target
                .resolve(&self.topology)
                .map_err(|error| FaultRefusal::Entry { index, error })?;
        }
        let limit = self.faults.faults_max();
        if faults.len() > limit {
            let count = faults.len();
            return Err(FaultRefusal::TooMany { count, limit });
        }
        self.reset_faults(now);
        for fault in faults {
            self.put_fault(fault, now)?;
        }
        Ok(FaultAnswer::Replaced)
    }

    /// Fault commands sent as messages that were refused.
    pub fn fault_commands_refused(&self) -> u64 {
        self.fault_commands_refused
    }

    fn drop_fault(&mut self, name: &str) -> bool {
        let found = self.faults.remove(name).is_some();
        if found {
            self.resources.unreserve(name);
            self.refresh_down();
        }
        found
    }

    pub(super) fn refresh_down(&mut self) {
        let mut down = self.faults.down_elements();
        down.extend(self.down.iter().copied());
        self.all_down = down;
    }

    /// Moves the faults forward and judges `request` against them; no faults, no draws.
    pub(super) fn judge_faults(
        &mut self,
        request: &ElementRequest,
        now: Time,
        rng: &mut SimRng,
    ) -> (Judgement, Option<OperationSite>) {
        self.advance_faults(now);
        if self.faults.is_empty() {
            let judgement = Judgement {
                verdict: Verdict::Proceed,
                latency: LatencyChange::default(),
                pressured: Vec::new(),
            };
            return (judgement, None);
        }
        let site = self.site(request);
        (self.faults.judge(&site, now, rng), Some(site))
    }

    /// Counts an exhausted allocation against the pool-pressure faults on its pool.
    pub(super) fn after_judgement(
        &mut self,
        judgement: &Judgement,
        site: Option<&OperationSite>,
        result: &Result<ElementOutcome, ElementError>,
        now: Time,
    ) {
        let (Some(site), Err(error)) = (site, result) else {
            return;
        };
        match error.kind {
            ElementErrorKind::Exhausted => {
                self.faults.mark_exhausted(&judgement.pressured, site, now);
            }
            ElementErrorKind::ElementDown if judgement.verdict == Verdict::Proceed => {
                let topology = &self.topology;
                let covers = |element: ElementId| {
                    site.element == Some(element)
                        || (site.element.is_none()
                            && site.region.is_some()
                            && topology.element(element).map(|e| e.region) == site.region)
                };
                self.faults.mark_down(covers, site, now);
            }
            _ => {}
        }
    }

    /// Where `request` lands: an allocation where it would allocate now (or what it names,
    /// when it cannot), a release where the holding is, a service step on its element.
    fn site(&self, request: &ElementRequest) -> OperationSite {
        let (locus, subject) = match &request.operation {
            ElementOperation::Allocate {
                allocation,
                request: wanted,
            } => {
                let locus = match self.peek(*allocation, wanted) {
                    Ok(value) => self.value_locus(&value),
                    Err(_) => self.request_locus(wanted),
                };
                (locus, allocation.to_string())
            }
            ElementOperation::Release { allocation } => {
                let locus = self
                    .held(*allocation)
                    .map_or((None, None, None, None), |value| self.value_locus(&value));
                (locus, allocation.to_string())
            }
            ElementOperation::Configure { element, service }
            | ElementOperation::Activate { element, service }
            | ElementOperation::Deactivate { element, service } => (
                (Some(*element), None, self.region_of(*element), None),
                service.to_string(),
            ),
        };
        let (element, pon_port, region, pool) = locus;
        OperationSite {
            kind: request.operation.kind(),
            element,
            pon_port,
            region,
            pool,
            operation_id: request.operation_id,
            subject,
        }
    }

    fn region_of(&self, element: ElementId) -> Option<RegionId> {
        self.topology.element(element).map(|found| found.region)
    }

    fn value_locus(&self, value: &ResourceValue) -> Locus {
        match *value {
            ResourceValue::OnuSlot { olt, pon_port, .. }
            | ResourceValue::VlanPair { olt, pon_port, .. } => {
                (Some(olt), Some(pon_port), self.region_of(olt), None)
            }
            ResourceValue::DslamPort { dslam, .. } => {
                (Some(dslam), None, self.region_of(dslam), None)
            }
            ResourceValue::Ipv4Address { region, .. } => {
                (None, None, Some(region), Some(RegionPool::Ipv4))
            }
            ResourceValue::MulticastVlan { region, .. } => {
                (None, None, Some(region), Some(RegionPool::Multicast))
            }
            ResourceValue::PhoneNumber { region, .. } => {
                (None, None, Some(region), Some(RegionPool::Phone))
            }
        }
    }

    fn request_locus(&self, request: &AllocationRequest) -> Locus {
        match *request {
            AllocationRequest::OnuSlot { region, olt } => (olt, None, Some(region), None),
            AllocationRequest::VlanPair { olt, pon_port } => {
                (Some(olt), Some(pon_port), self.region_of(olt), None)
            }
            AllocationRequest::DslamPort { region } => (None, None, Some(region), None),
            AllocationRequest::Ipv4Address { region } => {
                (None, None, Some(region), Some(RegionPool::Ipv4))
            }
            AllocationRequest::MulticastVlan { region } => {
                (None, None, Some(region), Some(RegionPool::Multicast))
            }
            AllocationRequest::PhoneNumber { region } => {
                (None, None, Some(region), Some(RegionPool::Phone))
            }
        }
    }
}
