//! TMF641 service ordering: `ServiceOrder_Create` → [`ServiceOrderCreate`] and the JSON of a
//! `ServiceOrder`.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::attributes::{
    characteristics, check_date, check_header, merge_into, push_to, value_types,
};
use super::product_order::{
    CharacteristicBody, IdRefBody, check_item_ids, parse_action, parse_characteristics,
};
use super::{
    PRODUCT_ORDERING, RESOURCE_INVENTORY, RESOURCE_ORDERING, RenderContext, SERVICE_CATALOG,
    SERVICE_INVENTORY, SERVICE_ORDERING, failure_error_message, insert_some,
};
use crate::domain::ids::{ProductOrderId, ServiceId};
use crate::domain::state::OrderState;
use crate::http::error::ApiError;
use crate::layers::attributes::{
    OrderAttributes, OrderHeader, ServiceOrderAttributes, ServiceOrderItemAttributes, ServiceValue,
};
use crate::layers::common::Action;
use crate::layers::som::{
    ServiceOrder, ServiceOrderCreate, ServiceOrderItem, ServiceOrderItemCreate,
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
    pub related_entity: Option<Vec<Value>>,
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

/// The JSON of a TMF641 `ServiceOrder`.
pub fn render(order: &ServiceOrder, context: &RenderContext<'_>) -> Value {
    let mut map = Map::new();
    let attributes = order.attributes.as_deref();
    if let Some(attributes) = attributes {
        merge_into(&mut map, &attributes.summary);
        if let Some(details) = &attributes.details {
            merge_into(&mut map, details);
        }
    }
    map.insert("id".into(), json!(order.id.to_string()));
    map.insert(
        "href".into(),
        json!(context.href(SERVICE_ORDERING, "serviceOrder", order.id)),
    );
    map.insert("@type".into(), json!("ServiceOrder"));
    map.insert("state".into(), json!(order.state.as_str()));
    map.insert("orderDate".into(), json!(context.date(order.order_date)));
    insert_some(
        &mut map,
        "completionDate",
        order.completion_date.map(|t| json!(context.date(t))),
    );
    insert_some(&mut map, "externalId", order.external_id.clone());
    if let Some(parent) = order.parent {
        let reference = json!({
            "id": parent.to_string(),
            "href": context.href(PRODUCT_ORDERING, "productOrder", parent),
            "name": parent.to_string(),
            "externalReferenceType": "ProductOrder",
        });
        push_to(&mut map, "externalReference", reference);
    }
    let items = order.items.iter().enumerate().map(|(index, item)| {
        render_item(
            item,
            attributes.and_then(|attributes| attributes.item(index)),
            context,
        )
    });
    map.insert("serviceOrderItem".into(), Value::Array(items.collect()));
    if let Some(reason) = &order.failure {
        let timestamp = order.completion_date.map(|t| context.date(t));
        let message = failure_error_message(reason, timestamp);
        map.insert("errorMessage".into(), json!([message]));
    }
    Value::Object(map)
}

fn render_item(
    item: &ServiceOrderItem,
    attributes: Option<&ServiceOrderItemAttributes>,
    context: &RenderContext<'_>,
) -> Value {
    let mut service = Map::new();
    if let Some(attributes) = attributes {
        merge_into(&mut service, &attributes.service);
    }
    if let Some(id) = item.service {
        service.insert("id".into(), json!(id.to_string()));
        service.insert(
            "href".into(),
            json!(context.href(SERVICE_INVENTORY, "service", id)),
        );
    }
    service.insert("@type".into(), json!("Service"));
    if !item.service_specification.is_empty() {
        service.insert(
            "serviceSpecification".into(),
            json!(context.reference(
                SERVICE_CATALOG,
                "serviceSpecification",
                &item.service_specification,
                None,
            )),
        );
    }
    let types = attributes.map_or(&[][..], |attributes| &attributes.value_types);
    service.insert(
        "serviceCharacteristic".into(),
        characteristics(&item.characteristics, types),
    );
    let supporting: Vec<Value> = item
        .supporting_services
        .iter()
        .map(|id| json!(context.reference(SERVICE_INVENTORY, "service", id, Some("Service"))))
        .collect();
    if !supporting.is_empty() {
        service.insert("supportingService".into(), Value::Array(supporting));
    }
    let resources: Vec<Value> = item
        .supporting_resources
        .iter()
        .map(|id| json!(context.reference(RESOURCE_INVENTORY, "resource", id, Some("Resource"))))
        .collect();
    if !resources.is_empty() {
        service.insert("supportingResource".into(), Value::Array(resources));
    }
    if let Some(parent_item) = &item.parent_item {
        service.insert(
            "relatedEntity".into(),
            json!([crate::tmf::product_order_item_ref(parent_item)]),
        );
    }
    let mut map = Map::new();
    if let Some(attributes) = attributes {
        merge_into(&mut map, attributes);
    }
    map.insert("id".into(), json!(item.id));
    map.insert("@type".into(), json!("ServiceOrderItem"));
    map.insert("action".into(), json!(item.action.as_str()));
    // What a cancel undid is shown cancelled, as COM is told, never as built.
    let state = match item.compensated && item.state == OrderState::Completed {
        true => OrderState::Cancelled,
        false => item.state,
    };
    map.insert("state".into(), json!(state.as_str()));
    map.insert("service".into(), Value::Object(service));
    if let Some(resource_order) = item.resource_order {
        // Not a TMF641 attribute: where the item's work went, for tracing an order down.
        map.insert(
            "@resourceOrder".into(),
            json!(context.reference(
                RESOURCE_ORDERING,
                "resourceOrder",
                resource_order,
                Some("ResourceOrder"),
            )),
        );
    }
    Value::Object(map)
}
