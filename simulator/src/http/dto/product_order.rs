//! TMF622 product ordering: `ProductOrder_Create` → [`ProductOrderCreate`], and the
//! `ProductOrder` an order is shown as (with the attributes its client wrote); its
//! `CancelProductOrder` is rendered with the other cancels.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::attributes::{Listed, check_date, check_header, details_except, listed, value_types};
use super::refs::{CharacteristicJson, EntityRef, characteristics};
use super::{
    FailureNote, PRODUCT_CATALOG, PRODUCT_INVENTORY, PRODUCT_ORDERING, RenderContext,
    SERVICE_INVENTORY, failure_note, to_json,
};
use crate::domain::ids::ProductId;
use crate::http::error::ApiError;
use crate::layers::attributes::{
    HeaderSummary, Note, OrderAttributes, OrderHeader, ProductOrderItemAttributes, ProductValue,
};
use crate::layers::com::{
    CancelProductOrder, ProductOrder, ProductOrderCreate, ProductOrderItem, ProductOrderItemCreate,
};
use crate::layers::common::{Action, Characteristic};

/// TMF622 `ProductOrder_Create`: what the chain acts on, and the header it carries.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductOrderCreateBody {
    /// The client's reference.
    pub external_id: Option<String>,
    /// The items.
    pub product_order_item: Option<Vec<ProductOrderItemBody>>,
    /// The other writable attributes (`description`, `priority`, `relatedParty`, …).
    #[serde(flatten)]
    pub header: OrderHeader,
}

/// One `ProductOrderItem` of a create request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductOrderItemBody {
    /// Its id within the order.
    pub id: Option<String>,
    /// `add`, `modify`, `delete` or `noChange`.
    pub action: Option<String>,
    /// The offering ordered.
    pub product_offering: Option<IdRefBody>,
    /// The product (its id for modify/delete/noChange; characteristics always).
    pub product: Option<ProductBody>,
    /// The item's other writable attributes (`quantity`, `appointment`, …).
    #[serde(flatten)]
    pub attributes: ProductOrderItemAttributes,
}

/// A reference by id.
#[derive(Debug, Deserialize)]
pub struct IdRefBody {
    /// The id.
    pub id: Option<String>,
}

/// `ProductRefOrValue` as far as the simulator reads it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductBody {
    /// The existing product.
    pub id: Option<String>,
    /// Its characteristics.
    pub product_characteristic: Option<Vec<CharacteristicBody>>,
    /// Its other writable attributes (`name`, `place`, …).
    #[serde(flatten)]
    pub value: ProductValue,
}

/// A TMF `Characteristic`.
#[derive(Debug, Deserialize)]
pub struct CharacteristicBody {
    /// Its name.
    pub name: String,
    /// The type of its value, as the client wrote it.
    #[serde(rename = "valueType")]
    pub value_type: Option<String>,
    /// Its value.
    pub value: Value,
}

/// Turns characteristics into the domain's, refusing empty names.
pub fn parse_characteristics(
    list: Option<Vec<CharacteristicBody>>,
    item: &str,
) -> Result<Vec<Characteristic>, ApiError> {
    list.unwrap_or_default()
        .into_iter()
        .map(|c| {
            if c.name.trim().is_empty() {
                Err(ApiError::bad_request(format!(
                    "item `{item}`: a characteristic has an empty name"
                )))
            } else {
                Ok(Characteristic {
                    name: Arc::from(c.name),
                    value: c.value,
                })
            }
        })
        .collect()
}

/// Checks that `ids` are non-empty and unique, and that there are 1..=`items_max` of them.
pub fn check_item_ids<'a>(
    ids: impl ExactSizeIterator<Item = Option<&'a str>>,
    items_max: usize,
    what: &str,
) -> Result<(), ApiError> {
    let count = ids.len();
    if count == 0 {
        return Err(ApiError::bad_request(format!("{what} must not be empty")));
    }
    if count > items_max {
        return Err(ApiError::bad_request(format!(
            "{what} has {count} items; at most {items_max} are allowed"
        )));
    }
    let mut seen = BTreeSet::new();
    for (index, id) in ids.enumerate() {
        let id = id.filter(|id| !id.trim().is_empty()).ok_or_else(|| {
            ApiError::bad_request(format!("{what}[{index}].id is missing or empty"))
        })?;
        if !seen.insert(id) {
            return Err(ApiError::bad_request(format!(
                "{what} item id `{id}` is used twice"
            )));
        }
    }
    Ok(())
}

/// Parses a TMF action.
pub fn parse_action(action: Option<&str>, item: &str) -> Result<Action, ApiError> {
    let text =
        action.ok_or_else(|| ApiError::bad_request(format!("item `{item}`: action is missing")))?;
    Action::parse(text).ok_or_else(|| {
        ApiError::bad_request(format!(
            "item `{item}`: action `{}` is not one of add, modify, delete, noChange",
            text.chars().take(32).collect::<String>()
        ))
    })
}

