//! Transport between layers: in-process inboxes (the default) or TMF REST and hub callbacks
//! over loopback HTTP, so that the same chain runs as one process per layer.
//!
//! With `chain.transport = "http"` every process runs the real-time runtime for its
//! [`Role`]'s layer (all six are built; only the local ones are fed). A message one layer
//! sends another ([`codec::crosses`]) is not put in the destination's inbox but handed to the
//! [`Outbound`] queue, whose worker turns it into that layer's API call (below) with a
//! bounded number of calls in flight and retries on 5xx and connection errors. Wake-ups and
//! timeouts stay local. Inventory records stay in the process of the layer that writes them
//! (COM's products, SOM's services, ROM's resources): the TMF637/638/639 APIs are read-only
//! here, so each process serves the records of its own layer. With `--role all` every
//! crossing message goes over HTTP to the process itself.
//!
//! | message                          | on the wire                                                        |
//! |----------------------------------|--------------------------------------------------------------------|
//! | `SomInput::Create`               | `POST {TMF641}/serviceOrder`: `externalReference` (ProductOrder), items' `service.relatedEntity` role `productOrderItem` |
//! | `SomInput::Cancel`               | `POST {TMF641}/cancelServiceOrder` `serviceOrder.id`; by product order: the id found first by `GET {TMF641}/serviceOrder?externalId=PO-n` |
//! | `RomInput::Create`               | `POST {TMF652}/resourceOrder` in TMF652 attributes only (see [`crate::tmf::resource_order_create`]) |
//! | `RomInput::Cancel`               | `POST {TMF652}/cancelResourceOrder` `resourceOrder.id`; by service order item: the id found first by `GET {TMF652}/resourceOrder?externalId=SO-n/item` |
//! | `ActivationInput::Create`        | `POST {TMF640}/service` in TMF640 attributes only (see [`crate::tmf::service_create`]) |
//! | `ActivationInput::Terminate`     | `PATCH {TMF640}/service/{id}` `{"state":"terminated"}`              |
//! | `ActivationInput::Restore`       | `PATCH {TMF640}/service/{id}` `{"state":"active"}`                  |
//! | `ActivationInput::Reconfigure`   | `PATCH {TMF640}/service/{id}` `serviceCharacteristic` + requester   |
//! | `NetworkInput::Request`          | `POST /network/v1/operation` with a `callback` (see [`wire`])       |
//! | `RomInput::Element`, `ActivationInput::Element` | `POST {callback}` = `/network/v1/reply` of the caller |
//! | `ComInput::ServiceOrderChanged`  | SOM's own terminal `ServiceOrderStateChangeEvent` on the child's TMF641 hub |
//! | `SomInput::ResourceOrderChanged` | `ResourceOrderStateChangeEvent` on the child's TMF652 hub           |
//! | `RomInput::ActivationChanged`    | `ServiceStateChangeEvent` on the child's TMF640 hub                 |
//! | `SomInput::Report` (COM's jeopardy question) | `GET {TMF641}/serviceOrder?externalId=PO-n`; the answer becomes `ComInput::ServiceOrderStatus` here |
//! | a reconciling ROM's questions    | paged `GET`s of the network's allocations, TMF640 `active` services and SOM's TMF638 `active` services (see [`census`]) |
//! | `ActivationInput::Report` (ROM's jeopardy question) | `GET {TMF640}/service?relatedEntity.id=RO-n&state=` every state but `terminated`; the answer becomes `RomInput::ActivationStatus` here |
//! | `RomInput::Report` (SOM's jeopardy question) | `GET {TMF652}/resourceOrder?externalId=SO-n/item`; the answer becomes `SomInput::ResourceOrderStatus` here |
//!
//! Reports going up are hub events: at start-up the parent's process subscribes on its
//! child's hub (`query: eventType=…StateChangeEvent`, callback `/transport/v1/listener`). A
//! report is the child's own state-change event, rendered once for the hub: a service order's
//! terminal event naming a product order in `externalReference` (each item's product order
//! item in `service.relatedEntity`, role `productOrderItem`), a resource order's terminal event
//! naming a service order item in `externalReference`, a service's event naming a requesting
//! resource order in `relatedEntity`. Only an activation failure, which changes no state, is
//! published by the transport as one more state-change event carrying the `FailureNote`.
//!
//! Limits: the outbound queue holds `limits.inbox_capacity` messages (a full queue makes the
//! sending layer wait, as a full inbox does); [`LANES`] calls at once (one per lane; calls about one order share a lane, in order); each call is
//! tried [`ATTEMPTS_MAX`] times. A call refused with a 4xx, or failing every attempt, is
//! counted in [`TransportStats::failed`] and logged: the order it belonged to then stays open
//! and the audit's liveness check reports it. Hub deliveries follow the hub's own bounds.

