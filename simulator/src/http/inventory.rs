//! TMF637/638/639 inventories: `/product`, `/service`, `/resource` (read-only).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use crate::domain::ids::{ProductId, ResourceId, ServiceId};
use crate::http::common::{AppState, missing, path_id};
use crate::http::dto::inventory::{render_product, render_resource, render_service};
use crate::http::dto::{PRODUCT_INVENTORY, RESOURCE_INVENTORY, SERVICE_INVENTORY};
use crate::http::error::ApiError;

type ListParams = Result<Query<Vec<(String, String)>>, QueryRejection>;

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
    let query = state.list_query(params)?;
    let context = state.context();
    let inventory = state.chain.inventory();
    let page = query.select(
        inventory.products.values(),
        |product| query.matches_domain(&status_text(product.status), None),
        |product| render_product(product, &context),
    );
    Ok(page.into_response())
}

async fn product(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: ProductId = path_id(&id, "product")?;
    let inventory = state.chain.inventory();
    let product = inventory
        .products
        .get(&id)
        .ok_or_else(|| missing("product", id))?;
    Ok(Json(render_product(product, &state.context())))
}

async fn services(State(state): State<AppState>, params: ListParams) -> Result<Response, ApiError> {
    let query = state.list_query(params)?;
    let inventory = state.chain.inventory();
    let page = query.select(
        inventory.services.values(),
        |service| query.matches_domain(service.state.as_str(), None),
        |service| render_service(service, &state.context()),
    );
    Ok(page.into_response())
}

async fn service(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: ServiceId = path_id(&id, "service")?;
    let inventory = state.chain.inventory();
    let service = inventory
        .services
        .get(&id)
        .ok_or_else(|| missing("service", id))?;
    Ok(Json(render_service(service, &state.context())))
}

async fn resources(
    State(state): State<AppState>,
    params: ListParams,
) -> Result<Response, ApiError> {
    let query = state.list_query(params)?;
    let context = state.context();
    let inventory = state.chain.inventory();
    let page = query.select(
        inventory.resources.values(),
        |resource| query.matches_domain(&status_text(resource.status), None),
        |resource| render_resource(resource, &context),
    );
    Ok(page.into_response())
}

async fn resource(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: ResourceId = path_id(&id, "resource")?;
    let inventory = state.chain.inventory();
    let resource = inventory
        .resources
        .get(&id)
        .ok_or_else(|| missing("resource", id))?;
    Ok(Json(render_resource(resource, &state.context())))
}
