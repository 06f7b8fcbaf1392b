//! A TMF hub listener on loopback, for clients and tests that follow orders by their events:
//! it accepts event POSTs on `/listener` and passes the (order id, state) of each product order
//! event to a bounded channel. A full channel holds the POST until there is room, so a slow
//! reader slows the hub's delivery (which retries and counts drops) instead of growing memory.

use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::domain::state::OrderState;

/// A running listener.
pub struct OrderEventListener {
    /// The callback URL to register at a hub (`http://127.0.0.1:PORT/listener`).
    pub callback: String,
    /// (product order id, state) of each product order event received, in arrival order.
    pub events: mpsc::Receiver<(String, String)>,
}

/// Starts a listener on 127.0.0.1:0 whose channel holds up to `capacity` events.
pub async fn start(capacity: usize) -> std::io::Result<OrderEventListener> {
    let (sender, events) = mpsc::channel(capacity.max(1));
    let app = axum::Router::new().route(
        "/listener",
        post(move |Json(envelope): Json<Value>| {
            let sender = sender.clone();
            async move {
                if let Some(order) = order_state(&envelope) {
                    let _ = sender.send(order).await;
                }
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(OrderEventListener {
        callback: format!("http://{address}/listener"),
        events,
    })
}

/// Why following product orders could not start.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// The listener could not bind.
    #[error("listener: {0}")]
    Bind(#[from] std::io::Error),
    /// The hub could not be reached.
    #[error("hub: {0}")]
    Hub(#[from] reqwest::Error),
    /// The hub refused the subscription.
    #[error("hub answered {0}")]
    Refused(reqwest::StatusCode),
}

/// Starts a listener (channel of `capacity`) and subscribes it at `hub` (a TMF622 `…/hub`
/// URL) to `ProductOrderStateChangeEvent`s.
pub async fn follow_product_orders(
    client: &reqwest::Client,
    hub: &str,
    capacity: usize,
) -> Result<OrderEventListener, FollowError> {
    let listener = start(capacity).await?;
    let subscription = serde_json::json!({
        "callback": listener.callback,
        "query": "eventType=ProductOrderStateChangeEvent",
    });
    let response = client.post(hub).json(&subscription).send().await?;
    if response.status() != reqwest::StatusCode::CREATED {
        return Err(FollowError::Refused(response.status()));
    }
    Ok(listener)
}

/// Reads `events` until each order of `ids` has reported a terminal state, or `timeout`
/// passed; answers the first terminal state of each, or the ids still open at the timeout.
pub async fn terminal_states(
    events: &mut mpsc::Receiver<(String, String)>,
    ids: impl IntoIterator<Item = String>,
    timeout: std::time::Duration,
) -> Result<BTreeMap<String, String>, Vec<String>> {
    let mut open: BTreeSet<String> = ids.into_iter().collect();
    let mut ended = BTreeMap::new();
    let _ = tokio::time::timeout(timeout, async {
        while !open.is_empty() {
            let Some((id, state)) = events.recv().await else {
                return;
            };
            let terminal = OrderState::parse(&state).is_some_and(OrderState::is_terminal);
            if terminal && open.remove(&id) {
                ended.insert(id, state);
            }
        }
    })
    .await;
    match open.is_empty() {
        true => Ok(ended),
        false => Err(open.into_iter().collect()),
    }
}

/// The (id, state) of the product order an event envelope carries, if it carries one.
pub fn order_state(envelope: &Value) -> Option<(String, String)> {
    let order = envelope.get("event")?.get("productOrder")?;
    let id = order.get("id")?.as_str()?;
    let state = order.get("state")?.as_str()?;
    Some((id.to_string(), state.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_order_events_give_their_id_and_state() {
        let envelope = serde_json::json!({"eventType": "ProductOrderStateChangeEvent",
            "event": {"productOrder": {"id": "PO-3", "state": "failed"}}});
        assert_eq!(
            order_state(&envelope),
            Some(("PO-3".to_string(), "failed".to_string()))
        );
        let other = serde_json::json!({"event": {"serviceOrder": {"id": "SO-1"}}});
        assert_eq!(order_state(&other), None);
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_terminal_state_of_each_order_is_kept_until_all_ended() {
        let (sender, mut events) = mpsc::channel(16);
        for (id, state) in [
            ("PO-1", "inProgress"),
            ("PO-1", "failed"),
            ("PO-1", "completed"),
        ] {
            sender
                .send((id.to_string(), state.to_string()))
                .await
                .unwrap();
        }
        sender
            .send(("PO-2".into(), "completed".into()))
            .await
            .unwrap();
        let ids = ["PO-1".to_string(), "PO-2".to_string()];
        let ended = terminal_states(&mut events, ids, std::time::Duration::from_secs(1)).await;
        let ended = ended.expect("both ended");
        assert_eq!(ended["PO-1"], "failed");
        assert_eq!(ended["PO-2"], "completed");
        let open = terminal_states(
            &mut events,
            ["PO-3".to_string()],
            std::time::Duration::from_secs(1),
        );
        assert_eq!(open.await, Err(vec!["PO-3".to_string()]));
    }
}
