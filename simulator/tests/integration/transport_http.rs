//! The HTTP transport with every layer in one process (`--role all`): each layer calls the
//! next one's TMF API over loopback and hears back through the hub subscriptions the process
//! registered on itself. Orders of every offering complete, the transport reports no failed
//! call, and `/admin/audit` is clean.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use simulator::config::{ChainTransport, SimConfig};
use simulator::http::Server;
use simulator::http::listener::{follow_product_orders, terminal_states};
use tokio::sync::mpsc;

const ORDERS: usize = 30;
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
    json!({"externalId": format!("transport-{index}"), "productOrderItem": items})
}

/// GETs `url` and reads its JSON body.
async fn get_json(client: &reqwest::Client, url: impl reqwest::IntoUrl) -> Value {
    let response = client.get(url).send().await.expect("get");
    response.json().await.expect("json")
}

/// POSTs `body` to `url` and reads the JSON answer.
async fn post_json(client: &reqwest::Client, url: impl reqwest::IntoUrl, body: &Value) -> Value {
    let response = client.post(url).json(body).send().await.expect("post");
    response.json().await.expect("json")
}

/// A simulator started with `config` on 127.0.0.1:0, its base URL, a client, and a listener
/// subscribed to its product order state changes.
async fn start_subscribed(
    config: SimConfig,
) -> (
    Server,
    String,
    reqwest::Client,
    mpsc::Receiver<(String, String)>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind simulator");
    let server = Server::start(config, listener).await.expect("starts");
    let base = format!("http://{}", server.local_addr);
    let client = reqwest::Client::new();
    let hub = format!("{base}{API}/hub");
    let listener = follow_product_orders(&client, &hub, 1_024)
        .await
        .expect("follow");
    (server, base, client, listener.events)
}

/// Whether nothing is queued anywhere (inboxes, timers, the outbound queue and lanes, hub
/// queues), and how many messages the layers have handled: the chain has settled when it is
/// quiet twice in a row with the same count (a hub delivery in flight shows up as a change).
fn quiet(server: &Server) -> (bool, u64) {
    let stats = server.chain.stats();
    let handled = stats.layers.iter().map(|layer| layer.handled).sum();
    let quiet = stats.timers_pending == 0
        && server.chain.inboxes_empty()
        && server
            .chain
            .transport_stats()
            .is_some_and(|s| s.queued == 0 && s.in_lanes == 0)
        && server.hub().stats().iter().all(|s| s.queued == 0);
    (quiet, handled)
}

