//! Write access to the stores for tests and tools outside the core that corrupt or seed a
//! store on purpose (the audit's tests break an invariant and expect a finding; the
//! `list_stall` example seeds 200,000 orders). Compiled only with the `test-support` feature,
//! which the package's own dev-dependency on itself turns on: no normal build can write a
//! store from outside the core.

use std::collections::BTreeMap;

use super::com::{CancelProductOrder, ComLayer, ProductOrder};
use super::inventory::{InventoryLayer, ServiceRecord};
use super::rom::{PendingOperation, ResourceOrder, RomLayer};
use super::som::{CancelServiceOrder, ServiceOrder, SomLayer};
use crate::domain::ids::{
    AllocationId, CancelProductOrderId, CancelServiceOrderId, OperationId, ProductOrderId,
    ResourceOrderId, ServiceId, ServiceOrderId,
};

impl ComLayer {
    /// Orders, writable.
    pub fn orders_mut(&mut self) -> &mut BTreeMap<ProductOrderId, Box<ProductOrder>> {
        &mut self.orders
    }

    /// Cancel requests, writable.
    pub fn cancels_mut(&mut self) -> &mut BTreeMap<CancelProductOrderId, CancelProductOrder> {
        &mut self.cancels
    }

    /// The next order number, writable (after seeding orders).
    pub fn next_order_mut(&mut self) -> &mut u64 {
        &mut self.next_order
    }
}

impl SomLayer {
    /// Orders, writable.
    pub fn orders_mut(&mut self) -> &mut BTreeMap<ServiceOrderId, Box<ServiceOrder>> {
        &mut self.orders
    }

    /// Cancel requests, writable.
    pub fn cancels_mut(&mut self) -> &mut BTreeMap<CancelServiceOrderId, CancelServiceOrder> {
        &mut self.cancels
    }
}

impl RomLayer {
    /// Orders, writable.
    pub fn orders_mut(&mut self) -> &mut BTreeMap<ResourceOrderId, Box<ResourceOrder>> {
        &mut self.orders
    }

    /// Element operations in flight, writable.
    pub fn operations_mut(&mut self) -> &mut BTreeMap<OperationId, PendingOperation> {
        &mut self.operations
    }

    /// Confirmed releases per allocation, writable.
    pub fn releases_mut(&mut self) -> &mut BTreeMap<AllocationId, u32> {
        &mut self.releases
    }
}

impl InventoryLayer {
    /// Service records, writable.
    pub fn services_mut(&mut self) -> &mut BTreeMap<ServiceId, Box<ServiceRecord>> {
        &mut self.services
    }
}
