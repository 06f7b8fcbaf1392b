//! The send loops: open model (scheduled instants) and closed model (virtual users).
//!
//! Both loops share [`RunState`] and one send path ([`send_planned`]); they differ only in
//! *when* a send is due. The open loop never waits for answers: each send is a task, at most
//! `in_flight_max` requests are in flight, up to as many more wait for a slot (their waiting
//! counts in their latency, which is taken from the intended instant), and beyond that a send
//! is dropped and counted. A send that starts later than `late_threshold` after its intended
//! instant is counted as late.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, oneshot};
use tokio::time::Instant;

use crate::drive::client::TmfClient;
use crate::drive::record::{Ended, Recorder, SendMeta};
use crate::observe::metrics::Outcome;
use crate::observe::tracker::{Finished, Observed, Observer, OrderView, Tracker};
use crate::plan::sends::SendPlan;
use crate::plan::workload::{Planned, ProductPool, Workload};

/// Counters of the send loop itself.
#[derive(Debug, Default)]
pub struct SendCounters {
    /// Sends started (requests handed to the client).
    pub started: AtomicU64,
    /// Sends started later than the late threshold.
    pub late: AtomicU64,
    /// Sends dropped because too many were waiting for a slot.
    pub dropped: AtomicU64,
    /// Sends waiting for an in-flight slot now.
    pub waiting: AtomicUsize,
    /// Send tasks alive now (including cancel follow-ups).
    pub active: AtomicUsize,
    /// When the last send was handed out, microseconds after the start.
    pub last_send_us: AtomicU64,
    /// The operator stopped the load early (Ctrl-C).
    pub interrupted: std::sync::atomic::AtomicBool,
}

/// Everything the send tasks, the listener and the poller share.
pub struct RunState {
    /// The TMF client (one connection pool).
    pub client: TmfClient,
    /// The order table.
    pub tracker: Arc<Mutex<Tracker>>,
    /// The measurements and the rules that make them.
    pub recorder: Mutex<Recorder>,
    /// Products for modify/delete.
    pub pool: Mutex<ProductPool>,
    /// The operation chooser.
    pub workload: Mutex<Workload>,
    /// The instant the schedule starts.
    pub start: Instant,
    /// Orders intended before `start + warmup` are not measured.
    pub warmup: Duration,
    /// Lateness above which a send counts as late.
    pub late_threshold: Duration,
    /// In-flight slots.
    pub slots: Arc<Semaphore>,
    /// Most sends waiting for a slot.
    pub waiting_max: usize,
    /// Send loop counters.
    pub counters: SendCounters,
    idle: Notify,
}

impl RunState {
    /// Shared state for a run starting at `start`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        client: TmfClient,
        tracker: Arc<Mutex<Tracker>>,
        workload: Workload,
        start: Instant,
        warmup: Duration,
        late_threshold: Duration,
        in_flight_max: usize,
        waiting_max: usize,
    ) -> RunState {
        RunState {
            client,
            tracker,
            recorder: Mutex::new(Recorder::new(warmup)),
            pool: Mutex::new(ProductPool::new(100_000)),
            workload: Mutex::new(workload),
            start,
            warmup,
            late_threshold,
            slots: Arc::new(Semaphore::new(in_flight_max)),
            waiting_max,
            counters: SendCounters::default(),
            idle: Notify::new(),
        }
    }

    /// Offset of `at` from the start of the load.
    pub fn offset(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.start)
    }

    fn with_recorder(&self, update: impl FnOnce(&mut Recorder)) {
        if let Ok(mut recorder) = self.recorder.lock() {
            update(&mut recorder);
        }
    }

    /// Records an order's end; `failure_code` is the code of the answer that ended it, when
    /// the tracker's observation carried none.
    fn record_finished(&self, finished: Finished, failure_code: Option<&str>) {
        let ended = Ended {
            kind: finished.kind,
            outcome: finished.outcome,
            latency: finished.latency,
            at: self.offset(finished.observed_at),
            measured: finished.measured,
            failure_code: finished.failure_code.as_deref().or(failure_code),
        };
        self.with_recorder(|recorder| recorder.ended(ended));
    }

    fn next_planned(&self) -> Option<Planned> {
        let mut workload = self.workload.lock().ok()?;
        let mut pool = self.pool.lock().ok()?;
        Some(workload.next(&mut pool))
    }

    /// Waits until every send task has ended.
    pub async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.counters.active.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }

    fn task_started(&self) {
        self.counters.active.fetch_add(1, Ordering::AcqRel);
    }

    fn task_ended(&self) {
        if self.counters.active.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.idle.notify_waiters();
        }
    }
}

