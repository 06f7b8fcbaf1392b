//! Pass/fail thresholds: `e2e_p99 < 2s`, `failed_rate < 1%`, `leaks == 0`.
//!
//! A threshold is a metric, a comparison and a value with the metric's unit (a duration for
//! latencies, a percentage or fraction for rates, a plain number for counts). They are parsed
//! with [`FromStr`] when the scenario is read, so a typo fails before the run, and evaluated
//! against the finished report; any failure makes the exit code non-zero.
//!
//! A threshold whose metric was not measured fails, with a sentence saying why, unless the
//! scenario lists it under `optional` (it is then skipped, and shown as skipped). The verdict's
//! own checks ([`IMPLICIT`]: audit, counts, lost orders, state mismatches, leaks) apply to
//! every run that does not set a threshold on their metric itself, as optional thresholds:
//! a disagreement fails the run even when the scenario forgot to ask.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// What a metric's values are.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A latency, compared in milliseconds.
    Duration,
    /// A fraction of orders, written `1%` or `0.01`.
    Ratio,
    /// A count.
    Count,
}

macro_rules! metrics {
    ($($variant:ident = $name:literal : $unit:ident, $doc:literal;)*) => {
        /// A metric a threshold can name.
        #[derive(Copy, Clone, Debug, PartialEq, Eq)]
        pub enum Metric { $(#[doc = $doc] $variant,)* }

        impl Metric {
            /// Every metric, for help texts.
            pub const ALL: &'static [Metric] = &[$(Metric::$variant,)*];

            /// The name used in scenario files and reports.
            pub fn name(self) -> &'static str {
                match self { $(Metric::$variant => $name,)* }
            }

            /// Its unit.
            pub fn unit(self) -> Unit {
                match self { $(Metric::$variant => Unit::$unit,)* }
            }
        }
    };
}

metrics! {
    SubmitP50 = "submit_p50": Duration, "Median POST latency, from the intended send instant.";
    SubmitP90 = "submit_p90": Duration, "90th percentile POST latency.";
    SubmitP99 = "submit_p99": Duration, "99th percentile POST latency.";
    SubmitP999 = "submit_p999": Duration, "99.9th percentile POST latency.";
    SubmitMax = "submit_max": Duration, "Largest POST latency.";
    E2eP50 = "e2e_p50": Duration, "Median intended-send-to-terminal latency, all outcomes.";
    E2eP90 = "e2e_p90": Duration, "90th percentile end-to-end latency.";
    E2eP99 = "e2e_p99": Duration, "99th percentile end-to-end latency.";
    E2eP999 = "e2e_p999": Duration, "99.9th percentile end-to-end latency.";
    E2eMax = "e2e_max": Duration, "Largest end-to-end latency.";
    EventLagP50 = "event_lag_p50": Duration, "Median event delivery lag (arrival after eventTime).";
    EventLagP99 = "event_lag_p99": Duration, "99th percentile event delivery lag.";
    EventLagMax = "event_lag_max": Duration, "Largest event delivery lag.";
    CompletedRate = "completed_rate": Ratio, "Completed orders over tracked orders.";
    FailedRate = "failed_rate": Ratio, "Failed orders over tracked orders.";
    PartialRate = "partial_rate": Ratio, "Partial orders over tracked orders.";
    RejectedRate = "rejected_rate": Ratio, "Rejected orders over tracked orders.";
    CancelledRate = "cancelled_rate": Ratio, "Cancelled orders over tracked orders.";
    HttpErrorRate = "http_error_rate": Ratio, "Unexpected HTTP errors over requests sent.";
    ShedRate = "shed_rate": Ratio, "Requests the target shed (503 or 429) over requests sent.";
    AchievedRateRatio = "achieved_rate_ratio": Ratio, "Achieved over target send rate.";
    OpenAtEnd = "open_at_end": Count, "Orders not terminal after the drain wait.";
    LateSends = "late_sends": Count, "Sends started later than the late threshold.";
    DroppedSends = "dropped_sends": Count, "Sends dropped because too many were waiting.";
    HttpErrors = "http_errors": Count, "Unexpected HTTP errors and transport failures.";
    BadRequestsAccepted = "bad_requests_accepted": Count, "Deliberately bad requests answered 2xx.";
    AuditFindings = "audit_findings": Count, "Findings of the simulator's /admin/audit (1 if not ok).";
    Leaks = "leaks": Count, "Resources still held by cancelled or failed orders.";
    LostOrders = "lost_orders": Count, "Submitted orders the simulator no longer knows.";
    StateMismatches = "state_mismatches": Count, "Orders whose final state differs from the events.";
    EventsMissing = "events_missing": Count, "Tracked orders with no terminal event seen.";
    CountDifferences = "count_differences": Count, "Outcomes whose count differs from the simulator's.";
    Retries = "retries": Count, "Forward element steps the layers' retry policies tried again.";
    RetriesExhausted = "retries_exhausted": Count, "Forward steps that failed their last try.";
}

/// A comparison.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// `<`
    Less,
    /// `<=`
    LessOrEqual,
    /// `>`
    Greater,
    /// `>=`
    GreaterOrEqual,
    /// `==`
    Equal,
    /// `!=`
    NotEqual,
}

