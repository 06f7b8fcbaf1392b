//! The one owner of the chain's six layers: [`Layers`] is what every runtime drives.
//!
//! [`Setting`] builds the layers from a configuration and restarts one without its state;
//! [`Layers::handle`] dispatches a [`Message`] to its layer. How each layer is held is a
//! [`Holder`]: the virtual-time runtime owns them ([`Owned`]); the real-time runtime holds each
//! behind its own lock for its per-layer tasks (its holder lives beside it).

use std::ops::DerefMut;
use std::sync::Arc;

use super::activation::ActivationLayer;
use super::com::ComLayer;
use super::inventory::InventoryLayer;
use super::rom::RomLayer;
use super::som::SomLayer;
use super::{Effects, Layer, LayerId, Message, SimRng};
use crate::config::SimConfig;
use crate::domain::catalog::Catalog;
use crate::domain::time::Time;
use crate::network::{NetworkLayer, Topology};

/// The configuration could not be turned into a chain.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct StartError(pub String);

/// How a runtime holds each layer.
pub trait Holder {
    /// A held layer `L`.
    type Of<L>;
    /// Mutable access to a held layer (a lock guard for a shared one).
    fn access<L>(held: &mut Self::Of<L>) -> impl DerefMut<Target = L> + '_;
}

/// Layers owned outright (virtual time, tests).
#[derive(Debug)]
pub struct Owned;

impl Holder for Owned {
    type Of<L> = L;
    fn access<L>(held: &mut L) -> impl DerefMut<Target = L> + '_ {
        held
    }
}

/// The six layers of the chain, each held as `H` says.
pub struct Layers<H: Holder = Owned> {
    /// Product ordering (TMF622).
    pub com: H::Of<ComLayer>,
    /// Service ordering (TMF641).
    pub som: H::Of<SomLayer>,
    /// Resource ordering (TMF652).
    pub rom: H::Of<RomLayer>,
    /// Activation (TMF640).
    pub activation: H::Of<ActivationLayer>,
    /// The network's elements and pools.
    pub network: H::Of<NetworkLayer>,
    /// The inventories (TMF637/638/639).
    pub inventory: H::Of<InventoryLayer>,
}

/// What the layers are built from: the configuration with its catalog and topology.
#[derive(Clone)]
pub struct Setting {
    /// The configuration.
    pub config: SimConfig,
    /// The catalog.
    pub catalog: Arc<Catalog>,
    /// The network's elements and regions.
    pub topology: Arc<Topology>,
}

impl Setting {
    /// Checks `config` and builds its catalog and topology.
    pub fn from_config(config: SimConfig) -> Result<Setting, StartError> {
        let catalog =
            Catalog::from_config(&config.catalog).map_err(|error| StartError(error.to_string()))?;
        let topology = Topology::from_config(&config.network)
            .map_err(|error| StartError(error.to_string()))?;
        Ok(Setting {
            config,
            catalog: Arc::new(catalog),
            topology: Arc::new(topology),
        })
    }

    /// Every layer, fresh.
    pub fn build(&self) -> Result<Layers, StartError> {
        let config = &self.config;
        let mut network = NetworkLayer::new(&config.network, &config.profiles)
            .map_err(|error| StartError(error.to_string()))?;
        network.set_faults_max(config.limits.faults_max);
        Ok(Layers {
            com: self.fresh_com(),
            som: self.fresh_som(),
            rom: self.fresh_rom(),
            activation: self.fresh_activation(),
            network,
            inventory: InventoryLayer::new(config.limits.retained_orders_max),
        })
    }

    fn fresh_com(&self) -> ComLayer {
        let (chain, limits) = (self.config.chain.clone(), self.config.limits.clone());
        ComLayer::new(self.catalog.clone(), self.topology.clone(), chain, limits)
    }

    fn fresh_som(&self) -> SomLayer {
        let (catalog, topology) = (self.catalog.clone(), self.topology.clone());
        SomLayer::new(
            catalog,
            topology,
            &self.config.chain,
            self.config.limits.clone(),
        )
    }

    fn fresh_rom(&self) -> RomLayer {
        RomLayer::new(
            self.catalog.clone(),
            &self.config.chain,
            self.config.limits.clone(),
        )
    }

    fn fresh_activation(&self) -> ActivationLayer {
        ActivationLayer::new(&self.config.chain, &self.config.limits)
    }

    /// Replaces `layer`'s store by a fresh one that keeps only its id sequences (a database
    /// sequence, so no id is issued twice), as a crashed process would come back. The network
    /// and the inventories hold the simulated world itself and are not restarted.
    pub fn restart_without_state<H: Holder>(
        &self,
        layers: &mut Layers<H>,
        layer: LayerId,
    ) -> Result<(), StartError> {
        match layer {
            LayerId::Com => {
                let mut com = H::access(&mut layers.com);
                let old = std::mem::replace(&mut *com, self.fresh_com());
                (com.next_order, com.next_product) = (old.next_order, old.next_product);
            }
            LayerId::Som => {
                let mut som = H::access(&mut layers.som);
                let old = std::mem::replace(&mut *som, self.fresh_som());
                (som.next_order, som.next_service) = (old.next_order, old.next_service);
            }
            LayerId::Rom => {
                let mut rom = H::access(&mut layers.rom);
                let old = std::mem::replace(&mut *rom, self.fresh_rom());
                (rom.next_order, rom.next_number) = (old.next_order, old.next_number);
            }
            LayerId::Activation => {
                let mut activation = H::access(&mut layers.activation);
                let old = std::mem::replace(&mut *activation, self.fresh_activation());
                activation.next_number = old.next_number;
            }
            LayerId::Network | LayerId::Inventory => {
                return Err(StartError(format!(
                    "the {} layer holds the simulated world and cannot be restarted",
                    layer.as_str()
                )));
            }
        }
        Ok(())
    }
}

/// Each layer's RNG, in [`LayerId::ALL`] order.
pub type Rngs = [SimRng; 6];

impl Layers {
    /// Lets `message`'s layer handle it at `now` with that layer's RNG from `rngs`.
    pub fn handle(&mut self, message: Message, now: Time, rngs: &mut Rngs, effects: &mut Effects) {
        let [com, som, rom, activation, network, inventory] = rngs;
        match message {
            Message::Com(input) => self.com.handle(input, now, com, effects),
            Message::Som(input) => self.som.handle(input, now, som, effects),
            Message::Rom(input) => self.rom.handle(input, now, rom, effects),
            Message::Activation(input) => self.activation.handle(input, now, activation, effects),
            Message::Network(input) => self.network.handle(input, now, network, effects),
            Message::Inventory(input) => self.inventory.handle(input, now, inventory, effects),
        }
    }
}

impl LayerId {
    /// This layer's position in [`LayerId::ALL`] (indexes per-layer arrays).
    pub const fn index(self) -> usize {
        match self {
            LayerId::Com => 0,
            LayerId::Som => 1,
            LayerId::Rom => 2,
            LayerId::Activation => 3,
            LayerId::Network => 4,
            LayerId::Inventory => 5,
        }
    }
}
