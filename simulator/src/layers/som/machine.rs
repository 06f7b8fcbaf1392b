//! SOM's forward path: service order intake, one resource order per item (CFS → RFS →
//! resources for `add`; the CFS's resources for `modify` and `delete`), item and order state
//! from the resource orders' events, and the live CFS view later orders change. In a
//! migration (an order with both `add` and `delete` items) the deletes start only once every
//! add has completed, so the old service stays until the new one works.

use std::sync::Arc;

use super::{
    LiveCfs, ResourceOrderSummary, ServiceOrder, ServiceOrderCreate, ServiceOrderItem, SomInput,
    SomLayer,
};
use crate::config::{ChainConfig, ChainMode, Limits};
use crate::domain::catalog::{Catalog, ServiceCategory};
use crate::domain::decompose::{check_resources_for, checked_resources, supporting_services};
use crate::domain::ids::{ServiceId, ServiceOrderId};
use crate::domain::state::{Machine, OrderEvent, OrderState, ServiceState, derive_from_items};
use crate::domain::time::Time;
use crate::layers::com::{ComInput, ServiceItemSummary, ServiceOrderSummary};
use crate::layers::common::{
    Action, History, IllegalLog, OrderPatch, Retention, WorkerPool, characteristic_text,
    characteristic_values, delete_and_answer, patch_and_answer, start_order, transition,
};
use crate::layers::failure::{FailureReason, record_first};
use crate::layers::inventory::{InventoryInput, ServiceRecord};
use crate::layers::rom::{
    HeldResource, ResourceOrderCreate, ResourceOrderItemCreate, Rfs, RomInput,
};
use crate::layers::{
    Effects, EventKind, Layer, LayerId, Message, Observation, Rejection, RejectionKind, Reply,
    ReplyToken, SimRng, Subject,
};
use crate::network::Topology;

/// Suffix of the item key of a compensating resource order (see `cancel`).
pub(super) const UNDO_SUFFIX: &str = "/undo";

impl SomLayer {
    /// An empty SOM over `catalog` and `topology`.
    pub fn new(
        catalog: Arc<Catalog>,
        topology: Arc<Topology>,
        chain: &ChainConfig,
        limits: Limits,
    ) -> SomLayer {
        SomLayer {
            mode: chain.mode,
            call_timeout: std::time::Duration::from_millis(chain.call_timeout_ms),
            jeopardy: super::jeopardy::watchdog(chain),
            clients_name_parents: chain.transport == crate::config::ChainTransport::Http,
            workers: WorkerPool::new(usize::try_from(chain.workers).unwrap_or(usize::MAX)),
            orders: Default::default(),
            illegal: IllegalLog::default(),
            retention: Retention::new(limits.retained_orders_max),
            next_order: 1,
            next_service: 1,
            open: 0,
            catalog,
            topology,
            limits,
            services: Default::default(),
            cancels: Default::default(),
            by_parent: Default::default(),
            cancelling: Default::default(),
        }
    }
}

impl Layer for SomLayer {
    type Input = SomInput;
    const ID: LayerId = LayerId::Som;

    fn handle(&mut self, input: SomInput, now: Time, _rng: &mut SimRng, effects: &mut Effects) {
        match input {
            SomInput::Create { reply, order } => self.create(reply, order, None, now, effects),
            SomInput::Submit {
                reply,
                order,
                attributes,
            } => match self.adopts_a_product_order(&order) {
                Some(rejection) => effects.reply(reply, Reply::Rejected(rejection)),
                None => self.create(Some(reply), order, attributes, now, effects),
            },
            SomInput::Patch {
                reply,
                order,
                patch,
            } => self.patch(reply, order, patch, now, effects),
            SomInput::Delete { reply, order } => self.delete(reply, order, now, effects),
            SomInput::ResourceOrderChanged(summary) => {
                self.resource_order_changed(summary, now, effects)
            }
            SomInput::Report { parent } => self.report(parent, now, effects),
            SomInput::JeopardySweep(armed) => self.jeopardy_sweep(armed, now, effects),
            SomInput::ChildAnswer { order, item } => self.child_answer(order, &item, now, effects),
            SomInput::ResourceOrderStatus { parent, state } => {
                self.child_status(parent, state, now, effects)
            }
            SomInput::Wake(id) => self.start(id, now, effects),
            SomInput::CallTimeout { order, item } => self.call_timeout(order, &item, now, effects),
            SomInput::Cancel {
                reply,
                order,
                reason,
            } => self.cancel(reply, order, reason, now, effects),
        }
    }
}

