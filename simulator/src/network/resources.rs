//! The network's pools and who holds what: every pool of every element and region, and the
//! map from [`AllocationId`] to the value it holds.
//!
//! Kept apart from the layer so that the layer decides *whether* an operation is applied (its
//! profile draw, outages) and this module only *how*: resolve a request to a pool, take from it
//! or give back, keep the "ports with room" sets in step, and check its own consistency.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::{NetworkConfig, RegionConfig};
use crate::domain::ids::AllocationId;
use crate::network::pool::{
    CVlanPool, FreePorts, IndexPool, Ipv4Pool, PoolError, PoolKind, PoolStats,
};
use crate::network::topology::{Element, ElementKind, Topology, TopologyError, region_cidr};
use crate::network::{
    AllocationRequest, ElementError, ElementErrorKind, ElementId, RegionId, ResourceValue,
};

mod pressure;

/// Most invariant violations listed; the rest are counted in one last line.
const VIOLATIONS_SHOWN_MAX: usize = 100;

/// An error reply of `kind`.
pub(crate) fn element_error(kind: ElementErrorKind, message: impl Into<String>) -> ElementError {
    ElementError {
        kind,
        message: message.into(),
    }
}

/// Names one pool.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum PoolRef {
    Onu(ElementId, u16),
    CVlan(ElementId, u16),
    Ipv4(RegionId),
    Dslam(ElementId),
    Multicast(RegionId),
    Phone(RegionId),
}

/// The pools of one element.
#[derive(Clone, Debug)]
enum ElementPools {
    Olt {
        s_vlan_first: u16,
        /// ONU slots, per PON port.
        onus: Vec<IndexPool>,
        /// C-VLANs of each PON port's S-VLAN.
        c_vlans: Vec<CVlanPool>,
    },
    Dslam {
        ports: IndexPool,
    },
}

/// The pools of one region.
#[derive(Clone, Debug)]
struct RegionPools {
    ipv4: Ipv4Pool,
    phone_first: u64,
    phones: IndexPool,
    multicast_vlan: u16,
    multicast: IndexPool,
    /// PON ports of the region's OLTs with a free ONU slot.
    free_onu_ports: FreePorts,
    /// DSLAMs of the region with a free port (port number 0).
    free_dslams: FreePorts,
}

/// Every pool and every holding.
#[derive(Clone, Debug, Default)]
pub(crate) struct Resources {
    /// Pools per element, indexed by `ElementId.0`.
    elements: Vec<ElementPools>,
    /// Each element's region, indexed by `ElementId.0`.
    element_regions: Vec<RegionId>,
    /// Pools per region, indexed by `RegionId.0`.
    regions: Vec<RegionPools>,
    /// Who holds what.
    allocations: BTreeMap<AllocationId, ResourceValue>,
    /// Entries taken by pool-pressure faults, by fault name (not holdings: see `pressure`).
    reservations: BTreeMap<String, Vec<(PoolRef, u32)>>,
}

impl Resources {
    /// Empty pools for `topology`, which [`Topology::from_config`] built from `config`.
    pub(crate) fn new(
        config: &NetworkConfig,
        topology: &Topology,
    ) -> Result<Resources, TopologyError> {
        let mut resources = Resources::default();
        for (index, region) in config.regions.iter().enumerate() {
            let region_id = RegionId(u16::try_from(index).unwrap_or(u16::MAX));
            let mut pools = region_pools(region)?;
            let failed = |source| TopologyError::Pool {
                region: region.name.clone(),
                pool: "element",
                source,
            };
            for olt in &region.olts {
                let element = resources.next_element();
                let pons = 0..olt.pon_ports;
                let onus = pons
                    .clone()
                    .map(|_| IndexPool::new(olt.onus_per_port.into()))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(failed)?;
                let c_vlans = pons
                    .clone()
                    .map(|port| CVlanPool::new(olt.s_vlan_first.saturating_add(port)))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(failed)?;
                pons.for_each(|port| pools.free_onu_ports.set(element, port, true));
                resources.elements.push(ElementPools::Olt {
                    s_vlan_first: olt.s_vlan_first,
                    onus,
                    c_vlans,
                });
                resources.element_regions.push(region_id);
            }
            for dslam in &region.dslams {
                let element = resources.next_element();
                pools.free_dslams.set(element, 0, true);
                let ports = IndexPool::new(dslam.ports.into()).map_err(failed)?;
                resources.elements.push(ElementPools::Dslam { ports });
                resources.element_regions.push(region_id);
            }
            resources.regions.push(pools);
        }
        assert_eq!(
            resources.elements.len(),
            topology.elements.len(),
            "the topology was not built from this configuration"
        );
        Ok(resources)
    }

