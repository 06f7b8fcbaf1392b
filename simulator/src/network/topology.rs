//! The network's elements and regions, built once from the scenario and then read-only.
//!
//! Elements and regions are named in the scenario (`olt-north-1`) and numbered inside the core
//! ([`ElementId`], [`RegionId`]) so resources stay small; the names come back on the wire.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::config::{DslamConfig, NetworkConfig, OltConfig, RegionConfig};
use crate::network::pool::{
    CidrError, Ipv4Cidr, Ipv4Pool, POOL_CAPACITY_MAX, PoolError, VLAN_ID_MAX, is_valid_vlan,
};

/// Most PON ports per OLT and ONU slots per PON port accepted (GPON itself: 16 × 128).
pub const OLT_PORTS_MAX: u16 = 256;

/// Most ONU slots per PON port accepted.
pub const ONUS_PER_PORT_MAX: u16 = 256;

/// Most regions a network may have.
pub const REGIONS_MAX: usize = 1_024;

/// Most elements (OLTs and DSLAMs) a network may have.
pub const ELEMENTS_MAX: usize = 65_536;

/// A region (an IPv4 pool, a phone range, a multicast VLAN, and its OLTs and DSLAMs).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RegionId(pub u16);

/// An element (OLT or DSLAM).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ElementId(pub u32);

/// What kind of element.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ElementKind {
    /// A GPON OLT.
    Olt,
    /// A DSLAM.
    Dslam,
}

/// One element as configured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Element {
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: ElementKind,
    /// Its region.
    pub region: RegionId,
    /// OLT: PON ports; DSLAM: subscriber ports.
    pub ports: u16,
    /// OLT: ONU slots per PON port; DSLAM: 1.
    pub slots_per_port: u16,
}

/// One region as configured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Region {
    /// Its name.
    pub name: String,
    /// Its elements.
    pub elements: Vec<ElementId>,
}

/// Every element and region, by id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Topology {
    /// Regions, indexed by `RegionId.0`.
    pub regions: Vec<Region>,
    /// Elements, indexed by `ElementId.0`.
    pub elements: Vec<Element>,
}

/// A network configuration that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopologyError {
    /// A region or element has an empty name.
    #[error("a region or element has an empty name")]
    EmptyName,
    /// Two regions, or two elements, share a name.
    #[error("the name `{name}` is used twice")]
    DuplicateName {
        /// The name.
        name: String,
    },
    /// More regions or elements than the limits allow.
    #[error("{what}: {count} is more than the maximum {max}")]
    TooMany {
        /// Regions or elements.
        what: &'static str,
        /// How many were configured.
        count: usize,
        /// The maximum.
        max: usize,
    },
    /// A port or slot count is out of range.
    #[error("{element}: {what} = {value} is outside 1..={max}")]
    CountOutOfRange {
        /// The element.
        element: String,
        /// Which count.
        what: &'static str,
        /// Its value.
        value: u32,
        /// The largest accepted.
        max: u32,
    },
    /// An OLT's S-VLANs (`s_vlan_first + port`) leave 1..=4094.
    #[error("{element}: S-VLANs {first}..={last} are outside 1..=4094")]
    SVlanOutOfRange {
        /// The OLT.
        element: String,
        /// Its first S-VLAN.
        first: u16,
        /// Its last S-VLAN.
        last: u32,
    },
    /// A region's multicast VLAN is outside 1..=4094.
    #[error("{region}: multicast VLAN {vlan} is outside 1..=4094")]
    MulticastVlanOutOfRange {
        /// The region.
        region: String,
        /// The VLAN.
        vlan: u16,
    },
    /// A region's CIDR does not parse.
    #[error("{region}: {source}")]
    Cidr {
        /// The region.
        region: String,
        /// Why.
        source: CidrError,
    },
    /// A region's pool is too large.
    #[error("{region}: {pool} pool: {source}")]
    Pool {
        /// The region.
        region: String,
        /// Which pool.
        pool: &'static str,
        /// Why.
        source: PoolError,
    },
    /// A region's phone range runs past the largest number.
    #[error("{region}: phone range {first} + {count} overflows")]
    PhoneRangeOverflow {
        /// The region.
        region: String,
        /// First number.
        first: u64,
        /// How many.
        count: u32,
    },
}

impl Topology {
    /// Builds and validates the topology: names non-empty and unique (regions among regions,
    /// elements among elements), counts in range, S-VLANs and multicast VLANs in 1..=4094,
    /// CIDRs valid, every pool at most [`POOL_CAPACITY_MAX`] entries. Elements are numbered
    /// region by region, OLTs before DSLAMs, in configuration order.
    pub fn from_config(config: &NetworkConfig) -> Result<Topology, TopologyError> {
        if config.regions.len() > REGIONS_MAX {
            return Err(TopologyError::TooMany {
                what: "regions",
                count: config.regions.len(),
                max: REGIONS_MAX,
            });
        }
        let mut topology = Topology::default();
        let mut region_names = BTreeSet::new();
        let mut element_names = BTreeSet::new();
        for (index, region) in config.regions.iter().enumerate() {
            validate_region(region)?;
            unique_name(&mut region_names, &region.name)?;
            let id = RegionId(u16::try_from(index).unwrap_or(u16::MAX));
            let mut elements = Vec::new();
            let olts = region.olts.iter().map(olt_element);
            let dslams = region.dslams.iter().map(dslam_element);
            for element in olts.chain(dslams) {
                let mut element = element?;
                unique_name(&mut element_names, &element.name)?;
                if topology.elements.len() >= ELEMENTS_MAX {
                    return Err(TopologyError::TooMany {
                        what: "elements",
                        count: topology.elements.len() + 1,
                        max: ELEMENTS_MAX,
                    });
                }
                element.region = id;
                elements.push(ElementId(topology.elements.len() as u32));
                topology.elements.push(element);
            }
            topology.regions.push(Region {
                name: region.name.clone(),
                elements,
            });
        }
        Ok(topology)
    }