impl SomLayer {
    /// In-process, COM hands SOM its service orders directly (`SomInput::Create`): a service
    /// order a client submits may not name a product order, or it would adopt that order's
    /// items (issue 11, finding 4). Over the HTTP transport COM submits through the same TMF641
    /// POST, so there SOM's other checks (one live service order per product order) apply.
    fn adopts_a_product_order(&self, order: &super::ServiceOrderCreate) -> Option<Rejection> {
        let parent = order.parent.filter(|_| !self.clients_name_parents)?;
        Some(Rejection::new(
            RejectionKind::Conflict,
            format!(
                "externalReference names product order {parent}: only product ordering creates \
                 the service orders that realise a product order; a direct service order \
                 creates its own services or changes ones in service"
            ),
        ))
    }

    /// Answers COM's jeopardy question: the state of the open service order realising
    /// `parent`, or `None`. A terminal one has already sent COM its outcome, ahead of this
    /// answer on the same path, so `None` there is harmless.
    fn report(&self, parent: crate::domain::ids::ProductOrderId, now: Time, effects: &mut Effects) {
        let state = self
            .by_parent
            .get(&parent)
            .and_then(|id| self.orders.get(id))
            .map(|order| order.state);
        let status = ComInput::ServiceOrderStatus { parent, state };
        effects.send(now, Message::Com(status));
    }

    fn create(
        &mut self,
        reply: Option<ReplyToken>,
        request: ServiceOrderCreate,
        attributes: Option<Box<super::ServiceOrderAttributes>>,
        now: Time,
        effects: &mut Effects,
    ) {
        if let Err(rejection) = self.validate(&request) {
            match reply {
                Some(token) => effects.reply(token, Reply::Rejected(rejection)),
                None => debug_assert!(false, "COM sent an invalid service order: {rejection}"),
            }
            return;
        }
        let id = ServiceOrderId(self.next_order);
        self.next_order += 1;
        let items = request
            .items
            .into_iter()
            .map(|item| ServiceOrderItem {
                id: item.id,
                action: item.action,
                service_specification: item.service_specification,
                service: item.service,
                parent_item: item.parent_item,
                characteristics: item.characteristics,
                state: OrderState::Acknowledged,
                history: History::starting(OrderState::Acknowledged, now),
                resource_order: None,
                supporting_services: Vec::new(),
                supporting_resources: Vec::new(),
                compensated: false,
                child_queried: false,
            })
            .collect();
        let order = ServiceOrder {
            id,
            external_id: request.external_id,
            attributes,
            parent: request.parent,
            state: OrderState::Acknowledged,
            history: History::starting(OrderState::Acknowledged, now),
            order_date: now,
            completion_date: None,
            items,
            failure: None,
        };
        if let Some(token) = reply {
            effects.reply(token, Reply::ServiceOrder(Box::new(order.clone())));
        }
        if let Some(parent) = order.parent {
            self.by_parent.insert(parent, id);
        }
        self.orders.insert(id, Box::new(order));
        self.open += 1;
        effects.publish(EventKind::Create, Subject::ServiceOrder(id), now);
        effects.send(now, Message::Som(SomInput::Wake(id)));
    }

