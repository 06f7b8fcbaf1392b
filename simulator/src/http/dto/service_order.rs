//! TMF641 service ordering: `ServiceOrder_Create` → [`ServiceOrderCreate`], and the
//! `ServiceOrder` an order is shown as (with the attributes its client wrote).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::attributes::{Listed, details_except, listed};
use super::refs::{CharacteristicJson, EntityRef, characteristics};
use super::resource_order_create::ReferenceBody;
use super::{
    FailureErrorMessage, PRODUCT_ORDERING, RESOURCE_INVENTORY, RESOURCE_ORDERING, RenderContext,
    SERVICE_CATALOG, SERVICE_INVENTORY, SERVICE_ORDERING, failure_error_message, to_json,
};
use crate::domain::ids::{ProductOrderId, ServiceId};
use crate::domain::state::OrderState;
use crate::http::error::ApiError;
use crate::layers::attributes::{
    ExternalReference, HeaderSummary, OrderAttributes, OrderHeader, ServiceOrderAttributes,
    ServiceOrderItemAttributes, ServiceValue,
};
use crate::layers::common::Action;
use crate::layers::som::{
    ServiceOrder, ServiceOrderCreate, ServiceOrderItem, ServiceOrderItemCreate,
};
use crate::tmf::checks::{check_date, check_header, value_types};
use crate::tmf::product_order_create::{
    CharacteristicBody, IdRefBody, check_item_ids, parse_action, parse_characteristics,
};

/// TMF641 `ServiceOrder_Create`: what the chain acts on, and the header it carries.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceOrderCreateBody {
    /// The client's reference.
    pub external_id: Option<String>,
    /// The items.
    pub service_order_item: Option<Vec<ServiceOrderItemBody>>,
    /// The other writable attributes. An `externalReference` of type `ProductOrder` names
    /// the product order the service order realises (how COM creates its service orders
    /// over the HTTP transport); it becomes the order's parent.
    #[serde(flatten)]
    pub header: OrderHeader,
}

/// One `ServiceOrderItem` of a create request.
#[derive(Debug, Deserialize)]
pub struct ServiceOrderItemBody {
    /// Its id within the order.
    pub id: Option<String>,
    /// `add`, `modify`, `delete` or `noChange`.
    pub action: Option<String>,
    /// The service (specification for add, id for the others).
    pub service: Option<ServiceBody>,
    /// The item's other writable attributes (`quantity`, `appointment`, …).
    #[serde(flatten)]
    pub attributes: ServiceOrderItemAttributes,
}

/// `ServiceRefOrValue` as far as the simulator reads it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceBody {
    /// The existing service.
    pub id: Option<String>,
    /// The CFS specification.
    pub service_specification: Option<IdRefBody>,
    /// Characteristics.
    pub service_characteristic: Option<Vec<CharacteristicBody>>,
    /// Related entities: the one with role `productOrderItem` names the product order item
    /// this item realises (COM's orders; see [`crate::tmf::PRODUCT_ORDER_ITEM_ROLE`]).
    pub related_entity: Option<Vec<ReferenceBody>>,
    /// Its other writable attributes (`name`, `place`, …).
    #[serde(flatten)]
    pub value: ServiceValue,
}

/// Validates a `ServiceOrder_Create` body syntactically (what the chain acts on only).
pub fn parse_create(
    body: ServiceOrderCreateBody,
    items_max: usize,
) -> Result<ServiceOrderCreate, ApiError> {
    parse_submission(body, items_max).map(|(order, _)| order)
}

/// Validates a `ServiceOrder_Create` body syntactically: the request and the attributes the
/// chain carries.
pub fn parse_submission(
    body: ServiceOrderCreateBody,
    items_max: usize,
) -> Result<(ServiceOrderCreate, Option<Box<ServiceOrderAttributes>>), ApiError> {
    let items = body
        .service_order_item
        .ok_or_else(|| ApiError::bad_request("serviceOrderItem is required"))?;
    check_item_ids(
        items.iter().map(|item| item.id.as_deref()),
        items_max,
        "serviceOrderItem",
    )?;
    let (items, item_attributes) = items
        .into_iter()
        .map(parse_item)
        .collect::<Result<(Vec<_>, Vec<_>), _>>()?;
    let mut header = body.header.for_service_order();
    let parent = take_parent(&mut header)?;
    check_header(&header)?;
    let order = ServiceOrderCreate {
        external_id: body.external_id,
        parent,
        items,
    };
    Ok((order, OrderAttributes::stored(header, item_attributes)))
}

