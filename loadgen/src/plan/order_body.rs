//! The ProductOrder_Create bodies loadgen plans, typed: the HTTP driver writes one as JSON, the
//! virtual-time driver turns one straight into the simulator's parsed request. Building a
//! `serde_json::Value` tree per order (a map and a string per key) cost the virtual driver more
//! than a chain layer did; these structs write the same document without it.

use serde::Serialize;
use serde_json::Value;
use simulator::layers::attributes::{HeaderDetails, HeaderSummary, OrderHeader};
use simulator::tmf::product_order_create::{
    CharacteristicBody, IdRefBody, ProductBody, ProductOrderCreateBody, ProductOrderItemBody,
};

/// A planned ProductOrder_Create body: a typed request, or raw bytes (a deliberately malformed
/// body). The HTTP driver sends its bytes; the virtual-time driver reads it directly, without
/// writing it out and parsing it back per order.
#[derive(Clone, Debug, PartialEq)]
pub enum OrderBody {
    /// A well-formed request.
    Request(OrderRequest),
    /// Bytes sent as they are.
    Raw(Vec<u8>),
}

impl OrderBody {
    /// The bytes an HTTP request carries.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            OrderBody::Request(request) => serde_json::to_vec(request).unwrap_or_default(),
            OrderBody::Raw(bytes) => bytes.clone(),
        }
    }

    /// The bytes an HTTP request carries, taking them.
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            OrderBody::Request(request) => serde_json::to_vec(&request).unwrap_or_default(),
            OrderBody::Raw(bytes) => bytes,
        }
    }

    /// The body as the simulator's HTTP layer would read it from the bytes.
    pub fn into_parsed(self) -> Result<ProductOrderCreateBody, serde_json::Error> {
        match self {
            OrderBody::Request(request) => Ok(request.into()),
            OrderBody::Raw(bytes) => serde_json::from_slice(&bytes),
        }
    }
}

/// A TMF622 ProductOrder_Create with what loadgen sends.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRequest {
    /// The operation's name.
    pub description: &'static str,
    /// The items.
    pub product_order_item: Vec<ItemRequest>,
}

/// One ProductOrderItem.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemRequest {
    /// Its id within the order.
    pub id: &'static str,
    /// `add`, `modify` or `delete`.
    pub action: &'static str,
    /// The offering.
    pub product_offering: OfferingRef,
    /// The product (its id for modify/delete; characteristics).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductRequest>,
}

/// A reference to an offering by id.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OfferingRef {
    /// The offering id.
    pub id: &'static str,
}

/// The product part of an item.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductRequest {
    /// The existing product, for modify and delete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Its characteristics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_characteristic: Option<Vec<CharacteristicRequest>>,
}

/// A characteristic: name and value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CharacteristicRequest {
    /// Its name.
    pub name: &'static str,
    /// Its value.
    pub value: Value,
}

impl CharacteristicRequest {
    /// `name` with `value`.
    pub fn new(name: &'static str, value: impl Into<Value>) -> CharacteristicRequest {
        CharacteristicRequest {
            name,
            value: value.into(),
        }
    }
}

impl From<OrderRequest> for ProductOrderCreateBody {
    fn from(request: OrderRequest) -> ProductOrderCreateBody {
        ProductOrderCreateBody {
            external_id: None,
            product_order_item: Some(
                request
                    .product_order_item
                    .into_iter()
                    .map(item_body)
                    .collect(),
            ),
            // As the HTTP driver's JSON carries it, so both drivers store the same order.
            header: OrderHeader {
                summary: HeaderSummary {
                    description: Some(request.description.into()),
                    ..HeaderSummary::default()
                },
                details: HeaderDetails::default(),
            },
        }
    }
}

fn item_body(item: ItemRequest) -> ProductOrderItemBody {
    ProductOrderItemBody {
        id: Some(item.id.to_owned()),
        action: Some(item.action.to_owned()),
        product_offering: Some(IdRefBody {
            id: Some(item.product_offering.id.to_owned()),
        }),
        product: item.product.map(|product| ProductBody {
            id: product.id,
            product_characteristic: product.product_characteristic.map(|list| {
                list.into_iter()
                    .map(|characteristic| CharacteristicBody {
                        name: characteristic.name.to_owned(),
                        value_type: None,
                        value: characteristic.value,
                    })
                    .collect()
            }),
            value: Default::default(),
        }),
        attributes: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modify() -> OrderRequest {
        OrderRequest {
            description: "modify_speed",
            product_order_item: vec![ItemRequest {
                id: "1",
                action: "modify",
                product_offering: OfferingRef {
                    id: "fibre-broadband",
                },
                product: Some(ProductRequest {
                    id: Some("P-7".into()),
                    product_characteristic: Some(vec![CharacteristicRequest::new(
                        "downstreamSpeedMbps",
                        500,
                    )]),
                }),
            }],
        }
    }

    /// The direct conversion reads the same request as parsing the bytes would.
    #[test]
    fn parsed_directly_equals_parsed_from_bytes() {
        let body = OrderBody::Request(modify());
        let from_bytes: ProductOrderCreateBody =
            serde_json::from_slice(&body.to_bytes()).expect("valid JSON");
        let direct = body.into_parsed().expect("a request");
        assert_eq!(format!("{direct:?}"), format!("{from_bytes:?}"));
    }

    #[test]
    fn bytes_are_the_tmf_document() {
        let value: Value =
            serde_json::from_slice(&OrderBody::Request(modify()).to_bytes()).expect("valid JSON");
        assert_eq!(
            value,
            serde_json::json!({"description": "modify_speed", "productOrderItem": [
                {"id": "1", "action": "modify", "productOffering": {"id": "fibre-broadband"},
                 "product": {"id": "P-7", "productCharacteristic": [
                    {"name": "downstreamSpeedMbps", "value": 500}]}}]})
        );
    }
}
