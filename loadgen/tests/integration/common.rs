//! A small fake TMF622 server for loadgen's tests: it acknowledges orders, posts state-change
//! events to the registered hub callback (with a duplicate terminal event, to exercise
//! de-duplication), cancels orders that wait for a cancel, refuses bad requests with a TMF
//! Error, and can stall a window of order POSTs deterministically: requests number
//! `stall_from..stall_from + stall_count` are held on a barrier until the last of them
//! arrives, so the stall lasts as long as the load takes to send `stall_count` requests.

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Value, json};

const PO: &str = "/tmf-api/productOrderingManagement/v4";

#[derive(Default)]
pub struct FakeOptions {
    /// Order POST number (0-based) from which to stall.
    pub stall_from: u64,
    /// How many order POSTs to hold (0: no stall).
    pub stall_count: usize,
    /// Every this many orders (by POST number; 0: none) completes without a single event
    /// after `inProgress`: its terminal event is lost, a GET finds it completed.
    pub lose_terminal_every: u64,
    /// A TMF622 server that is not ordersim: no `/health`, no `/admin/*`, no inventory.
    pub foreign: bool,
    /// Every this many orders (by POST number; 0: none) fails with an `elementDown`
    /// FailureNote instead of completing.
    pub fail_every: u64,
    /// Sends each order's events before answering its POST (every event is early).
    pub events_before_answer: bool,
}

struct Fake {
    next_id: AtomicU64,
    order_posts: AtomicU64,
    orders: Mutex<HashMap<String, (String, Value)>>,
    hubs: Mutex<Vec<(String, String)>>,
    http: reqwest::Client,
    stall_from: u64,
    stall_count: u64,
    barrier: Option<tokio::sync::Barrier>,
    lose_terminal_every: u64,
    fail_every: u64,
    events_before_answer: bool,
}

pub struct FakeServer {
    pub addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
}

impl FakeServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stop(self) {
        let _ = self.stop.send(());
    }
}

pub async fn start(options: FakeOptions) -> FakeServer {
    let fake = Arc::new(Fake {
        next_id: AtomicU64::new(1),
        order_posts: AtomicU64::new(0),
        orders: Mutex::new(HashMap::new()),
        hubs: Mutex::new(Vec::new()),
        http: reqwest::Client::new(),
        stall_from: options.stall_from,
        stall_count: options.stall_count as u64,
        barrier: (options.stall_count > 0).then(|| tokio::sync::Barrier::new(options.stall_count)),
        lose_terminal_every: options.lose_terminal_every,
        fail_every: options.fail_every,
        events_before_answer: options.events_before_answer,
    });
    let operator = axum::Router::new()
        .route("/health", get(|| async { "ok" }))
        .route(
            "/admin/audit", get(audit))
        .route(
            "/tmf-api/resourceInventory/v4/resource",
            get(|| async {
                let resources = json!([{"id": "R-1", "name": "ONU olt-1/0/0", "resourceStatus": "available"},
                    {"id": "R-2", "name": "ONU olt-1/0/1", "resourceStatus": "standby"}]);
                ([("x-total-count", "2")], Json(resources))
            }),
        );
    let app = if options.foreign {
        axum::Router::new()
    } else {
        operator
    };
    let app = app
        .route(
            &format!("{PO}/productOrder"),
            post(create_order).get(|| async { Json(json!([])) }),
        )
        .route(&format!("{PO}/productOrder/{{id}}"), get(get_order))
        .route(&format!("{PO}/cancelProductOrder"), post(cancel_order))
        .route(&format!("{PO}/hub"), post(register_hub))
        .route(&format!("{PO}/hub/{{id}}"), delete(delete_hub))
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    FakeServer { addr, stop }
}

fn tmf_error(status: StatusCode, reason: &str) -> Response {
    let body = json!({"code": status.as_u16().to_string(), "reason": reason,
        "message": reason, "status": status.as_u16().to_string()});
    (status, Json(body)).into_response()
}

fn bad_order(body: &Value) -> Option<&'static str> {
    let items = body.get("productOrderItem")?.as_array()?;
    if items.is_empty() {
        return Some("productOrderItem is empty");
    }
    for item in items {
        let action = item.get("action").and_then(Value::as_str).unwrap_or("");
        if !["add", "modify", "delete", "noChange"].contains(&action) {
            return Some("unknown action");
        }
        let offering = item.pointer("/productOffering/id").and_then(Value::as_str);
        if offering
            .is_some_and(|o| !["fibre-broadband", "dsl-broadband", "iptv", "voip"].contains(&o))
        {
            return Some("unknown offering");
        }
    }
    None
}

