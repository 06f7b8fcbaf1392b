//! The report model: one serializable struct that every writer (JSON, Markdown, HTML) reads.
//!
//! `loadgen/report.schema.json` documents every field; a test checks `report.json` against it.
//! Latencies are milliseconds, rates are fractions (0..1), rates of sends are per second.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::observe::verdict::{AuditVerdict, OutsideVerdict};
use crate::report::thresholds::{Metric, Threshold};

/// The schema identifier written in every report.
pub const SCHEMA_ID: &str = "ordersim-loadgen-report/1";

/// A latency summary in milliseconds.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Percentiles {
    /// Samples.
    pub count: u64,
    /// Mean.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

impl Percentiles {
    /// Summarises a microsecond histogram.
    pub fn of(histogram: &Histogram<u64>) -> Percentiles {
        if histogram.is_empty() {
            return Percentiles::default();
        }
        let ms = |us: u64| us as f64 / 1_000.0;
        Percentiles {
            count: histogram.len(),
            mean_ms: histogram.mean() / 1_000.0,
            p50_ms: ms(histogram.value_at_quantile(0.5)),
            p90_ms: ms(histogram.value_at_quantile(0.9)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            p999_ms: ms(histogram.value_at_quantile(0.999)),
            max_ms: ms(histogram.max()),
        }
    }
}

/// Which scenario ran.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ScenarioInfo {
    /// Its name.
    pub name: String,
    /// What it shows.
    pub description: String,
    /// The file.
    pub file: String,
    /// The seed used.
    pub seed: u64,
}

/// What was driven.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct TargetInfo {
    /// Base URL.
    pub url: String,
    /// True when loadgen started the simulator itself.
    pub embedded: bool,
    /// Sections of the scenario that configure a simulator (`[chain]`, `[network]`,
    /// `[profiles]`, `[limits]`, `[catalog]`) and were not applied because the target runs
    /// its own configuration (`--target`): start it with `simulator --scenario <file>`.
    pub not_applied: Vec<String>,
}

/// How the load went, from loadgen's side.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct LoadInfo {
    /// `open` or `closed`.
    pub model: String,
    /// `events` or `poll`.
    pub track: String,
    /// Warm-up excluded from the results, seconds.
    pub warmup_s: f64,
    /// Length of the load phase, seconds.
    pub duration_s: f64,
    /// Closed model: users.
    pub users: Option<u32>,
    /// Open model: scheduled sends over the measured window, per second.
    pub target_rate_per_s: Option<f64>,
    /// Requests sent over the measured window, per second.
    pub achieved_rate_per_s: f64,
    /// Open model: sends the schedule intended.
    pub sends_scheduled: Option<u64>,
    /// Sends started.
    pub sends_started: u64,
    /// Sends started later than the late threshold.
    pub late_sends: u64,
    /// Late threshold, ms.
    pub late_threshold_ms: f64,
    /// Sends dropped (too many waiting for a slot).
    pub dropped_sends: u64,
    /// In-flight limit.
    pub in_flight_max: usize,
    /// Modify/delete sends that fell back to an add.
    pub fallbacks: u64,
    /// The operator stopped the load early (Ctrl-C): it is shorter than planned.
    pub interrupted: bool,
}

/// One HTTP error count.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct HttpErrorCount {
    /// `create` or `cancel`.
    pub request: String,
    /// The status.
    pub status: u16,
    /// How many.
    pub count: u64,
}

