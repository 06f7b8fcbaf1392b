//! Layer messages ⇄ TMF JSON: what a crossing [`Message`] becomes on the wire and how a
//! received body becomes the message again. Pure functions; every parse error is a
//! [`CodecError`] (a 400 for the caller), never a panic. The table is in the parent module.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::wire::OperationBody;
use crate::domain::catalog::Catalog;
use crate::domain::ids::{ActivationId, ResourceOrderId, ServiceOrderId};
use crate::domain::state::OrderState;
use crate::domain::time::Time;
use crate::layers::activation::{ActivationCreate, ActivationInput, ServiceChange};
use crate::layers::com::ComInput;
use crate::layers::inventory::InventoryInput;
use crate::layers::rom::{ActivationSummary, ResourceOrderCreate, ResourceOrderRef, RomInput};
use crate::layers::som::{ServiceOrderCreate, ServiceOrderRef, SomInput};
use crate::layers::{Event, EventKind, LayerId, Message, Subject};
use crate::network::{ElementOperation, NetworkInput, Topology};
use crate::tmf::read::{EventView, IdStateView, PayloadView};
use crate::tmf::resource_order_create::ReferenceBody;
use crate::tmf::service_order_create::CancelWire;
use crate::tmf::{
    RESOURCE_ORDERING, SERVICE_ACTIVATION, SERVICE_ORDERING, resource_order_create, service_create,
    service_order_create,
};

pub use super::reports::report_from_event;

/// A body that does not say what the transport needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CodecError(pub String);

/// Whether `message` goes from one layer to another (and so may cross a process boundary);
/// wake-ups and timeouts a layer sends itself never do, nor do inventory records (each
/// process keeps the inventory records of its own layers).
pub fn crosses(message: &Message) -> bool {
    match message {
        Message::Com(input) => matches!(input, ComInput::ServiceOrderChanged(_)),
        Message::Som(input) => matches!(
            input,
            SomInput::Create { .. }
                | SomInput::Cancel { .. }
                | SomInput::ResourceOrderChanged(_)
                | SomInput::Report { .. }
        ),
        Message::Rom(input) => matches!(
            input,
            RomInput::Create { .. }
                | RomInput::Cancel { .. }
                | RomInput::Report { .. }
                | RomInput::Element(_)
                | RomInput::ActivationChanged(_)
                // A reconciling activation layer asks ROM's TMF639.
                | RomInput::ListActivations
        ),
        // Activation's own timers (timeouts, retries) and the answers to its reconciliation
        // stay in its process.
        Message::Activation(input) => matches!(
            input,
            ActivationInput::Create { .. }
                | ActivationInput::Terminate(_)
                | ActivationInput::Restore(_)
                | ActivationInput::Reconfigure { .. }
                | ActivationInput::Element(_)
                | ActivationInput::ListActive
                | ActivationInput::Report { .. }
        ),
        Message::Network(input) => matches!(
            input,
            NetworkInput::Request(_)
                | NetworkInput::ListAllocations { .. }
                | NetworkInput::ListServices { .. }
        ),
        // A reconciling ROM asks its parent's service inventory (SOM's records).
        Message::Inventory(input) => matches!(input, InventoryInput::ListLiveResources { .. }),
    }
}

