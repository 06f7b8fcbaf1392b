//! ROM: the resource order layer (TMF652).
//!
//! Accepts resource orders, allocates each item's resource from the network (recording the
//! compensation, a release of the named allocation, before each forward call), then asks the
//! activation layer (TMF640) to configure and activate each RFS on its resources. Item and order
//! state follow from the element replies, timeouts and the activation's state-change events.
//! Allocated resources are recorded in the TMF639 inventory.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::{ChainMode, Limits};
use crate::domain::catalog::ResourceKind;
use crate::domain::ids::{
    ActivationId, AllocationId, CancelResourceOrderId, OperationId, ResourceId, ResourceOrderId,
    ServiceId, ServiceOrderId,
};
use crate::domain::state::{OrderState, ServiceState};
use crate::domain::time::Time;
use crate::layers::ReplyToken;
use crate::layers::common::{
    Action, CancelRequest, Characteristics, History, IllegalLog, OrderPatch, Retention, WorkerPool,
};
use crate::network::{ElementId, ElementReply, RegionId, ResourceValue};

/// A TMF652 resource order.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceOrder {
    /// Its id.
    pub id: ResourceOrderId,
    /// The client's reference (the service order id when SOM created it).
    pub external_id: Option<String>,
    /// The header attributes its client wrote or patched (`description`, `priority`, `note`,
    /// …), boxed: SOM's orders have none.
    pub header: Option<Box<crate::layers::attributes::OrderHeader>>,
    /// The service order and item it realises, if SOM created it.
    pub parent: Option<(ServiceOrderId, String)>,
    /// Current state.
    pub state: OrderState,
    /// States passed through.
    pub history: History,
    /// When it was received.
    pub order_date: Time,
    /// When it reached a terminal state.
    pub completion_date: Option<Time>,
    /// The subscriber's region.
    pub region: RegionId,
    /// The subscriber's OLT, if named.
    pub olt: Option<ElementId>,
    /// Characteristics for activation (speed, …).
    pub characteristics: Characteristics,
    /// Its items, one per resource.
    pub items: Vec<ResourceOrderItem>,
    /// The TMF640 services activating its RFSs, by RFS.
    pub activations: Vec<(Rfs, ActivationId)>,
    /// The cancel request, if one was made.
    pub cancellation: Option<CancelResourceOrderId>,
    /// Why it failed (the first thing that went wrong), once it has.
    pub failure: Option<crate::layers::failure::FailureReason>,
}

/// A TMF652 resource order item (one resource).
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceOrderItem {
    /// Its id within the order.
    pub id: String,
    /// What to do.
    pub action: Action,
    /// The resource specification.
    pub resource_specification: Arc<str>,
    /// What it allocates.
    pub kind: ResourceKind,
    /// The RFS it supports.
    pub rfs: Rfs,
    /// The allocation's name, fixed before the allocate call (the compensation handle).
    pub allocation: AllocationId,
    /// The inventory resource, once allocated.
    pub resource: Option<ResourceId>,
    /// The allocated value.
    pub value: Option<ResourceValue>,
    /// The element operation in flight, if any.
    pub operation: Option<OperationId>,
    /// Current state.
    pub state: OrderState,
    /// States passed through.
    pub history: History,
}

/// A request to create a resource order.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceOrderCreate {
    /// The client's reference.
    pub external_id: Option<String>,
    /// The header attributes a TMF652 client wrote (none for SOM's orders).
    pub header: Option<Box<crate::layers::attributes::OrderHeader>>,
    /// The service order and item, when SOM is the client.
    pub parent: Option<(ServiceOrderId, String)>,
    /// The subscriber's region.
    pub region: RegionId,
    /// The subscriber's OLT, if named.
    pub olt: Option<ElementId>,
    /// Characteristics for activation.
    pub characteristics: Characteristics,
    /// The items.
    pub items: Vec<ResourceOrderItemCreate>,
}

/// One item of a [`ResourceOrderCreate`].
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceOrderItemCreate {
    /// Its id within the order.
    pub id: String,
    /// What to do.
    pub action: Action,
    /// The resource specification.
    pub resource_specification: Arc<str>,
    /// What it allocates.
    pub kind: ResourceKind,
    /// The RFS it supports.
    pub rfs: Rfs,
    /// The existing resource, for modify and delete.
    pub resource: Option<ResourceId>,
}

/// The RFS a resource supports: its TMF638 instance when the client named one (SOM always
/// does), and its specification. A direct TMF652 client names none; its resources are then
/// grouped by specification, one TMF640 service per RFS specification.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rfs {
    /// The TMF638 service instance, if named.
    pub id: Option<ServiceId>,
    /// The RFS specification (TMF633).
    pub specification: Arc<str>,
}