impl Comparison {
    const SYMBOLS: [(&'static str, Comparison); 6] = [
        ("<=", Comparison::LessOrEqual),
        (">=", Comparison::GreaterOrEqual),
        ("==", Comparison::Equal),
        ("!=", Comparison::NotEqual),
        ("<", Comparison::Less),
        (">", Comparison::Greater),
    ];

    /// Its symbol.
    pub fn symbol(self) -> &'static str {
        Comparison::SYMBOLS
            .iter()
            .find(|(_, c)| *c == self)
            .map_or("?", |(s, _)| s)
    }

    /// Whether `actual <op> limit` holds.
    pub fn holds(self, actual: f64, limit: f64) -> bool {
        match self {
            Comparison::Less => actual < limit,
            Comparison::LessOrEqual => actual <= limit,
            Comparison::Greater => actual > limit,
            Comparison::GreaterOrEqual => actual >= limit,
            Comparison::Equal => (actual - limit).abs() < 1e-9,
            Comparison::NotEqual => (actual - limit).abs() >= 1e-9,
        }
    }
}

/// One parsed threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    /// What it measures.
    pub metric: Metric,
    /// How it compares.
    pub comparison: Comparison,
    /// The limit in the metric's base unit: milliseconds, a fraction, or a count.
    pub limit: f64,
    /// The text as written.
    pub text: String,
    /// Skipped rather than failed when its metric was not measured.
    pub optional: bool,
    /// Added by loadgen ([`IMPLICIT`]), not written in the scenario.
    pub implicit: bool,
    /// The operation kind it is about (`e2e_p99{op=modify_speed}`), or the whole mix.
    pub operation: Option<&'static str>,
}

impl Metric {
    /// Whether it has a value per operation kind: latencies, outcome rates, HTTP errors.
    pub fn per_operation(self) -> bool {
        let latency = self.unit() == Unit::Duration && !self.name().starts_with("event_lag");
        latency
            || matches!(
                self,
                Metric::CompletedRate
                    | Metric::FailedRate
                    | Metric::PartialRate
                    | Metric::RejectedRate
                    | Metric::CancelledRate
                    | Metric::HttpErrors
            )
    }
}

/// Splits `e2e_p99{op=modify_speed}` into the metric name and the operation kind.
fn split_operation(name: &str) -> Result<(&str, Option<&'static str>), String> {
    let Some((metric, rest)) = name.split_once('{') else {
        return Ok((name, None));
    };
    let selector = rest.strip_suffix('}').map(str::trim);
    let operation = selector
        .and_then(|s| s.strip_prefix("op"))
        .map(str::trim_start);
    let operation = operation.and_then(|s| s.strip_prefix('=')).map(str::trim);
    let Some(operation) = operation else {
        return Err(format!(
            "`{name}`: a selector is written {{op=<operation>}}"
        ));
    };
    let known = crate::plan::workload::OperationKind::ALL.map(|kind| kind.name());
    match known.iter().find(|kind| **kind == operation) {
        Some(kind) => Ok((metric.trim(), Some(kind))),
        None => Err(format!(
            "`{operation}` is not an operation; known: {}",
            known.join(", ")
        )),
    }
}

