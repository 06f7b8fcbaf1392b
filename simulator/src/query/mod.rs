//! The typed read API over the layers' stores: what HTTP, `/metrics`, the audit and loadgen
//! read, as pure functions of the stores (a runtime hands them the store, under its lock for
//! as short as the function runs). One entity comes out cloned, so it is rendered with the
//! lock released; lists walk a store in bounded slices (see `http::list`). [`tmf630`] parses
//! and applies a client's TMF630 query parameters (filters, `fields`, `sort`, paging).

pub mod fault_view;
pub mod tmf630;

use std::collections::BTreeMap;

use crate::domain::ids::{
    ActivationId, AllocationId, CancelProductOrderId, CancelResourceOrderId, CancelServiceOrderId,
    ProductId, ProductOrderId, ResourceId, ResourceOrderId, ServiceId, ServiceOrderId,
};
use crate::domain::state::OrderState;
use crate::layers::activation::{ActivationLayer, ActivationService};
use crate::layers::com::{CancelProductOrder, ComLayer, ProductOrder};
use crate::layers::common::RetryCounts;
use crate::layers::inventory::{InventoryLayer, ProductRecord, ResourceRecord, ServiceRecord};
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

/// A product in the inventory by id.
pub fn product(inventory: &InventoryLayer, id: ProductId) -> Option<ProductRecord> {
    inventory.products.get(&id).map(|record| (**record).clone())
}

/// A service in the inventory by id.
pub fn inventory_service(inventory: &InventoryLayer, id: ServiceId) -> Option<ServiceRecord> {
    inventory.services.get(&id).map(|record| (**record).clone())
}

/// A resource in the inventory by id.
pub fn resource(inventory: &InventoryLayer, id: ResourceId) -> Option<ResourceRecord> {
    inventory
        .resources
        .get(&id)
        .map(|record| (**record).clone())
}

/// Every product order COM holds, by id (lists walk it in bounded slices).
pub fn product_orders(com: &ComLayer) -> &BTreeMap<ProductOrderId, Box<ProductOrder>> {
    &com.orders
}

/// Every cancel product order request, by id.
pub fn cancel_product_orders(
    com: &ComLayer,
) -> &BTreeMap<CancelProductOrderId, CancelProductOrder> {
    &com.cancels
}

/// Every service order SOM holds, by id.
pub fn service_orders(som: &SomLayer) -> &BTreeMap<ServiceOrderId, Box<ServiceOrder>> {
    &som.orders
}

/// Every cancel service order request, by id.
pub fn cancel_service_orders(
    som: &SomLayer,
) -> &BTreeMap<CancelServiceOrderId, CancelServiceOrder> {
    &som.cancels
}

/// Every resource order ROM holds, by id.
pub fn resource_orders(rom: &RomLayer) -> &BTreeMap<ResourceOrderId, Box<ResourceOrder>> {
    &rom.orders
}

/// Every cancel resource order request, by id.
pub fn cancel_resource_orders(
    rom: &RomLayer,
) -> &BTreeMap<CancelResourceOrderId, CancelResourceOrder> {
    &rom.cancels
}

/// Every TMF640 service, by id.
pub fn activation_services(
    activation: &ActivationLayer,
) -> &BTreeMap<ActivationId, Box<ActivationService>> {
    &activation.services
}

/// Every product in the inventory, by id.
pub fn products(inventory: &InventoryLayer) -> &BTreeMap<ProductId, Box<ProductRecord>> {
    &inventory.products
}

/// Every service in the inventory, by id.
pub fn inventory_services(inventory: &InventoryLayer) -> &BTreeMap<ServiceId, Box<ServiceRecord>> {
    &inventory.services
}

/// Every resource in the inventory, by id.
pub fn resources(inventory: &InventoryLayer) -> &BTreeMap<ResourceId, Box<ResourceRecord>> {
    &inventory.resources
}

/// A layer's worker slots: how many, how many busy, how many orders wait for one.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct WorkerSlots {
    /// Slots.
    pub capacity: usize,
    /// Slots in use.
    pub busy: usize,
    /// Orders waiting for a slot.
    pub waiting: usize,
}

fn slots<K: Ord + Copy>(pool: &crate::layers::common::WorkerPool<K>) -> WorkerSlots {
    WorkerSlots {
        capacity: pool.capacity(),
        busy: pool.busy(),
        waiting: pool.waiting(),
    }
}

/// COM's worker slots.
pub fn product_order_workers(com: &ComLayer) -> WorkerSlots {
    slots(&com.workers)
}

/// SOM's worker slots.
pub fn service_order_workers(som: &SomLayer) -> WorkerSlots {
    slots(&som.workers)
}

/// ROM's worker slots.
pub fn resource_order_workers(rom: &RomLayer) -> WorkerSlots {
    slots(&rom.workers)
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
