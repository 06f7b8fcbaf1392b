//! TMF640 service activation: the JSON of a `Service` being activated.

use serde_json::{Map, Value, json};

use super::service_create::{requester, service_characteristics};
use super::{
    RESOURCE_INVENTORY, RenderContext, SERVICE_ACTIVATION, SERVICE_CATALOG, SERVICE_INVENTORY,
    failure_note,
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
    let name = match (&service.name, service.service) {
        (Some(name), _) => name.clone(),
        (None, Some(rfs)) => rfs.to_string(),
        (None, None) => service.id.to_string(),
    };
    map.insert("name".into(), json!(name));
    map.insert("state".into(), json!(service.state.as_str()));
    map.insert("startDate".into(), json!(context.date(service.created)));
    map.insert(
        "serviceSpecification".into(),
        json!(context.reference(
            SERVICE_CATALOG,
            "serviceSpecification",
            &service.service_specification,
            None,
        )),
    );
    let listed = service_characteristics(
        &service.characteristics,
        &service.resources,
        context.topology,
    );
    map.insert("serviceCharacteristic".into(), json!(listed));
    if !service.supporting_resources.is_empty() {
        let resources: Vec<Value> = service
            .supporting_resources
            .iter()
            .map(|id| {
                json!(context.reference(
                    RESOURCE_INVENTORY,
                    "resource",
                    id,
                    Some("LogicalResource")
                ))
            })
            .collect();
        map.insert("supportingResource".into(), Value::Array(resources));
    }
    if let Some(rfs) = service.service {
        map.insert(
            "supportingService".into(),
            json!([json!(context.reference(
                SERVICE_INVENTORY,
                "service",
                rfs,
                Some("Service")
            ))]),
        );
    }
    if let Some(parent) = service.parent {
        map.insert(
            "relatedEntity".into(),
            json!([requester(parent, context.public_url)]),
        );
    }
    if let Some(error) = &service.error {
        map.insert("description".into(), json!(error.message));
        map.insert("note".into(), json!([failure_note(error, None)]));
    }
    Value::Object(map)
}
