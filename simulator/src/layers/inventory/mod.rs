//! Inventory: TMF637 products, TMF638 services, TMF639 resources.
//!
//! The order layers record what they create here by message; the inventory never asks
//! anything back. The audit compares its resources with what the network elements hold.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::domain::catalog::{ResourceKind, ServiceCategory};
use crate::domain::ids::{
    ActivationId, AllocationId, ProductId, ProductOrderId, ResourceId, ResourceOrderId, ServiceId,
    ServiceOrderId,
};
use crate::domain::state::ServiceState;
use crate::domain::time::Time;
use crate::layers::common::Characteristics;
use crate::layers::rom::Rfs;
use crate::network::ResourceValue;

/// TMF637 `ProductStatusType`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ProductStatus {
    /// Created, not yet active.
    Created,
    /// In service.
    Active,
    /// Ceased.
    Terminated,
}

/// TMF639 `ResourceStatusType` (the subset the chain uses).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ResourceStatus {
    /// Allocated to an order in flight.
    Reserved,
    /// In use by a live service.
    Available,
    /// Released back to its pool (kept for history).
    Standby,
}

/// A TMF637 product.
#[derive(Clone, Debug, PartialEq)]
pub struct ProductRecord {
    /// Its id.
    pub id: ProductId,
    /// The offering it was bought as.
    pub offering: Arc<str>,
    /// Its status.
    pub status: ProductStatus,
    /// Characteristics.
    pub characteristics: Characteristics,
    /// The order that last changed it.
    pub order: ProductOrderId,
    /// The CFS instances realising it.
    pub services: Vec<ServiceId>,
    /// When it started.
    pub start: Time,
    /// When it was terminated.
    pub termination: Option<Time>,
}

/// A TMF638 service (CFS or RFS).
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceRecord {
    /// Its id.
    pub id: ServiceId,
    /// Its specification.
    pub specification: Arc<str>,
    /// CFS or RFS.
    pub category: ServiceCategory,
    /// Its state.
    pub state: ServiceState,
    /// The order that last changed it.
    pub order: ServiceOrderId,
    /// RFSs supporting a CFS.
    pub supporting_services: Vec<ServiceId>,
    /// Resources supporting an RFS.
    pub supporting_resources: Vec<ResourceId>,
    /// Characteristics.
    pub characteristics: Characteristics,
}

/// A TMF639 resource.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceRecord {
    /// Its id.
    pub id: ResourceId,
    /// Its specification.
    pub specification: Arc<str>,
    /// What it is.
    pub kind: ResourceKind,
    /// Its value on the network.
    pub value: ResourceValue,
    /// The network allocation holding it.
    pub allocation: AllocationId,
    /// Its status.
    pub status: ResourceStatus,
    /// The order that last changed it.
    pub order: ResourceOrderId,
    /// The TMF640 service that configures it and the RFS that service activates, once it is
    /// in service: what a restarted activation layer asks ROM for (TMF639 `relatedEntity`).
    pub activation: Option<(ActivationId, Rfs)>,
}

/// Input of the inventory: create or replace a record.
#[derive(Clone, Debug)]
pub enum InventoryInput {
    /// Put a product.
    Product(ProductRecord),
    /// Put a service.
    Service(ServiceRecord),
    /// Put a resource.
    Resource(ResourceRecord),
    /// Change a resource's status.
    ResourceStatus {
        /// The resource.
        id: ResourceId,
        /// Its new status.
        status: ResourceStatus,
        /// The TMF640 service now configuring it, when that is news.
        activation: Option<(ActivationId, Rfs)>,
    },
    /// A restarted ROM reconciles: answer with every resource not in `standby`, as
    /// [`RomInput::InventoryResources`](crate::layers::rom::RomInput::InventoryResources).
    ListResources {
        /// Who asks (only ROM records resources; an answer to anyone else is dropped).
        reply_to: crate::layers::LayerId,
    },
    /// A restarted ROM reconciles: answer with the TMF639 ids supporting every `active` RFS in
    /// TMF638 (SOM's view of what is in service), as
    /// [`RomInput::LiveResources`](crate::layers::rom::RomInput::LiveResources).
    ListLiveResources {
        /// Who asks (an answer to anyone but ROM is dropped).
        reply_to: crate::layers::LayerId,
    },
}

/// The inventories. Live records are bounded by the network's capacity; released resources
/// are kept for history up to a retention bound.
#[derive(Debug)]
pub struct InventoryLayer {
    /// Products by id.
    pub(crate) products: BTreeMap<ProductId, Box<ProductRecord>>,
    /// Services by id.
    pub(crate) services: BTreeMap<ServiceId, Box<ServiceRecord>>,
    /// Resources by id.
    pub(crate) resources: BTreeMap<ResourceId, Box<ResourceRecord>>,
    /// Bound on released resources kept for history.
    pub(crate) released: crate::layers::common::Retention<ResourceId>,
    /// Bound on terminated products kept for history.
    pub(crate) terminated_products: crate::layers::common::Retention<ProductId>,
    /// Bound on terminated services kept for history.
    pub(crate) terminated_services: crate::layers::common::Retention<ServiceId>,
}

/// Read-only access to the store for code outside the core (tests, tools): the core reads
/// the fields, everything else reads through these or [`crate::query`].
impl InventoryLayer {
    /// Products by id.
    pub fn products(&self) -> &BTreeMap<ProductId, Box<ProductRecord>> {
        &self.products
    }

    /// Services by id.
    pub fn services(&self) -> &BTreeMap<ServiceId, Box<ServiceRecord>> {
        &self.services
    }

    /// Resources by id.
    pub fn resources(&self) -> &BTreeMap<ResourceId, Box<ResourceRecord>> {
        &self.resources
    }
}

mod machine;