/// Requests and their answers (measured window).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct RequestsInfo {
    /// Requests sent (creates and cancels).
    pub sent: u64,
    /// Creates by operation kind.
    pub by_kind: BTreeMap<String, u64>,
    /// Orders acknowledged.
    pub acknowledged: u64,
    /// Unexpected HTTP error answers.
    pub http_errors: Vec<HttpErrorCount>,
    /// Transport failures by kind.
    pub transport_errors: BTreeMap<String, u64>,
    /// (HTTP errors + transport failures) / requests.
    pub http_error_rate: f64,
    /// Requests the target shed: answered 503 or 429 (overloaded; retry later).
    pub shed: u64,
    /// `shed` / requests.
    pub shed_rate: f64,
    /// Cancel answers by status.
    pub cancel_status: BTreeMap<String, u64>,
    /// Deliberately bad requests answered 4xx.
    pub bad_requests_refused: u64,
    /// Deliberately bad requests answered 2xx.
    pub bad_requests_accepted: u64,
    /// The first error answers (create and cancel), for diagnosis.
    pub error_examples: Vec<String>,
}

/// Order outcomes (measured window).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct OutcomesInfo {
    /// Orders acknowledged and followed.
    pub tracked: u64,
    /// `completed`.
    pub completed: u64,
    /// `partial`.
    pub partial: u64,
    /// `failed`.
    pub failed: u64,
    /// `cancelled`.
    pub cancelled: u64,
    /// `rejected`.
    pub rejected: u64,
    /// Not terminal after the drain wait.
    pub open_at_end: u64,
    /// Open orders by last known state (held, pending, inProgress, ...).
    pub open_by_state: BTreeMap<String, u64>,
    /// Failed and partial orders by the failure code the simulator gave them
    /// (`elementTimeout`, `poolExhausted`, …).
    pub failure_codes: BTreeMap<String, u64>,
    /// Each outcome over `tracked`.
    pub rates: BTreeMap<String, f64>,
}

/// The events the hub delivered.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct EventsInfo {
    /// Event POSTs received (all, warm-up included).
    pub received: u64,
    /// Unparsable events.
    pub unparsed: u64,
    /// Events for orders already finished.
    pub duplicates: u64,
    /// Events before the order's POST answered.
    pub early: u64,
    /// Terminal states expected (orders followed, warm-up included).
    pub terminal_expected: u64,
    /// Terminal states seen.
    pub terminal_seen: u64,
    /// Orders not followed because too many were open at once.
    pub untracked: u64,
}

/// Latency summaries.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct LatencyInfo {
    /// POST /productOrder, from the intended send instant.
    pub submit: Percentiles,
    /// Intended send to terminal state, all outcomes.
    pub e2e: Percentiles,
    /// The same per outcome.
    pub e2e_by_outcome: BTreeMap<String, Percentiles>,
    /// Cancel requests, from when they were due.
    pub cancel: Percentiles,
    /// Event delivery lag: each event's arrival after its `eventTime` (the state change at
    /// the target). High while e2e is high means the hubs are behind, not the chain. Empty
    /// when no event was received (`--track poll`, virtual time).
    pub event_lag: Percentiles,
    /// Time spent in each layer alone (com, som, rom, activation), from the simulator's
    /// timelines of a sample of completed orders; empty when it has no timeline endpoint.
    pub layers: BTreeMap<String, Percentiles>,
}

/// One fault's window and what it did.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct FaultInfo {
    /// Its name.
    pub name: String,
    /// `timeline` (the scenario's `[[faults]]`) or `manual` (seen in the simulator).
    pub source: String,
    /// Its target, e.g. `olt:olt-north-1`.
    pub target: String,
    /// Its kind, e.g. `outage`.
    pub kind: String,
    /// When it started, seconds since the schedule started.
    pub start_s: f64,
    /// When it ended (or the load ended), seconds since the schedule started.
    pub end_s: Option<f64>,
    /// Whether the simulator accepted it.
    pub applied: bool,
    /// Why it was not applied.
    pub error: Option<String>,
    /// Element calls it applied to.
    pub calls_matched: u64,
    /// Element calls whose outcome or latency it changed.
    pub calls_affected: u64,
    /// Product orders among its most recent hits (at most the simulator's
    /// `FAULT_HITS_KEPT_MAX`, 32: a sample, not a total), with their final state.
    pub orders_hit: Vec<HitOrder>,
    /// Those orders counted by final state.
    pub orders_hit_by_state: BTreeMap<String, u64>,
}

