//! Hub delivery over real sockets: a listener on 127.0.0.1:0 subscribes, an order is
//! submitted, and its Create and StateChange events arrive in the TMF envelope (validated
//! against the TMF definitions); a refused delivery is retried; unsubscribing works.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::http_support::{TMF622, TMF641, fast_config, fibre_order, validate};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};
use simulator::http::Server;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// Events the listener received: (path, body).
type Received = mpsc::UnboundedReceiver<(String, Value)>;

#[derive(Clone)]
struct Listener {
    sender: mpsc::UnboundedSender<(String, Value)>,
    /// Answer 503 to this many deliveries before accepting.
    refusals_left: Arc<AtomicU32>,
}

async fn receive(path: &'static str, state: Listener, body: Value) -> StatusCode {
    let refuse = state
        .refusals_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let _ = state.sender.send((path.to_string(), body));
    if refuse {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::NO_CONTENT
    }
}

/// Starts a listener on 127.0.0.1:0 that forwards every POSTed event to the returned channel.
async fn start_listener(refusals: u32) -> (String, Received) {
    let (sender, received) = mpsc::unbounded_channel();
    let state = Listener {
        sender,
        refusals_left: Arc::new(AtomicU32::new(refusals)),
    };
    let router = Router::new()
        .route(
            "/po",
            post(|State(s): State<Listener>, Json(b): Json<Value>| receive("/po", s, b)),
        )
        .route(
            "/so",
            post(|State(s): State<Listener>, Json(b): Json<Value>| receive("/so", s, b)),
        )
        .with_state(state);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (format!("http://{address}"), received)
}

async fn start_server() -> (Server, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let server = Server::start(fast_config(), listener)
        .await
        .expect("starts");
    let base = format!("http://{}", server.local_addr);
    (server, base)
}

async fn subscribe(client: &reqwest::Client, hub: &str, body: Value) -> Value {
    let response = client
        .post(hub)
        .json(&body)
        .send()
        .await
        .expect("hub answers");
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);
    let location = response.headers()[reqwest::header::LOCATION]
        .to_str()
        .expect("ascii")
        .to_string();
    let subscription: Value = response.json().await.expect("json");
    validate(TMF622, "EventSubscription", &subscription);
    assert_eq!(subscription["callback"], body["callback"]);
    assert_eq!(subscription["query"], body["query"]);
    let id = subscription["id"].as_str().expect("id");
    assert_eq!(location, format!("{hub}/{id}"), "an absolute Location");
    let read: Value = client
        .get(&location)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(read, subscription, "GET Location answers the subscription");
    let listed: Value = client
        .get(hub)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert!(
        listed
            .as_array()
            .is_some_and(|all| all.contains(&subscription)),
        "GET hub lists it: {listed}"
    );
    subscription
}

/// Waits (generously) for the next event; never sleeps.
async fn next(received: &mut Received) -> (String, Value) {
    tokio::time::timeout(Duration::from_secs(60), received.recv())
        .await
        .expect("an event within 60 s")
        .expect("listener alive")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_events_reach_subscribers_and_unsubscribe_works() {
    let (server, base) = start_server().await;
    let (callback, mut received) = start_listener(0).await;
    let client = reqwest::Client::new();
    let po_hub = format!("{base}/tmf-api/productOrderingManagement/v4/hub");
    let so_hub = format!("{base}/tmf-api/serviceOrdering/v4/hub");
    let query = "eventType=ProductOrderCreateEvent,ProductOrderStateChangeEvent";
    let po = subscribe(
        &client,
        &po_hub,
        json!({"callback": format!("{callback}/po"), "query": query}),
    )
    .await;
    subscribe(
        &client,
        &so_hub,
        json!({"callback": format!("{callback}/so")}),
    )
    .await;

    let response = client
        .post(format!(
            "{base}/tmf-api/productOrderingManagement/v4/productOrder"
        ))
        .json(&fibre_order("hub-test"))
        .send()
        .await
        .expect("order accepted");
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);
    let order: Value = response.json().await.expect("json");

    let (mut created, mut completed, mut service_order_done) = (false, false, false);
    while !(created && completed && service_order_done) {
        let (path, event) = next(&mut received).await;
        let event_type = event["eventType"].as_str().unwrap_or_default().to_string();
        match (path.as_str(), event_type.as_str()) {
            ("/po", "ProductOrderCreateEvent") => {
                validate(TMF622, "ProductOrderCreateEvent", &event);
                assert_eq!(event["event"]["productOrder"]["id"], order["id"]);
                // Event payloads carry the same absolute href as the API (the listen address).
                assert_eq!(event["event"]["productOrder"]["href"], order["href"]);
                let href = order["href"].as_str().expect("href");
                assert!(href.starts_with(&format!("{base}/tmf-api/")), "{href}");
                created = true;
            }
            ("/po", "ProductOrderStateChangeEvent") => {
                validate(TMF622, "ProductOrderStateChangeEvent", &event);
                completed |= event["event"]["productOrder"]["state"] == "completed";
            }
            ("/so", kind) if kind.starts_with("ServiceOrder") => {
                validate(TMF641, kind, &event);
                service_order_done |= event["event"]["serviceOrder"]["state"] == "completed";
            }
            other => panic!("unexpected event {other:?}: {event}"),
        }
    }
    let stats = server.hub().stats();
    assert!(
        stats.iter().all(|s| s.failed == 0 && s.dropped == 0),
        "{stats:?}"
    );

    let id = po["id"].as_str().expect("id");
    let unsubscribe = client
        .delete(format!("{po_hub}/{id}"))
        .send()
        .await
        .expect("answers");
    assert_eq!(unsubscribe.status(), reqwest::StatusCode::NO_CONTENT);
    let again = client
        .delete(format!("{po_hub}/{id}"))
        .send()
        .await
        .expect("answers");
    assert_eq!(again.status(), reqwest::StatusCode::NOT_FOUND);
    assert!(server.hub().stats().iter().all(|s| s.id != id));
    server.shutdown().await.expect("stops cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_deliveries_are_retried() {
    let (server, base) = start_server().await;
    let (callback, mut received) = start_listener(1).await;
    let client = reqwest::Client::new();
    let hub = format!("{base}/tmf-api/productOrderingManagement/v4/hub");
    let query = "eventType=ProductOrderCreateEvent";
    subscribe(
        &client,
        &hub,
        json!({"callback": format!("{callback}/po"), "query": query}),
    )
    .await;
    let response = client
        .post(format!(
            "{base}/tmf-api/productOrderingManagement/v4/productOrder"
        ))
        .json(&fibre_order("retry"))
        .send()
        .await
        .expect("order accepted");
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);
    let (_, first) = next(&mut received).await;
    let (_, second) = next(&mut received).await;
    assert_eq!(
        first["eventId"], second["eventId"],
        "the same event, delivered again"
    );
    let stats = server.hub().stats();
    assert_eq!(stats[0].retries, 1, "{stats:?}");
    server.shutdown().await.expect("stops cleanly");
}
