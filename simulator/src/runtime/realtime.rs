//! The real-time, in-process runtime: one tokio task per layer, each with a bounded inbox.

use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

use crate::config::SimConfig;
use crate::domain::catalog::Catalog;
use crate::domain::time::Time;
use crate::layers::activation::ActivationLayer;
use crate::layers::com::ComLayer;
use crate::layers::inventory::InventoryLayer;
use crate::layers::rom::RomLayer;
use crate::layers::som::SomLayer;
use crate::layers::{LayerId, Message, Rejection, Reply, ReplyToken};
use crate::network::{NetworkLayer, Topology};
use crate::runtime::{EventSink, WallClock};

/// A running chain; cheap to clone.
#[derive(Clone)]
pub struct Chain {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimConfig,
    catalog: Arc<Catalog>,
    topology: Arc<Topology>,
    clock: WallClock,
    com: Arc<Mutex<ComLayer>>,
    som: Arc<Mutex<SomLayer>>,
    rom: Arc<Mutex<RomLayer>>,
    activation: Arc<Mutex<ActivationLayer>>,
    network: Arc<Mutex<NetworkLayer>>,
    inventory: Arc<Mutex<InventoryLayer>>,
}

/// Per-layer runtime counters.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ChainStats {
    /// (layer, messages waiting in its inbox, messages handled).
    pub layers: Vec<(LayerId, usize, u64)>,
    /// Callers waiting for a reply.
    pub replies_waiting: usize,
}

impl Chain {
    /// Starts every layer's task on the current tokio runtime.
    pub fn start(config: SimConfig, sink: Arc<dyn EventSink>) -> Result<Chain, Rejection> {
        let _ = (config, sink);
        todo!("realtime runtime")
    }

    /// Sends the message `make` builds (with a fresh reply token) and waits for the reply.
    /// A full inbox or too many waiting callers is a `LimitExceeded` rejection.
    pub async fn request(
        &self,
        make: impl FnOnce(ReplyToken) -> Message,
    ) -> Result<Reply, Rejection> {
        let _ = make;
        todo!("realtime runtime")
    }

    /// The configuration the chain runs with.
    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// The catalog.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.inner.catalog
    }

    /// The network's elements and regions.
    pub fn topology(&self) -> &Arc<Topology> {
        &self.inner.topology
    }

    /// Maps core time to dates.
    pub fn clock(&self) -> WallClock {
        self.inner.clock
    }

    /// The current core time.
    pub fn now(&self) -> Time {
        todo!("realtime runtime")
    }

    /// Per-layer counters.
    pub fn stats(&self) -> ChainStats {
        todo!("realtime runtime")
    }

    /// COM's store (hold the guard briefly; never across an await).
    pub fn com(&self) -> MutexGuard<'_, ComLayer> {
        lock(&self.inner.com)
    }

    /// SOM's store.
    pub fn som(&self) -> MutexGuard<'_, SomLayer> {
        lock(&self.inner.som)
    }

    /// ROM's store.
    pub fn rom(&self) -> MutexGuard<'_, RomLayer> {
        lock(&self.inner.rom)
    }

    /// The activation layer's store.
    pub fn activation(&self) -> MutexGuard<'_, ActivationLayer> {
        lock(&self.inner.activation)
    }

    /// The network's state.
    pub fn network(&self) -> MutexGuard<'_, NetworkLayer> {
        lock(&self.inner.network)
    }

    /// The inventories.
    pub fn inventory(&self) -> MutexGuard<'_, InventoryLayer> {
        lock(&self.inner.inventory)
    }
}

/// Locks a layer; a poisoned lock means a layer panicked, which is a bug, so the state is
/// still handed out for the audit to inspect.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
