//! Following orders to their end: the order table, the hub listener and the poller.
//!
//! [`Tracker`] is a plain bounded table (held under a std mutex: nothing awaits while it is
//! held). It is fed by events POSTed to loadgen's own listener (registered with the
//! simulator's TMF hub) or, with `--track poll`, by GETs of open orders. Events may arrive
//! before the POST that created the order has answered, out of order, or twice: the first
//! terminal state is final, later ones count as duplicates.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::observe::metrics::Outcome;
use crate::plan::workload::Technology;

/// Events held for orders whose POST has not answered yet.
pub const EARLY_EVENTS_MAX: usize = 100_000;
/// Finished order ids remembered to recognise duplicate events.
pub const FINISHED_REMEMBERED_MAX: usize = 200_000;
/// Open orders followed at once; orders beyond it are counted as untracked, not followed.
pub const OPEN_TRACKED_MAX: usize = 1_000_000;

/// An order loadgen submitted and has not seen finish.
#[derive(Debug)]
struct OrderRecord {
    kind: &'static str,
    intended: Instant,
    measured: bool,
    state: String,
    waiter: Option<oneshot::Sender<Outcome>>,
}

/// An order that reached a terminal state.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    /// The order id.
    pub id: String,
    /// The operation it was sent for (`add_fibre`, `modify_speed`, …).
    pub kind: &'static str,
    /// Its outcome.
    pub outcome: Outcome,
    /// From the intended send instant to the terminal observation.
    pub latency: Duration,
    /// When the terminal state was observed.
    pub observed_at: Instant,
    /// The code of the order's `FailureNote`, when the terminal observation carried one.
    pub failure_code: Option<String>,
    /// False during warm-up.
    pub measured: bool,
}

/// What an observation did.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed {
    /// The order finished.
    Finished(Finished),
    /// A non-terminal state change.
    Progress,
    /// The order was already finished.
    Duplicate,
    /// Not (yet) a known order; kept in case its POST answers later.
    Early,
}

/// Counters about the events themselves.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EventCounts {
    /// Event POSTs received.
    pub received: u64,
    /// Events that could not be parsed.
    pub unparsed: u64,
    /// Events for orders already finished.
    pub duplicates: u64,
    /// Events that arrived before the order's POST answered.
    pub early: u64,
    /// Early events dropped because the early table was full.
    pub early_dropped: u64,
    /// Orders not followed because [`OPEN_TRACKED_MAX`] orders were open.
    pub untracked: u64,
}

/// An observation of an order whose POST has not answered yet.
#[derive(Debug)]
struct Early {
    state: String,
    failure_code: Option<String>,
    at: Instant,
}

/// The order table.
#[derive(Debug)]
pub struct Tracker {
    open: HashMap<String, OrderRecord>,
    early: HashMap<String, Early>,
    finished: HashSet<String>,
    finished_order: VecDeque<String>,
    sample: Vec<(String, Outcome)>,
    sample_max: usize,
    finished_total: u64,
    rng: ChaCha8Rng,
    /// Event counters.
    pub events: EventCounts,
    /// Orders registered.
    pub registered: u64,
    /// Terminal outcomes of every followed order, warm-up included (for comparing with the
    /// simulator's own counts).
    pub outcomes_all: [u64; 5],
}

impl Tracker {
    /// An empty table keeping a seeded sample of up to `sample_max` finished orders.
    pub fn new(sample_max: usize, seed: u64) -> Tracker {
        Tracker {
            open: HashMap::new(),
            early: HashMap::new(),
            finished: HashSet::new(),
            finished_order: VecDeque::new(),
            sample: Vec::new(),
            sample_max,
            finished_total: 0,
            rng: ChaCha8Rng::seed_from_u64(seed),
            events: EventCounts::default(),
            registered: 0,
            outcomes_all: [0; 5],
        }
    }

