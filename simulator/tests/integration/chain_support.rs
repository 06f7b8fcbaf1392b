//! What the in-process chain tests share: a fibre order and a sink that forwards product
//! order state changes to the test.

use std::sync::Arc;

use serde_json::Value;
use simulator::domain::ids::ProductOrderId;
use simulator::layers::com::{ProductOrderCreate, ProductOrderItemCreate};
use simulator::layers::common::{Action, Characteristic};
use simulator::layers::{Event, EventKind, Subject};
use simulator::runtime::EventSink;
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
