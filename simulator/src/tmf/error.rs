//! The TMF `Error` a refusal becomes, whatever produced it (a layer's [`Rejection`], a
//! malformed body, a bad list parameter): `{"code","reason","message","status"}` and the HTTP
//! status it is answered with. It is data only, so the HTTP API (`crate::http::error` turns it
//! into a response) and in-process drivers (loadgen's virtual-time target) refuse a request
//! with the same status and sentence.

use serde_json::json;

use crate::layers::{Rejection, RejectionKind};
use crate::tmf::BadBody;

/// An HTTP status code, as a TMF `Error` carries it (`code` and `status` are its text).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Status(u16);

impl Status {
    /// 400.
    pub const BAD_REQUEST: Status = Status(400);
    /// 404.
    pub const NOT_FOUND: Status = Status(404);
    /// 409.
    pub const CONFLICT: Status = Status(409);
    /// 410.
    pub const GONE: Status = Status(410);
    /// 422.
    pub const UNPROCESSABLE_ENTITY: Status = Status(422);
    /// 429.
    pub const TOO_MANY_REQUESTS: Status = Status(429);
    /// 500.
    pub const INTERNAL_SERVER_ERROR: Status = Status(500);
    /// 503.
    pub const SERVICE_UNAVAILABLE: Status = Status(503);

    /// The code as a number.
    pub fn as_u16(self) -> u16 {
        self.0
    }

    /// `code`, which must be an HTTP error status (400..=599): a programmer's choice, never
    /// input.
    pub fn new(code: u16) -> Status {
        assert!((400..=599).contains(&code), "{code} is not an error status");
        Status(code)
    }
}

/// A refusal, rendered as a TMF `Error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TmfError {
    /// The HTTP status.
    pub status: Status,
    /// A short phrase naming the class of error (TMF `reason`).
    pub reason: &'static str,
    /// A sentence for the client (TMF `message`).
    pub message: String,
    /// Seconds the client should wait before retrying (503 and 429 only).
    pub retry_after_s: Option<u32>,
}

impl TmfError {
    /// An error with `status`, `reason` and `message`.
    pub fn new(
        status: impl Into<Status>,
        reason: &'static str,
        message: impl Into<String>,
    ) -> TmfError {
        TmfError {
            status: status.into(),
            reason,
            message: message.into(),
            retry_after_s: None,
        }
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> TmfError {
        TmfError::new(Status::BAD_REQUEST, "Bad Request", message)
    }

    /// 404: nothing has that id (or path).
    pub fn not_found(message: impl Into<String>) -> TmfError {
        TmfError::new(Status::NOT_FOUND, "Not Found", message)
    }

    /// 410: the entity existed but is no longer kept (the retention bound forgot it, or a
    /// client deleted it).
    pub fn gone(message: impl Into<String>) -> TmfError {
        TmfError::new(Status::GONE, "Gone", message)
    }

    /// 503 with `Retry-After`: the simulator is overloaded.
    pub fn overloaded(message: impl Into<String>) -> TmfError {
        TmfError {
            retry_after_s: Some(1),
            ..TmfError::new(Status::SERVICE_UNAVAILABLE, "Service Unavailable", message)
        }
    }

    /// 429 with `Retry-After`: a per-client quota (e.g. hub subscriptions) is used up.
    pub fn too_many(message: impl Into<String>) -> TmfError {
        TmfError {
            retry_after_s: Some(1),
            ..TmfError::new(Status::TOO_MANY_REQUESTS, "Too Many Requests", message)
        }
    }

    /// 500: a bug in the simulator (the details are logged, not sent).
    pub fn internal(detail: impl std::fmt::Display) -> TmfError {
        tracing::error!(%detail, "internal error answering a request");
        TmfError::new(
            Status::INTERNAL_SERVER_ERROR,
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

impl std::fmt::Display for TmfError {
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

impl std::error::Error for TmfError {}

impl From<Rejection> for TmfError {
    fn from(rejection: Rejection) -> TmfError {
        let Rejection { kind, message } = rejection;
        match kind {
            RejectionKind::InvalidRequest => TmfError::bad_request(message),
            RejectionKind::NotFound => TmfError::not_found(message),
            RejectionKind::Conflict => TmfError::new(Status::CONFLICT, "Conflict", message),
            RejectionKind::LimitExceeded => TmfError::overloaded(message),
            RejectionKind::Unsupported => TmfError::new(
                Status::UNPROCESSABLE_ENTITY,
                "Unprocessable Entity",
                message,
            ),
        }
    }
}

impl From<BadBody> for TmfError {
    fn from(error: BadBody) -> TmfError {
        TmfError::bad_request(error.message)
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
            let error = TmfError::from(Rejection::new(kind, "why"));
            assert_eq!(error.status.as_u16(), status, "{kind:?}");
            assert_eq!(error.body()["code"], status.to_string());
            assert_eq!(error.body()["status"], status.to_string());
            assert_eq!(error.body()["message"], "why");
        }
    }
}
