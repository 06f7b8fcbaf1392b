//! The TMF API over a running chain, called through the router without a socket: each API's
//! happy path, with every body validated against the official TMF definitions.

use std::time::Duration;

use crate::http_support::{
    PRODUCT_ORDER, TMF622, TMF640, TMF641, TMF652, TestApp, fast_config, fibre_order, validate,
    validate_error,
};
use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};

/// Polls the order until it is terminal; time is paused, so each sleep only lets the chain's
/// timers fire (no wall-clock wait, no timing dependence).
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

async fn completed_order(app: &TestApp, external_id: &str) -> Value {
    let (status, headers, created) = app
        .call(Method::POST, PRODUCT_ORDER, Some(fibre_order(external_id)))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    validate(TMF622, "ProductOrder", &created);
    assert_eq!(created["state"], "acknowledged");
    let href = created["href"].as_str().expect("href").to_string();
    assert_eq!(headers[header::LOCATION], href.as_str());
    let order = until_terminal(app, &href).await;
    assert_eq!(order["state"], "completed", "{order}");
    validate(TMF622, "ProductOrder", &order);
    order
}

#[tokio::test(start_paused = true)]
async fn product_order_completes_through_every_layer() {
    let app = TestApp::start(fast_config());
    let order = completed_order(&app, "flat-3").await;
    assert_eq!(order["productOrderItem"][0]["state"], "completed");
    assert!(order["completionDate"].is_string());
    let product_id = order["productOrderItem"][0]["product"]["id"]
        .as_str()
        .expect("the completed item names its product");

    let (headers, list) = app.get_ok("/tmf-api/serviceOrdering/v4/serviceOrder").await;
    assert_eq!(headers["x-total-count"], "1");
    validate(TMF641, "ServiceOrder", &list[0]);
    assert_eq!(list[0]["state"], "completed");
    let (_, list) = app
        .get_ok("/tmf-api/resourceOrderingManagement/v4/resourceOrder")
        .await;
    assert!(!list.as_array().expect("array").is_empty());
    for order in list.as_array().expect("array") {
        validate(TMF652, "ResourceOrder", order);
        let (_, one) = app.get_ok(order["href"].as_str().expect("href")).await;
        assert_eq!(&one, order);
    }
    let (_, services) = app
        .get_ok("/tmf-api/ServiceActivationAndConfiguration/v4/service")
        .await;
    for service in services.as_array().expect("array") {
        validate(TMF640, "Service", service);
        assert_eq!(service["state"], "active");
    }
    let (_, monitors) = app
        .get_ok("/tmf-api/ServiceActivationAndConfiguration/v4/monitor")
        .await;
    assert_eq!(monitors, json!([]));

    let (_, product) = app
        .get_ok(&format!(
            "/tmf-api/productInventory/v4/product/{product_id}"
        ))
        .await;
    assert_eq!(product["id"], product_id);
    let (_, services) = app.get_ok("/tmf-api/serviceInventory/v4/service").await;
    assert!(services.as_array().is_some_and(|s| !s.is_empty()));
    let (_, resources) = app.get_ok("/tmf-api/resourceInventory/v4/resource").await;
    assert!(resources.as_array().is_some_and(|r| !r.is_empty()));
}

#[tokio::test(start_paused = true)]
async fn lists_filter_page_and_count() {
    let app = TestApp::start(fast_config());
    for index in 0..3 {
        completed_order(&app, &format!("client-{index}")).await;
    }
    let (headers, page) = app
        .get_ok(&format!("{PRODUCT_ORDER}?offset=1&limit=1&fields=state"))
        .await;
    assert_eq!(headers["x-total-count"], "3");
    assert_eq!(headers["x-result-count"], "1");
    let keys: Vec<&String> = page[0].as_object().expect("object").keys().collect();
    assert_eq!(keys, ["id", "state"], "fields adds only the id");

    let (headers, page) = app
        .get_ok(&format!("{PRODUCT_ORDER}?externalId=client-1"))
        .await;
    assert_eq!(headers["x-total-count"], "1");
    assert_eq!(page[0]["externalId"], "client-1");
    let (headers, _) = app
        .get_ok(&format!("{PRODUCT_ORDER}?state=inProgress"))
        .await;
    assert_eq!(headers["x-total-count"], "0");
    let (headers, _) = app
        .get_ok(&format!("{PRODUCT_ORDER}?state=completed&priority=9"))
        .await;
    assert_eq!(headers["x-total-count"], "0");
}

