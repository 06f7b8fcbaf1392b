//! Pieces every order layer shares: item actions, characteristics, the recorded state history
//! the audit replays, the bounded log of refused transitions, and the bound on retained
//! terminal orders.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::domain::state::{
    IllegalTransition, Machine, OrderEvent, OrderState, TaskEvent, TaskState, order_next, task_next,
};
use crate::domain::time::Time;
use crate::layers::history::StateHistory;
use crate::layers::{Rejection, RejectionKind};

/// TMF `OrderItemActionType`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// Create the product or service.
    Add,
    /// Change an existing one.
    Modify,
    /// Cease an existing one.
    Delete,
    /// Carried for context; no work.
    NoChange,
}

impl Action {
    /// The TMF spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Modify => "modify",
            Action::Delete => "delete",
            Action::NoChange => "noChange",
        }
    }

    /// Parses the TMF spelling.
    pub fn parse(text: &str) -> Option<Action> {
        [
            Action::Add,
            Action::Modify,
            Action::Delete,
            Action::NoChange,
        ]
        .into_iter()
        .find(|action| action.as_str() == text)
    }
}

/// A named characteristic value (`productCharacteristic`, `serviceCharacteristic`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Characteristic {
    /// Its name, e.g. `downstreamSpeedMbps`, `region`.
    pub name: Arc<str>,
    /// Its value, as the client sent it.
    pub value: serde_json::Value,
}

/// Retries a layer sent, by the kind of step: what its retry policy costs in element calls.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RetryCounts {
    /// Forward steps tried again (allocate; configure, activate).
    pub forward: u64,
    /// Compensation steps tried again (release; deactivate).
    pub compensation: u64,
    /// Forward steps that failed their last try.
    pub forward_exhausted: u64,
}
/// The characteristics of an order item, shared: they pass unchanged from the product order
/// item through the service and resource orders to the TMF640 services and the inventories,
/// so every hop and record holds one reference-counted list instead of a copy.
pub type Characteristics = Arc<[Characteristic]>;

/// How long a compensation (release, deactivation) that was refused because its element is
/// down, or got no answer, waits before attempt `attempt` (1-based): nothing for the first,
/// then the element timeout doubled each time (capped at 64 times it), so that retries outlast
/// a short outage, reboot or silence instead of failing in a burst. Other failures are
/// retried at once.
pub fn retry_backoff(element_timeout: std::time::Duration, attempt: u32) -> std::time::Duration {
    match attempt {
        0 | 1 => std::time::Duration::ZERO,
        n => element_timeout.saturating_mul(1 << (n - 2).min(6)),
    }
}

/// Looks up a characteristic's value as a string (numbers are rendered).
pub fn characteristic_text<'c>(
    characteristics: &'c [Characteristic],
    name: &str,
) -> Option<std::borrow::Cow<'c, str>> {
    let found = characteristics.iter().find(|c| &*c.name == name)?;
    match &found.value {
        serde_json::Value::String(text) => Some(std::borrow::Cow::Borrowed(text)),
        serde_json::Value::Number(number) => Some(number.to_string().into()),
        serde_json::Value::Bool(flag) => Some(flag.to_string().into()),
        _ => None,
    }
}

/// The `(name, value)` pairs of `characteristics`, as the catalog's check reads them.
pub fn characteristic_values(
    characteristics: &[Characteristic],
) -> impl Iterator<Item = (&str, &serde_json::Value)> {
    characteristics.iter().map(|c| (&*c.name, &c.value))
}

/// A cancel request of any order API (TMF622 `CancelProductOrder`, TMF641
/// `CancelServiceOrder`, TMF652 `CancelResourceOrder`): its own small lifecycle.
#[derive(Clone, Debug, PartialEq)]
pub struct CancelRequest<Id, OrderId> {
    /// Its id.
    pub id: Id,
    /// The order to cancel.
    pub order: OrderId,
    /// Its state.
    pub state: crate::domain::state::TaskState,
    /// Why.
    pub reason: Option<String>,
    /// When it was requested.
    pub requested: Time,
    /// When it took effect (the order reached `cancelled`) or was refused.
    pub effective: Option<Time>,
}

impl<Id, OrderId> CancelRequest<Id, OrderId> {
    /// Applies `event` through the cancel request table; a refusal is recorded in `illegal`
    /// and changes nothing. `effective` is set when the request ends.
    pub fn advance(&mut self, event: TaskEvent, now: Time, illegal: &mut IllegalLog) -> bool {
        match task_next(self.state, event) {
            Ok(next) => {
                self.state = next;
                if matches!(next, TaskState::Done | TaskState::TerminatedWithError) {
                    self.effective = Some(now);
                }
                true
            }
            Err(refused) => {
                illegal.record(refused);
                false
            }
        }
    }
}