impl Observer for RunState {
    fn observe(&self, view: OrderView, at: Instant) {
        if let Ok(mut tracker) = self.tracker.lock() {
            tracker.events.received += 1;
        }
        if view.state == "completed"
            && let Ok(mut pool) = self.pool.lock()
        {
            for (product, technology, bundled) in view.products() {
                pool.add(product, technology, bundled);
            }
        }
        let observed = match self.tracker.lock() {
            Ok(mut tracker) => {
                tracker.observe_coded(&view.id, &view.state, view.failure_code(), at)
            }
            Err(_) => return,
        };
        if let Observed::Finished(finished) = observed {
            self.record_finished(finished, view.failure_code());
        }
    }

    fn unparsed(&self) {
        if let Ok(mut tracker) = self.tracker.lock() {
            tracker.events.received += 1;
            tracker.events.unparsed += 1;
        }
    }

    fn delivered(&self, lag: Duration) {
        let at = self.offset(Instant::now());
        self.with_recorder(|recorder| recorder.event_delivered(lag, at));
    }
}

/// Sends one planned operation intended at `intended`, then its cancels if any.
pub async fn send_planned(
    state: Arc<RunState>,
    planned: Planned,
    intended: Instant,
    slot: Option<OwnedSemaphorePermit>,
    waiter: Option<oneshot::Sender<Outcome>>,
) {
    let intended_at = state.offset(intended);
    let measured = intended_at >= state.warmup;
    let send = SendMeta::from(&planned);
    state.counters.started.fetch_add(1, Ordering::Relaxed);
    let result = state
        .client
        .create_product_order(planned.body.into_bytes())
        .await;
    drop(slot);
    let now = Instant::now();
    let answered_at = state.offset(now);
    let answer = result.as_ref().map(|_| ());
    state.with_recorder(|r| r.create_answered(send, intended_at, answered_at, answer));
    let Ok(order) = result else {
        return;
    };
    let finished = match state.tracker.lock() {
        Ok(mut tracker) => {
            let kind = planned.kind.name();
            tracker.register(
                order.id.clone(),
                kind,
                &order.state,
                intended,
                measured,
                waiter,
            )
        }
        Err(_) => None,
    };
    if let Some(finished) = finished {
        // Sync mode: the POST answered with the order as it ended.
        state.record_finished(finished, order.failure_code());
    }
    if let Some(delay) = planned.cancel_after {
        let due = now + delay;
        tokio::time::sleep_until(due).await;
        for _ in 0..planned.cancels {
            send_cancel(&state, &order.id, due, measured).await;
        }
    }
}

async fn send_cancel(state: &RunState, order_id: &str, due: Instant, measured: bool) {
    let result = state.client.cancel_product_order(order_id).await;
    let (due, answered) = (state.offset(due), state.offset(Instant::now()));
    let answer = result.as_ref().map(|_| ());
    state.with_recorder(|r| r.cancel_answered(order_id, measured, due, answered, answer));
}

