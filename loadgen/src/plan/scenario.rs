//! Scenario files: one TOML file describes a whole experiment.
//!
//! The simulator's sections (`name`, `description`, `seed`, `[chain]`, `[limits]`,
//! `[network]`, `[profiles]`, `[catalog]`) are kept as opaque TOML and handed whole to the
//! simulator in embedded mode; loadgen reads `[load]` and `[thresholds]` itself. Unknown keys
//! are errors, and every error names the file, the line and what is wrong.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use simulator::network::faults::FaultSpec;

use crate::plan::schedule::{RATE_PER_S_MAX, Schedule, Stage};
use crate::plan::workload::{CancelDelay, Mix};
use crate::report::thresholds::Threshold;

/// Why a scenario could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Read {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid scenario.
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

/// The file as written; see `scenarios/README.md` for every key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    name: Option<String>,
    #[serde(default)]
    description: String,
    seed: Option<u64>,
    chain: Option<toml::Value>,
    limits: Option<toml::Value>,
    network: Option<toml::Value>,
    profiles: Option<toml::Value>,
    catalog: Option<toml::Value>,
    faults: Option<toml::Value>,
    load: LoadSection,
    #[serde(default)]
    thresholds: ThresholdsSection,
    #[serde(default)]
    variants: Vec<crate::plan::variant::VariantSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThresholdsSection {
    #[serde(default)]
    checks: Vec<Spanned<String>>,
    /// Checks skipped, not failed, when their metric could not be measured.
    #[serde(default)]
    optional: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoadSection {
    #[serde(default)]
    model: ModelKind,
    rate: Option<Spanned<f64>>,
    duration: Option<Spanned<String>>,
    #[serde(default)]
    stages: Vec<StageSection>,
    users: Option<Spanned<u32>>,
    think_time: Option<Spanned<String>>,
    orders: Option<u64>,
    warmup: Option<Spanned<String>>,
    #[serde(default)]
    track: Track,
    poll_interval: Option<Spanned<String>>,
    drain_timeout: Option<Spanned<String>>,
    request_timeout: Option<Spanned<String>>,
    late_threshold: Option<Spanned<String>>,
    in_flight_max: Option<usize>,
    outside_checks_max: Option<usize>,
    #[serde(default)]
    mix: Option<Spanned<Mix>>,
    #[serde(default)]
    cancel_delay: CancelDelay,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StageSection {
    duration: Spanned<String>,
    rate: Option<f64>,
    from: Option<f64>,
    to: Option<f64>,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ModelKind {
    #[default]
    Open,
    Closed,
}

/// How loadgen learns that an order reached a terminal state.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Track {
    /// Through a TMF hub callback that loadgen registers on its own listener.
    #[default]
    Events,
    /// By polling each open order.
    Poll,
}

/// The load model.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadModel {
    /// Sends at scheduled instants, whatever the server does.
    Open {
        /// The intended send instants.
        schedule: Schedule,
    },
    /// `users` virtual users, each submitting, waiting for the terminal state, then thinking.
    Closed {
        /// How many users.
        users: u32,
        /// Pause between a user's orders.
        think_time: Duration,
        /// How long the users run.
        duration: Duration,
    },
}

/// The validated load half of a scenario.
#[derive(Clone, Debug)]
pub struct LoadPlan {
    /// Open or closed.
    pub model: LoadModel,
    /// Stop after this many orders (in addition to the duration).
    pub orders_max: Option<u64>,
    /// Orders intended before this offset are excluded from the results.
    pub warmup: Duration,
    /// Events or polling.
    pub track: Track,
    /// Polling period with `track = "poll"`.
    pub poll_interval: Duration,
    /// Longest wait for open orders to finish after the load.
    pub drain_timeout: Duration,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// A send started later than this after its intended instant counts as late.
    pub late_threshold: Duration,
    /// Requests in flight at once; sends beyond wait (and count against latency).
    pub in_flight_max: usize,
    /// Sends that may wait for an in-flight slot; beyond that they are dropped and counted.
    /// `in_flight_max` for `loadgen run`; `loadgen compare` sets 0, so that every send leaves
    /// on its intended instant or is dropped (a sync chain answers slowly by design).
    pub waiting_max: usize,
    /// Orders checked one by one through the public API after the run.
    pub outside_checks_max: usize,
    /// The operation mix.
    pub mix: Mix,
    /// Delay between an order's acknowledgement and its cancel request.
    pub cancel_delay: CancelDelay,
}

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Short name (reports are filed under it).
    pub name: String,
    /// What it shows.
    pub description: String,
    /// The run's seed (simulator and workload).
    pub seed: u64,
    /// The file it came from.
    pub file: String,
    /// The simulator's sections, whole, for embedded mode.
    pub simulator: toml::Table,
    /// The file's text with `[[variants]]` blanked out (the simulator parses and validates it
    /// itself in embedded mode; lines are kept so its errors name the file's lines).
    pub text: String,
    /// Region names with fibre (OLTs) and with DSL (DSLAMs), for order payloads.
    pub regions: Regions,
    /// The load.
    pub load: LoadPlan,
    /// Pass/fail thresholds.
    pub thresholds: Vec<Threshold>,
    /// The fault timeline, by start (applied through `/admin/faults` during the load), as
    /// declared; [`Scenario::fault_timeline`] is what a run applies.
    pub faults: Vec<FaultSpec>,
    /// Whether a run draws the faults' `vary` knobs from its seed (`--vary-faults`, sweeps).
    pub vary_faults: bool,
    /// `[[faults]]` entries of kind `crash`, by start: a layer restarted without its state.
    pub crashes: Vec<Crash>,
    /// `[[variants]]`, for `loadgen compare` (`loadgen run` ignores them).
    pub variants: Vec<crate::plan::variant::Variant>,
}

