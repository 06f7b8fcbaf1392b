//! TMF652 resource ordering: `/resourceOrder` (create, read, patch, delete),
//! `/cancelResourceOrder` (in `cancel_ordering`) and `/hub`. SOM creates resource orders
//! through the same `POST` any TMF652 client uses (see [`resource_order_create`] for the
//! attributes it reads).

use crate::http::common::no_content;
use crate::query;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use crate::domain::ids::ResourceOrderId;
use crate::http::common::{
    AppState, QueryParams as ListParams, Selected, answer, created, missing, path_id, unexpected,
};
use crate::http::dto::attributes::{RESOURCE_ORDER_PATCHABLE as PATCHABLE, parse_patch};
use crate::http::dto::resource_order::render;
use crate::http::dto::resource_order_create;
use crate::http::error::{ApiError, TmfJson};
use crate::http::list;
use crate::http::{cancel_ordering, guard, hub};
use crate::layers::attributes::OrderHeader;
use crate::layers::rom::RomInput;
use crate::layers::{Api, Message, Reply};
use crate::query::tmf630::schema::Resource;
use crate::tmf::checks::check_header;

/// The TMF652 routes, relative to its base path.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/resourceOrder", get(list).post(create))
        .route("/resourceOrder/{id}", get(one).patch(patch).delete(delete))
        .merge(cancel_ordering::resource_routes())
        .merge(hub::routes(Api::ResourceOrdering))
}

async fn list(State(state): State<AppState>, params: ListParams) -> Result<Response, ApiError> {
    let query = state.list_query(params, Resource::ResourceOrder)?;
    let context = state.context();
    let page = list::select(
        &query,
        || state.chain.rom(),
        |rom| query::resource_orders(rom),
        |order| query.matches_domain(order.state.as_str(), order.external_id.as_deref()),
        |order| render(order, &context),
    )
    .await;
    Ok(page.into_response())
}

/// `POST /resourceOrder` (`ResourceOrder_Create`): 201 with the order, acknowledged; it
/// allocates from the network and activates what it allocated, reported by events.
async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    TmfJson(body): TmfJson<Value>,
) -> Result<Response, ApiError> {
    let items_max = state.chain.config().limits.items_per_order_max;
    let order = resource_order_create::parse(
        body,
        items_max,
        state.chain.catalog(),
        state.chain.topology(),
    )?;
    if let Some(header) = &order.header {
        check_header(header)?;
        check_priority(header)?;
    }
    if let Some((parent, item)) = &order.parent {
        let token = state.chain.config().access.admin_token.as_ref();
        let named = format!("service order {parent} item {item}");
        guard::may_name_a_parent(&headers, token, &named)?;
    }
    let reply = state
        .chain
        .request(|reply| {
            Message::Rom(RomInput::Create {
                reply: Some(reply),
                order: Box::new(order),
            })
        })
        .await;
    match answer(reply)? {
        Reply::ResourceOrder(order) => Ok(created(render(&order, &state.context()))),
        other => Err(unexpected(&other)),
    }
}

async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: ListParams,
) -> Result<Json<Value>, ApiError> {
    let selected = Selected::parse(params, Resource::ResourceOrder)?;
    let id: ResourceOrderId = path_id(&id, "resourceOrder")?;
    let found = query::resource_order(&state.chain.rom(), id);
    let order = found.ok_or_else(|| missing("resourceOrder", id))?;
    Ok(selected.answer(render(&order, &state.context())))
}

/// TMF652 types `priority` as an integer: a text one would be kept and never shown.
fn check_priority(header: &OrderHeader) -> Result<(), ApiError> {
    match header.summary.priority.as_deref() {
        Some(text) if text.parse::<i64>().is_err() => Err(ApiError::bad_request(format!(
            "`priority` must be an integer, not `{}`",
            text.chars().take(40).collect::<String>()
        ))),
        _ => Ok(()),
    }
}

async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    TmfJson(body): TmfJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let order: ResourceOrderId = path_id(&id, "resourceOrder")?;
    let patch = parse_patch(body, PATCHABLE)?;
    if let Some(header) = &patch.header {
        check_priority(header)?;
    }
    match answer(
        state
            .chain
            .request(|reply| {
                Message::Rom(RomInput::Patch {
                    reply,
                    order,
                    patch,
                })
            })
            .await,
    )? {
        Reply::ResourceOrder(order) => Ok(Json(render(&order, &state.context()))),
        other => Err(unexpected(&other)),
    }
}

async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let order: ResourceOrderId = path_id(&id, "resourceOrder")?;
    no_content(
        state
            .chain
            .request(|reply| Message::Rom(RomInput::Delete { reply, order }))
            .await,
    )
}