/// A product order a fault hit.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct HitOrder {
    /// The order id.
    pub id: String,
    /// Its state after the run.
    pub state: String,
}

/// One second of the time series.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct SeriesPoint {
    /// Seconds since the schedule started.
    pub second: u64,
    /// Orders acknowledged.
    pub submitted: u64,
    /// Orders completed.
    pub completed: u64,
    /// Orders reaching another terminal state.
    pub other_terminal: u64,
    /// Orders failed.
    pub failed: u64,
    /// Orders partial.
    pub partial: u64,
    /// Orders cancelled.
    pub cancelled: u64,
    /// Orders rejected.
    pub rejected: u64,
    /// Failed requests.
    pub errors: u64,
    /// End-to-end latency of orders finishing this second: p50, p90, p99, max (ms).
    pub e2e_ms: Option<[f64; 4]>,
}

/// The correctness verdict.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct VerdictInfo {
    /// Whether every order finished within the drain timeout.
    pub drained: bool,
    /// Time spent waiting for drain, seconds.
    pub drain_wait_s: f64,
    /// The simulator's audit.
    pub audit: AuditVerdict,
    /// The outside checks.
    pub outside: OutsideVerdict,
    /// Whether the terminal outcomes loadgen saw (warm-up included) equal the simulator's
    /// product order counts in the audit; `None` when the audit gives none.
    pub counts_agree: Option<bool>,
    /// One line per outcome whose counts differ.
    pub count_differences: Vec<String>,
    /// The processes of a split chain, each with its own audit (found from the target's
    /// `/admin/peers`); empty for one process running every layer, or a target that does not
    /// say. When not empty, `audit` is their merged verdict.
    pub processes: Vec<crate::observe::merged::ProcessVerdict>,
    /// The checks across a split chain's processes; `None` when it is not split.
    pub cross: Option<crate::observe::cross::CrossVerdict>,
}

/// loadgen's own health.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct LoadgenInfo {
    /// CPU seconds used by the loadgen process during the load phase (includes an embedded
    /// simulator when there is one), if known.
    pub cpu_s: Option<f64>,
    /// `cpu_s` over the load phase's length: cores used.
    pub cpu_cores: Option<f64>,
}

/// One threshold's result.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ThresholdResult {
    /// As written.
    pub check: String,
    /// The metric.
    pub metric: String,
    /// Its value (ms, fraction or count); `None` when not measurable.
    pub value: Option<f64>,
    /// The value for people (`14.9 ms`, `0.25%`, `3`, `n/a`).
    pub shown: String,
    /// Whether it holds (an optional threshold whose metric was not measured is skipped,
    /// and counts as held).
    pub passed: bool,
    /// Skipped rather than failed when not measured (`[thresholds] optional`).
    pub optional: bool,
    /// One of the verdict's own checks, added because the scenario set none on its metric.
    pub implicit: bool,
    /// Why the metric was not measured, when it was not.
    pub why: Option<String>,
}

impl ThresholdResult {
    /// The check as written, marked `(implicit)` or `(optional)`.
    pub fn label(&self) -> String {
        match (self.implicit, self.optional) {
            (true, _) => format!("{} (implicit)", self.check),
            (false, true) => format!("{} (optional)", self.check),
            (false, false) => self.check.clone(),
        }
    }

    /// `pass`, `FAIL`, or `skip` (optional, not measured).
    pub fn result(&self) -> &'static str {
        match (self.passed, self.value) {
            (true, None) => "skip",
            (true, Some(_)) => "pass",
            (false, _) => "FAIL",
        }
    }
}

