//! TMF652 resource ordering: the JSON of a `ResourceOrder`.

use serde_json::{Map, Value, json};

use super::inventory::resource_name;
use super::resource_order_create::{RFS, RFS_SPECIFICATION};
use super::{
    RESOURCE_CATALOG, RESOURCE_INVENTORY, RESOURCE_ORDERING, RenderContext, SERVICE_ORDERING,
    failure_note, insert_some,
};
use crate::layers::rom::{ResourceOrder, ResourceOrderItem};

/// The JSON of a TMF652 `ResourceOrder`.
pub fn render(order: &ResourceOrder, context: &RenderContext<'_>) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(order.id.to_string()));
    map.insert(
        "href".into(),
        json!(context.href(RESOURCE_ORDERING, "resourceOrder", order.id)),
    );
    map.insert("@type".into(), json!("ResourceOrder"));
    map.insert("state".into(), json!(order.state.as_str()));
    map.insert("orderDate".into(), json!(context.date(order.order_date)));
    insert_some(
        &mut map,
        "completionDate",
        order.completion_date.map(|t| json!(context.date(t))),
    );
    insert_some(&mut map, "externalId", order.external_id.clone());
    insert_some(&mut map, "description", order.description.clone());
    // TMF652 types priority as an integer; a non-numeric one is left out.
    insert_some(
        &mut map,
        "priority",
        order
            .priority
            .as_deref()
            .and_then(|p| p.parse::<i64>().ok()),
    );
    if let Some((parent, item)) = &order.parent {
        map.insert(
            "externalReference".into(),
            json!([{
                "id": format!("{parent}/{item}"),
                "entityType": "ServiceOrderItem",
                "owner": SERVICE_ORDERING,
            }]),
        );
    }
    let items = order
        .items
        .iter()
        .map(|item| render_item(item, context))
        .collect();
    map.insert("orderItem".into(), Value::Array(items));
    if let Some(reason) = &order.failure {
        let date = order.completion_date.map(|t| context.date(t));
        map.insert("note".into(), json!([failure_note(reason, date)]));
    }
    Value::Object(map)
}

fn render_item(item: &ResourceOrderItem, context: &RenderContext<'_>) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(item.id));
    map.insert("@type".into(), json!("ResourceOrderItem"));
    map.insert("action".into(), json!(item.action.as_str()));
    map.insert("state".into(), json!(item.state.as_str()));
    map.insert(
        "resourceSpecification".into(),
        json!(context.reference(
            RESOURCE_CATALOG,
            "resourceSpecification",
            &item.resource_specification,
            None,
        )),
    );
    if let Some(resource) = item.resource {
        let mut reference = Map::new();
        reference.insert("id".into(), json!(resource.to_string()));
        reference.insert(
            "href".into(),
            json!(context.href(RESOURCE_INVENTORY, "resource", resource)),
        );
        reference.insert("@type".into(), json!("LogicalResource"));
        insert_some(
            &mut reference,
            "name",
            item.value
                .map(|value| resource_name(&value, context.topology)),
        );
        // The RFS the resource supports, as the create named it (TMF652 has no attribute of
        // its own for it).
        let mut rfs = Vec::with_capacity(2);
        if let Some(id) = item.rfs.id {
            rfs.push(json!({"name": RFS, "value": id.to_string()}));
        }
        rfs.push(json!({"name": RFS_SPECIFICATION, "value": &*item.rfs.specification}));
        reference.insert("resourceCharacteristic".into(), Value::Array(rfs));
        map.insert("resource".into(), Value::Object(reference));
    }
    Value::Object(map)
}