/// The key that keeps calls about one order in order: a create and a later cancel of the
/// same order get the same key, so they go down the same sequential lane.
pub fn order_key(message: &Message) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    match message {
        Message::Som(SomInput::Create { order, .. }) => order.parent.map(|p| p.0).hash(&mut hasher),
        Message::Som(SomInput::Cancel { order, .. }) => match order {
            ServiceOrderRef::Parent(parent) => Some(parent.0).hash(&mut hasher),
            ServiceOrderRef::Id(id) => id.0.hash(&mut hasher),
        },
        Message::Rom(RomInput::Create { order, .. }) => order
            .parent
            .as_ref()
            .map(|(parent, item)| (parent.0, item))
            .hash(&mut hasher),
        Message::Rom(RomInput::Cancel { order, .. }) => match order {
            ResourceOrderRef::Parent(parent, item) => Some((parent.0, item)).hash(&mut hasher),
            ResourceOrderRef::Id(id) => id.0.hash(&mut hasher),
        },
        Message::Activation(ActivationInput::Create { service, .. }) => {
            (service.service, service.parent).hash(&mut hasher)
        }
        Message::Activation(
            ActivationInput::Terminate(id)
            | ActivationInput::Restore(id)
            | ActivationInput::Reconfigure { id, .. },
        ) => id.0.hash(&mut hasher),
        Message::Activation(ActivationInput::Element(reply))
        | Message::Rom(RomInput::Element(reply)) => reply.operation_id.0.hash(&mut hasher),
        // An allocation's release must not overtake its allocate, nor a service's deactivate
        // its activate: the network sees them in the order they were sent.
        Message::Network(NetworkInput::Request(request)) => match &request.operation {
            ElementOperation::Allocate { allocation, .. }
            | ElementOperation::Release { allocation } => allocation.0.hash(&mut hasher),
            ElementOperation::Configure { service, .. }
            | ElementOperation::Activate { service, .. }
            | ElementOperation::Deactivate { service, .. } => service.0.hash(&mut hasher),
        },
        _ => 0u64.hash(&mut hasher),
    }
    hasher.finish()
}

/// An HTTP method the transport uses.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Verb {
    /// POST.
    Post,
    /// PATCH.
    Patch,
}

/// A call to another layer's API.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The layer whose process is called.
    pub to: LayerId,
    /// The method.
    pub verb: Verb,
    /// The path (from the API's base path on).
    pub path: String,
    /// The JSON body.
    pub body: Value,
    /// A search to make first, whose answer names the order the body refers to.
    pub lookup: Option<Lookup>,
}

impl Call {
    /// Whether this is a TMF641/652 cancel request.
    pub fn is_cancel(&self) -> bool {
        self.path.ends_with("/cancelServiceOrder") || self.path.ends_with("/cancelResourceOrder")
    }
}

/// A TMF630 search that finds an order by the `externalId` its creator gave it: a parent that
/// cancels an order before it has seen its id (the create's answer went to the transport, not
/// to the layer) names it so, and the transport asks the child's list API which id that is.
#[derive(Clone, Debug, PartialEq)]
pub struct Lookup {
    /// The collection to search (`…/serviceOrder`, `…/resourceOrder`).
    pub path: String,
    /// The `externalId` to search for.
    pub external_id: String,
    /// The body attribute whose `id` the first match fills in.
    pub reference: &'static str,
    /// The cancellation reason the body carries.
    pub reason: Option<String>,
}

impl Lookup {
    /// The cancel request's body, naming the order the search found as `id`.
    pub fn body(&self, id: String) -> Value {
        cancel_body(self.reference, id, self.reason.clone())
    }
}

/// A parent's jeopardy question about a child order, asked as a TMF630 search of the child's
/// list API by the `externalId` the parent gave the order; the answer becomes a message for the
/// parent in this process.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The child's layer.
    pub to: LayerId,
    /// The collection to search (`…/serviceOrder`, `…/resourceOrder`).
    pub path: String,
    /// The `externalId` to search for.
    pub external_id: String,
    /// Who asked, about what.
    pub about: Asked,
}

impl Query {
    /// The TMF630 filter and `limit` the search sends: the first order by `externalId`, or
    /// every service of a resource order that is not terminated (each one found is taken as
    /// its report, which a restarted process's hub may have lost; one per RFS).
    pub fn filter(&self) -> Vec<(&'static str, String)> {
        match self.about {
            Asked::ActivationsOf(_) => vec![
                ("relatedEntity.id", self.external_id.clone()),
                ("state", NOT_TERMINATED.to_string()),
                ("limit", SERVICES_PER_ORDER_MAX.to_string()),
            ],
            _ => vec![
                ("externalId", self.external_id.clone()),
                ("limit", "1".to_string()),
            ],
        }
    }
}

/// The most TMF640 services a jeopardy question reads for one resource order.
const SERVICES_PER_ORDER_MAX: usize = 64;
/// Every TMF640 service state but `terminated`, as a TMF630 comma OR.
const NOT_TERMINATED: &str = "feasibilityChecked,designed,reserved,inactive,active";

