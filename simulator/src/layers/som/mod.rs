//! SOM: the service order layer (TMF641).
//!
//! Accepts service orders, decomposes each CFS item into its RFSs and their resources, creates
//! one resource order per item in ROM, and derives item and order state from the resource
//! orders' state-change events. On completion it records the CFS and RFS instances in the
//! TMF638 inventory and reports up through its own StateChangeEvent.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::{ChainMode, Limits};
use crate::domain::catalog::Catalog;
use crate::domain::ids::{
    CancelServiceOrderId, ProductOrderId, ResourceId, ResourceOrderId, ServiceId, ServiceOrderId,
};
use crate::domain::state::OrderState;
use crate::domain::time::Time;
use crate::layers::ReplyToken;
use crate::layers::attributes::ServiceOrderAttributes;
use crate::layers::common::{
    Action, CancelRequest, Characteristics, History, IllegalLog, OrderPatch, Retention, WorkerPool,
};
use crate::layers::rom::HeldResource;
use crate::network::Topology;

/// A TMF641 service order.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceOrder {
    /// Its id.
    pub id: ServiceOrderId,
    /// The client's reference (the product order id when COM created it).
    pub external_id: Option<String>,
    /// What the client wrote that the chain carries without acting on (header, items,
    /// `valueType`s; patchable); boxed so an order without any pays one pointer.
    pub attributes: Option<Box<ServiceOrderAttributes>>,
    /// The product order it realises, if COM created it.
    pub parent: Option<ProductOrderId>,
    /// Current state.
    pub state: OrderState,
    /// States passed through.
    pub history: History,
    /// When it was received.
    pub order_date: Time,
    /// When it reached a terminal state.
    pub completion_date: Option<Time>,
    /// Its items.
    pub items: Vec<ServiceOrderItem>,
    /// Why it failed (the first thing that went wrong), once it has.
    pub failure: Option<crate::layers::failure::FailureReason>,
}

/// A TMF641 service order item (one CFS).
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceOrderItem {
    /// Its id within the order.
    pub id: String,
    /// What to do.
    pub action: Action,
    /// The CFS specification.
    pub service_specification: Arc<str>,
    /// The CFS instance (existing for modify/delete; created for add).
    pub service: Option<ServiceId>,
    /// The product order item it realises.
    pub parent_item: Option<String>,
    /// Characteristics passed down.
    pub characteristics: Characteristics,
    /// Current state.
    pub state: OrderState,
    /// States passed through.
    pub history: History,
    /// The resource order realising it.
    pub resource_order: Option<ResourceOrderId>,
    /// The RFS instances supporting the CFS.
    pub supporting_services: Vec<ServiceId>,
    /// The resources, once the resource order reports them.
    pub supporting_resources: Vec<ResourceId>,
    /// For an item completed while its order was being cancelled: whether the compensating
    /// resource order (a delete of what it built) has finished.
    pub compensated: bool,
    /// SOM asked ROM about the item's resource order (its deadline passed) and awaits the
    /// answer.
    pub child_queried: bool,
}

/// A request to create a service order.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceOrderCreate {
    /// The client's reference.
    pub external_id: Option<String>,
    /// The product order, when COM is the client.
    pub parent: Option<ProductOrderId>,
    /// The items.
    pub items: Vec<ServiceOrderItemCreate>,
}

/// One item of a [`ServiceOrderCreate`].
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceOrderItemCreate {
    /// Its id within the order.
    pub id: String,
    /// What to do.
    pub action: Action,
    /// The CFS specification.
    pub service_specification: Arc<str>,
    /// The existing CFS, for modify/delete.
    pub service: Option<ServiceId>,
    /// The product order item it realises.
    pub parent_item: Option<String>,
    /// Characteristics.
    pub characteristics: Characteristics,
}

/// What a resource order's state-change event tells SOM.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceOrderSummary {
    /// The resource order.
    pub id: ResourceOrderId,
    /// The service order and item it realises.
    pub parent: (ServiceOrderId, String),
    /// Its state.
    pub state: OrderState,
    /// The resources it holds (on completion).
    pub resources: Vec<HeldResource>,
    /// Why it failed, if it did.
    pub failure: Option<crate::layers::failure::FailureReason>,
}

/// Input of SOM.
#[derive(Clone, Debug)]
pub enum SomInput {
    /// POST /serviceOrder (from COM or a client).
    Create {
        /// Who waits for the answer, if anyone.
        reply: Option<ReplyToken>,
        /// The validated request.
        order: ServiceOrderCreate,
    },
    /// POST /serviceOrder from a client: a create plus what else the client wrote, stored
    /// with the order as is. (COM's creates are [`SomInput::Create`]: the chain passes no
    /// such attributes down.)
    Submit {
        /// Who waits for the answer.
        reply: ReplyToken,
        /// The validated request.
        order: ServiceOrderCreate,
        /// The header and item attributes.
        attributes: Option<Box<ServiceOrderAttributes>>,
    },
    /// PATCH /serviceOrder/{id}.
    Patch {
        /// Who waits for the answer.
        reply: ReplyToken,
        /// The order.
        order: ServiceOrderId,
        /// What changes.
        patch: OrderPatch,
    },
    /// DELETE /serviceOrder/{id}: allowed for terminal orders only.
    Delete {
        /// Who waits for the answer.
        reply: ReplyToken,
        /// The order.
        order: ServiceOrderId,
    },
    /// A ResourceOrderStateChangeEvent of a resource order SOM created.
    ResourceOrderChanged(ResourceOrderSummary),
    /// COM asks for the state of the service order realising `parent` (its deadline passed).
    Report {
        /// The product order.
        parent: ProductOrderId,
    },
    /// Async mode: the jeopardy sweep armed for this instant (see [`crate::layers::watchdog`]);
    /// each item whose resource order passed its deadline is asked about.
    JeopardySweep(Time),
    /// Async mode: ROM had this long to answer SOM's question about `item`.
    ChildAnswer {
        /// The service order.
        order: ServiceOrderId,
        /// The item.
        item: String,
    },
    /// ROM's answer to SOM's jeopardy question: the state of the resource order realising
    /// `parent`, or `None` when ROM does not know it.
    ResourceOrderStatus {
        /// The service order and item asked about.
        parent: (ServiceOrderId, String),
        /// The resource order's state, if ROM knows it.
        state: Option<OrderState>,
    },
    /// A wake-up SOM scheduled.
    Wake(ServiceOrderId),
    /// Sync mode: the resource order of item `item` did not finish within the call timeout.
    CallTimeout {
        /// The service order.
        order: ServiceOrderId,
        /// The item.
        item: String,
    },
    /// POST /cancelServiceOrder (from COM or a client).
    Cancel {
        /// Who waits for the answer, if anyone.
        reply: Option<ReplyToken>,
        /// The order to cancel.
        order: ServiceOrderRef,
        /// Why.
        reason: Option<String>,
    },
}

