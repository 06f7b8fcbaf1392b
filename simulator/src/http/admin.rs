//! Operator endpoints: `/health`, `/metrics` (Prometheus text), `/admin/pools`,
//! `/admin/audit` and `/admin/hub` (delivery counters per subscription).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::domain::state::OrderState;
use crate::http::common::AppState;
use crate::http::hub::Hub;
use crate::layers::Api;
use crate::network::pool::PoolStats;
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
            "/admin/hub",
            get(|State(state): State<AppState>| async move { Json(state.hub.stats()) }),
        )
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
    match tokio::task::spawn_blocking(move || crate::audit::run(&chain)).await {
        Ok(report) => Json(serde_json::to_value(report).unwrap_or(Value::Null)).into_response(),
        Err(error) => crate::http::error::ApiError::internal(error).into_response(),
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let text = render_metrics(&state.chain, &state.hub);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

/// Orders counted by state, from one layer's store.
fn count_states(states: impl Iterator<Item = OrderState>) -> BTreeMap<&'static str, u64> {
    let mut counts: BTreeMap<&'static str, u64> =
        OrderState::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    for state in states {
        *counts.entry(state.as_str()).or_default() += 1;
    }
    counts
}

fn order_metrics(chain: &Chain, out: &mut String) {
    let _ = writeln!(
        out,
        "# HELP ordersim_orders Orders held by each layer, by state.\n# TYPE ordersim_orders gauge"
    );
    let layers = [
        (
            "com",
            count_states(chain.com().orders.values().map(|o| o.state)),
        ),
        (
            "som",
            count_states(chain.som().orders.values().map(|o| o.state)),
        ),
        (
            "rom",
            count_states(chain.rom().orders.values().map(|o| o.state)),
        ),
    ];
    for (layer, counts) in layers {
        for (state, count) in counts {
            let _ = writeln!(
                out,
                "ordersim_orders{{layer=\"{layer}\",state=\"{state}\"}} {count}"
            );
        }
    }
    let mut services: BTreeMap<&'static str, u64> = BTreeMap::new();
    for service in chain.activation().services.values() {
        *services.entry(service.state.as_str()).or_default() += 1;
    }
    let _ = writeln!(
        out,
        "# HELP ordersim_activation_services TMF640 services by state.\n# TYPE ordersim_activation_services gauge"
    );
    for (state, count) in services {
        let _ = writeln!(
            out,
            "ordersim_activation_services{{state=\"{state}\"}} {count}"
        );
    }
}