    fn validate(&self, request: &ServiceOrderCreate) -> Result<(), Rejection> {
        let invalid = |message: String| Err(Rejection::new(RejectionKind::InvalidRequest, message));
        if self.open >= self.limits.open_orders_max {
            return Err(Rejection::new(
                RejectionKind::LimitExceeded,
                "too many open service orders; retry later",
            ));
        }
        if request.items.is_empty() || request.items.len() > self.limits.items_per_order_max {
            return invalid(
                "serviceOrderItem must hold 1 to items_per_order_max items".to_string(),
            );
        }
        self.check_ownership(request)?;
        for (index, item) in request.items.iter().enumerate() {
            let path = || format!("serviceOrderItem[{index}].service.serviceCharacteristic");
            if let Err(error) = self
                .catalog
                .check_characteristics(path, characteristic_values(&item.characteristics))
            {
                return invalid(error.to_string());
            }
            match item.action {
                Action::Add => {
                    for rfs in supporting_services(&self.catalog, &item.service_specification)? {
                        check_resources_for(&self.catalog, rfs)?;
                    }
                    let region = characteristic_text(&item.characteristics, "region");
                    if region
                        .as_deref()
                        .and_then(|name| self.topology.region_by_name(name))
                        .is_none()
                    {
                        return invalid(format!(
                            "item {}: a known `region` characteristic is required",
                            item.id
                        ));
                    }
                }
                Action::Modify | Action::Delete => {
                    if !item
                        .service
                        .is_some_and(|service| self.services.contains_key(&service))
                    {
                        return invalid(format!(
                            "item {}: the service to {} is not in service",
                            item.id,
                            item.action.as_str()
                        ));
                    }
                }
                Action::NoChange => {}
            }
        }
        Ok(())
    }

    /// A service order may name only what it owns (issue 11, findings 4 and 5): a product
    /// order that has no live service order yet (a second one would adopt the first one's
    /// items), and, unless it realises a product order itself, no `delete` of a CFS a product
    /// order built: that CFS realises a product, and deleting it here would leave the product
    /// `active` over nothing (a later cease of it could never end). SOM refuses rather than
    /// updating the product, as SOM does not own products: cease the product through TMF622.
    fn check_ownership(&self, request: &ServiceOrderCreate) -> Result<(), Rejection> {
        let conflict = |message: String| Err(Rejection::new(RejectionKind::Conflict, message));
        if let Some(parent) = request.parent
            && let Some(existing) = self.by_parent.get(&parent)
        {
            return conflict(format!(
                "product order {parent} is already realised by service order {existing}; a \
                 service order may not adopt another order's items"
            ));
        }
        if request.parent.is_some() {
            return Ok(());
        }
        for item in request.items.iter().filter(|i| i.action == Action::Delete) {
            let owner = item
                .service
                .and_then(|service| self.services.get(&service))
                .and_then(|live| live.product_order);
            if let (Some(service), Some(owner)) = (item.service, owner) {
                return conflict(format!(
                    "item {}: service {service} realises a product (built by product order \
                     {owner}); cease the product through the product ordering API instead",
                    item.id
                ));
            }
        }
        Ok(())
    }

    fn start(&mut self, id: ServiceOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        let workers = (self.mode == ChainMode::Sync).then_some(&mut self.workers);
        let (state, history) = (&mut order.state, &mut order.history);
        if !start_order(
            Machine::ServiceOrder,
            id,
            state,
            history,
            workers,
            now,
            &mut self.illegal,
        ) {
            return;
        }
        effects.publish(EventKind::StateChange, Subject::ServiceOrder(id), now);
        let migrating = order.items.iter().any(|item| item.action == Action::Add);
        let ready: Vec<usize> = (0..order.items.len())
            .filter(|index| !(migrating && order.items[*index].action == Action::Delete))
            .collect();
        for index in ready {
            self.start_item(id, index, now, effects);
        }
        self.settle(id, now, effects);
    }