/// One layer's worker slots and queue at one instant (`GET /admin/workers`).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct LayerLoad {
    /// `com`, `som` or `rom`.
    pub layer: String,
    /// Worker slots.
    pub capacity: u64,
    /// Slots held.
    pub busy: u64,
    /// Orders waiting for a slot.
    pub waiting: u64,
    /// Messages waiting in the layer's inbox.
    pub inbox_depth: u64,
}

/// One sample of every layer's worker slots, about once per second.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct WorkerPoint {
    /// Seconds since the schedule started (fractional).
    pub second: f64,
    /// Each layer.
    pub layers: Vec<LayerLoad>,
}

/// The simulator's chain, as sampled from `GET /admin/workers` during the run.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ChainInfo {
    /// `sync` or `async`; `None` when the simulator does not answer `/admin/workers`.
    pub mode: Option<String>,
    /// The samples.
    pub workers: Vec<WorkerPoint>,
    /// Per layer: the most slots held in any sample.
    pub busy_max: BTreeMap<String, u64>,
    /// Per layer: the most orders waiting for a slot in any sample.
    pub waiting_max: BTreeMap<String, u64>,
    /// Per layer that calls elements (rom, activation): retries its policy sent, read once
    /// after the drain. Empty when the simulator does not report them.
    pub retries: BTreeMap<String, RetryInfo>,
}

/// One layer's retries (`[chain.retry.<layer>]`): what the policy cost and what it hid.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct RetryInfo {
    /// Forward steps tried again (allocate; configure, activate).
    pub forward: u64,
    /// Compensation steps tried again (release; deactivate).
    pub compensation: u64,
    /// Forward steps that failed their last try.
    pub forward_exhausted: u64,
}

/// The whole report.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct RunReport {
    /// [`SCHEMA_ID`].
    pub schema: String,
    /// Which clock latencies and rates are measured on: `wall` (a real run) or `virtual`
    /// (`--virtual-time`: simulated time, exactly reproducible from the seed).
    pub clock: String,
    /// The scenario.
    pub scenario: ScenarioInfo,
    /// The target.
    pub target: TargetInfo,
    /// Start of the run, RFC 3339 UTC.
    pub started_at: String,
    /// Wall time of the whole run, seconds.
    pub wall_s: f64,
    /// Load.
    pub load: LoadInfo,
    /// Requests.
    pub requests: RequestsInfo,
    /// Outcomes.
    pub outcomes: OutcomesInfo,
    /// Events.
    pub events: EventsInfo,
    /// Latencies.
    pub latency: LatencyInfo,
    /// Per operation kind: requests, latencies and outcomes.
    pub operations: BTreeMap<String, super::operations::OperationInfo>,
    /// Per-second series.
    pub series: Vec<SeriesPoint>,
    /// Faults injected during the run (the timeline's and any added by hand).
    pub faults: Vec<FaultInfo>,
    /// Worker slots and queues over time.
    pub chain: ChainInfo,
    /// Correctness.
    pub verdict: VerdictInfo,
    /// loadgen's own health.
    pub loadgen: LoadgenInfo,
    /// Threshold results.
    pub thresholds: Vec<ThresholdResult>,
    /// True when every threshold passed.
    pub passed: bool,
    /// Virtual-time runs only: simulated vs wall time, the event-log hash, determinism.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_time: Option<VirtualInfo>,
}

/// What a `--virtual-time` run adds to the report.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct VirtualInfo {
    /// Simulated seconds the run covered.
    pub simulated_s: f64,
    /// Wall seconds it took.
    pub wall_s: f64,
    /// simulated_s / wall_s.
    pub speedup: f64,
    /// Messages the chain handled.
    pub messages: u64,
    /// Events the chain published (folded into the hash).
    pub events: u64,
    /// FNV-1a hash of the event log, hex.
    pub event_log_hash: String,
    /// With `--check-determinism`: whether a second run gave the same hash.
    pub deterministic: Option<bool>,
    /// The first event that differed between the two runs, if any.
    pub first_difference: Option<String>,
    /// The command that replays this run exactly.
    pub replay: String,
}

