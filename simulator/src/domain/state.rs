//! TMF state machines as tables.
//!
//! Every state change of an order, an order item, a TMF640 service or a cancel request goes
//! through one of the `*_next` functions here, which either return the next state or refuse
//! with [`IllegalTransition`]. A layer that gets a refusal has a bug: it counts it and does not
//! apply the change, and the audit reports it. State names are the TMF v4 spellings.

use serde::{Deserialize, Serialize};

/// The state of a product, service or resource order (and of its items), TMF v4 spelling.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OrderState {
    /// Received and validated syntactically; no work started.
    Acknowledged,
    /// Refused after acknowledgement (validation failed). Terminal.
    Rejected,
    /// Waiting for something outside the order (e.g. a site survey).
    Pending,
    /// Stopped by a rule (e.g. a credit check) until released.
    Held,
    /// Being worked on.
    InProgress,
    /// Cancelled and rolled back. Terminal.
    Cancelled,
    /// Every item completed. Terminal.
    Completed,
    /// Every item failed. Terminal.
    Failed,
    /// Some items completed and some failed. Terminal.
    Partial,
    /// A cancel request was received and is being assessed.
    AssessingCancellation,
    /// The cancel was accepted; rollback is running.
    PendingCancellation,
}

impl OrderState {
    /// Every state, in declaration order (for table tests and metrics).
    pub const ALL: [OrderState; 11] = [
        OrderState::Acknowledged,
        OrderState::Rejected,
        OrderState::Pending,
        OrderState::Held,
        OrderState::InProgress,
        OrderState::Cancelled,
        OrderState::Completed,
        OrderState::Failed,
        OrderState::Partial,
        OrderState::AssessingCancellation,
        OrderState::PendingCancellation,
    ];

    /// The TMF spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderState::Acknowledged => "acknowledged",
            OrderState::Rejected => "rejected",
            OrderState::Pending => "pending",
            OrderState::Held => "held",
            OrderState::InProgress => "inProgress",
            OrderState::Cancelled => "cancelled",
            OrderState::Completed => "completed",
            OrderState::Failed => "failed",
            OrderState::Partial => "partial",
            OrderState::AssessingCancellation => "assessingCancellation",
            OrderState::PendingCancellation => "pendingCancellation",
        }
    }

    /// Parses the TMF spelling.
    pub fn parse(text: &str) -> Option<OrderState> {
        OrderState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
    }

    /// No transition leaves a terminal state.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderState::Rejected
                | OrderState::Cancelled
                | OrderState::Completed
                | OrderState::Failed
                | OrderState::Partial
        )
    }
}

/// What happens to an order or item; the tables map (state, event) to the next state.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OrderEvent {
    /// Work starts (acknowledged → inProgress).
    Start,
    /// A rule holds the order.
    Hold,
    /// The order waits for an outside step.
    Pend,
    /// A held or pending order goes on.
    Resume,
    /// Validation after acknowledgement failed.
    Reject,
    /// All work succeeded.
    Complete,
    /// All work failed.
    Fail,
    /// Some work succeeded and some failed.
    CompletePartially,
    /// A cancel request arrived.
    CancelRequested,
    /// The cancel was accepted; rollback starts.
    CancelAccepted,
    /// The cancel was refused; work goes on.
    CancelDenied,
    /// Rollback finished.
    CancelCompleted,
}

impl OrderEvent {
    /// Every event, for table tests.
    pub const ALL: [OrderEvent; 12] = [
        OrderEvent::Start,
        OrderEvent::Hold,
        OrderEvent::Pend,
        OrderEvent::Resume,
        OrderEvent::Reject,
        OrderEvent::Complete,
        OrderEvent::Fail,
        OrderEvent::CompletePartially,
        OrderEvent::CancelRequested,
        OrderEvent::CancelAccepted,
        OrderEvent::CancelDenied,
        OrderEvent::CancelCompleted,
    ];
}

/// Which state machine a transition belongs to.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Machine {
    /// TMF622 ProductOrder.
    ProductOrder,
    /// TMF622 ProductOrderItem (has no `partial`).
    ProductOrderItem,
    /// TMF641 ServiceOrder.
    ServiceOrder,
    /// TMF641 ServiceOrderItem (has `partial`).
    ServiceOrderItem,
    /// TMF652 ResourceOrder.
    ResourceOrder,
    /// TMF652 ResourceOrderItem.
    ResourceOrderItem,
    /// TMF640 Service.
    ActivationService,
    /// A cancel request (TMF622/641/652 Cancel*Order).
    CancelRequest,
}

/// A refused transition: a bug in the layer that asked for it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("illegal {machine:?} transition: {from} on {event}")]
pub struct IllegalTransition {
    /// The machine.
    pub machine: Machine,
    /// The state it was in.
    pub from: &'static str,
    /// What was asked of it.
    pub event: &'static str,
}

