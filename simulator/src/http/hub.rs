//! TMF hubs: event subscriptions per API and delivery of events to their callbacks.
//!
//! [`Hub`] is the runtime's [`EventSink`]. `wants` is a load of one atomic counter per
//! (resource, event kind), because the runtime asks it for every event while holding a layer's
//! lock. `publish` builds and serialises the TMF envelope once and `try_send`s the bytes to
//! each interested subscriber's bounded queues (a full queue drops the event and counts it;
//! publishing never waits). Each subscriber has up to [`LANES_MAX`] delivery lanes, each a bounded queue and a
//! task that POSTs one event at a time with the shared client and retries it with exponential
//! backoff up to `hub_delivery_attempts_max` attempts before it takes the next.
//!
//! An event goes to the lane its entity hashes to, so the events of one order (or service,
//! or cancel request) reach a subscriber in the order they happened: the layer publishes them
//! in order, one lane queues them in order, and the lane never has two in flight. Distinct
//! entities spread over the lanes, so one slow delivery does not serialize a whole stream.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::config::Limits;
use crate::domain::ids::SubscriptionId;
use crate::http::common::{AppState, missing, path_id};
use crate::http::error::{ApiError, TmfJson};
use crate::layers::{Api, Event, EventKind, Subject};
use crate::runtime::{EventSink, WallClock};

/// Delivery lanes per subscriber: at most this many deliveries in flight to one callback.
pub const LANES_MAX: usize = 16;
/// Timeout of one delivery POST.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// First retry delay; doubled per attempt up to [`BACKOFF_MAX`].
const BACKOFF_FIRST: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// The resources events are about, in [`resource_index`] order.
const RESOURCES: [(&str, Api); 7] = [
    ("productOrder", Api::ProductOrdering),
    ("cancelProductOrder", Api::ProductOrdering),
    ("serviceOrder", Api::ServiceOrdering),
    ("resourceOrder", Api::ResourceOrdering),
    ("service", Api::ServiceActivation),
    ("cancelServiceOrder", Api::ServiceOrdering),
    ("cancelResourceOrder", Api::ResourceOrdering),
];
const KINDS: [(&str, EventKind); 4] = [
    ("CreateEvent", EventKind::Create),
    ("StateChangeEvent", EventKind::StateChange),
    ("AttributeValueChangeEvent", EventKind::AttributeValueChange),
    ("DeleteEvent", EventKind::Delete),
];
const SLOTS: usize = RESOURCES.len() * KINDS.len();

fn resource_index(subject: &Subject) -> usize {
    match subject {
        Subject::ProductOrder(_) => 0,
        Subject::CancelProductOrder(_) => 1,
        Subject::ServiceOrder(_) => 2,
        Subject::ResourceOrder(_) => 3,
        Subject::ActivationService(_) => 4,
        Subject::CancelServiceOrder(_) => 5,
        Subject::CancelResourceOrder(_) => 6,
    }
}

