//! The TMF event envelope every hub notification and transport report travels in:
//! `{"eventId","eventTime","eventType","event":{"<resource>":{..}}}` (TMF688 `Event`).

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;

use crate::layers::Event;

/// A TMF event as it is sent: serialised straight to bytes, the resource borrowed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventEnvelope<'a> {
    /// The hub's sequence number, as a string.
    pub event_id: String,
    /// When the event happened (`date-time`).
    pub event_time: String,
    /// E.g. `ServiceOrderStateChangeEvent`.
    pub event_type: String,
    /// `{"<resource>": resource}`.
    pub event: EventPayload<'a>,
}

/// The `event` object: one resource under its TMF name (e.g. `serviceOrder`).
#[derive(Debug)]
pub struct EventPayload<'a> {
    /// The resource's TMF name.
    pub name: &'static str,
    /// The resource's JSON.
    pub resource: &'a Value,
}

impl Serialize for EventPayload<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.name, self.resource)?;
        map.end()
    }
}

impl<'a> EventEnvelope<'a> {
    /// The envelope of `event` carrying `resource`.
    pub fn new(event_id: u64, event_time: String, event: &Event, resource: &'a Value) -> Self {
        EventEnvelope {
            event_id: event_id.to_string(),
            event_time,
            event_type: event.event_type(),
            event: EventPayload {
                name: event.subject.resource_name(),
                resource,
            },
        }
    }
}

/// The envelope as a JSON value (what a listener receives).
pub fn envelope(event_id: u64, event_time: String, event: &Event, resource: Value) -> Value {
    let envelope = EventEnvelope::new(event_id, event_time, event, &resource);
    serde_json::to_value(&envelope).unwrap_or(Value::Null)
}

/// The body of `POST /hub` (TMF `EventSubscriptionInput`): what a client of a hub sends, the
/// HTTP transport's subscriptions included.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
pub struct EventSubscriptionInput {
    /// Where to POST events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
    /// `eventType=A,B`, or absent for every event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
}
