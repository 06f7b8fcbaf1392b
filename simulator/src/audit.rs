//! The correctness oracle: checks a drained run against DESIGN.md's audit list.
//!
//! [`audit`] is pure: it reads the layers' stores and the network's allocations and returns a
//! report with one [`Finding`] per check (a count and up to ten examples) and a single `ok`.
//! [`run`] takes the layers' locks (in a fixed order; no task holds two) and calls it.
//!
//! Checks: `double_allocation` (a resource held twice), `leaked_resource` (held on the network
//! by a failed or cancelled order or by nothing), `ghost_resource` (the inventory says in use,
//! the network says free), `illegal_transition` (refused by a layer or an impossible step in a
//! recorded history), `parent_child_disagreement`, `liveness` (non-terminal longer than the
//! bound), `compensation_failure` (a release or deactivation that never succeeded),
//! `cancel_applied_once` (one cancel request per order, each ended and agreeing with its
//! order, and every allocation of a cancelled resource order released exactly once),
//! `item_state_disagreement` (a terminal order whose state is not the one its items imply, at
//! every layer) and `product_service_disagreement` (an active product whose CFS is not active,
//! or a terminated one whose CFS still is); those two live in [`agreement`].

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::domain::ids::{AllocationId, ServiceId};
use crate::domain::state::{Machine, OrderEvent, OrderState, ServiceState, TaskState, order_next};
use crate::domain::time::Time;
use crate::layers::activation::{ActivationLayer, ActivationService};
use crate::layers::com::ComLayer;
use crate::layers::common::{Action, History};
use crate::layers::inventory::{InventoryLayer, ResourceStatus};
use crate::layers::rom::RomLayer;
use crate::layers::som::SomLayer;
use crate::network::{NetworkLayer, ResourceValue};

pub mod agreement;

/// How many examples a finding keeps.
pub const EXAMPLES_MAX: usize = 10;

/// The audit's verdict.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AuditReport {
    /// True when every check found nothing.
    pub ok: bool,
    /// Orders retained per layer, by state.
    pub orders: BTreeMap<&'static str, BTreeMap<&'static str, u64>>,
    /// One entry per check run, in a fixed order.
    pub findings: Vec<Finding>,
    /// Checks that could not run here (they compare layers this process does not hold); their
    /// absence from `findings` is no pass.
    pub not_checked: Vec<&'static str>,
    /// Element operations still awaiting a reply when the audit ran: when not 0 the chain had
    /// not settled and resource findings may be transient.
    pub operations_in_flight: usize,
}

/// The check that finds resources held for no live order: the one a load test's `leaks`
/// figure is.
pub const LEAKED_RESOURCE: &str = "leaked_resource";

/// An [`AuditReport`] as a client reads it back (from `/admin/audit`, or from an in-process
/// chain's [`AuditReport`]): owned, so a driver parses it with the same type the simulator
/// writes and a change in its shape breaks a build, not a verdict.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct AuditRead {
    /// True when every check found nothing.
    pub ok: bool,
    /// Orders retained per layer, by state.
    #[serde(default)]
    pub orders: BTreeMap<String, BTreeMap<String, u64>>,
    /// One entry per check run.
    #[serde(default)]
    pub findings: Vec<FindingRead>,
    /// Checks that could not run there.
    #[serde(default)]
    pub not_checked: Vec<String>,
    /// Element operations still awaiting a reply when the audit ran.
    #[serde(default)]
    pub operations_in_flight: usize,
}

/// A [`Finding`] as read back.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct FindingRead {
    /// The check's name.
    pub check: String,
    /// How many violations.
    pub count: u64,
    /// The first few, as sentences.
    #[serde(default)]
    pub examples: Vec<String>,
}

impl FindingRead {
    /// Whether this is the [`LEAKED_RESOURCE`] check.
    pub fn is_leak(&self) -> bool {
        self.check == LEAKED_RESOURCE
    }
}

