//! The real-time, in-process runtime: one tokio task per layer, each with a bounded inbox, and
//! one timer task for delayed messages (element latencies, timeouts, resume delays).
//!
//! A layer task takes a batch from its inbox, handles each input under the layer's lock
//! (rendering the bodies of the events it publishes while the store matches them), then carries
//! out the effects without the lock: messages go to the destination's inbox (or the timer when
//! they are due later), replies to the waiting caller, events to the sink.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use rand::SeedableRng;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::timer::{self, TimerEntry};
use super::transport::{Outbound, TransportSetup, TransportStats};
use crate::config::SimConfig;
use crate::domain::catalog::Catalog;
use crate::domain::time::Time;
use crate::layers::activation::ActivationLayer;
use crate::layers::com::ComLayer;
use crate::layers::inventory::InventoryLayer;
use crate::layers::rom::RomLayer;
use crate::layers::som::SomLayer;
use crate::layers::{
    Effect, Effects, Event, Layer, LayerId, Message, Rejection, RejectionKind, Reply, ReplyToken,
    SimRng,
};
use crate::network::{NetworkLayer, Topology};
use crate::runtime::{EventSink, Snapshot, WallClock};

/// How many inputs a layer handles per lock.
const BATCH_MAX: usize = 128;

/// How long a caller waits for a layer's reply before giving up.
/// In sync mode the reply comes when the chain finished, so the wait grows with the call
/// timeout (an order may also queue for a worker slot first).
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

fn reply_timeout(config: &SimConfig) -> Duration {
    REPLY_TIMEOUT.max(Duration::from_millis(
        config.chain.call_timeout_ms.saturating_mul(3),
    ))
}

/// A running chain; cheap to clone. Dropping the last clone stops its tasks.
#[derive(Clone)]
pub struct Chain {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimConfig,
    catalog: Arc<Catalog>,
    topology: Arc<Topology>,
    router: Arc<Router>,
    com: Arc<Mutex<ComLayer>>,
    som: Arc<Mutex<SomLayer>>,
    rom: Arc<Mutex<RomLayer>>,
    activation: Arc<Mutex<ActivationLayer>>,
    network: Arc<Mutex<NetworkLayer>>,
    inventory: Arc<Mutex<InventoryLayer>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// What every task shares: the inboxes, the timer, the waiting callers, the sink and counters.
pub(crate) struct Router {
    com: mpsc::Sender<crate::layers::com::ComInput>,
    som: mpsc::Sender<crate::layers::som::SomInput>,
    rom: mpsc::Sender<crate::layers::rom::RomInput>,
    activation: mpsc::Sender<crate::layers::activation::ActivationInput>,
    network: mpsc::Sender<crate::network::NetworkInput>,
    inventory: mpsc::Sender<crate::layers::inventory::InventoryInput>,
    timer: mpsc::Sender<TimerEntry>,
    replies: Mutex<HashMap<u64, oneshot::Sender<Reply>>>,
    replies_max: usize,
    next_token: AtomicU64,
    start: tokio::time::Instant,
    clock: WallClock,
    sink: Arc<dyn EventSink>,
    handled: [AtomicU64; 6],
    blocked_sends: AtomicU64,
    /// Messages held by the timer task for later delivery.
    pub(crate) timers_pending: std::sync::atomic::AtomicUsize,
    /// With the HTTP transport: where messages for layers of other processes go.
    remote: Option<Arc<Outbound>>,
}

/// Per-layer runtime counters.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ChainStats {
    /// One row per layer.
    pub layers: Vec<LayerStats>,
    /// Callers waiting for a reply.
    pub replies_waiting: usize,
    /// Internal sends that found a full inbox and had to wait (backpressure).
    pub blocked_sends: u64,
    /// Messages waiting in the timer for their delivery time.
    pub timers_pending: usize,
}

/// One layer's counters.
#[derive(Clone, Debug, Serialize)]
pub struct LayerStats {
    /// The layer.
    pub layer: LayerId,
    /// Messages waiting in its inbox.
    pub inbox_depth: usize,
    /// Messages handled so far.
    pub handled: u64,
}

/// The configuration could not be turned into a chain.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct StartError(pub String);

