//! What a client writes is what it reads back: a TMF622 product order and a TMF641 service
//! order POSTed with every writable attribute of `ProductOrder_Create` / `ServiceOrder_Create`
//! (item-level ones and characteristic `valueType` included) answer them on POST, GET, in the
//! list (where a filter on them matches) and in their events, every body valid against the
//! official schemas; PATCH changes them. And `noChange` of a product that is not in service is
//! refused like `modify`.

use std::time::Duration;

use crate::http_support::{
    PRODUCT_ORDER, TMF622, TMF641, TestApp, fast_config, validate, validate_error,
};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use simulator::domain::ids::{ProductOrderId, ServiceOrderId};
use simulator::http::hub::envelope;
use simulator::layers::{Event, EventKind, Subject};
use simulator::runtime::Snapshot;

const SERVICE_ORDER: &str = "/tmf-api/serviceOrdering/v4/serviceOrder";

/// Asserts that everything in `expected` is in `actual` (objects: each key, recursively;
/// arrays: same length, element by element; anything else: equal).
pub(crate) fn assert_kept(actual: &Value, expected: &Value, path: &str) {
    match (actual, expected) {
        (Value::Object(actual), Value::Object(expected)) => {
            for (key, value) in expected {
                let found = actual
                    .get(key)
                    .unwrap_or_else(|| panic!("{path}.{key} is missing"));
                assert_kept(found, value, &format!("{path}.{key}"));
            }
        }
        (Value::Array(actual), Value::Array(expected)) => {
            assert_eq!(actual.len(), expected.len(), "{path}: {actual:?}");
            for (index, (found, value)) in actual.iter().zip(expected).enumerate() {
                assert_kept(found, value, &format!("{path}[{index}]"));
            }
        }
        _ => assert_eq!(actual, expected, "{path}"),
    }
}

fn reference(id: &str) -> Value {
    json!({"id": id, "name": format!("{id} name"), "@referredType": "Thing"})
}

fn price() -> Value {
    json!({"priceType": "recurring", "recurringChargePeriod": "month", "name": "monthly",
           "price": {"taxIncludedAmount": {"unit": "EUR", "value": 39.9}}})
}

/// A `ProductOrder_Create` that sets every writable attribute.
pub(crate) fn full_product_order() -> Value {
    json!({
        "externalId": "attrs-1", "@type": "ProductOrder", "@baseType": "ProductOrder",
        "@schemaLocation": "https://example.com/ProductOrder.schema.json",
        "description": "fibre for flat 3", "priority": "1", "category": "B2C",
        "notificationContact": "ops@example.com",
        "requestedStartDate": "2026-03-01T08:00:00Z",
        "requestedCompletionDate": "2026-03-02T17:30:00.250+01:00",
        "cancellationDate": "2026-04-01T00:00:00Z", "cancellationReason": "only if late",
        "relatedParty": [{"id": "C-42", "name": "Ada", "role": "customer",
                          "@referredType": "Individual", "@type": "RelatedParty"}],
        "note": [{"id": "n1", "author": "Ada", "date": "2026-02-28T12:00:00Z",
                  "text": "ring twice", "@type": "Note"}],
        "channel": [{"id": "web", "name": "Web shop", "role": "sales"}],
        "billingAccount": reference("BA-7"),
        "agreement": [reference("AG-1")],
        "payment": [reference("PAY-1")],
        "quote": [reference("Q-1")],
        "productOfferingQualification": [reference("POQ-1")],
        "orderTotalPrice": [price()],
        "productOrderItem": [product_order_item()],
    })
}

fn product_order_item() -> Value {
    let product = json!({
        "@type": "Product", "name": "Fibre 500", "description": "home fibre",
        "isBundle": false, "isCustomerVisible": true, "productSerialNumber": "SN-1",
        "startDate": "2026-03-01T08:00:00Z", "terminationDate": "2028-03-01T08:00:00Z",
        "productSpecification": reference("fibre-spec"),
        "billingAccount": reference("BA-7"),
        "relatedParty": [{"id": "C-42", "role": "user", "@referredType": "Individual"}],
        "place": [{"id": "PL-1", "role": "installation"}],
        "productRelationship": [{"relationshipType": "bundled", "product": {"id": "P-99"}}],
        "productCharacteristic": [
            {"name": "region", "valueType": "string", "value": "north"},
            {"name": "downstreamSpeedMbps", "valueType": "integer", "value": 500}
        ]
    });
    json!({
        "id": "1", "action": "add", "@type": "ProductOrderItem",
        "@baseType": "ProductOrderItem", "quantity": 1,
        "appointment": {"id": "AP-1", "description": "install", "@referredType": "Appointment"},
        "billingAccount": reference("BA-7"),
        "payment": [reference("PAY-1")],
        "qualification": [reference("POQ-1")],
        "itemPrice": [price()], "itemTotalPrice": [price()],
        "itemTerm": [{"name": "12 months", "duration": {"amount": 12, "units": "month"}}],
        "productOrderItemRelationship": [{"id": "0", "relationshipType": "reliesOn"}],
        "quoteItem": {"id": "1", "quoteId": "Q-1"},
        "productOfferingQualificationItem": {"id": "1", "productOfferingQualificationId": "POQ-1"},
        "productOffering": {"id": "fibre-broadband"},
        "product": product,
    })
}