    /// Starts following an order acknowledged as `state`; it may already be finished.
    pub fn register(
        &mut self,
        id: String,
        kind: &'static str,
        state: &str,
        intended: Instant,
        measured: bool,
        waiter: Option<oneshot::Sender<Outcome>>,
    ) -> Option<Finished> {
        if self.open.len() >= OPEN_TRACKED_MAX {
            self.events.untracked += 1;
            return None;
        }
        self.registered += 1;
        let record = OrderRecord {
            kind,
            intended,
            measured,
            state: state.to_string(),
            waiter,
        };
        self.open.insert(id.clone(), record);
        if let Some(early) = self.early.remove(&id)
            && let Observed::Finished(finished) =
                self.observe_coded(&id, &early.state, early.failure_code.as_deref(), early.at)
        {
            return Some(finished);
        }
        let now = Instant::now();
        match self.observe(&id, state, now) {
            Observed::Finished(finished) => Some(finished),
            _ => None,
        }
    }

    /// Applies an observed `state` of order `id` at `at`.
    pub fn observe(&mut self, id: &str, state: &str, at: Instant) -> Observed {
        self.observe_coded(id, state, None, at)
    }

    /// As [`Self::observe`], the observation carrying the order's failure code if it has one
    /// (kept with an early observation, so that no code is lost to a race with the POST).
    pub fn observe_coded(
        &mut self,
        id: &str,
        state: &str,
        failure_code: Option<&str>,
        at: Instant,
    ) -> Observed {
        if self.finished.contains(id) {
            self.events.duplicates += 1;
            return Observed::Duplicate;
        }
        let Some(record) = self.open.get_mut(id) else {
            self.keep_early(id, state, failure_code, at);
            return Observed::Early;
        };
        let Some(outcome) = Outcome::from_state(state) else {
            state.clone_into(&mut record.state);
            return Observed::Progress;
        };
        let Some(mut record) = self.open.remove(id) else {
            return Observed::Progress;
        };
        if let Some(waiter) = record.waiter.take() {
            let _ = waiter.send(outcome);
        }
        self.remember_finished(id, outcome);
        Observed::Finished(Finished {
            id: id.to_string(),
            kind: record.kind,
            outcome,
            latency: at.saturating_duration_since(record.intended),
            observed_at: at,
            failure_code: failure_code.map(str::to_string),
            measured: record.measured,
        })
    }

    fn keep_early(&mut self, id: &str, state: &str, failure_code: Option<&str>, at: Instant) {
        self.events.early += 1;
        let full = self.early.len() >= EARLY_EVENTS_MAX;
        let early = || Early {
            state: state.to_string(),
            failure_code: failure_code.map(str::to_string),
            at,
        };
        match self.early.get_mut(id) {
            // Keep the first terminal state; a non-terminal one never replaces it.
            Some(kept) if Outcome::from_state(&kept.state).is_some() => {}
            Some(kept) => *kept = early(),
            None if full => self.events.early_dropped += 1,
            None => {
                self.early.insert(id.to_string(), early());
            }
        }
    }

    fn remember_finished(&mut self, id: &str, outcome: Outcome) {
        if self.finished_order.len() >= FINISHED_REMEMBERED_MAX
            && let Some(old) = self.finished_order.pop_front()
        {
            self.finished.remove(&old);
        }
        if let Some(count) = self.outcomes_all.get_mut(outcome as usize) {
            *count += 1;
        }
        self.finished.insert(id.to_string());
        self.finished_order.push_back(id.to_string());
        // Reservoir sampling keeps a uniform sample of every finished order.
        self.finished_total += 1;
        if self.sample.len() < self.sample_max {
            self.sample.push((id.to_string(), outcome));
        } else {
            let slot = self.rng.random_range(0..self.finished_total);
            if let Some(entry) = usize::try_from(slot)
                .ok()
                .and_then(|s| self.sample.get_mut(s))
            {
                *entry = (id.to_string(), outcome);
            }
        }
    }

