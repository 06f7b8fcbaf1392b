//! TMF622 `CancelProductOrder`, TMF641 `CancelServiceOrder` and TMF652
//! `CancelResourceOrder`: the create body of the latter two (TMF622's lives with the product
//! order) and the one serde type all three are shown as.

use std::fmt::Display;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::refs::EntityRef;
use super::{PRODUCT_ORDERING, RESOURCE_ORDERING, RenderContext, SERVICE_ORDERING, to_json};
use crate::domain::state::Machine;
use crate::http::error::ApiError;
use crate::layers::com::CancelProductOrder;
use crate::layers::common::CancelRequest;
use crate::layers::rom::CancelResourceOrder;
use crate::layers::som::CancelServiceOrder;
use crate::tmf::product_order_create::IdRefBody;

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

/// How an API spells its cancel requests and the orders they name.
#[derive(Debug)]
struct Names {
    base: &'static str,
    machine: Machine,
    cancel_type: &'static str,
    cancel_path: &'static str,
    order_type: &'static str,
    order_path: &'static str,
}

/// The API a cancel request belongs to.
#[derive(Clone, Copy, Debug)]
enum Api {
    Product,
    Service,
    Resource,
}

impl Api {
    fn names(self) -> &'static Names {
        match self {
            Api::Product => &Names {
                base: PRODUCT_ORDERING,
                machine: Machine::ProductOrder,
                cancel_type: "CancelProductOrder",
                cancel_path: "cancelProductOrder",
                order_type: "ProductOrder",
                order_path: "productOrder",
            },
            Api::Service => &Names {
                base: SERVICE_ORDERING,
                machine: Machine::ServiceOrder,
                cancel_type: "CancelServiceOrder",
                cancel_path: "cancelServiceOrder",
                order_type: "ServiceOrder",
                order_path: "serviceOrder",
            },
            Api::Resource => &Names {
                base: RESOURCE_ORDERING,
                machine: Machine::ResourceOrder,
                cancel_type: "CancelResourceOrder",
                cancel_path: "cancelResourceOrder",
                order_type: "ResourceOrder",
                order_path: "resourceOrder",
            },
        }
    }

    /// The reference to the order, under the API's attribute name.
    fn order(self, reference: EntityRef) -> OrderRef {
        match self {
            Api::Product => OrderRef::Product(reference),
            Api::Service => OrderRef::Service(reference),
            Api::Resource => OrderRef::Resource(reference),
        }
    }
}

/// The order a cancel request names, under `productOrder`, `serviceOrder` or
/// `resourceOrder` (flattened into the request).
#[derive(Serialize)]
enum OrderRef {
    #[serde(rename = "productOrder")]
    Product(EntityRef),
    #[serde(rename = "serviceOrder")]
    Service(EntityRef),
    #[serde(rename = "resourceOrder")]
    Resource(EntityRef),
}

/// A TMF622 `CancelProductOrder`, TMF641 `CancelServiceOrder` or TMF652
/// `CancelResourceOrder`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CancelJson<'a> {
    id: String,
    href: String,
    #[serde(rename = "@type")]
    kind: &'static str,
    state: &'static str,
    #[serde(flatten)]
    order: OrderRef,
    requested_cancellation_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    effective_cancellation_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cancellation_reason: Option<&'a str>,
}

fn render<Id: Display, OrderId: Display>(
    cancel: &CancelRequest<Id, OrderId>,
    api: Api,
    context: &RenderContext<'_>,
) -> Value {
    let names = api.names();
    let order = context.reference(
        names.base,
        names.order_path,
        &cancel.order,
        Some(names.order_type),
    );
    to_json(&CancelJson {
        id: cancel.id.to_string(),
        href: context.href(names.base, names.cancel_path, &cancel.id),
        kind: names.cancel_type,
        state: cancel.state.as_str_for(names.machine),
        order: api.order(order),
        requested_cancellation_date: context.date(cancel.requested),
        effective_cancellation_date: cancel.effective.map(|time| context.date(time)),
        cancellation_reason: cancel.reason.as_deref(),
    })
}

/// The JSON of a TMF622 `CancelProductOrder`.
pub fn render_product(cancel: &CancelProductOrder, context: &RenderContext<'_>) -> Value {
    render(cancel, Api::Product, context)
}

/// The JSON of a TMF641 `CancelServiceOrder` (its first state is `accepted`).
pub fn render_service(cancel: &CancelServiceOrder, context: &RenderContext<'_>) -> Value {
    render(cancel, Api::Service, context)
}

/// The JSON of a TMF652 `CancelResourceOrder`.
pub fn render_resource(cancel: &CancelResourceOrder, context: &RenderContext<'_>) -> Value {
    render(cancel, Api::Resource, context)
}
