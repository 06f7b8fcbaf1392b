//! `loadgen run --virtual-time`: the same scenario, workload and report, driven through the
//! simulator's virtual-time runtime instead of HTTP. There is no wall clock anywhere: loadgen's
//! sends, cancels and think times are actions on the same simulated timeline as the chain's
//! messages, so a run is exactly reproducible from its seed and an hour of load takes as long
//! as the layers take to compute it.
//!
//! Requests go through the same JSON parsing as the HTTP API (so deliberately bad requests
//! get the same 4xx), replies and events are read from the chain directly. Every event the
//! chain publishes is folded into an event-log hash ([`EventLog`]); `--check-determinism`
//! compares two runs' hashes. The operation history (invoke / ok / fail / info per order
//! operation) can be written as JSON lines.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use simulator::config::SimConfig;
use simulator::domain::ids::ProductOrderId;
use simulator::domain::state::OrderState;
use simulator::domain::time::Time;
use simulator::layers::com::{ComInput, ProductOrderItem};
use simulator::layers::common::Action as ItemAction;
use simulator::layers::{Event, EventKind, Message, Reply, ReplyToken, Subject};
use simulator::network::faults::FaultSpec;
use simulator::network::{FaultCommand, NetworkInput};
use simulator::query;
use simulator::query::fault_view::fault_view;
use simulator::runtime::virtual_time::VirtualChain;
use simulator::tmf::error::TmfError;
use simulator::tmf::product_order_create::parse_create;

use crate::drive::client::ClientError;
use crate::drive::record::{Ended, Recorder, SendMeta};
use crate::observe::metrics::{Metrics, Outcome};
use crate::plan::scenario::Scenario;
use crate::plan::sends::SendPlan;
use crate::plan::workload::{OperationKind, Planned, ProductPool, Technology, Workload};
use crate::report::model::FaultInfo;

/// How many per-event hashes a run keeps to locate the first difference between two runs.
pub const EVENT_HASHES_MAX: usize = 4_000_000;

/// The run's event log, folded: a count, an FNV-1a hash of every event in order, and the
/// first [`EVENT_HASHES_MAX`] per-event hashes.
#[derive(Clone, Debug, Default)]
pub struct EventLog {
    /// Events folded.
    pub count: u64,
    /// The running hash.
    pub hash: u64,
    /// Per-event hashes, in order (bounded).
    pub hashes: Vec<u64>,
    /// If set: the description of event number `.0`, captured when it passes.
    pub capture: Option<(u64, Option<String>)>,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

fn fnv(bytes: &[u8], seed: u64) -> u64 {
    bytes.iter().fold(seed, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(FNV_PRIME)
    })
}

impl EventLog {
    fn new() -> EventLog {
        EventLog {
            hash: FNV_OFFSET,
            ..EventLog::default()
        }
    }

    fn fold(&mut self, event: &Event) {
        let event_hash = fnv(&event_bytes(event), FNV_OFFSET);
        self.hash = fnv(&event_hash.to_le_bytes(), self.hash);
        if self.hashes.len() < EVENT_HASHES_MAX {
            self.hashes.push(event_hash);
        }
        if let Some((index, captured)) = &mut self.capture
            && *index == self.count
        {
            *captured = Some(format!(
                "t={} {:?} {:?}",
                event.time, event.kind, event.subject
            ));
        }
        self.count += 1;
    }
}

