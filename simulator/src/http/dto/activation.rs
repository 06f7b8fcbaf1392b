//! TMF640 service activation: the `Service` an activation is shown as.

use serde::Serialize;
use serde_json::Value;

use super::refs::EntityRef;
use super::resource_order_create::ReferenceBody;
use super::service_create::{requester, service_characteristics};
use super::{
    FailureNote, RESOURCE_INVENTORY, RenderContext, SERVICE_ACTIVATION, SERVICE_CATALOG,
    SERVICE_INVENTORY, failure_note, to_json,
};
use crate::layers::activation::ActivationService;
use crate::layers::common::Characteristic;

/// A TMF640 `Service`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServiceJson<'a> {
    id: String,
    href: String,
    #[serde(rename = "@type")]
    kind: &'static str,
    category: &'static str,
    name: String,
    state: &'static str,
    start_date: String,
    service_specification: EntityRef,
    service_characteristic: Vec<Characteristic>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    supporting_resource: Vec<EntityRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    supporting_service: Option<[EntityRef; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    related_entity: Option<[ReferenceBody; 1]>,
    /// The failure's sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<[FailureNote<'a>; 1]>,
}

/// The JSON of a TMF640 `Service`.
pub fn render(service: &ActivationService, context: &RenderContext<'_>) -> Value {
    let name = match (&service.name, service.service) {
        (Some(name), _) => name.clone(),
        (None, Some(rfs)) => rfs.to_string(),
        (None, None) => service.id.to_string(),
    };
    let resource =
        |id| context.reference(RESOURCE_INVENTORY, "resource", id, Some("LogicalResource"));
    let rfs = |rfs| context.reference(SERVICE_INVENTORY, "service", rfs, Some("Service"));
    let error = service.error.as_ref();
    to_json(&ServiceJson {
        id: service.id.to_string(),
        href: context.href(SERVICE_ACTIVATION, "service", service.id),
        kind: "Service",
        category: "RFS",
        name,
        state: service.state.as_str(),
        start_date: context.date(service.created),
        service_specification: context.reference(
            SERVICE_CATALOG,
            "serviceSpecification",
            &service.service_specification,
            None,
        ),
        service_characteristic: service_characteristics(
            &service.characteristics,
            &service.resources,
            context.topology,
        ),
        supporting_resource: service.supporting_resources.iter().map(resource).collect(),
        supporting_service: service.service.map(|id| [rfs(id)]),
        related_entity: service
            .parent
            .map(|parent| [requester(parent, context.public_url)]),
        description: error.map(|error| error.message.as_str()),
        note: error.map(|error| [failure_note(error, None)]),
    })
}