/// The entity an event is about as a number: events with the same key share a lane.
fn entity_key(subject: &Subject) -> u64 {
    let id = match subject {
        Subject::ProductOrder(id) => id.0,
        Subject::CancelProductOrder(id) => id.0,
        Subject::ServiceOrder(id) => id.0,
        Subject::ResourceOrder(id) => id.0,
        Subject::ActivationService(id) => id.0,
        Subject::CancelServiceOrder(id) => id.0,
        Subject::CancelResourceOrder(id) => id.0,
    };
    let resource = resource_index(subject) as u64;
    // Fibonacci hashing: consecutive ids (the usual case) spread evenly over the lanes.
    (id ^ resource.rotate_right(8)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

fn kind_index(kind: EventKind) -> usize {
    match kind {
        EventKind::Create => 0,
        EventKind::StateChange => 1,
        EventKind::AttributeValueChange => 2,
        EventKind::Delete => 3,
    }
}

fn slot(event: &Event) -> usize {
    resource_index(&event.subject) * KINDS.len() + kind_index(event.kind)
}

/// The slot of the TMF `eventType` name on `api`'s hub, if it is one.
fn slot_of_name(api: Api, name: &str) -> Option<usize> {
    RESOURCES
        .iter()
        .enumerate()
        .filter(|(_, (_, resource_api))| *resource_api == api)
        .find_map(|(resource, (resource_name, _))| {
            let mut chars = resource_name.chars();
            let first = chars.next()?;
            let rest = name.strip_prefix(first.to_ascii_uppercase())?;
            let suffix = rest.strip_prefix(chars.as_str())?;
            let kind = KINDS.iter().position(|(text, _)| *text == suffix)?;
            Some(resource * KINDS.len() + kind)
        })
}

/// Parses a subscription `query`: absent or empty means every event of the API;
/// `eventType=A` or `eventType=A,B` selects those. Anything else is a 400.
pub fn parse_query(api: Api, query: Option<&str>) -> Result<Vec<usize>, ApiError> {
    let all = || {
        (0..SLOTS)
            .filter(|slot| RESOURCES[slot / KINDS.len()].1 == api)
            .collect::<Vec<_>>()
    };
    let Some(query) = query.map(str::trim).filter(|q| !q.is_empty()) else {
        return Ok(all());
    };
    let Some((key, names)) = query.split_once('=') else {
        return Err(ApiError::bad_request(
            "query must look like `eventType=A,B`",
        ));
    };
    if key.trim() != "eventType" {
        return Err(ApiError::bad_request(
            "query can only filter on `eventType`",
        ));
    }
    let mut slots = Vec::new();
    for name in names.split(',').map(str::trim) {
        let slot = slot_of_name(api, name).ok_or_else(|| {
            ApiError::bad_request(format!(
                "`{}` is not an event type of this API",
                name.chars().take(64).collect::<String>()
            ))
        })?;
        if !slots.contains(&slot) {
            slots.push(slot);
        }
    }
    Ok(slots)
}

/// Refuses callbacks that are not `http://` to a loopback address (unless external callbacks
/// are allowed). Host names other than `localhost` are not resolved: they are external.
pub fn check_callback(callback: &str, allow_external: bool) -> Result<reqwest::Url, ApiError> {
    let url = reqwest::Url::parse(callback)
        .map_err(|error| ApiError::bad_request(format!("callback is not a URL: {error}")))?;
    if url.scheme() != "http" {
        return Err(ApiError::bad_request("callback must be an http:// URL"));
    }
    let host = url.host_str().unwrap_or_default();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = match bare.parse::<IpAddr>() {
        Ok(address) => address.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    };
    if !loopback && !allow_external {
        return Err(ApiError::bad_request(
            "callback must resolve to a loopback address (127.0.0.0/8, ::1, localhost)",
        ));
    }
    Ok(url)
}

/// A subscriber's delivery counters.
#[derive(Debug, Default)]
struct Counters {
    delivered: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    retries: AtomicU64,
}

struct Subscriber {
    api: Api,
    callback: String,
    query: Option<String>,
    slots: Vec<usize>,
    lanes: Vec<Lane>,
    counters: Arc<Counters>,
}

/// One ordered delivery lane of a subscriber: its bounded queue and the task that empties it.
struct Lane {
    sender: mpsc::Sender<Bytes>,
    task: tokio::task::AbortHandle,
}

impl Subscriber {
    /// The lane of the entity `event` is about.
    fn lane(&self, event: &Event) -> &Lane {
        let key = entity_key(&event.subject);
        let count = self.lanes.len().max(1) as u64;
        let index = usize::try_from((key >> 32) % count).unwrap_or(0);
        &self.lanes[index]
    }

    /// Events waiting in its lanes.
    fn queued(&self) -> usize {
        self.lanes
            .iter()
            .map(|lane| lane.sender.max_capacity() - lane.sender.capacity())
            .sum()
    }

    /// Stops its delivery tasks.
    fn stop(&self) {
        for lane in &self.lanes {
            lane.task.abort();
        }
    }
}

/// A subscription as the hub reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionStats {
    /// Its id.
    pub id: String,
    /// The API it listens on.
    pub api: Api,
    /// Where events go.
    pub callback: String,
    /// Events waiting in its queues.
    pub queued: usize,
    /// Events delivered (a 2xx answer).
    pub delivered: u64,
    /// Events given up after every attempt failed.
    pub failed: u64,
    /// Events dropped because its queue was full.
    pub dropped: u64,
    /// Attempts after the first.
    pub retries: u64,
}

/// The hubs of every API; cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

struct HubInner {
    limits: Limits,
    client: reqwest::Client,
    clock: OnceLock<WallClock>,
    interest: [AtomicU32; SLOTS],
    next_event: AtomicU64,
    next_subscription: AtomicU64,
    offered: AtomicU64,
    published: AtomicU64,
    subscribers: Mutex<BTreeMap<SubscriptionId, Subscriber>>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").finish_non_exhaustive()
    }
}