/// A stable encoding of an event: time, kind, subject kind and id (no formatting, so hashing
/// stays cheap on hour-long runs).
fn event_bytes(event: &Event) -> [u8; 18] {
    let kind = match event.kind {
        EventKind::Create => 0,
        EventKind::StateChange => 1,
        EventKind::AttributeValueChange => 2,
        EventKind::Delete => 3,
    };
    let (subject, id) = match event.subject {
        Subject::ProductOrder(id) => (0, id.0),
        Subject::CancelProductOrder(id) => (1, id.0),
        Subject::ServiceOrder(id) => (2, id.0),
        Subject::ResourceOrder(id) => (3, id.0),
        Subject::ActivationService(id) => (4, id.0),
        Subject::CancelServiceOrder(id) => (5, id.0),
        Subject::CancelResourceOrder(id) => (6, id.0),
    };
    let mut bytes = [0u8; 18];
    bytes[..8].copy_from_slice(&event.time.as_micros().to_le_bytes());
    bytes[8] = kind;
    bytes[9] = subject;
    bytes[10..].copy_from_slice(&id.to_le_bytes());
    bytes
}

/// What a virtual-time run produced, before the report is written.
pub struct VirtualRun {
    /// Metrics, as the real-time driver keeps them (latencies in simulated time).
    pub metrics: Metrics,
    /// The event log.
    pub log: EventLog,
    /// The chain at the end (for the audit and the outside checks).
    pub chain: VirtualChain,
    /// Simulated seconds from the first send to the end of the drain.
    pub simulated_s: f64,
    /// Sends made.
    pub sends: u64,
    /// Simulated seconds from the start of the load to the last send.
    pub last_send_s: f64,
    /// Sends the schedule asked for.
    pub scheduled: u64,
    /// Orders still open at the end.
    pub open_at_end: BTreeMap<String, u64>,
    /// Orders acknowledged and followed.
    pub tracked: u64,
    /// Orders seen to end, warm-up included, by outcome (to compare with the audit's counts).
    pub outcomes_all: [u64; 5],
    /// The fault windows for the report.
    pub faults: Vec<FaultInfo>,
}

/// A loadgen action on the simulated timeline.
#[derive(Clone, Debug)]
enum Action {
    /// Send number `index` of the open schedule.
    OpenSend,
    /// A closed-model user's next order.
    Send { user: Option<u32> },
    /// A cancel of an acknowledged order (`measured`: the order is).
    Cancel {
        order: ProductOrderId,
        measured: bool,
    },
    /// Read the faults for the report (every simulated second while the load runs, as the
    /// real-time watcher reads `/admin/faults`); changes nothing in the chain.
    WatchFaults { until: Time },
    /// A `crash` timeline entry: restart the layer without its state.
    Crash { layer: simulator::layers::LayerId },
}

/// How often a virtual run reads its faults.
const FAULT_WATCH_PERIOD: Duration = Duration::from_secs(1);

/// An order loadgen follows.
#[derive(Clone, Debug)]
struct Followed {
    kind: &'static str,
    intended: Time,
    measured: bool,
    user: Option<u32>,
}

/// A request whose reply has not come yet.
#[derive(Clone, Debug)]
struct Awaiting {
    intended: Time,
    send: SendMeta,
    cancel_after: Option<Duration>,
    cancels: u8,
    user: Option<u32>,
    /// For a cancel: the order, and whether it is measured.
    cancel_of: Option<(ProductOrderId, bool)>,
}

/// Puts the scenario's `[[faults]]` into the network before the run: the network starts each
/// at its `at` and removes it after its `duration` by itself (one without a duration ends
/// with the load, as over HTTP), all in simulated time.
fn put_fault_timeline(
    chain: &mut VirtualChain,
    timeline: &[simulator::network::faults::FaultSpec],
    load_end: Time,
) -> anyhow::Result<()> {
    let mut sent = Vec::with_capacity(timeline.len());
    for spec in timeline {
        let mut fault = spec.to_fault(Time::ZERO)?;
        if fault.starts_at >= load_end {
            continue;
        }
        if fault.duration.is_none() {
            fault.duration = Some(load_end.since(fault.starts_at));
        }
        let name = fault.name.clone();
        let command = FaultCommand::Put(Box::new(fault));
        let token = chain.submit(|token| {
            Message::Network(NetworkInput::Faults {
                command,
                reply_to: Some(token),
            })
        });
        sent.push((name, token));
    }
    chain.run_until(chain.now());
    for (name, token) in sent {
        match chain.take_reply(token) {
            Some(Reply::Faults(Ok(_))) => {}
            Some(Reply::Faults(Err(refusal))) => {
                return Err(anyhow::Error::new(refusal).context(format!("fault `{name}`")));
            }
            other => anyhow::bail!("fault `{name}`: unexpected answer {other:?}"),
        }
    }
    Ok(())
}