    /// The element `id`, if it exists.
    pub fn element(&self, id: ElementId) -> Option<&Element> {
        usize::try_from(id.0)
            .ok()
            .and_then(|index| self.elements.get(index))
    }

    /// The region `id`, if it exists.
    pub fn region(&self, id: RegionId) -> Option<&Region> {
        self.regions.get(usize::from(id.0))
    }

    /// The region named `name`.
    pub fn region_by_name(&self, name: &str) -> Option<RegionId> {
        let index = self.regions.iter().position(|region| region.name == name)?;
        u16::try_from(index).ok().map(RegionId)
    }

    /// The element named `name`.
    pub fn element_by_name(&self, name: &str) -> Option<ElementId> {
        let index = self
            .elements
            .iter()
            .position(|element| element.name == name)?;
        u32::try_from(index).ok().map(ElementId)
    }

    /// The region's name.
    pub fn region_name(&self, region: RegionId) -> &str {
        self.regions
            .get(usize::from(region.0))
            .map_or("?", |region| region.name.as_str())
    }

    /// The element's name.
    pub fn element_name(&self, element: ElementId) -> &str {
        usize::try_from(element.0)
            .ok()
            .and_then(|index| self.elements.get(index))
            .map_or("?", |element| element.name.as_str())
    }
}

fn unique_name(seen: &mut BTreeSet<String>, name: &str) -> Result<(), TopologyError> {
    if name.is_empty() {
        return Err(TopologyError::EmptyName);
    }
    if !seen.insert(name.to_string()) {
        return Err(TopologyError::DuplicateName {
            name: name.to_string(),
        });
    }
    Ok(())
}

fn count_in_range(
    element: &str,
    what: &'static str,
    value: u32,
    max: u32,
) -> Result<(), TopologyError> {
    if (1..=max).contains(&value) {
        Ok(())
    } else {
        Err(TopologyError::CountOutOfRange {
            element: element.to_string(),
            what,
            value,
            max,
        })
    }
}

fn olt_element(olt: &OltConfig) -> Result<Element, TopologyError> {
    count_in_range(
        &olt.name,
        "pon_ports",
        olt.pon_ports.into(),
        OLT_PORTS_MAX.into(),
    )?;
    count_in_range(
        &olt.name,
        "onus_per_port",
        olt.onus_per_port.into(),
        ONUS_PER_PORT_MAX.into(),
    )?;
    let last = u32::from(olt.s_vlan_first) + u32::from(olt.pon_ports) - 1;
    if !is_valid_vlan(olt.s_vlan_first) || last > u32::from(VLAN_ID_MAX) {
        return Err(TopologyError::SVlanOutOfRange {
            element: olt.name.clone(),
            first: olt.s_vlan_first,
            last,
        });
    }
    Ok(Element {
        name: olt.name.clone(),
        kind: ElementKind::Olt,
        region: RegionId(0),
        ports: olt.pon_ports,
        slots_per_port: olt.onus_per_port,
    })
}

fn dslam_element(dslam: &DslamConfig) -> Result<Element, TopologyError> {
    count_in_range(&dslam.name, "ports", dslam.ports.into(), u16::MAX.into())?;
    Ok(Element {
        name: dslam.name.clone(),
        kind: ElementKind::Dslam,
        region: RegionId(0),
        ports: dslam.ports,
        slots_per_port: 1,
    })
}

fn validate_region(region: &RegionConfig) -> Result<(), TopologyError> {
    let name = || region.name.clone();
    let cidr = region_cidr(region)?;
    Ipv4Pool::new(cidr).map_err(|source| TopologyError::Pool {
        region: name(),
        pool: "ipv4",
        source,
    })?;
    if !is_valid_vlan(region.multicast_vlan) {
        return Err(TopologyError::MulticastVlanOutOfRange {
            region: name(),
            vlan: region.multicast_vlan,
        });
    }
    for (pool, capacity) in [
        ("phone", region.phone_count),
        ("multicast", region.multicast_members_max),
    ] {
        if capacity > POOL_CAPACITY_MAX {
            return Err(TopologyError::Pool {
                region: name(),
                pool,
                source: PoolError::TooLarge {
                    capacity: capacity.into(),
                    max: POOL_CAPACITY_MAX,
                },
            });
        }
    }
    if region
        .phone_first
        .checked_add(u64::from(region.phone_count))
        .is_none()
    {
        return Err(TopologyError::PhoneRangeOverflow {
            region: name(),
            first: region.phone_first,
            count: region.phone_count,
        });
    }
    Ok(())
}

