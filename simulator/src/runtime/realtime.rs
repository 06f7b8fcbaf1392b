//! The real-time, in-process runtime: one tokio task per layer, each with an inbox
//! ([`super::inbox`]: messages between layers are never waited on, callers are admitted only
//! while no inbox is congested), and one timer task for delayed messages (element latencies,
//! timeouts, resume delays).
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

use super::inbox::Inbox;
use super::timer::{self, TimerEntry};
use super::transport::{Outbound, TransportSetup, TransportStats};
use crate::audit::{AuditInput, AuditReport, audit};
use crate::config::SimConfig;
use crate::domain::catalog::Catalog;
use crate::domain::time::Time;
use crate::layers::activation::ActivationLayer;
use crate::layers::com::ComLayer;
use crate::layers::inventory::InventoryLayer;
use crate::layers::rom::RomLayer;
pub use crate::layers::set::StartError;
use crate::layers::set::{Holder, Layers, Setting};
use crate::layers::som::SomLayer;
use crate::layers::{
    Effect, Effects, Event, Layer, LayerId, Message, Rejection, RejectionKind, Reply, ReplyToken,
    SimRng,
};
use crate::network::{NetworkLayer, Topology};
use crate::runtime::{EventSink, Latencies, Snapshot, WallClock};
use std::ops::DerefMut;

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
    setting: Setting,
    router: Arc<Router>,
    layers: Layers<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

/// Each layer behind its own lock, for its own task.
pub(crate) struct Shared;

impl Holder for Shared {
    type Of<L> = Arc<Mutex<L>>;
    fn access<L>(held: &mut Arc<Mutex<L>>) -> impl DerefMut<Target = L> + '_ {
        lock(held)
    }
}

/// Another handle on each shared layer.
fn handles(layers: &Layers<Shared>) -> Layers<Shared> {
    Layers {
        com: layers.com.clone(),
        som: layers.som.clone(),
        rom: layers.rom.clone(),
        activation: layers.activation.clone(),
        network: layers.network.clone(),
        inventory: layers.inventory.clone(),
    }
}

/// Puts each layer behind its own lock.
/// A single-layer process (`--role`) that was killed and restarted must not issue an id its
/// earlier run issued: its peers still hold those (the network its allocations, SOM its
/// resource orders), and a reused `AL-n` or `RO-n` would name another order's. An in-process
/// restart keeps its sequences; a process keeps nothing, so its sequences start from the
/// wall clock at start-up: one million ids per second since the epoch, far more than a layer
/// issues (the microseconds since the epoch at start-up), so a later start always begins
/// past everything an earlier one issued.
fn start_sequences_after_any_earlier_run(layers: &mut Layers) {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let first = u64::try_from(since_epoch.as_micros())
        .unwrap_or(u64::MAX / 2)
        .max(1);
    let (com, som) = (&mut layers.com, &mut layers.som);
    (com.next_order, com.next_product) = (first, first);
    (som.next_order, som.next_service) = (first, first);
    (layers.rom.next_order, layers.rom.next_number) = (first, first);
    layers.activation.next_number = first;
}

