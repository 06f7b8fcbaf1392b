//! SOM's state machine: service order intake, CFS → RFS → resource decomposition into one
//! resource order per item, and state derived from the resource orders' events.

use std::sync::Arc;

use super::{
    ResourceOrderSummary, ServiceOrder, ServiceOrderCreate, ServiceOrderItem, SomInput, SomLayer,
};
use crate::config::Limits;
use crate::domain::catalog::{Catalog, ServiceCategory};
use crate::domain::decompose::{resources_for, supporting_services};
use crate::domain::ids::{ServiceId, ServiceOrderId};
use crate::domain::state::{Machine, OrderEvent, OrderState, ServiceState, derive_from_items};
use crate::domain::time::Time;
use crate::layers::com::{ComInput, ServiceItemSummary, ServiceOrderSummary};
use crate::layers::common::{
    Action, History, IllegalLog, OrderPatch, Retention, characteristic_text, transition,
};
use crate::layers::inventory::{InventoryInput, ServiceRecord};
use crate::layers::rom::{ResourceOrderCreate, ResourceOrderItemCreate, RomInput};
use crate::layers::{
    Effects, EventKind, Layer, LayerId, Message, Rejection, RejectionKind, Reply, ReplyToken,
    SimRng, Subject,
};
use crate::network::Topology;

impl SomLayer {
    /// An empty SOM over `catalog` and `topology`.
    pub fn new(catalog: Arc<Catalog>, topology: Arc<Topology>, limits: Limits) -> SomLayer {
        SomLayer {
            orders: Default::default(),
            illegal: IllegalLog::default(),
            retention: Retention::new(limits.retained_orders_max),
            next_order: 1,
            next_service: 1,
            open: 0,
            catalog,
            topology,
            limits,
        }
    }
}

impl Layer for SomLayer {
    type Input = SomInput;
    const ID: LayerId = LayerId::Som;

    fn handle(&mut self, input: SomInput, now: Time, _rng: &mut SimRng, effects: &mut Effects) {
        match input {
            SomInput::Create { reply, order } => self.create(reply, order, now, effects),
            SomInput::Patch {
                reply,
                order,
                patch,
            } => self.patch(reply, order, patch, now, effects),
            SomInput::Delete { reply, order } => self.delete(reply, order, now, effects),
            SomInput::ResourceOrderChanged(summary) => {
                self.resource_order_changed(summary, now, effects)
            }
            SomInput::Wake(id) => self.start(id, now, effects),
        }
    }
}

impl SomLayer {
    fn create(
        &mut self,
        reply: Option<ReplyToken>,
        request: ServiceOrderCreate,
        now: Time,
        effects: &mut Effects,
    ) {
        if let Err(rejection) = self.validate(&request) {
            match reply {
                Some(token) => effects.reply(token, Reply::Rejected(rejection)),
                // From COM, which validated: an inconsistency, recorded as a failed order.
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
            })
            .collect();
        let order = ServiceOrder {
            id,
            external_id: request.external_id,
            description: None,
            priority: None,
            parent: request.parent,
            state: OrderState::Acknowledged,
            history: History::starting(OrderState::Acknowledged, now),
            order_date: now,
            completion_date: None,
            items,
        };
        if let Some(token) = reply {
            effects.reply(token, Reply::ServiceOrder(Box::new(order.clone())));
        }
        self.orders.insert(id, order);
        self.open += 1;
        effects.publish(EventKind::Create, Subject::ServiceOrder(id), now);
        effects.send(now, Message::Som(SomInput::Wake(id)));
    }

    fn validate(&self, request: &ServiceOrderCreate) -> Result<(), Rejection> {
        if self.open >= self.limits.open_orders_max {
            return Err(Rejection::new(
                RejectionKind::LimitExceeded,
                "too many open service orders; retry later",
            ));
        }
        if request.items.is_empty() || request.items.len() > self.limits.items_per_order_max {
            return Err(Rejection::new(
                RejectionKind::InvalidRequest,
                "serviceOrderItem must hold 1 to items_per_order_max items",
            ));
        }
        for item in &request.items {
            if item.action != Action::Add {
                return Err(Rejection::new(
                    RejectionKind::Unsupported,
                    format!("item {}: only `add` is supported yet", item.id),
                ));
            }
            for rfs in supporting_services(&self.catalog, &item.service_specification)? {
                resources_for(&self.catalog, rfs)?;
            }
            let region = characteristic_text(&item.characteristics, "region");
            if region
                .as_deref()
                .and_then(|name| self.topology.region_by_name(name))
                .is_none()
            {
                return Err(Rejection::new(
                    RejectionKind::InvalidRequest,
                    format!(
                        "item {}: a known `region` characteristic is required",
                        item.id
                    ),
                ));
            }
        }
        Ok(())
    }

