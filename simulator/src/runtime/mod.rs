//! Runtimes carry out the layers' effects.
//!
//! [`realtime`] is the default: each layer a tokio task with an inbox (admission-bounded), real time, timers
//! on tokio's clock. Everything the HTTP API needs from a running chain goes through
//! [`Chain`]: send a request and wait for the reply, read a layer's store, and the
//! configuration. Events leave through an [`EventSink`] (the hubs); their bodies are rendered by
//! the layer's [`Snapshot`] impl at the moment they are published. What the layers observe
//! (order durations, element latencies) is counted in [`latency::Latencies`].

pub mod clock;
mod inbox;
pub mod latency;
pub mod realtime;
mod timer;
pub mod transport;
pub mod virtual_time;

use serde_json::Value;

use crate::layers::{Event, Subject};

pub use clock::WallClock;
pub use latency::Latencies;
pub use realtime::{Chain, ChainStats};

/// Where published events go (the TMF hubs).
pub trait EventSink: Send + Sync + 'static {
    /// Whether anyone listens for this event; when not, its body is not rendered.
    fn wants(&self, event: &Event) -> bool;
    /// Publishes the event with its rendered TMF body (the `event` payload's resource).
    fn publish(&self, event: &Event, resource: Value);
}

/// A sink that drops everything (benchmarks, tests of the core).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoEvents;

impl EventSink for NoEvents {
    fn wants(&self, _event: &Event) -> bool {
        false
    }
    fn publish(&self, _event: &Event, _resource: Value) {}
}

/// Renders the TMF JSON of an entity a layer holds, for event payloads.
pub trait Snapshot {
    /// The JSON of `subject` as it is now, or `None` when this layer does not hold it; its
    /// hrefs start with `public_url`.
    fn snapshot(&self, subject: &Subject, clock: &WallClock, public_url: &str) -> Option<Value>;
}
