//! One error type for the whole API: every refusal, whatever produced it (a layer's
//! rejection, a malformed body, a bad list parameter, an unknown path), leaves as a TMF
//! `Error` JSON body `{"code","reason","message","status"}` with the matching HTTP status.
//! The error itself is [`crate::tmf::error::TmfError`] (data, shared with in-process
//! drivers); this module turns it into a response and axum's rejections into it. Internal
//! details are logged with `tracing`, never sent.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::tmf::error::Status;
pub use crate::tmf::error::TmfError as ApiError;

impl From<StatusCode> for Status {
    fn from(status: StatusCode) -> Status {
        // Only error statuses are ever refusals; anything else would be a bug, answered 500.
        let code = status.as_u16();
        Status::new(if (400..=599).contains(&code) {
            code
        } else {
            500
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status.as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after_s {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        let status = rejection.status();
        let message = match &rejection {
            JsonRejection::JsonDataError(_) | JsonRejection::JsonSyntaxError(_) => {
                rejection.body_text()
            }
            JsonRejection::MissingJsonContentType(_) => {
                "expected a JSON body with `Content-Type: application/json`".to_string()
            }
            _ if status == StatusCode::PAYLOAD_TOO_LARGE => {
                "the request body is larger than the configured maximum".to_string()
            }
            _ => {
                tracing::debug!(detail = %rejection.body_text(), "request body unreadable");
                "the request body could not be read".to_string()
            }
        };
        let reason = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "Payload Too Large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "Unsupported Media Type",
            _ => "Bad Request",
        };
        // A body of the wrong shape is a malformed request in TMF terms (axum says 422).
        let status = match status {
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::UNSUPPORTED_MEDIA_TYPE => status,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, reason, message)
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError::bad_request(rejection.body_text())
    }
}

/// A JSON body extractor whose rejections are TMF errors (malformed JSON and wrong types:
/// 400; wrong content type: 415; over the body limit: 413).
#[derive(Debug, Clone)]
pub struct TmfJson<T>(pub T);

impl<S, T> FromRequest<S> for TmfJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<T>::from_request(request, state).await?;
        Ok(TmfJson(value))
    }
}

/// The fallback for paths no router serves.
pub async fn not_found_fallback(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no resource at `{}`", uri.path()))
}

/// The fallback for a known path asked with a method it does not serve.
pub async fn method_not_allowed_fallback(method: axum::http::Method) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method Not Allowed",
        format!("method {method} is not allowed on this resource"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overload_carries_retry_after() {
        let response = ApiError::overloaded("busy").into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }
}
