//! The simulated access network: OLTs (PON ports × ONU slots), DSLAMs, VLAN pools, IPv4 and
//! phone-number pools, and the element operations the chain performs on them.
//!
//! This file is the network's contract with the rest of the chain: what can be asked
//! ([`ElementOperation`]) and what comes back ([`ElementReply`]). Every operation has a
//! [`profile::OperationProfile`] (latency distribution, failure, timeout and reply-lost
//! probabilities), drawn from the layer's seeded RNG. A reply is sent back to the caller after
//! the sampled latency; a timed-out call gets no reply at all, so callers keep their own
//! timeout. Allocation is O(1)/O(log n), and exhaustion is a typed failure.
//!
//! Modules: `pool` (the allocators), `profile` (latency distributions and operation
//! profiles), `topology` (elements, regions and their names), `layer` (the state machine),
//! `faults` (injected faults as data, and their judgement of each operation), `resources`
//! (private: the pools of every element and region and who holds what).

pub mod faults;
pub mod layer;
pub mod pool;
pub mod profile;
pub mod topology;

mod resources;

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::domain::ids::{ActivationId, AllocationId, OperationId};
use crate::layers::{LayerId, ReplyToken};

pub use faults::{Fault, FaultError, FaultKind, FaultSpec, FaultStatus, PutOutcome, TargetSpec};

pub use layer::NetworkLayer;
pub use layer::{ElementServices, NetworkConfigError, OperationOutcome};
pub use pool::{PoolKind, PoolStats};
pub use topology::{ElementId, RegionId, Topology};

/// Input of the network layer.
#[derive(Debug, Clone)]
pub enum NetworkInput {
    /// An operation on an element or pool; the reply goes to `reply_to`.
    Request(ElementRequest),
    /// Put, remove or reset faults, in order with the operations: the only way faults
    /// change. With `reply_to`, the outcome comes back as a [`crate::layers::Reply::Faults`];
    /// without, a refusal is only counted.
    Faults {
        /// The change.
        command: FaultCommand,
        /// Who waits for the outcome.
        reply_to: Option<ReplyToken>,
    },
    /// A restarted ROM reconciles: answer with every allocation held and its value (all are
    /// ROM's), as
    /// [`RomInput::NetworkAllocations`](crate::layers::rom::RomInput::NetworkAllocations).
    ListAllocations {
        /// Who asks (only ROM allocates; an answer to anyone else is dropped).
        reply_to: crate::layers::LayerId,
    },
    /// A restarted activation layer reconciles: answer with every service configured on an
    /// element, as [`ActivationInput::ElementServices`](crate::layers::activation::ActivationInput::ElementServices).
    ListServices {
        /// Who asks (only activation configures; an answer to anyone else is dropped).
        reply_to: crate::layers::LayerId,
    },
}

/// A change to the network's faults.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultCommand {
    /// Create the fault, or replace the one of the same name.
    Put(Box<Fault>),
    /// Create the fault; refused when one of the same name exists.
    Create(Box<Fault>),
    /// Replace every fault with these (all checked first: a bad one changes nothing).
    ReplaceAll(Vec<Fault>),
    /// Remove the fault of this name.
    Remove(String),
    /// Remove every fault.
    Reset,
}

/// What a fault command did.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultAnswer {
    /// The fault was created or replaced.
    Put {
        /// Created or replaced.
        outcome: PutOutcome,
        /// The fault as listed right after.
        status: Box<FaultStatus>,
    },
    /// Every fault was replaced.
    Replaced,
    /// This many faults were removed.
    Removed(usize),
}

/// Why a fault command was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultRefusal {
    /// The fault itself is refused.
    #[error(transparent)]
    Fault(#[from] FaultError),
    /// A create named a fault that exists.
    #[error("a fault named `{name}` exists; PUT /admin/faults/{name} replaces it")]
    Exists {
        /// The name.
        name: String,
    },
    /// One fault of a whole set is refused.
    #[error("fault [{index}]: {error}")]
    Entry {
        /// Its position in the set.
        index: usize,
        /// Why.
        error: FaultError,
    },
    /// A whole set is larger than the network holds.
    #[error("{count} faults; the network holds at most {limit}")]
    TooMany {
        /// Faults in the set.
        count: usize,
        /// The most the network holds.
        limit: usize,
    },
}