impl From<&AuditReport> for AuditRead {
    fn from(report: &AuditReport) -> AuditRead {
        let owned = |map: &BTreeMap<&'static str, u64>| {
            map.iter().map(|(k, v)| ((*k).to_string(), *v)).collect()
        };
        AuditRead {
            ok: report.ok,
            orders: report
                .orders
                .iter()
                .map(|(layer, states)| ((*layer).to_string(), owned(states)))
                .collect(),
            findings: report
                .findings
                .iter()
                .map(|f| FindingRead {
                    check: f.check.to_string(),
                    count: f.count,
                    examples: f.examples.clone(),
                })
                .collect(),
            not_checked: report.not_checked.iter().map(|c| c.to_string()).collect(),
            operations_in_flight: report.operations_in_flight,
        }
    }
}

/// The result of one check.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// The check's name.
    pub check: &'static str,
    /// How many violations.
    pub count: u64,
    /// The first few, as sentences.
    pub examples: Vec<String>,
}

impl Finding {
    fn new(check: &'static str) -> Finding {
        Finding {
            check,
            count: 0,
            examples: Vec::new(),
        }
    }

    fn add(&mut self, example: impl FnOnce() -> String) {
        self.count += 1;
        if self.examples.len() < EXAMPLES_MAX {
            self.examples.push(example());
        }
    }
}

/// Everything the audit reads.
pub struct AuditInput<'a> {
    /// COM.
    pub com: &'a ComLayer,
    /// SOM.
    pub som: &'a SomLayer,
    /// ROM.
    pub rom: &'a RomLayer,
    /// Activation.
    pub activation: &'a ActivationLayer,
    /// The network.
    pub network: &'a NetworkLayer,
    /// The inventories.
    pub inventory: &'a InventoryLayer,
    /// The current time.
    pub now: Time,
    /// How long an order may stay non-terminal (held/pending excepted).
    pub liveness_bound: Duration,
    /// Whether these stores hold the whole chain. A `--role` process holds one layer (and an
    /// inventory of its own), so the checks that compare layers cannot run there: they are
    /// reported as not checked instead of judging against empty stores (which read as leaks
    /// and ghosts that are not there).
    pub whole_chain: bool,
}

/// Checks that compare layers, so need the whole chain in one process.
const CROSS_LAYER_CHECKS: [&str; 6] = [
    LEAKED_RESOURCE,
    "ghost_resource",
    "parent_child_disagreement",
    "cancel_applied_once",
    "service_not_on_element",
    "product_service_disagreement",
];

/// Runs every check.
pub fn audit(input: &AuditInput<'_>) -> AuditReport {
    let mut findings = vec![
        check_allocations(input),
        check_histories(input),
        check_parents(input),
        check_liveness(input),
        check_compensation(input),
        check_cancels(input),
        check_services_on_elements(input),
        agreement::check_item_states(input),
        agreement::check_products(input),
    ];
    let (leaks, ghosts, doubles) = check_resources(input);
    findings.splice(0..0, [doubles, leaks, ghosts]);
    let mut not_checked = Vec::new();
    if !input.whole_chain {
        findings.retain(|finding| {
            let cross = CROSS_LAYER_CHECKS.contains(&finding.check);
            if cross {
                not_checked.push(finding.check);
            }
            !cross
        });
    }
    let ok = findings.iter().all(|finding| finding.count == 0);
    AuditReport {
        ok,
        orders: order_counts(input),
        findings,
        not_checked,
        operations_in_flight: input.rom.operations.len() + input.activation.operations.len(),
    }
}

fn order_counts(input: &AuditInput<'_>) -> BTreeMap<&'static str, BTreeMap<&'static str, u64>> {
    let mut counts: BTreeMap<&'static str, BTreeMap<&'static str, u64>> = BTreeMap::new();
    let mut count = |layer: &'static str, state: OrderState| {
        *counts
            .entry(layer)
            .or_default()
            .entry(state.as_str())
            .or_default() += 1;
    };
    input
        .com
        .orders
        .values()
        .for_each(|order| count("productOrder", order.state));
    input
        .som
        .orders
        .values()
        .for_each(|order| count("serviceOrder", order.state));
    input
        .rom
        .orders
        .values()
        .for_each(|order| count("resourceOrder", order.state));
    counts
}