impl Router {
    /// The current core time.
    pub(crate) fn now(&self) -> Time {
        let elapsed = self.start.elapsed();
        Time::from_micros(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX))
    }

    /// Delivers `message` to its layer, waiting when the inbox is full (backpressure); with
    /// the HTTP transport, a message that leaves this process goes to the outbound queue.
    pub(crate) async fn route(&self, message: Message) {
        if let Some(remote) = &self.remote
            && remote.takes(&message)
        {
            remote.deliver(self.now(), message).await;
            return;
        }
        self.route_local(message).await;
    }

    /// Delivers `message` to this process's inbox of its layer.
    async fn route_local(&self, message: Message) {
        macro_rules! deliver {
            ($sender:expr, $input:expr) => {{
                match $sender.try_send($input) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(input)) => {
                        self.blocked_sends.fetch_add(1, Ordering::Relaxed);
                        let _ = $sender.send(input).await;
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => {}
                }
            }};
        }
        match message {
            Message::Com(input) => deliver!(self.com, input),
            Message::Som(input) => deliver!(self.som, input),
            Message::Rom(input) => deliver!(self.rom, input),
            Message::Activation(input) => deliver!(self.activation, input),
            Message::Network(input) => deliver!(self.network, input),
            Message::Inventory(input) => deliver!(self.inventory, input),
        }
    }

    /// Delivers a caller's `message` without waiting: a full inbox is a refusal.
    fn offer(&self, message: Message) -> Result<(), ()> {
        fn offered<T>(result: Result<(), mpsc::error::TrySendError<T>>) -> Result<(), ()> {
            result.map_err(|_| ())
        }
        match message {
            Message::Com(input) => offered(self.com.try_send(input)),
            Message::Som(input) => offered(self.som.try_send(input)),
            Message::Rom(input) => offered(self.rom.try_send(input)),
            Message::Activation(input) => offered(self.activation.try_send(input)),
            Message::Network(input) => offered(self.network.try_send(input)),
            Message::Inventory(input) => offered(self.inventory.try_send(input)),
        }
    }

    fn reply(&self, token: ReplyToken, reply: Reply) {
        let waiting = lock(&self.replies).remove(&token.0);
        if let Some(sender) = waiting {
            let _ = sender.send(reply);
        }
    }

    async fn carry_out(&self, effects: &mut Effects, now: Time) {
        for effect in effects.drain() {
            match effect {
                Effect::Send { at, message } if at <= now => self.route(message).await,
                Effect::Send { at, message } => {
                    let _ = self.timer.send(TimerEntry::new(at, message)).await;
                }
                Effect::Reply { token, reply } => self.reply(token, reply),
                Effect::Publish(_) => {}
            }
        }
    }
}

impl Chain {
    /// Builds every layer from `config` and starts their tasks on the current tokio runtime.
    pub fn start(config: SimConfig, sink: Arc<dyn EventSink>) -> Result<Chain, StartError> {
        Chain::start_with(config, sink, None)
    }