/// Which regions can take which technology.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Regions {
    /// Regions with at least one OLT.
    pub fibre: Vec<String>,
    /// Regions with at least one DSLAM.
    pub dsl: Vec<String>,
}

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        file: file.clone(),
        source,
    })?;
    let stem = path.file_stem().map_or_else(
        || "scenario".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    parse(&text, &file, &stem)
}

/// Parses a scenario from text; `file` names it in errors, `default_name` is used without `name`.
pub fn parse(text: &str, file: &str, default_name: &str) -> Result<Scenario, ScenarioError> {
    let invalid = |span: Option<std::ops::Range<usize>>, message: String| {
        let (line, column) = line_column(text, span.map_or(0, |s| s.start));
        ScenarioError::Invalid {
            file: file.to_string(),
            line,
            column,
            message,
        }
    };
    let parsed: ScenarioFile =
        toml::from_str(text).map_err(|e| invalid(e.span(), e.message().trim().to_string()))?;
    let simulator = simulator_table(&parsed);
    let regions = regions_of(parsed.network.as_ref());
    let section = &parsed.thresholds;
    let required = section.checks.iter().map(|check| (check, false));
    let optional = section.optional.iter().map(|check| (check, true));
    let thresholds = required
        .chain(optional)
        .map(|(check, optional)| {
            let parsed = check.get_ref().parse::<Threshold>();
            let threshold = parsed.map_err(|e| invalid(Some(check.span()), e.to_string()))?;
            Ok(Threshold {
                optional,
                ..threshold
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let load = load_plan(parsed.load, &invalid)?;
    let (faults, crashes) = fault_timeline(text, &invalid)?;
    check_base(text, file)?;
    let line_of = |offset: usize| line_column(text, offset).0;
    let variants = crate::plan::variant::validate(parsed.variants, &simulator, &line_of)
        .map_err(|(span, message)| invalid(span, message))?;
    Ok(Scenario {
        name: parsed.name.unwrap_or_else(|| default_name.to_string()),
        description: parsed.description,
        seed: parsed.seed.unwrap_or(1),
        file: file.to_string(),
        simulator,
        text: blank_crashes(&crate::plan::variant::blank_variants(text)),
        regions,
        load,
        thresholds,
        faults,
        vary_faults: false,
        crashes,
        variants,
    })
}

/// Checks the simulator's part of the scenario without its variants, as the simulator will
/// read it, so that a refused value is reported at its own line, never at a variant's that
/// merely overrides something beside it.
fn check_base(text: &str, file: &str) -> Result<(), ScenarioError> {
    use simulator::config::{ConfigError, SimConfig};
    let base = blank_crashes(&crate::plan::variant::blank_variants(text));
    let error = match SimConfig::from_toml_str(&base, file) {
        Ok(_) => return Ok(()),
        Err(error) => error,
    };
    let ((line, column), message) = match error {
        ConfigError::Syntax {
            line,
            column,
            message,
            ..
        } => ((line, column), message),
        ConfigError::Invalid {
            at, key, message, ..
        } => (at.unwrap_or((1, 1)), format!("{key}: {message}")),
        other => ((1, 1), other.to_string()),
    };
    Err(ScenarioError::Invalid {
        file: file.to_string(),
        line,
        column,
        message,
    })
}

/// A `[[faults]]` entry of kind `crash`: `name`, `at`, `kind = "crash"`, `on = "role:rom"`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crash {
    /// Its name.
    pub name: String,
    /// When the layer crashes, after the start of the run.
    pub at: simulator::network::faults::HumanDuration,
    /// Always `crash`.
    pub kind: CrashKind,
    /// The role whose layer restarts without its state: `role:com|som|rom|activation`.
    pub on: String,
}

impl Crash {
    /// The layer it restarts (validated at parse time).
    pub fn layer(&self) -> &str {
        crate::drive::faults::crash_layer(&self.on).unwrap_or_default()
    }
}

/// The one kind of a [`Crash`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CrashKind {
    /// A layer restarted without its state.
    Crash,
}

/// One `[[faults]]` entry: a crash, or a network fault.
#[derive(Deserialize)]
#[serde(untagged)]
enum Entry {
    Crash(Crash),
    Fault(Box<FaultSpec>),
}

/// The `[[faults]]` timeline, read a second time with spans so that errors name the entry's
/// line; each entry is checked as the simulator will (its target's names are checked by the
/// simulator when loadgen applies it). Crashes come apart, sorted by start too.
fn fault_timeline(
    text: &str,
    invalid: &Invalid<'_>,
) -> Result<(Vec<FaultSpec>, Vec<Crash>), ScenarioError> {
    #[derive(Deserialize)]
    struct Timeline {
        #[serde(default)]
        faults: Vec<Spanned<Entry>>,
    }
    #[derive(Deserialize)]
    struct Faults {
        #[serde(default)]
        _faults: Vec<Spanned<FaultSpec>>,
    }
    // An entry that is neither: the network fault's own error says what is wrong with it.
    let timeline: Timeline = toml::from_str(text).map_err(|e| {
        let typed = toml::from_str::<toml::Table>(text).ok().and_then(|table| {
            let faults = table.get("faults")?.clone();
            let wrapped = toml::Table::from_iter([("_faults".to_string(), faults)]);
            toml::from_str::<Faults>(&wrapped.to_string()).err()
        });
        match typed {
            Some(error) => invalid(e.span(), error.message().trim().to_string()),
            None => invalid(e.span(), e.message().trim().to_string()),
        }
    })?;
    let mut names = std::collections::BTreeSet::new();
    let mut faults = Vec::with_capacity(timeline.faults.len());
    let mut crashes = Vec::new();
    for spanned in timeline.faults {
        let span = spanned.span();
        let name = match spanned.into_inner() {
            Entry::Crash(crash) => {
                crate::drive::faults::crash_layer(&crash.on).map_err(|e| {
                    invalid(Some(span.clone()), format!("fault `{}`: {e}", crash.name))
                })?;
                let name = crash.name.clone();
                crashes.push(crash);
                name
            }
            Entry::Fault(spec) => {
                spec.to_fault(simulator::domain::time::Time::ZERO)
                    .map_err(|e| {
                        invalid(Some(span.clone()), format!("fault `{}`: {e}", spec.name))
                    })?;
                let name = spec.name.clone();
                faults.push(*spec);
                name
            }
        };
        if !names.insert(name.clone()) {
            let message = format!("fault name `{name}` is used twice");
            return Err(invalid(Some(span), message));
        }
    }
    faults.sort_by_key(|spec| spec.at);
    crashes.sort_by_key(|crash| crash.at);
    Ok((faults, crashes))
}

type Invalid<'a> = dyn Fn(Option<std::ops::Range<usize>>, String) -> ScenarioError + 'a;

fn load_plan(load: LoadSection, invalid: &Invalid<'_>) -> Result<LoadPlan, ScenarioError> {
    let duration = |value: &Option<Spanned<String>>, default: Duration| match value {
        None => Ok(default),
        Some(spanned) => humantime::parse_duration(spanned.get_ref()).map_err(|e| {
            invalid(
                Some(spanned.span()),
                format!("`{}` is not a duration: {e}", spanned.get_ref()),
            )
        }),
    };
    let model = match load.model {
        ModelKind::Open => LoadModel::Open {
            schedule: open_schedule(&load, invalid)?,
        },
        ModelKind::Closed => {
            let users = load
                .users
                .as_ref()
                .ok_or_else(|| invalid(None, "[load] model = \"closed\" needs `users`".into()))?;
            if *users.get_ref() == 0 || *users.get_ref() > 100_000 {
                return Err(invalid(
                    Some(users.span()),
                    "users must be 1..=100000".into(),
                ));
            }
            let Some(length) = load.duration.as_ref() else {
                return Err(invalid(
                    None,
                    "[load] model = \"closed\" needs `duration`".into(),
                ));
            };
            LoadModel::Closed {
                users: *users.get_ref(),
                think_time: duration(&load.think_time, Duration::ZERO)?,
                duration: duration(&Some(length.clone()), Duration::ZERO)?,
            }
        }
    };
    let in_flight_max = load.in_flight_max.unwrap_or(4_096);
    if !(1..=1_000_000).contains(&in_flight_max) {
        return Err(invalid(
            None,
            "[load] in_flight_max must be 1..=1000000".into(),
        ));
    }
    let mix = match load.mix {
        None => Mix::default(),
        Some(spanned) => {
            let span = spanned.span();
            let mix = spanned.into_inner();
            mix.validate().map_err(|m| invalid(Some(span), m))?;
            mix
        }
    };
    let warmup = duration(&load.warmup, Duration::ZERO)?;
    let length = match &model {
        LoadModel::Open { schedule } => schedule.duration(),
        LoadModel::Closed { duration, .. } => *duration,
    };
    if let Some(spanned) = load.warmup.as_ref().filter(|_| warmup >= length) {
        return Err(invalid(
            Some(spanned.span()),
            format!(
                "warmup `{}` is not shorter than the load ({}): nothing would be measured",
                spanned.get_ref(),
                humantime::format_duration(length)
            ),
        ));
    }
    Ok(LoadPlan {
        model,
        orders_max: load.orders,
        warmup,
        track: load.track,
        poll_interval: duration(&load.poll_interval, Duration::from_millis(100))?,
        drain_timeout: duration(&load.drain_timeout, Duration::from_secs(30))?,
        request_timeout: duration(&load.request_timeout, Duration::from_secs(30))?,
        late_threshold: duration(&load.late_threshold, Duration::from_millis(10))?,
        in_flight_max,
        waiting_max: in_flight_max,
        outside_checks_max: load.outside_checks_max.unwrap_or(1_000),
        mix,
        cancel_delay: load.cancel_delay,
    })
}

fn open_schedule(load: &LoadSection, invalid: &Invalid<'_>) -> Result<Schedule, ScenarioError> {
    let parse_duration = |spanned: &Spanned<String>| {
        humantime::parse_duration(spanned.get_ref()).map_err(|e| {
            invalid(
                Some(spanned.span()),
                format!("`{}` is not a duration: {e}", spanned.get_ref()),
            )
        })
    };
    let positive = |spanned: &Spanned<String>, duration: Duration| {
        if duration.is_zero() {
            return Err(invalid(
                Some(spanned.span()),
                format!("duration `{}`: must be more than 0", spanned.get_ref()),
            ));
        }
        Ok(duration)
    };
    let mut stages = Vec::new();
    if let Some(rate) = &load.rate {
        let Some(length) = &load.duration else {
            return Err(invalid(Some(rate.span()), "`rate` needs `duration`".into()));
        };
        if !load.stages.is_empty() {
            return Err(invalid(
                Some(rate.span()),
                "give `rate` or `stages`, not both".into(),
            ));
        }
        let rate_per_s = *rate.get_ref();
        if !(rate_per_s.is_finite() && rate_per_s > 0.0 && rate_per_s <= RATE_PER_S_MAX) {
            return Err(invalid(
                Some(rate.span()),
                format!(
                    "rate {rate_per_s}: must be more than 0 and at most {RATE_PER_S_MAX} orders/s"
                ),
            ));
        }
        stages.push(Stage::Constant {
            rate_per_s,
            duration: positive(length, parse_duration(length)?)?,
        });
    }
    for stage in &load.stages {
        let duration = positive(&stage.duration, parse_duration(&stage.duration)?)?;
        let span = Some(stage.duration.span());
        let rates = [stage.rate, stage.from, stage.to];
        if let Some(bad) = rates
            .into_iter()
            .flatten()
            .find(|rate| !(rate.is_finite() && (0.0..=RATE_PER_S_MAX).contains(rate)))
        {
            return Err(invalid(
                span,
                format!("this stage's rate {bad}: must be 0 to {RATE_PER_S_MAX} orders/s"),
            ));
        }
        stages.push(match (stage.rate, stage.from, stage.to) {
            (Some(rate_per_s), None, None) => Stage::Constant {
                rate_per_s,
                duration,
            },
            (None, Some(rate_from_per_s), Some(rate_to_per_s)) => Stage::Ramp {
                rate_from_per_s,
                rate_to_per_s,
                duration,
            },
            _ => {
                return Err(invalid(
                    span,
                    "a stage has either `rate` or both `from` and `to`".into(),
                ));
            }
        });
    }
    if stages.is_empty() {
        return Err(invalid(
            None,
            "[load] needs `rate` and `duration`, or `stages`".into(),
        ));
    }
    let schedule = Schedule::new(stages).map_err(|e| invalid(None, format!("[load] {e}")))?;
    if schedule.sends_total() == 0 {
        let span = load.stages.first().map(|stage| stage.duration.span());
        return Err(invalid(span, "[load] these stages send no order".into()));
    }
    Ok(schedule)
}

/// `text` with each `[[faults]]` entry of kind `crash` blanked (loadgen fires crashes; the
/// simulator's configuration knows only network faults), lines kept so errors name the same.
fn blank_crashes(text: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(text.len());
    let mut index = 0;
    while index < lines.len() {
        let header = lines[index].trim_start().starts_with('[');
        let end = (index + 1..lines.len())
            .find(|&i| lines[i].trim_start().starts_with('['))
            .unwrap_or(lines.len());
        let block = &lines[index..end];
        let crash = header
            && lines[index].trim().replace(' ', "") == "[[faults]]"
            && block.iter().any(|line| {
                let line = line.trim().replace(' ', "");
                line == "kind=\"crash\"" || line.starts_with("kind=\"crash\"#")
            });
        for line in block {
            if crash {
                out.extend(line.ends_with('\n').then_some('\n'));
            } else {
                out.push_str(line);
            }
        }
        index = end;
    }
    out
}

/// The `[[faults]]` entries the simulator takes: every one but the crashes (loadgen's).
fn network_faults(faults: Option<&toml::Value>) -> Option<toml::Value> {
    let Some(toml::Value::Array(entries)) = faults else {
        return faults.cloned();
    };
    let is_crash =
        |entry: &toml::Value| entry.get("kind").and_then(toml::Value::as_str) == Some("crash");
    Some(toml::Value::Array(
        entries.iter().filter(|e| !is_crash(e)).cloned().collect(),
    ))
}

fn simulator_table(file: &ScenarioFile) -> toml::Table {
    let mut table = toml::Table::new();
    if let Some(name) = &file.name {
        table.insert("name".into(), toml::Value::String(name.clone()));
    }
    table.insert(
        "description".into(),
        toml::Value::String(file.description.clone()),
    );
    if let Some(seed) = file.seed {
        table.insert("seed".into(), toml::Value::Integer(seed as i64));
    }
    let sections = [
        ("chain", &file.chain),
        ("limits", &file.limits),
        ("network", &file.network),
        ("profiles", &file.profiles),
        ("catalog", &file.catalog),
        ("faults", &network_faults(file.faults.as_ref())),
    ];
    for (key, value) in sections {
        if let Some(value) = value {
            table.insert(key.into(), value.clone());
        }
    }
    table
}

fn regions_of(network: Option<&toml::Value>) -> Regions {
    let Some(regions) = network
        .and_then(|n| n.get("regions"))
        .and_then(toml::Value::as_array)
    else {
        return Regions {
            fibre: vec!["north".into()],
            dsl: vec!["north".into()],
        };
    };
    let mut result = Regions::default();
    for region in regions {
        let Some(name) = region.get("name").and_then(toml::Value::as_str) else {
            continue;
        };
        let has = |key: &str| {
            region
                .get(key)
                .and_then(toml::Value::as_array)
                .is_some_and(|a| !a.is_empty())
        };
        if has("olts") {
            result.fibre.push(name.to_string());
        }
        if has("dslams") {
            result.dsl.push(name.to_string());
        }
    }
    result
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl Scenario {
    /// The fault timeline of this run, by start; with `vary_faults`, each fault's `vary` knobs
    /// drawn for the run's seed (the same seed, the same values).
    pub fn fault_timeline(&self) -> Vec<FaultSpec> {
        let draw = |fault: &FaultSpec| match self.vary_faults {
            true => fault.drawn(self.seed),
            false => fault.clone(),
        };
        let mut faults: Vec<FaultSpec> = self.faults.iter().map(draw).collect();
        faults.sort_by_key(|spec| spec.at);
        faults
    }

    /// Applies the command line's overrides.
    pub fn override_with(
        &mut self,
        seed: Option<u64>,
        rate_per_s: Option<f64>,
        duration: Option<Duration>,
    ) -> Result<(), crate::plan::schedule::ScheduleError> {
        if let Some(seed) = seed {
            self.seed = seed;
            self.simulator
                .insert("seed".into(), toml::Value::Integer(seed as i64));
        }
        match &mut self.load.model {
            LoadModel::Open { schedule } => {
                let length = duration.unwrap_or_else(|| schedule.duration());
                if let Some(rate) = rate_per_s {
                    *schedule = Schedule::constant(rate, length)?;
                } else if duration.is_some() {
                    *schedule = schedule.with_duration(length)?;
                }
            }
            LoadModel::Closed {
                duration: length, ..
            } => {
                if let Some(d) = duration {
                    *length = d;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "name = \"t\"\n[load]\nrate = 10\nduration = \"2s\"\n";

    #[test]
    fn crash_entries_are_blanked_for_the_simulator_and_kept_for_loadgen() {
        let text = "seed = 1\n[[faults]]\nname = \"c\"\nat = \"2s\"\nkind = \"crash\"\non = \"role:rom\"\n\n[load]\nrate = 1\nduration = \"1s\"\n";
        let blanked = blank_crashes(text);
        assert!(
            blanked.starts_with("seed = 1\n\n\n\n\n\n\n[load]\n"),
            "{blanked}"
        );
        let bad = text.replace("role:rom", "role:network");
        let error = parse(&bad, "s.toml", "s").expect_err("network cannot crash");
        assert!(error.to_string().contains("s.toml:2:"), "{error}");
    }

    #[test]
    fn a_load_that_measures_nothing_is_refused_at_its_line_and_column() {
        let cases = [
            (
                "rate = 0\nduration = \"2s\"",
                "t.toml:3:8:",
                "must be more than 0",
            ),
            (
                "rate = -5\nduration = \"2s\"",
                "t.toml:3:8:",
                "must be more than 0",
            ),
            (
                "rate = 10\nduration = \"0s\"",
                "t.toml:4:12:",
                "must be more than 0",
            ),
            (
                "rate = 10\nduration = \"2s\"\nwarmup = \"2s\"",
                "t.toml:5:10:",
                "not shorter than the load",
            ),
            (
                "stages = [{ duration = \"2s\", rate = 0.0 }]",
                "t.toml:3:",
                "send no order",
            ),
        ];
        for (load, place, says) in cases {
            let text = format!("name = \"t\"\n[load]\n{load}\n");
            let error = parse(&text, "t.toml", "t").expect_err(load).to_string();
            assert!(error.starts_with(place), "{load}: {error}");
            assert!(error.contains(says), "{load}: {error}");
        }
    }

    #[test]
    fn a_minimal_scenario_parses_with_defaults() {
        let scenario = parse(MINIMAL, "t.toml", "t").unwrap();
        assert_eq!(scenario.name, "t");
        assert_eq!(scenario.seed, 1);
        assert_eq!(scenario.regions.fibre, vec!["north".to_string()]);
        let LoadModel::Open { schedule } = &scenario.load.model else {
            panic!("open model expected");
        };
        assert_eq!(schedule.sends_total(), 20);
    }

    #[test]
    fn fault_knobs_asked_to_vary_are_drawn_per_seed() {
        let faults = "[[faults]]\nname = \"silent\"\nat = \"5s\"\ntarget = \"activation\"\n\
                      kind = { type = \"black_hole\", probability = 0.3 }\n\
                      vary = { probability = [0.1, 0.6], at_s = [2.0, 9.0] }\n";
        let mut scenario = parse(&format!("{MINIMAL}{faults}"), "v.toml", "v").unwrap();
        assert_eq!(
            scenario.fault_timeline(),
            scenario.faults,
            "declared values by default"
        );
        scenario.vary_faults = true;
        let draws: Vec<_> = (1..=8)
            .map(|seed| {
                scenario.seed = seed;
                scenario.fault_timeline()
            })
            .collect();
        scenario.seed = 1;
        assert_eq!(
            scenario.fault_timeline(),
            draws[0],
            "the same seed draws the same"
        );
        assert!(
            draws.windows(2).any(|w| w[0] != w[1]),
            "seeds draw differently"
        );
        let at = draws[3][0].at.0;
        assert!(
            at >= Duration::from_secs(2) && at <= Duration::from_secs(9),
            "{at:?}"
        );
        let wrong = faults.replace("probability = [0.1, 0.6]", "reboot_ms = [0.0, 10.0]");
        let error = parse(&format!("{MINIMAL}{wrong}"), "w.toml", "w").unwrap_err();
        assert!(error.to_string().contains("vary.reboot_ms"), "{error}");
    }

    #[test]
    fn unknown_keys_name_file_and_line() {
        let text = format!("{MINIMAL}rate_typo = 3\n");
        let error = parse(&text, "x.toml", "x").unwrap_err().to_string();
        assert!(error.starts_with("x.toml:5:"), "{error}");
        assert!(error.contains("rate_typo"), "{error}");
    }

    #[test]
    fn bad_durations_and_thresholds_name_their_line() {
        let text = "[load]\nrate = 10\nduration = \"2 parsecs\"\n";
        let error = parse(text, "d.toml", "d").unwrap_err().to_string();
        assert!(error.starts_with("d.toml:3:"), "{error}");
        let text = format!("{MINIMAL}[thresholds]\nchecks = [\"e2e_p99 < 2\"]\n");
        let error = parse(&text, "h.toml", "h").unwrap_err().to_string();
        assert!(error.starts_with("h.toml:6:"), "{error}");
        assert!(error.contains("duration"), "{error}");
    }

    #[test]
    fn values_the_simulator_refuses_name_their_own_line_and_column() {
        let refused = |extra: &str| {
            let text = format!("{MINIMAL}{extra}");
            parse(&text, "s.toml", "s").unwrap_err().to_string()
        };
        let error = refused("[profiles.default]\nfailure_probability = 1.5\n");
        assert!(
            error.starts_with("s.toml:6:23: profiles.default.failure_probability"),
            "{error}"
        );
        let fault = "[[faults]]\nname = \"x\"\nat = \"1s\"\nduration = \"1s\"\n\
            target = \"olt:olt-nowhere\"\nkind = { type = \"outage\", reboot_ms = 0 }\n";
        let error = refused(fault);
        assert!(
            error.starts_with("s.toml:9:10: faults[0].target"),
            "{error}"
        );
        assert!(error.contains("no OLT named `olt-nowhere`"), "{error}");
        // A base value a variant does not touch is blamed on its own line, not the variant's.
        let variants = "[chain]\nworkers = 0\n[[variants]]\nname = \"sync\"\n\
            chain = { mode = \"sync\" }\n";
        let error = refused(variants);
        assert!(error.starts_with("s.toml:6:11: chain.workers"), "{error}");
    }

    #[test]
    fn overrides_replace_rate_duration_and_seed() {
        let mut scenario = parse(MINIMAL, "t.toml", "t").unwrap();
        scenario
            .override_with(Some(9), Some(100.0), Some(Duration::from_secs(3)))
            .unwrap();
        assert_eq!(scenario.seed, 9);
        assert_eq!(
            scenario.simulator.get("seed"),
            Some(&toml::Value::Integer(9))
        );
        let LoadModel::Open { schedule } = &scenario.load.model else {
            panic!("open model expected");
        };
        assert_eq!(schedule.sends_total(), 300);
    }
}