/// Drives one virtual-time run of `scenario`.
pub fn run(
    scenario: &Scenario,
    history: Option<&mut dyn Write>,
    capture: Option<u64>,
) -> anyhow::Result<VirtualRun> {
    let mut config = SimConfig::from_toml_str(&scenario.text, &scenario.file)?;
    config.seed = scenario.seed;
    let chain = VirtualChain::new(config).context("building the virtual-time chain")?;
    let plan = &scenario.load;
    let workload = Workload::new(
        &plan.mix,
        scenario.seed,
        scenario.regions.clone(),
        plan.cancel_delay.clone(),
    );
    let mut driver = Driver {
        chain,
        workload,
        pool: ProductPool::new(100_000),
        recorder: Recorder::new(plan.warmup),
        log: EventLog::new(),
        agenda: BTreeMap::new(),
        sequence: 0,
        awaiting: BTreeMap::new(),
        followed: BTreeMap::new(),
        history,
        sends: 0,
        last_send: Time::ZERO,
        tracked: 0,
        outcomes_all: [0; 5],
        items_max: 0,
        plan: SendPlan::new(&plan.model, plan.orders_max),
        faults_seen: BTreeMap::new(),
        line: Vec::new(),
    };
    driver.log.capture = capture.map(|index| (index, None));
    driver.items_max = driver.chain.config.limits.items_per_order_max;
    let (scheduled, end) = driver.plan_sends();
    let timeline = scenario.fault_timeline();
    put_fault_timeline(&mut driver.chain, &timeline, end)?;
    if !timeline.is_empty() {
        driver.schedule(Time::ZERO, Action::WatchFaults { until: end });
    }
    for crash in &scenario.crashes {
        let at = Time::ZERO.after(crash.at.0);
        let layer = simulator::layers::LayerId::ALL.into_iter();
        if let Some(layer) = layer.into_iter().find(|l| l.as_str() == crash.layer())
            && at < end
        {
            driver.schedule(at, Action::Crash { layer });
        }
    }
    driver.run_until(end);
    let drain_end = end.after(plan.drain_timeout);
    driver.run_until(drain_end.min(driver.quiet_at(drain_end)));
    let open_at_end = driver.open_by_state();
    let simulated_s = driver.chain.now().as_micros() as f64 / 1e6;
    let mut faults = fault_windows(&timeline, &driver.faults_seen, end, &driver.chain);
    let end_s = end.as_micros() as f64 / 1e6;
    let crashed_at = |name: &str| {
        let crash = scenario.crashes.iter().find(|crash| crash.name == name)?;
        let at_s = crash.at.0.as_secs_f64();
        (at_s < end_s).then_some((at_s, None))
    };
    faults.extend(crate::drive::faults::crash_windows(
        &scenario.crashes,
        &crashed_at,
    ));
    Ok(VirtualRun {
        metrics: driver.recorder.metrics,
        log: driver.log,
        chain: driver.chain,
        simulated_s,
        sends: driver.sends,
        last_send_s: driver.last_send.as_micros() as f64 / 1e6,
        scheduled,
        open_at_end,
        tracked: driver.tracked,
        outcomes_all: driver.outcomes_all,
        faults,
    })
}