fn share(layers: Layers) -> Layers<Shared> {
    Layers {
        com: Arc::new(Mutex::new(layers.com)),
        som: Arc::new(Mutex::new(layers.som)),
        rom: Arc::new(Mutex::new(layers.rom)),
        activation: Arc::new(Mutex::new(layers.activation)),
        network: Arc::new(Mutex::new(layers.network)),
        inventory: Arc::new(Mutex::new(layers.inventory)),
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The six layers' inboxes.
struct Inboxes {
    com: Inbox<crate::layers::com::ComInput>,
    som: Inbox<crate::layers::som::SomInput>,
    rom: Inbox<crate::layers::rom::RomInput>,
    activation: Inbox<crate::layers::activation::ActivationInput>,
    network: Inbox<crate::network::NetworkInput>,
    inventory: Inbox<crate::layers::inventory::InventoryInput>,
}

impl Inboxes {
    /// (depth, deepest, shed) per layer, in [`LayerId::ALL`] order.
    fn counters(&self) -> [(usize, usize, u64); 6] {
        fn of<T>(inbox: &Inbox<T>) -> (usize, usize, u64) {
            (inbox.depth(), inbox.depth_peak(), inbox.shed())
        }
        [
            of(&self.com),
            of(&self.som),
            of(&self.rom),
            of(&self.activation),
            of(&self.network),
            of(&self.inventory),
        ]
    }

    /// The first layer whose inbox is congested, if any.
    fn congested(&self) -> Option<LayerId> {
        let congested = [
            self.com.congested(),
            self.som.congested(),
            self.rom.congested(),
            self.activation.congested(),
            self.network.congested(),
            self.inventory.congested(),
        ];
        LayerId::ALL
            .into_iter()
            .zip(congested)
            .find_map(|(layer, congested)| congested.then_some(layer))
    }
}

/// What every task shares: the inboxes, the timer, the waiting callers, the sink and counters.
pub(crate) struct Router {
    inboxes: Inboxes,
    timer: mpsc::UnboundedSender<TimerEntry>,
    timers_max: usize,
    replies: Mutex<HashMap<u64, oneshot::Sender<Reply>>>,
    replies_max: usize,
    next_token: AtomicU64,
    start: tokio::time::Instant,
    clock: WallClock,
    /// The API's public base URL, which event payloads' hrefs start with.
    public_url: String,
    sink: Arc<dyn EventSink>,
    handled: [AtomicU64; 6],
    /// What the layers observed (order durations, element latencies), counted without a lock.
    latencies: Latencies,
    /// Messages held by the timer task for later delivery, jeopardy watchdogs apart.
    pub(crate) timers_pending: std::sync::atomic::AtomicUsize,
    /// Jeopardy watchdogs held by the timer task ([`Message::is_watchdog`]).
    pub(crate) watchdogs_pending: std::sync::atomic::AtomicUsize,
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
    /// Callers' requests refused because an inbox was congested (503 with `Retry-After`).
    pub shed: u64,
    /// Messages waiting in the timer for their delivery time (work: element latencies,
    /// timeouts, retries, resume delays).
    pub timers_pending: usize,
    /// Jeopardy watchdogs waiting in the timer: most fire after their order ended and do
    /// nothing, so a chain with only these pending has settled.
    pub watchdogs_pending: usize,
}

/// One layer's counters.
#[derive(Clone, Debug, Serialize)]
pub struct LayerStats {
    /// The layer.
    pub layer: LayerId,
    /// Messages waiting in its inbox.
    pub inbox_depth: usize,
    /// The deepest its inbox has been.
    pub inbox_depth_peak: usize,
    /// Callers' requests for this layer refused because the chain was congested.
    pub shed: u64,
    /// Messages handled so far.
    pub handled: u64,
}

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
        self.route_local(message);
    }

    /// Delivers `message` to this process's inbox of its layer; never waits (see
    /// [`super::inbox`]).
    fn route_local(&self, message: Message) {
        let inboxes = &self.inboxes;
        match message {
            Message::Com(input) => inboxes.com.push(input),
            Message::Som(input) => inboxes.som.push(input),
            Message::Rom(input) => inboxes.rom.push(input),
            Message::Activation(input) => inboxes.activation.push(input),
            Message::Network(input) => inboxes.network.push(input),
            Message::Inventory(input) => inboxes.inventory.push(input),
        }
    }

    /// Admits a caller's `message` only while no inbox is congested and the timer has room:
    /// new work is refused at the edge so that messages between layers never have to wait.
    fn offer(&self, message: Message) -> Result<(), Rejection> {
        let destination = message.destination();
        let congested = self.inboxes.congested();
        let timers = self.timers_pending.load(Ordering::Relaxed)
            + self.watchdogs_pending.load(Ordering::Relaxed);
        let timers_full = timers >= self.timers_max;
        if congested.is_some() || timers_full {
            self.count_shed(destination);
            let why = match congested {
                Some(layer) => format!("the {} layer's inbox is full", layer.as_str()),
                None => "the timer holds its maximum of pending messages".to_string(),
            };
            return Err(Rejection::new(
                RejectionKind::LimitExceeded,
                format!("the chain is overloaded ({why}); retry later"),
            ));
        }
        self.route_local(message);
        Ok(())
    }

    fn count_shed(&self, layer: LayerId) {
        let inboxes = &self.inboxes;
        match layer {
            LayerId::Com => inboxes.com.count_shed(),
            LayerId::Som => inboxes.som.count_shed(),
            LayerId::Rom => inboxes.rom.count_shed(),
            LayerId::Activation => inboxes.activation.count_shed(),
            LayerId::Network => inboxes.network.count_shed(),
            LayerId::Inventory => inboxes.inventory.count_shed(),
        }
    }

    fn reply(&self, token: ReplyToken, reply: Reply) {
        let waiting = lock(&self.replies).remove(&token.0);
        if let Some(sender) = waiting {
            let _ = sender.send(reply);
        }
    }

    /// The counter a timer entry for `message` counts in.
    pub(crate) fn pending_timers(&self, message: &Message) -> &std::sync::atomic::AtomicUsize {
        match message.is_watchdog() {
            true => &self.watchdogs_pending,
            false => &self.timers_pending,
        }
    }

    async fn carry_out(&self, effects: &mut Effects, now: Time) {
        for effect in effects.drain() {
            match effect {
                Effect::Send { at, message } if at <= now => self.route(message).await,
                Effect::Send { at, message } => {
                    // Counted before it is sent, so the timer's decrement never comes first.
                    let pending = self.pending_timers(&message);
                    pending.fetch_add(1, Ordering::Relaxed);
                    if self.timer.send(TimerEntry::new(at, message)).is_err() {
                        pending.fetch_sub(1, Ordering::Relaxed);
                    }
                }
                Effect::Reply { token, reply } => self.reply(token, reply),
                Effect::Publish(_) => {}
                Effect::Observe(observation) => self.latencies.record(&observation),
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
        let setting = Setting::from_config(config)?;
        let mut built = setting.build()?;
        if transport
            .as_ref()
            .is_some_and(|setup| setup.role != crate::runtime::transport::Role::All)
        {
            start_sequences_after_any_earlier_run(&mut built);
        }
        let layers = share(built);
        let (config, topology) = (&setting.config, &setting.topology);
        let limits = config.limits.clone();

        let capacity = limits.inbox_capacity.max(1);
        let (com_inbox, com_rx) = Inbox::new(capacity);
        let (som_inbox, som_rx) = Inbox::new(capacity);
        let (rom_inbox, rom_rx) = Inbox::new(capacity);
        let (activation_inbox, activation_rx) = Inbox::new(capacity);
        let (network_inbox, network_rx) = Inbox::new(capacity);
        let (inventory_inbox, inventory_rx) = Inbox::new(capacity);
        let (timer_tx, timer_rx) = mpsc::unbounded_channel();
        // Answers to jeopardy questions asked over the HTTP transport, for this process's layers.
        let (answers_tx, mut answers_rx) = mpsc::unbounded_channel::<Message>();
        let (remote, worker) = match transport {
            Some(setup) => {
                let parts = (topology.clone(), setting.catalog.clone());
                let (outbound, worker) =
                    Outbound::new(setup, sink.clone(), capacity, parts, answers_tx);
                (Some(Arc::new(outbound)), Some(worker))
            }
            None => (None, None),
        };
        let router = Arc::new(Router {
            inboxes: Inboxes {
                com: com_inbox,
                som: som_inbox,
                rom: rom_inbox,
                activation: activation_inbox,
                network: network_inbox,
                inventory: inventory_inbox,
            },
            timer: timer_tx,
            timers_max: limits.timers_max.max(1),
            replies: Mutex::new(HashMap::new()),
            replies_max: limits.http_concurrency_max.max(1),
            next_token: AtomicU64::new(1),
            start: tokio::time::Instant::now(),
            clock: WallClock {
                epoch: SystemTime::now(),
            },
            public_url: config.http.public_url().to_string(),
            sink,
            handled: Default::default(),
            latencies: Latencies::default(),
            timers_pending: Default::default(),
            watchdogs_pending: Default::default(),
            remote,
        });
        let seed = config.seed;
        let mut tasks = vec![
            tokio::spawn(run_layer(
                layers.com.clone(),
                com_rx,
                router.clone(),
                layer_rng(seed, LayerId::Com),
                |inboxes, count| inboxes.com.taken(count),
            )),
            tokio::spawn(run_layer(
                layers.som.clone(),
                som_rx,
                router.clone(),
                layer_rng(seed, LayerId::Som),
                |inboxes, count| inboxes.som.taken(count),
            )),
            tokio::spawn(run_layer(
                layers.rom.clone(),
                rom_rx,
                router.clone(),
                layer_rng(seed, LayerId::Rom),
                |inboxes, count| inboxes.rom.taken(count),
            )),
            tokio::spawn(run_layer(
                layers.activation.clone(),
                activation_rx,
                router.clone(),
                layer_rng(seed, LayerId::Activation),
                |inboxes, count| inboxes.activation.taken(count),
            )),
            tokio::spawn(run_layer(
                layers.network.clone(),
                network_rx,
                router.clone(),
                layer_rng(seed, LayerId::Network),
                |inboxes, count| inboxes.network.taken(count),
            )),
            tokio::spawn(run_layer(
                layers.inventory.clone(),
                inventory_rx,
                router.clone(),
                layer_rng(seed, LayerId::Inventory),
                |inboxes, count| inboxes.inventory.taken(count),
            )),
            tokio::spawn(timer::run(timer_rx, router.clone())),
        ];
        if let Some(worker) = worker {
            tasks.push(tokio::spawn(worker.run()));
            let router = router.clone();
            tasks.push(tokio::spawn(async move {
                while let Some(message) = answers_rx.recv().await {
                    router.route_local(message);
                }
            }));
        }
        let inner = Inner {
            setting,
            router,
            layers,
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
        if let Err(rejection) = router.offer(make(token)) {
            lock(&router.replies).remove(&token.0);
            return Err(rejection);
        }
        match tokio::time::timeout(reply_timeout(&self.inner.setting.config), receiver).await {
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

    /// Puts `message` in this process's inbox of its layer (never waiting: it is a message
    /// between layers, see [`super::inbox`]): how the HTTP transport's endpoints hand over
    /// what another process sent. (Async for its callers' sake; it never waits.)
    pub async fn deliver_local(&self, message: Message) {
        self.inner.router.route_local(message);
    }

    /// The layer(s) this process hosts: `all` in-process, the `--role` with the HTTP transport.
    pub fn role(&self) -> crate::runtime::transport::Role {
        self.inner
            .router
            .remote
            .as_ref()
            .map_or(crate::runtime::transport::Role::All, |remote| remote.role())
    }

    /// The base URLs of the layer processes this one calls, by layer (empty in-process and
    /// for `--role all`).
    pub fn peers(&self) -> std::collections::BTreeMap<LayerId, String> {
        let remote = self.inner.router.remote.as_ref();
        remote
            .map(|remote| remote.peers().clone())
            .unwrap_or_default()
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
        &self.inner.setting.config
    }

    /// The catalog.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.inner.setting.catalog
    }

    /// The network's elements and regions.
    pub fn topology(&self) -> &Arc<Topology> {
        &self.inner.setting.topology
    }

    /// The API's public base URL (no trailing slash): what every href starts with.
    pub fn public_url(&self) -> &str {
        &self.inner.router.public_url
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
        let layers: Vec<LayerStats> = LayerId::ALL
            .iter()
            .zip(router.inboxes.counters())
            .zip(&router.handled)
            .map(
                |((layer, (inbox_depth, inbox_depth_peak, shed)), handled)| LayerStats {
                    layer: *layer,
                    inbox_depth,
                    inbox_depth_peak,
                    shed,
                    handled: handled.load(Ordering::Relaxed),
                },
            )
            .collect();
        ChainStats {
            replies_waiting: lock(&router.replies).len(),
            shed: layers.iter().map(|layer| layer.shed).sum(),
            layers,
            timers_pending: router.timers_pending.load(Ordering::Relaxed),
            watchdogs_pending: router.watchdogs_pending.load(Ordering::Relaxed),
        }
    }

    /// The latency histograms: order durations per layer and terminal state, element
    /// operation latencies per kind and outcome (read without stopping the layers).
    pub fn latencies(&self) -> &Latencies {
        &self.inner.router.latencies
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

    /// Restarts `layer` without its state, as a crashed process that kept nothing but its id
    /// sequences (a database sequence, so no id is issued twice) would come back: its store is
    /// replaced by a fresh one; messages already in its inbox are handled by the new store.
    /// Its parents find out through their jeopardy deadlines; ROM and activation then reconcile
    /// with the layers below (see [`crate::layers::reconcile_input`]).
    /// The network and the inventories hold the simulated world itself and are not restarted.
    pub fn restart_layer_without_state(&self, layer: LayerId) -> Result<(), StartError> {
        let inner = &self.inner;
        inner
            .setting
            .restart_without_state(&mut handles(&inner.layers), layer)?;
        tracing::warn!(layer = layer.as_str(), "layer restarted without its state");
        if let Some(reconcile) = crate::layers::reconcile_input(layer) {
            inner.router.route_local(reconcile);
        }
        Ok(())
    }

    /// Audits the chain as it is now (call after the run has drained): every layer's lock is
    /// held for the whole audit, so it sees one consistent state.
    pub fn audit(&self) -> AuditReport {
        let now = self.now();
        let liveness_bound = Duration::from_millis(self.config().chain.liveness_bound_ms);
        let (com, som, rom) = (self.com(), self.som(), self.rom());
        let (activation, network, inventory) =
            (self.activation(), self.network(), self.inventory());
        audit(&AuditInput {
            com: &com,
            som: &som,
            rom: &rom,
            activation: &activation,
            network: &network,
            inventory: &inventory,
            now,
            liveness_bound,
            whole_chain: self.role() == crate::runtime::transport::Role::All,
        })
    }

    /// COM's store (hold the guard briefly; never across an await).
    pub fn com(&self) -> MutexGuard<'_, ComLayer> {
        lock(&self.inner.layers.com)
    }

    /// SOM's store.
    pub fn som(&self) -> MutexGuard<'_, SomLayer> {
        lock(&self.inner.layers.som)
    }

    /// ROM's store.
    pub fn rom(&self) -> MutexGuard<'_, RomLayer> {
        lock(&self.inner.layers.rom)
    }

    /// The activation layer's store.
    pub fn activation(&self) -> MutexGuard<'_, ActivationLayer> {
        lock(&self.inner.layers.activation)
    }

    /// The network's state.
    pub fn network(&self) -> MutexGuard<'_, NetworkLayer> {
        lock(&self.inner.layers.network)
    }

    /// The inventories.
    pub fn inventory(&self) -> MutexGuard<'_, InventoryLayer> {
        lock(&self.inner.layers.inventory)
    }
}

/// Each layer's RNG: the run's seed mixed with the layer, so layers draw independently.
pub(crate) fn layer_rng(seed: u64, layer: LayerId) -> SimRng {
    let index = layer.index() as u64;
    SimRng::seed_from_u64(seed ^ (index + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// One layer's task: handle batches under the lock, then carry out the effects.
async fn run_layer<L>(
    layer: Arc<Mutex<L>>,
    mut inbox: mpsc::UnboundedReceiver<L::Input>,
    router: Arc<Router>,
    mut rng: SimRng,
    taken: fn(&Inboxes, usize),
) where
    L: Layer + Snapshot + Send + 'static,
    L::Input: Send + 'static,
{
    let counter = L::ID.index();
    let mut batch = Vec::with_capacity(BATCH_MAX);
    let mut effects = Effects::default();
    let mut events: Vec<(Event, Value)> = Vec::new();
    while inbox.recv_many(&mut batch, BATCH_MAX).await > 0 {
        let now = router.now();
        taken(&router.inboxes, batch.len());
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
                .snapshot(&event.subject, &router.clock, &router.public_url)
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
