//! A fault as the operator API lists it (`/admin/faults`) and as an in-process driver reads
//! it: definition, state, counts and its recent hits, each hit resolved to the product order it
//! was for. A pure function of the network's [`FaultStatus`] and the time.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::time::Time;
use crate::network::faults::{FaultHit, FaultKind, FaultState, TargetSpec};
use crate::network::{FaultStatus, OperationKind};

/// One fault as listed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultView<'a> {
    /// Its name.
    pub name: &'a str,
    /// Where it applies.
    pub target: &'a TargetSpec,
    /// The operation kinds it applies to.
    pub operations: &'a std::collections::BTreeSet<OperationKind>,
    /// What it does.
    pub kind: &'a FaultKind,
    /// Where it is in its life.
    pub state: FaultState,
    /// When it starts, ms of core time.
    pub start_ms: u64,
    /// When it ends, ms of core time (`None`: when it is removed).
    pub end_ms: Option<u64>,
    /// How long it lasts, ms.
    pub duration_ms: Option<u64>,
    /// How long until it is gone, ms.
    pub remaining_ms: Option<u64>,
    /// Calls it applied to while active.
    pub calls_matched: u64,
    /// Calls whose outcome or latency it changed.
    pub calls_affected: u64,
    /// Pool entries it holds.
    pub reserved_entries: u32,
    /// Its most recent hits, oldest first.
    pub recent_hits: Vec<FaultHitView<'a>>,
}

/// One call a fault changed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultHitView<'a> {
    /// When, ms of core time.
    pub at_ms: u64,
    /// The operation kind.
    pub operation: OperationKind,
    /// The request's id.
    pub operation_id: String,
    /// The allocation or TMF640 service it was about.
    pub subject: &'a str,
    /// The product order behind the subject, when found.
    pub product_order: Option<&'a str>,
}

/// `status` as listed at `now`; `orders` maps hit subjects to product orders (see
/// [`super::hit_orders`]).
pub fn fault_view<'a>(
    status: &'a FaultStatus,
    now: Time,
    orders: &'a BTreeMap<String, String>,
) -> FaultView<'a> {
    let fault = &status.fault;
    let millis = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    FaultView {
        name: &fault.name,
        target: &fault.target,
        operations: &fault.operations,
        kind: &fault.kind,
        state: status.state,
        start_ms: fault.starts_at.as_micros() / 1_000,
        end_ms: fault.ends_at().map(|end| end.as_micros() / 1_000),
        duration_ms: fault.duration.map(millis),
        remaining_ms: fault.gone_at().map(|gone| millis(gone.since(now))),
        calls_matched: status.calls_matched,
        calls_affected: status.calls_affected,
        reserved_entries: status.reserved_entries,
        recent_hits: status
            .recent_hits
            .iter()
            .map(|hit| hit_view(hit, orders.get(&hit.subject)))
            .collect(),
    }
}

fn hit_view<'a>(hit: &'a FaultHit, product_order: Option<&'a String>) -> FaultHitView<'a> {
    FaultHitView {
        at_ms: hit.at.as_micros() / 1_000,
        operation: hit.operation,
        operation_id: hit.operation_id.to_string(),
        subject: &hit.subject,
        product_order: product_order.map(String::as_str),
    }
}