/// What the retry policies cost and hid: retries sent per layer and kind of step, and forward
/// steps that failed their last try.
fn retry_metrics(chain: &Chain, out: &mut String) {
    let layers = [
        ("rom", chain.rom().retries),
        ("activation", chain.activation().retries),
    ];
    let _ = writeln!(
        out,
        "# HELP ordersim_retries_total Element steps tried again, per layer and kind.\n# TYPE ordersim_retries_total counter"
    );
    for (layer, counts) in layers {
        for (kind, count) in [
            ("forward", counts.forward),
            ("compensation", counts.compensation),
        ] {
            let _ = writeln!(
                out,
                "ordersim_retries_total{{layer=\"{layer}\",kind=\"{kind}\"}} {count}"
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP ordersim_retries_exhausted_total Forward steps that failed their last try.\n# TYPE ordersim_retries_exhausted_total counter"
    );
    for (layer, counts) in layers {
        let _ = writeln!(
            out,
            "ordersim_retries_exhausted_total{{layer=\"{layer}\"}} {}",
            counts.forward_exhausted
        );
    }
}

fn runtime_metrics(chain: &Chain, out: &mut String) {
    let _ = writeln!(
        out,
        "# HELP ordersim_workers_busy Worker slots held per layer.\n# TYPE ordersim_workers_busy gauge"
    );
    let workers = crate::http::orchestration::worker_stats(chain);
    for row in &workers {
        let _ = writeln!(
            out,
            "ordersim_workers_busy{{layer=\"{}\"}} {}",
            row.layer.as_str(),
            row.busy
        );
    }
    let _ = writeln!(
        out,
        "# HELP ordersim_workers_waiting Orders waiting for a worker slot per layer.\n# TYPE ordersim_workers_waiting gauge"
    );
    for row in &workers {
        let _ = writeln!(
            out,
            "ordersim_workers_waiting{{layer=\"{}\"}} {}",
            row.layer.as_str(),
            row.waiting
        );
    }
    let stats = chain.stats();
    let _ = writeln!(
        out,
        "# HELP ordersim_inbox_depth Messages waiting in each layer's inbox.\n# TYPE ordersim_inbox_depth gauge"
    );
    for layer in &stats.layers {
        let _ = writeln!(
            out,
            "ordersim_inbox_depth{{layer=\"{}\"}} {}",
            layer.layer.as_str(),
            layer.inbox_depth
        );
    }
    let _ = writeln!(
        out,
        "# HELP ordersim_messages_handled_total Messages each layer handled.\n# TYPE ordersim_messages_handled_total counter"
    );
    for layer in &stats.layers {
        let _ = writeln!(
            out,
            "ordersim_messages_handled_total{{layer=\"{}\"}} {}",
            layer.layer.as_str(),
            layer.handled
        );
    }
    let _ = writeln!(
        out,
        "# HELP ordersim_replies_waiting Callers waiting for a reply.\n# TYPE ordersim_replies_waiting gauge\nordersim_replies_waiting {}",
        stats.replies_waiting
    );
}

/// Reads one counter of a subscription.
type ReadCounter = fn(&crate::http::hub::SubscriptionStats) -> u64;

fn hub_metrics(hub: &Hub, out: &mut String) {
    let stats = hub.stats();
    let _ = writeln!(
        out,
        "# HELP ordersim_events_total Events the layers raised.\n# TYPE ordersim_events_total counter\nordersim_events_total {}\n# HELP ordersim_events_published_total Events some subscriber wanted (rendered and queued).\n# TYPE ordersim_events_published_total counter\nordersim_events_published_total {}",
        hub.offered(),
        hub.published()
    );
    let _ = writeln!(
        out,
        "# HELP ordersim_hub_subscriptions Subscriptions per hub.\n# TYPE ordersim_hub_subscriptions gauge"
    );
    for api in [
        Api::ProductOrdering,
        Api::ServiceOrdering,
        Api::ResourceOrdering,
        Api::ServiceActivation,
    ] {
        let count = stats.iter().filter(|s| s.api == api).count();
        let _ = writeln!(out, "ordersim_hub_subscriptions{{api=\"{api:?}\"}} {count}");
    }
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
        let _ = writeln!(
            out,
            "# HELP ordersim_hub_events_{name}_total {help}\n# TYPE ordersim_hub_events_{name}_total counter"
        );
        for subscription in &stats {
            let _ = writeln!(
                out,
                "ordersim_hub_events_{name}_total{{subscription=\"{}\"}} {}",
                subscription.id,
                read(subscription)
            );
        }
    }
}

/// The whole Prometheus text exposition.
pub fn render_metrics(chain: &Chain, hub: &Hub) -> String {
    let mut out = String::with_capacity(4096);
    order_metrics(chain, &mut out);
    runtime_metrics(chain, &mut out);
    retry_metrics(chain, &mut out);
    hub_metrics(hub, &mut out);
    out.push_str(&network_metrics(chain));
    out.push_str(&crate::http::faults::fault_metrics(chain));
    out
}

/// Reads one count of a pool.
type ReadPool = fn(&PoolStats) -> u64;

/// Pool occupancy (summed per element and region pool) and element operation counts in
/// Prometheus text.
pub fn network_metrics(chain: &Chain) -> String {
    let (pools, operations) = {
        let network = chain.network();
        let operations: Vec<_> = network.operation_counts().collect();
        (network.pool_summary(), operations)
    };
    let mut out = String::with_capacity(1024);
    let gauges: [(&str, &str, ReadPool); 3] = [
        ("capacity", "Entries in the pool.", |p| p.capacity),
        ("allocated", "Entries allocated.", |p| p.allocated),
        ("free", "Entries free.", |p| p.free),
    ];
    for (name, help, read) in gauges {
        let _ = writeln!(
            out,
            "# HELP ordersim_pool_{name} {help}\n# TYPE ordersim_pool_{name} gauge"
        );
        for pool in &pools {
            let _ = writeln!(
                out,
                "ordersim_pool_{name}{{pool=\"{}\",kind=\"{}\"}} {}",
                pool.name,
                pool.kind.as_str(),
                read(pool)
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP ordersim_network_operations_total Element operations by kind and outcome.\n# TYPE ordersim_network_operations_total counter"
    );
    for (kind, outcome, count) in operations {
        let kind = serde_json::to_value(kind).ok();
        let kind = kind.as_ref().and_then(Value::as_str).unwrap_or("?");
        let _ = writeln!(
            out,
            "ordersim_network_operations_total{{kind=\"{kind}\",outcome=\"{}\"}} {count}",
            outcome.as_str()
        );
    }
    out
}

/// Every pool's occupancy as JSON (`/admin/pools`): per PON port, OLT, DSLAM and region pool.
pub fn pools_json(chain: &Chain) -> Value {
    let pools = chain.network().pool_stats();
    json!({ "pools": pools })
}