/// A `ServiceOrder_Create` that sets every writable attribute.
pub(crate) fn full_service_order() -> Value {
    json!({
        "externalId": "attrs-so", "@type": "ServiceOrder", "description": "direct order",
        "priority": "2", "category": "wholesale", "notificationContact": "noc@example.com",
        "requestedStartDate": "2026-03-01T08:00:00Z",
        "requestedCompletionDate": "2026-03-03T08:00:00Z",
        "relatedParty": [{"id": "C-42", "role": "customer", "@referredType": "Individual",
                          "@type": "RelatedParty"}],
        "note": [{"text": "wholesale trial", "author": "noc"}],
        "externalReference": [{"id": "T-9", "name": "ticket 9",
                               "externalReferenceType": "TroubleTicket"}],
        "orderRelationship": [{"id": "SO-77", "relationshipType": "follows",
                               "@referredType": "ServiceOrder"}],
        "serviceOrderItem": [{
            "id": "1", "action": "add", "@type": "ServiceOrderItem", "quantity": 1,
            "appointment": {"id": "AP-2"},
            "serviceOrderItemRelationship": [{"relationshipType": "reliesOn",
                                              "orderItem": {"id": "0", "itemId": "0"}}],
            "service": {
                "@type": "Service", "name": "internet 500", "description": "access",
                "category": "CFS", "serviceType": "internet", "startMode": "automatically",
                "isBundle": false, "startDate": "2026-03-01T08:00:00Z",
                "endDate": "2028-03-01T08:00:00Z",
                "relatedParty": [{"id": "C-42", "role": "user", "@referredType": "Individual",
                                  "@type": "RelatedParty"}],
                "note": [{"text": "port 3"}],
                "place": [{"id": "PL-1", "role": "installation"}],
                "serviceSpecification": {"id": "internet-access"},
                "serviceCharacteristic": [
                    {"name": "region", "valueType": "string", "value": "north"}
                ]
            }
        }]
    })
}

