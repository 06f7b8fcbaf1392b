//! The chain's layers and the one protocol they speak.
//!
//! Each layer is a deterministic state machine: [`Layer::handle`] takes one input, the current
//! [`Time`] and the layer's RNG, changes the layer's own store, and pushes [`Effect`]s. It reads
//! no clock, spawns nothing and does no I/O; a runtime carries the effects out. A layer talks to
//! another only by sending it a [`Message`] that mirrors that layer's TMF contract (create an
//! order, a state-change event of an order it created); no layer reads another layer's store.
//!
//! | layer        | TMF API      | input           |
//! |--------------|--------------|-----------------|
//! | `com`        | TMF622       | [`com::ComInput`] |
//! | `som`        | TMF641       | [`som::SomInput`] |
//! | `rom`        | TMF652       | [`rom::RomInput`] |
//! | `activation` | TMF640       | [`activation::ActivationInput`] |
//! | `network`    | elements     | [`crate::network::NetworkInput`] |
//! | `inventory`  | TMF637/8/9   | [`inventory::InventoryInput`] |

pub mod activation;
pub mod attributes;
pub mod com;
pub mod common;
pub mod failure;
pub mod history;
pub mod inventory;
pub mod rom;
pub mod set;
pub mod som;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod watchdog;

use serde::Serialize;

use crate::domain::ids::{
    ActivationId, CancelProductOrderId, CancelResourceOrderId, CancelServiceOrderId,
    ProductOrderId, ResourceOrderId, ServiceOrderId,
};
use crate::domain::time::Time;
use crate::network::NetworkInput;

pub use crate::domain::rejection::{Rejection, RejectionKind};

/// The RNG every layer draws from: seeded per layer from the run's seed.
pub type SimRng = rand_chacha::ChaCha8Rng;

/// Names a layer (a runtime routes messages by it).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LayerId {
    /// Product ordering (TMF622).
    Com,
    /// Service ordering (TMF641).
    Som,
    /// Resource ordering (TMF652).
    Rom,
    /// Activation and configuration (TMF640).
    Activation,
    /// Network elements and pools.
    Network,
    /// Product, service and resource inventories (TMF637/638/639).
    Inventory,
}

impl LayerId {
    /// Every layer, in chain order.
    pub const ALL: [LayerId; 6] = [
        LayerId::Com,
        LayerId::Som,
        LayerId::Rom,
        LayerId::Activation,
        LayerId::Network,
        LayerId::Inventory,
    ];

    /// Lower-case name, as in `--role` and metrics labels.
    pub const fn as_str(self) -> &'static str {
        match self {
            LayerId::Com => "com",
            LayerId::Som => "som",
            LayerId::Rom => "rom",
            LayerId::Activation => "activation",
            LayerId::Network => "network",
            LayerId::Inventory => "inventory",
        }
    }
}

/// Tests: what `layer` sends when it handles `input` at time zero (seeded RNG).
#[cfg(test)]
pub(crate) fn sent_at_zero<L: Layer>(layer: &mut L, input: L::Input) -> Vec<Message> {
    use rand::SeedableRng;
    let mut effects = Effects::default();
    let mut rng = SimRng::seed_from_u64(1);
    layer.handle(input, Time::ZERO, &mut rng, &mut effects);
    let sent = effects.list.into_iter().filter_map(|effect| match effect {
        Effect::Send { message, .. } => Some(message),
        _ => None,
    });
    sent.collect()
}

/// What a runtime sends a layer it restarted without its state, so that it reconciles with
/// the layers below: ROM releases allocations no live order owns, activation deactivates
/// configurations no live service owns. `None` for a layer that has nothing to reconcile.
pub fn reconcile_input(layer: LayerId) -> Option<Message> {
    match layer {
        LayerId::Rom => Some(Message::Rom(rom::RomInput::Reconcile)),
        LayerId::Activation => Some(Message::Activation(activation::ActivationInput::Reconcile)),
        _ => None,
    }
}

/// A message for one layer; the variant names the destination.
#[derive(Debug, Clone)]
pub enum Message {
    /// For the product order layer.
    Com(com::ComInput),
    /// For the service order layer.
    Som(som::SomInput),
    /// For the resource order layer.
    Rom(rom::RomInput),
    /// For the activation layer.
    Activation(activation::ActivationInput),
    /// For the network.
    Network(NetworkInput),
    /// For the inventories.
    Inventory(inventory::InventoryInput),
}