    fn start(&mut self, id: ServiceOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        if transition(
            Machine::ServiceOrder,
            &mut order.state,
            &mut order.history,
            OrderEvent::Start,
            now,
            &mut self.illegal,
        )
        .is_err()
        {
            return;
        }
        effects.publish(EventKind::StateChange, Subject::ServiceOrder(id), now);
        for index in 0..order.items.len() {
            let item = &mut order.items[index];
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
                continue;
            }
            let request = decompose_item(
                &self.catalog,
                &self.topology,
                &mut self.next_service,
                id,
                item,
            );
            effects.send(
                now,
                Message::Rom(RomInput::Create {
                    reply: None,
                    order: request,
                }),
            );
        }
    }

    fn resource_order_changed(
        &mut self,
        summary: ResourceOrderSummary,
        now: Time,
        effects: &mut Effects,
    ) {
        let (order_id, item_id) = &summary.parent;
        let Some(order) = self.orders.get_mut(order_id) else {
            return;
        };
        let Some(item) = order.items.iter_mut().find(|item| &item.id == item_id) else {
            return;
        };
        item.resource_order = Some(summary.id);
        if !summary.state.is_terminal() || item.state.is_terminal() {
            return;
        }
        let event = match summary.state {
            OrderState::Completed => OrderEvent::Complete,
            OrderState::Partial => OrderEvent::CompletePartially,
            _ => OrderEvent::Fail,
        };
        if transition(
            Machine::ServiceOrderItem,
            &mut item.state,
            &mut item.history,
            event,
            now,
            &mut self.illegal,
        )
        .is_ok()
            && event == OrderEvent::Complete
        {
            item.supporting_resources = summary
                .resources
                .iter()
                .map(|(_, resource)| *resource)
                .collect();
            record_services(&self.catalog, item, *order_id, &summary, now, effects);
        }
        self.settle(*order_id, now, effects);
    }

    /// Moves the order to the terminal state its items imply and tells the parent.
    fn settle(&mut self, id: ServiceOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        let Some(event) = derive_from_items(order.items.iter().map(|item| item.state)) else {
            return;
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
        effects.publish(EventKind::StateChange, Subject::ServiceOrder(id), now);
        if let Some(parent) = order.parent {
            let items = order
                .items
                .iter()
                .map(|item| ServiceItemSummary {
                    id: item.id.clone(),
                    parent_item: item.parent_item.clone().unwrap_or_default(),
                    state: item.state,
                    service: item.service,
                })
                .collect();
            let summary = ServiceOrderSummary {
                id,
                parent,
                state: order.state,
                items,
            };
            effects.send(now, Message::Com(ComInput::ServiceOrderChanged(summary)));
        }
        if let Some(evicted) = self.retention.terminal(id) {
            self.orders.remove(&evicted);
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
        let Some(order) = self.orders.get_mut(&id) else {
            effects.reply(
                reply,
                Reply::Rejected(Rejection::new(
                    RejectionKind::NotFound,
                    format!("service order {id} not found"),
                )),
            );
            return;
        };
        let changed =
            patch.description.is_some() || patch.priority.is_some() || patch.external_id.is_some();
        order.description = patch.description.or(order.description.take());
        order.priority = patch.priority.or(order.priority.take());
        order.external_id = patch.external_id.or(order.external_id.take());
        effects.reply(reply, Reply::ServiceOrder(Box::new(order.clone())));
        if changed {
            effects.publish(
                EventKind::AttributeValueChange,
                Subject::ServiceOrder(id),
                now,
            );
        }
    }

    fn delete(&mut self, reply: ReplyToken, id: ServiceOrderId, now: Time, effects: &mut Effects) {
        let rejection = match self.orders.get(&id) {
            None => Rejection::new(
                RejectionKind::NotFound,
                format!("service order {id} not found"),
            ),
            Some(order) if !order.state.is_terminal() => Rejection::new(
                RejectionKind::Conflict,
                format!(
                    "service order {id} is {}; only terminal orders can be deleted",
                    order.state.as_str()
                ),
            ),
            Some(_) => {
                effects.publish(EventKind::Delete, Subject::ServiceOrder(id), now);
                self.orders.remove(&id);
                effects.reply(reply, Reply::Deleted);
                return;
            }
        };
        effects.reply(reply, Reply::Rejected(rejection));
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
        for (resource_specification, kind) in resources_for(catalog, rfs).unwrap_or_default() {
            items.push(ResourceOrderItemCreate {
                id: (items.len() + 1).to_string(),
                action: Action::Add,
                resource_specification: resource_specification.clone(),
                kind,
                service: rfs_service,
                service_specification: rfs.clone(),
            });
        }
    }
    let region_name = characteristic_text(&item.characteristics, "region").unwrap_or_default();
    let olt = characteristic_text(&item.characteristics, "oltId")
        .and_then(|name| topology.element_by_name(&name));
    ResourceOrderCreate {
        external_id: Some(order.to_string()),
        parent: Some((order, item.id.clone())),
        region: topology
            .region_by_name(&region_name)
            .unwrap_or(crate::network::RegionId(0)),
        olt,
        characteristics: item.characteristics.clone(),
        items,
    }
}

/// Records the CFS and its RFSs as active services in the TMF638 inventory.
fn record_services(
    catalog: &Catalog,
    item: &ServiceOrderItem,
    order: ServiceOrderId,
    summary: &ResourceOrderSummary,
    now: Time,
    effects: &mut Effects,
) {
    let specifications = supporting_services(catalog, &item.service_specification).unwrap_or(&[]);
    for (rfs, specification) in item.supporting_services.iter().zip(specifications) {
        let resources = summary
            .resources
            .iter()
            .filter(|(service, _)| service == rfs)
            .map(|(_, resource)| *resource)
            .collect();
        let record = ServiceRecord {
            id: *rfs,
            specification: specification.clone(),
            category: ServiceCategory::Rfs,
            state: ServiceState::Active,
            order,
            supporting_services: Vec::new(),
            supporting_resources: resources,
            characteristics: Vec::new(),
        };
        effects.send(now, Message::Inventory(InventoryInput::Service(record)));
    }
    if let Some(cfs) = item.service {
        let record = ServiceRecord {
            id: cfs,
            specification: item.service_specification.clone(),
            category: ServiceCategory::Cfs,
            state: ServiceState::Active,
            order,
            supporting_services: item.supporting_services.clone(),
            supporting_resources: Vec::new(),
            characteristics: item.characteristics.clone(),
        };
        effects.send(now, Message::Inventory(InventoryInput::Service(record)));
    }
}
