//! TMF641 `/cancelServiceOrder` and TMF652 `/cancelResourceOrder`: a client cancels a service
//! or resource order directly (COM and SOM use the same layer inputs). POST answers 201 with
//! the request (a second cancel of the same order answers the first request); GET lists and
//! reads requests.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use crate::domain::ids::{
    CancelResourceOrderId, CancelServiceOrderId, ResourceOrderId, ServiceOrderId,
};
use crate::domain::state::Machine;
use crate::http::common::{
    AppState, QueryParams as ListParams, Selected, answer, created, missing, path_id, unexpected,
};
use crate::http::dto::cancel::{CancelOrderBody, order_id, render_resource, render_service};
use crate::http::error::{ApiError, TmfJson};
use crate::http::list;
use crate::layers::rom::{ResourceOrderRef, RomInput};
use crate::layers::som::{ServiceOrderRef, SomInput};
use crate::layers::{Message, Reply};
use crate::query;
use crate::query::tmf630::schema::Resource;

/// The TMF641 cancel routes, relative to its base path.
pub fn service_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/cancelServiceOrder",
            get(list_service).post(cancel_service),
        )
        .route("/cancelServiceOrder/{id}", get(one_service))
}

/// The TMF652 cancel routes, relative to its base path.
pub fn resource_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/cancelResourceOrder",
            get(list_resource).post(cancel_resource),
        )
        .route("/cancelResourceOrder/{id}", get(one_resource))
}

async fn cancel_service(
    State(state): State<AppState>,
    TmfJson(body): TmfJson<CancelOrderBody>,
) -> Result<Response, ApiError> {
    let order: ServiceOrderId = order_id(body.service_order, "serviceOrder")?;
    let reason = body.cancellation_reason;
    let reply = answer(
        state
            .chain
            .request(|reply| {
                Message::Som(SomInput::Cancel {
                    reply: Some(reply),
                    order: ServiceOrderRef::Id(order),
                    reason,
                })
            })
            .await,
    )?;
    match reply {
        Reply::CancelServiceOrder(cancel) => Ok(created(render_service(&cancel, &state.context()))),
        other => Err(unexpected(&other)),
    }
}

async fn cancel_resource(
    State(state): State<AppState>,
    TmfJson(body): TmfJson<CancelOrderBody>,
) -> Result<Response, ApiError> {
    let order: ResourceOrderId = order_id(body.resource_order, "resourceOrder")?;
    let reason = body.cancellation_reason;
    let reply = answer(
        state
            .chain
            .request(|reply| {
                Message::Rom(RomInput::Cancel {
                    reply: Some(reply),
                    order: ResourceOrderRef::Id(order),
                    reason,
                })
            })
            .await,
    )?;
    match reply {
        Reply::CancelResourceOrder(cancel) => {
            Ok(created(render_resource(&cancel, &state.context())))
        }
        other => Err(unexpected(&other)),
    }
}

async fn list_service(
    State(state): State<AppState>,
    params: ListParams,
) -> Result<Response, ApiError> {
    let query = state.list_query(params, Resource::CancelServiceOrder)?;
    let context = state.context();
    let page = list::select(
        &query,
        || state.chain.som(),
        |som| query::cancel_service_orders(som),
        |cancel| query.matches_domain(cancel.state.as_str_for(Machine::ServiceOrder), None),
        |cancel| render_service(cancel, &context),
    )
    .await;
    Ok(page.into_response())
}

async fn list_resource(
    State(state): State<AppState>,
    params: ListParams,
) -> Result<Response, ApiError> {
    let query = state.list_query(params, Resource::CancelResourceOrder)?;
    let context = state.context();
    let page = list::select(
        &query,
        || state.chain.rom(),
        |rom| query::cancel_resource_orders(rom),
        |cancel| query.matches_domain(cancel.state.as_str_for(Machine::ResourceOrder), None),
        |cancel| render_resource(cancel, &context),
    )
    .await;
    Ok(page.into_response())
}

async fn one_service(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: ListParams,
) -> Result<Json<Value>, ApiError> {
    let selected = Selected::parse(params, Resource::CancelServiceOrder)?;
    let id: CancelServiceOrderId = path_id(&id, "cancelServiceOrder")?;
    let found = query::cancel_service_order(&state.chain.som(), id);
    let cancel = found.ok_or_else(|| missing("cancelServiceOrder", id))?;
    Ok(selected.answer(render_service(&cancel, &state.context())))
}

async fn one_resource(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: ListParams,
) -> Result<Json<Value>, ApiError> {
    let selected = Selected::parse(params, Resource::CancelResourceOrder)?;
    let id: CancelResourceOrderId = path_id(&id, "cancelResourceOrder")?;
    let found = query::cancel_resource_order(&state.chain.rom(), id);
    let cancel = found.ok_or_else(|| missing("cancelResourceOrder", id))?;
    Ok(selected.answer(render_resource(&cancel, &state.context())))
}