impl Hub {
    /// A hub with no subscriptions, bounded by `limits`.
    pub fn new(limits: &Limits) -> Hub {
        let client = reqwest::Client::builder()
            .timeout(DELIVERY_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap_or_else(|error| {
                tracing::warn!(%error, "hub client builder failed; using defaults");
                reqwest::Client::new()
            });
        Hub {
            inner: Arc::new(HubInner {
                limits: limits.clone(),
                client,
                clock: OnceLock::new(),
                interest: std::array::from_fn(|_| AtomicU32::new(0)),
                next_event: AtomicU64::new(1),
                next_subscription: AtomicU64::new(1),
                offered: AtomicU64::new(0),
                published: AtomicU64::new(0),
                subscribers: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    /// Sets the clock event times are rendered with (once; later calls are ignored).
    pub fn set_clock(&self, clock: WallClock) {
        let _ = self.inner.clock.set(clock);
    }

    fn subscribers(&self) -> std::sync::MutexGuard<'_, BTreeMap<SubscriptionId, Subscriber>> {
        self.inner
            .subscribers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers `callback` on `api`'s hub and starts its delivery task (needs a tokio
    /// runtime). Returns the TMF `EventSubscription` JSON.
    pub fn subscribe(
        &self,
        api: Api,
        callback: &str,
        query: Option<String>,
    ) -> Result<Value, ApiError> {
        let url = check_callback(callback, self.inner.limits.allow_external_callbacks)?;
        let slots = parse_query(api, query.as_deref())?;
        let mut subscribers = self.subscribers();
        // The same callback and query again (a parent process that restarted and subscribes
        // anew, a client retrying) is the subscription it already has: a second one would
        // deliver every event twice.
        let existing = subscribers
            .iter()
            .find(|(_, s)| s.api == api && s.callback == callback && s.query == query);
        if let Some((id, _)) = existing {
            return Ok(subscription_json(*id, callback, query.as_deref()));
        }
        let on_api = subscribers.values().filter(|s| s.api == api).count();
        if on_api >= self.inner.limits.hub_subscriptions_max {
            return Err(ApiError::too_many(format!(
                "this hub already has {on_api} subscriptions (the maximum)"
            )));
        }
        let id = SubscriptionId(self.inner.next_subscription.fetch_add(1, Ordering::Relaxed));
        let counters = Arc::new(Counters::default());
        let delivery = Arc::new(Delivery {
            client: self.inner.client.clone(),
            url,
            counters: Arc::clone(&counters),
            attempts_max: self.inner.limits.hub_delivery_attempts_max.max(1),
        });
        let lanes = self.lanes(&delivery);
        for slot in &slots {
            self.inner.interest[*slot].fetch_add(1, Ordering::Relaxed);
        }
        let view = subscription_json(id, callback, query.as_deref());
        let subscriber = Subscriber {
            api,
            callback: callback.to_string(),
            query,
            slots,
            lanes,
            counters,
        };
        subscribers.insert(id, subscriber);
        Ok(view)
    }

    /// A subscriber's lanes: `hub_queue_capacity` split evenly over at most [`LANES_MAX`]
    /// queues (each holds at least one event), each emptied by its own task.
    fn lanes(&self, delivery: &Arc<Delivery>) -> Vec<Lane> {
        let capacity = self.inner.limits.hub_queue_capacity.max(1);
        let count = LANES_MAX.min(capacity);
        (0..count)
            .map(|_| {
                let (sender, receiver) = mpsc::channel(capacity / count);
                let task = tokio::spawn(Arc::clone(delivery).run(receiver)).abort_handle();
                Lane { sender, task }
            })
            .collect()
    }

    /// Removes subscription `id` from `api`'s hub; false when there is none.
    pub fn unsubscribe(&self, api: Api, id: SubscriptionId) -> bool {
        let mut subscribers = self.subscribers();
        if subscribers.get(&id).is_none_or(|s| s.api != api) {
            return false;
        }
        if let Some(subscriber) = subscribers.remove(&id) {
            for slot in &subscriber.slots {
                self.inner.interest[*slot].fetch_sub(1, Ordering::Relaxed);
            }
            subscriber.stop();
        }
        true
    }

    /// The TMF `EventSubscription` of `id` on `api`'s hub.
    pub fn subscription(&self, api: Api, id: SubscriptionId) -> Option<Value> {
        let subscribers = self.subscribers();
        let subscriber = subscribers.get(&id).filter(|s| s.api == api)?;
        Some(subscription_json(
            id,
            &subscriber.callback,
            subscriber.query.as_deref(),
        ))
    }

    /// The TMF `EventSubscription`s of `api`'s hub (at most `hub_subscriptions_max`).
    pub fn subscriptions(&self, api: Api) -> Vec<Value> {
        self.subscribers()
            .iter()
            .filter(|(_, s)| s.api == api)
            .map(|(id, s)| subscription_json(*id, &s.callback, s.query.as_deref()))
            .collect()
    }

    /// Every subscription with its delivery counters.
    pub fn stats(&self) -> Vec<SubscriptionStats> {
        self.subscribers()
            .iter()
            .map(|(id, s)| SubscriptionStats {
                id: id.to_string(),
                api: s.api,
                callback: s.callback.clone(),
                queued: s.queued(),
                delivered: s.counters.delivered.load(Ordering::Relaxed),
                failed: s.counters.failed.load(Ordering::Relaxed),
                dropped: s.counters.dropped.load(Ordering::Relaxed),
                retries: s.counters.retries.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// Events the layers raised (each is offered to the hub once, through `wants`).
    pub fn offered(&self) -> u64 {
        self.inner.offered.load(Ordering::Relaxed)
    }

    /// Events some subscriber wanted: rendered and queued for delivery.
    pub fn published(&self) -> u64 {
        self.inner.published.load(Ordering::Relaxed)
    }

    /// Stops every delivery task and forgets every subscription.
    pub fn close(&self) {
        let mut subscribers = self.subscribers();
        for (_, subscriber) in std::mem::take(&mut *subscribers) {
            for slot in &subscriber.slots {
                self.inner.interest[*slot].fetch_sub(1, Ordering::Relaxed);
            }
            subscriber.stop();
        }
    }

    /// The envelope of `event`, serialised once (each subscriber's lane shares the bytes).
    fn envelope_bytes(&self, event: &Event, resource: &Value) -> serde_json::Result<Bytes> {
        let event_id = self.inner.next_event.fetch_add(1, Ordering::Relaxed);
        let time = self.inner.clock.get().map_or_else(
            || humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
            |clock| clock.rfc3339(event.time),
        );
        let envelope = EventEnvelope::new(event_id, time, event, resource);
        serde_json::to_vec(&envelope).map(Bytes::from)
    }
}

pub use crate::tmf::event::{EventEnvelope, envelope};

fn subscription_json(id: SubscriptionId, callback: &str, query: Option<&str>) -> Value {
    let mut view = json!({"id": id.to_string(), "callback": callback});
    if let Some(query) = query {
        view["query"] = Value::String(query.to_string());
    }
    view
}

impl EventSink for Hub {
    fn wants(&self, event: &Event) -> bool {
        self.inner.offered.fetch_add(1, Ordering::Relaxed);
        self.inner.interest[slot(event)].load(Ordering::Relaxed) > 0
    }

    fn publish(&self, event: &Event, resource: Value) {
        self.inner.published.fetch_add(1, Ordering::Relaxed);
        let slot = slot(event);
        if self.inner.interest[slot].load(Ordering::Relaxed) == 0 {
            return;
        }
        let envelope = match self.envelope_bytes(event, &resource) {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::warn!(%error, "event not serialisable; dropped");
                return;
            }
        };
        for subscriber in self.subscribers().values() {
            if !subscriber.slots.contains(&slot) {
                continue;
            }
            let lane = subscriber.lane(event);
            if lane.sender.try_send(envelope.clone()).is_err() {
                subscriber.counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// How one subscriber's events are delivered (shared by its lanes).
struct Delivery {
    client: reqwest::Client,
    url: reqwest::Url,
    counters: Arc<Counters>,
    attempts_max: u32,
}

impl Delivery {
    /// One lane's loop: each event is delivered (or given up) before the next is taken, so
    /// the lane keeps its queue's order.
    async fn run(self: Arc<Self>, mut receiver: mpsc::Receiver<Bytes>) {
        while let Some(event) = receiver.recv().await {
            self.deliver(&event).await;
        }
    }

    async fn deliver(&self, event: &Bytes) {
        let mut backoff = BACKOFF_FIRST;
        for attempt in 1..=self.attempts_max {
            if attempt > 1 {
                self.counters.retries.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
            let request = self
                .client
                .post(self.url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(event.clone());
            match request.send().await {
                Ok(response) if response.status().is_success() => {
                    self.counters.delivered.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Ok(response) => {
                    tracing::debug!(url = %self.url, status = %response.status(), "hub delivery refused");
                }
                Err(error) => tracing::debug!(url = %self.url, %error, "hub delivery failed"),
            }
        }
        self.counters.failed.fetch_add(1, Ordering::Relaxed);
    }
}

pub use crate::tmf::event::EventSubscriptionInput;

/// The base path of `api` (its hub is `{base}/hub`).
pub const fn base_path(api: Api) -> &'static str {
    use crate::http::dto::{
        PRODUCT_ORDERING, RESOURCE_ORDERING, SERVICE_ACTIVATION, SERVICE_ORDERING,
    };
    match api {
        Api::ProductOrdering => PRODUCT_ORDERING,
        Api::ServiceOrdering => SERVICE_ORDERING,
        Api::ResourceOrdering => RESOURCE_ORDERING,
        Api::ServiceActivation => SERVICE_ACTIVATION,
    }
}

/// `POST /hub` (201, `Location` and the `EventSubscription`), `GET /hub` (the API's
/// subscriptions), `GET /hub/{id}` and `DELETE /hub/{id}` of `api` (TMF630 / TMF688).
pub fn routes(api: Api) -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route(
            "/hub",
            get(move |state| list(api, state)).post(move |state, body| create(api, state, body)),
        )
        .route(
            "/hub/{id}",
            get(move |state, id| read(api, state, id))
                .delete(move |state, id| delete(api, state, id)),
        )
}

type HubState = axum::extract::State<AppState>;
type HubPath = axum::extract::Path<String>;

async fn create(
    api: Api,
    axum::extract::State(state): HubState,
    TmfJson(body): TmfJson<EventSubscriptionInput>,
) -> Result<axum::response::Response, ApiError> {
    use axum::http::{HeaderValue, StatusCode, header};
    use axum::response::IntoResponse;
    let callback = body
        .callback
        .ok_or_else(|| ApiError::bad_request("callback is required"))?;
    let view = state.hub.subscribe(api, &callback, body.query)?;
    let id = view["id"].as_str().unwrap_or_default();
    let location = format!("{}{}/hub/{id}", state.chain.public_url(), base_path(api));
    let mut response = (StatusCode::CREATED, axum::Json(&view)).into_response();
    let value = HeaderValue::from_str(&location).map_err(ApiError::internal)?;
    response.headers_mut().insert(header::LOCATION, value);
    Ok(response)
}

async fn list(api: Api, axum::extract::State(state): HubState) -> axum::Json<Vec<Value>> {
    axum::Json(state.hub.subscriptions(api))
}

async fn read(
    api: Api,
    axum::extract::State(state): HubState,
    axum::extract::Path(id): HubPath,
) -> Result<axum::Json<Value>, ApiError> {
    let id: SubscriptionId = path_id(&id, "hub subscription")?;
    let view = state
        .hub
        .subscription(api, id)
        .ok_or_else(|| missing("hub subscription", id))?;
    Ok(axum::Json(view))
}

async fn delete(
    api: Api,
    axum::extract::State(state): HubState,
    axum::extract::Path(id): HubPath,
) -> Result<axum::http::StatusCode, ApiError> {
    let id: SubscriptionId = path_id(&id, "hub subscription")?;
    if state.hub.unsubscribe(api, id) {
        Ok(axum::http::StatusCode::NO_CONTENT)
    } else {
        Err(missing("hub subscription", id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::ProductOrderId;
    use crate::domain::time::Time;

    #[test]
    fn queries_parse_to_slots() {
        let all = parse_query(Api::ProductOrdering, None).expect("ok");
        assert_eq!(all.len(), 8);
        let two = parse_query(
            Api::ProductOrdering,
            Some("eventType=ProductOrderCreateEvent, CancelProductOrderCreateEvent"),
        )
        .expect("ok");
        assert_eq!(two, vec![0, 4]);
        let service = parse_query(
            Api::ServiceActivation,
            Some("eventType=ServiceStateChangeEvent"),
        )
        .expect("ok");
        assert_eq!(service, vec![17]);
        for bad in [
            "eventType",
            "state=completed",
            "eventType=Nope",
            "eventType=ServiceOrderCreateEvent",
            "eventType=",
        ] {
            let error = parse_query(Api::ProductOrdering, Some(bad)).expect_err(bad);
            assert_eq!(error.status.as_u16(), 400, "{bad}");
        }
    }

    #[test]
    fn callbacks_must_be_loopback_http() {
        for good in [
            "http://127.0.0.1:9/x",
            "http://127.8.0.1/",
            "http://[::1]:80/",
            "http://localhost:1/",
        ] {
            assert!(check_callback(good, false).is_ok(), "{good}");
        }
        for bad in [
            "https://127.0.0.1/",
            "http://10.0.0.1/",
            "http://example.com/",
            "not a url",
            "ftp://localhost/",
        ] {
            assert_eq!(
                check_callback(bad, false).expect_err(bad).status.as_u16(),
                400,
                "{bad}"
            );
        }
        assert!(check_callback("http://example.com/", true).is_ok());
    }

    #[tokio::test]
    async fn wants_follows_subscriptions() {
        let hub = Hub::new(&Limits::default());
        let event = Event {
            kind: EventKind::StateChange,
            subject: Subject::ProductOrder(ProductOrderId(1)),
            time: Time::ZERO,
        };
        assert!(!hub.wants(&event));
        let view = hub
            .subscribe(
                Api::ProductOrdering,
                "http://127.0.0.1:9/cb",
                Some("eventType=ProductOrderStateChangeEvent".into()),
            )
            .expect("subscribed");
        assert!(hub.wants(&event));
        let id: SubscriptionId = view["id"].as_str().expect("id").parse().expect("parses");
        assert!(!hub.unsubscribe(Api::ServiceOrdering, id));
        assert!(hub.unsubscribe(Api::ProductOrdering, id));
        assert!(!hub.wants(&event));
    }

    #[tokio::test]
    async fn the_same_callback_and_query_is_one_subscription() {
        let hub = Hub::new(&Limits::default());
        let first = hub
            .subscribe(Api::ProductOrdering, "http://127.0.0.1:9/", None)
            .expect("first");
        let again = hub
            .subscribe(Api::ProductOrdering, "http://127.0.0.1:9/", None)
            .expect("again");
        assert_eq!(first["id"], again["id"], "no duplicate subscription");
        let query = Some("eventType=ProductOrderStateChangeEvent".to_string());
        let other = hub
            .subscribe(Api::ProductOrdering, "http://127.0.0.1:9/", query)
            .expect("another query");
        assert_ne!(first["id"], other["id"]);
        assert_eq!(hub.stats().len(), 2);
        hub.close();
    }

    #[tokio::test]
    async fn subscriptions_are_bounded() {
        let limits = Limits {
            hub_subscriptions_max: 1,
            ..Limits::default()
        };
        let hub = Hub::new(&limits);
        hub.subscribe(Api::ServiceOrdering, "http://127.0.0.1:9/", None)
            .expect("first");
        let error = hub
            .subscribe(Api::ServiceOrdering, "http://127.0.0.1:9/other", None)
            .expect_err("second");
        assert_eq!(error.status.as_u16(), 429);
        // Another API's hub has its own bound.
        hub.subscribe(Api::ResourceOrdering, "http://127.0.0.1:9/", None)
            .expect("other hub");
    }

    #[tokio::test]
    async fn a_full_queue_drops_and_counts() {
        let limits = Limits {
            hub_queue_capacity: 1,
            ..Limits::default()
        };
        let hub = Hub::new(&limits);
        hub.subscribe(Api::ProductOrdering, "http://127.0.0.1:9/", None)
            .expect("subscribed");
        let event = Event {
            kind: EventKind::Create,
            subject: Subject::ProductOrder(ProductOrderId(1)),
            time: Time::ZERO,
        };
        // The delivery task has not run yet (single-threaded test runtime, no await since the
        // subscription), so the first event fills the queue and the next two are dropped.
        for _ in 0..3 {
            assert!(hub.wants(&event));
            hub.publish(&event, json!({"id": "PO-1"}));
        }
        let stats = hub.stats();
        assert_eq!((stats[0].queued, stats[0].dropped), (1, 2), "{stats:?}");
        assert_eq!((hub.offered(), hub.published()), (3, 3));
        hub.close();
    }
}