/// The attributes of an order a PATCH may change (each raises an AttributeValueChangeEvent).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OrderPatch {
    /// New `externalId`.
    pub external_id: Option<String>,
    /// New header attributes (`description`, `priority`, `note`, …), merged into the order's;
    /// which ones an API accepts is checked when the request is parsed.
    pub header: Option<Box<crate::layers::attributes::OrderHeader>>,
    /// `"state": "inProgress"`: resume a held or pending product order now.
    pub resume: bool,
}

/// The states an order or item passed through, with when; the audit replays it. Room for
/// acknowledged, inProgress and a terminal state inline, so a straight path allocates nothing.
pub type History = StateHistory<OrderState, 3>;

/// Applies `event` to the entity whose `state` and `history` these are, through the table of
/// `machine`. A refusal is returned (and recorded in `illegal`) and nothing changes.
pub fn transition(
    machine: Machine,
    state: &mut OrderState,
    history: &mut History,
    event: OrderEvent,
    now: Time,
    illegal: &mut IllegalLog,
) -> Result<OrderState, IllegalTransition> {
    match order_next(machine, *state, event) {
        Ok(next) => {
            *state = next;
            history.push(now, next);
            Ok(next)
        }
        Err(refused) => {
            illegal.record(refused);
            Err(refused)
        }
    }
}

/// Refused transitions: a count and the first few, for the audit. Bounded.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IllegalLog {
    /// How many were refused.
    pub count: u64,
    /// The first [`IllegalLog::EXAMPLES_MAX`] of them.
    pub examples: Vec<IllegalTransition>,
}

impl IllegalLog {
    /// How many examples are kept.
    pub const EXAMPLES_MAX: usize = 10;

    /// Counts one refusal.
    pub fn record(&mut self, refused: IllegalTransition) {
        self.count += 1;
        if self.examples.len() < Self::EXAMPLES_MAX {
            self.examples.push(refused);
        }
    }
}

/// A layer's worker slots. In sync mode an order holds one for its whole downstream call
/// (from start until it is terminal); orders that find every slot busy wait, first come first
/// served, in a queue bounded by the layer's open-order limit.
#[derive(Clone, Debug)]
pub struct WorkerPool<K> {
    capacity: usize,
    busy: std::collections::BTreeSet<K>,
    waiting: VecDeque<K>,
    /// How many acquisitions had to wait.
    pub waited: u64,
}

impl<K: Ord + Copy> WorkerPool<K> {
    /// A pool of `capacity` slots (at least 1).
    pub fn new(capacity: usize) -> WorkerPool<K> {
        WorkerPool {
            capacity: capacity.max(1),
            busy: Default::default(),
            waiting: VecDeque::new(),
            waited: 0,
        }
    }

    /// Takes a slot for `key`; false when all are busy, and `key` then waits its turn.
    pub fn acquire(&mut self, key: K) -> bool {
        if self.busy.contains(&key) {
            return true;
        }
        if self.busy.len() < self.capacity {
            self.busy.insert(key);
            return true;
        }
        if !self.waiting.contains(&key) {
            self.waiting.push_back(key);
            self.waited += 1;
        }
        false
    }

    /// Frees `key`'s slot (or its place in the queue); returns the waiting key that now
    /// holds the slot, if any.
    pub fn release(&mut self, key: K) -> Option<K> {
        self.waiting.retain(|waiting| *waiting != key);
        if !self.busy.remove(&key) {
            return None;
        }
        let next = self.waiting.pop_front()?;
        self.busy.insert(next);
        Some(next)
    }

    /// Slots in use.
    pub fn busy(&self) -> usize {
        self.busy.len()
    }

    /// Keys waiting for a slot.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// The number of slots.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

/// Keeps at most `max` terminal entities: when one more ends, the oldest terminal one is
/// evicted (the caller removes it from its store and counts it).
#[derive(Clone, Debug)]
pub struct Retention<K> {
    order: VecDeque<K>,
    max: usize,
    /// How many were evicted so far.
    pub evicted: u64,
}

impl<K: Copy> Retention<K> {
    /// A retention bound of `max` terminal entities (at least 1).
    pub fn new(max: usize) -> Retention<K> {
        Retention {
            order: VecDeque::new(),
            max: max.max(1),
            evicted: 0,
        }
    }

    /// Records that `key` became terminal; returns the key to evict, if the bound is passed.
    pub fn terminal(&mut self, key: K) -> Option<K> {
        self.order.push_back(key);
        if self.order.len() > self.max {
            self.evicted += 1;
            self.order.pop_front()
        } else {
            None
        }
    }

    /// How many terminal entities are retained.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether none are retained.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// What PATCH and DELETE need of an order, whatever its API.
pub trait ManagedOrder: Clone {
    /// Its state.
    fn state(&self) -> OrderState;
    /// Sets `externalId` (when given) and merges `header` into the order's header.
    fn apply(
        &mut self,
        external_id: Option<String>,
        header: Option<Box<crate::layers::attributes::OrderHeader>>,
    );
}

/// Orders are stored boxed (see the layers' `orders` maps), so PATCH and DELETE act on boxes.
impl<O: ManagedOrder> ManagedOrder for Box<O> {
    fn state(&self) -> OrderState {
        O::state(self)
    }