/// The region's IPv4 CIDR, parsed.
pub fn region_cidr(region: &RegionConfig) -> Result<Ipv4Cidr, TopologyError> {
    region
        .ipv4_cidr
        .parse()
        .map_err(|source| TopologyError::Cidr {
            region: region.name.clone(),
            source,
        })
}

/// A region with `olts` OLTs of `pon_ports` × `onus_per_port`, no DSLAM, and pools large
/// enough for every ONU.
fn olt_region(name: &str, olts: u16, pon_ports: u16, onus_per_port: u16) -> RegionConfig {
    RegionConfig {
        name: name.to_string(),
        ipv4_cidr: "10.0.0.0/16".to_string(),
        phone_first: 3_120_000_000,
        phone_count: 100_000,
        multicast_vlan: 4_000,
        multicast_members_max: 100_000,
        olts: (1..=olts)
            .map(|n| OltConfig {
                name: format!("olt-{name}-{n}"),
                pon_ports,
                onus_per_port,
                s_vlan_first: 100,
            })
            .collect(),
        dslams: Vec::new(),
    }
}

/// The VOLTHA scale topology 2×16×32: two OLTs of 16 PON ports with 32 ONUs each (1,024
/// ONUs) in region `north`.
pub fn voltha_2x16x32() -> NetworkConfig {
    NetworkConfig {
        regions: vec![olt_region("north", 2, 16, 32)],
    }
}

/// The VOLTHA scale topology 1×64×63: one OLT of 64 PON ports with 63 ONUs each (4,032
/// ONUs) in region `north`.
pub fn voltha_1x64x63() -> NetworkConfig {
    NetworkConfig {
        regions: vec![olt_region("north", 1, 64, 63)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_builds() {
        let topology = Topology::from_config(&NetworkConfig::default()).expect("valid default");
        assert_eq!(topology.regions.len(), 1);
        assert_eq!(topology.elements.len(), 2);
        assert_eq!(topology.element_by_name("olt-north-1"), Some(ElementId(0)));
        assert_eq!(
            topology.element_by_name("dslam-north-1"),
            Some(ElementId(1))
        );
        assert_eq!(topology.region_by_name("north"), Some(RegionId(0)));
        assert_eq!(topology.elements[1].kind, ElementKind::Dslam);
    }

    #[test]
    fn voltha_presets_have_their_scale() {
        let small = Topology::from_config(&voltha_2x16x32()).expect("valid preset");
        let onus: u32 = small
            .elements
            .iter()
            .map(|e| u32::from(e.ports) * u32::from(e.slots_per_port))
            .sum();
        assert_eq!((small.elements.len(), onus), (2, 1_024));
        let large = Topology::from_config(&voltha_1x64x63()).expect("valid preset");
        assert_eq!(
            (
                large.elements.len(),
                large.elements[0].ports,
                large.elements[0].slots_per_port
            ),
            (1, 64, 63)
        );
    }

    fn with_region(edit: impl FnOnce(&mut RegionConfig)) -> Result<Topology, TopologyError> {
        let mut config = NetworkConfig::default();
        edit(&mut config.regions[0]);
        Topology::from_config(&config)
    }

    type Edit = Box<dyn FnOnce(&mut RegionConfig)>;

    #[test]
    fn invalid_configs_are_refused() {
        let cases: Vec<(&str, Edit)> = vec![
            ("zero ports", Box::new(|r| r.olts[0].pon_ports = 0)),
            ("too many onus", Box::new(|r| r.olts[0].onus_per_port = 257)),
            ("s-vlan 0", Box::new(|r| r.olts[0].s_vlan_first = 0)),
            (
                "s-vlans past 4094",
                Box::new(|r| r.olts[0].s_vlan_first = 4_080),
            ),
            ("dslam without ports", Box::new(|r| r.dslams[0].ports = 0)),
            ("bad cidr", Box::new(|r| r.ipv4_cidr = "10.0.0.0/33".into())),
            ("huge cidr", Box::new(|r| r.ipv4_cidr = "10.0.0.0/7".into())),
            ("multicast 4095", Box::new(|r| r.multicast_vlan = 4_095)),
            ("phone overflow", Box::new(|r| r.phone_first = u64::MAX)),
            (
                "phone too many",
                Box::new(|r| r.phone_count = POOL_CAPACITY_MAX + 1),
            ),
            (
                "duplicate element",
                Box::new(|r| r.dslams[0].name = "olt-north-1".into()),
            ),
            ("empty name", Box::new(|r| r.name = String::new())),
        ];
        for (case, edit) in cases {
            assert!(with_region(edit).is_err(), "{case} accepted");
        }
        let mut twice = NetworkConfig::default();
        twice.regions.push(twice.regions[0].clone());
        assert!(matches!(
            Topology::from_config(&twice),
            Err(TopologyError::DuplicateName { .. })
        ));
    }
}