    /// As [`Chain::start`]; with `transport`, messages for layers this process does not host
    /// (or, for `--role all`, every message between layers) travel over HTTP.
    pub fn start_with(
        config: SimConfig,
        sink: Arc<dyn EventSink>,
        transport: Option<TransportSetup>,
    ) -> Result<Chain, StartError> {
        let catalog = Arc::new(
            Catalog::from_config(&config.catalog).map_err(|error| StartError(error.to_string()))?,
        );
        let topology = Arc::new(
            Topology::from_config(&config.network)
                .map_err(|error| StartError(error.to_string()))?,
        );
        let mut network = NetworkLayer::new(&config.network, &config.profiles)
            .map_err(|error| StartError(error.to_string()))?;
        network.set_faults_max(config.limits.faults_max);
        let (limits, chain) = (config.limits.clone(), config.chain.clone());
        let com = Arc::new(Mutex::new(ComLayer::new(
            catalog.clone(),
            topology.clone(),
            chain.clone(),
            limits.clone(),
        )));
        let som = Arc::new(Mutex::new(SomLayer::new(
            catalog.clone(),
            topology.clone(),
            &chain,
            limits.clone(),
        )));
        let rom = Arc::new(Mutex::new(RomLayer::new(&chain, limits.clone())));
        let activation = Arc::new(Mutex::new(ActivationLayer::new(&chain, &limits)));
        let network = Arc::new(Mutex::new(network));
        let inventory = Arc::new(Mutex::new(InventoryLayer::new(limits.retained_orders_max)));

        let capacity = limits.inbox_capacity.max(1);
        let (com_tx, com_rx) = mpsc::channel(capacity);
        let (som_tx, som_rx) = mpsc::channel(capacity);
        let (rom_tx, rom_rx) = mpsc::channel(capacity);
        let (activation_tx, activation_rx) = mpsc::channel(capacity);
        let (network_tx, network_rx) = mpsc::channel(capacity);
        let (inventory_tx, inventory_rx) = mpsc::channel(capacity);
        let (timer_tx, timer_rx) = mpsc::channel(capacity);
        let (remote, worker) = match transport {
            Some(setup) => {
                let (outbound, worker) =
                    Outbound::new(setup, sink.clone(), capacity, topology.clone());
                (Some(Arc::new(outbound)), Some(worker))
            }
            None => (None, None),
        };
        let router = Arc::new(Router {
            com: com_tx,
            som: som_tx,
            rom: rom_tx,
            activation: activation_tx,
            network: network_tx,
            inventory: inventory_tx,
            timer: timer_tx,
            replies: Mutex::new(HashMap::new()),
            replies_max: limits.http_concurrency_max.max(1),
            next_token: AtomicU64::new(1),
            start: tokio::time::Instant::now(),
            clock: WallClock {
                epoch: SystemTime::now(),
            },
            sink,
            handled: Default::default(),
            blocked_sends: AtomicU64::new(0),
            timers_pending: Default::default(),
            remote,
        });
        let seed = config.seed;
        let mut tasks = vec![
            tokio::spawn(run_layer(
                com.clone(),
                com_rx,
                router.clone(),
                layer_rng(seed, LayerId::Com),
            )),
            tokio::spawn(run_layer(
                som.clone(),
                som_rx,
                router.clone(),
                layer_rng(seed, LayerId::Som),
            )),
            tokio::spawn(run_layer(
                rom.clone(),
                rom_rx,
                router.clone(),
                layer_rng(seed, LayerId::Rom),
            )),
            tokio::spawn(run_layer(
                activation.clone(),
                activation_rx,
                router.clone(),
                layer_rng(seed, LayerId::Activation),
            )),
            tokio::spawn(run_layer(
                network.clone(),
                network_rx,
                router.clone(),
                layer_rng(seed, LayerId::Network),
            )),
            tokio::spawn(run_layer(
                inventory.clone(),
                inventory_rx,
                router.clone(),
                layer_rng(seed, LayerId::Inventory),
            )),
            tokio::spawn(timer::run(timer_rx, router.clone(), limits.timers_max)),
        ];
        if let Some(worker) = worker {
            tasks.push(tokio::spawn(worker.run()));
        }
        let inner = Inner {
            config,
            catalog,
            topology,
            router,
            com,
            som,
            rom,
            activation,
            network,
            inventory,
            tasks,
        };
        Ok(Chain {
            inner: Arc::new(inner),
        })
    }