/// `/admin/audit` once the chain has settled (see [`quiet`]).
async fn audit_when_settled(server: &Server, client: &reqwest::Client, base: &str) -> Value {
    let mut handled_before = u64::MAX;
    loop {
        let (quiet, handled) = quiet(server);
        let settled = quiet && handled == handled_before;
        handled_before = handled;
        if settled {
            return get_json(client, format!("{base}/admin/audit")).await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_complete_over_the_http_transport_and_the_audit_is_clean() {
    let mut config = SimConfig {
        seed: 7,
        ..SimConfig::default()
    };
    config.chain.transport = ChainTransport::Http;
    config.profiles.default.latency = simulator::network::profile::Latency::Uniform {
        min_ms: 0.5,
        max_ms: 2.0,
    };
    config.profiles.default.failure_probability = 0.0;
    let (server, base, client, mut events) = start_subscribed(config).await;

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
        ids.push(order["id"].as_str().expect("id").to_string());
    }
    let final_states = terminal_states(&mut events, ids, Duration::from_secs(60))
        .await
        .unwrap_or_else(|open| panic!("orders never ended: {open:?}"));
    assert!(
        final_states.values().all(|state| state == "completed"),
        "{final_states:?}"
    );

    // The work really went over HTTP: calls were made, reports went through the hub.
    let stats: Value = get_json(&client, format!("{base}/transport/v1/stats")).await;
    assert_eq!(stats["failed"], 0, "{stats}");
    assert!(
        stats["sent"].as_u64().unwrap_or(0) > ORDERS as u64 * 4,
        "{stats}"
    );
    // SOM's, ROM's and activation's reports are their own TMF state-change events (the orders
    // completed, so COM, SOM and ROM heard them); the transport publishes only activation
    // failures, and none happened.
    assert_eq!(stats["reports"], 0, "{stats}");

    let audit = audit_when_settled(&server, &client, &base).await;
    assert_eq!(audit["ok"], true, "audit: {audit:#}");
    server.shutdown().await.expect("shutdown");
}

/// Cancels cross the transport too: COM's cancel reaches SOM as `POST /cancelServiceOrder`
/// (by product order) and SOM's reaches ROM as `POST /cancelResourceOrder`. Every order
/// cancelled while its elements are slow ends cancelled, and the audit finds nothing left
/// allocated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancels_cross_the_http_transport() {
    let mut config = SimConfig {
        seed: 11,
        ..SimConfig::default()
    };
    config.chain.transport = ChainTransport::Http;
    config.profiles.default.latency = simulator::network::profile::Latency::Fixed { ms: 40.0 };
    config.profiles.default.failure_probability = 0.0;
    let (server, base, client, mut events) = start_subscribed(config).await;

    // Every state each order reported, in arrival order.
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut ids = Vec::new();
    for index in 0..4 {
        let order: Value = post_json(
            &client,
            format!("{base}{API}/productOrder"),
            &order_body(index * 3),
        )
        .await;
        let id = order["id"].as_str().expect("id").to_string();
        // Wait until COM has handed the order to SOM, so the cancel must cross the transport.
        while !seen
            .get(&id)
            .is_some_and(|states| states.iter().any(|s| s == "inProgress"))
        {
            let (event_id, state) = events.recv().await.expect("listener alive");
            seen.entry(event_id).or_default().push(state);
        }
        let cancel = json!({"productOrder": {"id": id}, "cancellationReason": "test"});
        let response = client
            .post(format!("{base}{API}/cancelProductOrder"))
            .json(&cancel)
            .send()
            .await
            .expect("cancel");
        assert_eq!(response.status(), 201, "cancel {id}");
        ids.push(id);
    }
    let terminal = |states: Option<&Vec<String>>| {
        states.and_then(|states| {
            states
                .iter()
                .find(|s| ["cancelled", "completed", "failed"].contains(&s.as_str()))
                .cloned()
        })
    };
    let waited = tokio::time::timeout(Duration::from_secs(60), async {
        while ids.iter().any(|id| terminal(seen.get(id)).is_none()) {
            let (event_id, state) = events.recv().await.expect("listener alive");
            seen.entry(event_id).or_default().push(state);
        }
    })
    .await;
    assert!(waited.is_ok(), "orders never ended: {seen:?}");
    for id in &ids {
        assert_eq!(
            terminal(seen.get(id)).as_deref(),
            Some("cancelled"),
            "{id}: {seen:?}"
        );
    }
    let audit = audit_when_settled(&server, &client, &base).await;
    assert_eq!(audit["ok"], true, "audit: {audit:#}");
    let stats = server.chain.transport_stats().expect("http transport");
    assert_eq!(stats.failed, 0, "{stats:?}");
    let som_cancels = server.chain.som().cancels().len();
    assert_eq!(som_cancels, 4, "SOM received each cancel over HTTP");
    server.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn why_an_order_failed_crosses_the_http_transport() {
    let mut config = SimConfig {
        seed: 9,
        ..SimConfig::default()
    };
    config.chain.transport = ChainTransport::Http;
    config.profiles.allocate = Some(simulator::network::profile::OperationProfile {
        failure_probability: 1.0,
        ..Default::default()
    });
    let (_server, base, client, mut events) = start_subscribed(config).await;
    let response = client
        .post(format!("{base}{API}/productOrder"))
        .json(&order_body(0))
        .send()
        .await
        .expect("post");
    let order: Value = response.json().await.expect("json");
    let id = order["id"].as_str().expect("id").to_string();
    let ended = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let (event_id, state) = events.recv().await.expect("listener alive");
            if event_id == id && state == "failed" {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the order never failed");
    let order: Value = get_json(&client, format!("{base}{API}/productOrder/{id}")).await;
    let note = &order["note"][0];
    assert_eq!(note["@type"], "FailureNote", "{order}");
    assert_eq!(note["code"], "elementFailed", "{order}");
    assert!(!note["text"].as_str().unwrap_or("").is_empty(), "{order}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_chain_answers_the_post_with_the_finished_order_over_the_http_transport() {
    let mut config = SimConfig {
        seed: 11,
        ..SimConfig::default()
    };
    config.chain.transport = ChainTransport::Http;
    config.chain.mode = simulator::config::ChainMode::Sync;
    let (_server, base, client, _events) = start_subscribed(config).await;
    for index in 0..3 {
        let order: Value = post_json(
            &client,
            format!("{base}{API}/productOrder"),
            &order_body(index),
        )
        .await;
        assert_eq!(order["state"], "completed", "{order}");
    }
    let audit: Value = get_json(&client, format!("{base}/admin/audit")).await;
    assert_eq!(audit["ok"], true, "{audit}");
}

/// Jeopardy over the transport: COM's and SOM's questions travel as TMF641/652 searches by
/// `externalId`. SOM restarted without its state, so its service orders are unknown: COM asks,
/// hears "none", and fails every order as `childLost`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_service_order_is_found_over_the_http_transport() {
    let mut config = SimConfig::default();
    config.chain.transport = ChainTransport::Http;
    config.profiles.default.latency = simulator::network::profile::Latency::Fixed { ms: 300.0 };
    config.chain.com_child_deadline_ms = 1_500;
    config.chain.som_child_deadline_ms = 1_000;
    config.chain.child_answer_ms = 1_000;
    let (server, base, client, mut events) = start_subscribed(config).await;
    let mut ids = Vec::new();
    for index in 0..5 {
        let body = json!({"externalId": format!("lost-{index}"), "productOrderItem": [{
            "id": "1", "action": "add", "productOffering": {"id": "fibre-broadband"},
            "product": {"productCharacteristic": [{"name": "region", "value": "north"}]}}]});
        let created: Value = post_json(&client, format!("{base}{API}/productOrder"), &body).await;
        ids.push(created["id"].as_str().expect("id").to_string());
    }
    // Wait until SOM holds the service orders (the first element step takes 300 ms), then
    // lose them.
    let som = "/tmf-api/serviceOrdering/v4/serviceOrder";
    for _ in 0..200 {
        let orders: Value = get_json(&client, format!("{base}{som}")).await;
        if orders
            .as_array()
            .is_some_and(|list| list.len() == ids.len())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server
        .chain
        .restart_layer_without_state(simulator::layers::LayerId::Som)
        .expect("SOM restarts");
    let ended = terminal_states(&mut events, ids.clone(), Duration::from_secs(60))
        .await
        .unwrap_or_else(|open| panic!("never ended: {open:?}"));
    for id in &ids {
        assert_eq!(ended[id], "failed", "{id}");
        let order: Value = get_json(&client, format!("{base}{API}/productOrder/{id}")).await;
        let notes = order["note"].to_string();
        assert!(notes.contains("childLost"), "{id}: {notes}");
    }
    server.shutdown().await.expect("stops");
}

/// The transport's subscriptions on the children's hubs (`GET …/hub`) with its listener as
/// callback.
async fn transport_subscriptions(client: &reqwest::Client, hub: &str) -> Vec<String> {
    let list: Value = get_json(client, hub).await;
    list.as_array()
        .expect("a list")
        .iter()
        .filter(|s| {
            s["callback"]
                .as_str()
                .is_some_and(|c| c.ends_with("/transport/v1/listener"))
        })
        .map(|s| s["id"].as_str().expect("id").to_string())
        .collect()
}

/// A child that lost the parent's subscription (its process restarted with empty hubs) is
/// subscribed to again by the parent's renewal, once, and orders complete again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_subscription_is_renewed_once() {
    let mut config = SimConfig::default();
    config.chain.transport = ChainTransport::Http;
    config.chain.subscription_renew_ms = 50;
    let (server, base, client, mut events) = start_subscribed(config).await;
    let hub = format!("{base}/tmf-api/serviceOrdering/v4/hub");
    let before = transport_subscriptions(&client, &hub).await;
    assert_eq!(
        before.len(),
        1,
        "COM subscribes once on SOM's hub: {before:?}"
    );
    let status = client
        .delete(format!("{hub}/{}", before[0]))
        .send()
        .await
        .expect("delete")
        .status();
    assert_eq!(status, 204);
    let mut renewed = Vec::new();
    for _ in 0..500 {
        renewed = transport_subscriptions(&client, &hub).await;
        if !renewed.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(renewed.len(), 1, "renewed exactly once: {renewed:?}");
    assert_ne!(renewed, before, "a new subscription, not the deleted one");
    // Several renewal periods later there is still one: renewing is idempotent.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(transport_subscriptions(&client, &hub).await, renewed);
    let created: Value =
        post_json(&client, format!("{base}{API}/productOrder"), &order_body(1)).await;
    let id = created["id"].as_str().expect("id").to_string();
    let ended = terminal_states(&mut events, [id.clone()], Duration::from_secs(30))
        .await
        .unwrap_or_else(|open| panic!("never ended: {open:?}"));
    assert_eq!(ended[&id], "completed");
    server.shutdown().await.expect("stops");
}
