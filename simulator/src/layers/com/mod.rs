//! COM: the product order layer (TMF622).
//!
//! Accepts product orders, decomposes each item through the catalog into CFS service order
//! items, creates one service order in SOM, and derives its items' and its own state from the
//! service order's state-change events. On completion it records products in the TMF637
//! inventory.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::{ChainConfig, Limits};
use crate::domain::catalog::Catalog;
use crate::domain::ids::{
    CancelProductOrderId, ProductId, ProductOrderId, ServiceId, ServiceOrderId,
};
use crate::domain::state::OrderState;
use crate::domain::time::Time;
use crate::layers::ReplyToken;
use crate::layers::attributes::ProductOrderAttributes;
use crate::layers::common::{
    Action, CancelRequest, Characteristic, Characteristics, History, IllegalLog, OrderPatch,
    Retention, WorkerPool,
};
use crate::layers::watchdog::Watchdog;
use crate::network::Topology;

/// A TMF622 product order.
#[derive(Clone, Debug, PartialEq)]
pub struct ProductOrder {
    /// Its id.
    pub id: ProductOrderId,
    /// The client's reference.
    pub external_id: Option<String>,
    /// What the client wrote that the chain carries without acting on (header, items,
    /// `valueType`s; patchable); boxed so an order without any pays one pointer.
    pub attributes: Option<Box<ProductOrderAttributes>>,
    /// Current state.
    pub state: OrderState,
    /// States passed through.
    pub history: History,
    /// When it was received.
    pub order_date: Time,
    /// When it reached a terminal state.
    pub completion_date: Option<Time>,
    /// Its items.
    pub items: Vec<ProductOrderItem>,
    /// The service order realising it.
    pub service_order: Option<ServiceOrderId>,
    /// The cancel request, if one was made.
    pub cancellation: Option<CancelProductOrderId>,
    /// Why it failed (the first thing that went wrong), once it has.
    pub failure: Option<crate::layers::failure::FailureReason>,
    /// Whether a compensating service order is undoing what the order built (its cancel came
    /// after the service order had already finished).
    pub compensating: bool,
    /// Sync mode: the caller waiting for the order's end (the HTTP request).
    pub reply: Option<ReplyToken>,
    /// Sync mode: COM gave up waiting for the service order (call timeout); whatever it still
    /// builds is compensated when it ends.
    pub abandoned: bool,
    /// COM asked SOM about the service order (its deadline passed) and awaits the answer.
    pub child_queried: bool,
}

/// A TMF622 product order item.
#[derive(Clone, Debug, PartialEq)]
pub struct ProductOrderItem {
    /// Its id within the order.
    pub id: String,
    /// What to do.
    pub action: Action,
    /// The product offering.
    pub offering: Arc<str>,
    /// The product (existing for modify/delete; created on completion for add).
    pub product: Option<ProductId>,
    /// Characteristics (`region`, `oltId`, `downstreamSpeedMbps`, …).
    pub characteristics: Characteristics,
    /// Current state.
    pub state: OrderState,
    /// States passed through.
    pub history: History,
    /// The CFS instances realising it (filled when the service order reports them).
    pub services: Vec<ServiceId>,
}

/// A TMF622 cancel product order request.
pub type CancelProductOrder = CancelRequest<CancelProductOrderId, ProductOrderId>;

/// A request to create a product order (TMF622 `ProductOrder_Create`, validated).
#[derive(Clone, Debug, PartialEq)]
pub struct ProductOrderCreate {
    /// The client's reference.
    pub external_id: Option<String>,
    /// The items.
    pub items: Vec<ProductOrderItemCreate>,
    /// What else the client wrote, stored with the order as is.
    pub attributes: Option<Box<ProductOrderAttributes>>,
}

/// One item of a [`ProductOrderCreate`].
#[derive(Clone, Debug, PartialEq)]
pub struct ProductOrderItemCreate {
    /// Its id within the order.
    pub id: String,
    /// What to do.
    pub action: Action,
    /// The product offering id.
    pub offering: Arc<str>,
    /// The existing product, for modify/delete/noChange.
    pub product: Option<ProductId>,
    /// Characteristics.
    pub characteristics: Vec<Characteristic>,
}

/// What a service order's state-change event tells COM.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceOrderSummary {
    /// The service order.
    pub id: ServiceOrderId,
    /// The product order it realises.
    pub parent: ProductOrderId,
    /// Its state.
    pub state: OrderState,
    /// Its items.
    pub items: Vec<ServiceItemSummary>,
    /// Why it failed, if it did.
    pub failure: Option<crate::layers::failure::FailureReason>,
}

/// One item of a [`ServiceOrderSummary`].
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceItemSummary {
    /// The service order item id.
    pub id: String,
    /// The product order item it realises.
    pub parent_item: String,
    /// What it did.
    pub action: Action,
    /// The CFS specification.
    pub specification: Arc<str>,
    /// Its state.
    pub state: OrderState,
    /// The CFS instance, once known.
    pub service: Option<ServiceId>,
}