    /// Sends the message `make` builds (with a fresh reply token) and waits for the reply.
    /// A full inbox, too many waiting callers or no reply in time is a `LimitExceeded`.
    pub async fn request(
        &self,
        make: impl FnOnce(ReplyToken) -> Message,
    ) -> Result<Reply, Rejection> {
        let router = &self.inner.router;
        let token = ReplyToken(router.next_token.fetch_add(1, Ordering::Relaxed));
        let (sender, receiver) = oneshot::channel();
        {
            let mut replies = lock(&router.replies);
            if replies.len() >= router.replies_max {
                return Err(Rejection::new(
                    RejectionKind::LimitExceeded,
                    "too many requests in flight; retry later",
                ));
            }
            replies.insert(token.0, sender);
        }
        if router.offer(make(token)).is_err() {
            lock(&router.replies).remove(&token.0);
            return Err(Rejection::new(
                RejectionKind::LimitExceeded,
                "the layer's inbox is full; retry later",
            ));
        }
        match tokio::time::timeout(reply_timeout(&self.inner.config), receiver).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(_)) | Err(_) => {
                lock(&router.replies).remove(&token.0);
                Err(Rejection::new(
                    RejectionKind::LimitExceeded,
                    "no reply from the chain in time; retry later",
                ))
            }
        }
    }

    /// Puts `message` in this process's inbox of its layer (waiting while it is full): how
    /// the HTTP transport's endpoints hand over what another process sent.
    pub async fn deliver_local(&self, message: Message) {
        self.inner.router.route_local(message).await;
    }

    /// The HTTP transport's counters (`None` in-process).
    pub fn transport_stats(&self) -> Option<TransportStats> {
        self.inner
            .router
            .remote
            .as_ref()
            .map(|remote| remote.stats())
    }

    /// Remembers where `layer`'s element replies go (HTTP transport; ignored in-process).
    pub fn set_reply_callback(&self, layer: LayerId, callback: String) {
        if let Some(remote) = &self.inner.router.remote {
            remote.set_reply_callback(layer, callback);
        }
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
        self.inner.router.clock
    }

    /// The current core time.
    pub fn now(&self) -> Time {
        self.inner.router.now()
    }

    /// Per-layer counters.
    pub fn stats(&self) -> ChainStats {
        let router = &self.inner.router;
        let depth = |capacity: usize, max: usize| max.saturating_sub(capacity);
        let depths = [
            depth(router.com.capacity(), router.com.max_capacity()),
            depth(router.som.capacity(), router.som.max_capacity()),
            depth(router.rom.capacity(), router.rom.max_capacity()),
            depth(
                router.activation.capacity(),
                router.activation.max_capacity(),
            ),
            depth(router.network.capacity(), router.network.max_capacity()),
            depth(router.inventory.capacity(), router.inventory.max_capacity()),
        ];
        let layers = LayerId::ALL
            .iter()
            .zip(depths)
            .zip(&router.handled)
            .map(|((layer, inbox_depth), handled)| LayerStats {
                layer: *layer,
                inbox_depth,
                handled: handled.load(Ordering::Relaxed),
            })
            .collect();
        ChainStats {
            layers,
            replies_waiting: lock(&router.replies).len(),
            blocked_sends: router.blocked_sends.load(Ordering::Relaxed),
            timers_pending: router.timers_pending.load(Ordering::Relaxed),
        }
    }

    /// Whether every inbox is empty (timers may still hold messages: see
    /// [`ChainStats::timers_pending`]).
    pub fn inboxes_empty(&self) -> bool {
        self.stats()
            .layers
            .iter()
            .all(|layer| layer.inbox_depth == 0)
    }

    /// Whether nothing is under way: every inbox empty and no element operation awaiting its
    /// reply (the audit waits for this; timers may still hold stale timeouts).
    pub fn settled(&self) -> bool {
        self.inboxes_empty()
            && self.rom().operations.is_empty()
            && self.activation().operations.is_empty()
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

/// Each layer's RNG: the run's seed mixed with the layer, so layers draw independently.
pub(crate) fn layer_rng(seed: u64, layer: LayerId) -> SimRng {
    let index = LayerId::ALL
        .iter()
        .position(|candidate| *candidate == layer)
        .unwrap_or(0) as u64;
    SimRng::seed_from_u64(seed ^ (index + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// One layer's task: handle batches under the lock, then carry out the effects.
async fn run_layer<L>(
    layer: Arc<Mutex<L>>,
    mut inbox: mpsc::Receiver<L::Input>,
    router: Arc<Router>,
    mut rng: SimRng,
) where
    L: Layer + Snapshot + Send + 'static,
    L::Input: Send + 'static,
{
    let counter = LayerId::ALL
        .iter()
        .position(|candidate| *candidate == L::ID)
        .unwrap_or(0);
    let mut batch = Vec::with_capacity(BATCH_MAX);
    let mut effects = Effects::default();
    let mut events: Vec<(Event, Value)> = Vec::new();
    while inbox.recv_many(&mut batch, BATCH_MAX).await > 0 {
        let now = router.now();
        let count = u64::try_from(batch.len()).unwrap_or(u64::MAX);
        {
            let mut guard = lock(&layer);
            for input in batch.drain(..) {
                let first = effects.list.len();
                guard.handle(input, now, &mut rng, &mut effects);
                render_events(&*guard, &effects.list[first..], &router, &mut events);
            }
        }
        router.handled[counter].fetch_add(count, Ordering::Relaxed);
        router.carry_out(&mut effects, now).await;
        for (event, body) in events.drain(..) {
            router.sink.publish(&event, body);
        }
    }
}

/// Renders the bodies of the events among `effects` that someone listens for.
fn render_events<L: Snapshot>(
    layer: &L,
    effects: &[Effect],
    router: &Router,
    events: &mut Vec<(Event, Value)>,
) {
    for effect in effects {
        if let Effect::Publish(event) = effect
            && router.sink.wants(event)
        {
            let body = layer
                .snapshot(&event.subject, &router.clock)
                .unwrap_or_else(|| minimal_body(event));
            events.push((*event, body));
        }
    }
}

/// The body of an event whose entity is gone (a DeleteEvent): its id and type.
fn minimal_body(event: &Event) -> Value {
    let id = match event.subject {
        crate::layers::Subject::ProductOrder(id) => id.to_string(),
        crate::layers::Subject::CancelProductOrder(id) => id.to_string(),
        crate::layers::Subject::ServiceOrder(id) => id.to_string(),
        crate::layers::Subject::CancelServiceOrder(id) => id.to_string(),
        crate::layers::Subject::ResourceOrder(id) => id.to_string(),
        crate::layers::Subject::CancelResourceOrder(id) => id.to_string(),
        crate::layers::Subject::ActivationService(id) => id.to_string(),
    };
    serde_json::json!({ "id": id })
}

/// Locks a layer; a poisoned lock means a layer panicked, which is a bug, so the state is
/// still handed out for the audit to inspect.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
