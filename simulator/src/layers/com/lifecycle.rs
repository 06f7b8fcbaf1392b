//! COM's product lifecycle: what modify, delete and noChange items decompose into, how a
//! finished service order changes the products in service, and cancellation.
//!
//! A modify item is read as one of three changes of an existing product: a *bundle change*
//! when it carries an `addOn` characteristic naming an add-on offering (new CFSs beside the
//! existing ones); a *technology migration* when its `productOffering` differs from the
//! product's (new CFSs and resources, then the old ones ceased; the product keeps its id);
//! otherwise a *speed change* (the CFSs are modified with the new characteristics, no new
//! resources). A delete ceases every CFS of the product.
//!
//! Cancel has one winner. COM accepts a cancel only while the order is not terminal; an order
//! that has not reached SOM is discarded at once, otherwise SOM is asked to cancel. If SOM's
//! service order had already finished, COM undoes what it built with a compensating service
//! order (delete items) before the product order ends `cancelled`.

use std::sync::Arc;

use super::{
    CancelProductOrder, ComLayer, LiveProduct, ProductOrderItem, ServiceItemSummary,
    ServiceOrderSummary,
};
use crate::domain::decompose::{service_change, services_for_offering};
use crate::domain::ids::{CancelProductOrderId, ProductId, ProductOrderId};
use crate::domain::state::{Machine, OrderEvent, OrderState, TaskEvent, TaskState};
use crate::domain::time::Time;
use crate::layers::common::{
    Action, Characteristic, Characteristics, characteristic_text, transition,
};
use crate::layers::inventory::{InventoryInput, ProductRecord, ProductStatus};
use crate::layers::som::{ServiceOrderCreate, ServiceOrderItemCreate, ServiceOrderRef, SomInput};
use crate::layers::{
    Effects, EventKind, Message, Rejection, RejectionKind, Reply, ReplyToken, Subject,
};

/// The characteristic that names the add-on of a bundle change.
const ADD_ON: &str = "addOn";

impl ComLayer {
    /// A modify, delete or noChange item must name a product in service that no other order
    /// is changing; a modify must describe a change the catalog allows.
    pub(super) fn validate_change(
        &self,
        item: &super::ProductOrderItemCreate,
    ) -> Result<(), Rejection> {
        let invalid = |message: String| Err(Rejection::new(RejectionKind::InvalidRequest, message));
        let Some(product_id) = item.product else {
            return invalid(format!(
                "item {}: `{}` needs product.id",
                item.id,
                item.action.as_str()
            ));
        };
        // A product that never existed or was ceased is not found, whatever the action.
        let Some(product) = self.products.get(&product_id) else {
            return Err(Rejection::new(
                RejectionKind::NotFound,
                format!("item {}: product {product_id} is not active", item.id),
            ));
        };
        if let Some(order) = product.busy {
            return Err(Rejection::new(
                RejectionKind::Conflict,
                format!(
                    "item {}: product {product_id} is being changed by {order}",
                    item.id
                ),
            ));
        }
        if item.action != Action::Modify {
            return Ok(());
        }
        if let Some(add_on) = characteristic_text(&item.characteristics, ADD_ON) {
            let offering = self.catalog.offerings.get(&*add_on);
            if offering.is_none_or(|offering| offering.is_sellable_alone) {
                return invalid(format!(
                    "item {}: `{add_on}` is not an add-on offering",
                    item.id
                ));
            }
            if product.add_ons.iter().any(|existing| **existing == *add_on) {
                return Err(Rejection::new(
                    RejectionKind::Conflict,
                    format!(
                        "item {}: product {product_id} already has `{add_on}`",
                        item.id
                    ),
                ));
            }
            return Ok(());
        }
        if !item.offering.is_empty() && item.offering != product.offering {
            let sellable = self
                .catalog
                .offerings
                .get(&item.offering)
                .is_some_and(|offering| offering.is_sellable_alone);
            if !sellable {
                return invalid(format!(
                    "item {}: cannot migrate to `{}`",
                    item.id, item.offering
                ));
            }
            service_change(&self.catalog, &product.offering, &item.offering)?;
        }
        self.validate_placement(&item.id, &item.characteristics)
    }