    /// Orders not yet finished.
    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    /// Up to `count` open order ids.
    pub fn open_ids(&self, count: usize) -> Vec<String> {
        self.open.keys().take(count).cloned().collect()
    }

    /// Open orders by their last known state, measured ones only.
    pub fn open_by_state(&self) -> std::collections::BTreeMap<String, u64> {
        let mut counts = std::collections::BTreeMap::new();
        for record in self.open.values().filter(|r| r.measured) {
            *counts.entry(record.state.clone()).or_insert(0) += 1;
        }
        counts
    }

    /// The sample of finished orders, for the outside checks.
    pub fn sample(&self) -> &[(String, Outcome)] {
        &self.sample
    }

    /// Early events whose order never appeared.
    pub fn unmatched_early(&self) -> usize {
        self.early.len()
    }
}

/// What the listener parses from a `ProductOrderStateChangeEvent`.
#[derive(Debug, Deserialize)]
struct EventEnvelope {
    /// When the state changed at the target (TMF688 `eventTime`).
    #[serde(default, rename = "eventTime")]
    event_time: Option<String>,
    event: EventBody,
}

/// How long after `event_time` (RFC 3339) the event arrived at `arrived`: the delivery lag,
/// zero when the target's clock is ahead of this one. `None` without a readable time.
pub fn delivery_lag(event_time: &str, arrived: std::time::SystemTime) -> Option<Duration> {
    let changed = humantime::parse_rfc3339_weak(event_time).ok()?;
    Some(arrived.duration_since(changed).unwrap_or_default())
}

#[derive(Debug, Deserialize)]
struct EventBody {
    #[serde(rename = "productOrder")]
    product_order: OrderView,
}

/// The parts of a product order loadgen reads.
#[derive(Debug, Deserialize)]
pub struct OrderView {
    /// Its id.
    pub id: String,
    /// Its state.
    #[serde(default)]
    pub state: String,
    /// Its items.
    #[serde(default, rename = "productOrderItem")]
    pub items: Vec<ItemView>,
    /// Its notes: a failed order carries a `FailureNote` with the failure's code.
    #[serde(default)]
    pub note: Vec<NoteView>,
}

/// The parts of a TMF `Note` loadgen reads.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct NoteView {
    /// `FailureNote` for the simulator's failure reason.
    #[serde(rename = "@type")]
    pub kind: Option<String>,
    /// The failure's code (`elementTimeout`, `poolExhausted`, …).
    pub code: Option<String>,
}

impl OrderView {
    /// The failure code the order carries, if any.
    pub fn failure_code(&self) -> Option<&str> {
        failure_code(&self.note)
    }
}

/// The code of the `FailureNote` among an order's notes, if any.
pub fn failure_code(notes: &[NoteView]) -> Option<&str> {
    notes
        .iter()
        .filter(|note| note.kind.as_deref() == Some("FailureNote"))
        .find_map(|note| note.code.as_deref())
}

/// The parts of an order item loadgen reads.
#[derive(Debug, Deserialize)]
pub struct ItemView {
    /// The item's action.
    #[serde(default)]
    pub action: String,
    /// The product it made or changed.
    pub product: Option<ProductView>,
    /// The offering it sells.
    #[serde(rename = "productOffering")]
    pub offering: Option<IdRef>,
}

/// The parts of a product loadgen reads.
#[derive(Debug, Deserialize)]
pub struct ProductView {
    /// Its id.
    pub id: Option<String>,
    /// Its characteristics (only the names are read).
    #[serde(default, rename = "productCharacteristic")]
    pub characteristics: Vec<NameRef>,
}

/// A characteristic, by name.
#[derive(Debug, Deserialize)]
pub struct NameRef {
    /// Its name.
    #[serde(default)]
    pub name: String,
}

