//! The virtual-time runtime: a single-threaded discrete-event scheduler over the same layers.
//!
//! Messages wait in a binary heap ordered by (delivery time, sequence); [`VirtualChain::step`]
//! pops the earliest, advances the clock to it and lets its layer handle it. Messages due at
//! once (most of them: a layer's reply to another layer is sent "now") skip the heap and wait
//! in a FIFO instead, which is already in (time, sequence) order, so the delivery order is
//! exactly the heap's and the common hop costs O(1) instead of O(log n). Nothing reads a
//! wall clock and every layer draws from its own RNG seeded from the run's seed, so a run is
//! exactly reproducible, and an hour of simulated load runs as fast as the layers compute.
//! Tests drive the chain through it to reach any step boundary deterministically.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

use crate::audit::{AuditInput, AuditReport, audit};
use crate::config::SimConfig;
use crate::domain::time::Time;
use crate::layers::set::{Layers, Rngs, Setting, StartError};
use crate::layers::{Effect, Effects, Event, LayerId, Message, Reply, ReplyToken};
use crate::runtime::Latencies;
use crate::runtime::realtime::layer_rng;

/// A heap entry: when, in which order, and where the message waits in the slab (entries stay
/// small so the heap's sifting moves 24 bytes, not a whole message).
struct Scheduled {
    at: Time,
    sequence: u64,
    slot: usize,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.sequence) == (other.at, other.sequence)
    }
}

impl Eq for Scheduled {}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scheduled {
    /// Reversed: the max-heap pops the earliest first; ties go in send order.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.sequence).cmp(&(self.at, self.sequence))
    }
}

/// The chain run in virtual time.
pub struct VirtualChain {
    /// The configuration.
    pub config: SimConfig,
    /// What the layers were built from (restarts build fresh ones from it).
    setting: Setting,
    /// The six layers.
    pub layers: Layers,
    rngs: Rngs,
    queue: BinaryHeap<Scheduled>,
    /// Messages due at the clock's time when they were sent, in send order; since the clock
    /// never goes back, this is sorted by (time, sequence) like the heap.
    ready: VecDeque<Scheduled>,
    slab: Vec<Option<Message>>,
    free_slots: Vec<usize>,
    sequence: u64,
    now: Time,
    effects: Effects,
    /// Replies to callers, by token, until taken.
    pub replies: BTreeMap<ReplyToken, Reply>,
    /// Events published, in order (cleared by whoever reads them), at most
    /// [`EVENTS_KEPT_MAX`]: a caller that never drains them does not grow it for ever.
    pub events: Vec<Event>,
    /// Events not kept because `events_max` were waiting to be read.
    pub events_dropped: u64,
    /// The most `events` holds ([`EVENTS_KEPT_MAX`] unless set).
    events_max: usize,
    next_token: u64,
    /// Messages handled so far.
    pub handled: u64,
    /// What the layers observed (order durations, element latencies).
    latencies: Latencies,
}

/// Most published events [`VirtualChain::events`] holds until they are read; past it the
/// newest are counted in [`VirtualChain::events_dropped`] and not kept.
pub const EVENTS_KEPT_MAX: usize = 1 << 20;

impl VirtualChain {
    /// Builds every layer from `config`; the clock starts at zero.
    pub fn new(config: SimConfig) -> Result<VirtualChain, StartError> {
        let setting = Setting::from_config(config.clone())?;
        let layers = setting.build()?;
        let seed = config.seed;
        Ok(VirtualChain {
            setting,
            layers,
            rngs: LayerId::ALL.map(|layer| layer_rng(seed, layer)),
            queue: BinaryHeap::new(),
            ready: VecDeque::new(),
            slab: Vec::new(),
            free_slots: Vec::new(),
            sequence: 0,
            now: Time::ZERO,
            effects: Effects::default(),
            replies: BTreeMap::new(),
            events: Vec::new(),
            events_dropped: 0,
            events_max: EVENTS_KEPT_MAX,
            next_token: 1,
            handled: 0,
            latencies: Latencies::default(),
            config,
        })
    }

    /// Keeps at most `max` unread events (the rest are counted in `events_dropped`).
    pub fn set_events_max(&mut self, max: usize) {
        self.events_max = max;
    }

    /// The virtual clock.
    pub fn now(&self) -> Time {
        self.now
    }

    /// When the earliest waiting message is due.
    pub fn next_at(&self) -> Option<Time> {
        let ready = self.ready.front().map(|next| next.at);
        let queued = self.queue.peek().map(|next| next.at);
        ready.into_iter().chain(queued).min()
    }

    /// Moves the clock to `at` (not backwards) without handling anything; call it only when no
    /// message is due before `at`.
    pub fn advance_to(&mut self, at: Time) {
        debug_assert!(
            self.next_at().is_none_or(|next| next >= at),
            "messages due before {at}"
        );
        self.now = self.now.max(at);
    }

