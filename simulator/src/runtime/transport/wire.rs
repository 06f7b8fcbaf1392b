//! The network role's small REST API (not TMF: element operations have no TMF resource):
//! serde mirrors of [`ElementRequest`] and [`ElementReply`], converted both ways.
//!
//! `POST /network/v1/operation` takes an [`OperationBody`] and answers 202; after the
//! simulated latency the network POSTs a [`ReplyBody`] to the `callback` the caller gave
//! (`{caller}/network/v1/reply`). A timed-out operation gets no reply, as in-process.

use serde::{Deserialize, Serialize};

use crate::domain::ids::{ActivationId, AllocationId, OperationId};
use crate::layers::LayerId;
use crate::network::{
    AllocationRequest, ElementError, ElementErrorKind, ElementId, ElementOperation, ElementOutcome,
    ElementReply, ElementRequest, ResourceValue,
};

/// Path of the operation endpoint.
pub const OPERATION_PATH: &str = "/network/v1/operation";
/// Path of the reply endpoint (on the caller's process).
pub const REPLY_PATH: &str = "/network/v1/reply";

/// Path of the allocation listing (`GET`, paged by `offset` and `limit`): a reconciling ROM
/// reads every allocation the network holds, as [`AllocationWire`]s.
pub const ALLOCATIONS_PATH: &str = "/network/v1/allocation";

/// One allocation the network holds.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AllocationWire {
    /// The holder's name for it (ROM's `AL-n` number).
    pub id: u64,
    /// What it holds (the core's enum: its serde shape is the wire's).
    pub value: ResourceValue,
}

/// Path of the configuration listing (`GET`, paged by `offset` and `limit`): a reconciling
/// activation layer reads every service configured on an element, as
/// [`ConfigurationWire`]s.
pub const CONFIGURATIONS_PATH: &str = "/network/v1/configuration";

/// One service configured on an element.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigurationWire {
    /// The element (its index in the topology).
    pub element: ElementId,
    /// The TMF640 service's number (`ACT-n`).
    pub service: u64,
}

/// Body of `POST /network/v1/operation`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OperationBody {
    /// The caller's operation number.
    pub operation_id: u64,
    /// The layer that waits for the reply: `rom` or `activation`.
    pub reply_to: String,
    /// Where the reply is POSTed.
    pub callback: String,
    /// What to do.
    pub operation: OperationWire,
}

/// Body of `POST /network/v1/reply`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplyBody {
    /// The request's operation number.
    pub operation_id: u64,
    /// The layer the reply is for: `rom` or `activation`.
    pub reply_to: String,
    /// What happened.
    pub outcome: OutcomeWire,
}

/// [`ElementOperation`] on the wire.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum OperationWire {
    /// Take a resource.
    Allocate {
        /// The caller's name for the holding.
        allocation: u64,
        /// What to take (the core's enum: its serde shape is the wire's).
        request: AllocationRequest,
    },
    /// Give it back.
    Release {
        /// The holding.
        allocation: u64,
    },
    /// Configure a TMF640 service on an element.
    Configure {
        /// The element.
        element: ElementId,
        /// The TMF640 service number.
        service: u64,
    },
    /// Activate it.
    Activate {
        /// The element.
        element: ElementId,
        /// The TMF640 service number.
        service: u64,
    },
    /// Deactivate it.
    Deactivate {
        /// The element.
        element: ElementId,
        /// The TMF640 service number.
        service: u64,
    },
}

/// [`ElementReply::result`] on the wire.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "camelCase", deny_unknown_fields)]
pub enum OutcomeWire {
    /// Allocated this value.
    Allocated {
        /// The value.
        value: ResourceValue,
    },
    /// Released.
    Released,
    /// Configured.
    Configured,
    /// Activated.
    Activated,
    /// Deactivated.
    Deactivated,
    /// Failed.
    Error {
        /// The class of failure (`exhausted`, `failed`, `elementDown`, `invalidRequest`).
        kind: String,
        /// What failed.
        message: String,
    },
}

/// A reply-to layer name that is not `rom` or `activation`.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` does not take element replies (rom or activation)")]
pub struct BadReplyTo(pub String);

/// Parses a reply-to layer name.
pub fn reply_to(text: &str) -> Result<LayerId, BadReplyTo> {
    match text {
        "rom" => Ok(LayerId::Rom),
        "activation" => Ok(LayerId::Activation),
        other => Err(BadReplyTo(other.chars().take(32).collect())),
    }
}

