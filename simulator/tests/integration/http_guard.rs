//! Hostile or odd input at the edge (issue 11, findings 3, 7 and 9): characteristic values are
//! checked by type and range against the catalog and refused with the field named; ids and
//! paths have one spelling; with an admin token configured, the operator, fault and transport
//! routes need it while the TMF APIs stay open.

use std::time::Duration;

use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::{Value, json};
use simulator::config::{AdminToken, ChainTransport, SimConfig};
use simulator::http::Server;

use crate::http_support::{PRODUCT_ORDER, TestApp, fast_config, fibre_order, validate_error};

const SERVICE_ORDER: &str = "/tmf-api/serviceOrdering/v4/serviceOrder";
const REGION_PATH: &str = "productOrderItem[0].product.productCharacteristic[region].value";
const SPEED_PATH: &str =
    "productOrderItem[0].product.productCharacteristic[downstreamSpeedMbps].value";

/// A fibre order whose characteristics are given as raw JSON text (so that `2^64` reaches the
/// server as written).
fn fibre_order_text(region: &str, speed: &str) -> Vec<u8> {
    format!(
        r#"{{"productOrderItem": [{{"id": "1", "action": "add",
            "productOffering": {{"id": "fibre-broadband"}},
            "product": {{"productCharacteristic": [
                {{"name": "region", "value": {region}}},
                {{"name": "downstreamSpeedMbps", "value": {speed}}}]}}}}]}}"#
    )
    .into_bytes()
}

async fn post_raw(app: &TestApp, uri: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let (status, _, body) = app
        .raw(Method::POST, uri, Some("application/json"), body)
        .await;
    (status, body)
}

fn assert_refused(status: StatusCode, body: &Value, message: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    validate_error(body, 400);
    assert_eq!(body["message"], message, "{body}");
}

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