/// Whose question a [`Query`] answers.
#[derive(Clone, Debug, PartialEq)]
pub enum Asked {
    /// COM, about the service order of a product order.
    ServiceOrderOf(crate::domain::ids::ProductOrderId),
    /// SOM, about the resource order of a service order item.
    ResourceOrderOf((ServiceOrderId, String)),
    /// ROM, about the TMF640 services of a resource order.
    ActivationsOf(ResourceOrderId),
}

impl Asked {
    /// The report a terminal child `order` (as its list API renders it) carries for the
    /// parent, as if its state-change event had arrived; `None` when it reports nothing.
    pub fn report(&self, order: &Value, catalog: &Catalog) -> Option<Message> {
        let mut payload = PayloadView::default();
        match self {
            Asked::ServiceOrderOf(_) => {
                payload.service_order = Deserialize::deserialize(order).ok()
            }
            Asked::ResourceOrderOf(_) => {
                payload.resource_order = Deserialize::deserialize(order).ok()
            }
            Asked::ActivationsOf(_) => payload.service = Deserialize::deserialize(order).ok(),
        }
        let event = EventView {
            event_type: None,
            event: Some(payload),
        };
        super::reports::report_of(event, catalog).ok().flatten()
    }

    /// The answer for the parent from what the search `found`: the first child order's
    /// state, or the RFS of every live TMF640 service of the resource order.
    pub fn answer(self, found: &[Value], catalog: &Catalog) -> Message {
        let state = found
            .first()
            .and_then(|child| IdStateView::deserialize(child).ok()?.state)
            .as_deref()
            .and_then(OrderState::parse);
        match self {
            Asked::ActivationsOf(order) => {
                let reports = found.iter().map(|child| self.report(child, catalog));
                let alive = reports.filter_map(|report| match report {
                    Some(Message::Rom(RomInput::ActivationChanged(summary))) => Some(summary.rfs),
                    _ => None,
                });
                Message::Rom(RomInput::ActivationStatus {
                    order,
                    alive: alive.collect(),
                })
            }
            Asked::ServiceOrderOf(parent) => {
                Message::Com(ComInput::ServiceOrderStatus { parent, state })
            }
            Asked::ResourceOrderOf(parent) => {
                Message::Som(SomInput::ResourceOrderStatus { parent, state })
            }
        }
    }
}

/// What a crossing message becomes.
#[derive(Clone, Debug, PartialEq)]
pub enum Outgoing {
    /// A call to the destination layer's API.
    Call(Call),
    /// A question to the destination layer's list API.
    Query(Query),
    /// A state-change event on this process's hub (a report to a parent that subscribed).
    Event(Event, Value),
    /// A reconciling ROM's question: everything a layer holds (see [`super::census`]).
    Census(super::census::Census),
}

