//! The endpoints the HTTP transport adds (only with `chain.transport = "http"`): what the
//! layers of other processes call beyond the TMF APIs every mode serves (creates, patches and
//! cancels are those): the network role's operation API and element replies, and the hub
//! listener that turns a child's reports back into messages. Bodies are
//! translated by [`crate::runtime::transport::codec`]; the mapping is documented in
//! [`crate::runtime::transport`].

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::http::common::AppState;
use crate::http::error::{ApiError, TmfJson};
use crate::http::hub::check_callback;
use crate::layers::activation::ActivationInput;
use crate::layers::rom::RomInput;
use crate::layers::{LayerId, Message};
use crate::network::NetworkInput;
use crate::runtime::transport::codec::CodecError;
use crate::runtime::transport::wire::{
    ALLOCATIONS_PATH, AllocationWire, CONFIGURATIONS_PATH, ConfigurationWire, OPERATION_PATH,
    OperationBody, REPLY_PATH, ReplyBody,
};
use crate::runtime::transport::{LISTENER_PATH, TransportStats};

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
        .route(ALLOCATIONS_PATH, get(allocations))
        .route(CONFIGURATIONS_PATH, get(configurations))
        .route("/transport/v1/stats", get(stats))
}

/// A child's hub event: a report to a parent becomes the parent's message; others are
/// acknowledged and ignored.
async fn listener(
    State(state): State<AppState>,
    TmfJson(envelope): TmfJson<crate::tmf::read::EventView>,
) -> Result<StatusCode, ApiError> {
    let report = crate::runtime::transport::reports::report_of(envelope, state.chain.catalog());
    if let Some(message) = report? {
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

/// A page of [`allocations`].
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    #[serde(default)]
    offset: usize,
    #[serde(default = "page_default")]
    limit: usize,
}

impl Page {
    /// The page, or 400 when it asks for more than one page holds.
    fn checked(&self) -> Result<(), ApiError> {
        if self.limit > PAGE_MAX {
            return Err(ApiError::bad_request(format!(
                "limit {}: at most {PAGE_MAX} per page",
                self.limit
            )));
        }
        Ok(())
    }
}

/// Entries per page unless asked otherwise, and the most one page holds.
const PAGE_MAX: usize = 10_000;

const fn page_default() -> usize {
    PAGE_MAX
}

/// `GET /network/v1/allocation?offset&limit`: the network's allocations in id order, for a
/// reconciling ROM (a process that does not host the network answers 404, see
/// [`crate::http::edge::outside_role`]).
async fn allocations(
    State(state): State<AppState>,
    Query(page): Query<Page>,
) -> Result<Json<Vec<AllocationWire>>, ApiError> {
    page.checked()?;
    let network = state.chain.network();
    let listed = network.allocations().skip(page.offset).take(page.limit);
    let listed = listed.map(|(id, value)| AllocationWire {
        id: id.0,
        value: *value,
    });
    Ok(Json(listed.collect()))
}

/// `GET /network/v1/configuration?offset&limit`: the services configured on elements, in
/// element order, for a reconciling activation layer (404 outside the network's process).
async fn configurations(
    State(state): State<AppState>,
    Query(page): Query<Page>,
) -> Result<Json<Vec<ConfigurationWire>>, ApiError> {
    page.checked()?;
    let network = state.chain.network();
    let listed = network
        .configured_services()
        .skip(page.offset)
        .take(page.limit);
    let listed = listed.map(|(element, service)| ConfigurationWire {
        element,
        service: service.0,
    });
    Ok(Json(listed.collect()))
}

async fn stats(State(state): State<AppState>) -> Json<TransportStats> {
    Json(state.chain.transport_stats().unwrap_or_default())
}
