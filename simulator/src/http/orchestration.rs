//! What architects compare between sync and async chains: worker slot occupancy and queue
//! depth per layer (`GET /admin/workers`), and where one order spent its time, layer by layer
//! (`GET /admin/timeline/{productOrderId}`).

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Value, json};

use crate::domain::ids::ProductOrderId;
use crate::domain::state::{OrderState, ServiceState};
use crate::domain::time::Time;
use crate::http::common::AppState;
use crate::http::error::ApiError;
use crate::layers::LayerId;
use crate::layers::common::History;
use crate::query::{self, Lookup};
use crate::runtime::Chain;

/// The orchestration routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/workers",
            get(|State(state): State<AppState>| async move { Json(workers(&state.chain)) }),
        )
        .route("/admin/timeline/{id}", get(timeline))
}

/// One layer's worker slots and queue.
#[derive(Clone, Debug, Serialize)]
pub struct WorkerStats {
    /// The layer.
    pub layer: LayerId,
    /// Slots.
    pub capacity: usize,
    /// Slots held.
    pub busy: usize,
    /// Orders waiting for a slot.
    pub waiting: usize,
    /// Messages waiting in the layer's inbox.
    pub inbox_depth: usize,
}

/// Worker slots and queues of COM, SOM and ROM, and every layer's inbox depth.
pub fn worker_stats(chain: &Chain) -> Vec<WorkerStats> {
    let stats = chain.stats();
    let depth = |layer: LayerId| {
        stats
            .layers
            .iter()
            .find(|row| row.layer == layer)
            .map_or(0, |row| row.inbox_depth)
    };
    let pools = [
        (LayerId::Com, query::product_order_workers(&chain.com())),
        (LayerId::Som, query::service_order_workers(&chain.som())),
        (LayerId::Rom, query::resource_order_workers(&chain.rom())),
    ];
    pools
        .into_iter()
        .map(|(layer, slots)| WorkerStats {
            layer,
            capacity: slots.capacity,
            busy: slots.busy,
            waiting: slots.waiting,
            inbox_depth: depth(layer),
        })
        .collect()
}

fn workers(chain: &Chain) -> Value {
    let retries = json!({
        "rom": query::resource_order_retries(&chain.rom()),
        "activation": query::activation_retries(&chain.activation()),
    });
    json!({ "mode": chain.config().chain.mode, "layers": worker_stats(chain), "retries": retries })
}

fn millis(time: Time) -> f64 {
    time.as_micros() as f64 / 1_000.0
}

fn span(history: &History, start: Time) -> Value {
    let end = history
        .last()
        .filter(|(_, state)| state.is_terminal())
        .map(|(at, _)| millis(at));
    let states: Vec<Value> = history
        .iter()
        .map(|(at, state)| json!({"state": state.as_str(), "atMs": millis(at)}))
        .collect();
    json!({ "startMs": millis(start), "endMs": end, "states": states })
}

fn duration(value: &Value) -> Option<f64> {
    Some(value["endMs"].as_f64()? - value["startMs"].as_f64()?)
}

async fn timeline(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: ProductOrderId = id
        .parse()
        .map_err(|error: crate::domain::ids::IdParseError| {
            ApiError::bad_request(error.to_string())
        })?;
    build_timeline(&state.chain, id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("product order {id} not found")))
}

/// Each layer's span for one product order, and the time spent in each layer alone
/// (its span minus the span of the layer below).
pub fn build_timeline(chain: &Chain, id: ProductOrderId) -> Option<Value> {
    let Lookup::Found(order) = query::product_order(&chain.com(), id) else {
        return None;
    };
    let product = span(&order.history, order.order_date);
    let service_order = order
        .service_order
        .and_then(|so| query::service_order(&chain.som(), so));
    let (service, resource_order_ids) = match service_order {
        Some(order) => (
            span(&order.history, order.order_date),
            order
                .items
                .iter()
                .filter_map(|item| item.resource_order)
                .collect(),
        ),
        None => (Value::Null, Vec::new()),
    };
    let orders: Vec<_> = resource_order_ids
        .iter()
        .filter_map(|ro| query::resource_order(&chain.rom(), *ro))
        .collect();
    let resources: Vec<Value> = orders
        .iter()
        .map(|order| span(&order.history, order.order_date))
        .collect();
    let activations: Vec<Value> = orders
        .iter()
        .flat_map(|order| order.activations.iter().map(|(_, activation)| *activation))
        .filter_map(|id| query::activation_service(&chain.activation(), id))
        .map(|service| {
            let active = service.history.iter().find(|(_, state)| *state == ServiceState::Active).map(|(at, _)| millis(at));
            json!({"id": service.id.to_string(), "startMs": millis(service.created), "endMs": active})
        })
        .collect();
    let longest = |spans: &[Value]| {
        spans
            .iter()
            .filter_map(duration)
            .fold(None, |most: Option<f64>, next| {
                Some(most.map_or(next, |m| m.max(next)))
            })
    };
    let (activation_ms, rom_ms) = (longest(&activations), longest(&resources));
    let (som_ms, com_ms) = (duration(&service), duration(&product));
    let alone = |outer: Option<f64>, inner: Option<f64>| {
        outer.map(|outer| (outer - inner.unwrap_or(0.0)).max(0.0))
    };
    Some(json!({
        "productOrder": product,
        "serviceOrder": service,
        "resourceOrders": resources,
        "activations": activations,
        "breakdownMs": {
            "com": alone(com_ms, som_ms),
            "som": alone(som_ms, rom_ms),
            "rom": alone(rom_ms, activation_ms),
            "activation": activation_ms,
        },
        "completed": order.state == OrderState::Completed,
    }))
}
