//! The network's elements and regions, built once from the scenario and then read-only.
//!
//! Elements and regions are named in the scenario (`olt-north-1`) and numbered inside the core
//! ([`ElementId`], [`RegionId`]) so resources stay small; the names come back on the wire.

use serde::{Deserialize, Serialize};

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

impl Topology {
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
