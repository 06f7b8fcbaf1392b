//! Operator endpoints: `/health`, `/metrics` (Prometheus text), `/admin/pools`,
//! `/admin/audit`, `/admin/peers` (this process's role and the layer processes it calls),
//! `/admin/hub` (delivery counters per subscription) and
//! `/admin/layers/{layer}/restart` (see [`crate::http::restart`]).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::http::common::AppState;
use crate::http::exposition::{self, Exposition, labels};
use crate::http::hub::Hub;
use crate::layers::Api;
use crate::network::pool::PoolStats;
use crate::query;
use crate::runtime::Chain;

/// The open operator routes: `/health` (probes) and `/metrics` (scrapers).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/metrics", get(metrics))
}

/// The `/admin/*` operator routes (pools, audit, hub counters): behind the admin token when
/// one is configured.
pub fn admin_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/pools",
            get(|State(state): State<AppState>| async move { Json(pools_json(&state.chain)) }),
        )
        .route("/admin/audit", get(audit))
        .route(
            "/admin/peers",
            get(|State(state): State<AppState>| async move { Json(peers_json(&state.chain)) }),
        )
        .route(
            "/admin/hub",
            get(|State(state): State<AppState>| async move { Json(state.hub.stats()) }),
        )
        .route(
            "/admin/layers/{layer}/restart",
            axum::routing::post(crate::http::restart::restart_layer),
        )
}

/// `/admin/peers`: the layer(s) this process runs and the processes it calls, so that a
/// client given the COM process can find every layer process of a split chain (ROM's
/// inventory, the network's allocations) and audit them together.
pub fn peers_json(chain: &Chain) -> Value {
    let role = chain
        .role()
        .layer()
        .map_or("all", crate::layers::LayerId::as_str);
    let peers: Vec<Value> = chain
        .peers()
        .into_iter()
        .map(|(layer, url)| json!({"role": layer.as_str(), "url": url}))
        .collect();
    json!({"role": role, "peers": peers})
}

/// How long `/admin/audit` waits for element operations in flight (releases, deactivations)
/// to finish, so that it judges a settled chain rather than a rollback half done.
const AUDIT_SETTLE_MAX: std::time::Duration = std::time::Duration::from_secs(15);

