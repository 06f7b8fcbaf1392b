//! How long a filtered list over a large store keeps COM from its inbox.
//!
//! Completes one fibre order, copies it into COM's store N times (default 200,000), then
//! POSTs new product orders one after another (each is answered only once COM has handled it,
//! so its latency is COM's inbox latency) while `GET /productOrder` lists run with a filter
//! that must render every order. Prints the probe latency with no list running and while the
//! lists run, and how long a list takes.
//!
//! Run: `cargo run --release -p simulator --example list_stall -- 200000`

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use simulator::config::SimConfig;
use simulator::domain::ids::ProductOrderId;
use simulator::http::{Hub, app};
use simulator::network::profile::Latency;
use simulator::runtime::Chain;
use tower::ServiceExt;

const ORDERS: &str = "/tmf-api/productOrderingManagement/v4/productOrder";

async fn call(router: &axum::Router, method: Method, uri: &str, body: Option<Value>) -> Value {
    let request = Request::builder().method(method).uri(uri);
    let request = match body {
        Some(body) => request
            .header("content-type", "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    };
    let response = router
        .clone()
        .oneshot(request.expect("request"))
        .await
        .expect("answer");
    assert!(response.status() == StatusCode::OK || response.status() == StatusCode::CREATED);
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

fn fibre(external_id: String) -> Value {
    json!({"externalId": external_id, "productOrderItem": [{"id": "1", "action": "add",
        "productOffering": {"id": "fibre-broadband"},
        "product": {"productCharacteristic": [{"name": "region", "value": "north"}]}}]})
}

/// Latencies of probes POSTed back to back until `until` says stop (at most `max`).
async fn probe(
    router: &axum::Router,
    label: &str,
    max: usize,
    until: impl Fn() -> bool,
) -> Vec<Duration> {
    let mut latencies = Vec::new();
    while !until() && latencies.len() < max {
        let start = Instant::now();
        call(
            router,
            Method::POST,
            ORDERS,
            Some(fibre(format!("{label}-{}", latencies.len()))),
        )
        .await;
        latencies.push(start.elapsed());
    }
    latencies.sort();
    latencies
}

fn summary(latencies: &[Duration]) -> String {
    let median = latencies
        .get(latencies.len() / 2)
        .copied()
        .unwrap_or_default();
    let max = latencies.last().copied().unwrap_or_default();
    format!("{} probes, median {median:?}, max {max:?}", latencies.len())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let copies: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let mut config = SimConfig::default();
    config.profiles.default.latency = Latency::Fixed { ms: 1.0 };
    config.profiles.default.failure_probability = 0.0;
    config.limits.retained_orders_max = usize::try_from(copies).unwrap_or(usize::MAX) + 1_000;
    let hub = Hub::new(&config.limits);
    let chain = Chain::start(config, Arc::new(hub.clone())).expect("chain");
    hub.set_clock(chain.clock());
    let router = app(chain.clone(), hub.clone());
    let created = call(
        &router,
        Method::POST,
        ORDERS,
        Some(fibre("template".into())),
    )
    .await;
    let href = created["href"].as_str().expect("href").to_string();
    while call(&router, Method::GET, &href, None).await["state"] != "completed" {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    {
        let mut com = chain.com();
        let template = com.orders().values().next().expect("the order").clone();
        for index in 0..copies {
            let id = ProductOrderId(*com.next_order_mut() + index);
            let mut order = template.clone();
            order.id = id;
            com.orders_mut().insert(id, order);
        }
        *com.next_order_mut() += copies;
    }
    println!("{} product orders in COM", chain.com().orders().len());
    println!(
        "no list running: {}",
        summary(&probe(&router, "idle", 100, || false).await)
    );

    let listing = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let lists = {
        let (router, listing) = (router.clone(), listing.clone());
        tokio::spawn(async move {
            let mut took = Vec::new();
            for _ in 0..3 {
                let start = Instant::now();
                call(
                    &router,
                    Method::GET,
                    &format!("{ORDERS}?productOrderItem.action=delete"),
                    None,
                )
                .await;
                took.push(start.elapsed());
            }
            listing.store(false, std::sync::atomic::Ordering::SeqCst);
            took
        })
    };
    let during = probe(&router, "busy", 5_000, || {
        !listing.load(std::sync::atomic::Ordering::SeqCst)
    })
    .await;
    let took = lists.await.expect("lists");
    println!("3 filtered lists took {took:?}");
    println!("while listing: {}", summary(&during));
}