fn illegal(machine: Machine, from: &'static str, event: &OrderEvent) -> IllegalTransition {
    let event = match event {
        OrderEvent::Start => "Start",
        OrderEvent::Hold => "Hold",
        OrderEvent::Pend => "Pend",
        OrderEvent::Resume => "Resume",
        OrderEvent::Reject => "Reject",
        OrderEvent::Complete => "Complete",
        OrderEvent::Fail => "Fail",
        OrderEvent::CompletePartially => "CompletePartially",
        OrderEvent::CancelRequested => "CancelRequested",
        OrderEvent::CancelAccepted => "CancelAccepted",
        OrderEvent::CancelDenied => "CancelDenied",
        OrderEvent::CancelCompleted => "CancelCompleted",
    };
    IllegalTransition {
        machine,
        from,
        event,
    }
}

/// The order/item table shared by the three order APIs; `partial_allowed` is false for
/// product order items, whose TMF enum has no `partial`.
fn order_table(from: OrderState, event: OrderEvent, partial_allowed: bool) -> Option<OrderState> {
    use OrderEvent as E;
    use OrderState as S;
    let working = matches!(from, S::Acknowledged | S::InProgress);
    let next = match (from, event) {
        (S::Acknowledged, E::Start) => S::InProgress,
        (S::Acknowledged, E::Reject) => S::Rejected,
        (_, E::Hold) if working => S::Held,
        (_, E::Pend) if working => S::Pending,
        (S::Held | S::Pending, E::Resume) => S::InProgress,
        // Completion may also win a race against a cancel that is still being assessed.
        (S::InProgress | S::AssessingCancellation, E::Complete) => S::Completed,
        (S::InProgress | S::AssessingCancellation, E::Fail) => S::Failed,
        (S::InProgress | S::AssessingCancellation, E::CompletePartially) if partial_allowed => {
            S::Partial
        }
        (S::Acknowledged | S::Pending | S::Held | S::InProgress, E::CancelRequested) => {
            S::AssessingCancellation
        }
        (S::AssessingCancellation, E::CancelAccepted) => S::PendingCancellation,
        (S::AssessingCancellation, E::CancelDenied) => S::InProgress,
        (S::PendingCancellation, E::CancelCompleted) => S::Cancelled,
        _ => return None,
    };
    Some(next)
}

/// The one transition function for an order or order item of `machine`.
pub fn order_next(
    machine: Machine,
    from: OrderState,
    event: OrderEvent,
) -> Result<OrderState, IllegalTransition> {
    let partial_allowed = match machine {
        Machine::ProductOrderItem => false,
        Machine::ProductOrder
        | Machine::ServiceOrder
        | Machine::ServiceOrderItem
        | Machine::ResourceOrder
        | Machine::ResourceOrderItem => true,
        Machine::ActivationService | Machine::CancelRequest => {
            return Err(illegal(machine, from.as_str(), &event));
        }
    };
    order_table(from, event, partial_allowed).ok_or_else(|| illegal(machine, from.as_str(), &event))
}

/// The event that moves a working order to the terminal state its items imply, or `None`
/// while some item is not terminal. All completed → Complete; all failed → Fail; all
/// cancelled → CancelCompleted; any other mix of terminal items → CompletePartially.
pub fn derive_from_items(items: impl IntoIterator<Item = OrderState>) -> Option<OrderEvent> {
    let (mut completed, mut failed, mut cancelled, mut total) = (0usize, 0usize, 0usize, 0usize);
    for state in items {
        total += 1;
        match state {
            OrderState::Completed => completed += 1,
            OrderState::Failed | OrderState::Rejected => failed += 1,
            OrderState::Cancelled => cancelled += 1,
            OrderState::Partial => {
                completed += 1;
                failed += 1;
            }
            _ => return None,
        }
    }
    if total == 0 {
        return None;
    }
    Some(if completed == total {
        OrderEvent::Complete
    } else if failed == total {
        OrderEvent::Fail
    } else if cancelled == total {
        OrderEvent::CancelCompleted
    } else if completed == 0 && cancelled == 0 {
        OrderEvent::Fail
    } else {
        OrderEvent::CompletePartially
    })
}

/// TMF640/638 service state.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ServiceState {
    /// Checked as feasible; nothing reserved.
    FeasibilityChecked,
    /// Designed.
    Designed,
    /// Resources reserved.
    Reserved,
    /// Configured on the network but not carrying traffic.
    Inactive,
    /// Carrying traffic.
    Active,
    /// Removed. Terminal.
    Terminated,
}

