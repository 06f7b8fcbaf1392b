//! TMF637/638/639 inventories: `/product`, `/service`, `/resource` (read-only).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use crate::domain::ids::{ProductId, ResourceId, ServiceId};
use crate::http::common::{AppState, QueryParams as ListParams, Selected, missing, path_id};
use crate::http::dto::inventory::{render_product, render_resource, render_service};
use crate::http::dto::{PRODUCT_INVENTORY, RESOURCE_INVENTORY, SERVICE_INVENTORY};
use crate::http::error::ApiError;
use crate::http::list;
use crate::query;
use crate::query::tmf630::schema::Resource;

/// The inventory routes, with their full paths.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{PRODUCT_INVENTORY}/product"), get(products))
        .route(&format!("{PRODUCT_INVENTORY}/product/{{id}}"), get(product))
        .route(&format!("{SERVICE_INVENTORY}/service"), get(services))
        .route(&format!("{SERVICE_INVENTORY}/service/{{id}}"), get(service))
        .route(&format!("{RESOURCE_INVENTORY}/resource"), get(resources))
        .route(
            &format!("{RESOURCE_INVENTORY}/resource/{{id}}"),
            get(resource),
        )
}

fn status_text<T: serde::Serialize>(status: T) -> String {
    match serde_json::to_value(status) {
        Ok(Value::String(text)) => text,
        _ => String::new(),
    }
}

async fn products(State(state): State<AppState>, params: ListParams) -> Result<Response, ApiError> {
    let query = state.list_query(params, Resource::Product)?;
    let context = state.context();
    let page = list::select(
        &query,
        || state.chain.inventory(),
        |inventory| query::products(inventory),
        |product| query.matches_domain(&status_text(product.status), None),
        |product| render_product(product, &context),
    )
    .await;
    Ok(page.into_response())
}

async fn product(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: ListParams,
) -> Result<Json<Value>, ApiError> {
    let selected = Selected::parse(params, Resource::Product)?;
    let id: ProductId = path_id(&id, "product")?;
    let found = query::product(&state.chain.inventory(), id);
    let product = found.ok_or_else(|| missing("product", id))?;
    Ok(selected.answer(render_product(&product, &state.context())))
}

async fn services(State(state): State<AppState>, params: ListParams) -> Result<Response, ApiError> {
    let query = state.list_query(params, Resource::InventoryService)?;
    let page = list::select(
        &query,
        || state.chain.inventory(),
        |inventory| query::inventory_services(inventory),
        |service| query.matches_domain(service.state.as_str(), None),
        |service| render_service(service, &state.context()),
    )
    .await;
    Ok(page.into_response())
}

async fn service(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: ListParams,
) -> Result<Json<Value>, ApiError> {
    let selected = Selected::parse(params, Resource::InventoryService)?;
    let id: ServiceId = path_id(&id, "service")?;
    let found = query::inventory_service(&state.chain.inventory(), id);
    let service = found.ok_or_else(|| missing("service", id))?;
    Ok(selected.answer(render_service(&service, &state.context())))
}

async fn resources(
    State(state): State<AppState>,
    params: ListParams,
) -> Result<Response, ApiError> {
    let query = state.list_query(params, Resource::InventoryResource)?;
    let context = state.context();
    let page = list::select(
        &query,
        || state.chain.inventory(),
        |inventory| query::resources(inventory),
        |resource| query.matches_domain(&status_text(resource.status), None),
        |resource| render_resource(resource, &context),
    )
    .await;
    Ok(page.into_response())
}

async fn resource(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: ListParams,
) -> Result<Json<Value>, ApiError> {
    let selected = Selected::parse(params, Resource::InventoryResource)?;
    let id: ResourceId = path_id(&id, "resource")?;
    let found = query::resource(&state.chain.inventory(), id);
    let resource = found.ok_or_else(|| missing("resource", id))?;
    Ok(selected.answer(render_resource(&resource, &state.context())))
}