/// One element operation, named by the caller.
#[derive(Debug, Clone)]
pub struct ElementRequest {
    /// Names the operation in the reply (the caller matches replies and timeouts by it).
    pub operation_id: OperationId,
    /// Which layer gets the reply.
    pub reply_to: LayerId,
    /// What to do.
    pub operation: ElementOperation,
}

/// The operation kinds a profile (or a fault) is set for.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OperationKind {
    /// Take a resource from a pool.
    Allocate,
    /// Give it back.
    Release,
    /// Push configuration for a service to an element.
    Configure,
    /// Turn a configured service on.
    Activate,
    /// Turn it off.
    Deactivate,
}

/// What an element is asked to do.
#[derive(Debug, Clone, PartialEq)]
pub enum ElementOperation {
    /// Take a resource; `allocation` names what is held so it can be released later, even
    /// when this call's reply never arrives.
    Allocate {
        /// The caller's name for the holding.
        allocation: AllocationId,
        /// What to take.
        request: AllocationRequest,
    },
    /// Release whatever `allocation` holds (idempotent: releasing nothing is fine).
    Release {
        /// The holding to give back.
        allocation: AllocationId,
    },
    /// Configure `service` on `element`.
    Configure {
        /// The element.
        element: ElementId,
        /// The TMF640 service being configured.
        service: ActivationId,
    },
    /// Activate `service` on `element`.
    Activate {
        /// The element.
        element: ElementId,
        /// The TMF640 service.
        service: ActivationId,
    },
    /// Deactivate `service` on `element` (idempotent).
    Deactivate {
        /// The element.
        element: ElementId,
        /// The TMF640 service.
        service: ActivationId,
    },
}

impl OperationKind {
    /// Every kind, in declaration order.
    pub const ALL: [OperationKind; 5] = [
        OperationKind::Allocate,
        OperationKind::Release,
        OperationKind::Configure,
        OperationKind::Activate,
        OperationKind::Deactivate,
    ];

    /// Lower-case name, as in profiles and metric labels.
    pub const fn as_str(self) -> &'static str {
        match self {
            OperationKind::Allocate => "allocate",
            OperationKind::Release => "release",
            OperationKind::Configure => "configure",
            OperationKind::Activate => "activate",
            OperationKind::Deactivate => "deactivate",
        }
    }
}

impl ElementOperation {
    /// The operation's kind (selects its profile).
    pub fn kind(&self) -> OperationKind {
        match self {
            ElementOperation::Allocate { .. } => OperationKind::Allocate,
            ElementOperation::Release { .. } => OperationKind::Release,
            ElementOperation::Configure { .. } => OperationKind::Configure,
            ElementOperation::Activate { .. } => OperationKind::Activate,
            ElementOperation::Deactivate { .. } => OperationKind::Deactivate,
        }
    }
}

/// What to allocate. Its serde shape is also the HTTP transport's wire shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum AllocationRequest {
    /// An ONU slot on a PON port of an OLT in `region` (on `olt` if given).
    OnuSlot {
        /// The subscriber's region.
        region: RegionId,
        /// The subscriber's OLT, if the order names one.
        olt: Option<ElementId>,
    },
    /// An S-VLAN/C-VLAN pair on a PON port: the S-VLAN is the port's, the C-VLAN unique in it.
    VlanPair {
        /// The OLT.
        olt: ElementId,
        /// The PON port (0-based).
        pon_port: u16,
    },
    /// An IPv4 address from the region's pool.
    Ipv4Address {
        /// The region.
        region: RegionId,
    },
    /// A port on a DSLAM in `region`.
    DslamPort {
        /// The region.
        region: RegionId,
    },
    /// Membership of the region's IPTV multicast VLAN.
    MulticastVlan {
        /// The region.
        region: RegionId,
    },
    /// A telephone number from the region's range (VoIP).
    PhoneNumber {
        /// The region.
        region: RegionId,
    },
}