/// What a TMF640 service's state-change event tells ROM.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivationSummary {
    /// The TMF640 service.
    pub id: ActivationId,
    /// The resource order that asked for it.
    pub parent: ResourceOrderId,
    /// The RFS it activates.
    pub rfs: Rfs,
    /// Its state.
    pub state: ServiceState,
    /// Why it failed, if it did.
    pub error: Option<crate::layers::failure::FailureReason>,
}

/// Input of ROM.
#[derive(Clone, Debug)]
pub enum RomInput {
    /// SOM asks for the state of the resource order realising `parent` (its deadline passed).
    Report {
        /// The service order and item.
        parent: (ServiceOrderId, String),
    },
    /// POST /resourceOrder (from SOM or a client).
    Create {
        /// Who waits for the answer, if anyone.
        reply: Option<ReplyToken>,
        /// The validated request (boxed: it is the largest input, and every message is as
        /// large as the largest).
        order: Box<ResourceOrderCreate>,
    },
    /// PATCH /resourceOrder/{id}.
    Patch {
        /// Who waits for the answer.
        reply: ReplyToken,
        /// The order.
        order: ResourceOrderId,
        /// What changes.
        patch: OrderPatch,
    },
    /// DELETE /resourceOrder/{id}: allowed for terminal orders only.
    Delete {
        /// Who waits for the answer.
        reply: ReplyToken,
        /// The order.
        order: ResourceOrderId,
    },
    /// A reply from the network.
    Element(ElementReply),
    /// A ServiceStateChangeEvent of a TMF640 service ROM created.
    ActivationChanged(ActivationSummary),
    /// An element operation's timeout (one sent after a retry's backoff).
    OperationTimeout(OperationId),
    /// The element-timeout sweep armed for this instant: every operation sent at least
    /// `element_timeout` ago that has no reply times out (see [`crate::layers::watchdog`]).
    OperationTimeoutSweep(Time),
    /// A failed allocation's backoff is over: try item `item` of `order` again, unless the
    /// order moved on (its item no longer waits on `failed`).
    RetryAllocate {
        /// The order.
        order: ResourceOrderId,
        /// The item's index.
        item: usize,
        /// The operation that failed.
        failed: OperationId,
        /// The try to send.
        attempt: u32,
    },
    /// Start an order that waited for a worker slot (sync mode).
    Start(ResourceOrderId),
    /// Sync mode: the order's activations did not finish within the call timeout.
    ActivationTimeout(ResourceOrderId),
    /// POST /cancelResourceOrder (from SOM or a client).
    Cancel {
        /// Who waits for the answer, if anyone.
        reply: Option<ReplyToken>,
        /// The order to cancel.
        order: ResourceOrderRef,
        /// Why.
        reason: Option<String>,
    },
    /// ROM restarted without its state: list the network's allocations and the inventory's
    /// resources, and release what no live order owns (see [`reconcile`]).
    Reconcile,
    /// A question of the reconciliation could not be asked or answered (a split chain without
    /// an address, or a peer that never answered): the reconciliation ends without changing
    /// anything, and the orders held for it are taken up.
    ReconcileUnanswered,
    /// The network's answer: every allocation it holds (all are ROM's), with its value.
    NetworkAllocations(Vec<(AllocationId, ResourceValue)>),
    /// The inventory's answer: every TMF639 resource not in `standby`.
    InventoryResources(Vec<reconcile::HeldRecord>),
    /// Activation's answer: every `active` TMF640 service.
    ActiveServices(Vec<reconcile::ActiveService>),
    /// The parent's service inventory's answer: the resources supporting an `active` RFS, or
    /// `None` when it could not be asked (a split chain without SOM's address).
    LiveResources(Option<Vec<ResourceId>>),
    /// A restarted activation layer reconciles: answer with the TMF640 services backing live
    /// resources, as [`ActivationInput::OwnedByRom`](crate::layers::activation::ActivationInput::OwnedByRom).
    ListActivations,
    /// Async mode: the jeopardy sweep armed for this instant (see [`crate::layers::watchdog`]);
    /// each order whose activation passed its deadline is asked about.
    JeopardySweep(Time),
    /// Activation's answer: the RFS its live (not terminated) services of the order activate.
    ActivationStatus {
        /// The resource order asked about.
        order: ResourceOrderId,
        /// The RFS of each live service activation holds for it.
        alive: Vec<Rfs>,
    },
    /// Activation had this long to answer ROM's question about the order.
    ChildAnswer(ResourceOrderId),
}