/// A reference by id.
#[derive(Debug, Deserialize)]
pub struct IdRef {
    /// The id.
    pub id: Option<String>,
}

impl OrderView {
    /// Whether the order adds IPTV (an `iptv` item or an `addOn` characteristic).
    fn adds_iptv(&self) -> bool {
        self.items.iter().any(|item| {
            item.offering.as_ref().and_then(|o| o.id.as_deref()) == Some("iptv")
                || item
                    .product
                    .as_ref()
                    .is_some_and(|p| p.characteristics.iter().any(|c| c.name == "addOn"))
        })
    }

    /// Broadband products a completed order left behind, for later modify/delete, and whether
    /// each has IPTV.
    pub fn products(&self) -> Vec<(String, Technology, bool)> {
        let bundled = self.adds_iptv();
        self.items
            .iter()
            .filter(|item| item.action == "add" || item.action == "modify")
            .filter_map(|item| {
                let product = item.product.as_ref()?.id.clone()?;
                let technology = match item.offering.as_ref()?.id.as_deref()? {
                    "fibre-broadband" => Technology::Fibre,
                    "dsl-broadband" => Technology::Dsl,
                    _ => return None,
                };
                Some((product, technology, bundled))
            })
            .collect()
    }
}

/// Something that wants to know about each observed order state.
pub trait Observer: Send + Sync + 'static {
    /// Order `view` was seen at `at` (from an event or a poll).
    fn observe(&self, view: OrderView, at: Instant);
    /// An event body could not be parsed.
    fn unparsed(&self);
    /// An event arrived `lag` after the state change it tells (its `eventTime`).
    fn delivered(&self, _lag: Duration) {}
}

/// Serves the hub callback on `listener` until `shutdown` fires.
pub fn serve_listener(
    listener: tokio::net::TcpListener,
    observer: Arc<dyn Observer>,
    shutdown: oneshot::Receiver<()>,
) -> tokio::task::JoinHandle<std::io::Result<()>> {
    let app = axum::Router::new()
        .route("/events", post(receive_event))
        .layer(axum::extract::DefaultBodyLimit::max(1024 * 1024))
        .with_state(observer);
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = shutdown.await;
            })
            .await
    })
}

async fn receive_event(State(observer): State<Arc<dyn Observer>>, body: Bytes) -> StatusCode {
    let at = Instant::now();
    match serde_json::from_slice::<EventEnvelope>(&body) {
        Ok(envelope) => {
            let arrived = std::time::SystemTime::now();
            let time = envelope.event_time.as_deref();
            if let Some(lag) = time.and_then(|time| delivery_lag(time, arrived)) {
                observer.delivered(lag);
            }
            observer.observe(envelope.event.product_order, at);
        }
        Err(_) => observer.unparsed(),
    }
    StatusCode::NO_CONTENT
}

/// Polls open orders every `interval` until `stop` fires; `batch_max` GETs per round.
pub async fn poll_open_orders(
    client: crate::drive::client::TmfClient,
    tracker: Arc<std::sync::Mutex<Tracker>>,
    observer: Arc<dyn Observer>,
    interval: Duration,
    batch_max: usize,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.changed() => return,
        }
        let ids = match tracker.lock() {
            Ok(tracker) => tracker.open_ids(batch_max),
            Err(_) => return,
        };
        poll_once(&client, &observer, ids).await;
    }
}