/// Polls `href` until the order is terminal; time is paused, so each sleep only lets the
/// chain's timers fire.
async fn until_terminal(app: &TestApp, href: &str) -> Value {
    for _ in 0..10_000 {
        let (_, body) = app.get_ok(href).await;
        let state = body["state"].as_str().unwrap_or_default();
        if ["completed", "failed", "partial", "cancelled", "rejected"].contains(&state) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{href} never ended");
}

fn event(app: &TestApp, subject: Subject, resource: Value) -> Value {
    let kind = EventKind::Create;
    let time = simulator::domain::time::Time::ZERO;
    let event = Event {
        kind,
        subject,
        time,
    };
    envelope(1, app.chain.clock().rfc3339(time), &event, resource)
}

#[tokio::test(start_paused = true)]
async fn product_orders_keep_every_writable_attribute() {
    let app = TestApp::start(fast_config());
    let request = full_product_order();
    validate(TMF622, "ProductOrder_Create", &request);
    let (status, _, created) = app
        .call(Method::POST, PRODUCT_ORDER, Some(request.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    validate(TMF622, "ProductOrder", &created);
    assert_kept(&created, &request, "POST");
    let ended = until_terminal(&app, created["href"].as_str().expect("href")).await;
    assert_eq!(ended["state"], "completed", "{ended}");
    validate(TMF622, "ProductOrder", &ended);
    assert_kept(&ended, &request, "GET");

    let (_, list) = app
        .get_ok(&format!("{PRODUCT_ORDER}?category=B2C&priority=1"))
        .await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    validate(TMF622, "ProductOrder", &list[0]);
    assert_kept(&list[0], &request, "list");
    let (_, none) = app.get_ok(&format!("{PRODUCT_ORDER}?category=B2B")).await;
    assert_eq!(none, json!([]));

    let id: ProductOrderId = created["id"].as_str().expect("id").parse().expect("an id");
    let subject = Subject::ProductOrder(id);
    let payload = app
        .chain
        .com()
        .snapshot(&subject, &app.chain.clock(), app.chain.public_url())
        .expect("the order");
    let event = event(&app, subject, payload);
    validate(TMF622, "ProductOrderCreateEvent", &event);
    assert_kept(&event["event"]["productOrder"], &request, "event");
}

#[tokio::test(start_paused = true)]
async fn product_order_patch_merges_header_attributes() {
    let app = TestApp::start(fast_config());
    let (_, _, created) = app
        .call(Method::POST, PRODUCT_ORDER, Some(full_product_order()))
        .await;
    let href = created["href"].as_str().expect("href");
    let patch = json!({"category": "B2B", "note": [{"text": "call first"}],
                       "requestedStartDate": "2026-03-05T08:00:00Z"});
    let (status, _, patched) = app.call(Method::PATCH, href, Some(patch.clone())).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    validate(TMF622, "ProductOrder", &patched);
    let (_, order) = app.get_ok(href).await;
    assert_kept(&order, &patch, "PATCH");
    assert_eq!(order["description"], "fibre for flat 3", "the rest stays");
    for refused in [
        json!({"orderRelationship": []}),
        json!({"requestedStartDate": "tomorrow"}),
        json!({"note": [{"author": "no text"}]}),
    ] {
        let (status, _, error) = app.call(Method::PATCH, href, Some(refused)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        validate_error(&error, 400);
    }
}

#[tokio::test(start_paused = true)]
async fn service_orders_keep_every_writable_attribute() {
    let app = TestApp::start(fast_config());
    let request = full_service_order();
    validate(TMF641, "ServiceOrder_Create", &request);
    let (status, _, created) = app
        .call(Method::POST, SERVICE_ORDER, Some(request.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    validate(TMF641, "ServiceOrder", &created);
    assert_kept(&created, &request, "POST");
    let ended = until_terminal(&app, created["href"].as_str().expect("href")).await;
    validate(TMF641, "ServiceOrder", &ended);
    assert_kept(&ended, &request, "GET");
    let (_, list) = app
        .get_ok(&format!("{SERVICE_ORDER}?category=wholesale"))
        .await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_kept(&list[0], &request, "list");

    let id: ServiceOrderId = created["id"].as_str().expect("id").parse().expect("an id");
    let subject = Subject::ServiceOrder(id);
    let payload = app
        .chain
        .som()
        .snapshot(&subject, &app.chain.clock(), app.chain.public_url())
        .expect("the order");
    let event = event(&app, subject, payload);
    validate(TMF641, "ServiceOrderCreateEvent", &event);
    assert_kept(&event["event"]["serviceOrder"], &request, "event");

    let href = created["href"].as_str().expect("href");
    let patch = json!({"description": "renamed", "externalReference": [{"name": "ticket 10"}]});
    let (status, _, patched) = app.call(Method::PATCH, href, Some(patch.clone())).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_kept(&patched, &patch, "PATCH");
    let (status, _, error) = app
        .call(Method::PATCH, href, Some(json!({"channel": []})))
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "TMF641 has no channel: {error}"
    );
}

fn change(action: &str, product: &str) -> Value {
    json!({"productOrderItem": [{"id": "1", "action": action,
        "productOffering": {"id": "fibre-broadband"}, "product": {"id": product}}]})
}

#[tokio::test(start_paused = true)]
async fn no_change_of_a_product_not_in_service_is_not_found() {
    let app = TestApp::start(fast_config());
    let (status, _, error) = app
        .call(
            Method::POST,
            PRODUCT_ORDER,
            Some(change("noChange", "P-999")),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "never existed: {error}");
    validate_error(&error, 404);

    let (_, _, added) = app
        .call(
            Method::POST,
            PRODUCT_ORDER,
            Some(crate::http_support::fibre_order("x")),
        )
        .await;
    let added = until_terminal(&app, added["href"].as_str().expect("href")).await;
    let product = added["productOrderItem"][0]["product"]["id"]
        .as_str()
        .expect("a product")
        .to_string();
    let (status, _, kept) = app
        .call(
            Method::POST,
            PRODUCT_ORDER,
            Some(change("noChange", &product)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "in service: {kept}");
    until_terminal(&app, kept["href"].as_str().expect("href")).await;
    let (_, _, ceased) = app
        .call(
            Method::POST,
            PRODUCT_ORDER,
            Some(change("delete", &product)),
        )
        .await;
    let ceased = until_terminal(&app, ceased["href"].as_str().expect("href")).await;
    assert_eq!(ceased["state"], "completed", "{ceased}");
    let (status, _, error) = app
        .call(
            Method::POST,
            PRODUCT_ORDER,
            Some(change("noChange", &product)),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "ceased: {error}");
    validate_error(&error, 404);
}