pub mod census;
pub mod codec;
pub mod reports;
pub mod wire;

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;

use crate::domain::time::Time;
use crate::layers::{LayerId, Message};
use crate::network::Topology;
use crate::runtime::EventSink;
use codec::{Call, Outgoing, Verb};

/// Sequential lanes per process, so at most this many calls in flight. Calls about one order
/// share a lane ([`codec::order_key`]), so a cancel never overtakes its create, nor a
/// release its allocate, nor a deactivate its activate.
pub const LANES: usize = 64;
/// Calls waiting per lane.
const LANE_CAPACITY: usize = 1_024;
/// Attempts per call (retried on connection errors, 429 and 5xx).
pub const ATTEMPTS_MAX: u32 = 5;
/// First retry delay; doubled per attempt.
const BACKOFF_FIRST: Duration = Duration::from_millis(20);
/// Timeout of one call.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Path of the hub listener every parent registers.
pub const LISTENER_PATH: &str = "/transport/v1/listener";

/// Which layer a process hosts.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Product ordering.
    Com,
    /// Service ordering.
    Som,
    /// Resource ordering.
    Rom,
    /// Activation.
    Activation,
    /// Network elements.
    Network,
    /// Every layer in one process.
    All,
}

/// A `--role` that names no role.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a role (com, som, rom, activation, network, all)")]
pub struct RoleError(String);

impl FromStr for Role {
    type Err = RoleError;
    fn from_str(text: &str) -> Result<Role, RoleError> {
        match text {
            "com" => Ok(Role::Com),
            "som" => Ok(Role::Som),
            "rom" => Ok(Role::Rom),
            "activation" => Ok(Role::Activation),
            "network" => Ok(Role::Network),
            "all" => Ok(Role::All),
            other => Err(RoleError(other.chars().take(32).collect())),
        }
    }
}

impl Role {
    /// The layer a single-layer role hosts (`None` for `all`).
    pub const fn layer(self) -> Option<LayerId> {
        match self {
            Role::Com => Some(LayerId::Com),
            Role::Som => Some(LayerId::Som),
            Role::Rom => Some(LayerId::Rom),
            Role::Activation => Some(LayerId::Activation),
            Role::Network => Some(LayerId::Network),
            Role::All => None,
        }
    }

    /// Whether this process hosts `layer` (the inventory is hosted everywhere).
    pub fn hosts(self, layer: LayerId) -> bool {
        self == Role::All || layer == LayerId::Inventory || self.layer() == Some(layer)
    }

    /// The layers this role calls, whose addresses it must be given.
    pub fn needs(self) -> &'static [LayerId] {
        match self {
            Role::Com => &[LayerId::Som],
            Role::Som => &[LayerId::Rom],
            Role::Rom => &[LayerId::Activation, LayerId::Network],
            Role::Activation => &[LayerId::Network],
            Role::Network | Role::All => &[],
        }
    }
}

