//! Layer messages ⇄ TMF JSON: what a crossing [`Message`] becomes on the wire and how a
//! received body becomes the message again. Pure functions; every parse error is a
//! [`CodecError`] (a 400 for the caller), never a panic. The table is in the parent module.

use std::str::FromStr;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::wire::OperationBody;
use crate::domain::catalog::Catalog;
use crate::domain::ids::{ActivationId, ResourceOrderId, ServiceId, ServiceOrderId};
use crate::domain::state::{OrderState, ServiceState};
use crate::domain::time::Time;
use crate::layers::activation::{ActivationCreate, ActivationInput, ServiceChange};
use crate::layers::com::{ComInput, ServiceItemSummary, ServiceOrderSummary};
use crate::layers::common::{Action, Characteristic, characteristic_text};
use crate::layers::inventory::InventoryInput;
use crate::layers::rom::{
    ActivationSummary, HeldResource, ResourceOrderCreate, ResourceOrderRef, Rfs, RomInput,
};
use crate::layers::som::{ResourceOrderSummary, ServiceOrderCreate, ServiceOrderRef, SomInput};
use crate::layers::{Event, EventKind, LayerId, Message, Subject};
use crate::network::{ElementOperation, NetworkInput, Topology};
use crate::tmf::{
    PRODUCT_ORDERING, RESOURCE_ORDERING, SERVICE_ACTIVATION, SERVICE_ORDERING, characteristics,
    insert_some, resource_order_create, service_create,
};

/// A body that does not say what the transport needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CodecError(pub String);