    fn next_element(&self) -> ElementId {
        ElementId(u32::try_from(self.elements.len()).unwrap_or(u32::MAX))
    }

    /// Every holding.
    pub(crate) fn allocations(&self) -> &BTreeMap<AllocationId, ResourceValue> {
        &self.allocations
    }

    /// What `allocation` holds.
    pub(crate) fn held(&self, allocation: AllocationId) -> Option<ResourceValue> {
        self.allocations.get(&allocation).copied()
    }

    fn region(&self, region: RegionId) -> Result<&RegionPools, ElementError> {
        self.regions.get(usize::from(region.0)).ok_or_else(|| {
            element_error(
                ElementErrorKind::InvalidRequest,
                format!("no region {}", region.0),
            )
        })
    }

    fn element(&self, element: ElementId) -> Option<&ElementPools> {
        usize::try_from(element.0)
            .ok()
            .and_then(|index| self.elements.get(index))
    }

    fn element_mut(&mut self, element: ElementId) -> Option<&mut ElementPools> {
        usize::try_from(element.0)
            .ok()
            .and_then(|index| self.elements.get_mut(index))
    }

    /// The pool `request` would take from, given which elements are down.
    fn resolve(
        &self,
        topology: &Topology,
        request: &AllocationRequest,
        down: &BTreeSet<ElementId>,
    ) -> Result<PoolRef, ElementError> {
        let is_down = |element: ElementId| down.contains(&element);
        match *request {
            AllocationRequest::OnuSlot { region, olt } => {
                let pools = self.region(region)?;
                let port = match olt {
                    Some(olt) => {
                        check_element(topology, olt, ElementKind::Olt, Some(region), down)?;
                        pools.free_onu_ports.first_on(olt).map(|port| (olt, port))
                    }
                    None => pick(&pools.free_onu_ports, is_down)?,
                };
                let (olt, port) = port.ok_or_else(|| exhausted("ONU slots", topology, region))?;
                Ok(PoolRef::Onu(olt, port))
            }
            AllocationRequest::VlanPair { olt, pon_port } => {
                let element = check_element(topology, olt, ElementKind::Olt, None, down)?;
                if pon_port >= element.ports {
                    return Err(element_error(
                        ElementErrorKind::InvalidRequest,
                        format!("{} has no PON port {pon_port}", element.name),
                    ));
                }
                Ok(PoolRef::CVlan(olt, pon_port))
            }
            AllocationRequest::Ipv4Address { region } => {
                self.region(region).map(|_| PoolRef::Ipv4(region))
            }
            AllocationRequest::DslamPort { region } => {
                let pools = self.region(region)?;
                let (dslam, _) = pick(&pools.free_dslams, is_down)?
                    .ok_or_else(|| exhausted("DSLAM ports", topology, region))?;
                Ok(PoolRef::Dslam(dslam))
            }
            AllocationRequest::MulticastVlan { region } => {
                self.region(region).map(|_| PoolRef::Multicast(region))
            }
            AllocationRequest::PhoneNumber { region } => {
                self.region(region).map(|_| PoolRef::Phone(region))
            }
        }
    }

    /// The index pool behind `pool` (C-VLAN and IPv4 pools through their index pools).
    fn indices(&self, pool: PoolRef) -> Option<&IndexPool> {
        let region = |region: RegionId| self.regions.get(usize::from(region.0));
        match (
            pool,
            pool.element().and_then(|element| self.element(element)),
        ) {
            (PoolRef::Onu(_, port), Some(ElementPools::Olt { onus, .. })) => {
                onus.get(usize::from(port))
            }
            (PoolRef::CVlan(_, port), Some(ElementPools::Olt { c_vlans, .. })) => {
                c_vlans.get(usize::from(port)).map(CVlanPool::indices)
            }
            (PoolRef::Dslam(_), Some(ElementPools::Dslam { ports })) => Some(ports),
            (PoolRef::Ipv4(r), _) => region(r).map(|pools| pools.ipv4.indices()),
            (PoolRef::Multicast(r), _) => region(r).map(|pools| &pools.multicast),
            (PoolRef::Phone(r), _) => region(r).map(|pools| &pools.phones),
            _ => None,
        }
    }

