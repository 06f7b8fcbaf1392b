//! The inventories' state machine: upserts from the order layers.

use super::{InventoryInput, InventoryLayer, ResourceStatus};
use crate::domain::time::Time;
use crate::layers::common::Retention;
use crate::layers::{Effects, Layer, LayerId, SimRng};

impl InventoryLayer {
    /// Empty inventories keeping at most `retained_max` released resources.
    pub fn new(retained_max: usize) -> InventoryLayer {
        InventoryLayer {
            products: Default::default(),
            services: Default::default(),
            resources: Default::default(),
            released: Retention::new(retained_max),
        }
    }
}

impl Layer for InventoryLayer {
    type Input = InventoryInput;
    const ID: LayerId = LayerId::Inventory;

    fn handle(
        &mut self,
        input: InventoryInput,
        _now: Time,
        _rng: &mut SimRng,
        _effects: &mut Effects,
    ) {
        match input {
            InventoryInput::Product(record) => {
                self.products.insert(record.id, record);
            }
            InventoryInput::Service(record) => {
                self.services.insert(record.id, record);
            }
            InventoryInput::Resource(record) => {
                self.resources.insert(record.id, record);
            }
            InventoryInput::ResourceStatus { id, status } => {
                let Some(record) = self.resources.get_mut(&id) else {
                    return;
                };
                let released =
                    status == ResourceStatus::Standby && record.status != ResourceStatus::Standby;
                record.status = status;
                if released && let Some(evicted) = self.released.terminal(id) {
                    self.resources.remove(&evicted);
                }
            }
        }
    }
}
