//! Pieces every router shares: the application state, reply mapping and list parsing.

use axum::Json;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::http::dto::RenderContext;
use crate::http::error::ApiError;
use crate::http::hub::Hub;
use crate::layers::{Rejection, Reply};
use crate::query::tmf630::fields::Fields;
use crate::query::tmf630::schema::Resource;
use crate::query::tmf630::{ListQuery, parse_fields};
use crate::runtime::Chain;

/// What every handler gets: the running chain and the hubs.
#[derive(Clone)]
pub struct AppState {
    /// The chain requests go to.
    pub chain: Chain,
    /// The hubs events leave through.
    pub hub: Hub,
}

impl AppState {
    /// The rendering context (clock and element names).
    pub fn context(&self) -> RenderContext<'_> {
        RenderContext {
            clock: self.chain.clock(),
            topology: Some(self.chain.topology()),
            public_url: self.chain.public_url(),
        }
    }

    /// Parses the parameters of a list of `resource` against the configured
    /// `list_limit_max`.
    pub fn list_query(
        &self,
        query: QueryParams,
        resource: Resource,
    ) -> Result<ListQuery, ApiError> {
        let Query(pairs) = query?;
        let limit_max = self.chain.config().limits.list_limit_max;
        Ok(ListQuery::parse(&pairs, limit_max, resource)?)
    }
}

/// The query string of a request, as pairs.
pub type QueryParams = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// The answer to a GET by id: the entity, reduced to `id` and the `fields` asked for.
#[derive(Debug)]
pub struct Selected(Option<Fields>);

impl Selected {
    /// Parses the `fields` of a GET by id of `resource` (other parameters are refused).
    pub fn parse(query: QueryParams, resource: Resource) -> Result<Selected, ApiError> {
        let Query(pairs) = query?;
        Ok(Selected(parse_fields(&pairs, resource)?))
    }

    /// `rendered`, reduced to the selected fields.
    pub fn answer(&self, rendered: Value) -> Json<Value> {
        Json(match &self.0 {
            Some(fields) => fields.project(&rendered),
            None => rendered,
        })
    }
}

/// A layer's answer, with refusals turned into errors.
pub fn answer(result: Result<Reply, Rejection>) -> Result<Reply, ApiError> {
    match result {
        Ok(Reply::Rejected(rejection)) | Err(rejection) => Err(rejection.into()),
        Ok(reply) => Ok(reply),
    }
}

/// The answer to a DELETE: 204, or the refusal.
pub fn no_content(result: Result<Reply, Rejection>) -> Result<axum::http::StatusCode, ApiError> {
    match answer(result)? {
        Reply::Deleted => Ok(axum::http::StatusCode::NO_CONTENT),
        other => Err(unexpected(&other)),
    }
}

/// A reply of the wrong kind: a bug in a layer.
pub fn unexpected(reply: &Reply) -> ApiError {
    ApiError::internal(format!("unexpected reply {reply:?}"))
}

/// 201 with `Location` and the created entity.
pub fn created(body: Value) -> Response {
    let location = body
        .get("href")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(value) = header::HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Parses a path id, answering 404 for one that cannot name anything.
pub fn path_id<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, ApiError> {
    text.parse::<T>().map_err(|_| {
        ApiError::not_found(format!(
            "no {what} `{}`",
            text.chars().take(64).collect::<String>()
        ))
    })
}

/// 404 for an id that parsed but names nothing.
pub fn missing(what: &str, id: impl std::fmt::Display) -> ApiError {
    ApiError::not_found(format!("no {what} `{id}`"))
}
