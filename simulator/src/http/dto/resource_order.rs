//! TMF652 resource ordering: the `ResourceOrder` a resource order is shown as.

use serde::Serialize;
use serde_json::{Map, Value};

use super::attributes::{Listed, details_except, listed};
use crate::layers::attributes::Note;

use super::inventory::resource_name;
use super::refs::EntityRef;
use super::resource_order_create::{
    ExternalIdBody, RFS, RFS_SPECIFICATION, SERVICE_ORDER_ITEM, text_characteristic,
};
use super::{
    FailureNote, RESOURCE_CATALOG, RESOURCE_INVENTORY, RESOURCE_ORDERING, RenderContext,
    SERVICE_ORDERING, failure_note, to_json,
};
use crate::domain::ids::ResourceId;
use crate::layers::common::Characteristic;
use crate::layers::rom::{ResourceOrder, ResourceOrderItem};

/// A TMF652 `ResourceOrder`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceOrderJson<'a> {
    id: String,
    href: String,
    #[serde(rename = "@type")]
    kind: &'static str,
    state: &'static str,
    order_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    completion_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    /// TMF652 types it as an integer: a non-numeric one is left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    priority: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    requested_start_date: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    requested_completion_date: Option<&'a str>,
    /// The client's other header attributes (`relatedParty`, `name`, `orderType`, the
    /// expected and start dates, `@baseType`, `@schemaLocation`).
    #[serde(flatten)]
    details: Map<String, Value>,
    /// The service order item the order realises.
    #[serde(skip_serializing_if = "Option::is_none")]
    external_reference: Option<[ExternalIdBody; 1]>,
    order_item: Vec<ItemJson<'a>>,
    /// The client's notes, then the FailureNote of a failed order.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<Vec<Listed<'a, Note, FailureNote<'a>>>>,
}

/// A TMF652 `ResourceOrderItem`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ItemJson<'a> {
    id: &'a str,
    #[serde(rename = "@type")]
    kind: &'static str,
    action: &'static str,
    state: &'static str,
    resource_specification: EntityRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<ResourceRef>,
}

/// The TMF652 `ResourceRefOrValue` of an item that holds a resource.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceRef {
    id: String,
    href: String,
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// The RFS the resource supports, as the create named it (TMF652 has no attribute of its
    /// own for it).
    resource_characteristic: Vec<Characteristic>,
}

/// The JSON of a TMF652 `ResourceOrder`.
pub fn render(order: &ResourceOrder, context: &RenderContext<'_>) -> Value {
    let completion_date = order.completion_date.map(|t| context.date(t));
    let header = order.header.as_deref();
    let summary = header.map(|header| &header.summary);
    let parent = order.parent.as_ref().map(|(parent, item)| {
        [ExternalIdBody {
            id: format!("{parent}/{item}"),
            entity_type: Some(SERVICE_ORDER_ITEM.to_string()),
            owner: Some(SERVICE_ORDERING.to_string()),
        }]
    });
    to_json(&ResourceOrderJson {
        id: order.id.to_string(),
        href: context.href(RESOURCE_ORDERING, "resourceOrder", order.id),
        kind: "ResourceOrder",
        state: order.state.as_str(),
        order_date: context.date(order.order_date),
        note: listed(
            header.and_then(|header| header.details.note.as_deref()),
            (order.failure.as_ref()).map(|reason| failure_note(reason, completion_date.clone())),
        ),
        completion_date,
        external_id: order.external_id.as_deref(),
        description: summary.and_then(|s| s.description.as_deref()),
        priority: summary.and_then(|s| s.priority.as_deref()?.parse().ok()),
        category: summary.and_then(|s| s.category.as_deref()),
        requested_start_date: summary.and_then(|s| s.requested_start_date.as_deref()),
        requested_completion_date: summary.and_then(|s| s.requested_completion_date.as_deref()),
        details: details_except(header.map(|header| &header.details), &["note"]),
        external_reference: parent,
        order_item: order
            .items
            .iter()
            .map(|item| item_json(item, context))
            .collect(),
    })
}

fn item_json<'a>(item: &'a ResourceOrderItem, context: &RenderContext<'_>) -> ItemJson<'a> {
    ItemJson {
        id: &item.id,
        kind: "ResourceOrderItem",
        action: item.action.as_str(),
        state: item.state.as_str(),
        resource_specification: context.reference(
            RESOURCE_CATALOG,
            "resourceSpecification",
            &item.resource_specification,
            None,
        ),
        resource: item
            .resource
            .map(|resource| resource_ref(item, resource, context)),
    }
}

/// The resource `item` holds, named, with the RFS it supports.
fn resource_ref(
    item: &ResourceOrderItem,
    resource: ResourceId,
    context: &RenderContext<'_>,
) -> ResourceRef {
    let mut rfs = Vec::with_capacity(2);
    if let Some(id) = item.rfs.id {
        rfs.push(text_characteristic(RFS, id.to_string()));
    }
    rfs.push(text_characteristic(
        RFS_SPECIFICATION,
        item.rfs.specification.to_string(),
    ));
    ResourceRef {
        id: resource.to_string(),
        href: context.href(RESOURCE_INVENTORY, "resource", resource),
        kind: "LogicalResource",
        name: item
            .value
            .map(|value| resource_name(&value, context.topology)),
        resource_characteristic: rfs,
    }
}