    /// Starts one item: sends its resource order (or completes it when there is no work).
    fn start_item(&mut self, id: ServiceOrderId, index: usize, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        let Some(item) = order.items.get_mut(index) else {
            return;
        };
        if transition(
            Machine::ServiceOrderItem,
            &mut item.state,
            &mut item.history,
            OrderEvent::Start,
            now,
            &mut self.illegal,
        )
        .is_err()
        {
            return;
        }
        let request = match item.action {
            Action::Add => Some(decompose_item(
                &self.catalog,
                &self.topology,
                &mut self.next_service,
                id,
                item,
            )),
            Action::Modify | Action::Delete => {
                let live = item.service.and_then(|service| self.services.get(&service));
                live.filter(|live| !live.resources.is_empty())
                    .map(|live| change_request(&self.topology, id, item, live))
            }
            Action::NoChange => None,
        };
        match request {
            Some(request) => {
                if self.mode == ChainMode::Sync {
                    let timeout = SomInput::CallTimeout {
                        order: id,
                        item: item.id.clone(),
                    };
                    effects.send_at(now.after(self.call_timeout), Message::Som(timeout));
                    effects.send(now, Message::Rom(create(request)));
                } else {
                    let key = (id, item.id.clone());
                    effects.send(now, Message::Rom(create(request)));
                    self.watch_child(key, now, effects);
                }
            }
            None => {
                let _ = transition(
                    Machine::ServiceOrderItem,
                    &mut item.state,
                    &mut item.history,
                    OrderEvent::Complete,
                    now,
                    &mut self.illegal,
                );
                let applied = (item.action, item.service, item.characteristics.clone());
                self.apply_completed(id, applied, &[], now, effects);
            }
        }
    }

    fn resource_order_changed(
        &mut self,
        summary: ResourceOrderSummary,
        now: Time,
        effects: &mut Effects,
    ) {
        let (order_id, item_key) = &summary.parent;
        if let Some(item_id) = item_key.strip_suffix(UNDO_SUFFIX) {
            self.compensation_done(*order_id, item_id, summary.state, now, effects);
            return;
        }
        let Some(order) = self.orders.get_mut(order_id) else {
            self.release_orphan(&summary, now, effects);
            return;
        };
        let cancelling = order.state == OrderState::PendingCancellation;
        let Some(item) = order.items.iter_mut().find(|item| &item.id == item_key) else {
            return;
        };
        item.resource_order = Some(summary.id);
        let abandoned = item.state == OrderState::Failed && item.action == Action::Add;
        if abandoned && summary.state == OrderState::Completed && !item.compensated {
            // Sync mode: the resource order completed after this item gave up waiting.
            let item_id = item.id.clone();
            self.compensate_item(*order_id, item_id, &summary.resources, now, effects);
            return;
        }
        let undoing = item.state == OrderState::PendingCancellation;
        if !summary.state.is_terminal() || item.state.is_terminal() || undoing {
            return;
        }
        if summary.state == OrderState::Failed {
            record_first(&mut order.failure, summary.failure.clone());
        }
        if summary.state == OrderState::Cancelled && !cancelling {
            let child = format!("resource order {}", summary.id);
            record_first(
                &mut order.failure,
                Some(FailureReason::child_cancelled(&child)),
            );
        }
        let Some(item) = order.items.iter_mut().find(|item| &item.id == item_key) else {
            return;
        };
        // Built while the order was being cancelled: the item goes to pendingCancellation and
        // ends cancelled once its work is undone (`compensation_done`), never completed.
        let undo = cancelling && item.action == Action::Add;
        let events: &[OrderEvent] = match summary.state {
            OrderState::Completed if undo => {
                &[OrderEvent::CancelRequested, OrderEvent::CancelAccepted]
            }
            OrderState::Completed => &[OrderEvent::Complete],
            // Cancelled by SOM's own cancel; one a client sent ROM directly fails the item.
            OrderState::Cancelled if cancelling => &[
                OrderEvent::CancelRequested,
                OrderEvent::CancelAccepted,
                OrderEvent::CancelCompleted,
            ],
            _ => &[OrderEvent::Fail],
        };
        for event in events {
            let _ = transition(
                Machine::ServiceOrderItem,
                &mut item.state,
                &mut item.history,
                *event,
                now,
                &mut self.illegal,
            );
        }
        let built = summary.state == OrderState::Completed;
        if built && (undo || item.state == OrderState::Completed) {
            item.supporting_resources =
                summary.resources.iter().map(|held| held.resource).collect();
            let applied = (item.action, item.service, item.characteristics.clone());
            if undo {
                self.compensate_item(
                    *order_id,
                    item_key.clone(),
                    &summary.resources,
                    now,
                    effects,
                );
            } else {
                self.apply_completed(*order_id, applied, &summary.resources, now, effects);
            }
        }
        self.start_deferred_deletes(*order_id, now, effects);
        self.settle(*order_id, now, effects);
    }