impl OperationBody {
    /// The body for `request`, with replies to `callback`.
    pub fn new(request: ElementRequest, callback: String) -> OperationBody {
        OperationBody {
            operation_id: request.operation_id.0,
            reply_to: request.reply_to.as_str().to_string(),
            callback,
            operation: OperationWire::from(request.operation),
        }
    }

    /// The request it carries.
    pub fn request(self) -> Result<(ElementRequest, String), BadReplyTo> {
        let reply_to = reply_to(&self.reply_to)?;
        Ok((
            ElementRequest {
                operation_id: OperationId(self.operation_id),
                reply_to,
                operation: self.operation.into(),
            },
            self.callback,
        ))
    }
}

impl ReplyBody {
    /// The body for `reply`, addressed to `layer`.
    pub fn new(reply: ElementReply, layer: LayerId) -> ReplyBody {
        let outcome = match reply.result {
            Ok(ElementOutcome::Allocated(value)) => OutcomeWire::Allocated { value },
            Ok(ElementOutcome::Released) => OutcomeWire::Released,
            Ok(ElementOutcome::Configured) => OutcomeWire::Configured,
            Ok(ElementOutcome::Activated) => OutcomeWire::Activated,
            Ok(ElementOutcome::Deactivated) => OutcomeWire::Deactivated,
            Err(error) => OutcomeWire::Error {
                kind: error_kind_name(error.kind).to_string(),
                message: error.message,
            },
        };
        ReplyBody {
            operation_id: reply.operation_id.0,
            reply_to: layer.as_str().to_string(),
            outcome,
        }
    }

    /// The reply it carries and the layer it is for.
    pub fn reply(self) -> Result<(ElementReply, LayerId), BadReplyTo> {
        let layer = reply_to(&self.reply_to)?;
        let result = match self.outcome {
            OutcomeWire::Allocated { value } => Ok(ElementOutcome::Allocated(value)),
            OutcomeWire::Released => Ok(ElementOutcome::Released),
            OutcomeWire::Configured => Ok(ElementOutcome::Configured),
            OutcomeWire::Activated => Ok(ElementOutcome::Activated),
            OutcomeWire::Deactivated => Ok(ElementOutcome::Deactivated),
            OutcomeWire::Error { kind, message } => Err(ElementError {
                kind: error_kind(&kind),
                message,
            }),
        };
        let reply = ElementReply {
            operation_id: OperationId(self.operation_id),
            result,
        };
        Ok((reply, layer))
    }
}

impl From<ElementOperation> for OperationWire {
    fn from(operation: ElementOperation) -> OperationWire {
        match operation {
            ElementOperation::Allocate {
                allocation,
                request,
            } => OperationWire::Allocate {
                allocation: allocation.0,
                request,
            },
            ElementOperation::Release { allocation } => OperationWire::Release {
                allocation: allocation.0,
            },
            ElementOperation::Configure { element, service } => OperationWire::Configure {
                element,
                service: service.0,
            },
            ElementOperation::Activate { element, service } => OperationWire::Activate {
                element,
                service: service.0,
            },
            ElementOperation::Deactivate { element, service } => OperationWire::Deactivate {
                element,
                service: service.0,
            },
        }
    }
}

impl From<OperationWire> for ElementOperation {
    fn from(operation: OperationWire) -> ElementOperation {
        match operation {
            OperationWire::Allocate {
                allocation,
                request,
            } => ElementOperation::Allocate {
                allocation: AllocationId(allocation),
                request,
            },
            OperationWire::Release { allocation } => ElementOperation::Release {
                allocation: AllocationId(allocation),
            },
            OperationWire::Configure { element, service } => ElementOperation::Configure {
                element,
                service: ActivationId(service),
            },
            OperationWire::Activate { element, service } => ElementOperation::Activate {
                element,
                service: ActivationId(service),
            },
            OperationWire::Deactivate { element, service } => ElementOperation::Deactivate {
                element,
                service: ActivationId(service),
            },
        }
    }
}

fn error_kind_name(kind: ElementErrorKind) -> &'static str {
    match kind {
        ElementErrorKind::Exhausted => "exhausted",
        ElementErrorKind::Failed => "failed",
        ElementErrorKind::ElementDown => "elementDown",
        ElementErrorKind::InvalidRequest => "invalidRequest",
    }
}

/// An unknown kind is a plain failure (the caller treats every failure alike but exhaustion).
fn error_kind(name: &str) -> ElementErrorKind {
    match name {
        "exhausted" => ElementErrorKind::Exhausted,
        "elementDown" => ElementErrorKind::ElementDown,
        "invalidRequest" => ElementErrorKind::InvalidRequest,
        _ => ElementErrorKind::Failed,
    }
}
