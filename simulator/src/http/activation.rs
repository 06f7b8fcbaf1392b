//! TMF640 service activation and configuration: `/service`, `/monitor` and `/hub` (read-only
//! over HTTP: services are created by ROM).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use crate::domain::ids::ActivationId;
use crate::http::common::{AppState, missing, path_id};
use crate::http::dto::activation::render;
use crate::http::error::ApiError;
use crate::http::hub;
use crate::http::list::Page;
use crate::layers::Api;

type ListParams = Result<Query<Vec<(String, String)>>, QueryRejection>;

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
    let query = state.list_query(params)?;
    let context = state.context();
    let activation = state.chain.activation();
    let page = query.select(
        activation.services.values(),
        |service| query.matches_domain(service.state.as_str(), None),
        |service| render(service, &context),
    );
    Ok(page.into_response())
}

async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: ActivationId = path_id(&id, "service")?;
    let activation = state.chain.activation();
    let service = activation
        .services
        .get(&id)
        .ok_or_else(|| missing("service", id))?;
    Ok(Json(render(service, &state.context())))
}

// Activation requests are answered by events, so no monitor is ever created: the list is empty.
async fn list_monitors(
    State(state): State<AppState>,
    params: ListParams,
) -> Result<Page, ApiError> {
    state.list_query(params)?;
    Ok(Page::default())
}

async fn one_monitor(Path(id): Path<String>) -> ApiError {
    missing("monitor", id.chars().take(64).collect::<String>())
}
