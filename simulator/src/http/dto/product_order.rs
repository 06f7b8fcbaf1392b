//! TMF622 product ordering: the `ProductOrder` an order is shown as (with the attributes its
//! client wrote); its `ProductOrder_Create` is parsed in [`crate::tmf::product_order_create`],
//! its `CancelProductOrder` rendered with the other cancels.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::attributes::{Listed, details_except, listed};
use super::refs::{CharacteristicJson, EntityRef, characteristics};
use super::{
    FailureNote, PRODUCT_CATALOG, PRODUCT_INVENTORY, PRODUCT_ORDERING, RenderContext,
    SERVICE_INVENTORY, failure_note, to_json,
};
use crate::layers::attributes::{HeaderSummary, Note, ProductOrderItemAttributes, ProductValue};
use crate::layers::com::{CancelProductOrder, ProductOrder, ProductOrderItem};
use crate::tmf::product_order_create::IdRefBody;

/// A TMF622 `ProductOrder`: what the chain made of it, and the header the client wrote.
/// The client's attributes come first, so that were one ever spelt like a field below, the
/// simulator's value would win (`to_json` keeps the last).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProductOrderJson<'a> {
    #[serde(flatten)]
    summary: Option<&'a HeaderSummary>,
    /// The client's lists and references but `note`.
    #[serde(flatten)]
    details: Map<String, Value>,
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
    product_order_item: Vec<ItemJson<'a>>,
    /// The client's notes, then the failure's.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<Vec<Listed<'a, Note, FailureNote<'a>>>>,
}

/// A TMF622 `ProductOrderItem`, after the client's attributes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ItemJson<'a> {
    #[serde(flatten)]
    attributes: Option<&'a ProductOrderItemAttributes>,
    id: &'a str,
    #[serde(rename = "@type")]
    kind: &'static str,
    action: &'static str,
    state: &'static str,
    /// Absent when a modify, delete or noChange left it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    product_offering: Option<EntityRef>,
    product: ProductJson<'a>,
}

/// The TMF622 `ProductRefOrValue` of an item, after the client's attributes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProductJson<'a> {
    #[serde(flatten)]
    value: Option<&'a ProductValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    href: Option<String>,
    #[serde(rename = "@type")]
    kind: &'static str,
    product_characteristic: Vec<CharacteristicJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    realizing_service: Vec<EntityRef>,
}

/// The JSON of a TMF622 `ProductOrder`.
pub fn render(order: &ProductOrder, context: &RenderContext<'_>) -> Value {
    let attributes = order.attributes.as_deref();
    let details = attributes.and_then(|attributes| attributes.details.as_deref());
    let completion_date = order.completion_date.map(|t| context.date(t));
    let failure = order
        .failure
        .as_ref()
        .map(|reason| failure_note(reason, completion_date.clone()));
    let items = order.items.iter().enumerate().map(|(index, item)| {
        let attributes = attributes.and_then(|attributes| attributes.item(index));
        item_json(item, attributes, context)
    });
    to_json(&ProductOrderJson {
        summary: attributes.map(|attributes| &attributes.summary),
        details: details_except(details, &["note"]),
        id: order.id.to_string(),
        href: context.href(PRODUCT_ORDERING, "productOrder", order.id),
        kind: "ProductOrder",
        state: order.state.as_str(),
        order_date: context.date(order.order_date),
        completion_date,
        external_id: order.external_id.as_deref(),
        product_order_item: items.collect(),
        note: listed(details.and_then(|details| details.note.as_deref()), failure),
    })
}

fn item_json<'a>(
    item: &'a ProductOrderItem,
    attributes: Option<&'a ProductOrderItemAttributes>,
    context: &RenderContext<'_>,
) -> ItemJson<'a> {
    let offering = (!item.offering.is_empty()).then(|| {
        let id = &item.offering;
        context.reference(
            PRODUCT_CATALOG,
            "productOffering",
            id,
            Some("ProductOffering"),
        )
    });
    ItemJson {
        attributes,
        id: &item.id,
        kind: "ProductOrderItem",
        action: item.action.as_str(),
        state: item.state.as_str(),
        product_offering: offering,
        product: product_json(item, attributes, context),
    }
}

fn product_json<'a>(
    item: &'a ProductOrderItem,
    attributes: Option<&'a ProductOrderItemAttributes>,
    context: &RenderContext<'_>,
) -> ProductJson<'a> {
    let service = |id| context.reference(SERVICE_INVENTORY, "service", id, Some("Service"));
    let types = attributes.map_or(&[][..], |attributes| &attributes.value_types);
    ProductJson {
        value: attributes.map(|attributes| &attributes.product),
        id: item.product.map(|id| id.to_string()),
        href: item
            .product
            .map(|id| context.href(PRODUCT_INVENTORY, "product", id)),
        kind: "Product",
        product_characteristic: characteristics(&item.characteristics, types),
        realizing_service: item.services.iter().map(service).collect(),
    }
}

/// The JSON of a TMF622 `CancelProductOrder`.
pub fn render_cancel(cancel: &CancelProductOrder, context: &RenderContext<'_>) -> Value {
    super::cancel::render_product(cancel, context)
}

/// The parts of `CancelProductOrder_Create` the simulator reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelProductOrderBody {
    /// The order to cancel.
    pub product_order: Option<IdRefBody>,
    /// Why.
    pub cancellation_reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Were a client attribute ever spelt like one the simulator writes, the simulator's
    /// would win, as `merge_into` before the typed fields made it.
    #[test]
    fn the_simulators_fields_win_over_the_clients() {
        let mut details = Map::new();
        details.insert("id".into(), json!("client's"));
        details.insert("cancellationReason".into(), json!("kept"));
        let order = ProductOrderJson {
            summary: None,
            details,
            id: "PO-1".into(),
            href: "h".into(),
            kind: "ProductOrder",
            state: "acknowledged",
            order_date: "d".into(),
            completion_date: None,
            external_id: None,
            product_order_item: Vec::new(),
            note: None,
        };
        let rendered = to_json(&order);
        assert_eq!(rendered["id"], "PO-1");
        assert_eq!(rendered["cancellationReason"], "kept");
    }
}
