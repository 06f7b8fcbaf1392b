//! TMF640 service activation: the JSON of a `Service` being activated.

use serde_json::{Map, Value, json};

use super::inventory::resource_characteristics;
use super::{
    RESOURCE_ORDERING, RenderContext, SERVICE_ACTIVATION, SERVICE_CATALOG, SERVICE_INVENTORY,
    characteristics,
};
use crate::layers::activation::ActivationService;

/// The JSON of a TMF640 `Service`.
pub fn render(service: &ActivationService, context: &RenderContext<'_>) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(service.id.to_string()));
    map.insert(
        "href".into(),
        json!(context.href(SERVICE_ACTIVATION, "service", service.id)),
    );
    map.insert("@type".into(), json!("Service"));
    map.insert("category".into(), json!("RFS"));
    map.insert("name".into(), json!(service.service.to_string()));
    map.insert("state".into(), json!(service.state.as_str()));
    map.insert("startDate".into(), context.date(service.created));
    map.insert(
        "serviceSpecification".into(),
        context.reference(
            SERVICE_CATALOG,
            "serviceSpecification",
            &service.service_specification,
            None,
        ),
    );
    // The allocated resources have no inventory id here (TMF640 `supportingResource` needs
    // one), so they are listed as characteristics of the service instead.
    let mut listed = match characteristics(&service.characteristics) {
        Value::Array(list) => list,
        _ => Vec::new(),
    };
    for value in &service.resources {
        if let Value::Array(entries) = resource_characteristics(value, context.topology) {
            // The region is usually a characteristic of the service already.
            for entry in entries {
                if !listed.contains(&entry) {
                    listed.push(entry);
                }
            }
        }
    }
    map.insert("serviceCharacteristic".into(), Value::Array(listed));
    map.insert(
        "supportingService".into(),
        json!([context.reference(
            SERVICE_INVENTORY,
            "service",
            service.service,
            Some("Service")
        )]),
    );
    if let Some(parent) = service.parent {
        map.insert(
            "relatedEntity".into(),
            json!([{
                "id": parent.to_string(),
                "href": context.href(RESOURCE_ORDERING, "resourceOrder", parent),
                "role": "requester",
                "@referredType": "ResourceOrder",
            }]),
        );
    }
    if let Some(error) = &service.error {
        map.insert("description".into(), json!(error.message));
        map.insert("@errorCode".into(), json!(error.code.as_str()));
    }
    Value::Object(map)
}
