//! Activation: TMF640 service activation and configuration.
//!
//! A TMF640 service is created for one RFS with its allocated resources; the layer configures
//! and then activates it on the element its resources live on (or just records it when no
//! element is involved), and publishes ServiceStateChangeEvents that the requesting resource
//! order follows. Deactivation is the compensation of activation.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::domain::ids::{ActivationId, OperationId, ResourceId, ResourceOrderId, ServiceId};
use crate::domain::state::ServiceState;
use crate::domain::time::Time;
use crate::layers::ReplyToken;
use crate::layers::common::{Characteristics, IllegalLog, Retention};
use crate::layers::history::StateHistory;
use crate::network::{ElementId, ElementReply, ResourceValue};

/// A service's states with when: room inline for feasibilityChecked, reserved, inactive, active
/// and terminated, the path of a service that is added and later ceased.
pub type ServiceHistory = StateHistory<ServiceState, 5>;

/// A TMF640 service.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivationService {
    /// Its id.
    pub id: ActivationId,
    /// The resource order that asked for it.
    pub parent: Option<ResourceOrderId>,
    /// The RFS instance (TMF638) it activates, when the requester named one.
    pub service: Option<ServiceId>,
    /// The RFS specification.
    pub service_specification: Arc<str>,
    /// The client's name for it, if it gave one.
    pub name: Option<String>,
    /// Current state.
    pub state: ServiceState,
    /// States passed through, with when.
    pub history: ServiceHistory,
    /// The element it is configured on, if any.
    pub element: Option<ElementId>,
    /// The resources it uses.
    pub resources: Vec<ResourceValue>,
    /// Their TMF639 inventory ids (`supportingResource`), when the requester gave them.
    pub supporting_resources: Vec<ResourceId>,
    /// Characteristics (speed, …).
    pub characteristics: Characteristics,
    /// The characteristics before the last reconfiguration: what a failed modify restores.
    pub previous: Option<Characteristics>,
    /// Whether it is being put back to `previous` (steps then retry as compensation and do
    /// not report to the requester).
    pub restoring: bool,
    /// The element operation in flight, if any.
    pub operation: Option<OperationId>,
    /// Why it failed, if it did.
    pub error: Option<crate::layers::failure::FailureReason>,
    /// When it was created.
    pub created: Time,
}

/// A request to activate an RFS (TMF640 POST /service).
#[derive(Clone, Debug, PartialEq)]
pub struct ActivationCreate {
    /// The resource order asking (`relatedEntity` role `requester`).
    pub parent: Option<ResourceOrderId>,
    /// The RFS instance in TMF638 (`supportingService`), when the requester names one.
    pub service: Option<ServiceId>,
    /// The RFS specification (`serviceSpecification`), known to the catalog.
    pub service_specification: Arc<str>,
    /// The client's `name`, if any.
    pub name: Option<String>,
    /// The resources it uses (their values travel as `serviceCharacteristic`).
    pub resources: Vec<ResourceValue>,
    /// Their TMF639 ids (`supportingResource`).
    pub supporting_resources: Vec<ResourceId>,
    /// Characteristics other than the resources' values.
    pub characteristics: Characteristics,
}

/// A change a TMF640 `PATCH /service/{id}` asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum ServiceChange {
    /// `state: terminated`: deactivate and terminate (also `DELETE`).
    Terminate,
    /// `state: active`: put a reconfigured service back to its configuration before the
    /// last reconfigure (the compensation of a failed modify); an active service that was
    /// never reconfigured stays as it is.
    Restore,
    /// New `serviceCharacteristic`: reconfigure an active service.
    Reconfigure {
        /// The resource order asking, told the outcome.
        parent: Option<ResourceOrderId>,
        /// The new characteristics.
        characteristics: Characteristics,
    },
}