/// Names a resource order: by id (a client) or by the service order item it realises (SOM,
/// which may cancel before it has seen the id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourceOrderRef {
    /// By id.
    Id(ResourceOrderId),
    /// By parent service order and item.
    Parent(ServiceOrderId, String),
}

/// A resource a completed order holds, as reported to SOM.
#[derive(Clone, Debug, PartialEq)]
pub struct HeldResource {
    /// Its inventory id.
    pub resource: ResourceId,
    /// The RFS it supports.
    pub service: ServiceId,
    /// The RFS specification.
    pub service_specification: Arc<str>,
    /// Its resource specification.
    pub resource_specification: Arc<str>,
    /// What it is.
    pub kind: ResourceKind,
}

/// A TMF652 cancel resource order request.
pub type CancelResourceOrder = CancelRequest<CancelResourceOrderId, ResourceOrderId>;

/// A resource a completed order put in service, kept so that later orders can modify or
/// release it by its inventory id. Bounded by the network's capacity.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveResource {
    /// The network allocation holding it.
    pub allocation: AllocationId,
    /// Its value.
    pub value: ResourceValue,
    /// The RFS it supports.
    pub rfs: Rfs,
    /// The TMF640 service activating that RFS.
    pub activation: Option<ActivationId>,
    /// The resource order that created it.
    pub order: Option<ResourceOrderId>,
    /// Its resource specification.
    pub resource_specification: Arc<str>,
    /// What it is.
    pub kind: ResourceKind,
}

/// The resource order layer.
#[derive(Debug)]
pub struct RomLayer {
    /// Orders by id.
    pub(crate) orders: BTreeMap<ResourceOrderId, Box<ResourceOrder>>,
    /// Element operations in flight.
    pub(crate) operations: BTreeMap<OperationId, PendingOperation>,
    /// Resources in service, by inventory id.
    pub(crate) live: BTreeMap<ResourceId, Box<LiveResource>>,
    /// Cancel requests by id; each leaves with its order when retention evicts it.
    pub(crate) cancels: BTreeMap<CancelResourceOrderId, CancelResourceOrder>,
    /// Non-terminal orders SOM created, by the item they realise.
    pub(crate) by_parent: BTreeMap<(ServiceOrderId, String), ResourceOrderId>,
    /// For each open order, the RFSs whose activation (or reconfiguration) has succeeded. An
    /// order's items complete together once every RFS has, so that an order cancelled or
    /// failed half-way holds no `completed` item whose resources were given back.
    pub(crate) activated: BTreeMap<ResourceOrderId, Vec<Rfs>>,
    /// Releases the network confirmed, per allocation, for the audit: a cancel or failure
    /// must give back each allocation exactly once. Entries leave with the retained orders
    /// that name them, so the map is bounded by `retained_orders_max × items_per_order_max`
    /// plus the resources in service.
    pub(crate) releases: BTreeMap<AllocationId, u32>,
    /// Refused transitions.
    pub(crate) illegal: IllegalLog,
    /// Bound on retained terminal orders.
    pub(crate) retention: Retention<ResourceOrderId>,
    /// Next order number.
    pub(crate) next_order: u64,
    /// Next operation, allocation and resource number.
    pub(crate) next_number: u64,
    /// Non-terminal orders.
    pub(crate) open: usize,
    /// Releases that failed every attempt (each one a leak the audit will see).
    pub(crate) compensation_failures: u64,
    /// Retry policy for allocations and releases.
    pub(crate) retry: crate::config::RetryPolicy,
    /// Retries sent so far.
    pub(crate) retries: crate::layers::common::RetryCounts,
    /// How long to wait for an element's reply.
    pub(crate) element_timeout: std::time::Duration,
    /// Sync or async orchestration.
    pub(crate) mode: ChainMode,
    /// Sync mode: how long an order waits for its activations.
    pub(crate) call_timeout: std::time::Duration,
    /// Worker slots (sync mode: one per order from start until it ends).
    pub(crate) workers: WorkerPool<ResourceOrderId>,
    /// Bounds.
    pub(crate) limits: Limits,
    /// A reconciliation after a restart, while its answers are awaited.
    pub(crate) reconciliation: Option<reconcile::Reconciliation>,
    /// Creates that named a resource not (yet) live while a reconciliation was under way,
    /// taken up when it ends; at most `open_orders_max`.
    pub(crate) deferred: Vec<(Option<ReplyToken>, ResourceOrderCreate)>,
    /// After a reconciliation that knew what is in service: orders numbered below this are a
    /// former life's, and a service of theirs turning `active` now is an orphan.
    pub(crate) former_orders_below: Option<u64>,
    /// After a reconciliation: the restart's allocation cutoff and what the network listed
    /// then, until a second listing an element timeout later releases the former life's
    /// allocations that were still in flight (bounded by the network's capacity).
    pub(crate) late_sweep: Option<(u64, std::collections::BTreeSet<AllocationId>)>,
    /// The catalog (TMF634: the resource specification of a re-adopted resource).
    pub(crate) catalog: Arc<crate::domain::catalog::Catalog>,
    /// Async mode, in-process: the deadlines of the activations ROM asked for, by order.
    pub(crate) jeopardy: crate::layers::watchdog::Watchdog<ResourceOrderId>,
    /// The timeouts of element operations sent now: every one has the same deadline after
    /// its call, so one sweep per layer replaces a timer message per call.
    pub(crate) element_deadlines: crate::layers::watchdog::Watchdog<OperationId>,
    /// Orders ROM asked activation about and awaits an answer for.
    pub(crate) asked: std::collections::BTreeSet<ResourceOrderId>,
    /// Whether ROM watches its activations (async mode; over HTTP its question is a TMF630
    /// search of TMF640 by `relatedEntity.id`).
    pub(crate) watches_activations: bool,
}

