//! A child's TMF resource read back as the report it carries to its parent. Reports are the
//! children's ordinary TMF events (or, for a jeopardy question, the same resource found by a
//! TMF630 search), so a foreign child is understood too:
//! - a TMF641 service order's terminal state naming a product order in `externalReference`
//!   (its items name their product order items in `service.relatedEntity`) → COM;
//! - a TMF652 resource order's terminal state naming a service order item in
//!   `externalReference` → SOM;
//! - a TMF640 service naming a requesting resource order in `relatedEntity` → ROM.
//!
//! The resource is read through the typed views of [`crate::tmf::read`]; what a report needs
//! and does not find is a [`CodecError`] (a 400 for the publisher), never a panic.

use std::str::FromStr;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::codec::CodecError;
use crate::domain::catalog::Catalog;
use crate::domain::ids::{ServiceId, ServiceOrderId};
use crate::domain::state::{OrderState, ServiceState};
use crate::layers::Message;
use crate::layers::com::{ComInput, ServiceItemSummary, ServiceOrderSummary};
use crate::layers::common::{Action, characteristic_text};
use crate::layers::rom::{ActivationSummary, HeldResource, Rfs, RomInput};
use crate::layers::som::{ResourceOrderSummary, SomInput};
use crate::tmf::read::{
    EventView, ExternalReferenceView, PayloadView, ResourceOrderItemView, ResourceOrderView,
    ServiceOrderView, ServiceView, failure, with_role,
};
use crate::tmf::resource_order_create::{
    RFS, RFS_SPECIFICATION, ReferenceBody, SERVICE_ORDER_ITEM,
};
use crate::tmf::service_create::REQUESTER;

fn error(message: impl Into<String>) -> CodecError {
    CodecError(message.into())
}

/// Translates a hub event envelope back into the report it carries; `Ok(None)` for an event
/// that reports nothing to a parent. `catalog` gives the kind of each resource specification.
pub fn report_from_event(
    envelope: &Value,
    catalog: &Catalog,
) -> Result<Option<Message>, CodecError> {
    let view = EventView::deserialize(envelope).map_err(|e| error(format!("event: {e}")))?;
    report_of(view, catalog)
}

/// The report a read event carries (see [`report_from_event`]).
pub fn report_of(view: EventView, catalog: &Catalog) -> Result<Option<Message>, CodecError> {
    let payload = view.event.ok_or_else(|| error("event is required"))?;
    if payload.is_empty() {
        return Err(error("event must hold one resource"));
    }
    let state_change =
        (view.event_type.as_deref()).is_none_or(|kind| kind.ends_with("StateChangeEvent"));
    if !state_change {
        return Ok(None);
    }
    let PayloadView {
        service_order,
        resource_order,
        service,
        ..
    } = payload;
    let message = if let Some(order) = service_order.filter(is_service_order_report) {
        Message::Com(ComInput::ServiceOrderChanged(service_order_summary(order)?))
    } else if let Some(order) = resource_order.filter(is_resource_order_report) {
        let summary = resource_order_summary(order, catalog)?;
        Message::Som(SomInput::ResourceOrderChanged(summary))
    } else if let Some(service) = service {
        match requester(&service)? {
            Some(_) => Message::Rom(RomInput::ActivationChanged(activation_summary(service)?)),
            None => return Ok(None),
        }
    } else {
        return Ok(None);
    };
    Ok(Some(message))
}

/// Whether a service order is a report to COM: it ended, and it realises a product order.
fn is_service_order_report(order: &ServiceOrderView) -> bool {
    is_terminal(order.state.as_deref())
        && references(order.external_reference.as_deref(), |reference| {
            reference.external_reference_type.as_deref() == Some("ProductOrder")
        })
        .is_some()
}

/// Whether a resource order is a report to SOM: it ended, and it realises a service order
/// item.
fn is_resource_order_report(order: &ResourceOrderView) -> bool {
    is_terminal(order.state.as_deref()) && service_order_item(&order.external_reference).is_some()
}

