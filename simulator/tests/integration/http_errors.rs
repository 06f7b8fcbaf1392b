//! Every refusal the API makes, through the router: the right status and a TMF Error body
//! (validated against the TMF622 `Error` definition) for malformed, oversized, unknown and
//! out-of-range requests.

use crate::http_support::{PRODUCT_ORDER, TestApp, fast_config, fibre_order, validate_error};
use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};

const HUB: &str = "/tmf-api/productOrderingManagement/v4/hub";
const CANCEL: &str = "/tmf-api/productOrderingManagement/v4/cancelProductOrder";

fn item(id: &str, action: &str) -> Value {
    json!({"id": id, "action": action, "productOffering": {"id": "fibre-broadband"},
           "product": {"productCharacteristic": [{"name": "region", "value": "north"}]}})
}

async fn expect_error(app: &TestApp, method: Method, uri: &str, body: Option<Value>, status: u16) {
    let (got, headers, body) = app.call(method.clone(), uri, body).await;
    assert_eq!(got.as_u16(), status, "{method} {uri}: {body}");
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/json",
        "{method} {uri}"
    );
    validate_error(&body, status);
}

#[tokio::test(start_paused = true)]
async fn bad_product_orders_are_refused() {
    let app = TestApp::start(fast_config());
    let items_max = app.chain.config().limits.items_per_order_max;
    let too_many: Vec<Value> = (0..=items_max)
        .map(|i| item(&i.to_string(), "add"))
        .collect();
    let mut unknown_region = fibre_order("r");
    unknown_region["productOrderItem"][0]["product"]["productCharacteristic"][0]["value"] =
        json!("atlantis");
    let cases = [
        ("missing items", json!({"externalId": "x"})),
        ("empty items", json!({"productOrderItem": []})),
        ("too many items", json!({"productOrderItem": too_many})),
        (
            "duplicate item ids",
            json!({"productOrderItem": [item("1", "add"), item("1", "add")]}),
        ),
        (
            "empty item id",
            json!({"productOrderItem": [item("", "add")]}),
        ),
        (
            "wrong action",
            json!({"productOrderItem": [item("1", "upgrade")]}),
        ),
        (
            "missing offering",
            json!({"productOrderItem": [{"id": "1", "action": "add"}]}),
        ),
        (
            "unknown offering",
            json!({"productOrderItem": [{"id": "1", "action": "add", "productOffering": {"id": "nope"}}]}),
        ),
        (
            "modify without product",
            json!({"productOrderItem": [{"id": "1", "action": "modify", "productOffering": {"id": "fibre-broadband"}}]}),
        ),
        (
            "malformed product id",
            json!({"productOrderItem": [{"id": "1", "action": "delete", "product": {"id": "PO-1"}}]}),
        ),
        ("items of the wrong type", json!({"productOrderItem": "1"})),
        ("unknown region", unknown_region),
    ];
    for (what, body) in cases {
        let (status, _, answer) = app.call(Method::POST, PRODUCT_ORDER, Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {answer}");
        validate_error(&answer, 400);
    }
    let (headers, _) = app.get_ok(PRODUCT_ORDER).await;
    assert_eq!(headers["x-total-count"], "0", "no refused order was stored");
}

#[tokio::test(start_paused = true)]
async fn unreadable_bodies_are_refused() {
    let app = TestApp::start(fast_config());
    let (status, _, body) = app
        .raw(
            Method::POST,
            PRODUCT_ORDER,
            Some("application/json"),
            b"{\"productOrderItem\": [".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    validate_error(&body, 400);

    let order = serde_json::to_vec(&fibre_order("x")).expect("serializes");
    let (status, _, body) = app
        .raw(
            Method::POST,
            PRODUCT_ORDER,
            Some("text/plain"),
            order.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    validate_error(&body, 415);
    let (status, _, body) = app.raw(Method::POST, PRODUCT_ORDER, None, order).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    validate_error(&body, 415);

    let limit = app.chain.config().limits.body_bytes_max;
    let mut large = fibre_order("x");
    large["description"] = json!("x".repeat(limit));
    let large = serde_json::to_vec(&large).expect("serializes");
    let (status, _, body) = app
        .raw(Method::POST, PRODUCT_ORDER, Some("application/json"), large)
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    validate_error(&body, 413);
}

#[tokio::test(start_paused = true)]
async fn unknown_ids_paths_and_methods_are_refused() {
    let app = TestApp::start(fast_config());
    for uri in [
        format!("{PRODUCT_ORDER}/PO-999999"),
        format!("{PRODUCT_ORDER}/not-an-id"),
        "/tmf-api/serviceOrdering/v4/serviceOrder/SO-9".to_string(),
        "/tmf-api/resourceOrderingManagement/v4/resourceOrder/RO-9".to_string(),
        "/tmf-api/ServiceActivationAndConfiguration/v4/service/ACT-9".to_string(),
        "/tmf-api/ServiceActivationAndConfiguration/v4/monitor/MON-9".to_string(),
        "/tmf-api/productInventory/v4/product/P-9".to_string(),
        "/tmf-api/serviceInventory/v4/service/S-9".to_string(),
        "/tmf-api/resourceInventory/v4/resource/R-9".to_string(),
        "/tmf-api/productCatalogManagement/v4/productOffering/nope".to_string(),
        format!("{CANCEL}/CPO-9"),
        format!("{HUB}/HUB-9"),
        "/tmf-api/nothing/here".to_string(),
    ] {
        expect_error(&app, Method::GET, &uri, None, 404).await;
    }
    let patch = json!({"description": "x"});
    expect_error(
        &app,
        Method::PATCH,
        &format!("{PRODUCT_ORDER}/PO-9"),
        Some(patch),
        404,
    )
    .await;
    expect_error(
        &app,
        Method::DELETE,
        &format!("{PRODUCT_ORDER}/PO-9"),
        None,
        404,
    )
    .await;
    expect_error(&app, Method::DELETE, &format!("{HUB}/HUB-9"), None, 404).await;
    expect_error(&app, Method::PUT, PRODUCT_ORDER, Some(json!({})), 405).await;
    expect_error(
        &app,
        Method::POST,
        "/tmf-api/productInventory/v4/product",
        Some(json!({})),
        405,
    )
    .await;
    let cancel = |id: &str| json!({"productOrder": {"id": id}});
    expect_error(&app, Method::POST, CANCEL, Some(cancel("PO-9")), 404).await;
    expect_error(&app, Method::POST, CANCEL, Some(cancel("garbage")), 400).await;
    expect_error(&app, Method::POST, CANCEL, Some(json!({})), 400).await;
}

#[tokio::test(start_paused = true)]
async fn state_conflicts_and_bad_patches_are_refused() {
    let app = TestApp::start(fast_config());
    let (status, _, created) = app
        .call(Method::POST, PRODUCT_ORDER, Some(fibre_order("c")))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let href = created["href"].as_str().expect("href");
    // A running order cannot be deleted.
    expect_error(&app, Method::DELETE, href, None, 409).await;
    for body in [
        json!({"state": "completed"}),
        json!({"description": 5}),
        json!([1]),
        json!({}),
    ] {
        expect_error(&app, Method::PATCH, href, Some(body), 400).await;
    }
}

#[tokio::test(start_paused = true)]
async fn bad_list_parameters_are_refused() {
    let app = TestApp::start(fast_config());
    let max = app.chain.config().limits.list_limit_max;
    for query in [
        "limit=0".to_string(),
        "limit=abc".to_string(),
        "offset=-1".to_string(),
        format!("limit={}", max + 1),
    ] {
        for collection in [
            PRODUCT_ORDER,
            "/tmf-api/serviceOrdering/v4/serviceOrder",
            "/tmf-api/resourceInventory/v4/resource",
            "/tmf-api/productCatalogManagement/v4/productOffering",
        ] {
            expect_error(
                &app,
                Method::GET,
                &format!("{collection}?{query}"),
                None,
                400,
            )
            .await;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn bad_subscriptions_are_refused() {
    let app = TestApp::start(fast_config());
    let cases = [
        json!({"callback": "http://127.0.0.1:9/x", "query": "eventType"}),
        json!({"callback": "http://127.0.0.1:9/x", "query": "state=completed"}),
        json!({"callback": "http://127.0.0.1:9/x", "query": "eventType=ServiceOrderCreateEvent"}),
        json!({"callback": "http://192.0.2.1:9/x"}),
        json!({"callback": "http://example.com/x"}),
        json!({"callback": "https://127.0.0.1/x"}),
        json!({"callback": "not a url"}),
        json!({"query": "eventType=ProductOrderCreateEvent"}),
    ];
    for body in cases {
        expect_error(&app, Method::POST, HUB, Some(body), 400).await;
    }
    assert!(app.hub.stats().is_empty());

    let max = app.chain.config().limits.hub_subscriptions_max;
    let hub = "/tmf-api/serviceOrdering/v4/hub";
    for index in 0..max {
        let (status, _, body) = app
            .call(
                Method::POST,
                hub,
                Some(json!({"callback": format!("http://127.0.0.1:9/x{index}")})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    expect_error(
        &app,
        Method::POST,
        hub,
        Some(json!({"callback": "http://127.0.0.1:9/x"})),
        429,
    )
    .await;
    app.hub.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_concurrency_limit_are_shed() {
    let mut config = fast_config();
    config.limits.http_concurrency_max = 1;
    let app = std::sync::Arc::new(TestApp::start(config));
    // Hold COM's store on a plain thread, so that a list request blocks inside its handler
    // while it holds the only request slot.
    let (release, hold) = std::sync::mpsc::channel::<()>();
    let (locked, is_locked) = std::sync::mpsc::channel::<()>();
    let chain = app.chain.clone();
    let holder = std::thread::spawn(move || {
        let _com = chain.com();
        let _ = locked.send(());
        let _ = hold.recv();
    });
    is_locked.recv().expect("holder locked COM");
    let blocked_app = std::sync::Arc::clone(&app);
    let blocked =
        tokio::spawn(async move { blocked_app.call(Method::GET, PRODUCT_ORDER, None).await });
    let mut shed = None;
    for _ in 0..100_000 {
        let (status, headers, body) = app.call(Method::GET, "/health", None).await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            shed = Some((headers, body));
            break;
        }
        if blocked.is_finished() {
            break;
        }
        tokio::task::yield_now().await;
    }
    let _ = release.send(());
    holder.join().expect("holder ends");
    let (first_status, first_headers, first_body) = blocked.await.expect("request task ends");
    // Either a probe was shed while the list held the slot, or the list lost the race for
    // the slot and was shed itself; both are the limit at work.
    let (headers, body) = match shed {
        Some(shed) => shed,
        None => {
            assert_eq!(
                first_status,
                StatusCode::SERVICE_UNAVAILABLE,
                "{first_body}"
            );
            (first_headers, first_body)
        }
    };
    validate_error(&body, 503);
    assert_eq!(headers[header::RETRY_AFTER], "1");
}
