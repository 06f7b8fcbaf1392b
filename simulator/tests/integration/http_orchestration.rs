//! Sync mode over HTTP, and the endpoints architects compare chains with: the POST answers
//! with the finished order, `/admin/workers` shows the slots, `/admin/timeline/{id}` splits an
//! order's time between the layers.

use serde_json::{Value, json};
use simulator::config::{ChainMode, SimConfig};
use simulator::http::Server;
use simulator::network::profile::Latency;

const ORDERS: &str = "/tmf-api/productOrderingManagement/v4/productOrder";

#[tokio::test]
async fn a_sync_post_answers_with_the_finished_order_and_its_timeline_adds_up() {
    let mut config = SimConfig::default();
    config.chain.mode = ChainMode::Sync;
    config.chain.workers = 3;
    config.profiles.default.latency = Latency::Fixed { ms: 2.0 };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let server = Server::start(config, listener).await.expect("start");
    let base = format!("http://{}", server.local_addr);
    let client = reqwest::Client::new();
    let body = json!({"productOrderItem": [{"id": "1", "action": "add", "productOffering": {"id": "fibre-broadband"}}]});

    let response = client
        .post(format!("{base}{ORDERS}"))
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 201);
    let order: Value = response.json().await.expect("json");
    assert_eq!(
        order["state"], "completed",
        "sync: the answer comes when the chain is done"
    );

    let id = order["id"].as_str().expect("id");
    let timeline: Value = client
        .get(format!("{base}/admin/timeline/{id}"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let breakdown = &timeline["breakdownMs"];
    let parts: Vec<f64> = ["com", "som", "rom", "activation"]
        .iter()
        .map(|layer| breakdown[layer].as_f64().expect("a number per layer"))
        .collect();
    assert!(parts.iter().all(|part| *part >= 0.0), "{breakdown}");
    assert!(
        parts[3] >= 4.0,
        "two 2 ms element steps per activation: {breakdown}"
    );
    let total = timeline["productOrder"]["endMs"].as_f64().expect("end")
        - timeline["productOrder"]["startMs"].as_f64().expect("start");
    let sum: f64 = parts.iter().sum();
    assert!(
        (sum - total).abs() < 0.01,
        "layers' own times sum to the order's span: {sum} vs {total}"
    );

    let workers: Value = client
        .get(format!("{base}/admin/workers"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(workers["mode"], "sync");
    let layers = workers["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 3);
    assert!(
        layers
            .iter()
            .all(|layer| layer["capacity"] == 3 && layer["busy"] == 0 && layer["waiting"] == 0),
        "{workers}"
    );
    let no_retries = json!({"forward": 0, "compensation": 0, "forward_exhausted": 0});
    assert_eq!(workers["retries"]["rom"], no_retries, "{workers}");
    assert_eq!(workers["retries"]["activation"], no_retries, "{workers}");

    let missing = client
        .get(format!("{base}/admin/timeline/PO-999"))
        .send()
        .await
        .expect("get");
    assert_eq!(missing.status(), 404);
    let bad = client
        .get(format!("{base}/admin/timeline/nonsense"))
        .send()
        .await
        .expect("get");
    assert_eq!(bad.status(), 400);
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("ordersim_workers_busy{layer=\"com\"} 0"));
    server.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn patching_state_to_in_progress_resumes_a_held_order() {
    let mut config = SimConfig::default();
    config.chain.held_probability = 1.0;
    config.chain.held_resume_ms = 3_600_000;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let server = Server::start(config, listener).await.expect("start");
    let base = format!("http://{}", server.local_addr);
    let client = reqwest::Client::new();
    let body = json!({"productOrderItem": [{"id": "1", "action": "add", "productOffering": {"id": "fibre-broadband"}}]});
    let order: Value = client
        .post(format!("{base}{ORDERS}"))
        .json(&body)
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    let url = format!("{base}{ORDERS}/{}", order["id"].as_str().expect("id"));
    let held = loop {
        let now: Value = client
            .get(&url)
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        if now["state"] != "acknowledged" {
            break now;
        }
        tokio::task::yield_now().await;
    };
    assert_eq!(held["state"], "held");
    let bad = client
        .patch(&url)
        .json(&json!({"state": "completed"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(bad.status(), 400);
    let resumed = client
        .patch(&url)
        .json(&json!({"state": "inProgress"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(resumed.status(), 200);
    let resumed: Value = resumed.json().await.expect("json");
    assert_ne!(resumed["state"], "held");
    server.shutdown().await.expect("shutdown");
}
