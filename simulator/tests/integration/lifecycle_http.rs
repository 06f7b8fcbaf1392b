//! The order lifecycle over HTTP (the real-time chain behind the router, time paused): each
//! modify kind, delete and noChange, and cancellation at TMF622, TMF641 and TMF652, with every
//! body validated against the official TMF definitions; and the cancel requests' events.

use std::time::Duration;

use crate::http_support::{
    PRODUCT_ORDER, TMF622, TMF641, TMF652, TestApp, fast_config, fibre_order, validate,
    validate_error,
};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use simulator::domain::ids::{
    CancelResourceOrderId, CancelServiceOrderId, ResourceOrderId, ServiceOrderId,
};
use simulator::domain::state::TaskState;
use simulator::domain::time::Time;
use simulator::http::dto::{RenderContext, cancel};
use simulator::http::hub::{envelope, parse_query};
use simulator::layers::rom::CancelResourceOrder;
use simulator::layers::som::CancelServiceOrder;
use simulator::layers::{Api, Event, EventKind, Subject};
use simulator::network::ResourceValue;
use simulator::runtime::WallClock;

const CANCEL_PRODUCT: &str = "/tmf-api/productOrderingManagement/v4/cancelProductOrder";
const SERVICE_ORDER: &str = "/tmf-api/serviceOrdering/v4/serviceOrder";
const CANCEL_SERVICE: &str = "/tmf-api/serviceOrdering/v4/cancelServiceOrder";
const RESOURCE_ORDER: &str = "/tmf-api/resourceOrderingManagement/v4/resourceOrder";
const CANCEL_RESOURCE: &str = "/tmf-api/resourceOrderingManagement/v4/cancelResourceOrder";
const PRODUCT: &str = "/tmf-api/productInventory/v4/product";

const TERMINAL: [&str; 5] = ["completed", "failed", "partial", "cancelled", "rejected"];