/// The report's fault windows of a virtual run: every timeline entry was applied at its start
/// (unless the load ended first), and each hit order's state is read from COM.
fn fault_windows(
    timeline: &[FaultSpec],
    seen: &BTreeMap<String, crate::drive::faults::Seen>,
    end: Time,
    chain: &VirtualChain,
) -> Vec<FaultInfo> {
    let end_s = end.as_micros() as f64 / 1e6;
    let start_of = |name: &str| {
        let spec = timeline.iter().find(|spec| spec.name == name)?;
        let at_s = spec.at.0.as_secs_f64();
        (at_s < end_s).then_some((at_s, None))
    };
    let mut faults = crate::drive::faults::windows(timeline, seen, &start_of, end_s);
    for order in faults
        .iter_mut()
        .flat_map(|fault| fault.orders_hit.iter_mut())
    {
        let id = order.id.parse::<ProductOrderId>().ok();
        let state = id
            .and_then(|id| query::product_orders(&chain.layers.com).get(&id))
            .map(|o| o.state);
        order.state = state.map_or("evicted", |s| s.as_str()).to_string();
    }
    crate::drive::faults::tally_hit_states(&mut faults);
    faults
}

/// `time` as an offset from the start of the load.
fn offset(time: Time) -> Duration {
    time.since(Time::ZERO)
}

fn duration_micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

struct Driver<'a> {
    chain: VirtualChain,
    workload: Workload,
    pool: ProductPool,
    recorder: Recorder,
    log: EventLog,
    agenda: BTreeMap<(Time, u64), Action>,
    sequence: u64,
    awaiting: BTreeMap<ReplyToken, Awaiting>,
    followed: BTreeMap<ProductOrderId, Followed>,
    history: Option<&'a mut dyn Write>,
    /// The history line being written, reused: one `write_all` per line instead of one per
    /// JSON token through the `dyn Write`.
    line: Vec<u8>,
    sends: u64,
    last_send: Time,
    tracked: u64,
    outcomes_all: [u64; 5],
    items_max: usize,
    /// When sends are due.
    plan: SendPlan,
    /// The faults read during the load, by name.
    faults_seen: BTreeMap<String, crate::drive::faults::Seen>,
}