    /// The value index `index` of `pool` stands for.
    fn value(&self, pool: PoolRef, index: u32) -> Option<ResourceValue> {
        let small = |index: u32| u16::try_from(index).ok();
        let region = |region: RegionId| self.regions.get(usize::from(region.0));
        Some(match pool {
            PoolRef::Onu(olt, pon_port) => ResourceValue::OnuSlot {
                olt,
                pon_port,
                onu: small(index)?,
            },
            PoolRef::CVlan(olt, pon_port) => {
                let Some(ElementPools::Olt { s_vlan_first, .. }) = self.element(olt) else {
                    return None;
                };
                ResourceValue::VlanPair {
                    olt,
                    pon_port,
                    s_vlan: s_vlan_first.checked_add(pon_port)?,
                    c_vlan: small(index)?.checked_add(1)?,
                }
            }
            PoolRef::Ipv4(r) => ResourceValue::Ipv4Address {
                region: r,
                address: region(r)?.ipv4.cidr().hosts().0.checked_add(index)?.into(),
            },
            PoolRef::Dslam(dslam) => ResourceValue::DslamPort {
                dslam,
                port: small(index)?,
            },
            PoolRef::Multicast(r) => ResourceValue::MulticastVlan {
                region: r,
                vlan: region(r)?.multicast_vlan,
                member: index,
            },
            PoolRef::Phone(r) => ResourceValue::PhoneNumber {
                region: r,
                number: region(r)?.phone_first.checked_add(index.into())?,
            },
        })
    }

    /// The pool and index a value lives at, if it is a value of this network.
    fn locate(&self, value: &ResourceValue) -> Option<(PoolRef, u32)> {
        let region = |region: RegionId| self.regions.get(usize::from(region.0));
        Some(match *value {
            ResourceValue::OnuSlot { olt, pon_port, onu } => {
                (PoolRef::Onu(olt, pon_port), onu.into())
            }
            ResourceValue::VlanPair {
                olt,
                pon_port,
                c_vlan,
                ..
            } => (
                PoolRef::CVlan(olt, pon_port),
                u32::from(c_vlan).checked_sub(1)?,
            ),
            ResourceValue::Ipv4Address { region: r, address } => {
                (PoolRef::Ipv4(r), region(r)?.ipv4.index_of(address)?)
            }
            ResourceValue::DslamPort { dslam, port } => (PoolRef::Dslam(dslam), port.into()),
            ResourceValue::MulticastVlan {
                region: r, member, ..
            } => (PoolRef::Multicast(r), member),
            ResourceValue::PhoneNumber { region: r, number } => {
                let offset = number.checked_sub(region(r)?.phone_first)?;
                (PoolRef::Phone(r), u32::try_from(offset).ok()?)
            }
        })
    }

    /// What [`Resources::allocate`] would give `allocation` for `request`, taking nothing.
    pub(crate) fn peek(
        &self,
        topology: &Topology,
        allocation: AllocationId,
        request: &AllocationRequest,
        down: &BTreeSet<ElementId>,
    ) -> Result<ResourceValue, ElementError> {
        if let Some(held) = self.held(allocation) {
            return same_request(&self.element_regions, allocation, request, held);
        }
        let pool = self.resolve(topology, request, down)?;
        let index = self
            .indices(pool)
            .ok_or_else(|| internal("pool missing"))?
            .peek()
            .map_err(|error| pool_failure(request, &error))?;
        self.value(pool, index)
            .ok_or_else(|| internal("index without a value"))
    }

    /// Takes a resource for `allocation`; if it already holds one matching `request`, that one
    /// again (an idempotent retry).
    pub(crate) fn allocate(
        &mut self,
        topology: &Topology,
        allocation: AllocationId,
        request: &AllocationRequest,
        down: &BTreeSet<ElementId>,
    ) -> Result<ResourceValue, ElementError> {
        if let Some(held) = self.held(allocation) {
            return same_request(&self.element_regions, allocation, request, held);
        }
        let pool = self.resolve(topology, request, down)?;
        let index = self
            .take(pool)
            .map_err(|error| pool_failure(request, &error))?;
        let value = self
            .value(pool, index)
            .ok_or_else(|| internal("index without a value"))?;
        self.allocations.insert(allocation, value);
        Ok(value)
    }

