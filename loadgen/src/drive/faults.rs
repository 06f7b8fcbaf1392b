//! Faults from loadgen's side: the scenario's `[[faults]]` timeline applied through the
//! simulator's `/admin/faults` during the load, a watcher that records every fault the
//! simulator holds (the timeline's and any added by hand with `loadgen fault add`), the fault
//! windows and the orders each fault hit for the report, and the `loadgen fault` commands.
//!
//! Times are seconds since the schedule's start, the same axis as the report's series.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use simulator::network::faults::{FaultKind, FaultSpec};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::drive::client::{ClientError, TmfClient};
use crate::report::model::{FaultInfo, HitOrder};

/// How often the watcher reads `/admin/faults` during a run.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(500);

/// Most orders hit by faults that are looked up after the run (their final state).
pub const HIT_ORDERS_MAX: usize = 200;

/// Most faults the watcher remembers in one run.
pub const WATCHED_FAULTS_MAX: usize = 1_024;

/// The REST body of a timeline entry (`PUT /admin/faults/{name}`).
pub fn rest_body(spec: &FaultSpec) -> Value {
    let mut body = json!({
        "target": spec.target,
        "kind": spec.kind,
    });
    if let Some(operations) = &spec.operations {
        body["operations"] = json!(operations);
    }
    if let Some(duration) = spec.duration {
        body["durationMs"] = json!(u64::try_from(duration.0.as_millis()).unwrap_or(u64::MAX));
    }
    body
}

/// A fault the watcher saw: when first and last, and its last JSON (as `/admin/faults` lists
/// it).
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    first_s: f64,
    last_s: f64,
    status: Value,
}

/// Where and when each timeline entry was applied (seconds), or why not.
pub(crate) type AppliedAt<'a> = dyn Fn(&str) -> Option<(f64, Option<String>)> + 'a;

/// The report's fault windows: each timeline entry (as applied, or why not) and each fault
/// the watcher saw that the timeline does not name (added by hand), with the orders it hit
/// (their states still to be filled in).
pub(crate) fn windows(
    timeline: &[FaultSpec],
    seen: &BTreeMap<String, Seen>,
    applied: &AppliedAt<'_>,
    load_end_s: f64,
) -> Vec<FaultInfo> {
    let mut faults: Vec<FaultInfo> = Vec::new();
    for spec in timeline {
        let applied = applied(&spec.name);
        let start_s = applied.as_ref().map_or(spec.at.0.as_secs_f64(), |a| a.0);
        let planned = spec
            .duration
            .map(|d| start_s + d.0.as_secs_f64() + reboot_s(&spec.kind));
        let mut info = window(&spec.name, seen.get(&spec.name), start_s);
        info.source = "timeline".into();
        info.target = spec.target.to_string();
        info.kind = spec.kind.as_str().into();
        info.end_s = Some(planned.map_or(load_end_s, |end| end.min(load_end_s)));
        info.applied = applied.as_ref().is_some_and(|a| a.1.is_none());
        info.error = match applied {
            None => Some("not applied: the load ended first".into()),
            Some((_, error)) => error,
        };
        faults.push(info);
    }
    let names: BTreeSet<&str> = timeline.iter().map(|s| s.name.as_str()).collect();
    for (name, seen) in seen {
        if !names.contains(name.as_str()) {
            let mut info = window(name, Some(seen), seen.first_s);
            info.source = "manual".into();
            info.end_s = Some(seen.last_s);
            faults.push(info);
        }
    }
    faults
}

/// The report's window of each `crash` entry: an instant (a layer restarted without its
/// state), applied when the simulator restarted the layer, with why not otherwise. The orders a
/// crash cost show in the failure breakdown as `childLost`.
pub(crate) fn crash_windows(
    crashes: &[crate::plan::scenario::Crash],
    applied: &AppliedAt<'_>,
) -> Vec<FaultInfo> {
    crashes
        .iter()
        .map(|crash| {
            let applied = applied(&crash.name);
            let start_s = applied.as_ref().map_or(crash.at.0.as_secs_f64(), |a| a.0);
            FaultInfo {
                name: crash.name.clone(),
                source: "timeline".into(),
                target: crash.on.clone(),
                kind: "crash".into(),
                start_s,
                end_s: Some(start_s),
                applied: applied.as_ref().is_some_and(|a| a.1.is_none()),
                error: match applied {
                    None => Some("not applied: the load ended first".into()),
                    Some((_, error)) => error,
                },
                ..FaultInfo::default()
            }
        })
        .collect()
}