/// How this process takes part in an HTTP chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportSetup {
    /// The layer(s) it hosts.
    pub role: Role,
    /// Its own base URL (`http://127.0.0.1:port`).
    pub own: String,
    /// Base URLs of the other layers' processes.
    pub peers: BTreeMap<LayerId, String>,
    /// Sent as `Authorization: Bearer` on every call, when the processes are guarded.
    pub admin_token: Option<crate::config::AdminToken>,
}

/// A setup that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A layer this role calls has no address.
    #[error("--role {role} needs the address of `{layer}` (--{layer})")]
    MissingPeer {
        /// The role.
        role: &'static str,
        /// The layer without an address.
        layer: &'static str,
    },
}

impl TransportSetup {
    /// A setup for `role` at `own`, calling `peers`; `all` calls itself.
    pub fn new(
        role: Role,
        own: String,
        mut peers: BTreeMap<LayerId, String>,
    ) -> Result<TransportSetup, SetupError> {
        if role == Role::All {
            peers = LayerId::ALL
                .iter()
                .map(|layer| (*layer, own.clone()))
                .collect();
        }
        for layer in role.needs() {
            if !peers.contains_key(layer) {
                return Err(SetupError::MissingPeer {
                    role: role.layer().map_or("all", LayerId::as_str),
                    layer: layer.as_str(),
                });
            }
        }
        Ok(TransportSetup {
            role,
            own,
            peers,
            admin_token: None,
        })
    }

    /// The same setup, sending `token` on its calls (the peers' routes need it).
    pub fn with_admin_token(self, token: Option<crate::config::AdminToken>) -> TransportSetup {
        TransportSetup {
            admin_token: token,
            ..self
        }
    }
}

/// Outbound counters.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TransportStats {
    /// Calls answered with a 2xx.
    pub sent: u64,
    /// Calls refused with a 4xx or failing every attempt.
    pub failed: u64,
    /// Cancels the child refused (409) because the order had ended: an outcome of the race
    /// between a cancel and completion, not a failure.
    pub too_late: u64,
    /// Attempts after the first.
    pub retries: u64,
    /// Reports published as hub events.
    pub reports: u64,
    /// Messages waiting in the outbound queue.
    pub queued: usize,
    /// Calls handed to a lane and not finished yet.
    pub in_lanes: u64,
}

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    failed: AtomicU64,
    too_late: AtomicU64,
    retries: AtomicU64,
    reports: AtomicU64,
    in_lanes: AtomicU64,
}

/// The outbound side of the HTTP transport: decides what leaves and queues it.
pub(crate) struct Outbound {
    role: Role,
    /// The other layers' processes this one calls (empty for `all`, which calls itself).
    peers: BTreeMap<LayerId, String>,
    queue: mpsc::Sender<(Time, Message)>,
    counters: Arc<Counters>,
    callbacks: Arc<Mutex<BTreeMap<LayerId, String>>>,
}

/// What the outbound worker needs.
pub(crate) struct Worker {
    setup: TransportSetup,
    topology: Arc<Topology>,
    /// For reading a child's order found by a jeopardy question as its report.
    catalog: Arc<crate::domain::catalog::Catalog>,
    client: reqwest::Client,
    sink: Arc<dyn EventSink>,
    counters: Arc<Counters>,
    callbacks: Arc<Mutex<BTreeMap<LayerId, String>>>,
    receiver: mpsc::Receiver<(Time, Message)>,
    /// Where answers to jeopardy questions go: this process's own layers (bounded by the
    /// questions asked, one per overdue child order).
    local: mpsc::UnboundedSender<Message>,
}

/// What a lane carries out: a call (with the search that names its order, if any), or a
/// jeopardy question.
enum Job {
    Call(String, Option<String>, Call),
    Query(String, codec::Query),
}