async fn completed_order(app: &TestApp) -> Value {
    let (status, _, created) = app
        .call(Method::POST, PRODUCT_ORDER, Some(fibre_order("guard")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let order = until_terminal(app, created["href"].as_str().expect("href")).await;
    assert_eq!(order["state"], "completed", "{order}");
    order
}

#[tokio::test(start_paused = true)]
async fn product_order_characteristics_are_checked_by_type_and_range() {
    let mut config = fast_config();
    // Two open orders at most: a refused order must not take a slot.
    config.limits.open_orders_max = 2;
    let app = TestApp::start(config);
    let region_expected = format!("{REGION_PATH} must be a string naming a region");
    for region in [
        "null",
        "[]",
        "[\"north\"]",
        "{}",
        "{\"name\": \"north\"}",
        "7",
        "true",
    ] {
        let (status, body) = post_raw(&app, PRODUCT_ORDER, fibre_order_text(region, "500")).await;
        assert_refused(status, &body, &region_expected);
    }
    let speed_expected = format!("{SPEED_PATH} must be an integer from 1 to 10000");
    for speed in [
        "-1",
        "0",
        "10001",
        "1e308",
        "2.5",
        "18446744073709551616",
        "\"500\"",
        "null",
        "{}",
        "[500]",
        "true",
    ] {
        let (status, body) =
            post_raw(&app, PRODUCT_ORDER, fibre_order_text("\"north\"", speed)).await;
        assert_refused(status, &body, &speed_expected);
    }
    let (status, body) = post_raw(&app, PRODUCT_ORDER, fibre_order_text("\"south\"", "500")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("unknown region `south`")
    );

    // What is accepted ends, and the refusals held no open-order slot.
    for speed in ["1", "10000"] {
        let (status, created) =
            post_raw(&app, PRODUCT_ORDER, fibre_order_text("\"north\"", speed)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let order = until_terminal(&app, created["href"].as_str().expect("href")).await;
        assert_eq!(order["state"], "completed", "{order}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_modify_is_checked_like_an_add() {
    let app = TestApp::start(fast_config());
    let order = completed_order(&app).await;
    let product = order["productOrderItem"][0]["product"]["id"].clone();
    let modify = |speed: Value| {
        json!({"productOrderItem": [{"id": "1", "action": "modify",
            "productOffering": {"id": "fibre-broadband"},
            "product": {"id": product, "productCharacteristic": [
                {"name": "downstreamSpeedMbps", "value": speed}]}}]})
    };
    let expected = format!("{SPEED_PATH} must be an integer from 1 to 10000");
    for bad in [
        json!(-1),
        json!(1e308),
        json!("fast"),
        Value::Null,
        json!({}),
        json!(true),
    ] {
        let (status, _, body) = app
            .call(Method::POST, PRODUCT_ORDER, Some(modify(bad.clone())))
            .await;
        assert_refused(status, &body, &expected);
    }
    let (status, _, created) = app
        .call(Method::POST, PRODUCT_ORDER, Some(modify(json!(2_000))))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let done = until_terminal(&app, created["href"].as_str().expect("href")).await;
    assert_eq!(done["state"], "completed", "{done}");
}

#[tokio::test(start_paused = true)]
async fn service_order_characteristics_are_checked_too() {
    let app = TestApp::start(fast_config());
    let order = |characteristics: Value| {
        json!({"serviceOrderItem": [{"id": "1", "action": "add", "service": {
            "serviceSpecification": {"id": "internet-access"},
            "serviceCharacteristic": characteristics}}]})
    };
    let path = "serviceOrderItem[0].service.serviceCharacteristic";
    let cases = [
        (
            json!([{"name": "region", "value": null}]),
            format!("{path}[region].value must be a string naming a region"),
        ),
        (
            json!([{"name": "region", "value": ["north"]}]),
            format!("{path}[region].value must be a string naming a region"),
        ),
        (
            json!([{"name": "region", "value": "north"}, {"name": "downstreamSpeedMbps", "value": 1e308}]),
            format!("{path}[downstreamSpeedMbps].value must be an integer from 1 to 10000"),
        ),
        (
            json!([{"name": "region", "value": "north"}, {"name": "oltId", "value": 3}]),
            format!("{path}[oltId].value must be a string naming an OLT"),
        ),
    ];
    for (characteristics, expected) in cases {
        let (status, _, body) = app
            .call(Method::POST, SERVICE_ORDER, Some(order(characteristics)))
            .await;
        assert_refused(status, &body, &expected);
    }
    let good = json!([{"name": "region", "value": "north"}, {"name": "downstreamSpeedMbps", "value": 300}]);
    let (status, _, created) = app
        .call(Method::POST, SERVICE_ORDER, Some(order(good)))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let done = until_terminal(&app, created["href"].as_str().expect("href")).await;
    assert_eq!(done["state"], "completed", "{done}");
}

#[tokio::test(start_paused = true)]
async fn catalog_specifications_show_their_characteristics() {
    let app = TestApp::start(fast_config());
    let (_, product) = app
        .get_ok("/tmf-api/productCatalogManagement/v4/productSpecification/fibre-broadband-spec")
        .await;
    let characteristics = product["productSpecCharacteristic"]
        .as_array()
        .expect("list");
    let speed = characteristics
        .iter()
        .find(|c| c["name"] == "downstreamSpeedMbps")
        .expect("speed");
    assert_eq!(speed["valueType"], "integer");
    let value = &speed["productSpecCharacteristicValue"][0];
    assert_eq!(
        (value["valueFrom"].clone(), value["valueTo"].clone()),
        (json!(1), json!(10_000))
    );
    let (_, service) = app
        .get_ok("/tmf-api/serviceCatalogManagement/v4/serviceSpecification/internet-access")
        .await;
    let region = service["specCharacteristic"]
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["name"] == "region")
        .expect("region");
    assert_eq!(region["valueType"], "string");
    assert_eq!(
        region["characteristicValueSpecification"][0]["valueType"],
        "string"
    );
}

/// `PO-1` → `PO-01`, `PO-%31`, `%50O-1`, `PO-1%20`: other spellings of the same id.
fn other_spellings(id: &str) -> Vec<String> {
    let (prefix, number) = id.split_once('-').expect("prefixed id");
    let first = prefix.as_bytes()[0];
    vec![
        format!("{prefix}-0{number}"),
        format!("{prefix}-00{number}"),
        format!("{prefix}-%3{}", &number[..1]) + &number[1..],
        format!("%{first:02X}{}-{number}", &prefix[1..]),
        format!("{prefix}%2D{number}"),
        format!("{prefix}-{number}%20"),
        format!("{prefix}-+{number}"),
        id.to_lowercase(),
    ]
}

#[tokio::test(start_paused = true)]
async fn every_id_in_a_path_has_one_spelling() {
    let app = TestApp::start(fast_config());
    let order = completed_order(&app).await;
    let (status, _, cancel) = app
        .call(
            Method::POST,
            "/tmf-api/productOrderingManagement/v4/cancelProductOrder",
            Some(json!({"productOrder": {"id": order["id"]}})),
        )
        .await;
    // A completed order cannot be cancelled; a second, fresh one can.
    assert!(status.is_client_error(), "{cancel}");
    let (_, _, fresh) = app
        .call(Method::POST, PRODUCT_ORDER, Some(fibre_order("to-cancel")))
        .await;
    let (status, _, cancel) = app
        .call(
            Method::POST,
            "/tmf-api/productOrderingManagement/v4/cancelProductOrder",
            Some(json!({"productOrder": {"id": fresh["id"]}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{cancel}");
    let (status, _, hub) = app
        .call(
            Method::POST,
            "/tmf-api/productOrderingManagement/v4/hub",
            Some(json!({"callback": "http://127.0.0.1:9/listener"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hub}");
    let mut collections = vec![
        ("/tmf-api/productOrderingManagement/v4/productOrder", None),
        (
            "/tmf-api/productOrderingManagement/v4/cancelProductOrder",
            None,
        ),
        (
            "/tmf-api/productOrderingManagement/v4/hub",
            hub["id"].as_str().map(String::from),
        ),
        ("/tmf-api/serviceOrdering/v4/serviceOrder", None),
        ("/tmf-api/resourceOrderingManagement/v4/resourceOrder", None),
        (
            "/tmf-api/ServiceActivationAndConfiguration/v4/service",
            None,
        ),
        ("/tmf-api/productInventory/v4/product", None),
        ("/tmf-api/serviceInventory/v4/service", None),
        ("/tmf-api/resourceInventory/v4/resource", None),
    ];
    for (collection, known) in collections.drain(..) {
        let id = match known {
            Some(id) => id,
            None => {
                let (_, list) = app.get_ok(collection).await;
                list[0]["id"]
                    .as_str()
                    .expect("an entity to read")
                    .to_string()
            }
        };
        app.get_ok(&format!("{collection}/{id}")).await;
        for other in other_spellings(&id) {
            let (status, _, body) = app
                .call(Method::GET, &format!("{collection}/{other}"), None)
                .await;
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "{collection}/{other}: {body}"
            );
            validate_error(&body, 404);
        }
    }
}

fn with_token(config: &mut SimConfig) {
    config.access.admin_token = AdminToken::new("s3cret");
}

/// The guarded routes of an in-process chain (method, path).
const GUARDED: [(&str, &str); 10] = [
    ("GET", "/admin/pools"),
    ("GET", "/admin/audit"),
    ("GET", "/admin/hub"),
    ("GET", "/admin/workers"),
    ("GET", "/admin/timeline/PO-1"),
    ("GET", "/admin/faults"),
    ("DELETE", "/admin/faults"),
    ("GET", "/admin/faults/some-fault"),
    ("POST", "/admin/faults"),
    ("POST", "/admin/layers/rom/restart"),
];

async fn call_with(
    app: &TestApp,
    method: &str,
    uri: &str,
    authorization: Option<&str>,
) -> (StatusCode, HeaderMap, Value) {
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = axum::http::Request::builder().method(method).uri(uri);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let body = if uri == "/admin/faults" { "{}" } else { "" };
    let request = request
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body))
        .expect("request");
    let response = tower::ServiceExt::oneshot(app.router.clone(), request)
        .await
        .expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test(start_paused = true)]
async fn with_a_token_the_operator_routes_need_it_and_the_tmf_apis_stay_open() {
    let mut config = fast_config();
    with_token(&mut config);
    let app = TestApp::start(config);
    for (method, path) in GUARDED {
        for authorization in [
            None,
            Some("Bearer wrong"),
            Some("Basic s3cret"),
            Some("Bearer s3cre"),
        ] {
            let (status, headers, body) = call_with(&app, method, path, authorization).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} {authorization:?}: {body}"
            );
            validate_error(&body, 401);
            assert_eq!(headers["www-authenticate"], "Bearer");
        }
        let (status, _, body) = call_with(&app, method, path, Some("Bearer s3cret")).await;
        assert_ne!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
    }
    for (method, path) in [
        ("GET", "/health"),
        ("GET", "/metrics"),
        ("GET", PRODUCT_ORDER),
        (
            "GET",
            "/tmf-api/productCatalogManagement/v4/productOffering",
        ),
    ] {
        let (status, _, body) = call_with(&app, method, path, None).await;
        assert_eq!(status, StatusCode::OK, "{method} {path}: {body}");
    }
    let (status, _, body) = app
        .call(Method::POST, PRODUCT_ORDER, Some(fibre_order("open")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test(start_paused = true)]
async fn without_a_token_the_operator_routes_are_open_on_loopback() {
    let app = TestApp::start(fast_config());
    for (method, path) in GUARDED {
        let (status, _, body) = call_with(&app, method, path, None).await;
        assert_ne!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
    }
}

/// Split mode with a token: the transport's own calls carry it (orders complete), while a
/// caller without it is refused on the internal routes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_transport_sends_the_token_and_its_routes_need_it() {
    let mut config = fast_config();
    config.chain.transport = ChainTransport::Http;
    with_token(&mut config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let server = Server::start(config, listener).await.expect("starts");
    let base = format!("http://{}", server.local_addr);
    let client = reqwest::Client::new();
    for (method, path) in [
        (reqwest::Method::GET, "/transport/v1/stats"),
        (reqwest::Method::POST, "/network/v1/operation"),
        (reqwest::Method::POST, "/network/v1/reply"),
    ] {
        let response = client
            .request(method.clone(), format!("{base}{path}"))
            .json(&json!({}))
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 401, "{method} {path}");
    }
    // The public read of the same TMF collection stays open.
    let response = client
        .get(format!(
            "{base}/tmf-api/resourceOrderingManagement/v4/resourceOrder"
        ))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);

    let created: Value = client
        .post(format!("{base}{PRODUCT_ORDER}"))
        .json(&fibre_order("split"))
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    let href = created["href"].as_str().expect("href").to_string();
    let mut state = Value::Null;
    for _ in 0..3_000 {
        let order: Value = client
            .get(&href)
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        state = order["state"].clone();
        if state == "completed" || state == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(state, "completed");
    let stats: Value = client
        .get(format!("{base}/transport/v1/stats"))
        .bearer_auth("s3cret")
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("json");
    assert_eq!(stats["failed"], 0, "{stats}");
    server.shutdown().await.expect("shutdown");
}

/// Values of the right type that name the wrong thing are refused, or the order ends: nothing
/// accepted stays open.
#[tokio::test(start_paused = true)]
async fn well_typed_but_odd_values_are_refused_or_end() {
    let app = TestApp::start(fast_config());
    let product = completed_order(&app).await["productOrderItem"][0]["product"]["id"].clone();
    let add = |characteristics: Value| {
        json!({"productOrderItem": [{"id": "1", "action": "add",
            "productOffering": {"id": "fibre-broadband"},
            "product": {"productCharacteristic": characteristics}}]})
    };
    let modify = |characteristics: Value| {
        json!({"productOrderItem": [{"id": "1", "action": "modify",
            "productOffering": {"id": "fibre-broadband"},
            "product": {"id": product, "productCharacteristic": characteristics}}]})
    };
    let cases = [
        add(
            json!([{"name": "region", "value": "north"}, {"name": "oltId", "value": "dslam-north-1"}]),
        ),
        add(
            json!([{"name": "region", "value": "north"}, {"name": "oltId", "value": "olt-nowhere"}]),
        ),
        add(json!([{"name": "region", "value": ""}])),
        add(json!([{"name": "region", "value": "north"}, {"name": "region", "value": null}])),
        add(
            json!([{"name": "colour", "value": {"deep": [1, 2, 3]}}, {"name": "region", "value": "north"}]),
        ),
        modify(json!([{"name": "addOn", "value": "no-such-offering"}])),
        modify(json!([{"name": "addOn", "value": "voip"}])),
        modify(json!([{"name": "addOn", "value": ""}])),
    ];
    for body in cases {
        let (status, _, created) = app
            .call(Method::POST, PRODUCT_ORDER, Some(body.clone()))
            .await;
        if status == StatusCode::CREATED {
            let order = until_terminal(&app, created["href"].as_str().expect("href")).await;
            assert!(order["state"].is_string(), "{body}: {order}");
        } else {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {created}");
            validate_error(&created, 400);
        }
    }
}

#[tokio::test]
async fn a_layer_restarts_by_the_admin_route_and_only_a_layer_this_process_runs() {
    let app = TestApp::start(fast_config());
    let (status, _, body) = app
        .call(Method::POST, "/admin/layers/rom/restart", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"layer": "rom", "restarted": true}));
    let (status, _, body) = app
        .call(Method::POST, "/admin/layers/network/restart", None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    validate_error(&body, 409);
    let (status, _, body) = app
        .call(Method::POST, "/admin/layers/billing/restart", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    validate_error(&body, 404);
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("role all"),
        "{body}"
    );
    // The restarted ROM still takes orders: one completes end to end.
    let order = completed_order(&app).await;
    assert_eq!(order["state"], "completed", "{order}");
}