/// Read-only access to the store for code outside the core (tests, tools): the core reads
/// the fields, everything else reads through these or [`crate::query`].
impl RomLayer {
    /// Orders by id.
    pub fn orders(&self) -> &BTreeMap<ResourceOrderId, Box<ResourceOrder>> {
        &self.orders
    }

    /// Cancel requests by id; each leaves with its order when retention evicts it.
    pub fn cancels(&self) -> &BTreeMap<CancelResourceOrderId, CancelResourceOrder> {
        &self.cancels
    }

    /// Resources in service, by inventory id.
    pub fn live(&self) -> &BTreeMap<ResourceId, Box<LiveResource>> {
        &self.live
    }

    /// Releases the network confirmed, per allocation, for the audit: a cancel or failure
    /// must give back each allocation exactly once. Entries leave with the retained orders
    /// that name them, so the map is bounded by `retained_orders_max × items_per_order_max`
    /// plus the resources in service.
    pub fn releases(&self) -> &BTreeMap<AllocationId, u32> {
        &self.releases
    }

    /// Element operations in flight.
    pub fn operations(&self) -> &BTreeMap<OperationId, PendingOperation> {
        &self.operations
    }

    /// Retries sent so far.
    pub fn retries(&self) -> &crate::layers::common::RetryCounts {
        &self.retries
    }

    /// Worker slots (sync mode: one per order from start until it ends).
    pub fn workers(&self) -> &WorkerPool<ResourceOrderId> {
        &self.workers
    }

    /// Refused transitions.
    pub fn illegal(&self) -> &IllegalLog {
        &self.illegal
    }

    /// Non-terminal orders.
    pub fn open(&self) -> usize {
        self.open
    }

    /// Releases that failed every attempt (each one a leak the audit will see).
    pub fn compensation_failures(&self) -> u64 {
        self.compensation_failures
    }
}

/// An element operation ROM waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PendingOperation {
    /// Allocation for item `item` (index) of `order`, try number `attempt`.
    Allocate {
        /// The order.
        order: ResourceOrderId,
        /// The item's index.
        item: usize,
        /// 1-based try number.
        attempt: u32,
    },
    /// Release of `allocation` (compensation or a delete item), attempt `attempt`.
    Release {
        /// What is released.
        allocation: AllocationId,
        /// Its inventory record, if it got one.
        resource: Option<ResourceId>,
        /// 1-based attempt number.
        attempt: u32,
        /// The delete item this release carries out, if any.
        item: Option<(ResourceOrderId, usize)>,
    },
}

mod jeopardy;
mod machine;
pub mod reconcile;
mod retry;
mod rollback;

impl crate::layers::common::ManagedOrder for ResourceOrder {
    fn state(&self) -> OrderState {
        self.state
    }

    fn apply(
        &mut self,
        external_id: Option<String>,
        header: Option<Box<crate::layers::attributes::OrderHeader>>,
    ) {
        // TMF652 parsing lets only what `ResourceOrder_Update` defines through.
        if let Some(patch) = header {
            let kept = self.header.get_or_insert_with(Box::default);
            kept.summary.merge(patch.summary);
            kept.details.merge(patch.details);
        }
        if external_id.is_some() {
            self.external_id = external_id;
        }
    }
}