impl RunReport {
    /// The value of `metric` in this report, in the threshold's base unit.
    pub fn metric_value(&self, metric: Metric) -> Option<f64> {
        let latency = |p: &Percentiles, v: f64| (p.count > 0).then_some(v);
        let rate = |name: &str| self.outcomes.rates.get(name).copied();
        let (submit, e2e) = (&self.latency.submit, &self.latency.e2e);
        let outside = &self.verdict.outside;
        Some(match metric {
            Metric::SubmitP50 => latency(submit, submit.p50_ms)?,
            Metric::SubmitP90 => latency(submit, submit.p90_ms)?,
            Metric::SubmitP99 => latency(submit, submit.p99_ms)?,
            Metric::SubmitP999 => latency(submit, submit.p999_ms)?,
            Metric::SubmitMax => latency(submit, submit.max_ms)?,
            Metric::E2eP50 => latency(e2e, e2e.p50_ms)?,
            Metric::E2eP90 => latency(e2e, e2e.p90_ms)?,
            Metric::E2eP99 => latency(e2e, e2e.p99_ms)?,
            Metric::E2eP999 => latency(e2e, e2e.p999_ms)?,
            Metric::E2eMax => latency(e2e, e2e.max_ms)?,
            Metric::EventLagP50 => latency(&self.latency.event_lag, self.latency.event_lag.p50_ms)?,
            Metric::EventLagP99 => latency(&self.latency.event_lag, self.latency.event_lag.p99_ms)?,
            Metric::EventLagMax => latency(&self.latency.event_lag, self.latency.event_lag.max_ms)?,
            Metric::CompletedRate => rate("completed")?,
            Metric::FailedRate => rate("failed")?,
            Metric::PartialRate => rate("partial")?,
            Metric::RejectedRate => rate("rejected")?,
            Metric::CancelledRate => rate("cancelled")?,
            Metric::HttpErrorRate => self.requests.http_error_rate,
            Metric::ShedRate => self.requests.shed_rate,
            Metric::AchievedRateRatio => {
                self.load.achieved_rate_per_s / self.load.target_rate_per_s.filter(|t| *t > 0.0)?
            }
            Metric::OpenAtEnd => self.outcomes.open_at_end as f64,
            Metric::LateSends => self.load.late_sends as f64,
            Metric::DroppedSends => self.load.dropped_sends as f64,
            Metric::HttpErrors => {
                let http: u64 = self.requests.http_errors.iter().map(|e| e.count).sum();
                let transport: u64 = self.requests.transport_errors.values().sum();
                (http + transport) as f64
            }
            Metric::BadRequestsAccepted => self.requests.bad_requests_accepted as f64,
            Metric::AuditFindings => match self.verdict.audit.reachable {
                true => self.verdict.audit.findings as f64,
                false => return None,
            },
            Metric::Leaks => self.leaks()? as f64,
            Metric::LostOrders => outside.lost_orders as f64,
            Metric::StateMismatches => outside.state_mismatches as f64,
            Metric::CountDifferences => match self.verdict.counts_agree {
                Some(_) => self.verdict.count_differences.len() as f64,
                None => return None,
            },
            Metric::Retries if self.chain.retries.is_empty() => return None,
            Metric::Retries => self.chain.retries.values().map(|l| l.forward).sum::<u64>() as f64,
            Metric::RetriesExhausted if self.chain.retries.is_empty() => return None,
            Metric::RetriesExhausted => {
                let exhausted = self.chain.retries.values().map(|l| l.forward_exhausted);
                exhausted.sum::<u64>() as f64
            }
            Metric::EventsMissing => {
                (self
                    .events
                    .terminal_expected
                    .saturating_sub(self.events.terminal_seen)) as f64
            }
        })
    }