fn is_terminal(state: Option<&str>) -> bool {
    state
        .and_then(OrderState::parse)
        .is_some_and(OrderState::is_terminal)
}

fn references(
    list: Option<&[ExternalReferenceView]>,
    wanted: impl Fn(&ExternalReferenceView) -> bool,
) -> Option<&ExternalReferenceView> {
    list?.iter().find(|reference| wanted(reference))
}

fn service_order_item(list: &Option<Vec<ExternalReferenceView>>) -> Option<&ExternalReferenceView> {
    references(list.as_deref(), |reference| {
        reference.entity_type.as_deref() == Some(SERVICE_ORDER_ITEM)
    })
}

fn service_order_summary(order: ServiceOrderView) -> Result<ServiceOrderSummary, CodecError> {
    let parent = (order.external_reference.as_deref())
        .and_then(<[_]>::first)
        .ok_or_else(|| error("externalReference is required"))?;
    let items = (order.service_order_item.as_deref())
        .ok_or_else(|| error("serviceOrderItem must be an array"))?
        .iter()
        .map(|item| {
            let service = (item.service.as_ref())
                .ok_or_else(|| error("serviceOrderItem.service is required"))?;
            let id = match service.id.as_deref() {
                Some(id) => Some(parse_id::<ServiceId>(Some(id), "service.id")?),
                None => None,
            };
            let related = service.related_entity.as_deref().unwrap_or_default();
            Ok(ServiceItemSummary {
                id: text(item.id.as_deref(), "id")?.to_string(),
                parent_item: crate::tmf::product_order_item_of(related)
                    .ok_or_else(|| error("service.relatedEntity names no productOrderItem"))?
                    .to_string(),
                action: action(item.action.as_deref())?,
                specification: spec(&service.service_specification, "serviceSpecification")?,
                state: order_state(item.state.as_deref())?,
                service: id,
            })
        })
        .collect::<Result<Vec<_>, CodecError>>()?;
    Ok(ServiceOrderSummary {
        id: parse_id::<ServiceOrderId>(order.id.as_deref(), "id")?,
        parent: parse_id(parent.id.as_deref(), "externalReference.id")?,
        state: order_state(order.state.as_deref())?,
        items,
        failure: failure(order.note.as_deref(), order.error_message.as_deref()),
    })
}

fn resource_order_summary(
    order: ResourceOrderView,
    catalog: &Catalog,
) -> Result<ResourceOrderSummary, CodecError> {
    let reference = service_order_item(&order.external_reference)
        .ok_or_else(|| error("externalReference ServiceOrderItem is required"))?;
    let parent = parent_item(reference.id.as_deref(), "externalReference.id")?;
    let state = order_state(order.state.as_deref())?;
    let items = (order.order_item.as_deref()).ok_or_else(|| error("orderItem must be an array"))?;
    let resources = if state == OrderState::Completed {
        items
            .iter()
            .filter_map(|item| held_resource(item, catalog).transpose())
            .collect::<Result<Vec<_>, CodecError>>()?
    } else {
        Vec::new()
    };
    Ok(ResourceOrderSummary {
        id: parse_id(order.id.as_deref(), "id")?,
        parent,
        state,
        resources,
        failure: failure(order.note.as_deref(), None),
    })
}