impl Driver<'_> {
    fn schedule(&mut self, at: Time, action: Action) {
        self.sequence += 1;
        self.agenda.insert((at, self.sequence), action);
    }

    /// Puts the load's first sends on the agenda; answers (sends scheduled, end of the load).
    fn plan_sends(&mut self) -> (u64, Time) {
        // One open send at a time on the agenda: each schedules the next when it runs, so an
        // hour at 1,000/s does not hold 3.6 million entries.
        self.schedule_open_send();
        for user in 0..self.plan.users() {
            self.schedule_user_send(user, None);
        }
        let end = Time::from_micros(duration_micros(self.plan.end()));
        (self.plan.scheduled().unwrap_or(0), end)
    }

    fn schedule_open_send(&mut self) {
        if let Some(due) = self.plan.next_open() {
            self.schedule(Time::ZERO.after(due), Action::OpenSend);
        }
    }

    /// A closed-model user's next send, `think_time` after `ended` (its first: at the start).
    fn schedule_user_send(&mut self, user: u32, ended: Option<Time>) {
        if let Some(due) = self.plan.next_for_user(ended.map(offset)) {
            self.schedule(Time::ZERO.after(due), Action::Send { user: Some(user) });
        }
    }

    /// When the chain and the agenda run dry (or `limit`).
    fn quiet_at(&self, limit: Time) -> Time {
        if self.chain.next_at().is_none() && self.agenda.is_empty() {
            self.chain.now()
        } else {
            limit
        }
    }

    /// Runs actions and chain messages, in time order, up to `until`.
    fn run_until(&mut self, until: Time) {
        loop {
            let action = self
                .agenda
                .first_key_value()
                .map(|((at, _), _)| *at)
                .filter(|at| *at <= until);
            let message = self.chain.next_at().filter(|at| *at <= until);
            match (action, message) {
                (None, None) => break,
                (Some(at), Some(next)) if next < at => self.step_chain(),
                (Some(at), _) => {
                    self.chain.advance_to(at);
                    if let Some((_, action)) = self.agenda.pop_first() {
                        self.perform(action);
                    }
                }
                (None, Some(_)) => self.step_chain(),
            }
            if self.chain.next_at().is_none() && self.agenda.is_empty() {
                break;
            }
        }
    }

    fn step_chain(&mut self) {
        self.chain.step();
        self.observe_events();
        self.take_replies();
    }

    /// Records every fault the network holds now, with the product orders its hits were for.
    fn watch_faults(&mut self, now: Time) {
        let chain = &self.chain;
        let statuses = chain.layers.network.faults().statuses(now);
        let orders = query::hit_orders(&chain.layers.rom, &chain.layers.som, &statuses);
        let list: Vec<serde_json::Value> = statuses
            .iter()
            .map(|status| {
                serde_json::to_value(fault_view(status, now, &orders)).unwrap_or_default()
            })
            .collect();
        crate::drive::faults::record_in(&mut self.faults_seen, &list, now.as_micros() as f64 / 1e6);
    }

    fn write_history(&mut self, line: HistoryLine<'_>) {
        if let Some(out) = self.history.as_mut() {
            self.line.clear();
            if serde_json::to_writer(&mut self.line, &line).is_ok() {
                self.line.push(b'\n');
                let _ = out.write_all(&self.line);
            }
        }
    }

    fn perform(&mut self, action: Action) {
        let now = self.chain.now();
        match action {
            Action::OpenSend => {
                self.schedule_open_send();
                let planned = self.workload.next(&mut self.pool);
                self.send(planned, now, None);
            }
            Action::Send { user } => {
                let planned = self.workload.next(&mut self.pool);
                self.send(planned, now, user);
            }
            Action::Crash { layer } => {
                if let Err(error) = self.chain.restart_layer_without_state(layer) {
                    tracing::warn!(%error, "a crash was refused");
                }
            }
            Action::WatchFaults { until } => {
                self.watch_faults(now);
                let next = now.after(FAULT_WATCH_PERIOD);
                if next <= until {
                    self.schedule(next, Action::WatchFaults { until });
                }
            }
            Action::Cancel { order, measured } => {
                self.write_history(HistoryLine::new("invoke", "cancel", now).order(order));
                let token = self.chain.submit(|reply| {
                    Message::Com(ComInput::Cancel {
                        reply,
                        order,
                        reason: Some("loadgen".into()),
                    })
                });
                let send = SendMeta {
                    kind: OperationKind::Cancel,
                    expect_client_error: false,
                    fallback: false,
                };
                self.awaiting.insert(
                    token,
                    Awaiting {
                        intended: now,
                        send,
                        cancel_after: None,
                        cancels: 0,
                        user: None,
                        cancel_of: Some((order, measured)),
                    },
                );
            }
        }
    }

    fn send(&mut self, planned: Planned, now: Time, user: Option<u32>) {
        self.sends += 1;
        self.last_send = now;
        self.write_history(HistoryLine::new("invoke", planned.kind.name(), now));
        let send = SendMeta::from(&planned);
        let parsed = planned
            .body
            .into_parsed()
            .map_err(|error| TmfError::bad_request(error.to_string()))
            .and_then(|body| parse_create(body, self.items_max));
        let awaiting = Awaiting {
            intended: now,
            send,
            cancel_after: planned.cancel_after,
            cancels: planned.cancels,
            user,
            cancel_of: None,
        };
        match parsed {
            Ok(order) => {
                let token = self
                    .chain
                    .submit(|reply| Message::Com(ComInput::Create { reply, order }));
                self.awaiting.insert(token, awaiting);
            }
            Err(error) => self.refused(&awaiting, &error, now),
        }
    }

    /// A 4xx answer to a create (from parsing or from the chain), as an HTTP client gets it.
    fn refused(&mut self, awaiting: &Awaiting, error: &TmfError, now: Time) {
        let status = error.status.as_u16();
        let answer = ClientError::Status {
            status,
            body: error.message.clone(),
        };
        let (intended, answered) = (offset(awaiting.intended), offset(now));
        self.recorder
            .create_answered(awaiting.send, intended, answered, Err(&answer));
        self.write_history(HistoryLine {
            status: Some(status),
            ..HistoryLine::new("fail", awaiting.send.kind.name(), now)
        });
        self.next_for_user(awaiting.user, now);
    }

    fn take_replies(&mut self) {
        if self.chain.replies.is_empty() {
            return;
        }
        let replies = std::mem::take(&mut self.chain.replies);
        for (token, reply) in replies {
            if let Some(awaiting) = self.awaiting.remove(&token) {
                self.answered(awaiting, reply);
            }
        }
    }

    fn answered(&mut self, awaiting: Awaiting, reply: Reply) {
        let now = self.chain.now();
        if let Some((order, measured)) = awaiting.cancel_of {
            let refusal = match reply {
                Reply::Rejected(rejection) => Some(TmfError::from(rejection)),
                _ => None,
            };
            let answer = refusal.as_ref().map(|error| ClientError::Status {
                status: error.status.as_u16(),
                body: error.message.clone(),
            });
            let (due, answered) = (offset(awaiting.intended), offset(now));
            let id = order.to_string();
            self.recorder.cancel_answered(
                &id,
                measured,
                due,
                answered,
                answer.as_ref().map_or(Ok(()), Err),
            );
            let status = refusal.map_or(201, |error| error.status.as_u16());
            self.write_history(HistoryLine {
                status: Some(status),
                ..HistoryLine::new("ok", "cancel", now).order(order)
            });
            return;
        }
        match reply {
            Reply::ProductOrder(order) => self.acknowledged(awaiting, *order, now),
            Reply::Rejected(rejection) => self.refused(&awaiting, &TmfError::from(rejection), now),
            _ => {}
        }
    }

    fn acknowledged(
        &mut self,
        awaiting: Awaiting,
        order: simulator::layers::com::ProductOrder,
        now: Time,
    ) {
        let (intended, answered) = (offset(awaiting.intended), offset(now));
        let measured = self.recorder.measured(intended);
        self.recorder
            .create_answered(awaiting.send, intended, answered, Ok(()));
        self.tracked += 1;
        self.write_history(HistoryLine {
            state: Some(order.state.as_str()),
            ..HistoryLine::new("ok", awaiting.send.kind.name(), now).order(order.id)
        });
        let followed = Followed {
            kind: awaiting.send.kind.name(),
            intended: awaiting.intended,
            measured,
            user: awaiting.user,
        };
        if order.state.is_terminal() {
            // Sync mode: the reply is the end of the order.
            self.finished(order.id, order.state, followed, now);
            return;
        }
        self.followed.insert(order.id, followed);
        if let Some(after) = awaiting.cancel_after {
            for _ in 0..awaiting.cancels.max(1) {
                let cancel = Action::Cancel {
                    order: order.id,
                    measured,
                };
                self.schedule(now.after(after), cancel);
            }
        }
    }

    fn observe_events(&mut self) {
        if self.chain.events.is_empty() {
            return;
        }
        let events = std::mem::take(&mut self.chain.events);
        for event in events {
            self.log.fold(&event);
            let (EventKind::StateChange, Subject::ProductOrder(id)) = (event.kind, event.subject)
            else {
                continue;
            };
            let Some(state) = self
                .chain
                .layers
                .com
                .orders()
                .get(&id)
                .map(|order| order.state)
            else {
                continue;
            };
            if state.is_terminal()
                && let Some(followed) = self.followed.remove(&id)
            {
                self.finished(id, state, followed, event.time);
            }
        }
    }

    fn finished(&mut self, id: ProductOrderId, state: OrderState, followed: Followed, at: Time) {
        if let Some(outcome) = Outcome::from_state(state.as_str()) {
            self.outcomes_all[outcome.index()] += 1;
            let failure = self
                .chain
                .layers
                .com
                .orders()
                .get(&id)
                .and_then(|o| o.failure.as_ref());
            self.recorder.ended(Ended {
                kind: followed.kind,
                outcome,
                latency: at.since(followed.intended),
                at: offset(at),
                measured: followed.measured,
                failure_code: failure.map(|reason| reason.code.as_str()),
            });
        }
        if state == OrderState::Completed {
            self.add_products(id);
        }
        let kind = if state == OrderState::Completed {
            "ok"
        } else {
            "info"
        };
        self.write_history(HistoryLine {
            state: Some(state.as_str()),
            ..HistoryLine::new(kind, "order", at).order(id)
        });
        self.next_for_user(followed.user, at);
    }

    fn add_products(&mut self, id: ProductOrderId) {
        let Some(order) = query::product_orders(&self.chain.layers.com).get(&id) else {
            return;
        };
        // An order that adds IPTV (an iptv item, or a bundle change) leaves bundled products.
        let bundled = order.items.iter().any(|item| &*item.offering == "iptv")
            || order
                .items
                .iter()
                .any(|item| item.characteristics.iter().any(|c| &*c.name == "addOn"));
        // A delete item names the product it ceased: that one is gone, not available again.
        let keeps =
            |item: &&ProductOrderItem| matches!(item.action, ItemAction::Add | ItemAction::Modify);
        for item in order.items.iter().filter(keeps) {
            let technology = match &*item.offering {
                "fibre-broadband" => Technology::Fibre,
                "dsl-broadband" => Technology::Dsl,
                _ => continue,
            };
            if let Some(product) = item.product {
                self.pool.add(product.to_string(), technology, bundled);
            }
        }
    }

    /// A closed-model user's order ended: it thinks, then sends again.
    fn next_for_user(&mut self, user: Option<u32>, at: Time) {
        if let Some(user) = user {
            self.schedule_user_send(user, Some(at));
        }
    }

    fn open_by_state(&self) -> BTreeMap<String, u64> {
        let mut open = BTreeMap::new();
        for id in self.followed.keys() {
            let state = self
                .chain
                .layers
                .com
                .orders()
                .get(id)
                .map_or("unknown", |order| order.state.as_str());
            *open.entry(state.to_string()).or_insert(0) += 1;
        }
        open
    }
}