/// Takes the `ProductOrder` external reference out of `header`: it is the order's parent.
fn take_parent(header: &mut OrderHeader) -> Result<Option<ProductOrderId>, ApiError> {
    let Some(references) = header.details.external_reference.take() else {
        return Ok(None);
    };
    let is_parent = |reference: &&crate::layers::attributes::ExternalReference| {
        reference.external_reference_type.as_deref() == Some("ProductOrder")
    };
    let parent = references
        .iter()
        .find(is_parent)
        .map(|reference| {
            let id = reference.id.as_deref().unwrap_or_default();
            id.parse::<ProductOrderId>().map_err(|error| {
                ApiError::bad_request(format!("externalReference ProductOrder id: {error}"))
            })
        })
        .transpose()?;
    let others: Vec<_> = references
        .into_vec()
        .into_iter()
        .filter(|reference| !is_parent(&reference))
        .collect();
    if !others.is_empty() {
        header.details.external_reference = Some(others.into_boxed_slice());
    }
    Ok(parent)
}

fn parse_item(
    item: ServiceOrderItemBody,
) -> Result<
    (
        ServiceOrderItemCreate,
        Option<Box<ServiceOrderItemAttributes>>,
    ),
    ApiError,
> {
    let id = item.id.unwrap_or_default();
    let action = parse_action(item.action.as_deref(), &id)?;
    let service = item
        .service
        .ok_or_else(|| ApiError::bad_request(format!("item `{id}`: service is required")))?;
    let parent_item = service
        .related_entity
        .as_deref()
        .and_then(crate::tmf::product_order_item_of)
        .map(str::to_string);
    let specification = service.service_specification.and_then(|spec| spec.id);
    if action == Action::Add && specification.as_deref().is_none_or(str::is_empty) {
        return Err(ApiError::bad_request(format!(
            "item `{id}`: service.serviceSpecification.id is required for action add"
        )));
    }
    let existing =
        match (action, service.id) {
            (Action::Add, _) => None,
            (_, None) => {
                return Err(ApiError::bad_request(format!(
                    "item `{id}`: service.id is required for action {}",
                    action.as_str()
                )));
            }
            (_, Some(text)) => Some(text.parse::<ServiceId>().map_err(|error| {
                ApiError::bad_request(format!("item `{id}`: service.id: {error}"))
            })?),
        };
    let mut attributes = item.attributes;
    attributes.service = service.value;
    check_date("service.startDate", attributes.service.start_date.as_ref())?;
    check_date("service.endDate", attributes.service.end_date.as_ref())?;
    let listed = service.service_characteristic;
    attributes.value_types = value_types(listed.iter().flatten().map(|c| c.value_type.as_deref()));
    let characteristics = parse_characteristics(listed, &id)?;
    let item = ServiceOrderItemCreate {
        id,
        action,
        service_specification: Arc::from(specification.unwrap_or_default()),
        service: existing,
        parent_item,
        characteristics: characteristics.into(),
    };
    let attributes =
        (attributes != ServiceOrderItemAttributes::default()).then(|| Box::new(attributes));
    Ok((item, attributes))
}

/// A TMF641 `ServiceOrder`: what the chain made of it, and the header the client wrote.
/// The client's attributes come first, so that were one ever spelt like a field below, the
/// simulator's value would win (`to_json` keeps the last).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServiceOrderJson<'a> {
    #[serde(flatten)]
    summary: Option<&'a HeaderSummary>,
    /// The client's lists and references but `externalReference`.
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
    /// The client's, then the product order the service order realises.
    #[serde(skip_serializing_if = "Option::is_none")]
    external_reference: Option<Vec<Listed<'a, ExternalReference, ExternalReference>>>,
    service_order_item: Vec<ItemJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<[FailureErrorMessage<'a>; 1]>,
}

/// A TMF641 `ServiceOrderItem`, after the client's attributes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ItemJson<'a> {
    #[serde(flatten)]
    attributes: Option<&'a ServiceOrderItemAttributes>,
    id: &'a str,
    #[serde(rename = "@type")]
    kind: &'static str,
    action: &'static str,
    state: &'static str,
    service: ServiceJson<'a>,
    /// Not a TMF641 attribute: where the item's work went, for tracing an order down.
    #[serde(rename = "@resourceOrder", skip_serializing_if = "Option::is_none")]
    resource_order: Option<EntityRef>,
}

/// The TMF641 `ServiceRefOrValue` of an item, after the client's attributes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServiceJson<'a> {
    #[serde(flatten)]
    value: Option<&'a ServiceValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    href: Option<String>,
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_specification: Option<EntityRef>,
    service_characteristic: Vec<CharacteristicJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    supporting_service: Vec<EntityRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    supporting_resource: Vec<EntityRef>,
    /// The product order item the item realises.
    #[serde(skip_serializing_if = "Option::is_none")]
    related_entity: Option<[ReferenceBody; 1]>,
}