    /// Gives back what `allocation` holds (nothing held is fine) and returns it.
    pub(crate) fn release(
        &mut self,
        allocation: AllocationId,
    ) -> Result<Option<ResourceValue>, ElementError> {
        let Some(value) = self.allocations.remove(&allocation) else {
            return Ok(None);
        };
        let (pool, index) = self
            .locate(&value)
            .ok_or_else(|| internal("held value outside every pool"))?;
        self.give_back(pool, index)
            .map_err(|error| internal(&format!("{allocation} held {value:?}: {error}")))?;
        Ok(Some(value))
    }

    fn take(&mut self, pool: PoolRef) -> Result<u32, PoolError> {
        let missing = PoolError::OutOfRange { value: 0 };
        let index = match (pool, pool.element().and_then(|e| self.element_mut(e))) {
            (PoolRef::Onu(_, port), Some(ElementPools::Olt { onus, .. })) => {
                onus.get_mut(usize::from(port)).ok_or(missing)?.allocate()?
            }
            (PoolRef::CVlan(_, port), Some(ElementPools::Olt { c_vlans, .. })) => {
                let c_vlans = c_vlans.get_mut(usize::from(port)).ok_or(missing)?;
                u32::from(c_vlans.allocate()?) - 1
            }
            (PoolRef::Dslam(_), Some(ElementPools::Dslam { ports })) => ports.allocate()?,
            (PoolRef::Ipv4(r), _) => {
                let ipv4 = &mut self.region_mut(r)?.ipv4;
                let address = ipv4.allocate()?;
                ipv4.index_of(address).ok_or(missing)?
            }
            (PoolRef::Multicast(r), _) => self.region_mut(r)?.multicast.allocate()?,
            (PoolRef::Phone(r), _) => self.region_mut(r)?.phones.allocate()?,
            _ => return Err(missing),
        };
        self.update_free_sets(pool);
        Ok(index)
    }

    fn give_back(&mut self, pool: PoolRef, index: u32) -> Result<(), PoolError> {
        let missing = PoolError::OutOfRange {
            value: index.into(),
        };
        match (pool, pool.element().and_then(|e| self.element_mut(e))) {
            (PoolRef::Onu(_, port), Some(ElementPools::Olt { onus, .. })) => onus
                .get_mut(usize::from(port))
                .ok_or(missing)?
                .release(index)?,
            (PoolRef::CVlan(_, port), Some(ElementPools::Olt { c_vlans, .. })) => {
                let c_vlan = u16::try_from(index + 1).map_err(|_| missing.clone())?;
                c_vlans
                    .get_mut(usize::from(port))
                    .ok_or(missing)?
                    .release(c_vlan)?;
            }
            (PoolRef::Dslam(_), Some(ElementPools::Dslam { ports })) => ports.release(index)?,
            (PoolRef::Ipv4(r), _) => {
                let ipv4 = &mut self.region_mut(r)?.ipv4;
                let first = ipv4.cidr().hosts().0;
                ipv4.release(first.checked_add(index).ok_or(missing)?.into())?;
            }
            (PoolRef::Multicast(r), _) => self.region_mut(r)?.multicast.release(index)?,
            (PoolRef::Phone(r), _) => self.region_mut(r)?.phones.release(index)?,
            _ => return Err(missing),
        }
        self.update_free_sets(pool);
        Ok(())
    }

    fn region_mut(&mut self, region: RegionId) -> Result<&mut RegionPools, PoolError> {
        self.regions
            .get_mut(usize::from(region.0))
            .ok_or(PoolError::OutOfRange {
                value: region.0.into(),
            })
    }

    fn region_of(&self, element: ElementId) -> Option<RegionId> {
        usize::try_from(element.0)
            .ok()
            .and_then(|index| self.element_regions.get(index))
            .copied()
    }