/// The network's own invariants: no value held twice, pool counts conserved.
fn check_allocations(input: &AuditInput<'_>) -> Finding {
    let mut finding = Finding::new("pool_invariant");
    for violation in input.network.check_invariants() {
        finding.add(|| violation);
    }
    finding
}

/// Network allocations against the inventory and the orders that made them.
fn check_resources(input: &AuditInput<'_>) -> (Finding, Finding, Finding) {
    let mut leaks = Finding::new(LEAKED_RESOURCE);
    let mut ghosts = Finding::new("ghost_resource");
    let mut doubles = Finding::new("double_allocation");
    let held: BTreeMap<AllocationId, ResourceValue> = input
        .network
        .allocations()
        .map(|(allocation, value)| (*allocation, *value))
        .collect();
    let mut owners: BTreeMap<ResourceValue, AllocationId> = BTreeMap::new();
    for (allocation, value) in &held {
        if let Some(other) = owners.insert(*value, *allocation) {
            doubles.add(|| format!("{value:?} held by both {other} and {allocation}"));
        }
    }
    let mut live = BTreeMap::new();
    for record in input.inventory.resources.values() {
        if record.status != ResourceStatus::Standby {
            live.insert(record.allocation, record);
        }
    }
    let failed_orders: BTreeMap<AllocationId, OrderState> = input
        .rom
        .orders
        .values()
        .filter(|order| matches!(order.state, OrderState::Failed | OrderState::Cancelled))
        // A failed modify or delete names resources that stay in service; only what an add
        // order allocated must be given back when it fails or is cancelled.
        .filter(|order| {
            order
                .items
                .first()
                .is_some_and(|item| item.action == Action::Add)
        })
        .flat_map(|order| {
            order
                .items
                .iter()
                .map(move |item| (item.allocation, order.state))
        })
        .collect();
    for (allocation, value) in &held {
        if let Some(state) = failed_orders.get(allocation) {
            leaks.add(|| {
                format!(
                    "{allocation} ({value:?}) still held by a {} resource order",
                    state.as_str()
                )
            });
        } else if !live.contains_key(allocation) {
            leaks.add(|| {
                format!(
                    "{allocation} ({value:?}) held on the network but by no live inventory resource"
                )
            });
        }
    }
    for (allocation, record) in &live {
        if !held.contains_key(allocation) {
            ghosts.add(|| {
                format!(
                    "{} ({allocation}) is {:?} in the inventory but free on the network",
                    record.id, record.status
                )
            });
        }
    }
    (leaks, ghosts, doubles)
}

/// Every recorded step is one the table allows, and no layer refused a transition.
fn check_histories(input: &AuditInput<'_>) -> Finding {
    let mut finding = Finding::new("illegal_transition");
    let logs = [
        ("com", &input.com.illegal),
        ("som", &input.som.illegal),
        ("rom", &input.rom.illegal),
        ("activation", &input.activation.illegal),
    ];
    for (layer, log) in logs {
        for index in 0..log.count {
            let example = usize::try_from(index)
                .ok()
                .and_then(|index| log.examples.get(index));
            finding.add(|| match example {
                Some(refused) => format!("{layer} refused: {refused}"),
                None => format!("{layer} refused a transition"),
            });
        }
    }
    // The entity's name is written only for a finding, not for every history replayed.
    let mut replay = |machine: Machine, name: &dyn Fn() -> String, history: &History| {
        for ((_, from), (_, to)) in history.iter().zip(history.iter().skip(1)) {
            let legal = OrderEvent::ALL
                .iter()
                .any(|event| order_next(machine, from, *event) == Ok(to));
            if !legal {
                finding.add(|| {
                    format!(
                        "{}: {} → {} is not a legal step",
                        name(),
                        from.as_str(),
                        to.as_str()
                    )
                });
            }
        }
    };
    for order in input.com.orders.values() {
        replay(
            Machine::ProductOrder,
            &|| order.id.to_string(),
            &order.history,
        );
        for item in &order.items {
            replay(
                Machine::ProductOrderItem,
                &|| format!("{} item {}", order.id, item.id),
                &item.history,
            );
        }
    }
    for order in input.som.orders.values() {
        replay(
            Machine::ServiceOrder,
            &|| order.id.to_string(),
            &order.history,
        );
    }
    for order in input.rom.orders.values() {
        replay(
            Machine::ResourceOrder,
            &|| order.id.to_string(),
            &order.history,
        );
    }
    finding
}

