//! TMF622 product ordering: `/productOrder`, `/cancelProductOrder` and `/hub`.

use crate::http::common::no_content;
use crate::query::{self, Lookup};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use crate::domain::ids::{CancelProductOrderId, ProductOrderId};
use crate::domain::state::Machine;
use crate::http::common::{
    AppState, QueryParams as ListParams, Selected, answer, created, missing, path_id, unexpected,
};
use crate::http::dto::attributes::{PRODUCT_ORDER_PATCHABLE as PATCHABLE, parse_patch};
use crate::http::dto::product_order::{CancelProductOrderBody, render, render_cancel};
use crate::http::error::{ApiError, TmfJson};
use crate::http::hub;
use crate::http::list;
use crate::layers::com::ComInput;
use crate::layers::{Api, Message, Reply};
use crate::query::tmf630::schema::Resource;
use crate::tmf::product_order_create::{ProductOrderCreateBody, parse_create};

/// The TMF622 routes, relative to its base path.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/productOrder", get(list).post(create))
        .route("/productOrder/{id}", get(one).patch(patch).delete(delete))
        .route("/cancelProductOrder", get(list_cancels).post(cancel))
        .route("/cancelProductOrder/{id}", get(one_cancel))
        .merge(hub::routes(Api::ProductOrdering))
}

fn order_reply(reply: Reply, state: &AppState) -> Result<Value, ApiError> {
    match reply {
        Reply::ProductOrder(order) => Ok(render(&order, &state.context())),
        other => Err(unexpected(&other)),
    }
}

async fn create(
    State(state): State<AppState>,
    TmfJson(body): TmfJson<ProductOrderCreateBody>,
) -> Result<Response, ApiError> {
    let items_max = state.chain.config().limits.items_per_order_max;
    let order = parse_create(body, items_max)?;
    let reply = answer(
        state
            .chain
            .request(|reply| Message::Com(ComInput::Create { reply, order }))
            .await,
    )?;
    Ok(created(order_reply(reply, &state)?))
}

async fn list(State(state): State<AppState>, params: ListParams) -> Result<Response, ApiError> {
    let query = state.list_query(params, Resource::ProductOrder)?;
    let context = state.context();
    let page = list::select(
        &query,
        || state.chain.com(),
        |com| query::product_orders(com),
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
    let selected = Selected::parse(params, Resource::ProductOrder)?;
    let id: ProductOrderId = path_id(&id, "productOrder")?;
    let found = query::product_order(&state.chain.com(), id);
    let order = match found {
        Lookup::Found(order) => order,
        Lookup::Forgotten => {
            return Err(ApiError::gone(format!(
                "productOrder `{id}` ended and is no longer kept (limits.retained_orders_max \
                 bounds the terminal orders kept), or it was deleted"
            )));
        }
        Lookup::Missing => return Err(missing("productOrder", id)),
    };
    Ok(selected.answer(render(&order, &state.context())))
}

async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    TmfJson(body): TmfJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let order: ProductOrderId = path_id(&id, "productOrder")?;
    let patch = parse_patch(body, PATCHABLE)?;
    let reply = answer(
        state
            .chain
            .request(|reply| {
                Message::Com(ComInput::Patch {
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
    let order: ProductOrderId = path_id(&id, "productOrder")?;
    no_content(
        state
            .chain
            .request(|reply| Message::Com(ComInput::Delete { reply, order }))
            .await,
    )
}

async fn cancel(
    State(state): State<AppState>,
    TmfJson(body): TmfJson<CancelProductOrderBody>,
) -> Result<Response, ApiError> {
    let text = body
        .product_order
        .and_then(|order| order.id)
        .ok_or_else(|| ApiError::bad_request("productOrder.id is required"))?;
    let order = text
        .parse::<ProductOrderId>()
        .map_err(|error| ApiError::bad_request(format!("productOrder.id: {error}")))?;
    let reason = body.cancellation_reason;
    let reply = answer(
        state
            .chain
            .request(|reply| {
                Message::Com(ComInput::Cancel {
                    reply,
                    order,
                    reason,
                })
            })
            .await,
    )?;
    match reply {
        Reply::CancelProductOrder(cancel) => Ok(created(render_cancel(&cancel, &state.context()))),
        other => Err(unexpected(&other)),
    }
}

async fn list_cancels(
    State(state): State<AppState>,
    params: ListParams,
) -> Result<Response, ApiError> {
    let query = state.list_query(params, Resource::CancelProductOrder)?;
    let context = state.context();
    let page = list::select(
        &query,
        || state.chain.com(),
        |com| query::cancel_product_orders(com),
        |cancel| query.matches_domain(cancel.state.as_str_for(Machine::ProductOrder), None),
        |cancel| render_cancel(cancel, &context),
    )
    .await;
    Ok(page.into_response())
}

async fn one_cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: ListParams,
) -> Result<Json<Value>, ApiError> {
    let selected = Selected::parse(params, Resource::CancelProductOrder)?;
    let id: CancelProductOrderId = path_id(&id, "cancelProductOrder")?;
    let found = query::cancel_product_order(&state.chain.com(), id);
    let cancel = found.ok_or_else(|| missing("cancelProductOrder", id))?;
    Ok(selected.answer(render_cancel(&cancel, &state.context())))
}
