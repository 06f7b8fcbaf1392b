//! The endpoints the HTTP transport adds (only with `chain.transport = "http"`): what the
//! layers of other processes call. Creates of resource orders and TMF640 services, cancels
//! that name the order by its parent (TMF cancels take an id), the TMF640 service PATCH, the network role's operation API and element
//! replies, and the hub listener that turns a child's reports back into messages. Bodies are
//! translated by [`crate::runtime::transport::codec`]; the mapping is documented in
//! [`crate::runtime::transport`].

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::domain::ids::ActivationId;
use crate::http::common::{AppState, answer, created, path_id, unexpected};
use crate::http::dto::{RESOURCE_ORDERING, SERVICE_ACTIVATION};
use crate::http::error::{ApiError, TmfJson};
use crate::http::hub::check_callback;
use crate::layers::activation::ActivationInput;
use crate::layers::rom::RomInput;
use crate::layers::som::SomInput;
use crate::layers::{LayerId, Message, Reply};
use crate::network::NetworkInput;
use crate::runtime::transport::codec::{self, CodecError};
use crate::runtime::transport::wire::{OPERATION_PATH, OperationBody, REPLY_PATH, ReplyBody};
use crate::runtime::transport::{LISTENER_PATH, TransportStats};

/// Resources one activation request may carry.
const RESOURCES_PER_SERVICE_MAX: usize = 16;

impl From<CodecError> for ApiError {
    fn from(error: CodecError) -> ApiError {
        ApiError::bad_request(error.0)
    }
}

/// The hub listener (merged into the app in HTTP mode). Left open when an admin token guards
/// the other transport routes: a TMF hub delivers events without credentials.
pub fn listener_routes() -> Router<AppState> {
    Router::new().route(LISTENER_PATH, post(listener))
}

/// The transport's other routes (absolute paths; merged into the app in HTTP mode, behind the
/// admin token when one is configured).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(OPERATION_PATH, post(operation))
        .route(REPLY_PATH, post(element_reply))
        .route("/transport/v1/stats", get(stats))
        .route(
            &format!("{RESOURCE_ORDERING}/resourceOrder"),
            post(create_resource_order),
        )
        .route(
            codec::CANCEL_RESOURCE_ORDER_BY_PARENT,
            post(cancel_resource_order),
        )
        .route(
            codec::CANCEL_SERVICE_ORDER_BY_PARENT,
            post(cancel_service_order),
        )
        .route(
            &format!("{SERVICE_ACTIVATION}/service"),
            post(create_service),
        )
        .route(
            &format!("{SERVICE_ACTIVATION}/service/{{id}}"),
            patch(patch_service),
        )
}