/// Input of the activation layer.
#[derive(Clone, Debug)]
pub enum ActivationInput {
    /// POST /service.
    Create {
        /// Who waits for the answer, if anyone.
        reply: Option<ReplyToken>,
        /// The request (boxed: it is the largest input, and every message is as large as
        /// the largest).
        service: Box<ActivationCreate>,
    },
    /// Deactivate and terminate a service (compensation or cease).
    Terminate(ActivationId),
    /// Put a reconfigured service back to its configuration before the last reconfigure (the
    /// compensation of a failed modify); nothing for a service never reconfigured.
    Restore(ActivationId),
    /// Reconfigure an active service with new characteristics (a speed change); the result is
    /// reported to `parent`.
    Reconfigure {
        /// The service.
        id: ActivationId,
        /// The resource order asking.
        parent: Option<ResourceOrderId>,
        /// The new characteristics.
        characteristics: Characteristics,
    },
    /// `PATCH /service/{id}` (or `DELETE`, as [`ServiceChange::Terminate`]) from a client that
    /// waits for the answer: the service as changed, 404 for an unknown id, 409 for a change
    /// its state forbids.
    Patch {
        /// Who waits for the answer.
        reply: ReplyToken,
        /// The service.
        id: ActivationId,
        /// What changes.
        change: ServiceChange,
        /// Whether this is a `DELETE` (answered with no body).
        delete: bool,
    },
    /// A reply from the network.
    Element(ElementReply),
    /// An element operation's timeout (one sent after a retry's backoff).
    OperationTimeout(OperationId),
    /// The element-timeout sweep armed for this instant: every operation sent at least
    /// `element_timeout` ago that has no reply times out (see [`crate::layers::watchdog`]).
    OperationTimeoutSweep(crate::domain::time::Time),
    /// A failed configure or activate's backoff is over: try `step` of `service` again,
    /// unless the service moved on (it no longer waits on `failed`).
    Retry {
        /// The service.
        service: ActivationId,
        /// The step to try again.
        step: Step,
        /// The operation that failed.
        failed: OperationId,
        /// The try to send.
        attempt: u32,
    },
    /// The layer restarted without its state: deactivate what no live service owns (see
    /// [`reconcile`]).
    Reconcile,
    /// A question of the reconciliation could not be asked or answered: it ends without
    /// changing anything, and the changes held for it are taken up.
    ReconcileUnanswered,
    /// The network's answer: every service configured on an element.
    ElementServices(Vec<(ElementId, ActivationId)>),
    /// ROM's answer: the services backing its live resources, with those resources.
    OwnedByRom(Vec<crate::layers::rom::reconcile::ActiveService>),
    /// A restarted ROM reconciles: answer with every `active` service and its resources, as
    /// [`RomInput::ActiveServices`](crate::layers::rom::RomInput::ActiveServices).
    ListActive,
    /// ROM asks whether a live service of resource order `parent` exists (its deadline
    /// passed); answered with [`crate::layers::rom::RomInput::ActivationStatus`].
    Report {
        /// The resource order.
        parent: ResourceOrderId,
    },
}

/// The activation layer.
#[derive(Debug)]
pub struct ActivationLayer {
    /// Services by id.
    pub(crate) services: BTreeMap<ActivationId, Box<ActivationService>>,
    /// Element operations in flight.
    pub(crate) operations: BTreeMap<OperationId, PendingStep>,
    /// Refused transitions.
    pub(crate) illegal: IllegalLog,
    /// Bound on retained terminated or failed services.
    pub(crate) retention: Retention<ActivationId>,
    /// Next service and operation number.
    pub(crate) next_number: u64,
    /// Deactivations that failed every attempt.
    pub(crate) compensation_failures: u64,
    /// Retry policy for configure, activate (forward) and deactivate (compensation).
    pub(crate) retry: crate::config::RetryPolicy,
    /// Retries sent so far.
    pub(crate) retries: crate::layers::common::RetryCounts,
    /// How long to wait for an element's reply.
    pub(crate) element_timeout: std::time::Duration,
    /// The timeouts of element operations sent without delay: all have the same deadline
    /// after their call, so one sweep replaces a timer message per call.
    pub(crate) element_deadlines: crate::layers::watchdog::Watchdog<OperationId>,
    /// Services a direct client (no requesting resource order) created and that are not
    /// terminated yet.
    pub(crate) direct: usize,
    /// Bound on `direct` (`limits.open_orders_max`); over it a create gets 503.
    pub(crate) direct_max: usize,
    /// A reconciliation after a restart, while its answers are awaited.
    pub(crate) reconciliation: Option<reconcile::Reconciliation>,
    /// Changes to services of a former life that wait for the reconciliation (at most
    /// `direct_max`).
    pub(crate) deferred: Vec<ActivationInput>,
}

/// Read-only access to the store for code outside the core (tests, tools): the core reads
/// the fields, everything else reads through these or [`crate::query`].
impl ActivationLayer {
    /// Services by id.
    pub fn services(&self) -> &BTreeMap<ActivationId, Box<ActivationService>> {
        &self.services
    }

    /// Element operations in flight.
    pub fn operations(&self) -> &BTreeMap<OperationId, PendingStep> {
        &self.operations
    }

    /// Retries sent so far.
    pub fn retries(&self) -> &crate::layers::common::RetryCounts {
        &self.retries
    }

    /// Refused transitions.
    pub fn illegal(&self) -> &IllegalLog {
        &self.illegal
    }

    /// Deactivations that failed every attempt.
    pub fn compensation_failures(&self) -> u64 {
        self.compensation_failures
    }
}

/// An element step a service waits for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PendingStep {
    /// The service.
    pub service: ActivationId,
    /// Which step.
    pub step: Step,
    /// 1-based attempt number (deactivation is retried).
    pub attempt: u32,
}

/// The element steps of an activation.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Push configuration.
    Configure,
    /// Turn on.
    Activate,
    /// Turn off (compensation or cease).
    Deactivate,
}

mod machine;
mod patch;
pub mod reconcile;
mod restore;
mod retry;