/// Counts each fault's hit orders by their (filled in) state.
pub(crate) fn tally_hit_states(faults: &mut [FaultInfo]) {
    for fault in faults {
        fault.orders_hit_by_state = BTreeMap::new();
        for order in &fault.orders_hit {
            *fault
                .orders_hit_by_state
                .entry(order.state.clone())
                .or_default() += 1;
        }
    }
}

/// One timeline entry as applied.
#[derive(Clone, Debug)]
struct Applied {
    at_s: f64,
    error: Option<String>,
}

type SeenTable = Arc<Mutex<BTreeMap<String, Seen>>>;
type AppliedTable = Arc<Mutex<BTreeMap<String, Applied>>>;

/// The timeline and the watcher of one run.
pub struct FaultRun {
    client: TmfClient,
    start: Instant,
    timeline: Vec<FaultSpec>,
    seen: SeenTable,
    applied: AppliedTable,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

fn seconds_since(start: Instant) -> f64 {
    Instant::now()
        .saturating_duration_since(start)
        .as_secs_f64()
}

impl FaultRun {
    /// Starts applying `timeline` (each entry at `start + at`) and watching every fault.
    pub fn start(client: &TmfClient, timeline: &[FaultSpec], start: Instant) -> FaultRun {
        let (stop, stopped) = watch::channel(false);
        let seen: SeenTable = Arc::default();
        let applied: AppliedTable = Arc::default();
        let mut tasks = vec![tokio::spawn(watch_faults(
            client.clone(),
            start,
            seen.clone(),
            stopped.clone(),
        ))];
        if !timeline.is_empty() {
            tasks.push(tokio::spawn(apply_timeline(
                client.clone(),
                timeline.to_vec(),
                start,
                applied.clone(),
                stopped,
            )));
        }
        FaultRun {
            client: client.clone(),
            start,
            timeline: timeline.to_vec(),
            seen,
            applied,
            stop,
            tasks,
        }
    }

    /// At the end of the load: stops the timeline (entries not yet due are not applied),
    /// reads the faults a last time, and removes the timeline's faults still there, so that
    /// the drain and the audit see a healed network. Returns when the load ended.
    pub async fn end_of_load(&mut self) -> f64 {
        let _ = self.stop.send(true);
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
        let end_s = seconds_since(self.start);
        if let Ok(list) = self.client.list_faults().await {
            record(&self.seen, &list, end_s);
        }
        for spec in &self.timeline {
            if let Err(error) = self.client.delete_fault(&spec.name).await {
                tracing::warn!(fault = %spec.name, %error, "could not remove a timeline fault");
            }
        }
        end_s
    }

    /// The fault windows for the report, each with the orders it hit and how they ended.
    pub async fn report(&self, load_end_s: f64) -> Vec<FaultInfo> {
        let seen = self.seen.lock().map(|s| s.clone()).unwrap_or_default();
        let applied = self.applied.lock().map(|a| a.clone()).unwrap_or_default();
        let applied_at = |name: &str| applied.get(name).map(|a| (a.at_s, a.error.clone()));
        let mut faults = windows(&self.timeline, &seen, &applied_at, load_end_s);
        self.look_up_orders(&mut faults).await;
        faults
    }