/// The verdict's checks every run makes unless its scenario sets a threshold on the metric.
pub const IMPLICIT: [&str; 5] = [
    "audit_findings == 0",
    "count_differences == 0",
    "lost_orders == 0",
    "state_mismatches == 0",
    "leaks == 0",
];

/// `thresholds` and the [`IMPLICIT`] checks on metrics none of them names (optional).
pub fn with_implicit(thresholds: &[Threshold]) -> Vec<Threshold> {
    let mut all = thresholds.to_vec();
    for text in IMPLICIT {
        let Ok(mut check) = text.parse::<Threshold>() else {
            continue;
        };
        if thresholds.iter().all(|t| t.metric != check.metric) {
            check.optional = true;
            check.implicit = true;
            all.push(check);
        }
    }
    all
}

/// Why a threshold could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdError {
    /// No comparison operator found.
    #[error("`{0}`: expected `metric <op> value` with op one of < <= > >= == !=")]
    NoComparison(String),
    /// The metric is not known.
    #[error("`{name}`: unknown metric; known: {known}")]
    UnknownMetric {
        /// The name written.
        name: String,
        /// The known names.
        known: String,
    },
    /// The `{op=…}` selector is malformed, names no operation, or the metric has no
    /// per-operation value.
    #[error("{0}")]
    BadOperation(String),
    /// The value does not parse or has the wrong unit.
    #[error("`{text}`: {metric} needs {expected}, got `{value}`")]
    BadValue {
        /// The whole threshold.
        text: String,
        /// The metric.
        metric: &'static str,
        /// What the metric needs.
        expected: &'static str,
        /// The value written.
        value: String,
    },
}

impl FromStr for Metric {
    type Err = ThresholdError;