/// A child's hub event: a report to a parent becomes the parent's message; others are
/// acknowledged and ignored.
async fn listener(
    State(state): State<AppState>,
    TmfJson(envelope): TmfJson<Value>,
) -> Result<StatusCode, ApiError> {
    if let Some(message) = codec::report_from_event(&envelope)? {
        state.chain.deliver_local(message).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /network/v1/operation`: 202; the reply goes to the body's `callback`.
async fn operation(
    State(state): State<AppState>,
    TmfJson(body): TmfJson<OperationBody>,
) -> Result<StatusCode, ApiError> {
    let (request, callback) = body
        .request()
        .map_err(|error| ApiError::bad_request(error.to_string()))?;
    let allow_external = state.chain.config().limits.allow_external_callbacks;
    check_callback(&callback, allow_external)?;
    state.chain.set_reply_callback(request.reply_to, callback);
    state
        .chain
        .deliver_local(Message::Network(NetworkInput::Request(request)))
        .await;
    Ok(StatusCode::ACCEPTED)
}

/// `POST /network/v1/reply`: an element reply for this process's ROM or activation.
async fn element_reply(
    State(state): State<AppState>,
    TmfJson(body): TmfJson<ReplyBody>,
) -> Result<StatusCode, ApiError> {
    let (reply, layer) = body
        .reply()
        .map_err(|error| ApiError::bad_request(error.to_string()))?;
    let message = match layer {
        LayerId::Activation => Message::Activation(ActivationInput::Element(reply)),
        _ => Message::Rom(RomInput::Element(reply)),
    };
    state.chain.deliver_local(message).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn stats(State(state): State<AppState>) -> Json<TransportStats> {
    Json(state.chain.transport_stats().unwrap_or_default())
}

/// `POST /resourceOrder` (TMF652 `ResourceOrder_Create`, as SOM sends it).
async fn create_resource_order(
    State(state): State<AppState>,
    TmfJson(body): TmfJson<Value>,
) -> Result<Response, ApiError> {
    let items_max = state.chain.config().limits.items_per_order_max;
    let order = codec::parse_resource_order_create(&body, items_max)?;
    let reply = state
        .chain
        .request(|reply| {
            Message::Rom(RomInput::Create {
                reply: Some(reply),
                order,
            })
        })
        .await;
    match answer(reply)? {
        Reply::ResourceOrder(order) => Ok(created(crate::http::dto::resource_order::render(
            &order,
            &state.context(),
        ))),
        other => Err(unexpected(&other)),
    }
}

/// `POST /service` (TMF640 `Service_Create`, as ROM sends it).
async fn create_service(
    State(state): State<AppState>,
    TmfJson(body): TmfJson<Value>,
) -> Result<Response, ApiError> {
    let service = codec::parse_activation_create(&body, RESOURCES_PER_SERVICE_MAX)?;
    let reply = state
        .chain
        .request(|reply| {
            Message::Activation(ActivationInput::Create {
                reply: Some(reply),
                service,
            })
        })
        .await;
    match answer(reply)? {
        Reply::ActivationService(service) => Ok(created(crate::http::dto::activation::render(
            &service,
            &state.context(),
        ))),
        other => Err(unexpected(&other)),
    }
}

/// `PATCH /service/{id}`: terminate or reconfigure; 202, the outcome comes as events.
async fn patch_service(
    State(state): State<AppState>,
    Path(id): Path<String>,
    TmfJson(body): TmfJson<Value>,
) -> Result<StatusCode, ApiError> {
    let id: ActivationId = path_id(&id, "service")?;
    let input = codec::parse_service_patch(id, &body)?;
    state.chain.deliver_local(Message::Activation(input)).await;
    Ok(StatusCode::ACCEPTED)
}

/// `POST /transport/v1/cancelServiceOrder`: by the product order
/// (`serviceOrder.@productOrder`; an id is accepted too). By id, the transport calls TMF641's
/// own `/cancelServiceOrder`.
async fn cancel_service_order(
    State(state): State<AppState>,
    TmfJson(body): TmfJson<Value>,
) -> Result<Response, ApiError> {
    let (order, reason) = codec::parse_cancel_service_order(&body)?;
    let reply = state
        .chain
        .request(|reply| {
            Message::Som(SomInput::Cancel {
                reply: Some(reply),
                order,
                reason,
            })
        })
        .await;
    match answer(reply)? {
        Reply::CancelServiceOrder(cancel) => Ok(created(json!({
            "id": cancel.id.to_string(),
            "@type": "CancelServiceOrder",
            "serviceOrder": {"id": cancel.order.to_string()},
        }))),
        other => Err(unexpected(&other)),
    }
}

/// `POST /transport/v1/cancelResourceOrder`: by the service order item
/// (`resourceOrder.@serviceOrderItem`; an id is accepted too). By id, the transport calls
/// TMF652's own `/cancelResourceOrder`.
async fn cancel_resource_order(
    State(state): State<AppState>,
    TmfJson(body): TmfJson<Value>,
) -> Result<Response, ApiError> {
    let (order, reason) = codec::parse_cancel_resource_order(&body)?;
    let reply = state
        .chain
        .request(|reply| {
            Message::Rom(RomInput::Cancel {
                reply: Some(reply),
                order,
                reason,
            })
        })
        .await;
    match answer(reply)? {
        Reply::CancelResourceOrder(cancel) => Ok(created(json!({
            "id": cancel.id.to_string(),
            "@type": "CancelResourceOrder",
            "resourceOrder": {"id": cancel.order.to_string()},
        }))),
        other => Err(unexpected(&other)),
    }
}
