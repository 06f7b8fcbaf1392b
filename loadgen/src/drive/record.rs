//! The one recording path: how a send, its answer, the order's end and a cancel become
//! measurements, whatever carried them (HTTP to any TMF622 server, or the virtual-time chain).
//! Both drivers call [`Recorder`] with times as offsets from the start of the load, so a
//! number means the same thing under either clock: latencies run from the intended instant,
//! only orders intended after the warm-up are measured, and the per-second series counts
//! seconds from the start of the load.

use std::time::Duration;

use crate::drive::client::ClientError;
use crate::observe::metrics::{Metrics, Outcome, micros};
use crate::plan::workload::{OperationKind, Planned};

/// What the recorder needs of a planned send (its body has gone to the target).
#[derive(Clone, Copy, Debug)]
pub struct SendMeta {
    /// The operation.
    pub kind: OperationKind,
    /// Whether the answer must be a 4xx (a deliberately bad request).
    pub expect_client_error: bool,
    /// A modify or delete that fell back to an add.
    pub fallback: bool,
}

impl From<&Planned> for SendMeta {
    fn from(planned: &Planned) -> SendMeta {
        SendMeta {
            kind: planned.kind,
            expect_client_error: planned.expect_client_error,
            fallback: planned.fallback,
        }
    }
}

/// An order that reached a terminal state.
#[derive(Clone, Copy, Debug)]
pub struct Ended<'a> {
    /// The operation that created it.
    pub kind: &'static str,
    /// Its terminal state.
    pub outcome: Outcome,
    /// From its intended instant to the moment its end was observed.
    pub latency: Duration,
    /// When its end was observed, from the start of the load.
    pub at: Duration,
    /// Whether it was intended after the warm-up.
    pub measured: bool,
    /// The failure code it carried, if any.
    pub failure_code: Option<&'a str>,
}

/// The run's measurements and the rules by which answers become them.
#[derive(Debug)]
pub struct Recorder {
    /// What was measured.
    pub metrics: Metrics,
    warmup: Duration,
}

/// The series second of `at` (an offset from the start of the load).
fn second(at: Duration) -> usize {
    usize::try_from(at.as_secs()).unwrap_or(usize::MAX)
}

impl Recorder {
    /// A recorder that measures what is intended at or after `warmup`.
    pub fn new(warmup: Duration) -> Recorder {
        Recorder {
            metrics: Metrics::default(),
            warmup,
        }
    }

    /// Whether a send intended at `intended` is measured.
    pub fn measured(&self, intended: Duration) -> bool {
        intended >= self.warmup
    }

    /// A create intended at `intended` was answered at `answered`: with an order (`Ok`), or
    /// refused or lost (`Err`). A refusal the send expected (a deliberately bad request) is
    /// counted as such, not as an error.
    pub fn create_answered(
        &mut self,
        send: SendMeta,
        intended: Duration,
        answered: Duration,
        answer: Result<(), &ClientError>,
    ) {
        if !self.measured(intended) {
            return;
        }
        let m = &mut self.metrics;
        let kind = send.kind.name();
        m.requests += 1;
        *m.sent_by_kind.entry(kind).or_insert(0) += 1;
        m.fallbacks += u64::from(send.fallback);
        match answer {
            Ok(()) => {
                m.bad_requests_accepted += u64::from(send.expect_client_error);
                m.record_submit(kind, answered.saturating_sub(intended), second(answered));
            }
            Err(error) => {
                let client_error = error.status().is_some_and(|s| (400..500).contains(&s));
                if send.expect_client_error && client_error {
                    m.bad_requests_refused += 1;
                } else {
                    m.record_error("create", error, second(answered));
                    m.by_operation.entry(kind).or_default().errors += 1;
                }
            }
        }
    }