fn error(message: impl Into<String>) -> CodecError {
    CodecError(message.into())
}

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
    pub fn report(&self, order: Value, catalog: &Catalog) -> Option<Message> {
        let (event_type, name) = match self {
            Asked::ServiceOrderOf(_) => ("ServiceOrderStateChangeEvent", "serviceOrder"),
            Asked::ResourceOrderOf(_) => ("ResourceOrderStateChangeEvent", "resourceOrder"),
            Asked::ActivationsOf(_) => ("ServiceStateChangeEvent", "service"),
        };
        let envelope = json!({"eventType": event_type, "event": {name: order}});
        report_from_event(&envelope, catalog).ok().flatten()
    }

    /// The answer for the parent from what the search `found`: the first child order's
    /// state, or the RFS of every live TMF640 service of the resource order.
    pub fn answer(self, found: &[Value], catalog: &Catalog) -> Message {
        let state = found
            .first()
            .and_then(|child| child.get("state")?.as_str())
            .and_then(OrderState::parse);
        match self {
            Asked::ActivationsOf(order) => {
                let reports = found
                    .iter()
                    .map(|child| self.report(child.clone(), catalog));
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
            json!(super::wire::ReplyBody::new(reply, LayerId::Rom)),
        ),
        Message::Activation(input) => activation_call(input, topology, callback),
        Message::Network(NetworkInput::Request(request)) => call(
            LayerId::Network,
            Verb::Post,
            super::wire::OPERATION_PATH.to_string(),
            json!(OperationBody::new(
                request,
                format!("{callback}{}", super::wire::REPLY_PATH)
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
            json!(service_create::patch_body(
                &ServiceChange::Terminate,
                public_url
            )),
        ),
        ActivationInput::Restore(id) => (
            Verb::Patch,
            service_path(id),
            json!(service_create::patch_body(
                &ServiceChange::Restore,
                public_url
            )),
        ),
        ActivationInput::Reconfigure {
            id,
            parent,
            characteristics,
        } => (
            Verb::Patch,
            service_path(id),
            json!(service_create::patch_body(
                &ServiceChange::Reconfigure {
                    parent,
                    characteristics
                },
                public_url
            )),
        ),
        ActivationInput::Element(reply) => (
            Verb::Post,
            super::wire::REPLY_PATH.to_string(),
            json!(super::wire::ReplyBody::new(reply, LayerId::Activation)),
        ),
        ActivationInput::OperationTimeout(_)
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
    let mut map = Map::new();
    map.insert(reference.into(), json!({"id": id}));
    insert_some(&mut map, "cancellationReason", reason);
    Value::Object(map)
}

/// TMF641 `ServiceOrder_Create` for a service order COM creates: the product order in
/// `externalReference` and each item's product order item in its service's `relatedEntity`
/// (role `productOrderItem`).
pub fn service_order_create(order: &ServiceOrderCreate) -> Value {
    let items: Vec<Value> = order
        .items
        .iter()
        .map(|item| {
            let mut service = Map::new();
            insert_some(&mut service, "id", item.service.map(|id| id.to_string()));
            service.insert(
                "serviceSpecification".into(),
                json!({"id": &*item.service_specification}),
            );
            service.insert(
                "serviceCharacteristic".into(),
                characteristics(&item.characteristics),
            );
            if let Some(parent_item) = &item.parent_item {
                service.insert(
                    "relatedEntity".into(),
                    json!([crate::tmf::product_order_item_ref(parent_item)]),
                );
            }
            let mut map = Map::new();
            map.insert("id".into(), json!(item.id));
            map.insert("action".into(), json!(item.action.as_str()));
            map.insert("service".into(), Value::Object(service));
            Value::Object(map)
        })
        .collect();
    let mut map = Map::new();
    insert_some(&mut map, "externalId", order.external_id.clone());
    if let Some(parent) = order.parent {
        map.insert(
            "externalReference".into(),
            json!([{
                "id": parent.to_string(),
                "href": format!("{PRODUCT_ORDERING}/productOrder/{parent}"),
                "externalReferenceType": "ProductOrder",
            }]),
        );
    }
    map.insert("serviceOrderItem".into(), Value::Array(items));
    Value::Object(map)
}

/// TMF652 `ResourceOrder_Create` for a resource order SOM creates (see
/// [`resource_order_create`] for the attributes).
pub fn resource_order_create(
    order: &ResourceOrderCreate,
    topology: &Topology,
    public_url: &str,
) -> Value {
    json!(resource_order_create::body(order, topology, public_url))
}

/// TMF640 `Service_Create` for an RFS ROM wants activated (see [`service_create`]).
pub fn activation_create(
    service: &ActivationCreate,
    topology: &Topology,
    public_url: &str,
) -> Value {
    json!(service_create::create_body(service, topology, public_url))
}

fn requester_of(body: &Value) -> Result<Option<ResourceOrderId>, CodecError> {
    let Some(entities) = body.get("relatedEntity").and_then(Value::as_array) else {
        return Ok(None);
    };
    entities
        .iter()
        .find(|entity| entity.get("role").and_then(Value::as_str) == Some("requester"))
        .map(|entity| field_id(entity, "id", "relatedEntity.id"))
        .transpose()
}

fn activation_event(summary: &ActivationSummary, public_url: &str) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(summary.id.to_string()));
    map.insert("@type".into(), json!("Service"));
    map.insert("category".into(), json!("RFS"));
    map.insert("state".into(), json!(summary.state.as_str()));
    map.insert(
        "serviceSpecification".into(),
        json!({"id": &*summary.rfs.specification}),
    );
    if let Some(rfs) = summary.rfs.id {
        map.insert(
            "supportingService".into(),
            json!([{"id": rfs.to_string(), "@referredType": "Service"}]),
        );
    }
    let requester = service_create::requester(summary.parent, public_url);
    map.insert("relatedEntity".into(), json!([requester]));
    if let Some(error) = &summary.error {
        map.insert("description".into(), json!(error.message));
        map.insert(
            "note".into(),
            json!([crate::tmf::failure_note(error, None)]),
        );
    }
    Value::Object(map)
}

/// Translates a hub event envelope back into the report it carries; `Ok(None)` for an event
/// that reports nothing to a parent. Reports are the children's ordinary TMF events, so a
/// foreign child's events are understood too: a resource order's terminal
/// `ResourceOrderStateChangeEvent` naming a service order item in `externalReference`, and a
/// `ServiceStateChangeEvent` naming a requesting resource order in `relatedEntity`, and a
/// service order's terminal `ServiceOrderStateChangeEvent` naming a product order in
/// `externalReference` (its items name their product order items in `service.relatedEntity`).
/// `catalog` gives the kind of each resource specification.
pub fn report_from_event(
    envelope: &Value,
    catalog: &Catalog,
) -> Result<Option<Message>, CodecError> {
    let payload = envelope
        .get("event")
        .ok_or_else(|| error("event is required"))?;
    let (name, body) = match payload.as_object().and_then(|map| map.iter().next()) {
        Some((name, body)) => (name.as_str(), body),
        None => return Err(error("event must hold one resource")),
    };
    let state_change = envelope
        .get("eventType")
        .and_then(Value::as_str)
        .is_none_or(|kind| kind.ends_with("StateChangeEvent"));
    if !state_change {
        return Ok(None);
    }
    let message = match name {
        "serviceOrder" if is_service_order_report(body) => Message::Com(
            ComInput::ServiceOrderChanged(parse_service_order_event(body)?),
        ),
        "resourceOrder" if is_resource_order_report(body) => Message::Som(
            SomInput::ResourceOrderChanged(parse_resource_order_event(body, catalog)?),
        ),
        "service" if requester_of(body)?.is_some() => {
            Message::Rom(RomInput::ActivationChanged(parse_activation_event(body)?))
        }
        _ => return Ok(None),
    };
    Ok(Some(message))
}

/// Whether a service order event is a report to COM: the order ended, and it realises a
/// product order.
fn is_service_order_report(body: &Value) -> bool {
    is_terminal(body) && references(body, "externalReferenceType", "ProductOrder")
}

/// Whether `body`'s `state` is a terminal order state.
fn is_terminal(body: &Value) -> bool {
    body.get("state")
        .and_then(Value::as_str)
        .and_then(OrderState::parse)
        .is_some_and(OrderState::is_terminal)
}

/// Whether one of `body`'s `externalReference`s has `key` equal to `value`.
fn references(body: &Value, key: &str, value: &str) -> bool {
    body.get("externalReference")
        .and_then(Value::as_array)
        .is_some_and(|list| {
            list.iter()
                .any(|reference| reference.get(key).and_then(Value::as_str) == Some(value))
        })
}

/// Whether a resource order event is a report to SOM: the order ended, and it realises a
/// service order item.
fn is_resource_order_report(body: &Value) -> bool {
    is_terminal(body)
        && references(
            body,
            "entityType",
            resource_order_create::SERVICE_ORDER_ITEM,
        )
}

fn parse_service_order_event(body: &Value) -> Result<ServiceOrderSummary, CodecError> {
    let parent = first_reference(body, "externalReference")
        .ok_or_else(|| error("externalReference is required"))?;
    let items = array(body, "serviceOrderItem")?
        .iter()
        .map(|item| {
            let service = item
                .get("service")
                .ok_or_else(|| error("serviceOrderItem.service is required"))?;
            let id = match service.get("id") {
                Some(id) => Some(parse_id::<ServiceId>(id, "service.id")?),
                None => None,
            };
            Ok(ServiceItemSummary {
                id: text(item, "id")?.to_string(),
                parent_item: service
                    .get("relatedEntity")
                    .and_then(Value::as_array)
                    .and_then(|related| crate::tmf::product_order_item_of(related))
                    .ok_or_else(|| error("service.relatedEntity names no productOrderItem"))?
                    .to_string(),
                action: action(item)?,
                specification: spec(service, "serviceSpecification")?,
                state: order_state(item)?,
                service: id,
            })
        })
        .collect::<Result<Vec<_>, CodecError>>()?;
    Ok(ServiceOrderSummary {
        id: field_id::<ServiceOrderId>(body, "id", "id")?,
        parent: field_id(parent, "id", "externalReference.id")?,
        state: order_state(body)?,
        items,
        failure: crate::tmf::parse_failure(body),
    })
}

fn parse_resource_order_event(
    body: &Value,
    catalog: &Catalog,
) -> Result<ResourceOrderSummary, CodecError> {
    let reference = body
        .get("externalReference")
        .and_then(Value::as_array)
        .and_then(|references| {
            references.iter().find(|reference| {
                reference.get("entityType").and_then(Value::as_str)
                    == Some(resource_order_create::SERVICE_ORDER_ITEM)
            })
        })
        .ok_or_else(|| error("externalReference ServiceOrderItem is required"))?;
    let parent = parent_item(
        reference.get("id").unwrap_or(&Value::Null),
        "externalReference.id",
    )?;
    let state = order_state(body)?;
    let items = array(body, "orderItem")?;
    let resources = if state == OrderState::Completed {
        items
            .iter()
            .filter_map(|item| held_resource(item, catalog).transpose())
            .collect::<Result<Vec<_>, CodecError>>()?
    } else {
        Vec::new()
    };
    Ok(ResourceOrderSummary {
        id: field_id(body, "id", "id")?,
        parent,
        state,
        resources,
        failure: crate::tmf::parse_failure(body),
    })
}

/// What a completed item holds: its resource, the RFS it supports (its characteristics `rfs`
/// and `rfsSpecification`) and its specification's kind. `None` for an item without a
/// resource or an RFS instance.
fn held_resource(item: &Value, catalog: &Catalog) -> Result<Option<HeldResource>, CodecError> {
    let Some(resource) = item.get("resource") else {
        return Ok(None);
    };
    let characteristics: Vec<Characteristic> = match resource.get("resourceCharacteristic") {
        Some(list) => serde_json::from_value(list.clone())
            .map_err(|e| error(format!("resourceCharacteristic: {e}")))?,
        None => Vec::new(),
    };
    let Some(service) = characteristic_text(&characteristics, resource_order_create::RFS) else {
        return Ok(None);
    };
    let specification = spec(item, "resourceSpecification")?;
    let kind = catalog
        .resource_specification(&specification)
        .map(|known| known.kind)
        .ok_or_else(|| {
            error(format!(
                "resourceSpecification `{}` is not in the catalog",
                clip(&specification)
            ))
        })?;
    let rfs_specification =
        characteristic_text(&characteristics, resource_order_create::RFS_SPECIFICATION)
            .ok_or_else(|| error("resourceCharacteristic rfsSpecification is required"))?;
    Ok(Some(HeldResource {
        resource: field_id(resource, "id", "orderItem.resource.id")?,
        service: parse_id(&Value::String(service), "resourceCharacteristic rfs")?,
        service_specification: Arc::from(rfs_specification),
        resource_specification: specification,
        kind,
    }))
}

fn parse_activation_event(body: &Value) -> Result<ActivationSummary, CodecError> {
    let rfs = match first_reference(body, "supportingService") {
        Some(service) => Some(field_id(service, "id", "supportingService.id")?),
        None => None,
    };
    let state = text(body, "state")?;
    Ok(ActivationSummary {
        id: field_id(body, "id", "id")?,
        parent: requester_of(body)?.ok_or_else(|| error("relatedEntity requester is required"))?,
        rfs: Rfs {
            id: rfs,
            specification: spec(body, "serviceSpecification")?,
        },
        state: ServiceState::parse(state)
            .ok_or_else(|| error(format!("`{}` is not a service state", clip(state))))?,
        error: crate::tmf::parse_failure(body),
    })
}

fn clip(text: &str) -> String {
    text.chars().take(32).collect()
}

fn text<'a>(body: &'a Value, key: &str) -> Result<&'a str, CodecError> {
    body.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| error(format!("{key} must be a string")))
}