fn spawn_send(state: &Arc<RunState>, planned: Planned, intended: Instant) {
    let slot = match Arc::clone(&state.slots).try_acquire_owned() {
        Ok(slot) => Some(slot),
        Err(_) if state.counters.waiting.load(Ordering::Acquire) >= state.waiting_max => {
            state.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        Err(_) => None,
    };
    state.task_started();
    let state = Arc::clone(state);
    tokio::spawn(async move {
        let slot = match slot {
            Some(slot) => Some(slot),
            None => {
                state.counters.waiting.fetch_add(1, Ordering::AcqRel);
                let slot = Arc::clone(&state.slots).acquire_owned().await.ok();
                state.counters.waiting.fetch_sub(1, Ordering::AcqRel);
                slot
            }
        };
        send_planned(Arc::clone(&state), planned, intended, slot, None).await;
        state.task_ended();
    });
}

/// Runs the open model: each send at the start plus its due offset in `plan`.
pub async fn drive_open(state: Arc<RunState>, mut plan: SendPlan) {
    while let Some(offset) = plan.next_open() {
        let intended = state.start + offset;
        if intended > Instant::now() {
            tokio::time::sleep_until(intended).await;
        }
        if Instant::now().saturating_duration_since(intended) > state.late_threshold {
            state.counters.late.fetch_add(1, Ordering::Relaxed);
        }
        let Some(planned) = state.next_planned() else {
            return;
        };
        spawn_send(&state, planned, intended);
        let sent_at = Instant::now().saturating_duration_since(state.start);
        let sent_at_us = u64::try_from(sent_at.as_micros()).unwrap_or(u64::MAX);
        state
            .counters
            .last_send_us
            .store(sent_at_us, Ordering::Relaxed);
    }
    state.wait_idle().await;
}

/// Runs the closed model: each of `plan`'s users submits, waits (at most `wait_max`) for the
/// terminal state, thinks, and submits again while `plan` has a send for it.
pub async fn drive_closed(state: Arc<RunState>, plan: SendPlan, wait_max: Duration) {
    let users = plan.users();
    let plan = Arc::new(Mutex::new(plan));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..users {
        let state = Arc::clone(&state);
        let plan = Arc::clone(&plan);
        tasks.spawn(async move {
            let mut ended = None;
            loop {
                let due = plan.lock().ok().and_then(|mut p| p.next_for_user(ended));
                let (Some(due), Some(planned)) = (due, state.next_planned()) else {
                    return;
                };
                let intended = Instant::now().max(state.start + due);
                tokio::time::sleep_until(intended).await;
                let (sender, receiver) = oneshot::channel();
                send_planned(Arc::clone(&state), planned, intended, None, Some(sender)).await;
                let _ = tokio::time::timeout(wait_max, receiver).await;
                ended = Some(state.offset(Instant::now()));
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::scenario::Regions;
    use crate::plan::workload::{CancelDelay, Mix};

    fn state(in_flight_max: usize, waiting_max: usize) -> Arc<RunState> {
        let client = TmfClient::new("http://127.0.0.1:9", Duration::from_secs(1)).unwrap();
        let workload = Workload::new(
            &Mix::default(),
            1,
            Regions {
                fibre: vec!["north".into()],
                dsl: vec!["north".into()],
            },
            CancelDelay::default(),
        );
        Arc::new(RunState::new(
            client,
            Arc::new(Mutex::new(Tracker::new(10, 1))),
            workload,
            Instant::now(),
            Duration::ZERO,
            Duration::from_millis(10),
            in_flight_max,
            waiting_max,
        ))
    }

    #[tokio::test]
    async fn with_no_waiting_a_send_finding_every_slot_taken_is_dropped_at_once() {
        let state = state(1, 0);
        let held = Arc::clone(&state.slots).try_acquire_owned().unwrap();
        let planned = state.next_planned().unwrap();
        spawn_send(&state, planned, Instant::now());
        assert_eq!(state.counters.dropped.load(Ordering::Relaxed), 1);
        assert_eq!(state.counters.active.load(Ordering::Relaxed), 0);
        drop(held);
    }

    #[tokio::test]
    async fn with_waiting_allowed_the_send_waits_instead() {
        let state = state(1, 1);
        let held = Arc::clone(&state.slots).try_acquire_owned().unwrap();
        let planned = state.next_planned().unwrap();
        spawn_send(&state, planned, Instant::now());
        assert_eq!(state.counters.dropped.load(Ordering::Relaxed), 0);
        assert_eq!(state.counters.active.load(Ordering::Relaxed), 1);
        drop(held);
    }
}
