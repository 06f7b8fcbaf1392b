//! The product catalog (TMF620), service catalog (TMF633) and resource catalog (TMF634).
//!
//! The catalog is configuration: it comes from the scenario (or the built-in one), is validated
//! once, and is then read-only and shared by every layer (`Arc<Catalog>`). It says how a
//! product offering decomposes: offering → product specification → CFS → RFS → resource
//! specifications. See `decompose` for the walk.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// The catalog as written in a scenario (`[catalog]`); empty means the built-in one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CatalogConfig {
    /// TMF620 product offerings.
    pub offerings: Vec<ProductOffering>,
    /// TMF620 product specifications.
    pub product_specifications: Vec<ProductSpecification>,
    /// TMF633 service specifications (CFS and RFS).
    pub service_specifications: Vec<ServiceSpecification>,
    /// TMF634 resource specifications.
    pub resource_specifications: Vec<ResourceSpecification>,
}

/// A TMF620 product offering.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductOffering {
    /// Its id, as `productOffering.id` in an order.
    pub id: Arc<str>,
    /// Its name.
    pub name: String,
    /// The product specification it sells.
    pub product_specification: Arc<str>,
    /// Whether it can be ordered alone (false for add-ons such as IPTV, which need broadband).
    #[serde(default = "yes")]
    pub is_sellable_alone: bool,
}

const fn yes() -> bool {
    true
}

/// A TMF620 product specification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductSpecification {
    /// Its id.
    pub id: Arc<str>,
    /// Its name.
    pub name: String,
    /// The CFS specifications realising it.
    pub services: Vec<Arc<str>>,
}

/// Customer-facing or resource-facing.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ServiceCategory {
    /// Customer-facing service.
    Cfs,
    /// Resource-facing service.
    Rfs,
}

/// A TMF633 service specification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpecification {
    /// Its id.
    pub id: Arc<str>,
    /// Its name.
    pub name: String,
    /// CFS or RFS.
    pub category: ServiceCategory,
    /// CFS: the RFS specifications supporting it. RFS: empty.
    #[serde(default)]
    pub services: Vec<Arc<str>>,
    /// RFS: the resource specifications it needs, in allocation order. CFS: empty.
    #[serde(default)]
    pub resources: Vec<Arc<str>>,
}

/// What a resource specification allocates.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ResourceKind {
    /// An ONU slot on a PON port.
    OnuSlot,
    /// An S-VLAN/C-VLAN pair on the ONU's PON port (needs an ONU slot earlier in the RFS).
    VlanPair,
    /// An IPv4 address from the region's pool.
    Ipv4Address,
    /// A DSLAM port.
    DslamPort,
    /// Membership of the region's multicast VLAN.
    MulticastVlan,
    /// A telephone number.
    PhoneNumber,
}

/// A TMF634 resource specification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceSpecification {
    /// Its id.
    pub id: Arc<str>,
    /// Its name.
    pub name: String,
    /// What it allocates.
    pub kind: ResourceKind,
}

/// A validated catalog with lookups by id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Catalog {
    /// Offerings by id.
    pub offerings: BTreeMap<Arc<str>, ProductOffering>,
    /// Product specifications by id.
    pub product_specifications: BTreeMap<Arc<str>, ProductSpecification>,
    /// Service specifications by id.
    pub service_specifications: BTreeMap<Arc<str>, ServiceSpecification>,
    /// Resource specifications by id.
    pub resource_specifications: BTreeMap<Arc<str>, ResourceSpecification>,
}

/// A catalog that does not hang together.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("catalog: {0}")]
pub struct CatalogError(pub String);