/// Translates a crossing message; `callback` is this process's base URL (element replies
/// come back to it). `None` for a message that does not cross.
pub fn outgoing(
    message: Message,
    now: Time,
    callback: &str,
    topology: &Topology,
) -> Option<Outgoing> {
    let call = |to, verb, path: String, body| {
        Some(Outgoing::Call(Call {
            to,
            verb,
            path,
            body,
            lookup: None,
        }))
    };
    let event = |subject, body| {
        let kind = EventKind::StateChange;
        Some(Outgoing::Event(
            Event {
                kind,
                subject,
                time: now,
            },
            body,
        ))
    };
    if let Some(census) = super::census::Census::of(&message) {
        return Some(Outgoing::Census(census));
    }
    match message {
        // SOM's terminal ServiceOrderStateChangeEvent is the report: nothing more to send.
        Message::Com(ComInput::ServiceOrderChanged(_)) => None,
        // ROM's terminal ResourceOrderStateChangeEvent is the report: nothing more to send.
        Message::Som(SomInput::ResourceOrderChanged(_)) => None,
        // Activation's ServiceStateChangeEvents report success; a failure, which changes no
        // state, is published as one more state-change event carrying the FailureNote.
        Message::Rom(RomInput::ActivationChanged(summary)) => match summary.error {
            Some(_) => event(
                Subject::ActivationService(summary.id),
                activation_event(&summary, callback),
            ),
            None => None,
        },
        Message::Som(SomInput::Report { parent }) => Some(Outgoing::Query(Query {
            to: LayerId::Som,
            path: format!("{SERVICE_ORDERING}/serviceOrder"),
            external_id: parent.to_string(),
            about: Asked::ServiceOrderOf(parent),
        })),
        Message::Activation(ActivationInput::Report { parent }) => Some(Outgoing::Query(Query {
            to: LayerId::Activation,
            path: format!("{SERVICE_ACTIVATION}/service"),
            external_id: parent.to_string(),
            about: Asked::ActivationsOf(parent),
        })),
        Message::Rom(RomInput::Report { parent }) => Some(Outgoing::Query(Query {
            to: LayerId::Rom,
            path: format!("{RESOURCE_ORDERING}/resourceOrder"),
            external_id: format!("{}/{}", parent.0, parent.1),
            about: Asked::ResourceOrderOf(parent),
        })),
        Message::Som(SomInput::Create { order, .. }) => call(
            LayerId::Som,
            Verb::Post,
            format!("{SERVICE_ORDERING}/serviceOrder"),
            service_order_create(&order),
        ),
        Message::Som(SomInput::Cancel { order, reason, .. }) => {
            let (id, lookup) = match order {
                ServiceOrderRef::Id(id) => (id.to_string(), None),
                ServiceOrderRef::Parent(parent) => (
                    String::new(),
                    Some(Lookup {
                        path: format!("{SERVICE_ORDERING}/serviceOrder"),
                        external_id: parent.to_string(),
                        reference: "serviceOrder",
                        reason: reason.clone(),
                    }),
                ),
            };
            Some(Outgoing::Call(Call {
                to: LayerId::Som,
                verb: Verb::Post,
                path: format!("{SERVICE_ORDERING}/cancelServiceOrder"),
                body: cancel_body("serviceOrder", id, reason),
                lookup,
            }))
        }
        Message::Rom(RomInput::Create { order, .. }) => call(
            LayerId::Rom,
            Verb::Post,
            format!("{RESOURCE_ORDERING}/resourceOrder"),
            resource_order_create(&order, topology, callback),
        ),
        Message::Rom(RomInput::Cancel { order, reason, .. }) => {
            let (id, lookup) = match order {
                ResourceOrderRef::Id(id) => (id.to_string(), None),
                ResourceOrderRef::Parent(parent, item) => (
                    String::new(),
                    Some(Lookup {
                        path: format!("{RESOURCE_ORDERING}/resourceOrder"),
                        external_id: format!("{parent}/{item}"),
                        reference: "resourceOrder",
                        reason: reason.clone(),
                    }),
                ),
            };
            Some(Outgoing::Call(Call {
                to: LayerId::Rom,
                verb: Verb::Post,
                path: format!("{RESOURCE_ORDERING}/cancelResourceOrder"),
                body: cancel_body("resourceOrder", id, reason),
                lookup,
            }))
        }
        Message::Rom(RomInput::Element(reply)) => call(
            LayerId::Rom,
            Verb::Post,
            super::wire::REPLY_PATH.to_string(),
            to_body(&super::wire::ReplyBody::new(reply, LayerId::Rom)),
        ),
        Message::Activation(input) => activation_call(input, topology, callback),
        Message::Network(NetworkInput::Request(request)) => call(
            LayerId::Network,
            Verb::Post,
            super::wire::OPERATION_PATH.to_string(),
            to_body(&OperationBody::new(
                request,
                format!("{callback}{}", super::wire::REPLY_PATH),
            )),
        ),
        _ => None,
    }
}