    /// Keeps the region's "ports with room" sets in step with `pool`'s free count.
    fn update_free_sets(&mut self, pool: PoolRef) {
        let (element, port, is_onu) = match pool {
            PoolRef::Onu(element, port) => (element, port, true),
            PoolRef::Dslam(element) => (element, 0, false),
            _ => return,
        };
        let has_free = self.indices(pool).is_some_and(|pool| pool.free() > 0);
        let Some(region) = self.region_of(element) else {
            return;
        };
        if let Some(pools) = self.regions.get_mut(usize::from(region.0)) {
            let set = if is_onu {
                &mut pools.free_onu_ports
            } else {
                &mut pools.free_dslams
            };
            set.set(element, port, has_free);
        }
    }
}

impl PoolRef {
    fn element(self) -> Option<ElementId> {
        match self {
            PoolRef::Onu(element, _) | PoolRef::CVlan(element, _) | PoolRef::Dslam(element) => {
                Some(element)
            }
            PoolRef::Ipv4(_) | PoolRef::Multicast(_) | PoolRef::Phone(_) => None,
        }
    }

    fn kind(self) -> PoolKind {
        match self {
            PoolRef::Onu(..) => PoolKind::OnuSlot,
            PoolRef::CVlan(..) => PoolKind::CVlan,
            PoolRef::Ipv4(_) => PoolKind::Ipv4Address,
            PoolRef::Dslam(_) => PoolKind::DslamPort,
            PoolRef::Multicast(_) => PoolKind::MulticastMember,
            PoolRef::Phone(_) => PoolKind::PhoneNumber,
        }
    }

    /// The pool's name, e.g. `olt-north-1/pon-3/onu`; `per_port` false drops the port.
    fn name(self, topology: &Topology, per_port: bool) -> String {
        let kind = self.kind().as_str();
        match self {
            PoolRef::Onu(element, port) | PoolRef::CVlan(element, port) if per_port => {
                format!("{}/pon-{port}/{kind}", topology.element_name(element))
            }
            PoolRef::Onu(element, _) | PoolRef::CVlan(element, _) | PoolRef::Dslam(element) => {
                format!("{}/{kind}", topology.element_name(element))
            }
            PoolRef::Ipv4(region) | PoolRef::Multicast(region) | PoolRef::Phone(region) => {
                format!("{}/{kind}", topology.region_name(region))
            }
        }
    }
}

fn region_pools(region: &RegionConfig) -> Result<RegionPools, TopologyError> {
    let failed = |pool| {
        move |source| TopologyError::Pool {
            region: region.name.clone(),
            pool,
            source,
        }
    };
    Ok(RegionPools {
        ipv4: Ipv4Pool::new(region_cidr(region)?).map_err(failed("ipv4"))?,
        phone_first: region.phone_first,
        phones: IndexPool::new(region.phone_count).map_err(failed("phone"))?,
        multicast_vlan: region.multicast_vlan,
        multicast: IndexPool::new(region.multicast_members_max).map_err(failed("multicast"))?,
        free_onu_ports: FreePorts::default(),
        free_dslams: FreePorts::default(),
    })
}

/// The element `element`, if it exists, is of `kind`, is in `region` (when given) and is up.
fn check_element<'t>(
    topology: &'t Topology,
    element: ElementId,
    kind: ElementKind,
    region: Option<RegionId>,
    down: &BTreeSet<ElementId>,
) -> Result<&'t Element, ElementError> {
    let found = topology
        .element(element)
        .filter(|found| found.kind == kind)
        .filter(|found| region.is_none_or(|region| found.region == region))
        .ok_or_else(|| {
            element_error(
                ElementErrorKind::InvalidRequest,
                format!("no {kind:?} {} in the region asked for", element.0),
            )
        })?;
    if down.contains(&element) {
        return Err(element_error(
            ElementErrorKind::ElementDown,
            format!("{} is down", found.name),
        ));
    }
    Ok(found)
}

/// The first port with room on an element that is up; none at all is `Ok(None)` (exhausted),
/// room only on elements that are down is `ElementDown`.
fn pick(
    free: &FreePorts,
    is_down: impl Fn(ElementId) -> bool,
) -> Result<Option<(ElementId, u16)>, ElementError> {
    match free.first(is_down) {
        Some(port) => Ok(Some(port)),
        None if free.is_empty() => Ok(None),
        None => Err(element_error(
            ElementErrorKind::ElementDown,
            "every element with room is down",
        )),
    }
}

