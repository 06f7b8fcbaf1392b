//! TMF637/638/639 inventories: the `Product`, `Service` and `Resource` a record is shown as,
//! and the names of allocated resources.

use serde::Serialize;
use serde_json::Value;

use super::refs::{CharacteristicJson, EntityRef, characteristics};
use super::{
    PRODUCT_CATALOG, PRODUCT_INVENTORY, PRODUCT_ORDERING, RESOURCE_CATALOG, RESOURCE_INVENTORY,
    RESOURCE_ORDERING, RenderContext, SERVICE_ACTIVATION, SERVICE_CATALOG, SERVICE_INVENTORY,
    SERVICE_ORDERING, to_json,
};
use crate::domain::catalog::ServiceCategory;
use crate::layers::common;
use crate::layers::inventory::ServiceRecord;
use crate::layers::inventory::{ProductRecord, ProductStatus, ResourceRecord, ResourceStatus};
pub use crate::tmf::resource_value::{resource_characteristics, resource_name};
use crate::tmf::{ACTIVATION_ROLE, ALLOCATION_ROLE, RFS_ROLE};

/// The `role` of the order that last changed a record.
const LAST_ORDER: &str = "lastOrder";

/// A TMF637 `Product`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProductJson<'a> {
    id: String,
    href: String,
    #[serde(rename = "@type")]
    kind: &'static str,
    status: ProductStatus,
    product_offering: EntityRef,
    product_characteristic: Vec<CharacteristicJson<'a>>,
    start_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    termination_date: Option<String>,
    realizing_service: Vec<EntityRef>,
    product_order_item: [RelatedProductOrderItem; 1],
}

/// TMF637 `RelatedProductOrderItem`: the order that last changed a product.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedProductOrderItem {
    product_order_id: String,
    product_order_href: String,
    role: &'static str,
}

/// A TMF638 `Service`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServiceJson<'a> {
    id: String,
    href: String,
    #[serde(rename = "@type")]
    kind: &'static str,
    category: &'static str,
    state: &'static str,
    service_specification: EntityRef,
    service_characteristic: Vec<CharacteristicJson<'a>>,
    supporting_service: Vec<EntityRef>,
    supporting_resource: Vec<EntityRef>,
    service_order_item: [RelatedServiceOrderItem; 1],
}

/// TMF638 `RelatedServiceOrderItem`: the order that last changed a service.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedServiceOrderItem {
    service_order_id: String,
    service_order_href: String,
    role: &'static str,
}

/// A TMF639 `LogicalResource`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceJson {
    id: String,
    href: String,
    #[serde(rename = "@type")]
    kind: &'static str,
    name: String,
    resource_status: ResourceStatus,
    resource_specification: EntityRef,
    resource_characteristic: Vec<common::Characteristic>,
    related_entity: Vec<EntityRef>,
}

/// The JSON of a TMF637 `Product`.
pub fn render_product(product: &ProductRecord, context: &RenderContext<'_>) -> Value {
    let service = |id| context.reference(SERVICE_INVENTORY, "service", id, Some("Service"));
    to_json(&ProductJson {
        id: product.id.to_string(),
        href: context.href(PRODUCT_INVENTORY, "product", product.id),
        kind: "Product",
        status: product.status,
        product_offering: context.reference(
            PRODUCT_CATALOG,
            "productOffering",
            &product.offering,
            Some("ProductOffering"),
        ),
        product_characteristic: characteristics(&product.characteristics, &[]),
        start_date: context.date(product.start),
        termination_date: product.termination.map(|t| context.date(t)),
        realizing_service: product.services.iter().map(service).collect(),
        product_order_item: [RelatedProductOrderItem {
            product_order_id: product.order.to_string(),
            product_order_href: context.href(PRODUCT_ORDERING, "productOrder", product.order),
            role: LAST_ORDER,
        }],
    })
}

/// The JSON of a TMF638 `Service`.
pub fn render_service(service: &ServiceRecord, context: &RenderContext<'_>) -> Value {
    let supporting = |id| context.reference(SERVICE_INVENTORY, "service", id, Some("Service"));
    let resource = |id| context.reference(RESOURCE_INVENTORY, "resource", id, Some("Resource"));
    to_json(&ServiceJson {
        id: service.id.to_string(),
        href: context.href(SERVICE_INVENTORY, "service", service.id),
        kind: "Service",
        category: match service.category {
            ServiceCategory::Cfs => "CFS",
            ServiceCategory::Rfs => "RFS",
        },
        state: service.state.as_str(),
        service_specification: context.reference(
            SERVICE_CATALOG,
            "serviceSpecification",
            &service.specification,
            None,
        ),
        service_characteristic: characteristics(&service.characteristics, &[]),
        supporting_service: service.supporting_services.iter().map(supporting).collect(),
        supporting_resource: service.supporting_resources.iter().map(resource).collect(),
        service_order_item: [RelatedServiceOrderItem {
            service_order_id: service.order.to_string(),
            service_order_href: context.href(SERVICE_ORDERING, "serviceOrder", service.order),
            role: LAST_ORDER,
        }],
    })
}

/// The JSON of a TMF639 `Resource`.
pub fn render_resource(resource: &ResourceRecord, context: &RenderContext<'_>) -> Value {
    to_json(&ResourceJson {
        id: resource.id.to_string(),
        href: context.href(RESOURCE_INVENTORY, "resource", resource.id),
        kind: "LogicalResource",
        name: resource_name(&resource.value, context.topology),
        resource_status: resource.status,
        resource_specification: context.reference(
            RESOURCE_CATALOG,
            "resourceSpecification",
            &resource.specification,
            None,
        ),
        resource_characteristic: resource_characteristics(&resource.value, context.topology),
        related_entity: related_entities(resource, context),
    })
}

/// A resource's related entities: its last order, its network allocation and, once in
/// service, the TMF640 service configuring it and the TMF638 RFS it supports.
fn related_entities(resource: &ResourceRecord, context: &RenderContext<'_>) -> Vec<EntityRef> {
    let order = context.href(RESOURCE_ORDERING, "resourceOrder", resource.order);
    let mut related = vec![
        EntityRef::new(resource.order.to_string(), Some(order))
            .role(LAST_ORDER)
            .referred("ResourceOrder"),
        EntityRef::new(resource.allocation.to_string(), None)
            .role(ALLOCATION_ROLE)
            .referred("NetworkAllocation"),
    ];
    if let Some((service, rfs)) = &resource.activation {
        // The TMF640 service configuring it, named after the RFS specification it activates
        // (what a restarted activation layer needs to know that service again).
        let href = context.href(SERVICE_ACTIVATION, "service", service);
        related.push(
            EntityRef::new(service.to_string(), Some(href))
                .named(&*rfs.specification)
                .role(ACTIVATION_ROLE)
                .referred("Service"),
        );
        if let Some(rfs) = rfs.id {
            let href = context.href(SERVICE_INVENTORY, "service", rfs);
            related.push(
                EntityRef::new(rfs.to_string(), Some(href))
                    .role(RFS_ROLE)
                    .referred("Service"),
            );
        }
    }
    related
}