/// Validates a `ProductOrder_Create` body syntactically.
pub fn parse_create(
    body: ProductOrderCreateBody,
    items_max: usize,
) -> Result<ProductOrderCreate, ApiError> {
    let items = body
        .product_order_item
        .ok_or_else(|| ApiError::bad_request("productOrderItem is required"))?;
    check_item_ids(
        items.iter().map(|item| item.id.as_deref()),
        items_max,
        "productOrderItem",
    )?;
    let header = body.header.for_product_order();
    check_header(&header)?;
    let (items, item_attributes) = items
        .into_iter()
        .map(parse_item)
        .collect::<Result<(Vec<_>, Vec<_>), _>>()?;
    Ok(ProductOrderCreate {
        external_id: body.external_id,
        items,
        attributes: OrderAttributes::stored(header, item_attributes),
    })
}

fn parse_item(
    item: ProductOrderItemBody,
) -> Result<
    (
        ProductOrderItemCreate,
        Option<Box<ProductOrderItemAttributes>>,
    ),
    ApiError,
> {
    let id = item.id.unwrap_or_default();
    let action = parse_action(item.action.as_deref(), &id)?;
    let offering = item.product_offering.and_then(|offering| offering.id);
    if action == Action::Add && offering.as_deref().is_none_or(str::is_empty) {
        return Err(ApiError::bad_request(format!(
            "item `{id}`: productOffering.id is required for action add"
        )));
    }
    let mut attributes = item.attributes;
    let (product_id, characteristic) = match item.product {
        Some(product) => {
            attributes.product = product.value;
            (product.id, product.product_characteristic)
        }
        None => (None, None),
    };
    check_date("product.startDate", attributes.product.start_date.as_ref())?;
    check_date(
        "product.terminationDate",
        attributes.product.termination_date.as_ref(),
    )?;
    let product =
        match (action, product_id) {
            (Action::Add, _) => None,
            (_, None) => {
                return Err(ApiError::bad_request(format!(
                    "item `{id}`: product.id is required for action {}",
                    action.as_str()
                )));
            }
            (_, Some(text)) => Some(text.parse::<ProductId>().map_err(|error| {
                ApiError::bad_request(format!("item `{id}`: product.id: {error}"))
            })?),
        };
    attributes.value_types = value_types(
        characteristic
            .iter()
            .flatten()
            .map(|c| c.value_type.as_deref()),
    );
    let characteristics = parse_characteristics(characteristic, &id)?;
    let item = ProductOrderItemCreate {
        id,
        action,
        // Modify/delete/noChange may leave the offering out: COM takes the product's own.
        offering: Arc::from(offering.unwrap_or_default()),
        product,
        characteristics,
    };
    let attributes =
        (attributes != ProductOrderItemAttributes::default()).then(|| Box::new(attributes));
    Ok((item, attributes))
}

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

    fn body(value: Value) -> ProductOrderCreateBody {
        serde_json::from_value(value).expect("test body deserializes")
    }

    fn add_item(id: &str) -> Value {
        json!({"id": id, "action": "add", "productOffering": {"id": "fibre"},
               "product": {"productCharacteristic": [{"name": "region", "value": "north"}]}})
    }

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

    #[test]
    fn parses_a_valid_add() {
        let parsed = parse_create(
            body(json!({"externalId": "x1", "productOrderItem": [add_item("1")]})),
            4,
        )
        .expect("valid");
        assert_eq!(parsed.external_id.as_deref(), Some("x1"));
        assert_eq!(parsed.items.len(), 1);
        assert_eq!(&*parsed.items[0].offering, "fibre");
        assert_eq!(&*parsed.items[0].characteristics[0].name, "region");
    }

    #[test]
    fn refuses_bad_items() {
        let cases = [
            json!({}),
            json!({"productOrderItem": []}),
            json!({"productOrderItem": [add_item("1"), add_item("1")]}),
            json!({"productOrderItem": [add_item("")]}),
            json!({"productOrderItem": [add_item("1"), add_item("2"), add_item("3")]}),
            json!({"productOrderItem": [{"id": "1", "action": "destroy", "productOffering": {"id": "f"}}]}),
            json!({"productOrderItem": [{"id": "1", "action": "add"}]}),
            json!({"productOrderItem": [{"id": "1", "action": "modify", "productOffering": {"id": "f"}}]}),
            json!({"productOrderItem": [{"id": "1", "action": "delete", "product": {"id": "PO-1"}}]}),
        ];
        for case in cases {
            let error = parse_create(body(case.clone()), 2).expect_err(&case.to_string());
            assert_eq!(error.status.as_u16(), 400, "{case}");
        }
    }

    #[test]
    fn parses_delete_with_product_id() {
        let parsed = parse_create(
            body(json!({"productOrderItem": [{"id": "1", "action": "delete", "product": {"id": "P-7"}}]})),
            2,
        )
        .expect("valid");
        assert_eq!(parsed.items[0].product, Some(ProductId(7)));
        assert_eq!(parsed.items[0].action, Action::Delete);
    }
}