    /// The latency histograms: order durations per layer and terminal state (virtual time),
    /// element operation latencies per kind and outcome.
    pub fn latencies(&self) -> &Latencies {
        &self.latencies
    }

    /// Messages waiting.
    pub fn pending(&self) -> usize {
        self.queue.len() + self.ready.len()
    }

    /// Restarts `layer` without its state, as [`crate::runtime::Chain::restart_layer_without_state`]
    /// does in real time: a fresh store that keeps only its id sequences, then the layer's
    /// reconcile input (see [`crate::layers::reconcile_input`]) due now. The network and the
    /// inventories hold the simulated world and cannot be restarted.
    pub fn restart_layer_without_state(&mut self, layer: LayerId) -> Result<(), StartError> {
        self.setting
            .restart_without_state(&mut self.layers, layer)?;
        if let Some(reconcile) = crate::layers::reconcile_input(layer) {
            self.schedule(self.now, reconcile);
        }
        Ok(())
    }

    /// Queues the message `make` builds, due now; returns the token its reply will carry.
    pub fn submit(&mut self, make: impl FnOnce(ReplyToken) -> Message) -> ReplyToken {
        let token = ReplyToken(self.next_token);
        self.next_token += 1;
        let message = make(token);
        self.schedule(self.now, message);
        token
    }

    fn schedule(&mut self, at: Time, message: Message) {
        self.sequence += 1;
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                self.slab[slot] = Some(message);
                slot
            }
            None => {
                self.slab.push(Some(message));
                self.slab.len() - 1
            }
        };
        let scheduled = Scheduled {
            at: at.max(self.now),
            sequence: self.sequence,
            slot,
        };
        if scheduled.at == self.now {
            self.ready.push_back(scheduled);
        } else {
            self.queue.push(scheduled);
        }
    }

    /// Takes the earliest scheduled message: the heap's top or the FIFO's front, whichever
    /// comes first in (time, sequence) order.
    fn pop_next(&mut self) -> Option<Scheduled> {
        let heap_first = match (self.ready.front(), self.queue.peek()) {
            (Some(ready), Some(queued)) => queued > ready,
            (None, Some(_)) => true,
            _ => false,
        };
        if heap_first {
            self.queue.pop()
        } else {
            self.ready.pop_front()
        }
    }

    /// Handles the earliest message; false when none is left.
    pub fn step(&mut self) -> bool {
        let Some(next) = self.pop_next() else {
            return false;
        };
        self.now = next.at;
        let message = self.slab.get_mut(next.slot).and_then(Option::take);
        self.free_slots.push(next.slot);
        let Some(message) = message else {
            debug_assert!(false, "a scheduled slot is empty");
            return true;
        };
        self.deliver(message);
        self.handled += 1;
        let mut effects = std::mem::take(&mut self.effects.list);
        for effect in effects.drain(..) {
            match effect {
                Effect::Send { at, message } => self.schedule(at, message),
                Effect::Publish(event) if self.events.len() < self.events_max => {
                    self.events.push(event);
                }
                Effect::Publish(_) => self.events_dropped += 1,
                Effect::Reply { token, reply } => {
                    self.replies.insert(token, reply);
                }
                Effect::Observe(observation) => self.latencies.record(&observation),
            }
        }
        // Give the (empty) buffer back so its capacity is reused.
        self.effects.list = effects;
        true
    }

    fn deliver(&mut self, message: Message) {
        let (now, effects) = (self.now, &mut self.effects);
        self.layers.handle(message, now, &mut self.rngs, effects);
    }

    /// Runs every message due at or before `until`, then sets the clock to `until`.
    pub fn run_until(&mut self, until: Time) {
        while self.next_at().is_some_and(|next| next <= until) {
            self.step();
        }
        self.now = self.now.max(until);
    }

    /// Runs until no message is left; returns how many were handled.
    pub fn run_until_idle(&mut self) -> u64 {
        let before = self.handled;
        while self.step() {}
        self.handled - before
    }

    /// Takes the reply for `token`, if it came.
    pub fn take_reply(&mut self, token: ReplyToken) -> Option<Reply> {
        self.replies.remove(&token)
    }

    /// Audits the chain as it is now.
    pub fn audit(&self) -> AuditReport {
        audit(&AuditInput {
            com: &self.layers.com,
            som: &self.layers.som,
            rom: &self.layers.rom,
            activation: &self.layers.activation,
            network: &self.layers.network,
            inventory: &self.layers.inventory,
            now: self.now,
            liveness_bound: std::time::Duration::from_millis(self.config.chain.liveness_bound_ms),
            whole_chain: true,
        })
    }
}