fn activation_call(
    input: ActivationInput,
    topology: &Topology,
    public_url: &str,
) -> Option<Outgoing> {
    let service_path = |id: ActivationId| format!("{SERVICE_ACTIVATION}/service/{id}");
    let (verb, path, body) = match input {
        ActivationInput::Create { service, .. } => (
            Verb::Post,
            format!("{SERVICE_ACTIVATION}/service"),
            activation_create(&service, topology, public_url),
        ),
        ActivationInput::Terminate(id) => (
            Verb::Patch,
            service_path(id),
            to_body(&service_create::patch_body(
                &ServiceChange::Terminate,
                public_url,
            )),
        ),
        ActivationInput::Restore(id) => (
            Verb::Patch,
            service_path(id),
            to_body(&service_create::patch_body(
                &ServiceChange::Restore,
                public_url,
            )),
        ),
        ActivationInput::Reconfigure {
            id,
            parent,
            characteristics,
        } => (
            Verb::Patch,
            service_path(id),
            to_body(&service_create::patch_body(
                &ServiceChange::Reconfigure {
                    parent,
                    characteristics,
                },
                public_url,
            )),
        ),
        ActivationInput::Element(reply) => (
            Verb::Post,
            super::wire::REPLY_PATH.to_string(),
            to_body(&super::wire::ReplyBody::new(reply, LayerId::Activation)),
        ),
        ActivationInput::OperationTimeout(_)
        | ActivationInput::OperationTimeoutSweep(_)
        | ActivationInput::Retry { .. }
        | ActivationInput::Patch { .. }
        | ActivationInput::Reconcile
        | ActivationInput::ReconcileUnanswered
        | ActivationInput::ElementServices(_)
        | ActivationInput::OwnedByRom(_)
        | ActivationInput::ListActive
        | ActivationInput::Report { .. } => return None,
    };
    Some(Outgoing::Call(Call {
        to: LayerId::Activation,
        verb,
        path,
        body,
        lookup: None,
    }))
}

/// A TMF641/652 cancel request body naming the order by `id` (empty until a [`Lookup`] fills
/// it in).
fn cancel_body(reference: &str, id: String, reason: Option<String>) -> Value {
    let order = Some(ReferenceBody {
        id: Some(id),
        ..ReferenceBody::default()
    });
    let mut cancel = CancelWire {
        cancellation_reason: reason,
        ..CancelWire::default()
    };
    match reference {
        "serviceOrder" => cancel.service_order = order,
        _ => cancel.resource_order = order,
    }
    to_body(&cancel)
}

/// TMF641 `ServiceOrder_Create` for a service order COM creates (see
/// [`service_order_create::body`] for the attributes).
pub fn service_order_create(order: &ServiceOrderCreate) -> Value {
    to_body(&service_order_create::body(order))
}

/// TMF652 `ResourceOrder_Create` for a resource order SOM creates (see
/// [`resource_order_create`] for the attributes).
pub fn resource_order_create(
    order: &ResourceOrderCreate,
    topology: &Topology,
    public_url: &str,
) -> Value {
    to_body(&resource_order_create::body(order, topology, public_url))
}

/// TMF640 `Service_Create` for an RFS ROM wants activated (see [`service_create`]).
pub fn activation_create(
    service: &ActivationCreate,
    topology: &Topology,
    public_url: &str,
) -> Value {
    to_body(&service_create::create_body(service, topology, public_url))
}

/// A TMF640 `Service` as activation's state-change event shows a failure: the RFS, the
/// requester, and the FailureNote.
fn activation_event(summary: &ActivationSummary, public_url: &str) -> Value {
    let rfs = summary.rfs.id.map(|rfs| ReferenceBody {
        id: Some(rfs.to_string()),
        referred_type: Some("Service".to_string()),
        ..ReferenceBody::default()
    });
    let event = ActivationEventWire {
        id: summary.id.to_string(),
        at_type: "Service",
        category: "RFS",
        state: summary.state.as_str(),
        service_specification: ReferenceBody {
            id: Some(summary.rfs.specification.to_string()),
            ..ReferenceBody::default()
        },
        supporting_service: rfs.into_iter().collect(),
        related_entity: [service_create::requester(summary.parent, public_url)],
        description: summary.error.as_ref().map(|error| error.message.as_str()),
        note: (summary.error.iter())
            .map(|error| crate::tmf::failure_note(error, None))
            .collect(),
    };
    to_body(&event)
}

/// The TMF640 `Service` of [`activation_event`].
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ActivationEventWire<'a> {
    id: String,
    #[serde(rename = "@type")]
    at_type: &'static str,
    category: &'static str,
    state: &'static str,
    service_specification: ReferenceBody,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    supporting_service: Vec<ReferenceBody>,
    related_entity: [ReferenceBody; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    note: Vec<crate::tmf::FailureNote<'a>>,
}

/// A typed TMF body as the JSON a [`Call`] or event carries.
fn to_body(body: &impl Serialize) -> Value {
    // Only maps with non-string keys fail to serialise; no wire type has one.
    serde_json::to_value(body).unwrap_or(Value::Null)
}
