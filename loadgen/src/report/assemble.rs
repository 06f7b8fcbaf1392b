//! One report assembly for every driver: the load, request, outcome, latency, operation and
//! series sections of a [`RunReport`] made from what a run measured ([`Metrics`]) and what its
//! send loop counted ([`SendFacts`]), the same way whether the sends went over HTTP or into
//! the virtual-time chain. The verdict, target and clock sections are the driver's.

use std::collections::BTreeMap;

use crate::observe::metrics::{Metrics, Outcome};
use crate::plan::scenario::{LoadModel, LoadPlan};
use crate::report::model::*;

/// Named latency histograms of one run.
pub type Histograms = Vec<(String, hdrhistogram::Histogram<u64>)>;

/// What a send loop counted, whatever its clock.
#[derive(Clone, Debug, Default)]
pub struct SendFacts {
    /// Sends started.
    pub started: u64,
    /// Sends started later than the late threshold.
    pub late: u64,
    /// Sends dropped for want of a slot.
    pub dropped: u64,
    /// Seconds from the start of the load to the last send.
    pub last_send_s: f64,
    /// The operator stopped the load early.
    pub interrupted: bool,
    /// Seconds the load ran.
    pub load_s: f64,
    /// How orders were followed: `events`, `poll` or `virtual`.
    pub track: &'static str,
}

/// The sections of a report every driver fills the same way; `open_by_state` counts the
/// orders still open at the end, `events` what was seen of their events.
pub fn assemble(
    plan: &LoadPlan,
    sends: &SendFacts,
    metrics: &mut Metrics,
    open_by_state: BTreeMap<String, u64>,
    events: EventsInfo,
) -> RunReport {
    let open_at_end: u64 = open_by_state.values().sum();
    RunReport {
        schema: SCHEMA_ID.into(),
        load: load_info(plan, sends, metrics),
        series: series_points(metrics),
        requests: requests_info(metrics),
        outcomes: outcomes_info(metrics, open_at_end, open_by_state),
        events,
        latency: latency_info(metrics),
        operations: crate::report::operations::operations_info(metrics),
        ..RunReport::default()
    }
}

fn load_info(plan: &LoadPlan, sends: &SendFacts, metrics: &Metrics) -> LoadInfo {
    let load_s = sends.load_s;
    let warmup_s = plan.warmup.as_secs_f64();
    let (model, users, target_rate, scheduled, measured_s) = match &plan.model {
        LoadModel::Open { schedule } => {
            let total = schedule
                .sends_total()
                .min(plan.orders_max.unwrap_or(u64::MAX));
            let warm = (0..total)
                .take_while(|i| {
                    schedule
                        .intended_offset(*i)
                        .is_some_and(|o| o < plan.warmup)
                })
                .count() as u64;
            // The window ends where the next send would have been due.
            let end = schedule
                .intended_offset(total)
                .unwrap_or_else(|| schedule.duration());
            let window = (end.as_secs_f64() - warmup_s).max(0.001);
            // A send loop that fell behind stretches the window and lowers the achieved rate.
            let last_send_s = sends.last_send_s;
            let measured = if sends.interrupted {
                // Stopped early: the window is what ran.
                (load_s - warmup_s).max(0.001)
            } else {
                window.max(last_send_s - warmup_s)
            };
            let target = (total - warm) as f64 / window;
            ("open", None, Some(target), Some(total), measured)
        }
        LoadModel::Closed { users, .. } => (
            "closed",
            Some(*users),
            None,
            None,
            (load_s - warmup_s).max(0.001),
        ),
    };
    LoadInfo {
        model: model.into(),
        track: sends.track.into(),
        warmup_s: plan.warmup.as_secs_f64(),
        duration_s: load_s,
        users,
        target_rate_per_s: target_rate,
        achieved_rate_per_s: metrics.sent_by_kind.values().sum::<u64>() as f64 / measured_s,
        sends_scheduled: scheduled,
        sends_started: sends.started,
        late_sends: sends.late,
        late_threshold_ms: plan.late_threshold.as_secs_f64() * 1_000.0,
        dropped_sends: sends.dropped,
        in_flight_max: plan.in_flight_max,
        fallbacks: metrics.fallbacks,
        interrupted: sends.interrupted,
    }
}

