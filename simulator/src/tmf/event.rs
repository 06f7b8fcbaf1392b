//! The TMF event envelope every hub notification and transport report travels in.

use serde_json::{Value, json};

use crate::layers::Event;

/// The TMF event envelope: `{"eventId","eventTime","eventType","event":{"<resource>":{..}}}`.
pub fn envelope(event_id: u64, event_time: String, event: &Event, resource: Value) -> Value {
    let mut payload = serde_json::Map::new();
    payload.insert(event.subject.resource_name().to_string(), resource);
    json!({
        "eventId": event_id.to_string(),
        "eventTime": event_time,
        "eventType": event.event_type(),
        "event": payload,
    })
}