    /// The value `threshold` compares: [`Self::metric_value`], or its operation's.
    pub fn threshold_value(&self, threshold: &Threshold) -> Option<f64> {
        let Some(kind) = threshold.operation else {
            return self.metric_value(threshold.metric);
        };
        let operation = self.operations.get(kind)?;
        let latency = |p: &Percentiles, v: f64| (p.count > 0).then_some(v);
        let rate = |name: &str| {
            let ended: u64 = operation.outcomes.values().sum();
            (ended > 0).then(|| operation.rates.get(name).copied().unwrap_or(0.0))
        };
        let (submit, e2e) = (&operation.submit, &operation.e2e);
        match threshold.metric {
            Metric::SubmitP50 => latency(submit, submit.p50_ms),
            Metric::SubmitP90 => latency(submit, submit.p90_ms),
            Metric::SubmitP99 => latency(submit, submit.p99_ms),
            Metric::SubmitP999 => latency(submit, submit.p999_ms),
            Metric::SubmitMax => latency(submit, submit.max_ms),
            Metric::E2eP50 => latency(e2e, e2e.p50_ms),
            Metric::E2eP90 => latency(e2e, e2e.p90_ms),
            Metric::E2eP99 => latency(e2e, e2e.p99_ms),
            Metric::E2eP999 => latency(e2e, e2e.p999_ms),
            Metric::E2eMax => latency(e2e, e2e.max_ms),
            Metric::CompletedRate => rate("completed"),
            Metric::FailedRate => rate("failed"),
            Metric::PartialRate => rate("partial"),
            Metric::RejectedRate => rate("rejected"),
            Metric::CancelledRate => rate("cancelled"),
            Metric::HttpErrors => Some(operation.errors as f64),
            _ => None,
        }
    }

    /// Leaked resources, when something measured them: the simulator's audit ran its
    /// `leaked_resource` check, or the outside check scanned the resource inventory. `None`
    /// otherwise (an audit that did not answer, a `--role` process that holds no network, a
    /// foreign TMF622 system): a number nobody measured is not a zero.
    pub fn leaks(&self) -> Option<u64> {
        let audit = &self.verdict.audit;
        let outside = &self.verdict.outside;
        let audited = audit.reachable && !audit.not_checked.iter().any(|c| c.contains("leak"));
        (audited || outside.resources_scanned > 0).then_some(outside.leaks + audit.leaks)
    }

    /// [`Self::leaks`] as text: the count, or `not checked`.
    pub fn leaks_text(&self) -> String {
        self.leaks()
            .map_or_else(|| "not checked".to_string(), |leaks| leaks.to_string())
    }

    /// Evaluates `thresholds`, filling `thresholds` and `passed`.
    /// The scenario's thresholds are joined by the verdict's implicit ones
    /// ([`crate::report::thresholds::with_implicit`]).
    pub fn evaluate(&mut self, thresholds: &[Threshold]) {
        self.thresholds = crate::report::thresholds::with_implicit(thresholds)
            .iter()
            .map(|threshold| {
                let value = self.threshold_value(threshold);
                let holds = |v: f64| threshold.comparison.holds(v, threshold.limit);
                ThresholdResult {
                    check: threshold.text.clone(),
                    metric: threshold.metric.name().to_string(),
                    value,
                    shown: value.map_or_else(
                        || "not measured".to_string(),
                        |v| threshold.metric.format_value(v),
                    ),
                    passed: value.map_or(threshold.optional, holds),
                    optional: threshold.optional,
                    implicit: threshold.implicit,
                    why: value.is_none().then(|| match threshold.operation {
                        Some(kind) if !self.operations.contains_key(kind) => {
                            format!("the run sent no {kind}")
                        }
                        _ => super::notes::why_not_measured(self, threshold.metric),
                    }),
                }
            })
            .collect();
        self.passed = self.thresholds.iter().all(|t| t.passed);
    }
}