/// What a completed item holds: its resource, the RFS it supports (its characteristics `rfs`
/// and `rfsSpecification`) and its specification's kind. `None` for an item without a
/// resource or an RFS instance.
fn held_resource(
    item: &ResourceOrderItemView,
    catalog: &Catalog,
) -> Result<Option<HeldResource>, CodecError> {
    let Some(resource) = &item.resource else {
        return Ok(None);
    };
    let characteristics = resource
        .resource_characteristic
        .as_deref()
        .unwrap_or_default();
    let Some(service) = characteristic_text(characteristics, RFS) else {
        return Ok(None);
    };
    let specification = spec(&item.resource_specification, "resourceSpecification")?;
    let kind = catalog
        .resource_specification(&specification)
        .map(|known| known.kind)
        .ok_or_else(|| {
            error(format!(
                "resourceSpecification `{}` is not in the catalog",
                clip(&specification)
            ))
        })?;
    let rfs_specification = characteristic_text(characteristics, RFS_SPECIFICATION)
        .ok_or_else(|| error("resourceCharacteristic rfsSpecification is required"))?;
    Ok(Some(HeldResource {
        resource: parse_id(resource.id.as_deref(), "orderItem.resource.id")?,
        service: parse_id(Some(&*service), "resourceCharacteristic rfs")?,
        service_specification: Arc::from(rfs_specification),
        resource_specification: specification,
        kind,
    }))
}

/// The resource order a TMF640 service names as its requester, if it names one.
fn requester(
    service: &ServiceView,
) -> Result<Option<crate::domain::ids::ResourceOrderId>, CodecError> {
    with_role(service.related_entity.as_deref(), REQUESTER)
        .map(|entity| parse_id(entity.id.as_deref(), "relatedEntity.id"))
        .transpose()
}

fn activation_summary(service: ServiceView) -> Result<ActivationSummary, CodecError> {
    let rfs = match (service.supporting_service.as_deref()).and_then(<[_]>::first) {
        Some(rfs) => Some(parse_id(rfs.id.as_deref(), "supportingService.id")?),
        None => None,
    };
    let state = text(service.state.as_deref(), "state")?;
    Ok(ActivationSummary {
        id: parse_id(service.id.as_deref(), "id")?,
        parent: requester(&service)?.ok_or_else(|| error("relatedEntity requester is required"))?,
        rfs: Rfs {
            id: rfs,
            specification: spec(&service.service_specification, "serviceSpecification")?,
        },
        state: ServiceState::parse(state)
            .ok_or_else(|| error(format!("`{}` is not a service state", clip(state))))?,
        error: failure(service.note.as_deref(), None),
    })
}

fn clip(text: &str) -> String {
    text.chars().take(32).collect()
}

fn text<'a>(value: Option<&'a str>, what: &str) -> Result<&'a str, CodecError> {
    value.ok_or_else(|| error(format!("{what} must be a string")))
}

fn parse_id<T: FromStr>(value: Option<&str>, what: &str) -> Result<T, CodecError> {
    let text = text(value, what)?;
    text.parse::<T>()
        .map_err(|_| error(format!("{what}: `{}` is not an id", clip(text))))
}

fn parent_item(value: Option<&str>, what: &str) -> Result<(ServiceOrderId, String), CodecError> {
    let text = text(value, what)?;
    let (order, item) = text
        .split_once('/')
        .ok_or_else(|| error(format!("{what} must be `serviceOrder/item`")))?;
    let order = order
        .parse::<ServiceOrderId>()
        .map_err(|_| error(format!("{what}: `{}` is not a service order", clip(order))))?;
    Ok((order, item.to_string()))
}

fn spec(reference: &Option<ReferenceBody>, key: &str) -> Result<Arc<str>, CodecError> {
    let reference = reference
        .as_ref()
        .ok_or_else(|| error(format!("{key} is required")))?;
    Ok(Arc::from(text(reference.id.as_deref(), "id")?))
}

fn action(name: Option<&str>) -> Result<Action, CodecError> {
    let name = text(name, "action")?;
    Action::parse(name).ok_or_else(|| error(format!("`{}` is not an action", clip(name))))
}

fn order_state(name: Option<&str>) -> Result<OrderState, CodecError> {
    let name = text(name, "state")?;
    OrderState::parse(name).ok_or_else(|| error(format!("`{}` is not an order state", clip(name))))
}
