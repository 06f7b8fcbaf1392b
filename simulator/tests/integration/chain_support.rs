//! What the in-process chain tests share: a fibre order, a sink that forwards product order
//! state changes to the test, and a wait for orders to end.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use simulator::domain::ids::ProductOrderId;
use simulator::layers::com::{ProductOrderCreate, ProductOrderItemCreate};
use simulator::layers::common::{Action, Characteristic};
use simulator::layers::{Event, EventKind, Subject};
use simulator::runtime::{Chain, EventSink};
use tokio::sync::mpsc;

/// Forwards product order state changes to the test.
pub(crate) struct StateChanges(pub(crate) mpsc::UnboundedSender<ProductOrderId>);

impl EventSink for StateChanges {
    fn wants(&self, event: &Event) -> bool {
        event.kind == EventKind::StateChange && matches!(event.subject, Subject::ProductOrder(_))
    }

    fn publish(&self, event: &Event, _resource: Value) {
        if let Subject::ProductOrder(id) = event.subject {
            let _ = self.0.send(id);
        }
    }
}

/// A one-item fibre broadband order in region `north`.
pub(crate) fn fibre() -> ProductOrderCreate {
    ProductOrderCreate {
        external_id: None,
        items: vec![ProductOrderItemCreate {
            id: "1".to_string(),
            action: Action::Add,
            offering: Arc::from("fibre-broadband"),
            product: None,
            characteristics: vec![Characteristic {
                name: "region".into(),
                value: "north".into(),
            }],
        }],
        attributes: None,
    }
}

/// Waits (in paused time, so only while every task is idle) until every order in `open` is
/// terminal; a wedged chain leaves every task idle, so the timeout fires and names the count.
pub(crate) async fn wait_terminal(
    chain: &Chain,
    changes: &mut mpsc::UnboundedReceiver<ProductOrderId>,
    mut open: BTreeSet<ProductOrderId>,
) {
    open.retain(|id| {
        chain
            .com()
            .orders()
            .get(id)
            .is_none_or(|order| !order.state.is_terminal())
    });
    let drained = tokio::time::timeout(Duration::from_secs(600), async {
        while !open.is_empty() {
            let id = changes.recv().await.expect("sink alive");
            if chain
                .com()
                .orders()
                .get(&id)
                .is_some_and(|order| order.state.is_terminal())
            {
                open.remove(&id);
            }
        }
    })
    .await;
    assert!(
        drained.is_ok(),
        "{} orders never ended: the chain wedged ({:?})",
        open.len(),
        chain.stats()
    );
}