    /// The final state of each order a fault hit (at most [`HIT_ORDERS_MAX`] in all).
    async fn look_up_orders(&self, faults: &mut [FaultInfo]) {
        let mut budget = HIT_ORDERS_MAX;
        let mut states: BTreeMap<String, String> = BTreeMap::new();
        for fault in faults.iter_mut() {
            for order in &mut fault.orders_hit {
                if let Some(state) = states.get(&order.id) {
                    order.state.clone_from(state);
                    continue;
                }
                if budget == 0 {
                    break;
                }
                budget -= 1;
                let state = match self.client.get_product_order(&order.id).await {
                    Ok(body) => body["state"].as_str().unwrap_or("unknown").to_string(),
                    Err(ClientError::Status { status: 404, .. }) => "evicted".into(),
                    Err(error) => format!("unknown ({})", error.kind()),
                };
                states.insert(order.id.clone(), state.clone());
                order.state = state;
            }
        }
        tally_hit_states(faults);
    }
}

fn reboot_s(kind: &FaultKind) -> f64 {
    match kind {
        FaultKind::Outage { reboot_ms } => *reboot_ms as f64 / 1_000.0,
        _ => 0.0,
    }
}

/// A report entry from what the watcher saw of the fault.
fn window(name: &str, seen: Option<&Seen>, start_s: f64) -> FaultInfo {
    let status = seen.map(|s| &s.status);
    let count = |key: &str| status.and_then(|s| s[key].as_u64()).unwrap_or(0);
    let text = |value: Option<&Value>| value.and_then(Value::as_str).unwrap_or("").to_string();
    let mut ids = BTreeSet::new();
    let orders_hit = status
        .and_then(|s| s["recentHits"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|hit| hit["productOrder"].as_str())
        .filter(|id| ids.insert(id.to_string()))
        .map(|id| HitOrder {
            id: id.to_string(),
            state: String::new(),
        })
        .collect();
    FaultInfo {
        name: name.to_string(),
        source: String::new(),
        target: text(status.map(|s| &s["target"])),
        kind: text(status.map(|s| &s["kind"]["type"])),
        start_s,
        end_s: None,
        applied: seen.is_some(),
        error: None,
        calls_matched: count("callsMatched"),
        calls_affected: count("callsAffected"),
        orders_hit,
        orders_hit_by_state: BTreeMap::new(),
    }
}

/// Records the faults in `list` as seen at `now_s`.
fn record(seen: &SeenTable, list: &[Value], now_s: f64) {
    if let Ok(mut seen) = seen.lock() {
        record_in(&mut seen, list, now_s);
    }
}

/// Records the faults in `list` (as `/admin/faults` lists them) as seen at `now_s`.
pub(crate) fn record_in(seen: &mut BTreeMap<String, Seen>, list: &[Value], now_s: f64) {
    for fault in list {
        let Some(name) = fault["name"].as_str() else {
            continue;
        };
        if let Some(entry) = seen.get_mut(name) {
            entry.last_s = now_s;
            entry.status = fault.clone();
        } else if seen.len() < WATCHED_FAULTS_MAX {
            let entry = Seen {
                first_s: now_s,
                last_s: now_s,
                status: fault.clone(),
            };
            seen.insert(name.to_string(), entry);
        }
    }
}

async fn watch_faults(
    client: TmfClient,
    start: Instant,
    seen: SeenTable,
    mut stopped: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(WATCH_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stopped.changed() => return,
        }
        if let Ok(list) = client.list_faults().await {
            record(&seen, &list, seconds_since(start));
        }
    }
}

/// The crashes of one run: fired at their time through `POST /admin/layers/{layer}/restart`,
/// each recorded for the report's fault windows.
pub struct CrashRun {
    crashes: Vec<crate::plan::scenario::Crash>,
    applied: AppliedTable,
    task: tokio::task::JoinHandle<()>,
}

impl CrashRun {
    /// Starts firing `crashes` at `start + at`.
    pub fn start(
        client: &TmfClient,
        crashes: Vec<crate::plan::scenario::Crash>,
        start: Instant,
    ) -> Self {
        let applied = AppliedTable::default();
        let task = tokio::spawn(apply_crashes(
            client.clone(),
            crashes.clone(),
            start,
            applied.clone(),
        ));
        CrashRun {
            crashes,
            applied,
            task,
        }
    }

    /// The load ended: crashes not yet due are not fired. Returns their report windows.
    pub fn end_of_load(self) -> Vec<FaultInfo> {
        self.task.abort();
        let applied = self.applied.lock().map(|a| a.clone()).unwrap_or_default();
        let applied_at = |name: &str| applied.get(name).map(|a| (a.at_s, a.error.clone()));
        crash_windows(&self.crashes, &applied_at)
    }
}

async fn apply_crashes(
    client: TmfClient,
    crashes: Vec<crate::plan::scenario::Crash>,
    start: Instant,
    applied: AppliedTable,
) {
    for crash in crashes {
        tokio::time::sleep_until(start + crash.at.0).await;
        let outcome = client.restart_layer(crash.layer()).await;
        let error = match outcome {
            Ok(_) => {
                tracing::warn!(crash = %crash.name, layer = crash.layer(), "layer crashed");
                None
            }
            Err(error) => {
                tracing::warn!(crash = %crash.name, %error, "a crash was refused");
                Some(format!("refused: {error}"))
            }
        };
        let at_s = seconds_since(start);
        if let Ok(mut table) = applied.lock() {
            table.insert(crash.name.clone(), Applied { at_s, error });
        }
    }
}

async fn apply_timeline(
    client: TmfClient,
    timeline: Vec<FaultSpec>,
    start: Instant,
    applied: AppliedTable,
    mut stopped: watch::Receiver<bool>,
) {
    for spec in timeline {
        tokio::select! {
            _ = tokio::time::sleep_until(start + spec.at.0) => {}
            _ = stopped.changed() => return,
        }
        let at_s = seconds_since(start);
        let error = client
            .put_fault(&spec.name, &rest_body(&spec))
            .await
            .err()
            .map(|error| error.to_string());
        if let Some(error) = &error {
            tracing::warn!(fault = %spec.name, %error, "a timeline fault was refused");
        }
        if let Ok(mut applied) = applied.lock() {
            applied.insert(spec.name.clone(), Applied { at_s, error });
        }
    }
}

/// The layers a crash may restart, as `role:NAME` names them.
pub const CRASHABLE: [&str; 4] = ["com", "som", "rom", "activation"];

/// The layer a crash's `on` (`role:rom`) names, or why it names none.
pub fn crash_layer(on: &str) -> Result<&str, String> {
    let layer = on
        .strip_prefix("role:")
        .ok_or_else(|| format!("a crash is on a role (`role:rom`), not `{on}`"))?;
    if CRASHABLE.contains(&layer) {
        Ok(layer)
    } else {
        Err(format!(
            "no role `{layer}` to crash; one of {}",
            CRASHABLE.join(", ")
        ))
    }
}

/// The kinds `loadgen fault add --kind` takes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum KindName {
    /// Added latency, jitter, slowdown.
    Latency,
    /// Failures with a reason.
    Error,
    /// Calls never answered.
    BlackHole,
    /// Applied, reply lost.
    ReplyLost,
    /// The target is down.
    Outage,
    /// Pool entries taken.
    PoolPressure,
}

