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
            // A partial item is a mix in itself: it counts as neither all-completed nor
            // all-failed, so any order holding one is partial.
            OrderState::Partial => {}
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Expected next state of a product, service or resource order, and of a service or
    /// resource order item, for every (state, event). Rows follow `OrderState::ALL`, columns
    /// `OrderEvent::ALL`; `-` is illegal. ack acknowledged, rej rejected, pen pending,
    /// hld held, inp inProgress, can cancelled, cmp completed, fai failed, par partial,
    /// asc assessingCancellation, pnc pendingCancellation.
    const ORDER_TABLE: &str = "
        Start Hold Pend Resume Reject Complete Fail CompletePartially CancelRequested CancelAccepted CancelDenied CancelCompleted
    ack inp   hld  pen  -      rej    -        -    -                 asc             -              -            -
    rej -     -    -    -      -      -        -    -                 -               -              -            -
    pen -     -    -    inp    -      -        -    -                 asc             -              -            -
    hld -     -    -    inp    -      -        -    -                 asc             -              -            -
    inp -     hld  pen  -      -      cmp      fai  par               asc             -              -            -
    can -     -    -    -      -      -        -    -                 -               -              -            -
    cmp -     -    -    -      -      -        -    -                 -               -              -            -
    fai -     -    -    -      -      -        -    -                 -               -              -            -
    par -     -    -    -      -      -        -    -                 -               -              -            -
    asc -     -    -    -      -      cmp      fai  par               -               pnc            inp          -
    pnc -     -    -    -      -      -        -    -                 -               -              -            can
    ";

    /// The same for a TMF622 product order item, whose state enum has no `partial`.
    const PRODUCT_ORDER_ITEM_TABLE: &str = "
        Start Hold Pend Resume Reject Complete Fail CompletePartially CancelRequested CancelAccepted CancelDenied CancelCompleted
    ack inp   hld  pen  -      rej    -        -    -                 asc             -              -            -
    rej -     -    -    -      -      -        -    -                 -               -              -            -
    pen -     -    -    inp    -      -        -    -                 asc             -              -            -
    hld -     -    -    inp    -      -        -    -                 asc             -              -            -
    inp -     hld  pen  -      -      cmp      fai  -                 asc             -              -            -
    can -     -    -    -      -      -        -    -                 -               -              -            -
    cmp -     -    -    -      -      -        -    -                 -               -              -            -
    fai -     -    -    -      -      -        -    -                 -               -              -            -
    par -     -    -    -      -      -        -    -                 -               -              -            -
    asc -     -    -    -      -      cmp      fai  -                 -               pnc            inp          -
    pnc -     -    -    -      -      -        -    -                 -               -              -            can
    ";

    /// Expected TMF640 service transitions; rows `ServiceState::ALL`, columns
    /// `ServiceEvent::ALL`.
    const SERVICE_TABLE: &str = "
                       Reserve  Configure Activate Deactivate Terminate
    feasibilityChecked reserved -         -        -          terminated
    designed           reserved -         -        -          terminated
    reserved           -        inactive  -        -          terminated
    inactive           -        inactive  active   -          terminated
    active             -        -         -        inactive   terminated
    terminated         -        -         -        -          -
    ";

    /// Expected cancel request transitions; rows `TaskState::ALL`, columns `TaskEvent::ALL`.
    const TASK_TABLE: &str = "
                        Start      Finish Abort
    acknowledged        inProgress done   terminatedWithError
    inProgress          -          done   terminatedWithError
    done                -          -      -
    terminatedWithError -          -      -
    ";

    // The state enums of the official TMF v4 specs, copied from /work/shared/tmf/specs.
    /// TMF622-ProductOrder-v4.0.0.swagger.json, `ProductOrderStateType`.
    const TMF622_PRODUCT_ORDER_STATE: [&str; 11] = [
        "acknowledged",
        "rejected",
        "pending",
        "held",
        "inProgress",
        "cancelled",
        "completed",
        "failed",
        "partial",
        "assessingCancellation",
        "pendingCancellation",
    ];
    /// TMF622-ProductOrder-v4.0.0.swagger.json, `ProductOrderItemStateType`.
    const TMF622_PRODUCT_ORDER_ITEM_STATE: [&str; 10] = [
        "acknowledged",
        "rejected",
        "pending",
        "held",
        "inProgress",
        "cancelled",
        "completed",
        "failed",
        "assessingCancellation",
        "pendingCancellation",
    ];
    /// TMF622-ProductOrder-v4.0.0.swagger.json, `TaskStateType`.
    const TMF622_TASK_STATE: [&str; 4] =
        ["acknowledged", "terminatedWithError", "inProgress", "done"];
    /// TMF641-ServiceOrdering-v4.1.0.swagger.json, `ServiceOrderStateType`.
    const TMF641_SERVICE_ORDER_STATE: [&str; 11] = [
        "acknowledged",
        "rejected",
        "pending",
        "held",
        "inProgress",
        "cancelled",
        "completed",
        "failed",
        "partial",
        "assessingCancellation",
        "pendingCancellation",
    ];
    /// TMF641-ServiceOrdering-v4.1.0.swagger.json, `ServiceOrderItemStateType`.
    const TMF641_SERVICE_ORDER_ITEM_STATE: [&str; 11] = [
        "acknowledged",
        "rejected",
        "pending",
        "held",
        "inProgress",
        "cancelled",
        "completed",
        "failed",
        "assessingCancellation",
        "pendingCancellation",
        "partial",
    ];
    /// TMF641-ServiceOrdering-v4.1.0.swagger.json, `TaskStateType`.
    const TMF641_TASK_STATE: [&str; 4] = ["accepted", "terminatedWithError", "inProgress", "done"];
    /// TMF652-ResourceOrder-v4.0.0.swagger.json, `TaskStateType` (its order states are free
    /// strings, so TMF622's enum is the reference for them).
    const TMF652_TASK_STATE: [&str; 4] =
        ["acknowledged", "terminatedWithError", "inProgress", "done"];
    /// TMF640-ServiceActivation-v4.0.0.swagger.json, `ServiceStateType`.
    const TMF640_SERVICE_STATE: [&str; 6] = [
        "feasibilityChecked",
        "designed",
        "reserved",
        "inactive",
        "active",
        "terminated",
    ];

    const ORDER_MACHINES: [Machine; 6] = [
        Machine::ProductOrder,
        Machine::ProductOrderItem,
        Machine::ServiceOrder,
        Machine::ServiceOrderItem,
        Machine::ResourceOrder,
        Machine::ResourceOrderItem,
    ];

    fn abbreviated(code: &str) -> OrderState {
        match code {
            "ack" => OrderState::Acknowledged,
            "rej" => OrderState::Rejected,
            "pen" => OrderState::Pending,
            "hld" => OrderState::Held,
            "inp" => OrderState::InProgress,
            "can" => OrderState::Cancelled,
            "cmp" => OrderState::Completed,
            "fai" => OrderState::Failed,
            "par" => OrderState::Partial,
            "asc" => OrderState::AssessingCancellation,
            "pnc" => OrderState::PendingCancellation,
            other => panic!("unknown abbreviation `{other}`"),
        }
    }

    /// Splits a table into its header and rows of cells; `None` for `-`. Checks the header
    /// against `columns` and the row labels against `rows`.
    fn read_table<S, E, T>(
        table: &str,
        rows: &[S],
        row_label: impl Fn(&str) -> S,
        columns: &[E],
        cell: impl Fn(&str) -> T,
    ) -> Vec<(S, Vec<Option<T>>)>
    where
        S: Copy + PartialEq + std::fmt::Debug,
        E: std::fmt::Debug,
    {
        let mut lines = table.lines().map(str::trim).filter(|line| !line.is_empty());
        let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
        let expected: Vec<String> = columns.iter().map(|event| format!("{event:?}")).collect();
        assert_eq!(header, expected, "table header");
        let table: Vec<_> = lines
            .map(|line| {
                let mut cells = line.split_whitespace();
                let state = row_label(cells.next().unwrap());
                let next: Vec<Option<T>> = cells
                    .map(|text| (text != "-").then(|| cell(text)))
                    .collect();
                assert_eq!(next.len(), columns.len(), "row {state:?}");
                (state, next)
            })
            .collect();
        let labels: Vec<S> = table.iter().map(|(state, _)| *state).collect();
        assert_eq!(labels, rows, "table rows");
        table
    }

    fn check_order_table(machine: Machine, table: &str) {
        let rows = read_table(
            table,
            &OrderState::ALL,
            abbreviated,
            &OrderEvent::ALL,
            abbreviated,
        );
        for (from, next) in rows {
            for (event, expected) in OrderEvent::ALL.into_iter().zip(next) {
                let result = order_next(machine, from, event);
                match expected {
                    Some(to) => assert_eq!(result, Ok(to), "{machine:?} {from:?} {event:?}"),
                    None => {
                        let refused = result.expect_err(&format!("{machine:?} {from:?} {event:?}"));
                        assert_eq!(refused.machine, machine);
                        assert_eq!(refused.from, from.as_str());
                        assert_eq!(refused.event, format!("{event:?}"));
                    }
                }
            }
        }
    }

    #[test]
    fn order_machines_follow_the_order_table() {
        for machine in ORDER_MACHINES {
            let table = match machine {
                Machine::ProductOrderItem => PRODUCT_ORDER_ITEM_TABLE,
                _ => ORDER_TABLE,
            };
            check_order_table(machine, table);
        }
    }

    #[test]
    fn non_order_machines_refuse_every_order_event() {
        for machine in [Machine::ActivationService, Machine::CancelRequest] {
            for from in OrderState::ALL {
                for event in OrderEvent::ALL {
                    let refused = order_next(machine, from, event).unwrap_err();
                    assert_eq!(refused.machine, machine);
                    assert_eq!(refused.from, from.as_str());
                    assert_eq!(refused.event, format!("{event:?}"));
                }
            }
        }
    }

    #[test]
    fn terminal_states_are_exactly_those_with_no_way_out() {
        let terminal: Vec<OrderState> = OrderState::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(
            terminal,
            [
                OrderState::Rejected,
                OrderState::Cancelled,
                OrderState::Completed,
                OrderState::Failed,
                OrderState::Partial,
            ]
        );
        for machine in ORDER_MACHINES {
            for from in OrderState::ALL {
                let exits = OrderEvent::ALL
                    .into_iter()
                    .filter(|event| order_next(machine, from, *event).is_ok())
                    .count();
                assert_eq!(exits == 0, from.is_terminal(), "{machine:?} {from:?}");
            }
        }
    }

    #[test]
    fn service_next_follows_the_service_table() {
        let rows = read_table(
            SERVICE_TABLE,
            &ServiceState::ALL,
            |text| ServiceState::parse(text).unwrap(),
            &ServiceEvent::ALL,
            |text| ServiceState::parse(text).unwrap(),
        );
        for (from, next) in rows {
            for (event, expected) in ServiceEvent::ALL.into_iter().zip(next) {
                let result = service_next(from, event);
                match expected {
                    Some(to) => assert_eq!(result, Ok(to), "{from:?} {event:?}"),
                    None => {
                        let refused = result.expect_err(&format!("{from:?} {event:?}"));
                        assert_eq!(refused.machine, Machine::ActivationService);
                        assert_eq!(refused.from, from.as_str());
                        assert_eq!(refused.event, format!("{event:?}"));
                    }
                }
            }
        }
    }

    fn task_state(text: &str) -> TaskState {
        TaskState::ALL
            .into_iter()
            .find(|state| state.as_str_for(Machine::CancelRequest) == text)
            .unwrap_or_else(|| panic!("unknown task state `{text}`"))
    }

    #[test]
    fn task_next_follows_the_task_table() {
        let rows = read_table(
            TASK_TABLE,
            &TaskState::ALL,
            task_state,
            &TaskEvent::ALL,
            task_state,
        );
        for (from, next) in rows {
            for (event, expected) in TaskEvent::ALL.into_iter().zip(next) {
                let result = task_next(from, event);
                match expected {
                    Some(to) => assert_eq!(result, Ok(to), "{from:?} {event:?}"),
                    None => {
                        let refused = result.expect_err(&format!("{from:?} {event:?}"));
                        assert_eq!(refused.machine, Machine::CancelRequest);
                        assert_eq!(refused.from, from.as_str_for(Machine::CancelRequest));
                        assert_eq!(refused.event, format!("{event:?}"));
                    }
                }
            }
        }
    }

    #[test]
    fn derive_from_items_cases() {
        use OrderEvent as E;
        use OrderState as S;
        let cases: &[(&[OrderState], Option<OrderEvent>)] = &[
            (&[], None),
            (&[S::Completed, S::InProgress], None),
            (&[S::Acknowledged], None),
            (&[S::Held, S::Completed], None),
            (&[S::Failed, S::AssessingCancellation], None),
            (&[S::Cancelled, S::PendingCancellation], None),
            (&[S::Completed], Some(E::Complete)),
            (
                &[S::Completed, S::Completed, S::Completed],
                Some(E::Complete),
            ),
            (&[S::Failed], Some(E::Fail)),
            (&[S::Rejected], Some(E::Fail)),
            (&[S::Failed, S::Rejected], Some(E::Fail)),
            (&[S::Cancelled, S::Cancelled], Some(E::CancelCompleted)),
            (&[S::Completed, S::Failed], Some(E::CompletePartially)),
            (&[S::Completed, S::Rejected], Some(E::CompletePartially)),
            (&[S::Partial], Some(E::CompletePartially)),
            (&[S::Partial, S::Completed], Some(E::CompletePartially)),
            (&[S::Partial, S::Failed], Some(E::CompletePartially)),
            (&[S::Completed, S::Cancelled], Some(E::CompletePartially)),
            (&[S::Partial, S::Partial], Some(E::CompletePartially)),
            (&[S::Partial, S::Cancelled], Some(E::CompletePartially)),
            // "Any other mix" includes failed + cancelled with nothing completed.
            (&[S::Failed, S::Cancelled], Some(E::CompletePartially)),
            (&[S::Rejected, S::Cancelled], Some(E::CompletePartially)),
        ];
        for (items, expected) in cases {
            assert_eq!(
                derive_from_items(items.iter().copied()),
                *expected,
                "{items:?}"
            );
        }
    }

    #[test]
    fn order_state_spellings_round_trip() {
        for state in OrderState::ALL {
            assert_eq!(OrderState::parse(state.as_str()), Some(state));
            let json = serde_json::to_value(state).unwrap();
            assert_eq!(json, state.as_str(), "serde and as_str agree");
            assert_eq!(serde_json::from_value::<OrderState>(json).unwrap(), state);
        }
        assert_eq!(OrderState::parse("InProgress"), None);
        assert_eq!(OrderState::parse("in_progress"), None);
        assert_eq!(OrderState::parse(""), None);
    }

    #[test]
    fn service_state_spellings_round_trip() {
        for state in ServiceState::ALL {
            assert_eq!(ServiceState::parse(state.as_str()), Some(state));
            let json = serde_json::to_value(state).unwrap();
            assert_eq!(json, state.as_str(), "serde and as_str agree");
            assert_eq!(serde_json::from_value::<ServiceState>(json).unwrap(), state);
        }
        assert_eq!(ServiceState::parse("Active"), None);
        assert_eq!(ServiceState::parse(""), None);
    }

    #[test]
    fn task_state_spellings_per_api() {
        assert_eq!(
            TaskState::Acknowledged.as_str_for(Machine::ServiceOrder),
            "accepted"
        );
        for machine in [
            Machine::ProductOrder,
            Machine::ResourceOrder,
            Machine::CancelRequest,
        ] {
            assert_eq!(TaskState::Acknowledged.as_str_for(machine), "acknowledged");
        }
        for state in TaskState::ALL {
            // serde uses the TMF622/652 spelling.
            let json = serde_json::to_value(state).unwrap();
            assert_eq!(json, state.as_str_for(Machine::ProductOrder));
            assert_eq!(serde_json::from_value::<TaskState>(json).unwrap(), state);
        }
    }

    fn set<'a>(spellings: impl IntoIterator<Item = &'a str>) -> BTreeSet<&'a str> {
        spellings.into_iter().collect()
    }

    #[test]
    fn order_states_are_the_tmf_enums() {
        let ours = set(OrderState::ALL.map(OrderState::as_str));
        assert_eq!(ours, set(TMF622_PRODUCT_ORDER_STATE));
        assert_eq!(ours, set(TMF641_SERVICE_ORDER_STATE));
        assert_eq!(ours, set(TMF641_SERVICE_ORDER_ITEM_STATE));
    }

    #[test]
    fn product_order_items_only_reach_tmf622_item_states() {
        let allowed = set(TMF622_PRODUCT_ORDER_ITEM_STATE);
        for from in OrderState::ALL {
            for event in OrderEvent::ALL {
                if let Ok(to) = order_next(Machine::ProductOrderItem, from, event) {
                    assert!(
                        allowed.contains(to.as_str()),
                        "{from:?} {event:?} -> {to:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn service_and_task_states_are_the_tmf_enums() {
        assert_eq!(
            set(ServiceState::ALL.map(ServiceState::as_str)),
            set(TMF640_SERVICE_STATE)
        );
        let spelled = |machine: Machine| set(TaskState::ALL.map(|s| s.as_str_for(machine)));
        assert_eq!(spelled(Machine::ProductOrder), set(TMF622_TASK_STATE));
        assert_eq!(spelled(Machine::ServiceOrder), set(TMF641_TASK_STATE));
        assert_eq!(spelled(Machine::ResourceOrder), set(TMF652_TASK_STATE));
    }

    #[test]
    fn illegal_transition_reads_well() {
        let refused = order_next(
            Machine::ServiceOrder,
            OrderState::Completed,
            OrderEvent::Start,
        )
        .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "illegal ServiceOrder transition: completed on Start"
        );
    }
}
