//! TMF620/633/634 catalogs: the JSON of offerings and specifications (read-only).

use serde_json::{Value, json};

use super::refs::EntityRef;
use super::{PRODUCT_CATALOG, RESOURCE_CATALOG, RenderContext, SERVICE_CATALOG};
use crate::domain::catalog::{
    ProductOffering, ProductSpecification, ResourceSpecification, ServiceCategory,
    ServiceSpecification,
};
use crate::domain::characteristic::CharacteristicSpecification;

/// A TMF620 `ProductSpecificationCharacteristic` / TMF633 `CharacteristicSpecification`, with
/// its one value specification under `values_key` (type and integer range as
/// `valueFrom`/`valueTo`).
fn render_characteristic(spec: &CharacteristicSpecification, values_key: &str) -> Value {
    let mut value = json!({"valueType": spec.value_type.as_str()});
    if let Some(from) = spec.value_from {
        value["valueFrom"] = json!(from);
    }
    if let Some(to) = spec.value_to {
        value["valueTo"] = json!(to);
    }
    let mut rendered = json!({
        "name": &*spec.name,
        "description": spec.description,
        "valueType": spec.value_type.as_str(),
        "configurable": true,
        "minCardinality": 0,
        "maxCardinality": 1,
    });
    rendered[values_key] = json!([value]);
    rendered
}

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
    let services: Vec<EntityRef> = specification
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
        "productSpecCharacteristic": specification
            .characteristics
            .iter()
            .map(|spec| render_characteristic(spec, "productSpecCharacteristicValue"))
            .collect::<Vec<_>>(),
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
    let resources: Vec<EntityRef> = specification
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
        "specCharacteristic": specification
            .characteristics
            .iter()
            .map(|spec| render_characteristic(spec, "characteristicValueSpecification"))
            .collect::<Vec<_>>(),
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
