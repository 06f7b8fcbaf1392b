//! TMF622 `ProductOrder_Create` as a client writes it, and its syntactic checks: the body
//! becomes the [`ProductOrderCreate`] COM acts on (with the attributes it only carries), or a
//! [`TmfError`] 400 naming what is wrong. The HTTP API and loadgen's virtual-time target both
//! parse with it, so a deliberately bad request gets the same answer in either.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::checks::{check_date, check_header, value_types};
use super::error::TmfError;
use crate::domain::ids::ProductId;
use crate::layers::attributes::{
    OrderAttributes, OrderHeader, ProductOrderItemAttributes, ProductValue,
};
use crate::layers::com::{ProductOrderCreate, ProductOrderItemCreate};
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
) -> Result<Vec<Characteristic>, TmfError> {
    list.unwrap_or_default()
        .into_iter()
        .map(|c| {
            if c.name.trim().is_empty() {
                Err(TmfError::bad_request(format!(
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
) -> Result<(), TmfError> {
    let count = ids.len();
    if count == 0 {
        return Err(TmfError::bad_request(format!("{what} must not be empty")));
    }
    if count > items_max {
        return Err(TmfError::bad_request(format!(
            "{what} has {count} items; at most {items_max} are allowed"
        )));
    }
    let mut seen = BTreeSet::new();
    for (index, id) in ids.enumerate() {
        let id = id.filter(|id| !id.trim().is_empty()).ok_or_else(|| {
            TmfError::bad_request(format!("{what}[{index}].id is missing or empty"))
        })?;
        if !seen.insert(id) {
            return Err(TmfError::bad_request(format!(
                "{what} item id `{id}` is used twice"
            )));
        }
    }
    Ok(())
}

/// Parses a TMF action.
pub fn parse_action(action: Option<&str>, item: &str) -> Result<Action, TmfError> {
    let text =
        action.ok_or_else(|| TmfError::bad_request(format!("item `{item}`: action is missing")))?;
    Action::parse(text).ok_or_else(|| {
        TmfError::bad_request(format!(
            "item `{item}`: action `{}` is not one of add, modify, delete, noChange",
            text.chars().take(32).collect::<String>()
        ))
    })
}

/// Validates a `ProductOrder_Create` body syntactically.
pub fn parse_create(
    body: ProductOrderCreateBody,
    items_max: usize,
) -> Result<ProductOrderCreate, TmfError> {
    let items = body
        .product_order_item
        .ok_or_else(|| TmfError::bad_request("productOrderItem is required"))?;
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
    TmfError,
> {
    let id = item.id.unwrap_or_default();
    let action = parse_action(item.action.as_deref(), &id)?;
    let offering = item.product_offering.and_then(|offering| offering.id);
    if action == Action::Add && offering.as_deref().is_none_or(str::is_empty) {
        return Err(TmfError::bad_request(format!(
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
                return Err(TmfError::bad_request(format!(
                    "item `{id}`: product.id is required for action {}",
                    action.as_str()
                )));
            }
            (_, Some(text)) => Some(text.parse::<ProductId>().map_err(|error| {
                TmfError::bad_request(format!("item `{id}`: product.id: {error}"))
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