    /// In a migration, starts the delete items once every other item completed; fails them if
    /// one did not (the old service is kept).
    fn start_deferred_deletes(&mut self, id: ServiceOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        let waiting: Vec<usize> = (0..order.items.len())
            .filter(|index| {
                order.items[*index].action == Action::Delete
                    && order.items[*index].state == OrderState::Acknowledged
            })
            .collect();
        let others = order
            .items
            .iter()
            .filter(|item| item.action != Action::Delete);
        if waiting.is_empty()
            || !others.clone().all(|item| item.state.is_terminal())
            || order.state != OrderState::InProgress
        {
            return;
        }
        if others
            .clone()
            .all(|item| item.state == OrderState::Completed)
        {
            for index in waiting {
                self.start_item(id, index, now, effects);
            }
            return;
        }
        for index in waiting {
            let item = &mut order.items[index];
            for event in [OrderEvent::Start, OrderEvent::Fail] {
                let _ = transition(
                    Machine::ServiceOrderItem,
                    &mut item.state,
                    &mut item.history,
                    event,
                    now,
                    &mut self.illegal,
                );
            }
        }
    }

    /// Records what a completed item changed: the live CFS view and the TMF638 inventory.
    fn apply_completed(
        &mut self,
        order: ServiceOrderId,
        (action, service, characteristics): (
            Action,
            Option<ServiceId>,
            crate::layers::common::Characteristics,
        ),
        resources: &[HeldResource],
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(cfs) = service else { return };
        match action {
            Action::Add => {
                let built = self.orders.get(&order).and_then(|o| {
                    let item = o.items.iter().find(|i| i.service == service)?;
                    let found = (
                        item.service_specification.clone(),
                        item.supporting_services.clone(),
                    );
                    Some((found, o.parent))
                });
                let Some(((specification, supporting_services), product_order)) = built else {
                    return;
                };
                let live = LiveCfs {
                    specification,
                    supporting_services,
                    resources: resources.to_vec(),
                    characteristics,
                    product_order,
                };
                record_services(cfs, &live, order, ServiceState::Active, now, effects);
                self.services.insert(cfs, Box::new(live));
            }
            Action::Modify => {
                if let Some(live) = self.services.get_mut(&cfs) {
                    live.characteristics = characteristics;
                    record_services(cfs, live, order, ServiceState::Active, now, effects);
                }
            }
            Action::Delete => {
                if let Some(live) = self.services.remove(&cfs) {
                    record_services(cfs, &live, order, ServiceState::Terminated, now, effects);
                }
            }
            Action::NoChange => {}
        }
    }

