//! Hub delivery keeps each order's events in order: a listener subscribes to product order
//! create and state change events, 1,000 orders are sent at a fixed rate through the served
//! API, and every order's states must arrive as a legal path of the TMF622 state machine
//! (acknowledged first, one terminal state last, every step a transition the table allows).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;
use simulator::domain::state::{Machine, OrderEvent, OrderState, order_next};
use simulator::http::Server;
use simulator::http::listener;
use tokio::net::TcpListener;

use crate::http_support::{fast_config, fibre_order};

const ORDERS: usize = 1_000;
/// One order sent every this often (1,000 orders a second).
const SEND_INTERVAL: Duration = Duration::from_millis(1);

/// Whether one TMF622 transition leads from `from` to `to`.
fn legal_step(from: OrderState, to: OrderState) -> bool {
    OrderEvent::ALL
        .iter()
        .any(|event| order_next(Machine::ProductOrder, from, *event) == Ok(to))
}

/// Why `states` (one order's states in arrival order) is not a legal ordered path, if it is not.
fn path_error(states: &[String]) -> Option<String> {
    let parsed: Vec<OrderState> = match states.iter().map(|s| OrderState::parse(s)).collect() {
        Some(parsed) => parsed,
        None => return Some("an unknown state".into()),
    };
    if parsed.first() != Some(&OrderState::Acknowledged) {
        return Some("does not start acknowledged".into());
    }
    let Some(last) = parsed.last() else {
        return Some("no events".into());
    };
    if !last.is_terminal() {
        return Some("does not end in a terminal state".into());
    }
    parsed
        .windows(2)
        .find(|pair| !legal_step(pair[0], pair[1]))
        .map(|pair| {
            format!(
                "{} → {} is not a transition",
                pair[0].as_str(),
                pair[1].as_str()
            )
        })
}

#[test]
fn the_path_check_refuses_inversions() {
    let path = |states: &[&str]| states.iter().map(ToString::to_string).collect::<Vec<_>>();
    assert_eq!(
        path_error(&path(&["acknowledged", "inProgress", "completed"])),
        None
    );
    for bad in [
        &["acknowledged", "completed", "inProgress"][..],
        &["inProgress", "acknowledged", "completed"],
        &["acknowledged", "inProgress"],
        &["acknowledged", "completed"],
    ] {
        assert!(path_error(&path(bad)).is_some(), "{bad:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_order_s_events_arrive_in_order() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    // This test is about the order of events, not admission: on a loaded CI machine 1,000
    // orders a second can fill the default 256-message inboxes, and a shed order (503) would
    // fail it for a reason the overload tests cover.
    let mut config = fast_config();
    config.limits.inbox_capacity = 65_536;
    let server = Server::start(config, listener).await.expect("starts");
    let base = format!(
        "http://{}/tmf-api/productOrderingManagement/v4",
        server.local_addr
    );
    let mut events = listener::start(4 * ORDERS).await.expect("listener starts");
    let client = reqwest::Client::new();
    let subscription = json!({
        "callback": events.callback,
        "query": "eventType=ProductOrderCreateEvent,ProductOrderStateChangeEvent",
    });
    let response = client
        .post(format!("{base}/hub"))
        .json(&subscription)
        .send()
        .await
        .expect("hub answers");
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);

    let sender = tokio::spawn({
        let (client, base) = (client.clone(), base.clone());
        async move {
            let mut ticks = tokio::time::interval(SEND_INTERVAL);
            let mut sends = tokio::task::JoinSet::new();
            for n in 0..ORDERS {
                ticks.tick().await;
                let request = client
                    .post(format!("{base}/productOrder"))
                    .json(&fibre_order(&format!("order-{n}")));
                sends.spawn(async move { request.send().await.map(|r| r.status()) });
            }
            let statuses = sends.join_all().await;
            let refused: Vec<String> = statuses
                .iter()
                .filter(|s| !s.as_ref().is_ok_and(|s| *s == reqwest::StatusCode::CREATED))
                .map(|s| format!("{s:?}"))
                .collect();
            assert!(refused.is_empty(), "every order is accepted: {refused:?}");
        }
    });

    let mut paths: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut ended = std::collections::BTreeSet::new();
    while ended.len() < ORDERS {
        let (id, state) = tokio::time::timeout(Duration::from_secs(60), events.events.recv())
            .await
            .expect("an event within 60 s")
            .expect("listener alive");
        if OrderState::parse(&state).is_some_and(OrderState::is_terminal) {
            ended.insert(id.clone());
        }
        paths.entry(id).or_default().push(state);
    }
    sender.await.expect("sender ends");
    assert_eq!(paths.len(), ORDERS);
    let broken: Vec<String> = paths
        .iter()
        .filter_map(|(id, states)| path_error(states).map(|why| format!("{id} {states:?}: {why}")))
        .collect();
    assert!(
        broken.is_empty(),
        "{} of {ORDERS} orders out of order, e.g. {:?}",
        broken.len(),
        &broken[..broken.len().min(5)]
    );
    let stats = server.hub().stats();
    assert!(
        stats.iter().all(|s| s.dropped == 0 && s.failed == 0),
        "{stats:?}"
    );
    server.shutdown().await.expect("stops cleanly");
}
