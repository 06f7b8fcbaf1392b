//! The inventories' state machine: upserts from the order layers.

use super::{InventoryInput, InventoryLayer};
use crate::domain::time::Time;
use crate::layers::{Effects, Layer, LayerId, SimRng};

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
                if let Some(record) = self.resources.get_mut(&id) {
                    record.status = status;
                }
            }
        }
    }
}