    /// Moves the order to the terminal state its items imply and tells the parent. While a
    /// cancel is pending, the order ends `cancelled` once every item is terminal and every
    /// completed `add` item has been undone.
    pub(super) fn settle(&mut self, id: ServiceOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        if order.state.is_terminal() {
            return;
        }
        let event = if order.state == OrderState::PendingCancellation {
            let undone = |item: &ServiceOrderItem| {
                item.state != OrderState::Completed
                    || item.action != Action::Add
                    || item.compensated
            };
            let done = order
                .items
                .iter()
                .all(|item| item.state.is_terminal() && undone(item));
            if !done {
                return;
            }
            OrderEvent::CancelCompleted
        } else {
            let Some(event) = derive_from_items(order.items.iter().map(|item| item.state)) else {
                return;
            };
            event
        };
        if transition(
            Machine::ServiceOrder,
            &mut order.state,
            &mut order.history,
            event,
            now,
            &mut self.illegal,
        )
        .is_err()
        {
            return;
        }
        order.completion_date = Some(now);
        self.open = self.open.saturating_sub(1);
        effects.observe(Observation::OrderEnded {
            layer: LayerId::Som,
            state: order.state,
            took: now.since(order.order_date),
        });
        effects.publish(EventKind::StateChange, Subject::ServiceOrder(id), now);
        if let Some(parent) = order.parent {
            self.by_parent.remove(&parent);
            let items = order
                .items
                .iter()
                .map(|item| ServiceItemSummary {
                    id: item.id.clone(),
                    parent_item: item.parent_item.clone().unwrap_or_default(),
                    action: item.action,
                    specification: item.service_specification.clone(),
                    // What a cancel undid is reported as cancelled, never as built.
                    state: if item.compensated {
                        OrderState::Cancelled
                    } else {
                        item.state
                    },
                    service: item.service,
                })
                .collect();
            let summary = ServiceOrderSummary {
                id,
                parent,
                state: order.state,
                items,
                failure: order.failure.clone(),
            };
            effects.send(now, Message::Com(ComInput::ServiceOrderChanged(summary)));
        }
        self.finish_cancel(id, now, effects);
        if let Some(next) = self.workers.release(id) {
            effects.send(now, Message::Som(SomInput::Wake(next)));
        }
        if let Some(evicted) = self.retention.terminal(id) {
            self.orders.remove(&evicted);
            if let Some(cancel) = self.cancelling.remove(&evicted) {
                self.cancels.remove(&cancel);
            }
        }
    }

    fn patch(
        &mut self,
        reply: ReplyToken,
        id: ServiceOrderId,
        patch: OrderPatch,
        now: Time,
        effects: &mut Effects,
    ) {
        patch_and_answer(
            &mut self.orders,
            id,
            "service order",
            patch,
            reply,
            Subject::ServiceOrder(id),
            Reply::ServiceOrder,
            now,
            effects,
        );
    }

    fn delete(&mut self, reply: ReplyToken, id: ServiceOrderId, now: Time, effects: &mut Effects) {
        delete_and_answer(
            &mut self.orders,
            id,
            "service order",
            reply,
            Subject::ServiceOrder(id),
            now,
            effects,
        );
    }
}

/// CFS item → one resource order holding every resource of every supporting RFS; allocates
/// the CFS and RFS service ids.
fn decompose_item(
    catalog: &Catalog,
    topology: &Topology,
    next_service: &mut u64,
    order: ServiceOrderId,
    item: &mut ServiceOrderItem,
) -> ResourceOrderCreate {
    let mut take_service = || {
        let id = ServiceId(*next_service);
        *next_service += 1;
        id
    };
    item.service = Some(take_service());
    let mut items = Vec::new();
    // Validated at create, so every lookup succeeds.
    for rfs in supporting_services(catalog, &item.service_specification).unwrap_or(&[]) {
        let rfs_service = take_service();
        item.supporting_services.push(rfs_service);
        for (resource_specification, kind) in checked_resources(catalog, rfs) {
            items.push(ResourceOrderItemCreate {
                id: (items.len() + 1).to_string(),
                action: Action::Add,
                resource_specification: resource_specification.clone(),
                kind,
                rfs: Rfs {
                    id: Some(rfs_service),
                    specification: rfs.clone(),
                },
                resource: None,
            });
        }
    }
    resource_order(
        topology,
        order,
        item.id.clone(),
        &item.characteristics,
        items,
    )
}

/// A modify or delete of a live CFS: one item per resource it holds.
fn change_request(
    topology: &Topology,
    order: ServiceOrderId,
    item: &ServiceOrderItem,
    live: &LiveCfs,
) -> ResourceOrderCreate {
    let mut characteristics = live.characteristics.to_vec();
    for change in item.characteristics.iter() {
        characteristics.retain(|existing| existing.name != change.name);
        characteristics.push(change.clone());
    }
    let items = held_items(&live.resources, item.action);
    resource_order(
        topology,
        order,
        item.id.clone(),
        &characteristics.into(),
        items,
    )
}