fn parse_id<T: FromStr>(value: &Value, what: &str) -> Result<T, CodecError> {
    let text = value
        .as_str()
        .ok_or_else(|| error(format!("{what} must be a string")))?;
    text.parse::<T>()
        .map_err(|_| error(format!("{what}: `{}` is not an id", clip(text))))
}

fn field_id<T: FromStr>(body: &Value, key: &str, what: &str) -> Result<T, CodecError> {
    parse_id(body.get(key).unwrap_or(&Value::Null), what)
}

fn parent_item(value: &Value, what: &str) -> Result<(ServiceOrderId, String), CodecError> {
    let text = value
        .as_str()
        .ok_or_else(|| error(format!("{what} must be a string")))?;
    let (order, item) = text
        .split_once('/')
        .ok_or_else(|| error(format!("{what} must be `serviceOrder/item`")))?;
    let order = order
        .parse::<ServiceOrderId>()
        .map_err(|_| error(format!("{what}: `{}` is not a service order", clip(order))))?;
    Ok((order, item.to_string()))
}

fn array<'a>(body: &'a Value, key: &str) -> Result<&'a Vec<Value>, CodecError> {
    body.get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| error(format!("{key} must be an array")))
}

fn first_reference<'a>(body: &'a Value, key: &str) -> Option<&'a Value> {
    body.get(key).and_then(Value::as_array)?.first()
}

fn spec(body: &Value, key: &str) -> Result<Arc<str>, CodecError> {
    let reference = body
        .get(key)
        .ok_or_else(|| error(format!("{key} is required")))?;
    Ok(Arc::from(text(reference, "id")?))
}

fn action(item: &Value) -> Result<Action, CodecError> {
    let name = text(item, "action")?;
    Action::parse(name).ok_or_else(|| error(format!("`{}` is not an action", clip(name))))
}

fn order_state(body: &Value) -> Result<OrderState, CodecError> {
    let name = text(body, "state")?;
    OrderState::parse(name).ok_or_else(|| error(format!("`{}` is not an order state", clip(name))))
}