/// GETs each order in `ids` (64 at a time) and reports what it finds.
pub async fn poll_once(
    client: &crate::drive::client::TmfClient,
    observer: &Arc<dyn Observer>,
    ids: Vec<String>,
) {
    let mut tasks = tokio::task::JoinSet::new();
    for id in ids {
        if tasks.len() >= 64 {
            tasks.join_next().await;
        }
        let client = client.clone();
        let observer = Arc::clone(observer);
        tasks.spawn(async move {
            if let Ok(value) = client.get_product_order(&id).await
                && let Ok(view) = serde_json::from_value::<OrderView>(value)
            {
                observer.observe(view, Instant::now());
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_lag_is_arrival_minus_event_time_and_never_negative() {
        let changed = humantime::parse_rfc3339("2026-12-03T10:00:00.250Z").unwrap();
        let arrived = changed + Duration::from_millis(1_500);
        let lag = delivery_lag("2026-12-03T10:00:00.250Z", arrived);
        assert_eq!(lag, Some(Duration::from_millis(1_500)));
        let early = changed - Duration::from_millis(3);
        assert_eq!(
            delivery_lag("2026-12-03T10:00:00.250Z", early),
            Some(Duration::ZERO)
        );
        assert_eq!(delivery_lag("yesterday", arrived), None);
    }

    #[test]
    fn first_terminal_state_wins_and_duplicates_are_counted() {
        let mut tracker = Tracker::new(10, 1);
        let start = Instant::now();
        assert_eq!(
            tracker.register(
                "PO-1".into(),
                "add_fibre",
                "acknowledged",
                start,
                true,
                None
            ),
            None
        );
        assert_eq!(
            tracker.observe("PO-1", "inProgress", start),
            Observed::Progress
        );
        let later = start + Duration::from_millis(40);
        let Observed::Finished(finished) = tracker.observe("PO-1", "completed", later) else {
            panic!("expected finished");
        };
        assert_eq!(finished.outcome, Outcome::Completed);
        assert_eq!(finished.latency, Duration::from_millis(40));
        assert_eq!(
            tracker.observe("PO-1", "failed", later),
            Observed::Duplicate
        );
        assert_eq!(tracker.events.duplicates, 1);
        assert_eq!(tracker.open_count(), 0);
        assert_eq!(
            tracker.sample(),
            &[("PO-1".to_string(), Outcome::Completed)]
        );
    }

    #[test]
    fn an_event_before_the_post_answers_is_kept_and_applied() {
        let mut tracker = Tracker::new(10, 1);
        let start = Instant::now();
        let done = start + Duration::from_millis(5);
        assert_eq!(tracker.observe("PO-2", "cancelled", done), Observed::Early);
        assert_eq!(tracker.observe("PO-2", "inProgress", done), Observed::Early);
        let finished = tracker
            .register(
                "PO-2".into(),
                "add_fibre",
                "acknowledged",
                start,
                true,
                None,
            )
            .unwrap();
        assert_eq!(finished.outcome, Outcome::Cancelled);
        assert_eq!(finished.latency, Duration::from_millis(5));
        assert_eq!(tracker.unmatched_early(), 0);
    }

    #[test]
    fn products_of_broadband_items_are_found() {
        let view: OrderView = serde_json::from_value(serde_json::json!({
            "id": "PO-1", "state": "completed", "productOrderItem": [
                {"action": "add", "productOffering": {"id": "fibre-broadband"}, "product": {"id": "P-1"}},
                {"action": "add", "productOffering": {"id": "iptv"}, "product": {"id": "P-2"}},
                {"action": "add", "productOffering": {"id": "dsl-broadband"}}
            ]
        }))
        .unwrap();
        assert_eq!(
            view.products(),
            vec![("P-1".to_string(), Technology::Fibre, true)]
        );
    }

    #[test]
    fn the_failure_code_is_read_from_the_failure_note() {
        let view: OrderView = serde_json::from_value(serde_json::json!({
            "id": "PO-1", "state": "failed",
            "note": [{"text": "by hand"},
                     {"@type": "FailureNote", "code": "elementTimeout", "text": "no answer"}]
        }))
        .unwrap();
        assert_eq!(view.failure_code(), Some("elementTimeout"));
        let plain: OrderView =
            serde_json::from_value(serde_json::json!({"id": "PO-2", "state": "completed"}))
                .unwrap();
        assert_eq!(plain.failure_code(), None);
    }
}
