//! Issue 11, findings 4 to 6: a service order POSTed directly names only what it owns (no
//! product order, no CFS a product order built), and the audit checks that order states agree
//! with their items and products with their services.

use std::time::Duration;

use crate::http_support::{PRODUCT_ORDER, TestApp, fast_config, fibre_order, validate_error};
use crate::lifecycle_support::{
    add, assert_audit_clean, cancel_urgent, chain_with, change, characteristic, place, product,
    run, submit,
};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use simulator::domain::ids::ProductOrderId;
use simulator::domain::state::{OrderState, ServiceState};
use simulator::layers::common::{Action, Characteristic};
use simulator::layers::som::{ServiceOrderCreate, ServiceOrderItemCreate, SomInput};
use simulator::layers::{Message, Reply};

const SERVICE_ORDER: &str = "/tmf-api/serviceOrdering/v4/serviceOrder";

/// Polls `href` until its state is terminal (time is paused: each sleep lets timers fire).
async fn to_end(app: &TestApp, href: &str) -> Value {
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

async fn post_order(app: &TestApp, body: Value) -> Value {
    let (status, _, created) = app.call(Method::POST, PRODUCT_ORDER, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn audit(app: &TestApp) -> Value {
    app.get_ok("/admin/audit").await.1
}

/// A direct TMF641 order claiming product order `parent`'s item 1 (a fibre access).
fn claim(parent: &str) -> Value {
    json!({
        "externalReference": [{"id": parent, "externalReferenceType": "ProductOrder"}],
        "serviceOrderItem": [{
            "id": "1", "action": "add",
            "service": {"serviceSpecification": {"id": "internet-access"},
                        "relatedEntity": [{"id": "1", "role": "productOrderItem",
                                           "@referredType": "ProductOrderItem"}],
                        "serviceCharacteristic": [{"name": "region", "value": "north"}]}
        }]
    })
}

#[tokio::test(start_paused = true)]
async fn a_direct_service_order_cannot_claim_a_held_product_order() {
    let mut config = fast_config();
    config.chain.held_probability = 1.0;
    config.chain.held_resume_ms = 2_000;
    let app = TestApp::start(config);
    let created = post_order(&app, fibre_order("held")).await;
    let href = created["href"].as_str().expect("href").to_string();
    let id = created["id"].as_str().expect("id").to_string();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(app.get_ok(&href).await.1["state"], "held");

    let (status, _, body) = app
        .call(Method::POST, SERVICE_ORDER, Some(claim(&id)))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    validate_error(&body, 409);
    assert!(body["message"].as_str().unwrap_or_default().contains(&id));

    let order = to_end(&app, &href).await;
    assert_eq!(order["state"], "completed", "{order}");
    assert_eq!(app.chain.com().products().len(), 1, "one item, one product");
    assert_eq!(app.chain.network().allocations().count(), 3);
    let report = audit(&app).await;
    assert_eq!(report["ok"], true, "{report}");
}

/// The service order a client sends SOM directly (behind the HTTP handler's check, as over
/// the HTTP transport): COM does not adopt it while its order is held, and SOM refuses a
/// second service order for a product order that has a live one.
#[test]
fn com_ignores_a_service_order_it_did_not_send_and_som_refuses_a_second_claim() {
    let mut chain = chain_with(|config| {
        config.chain.held_probability = 1.0;
        config.chain.held_resume_ms = 5_000;
    });
    let token = submit(&mut chain, vec![add("1", "fibre-broadband")]);
    let parent = ProductOrderId(1);
    let claim = |chain: &mut simulator::runtime::virtual_time::VirtualChain| {
        let order = ServiceOrderCreate {
            external_id: None,
            parent: Some(parent),
            items: vec![ServiceOrderItemCreate {
                id: "1".to_string(),
                action: Action::Add,
                service_specification: "internet-access".into(),
                service: None,
                parent_item: Some("1".to_string()),
                characteristics: vec![Characteristic {
                    name: "region".into(),
                    value: json!("north"),
                }]
                .into(),
            }],
        };
        chain.submit(|reply| {
            Message::Som(SomInput::Create {
                reply: Some(reply),
                order,
            })
        })
    };
    let foreign = claim(&mut chain);
    let second = claim(&mut chain);
    let mut replies = Vec::new();
    while replies.len() < 2 {
        assert!(chain.step(), "idle before both replies");
        for token in [foreign, second] {
            if let Some(reply) = chain.take_reply(token) {
                replies.push(reply);
            }
        }
    }
    assert!(
        matches!(replies[0], Reply::ServiceOrder(_)),
        "{:?}",
        replies[0]
    );
    assert!(
        matches!(&replies[1], Reply::Rejected(rejection) if rejection.message.contains("already realised")),
        "{:?}",
        replies[1]
    );
    let _ = token;
    chain.run_until_idle();
    assert_audit_clean(&chain);
    let order = chain.layers.com.orders().get(&parent).expect("retained");
    assert_eq!(order.state, OrderState::Completed);
    assert_eq!(
        chain.layers.com.products().len(),
        1,
        "the foreign service order built no product"
    );
}

#[tokio::test(start_paused = true)]
async fn a_direct_delete_of_a_products_service_is_refused_and_the_product_still_ceases() {
    let app = TestApp::start(fast_config());
    let created = post_order(&app, fibre_order("add")).await;
    let order = to_end(&app, created["href"].as_str().expect("href")).await;
    assert_eq!(order["state"], "completed", "{order}");
    let product = order["productOrderItem"][0]["product"]["id"]
        .as_str()
        .expect("product")
        .to_string();
    let cfs = app
        .chain
        .com()
        .products()
        .values()
        .next()
        .expect("one product")
        .services[0]
        .1;
    let delete = json!({"serviceOrderItem": [
        {"id": "1", "action": "delete", "service": {"id": cfs.to_string()}}
    ]});
    let (status, _, body) = app.call(Method::POST, SERVICE_ORDER, Some(delete)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    validate_error(&body, 409);
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&cfs.to_string()) && message.contains("PO-1"),
        "{message}"
    );

    let cease = json!({"productOrderItem": [{
        "id": "1", "action": "delete", "@type": "ProductOrderItem",
        "productOffering": {"id": "fibre-broadband"},
        "product": {"@type": "Product", "id": product}
    }]});
    let created = post_order(&app, cease).await;
    let order = to_end(&app, created["href"].as_str().expect("href")).await;
    assert_eq!(order["state"], "completed", "{order}");
    let report = audit(&app).await;
    assert_eq!(report["ok"], true, "{report}");
}

fn count(chain: &simulator::runtime::virtual_time::VirtualChain, check: &str) -> u64 {
    let report = chain.audit();
    let finding = report.findings.iter().find(|f| f.check == check);
    finding.expect("the check runs").count
}

#[test]
fn the_audit_finds_an_order_whose_state_its_items_do_not_imply() {
    let mut chain = chain_with(|_| {});
    let order = run(&mut chain, vec![add("1", "fibre-broadband")]);
    assert_eq!(order.state, OrderState::Completed);
    assert_eq!(count(&chain, "item_state_disagreement"), 0);
    let service_order = order.service_order.expect("realised");
    chain
        .layers
        .som
        .orders_mut()
        .get_mut(&service_order)
        .expect("retained")
        .state = OrderState::Cancelled;
    chain
        .layers
        .com
        .orders_mut()
        .get_mut(&order.id)
        .expect("retained")
        .state = OrderState::Failed;
    let resource_order = *chain.layers.rom.orders().keys().next().expect("one");
    chain
        .layers
        .rom
        .orders_mut()
        .get_mut(&resource_order)
        .expect("retained")
        .state = OrderState::Partial;
    assert_eq!(count(&chain, "item_state_disagreement"), 3);
}

#[test]
fn the_audit_finds_a_product_whose_service_disagrees() {
    let mut chain = chain_with(|_| {});
    let id = product(&mut chain, "fibre-broadband");
    assert_eq!(count(&chain, "product_service_disagreement"), 0);
    let cfs = chain.layers.inventory.products()[&id].services[0];
    chain
        .layers
        .inventory
        .services_mut()
        .get_mut(&cfs)
        .expect("recorded")
        .state = ServiceState::Terminated;
    assert_eq!(count(&chain, "product_service_disagreement"), 1);
}

/// Issue 11 finding 6 (e.g. SO-78): a service order a cancel ended never shows an item
/// `completed`, at whatever step the cancel arrives: an item built while the order was being
/// cancelled ends cancelled, and one built before shows cancelled once undone.
#[test]
fn cancelled_service_orders_show_no_completed_item() {
    let context = simulator::http::dto::RenderContext {
        clock: simulator::runtime::WallClock {
            epoch: std::time::SystemTime::UNIX_EPOCH,
        },
        topology: None,
        public_url: "http://127.0.0.1:8080",
    };
    let steps = {
        let mut chain = chain_with(|_| {});
        place(&mut chain, vec![add("1", "fibre-broadband")]);
        chain.run_until_idle()
    };
    let mut cancelled = 0;
    for boundary in 0..=steps {
        let mut chain = chain_with(|_| {});
        let id = place(&mut chain, vec![add("1", "fibre-broadband")]);
        for _ in 0..boundary {
            chain.step();
        }
        cancel_urgent(&mut chain, id);
        chain.run_until_idle();
        for order in chain.layers.som.orders().values() {
            if order.state != OrderState::Cancelled {
                continue;
            }
            cancelled += 1;
            let body = simulator::http::dto::service_order::render(order, &context);
            for item in body["serviceOrderItem"].as_array().expect("items") {
                assert_ne!(item["state"], "completed", "boundary {boundary}: {body}");
            }
        }
        assert_audit_clean(&chain);
    }
    assert!(cancelled > 5, "{cancelled} cancelled service orders");
}

/// Issue 11 finding 6: a speed change of a fibre + IPTV product modifies the broadband CFS
/// only. Modifying the IPTV too let one failed speed change end a `partial` service order under
/// a `failed` product order, with the IPTV reconfigured and the product unchanged.
#[test]
fn a_speed_change_leaves_an_add_on_untouched() {
    let mut chain = chain_with(|_| {});
    let id = product(&mut chain, "fibre-broadband");
    let add_on = vec![characteristic("addOn", "iptv")];
    let order = run(
        &mut chain,
        vec![change(Action::Modify, "fibre-broadband", id, add_on)],
    );
    assert_eq!(order.state, OrderState::Completed);
    assert_eq!(
        chain.layers.com.products()[&id].services.len(),
        2,
        "broadband and IPTV"
    );

    let speed = vec![characteristic("downstreamSpeedMbps", 1000)];
    let order = run(
        &mut chain,
        vec![change(Action::Modify, "fibre-broadband", id, speed)],
    );
    assert_eq!(order.state, OrderState::Completed);
    let service_order = &chain.layers.som.orders()[&order.service_order.expect("realised")];
    let specifications: Vec<&str> = service_order
        .items
        .iter()
        .map(|item| &*item.service_specification)
        .collect();
    assert_eq!(specifications, ["internet-access"]);
    assert_audit_clean(&chain);
}

/// Sends `body` to `uri` with an optional `Authorization` value.
async fn post_with(
    app: &TestApp,
    uri: &str,
    body: &Value,
    authorization: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = axum::http::Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header("content-type", "application/json");
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let request = request
        .body(axum::body::Body::from(body.to_string()))
        .expect("request");
    let response = tower::ServiceExt::oneshot(app.router.clone(), request)
        .await
        .expect("infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// With an admin token configured, only the chain's own parent layer (whose transport calls
/// carry the token) may name a parent order: a client cannot claim a product order's or a
/// service order item's place, in the window before the parent's own child order arrives
/// (split mode) or ever. Orders that name no parent stay open to every client.
#[tokio::test(start_paused = true)]
async fn with_a_token_only_the_parent_layer_may_name_a_parent_order() {
    let mut config = fast_config();
    config.access.admin_token = simulator::config::AdminToken::new("s3cret");
    let app = TestApp::start(config);
    let id = post_order(&app, fibre_order("mine")).await["id"]
        .as_str()
        .expect("id")
        .to_string();

    let (status, body) = post_with(&app, SERVICE_ORDER, &claim(&id), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    validate_error(&body, 403);
    assert!(
        body["message"].as_str().unwrap_or_default().contains(&id),
        "{body}"
    );
    // The token passes the edge; SOM's own rule then decides (in-process: 409).
    let bearer = Some("Bearer s3cret");
    let (status, body) = post_with(&app, SERVICE_ORDER, &claim(&id), bearer).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    let resource_order = "/tmf-api/resourceOrderingManagement/v4/resourceOrder";
    let claim_item = json!({
        "externalReference": [{"id": "SO-1/1", "entityType": "ServiceOrderItem"}],
        "orderItem": [{"id": "1", "action": "add", "resourceSpecification": {"id": "onu-slot"},
                       "resource": {"place": {"id": "north", "role": "region"}}}]
    });
    let (status, body) = post_with(&app, resource_order, &claim_item, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    validate_error(&body, 403);
    let mut own = claim_item.clone();
    own["externalReference"] = json!([]);
    let (status, body) = post_with(&app, resource_order, &own, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