/// The parameters of `loadgen fault add`, as given on the command line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KindFlags {
    /// Error, black hole, reply lost: how often.
    pub probability: Option<f64>,
    /// Error: the failure message.
    pub reason: Option<String>,
    /// Latency: added milliseconds.
    pub added_ms: Option<f64>,
    /// Latency: jitter bound, milliseconds.
    pub jitter_ms: Option<f64>,
    /// Latency: slowdown factor.
    pub factor: Option<f64>,
    /// Outage: reboot delay, milliseconds.
    pub reboot_ms: Option<u64>,
    /// Pool pressure: entries to take.
    pub shrink_by: Option<u32>,
    /// Pool pressure: entries to leave.
    pub free_left: Option<u32>,
}

/// The fault kind `name` with `flags`; a flag the kind does not take, or a missing
/// probability, is an error naming it.
pub fn kind_from_flags(name: KindName, flags: &KindFlags) -> Result<FaultKind, String> {
    let probability = || {
        flags
            .probability
            .ok_or_else(|| "this kind needs --probability".to_string())
    };
    let allowed: &[&str] = match name {
        KindName::Latency => &["added_ms", "jitter_ms", "factor"],
        KindName::Error => &["probability", "reason"],
        KindName::BlackHole | KindName::ReplyLost => &["probability"],
        KindName::Outage => &["reboot_ms"],
        KindName::PoolPressure => &["shrink_by", "free_left"],
    };
    let given = [
        ("probability", flags.probability.is_some()),
        ("reason", flags.reason.is_some()),
        ("added_ms", flags.added_ms.is_some()),
        ("jitter_ms", flags.jitter_ms.is_some()),
        ("factor", flags.factor.is_some()),
        ("reboot_ms", flags.reboot_ms.is_some()),
        ("shrink_by", flags.shrink_by.is_some()),
        ("free_left", flags.free_left.is_some()),
    ];
    if let Some((flag, _)) = given
        .iter()
        .find(|(flag, set)| *set && !allowed.contains(flag))
    {
        return Err(format!(
            "--{} does not apply to this kind",
            flag.replace('_', "-")
        ));
    }
    Ok(match name {
        KindName::Latency => FaultKind::Latency {
            added_ms: flags.added_ms.unwrap_or(0.0),
            jitter_ms: flags.jitter_ms.unwrap_or(0.0),
            factor: flags.factor.unwrap_or(1.0),
            distribution: None,
        },
        KindName::Error => FaultKind::Error {
            probability: probability()?,
            reason: flags
                .reason
                .clone()
                .unwrap_or_else(|| "injected failure".to_string()),
        },
        KindName::BlackHole => FaultKind::BlackHole {
            probability: probability()?,
        },
        KindName::ReplyLost => FaultKind::ReplyLost {
            probability: probability()?,
        },
        KindName::Outage => FaultKind::Outage {
            reboot_ms: flags.reboot_ms.unwrap_or(0),
        },
        KindName::PoolPressure => FaultKind::PoolPressure {
            shrink_by: flags.shrink_by,
            free_left: flags.free_left,
        },
    })
}

