//! A TMF hub listener on loopback, for clients and tests that follow orders by their events:
//! it accepts event POSTs on `/listener` and passes the (order id, state) of each product order
//! event to a bounded channel. A full channel holds the POST until there is room, so a slow
//! reader slows the hub's delivery (which retries and counts drops) instead of growing memory.

use axum::Json;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::Value;
use tokio::sync::mpsc;

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
}