impl Message {
    /// Whether this is a jeopardy wake-up: a watchdog that fires long after its order usually
    /// ended and then does nothing, so a runtime counts it apart from pending work.
    pub fn is_watchdog(&self) -> bool {
        matches!(
            self,
            Message::Com(com::ComInput::Wake(
                com::ComWake::JeopardySweep(_) | com::ComWake::ChildAnswer(_)
            )) | Message::Som(som::SomInput::JeopardySweep(_) | som::SomInput::ChildAnswer { .. })
                | Message::Rom(rom::RomInput::JeopardySweep(_) | rom::RomInput::ChildAnswer(_))
        )
    }

    /// The layer this message is for.
    pub fn destination(&self) -> LayerId {
        match self {
            Message::Com(_) => LayerId::Com,
            Message::Som(_) => LayerId::Som,
            Message::Rom(_) => LayerId::Rom,
            Message::Activation(_) => LayerId::Activation,
            Message::Network(_) => LayerId::Network,
            Message::Inventory(_) => LayerId::Inventory,
        }
    }
}

/// Identifies a caller waiting for a [`Reply`] (an HTTP request, or a sync-mode parent).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplyToken(pub u64);

/// What a layer answers a waiting caller.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A product order, as it was when the reply was made.
    ProductOrder(Box<com::ProductOrder>),
    /// A cancel product order request.
    CancelProductOrder(Box<com::CancelProductOrder>),
    /// A service order.
    ServiceOrder(Box<som::ServiceOrder>),
    /// A cancel service order request.
    CancelServiceOrder(Box<som::CancelServiceOrder>),
    /// A cancel resource order request.
    CancelResourceOrder(Box<rom::CancelResourceOrder>),
    /// A resource order.
    ResourceOrder(Box<rom::ResourceOrder>),
    /// A TMF640 service.
    ActivationService(Box<activation::ActivationService>),
    /// The entity was deleted (DELETE answers 204).
    Deleted,
    /// What a fault command did, or why it was refused.
    Faults(Result<crate::network::FaultAnswer, crate::network::FaultRefusal>),
    /// The request was refused; becomes a TMF Error with a 4xx.
    Rejected(Rejection),
}

/// The TMF API an event belongs to (decides the hub it is published on).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Api {
    /// TMF622.
    ProductOrdering,
    /// TMF641.
    ServiceOrdering,
    /// TMF652.
    ResourceOrdering,
    /// TMF640.
    ServiceActivation,
}

/// The kind of a TMF event.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum EventKind {
    /// `…CreateEvent`.
    Create,
    /// `…StateChangeEvent`.
    StateChange,
    /// `…AttributeValueChangeEvent`.
    AttributeValueChange,
    /// `…DeleteEvent`.
    Delete,
}

/// The entity an event is about.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Subject {
    /// A product order.
    ProductOrder(ProductOrderId),
    /// A cancel product order request.
    CancelProductOrder(CancelProductOrderId),
    /// A service order.
    ServiceOrder(ServiceOrderId),
    /// A cancel service order request.
    CancelServiceOrder(CancelServiceOrderId),
    /// A resource order.
    ResourceOrder(ResourceOrderId),
    /// A cancel resource order request.
    CancelResourceOrder(CancelResourceOrderId),
    /// A TMF640 service.
    ActivationService(ActivationId),
}

impl Subject {
    /// The API whose hub publishes events about this subject.
    pub const fn api(&self) -> Api {
        match self {
            Subject::ProductOrder(_) | Subject::CancelProductOrder(_) => Api::ProductOrdering,
            Subject::ServiceOrder(_) | Subject::CancelServiceOrder(_) => Api::ServiceOrdering,
            Subject::ResourceOrder(_) | Subject::CancelResourceOrder(_) => Api::ResourceOrdering,
            Subject::ActivationService(_) => Api::ServiceActivation,
        }
    }