impl Outbound {
    /// An outbound queue of `capacity` for `setup`, and the worker that empties it.
    pub(crate) fn new(
        setup: TransportSetup,
        sink: Arc<dyn EventSink>,
        capacity: usize,
        (topology, catalog): (Arc<Topology>, Arc<crate::domain::catalog::Catalog>),
        local: mpsc::UnboundedSender<Message>,
    ) -> (Outbound, Worker) {
        let (queue, receiver) = mpsc::channel(capacity.max(1));
        let counters = Arc::new(Counters::default());
        let callbacks = Arc::new(Mutex::new(BTreeMap::new()));
        let peers = match setup.role {
            Role::All => BTreeMap::new(),
            _ => setup.peers.clone(),
        };
        let outbound = Outbound {
            role: setup.role,
            peers,
            queue,
            counters: Arc::clone(&counters),
            callbacks: Arc::clone(&callbacks),
        };
        let client = client(setup.admin_token.as_ref());
        let worker = Worker {
            setup,
            topology,
            catalog,
            client,
            sink,
            counters,
            callbacks,
            receiver,
            local,
        };
        (outbound, worker)
    }

    /// The layer(s) this process hosts.
    pub(crate) fn role(&self) -> Role {
        self.role
    }

    /// The base URLs of the other layers' processes this one calls, by layer.
    pub(crate) fn peers(&self) -> &BTreeMap<LayerId, String> {
        &self.peers
    }

    /// Whether `message` leaves this process (with `all`: every crossing message).
    pub(crate) fn takes(&self, message: &Message) -> bool {
        // A reconciling ROM's question to SOM's service inventory is for SOM's process, not
        // for the inventory every process keeps of its own layer.
        let destination = census::Census::of(message).map_or(message.destination(), |c| c.to());
        codec::crosses(message) && (self.role == Role::All || !self.role.hosts(destination))
    }

    /// Queues `message`, waiting while the queue is full.
    pub(crate) async fn deliver(&self, now: Time, message: Message) {
        if self.queue.send((now, message)).await.is_err() {
            tracing::debug!("transport worker stopped; message dropped");
        }
    }

    /// Remembers where `layer`'s element replies go (from its latest operation request).
    pub(crate) fn set_reply_callback(&self, layer: LayerId, callback: String) {
        let mut callbacks = self
            .callbacks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if callbacks.get(&layer) != Some(&callback) {
            callbacks.insert(layer, callback);
        }
    }

    /// The counters.
    pub(crate) fn stats(&self) -> TransportStats {
        TransportStats {
            sent: self.counters.sent.load(Ordering::Relaxed),
            failed: self.counters.failed.load(Ordering::Relaxed),
            too_late: self.counters.too_late.load(Ordering::Relaxed),
            retries: self.counters.retries.load(Ordering::Relaxed),
            reports: self.counters.reports.load(Ordering::Relaxed),
            queued: self.queue.max_capacity() - self.queue.capacity(),
            in_lanes: self.counters.in_lanes.load(Ordering::Relaxed),
        }
    }
}