async fn audit(State(state): State<AppState>) -> impl IntoResponse {
    let chain = state.chain.clone();
    let deadline = tokio::time::Instant::now() + AUDIT_SETTLE_MAX;
    while !chain.settled() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // The audit walks every store; keep it off the request threads' hot path.
    match tokio::task::spawn_blocking(move || chain.audit()).await {
        Ok(report) => Json(serde_json::to_value(report).unwrap_or(Value::Null)).into_response(),
        Err(error) => crate::http::error::ApiError::internal(error).into_response(),
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let text = render_metrics(&state.chain, &state.hub);
    ([(header::CONTENT_TYPE, exposition::CONTENT_TYPE)], text)
}

fn order_metrics(chain: &Chain, out: &mut Exposition) {
    let layers = [
        ("com", query::product_order_states(&chain.com())),
        ("som", query::service_order_states(&chain.som())),
        ("rom", query::resource_order_states(&chain.rom())),
    ];
    let samples = layers.iter().flat_map(|(layer, counts)| {
        counts
            .iter()
            .map(move |(state, count)| (labels([("layer", layer), ("state", state)]), *count))
    });
    out.gauges("orders", "Orders held by each layer, by state.", samples);
    let services = query::activation_service_states(&chain.activation());
    out.gauges(
        "activation_services",
        "TMF640 services by state.",
        services
            .into_iter()
            .map(|(state, count)| (labels([("state", state)]), count)),
    );
}

/// What the retry policies cost and hid: retries sent per layer and kind of step, and forward
/// steps that failed their last try.
fn retry_metrics(chain: &Chain, out: &mut Exposition) {
    let layers = [
        ("rom", query::resource_order_retries(&chain.rom())),
        ("activation", query::activation_retries(&chain.activation())),
    ];
    let sent = layers.iter().flat_map(|(layer, counts)| {
        [
            ("forward", counts.forward),
            ("compensation", counts.compensation),
        ]
        .map(|(kind, count)| (labels([("layer", layer), ("kind", kind)]), count))
    });
    out.counters(
        "retries",
        "Element steps tried again, per layer and kind.",
        sent,
    );
    out.counters(
        "retries_exhausted",
        "Forward steps that failed their last try.",
        layers
            .iter()
            .map(|(layer, counts)| (labels([("layer", layer)]), counts.forward_exhausted)),
    );
}

fn runtime_metrics(chain: &Chain, out: &mut Exposition) {
    let workers = crate::http::orchestration::worker_stats(chain);
    let per_layer = |read: fn(&crate::http::orchestration::WorkerStats) -> u64| {
        workers
            .iter()
            .map(move |row| (labels([("layer", row.layer.as_str())]), read(row)))
    };
    out.gauges(
        "workers_busy",
        "Worker slots held per layer.",
        per_layer(|row| row.busy as u64),
    );
    out.gauges(
        "workers_waiting",
        "Orders waiting for a worker slot per layer.",
        per_layer(|row| row.waiting as u64),
    );
    let stats = chain.stats();
    out.gauges(
        "inbox_depth",
        "Messages waiting in each layer's inbox.",
        stats.layers.iter().map(|layer| {
            (
                labels([("layer", layer.layer.as_str())]),
                layer.inbox_depth as u64,
            )
        }),
    );
    out.counters(
        "messages_handled",
        "Messages each layer handled.",
        stats
            .layers
            .iter()
            .map(|layer| (labels([("layer", layer.layer.as_str())]), layer.handled)),
    );
    out.gauges(
        "inbox_depth_peak",
        "The deepest each layer's inbox has been.",
        stats.layers.iter().map(|layer| {
            (
                labels([("layer", layer.layer.as_str())]),
                layer.inbox_depth_peak as u64,
            )
        }),
    );
    out.counters(
        "requests_shed",
        "Callers' requests refused with 503 because an inbox or the timer was full, by the \
         layer they were for.",
        stats
            .layers
            .iter()
            .map(|layer| (labels([("layer", layer.layer.as_str())]), layer.shed)),
    );
    out.gauge(
        "timers_pending",
        "Messages the timer holds for later delivery (element latencies, timeouts, retries).",
        stats.timers_pending as u64,
    );
    out.gauge(
        "watchdogs_pending",
        "Jeopardy deadlines the timer holds (most fire after their order ended).",
        stats.watchdogs_pending as u64,
    );
    out.gauge(
        "replies_waiting",
        "Callers waiting for a reply.",
        stats.replies_waiting as u64,
    );
}

/// Reads one counter of a subscription.
type ReadCounter = fn(&crate::http::hub::SubscriptionStats) -> u64;

fn hub_metrics(hub: &Hub, out: &mut Exposition) {
    let stats = hub.stats();
    out.counter("events", "Events the layers raised.", hub.offered());
    out.counter(
        "events_published",
        "Events some subscriber wanted (rendered and queued).",
        hub.published(),
    );
    let apis = [
        Api::ProductOrdering,
        Api::ServiceOrdering,
        Api::ResourceOrdering,
        Api::ServiceActivation,
    ];
    out.gauges(
        "hub_subscriptions",
        "Subscriptions per hub.",
        apis.map(|api| {
            let count = stats.iter().filter(|s| s.api == api).count() as u64;
            (labels([("api", format!("{api:?}").as_str())]), count)
        }),
    );
    let counters: [(&str, &str, ReadCounter); 4] = [
        ("delivered", "Events delivered to the callback.", |s| {
            s.delivered
        }),
        ("failed", "Events given up after every attempt.", |s| {
            s.failed
        }),
        (
            "dropped",
            "Events dropped because the queue was full.",
            |s| s.dropped,
        ),
        ("retries", "Delivery attempts after the first.", |s| {
            s.retries
        }),
    ];
    for (name, help, read) in counters {
        out.counters(
            &format!("hub_events_{name}"),
            help,
            stats
                .iter()
                .map(|s| (labels([("subscription", s.id.as_str())]), read(s))),
        );
    }
}

/// The whole exposition (OpenMetrics text).
pub fn render_metrics(chain: &Chain, hub: &Hub) -> String {
    let mut out = Exposition::default();
    order_metrics(chain, &mut out);
    runtime_metrics(chain, &mut out);
    retry_metrics(chain, &mut out);
    hub_metrics(hub, &mut out);
    network_metrics(chain, &mut out);
    latency_metrics(chain, &mut out);
    crate::http::faults::fault_metrics(chain, &mut out);
    out.render()
}

/// The runtime's latency histograms (read from atomics: no layer lock is taken).
fn latency_metrics(chain: &Chain, out: &mut Exposition) {
    let latencies = chain.latencies();
    out.seconds_histograms(
        "order_duration",
        "Time from an order's receipt to its terminal state, by layer and terminal state.",
        latencies.order_durations().map(|(layer, state, snapshot)| {
            let order_labels = labels([("layer", layer.as_str()), ("state", state.as_str())]);
            (order_labels, snapshot)
        }),
    );
    out.seconds_histograms(
        "element_operation_duration",
        "Delay the network applied before answering an element operation, by operation and \
         outcome (as in network_operations_total; calls never answered are not timed).",
        latencies
            .operation_durations()
            .map(|(operation, outcome, snapshot)| {
                let operation_labels = labels([
                    ("operation", operation.as_str()),
                    ("outcome", outcome.as_str()),
                ]);
                (operation_labels, snapshot)
            }),
    );
}

/// Reads one count of a pool.
type ReadPool = fn(&PoolStats) -> u64;

/// Pool occupancy (summed per element and region pool) and element operation counts.
pub fn network_metrics(chain: &Chain, out: &mut Exposition) {
    let (pools, operations) = {
        let network = chain.network();
        let operations: Vec<_> = network.operation_counts().collect();
        (network.pool_summary(), operations)
    };
    let gauges: [(&str, &str, ReadPool); 3] = [
        ("capacity", "Entries in the pool.", |p| p.capacity),
        ("allocated", "Entries allocated.", |p| p.allocated),
        ("free", "Entries free.", |p| p.free),
    ];
    for (name, help, read) in gauges {
        out.gauges(
            &format!("pool_{name}"),
            help,
            pools.iter().map(|pool| {
                let pool_labels =
                    labels([("pool", pool.name.as_str()), ("kind", pool.kind.as_str())]);
                (pool_labels, read(pool))
            }),
        );
    }
    out.counters(
        "network_operations",
        "Element operations by kind and outcome.",
        operations.into_iter().map(|(kind, outcome, count)| {
            let kind = serde_json::to_value(kind).ok();
            let kind = kind.as_ref().and_then(Value::as_str).unwrap_or("?");
            (
                labels([("kind", kind), ("outcome", outcome.as_str())]),
                count,
            )
        }),
    );
}

/// Every pool's occupancy as JSON (`/admin/pools`): per PON port, OLT, DSLAM and region pool.
pub fn pools_json(chain: &Chain) -> Value {
    let pools = chain.network().pool_stats();
    json!({ "pools": pools })
}