/// One line per fault, for `loadgen fault list`.
pub fn render_list(faults: &[Value]) -> String {
    if faults.is_empty() {
        return "no faults\n".to_string();
    }
    let mut out = format!(
        "{:<24} {:<10} {:<28} {:<13} {:>9} {:>9} {:>12}\n",
        "name", "state", "target", "kind", "matched", "affected", "remaining"
    );
    for fault in faults {
        let text = |value: &Value| value.as_str().unwrap_or("?").to_string();
        let remaining = fault["remainingMs"]
            .as_u64()
            .map_or_else(|| "until removed".to_string(), |ms| format!("{ms} ms"));
        out.push_str(&format!(
            "{:<24} {:<10} {:<28} {:<13} {:>9} {:>9} {:>12}\n",
            text(&fault["name"]),
            text(&fault["state"]),
            text(&fault["target"]),
            text(&fault["kind"]["type"]),
            fault["callsMatched"].as_u64().unwrap_or(0),
            fault["callsAffected"].as_u64().unwrap_or(0),
            remaining
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crash_names_a_role_that_can_crash() {
        assert_eq!(crash_layer("role:rom"), Ok("rom"));
        assert_eq!(crash_layer("role:activation"), Ok("activation"));
        assert!(crash_layer("rom").is_err());
        assert!(crash_layer("role:network").is_err());
        assert!(crash_layer("role:billing").is_err());
    }

    #[test]
    fn each_crash_is_a_report_window_applied_or_saying_why_not() {
        use crate::plan::scenario::{Crash, CrashKind};
        use simulator::network::faults::HumanDuration;
        let crash = |name: &str, at_s: u64| Crash {
            name: name.into(),
            at: HumanDuration(std::time::Duration::from_secs(at_s)),
            kind: CrashKind::Crash,
            on: "role:rom".into(),
        };
        let crashes = [
            crash("rom-down", 8),
            crash("too-late", 90),
            crash("refused", 9),
        ];
        let applied = |name: &str| match name {
            "rom-down" => Some((8.01, None)),
            "refused" => Some((9.0, Some("refused: 404".to_string()))),
            _ => None,
        };
        let windows = crash_windows(&crashes, &applied);
        assert_eq!(windows.len(), 3);
        let first = &windows[0];
        assert_eq!(
            (first.kind.as_str(), first.target.as_str()),
            ("crash", "role:rom")
        );
        assert!(first.applied && first.error.is_none());
        assert_eq!((first.start_s, first.end_s), (8.01, Some(8.01)));
        assert!(!windows[1].applied);
        assert_eq!(
            windows[1].error.as_deref(),
            Some("not applied: the load ended first")
        );
        assert!(!windows[2].applied);
        assert_eq!(windows[2].error.as_deref(), Some("refused: 404"));
    }

    #[test]
    fn kinds_are_built_from_flags_and_stray_flags_refused() {
        let flags = KindFlags {
            probability: Some(0.2),
            ..KindFlags::default()
        };
        assert_eq!(
            kind_from_flags(KindName::ReplyLost, &flags),
            Ok(FaultKind::ReplyLost { probability: 0.2 })
        );
        assert!(
            kind_from_flags(KindName::Outage, &flags)
                .unwrap_err()
                .contains("--probability")
        );
        assert!(kind_from_flags(KindName::BlackHole, &KindFlags::default()).is_err());
        let slow = KindFlags {
            added_ms: Some(100.0),
            ..KindFlags::default()
        };
        assert_eq!(
            kind_from_flags(KindName::Latency, &slow),
            Ok(FaultKind::Latency {
                added_ms: 100.0,
                jitter_ms: 0.0,
                factor: 1.0,
                distribution: None
            })
        );
    }

    #[test]
    fn a_timeline_entry_becomes_a_rest_body() {
        let spec: FaultSpec = toml::from_str(
            "name = \"x\"\nat = \"5s\"\nduration = \"10s\"\ntarget = \"olt:olt-1\"\n\
             operations = [\"activate\"]\nkind = { type = \"outage\", reboot_ms = 500 }\n",
        )
        .expect("valid entry");
        assert_eq!(
            rest_body(&spec),
            json!({"target": "olt:olt-1", "operations": ["activate"],
                   "kind": {"type": "outage", "rebootMs": 500}, "durationMs": 10000})
        );
    }

    #[test]
    fn the_list_shows_one_line_per_fault() {
        let list = vec![json!({"name": "a", "state": "active", "target": "all",
            "kind": {"type": "outage"}, "callsMatched": 3, "callsAffected": 2, "remainingMs": null})];
        let text = render_list(&list);
        assert_eq!(text.lines().count(), 2);
        assert!(text.contains("until removed"));
        assert_eq!(render_list(&[]), "no faults\n");
    }
}