    fn from_str(name: &str) -> Result<Metric, ThresholdError> {
        Metric::ALL
            .iter()
            .copied()
            .find(|m| m.name() == name)
            .ok_or_else(|| ThresholdError::UnknownMetric {
                name: name.to_string(),
                known: Metric::ALL
                    .iter()
                    .map(|m| m.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

impl FromStr for Threshold {
    type Err = ThresholdError;

    fn from_str(text: &str) -> Result<Threshold, ThresholdError> {
        let text = text.trim();
        let (position, symbol, comparison) = Comparison::SYMBOLS
            .iter()
            .filter_map(|(symbol, c)| text.find(symbol).map(|p| (p, *symbol, *c)))
            .min_by_key(|(p, symbol, _)| (*p, usize::MAX - symbol.len()))
            .ok_or_else(|| ThresholdError::NoComparison(text.to_string()))?;
        let (name, operation) =
            split_operation(text[..position].trim()).map_err(ThresholdError::BadOperation)?;
        let metric: Metric = name.parse()?;
        if operation.is_some() && !metric.per_operation() {
            return Err(ThresholdError::BadOperation(format!(
                "`{text}`: {} has no per-operation value (latencies, outcome rates and \
                 http_errors have)",
                metric.name()
            )));
        }
        let value = text[position + symbol.len()..].trim();
        let limit = parse_value(metric, value).ok_or_else(|| ThresholdError::BadValue {
            text: text.to_string(),
            metric: metric.name(),
            expected: match metric.unit() {
                Unit::Duration => "a duration such as 250ms or 2s",
                Unit::Ratio => "a percentage such as 1% or a fraction such as 0.01",
                Unit::Count => "a non-negative number",
            },
            value: value.to_string(),
        })?;
        Ok(Threshold {
            metric,
            comparison,
            limit,
            text: text.to_string(),
            optional: false,
            implicit: false,
            operation,
        })
    }
}

fn parse_value(metric: Metric, value: &str) -> Option<f64> {
    let parsed = match metric.unit() {
        Unit::Duration => humantime::parse_duration(value)
            .ok()
            .map(|d: Duration| d.as_secs_f64() * 1_000.0),
        Unit::Ratio => match value.strip_suffix('%') {
            Some(percent) => percent.trim().parse::<f64>().ok().map(|p| p / 100.0),
            None => value.parse::<f64>().ok(),
        },
        Unit::Count => value.parse::<f64>().ok(),
    }?;
    (parsed.is_finite() && parsed >= 0.0).then_some(parsed)
}

impl Metric {
    /// A value of this metric for people: `14.9 ms`, `0.25%`, `3`.
    pub fn format_value(self, value: f64) -> String {
        match self.unit() {
            Unit::Duration => format!("{value:.1} ms"),
            Unit::Ratio => format!("{:.2}%", value * 100.0),
            Unit::Count => format!("{value}"),
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations_percentages_and_counts() {
        let t: Threshold = "e2e_p99 < 2s".parse().unwrap();
        assert_eq!(t.metric, Metric::E2eP99);
        assert_eq!(t.comparison, Comparison::Less);
        assert!((t.limit - 2_000.0).abs() < 1e-9);
        let t: Threshold = "failed_rate<=1.5%".parse().unwrap();
        assert_eq!(t.comparison, Comparison::LessOrEqual);
        assert!((t.limit - 0.015).abs() < 1e-12);
        let t: Threshold = " leaks == 0 ".parse().unwrap();
        assert_eq!(
            (t.metric, t.comparison, t.limit),
            (Metric::Leaks, Comparison::Equal, 0.0)
        );
        let t: Threshold = "submit_p50 >= 250ms".parse().unwrap();
        assert_eq!(t.comparison, Comparison::GreaterOrEqual);
        assert!((t.limit - 250.0).abs() < 1e-9);
    }

    #[test]
    fn bad_input_is_an_error_that_says_why() {
        assert!(matches!(
            "e2e_p99 2s".parse::<Threshold>(),
            Err(ThresholdError::NoComparison(_))
        ));
        let error = "e2e_p98 < 2s".parse::<Threshold>().unwrap_err();
        assert!(error.to_string().contains("unknown metric"));
        assert!(matches!(
            "e2e_p99 < 1%".parse::<Threshold>(),
            Err(ThresholdError::BadValue { .. })
        ));
        assert!(matches!(
            "leaks == -1".parse::<Threshold>(),
            Err(ThresholdError::BadValue { .. })
        ));
        assert!(matches!(
            "failed_rate < lots".parse::<Threshold>(),
            Err(ThresholdError::BadValue { .. })
        ));
        assert!("".parse::<Threshold>().is_err());
    }

    #[test]
    fn implicit_checks_fill_in_only_the_metrics_not_named() {
        let written: Vec<Threshold> = vec!["audit_findings < 3".parse().unwrap()];
        let all = with_implicit(&written);
        assert_eq!(all.len(), IMPLICIT.len());
        assert_eq!(all[0], written[0]);
        assert!(all[1..].iter().all(|t| t.implicit && t.optional));
        assert!(
            !all.iter()
                .any(|t| t.implicit && t.metric == Metric::AuditFindings)
        );
    }

    #[test]
    fn a_threshold_can_name_one_operation() {
        let t: Threshold = "e2e_p99{op=modify_speed} < 1s".parse().unwrap();
        assert_eq!(
            (t.metric, t.operation),
            (Metric::E2eP99, Some("modify_speed"))
        );
        let t: Threshold = "failed_rate{ op = delete } < 5%".parse().unwrap();
        assert_eq!(t.operation, Some("delete"));
        let unknown = "e2e_p99{op=teleport} < 1s"
            .parse::<Threshold>()
            .unwrap_err();
        assert!(
            unknown.to_string().contains("known: add_fibre"),
            "{unknown}"
        );
        let whole_run = "leaks{op=delete} == 0".parse::<Threshold>().unwrap_err();
        assert!(
            whole_run.to_string().contains("no per-operation value"),
            "{whole_run}"
        );
        assert!("e2e_p99{delete} < 1s".parse::<Threshold>().is_err());
    }

    #[test]
    fn comparisons_hold_as_written() {
        assert!(Comparison::Less.holds(1.0, 2.0));
        assert!(!Comparison::Less.holds(2.0, 2.0));
        assert!(Comparison::Equal.holds(0.0, 0.0));
        assert!(Comparison::NotEqual.holds(1.0, 0.0));
        assert!(Comparison::GreaterOrEqual.holds(2.0, 2.0));
    }
}