/// A resource as allocated. Its serde shape is also the HTTP transport's wire shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum ResourceValue {
    /// An ONU slot.
    OnuSlot {
        /// The OLT.
        olt: ElementId,
        /// The PON port (0-based).
        pon_port: u16,
        /// The ONU id on the port (0-based).
        onu: u16,
    },
    /// An S-VLAN/C-VLAN pair.
    VlanPair {
        /// The OLT.
        olt: ElementId,
        /// The PON port.
        pon_port: u16,
        /// The outer tag (one per PON port).
        s_vlan: u16,
        /// The inner tag (unique within the S-VLAN).
        c_vlan: u16,
    },
    /// An IPv4 address.
    Ipv4Address {
        /// The region whose pool it came from.
        region: RegionId,
        /// The address.
        address: Ipv4Addr,
    },
    /// A DSLAM port.
    DslamPort {
        /// The DSLAM.
        dslam: ElementId,
        /// The port (0-based).
        port: u16,
    },
    /// Membership of a multicast VLAN.
    MulticastVlan {
        /// The region.
        region: RegionId,
        /// The VLAN id.
        vlan: u16,
        /// The member slot (bounded per region).
        member: u32,
    },
    /// A telephone number.
    PhoneNumber {
        /// The region.
        region: RegionId,
        /// The number.
        number: u64,
    },
}

impl ResourceValue {
    /// What it is.
    pub fn kind(&self) -> crate::domain::catalog::ResourceKind {
        use crate::domain::catalog::ResourceKind;
        match self {
            ResourceValue::OnuSlot { .. } => ResourceKind::OnuSlot,
            ResourceValue::VlanPair { .. } => ResourceKind::VlanPair,
            ResourceValue::Ipv4Address { .. } => ResourceKind::Ipv4Address,
            ResourceValue::DslamPort { .. } => ResourceKind::DslamPort,
            ResourceValue::MulticastVlan { .. } => ResourceKind::MulticastVlan,
            ResourceValue::PhoneNumber { .. } => ResourceKind::PhoneNumber,
        }
    }

    /// Its place among one TMF640 service's resources: the order in which a service's
    /// `serviceCharacteristic` is read back into values (see
    /// [`crate::tmf::service_create::parse_create`]), so that `supportingResource[i]` names the
    /// i-th value whichever side of the wire reads it.
    pub fn wire_rank(&self) -> u8 {
        match self {
            ResourceValue::OnuSlot { .. } => 0,
            ResourceValue::VlanPair { .. } => 1,
            ResourceValue::DslamPort { .. } => 2,
            ResourceValue::Ipv4Address { .. } => 3,
            ResourceValue::MulticastVlan { .. } => 4,
            ResourceValue::PhoneNumber { .. } => 5,
        }
    }

    /// The element an activation step for this resource is performed on, if any.
    pub fn element(&self) -> Option<ElementId> {
        match self {
            ResourceValue::OnuSlot { olt, .. } | ResourceValue::VlanPair { olt, .. } => Some(*olt),
            ResourceValue::DslamPort { dslam, .. } => Some(*dslam),
            _ => None,
        }
    }
}

/// The answer to an [`ElementRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct ElementReply {
    /// The request's id.
    pub operation_id: OperationId,
    /// What happened.
    pub result: Result<ElementOutcome, ElementError>,
}

/// A successful operation.
#[derive(Debug, Clone, PartialEq)]
pub enum ElementOutcome {
    /// The resource taken.
    Allocated(ResourceValue),
    /// The holding was released (or held nothing).
    Released,
    /// The service was configured.
    Configured,
    /// The service was activated.
    Activated,
    /// The service was deactivated.
    Deactivated,
}

/// A failed operation (an operating error, never a panic).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{kind:?}: {message}")]
pub struct ElementError {
    /// The class of failure.
    pub kind: ElementErrorKind,
    /// A sentence saying what failed.
    pub message: String,
}

/// Classes of element failure.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ElementErrorKind {
    /// The pool has nothing free (409-style).
    Exhausted,
    /// The element failed the operation (the profile's failure probability or a fault).
    Failed,
    /// The element is down (outage).
    ElementDown,
    /// The request names an element, port or region that does not exist.
    InvalidRequest,
}