/// One line of `history.jsonl`. Fields are declared in the order a `serde_json::Value` object
/// (a sorted map) writes them, so the lines read as they did when built with `json!`; a struct
/// writes them without building a map per line.
#[derive(serde::Serialize)]
struct HistoryLine<'a> {
    f: &'a str,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "id_text")]
    order: Option<ProductOrderId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(rename = "timeMs")]
    time_ms: f64,
    #[serde(rename = "type")]
    kind: &'a str,
}

impl<'a> HistoryLine<'a> {
    fn new(kind: &'a str, f: &'a str, at: Time) -> HistoryLine<'a> {
        HistoryLine {
            f,
            order: None,
            state: None,
            status: None,
            time_ms: millis(at),
            kind,
        }
    }

    fn order(self, order: ProductOrderId) -> HistoryLine<'a> {
        HistoryLine {
            order: Some(order),
            ..self
        }
    }
}

/// An order id as its text ("PO-7"), written straight into the line.
fn id_text<S: serde::Serializer>(id: &Option<ProductOrderId>, out: S) -> Result<S::Ok, S::Error> {
    match id {
        Some(id) => out.collect_str(id),
        None => out.serialize_none(),
    }
}

fn millis(time: Time) -> f64 {
    time.as_micros() as f64 / 1_000.0
}
