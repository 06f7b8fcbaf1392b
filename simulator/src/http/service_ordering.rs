//! TMF641 service ordering: `/serviceOrder`, `/cancelServiceOrder` (in `cancel_ordering`)
//! and `/hub`.

use crate::http::common::no_content;
use crate::query;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use crate::domain::ids::ServiceOrderId;
use crate::http::common::{
    AppState, QueryParams as ListParams, Selected, answer, created, missing, path_id, unexpected,
};
use crate::http::dto::attributes::{SERVICE_ORDER_PATCHABLE as PATCHABLE, parse_patch};
use crate::http::dto::service_order::{ServiceOrderCreateBody, parse_submission, render};
use crate::http::error::{ApiError, TmfJson};
use crate::http::list;
use crate::http::{cancel_ordering, guard, hub};
use crate::layers::som::SomInput;
use crate::layers::{Api, Message, Reply};
use crate::query::tmf630::schema::Resource;

/// The TMF641 routes, relative to its base path.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/serviceOrder", get(list).post(create))
        .route("/serviceOrder/{id}", get(one).patch(patch).delete(delete))
        .merge(cancel_ordering::service_routes())
        .merge(hub::routes(Api::ServiceOrdering))
}

fn order_reply(reply: Reply, state: &AppState) -> Result<Value, ApiError> {
    match reply {
        Reply::ServiceOrder(order) => Ok(render(&order, &state.context())),
        other => Err(unexpected(&other)),
    }
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    TmfJson(body): TmfJson<ServiceOrderCreateBody>,
) -> Result<Response, ApiError> {
    let items_max = state.chain.config().limits.items_per_order_max;
    let (order, attributes) = parse_submission(body, items_max)?;
    if let Some(parent) = order.parent {
        let token = state.chain.config().access.admin_token.as_ref();
        guard::may_name_a_parent(&headers, token, &format!("product order {parent}"))?;
    }
    let reply = answer(
        state
            .chain
            .request(|reply| {
                Message::Som(SomInput::Submit {
                    reply,
                    order,
                    attributes,
                })
            })
            .await,
    )?;
    Ok(created(order_reply(reply, &state)?))
}

async fn list(State(state): State<AppState>, params: ListParams) -> Result<Response, ApiError> {
    let query = state.list_query(params, Resource::ServiceOrder)?;
    let context = state.context();
    let page = list::select(
        &query,
        || state.chain.som(),
        |som| query::service_orders(som),
        |order| query.matches_domain(order.state.as_str(), order.external_id.as_deref()),
        |order| render(order, &context),
    )
    .await;
    Ok(page.into_response())
}

async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: ListParams,
) -> Result<Json<Value>, ApiError> {
    let selected = Selected::parse(params, Resource::ServiceOrder)?;
    let id: ServiceOrderId = path_id(&id, "serviceOrder")?;
    let found = query::service_order(&state.chain.som(), id);
    let order = found.ok_or_else(|| missing("serviceOrder", id))?;
    Ok(selected.answer(render(&order, &state.context())))
}

async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    TmfJson(body): TmfJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let order: ServiceOrderId = path_id(&id, "serviceOrder")?;
    let patch = parse_patch(body, PATCHABLE)?;
    let reply = answer(
        state
            .chain
            .request(|reply| {
                Message::Som(SomInput::Patch {
                    reply,
                    order,
                    patch,
                })
            })
            .await,
    )?;
    Ok(Json(order_reply(reply, &state)?))
}

async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let order: ServiceOrderId = path_id(&id, "serviceOrder")?;
    no_content(
        state
            .chain
            .request(|reply| Message::Som(SomInput::Delete { reply, order }))
            .await,
    )
}