/// Names a service order: by id (a client) or by the product order it realises (COM, which
/// may cancel before it has seen the id).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ServiceOrderRef {
    /// By id.
    Id(ServiceOrderId),
    /// By parent product order.
    Parent(ProductOrderId),
}

/// A TMF641 cancel service order request.
pub type CancelServiceOrder = CancelRequest<CancelServiceOrderId, ServiceOrderId>;

/// A CFS in service, as SOM built it: what later orders modify or cease.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveCfs {
    /// The CFS specification.
    pub specification: Arc<str>,
    /// The RFSs supporting it.
    pub supporting_services: Vec<ServiceId>,
    /// The resources under those RFSs.
    pub resources: Vec<HeldResource>,
    /// Its characteristics.
    pub characteristics: Characteristics,
    /// The product order that built it, when COM did: the CFS then realises a product, and
    /// only a product order may delete it (see `validate`).
    pub product_order: Option<ProductOrderId>,
}

/// The service order layer.
#[derive(Debug)]
pub struct SomLayer {
    /// Orders by id.
    pub(crate) orders: BTreeMap<ServiceOrderId, Box<ServiceOrder>>,
    /// Refused transitions.
    pub(crate) illegal: IllegalLog,
    /// Bound on retained terminal orders.
    pub(crate) retention: Retention<ServiceOrderId>,
    /// Next order number.
    pub(crate) next_order: u64,
    /// Next service number.
    pub(crate) next_service: u64,
    /// Non-terminal orders.
    pub(crate) open: usize,
    /// The catalog CFSs are decomposed with.
    pub(crate) catalog: Arc<Catalog>,
    /// Region and element names.
    pub(crate) topology: Arc<Topology>,
    /// Bounds.
    pub(crate) limits: Limits,
    /// Sync or async orchestration.
    pub(crate) mode: ChainMode,
    /// Sync mode: how long an item waits for its resource order.
    pub(crate) call_timeout: std::time::Duration,
    /// Async mode: the deadlines of the resource orders SOM created, by service order item.
    pub(crate) jeopardy: crate::layers::watchdog::Watchdog<(ServiceOrderId, String)>,
    /// Whether a submitted (client) service order may name a product order: only over the
    /// HTTP transport, where COM submits through the same API.
    pub(crate) clients_name_parents: bool,
    /// Worker slots (sync mode: one per order from start until it ends).
    pub(crate) workers: WorkerPool<ServiceOrderId>,
    /// CFSs in service, by id (bounded by the network's capacity).
    pub(crate) services: BTreeMap<ServiceId, Box<LiveCfs>>,
    /// Cancel requests by id; each leaves with its order when retention evicts it.
    pub(crate) cancels: BTreeMap<CancelServiceOrderId, CancelServiceOrder>,
    /// Non-terminal orders COM created, by product order.
    pub(crate) by_parent: BTreeMap<ProductOrderId, ServiceOrderId>,
    /// The cancel request of each retained order that has one (a second cancel answers it).
    pub(crate) cancelling: BTreeMap<ServiceOrderId, CancelServiceOrderId>,
}

/// Read-only access to the store for code outside the core (tests, tools): the core reads
/// the fields, everything else reads through these or [`crate::query`].
impl SomLayer {
    /// Orders by id.
    pub fn orders(&self) -> &BTreeMap<ServiceOrderId, Box<ServiceOrder>> {
        &self.orders
    }

    /// Cancel requests by id; each leaves with its order when retention evicts it.
    pub fn cancels(&self) -> &BTreeMap<CancelServiceOrderId, CancelServiceOrder> {
        &self.cancels
    }

    /// CFSs in service, by id (bounded by the network's capacity).
    pub fn services(&self) -> &BTreeMap<ServiceId, Box<LiveCfs>> {
        &self.services
    }

    /// Worker slots (sync mode: one per order from start until it ends).
    pub fn workers(&self) -> &WorkerPool<ServiceOrderId> {
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
}

mod cancel;
mod jeopardy;
mod machine;

impl crate::layers::common::ManagedOrder for ServiceOrder {
    fn state(&self) -> OrderState {
        self.state
    }

    fn apply(
        &mut self,
        external_id: Option<String>,
        header: Option<Box<crate::layers::attributes::OrderHeader>>,
    ) {
        if let Some(header) = header {
            crate::layers::attributes::patch_header(&mut self.attributes, *header);
        }
        if external_id.is_some() {
            self.external_id = external_id;
        }
    }
}