/// Polls `href` until `field` is one of `states`; time is paused, so each sleep only lets
/// the chain's timers fire.
async fn until(app: &TestApp, href: &str, field: &str, states: &[&str]) -> Value {
    for _ in 0..10_000 {
        let (_, body) = app.get_ok(href).await;
        if states.contains(&body[field].as_str().unwrap_or_default()) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{href} never reached {states:?}");
}

/// POSTs a product order, expects 201, waits for its end and validates both bodies.
async fn order_to_end(app: &TestApp, body: Value) -> Value {
    let (status, _, created) = app.call(Method::POST, PRODUCT_ORDER, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    validate(TMF622, "ProductOrder", &created);
    assert_eq!(created["state"], "acknowledged");
    let order = until(
        app,
        created["href"].as_str().expect("href"),
        "state",
        &TERMINAL,
    )
    .await;
    validate(TMF622, "ProductOrder", &order);
    order
}

fn change(action: &str, offering: &str, product: &str, characteristics: Value) -> Value {
    json!({
        "@type": "ProductOrder",
        "productOrderItem": [{
            "id": "1",
            "action": action,
            "@type": "ProductOrderItem",
            "productOffering": {"id": offering},
            "product": {"@type": "Product", "id": product, "productCharacteristic": characteristics}
        }]
    })
}

fn add(offering: &str) -> Value {
    let mut body = fibre_order("add");
    body["productOrderItem"][0]["productOffering"]["id"] = json!(offering);
    body
}

/// Adds `offering` and returns the product's id.
async fn product(app: &TestApp, offering: &str) -> String {
    let order = order_to_end(app, add(offering)).await;
    assert_eq!(order["state"], "completed", "{order}");
    order["productOrderItem"][0]["product"]["id"]
        .as_str()
        .expect("the completed item names its product")
        .to_string()
}

fn held(app: &TestApp) -> Vec<ResourceValue> {
    app.chain
        .network()
        .allocations()
        .map(|(_, value)| *value)
        .collect()
}

async fn audit_ok(app: &TestApp) {
    let (_, audit) = app.get_ok("/admin/audit").await;
    assert_eq!(audit["ok"], true, "{audit}");
}

#[tokio::test(start_paused = true)]
async fn speed_change_bundle_no_change_and_delete_over_http() {
    let app = TestApp::start(fast_config());
    let id = product(&app, "fibre-broadband").await;
    let before = held(&app);
    assert_eq!(before.len(), 3);

    let speed = json!([{"name": "downstreamSpeedMbps", "value": 1000}]);
    let order = order_to_end(&app, change("modify", "fibre-broadband", &id, speed)).await;
    assert_eq!(order["state"], "completed", "{order}");
    assert_eq!(order["productOrderItem"][0]["product"]["id"], id.as_str());
    assert_eq!(held(&app), before, "a speed change allocates nothing");
    let (_, record) = app.get_ok(&format!("{PRODUCT}/{id}")).await;
    let speed = record["productCharacteristic"]
        .as_array()
        .expect("characteristics")
        .iter()
        .find(|c| c["name"] == "downstreamSpeedMbps")
        .expect("the speed");
    assert_eq!(speed["value"], 1000, "{record}");

    let add_on = json!([{"name": "addOn", "value": "iptv"}]);
    let order = order_to_end(&app, change("modify", "fibre-broadband", &id, add_on)).await;
    assert_eq!(order["state"], "completed", "{order}");
    let now = held(&app);
    assert_eq!(now.len(), 4);
    assert!(
        now.iter()
            .any(|value| matches!(value, ResourceValue::MulticastVlan { .. })),
        "{now:?}"
    );

    let service_orders = app.chain.som().orders().len();
    let order = order_to_end(&app, change("noChange", "fibre-broadband", &id, json!([]))).await;
    assert_eq!(order["state"], "completed", "{order}");
    assert_eq!(app.chain.som().orders().len(), service_orders, "no work");
    assert_eq!(held(&app).len(), 4);

    let order = order_to_end(&app, change("delete", "fibre-broadband", &id, json!([]))).await;
    assert_eq!(order["state"], "completed", "{order}");
    assert!(held(&app).is_empty(), "every resource released");
    let (_, record) = app.get_ok(&format!("{PRODUCT}/{id}")).await;
    assert_eq!(record["status"], "terminated", "{record}");
    audit_ok(&app).await;
}

#[tokio::test(start_paused = true)]
async fn migration_over_http_moves_dsl_to_fibre() {
    let app = TestApp::start(fast_config());
    let id = product(&app, "dsl-broadband").await;
    assert!(
        held(&app)
            .iter()
            .any(|value| matches!(value, ResourceValue::DslamPort { .. }))
    );
    let order = order_to_end(&app, change("modify", "fibre-broadband", &id, json!([]))).await;
    assert_eq!(order["state"], "completed", "{order}");
    let now = held(&app);
    assert!(
        !now.iter()
            .any(|value| matches!(value, ResourceValue::DslamPort { .. }))
    );
    assert!(
        now.iter()
            .any(|value| matches!(value, ResourceValue::OnuSlot { .. }))
    );
    assert_eq!(now.len(), 3, "ONU slot, VLAN pair, address: {now:?}");
    let (_, record) = app.get_ok(&format!("{PRODUCT}/{id}")).await;
    assert_eq!(
        record["productOffering"]["id"], "fibre-broadband",
        "{record}"
    );
    audit_ok(&app).await;
}

#[tokio::test(start_paused = true)]
async fn changes_of_unknown_or_busy_products_are_refused_at_post() {
    let app = TestApp::start(fast_config());
    for action in ["modify", "delete"] {
        let body = change(action, "fibre-broadband", "P-999", json!([]));
        let (status, _, error) = app.call(Method::POST, PRODUCT_ORDER, Some(body)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
        validate_error(&error, 404);
    }
    let id = product(&app, "fibre-broadband").await;
    let speed = json!([{"name": "downstreamSpeedMbps", "value": 250}]);
    let body = change("modify", "fibre-broadband", &id, speed);
    let (status, _, _) = app.call(Method::POST, PRODUCT_ORDER, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED);
    let body = change("delete", "fibre-broadband", &id, json!([]));
    let (status, _, error) = app.call(Method::POST, PRODUCT_ORDER, Some(body)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    validate_error(&error, 409);
}

#[tokio::test(start_paused = true)]
async fn product_order_cancel_ends_cancelled_and_duplicates_return_the_first() {
    let app = TestApp::start(fast_config());
    let (_, _, created) = app
        .call(Method::POST, PRODUCT_ORDER, Some(fibre_order("c")))
        .await;
    let request = json!({"productOrder": {"id": created["id"]}, "cancellationReason": "moved"});
    let (status, _, first) = app
        .call(Method::POST, CANCEL_PRODUCT, Some(request.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    validate(TMF622, "CancelProductOrder", &first);
    let (status, _, again) = app.call(Method::POST, CANCEL_PRODUCT, Some(request)).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["id"], first["id"], "the first request");
    let href = created["href"].as_str().expect("href");
    let order = until(&app, href, "state", &TERMINAL).await;
    assert_eq!(order["state"], "cancelled", "{order}");
    validate(TMF622, "ProductOrder", &order);
    let done = until(
        &app,
        first["href"].as_str().expect("href"),
        "state",
        &["done"],
    )
    .await;
    validate(TMF622, "CancelProductOrder", &done);
    assert!(done["effectiveCancellationDate"].is_string());
    assert!(held(&app).is_empty());
    assert_eq!(app.chain.com().cancels().len(), 1);

    let completed = order_to_end(&app, fibre_order("done")).await;
    let request = json!({"productOrder": {"id": completed["id"]}});
    let (status, _, error) = app.call(Method::POST, CANCEL_PRODUCT, Some(request)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    validate_error(&error, 409);
    audit_ok(&app).await;
}

#[tokio::test(start_paused = true)]
async fn service_orders_are_cancelled_through_tmf641() {
    let app = TestApp::start(fast_config());
    let request = json!({
        "serviceOrderItem": [{"id": "1", "action": "add", "service": {
            "serviceSpecification": {"id": "internet-access"},
            "serviceCharacteristic": [{"name": "region", "value": "north"}]
        }}]
    });
    let (status, _, order) = app
        .call(Method::POST, SERVICE_ORDER, Some(request.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let cancel = json!({"serviceOrder": {"id": order["id"]}, "cancellationReason": "test"});
    let (status, _, first) = app
        .call(Method::POST, CANCEL_SERVICE, Some(cancel.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    validate(TMF641, "CancelServiceOrder", &first);
    assert_eq!(first["state"], "accepted");
    let (_, _, again) = app.call(Method::POST, CANCEL_SERVICE, Some(cancel)).await;
    assert_eq!(again["id"], first["id"]);
    let href = order["href"].as_str().expect("href");
    let ended = until(&app, href, "state", &TERMINAL).await;
    assert_eq!(ended["state"], "cancelled", "{ended}");
    validate(TMF641, "ServiceOrder", &ended);
    let done = until(
        &app,
        first["href"].as_str().expect("href"),
        "state",
        &["done"],
    )
    .await;
    validate(TMF641, "CancelServiceOrder", &done);
    let (_, list) = app.get_ok(CANCEL_SERVICE).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    for request in list.as_array().expect("array") {
        validate(TMF641, "CancelServiceOrder", request);
    }
    assert!(held(&app).is_empty());

    let (_, _, order) = app.call(Method::POST, SERVICE_ORDER, Some(request)).await;
    let ended = until(
        &app,
        order["href"].as_str().expect("href"),
        "state",
        &TERMINAL,
    )
    .await;
    assert_eq!(ended["state"], "completed");
    let cancel = json!({"serviceOrder": {"id": order["id"]}});
    let (status, _, error) = app.call(Method::POST, CANCEL_SERVICE, Some(cancel)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    validate_error(&error, 409);
    for (body, status) in [
        (json!({"serviceOrder": {"id": "SO-999"}}), 404),
        (json!({"serviceOrder": {"id": "junk"}}), 400),
        (json!({}), 400),
    ] {
        let (got, _, error) = app.call(Method::POST, CANCEL_SERVICE, Some(body)).await;
        assert_eq!(got.as_u16(), status, "{error}");
        validate_error(&error, status);
    }
    let (status, _, error) = app
        .call(Method::GET, &format!("{CANCEL_SERVICE}/CSO-999"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    validate_error(&error, 404);
    audit_ok(&app).await;
}

#[tokio::test(start_paused = true)]
async fn resource_orders_are_cancelled_through_tmf652() {
    let app = TestApp::start(fast_config());
    let (_, _, product_order) = app
        .call(Method::POST, PRODUCT_ORDER, Some(fibre_order("r")))
        .await;
    let mut resource_order = None;
    for _ in 0..1_000 {
        let (_, list) = app.get_ok(RESOURCE_ORDER).await;
        if let Some(order) = list.as_array().and_then(|list| list.first()) {
            resource_order = Some(order.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let resource_order = resource_order.expect("a resource order");
    assert_eq!(resource_order["state"], "inProgress", "{resource_order}");
    let cancel = json!({"resourceOrder": {"id": resource_order["id"]}});
    let (status, _, first) = app
        .call(Method::POST, CANCEL_RESOURCE, Some(cancel.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    validate(TMF652, "CancelResourceOrder", &first);
    let (_, _, again) = app.call(Method::POST, CANCEL_RESOURCE, Some(cancel)).await;
    assert_eq!(again["id"], first["id"]);
    let (_, done) = app.get_ok(first["href"].as_str().expect("href")).await;
    assert_eq!(done["state"], "done", "{done}");
    validate(TMF652, "CancelResourceOrder", &done);
    let href = resource_order["href"].as_str().expect("href");
    let (_, ended) = app.get_ok(href).await;
    assert_eq!(ended["state"], "cancelled");
    validate(TMF652, "ResourceOrder", &ended);
    // The service order did not ask for it: its item fails, and so does the product order.
    let href = product_order["href"].as_str().expect("href");
    let ended = until(&app, href, "state", &TERMINAL).await;
    assert_eq!(ended["state"], "failed", "{ended}");
    validate(TMF622, "ProductOrder", &ended);
    assert_child_cancelled(&ended, resource_order["id"].as_str().expect("id"));
    let (_, list) = app.get_ok(CANCEL_RESOURCE).await;
    for request in list.as_array().expect("array") {
        validate(TMF652, "CancelResourceOrder", request);
    }
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(held(&app).is_empty(), "{:?}", held(&app));
    // The cancelled order answers with its request; a completed one refuses.
    let cancel = json!({"resourceOrder": {"id": resource_order["id"]}});
    let (status, _, again) = app.call(Method::POST, CANCEL_RESOURCE, Some(cancel)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again["id"], first["id"]);
    let completed = order_to_end(&app, fibre_order("done")).await;
    assert_eq!(completed["state"], "completed");
    let (_, list) = app
        .get_ok(&format!("{RESOURCE_ORDER}?state=completed"))
        .await;
    let cancel = json!({"resourceOrder": {"id": list[0]["id"]}});
    let (status, _, error) = app.call(Method::POST, CANCEL_RESOURCE, Some(cancel)).await;
    assert_eq!(status, StatusCode::CONFLICT, "the order completed: {error}");
    validate_error(&error, 409);
    audit_ok(&app).await;
}

/// The order's FailureNote says a child (`child`, by id) was cancelled directly.
fn assert_child_cancelled(order: &Value, child: &str) {
    let notes = order["note"].as_array().expect("a failed order has notes");
    let note = notes
        .iter()
        .find(|note| note["@type"] == "FailureNote")
        .unwrap_or_else(|| panic!("no FailureNote: {order}"));
    assert_eq!(note["code"], "childCancelled", "{note}");
    let text = note["text"].as_str().unwrap_or_default();
    assert!(text.contains(child), "{text}");
}

#[tokio::test(start_paused = true)]
async fn a_product_order_whose_service_order_is_cancelled_directly_says_why() {
    let app = TestApp::start(fast_config());
    let (_, _, product_order) = app
        .call(Method::POST, PRODUCT_ORDER, Some(fibre_order("s")))
        .await;
    let mut service_order = None;
    for _ in 0..1_000 {
        let (_, list) = app.get_ok(SERVICE_ORDER).await;
        if let Some(order) = list.as_array().and_then(|list| list.first()) {
            service_order = Some(order.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let service_order = service_order.expect("a service order");
    let cancel = json!({"serviceOrder": {"id": service_order["id"]}});
    let (status, _, body) = app.call(Method::POST, CANCEL_SERVICE, Some(cancel)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let href = product_order["href"].as_str().expect("href");
    let ended = until(&app, href, "state", &TERMINAL).await;
    assert_eq!(ended["state"], "failed", "{ended}");
    validate(TMF622, "ProductOrder", &ended);
    assert_child_cancelled(&ended, service_order["id"].as_str().expect("id"));
    audit_ok(&app).await;
}

fn context() -> RenderContext<'static> {
    RenderContext {
        clock: WallClock {
            epoch: std::time::SystemTime::UNIX_EPOCH,
        },
        topology: None,
        public_url: "http://127.0.0.1:8080",
    }
}

#[test]
fn cancel_request_bodies_and_events_match_tmf641_and_tmf652() {
    for state in TaskState::ALL {
        let effective = (state == TaskState::Done).then(|| Time::from_millis(40));
        let service = CancelServiceOrder {
            id: CancelServiceOrderId(3),
            order: ServiceOrderId(2),
            state,
            reason: Some("test".into()),
            requested: Time::from_millis(20),
            effective,
        };
        let resource = CancelResourceOrder {
            id: CancelResourceOrderId(4),
            order: ResourceOrderId(5),
            state,
            reason: None,
            requested: Time::from_millis(20),
            effective,
        };
        let rendered = [
            (
                TMF641,
                "CancelServiceOrder",
                Subject::CancelServiceOrder(service.id),
                cancel::render_service(&service, &context()),
            ),
            (
                TMF652,
                "CancelResourceOrder",
                Subject::CancelResourceOrder(resource.id),
                cancel::render_resource(&resource, &context()),
            ),
        ];
        for (spec, definition, subject, body) in rendered {
            validate(spec, definition, &body);
            for kind in [EventKind::Create, EventKind::StateChange] {
                let event = Event {
                    kind,
                    subject,
                    time: Time::from_millis(30),
                };
                let name = event.event_type();
                let wrapped = envelope(1, "2026-01-01T00:00:00Z".into(), &event, body.clone());
                validate(spec, &name, &wrapped);
                parse_query(subject.api(), Some(&format!("eventType={name}")))
                    .expect("the hub of the API serves the event");
            }
        }
    }
    assert_eq!(
        Subject::CancelServiceOrder(CancelServiceOrderId(1)).api(),
        Api::ServiceOrdering
    );
    assert_eq!(
        Subject::CancelResourceOrder(CancelResourceOrderId(1)).api(),
        Api::ResourceOrdering
    );
}
