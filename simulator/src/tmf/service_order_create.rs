//! TMF641 `ServiceOrder_Create` and the cancel requests as a parent layer sends them: what COM
//! (or any TMF641 client) tells SOM, and what a parent's cancel of a child order says, in
//! attributes the specs define and nothing else.
//!
//! | the child needs                     | TMF attribute                                              |
//! |-------------------------------------|------------------------------------------------------------|
//! | the product order it realises       | `externalReference[]` with `externalReferenceType` `ProductOrder` |
//! | each item's product order item      | `serviceOrderItem[].service.relatedEntity[]` role `productOrderItem` |
//! | what to order                       | `serviceOrderItem[].service.serviceSpecification.id`, `serviceCharacteristic[]` |
//! | the order to cancel                 | `serviceOrder.id` / `resourceOrder.id`, `cancellationReason` |

use serde::Serialize;

use super::PRODUCT_ORDERING;
use super::resource_order_create::ReferenceBody;
use crate::layers::common::Characteristic;
use crate::layers::som::ServiceOrderCreate;

/// The body of `POST /serviceOrder`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceOrderCreateWire<'a> {
    /// The creator's reference (how a parent finds the order before it knows its id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<&'a str>,
    /// The product order realised.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_reference: Vec<ExternalReferenceWire>,
    /// The items.
    pub service_order_item: Vec<ServiceOrderItemWire<'a>>,
}

/// A TMF641 `ExternalReference`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalReferenceWire {
    /// The referenced id.
    pub id: String,
    /// Its link.
    pub href: String,
    /// `ProductOrder`.
    pub external_reference_type: &'static str,
}

/// A TMF641 `ServiceOrderItem` of a create.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceOrderItemWire<'a> {
    /// Its id within the order.
    pub id: &'a str,
    /// `add`, `modify`, `delete`, `noChange`.
    pub action: &'static str,
    /// The service.
    pub service: ServiceWire<'a>,
}

/// A TMF641 `ServiceRefOrValue` of a create.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceWire<'a> {
    /// The existing service (all actions but `add`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The CFS specification.
    pub service_specification: ReferenceBody,
    /// Its characteristics.
    pub service_characteristic: &'a [Characteristic],
    /// The product order item realised.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_entity: Vec<ReferenceBody>,
}

/// The body of `POST /serviceOrder` for `order`.
pub fn body(order: &ServiceOrderCreate) -> ServiceOrderCreateWire<'_> {
    ServiceOrderCreateWire {
        external_id: order.external_id.as_deref(),
        external_reference: order
            .parent
            .iter()
            .map(|parent| ExternalReferenceWire {
                id: parent.to_string(),
                href: format!("{PRODUCT_ORDERING}/productOrder/{parent}"),
                external_reference_type: "ProductOrder",
            })
            .collect(),
        service_order_item: order
            .items
            .iter()
            .map(|item| ServiceOrderItemWire {
                id: &item.id,
                action: item.action.as_str(),
                service: ServiceWire {
                    id: item.service.map(|id| id.to_string()),
                    service_specification: ReferenceBody {
                        id: Some(item.service_specification.to_string()),
                        ..ReferenceBody::default()
                    },
                    service_characteristic: &item.characteristics,
                    related_entity: item
                        .parent_item
                        .iter()
                        .map(|parent| super::product_order_item_ref(parent))
                        .collect(),
                },
            })
            .collect(),
    }
}

/// A TMF641 `CancelServiceOrder_Create` or TMF652 `CancelResourceOrder_Create`: the order by
/// `id` (empty until the transport's lookup fills it in) and the reason.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelWire {
    /// TMF641: the service order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_order: Option<ReferenceBody>,
    /// TMF652: the resource order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_order: Option<ReferenceBody>,
    /// Why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancellation_reason: Option<String>,
}