/// The JSON of a TMF641 `ServiceOrder`.
pub fn render(order: &ServiceOrder, context: &RenderContext<'_>) -> Value {
    let attributes = order.attributes.as_deref();
    let details = attributes.and_then(|attributes| attributes.details.as_deref());
    let completion_date = order.completion_date.map(|t| context.date(t));
    let parent = order.parent.map(|parent| ExternalReference {
        id: Some(parent.to_string().into()),
        href: Some(
            context
                .href(PRODUCT_ORDERING, "productOrder", parent)
                .into(),
        ),
        external_reference_type: Some("ProductOrder".into()),
        name: Some(parent.to_string().into()),
        kind: None,
    });
    let items = order.items.iter().enumerate().map(|(index, item)| {
        let attributes = attributes.and_then(|attributes| attributes.item(index));
        item_json(item, attributes, context)
    });
    to_json(&ServiceOrderJson {
        summary: attributes.map(|attributes| &attributes.summary),
        details: details_except(details, &["externalReference"]),
        id: order.id.to_string(),
        href: context.href(SERVICE_ORDERING, "serviceOrder", order.id),
        kind: "ServiceOrder",
        state: order.state.as_str(),
        order_date: context.date(order.order_date),
        error_message: order
            .failure
            .as_ref()
            .map(|reason| [failure_error_message(reason, completion_date.clone())]),
        completion_date,
        external_id: order.external_id.as_deref(),
        external_reference: listed(
            details.and_then(|details| details.external_reference.as_deref()),
            parent,
        ),
        service_order_item: items.collect(),
    })
}

fn item_json<'a>(
    item: &'a ServiceOrderItem,
    attributes: Option<&'a ServiceOrderItemAttributes>,
    context: &RenderContext<'_>,
) -> ItemJson<'a> {
    // What a cancel undid is shown cancelled, as COM is told, never as built.
    let state = match item.compensated && item.state == OrderState::Completed {
        true => OrderState::Cancelled,
        false => item.state,
    };
    let resource_order = item.resource_order.map(|id| {
        context.reference(
            RESOURCE_ORDERING,
            "resourceOrder",
            id,
            Some("ResourceOrder"),
        )
    });
    ItemJson {
        attributes,
        id: &item.id,
        kind: "ServiceOrderItem",
        action: item.action.as_str(),
        state: state.as_str(),
        service: service_json(item, attributes, context),
        resource_order,
    }
}

fn service_json<'a>(
    item: &'a ServiceOrderItem,
    attributes: Option<&'a ServiceOrderItemAttributes>,
    context: &RenderContext<'_>,
) -> ServiceJson<'a> {
    let specification = (!item.service_specification.is_empty()).then(|| {
        let id = &item.service_specification;
        context.reference(SERVICE_CATALOG, "serviceSpecification", id, None)
    });
    let service = |id| context.reference(SERVICE_INVENTORY, "service", id, Some("Service"));
    let resource = |id| context.reference(RESOURCE_INVENTORY, "resource", id, Some("Resource"));
    let types = attributes.map_or(&[][..], |attributes| &attributes.value_types);
    ServiceJson {
        value: attributes.map(|attributes| &attributes.service),
        id: item.service.map(|id| id.to_string()),
        href: item
            .service
            .map(|id| context.href(SERVICE_INVENTORY, "service", id)),
        kind: "Service",
        service_specification: specification,
        service_characteristic: characteristics(&item.characteristics, types),
        supporting_service: item.supporting_services.iter().map(service).collect(),
        supporting_resource: item.supporting_resources.iter().map(resource).collect(),
        related_entity: item
            .parent_item
            .as_deref()
            .map(|parent| [crate::tmf::product_order_item_ref(parent)]),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::{ServiceOrderCreateBody, parse_create};
    use crate::domain::ids::ProductOrderId;
    use crate::domain::time::Time;
    use crate::layers::common::{Action, Characteristic, Characteristics};
    use crate::layers::som::{ServiceOrderCreate, ServiceOrderItemCreate, SomInput};
    use crate::layers::{LayerId, Message};
    use crate::network::Topology;
    use crate::runtime::transport::codec::{self, Outgoing, Verb};

    /// What COM's HTTP transport sends SOM is a `ServiceOrder_Create` this API parses back
    /// into the same order: parent and parent items included.
    #[test]
    fn the_transports_service_order_create_parses_back_with_parent_and_parent_items() {
        let order = ServiceOrderCreate {
            external_id: Some("PO-7".into()),
            parent: Some(ProductOrderId(7)),
            items: vec![ServiceOrderItemCreate {
                id: "1".into(),
                action: Action::Add,
                service_specification: Arc::from("cfs-broadband"),
                service: None,
                parent_item: Some("item-1".into()),
                characteristics: Characteristics::from([Characteristic {
                    name: Arc::from("downstreamSpeedMbps"),
                    value: json!(500),
                }]),
            }],
        };
        let network = crate::config::SimConfig::default().network;
        let topology = Topology::from_config(&network).expect("valid network");
        let message = Message::Som(SomInput::Create {
            reply: None,
            order: order.clone(),
        });
        let Some(Outgoing::Call(call)) = codec::outgoing(message, Time::ZERO, "", &topology) else {
            panic!("a create is a call");
        };
        assert_eq!((call.to, call.verb), (LayerId::Som, Verb::Post));
        assert!(call.path.ends_with("/serviceOrdering/v4/serviceOrder"));
        let body: ServiceOrderCreateBody = serde_json::from_value(call.body).expect("TMF body");
        assert_eq!(parse_create(body, 16).expect("valid"), order);
    }
}