fn exhausted(what: &str, topology: &Topology, region: RegionId) -> ElementError {
    element_error(
        ElementErrorKind::Exhausted,
        format!("no free {what} in {}", topology.region_name(region)),
    )
}

fn pool_failure(request: &AllocationRequest, error: &PoolError) -> ElementError {
    match error {
        PoolError::Exhausted { capacity } => element_error(
            ElementErrorKind::Exhausted,
            format!("pool exhausted ({capacity} allocated) for {request:?}"),
        ),
        other => internal(&format!("{request:?}: {other}")),
    }
}

/// A retried allocation: the held value if it answers the same request, else a refusal.
fn same_request(
    element_regions: &[RegionId],
    allocation: AllocationId,
    request: &AllocationRequest,
    held: ResourceValue,
) -> Result<ResourceValue, ElementError> {
    let region_of = |element: ElementId| {
        usize::try_from(element.0)
            .ok()
            .and_then(|index| element_regions.get(index))
            .copied()
    };
    let same = match (request.clone(), held) {
        (
            AllocationRequest::OnuSlot { region, olt },
            ResourceValue::OnuSlot { olt: held_olt, .. },
        ) => region_of(held_olt) == Some(region) && olt.is_none_or(|olt| olt == held_olt),
        (
            AllocationRequest::VlanPair { olt, pon_port },
            ResourceValue::VlanPair {
                olt: held_olt,
                pon_port: held_port,
                ..
            },
        ) => (olt, pon_port) == (held_olt, held_port),
        (AllocationRequest::DslamPort { region }, ResourceValue::DslamPort { dslam, .. }) => {
            region_of(dslam) == Some(region)
        }
        (
            AllocationRequest::Ipv4Address { region },
            ResourceValue::Ipv4Address { region: held, .. },
        )
        | (
            AllocationRequest::MulticastVlan { region },
            ResourceValue::MulticastVlan { region: held, .. },
        )
        | (
            AllocationRequest::PhoneNumber { region },
            ResourceValue::PhoneNumber { region: held, .. },
        ) => region == held,
        _ => false,
    };
    if same {
        Ok(held)
    } else {
        Err(element_error(
            ElementErrorKind::InvalidRequest,
            format!("{allocation} already holds {held:?}, not a {request:?}"),
        ))
    }
}

fn internal(what: &str) -> ElementError {
    debug_assert!(false, "network resources: {what}");
    element_error(ElementErrorKind::Failed, format!("internal error: {what}"))
}

impl Resources {
    /// Every pool, in a fixed order: per element (per PON port for OLTs), then per region.
    fn pools(&self) -> Vec<PoolRef> {
        let mut pools = Vec::new();
        for (index, element) in self.elements.iter().enumerate() {
            let id = ElementId(u32::try_from(index).unwrap_or(u32::MAX));
            match element {
                ElementPools::Olt { onus, .. } => {
                    for port in 0..u16::try_from(onus.len()).unwrap_or(u16::MAX) {
                        pools.push(PoolRef::Onu(id, port));
                        pools.push(PoolRef::CVlan(id, port));
                    }
                }
                ElementPools::Dslam { .. } => pools.push(PoolRef::Dslam(id)),
            }
        }
        for index in 0..self.regions.len() {
            let id = RegionId(u16::try_from(index).unwrap_or(u16::MAX));
            pools.extend([
                PoolRef::Ipv4(id),
                PoolRef::Multicast(id),
                PoolRef::Phone(id),
            ]);
        }
        pools
    }

    /// Counts of every pool (`per_port`: each PON port apart; else summed per OLT).
    pub(crate) fn pool_stats(&self, topology: &Topology, per_port: bool) -> Vec<PoolStats> {
        let mut stats: Vec<PoolStats> = Vec::new();
        for pool in self.pools() {
            let Some(indices) = self.indices(pool) else {
                continue;
            };
            let name = pool.name(topology, per_port);
            let (capacity, allocated) = (indices.capacity().into(), indices.allocated().into());
            // Pools of one group are adjacent except ONU/C-VLAN, which alternate per port.
            let group = stats
                .iter_mut()
                .rev()
                .take(2)
                .find(|stat| stat.name == name);
            match group {
                Some(stat) => {
                    stat.capacity += capacity;
                    stat.allocated += allocated;
                    stat.free = stat.capacity - stat.allocated;
                }
                None => stats.push(PoolStats {
                    name,
                    kind: pool.kind(),
                    capacity,
                    allocated,
                    free: capacity - allocated,
                }),
            }
        }
        stats
    }

