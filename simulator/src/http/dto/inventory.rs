//! TMF637/638/639 inventories: the JSON of a `Product`, a `Service` and a `Resource`, and the
//! names of allocated resources.

use serde_json::{Map, Value, json};

use super::{
    PRODUCT_CATALOG, PRODUCT_INVENTORY, PRODUCT_ORDERING, RESOURCE_CATALOG, RESOURCE_INVENTORY,
    RESOURCE_ORDERING, RenderContext, SERVICE_ACTIVATION, SERVICE_CATALOG, SERVICE_INVENTORY,
    SERVICE_ORDERING, characteristics, insert_some,
};
use crate::domain::catalog::ServiceCategory;
use crate::layers::inventory::{ProductRecord, ResourceRecord, ServiceRecord};
pub use crate::tmf::resource_value::{resource_characteristics, resource_name};
use crate::tmf::{ACTIVATION_ROLE, ALLOCATION_ROLE, RFS_ROLE};

/// The JSON of a TMF637 `Product`.
pub fn render_product(product: &ProductRecord, context: &RenderContext<'_>) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(product.id.to_string()));
    map.insert(
        "href".into(),
        json!(context.href(PRODUCT_INVENTORY, "product", product.id)),
    );
    map.insert("@type".into(), json!("Product"));
    map.insert(
        "status".into(),
        serde_json::to_value(product.status).unwrap_or(Value::Null),
    );
    map.insert(
        "productOffering".into(),
        context.reference(
            PRODUCT_CATALOG,
            "productOffering",
            &product.offering,
            Some("ProductOffering"),
        ),
    );
    map.insert(
        "productCharacteristic".into(),
        characteristics(&product.characteristics),
    );
    map.insert("startDate".into(), context.date(product.start));
    insert_some(
        &mut map,
        "terminationDate",
        product.termination.map(|t| context.date(t)),
    );
    let services = product
        .services
        .iter()
        .map(|id| context.reference(SERVICE_INVENTORY, "service", id, Some("Service")))
        .collect();
    map.insert("realizingService".into(), Value::Array(services));
    map.insert(
        "productOrderItem".into(),
        json!([{
            "productOrderId": product.order.to_string(),
            "productOrderHref": context.href(PRODUCT_ORDERING, "productOrder", product.order),
            "role": "lastOrder",
        }]),
    );
    Value::Object(map)
}

/// The JSON of a TMF638 `Service`.
pub fn render_service(service: &ServiceRecord, context: &RenderContext<'_>) -> Value {
    let category = match service.category {
        ServiceCategory::Cfs => "CFS",
        ServiceCategory::Rfs => "RFS",
    };
    let mut map = Map::new();
    map.insert("id".into(), json!(service.id.to_string()));
    map.insert(
        "href".into(),
        json!(context.href(SERVICE_INVENTORY, "service", service.id)),
    );
    map.insert("@type".into(), json!("Service"));
    map.insert("category".into(), json!(category));
    map.insert("state".into(), json!(service.state.as_str()));
    map.insert(
        "serviceSpecification".into(),
        context.reference(
            SERVICE_CATALOG,
            "serviceSpecification",
            &service.specification,
            None,
        ),
    );
    map.insert(
        "serviceCharacteristic".into(),
        characteristics(&service.characteristics),
    );
    let supporting = service
        .supporting_services
        .iter()
        .map(|id| context.reference(SERVICE_INVENTORY, "service", id, Some("Service")))
        .collect();
    map.insert("supportingService".into(), Value::Array(supporting));
    let resources = service
        .supporting_resources
        .iter()
        .map(|id| context.reference(RESOURCE_INVENTORY, "resource", id, Some("Resource")))
        .collect();
    map.insert("supportingResource".into(), Value::Array(resources));
    map.insert(
        "serviceOrderItem".into(),
        json!([{
            "serviceOrderId": service.order.to_string(),
            "serviceOrderHref": context.href(SERVICE_ORDERING, "serviceOrder", service.order),
            "role": "lastOrder",
        }]),
    );
    Value::Object(map)
}

/// The JSON of a TMF639 `Resource`.
pub fn render_resource(resource: &ResourceRecord, context: &RenderContext<'_>) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(resource.id.to_string()));
    map.insert(
        "href".into(),
        json!(context.href(RESOURCE_INVENTORY, "resource", resource.id)),
    );
    map.insert("@type".into(), json!("LogicalResource"));
    map.insert(
        "name".into(),
        json!(resource_name(&resource.value, context.topology)),
    );
    map.insert(
        "resourceStatus".into(),
        serde_json::to_value(resource.status).unwrap_or(Value::Null),
    );
    map.insert(
        "resourceSpecification".into(),
        context.reference(
            RESOURCE_CATALOG,
            "resourceSpecification",
            &resource.specification,
            None,
        ),
    );
    map.insert(
        "resourceCharacteristic".into(),
        resource_characteristics(&resource.value, context.topology),
    );
    let mut related = vec![
        json!({
            "id": resource.order.to_string(),
            "href": context.href(RESOURCE_ORDERING, "resourceOrder", resource.order),
            "role": "lastOrder",
            "@referredType": "ResourceOrder",
        }),
        json!({
            "id": resource.allocation.to_string(),
            "role": ALLOCATION_ROLE,
            "@referredType": "NetworkAllocation",
        }),
    ];
    if let Some((service, rfs)) = &resource.activation {
        // The TMF640 service configuring it, named after the RFS specification it activates
        // (what a restarted activation layer needs to know that service again).
        related.push(json!({
            "id": service.to_string(),
            "href": context.href(SERVICE_ACTIVATION, "service", service),
            "name": &*rfs.specification,
            "role": ACTIVATION_ROLE,
            "@referredType": "Service",
        }));
        if let Some(rfs) = rfs.id {
            related.push(json!({
                "id": rfs.to_string(),
                "href": context.href(SERVICE_INVENTORY, "service", rfs),
                "role": RFS_ROLE,
                "@referredType": "Service",
            }));
        }
    }
    map.insert("relatedEntity".into(), Value::Array(related));
    Value::Object(map)
}