/// The report's per-second series.
fn series_points(metrics: &mut Metrics) -> Vec<SeriesPoint> {
    let points = metrics.series().into_iter().enumerate();
    points
        .map(|(second, b)| SeriesPoint {
            second: second as u64,
            submitted: b.submitted,
            completed: b.completed,
            other_terminal: b.other_terminal,
            failed: b.ended[Outcome::Failed as usize],
            partial: b.ended[Outcome::Partial as usize],
            cancelled: b.ended[Outcome::Cancelled as usize],
            rejected: b.ended[Outcome::Rejected as usize],
            errors: b.errors,
            e2e_ms: b.e2e_ms,
        })
        .collect()
}

fn outcomes_info(
    metrics: &Metrics,
    open_at_end: u64,
    open_by_state: BTreeMap<String, u64>,
) -> OutcomesInfo {
    let tracked = metrics.acknowledged;
    let counts = &metrics.outcomes;
    let rates = Outcome::ALL
        .iter()
        .map(|o| {
            let count = counts[*o as usize];
            (o.name().to_string(), count as f64 / (tracked.max(1)) as f64)
        })
        .collect();
    OutcomesInfo {
        tracked,
        completed: counts[Outcome::Completed as usize],
        partial: counts[Outcome::Partial as usize],
        failed: counts[Outcome::Failed as usize],
        cancelled: counts[Outcome::Cancelled as usize],
        rejected: counts[Outcome::Rejected as usize],
        open_at_end,
        open_by_state,
        failure_codes: metrics.failure_codes.clone(),
        rates,
    }
}

fn requests_info(metrics: &Metrics) -> RequestsInfo {
    let http_errors: Vec<HttpErrorCount> = metrics
        .http_status
        .iter()
        .map(|((request, status), count)| HttpErrorCount {
            request: request.clone(),
            status: *status,
            count: *count,
        })
        .collect();
    let errors: u64 = http_errors.iter().map(|e| e.count).sum::<u64>()
        + metrics.client_errors.values().sum::<u64>();
    let shed: u64 = http_errors
        .iter()
        .filter(|e| matches!(e.status, 429 | 503))
        .map(|e| e.count)
        .sum();
    RequestsInfo {
        sent: metrics.requests,
        by_kind: metrics
            .sent_by_kind
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        acknowledged: metrics.acknowledged,
        http_errors,
        transport_errors: metrics
            .client_errors
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        http_error_rate: errors as f64 / metrics.requests.max(1) as f64,
        shed,
        shed_rate: shed as f64 / metrics.requests.max(1) as f64,
        cancel_status: metrics
            .cancel_status
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        bad_requests_refused: metrics.bad_requests_refused,
        bad_requests_accepted: metrics.bad_requests_accepted,
        error_examples: metrics.error_examples.clone(),
    }
}

fn latency_info(metrics: &Metrics) -> LatencyInfo {
    LatencyInfo {
        submit: Percentiles::of(&metrics.submit),
        e2e: Percentiles::of(&metrics.e2e_all),
        e2e_by_outcome: Outcome::ALL
            .iter()
            .filter_map(|o| {
                let histogram = metrics.e2e.get(*o as usize)?;
                (!histogram.is_empty()).then(|| (o.name().to_string(), Percentiles::of(histogram)))
            })
            .collect(),
        cancel: Percentiles::of(&metrics.cancel),
        event_lag: Percentiles::of(&metrics.event_lag),
        layers: BTreeMap::new(),
    }
}

/// The histograms written as `.hgrm` files.
pub fn histograms_of(metrics: &Metrics) -> Histograms {
    let mut histograms = vec![
        ("submit".to_string(), metrics.submit.clone()),
        ("e2e".to_string(), metrics.e2e_all.clone()),
    ];
    for outcome in Outcome::ALL {
        if let Some(h) = metrics.e2e.get(outcome as usize).filter(|h| !h.is_empty()) {
            histograms.push((format!("e2e-{}", outcome.name()), h.clone()));
        }
    }
    if !metrics.cancel.is_empty() {
        histograms.push(("cancel".to_string(), metrics.cancel.clone()));
    }
    if !metrics.event_lag.is_empty() {
        histograms.push(("event-lag".to_string(), metrics.event_lag.clone()));
    }
    histograms
}
