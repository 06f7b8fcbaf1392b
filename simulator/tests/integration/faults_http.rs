//! `/admin/faults` through the router: create, replace, bulk put, list, read, remove, reset,
//! self-removal after `durationMs`, refusals with TMF Error bodies, metrics, and an outage
//! injected over REST failing an order on the OLT it hit.

use std::time::Duration;

use crate::http_support::{PRODUCT_ORDER, TestApp, fast_config, fibre_order, validate_error};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

const FAULTS: &str = "/admin/faults";

fn outage(name: &str) -> Value {
    json!({"name": name, "target": "olt:olt-north-1", "kind": {"type": "outage"}})
}

#[tokio::test(start_paused = true)]
async fn a_fault_is_created_replaced_listed_and_removed() {
    let app = TestApp::start(fast_config());
    let (status, _, created) = app
        .call(Method::POST, FAULTS, Some(outage("olt-down")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["name"], "olt-down");
    assert_eq!(created["target"], "olt:olt-north-1");
    assert_eq!(created["kind"], json!({"type": "outage", "rebootMs": 0}));
    assert_eq!(created["state"], "active");
    assert_eq!(created["operations"].as_array().map(Vec::len), Some(5));
    assert!(created["durationMs"].is_null());

    let (status, _, conflict) = app
        .call(Method::POST, FAULTS, Some(outage("olt-down")))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    validate_error(&conflict, 409);

    let slow = json!({"target": "activation", "operations": ["activate"],
                      "kind": {"type": "latency", "addedMs": 50.0, "factor": 2.0},
                      "durationMs": 60000});
    let uri = format!("{FAULTS}/slow-activation");
    let (status, _, body) = app.call(Method::PUT, &uri, Some(slow.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _, body) = app.call(Method::PUT, &uri, Some(slow)).await;
    assert_eq!(status, StatusCode::OK, "replaced: {body}");
    assert_eq!(body["durationMs"], 60000);
    assert_eq!(body["operations"], json!(["activate"]));

    let (_, list) = app.get_ok(FAULTS).await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert_eq!(names, ["olt-down", "slow-activation"]);
    let (_, one) = app.get_ok(&uri).await;
    assert_eq!(one["kind"]["addedMs"], 50.0);

    let (status, _, _) = app.call(Method::DELETE, &uri, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, missing) = app.call(Method::DELETE, &uri, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    validate_error(&missing, 404);
    let (status, _, missing) = app.call(Method::GET, &uri, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    validate_error(&missing, 404);

    let (status, _, reset) = app.call(Method::DELETE, FAULTS, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reset["removed"], 1);
    let (_, list) = app.get_ok(FAULTS).await;
    assert_eq!(list, json!([]));
}

#[tokio::test(start_paused = true)]
async fn a_bulk_put_is_idempotent_and_all_or_nothing() {
    let app = TestApp::start(fast_config());
    let set = json!([
        outage("a"),
        {"name": "b", "target": "pool:north/ipv4", "kind": {"type": "poolPressure", "freeLeft": 10}},
    ]);
    for _ in 0..2 {
        let (status, _, body) = app.call(Method::PUT, FAULTS, Some(set.clone())).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body.as_array().map(Vec::len), Some(2));
        assert_eq!(body[1]["reservedEntries"], 65_534 - 10, "{body}");
    }
    let (_, pools) = app.get_ok("/admin/pools").await;
    let ipv4 = pools["pools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "north/ipv4")
        .cloned()
        .unwrap();
    assert_eq!(ipv4["free"], 10, "{ipv4}");

    let bad = json!([outage("c"), {"name": "d", "target": "olt:nope", "kind": {"type": "outage"}}]);
    let (status, _, body) = app.call(Method::PUT, FAULTS, Some(bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    validate_error(&body, 400);
    let (_, list) = app.get_ok(FAULTS).await;
    assert_eq!(list.as_array().map(Vec::len), Some(2), "unchanged: {list}");

    let (_, _, reset) = app.call(Method::DELETE, FAULTS, None).await;
    assert_eq!(reset["removed"], 2);
    let (_, audit) = app.get_ok("/admin/audit").await;
    assert_eq!(audit["ok"], true, "pressure given back cleanly: {audit}");
}

#[tokio::test(start_paused = true)]
async fn bad_fault_bodies_are_refused_with_tmf_errors() {
    let mut config = fast_config();
    config.limits.faults_max = 2;
    let app = TestApp::start(config);
    let cases = [
        (
            "no name",
            json!({"target": "all", "kind": {"type": "outage"}}),
        ),
        (
            "bad name",
            json!({"name": "a b", "target": "all", "kind": {"type": "outage"}}),
        ),
        (
            "bad target",
            json!({"name": "a", "target": "switch:1", "kind": {"type": "outage"}}),
        ),
        (
            "unknown element",
            json!({"name": "a", "target": "olt:nope", "kind": {"type": "outage"}}),
        ),
        (
            "no such port",
            json!({"name": "a", "target": "pon:olt-north-1/99", "kind": {"type": "outage"}}),
        ),
        (
            "unknown kind",
            json!({"name": "a", "target": "all", "kind": {"type": "meteor"}}),
        ),
        (
            "unknown field",
            json!({"name": "a", "target": "all", "kind": {"type": "outage"}, "color": 1}),
        ),
        ("missing kind", json!({"name": "a", "target": "all"})),
        (
            "probability",
            json!({"name": "a", "target": "all", "kind": {"type": "blackHole", "probability": 2}}),
        ),
        (
            "empty reason",
            json!({"name": "a", "target": "all", "kind": {"type": "error", "probability": 0.5, "reason": ""}}),
        ),
        (
            "zero duration",
            json!({"name": "a", "target": "all", "kind": {"type": "outage"}, "durationMs": 0}),
        ),
        (
            "pressure on activation",
            json!({"name": "a", "target": "activation", "kind": {"type": "poolPressure", "freeLeft": 0}}),
        ),
        (
            "empty operations",
            json!({"name": "a", "target": "all", "operations": [], "kind": {"type": "outage"}}),
        ),
        (
            "unknown operation",
            json!({"name": "a", "target": "all", "operations": ["reboot"], "kind": {"type": "outage"}}),
        ),
        ("not an object", json!("outage")),
    ];
    for (what, body) in cases {
        let (status, _, answer) = app.call(Method::POST, FAULTS, Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {answer}");
        validate_error(&answer, 400);
    }
    let (status, _, answer) = app
        .call(Method::PUT, &format!("{FAULTS}/x"), Some(outage("y")))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "name mismatch: {answer}");
    let (status, _, answer) = app
        .raw(
            Method::POST,
            FAULTS,
            Some("application/json"),
            b"{".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    validate_error(&answer, 400);
    for name in ["a", "b"] {
        let (status, _, _) = app.call(Method::POST, FAULTS, Some(outage(name))).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, _, answer) = app.call(Method::POST, FAULTS, Some(outage("c"))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{answer}");
    validate_error(&answer, 429);
}

#[tokio::test(start_paused = true)]
async fn a_fault_with_a_duration_removes_itself() {
    let app = TestApp::start(fast_config());
    let mut body = outage("brief");
    body["durationMs"] = json!(200);
    body["delayMs"] = json!(100);
    let (status, _, created) = app.call(Method::POST, FAULTS, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["state"], "scheduled");
    tokio::time::advance(Duration::from_millis(150)).await;
    let (_, during) = app.get_ok(&format!("{FAULTS}/brief")).await;
    assert_eq!(during["state"], "active");
    assert!(
        app.chain
            .network()
            .is_element_down(simulator::network::ElementId(0))
    );
    tokio::time::advance(Duration::from_millis(200)).await;
    let (status, _, _) = app
        .call(Method::GET, &format!("{FAULTS}/brief"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "gone after its duration");
    assert!(
        !app.chain
            .network()
            .is_element_down(simulator::network::ElementId(0))
    );
}

/// Polls the order until it is terminal (time is paused: each sleep only lets timers fire).
async fn until_terminal(app: &TestApp, href: &str) -> Value {
    for _ in 0..10_000 {
        let (_, order) = app.get_ok(href).await;
        if ["completed", "failed", "partial", "cancelled", "rejected"]
            .contains(&order["state"].as_str().unwrap_or_default())
        {
            return order;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{href} never reached a terminal state");
}

#[tokio::test(start_paused = true)]
async fn an_outage_over_rest_fails_orders_and_shows_in_metrics() {
    let app = TestApp::start(fast_config());
    let (status, _, _) = app
        .call(Method::POST, FAULTS, Some(outage("olt-down")))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, created) = app
        .call(Method::POST, PRODUCT_ORDER, Some(fibre_order("hit")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let order = until_terminal(&app, created["href"].as_str().unwrap()).await;
    assert_eq!(order["state"], "failed", "{order}");

    let (_, fault) = app.get_ok(&format!("{FAULTS}/olt-down")).await;
    assert!(fault["callsAffected"].as_u64() >= Some(1), "{fault}");
    assert!(
        !fault["recentHits"].as_array().unwrap().is_empty(),
        "{fault}"
    );

    let (_, _, metrics) = app.call(Method::GET, "/metrics", None).await;
    let text = metrics.as_str().expect("text");
    assert!(
        text.contains("ordersim_faults{state=\"active\"} 1"),
        "{text}"
    );
    assert!(
        text.contains(
            "ordersim_fault_calls_affected_total{fault=\"olt-down\",kind=\"outage\",target=\"olt:olt-north-1\"}"
        ),
        "{text}"
    );

    let (status, _, _) = app
        .call(Method::DELETE, &format!("{FAULTS}/olt-down"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, _, created) = app
        .call(Method::POST, PRODUCT_ORDER, Some(fibre_order("after")))
        .await;
    let order = until_terminal(&app, created["href"].as_str().unwrap()).await;
    assert_eq!(order["state"], "completed", "repaired: {order}");
    let (_, audit) = app.get_ok("/admin/audit").await;
    assert_eq!(audit["ok"], true, "{audit}");
}