    /// An order ended (see [`Ended`]); unmeasured ones are not recorded.
    pub fn ended(&mut self, ended: Ended<'_>) {
        if !ended.measured {
            return;
        }
        let m = &mut self.metrics;
        m.record_terminal(ended.kind, ended.outcome, ended.latency, second(ended.at));
        m.record_outcome_code(ended.outcome, ended.failure_code);
    }

    /// A cancel due at `due` (for an order that is `measured`) was answered at `answered`.
    pub fn cancel_answered(
        &mut self,
        order_id: &str,
        measured: bool,
        due: Duration,
        answered: Duration,
        answer: Result<(), &ClientError>,
    ) {
        if !measured {
            return;
        }
        let m = &mut self.metrics;
        m.requests += 1;
        m.cancel
            .saturating_record(micros(answered.saturating_sub(due)));
        match answer {
            Ok(()) => *m.cancel_status.entry(201).or_insert(0) += 1,
            Err(error) => match error.status() {
                Some(status) => {
                    *m.cancel_status.entry(status).or_insert(0) += 1;
                    m.error_example(&format!("cancel {order_id}"), error);
                }
                None => m.record_error("cancel", error, second(answered)),
            },
        }
    }

    /// An event arrived `lag` after the state change it reports, at `at`.
    pub fn event_delivered(&mut self, lag: Duration, at: Duration) {
        if at >= self.warmup {
            self.metrics.event_lag.saturating_record(micros(lag));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn send(expect_client_error: bool) -> SendMeta {
        SendMeta {
            kind: OperationKind::AddFibre,
            expect_client_error,
            fallback: false,
        }
    }

    fn refused(status: u16) -> ClientError {
        ClientError::Status {
            status,
            body: "why".into(),
        }
    }

    #[test]
    fn nothing_intended_in_the_warm_up_is_measured() {
        let mut recorder = Recorder::new(SECOND);
        recorder.create_answered(send(false), SECOND / 2, SECOND, Ok(()));
        recorder.create_answered(send(false), SECOND, 2 * SECOND, Ok(()));
        assert_eq!(recorder.metrics.requests, 1);
        assert_eq!(recorder.metrics.acknowledged, 1);
        let submit = &recorder.metrics.submit;
        assert_eq!(submit.len(), 1);
        assert!(
            submit.equivalent(submit.max(), micros(SECOND)),
            "from the intended instant"
        );
    }

    #[test]
    fn an_expected_refusal_is_not_an_error_and_an_unexpected_one_is() {
        let mut recorder = Recorder::new(Duration::ZERO);
        recorder.create_answered(send(true), SECOND, SECOND, Err(&refused(400)));
        recorder.create_answered(send(false), SECOND, SECOND, Err(&refused(400)));
        recorder.create_answered(send(true), SECOND, SECOND, Err(&refused(503)));
        let m = &recorder.metrics;
        assert_eq!(m.bad_requests_refused, 1);
        assert_eq!(m.http_status.get(&("create".into(), 400)), Some(&1));
        assert_eq!(m.http_status.get(&("create".into(), 503)), Some(&1));
        let errors = recorder.metrics.series()[1].errors;
        assert_eq!(errors, 2, "errors count in the second they came");
    }

    #[test]
    fn a_failed_end_counts_under_its_code_and_a_cancel_under_its_status() {
        let mut recorder = Recorder::new(Duration::ZERO);
        recorder.ended(Ended {
            kind: "add_fibre",
            outcome: Outcome::Failed,
            latency: SECOND,
            at: 3 * SECOND,
            measured: true,
            failure_code: None,
        });
        recorder.cancel_answered("PO-1", true, SECOND, 2 * SECOND, Err(&refused(409)));
        let m = &recorder.metrics;
        assert_eq!(m.failure_codes.get("unknown"), Some(&1));
        assert_eq!(m.cancel_status.get(&409), Some(&1));
        assert_eq!(m.cancel.len(), 1);
        assert!(
            m.cancel.equivalent(m.cancel.max(), micros(SECOND)),
            "from when it was due"
        );
    }
}