/// The client every outbound call uses: loopback, no proxy, no redirects, a timeout, and the
/// admin token when the peers are guarded.
fn client(admin_token: Option<&crate::config::AdminToken>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let authorization = admin_token
        .and_then(|token| {
            reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.as_str())).ok()
        })
        .map(|mut value| {
            value.set_sensitive(true);
            value
        });
    if let Some(value) = authorization {
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .timeout(CALL_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap_or_else(|error| {
            tracing::warn!(%error, "transport client builder failed; using defaults");
            reqwest::Client::new()
        })
}

impl Worker {
    /// Empties the queue: reports go to the hub, calls to their order's lane.
    pub(crate) async fn run(mut self) {
        let lanes: Vec<mpsc::Sender<Job>> = (0..LANES)
            .map(|_| {
                let (sender, receiver) = mpsc::channel(LANE_CAPACITY);
                tokio::spawn(lane(
                    receiver,
                    self.client.clone(),
                    Arc::clone(&self.counters),
                    (self.local.clone(), Arc::clone(&self.catalog)),
                ));
                sender
            })
            .collect();
        while let Some((now, message)) = self.receiver.recv().await {
            let key = codec::order_key(&message);
            match codec::outgoing(message, now, &self.setup.own, &self.topology) {
                Some(Outgoing::Event(event, body)) => self.report(&event, body),
                Some(Outgoing::Call(call)) => {
                    let Some(url) = self.url(&call) else {
                        tracing::warn!(to = call.to.as_str(), "no address for layer; call dropped");
                        self.counters.failed.fetch_add(1, Ordering::Relaxed);
                        continue;
                    };
                    let lookup = call.lookup.as_ref().and_then(|lookup| {
                        let base = self.setup.peers.get(&call.to)?;
                        Some(format!("{base}{}", lookup.path))
                    });
                    let index = usize::try_from(key % LANES as u64).unwrap_or(0);
                    self.counters.in_lanes.fetch_add(1, Ordering::Relaxed);
                    if let Some(lane) = lanes.get(index)
                        && lane.send(Job::Call(url, lookup, call)).await.is_err()
                    {
                        break;
                    }
                }
                Some(Outgoing::Census(census)) => self.ask_census(census),
                Some(Outgoing::Query(query)) => {
                    let Some(base) = self.setup.peers.get(&query.to) else {
                        tracing::warn!(
                            to = query.to.as_str(),
                            "no address for layer; question dropped"
                        );
                        continue;
                    };
                    let url = format!("{base}{}", query.path);
                    let index = usize::try_from(key % LANES as u64).unwrap_or(0);
                    self.counters.in_lanes.fetch_add(1, Ordering::Relaxed);
                    if let Some(lane) = lanes.get(index)
                        && lane.send(Job::Query(url, query)).await.is_err()
                    {
                        break;
                    }
                }
                None => {}
            }
        }
    }

    /// A reconciling layer's question, in a task of its own (a listing takes several pages;
    /// ROM asks three per restart, activation two). No address or no answer tells the layer
    /// what [`census::Census::unanswered`] says.
    fn ask_census(&self, census: census::Census) {
        let local = self.local.clone();
        let Some(base) = self.setup.peers.get(&census.to()).cloned() else {
            tracing::warn!(
                to = census.to().as_str(),
                ?census,
                "reconciling without this layer's address: not asked"
            );
            let _ = local.send(census.unanswered());
            return;
        };
        let (client, catalog, topology) = (
            self.client.clone(),
            Arc::clone(&self.catalog),
            Arc::clone(&self.topology),
        );
        tokio::spawn(async move {
            let listed = census::list(&client, &base, census).await;
            let answer = listed.map(|entries| census.answer(entries, &catalog, &topology));
            match answer {
                Some(Ok(answer)) => {
                    let _ = local.send(answer);
                }
                failed => {
                    tracing::warn!(?census, ?failed, "reconciliation question not answered");
                    let _ = local.send(census.unanswered());
                }
            }
        });
    }

    fn report(&self, event: &crate::layers::Event, body: serde_json::Value) {
        self.counters.reports.fetch_add(1, Ordering::Relaxed);
        if self.sink.wants(event) {
            self.sink.publish(event, body);
        } else {
            tracing::warn!(event = %event.event_type(), "no parent subscribed; report dropped");
        }
    }

    fn url(&self, call: &Call) -> Option<String> {
        if call.path == wire::REPLY_PATH {
            let callbacks = self
                .callbacks
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(callback) = callbacks.get(&call.to) {
                return Some(callback.clone());
            }
        }
        let base = self.setup.peers.get(&call.to)?;
        Some(format!("{base}{}", call.path))
    }
}

/// One lane: its calls one after the other. Ends when the worker does.
async fn lane(
    mut receiver: mpsc::Receiver<Job>,
    client: reqwest::Client,
    counters: Arc<Counters>,
    (local, catalog): (
        mpsc::UnboundedSender<Message>,
        Arc<crate::domain::catalog::Catalog>,
    ),
) {
    while let Some(job) = receiver.recv().await {
        let (url, lookup_url, mut call) = match job {
            Job::Call(url, lookup_url, call) => (url, lookup_url, call),
            Job::Query(url, query) => {
                // No answer at all (the child's process is down) sends nothing: the parent's
                // answer deadline decides.
                if let Some(found) = child_state(&client, &url, &query.filter()).await {
                    // A child that ended while its parent's subscription was missing (its
                    // process restarted): what was found is the report that was lost.
                    for child in &found {
                        if let Some(report) = query.about.report(child, &catalog) {
                            let _ = local.send(report);
                        }
                    }
                    let _ = local.send(query.about.answer(&found, &catalog));
                }
                counters.in_lanes.fetch_sub(1, Ordering::Relaxed);
                continue;
            }
        };
        let found = match (&call.lookup, lookup_url) {
            (Some(lookup), Some(lookup_url)) => look_up(&client, &lookup_url, lookup)
                .await
                .map(|id| call.body = lookup.body(id)),
            _ => Some(()),
        };
        match found {
            Some(()) => send(&client, &counters, url, &call).await,
            None => {
                tracing::warn!(%url, "the order to refer to was not found; call dropped");
                counters.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
        counters.in_lanes.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The id of the first order `lookup` finds (`GET {url}?externalId=…`), tried
/// [`ATTEMPTS_MAX`] times; `None` when none matches or the child never answers.
async fn look_up(client: &reqwest::Client, url: &str, lookup: &codec::Lookup) -> Option<String> {
    let mut backoff = BACKOFF_FIRST;
    for attempt in 1..=ATTEMPTS_MAX {
        if attempt > 1 {
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
        let params = [("externalId", lookup.external_id.as_str()), ("limit", "1")];
        let url = reqwest::Url::parse_with_params(url, params).ok()?;
        let Ok(response) = client.get(url).send().await else {
            continue;
        };
        if !response.status().is_success() {
            continue;
        }
        let list: Vec<crate::tmf::read::IdStateView> = response.json().await.ok()?;
        return list.into_iter().next()?.id;
    }
    None
}

/// What `GET {url}?{filter}` finds (an empty list when nothing), `None` when the child never
/// answers (tried [`ATTEMPTS_MAX`] times).
async fn child_state(
    client: &reqwest::Client,
    url: &str,
    filter: &[(&'static str, String)],
) -> Option<Vec<serde_json::Value>> {
    let mut backoff = BACKOFF_FIRST;
    for attempt in 1..=ATTEMPTS_MAX {
        if attempt > 1 {
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
        let params = filter.iter().map(|(name, value)| (*name, value.as_str()));
        let url = reqwest::Url::parse_with_params(url, params).ok()?;
        let Ok(response) = client.get(url).send().await else {
            continue;
        };
        if !response.status().is_success() {
            continue;
        }
        return response.json::<Vec<serde_json::Value>>().await.ok();
    }
    None
}

/// One call, retried on connection errors, 429 and 5xx.
async fn send(client: &reqwest::Client, counters: &Counters, url: String, call: &Call) {
    let mut backoff = BACKOFF_FIRST;
    for attempt in 1..=ATTEMPTS_MAX {
        if attempt > 1 {
            counters.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
        let request = match call.verb {
            Verb::Post => client.post(&url),
            Verb::Patch => client.patch(&url),
        };
        match request.json(&call.body).send().await {
            Ok(response) if response.status().is_success() => {
                counters.sent.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Ok(response) if response.status().as_u16() == 409 && call.is_cancel() => {
                // The order ended before the cancel reached it: the parent hears the ending
                // from the child's events and undoes it, as when a cancel loses the race
                // inside one process.
                tracing::debug!(%url, "cancel refused: the order had ended");
                counters.too_late.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Ok(response)
                if response.status().is_server_error() || response.status().as_u16() == 429 =>
            {
                tracing::debug!(%url, status = %response.status(), "transport call refused; retrying");
            }
            Ok(response) => {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                tracing::warn!(%url, %status, body = %body.chars().take(200).collect::<String>(), "transport call refused");
                counters.failed.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(error) => tracing::debug!(%url, %error, "transport call failed; retrying"),
        }
    }
    tracing::warn!(%url, "transport call failed every attempt");
    counters.failed.fetch_add(1, Ordering::Relaxed);
}

/// A parent's subscription on its child's hub: (parent, child, child's API base, event type).
const SUBSCRIPTIONS: [(LayerId, LayerId, &str, &str); 3] = [
    (
        LayerId::Com,
        LayerId::Som,
        crate::tmf::SERVICE_ORDERING,
        "ServiceOrderStateChangeEvent",
    ),
    (
        LayerId::Som,
        LayerId::Rom,
        crate::tmf::RESOURCE_ORDERING,
        "ResourceOrderStateChangeEvent",
    ),
    (
        LayerId::Rom,
        LayerId::Activation,
        crate::tmf::SERVICE_ACTIVATION,
        "ServiceStateChangeEvent",
    ),
];

/// A hub subscription that could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot subscribe on {url}: {reason}")]
pub struct SubscribeError {
    /// The hub.
    pub url: String,
    /// Why.
    pub reason: String,
}

/// Registers this process's listener on the hub of each child of its local layers (call once
/// the process serves HTTP). Tries each hub [`ATTEMPTS_MAX`] times.
pub async fn subscribe_to_children(setup: &TransportSetup) -> Result<(), SubscribeError> {
    subscribe_each(setup, ATTEMPTS_MAX).await
}

/// Renews this process's subscriptions on its children's hubs every `period`, until `stop`
/// turns true or its sender is gone. A POST with the same callback and query answers the
/// subscription the hub has, or makes it anew on a child whose process restarted (its hubs
/// came back empty), so a parent never stops hearing from a restarted child and never hears
/// an event twice.
pub async fn renew_subscriptions(
    setup: TransportSetup,
    period: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return;
                }
            }
            () = tokio::time::sleep(period) => {
                if let Err(error) = subscribe_each(&setup, 1).await {
                    tracing::debug!(url = %error.url, reason = %error.reason, "subscription renewal failed; next period");
                }
            }
        }
    }
}

async fn subscribe_each(setup: &TransportSetup, attempts: u32) -> Result<(), SubscribeError> {
    let client = client(setup.admin_token.as_ref());
    for (parent, child, base, event_type) in SUBSCRIPTIONS {
        if !setup.role.hosts(parent) {
            continue;
        }
        let Some(peer) = setup.peers.get(&child) else {
            continue;
        };
        let url = format!("{peer}{base}/hub");
        let body = crate::tmf::event::EventSubscriptionInput {
            callback: Some(format!("{}{LISTENER_PATH}", setup.own)),
            query: Some(format!("eventType={event_type}")),
        };
        subscribe(&client, &url, &body, attempts).await?;
    }
    Ok(())
}

async fn subscribe(
    client: &reqwest::Client,
    url: &str,
    body: &crate::tmf::event::EventSubscriptionInput,
    attempts: u32,
) -> Result<(), SubscribeError> {
    let mut backoff = BACKOFF_FIRST;
    let mut reason = String::new();
    for attempt in 1..=attempts {
        if attempt > 1 {
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
        match client.post(url).json(body).send().await {
            Ok(response) if response.status().is_success() => return Ok(()),
            Ok(response) => reason = format!("answered {}", response.status()),
            Err(error) => reason = error.to_string(),
        }
    }
    Err(SubscribeError {
        url: url.to_string(),
        reason,
    })
}

#[cfg(test)]
mod tests;