#[tokio::test(start_paused = true)]
async fn patch_and_delete_a_product_order() {
    let app = TestApp::start(fast_config());
    let order = completed_order(&app, "to-patch").await;
    let href = order["href"].as_str().expect("href");
    let (status, _, patched) = app
        .raw(
            Method::PATCH,
            href,
            Some("application/merge-patch+json"),
            br#"{"description":"moved in","priority":"2"}"#.to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    validate(TMF622, "ProductOrder", &patched);
    assert_eq!(patched["description"], "moved in");
    assert_eq!(patched["priority"], "2");

    let (status, _, body) = app.call(Method::DELETE, href, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _, body) = app.call(Method::GET, href, None).await;
    assert_eq!(status, StatusCode::GONE, "it existed: gone, not unknown");
    validate_error(&body, 410);
    let (status, _, body) = app
        .call(Method::GET, &format!("{PRODUCT_ORDER}/PO-9999"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "never issued");
    validate_error(&body, 404);
}

#[tokio::test(start_paused = true)]
async fn cancel_requests_are_answered_in_tmf_shape() {
    let app = TestApp::start(fast_config());
    let cancels = "/tmf-api/productOrderingManagement/v4/cancelProductOrder";
    let (status, _, created) = app
        .call(Method::POST, PRODUCT_ORDER, Some(fibre_order("c")))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let request = json!({"productOrder": {"id": created["id"]}, "cancellationReason": "moved"});
    let (status, _, body) = app.call(Method::POST, cancels, Some(request.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    validate(TMF622, "CancelProductOrder", &body);
    let (_, one) = app.get_ok(body["href"].as_str().expect("href")).await;
    assert_eq!(one["id"], body["id"]);
    // A second cancel of the same order returns the first request.
    let (_, _, again) = app.call(Method::POST, cancels, Some(request)).await;
    assert_eq!(again["id"], body["id"]);
    let order = until_terminal(&app, created["href"].as_str().expect("href")).await;
    assert_eq!(order["state"], "cancelled", "{order}");
    validate(TMF622, "ProductOrder", &order);
    let (_, done) = app.get_ok(body["href"].as_str().expect("href")).await;
    assert_eq!(done["state"], "done", "{done}");
    let (_, list) = app.get_ok(cancels).await;
    for cancel in list.as_array().expect("array") {
        validate(TMF622, "CancelProductOrder", cancel);
    }
}

#[tokio::test(start_paused = true)]
async fn catalogs_are_readable() {
    let app = TestApp::start(fast_config());
    for (collection, known) in [
        (
            "/tmf-api/productCatalogManagement/v4/productOffering",
            "fibre-broadband",
        ),
        (
            "/tmf-api/productCatalogManagement/v4/productSpecification",
            "fibre-broadband-spec",
        ),
        (
            "/tmf-api/serviceCatalogManagement/v4/serviceSpecification",
            "",
        ),
        (
            "/tmf-api/resourceCatalogManagement/v4/resourceSpecification",
            "",
        ),
    ] {
        let (headers, list) = app.get_ok(collection).await;
        let list = list.as_array().expect("array");
        assert!(!list.is_empty(), "{collection}");
        assert_eq!(headers["x-total-count"], list.len().to_string().as_str());
        let id = if known.is_empty() {
            list[0]["id"].as_str().expect("id")
        } else {
            known
        };
        let (_, one) = app.get_ok(&format!("{collection}/{id}")).await;
        assert_eq!(one["id"], id);
        assert_eq!(
            one["href"],
            format!("http://127.0.0.1:8080{collection}/{id}")
        );
    }
}

#[tokio::test(start_paused = true)]
async fn operator_endpoints_answer() {
    let app = TestApp::start(fast_config());
    completed_order(&app, "metrics").await;
    let (_, health) = app.get_ok("/health").await;
    assert_eq!(health, json!({"status": "ok"}));
    let (_, metrics) = app.get_ok("/metrics").await;
    let metrics = metrics.as_str().expect("text");
    for needle in [
        "ordersim_orders{layer=\"com\",state=\"completed\"} 1",
        "ordersim_inbox_depth{layer=\"com\"}",
        "ordersim_events_total",
        "ordersim_events_published_total",
        "ordersim_pool_capacity{",
        "ordersim_network_operations_total{",
        "ordersim_retries_total{layer=\"rom\",kind=\"forward\"} 0",
        "ordersim_retries_total{layer=\"activation\",kind=\"compensation\"} 0",
        "ordersim_retries_exhausted_total{layer=\"activation\"} 0",
    ] {
        assert!(metrics.contains(needle), "{needle} missing from\n{metrics}");
    }
    let (_, pools) = app.get_ok("/admin/pools").await;
    assert!(pools["pools"].as_array().is_some_and(|p| !p.is_empty()));
    let (_, audit) = app.get_ok("/admin/audit").await;
    assert!(audit["ok"].is_boolean(), "{audit}");
}

#[tokio::test(start_paused = true)]
async fn a_direct_service_order_completes() {
    let app = TestApp::start(fast_config());
    let (_, specifications) = app
        .get_ok("/tmf-api/serviceCatalogManagement/v4/serviceSpecification")
        .await;
    let cfs = specifications
        .as_array()
        .expect("array")
        .iter()
        .find(|s| s["@type"] == "CustomerFacingServiceSpecification")
        .expect("the catalog has a CFS");
    let request = json!({
        "externalId": "direct",
        "serviceOrderItem": [{
            "id": "1",
            "action": "add",
            "service": {
                "serviceSpecification": {"id": cfs["id"]},
                "serviceCharacteristic": [{"name": "region", "value": "north"}]
            }
        }]
    });
    let collection = "/tmf-api/serviceOrdering/v4/serviceOrder";
    let (status, _, created) = app.call(Method::POST, collection, Some(request)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    validate(TMF641, "ServiceOrder", &created);
    assert_eq!(created["state"], "acknowledged");
    let order = until_terminal(&app, created["href"].as_str().expect("href")).await;
    assert_eq!(order["state"], "completed", "{order}");
    validate(TMF641, "ServiceOrder", &order);

    let bad = json!({"serviceOrderItem": [{"id": "1", "action": "add", "service": {}}]});
    let (status, _, body) = app.call(Method::POST, collection, Some(bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    crate::http_support::validate_error(&body, 400);
}

#[tokio::test(start_paused = true)]
async fn hrefs_start_with_the_configured_public_url() {
    let mut config = fast_config();
    config.http.public_url = Some("https://gw.example.com/ordersim/".into());
    let app = TestApp::start(config);
    let (status, headers, created) = app
        .call(Method::POST, PRODUCT_ORDER, Some(fibre_order("public")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id");
    let href = format!("https://gw.example.com/ordersim{PRODUCT_ORDER}/{id}");
    assert_eq!(created["href"], href.as_str());
    assert_eq!(headers[header::LOCATION], href.as_str());
    let offering = &created["productOrderItem"][0]["productOffering"]["href"];
    assert_eq!(
        offering,
        "https://gw.example.com/ordersim/tmf-api/productCatalogManagement/v4/productOffering/fibre-broadband"
    );
}

#[tokio::test(start_paused = true)]
async fn a_trailing_slash_is_ignored() {
    let app = TestApp::start(fast_config());
    let (status, headers, created) = app
        .call(
            Method::POST,
            &format!("{PRODUCT_ORDER}/"),
            Some(fibre_order("slash")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let href = headers[header::LOCATION].to_str().expect("ascii");
    let (_, one) = app.get_ok(&format!("{href}/")).await;
    assert_eq!(one["id"], created["id"]);
    let (headers, list) = app.get_ok(&format!("{PRODUCT_ORDER}/?limit=1")).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(headers["x-total-count"], "1");
    let (status, _, error) = app
        .call(Method::GET, &format!("{PRODUCT_ORDER}//"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "only one slash is stripped");
    validate_error(&error, 404);
}

/// One sample of an exposition: metric name, labels (unescaped) and value.
pub(crate) type Sample = (String, Vec<(String, String)>, f64);

fn broken(line: &str) -> ! {
    panic!("malformed sample line `{line}`")
}

/// Parses the sample lines of a Prometheus/OpenMetrics text exposition, panicking on a line
/// that does not parse (an unescaped `"` or line feed in a label value breaks one).
pub(crate) fn parse_exposition(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        let (name, mut rest) = match line.find(['{', ' ']) {
            Some(at) => line.split_at(at),
            None => broken(line),
        };
        let mut labels = Vec::new();
        if let Some(inner) = rest.strip_prefix('{') {
            let mut chars = inner.char_indices();
            let mut key = String::new();
            loop {
                let Some((at, c)) = chars.next() else {
                    broken(line)
                };
                match c {
                    '}' if key.is_empty() => {
                        rest = &inner[at + 1..];
                        break;
                    }
                    ',' if key.is_empty() => {}
                    '=' => {
                        if chars.next().map(|(_, c)| c) != Some('"') {
                            broken(line);
                        }
                        let mut value = String::new();
                        loop {
                            match chars.next().map(|(_, c)| c) {
                                Some('"') => break,
                                Some('\\') => match chars.next().map(|(_, c)| c) {
                                    Some('n') => value.push('\n'),
                                    Some(escaped @ ('\\' | '"')) => value.push(escaped),
                                    _ => broken(line),
                                },
                                Some(c) => value.push(c),
                                None => broken(line),
                            }
                        }
                        labels.push((std::mem::take(&mut key), value));
                    }
                    c if c.is_ascii_alphanumeric() || c == '_' => key.push(c),
                    _ => broken(line),
                }
            }
        }
        let value = rest.trim().parse::<f64>().unwrap_or_else(|_| broken(line));
        samples.push((name.to_string(), labels, value));
    }
    samples
}

#[tokio::test(start_paused = true)]
async fn metrics_escape_an_element_named_with_a_quote() {
    let mut config = fast_config();
    let quoted = "olt \"north\" \\1";
    config.network.regions[0].olts[0].name = quoted.to_string();
    let app = TestApp::start(config);
    completed_order(&app, "quoted").await;
    let (headers, metrics) = app.get_ok("/metrics").await;
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .is_ok_and(|t| t.starts_with("application/openmetrics-text")),
        "{headers:?}"
    );
    let text = metrics.as_str().expect("text");
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert!(text.contains("# TYPE ordersim_pool_free gauge\n"), "{text}");
    let samples = parse_exposition(text);
    let pools: Vec<&Sample> = samples
        .iter()
        .filter(|(name, labels, _)| {
            name == "ordersim_pool_capacity"
                && labels
                    .iter()
                    .any(|(k, v)| k == "pool" && v.contains(quoted))
        })
        .collect();
    assert!(!pools.is_empty(), "the quoted OLT's pools: {text}");
    assert!(
        samples
            .iter()
            .any(|(name, labels, value)| name == "ordersim_orders"
                && labels.contains(&("state".into(), "completed".into()))
                && labels.contains(&("layer".into(), "com".into()))
                && *value == 1.0)
    );
}