impl ServiceState {
    /// Every state, for table tests.
    pub const ALL: [ServiceState; 6] = [
        ServiceState::FeasibilityChecked,
        ServiceState::Designed,
        ServiceState::Reserved,
        ServiceState::Inactive,
        ServiceState::Active,
        ServiceState::Terminated,
    ];

    /// The TMF spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            ServiceState::FeasibilityChecked => "feasibilityChecked",
            ServiceState::Designed => "designed",
            ServiceState::Reserved => "reserved",
            ServiceState::Inactive => "inactive",
            ServiceState::Active => "active",
            ServiceState::Terminated => "terminated",
        }
    }

    /// Parses the TMF spelling.
    pub fn parse(text: &str) -> Option<ServiceState> {
        ServiceState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
    }
}

/// What happens to a TMF640 service.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ServiceEvent {
    /// Resources are reserved for it.
    Reserve,
    /// It was configured on the elements.
    Configure,
    /// It was activated.
    Activate,
    /// It was deactivated (compensation, cease, or reconfiguration).
    Deactivate,
    /// It was removed.
    Terminate,
}

impl ServiceEvent {
    /// Every event, for table tests.
    pub const ALL: [ServiceEvent; 5] = [
        ServiceEvent::Reserve,
        ServiceEvent::Configure,
        ServiceEvent::Activate,
        ServiceEvent::Deactivate,
        ServiceEvent::Terminate,
    ];
}

/// The one transition function for a TMF640 service.
pub fn service_next(
    from: ServiceState,
    event: ServiceEvent,
) -> Result<ServiceState, IllegalTransition> {
    use ServiceEvent as E;
    use ServiceState as S;
    let next = match (from, event) {
        (S::FeasibilityChecked | S::Designed, E::Reserve) => Some(S::Reserved),
        (S::Reserved | S::Inactive, E::Configure) => Some(S::Inactive),
        (S::Inactive, E::Activate) => Some(S::Active),
        (S::Active, E::Deactivate) => Some(S::Inactive),
        (S::Terminated, _) => None,
        (_, E::Terminate) => Some(S::Terminated),
        _ => None,
    };
    next.ok_or_else(|| IllegalTransition {
        machine: Machine::ActivationService,
        from: from.as_str(),
        event: match event {
            E::Reserve => "Reserve",
            E::Configure => "Configure",
            E::Activate => "Activate",
            E::Deactivate => "Deactivate",
            E::Terminate => "Terminate",
        },
    })
}

/// State of a cancel request (TMF622/652 `TaskStateType`; TMF641 says `accepted` for
/// `acknowledged`, which [`TaskState::as_str_for`] handles).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TaskState {
    /// Received.
    Acknowledged,
    /// Being carried out.
    InProgress,
    /// The order was cancelled. Terminal.
    Done,
    /// The order could not be cancelled. Terminal.
    TerminatedWithError,
}

impl TaskState {
    /// Every state, for table tests.
    pub const ALL: [TaskState; 4] = [
        TaskState::Acknowledged,
        TaskState::InProgress,
        TaskState::Done,
        TaskState::TerminatedWithError,
    ];

    /// The spelling of the API the request belongs to (`accepted` in TMF641).
    pub const fn as_str_for(self, machine: Machine) -> &'static str {
        match (self, machine) {
            (TaskState::Acknowledged, Machine::ServiceOrder) => "accepted",
            (TaskState::Acknowledged, _) => "acknowledged",
            (TaskState::InProgress, _) => "inProgress",
            (TaskState::Done, _) => "done",
            (TaskState::TerminatedWithError, _) => "terminatedWithError",
        }
    }
}

/// What happens to a cancel request.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TaskEvent {
    /// The cancel started.
    Start,
    /// The order reached `cancelled`.
    Finish,
    /// The order could not be cancelled (it completed first, or rollback failed).
    Abort,
}

impl TaskEvent {
    /// Every event, for table tests.
    pub const ALL: [TaskEvent; 3] = [TaskEvent::Start, TaskEvent::Finish, TaskEvent::Abort];
}

/// The one transition function for a cancel request.
pub fn task_next(from: TaskState, event: TaskEvent) -> Result<TaskState, IllegalTransition> {
    use TaskEvent as E;
    use TaskState as S;
    match (from, event) {
        (S::Acknowledged, E::Start) => Ok(S::InProgress),
        (S::Acknowledged | S::InProgress, E::Finish) => Ok(S::Done),
        (S::Acknowledged | S::InProgress, E::Abort) => Ok(S::TerminatedWithError),
        _ => Err(IllegalTransition {
            machine: Machine::CancelRequest,
            from: from.as_str_for(Machine::CancelRequest),
            event: match event {
                E::Start => "Start",
                E::Finish => "Finish",
                E::Abort => "Abort",
            },
        }),
    }
}
