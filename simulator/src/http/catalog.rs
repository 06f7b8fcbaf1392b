//! TMF620/633/634 catalogs: offerings and specifications (read-only).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use crate::http::common::{AppState, missing};
use crate::http::dto::catalog::{
    render_offering, render_product_specification, render_resource_specification,
    render_service_specification,
};
use crate::http::dto::{PRODUCT_CATALOG, RESOURCE_CATALOG, SERVICE_CATALOG};
use crate::http::error::ApiError;

type ListParams = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// The catalog routes, with their full paths.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            &format!("{PRODUCT_CATALOG}/productOffering"),
            get(offerings),
        )
        .route(
            &format!("{PRODUCT_CATALOG}/productOffering/{{id}}"),
            get(offering),
        )
        .route(
            &format!("{PRODUCT_CATALOG}/productSpecification"),
            get(product_specifications),
        )
        .route(
            &format!("{PRODUCT_CATALOG}/productSpecification/{{id}}"),
            get(product_specification),
        )
        .route(
            &format!("{SERVICE_CATALOG}/serviceSpecification"),
            get(service_specifications),
        )
        .route(
            &format!("{SERVICE_CATALOG}/serviceSpecification/{{id}}"),
            get(service_specification),
        )
        .route(
            &format!("{RESOURCE_CATALOG}/resourceSpecification"),
            get(resource_specifications),
        )
        .route(
            &format!("{RESOURCE_CATALOG}/resourceSpecification/{{id}}"),
            get(resource_specification),
        )
}

fn list_of<T>(
    state: &AppState,
    params: ListParams,
    entries: &BTreeMap<Arc<str>, T>,
    render: impl Fn(&T) -> Value,
) -> Result<Response, ApiError> {
    let query = state.list_query(params)?;
    let page = query.select(
        entries.values(),
        |_| query.matches_domain("Active", None),
        render,
    );
    Ok(page.into_response())
}

fn one_of<T>(
    entries: &BTreeMap<Arc<str>, T>,
    id: &str,
    what: &str,
    render: impl Fn(&T) -> Value,
) -> Result<Json<Value>, ApiError> {
    let entry = entries
        .get(id)
        .ok_or_else(|| missing(what, id.chars().take(64).collect::<String>()))?;
    Ok(Json(render(entry)))
}

async fn offerings(
    State(state): State<AppState>,
    params: ListParams,
) -> Result<Response, ApiError> {
    list_of(&state, params, &state.chain.catalog().offerings, |entry| {
        render_offering(entry, &state.context())
    })
}

async fn offering(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    one_of(
        &state.chain.catalog().offerings,
        &id,
        "productOffering",
        |entry| render_offering(entry, &state.context()),
    )
}

async fn product_specifications(
    State(state): State<AppState>,
    params: ListParams,
) -> Result<Response, ApiError> {
    let catalog = state.chain.catalog();
    list_of(&state, params, &catalog.product_specifications, |entry| {
        render_product_specification(entry, &state.context())
    })
}

async fn product_specification(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let catalog = state.chain.catalog();
    one_of(
        &catalog.product_specifications,
        &id,
        "productSpecification",
        |entry| render_product_specification(entry, &state.context()),
    )
}

async fn service_specifications(
    State(state): State<AppState>,
    params: ListParams,
) -> Result<Response, ApiError> {
    let catalog = state.chain.catalog();
    list_of(&state, params, &catalog.service_specifications, |entry| {
        render_service_specification(entry, &state.context())
    })
}

async fn service_specification(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let catalog = state.chain.catalog();
    one_of(
        &catalog.service_specifications,
        &id,
        "serviceSpecification",
        |entry| render_service_specification(entry, &state.context()),
    )
}

async fn resource_specifications(
    State(state): State<AppState>,
    params: ListParams,
) -> Result<Response, ApiError> {
    let catalog = state.chain.catalog();
    list_of(&state, params, &catalog.resource_specifications, |entry| {
        render_resource_specification(entry, &state.context())
    })
}

async fn resource_specification(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let catalog = state.chain.catalog();
    one_of(
        &catalog.resource_specifications,
        &id,
        "resourceSpecification",
        |entry| render_resource_specification(entry, &state.context()),
    )
}
