//! TMF630 queries through the router: each filter form (equality, comma and repeated OR,
//! `.gt`-like operators on dates, `.ne`, dotted attributes), `fields` on lists and on GET by id
//! (nested too) in every API, `sort` both ways, and 400 with a TMF Error for what is unknown.

use std::time::Duration;

use crate::http_support::{PRODUCT_ORDER, TestApp, fast_config, fibre_order, validate_error};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

const CANCEL_PRODUCT: &str = "/tmf-api/productOrderingManagement/v4/cancelProductOrder";
const SERVICE_ORDER: &str = "/tmf-api/serviceOrdering/v4/serviceOrder";
const CANCEL_SERVICE: &str = "/tmf-api/serviceOrdering/v4/cancelServiceOrder";
const RESOURCE_ORDER: &str = "/tmf-api/resourceOrderingManagement/v4/resourceOrder";
const CANCEL_RESOURCE: &str = "/tmf-api/resourceOrderingManagement/v4/cancelResourceOrder";

/// Polls `href` until it is terminal (time is paused: each sleep only lets timers fire).
async fn until_terminal(app: &TestApp, href: &str) -> Value {
    for _ in 0..10_000 {
        let (_, order) = app.get_ok(href).await;
        if ["completed", "failed", "partial", "cancelled"]
            .contains(&order["state"].as_str().unwrap_or_default())
        {
            return order;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{href} never ended");
}

async fn post(app: &TestApp, uri: &str, body: Value) -> Value {
    let (status, _, created) = app.call(Method::POST, uri, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn order_to_end(app: &TestApp, body: Value) -> Value {
    let created = post(app, PRODUCT_ORDER, body).await;
    until_terminal(app, created["href"].as_str().expect("href")).await
}

/// Orders q-0 and q-1 add fibre, q-2 deletes q-0's product (all completed), q-3 is cancelled
/// at once; returns them in that order.
async fn four_orders(app: &TestApp) -> Vec<Value> {
    let first = order_to_end(app, fibre_order("q-0")).await;
    let second = order_to_end(app, fibre_order("q-1")).await;
    let product = first["productOrderItem"][0]["product"]["id"].clone();
    let cease = json!({"externalId": "q-2", "productOrderItem": [{"id": "1", "action": "delete",
        "productOffering": {"id": "fibre-broadband"}, "product": {"id": product}}]});
    let third = order_to_end(app, cease).await;
    let fourth = post(app, PRODUCT_ORDER, fibre_order("q-3")).await;
    post(
        app,
        CANCEL_PRODUCT,
        json!({"productOrder": {"id": fourth["id"]}}),
    )
    .await;
    let fourth = until_terminal(app, fourth["href"].as_str().expect("href")).await;
    let states: Vec<&Value> = [&first, &second, &third, &fourth]
        .map(|o| &o["state"])
        .to_vec();
    assert_eq!(states, ["completed", "completed", "completed", "cancelled"]);
    vec![first, second, third, fourth]
}

/// The external ids a list answers, and its `X-Total-Count`.
async fn external_ids(app: &TestApp, query: &str) -> (Vec<String>, usize) {
    let (headers, page) = app.get_ok(&format!("{PRODUCT_ORDER}?{query}")).await;
    let ids = page.as_array().expect("array").iter();
    let ids = ids
        .map(|o| o["externalId"].as_str().unwrap_or("?").to_string())
        .collect();
    let total = headers["x-total-count"]
        .to_str()
        .expect("text")
        .parse()
        .expect("count");
    (ids, total)
}

async fn expect_400(app: &TestApp, uri: &str, naming: &str) {
    let (status, _, body) = app.call(Method::GET, uri, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
    validate_error(&body, 400);
    let message = body["message"].as_str().expect("message");
    assert!(message.contains(naming), "{uri}: {message}");
}

#[tokio::test(start_paused = true)]
async fn every_filter_form_selects_what_it_says() {
    let app = TestApp::start(fast_config());
    let orders = four_orders(&app).await;
    let dates: Vec<&str> = orders
        .iter()
        .map(|o| o["orderDate"].as_str().expect("date"))
        .collect();
    assert!(dates.windows(2).all(|pair| pair[0] < pair[1]), "{dates:?}");
    let cases = [
        ("state=completed", vec!["q-0", "q-1", "q-2"]),
        ("state=cancelled,failed", vec!["q-3"]),
        (
            "state=cancelled;completed",
            vec!["q-0", "q-1", "q-2", "q-3"],
        ),
        ("state=failed&state=cancelled", vec!["q-3"]),
        ("state.ne=completed", vec!["q-3"]),
        ("externalId=q-0,q-2", vec!["q-0", "q-2"]),
        ("externalId.eq=q-1", vec!["q-1"]),
        ("productOrderItem.action=delete", vec!["q-2"]),
        (
            "productOrderItem.action=add&state=completed",
            vec!["q-0", "q-1"],
        ),
        ("productOrderItem.action.ne=add", vec!["q-2"]),
        (
            "productOrderItem.productOffering.id=fibre-broadband&externalId.ne=q-0",
            vec!["q-1", "q-2", "q-3"],
        ),
        (
            &format!("orderDate.gt={}", dates[0]),
            vec!["q-1", "q-2", "q-3"],
        ),
        (
            &format!("orderDate.gte={}&orderDate.lt={}", dates[1], dates[3]),
            vec!["q-1", "q-2"],
        ),
        (&format!("orderDate.lte={}", dates[0]), vec!["q-0"]),
        (&format!("orderDate={}", dates[2]), vec!["q-2"]),
        ("orderDate.gte=2000-01-01", vec!["q-0", "q-1", "q-2", "q-3"]),
        ("orderDate.lt=2000-01-01T00:00:00%2B02:00", vec![]),
    ];
    for (query, expected) in cases {
        let (ids, total) = external_ids(&app, query).await;
        assert_eq!(ids, expected, "{query}");
        assert_eq!(total, expected.len(), "{query}");
    }
    let (ids, total) = external_ids(&app, "state=completed&limit=1&offset=1").await;
    assert_eq!(
        (ids, total),
        (vec!["q-1".to_string()], 3),
        "paged after filtering"
    );
}

#[tokio::test(start_paused = true)]
async fn unknown_attributes_and_operators_are_refused() {
    let app = TestApp::start(fast_config());
    four_orders(&app).await;
    for (query, naming) in [
        ("foo=bar", "`foo`"),
        ("status=completed", "`status`"),
        ("productOrderItem.nope=1", "`productOrderItem.nope`"),
        ("orderDate.regex=2026", "`.regex`"),
        ("orderDate.gt=soon", "`orderDate.gt`"),
        ("state.gt=a", "`state.gt`"),
        ("filter=state%3D%3Dcompleted", "`filter`"),
        ("sort=nope", "`nope`"),
        ("sort=-productOrderItem.nope", "`productOrderItem.nope`"),
        ("fields=nope", "`nope`"),
        ("fields=productOrderItem.nope", "`productOrderItem.nope`"),
    ] {
        expect_400(&app, &format!("{PRODUCT_ORDER}?{query}"), naming).await;
    }
    expect_400(
        &app,
        "/tmf-api/productInventory/v4/product?state=active",
        "`state`",
    )
    .await;
    expect_400(
        &app,
        &format!("{CANCEL_PRODUCT}?externalId=x"),
        "`externalId`",
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn sorts_ascending_descending_and_by_several_keys() {
    let app = TestApp::start(fast_config());
    four_orders(&app).await;
    for (query, expected, total) in [
        ("sort=externalId", vec!["q-0", "q-1", "q-2", "q-3"], 4),
        ("sort=-externalId", vec!["q-3", "q-2", "q-1", "q-0"], 4),
        ("sort=-orderDate&limit=2", vec!["q-3", "q-2"], 4),
        ("sort=-orderDate&limit=2&offset=2", vec!["q-1", "q-0"], 4),
        (
            "sort=-productOrderItem.action,-externalId&state=completed",
            vec!["q-2", "q-1", "q-0"],
            3,
        ),
        (
            "sort=state,%2BexternalId",
            vec!["q-3", "q-0", "q-1", "q-2"],
            4,
        ),
    ] {
        let (ids, count) = external_ids(&app, query).await;
        assert_eq!(ids, expected, "{query}");
        assert_eq!(count, total, "{query}");
    }
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect()
}

#[tokio::test(start_paused = true)]
async fn fields_select_on_lists_and_by_id_nested_too() {
    let app = TestApp::start(fast_config());
    let orders = four_orders(&app).await;
    let href = orders[0]["href"].as_str().expect("href");
    let (_, one) = app.get_ok(&format!("{href}?fields=state")).await;
    assert_eq!(one, json!({"id": orders[0]["id"], "state": "completed"}));
    let (_, one) = app
        .get_ok(&format!("{href}?fields=productOrderItem.state,externalId"))
        .await;
    assert_eq!(
        one,
        json!({"id": orders[0]["id"], "externalId": "q-0",
        "productOrderItem": [{"id": "1", "state": "completed"}]})
    );
    let (_, page) = app
        .get_ok(&format!(
            "{PRODUCT_ORDER}?fields=productOrderItem.action&sort=-externalId&limit=1"
        ))
        .await;
    assert_eq!(
        page,
        json!([{"id": orders[3]["id"], "productOrderItem": [{"id": "1", "action": "add"}]}])
    );

    let service_order = post(
        &app,
        SERVICE_ORDER,
        json!({"serviceOrderItem": [{"id": "1", "action": "add",
        "service": {"serviceSpecification": {"id": "internet-access"},
                    "serviceCharacteristic": [{"name": "region", "value": "north"}]}}]}),
    )
    .await;
    post(
        &app,
        CANCEL_SERVICE,
        json!({"serviceOrder": {"id": service_order["id"]}}),
    )
    .await;
    until_terminal(&app, service_order["href"].as_str().expect("href")).await;
    let (_, page) = app
        .get_ok(&format!(
            "{SERVICE_ORDER}?fields=serviceOrderItem.state&limit=1"
        ))
        .await;
    let item = &page[0]["serviceOrderItem"][0];
    assert_eq!(keys(item), ["id", "state"], "{page}");

    // Every collection: its first entity by id with `fields=<its state attribute>` answers
    // exactly `id` and that attribute; an unknown field is refused before the lookup.
    for (collection, attribute) in [
        (PRODUCT_ORDER, "state"),
        (CANCEL_PRODUCT, "state"),
        (SERVICE_ORDER, "state"),
        (CANCEL_SERVICE, "state"),
        (RESOURCE_ORDER, "state"),
        (
            "/tmf-api/ServiceActivationAndConfiguration/v4/service",
            "state",
        ),
        ("/tmf-api/productInventory/v4/product", "status"),
        ("/tmf-api/serviceInventory/v4/service", "state"),
        ("/tmf-api/resourceInventory/v4/resource", "resourceStatus"),
        (
            "/tmf-api/productCatalogManagement/v4/productOffering",
            "lifecycleStatus",
        ),
        (
            "/tmf-api/productCatalogManagement/v4/productSpecification",
            "lifecycleStatus",
        ),
        (
            "/tmf-api/serviceCatalogManagement/v4/serviceSpecification",
            "lifecycleStatus",
        ),
        (
            "/tmf-api/resourceCatalogManagement/v4/resourceSpecification",
            "lifecycleStatus",
        ),
    ] {
        let (_, list) = app
            .get_ok(&format!("{collection}?fields={attribute}"))
            .await;
        let first = &list
            .as_array()
            .expect("array")
            .first()
            .unwrap_or_else(|| panic!("{collection} empty"));
        assert_eq!(keys(first), ["id", attribute], "{collection}");
        let uri = format!("{collection}/{}", first["id"].as_str().expect("id"));
        let (_, one) = app.get_ok(&format!("{uri}?fields={attribute}")).await;
        assert_eq!(&one, *first, "{uri}");
        expect_400(&app, &format!("{uri}?fields=nope"), "`nope`").await;
        expect_400(&app, &format!("{uri}?{attribute}=x"), "only `fields`").await;
    }
    expect_400(
        &app,
        &format!("{CANCEL_RESOURCE}/CRO-1?fields=nope"),
        "`nope`",
    )
    .await;
}

/// The inventories and catalogs have no spec file here: every attribute they render is one
/// a filter may name (so no rendered attribute answers 400).
#[tokio::test(start_paused = true)]
async fn every_rendered_attribute_of_the_unspecified_apis_is_filterable() {
    let app = TestApp::start(fast_config());
    four_orders(&app).await;
    for collection in [
        "/tmf-api/productInventory/v4/product",
        "/tmf-api/serviceInventory/v4/service",
        "/tmf-api/resourceInventory/v4/resource",
        "/tmf-api/productCatalogManagement/v4/productOffering",
        "/tmf-api/productCatalogManagement/v4/productSpecification",
        "/tmf-api/serviceCatalogManagement/v4/serviceSpecification",
        "/tmf-api/resourceCatalogManagement/v4/resourceSpecification",
    ] {
        let (_, list) = app.get_ok(collection).await;
        let first = list[0].as_object().expect("an entity").clone();
        for key in first.keys() {
            let key = key.replace('@', "%40");
            app.get_ok(&format!("{collection}?{key}.ne=zzz&sort={key}"))
                .await;
        }
    }
}