    /// The service order items one product order item decomposes into.
    pub(super) fn service_items(&self, item: &ProductOrderItem) -> Vec<ServiceOrderItemCreate> {
        let product = item.product.and_then(|id| self.products.get(&id));
        let child = |index: usize,
                     action: Action,
                     specification: &Arc<str>,
                     service,
                     characteristics: Characteristics| ServiceOrderItemCreate {
            id: child_item_id(&item.id, index),
            action,
            service_specification: specification.clone(),
            service,
            parent_item: Some(item.id.clone()),
            characteristics,
        };
        match (item.action, product) {
            (Action::Add, _) => {
                let characteristics = self.with_region(&item.characteristics);
                let cfs = services_for_offering(&self.catalog, &item.offering).unwrap_or(&[]);
                cfs.iter()
                    .enumerate()
                    .map(|(index, spec)| {
                        child(index, Action::Add, spec, None, characteristics.clone())
                    })
                    .collect()
            }
            (Action::Delete, Some(product)) => product
                .services
                .iter()
                .enumerate()
                .map(|(index, (spec, id))| {
                    child(
                        index,
                        Action::Delete,
                        spec,
                        Some(*id),
                        Characteristics::default(),
                    )
                })
                .collect(),
            (Action::Modify, Some(product)) => {
                let characteristics: Characteristics =
                    merged(&product.characteristics, &item.characteristics).into();
                if let Some(add_on) = characteristic_text(&item.characteristics, ADD_ON) {
                    let cfs = services_for_offering(&self.catalog, &add_on).unwrap_or(&[]);
                    return cfs
                        .iter()
                        .enumerate()
                        .map(|(index, spec)| {
                            child(index, Action::Add, spec, None, characteristics.clone())
                        })
                        .collect();
                }
                if item.offering != product.offering {
                    let Ok(change) =
                        service_change(&self.catalog, &product.offering, &item.offering)
                    else {
                        return Vec::new();
                    };
                    let adds = change.added.iter().map(|spec| (Action::Add, spec, None));
                    let removed = product
                        .services
                        .iter()
                        .filter(|(spec, _)| change.removed.contains(spec));
                    let deletes = removed.map(|(spec, id)| (Action::Delete, spec, Some(*id)));
                    return adds
                        .chain(deletes)
                        .enumerate()
                        .map(|(index, (action, spec, id))| {
                            child(index, action, spec, id, characteristics.clone())
                        })
                        .collect();
                }
                // A change of the product's own characteristics (a speed change) concerns the
                // CFSs of its offering, never an add-on's: modifying the IPTV of a fibre + IPTV
                // product too made one failed speed change a `partial` service order under a
                // `failed` product order, with the IPTV reconfigured (issue 11, finding 6).
                let own = services_for_offering(&self.catalog, &product.offering).unwrap_or(&[]);
                let changed: Vec<_> = product
                    .services
                    .iter()
                    .filter(|(spec, _)| own.contains(spec))
                    .collect();
                let changed = match changed.is_empty() {
                    true => product.services.iter().collect(),
                    false => changed,
                };
                changed
                    .into_iter()
                    .enumerate()
                    .map(|(index, (spec, id))| {
                        child(
                            index,
                            Action::Modify,
                            spec,
                            Some(*id),
                            item.characteristics.clone(),
                        )
                    })
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// `characteristics` with the first region added when they name none (shared, not
    /// copied, when they do).
    fn with_region(&self, characteristics: &Characteristics) -> Characteristics {
        if characteristic_text(characteristics, "region").is_some() {
            return characteristics.clone();
        }
        let Some(region) = self.topology.regions.first() else {
            return characteristics.clone();
        };
        let mut with_region = characteristics.to_vec();
        with_region.push(Characteristic {
            name: "region".into(),
            value: region.name.clone().into(),
        });
        with_region.into()
    }

    /// Applies what the completed children of item `index` changed to the products in
    /// service and the TMF637 inventory. `completed` says whether the item as a whole did.
    pub(super) fn apply_children(
        &mut self,
        id: ProductOrderId,
        index: usize,
        children: &[ServiceItemSummary],
        completed: bool,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(item) = self
            .orders
            .get(&id)
            .and_then(|order| order.items.get(index))
            .cloned()
        else {
            return;
        };
        let done = children
            .iter()
            .filter(|child| child.state == OrderState::Completed);
        let added: Vec<(Arc<str>, _)> = done
            .clone()
            .filter(|child| child.action == Action::Add)
            .filter_map(|child| Some((child.specification.clone(), child.service?)))
            .collect();
        let removed: Vec<_> = done
            .filter(|child| child.action == Action::Delete)
            .filter_map(|child| child.service)
            .collect();
        let product_id = match (item.action, item.product) {
            (Action::Add, _) if completed => {
                let product = ProductId(self.next_product);
                self.next_product += 1;
                let live = LiveProduct {
                    offering: item.offering.clone(),
                    services: Vec::new(),
                    characteristics: self.with_region(&item.characteristics),
                    add_ons: Vec::new(),
                    busy: None,
                    start: now,
                };
                self.products.insert(product, Box::new(live));
                product
            }
            (Action::Modify | Action::Delete, Some(product)) => product,
            _ => return,
        };
        let Some(live) = self.products.get_mut(&product_id) else {
            return;
        };
        live.services
            .retain(|(_, service)| !removed.contains(service));
        live.services.extend(added);
        if item.action == Action::Modify && completed {
            match characteristic_text(&item.characteristics, ADD_ON) {
                Some(add_on) => live.add_ons.push(Arc::from(&*add_on)),
                None if item.offering != live.offering => live.offering = item.offering.clone(),
                None => {
                    live.characteristics =
                        merged(&live.characteristics, &item.characteristics).into();
                }
            }
        }
        let ceased = item.action == Action::Delete && live.services.is_empty();
        let record = ProductRecord {
            id: product_id,
            offering: live.offering.clone(),
            status: if ceased {
                ProductStatus::Terminated
            } else {
                ProductStatus::Active
            },
            characteristics: live.characteristics.clone(),
            order: id,
            services: live.services.iter().map(|(_, service)| *service).collect(),
            start: live.start,
            termination: ceased.then_some(now),
        };
        if ceased {
            self.products.remove(&product_id);
        }
        effects.send(now, Message::Inventory(InventoryInput::Product(record)));
        if let Some(item) = self
            .orders
            .get_mut(&id)
            .and_then(|order| order.items.get_mut(index))
        {
            item.product = Some(product_id);
            item.services = children.iter().filter_map(|child| child.service).collect();
        }
    }

    /// CancelProductOrder: idempotent; refused for terminal orders and for changes under way.
    pub(super) fn cancel(
        &mut self,
        reply: ReplyToken,
        id: ProductOrderId,
        reason: Option<String>,
        now: Time,
        effects: &mut Effects,
    ) {
        if let Some(answer) = self.existing_or_refusal(id) {
            effects.reply(reply, answer);
            return;
        }
        let started = self
            .orders
            .get(&id)
            .is_some_and(|order| order.state == OrderState::InProgress);
        let cancel_id = self.open_cancel(id, reason.clone(), now);
        if let Some(request) = self.cancels.get(&cancel_id) {
            effects.reply(reply, Reply::CancelProductOrder(Box::new(request.clone())));
        }
        effects.publish(
            EventKind::Create,
            Subject::CancelProductOrder(cancel_id),
            now,
        );
        effects.publish(EventKind::StateChange, Subject::ProductOrder(id), now);
        self.advance_cancel(cancel_id, TaskEvent::Start, now, effects);
        if started {
            let order = ServiceOrderRef::Parent(id);
            let message = SomInput::Cancel {
                reply: None,
                order,
                reason,
            };
            effects.send(now, Message::Som(message));
        } else {
            self.finish_cancel(id, now, effects);
        }
    }

    /// The first cancel request of `id` if it has one (a duplicate changes nothing), or the
    /// refusal of an unknown or terminal order or of a modify/delete under way; `None` when a
    /// new cancel may start.
    fn existing_or_refusal(&self, id: ProductOrderId) -> Option<Reply> {
        let refuse = |kind, message: String| Some(Reply::Rejected(Rejection::new(kind, message)));
        let Some(order) = self.orders.get(&id) else {
            return refuse(
                RejectionKind::NotFound,
                format!("product order {id} not found"),
            );
        };
        if let Some(existing) = order
            .cancellation
            .and_then(|cancel| self.cancels.get(&cancel))
        {
            return Some(Reply::CancelProductOrder(Box::new(existing.clone())));
        }
        if order.state.is_terminal() {
            let message = format!(
                "product order {id} is {} and can no longer be cancelled",
                order.state.as_str()
            );
            return refuse(RejectionKind::Conflict, message);
        }
        let changes = order
            .items
            .iter()
            .any(|item| matches!(item.action, Action::Modify | Action::Delete));
        if order.state == OrderState::InProgress && changes {
            let message = format!(
                "product order {id} changes products in service and is under way; it cannot be cancelled"
            );
            return refuse(RejectionKind::Conflict, message);
        }
        None
    }

    /// Records a new cancel request (acknowledged) and moves the order to
    /// pendingCancellation; returns the request's id.
    fn open_cancel(
        &mut self,
        id: ProductOrderId,
        reason: Option<String>,
        now: Time,
    ) -> CancelProductOrderId {
        let cancel_id = CancelProductOrderId(self.next_order);
        self.next_order += 1;
        let request = CancelProductOrder {
            id: cancel_id,
            order: id,
            state: TaskState::Acknowledged,
            reason,
            requested: now,
            effective: None,
        };
        self.cancels.insert(cancel_id, request);
        if let Some(order) = self.orders.get_mut(&id) {
            order.cancellation = Some(cancel_id);
            for event in [OrderEvent::CancelRequested, OrderEvent::CancelAccepted] {
                let _ = transition(
                    Machine::ProductOrder,
                    &mut order.state,
                    &mut order.history,
                    event,
                    now,
                    &mut self.illegal,
                );
            }
        }
        cancel_id
    }

    /// The service order of an order being cancelled ended.
    pub(super) fn cancel_outcome(
        &mut self,
        summary: ServiceOrderSummary,
        now: Time,
        effects: &mut Effects,
    ) {
        let Some(order) = self.orders.get_mut(&summary.parent) else {
            return;
        };
        if order.compensating || summary.state == OrderState::Cancelled {
            self.finish_cancel(summary.parent, now, effects);
            return;
        }
        // The service order finished before the cancel reached SOM: undo what it built.
        let Some(request) = undo_request(&summary) else {
            self.finish_cancel(summary.parent, now, effects);
            return;
        };
        order.compensating = true;
        effects.send(
            now,
            Message::Som(SomInput::Create {
                reply: None,
                order: request,
            }),
        );
    }

    /// Rollback finished: every open item and the order end `cancelled`; the request is done.
    fn finish_cancel(&mut self, id: ProductOrderId, now: Time, effects: &mut Effects) {
        let Some(order) = self.orders.get_mut(&id) else {
            return;
        };
        for item in order
            .items
            .iter_mut()
            .filter(|item| !item.state.is_terminal())
        {
            for event in [
                OrderEvent::CancelRequested,
                OrderEvent::CancelAccepted,
                OrderEvent::CancelCompleted,
            ] {
                let _ = transition(
                    Machine::ProductOrderItem,
                    &mut item.state,
                    &mut item.history,
                    event,
                    now,
                    &mut self.illegal,
                );
            }
        }
        if transition(
            Machine::ProductOrder,
            &mut order.state,
            &mut order.history,
            OrderEvent::CancelCompleted,
            now,
            &mut self.illegal,
        )
        .is_err()
        {
            return;
        }
        let cancel = order.cancellation;
        self.ended(id, now, effects);
        if let Some(cancel) = cancel {
            self.advance_cancel(cancel, TaskEvent::Finish, now, effects);
        }
    }

    fn advance_cancel(
        &mut self,
        id: CancelProductOrderId,
        event: TaskEvent,
        now: Time,
        effects: &mut Effects,
    ) {
        if let Some(request) = self.cancels.get_mut(&id)
            && request.advance(event, now, &mut self.illegal)
        {
            effects.publish(EventKind::StateChange, Subject::CancelProductOrder(id), now);
        }
    }
}

/// A service order deleting every CFS that `summary`'s `add` items built, if any.
pub(super) fn undo_request(summary: &ServiceOrderSummary) -> Option<ServiceOrderCreate> {
    let built = summary
        .items
        .iter()
        .filter(|child| child.state == OrderState::Completed && child.action == Action::Add);
    let items: Vec<ServiceOrderItemCreate> = built
        .filter_map(|child| {
            Some(ServiceOrderItemCreate {
                id: format!("{}.undo", child.id),
                action: Action::Delete,
                service_specification: child.specification.clone(),
                service: Some(child.service?),
                parent_item: Some(child.parent_item.clone()),
                characteristics: Characteristics::default(),
            })
        })
        .collect();
    (!items.is_empty()).then(|| ServiceOrderCreate {
        external_id: Some(format!("{}/undo", summary.parent)),
        parent: Some(summary.parent),
        items,
    })
}

/// `base` with every characteristic of `changes` replacing the one of the same name.
fn merged(base: &[Characteristic], changes: &[Characteristic]) -> Vec<Characteristic> {
    let mut result: Vec<Characteristic> = base
        .iter()
        .filter(|existing| !changes.iter().any(|change| change.name == existing.name))
        .cloned()
        .collect();
    result.extend(
        changes
            .iter()
            .filter(|change| &*change.name != ADD_ON)
            .cloned(),
    );
    result
}

/// `1.2`: the id of the second service order item that product order item `1` decomposes
/// into. Built by hand, as it is once per item on the chain's hot path.
fn child_item_id(parent: &str, index: usize) -> String {
    let mut id = String::with_capacity(parent.len() + 4);
    id.push_str(parent);
    id.push('.');
    // Writing into a String cannot fail.
    let _ = std::fmt::Write::write_fmt(&mut id, format_args!("{}", index + 1));
    id
}

#[cfg(test)]
mod child_item_id_tests {
    #[test]
    fn child_ids_number_from_one_after_the_parent_id() {
        assert_eq!(super::child_item_id("1", 0), "1.1");
        assert_eq!(super::child_item_id("item-7", 11), "item-7.12");
    }
}