async fn create_order(State(fake): State<Arc<Fake>>, body: axum::body::Bytes) -> Response {
    let number = fake.order_posts.fetch_add(1, Ordering::SeqCst);
    if let Some(barrier) = &fake.barrier
        && (fake.stall_from..fake.stall_from + fake.stall_count).contains(&number)
    {
        barrier.wait().await;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return tmf_error(StatusCode::BAD_REQUEST, "malformed JSON");
    };
    if let Some(reason) =
        bad_order(&body).or_else(|| body.get("productOrderItem").is_none().then_some("no items"))
    {
        return tmf_error(StatusCode::BAD_REQUEST, reason);
    }
    let id = format!("PO-{}", fake.next_id.fetch_add(1, Ordering::SeqCst));
    let waits_for_cancel = body
        .get("description")
        .and_then(Value::as_str)
        .is_some_and(|d| d.contains("cancel"));
    let mut order = body.clone();
    order["id"] = json!(id);
    order["state"] = json!("acknowledged");
    if let Some(items) = order
        .get_mut("productOrderItem")
        .and_then(Value::as_array_mut)
    {
        for (index, item) in items.iter_mut().enumerate() {
            if item.pointer("/product/id").is_none() {
                item["product"]["id"] = json!(format!("P-{id}-{index}"));
            }
        }
    }
    fake.orders
        .lock()
        .unwrap()
        .insert(id.clone(), ("acknowledged".into(), order.clone()));
    let answer = order.clone();
    let fake2 = Arc::clone(&fake);
    let every = fake.lose_terminal_every;
    let lost = every > 0 && number % every == 0;
    let fails = fake.fail_every > 0 && number % fake.fail_every == 0;
    let end = if fails { "failed" } else { "completed" };
    let events = async move {
        set_state(&fake2, &id, "inProgress").await;
        if waits_for_cancel {
            return;
        }
        if lost {
            change_state(&fake2, &id, end);
            return;
        }
        set_state(&fake2, &id, end).await;
        // A duplicate terminal event: loadgen must count it once.
        post_events(&fake2, &id, end).await;
    };
    if fake.events_before_answer {
        events.await;
    } else {
        tokio::spawn(events);
    }
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn set_state(fake: &Fake, id: &str, state: &str) {
    if change_state(fake, id, state) {
        post_events(fake, id, state).await;
    }
}

/// Changes the order's state without an event; whether it changed.
fn change_state(fake: &Fake, id: &str, state: &str) -> bool {
    let mut orders = fake.orders.lock().unwrap();
    let Some(entry) = orders.get_mut(id) else {
        return false;
    };
    if entry.0 == "cancelled" || entry.0 == "completed" {
        return false;
    }
    entry.0 = state.to_string();
    entry.1["state"] = json!(state);
    if state == "failed" {
        entry.1["note"] = json!([{"@type": "FailureNote", "code": "elementDown",
            "text": "olt-1 is down"}]);
    }
    true
}

async fn post_events(fake: &Fake, id: &str, state: &str) {
    let order = fake.orders.lock().unwrap().get(id).map(|(_, o)| o.clone());
    let Some(mut order) = order else { return };
    order["state"] = json!(state);
    let now = humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
    let event = json!({"eventId": format!("E-{id}-{state}"), "eventTime": now,
        "eventType": "ProductOrderStateChangeEvent", "event": {"productOrder": order}});
    let hubs = fake.hubs.lock().unwrap().clone();
    for (_, callback) in hubs {
        let _ = fake.http.post(&callback).json(&event).send().await;
    }
}

async fn audit(State(fake): State<Arc<Fake>>) -> Json<Value> {
    let mut counts: HashMap<String, u64> = HashMap::new();
    for (state, _) in fake.orders.lock().unwrap().values() {
        *counts.entry(state.clone()).or_insert(0) += 1;
    }
    Json(json!({"ok": true, "orders": {"productOrder": counts}, "findings": []}))
}

async fn get_order(State(fake): State<Arc<Fake>>, Path(id): Path<String>) -> Response {
    match fake.orders.lock().unwrap().get(&id) {
        Some((_, order)) => Json(order.clone()).into_response(),
        None => tmf_error(StatusCode::NOT_FOUND, "no such order"),
    }
}

async fn cancel_order(State(fake): State<Arc<Fake>>, Json(body): Json<Value>) -> Response {
    let id = body
        .pointer("/productOrder/id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let state = fake.orders.lock().unwrap().get(&id).map(|(s, _)| s.clone());
    match state.as_deref() {
        None => tmf_error(StatusCode::NOT_FOUND, "no such order"),
        Some("cancelled") => (
            StatusCode::CREATED,
            Json(json!({"id": format!("C-{id}"), "state": "done"})),
        )
            .into_response(),
        Some("completed") => tmf_error(StatusCode::CONFLICT, "order is terminal"),
        Some(_) => {
            set_state(&fake, &id, "cancelled").await;
            (
                StatusCode::CREATED,
                Json(json!({"id": format!("C-{id}"), "state": "acknowledged"})),
            )
                .into_response()
        }
    }
}

async fn register_hub(State(fake): State<Arc<Fake>>, Json(body): Json<Value>) -> Response {
    let callback = body
        .get("callback")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut hubs = fake.hubs.lock().unwrap();
    let id = format!("H-{}", hubs.len() + 1);
    hubs.push((id.clone(), callback.clone()));
    (
        StatusCode::CREATED,
        Json(json!({"id": id, "callback": callback, "query": body.get("query")})),
    )
        .into_response()
}

async fn delete_hub(State(fake): State<Arc<Fake>>, Path(id): Path<String>) -> StatusCode {
    fake.hubs.lock().unwrap().retain(|(hub, _)| *hub != id);
    StatusCode::NO_CONTENT
}

/// A fresh scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("loadgen-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `text` as a scenario file in `dir`.
pub fn scenario(dir: &std::path::Path, text: &str) -> PathBuf {
    let path = dir.join("scenario.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Options for running `scenario` against `target`, reports under `dir`.
pub fn options(scenario: PathBuf, target: &str, dir: &std::path::Path) -> loadgen::RunOptions {
    let mut options = loadgen::RunOptions::new(scenario);
    options.target = Some(target.to_string());
    options.out = dir.join("reports");
    options.quiet = true;
    options
}

/// Checks a report.json against loadgen/report.schema.json, and that the schema is not vacuous.
pub fn check_schema(report: &std::path::Path) {
    let schema_path = concat!(env!("CARGO_MANIFEST_DIR"), "/report.schema.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let instance: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema is valid");
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report.json does not match the schema: {errors:#?}"
    );
    // The schema must not be vacuous: a report missing a required field fails it.
    let mut broken = instance.clone();
    broken.as_object_mut().unwrap().remove("latency");
    assert!(!validator.is_valid(&broken));
}
