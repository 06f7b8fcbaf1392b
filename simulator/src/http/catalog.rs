//! TMF620/633/634 catalogs: offerings and specifications (read-only).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use crate::http::common::{AppState, QueryParams as ListParams, Selected, missing};
use crate::http::dto::catalog::{
    render_offering, render_product_specification, render_resource_specification,
    render_service_specification,
};
use crate::http::dto::{PRODUCT_CATALOG, RESOURCE_CATALOG, SERVICE_CATALOG};
use crate::http::error::ApiError;
use crate::http::list;
use crate::query::tmf630::schema::Resource;

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

/// The catalog is immutable and small: one slice walks it, with no lock to release.
async fn list_of<T: Clone>(
    state: &AppState,
    params: ListParams,
    resource: Resource,
    entries: &BTreeMap<Arc<str>, T>,
    render: impl Fn(&T) -> Value,
) -> Result<Response, ApiError> {
    let query = state.list_query(params, resource)?;
    let page = list::select(
        &query,
        || entries,
        |entries| entries,
        |_| query.matches_domain("Active", None),
        render,
    )
    .await;
    Ok(page.into_response())
}

fn one_of<T>(
    entries: &BTreeMap<Arc<str>, T>,
    (id, params): (&str, ListParams),
    resource: Resource,
    render: impl Fn(&T) -> Value,
) -> Result<Json<Value>, ApiError> {
    let selected = Selected::parse(params, resource)?;
    let entry = entries.get(id).ok_or_else(|| {
        let id: String = id.chars().take(64).collect();
        missing(&lower_first(resource.name()), id)
    })?;
    Ok(selected.answer(render(entry)))
}

fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

async fn offerings(
    State(state): State<AppState>,
    params: ListParams,
) -> Result<Response, ApiError> {
    list_of(
        &state,
        params,
        Resource::ProductOffering,
        &state.chain.catalog().offerings,
        |entry| render_offering(entry, &state.context()),
    )
    .await
}

async fn offering(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: ListParams,
) -> Result<Json<Value>, ApiError> {
    one_of(
        &state.chain.catalog().offerings,
        (&id, params),
        Resource::ProductOffering,
        |entry| render_offering(entry, &state.context()),
    )
}

async fn product_specifications(
    State(state): State<AppState>,
    params: ListParams,
) -> Result<Response, ApiError> {
    let catalog = state.chain.catalog();
    list_of(
        &state,
        params,
        Resource::ProductSpecification,
        &catalog.product_specifications,
        |entry| render_product_specification(entry, &state.context()),
    )
    .await
}

async fn product_specification(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: ListParams,
) -> Result<Json<Value>, ApiError> {
    let catalog = state.chain.catalog();
    one_of(
        &catalog.product_specifications,
        (&id, params),
        Resource::ProductSpecification,
        |entry| render_product_specification(entry, &state.context()),
    )
}

async fn service_specifications(
    State(state): State<AppState>,
    params: ListParams,
) -> Result<Response, ApiError> {
    let catalog = state.chain.catalog();
    list_of(
        &state,
        params,
        Resource::ServiceSpecification,
        &catalog.service_specifications,
        |entry| render_service_specification(entry, &state.context()),
    )
    .await
}

async fn service_specification(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: ListParams,
) -> Result<Json<Value>, ApiError> {
    let catalog = state.chain.catalog();
    one_of(
        &catalog.service_specifications,
        (&id, params),
        Resource::ServiceSpecification,
        |entry| render_service_specification(entry, &state.context()),
    )
}

async fn resource_specifications(
    State(state): State<AppState>,
    params: ListParams,
) -> Result<Response, ApiError> {
    let catalog = state.chain.catalog();
    list_of(
        &state,
        params,
        Resource::ResourceSpecification,
        &catalog.resource_specifications,
        |entry| render_resource_specification(entry, &state.context()),
    )
    .await
}

async fn resource_specification(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: ListParams,
) -> Result<Json<Value>, ApiError> {
    let catalog = state.chain.catalog();
    one_of(
        &catalog.resource_specifications,
        (&id, params),
        Resource::ResourceSpecification,
        |entry| render_resource_specification(entry, &state.context()),
    )
}
