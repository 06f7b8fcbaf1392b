//! Why a request was refused: an operating error (a TMF Error with a 4xx), never a bug. The
//! layers and the domain's decomposition refuse with it.

use serde::Serialize;

/// Why a request was refused: an operating error, never a bug.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{kind:?}: {message}")]
pub struct Rejection {
    /// The class of refusal (decides the HTTP status and TMF code).
    pub kind: RejectionKind,
    /// A sentence for the client that says what was wrong.
    pub message: String,
}

impl Rejection {
    /// A refusal of `kind` with `message`.
    pub fn new(kind: RejectionKind, message: impl Into<String>) -> Rejection {
        Rejection {
            kind,
            message: message.into(),
        }
    }
}

/// Classes of refusal.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum RejectionKind {
    /// The request is malformed or names something invalid (400).
    InvalidRequest,
    /// The entity named does not exist (404).
    NotFound,
    /// The entity is in a state that forbids the request (409).
    Conflict,
    /// A configured limit was reached; try later (429 or 503).
    LimitExceeded,
    /// The request is valid TMF but this simulator does not do it yet (422).
    Unsupported,
}
