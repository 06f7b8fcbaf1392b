//! One error type for the whole API: every refusal, whatever produced it (a layer's
//! [`Rejection`], a malformed body, a bad list parameter, an unknown path), leaves as a TMF
//! `Error` JSON body `{"code","reason","message","status"}` with the matching HTTP status.
//! Internal details are logged with `tracing`, never sent.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::layers::{Rejection, RejectionKind};
use crate::tmf::BadBody;

/// A refusal, rendered as a TMF `Error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A short phrase naming the class of error (TMF `reason`).
    pub reason: &'static str,
    /// A sentence for the client (TMF `message`).
    pub message: String,
    /// Seconds the client should wait before retrying (503 and 429 only).
    pub retry_after_s: Option<u32>,
}

impl ApiError {
    /// An error with `status`, `reason` and `message`.
    pub fn new(status: StatusCode, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            reason,
            message: message.into(),
            retry_after_s: None,
        }
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "Bad Request", message)
    }

    /// 404: nothing has that id (or path).
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "Not Found", message)
    }

    /// 410: the entity existed but is no longer kept (the retention bound forgot it, or a
    /// client deleted it).
    pub fn gone(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::GONE, "Gone", message)
    }

    /// 503 with `Retry-After`: the simulator is overloaded.
    pub fn overloaded(message: impl Into<String>) -> ApiError {
        ApiError {
            retry_after_s: Some(1),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable",
                message,
            )
        }
    }

    /// 429 with `Retry-After`: a per-client quota (e.g. hub subscriptions) is used up.
    pub fn too_many(message: impl Into<String>) -> ApiError {
        ApiError {
            retry_after_s: Some(1),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests", message)
        }
    }

    /// 500: a bug in the simulator (the details are logged, not sent).
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!(%detail, "internal error answering a request");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Error",
            "the simulator hit an internal error; see its log",
        )
    }

    /// The TMF `Error` body.
    pub fn body(&self) -> serde_json::Value {
        json!({
            "code": self.status.as_u16().to_string(),
            "reason": self.reason,
            "message": self.message,
            "status": self.status.as_u16().to_string(),
            "@type": "Error",
        })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.reason,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after_s {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<Rejection> for ApiError {
    fn from(rejection: Rejection) -> ApiError {
        let Rejection { kind, message } = rejection;
        match kind {
            RejectionKind::InvalidRequest => ApiError::bad_request(message),
            RejectionKind::NotFound => ApiError::not_found(message),
            RejectionKind::Conflict => ApiError::new(StatusCode::CONFLICT, "Conflict", message),
            RejectionKind::LimitExceeded => ApiError::overloaded(message),
            RejectionKind::Unsupported => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Unprocessable Entity",
                message,
            ),
        }
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

impl From<BadBody> for ApiError {
    fn from(error: BadBody) -> ApiError {
        ApiError::bad_request(error.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_kinds_map_to_statuses() {
        let cases = [
            (RejectionKind::InvalidRequest, 400),
            (RejectionKind::NotFound, 404),
            (RejectionKind::Conflict, 409),
            (RejectionKind::LimitExceeded, 503),
            (RejectionKind::Unsupported, 422),
        ];
        for (kind, status) in cases {
            let error = ApiError::from(Rejection::new(kind, "why"));
            assert_eq!(error.status.as_u16(), status, "{kind:?}");
            assert_eq!(error.body()["code"], status.to_string());
            assert_eq!(error.body()["status"], status.to_string());
            assert_eq!(error.body()["message"], "why");
        }
    }

    #[test]
    fn overload_carries_retry_after() {
        let response = ApiError::overloaded("busy").into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }
}
