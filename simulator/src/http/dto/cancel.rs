//! TMF641 `CancelServiceOrder` and TMF652 `CancelResourceOrder`: the create body and the
//! JSON of a cancel request (the TMF622 one lives with the product order).

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::product_order::IdRefBody;
use super::{RESOURCE_ORDERING, RenderContext, SERVICE_ORDERING, insert_some};
use crate::domain::state::Machine;
use crate::http::error::ApiError;
use crate::layers::rom::CancelResourceOrder;
use crate::layers::som::CancelServiceOrder;

/// The parts of `CancelServiceOrder_Create` / `CancelResourceOrder_Create` the simulator
/// reads; the order is under `serviceOrder` or `resourceOrder`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelOrderBody {
    /// The service order to cancel (TMF641).
    pub service_order: Option<IdRefBody>,
    /// The resource order to cancel (TMF652).
    pub resource_order: Option<IdRefBody>,
    /// Why.
    pub cancellation_reason: Option<String>,
}

/// The id of the order `body` names under `field`, parsed; 400 when absent or malformed.
pub fn order_id<T>(reference: Option<IdRefBody>, field: &str) -> Result<T, ApiError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let text = reference
        .and_then(|order| order.id)
        .ok_or_else(|| ApiError::bad_request(format!("{field}.id is required")))?;
    text.parse::<T>()
        .map_err(|error| ApiError::bad_request(format!("{field}.id: {error}")))
}

/// The fields every cancel request has, in TMF's spelling.
struct CancelFields<'a> {
    id: String,
    base: &'static str,
    resource: &'static str,
    kind: &'static str,
    state: &'static str,
    order_field: &'static str,
    order_resource: &'static str,
    order_type: &'static str,
    order: String,
    requested: Value,
    effective: Option<Value>,
    reason: Option<&'a str>,
}

fn render_fields(fields: CancelFields<'_>, context: &RenderContext<'_>) -> Value {
    let mut map = Map::new();
    map.insert(
        "href".into(),
        json!(context.href(fields.base, fields.resource, &fields.id)),
    );
    map.insert("id".into(), json!(fields.id));
    map.insert("@type".into(), json!(fields.kind));
    map.insert("state".into(), json!(fields.state));
    map.insert(
        fields.order_field.into(),
        json!(context.reference(
            fields.base,
            fields.order_resource,
            fields.order,
            Some(fields.order_type),
        )),
    );
    map.insert("requestedCancellationDate".into(), fields.requested);
    insert_some(&mut map, "effectiveCancellationDate", fields.effective);
    insert_some(&mut map, "cancellationReason", fields.reason);
    Value::Object(map)
}

/// The JSON of a TMF641 `CancelServiceOrder` (its first state is `accepted`).
pub fn render_service(cancel: &CancelServiceOrder, context: &RenderContext<'_>) -> Value {
    render_fields(
        CancelFields {
            id: cancel.id.to_string(),
            base: SERVICE_ORDERING,
            resource: "cancelServiceOrder",
            kind: "CancelServiceOrder",
            state: cancel.state.as_str_for(Machine::ServiceOrder),
            order_field: "serviceOrder",
            order_resource: "serviceOrder",
            order_type: "ServiceOrder",
            order: cancel.order.to_string(),
            requested: json!(context.date(cancel.requested)),
            effective: cancel.effective.map(|time| json!(context.date(time))),
            reason: cancel.reason.as_deref(),
        },
        context,
    )
}

/// The JSON of a TMF652 `CancelResourceOrder`.
pub fn render_resource(cancel: &CancelResourceOrder, context: &RenderContext<'_>) -> Value {
    render_fields(
        CancelFields {
            id: cancel.id.to_string(),
            base: RESOURCE_ORDERING,
            resource: "cancelResourceOrder",
            kind: "CancelResourceOrder",
            state: cancel.state.as_str_for(Machine::ResourceOrder),
            order_field: "resourceOrder",
            order_resource: "resourceOrder",
            order_type: "ResourceOrder",
            order: cancel.order.to_string(),
            requested: json!(context.date(cancel.requested)),
            effective: cancel.effective.map(|time| json!(context.date(time))),
            reason: cancel.reason.as_deref(),
        },
        context,
    )
}
