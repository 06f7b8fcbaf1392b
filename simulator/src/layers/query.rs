//! The typed read API over the layers' stores: what HTTP, `/metrics`, the audit and loadgen
//! read, as pure functions of the stores (a runtime hands them the store, under its lock for
//! as short as the function runs). One entity comes out cloned, so it is rendered with the
//! lock released; lists walk a store in bounded slices (see `http::list`).

use std::collections::BTreeMap;

use crate::domain::ids::{
    ActivationId, AllocationId, CancelProductOrderId, CancelResourceOrderId, CancelServiceOrderId,
    ProductOrderId, ResourceOrderId, ServiceOrderId,
};
use crate::domain::state::OrderState;
use crate::layers::activation::{ActivationLayer, ActivationService};
use crate::layers::com::{CancelProductOrder, ComLayer, ProductOrder};
use crate::layers::common::RetryCounts;
use crate::layers::rom::{CancelResourceOrder, ResourceOrder, RomLayer};
use crate::layers::som::{CancelServiceOrder, ServiceOrder, SomLayer};
use crate::network::FaultStatus;

/// An entity looked up by id.
#[derive(Clone, Debug, PartialEq)]
pub enum Lookup<T> {
    /// It is held; a copy.
    Found(T),
    /// It existed (its id was issued) and is no longer kept.
    Forgotten,
    /// No such id was ever issued.
    Missing,
}

/// A product order by id; one whose id was issued but that is gone is [`Lookup::Forgotten`].
pub fn product_order(com: &ComLayer, id: ProductOrderId) -> Lookup<ProductOrder> {
    match com.orders.get(&id) {
        Some(order) => Lookup::Found((**order).clone()),
        // Ids are issued in order: a lower one than the next existed and was forgotten.
        None if id.0 < com.next_order => Lookup::Forgotten,
        None => Lookup::Missing,
    }
}

/// A cancel product order request by id.
pub fn cancel_product_order(
    com: &ComLayer,
    id: CancelProductOrderId,
) -> Option<CancelProductOrder> {
    com.cancels.get(&id).cloned()
}

/// A service order by id.
pub fn service_order(som: &SomLayer, id: ServiceOrderId) -> Option<ServiceOrder> {
    som.orders.get(&id).map(|order| (**order).clone())
}

/// A cancel service order request by id.
pub fn cancel_service_order(
    som: &SomLayer,
    id: CancelServiceOrderId,
) -> Option<CancelServiceOrder> {
    som.cancels.get(&id).cloned()
}

/// A resource order by id.
pub fn resource_order(rom: &RomLayer, id: ResourceOrderId) -> Option<ResourceOrder> {
    rom.orders.get(&id).map(|order| (**order).clone())
}

/// A cancel resource order request by id.
pub fn cancel_resource_order(
    rom: &RomLayer,
    id: CancelResourceOrderId,
) -> Option<CancelResourceOrder> {
    rom.cancels.get(&id).cloned()
}

/// A TMF640 service by id.
pub fn activation_service(
    activation: &ActivationLayer,
    id: ActivationId,
) -> Option<ActivationService> {
    activation
        .services
        .get(&id)
        .map(|service| (**service).clone())
}

/// How many of `states` are in each state, by its TMF spelling.
pub fn count_states(states: impl Iterator<Item = &'static str>) -> BTreeMap<&'static str, u64> {
    let mut counts = BTreeMap::new();
    for state in states {
        *counts.entry(state).or_default() += 1;
    }
    counts
}

/// Orders by state: every TMF order state, those with none at 0.
fn order_states(states: impl Iterator<Item = OrderState>) -> BTreeMap<&'static str, u64> {
    let mut counts: BTreeMap<&'static str, u64> = OrderState::ALL
        .iter()
        .map(|state| (state.as_str(), 0))
        .collect();
    for state in states {
        *counts.entry(state.as_str()).or_default() += 1;
    }
    counts
}

/// Product orders COM holds, by state (every order state, from 0).
pub fn product_order_states(com: &ComLayer) -> BTreeMap<&'static str, u64> {
    order_states(com.orders.values().map(|order| order.state))
}

/// Service orders SOM holds, by state (every order state, from 0).
pub fn service_order_states(som: &SomLayer) -> BTreeMap<&'static str, u64> {
    order_states(som.orders.values().map(|order| order.state))
}

/// Resource orders ROM holds, by state (every order state, from 0).
pub fn resource_order_states(rom: &RomLayer) -> BTreeMap<&'static str, u64> {
    order_states(rom.orders.values().map(|order| order.state))
}

/// TMF640 services, by state.
pub fn activation_service_states(activation: &ActivationLayer) -> BTreeMap<&'static str, u64> {
    count_states(
        activation
            .services
            .values()
            .map(|service| service.state.as_str()),
    )
}

/// Retries ROM sent so far.
pub fn resource_order_retries(rom: &RomLayer) -> RetryCounts {
    rom.retries
}

/// Retries the activation layer sent so far.
pub fn activation_retries(activation: &ActivationLayer) -> RetryCounts {
    activation.retries
}

/// The product order behind each fault hit's subject (an allocation or a TMF640 service),
/// found through the resource order that holds it and its service order: one pass over ROM's
/// retained orders for every subject asked about.
pub fn hit_orders(
    rom: &RomLayer,
    som: &SomLayer,
    statuses: &[FaultStatus],
) -> BTreeMap<String, String> {
    let mut allocations = BTreeMap::new();
    let mut activations = BTreeMap::new();
    for hit in statuses.iter().flat_map(|status| &status.recent_hits) {
        if let Ok(allocation) = hit.subject.parse::<AllocationId>() {
            allocations.insert(allocation, None);
        } else if let Ok(activation) = hit.subject.parse::<ActivationId>() {
            activations.insert(activation, None);
        }
    }
    if allocations.is_empty() && activations.is_empty() {
        return BTreeMap::new();
    }
    {
        for order in rom.orders.values() {
            let parent = order
                .parent
                .as_ref()
                .map(|(service_order, _)| *service_order);
            for item in &order.items {
                if let Some(slot) = allocations.get_mut(&item.allocation) {
                    *slot = parent;
                }
            }
            for (_, activation) in &order.activations {
                if let Some(slot) = activations.get_mut(activation) {
                    *slot = parent;
                }
            }
        }
    }
    let product_order = |service_order: Option<ServiceOrderId>| {
        service_order
            .and_then(|id| som.orders.get(&id))
            .and_then(|order| order.parent)
            .map(|id| id.to_string())
    };
    let mut orders = BTreeMap::new();
    for (allocation, parent) in allocations {
        if let Some(order) = product_order(parent) {
            orders.insert(allocation.to_string(), order);
        }
    }
    for (activation, parent) in activations {
        if let Some(order) = product_order(parent) {
            orders.insert(activation.to_string(), order);
        }
    }
    orders
}