    /// Every inconsistency found: pool bookkeeping, a value held twice, a holding its pool
    /// says is free, pool counts that differ from the holdings, "ports with room" sets out of
    /// step. Empty when all is well.
    pub(crate) fn check_invariants(&self, topology: &Topology) -> Vec<String> {
        let mut violations = Vec::new();
        let mut holders: BTreeMap<ResourceValue, AllocationId> = BTreeMap::new();
        let mut held_per_pool: BTreeMap<PoolRef, u64> = BTreeMap::new();
        for (&allocation, value) in &self.allocations {
            if let Some(other) = holders.insert(*value, allocation) {
                violations.push(format!(
                    "{value:?} is held by both {other} and {allocation}"
                ));
            }
            match self.locate(value) {
                Some((pool, index))
                    if self.indices(pool).is_some_and(|p| p.is_allocated(index)) =>
                {
                    *held_per_pool.entry(pool).or_default() += 1;
                }
                Some(_) => {
                    violations.push(format!("{allocation} holds {value:?}, free in its pool"))
                }
                None => violations.push(format!("{allocation} holds {value:?}, in no pool")),
            }
        }
        self.check_reserved(&holders, &mut held_per_pool, &mut violations);
        for pool in self.pools() {
            let Some(indices) = self.indices(pool) else {
                violations.push(format!("{}: pool missing", pool.name(topology, true)));
                continue;
            };
            if let Err(error) = indices.check() {
                violations.push(format!("{}: {error}", pool.name(topology, true)));
            }
            let held = held_per_pool.get(&pool).copied().unwrap_or(0);
            if held != u64::from(indices.allocated()) {
                violations.push(format!(
                    "{}: {} allocated but {held} held",
                    pool.name(topology, true),
                    indices.allocated()
                ));
            }
            if !self.free_set_agrees(pool, indices.free() > 0) {
                violations.push(format!(
                    "{}: the ports-with-room set disagrees with {} free",
                    pool.name(topology, true),
                    indices.free()
                ));
            }
        }
        if violations.len() > VIOLATIONS_SHOWN_MAX {
            let more = violations.len() - VIOLATIONS_SHOWN_MAX;
            violations.truncate(VIOLATIONS_SHOWN_MAX);
            violations.push(format!("... and {more} more"));
        }
        violations
    }

    /// Entries taken by pool-pressure faults: each allocated in its pool, taken once, held
    /// by no allocation; counted with the holdings of its pool.
    fn check_reserved(
        &self,
        holders: &BTreeMap<ResourceValue, AllocationId>,
        held_per_pool: &mut BTreeMap<PoolRef, u64>,
        violations: &mut Vec<String>,
    ) {
        let mut seen: BTreeSet<(PoolRef, u32)> = BTreeSet::new();
        for (owner, pool, index) in self.reserved() {
            if !seen.insert((pool, index)) {
                violations.push(format!("{pool:?}/{index} is taken twice by pool pressure"));
            }
            if let Some(holder) = self.value(pool, index).and_then(|v| holders.get(&v)) {
                violations.push(format!(
                    "{pool:?}/{index} is held by {holder} and taken by fault {owner}"
                ));
            }
            if self.indices(pool).is_some_and(|p| p.is_allocated(index)) {
                *held_per_pool.entry(pool).or_default() += 1;
            } else {
                violations.push(format!(
                    "fault {owner} holds {pool:?}/{index}, free in its pool"
                ));
            }
        }
    }

    fn free_set_agrees(&self, pool: PoolRef, has_free: bool) -> bool {
        let region = pool
            .element()
            .and_then(|element| self.region_of(element))
            .and_then(|region| self.regions.get(usize::from(region.0)));
        match (pool, region) {
            (PoolRef::Onu(element, port), Some(pools)) => {
                pools.free_onu_ports.contains(element, port) == has_free
            }
            (PoolRef::Dslam(element), Some(pools)) => {
                pools.free_dslams.contains(element, 0) == has_free
            }
            (PoolRef::Onu(..) | PoolRef::Dslam(_), None) => false,
            _ => true,
        }
    }
}
