//! TMF640 service activation and configuration: `/service` (create, read, patch, delete),
//! `/monitor` and `/hub`. ROM asks for activations through the same `POST` and `PATCH` any
//! TMF640 client uses (see [`service_create`] for the attributes they read). A `DELETE`
//! deactivates and terminates the service; it stays readable, `terminated`, until retention
//! evicts it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use crate::domain::ids::ActivationId;
use crate::http::common::{
    AppState, QueryParams as ListParams, Selected, answer, created, missing, no_content, path_id,
    unexpected,
};
use crate::http::dto::activation::render;
use crate::http::dto::service_create;
use crate::http::error::{ApiError, TmfJson};
use crate::http::hub;
use crate::http::list;
use crate::http::list::Page;
use crate::layers::activation::{ActivationInput, ServiceChange};
use crate::layers::{Api, Message, Reply};
use crate::query;
use crate::query::tmf630::schema::Resource;

/// The TMF640 routes, relative to its base path.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/service", get(list).post(create))
        .route("/service/{id}", get(one).patch(patch).delete(delete))
        .route("/monitor", get(list_monitors))
        .route("/monitor/{id}", get(one_monitor))
        .merge(hub::routes(Api::ServiceActivation))
}

async fn list(State(state): State<AppState>, params: ListParams) -> Result<Response, ApiError> {
    let query = state.list_query(params, Resource::ActivationService)?;
    let context = state.context();
    let page = list::select(
        &query,
        || state.chain.activation(),
        |activation| query::activation_services(activation),
        |service| query.matches_domain(service.state.as_str(), None),
        |service| render(service, &context),
    )
    .await;
    Ok(page.into_response())
}

async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: ListParams,
) -> Result<Json<Value>, ApiError> {
    let selected = Selected::parse(params, Resource::ActivationService)?;
    let id: ActivationId = path_id(&id, "service")?;
    let found = query::activation_service(&state.chain.activation(), id);
    let service = found.ok_or_else(|| missing("service", id))?;
    Ok(selected.answer(render(&service, &state.context())))
}

/// `POST /service` (`Service_Create`): 201 with the service; it is configured and activated
/// on its element, reported by events.
async fn create(
    State(state): State<AppState>,
    TmfJson(body): TmfJson<Value>,
) -> Result<Response, ApiError> {
    let service =
        service_create::parse_create(body, state.chain.catalog(), state.chain.topology())?;
    let reply = state
        .chain
        .request(|reply| {
            Message::Activation(ActivationInput::Create {
                reply: Some(reply),
                service: Box::new(service),
            })
        })
        .await;
    match answer(reply)? {
        Reply::ActivationService(service) => Ok(created(render(&service, &state.context()))),
        other => Err(unexpected(&other)),
    }
}

/// `PATCH /service/{id}`: terminate, restore or reconfigure; 200 with the service.
async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    TmfJson(body): TmfJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let id: ActivationId = path_id(&id, "service")?;
    let Some(change) = service_create::parse_patch(body)? else {
        // Nothing to change: the service as it is, as a GET would answer.
        let found = query::activation_service(&state.chain.activation(), id);
        let service = found.ok_or_else(|| missing("service", id))?;
        return Ok(Json(render(&service, &state.context())));
    };
    let reply = state
        .chain
        .request(|reply| {
            Message::Activation(ActivationInput::Patch {
                reply,
                id,
                change,
                delete: false,
            })
        })
        .await;
    match answer(reply)? {
        Reply::ActivationService(service) => Ok(Json(render(&service, &state.context()))),
        other => Err(unexpected(&other)),
    }
}

/// `DELETE /service/{id}`: deactivate and terminate; 204.
async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: ActivationId = path_id(&id, "service")?;
    no_content(
        state
            .chain
            .request(|reply| {
                Message::Activation(ActivationInput::Patch {
                    reply,
                    id,
                    change: ServiceChange::Terminate,
                    delete: true,
                })
            })
            .await,
    )
}

// Activation requests are answered by events, so no monitor is ever created: the list is empty.
async fn list_monitors(
    State(state): State<AppState>,
    params: ListParams,
) -> Result<Page, ApiError> {
    state.list_query(params, Resource::Monitor)?;
    Ok(Page::default())
}

async fn one_monitor(Path(id): Path<String>) -> ApiError {
    missing("monitor", id.chars().take(64).collect::<String>())
}