    fn apply(
        &mut self,
        external_id: Option<String>,
        header: Option<Box<crate::layers::attributes::OrderHeader>>,
    ) {
        O::apply(self, external_id, header)
    }
}

/// PATCH: applies `patch` to order `id` (`kind` names the order in messages); answers the
/// order as patched and whether anything changed.
pub fn patch_order<K, O>(
    orders: &mut std::collections::BTreeMap<K, O>,
    id: K,
    kind: &str,
    patch: OrderPatch,
) -> Result<(O, bool), Rejection>
where
    K: Ord + std::fmt::Display,
    O: ManagedOrder,
{
    let Some(order) = orders.get_mut(&id) else {
        return Err(Rejection::new(
            RejectionKind::NotFound,
            format!("{kind} {id} not found"),
        ));
    };
    let changed = patch.external_id.is_some() || patch.header.is_some();
    order.apply(patch.external_id, patch.header);
    Ok((order.clone(), changed))
}

/// DELETE: removes order `id` if it is terminal.
pub fn delete_order<K, O>(
    orders: &mut std::collections::BTreeMap<K, O>,
    id: K,
    kind: &str,
) -> Result<(), Rejection>
where
    K: Ord + std::fmt::Display,
    O: ManagedOrder,
{
    match orders.get(&id).map(ManagedOrder::state) {
        None => Err(Rejection::new(
            RejectionKind::NotFound,
            format!("{kind} {id} not found"),
        )),
        Some(state) if !state.is_terminal() => Err(Rejection::new(
            RejectionKind::Conflict,
            format!(
                "{kind} {id} is {}; only terminal orders can be deleted",
                state.as_str()
            ),
        )),
        Some(_) => {
            orders.remove(&id);
            Ok(())
        }
    }
}

/// PATCH and its answer: the patched order (wrapped by `wrap`) and, when something changed, an
/// AttributeValueChangeEvent about `subject`; a refusal otherwise. Only COM's orders can be
/// resumed, so a `resume` reaching here is refused.
#[allow(clippy::too_many_arguments)]
pub fn patch_and_answer<K, O>(
    orders: &mut std::collections::BTreeMap<K, O>,
    id: K,
    kind: &str,
    patch: OrderPatch,
    reply: crate::layers::ReplyToken,
    subject: crate::layers::Subject,
    wrap: impl FnOnce(O) -> crate::layers::Reply,
    now: Time,
    effects: &mut crate::layers::Effects,
) where
    K: Ord + std::fmt::Display,
    O: ManagedOrder,
{
    use crate::layers::{EventKind, Reply};
    if patch.resume {
        let message = format!(
            "only product orders are held or pending; the {kind}'s `state` cannot be patched"
        );
        effects.reply(
            reply,
            Reply::Rejected(Rejection::new(RejectionKind::Conflict, message)),
        );
        return;
    }
    match patch_order(orders, id, kind, patch) {
        Ok((order, changed)) => {
            effects.reply(reply, wrap(order));
            if changed {
                effects.publish(EventKind::AttributeValueChange, subject, now);
            }
        }
        Err(rejection) => effects.reply(reply, Reply::Rejected(rejection)),
    }
}

/// DELETE and its answer: 204-style `Deleted` and a DeleteEvent about `subject`, or a refusal.
pub fn delete_and_answer<K, O>(
    orders: &mut std::collections::BTreeMap<K, O>,
    id: K,
    kind: &str,
    reply: crate::layers::ReplyToken,
    subject: crate::layers::Subject,
    now: Time,
    effects: &mut crate::layers::Effects,
) where
    K: Ord + std::fmt::Display,
    O: ManagedOrder,
{
    use crate::layers::{EventKind, Reply};
    match delete_order(orders, id, kind) {
        Ok(()) => {
            effects.publish(EventKind::Delete, subject, now);
            effects.reply(reply, Reply::Deleted);
        }
        Err(rejection) => effects.reply(reply, Reply::Rejected(rejection)),
    }
}

/// Starts an acknowledged order: with `workers` (sync mode) it first takes a slot, and an order
/// that finds none waits its turn (false); then acknowledged → inProgress. False when the order
/// is not acknowledged or must wait.
pub fn start_order<K: Ord + Copy>(
    machine: Machine,
    id: K,
    state: &mut OrderState,
    history: &mut History,
    workers: Option<&mut WorkerPool<K>>,
    now: Time,
    illegal: &mut IllegalLog,
) -> bool {
    if *state != OrderState::Acknowledged {
        return false;
    }
    if let Some(workers) = workers
        && !workers.acquire(id)
    {
        return false; // Started again when a worker slot frees.
    }
    transition(machine, state, history, OrderEvent::Start, now, illegal).is_ok()
}
