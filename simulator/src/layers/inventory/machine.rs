//! The inventories' state machine: upserts from the order layers.

use super::{InventoryInput, InventoryLayer, ProductStatus, ResourceStatus};
use crate::domain::catalog::ServiceCategory;
use crate::domain::state::ServiceState;
use crate::domain::time::Time;
use crate::layers::common::Retention;
use crate::layers::rom::RomInput;
use crate::layers::rom::reconcile::HeldRecord;
use crate::layers::{Effects, Layer, LayerId, Message, SimRng};

impl InventoryLayer {
    /// Empty inventories keeping at most `retained_max` released resources.
    pub fn new(retained_max: usize) -> InventoryLayer {
        InventoryLayer {
            products: Default::default(),
            services: Default::default(),
            resources: Default::default(),
            released: Retention::new(retained_max),
            terminated_products: Retention::new(retained_max),
            terminated_services: Retention::new(retained_max),
        }
    }
}

impl InventoryLayer {
    /// Every resource not in `standby`, for a reconciling ROM.
    fn held(&self) -> Vec<HeldRecord> {
        let live = self.resources.values();
        live.filter(|r| r.status != ResourceStatus::Standby)
            .map(|r| HeldRecord {
                allocation: r.allocation,
                resource: r.id,
                status: r.status,
            })
            .collect()
    }
}

impl InventoryLayer {
    /// The resources supporting every `active` RFS: what SOM holds in service.
    fn live_resources(&self) -> Vec<crate::domain::ids::ResourceId> {
        let active = self.services.values();
        let active = active.filter(|s| s.category == ServiceCategory::Rfs);
        let active = active.filter(|s| s.state == ServiceState::Active);
        active
            .flat_map(|s| s.supporting_resources.iter().copied())
            .collect()
    }
}

impl Layer for InventoryLayer {
    type Input = InventoryInput;
    const ID: LayerId = LayerId::Inventory;

    fn handle(
        &mut self,
        input: InventoryInput,
        now: Time,
        _rng: &mut SimRng,
        effects: &mut Effects,
    ) {
        match input {
            InventoryInput::Product(record) => {
                let (id, ended) = (record.id, record.status == ProductStatus::Terminated);
                let before = self.products.insert(id, Box::new(record));
                let newly = before.is_none_or(|before| before.status != ProductStatus::Terminated);
                if ended
                    && newly
                    && let Some(evicted) = self.terminated_products.terminal(id)
                {
                    self.products.remove(&evicted);
                }
            }
            InventoryInput::Service(record) => {
                let (id, ended) = (record.id, record.state == ServiceState::Terminated);
                let before = self.services.insert(id, Box::new(record));
                let newly = before.is_none_or(|before| before.state != ServiceState::Terminated);
                if ended
                    && newly
                    && let Some(evicted) = self.terminated_services.terminal(id)
                {
                    self.services.remove(&evicted);
                }
            }
            InventoryInput::Resource(record) => {
                self.resources.insert(record.id, Box::new(record));
            }
            InventoryInput::ResourceStatus {
                id,
                status,
                activation,
            } => {
                let Some(record) = self.resources.get_mut(&id) else {
                    return;
                };
                if activation.is_some() {
                    record.activation = activation;
                }
                let released =
                    status == ResourceStatus::Standby && record.status != ResourceStatus::Standby;
                record.status = status;
                if released && let Some(evicted) = self.released.terminal(id) {
                    self.resources.remove(&evicted);
                }
            }
            InventoryInput::ListLiveResources { reply_to } => {
                if reply_to == LayerId::Rom {
                    let live = self.live_resources();
                    effects.send(now, Message::Rom(RomInput::LiveResources(Some(live))));
                }
            }
            InventoryInput::ListResources { reply_to } => {
                if reply_to == LayerId::Rom {
                    effects.send(now, Message::Rom(RomInput::InventoryResources(self.held())));
                }
            }
        }
    }
}