/// Resource order items that act on resources already held.
pub(super) fn held_items(
    resources: &[HeldResource],
    action: Action,
) -> Vec<ResourceOrderItemCreate> {
    resources
        .iter()
        .enumerate()
        .map(|(index, held)| ResourceOrderItemCreate {
            id: (index + 1).to_string(),
            action,
            resource_specification: held.resource_specification.clone(),
            kind: held.kind,
            rfs: Rfs {
                id: Some(held.service),
                specification: held.service_specification.clone(),
            },
            resource: Some(held.resource),
        })
        .collect()
}

pub(super) fn resource_order(
    topology: &Topology,
    order: ServiceOrderId,
    item_key: String,
    characteristics: &crate::layers::common::Characteristics,
    items: Vec<ResourceOrderItemCreate>,
) -> ResourceOrderCreate {
    let region_name = characteristic_text(characteristics, "region").unwrap_or_default();
    let olt = characteristic_text(characteristics, "oltId")
        .and_then(|name| topology.element_by_name(&name));
    ResourceOrderCreate {
        header: None,
        // Unique per resource order, so a cancel that has not seen the order's id can find it.
        external_id: Some(external_id(order, &item_key)),
        parent: Some((order, item_key)),
        region: topology
            .region_by_name(&region_name)
            .unwrap_or(crate::network::RegionId(0)),
        olt,
        characteristics: characteristics.clone(),
        items,
    }
}

/// `SO-7/1`: the external id of the resource order realising item `item_key` of `order`.
/// Built by hand: it is written once per resource order, and `format!` cost more than the
/// rest of [`resource_order`] (issue 10's chain profile).
fn external_id(order: ServiceOrderId, item_key: &str) -> String {
    let mut id = order.to_string();
    id.push('/');
    id.push_str(item_key);
    id
}

/// Records the CFS and its RFSs in the TMF638 inventory in `state`.
pub(super) fn record_services(
    cfs: ServiceId,
    live: &LiveCfs,
    order: ServiceOrderId,
    state: ServiceState,
    now: Time,
    effects: &mut Effects,
) {
    for rfs in &live.supporting_services {
        let held = live.resources.iter().filter(|held| held.service == *rfs);
        let specification = held
            .clone()
            .next()
            .map(|held| held.service_specification.clone())
            .unwrap_or_else(|| live.specification.clone());
        let record = ServiceRecord {
            id: *rfs,
            specification,
            category: ServiceCategory::Rfs,
            state,
            order,
            supporting_services: Vec::new(),
            supporting_resources: held.map(|held| held.resource).collect(),
            characteristics: crate::layers::common::Characteristics::default(),
        };
        effects.send(now, Message::Inventory(InventoryInput::Service(record)));
    }
    let record = ServiceRecord {
        id: cfs,
        specification: live.specification.clone(),
        category: ServiceCategory::Cfs,
        state,
        order,
        supporting_services: live.supporting_services.clone(),
        supporting_resources: Vec::new(),
        characteristics: live.characteristics.clone(),
    };
    effects.send(now, Message::Inventory(InventoryInput::Service(record)));
}

/// SOM's create of a resource order (no caller waits: ROM reports through its events).
fn create(order: crate::layers::rom::ResourceOrderCreate) -> RomInput {
    RomInput::Create {
        reply: None,
        order: Box::new(order),
    }
}

#[cfg(test)]
mod external_id_tests {
    use crate::domain::ids::ServiceOrderId;

    #[test]
    fn a_resource_orders_external_id_names_its_service_order_and_item() {
        assert_eq!(super::external_id(ServiceOrderId(7), "1"), "SO-7/1");
        assert_eq!(super::external_id(ServiceOrderId(12), "1.2"), "SO-12/1.2");
    }
}