/// A completed parent has completed children; a terminal child has a terminal parent.
fn check_parents(input: &AuditInput<'_>) -> Finding {
    let mut finding = Finding::new("parent_child_disagreement");
    for order in input.com.orders.values() {
        let child = order.service_order.and_then(|id| input.som.orders.get(&id));
        if let Some(child) = child
            && order.state == OrderState::Completed
            && child.state != OrderState::Completed
        {
            finding.add(|| {
                format!(
                    "{} is completed but {} is {}",
                    order.id,
                    child.id,
                    child.state.as_str()
                )
            });
        }
    }
    for order in input.som.orders.values() {
        let parent = order.parent.and_then(|id| input.com.orders.get(&id));
        if let Some(parent) = parent
            && order.state.is_terminal()
            && !parent.state.is_terminal()
        {
            finding.add(|| {
                format!(
                    "{} is {} but its parent {} is {}",
                    order.id,
                    order.state.as_str(),
                    parent.id,
                    parent.state.as_str()
                )
            });
        }
        for item in &order.items {
            let child = item.resource_order.and_then(|id| input.rom.orders.get(&id));
            if let Some(child) = child
                && item.state == OrderState::Completed
                && child.state != OrderState::Completed
            {
                finding.add(|| {
                    format!(
                        "{} item {} is completed but {} is {}",
                        order.id,
                        item.id,
                        child.id,
                        child.state.as_str()
                    )
                });
            }
        }
    }
    finding
}

/// Nothing stays non-terminal longer than the bound (held and pending orders excepted).
fn check_liveness(input: &AuditInput<'_>) -> Finding {
    let mut finding = Finding::new("liveness");
    let stuck = |state: OrderState, since: Time| {
        !state.is_terminal()
            && !matches!(state, OrderState::Held | OrderState::Pending)
            && input.now.since(since) > input.liveness_bound
    };
    for order in input
        .com
        .orders
        .values()
        .filter(|order| stuck(order.state, order.order_date))
    {
        finding.add(|| {
            format!(
                "{} still {} after {:?}",
                order.id,
                order.state.as_str(),
                input.now.since(order.order_date)
            )
        });
    }
    for order in input
        .som
        .orders
        .values()
        .filter(|order| stuck(order.state, order.order_date))
    {
        finding.add(|| format!("{} still {}", order.id, order.state.as_str()));
    }
    for order in input
        .rom
        .orders
        .values()
        .filter(|order| stuck(order.state, order.order_date))
    {
        finding.add(|| format!("{} still {}", order.id, order.state.as_str()));
    }
    finding
}

/// Releases and deactivations that never succeeded.
fn check_compensation(input: &AuditInput<'_>) -> Finding {
    let mut finding = Finding::new("compensation_failure");
    for _ in 0..input.rom.compensation_failures {
        finding.add(|| "a release failed every attempt".to_string());
    }
    for _ in 0..input.activation.compensation_failures {
        finding.add(|| "a deactivation failed every attempt".to_string());
    }
    finding
}

