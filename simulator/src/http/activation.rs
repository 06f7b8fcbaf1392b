//! TMF640 service activation and configuration: `/service`, `/monitor` and `/hub` (read-only
//! over HTTP: services are created by ROM).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use crate::domain::ids::ActivationId;
use crate::http::common::{AppState, QueryParams as ListParams, Selected, missing, path_id};
use crate::http::dto::activation::render;
use crate::http::error::ApiError;
use crate::http::hub;
use crate::http::list;
use crate::http::list::Page;
use crate::http::query::schema::Resource;
use crate::layers::Api;

/// The TMF640 routes, relative to its base path.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/service", get(list))
        .route("/service/{id}", get(one))
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
        |activation| &activation.services,
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
    let activation = state.chain.activation();
    let service = activation
        .services
        .get(&id)
        .ok_or_else(|| missing("service", id))?;
    Ok(selected.answer(render(service, &state.context())))
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