    /// The TMF resource name (`productOrder`, `service`, …), as in `eventType` and payloads.
    pub const fn resource_name(&self) -> &'static str {
        match self {
            Subject::ProductOrder(_) => "productOrder",
            Subject::CancelProductOrder(_) => "cancelProductOrder",
            Subject::ServiceOrder(_) => "serviceOrder",
            Subject::CancelServiceOrder(_) => "cancelServiceOrder",
            Subject::ResourceOrder(_) => "resourceOrder",
            Subject::CancelResourceOrder(_) => "cancelResourceOrder",
            Subject::ActivationService(_) => "service",
        }
    }
}

/// A TMF event a layer publishes; the runtime renders its body from the layer's store.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// To what.
    pub subject: Subject,
    /// When.
    pub time: Time,
}

impl Event {
    /// The TMF `eventType`, e.g. `ProductOrderStateChangeEvent`.
    pub fn event_type(&self) -> String {
        let name = self.subject.resource_name();
        let mut text = String::with_capacity(name.len() + 24);
        let mut chars = name.chars();
        if let Some(first) = chars.next() {
            text.extend(first.to_uppercase());
            text.extend(chars);
        }
        text.push_str(match self.kind {
            EventKind::Create => "CreateEvent",
            EventKind::StateChange => "StateChangeEvent",
            EventKind::AttributeValueChange => "AttributeValueChangeEvent",
            EventKind::Delete => "DeleteEvent",
        });
        text
    }
}

/// Something a layer asks its runtime to do.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Deliver `message` at `at` (at or before now: as soon as possible).
    Send {
        /// When to deliver.
        at: Time,
        /// What, and (by its variant) to which layer.
        message: Message,
    },
    /// Publish a TMF event on the layer's hub.
    Publish(Event),
    /// Answer a waiting caller.
    Reply {
        /// Who waits.
        token: ReplyToken,
        /// The answer.
        reply: Reply,
    },
    /// Count a measurement in the runtime's latency histograms (`/metrics`).
    Observe(Observation),
}

/// A latency a layer measured, for the runtime to count: the difference of two times the
/// layer was handed (it reads no clock), so a replay observes the same values.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Observation {
    /// An order reached its terminal `state`, `took` after the layer received it.
    OrderEnded {
        /// The layer that held the order (COM, SOM or ROM).
        layer: LayerId,
        /// Its terminal state.
        state: crate::domain::state::OrderState,
        /// From its `orderDate` to its `completionDate`.
        took: std::time::Duration,
    },
    /// The network answered an element operation after the delay it simulated.
    ElementOperation {
        /// Which operation.
        kind: crate::network::OperationKind,
        /// How it ended (only answered outcomes: a call without a reply has no latency).
        outcome: crate::network::OperationOutcome,
        /// The delay until the reply is delivered.
        took: std::time::Duration,
    },
}

/// The effects one `handle` call produced, in order.
#[derive(Debug, Default)]
pub struct Effects {
    /// The effects, in the order the layer pushed them.
    pub list: Vec<Effect>,
}

impl Effects {
    /// Sends `message` now.
    pub fn send(&mut self, now: Time, message: Message) {
        self.list.push(Effect::Send { at: now, message });
    }

    /// Sends `message` at `at`.
    pub fn send_at(&mut self, at: Time, message: Message) {
        self.list.push(Effect::Send { at, message });
    }

    /// Publishes an event of `kind` about `subject` at `time`.
    pub fn publish(&mut self, kind: EventKind, subject: Subject, time: Time) {
        self.list.push(Effect::Publish(Event {
            kind,
            subject,
            time,
        }));
    }

    /// Answers `token`.
    pub fn reply(&mut self, token: ReplyToken, reply: Reply) {
        self.list.push(Effect::Reply { token, reply });
    }

    /// Reports a measurement to the runtime's histograms.
    pub fn observe(&mut self, observation: Observation) {
        self.list.push(Effect::Observe(observation));
    }

    /// Takes the effects out, leaving this empty for reuse.
    pub fn drain(&mut self) -> std::vec::Drain<'_, Effect> {
        self.list.drain(..)
    }
}

/// A deterministic state machine driven by a runtime.
pub trait Layer {
    /// What this layer accepts.
    type Input;

    /// Which layer this is.
    const ID: LayerId;

    /// Applies one input at `now`, pushing effects; never reads a clock or does I/O.
    fn handle(&mut self, input: Self::Input, now: Time, rng: &mut SimRng, effects: &mut Effects);
}