/// Elements agree with the service inventory: an RFS the TMF638 inventory holds `active` has
/// an activation that is active too (the latest one, when a modify made several). A failed
/// speed change that left the element without the service shows up here.
fn check_services_on_elements(input: &AuditInput<'_>) -> Finding {
    let mut finding = Finding::new("service_not_on_element");
    let mut latest: BTreeMap<ServiceId, &ActivationService> = BTreeMap::new();
    for service in input.activation.services.values() {
        if let Some(rfs) = service.service {
            latest.insert(rfs, service);
        }
    }
    for record in input.inventory.services.values() {
        if record.state != ServiceState::Active {
            continue;
        }
        let Some(activation) = latest.get(&record.id) else {
            continue;
        };
        if activation.state == ServiceState::Terminated {
            finding.add(|| {
                format!(
                    "{} is active in the service inventory but its activation {} is terminated",
                    record.id, activation.id
                )
            });
        }
    }
    finding
}

/// Each cancel applied its side effects once and a duplicate changed nothing: at most one
/// cancel request per order at each layer; every request terminal, `done` exactly when its
/// order is `cancelled`; every allocation of a cancelled `add` resource order released once
/// (never twice anywhere).
fn check_cancels(input: &AuditInput<'_>) -> Finding {
    let mut finding = Finding::new("cancel_applied_once");
    let com = input.com.cancels.values().map(|request| {
        let order = input
            .com
            .orders
            .get(&request.order)
            .map(|order| order.state);
        (request.order.to_string(), request.state, order)
    });
    let som = input.som.cancels.values().map(|request| {
        let order = input
            .som
            .orders
            .get(&request.order)
            .map(|order| order.state);
        (request.order.to_string(), request.state, order)
    });
    let rom = input.rom.cancels.values().map(|request| {
        let order = input
            .rom
            .orders
            .get(&request.order)
            .map(|order| order.state);
        (request.order.to_string(), request.state, order)
    });
    for requests in [com.collect::<Vec<_>>(), som.collect(), rom.collect()] {
        check_requests(&requests, &mut finding);
    }
    for order in input.com.orders.values() {
        let request = order.cancellation.and_then(|id| input.com.cancels.get(&id));
        if order.state == OrderState::Cancelled
            && request.is_none_or(|r| r.state != TaskState::Done)
        {
            finding.add(|| {
                format!(
                    "{} is cancelled but its cancel request is not done",
                    order.id
                )
            });
        }
    }
    check_releases(input, &mut finding);
    finding
}

/// (order, request state, order state if retained) of one layer's cancel requests.
fn check_requests(requests: &[(String, TaskState, Option<OrderState>)], finding: &mut Finding) {
    let mut per_order: BTreeMap<&str, u32> = BTreeMap::new();
    for (order, state, order_state) in requests {
        let count = per_order.entry(order).or_default();
        *count += 1;
        if *count == 2 {
            finding.add(|| format!("{order} has more than one cancel request"));
        }
        let cancelled = *order_state == Some(OrderState::Cancelled);
        let agrees = match state {
            TaskState::Done => cancelled || order_state.is_none(),
            TaskState::TerminatedWithError => !cancelled,
            _ => false,
        };
        if !agrees {
            finding.add(|| {
                format!(
                    "the cancel request of {order} is {state:?} while the order is {}",
                    order_state.map_or("gone", OrderState::as_str)
                )
            });
        }
    }
}

/// Every allocation of a cancelled `add` resource order released exactly once; none twice.
fn check_releases(input: &AuditInput<'_>, finding: &mut Finding) {
    for (allocation, count) in &input.rom.releases {
        if *count > 1 {
            finding.add(|| format!("{allocation} was released {count} times"));
        }
    }
    let cancelled = input.rom.orders.values().filter(|order| {
        order.state == OrderState::Cancelled
            && order
                .items
                .first()
                .is_some_and(|item| item.action == Action::Add)
    });
    for order in cancelled {
        for item in order.items.iter().filter(|item| item.value.is_some()) {
            let count = input
                .rom
                .releases
                .get(&item.allocation)
                .copied()
                .unwrap_or(0);
            if count != 1 {
                finding.add(|| {
                    format!(
                        "{} of cancelled {} was released {count} times",
                        item.allocation, order.id
                    )
                });
            }
        }
    }
}
