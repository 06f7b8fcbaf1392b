//! TMF620/633/634 catalogs: the JSON of offerings and specifications (read-only).

use serde_json::{Value, json};

use super::{PRODUCT_CATALOG, RESOURCE_CATALOG, RenderContext, SERVICE_CATALOG};
use crate::domain::catalog::{
    ProductOffering, ProductSpecification, ResourceSpecification, ServiceCategory,
    ServiceSpecification,
};

/// The JSON of a TMF620 `ProductOffering`.
pub fn render_offering(offering: &ProductOffering, context: &RenderContext<'_>) -> Value {
    json!({
        "id": &*offering.id,
        "href": context.href(PRODUCT_CATALOG, "productOffering", &offering.id),
        "@type": "ProductOffering",
        "name": offering.name,
        "lifecycleStatus": "Active",
        "isBundle": false,
        "isSellable": true,
        // Not a TMF620 attribute: add-ons (IPTV) need a broadband product beside them.
        "@isSellableAlone": offering.is_sellable_alone,
        "productSpecification": context.reference(PRODUCT_CATALOG, "productSpecification", &offering.product_specification, None),
    })
}

/// The JSON of a TMF620 `ProductSpecification`.
pub fn render_product_specification(
    specification: &ProductSpecification,
    context: &RenderContext<'_>,
) -> Value {
    let services: Vec<Value> = specification
        .services
        .iter()
        .map(|id| context.reference(SERVICE_CATALOG, "serviceSpecification", id, None))
        .collect();
    json!({
        "id": &*specification.id,
        "href": context.href(PRODUCT_CATALOG, "productSpecification", &specification.id),
        "@type": "ProductSpecification",
        "name": specification.name,
        "lifecycleStatus": "Active",
        "serviceSpecification": services,
    })
}

/// The JSON of a TMF633 `ServiceSpecification` (CFS or RFS).
pub fn render_service_specification(
    specification: &ServiceSpecification,
    context: &RenderContext<'_>,
) -> Value {
    let kind = match specification.category {
        ServiceCategory::Cfs => "CustomerFacingServiceSpecification",
        ServiceCategory::Rfs => "ResourceFacingServiceSpecification",
    };
    let related: Vec<Value> = specification
        .services
        .iter()
        .map(|id| {
            json!({
                "id": &**id,
                "href": context.href(SERVICE_CATALOG, "serviceSpecification", id),
                "relationshipType": "dependency",
            })
        })
        .collect();
    let resources: Vec<Value> = specification
        .resources
        .iter()
        .map(|id| context.reference(RESOURCE_CATALOG, "resourceSpecification", id, None))
        .collect();
    json!({
        "id": &*specification.id,
        "href": context.href(SERVICE_CATALOG, "serviceSpecification", &specification.id),
        "@type": kind,
        "name": specification.name,
        "lifecycleStatus": "Active",
        "serviceSpecRelationship": related,
        "resourceSpecification": resources,
    })
}

/// The JSON of a TMF634 `ResourceSpecification`.
pub fn render_resource_specification(
    specification: &ResourceSpecification,
    context: &RenderContext<'_>,
) -> Value {
    json!({
        "id": &*specification.id,
        "href": context.href(RESOURCE_CATALOG, "resourceSpecification", &specification.id),
        "@type": "LogicalResourceSpecification",
        "name": specification.name,
        "lifecycleStatus": "Active",
        "category": specification.kind,
    })
}