/// Input of COM.
#[derive(Clone, Debug)]
pub enum ComInput {
    /// POST /productOrder.
    Create {
        /// Who waits for the answer.
        reply: ReplyToken,
        /// The validated request.
        order: ProductOrderCreate,
    },
    /// POST /cancelProductOrder.
    Cancel {
        /// Who waits for the answer.
        reply: ReplyToken,
        /// The order to cancel.
        order: ProductOrderId,
        /// Why.
        reason: Option<String>,
    },
    /// PATCH /productOrder/{id}.
    Patch {
        /// Who waits for the answer.
        reply: ReplyToken,
        /// The order.
        order: ProductOrderId,
        /// What changes.
        patch: OrderPatch,
    },
    /// DELETE /productOrder/{id}: allowed for terminal orders only.
    Delete {
        /// Who waits for the answer.
        reply: ReplyToken,
        /// The order.
        order: ProductOrderId,
    },
    /// A ServiceOrderStateChangeEvent of a service order COM created.
    ServiceOrderChanged(ServiceOrderSummary),
    /// SOM's answer to COM's jeopardy question about the service order of `parent`: its
    /// state, or `None` when SOM does not know it (a GET answered 404).
    ServiceOrderStatus {
        /// The product order whose service order was asked about.
        parent: ProductOrderId,
        /// The service order's state, if SOM knows it.
        state: Option<OrderState>,
    },
    /// A wake-up COM scheduled.
    Wake(ComWake),
}

/// Wake-ups COM schedules for itself.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ComWake {
    /// Start work on an acknowledged order.
    Start(ProductOrderId),
    /// Resume a held or pending order.
    Resume(ProductOrderId),
    /// Sync mode: the service order did not finish within the call timeout.
    CallTimeout(ProductOrderId),
    /// Async mode: the jeopardy sweep armed for this instant (see [`crate::layers::watchdog`]);
    /// each service order whose deadline passed is asked about.
    JeopardySweep(Time),
    /// Async mode: SOM had this long to answer COM's question.
    ChildAnswer(ProductOrderId),
}

/// The product order layer.
#[derive(Debug)]
pub struct ComLayer {
    /// Orders by id (ordered, so lists and audits iterate deterministically).
    pub(crate) orders: BTreeMap<ProductOrderId, Box<ProductOrder>>,
    /// Cancel requests by id; each leaves with its order when retention evicts it.
    pub(crate) cancels: BTreeMap<CancelProductOrderId, CancelProductOrder>,
    /// Refused transitions.
    pub(crate) illegal: IllegalLog,
    /// Bound on retained terminal orders.
    pub(crate) retention: Retention<ProductOrderId>,
    /// Next order number.
    pub(crate) next_order: u64,
    /// Next product number.
    pub(crate) next_product: u64,
    /// Non-terminal orders.
    pub(crate) open: usize,
    /// The catalog orders are decomposed with.
    pub(crate) catalog: Arc<Catalog>,
    /// Region and element names, to validate characteristics.
    pub(crate) topology: Arc<Topology>,
    /// Orchestration settings (held/pending probabilities and delays).
    pub(crate) chain: ChainConfig,
    /// Bounds.
    pub(crate) limits: Limits,
    /// Worker slots (sync mode: one per order from start until it ends).
    pub(crate) workers: WorkerPool<ProductOrderId>,
    /// Products in service, as COM built them (bounded by the network's capacity).
    pub(crate) products: BTreeMap<ProductId, Box<LiveProduct>>,
    /// Async mode: the deadlines of the service orders COM created.
    pub(crate) watchdog: Watchdog<ProductOrderId>,
}

/// Read-only access to the store for code outside the core (tests, tools): the core reads
/// the fields, everything else reads through these or [`crate::query`].
impl ComLayer {
    /// Orders by id (ordered, so lists and audits iterate deterministically).
    pub fn orders(&self) -> &BTreeMap<ProductOrderId, Box<ProductOrder>> {
        &self.orders
    }

    /// Cancel requests by id; each leaves with its order when retention evicts it.
    pub fn cancels(&self) -> &BTreeMap<CancelProductOrderId, CancelProductOrder> {
        &self.cancels
    }

    /// Products in service, as COM built them (bounded by the network's capacity).
    pub fn products(&self) -> &BTreeMap<ProductId, Box<LiveProduct>> {
        &self.products
    }

    /// Worker slots (sync mode: one per order from start until it ends).
    pub fn workers(&self) -> &WorkerPool<ProductOrderId> {
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

/// A product in service: what later modify and delete items act on.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveProduct {
    /// The offering it is (after any migration).
    pub offering: Arc<str>,
    /// Its CFSs, with their specifications.
    pub services: Vec<(Arc<str>, ServiceId)>,
    /// Its characteristics.
    pub characteristics: Characteristics,
    /// Add-on offerings added by bundle changes.
    pub add_ons: Vec<Arc<str>>,
    /// The order changing it now, if any (a second change is refused until it ends).
    pub busy: Option<ProductOrderId>,
    /// When it started.
    pub start: Time,
}

mod jeopardy;
mod lifecycle;
mod machine;
mod sync;

impl crate::layers::common::ManagedOrder for ProductOrder {
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
