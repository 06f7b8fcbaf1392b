//! One run, start to end: scenario, report folder, target, listener, load, drain, verdict,
//! report. [`run`] is what `loadgen run` calls and what tests call in-process.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};
use tokio::time::Instant;

use crate::drive::client::TmfClient;
use crate::drive::wall_clock::{self, RunState};
use crate::observe::metrics::Outcome;
use crate::observe::tracker::{self, Observer, Tracker};
use crate::observe::verdict;
use crate::plan::scenario::{self, LoadModel, Scenario, Track};
use crate::plan::sends::SendPlan;
use crate::plan::workload::Workload;
use crate::report::assemble::{self, Histograms, SendFacts, histograms_of};
use crate::report::model::*;

/// What `loadgen run` was asked to do.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The scenario file.
    pub scenario: PathBuf,
    /// Drive this simulator instead of starting an embedded one.
    pub target: Option<String>,
    /// Override the scenario's seed.
    pub seed: Option<u64>,
    /// Override the load with a constant rate (open model).
    pub rate_per_s: Option<f64>,
    /// Override the load's duration.
    pub duration: Option<Duration>,
    /// Override how orders are followed.
    pub track: Option<Track>,
    /// Where report folders go.
    pub out: PathBuf,
    /// No progress line and no summary on stdout.
    pub quiet: bool,
    /// Host the simulator should call back for events (loadgen's listener binds it too).
    pub callback_host: String,
    /// Drive the simulator's virtual-time runtime instead of HTTP (simulated time).
    pub virtual_time: bool,
    /// With `virtual_time`: run twice and compare the event-log hashes.
    pub check_determinism: bool,
    /// Draw the `vary` knobs of the scenario's faults from the seed (what a sweep does).
    pub vary_faults: bool,
    /// When stderr is not a terminal (CI), print a plain progress line this often; zero
    /// prints none.
    pub progress_every: Duration,
    /// Serve the run's Prometheus metrics here while it goes.
    pub metrics_listen: Option<std::net::SocketAddr>,
}

impl RunOptions {
    /// Options for `scenario` with every default.
    pub fn new(scenario: impl Into<PathBuf>) -> RunOptions {
        RunOptions {
            scenario: scenario.into(),
            target: None,
            seed: None,
            rate_per_s: None,
            duration: None,
            track: None,
            out: PathBuf::from("reports"),
            quiet: false,
            callback_host: "127.0.0.1".to_string(),
            virtual_time: false,
            check_determinism: false,
            vary_faults: false,
            progress_every: Duration::from_secs(10),
            metrics_listen: None,
        }
    }
}

/// The result of a run.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    /// The report.
    pub report: RunReport,
    /// The report folder.
    pub report_dir: PathBuf,
    /// Files written into it.
    pub files: Vec<PathBuf>,
}

impl RunOutcome {
    /// 130 when the operator stopped the run (Ctrl-C, as a shell reports SIGINT); else 0
    /// when every threshold passed, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match (self.report.load.interrupted, self.report.passed) {
            (true, _) => 130,
            (false, true) => 0,
            (false, false) => 1,
        }
    }
}

/// The simulator being driven.
enum Target {
    Embedded(simulator::http::Server),
    External,
}

/// Runs a scenario and writes its report.
pub async fn run(options: RunOptions) -> anyhow::Result<RunOutcome> {
    if options.virtual_time {
        return crate::drive::virtual_runner::run(&options);
    }
    let scenario = prepare(&options)?;
    let report_dir = crate::report::create_dir(&options.out, &scenario.name, SystemTime::now())?;
    let executed = execute(&scenario, &options, &scenario.text).await?;
    let files = crate::report::write_run(
        &report_dir,
        &executed.report,
        &executed.histograms,
        options.quiet,
    )?;
    Ok(RunOutcome {
        report: executed.report,
        report_dir,
        files,
    })
}

/// Reads the scenario and applies the command line's overrides.
pub(crate) fn prepare(options: &RunOptions) -> anyhow::Result<Scenario> {
    let mut scenario = scenario::load(&options.scenario)?;
    scenario
        .override_with(options.seed, options.rate_per_s, options.duration)
        .context("bad --rate or --duration")?;
    scenario.vary_faults = options.vary_faults;
    if let Some(track) = options.track {
        scenario.load.track = track;
    }
    Ok(scenario)
}

/// One run's report (thresholds evaluated) and its latency histograms.
pub(crate) struct Executed {
    pub(crate) report: RunReport,
    pub(crate) histograms: Histograms,
}

/// Runs `scenario` once in wall-clock time: against `options.target`, or against a fresh
/// embedded simulator configured by `simulator_text`.
pub(crate) async fn execute(
    scenario: &Scenario,
    options: &RunOptions,
    simulator_text: &str,
) -> anyhow::Result<Executed> {
    let started_at = SystemTime::now();
    let wall = Instant::now();
    let (target, base) = start_target(scenario, simulator_text, options.target.as_deref()).await?;
    let result = drive(scenario, options, &base).await;
    if let Target::Embedded(server) = target {
        server
            .shutdown()
            .await
            .context("stopping the embedded simulator")?;
    }
    let (mut report, histograms) = result?;
    report.scenario = ScenarioInfo {
        name: scenario.name.clone(),
        description: scenario.description.clone(),
        file: scenario.file.clone(),
        seed: scenario.seed,
    };
    report.target = TargetInfo {
        url: base,
        embedded: options.target.is_none(),
        not_applied: not_applied(scenario, options),
    };
    report.clock = "wall".into();
    report.started_at = humantime::format_rfc3339_seconds(started_at).to_string();
    report.wall_s = wall.elapsed().as_secs_f64();
    report.evaluate(&scenario.thresholds);
    Ok(Executed { report, histograms })
}

async fn start_target(
    scenario: &Scenario,
    simulator_text: &str,
    target: Option<&str>,
) -> anyhow::Result<(Target, String)> {
    if let Some(url) = target {
        let present = simulator_sections(scenario);
        if !present.is_empty() {
            eprintln!(
                "loadgen: note: {} not applied: {url} runs its own configuration \
                 (start it with `simulator --scenario {}`)",
                present.join(", "),
                scenario.file
            );
        }
        return Ok((Target::External, url.trim_end_matches('/').to_string()));
    }
    let mut config = simulator::config::SimConfig::from_toml_str(simulator_text, &scenario.file)?;
    config.seed = scenario.seed;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let server = simulator::http::Server::start(config, listener)
        .await
        .context("starting the embedded simulator")?;
    let base = format!("http://{}", server.local_addr);
    Ok((Target::Embedded(server), base))
}

async fn drive(
    scenario: &Scenario,
    options: &RunOptions,
    base: &str,
) -> anyhow::Result<(RunReport, Histograms)> {
    let plan = &scenario.load;
    let client = TmfClient::new(base, plan.request_timeout)?;
    reachable(&client).await.with_context(|| {
        format!("the target at {base} does not answer: is the simulator running at {base}?")
    })?;
    let tracker = Arc::new(Mutex::new(Tracker::new(
        plan.outside_checks_max,
        scenario.seed,
    )));
    let workload = Workload::new(
        &plan.mix,
        scenario.seed,
        scenario.regions.clone(),
        plan.cancel_delay.clone(),
    );
    let lead = Duration::from_millis(50);
    let state = Arc::new(RunState::new(
        client.clone(),
        Arc::clone(&tracker),
        workload,
        Instant::now() + lead,
        plan.warmup,
        plan.late_threshold,
        plan.in_flight_max,
        plan.waiting_max,
    ));
    let live = match options.metrics_listen {
        Some(address) => {
            let listener = tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("--metrics-listen {address}: cannot listen there"))?;
            if !options.quiet
                && let Ok(bound) = listener.local_addr()
            {
                eprintln!("loadgen: live metrics on http://{bound}/metrics");
            }
            let (stop, stopped) = tokio::sync::oneshot::channel();
            let task = crate::observe::live::serve(listener, state.clone(), stopped);
            Some((stop, task))
        }
        None => None,
    };
    let observer: Arc<dyn Observer> = state.clone();
    let followers = Followers::start(scenario, options, &client, &tracker, &observer).await?;
    let sampler = crate::observe::chainwatch::start_sampler(
        client.clone(),
        state.start,
        Duration::from_secs(1),
    );
    let progress = crate::report::progress::Progress::start(
        state.clone(),
        load_length(plan),
        options.quiet,
        options.progress_every,
    );
    let cpu_before = crate::observe::cpu::process_cpu_s();
    let mut faults =
        crate::drive::faults::FaultRun::start(&client, &scenario.fault_timeline(), state.start);
    let crashes =
        crate::drive::faults::CrashRun::start(&client, scenario.crashes.clone(), state.start);
    let load_started = Instant::now();
    let load = async {
        let sends = SendPlan::new(&plan.model, plan.orders_max);
        match &plan.model {
            LoadModel::Open { .. } => wall_clock::drive_open(state.clone(), sends).await,
            LoadModel::Closed { .. } => {
                wall_clock::drive_closed(state.clone(), sends, plan.drain_timeout).await;
            }
        }
    };
    tokio::select! {
        () = load => {}
        () = interrupted() => stop_on_interrupt(&state, plan.drain_timeout).await,
    }
    let load_s = load_started.elapsed().as_secs_f64();
    let cpu_s = cpu_before
        .zip(crate::observe::cpu::process_cpu_s())
        .map(|(a, b)| b - a);
    progress.finish();
    // Timeline faults still active are removed here: the drain and the audit see them healed.
    let load_end_s = faults.end_of_load().await;
    // Crashes not yet due when the load ended are not fired.
    let crash_windows = crashes.end_of_load();
    let (drained, drain_wait) = verdict::drain(&tracker, plan.drain_timeout).await;
    followers.stop(&client).await;
    let (mode, workers) = sampler.stop().await;
    let mut verdict_info = VerdictInfo {
        drained,
        drain_wait_s: drain_wait.as_secs_f64(),
        ..VerdictInfo::default()
    };
    let inventory = observe_processes(&client, drained, plan.request_timeout, &mut verdict_info)
        .await
        .unwrap_or_else(|| client.clone());
    let (sample, open_ids, open_count, seen) = match tracker.lock() {
        Ok(t) => (
            t.sample().to_vec(),
            t.open_ids(verdict::OPEN_RESOLVED_MAX),
            t.open_count(),
            t.outcomes_all,
        ),
        Err(_) => bail!("order table poisoned"),
    };
    verdict_info.outside =
        verdict::outside_checks(&client, &inventory, &sample, &open_ids, drained).await;
    verdict_info.outside.open_unresolved += open_count.saturating_sub(open_ids.len()) as u64;
    // An order whose terminal event was lost ended all the same: count it as GET found it.
    let mut known = seen;
    for outcome in Outcome::ALL {
        let ended = verdict_info.outside.ended_by_state.get(outcome.name());
        known[outcome as usize] += ended.copied().unwrap_or(0);
    }
    (verdict_info.counts_agree, verdict_info.count_differences) =
        verdict::compare_counts(&verdict_info.audit, &known);
    let layers = crate::observe::timeline::layer_times(&client, &sample).await;
    let mut report = assemble(scenario, &state, load_s, cpu_s)?;
    report.verdict = verdict_info;
    report.faults = faults.report(load_end_s).await;
    report.faults.extend(crash_windows);
    report.chain = crate::observe::chainwatch::chain_info(mode, workers);
    // Read after the drain and the audit: compensation retries run until the chain settles.
    if let Ok(answer) = client.workers().await {
        report.chain.retries = crate::observe::chainwatch::parse_retries(&answer);
    }
    report.latency.layers = layers
        .iter()
        .map(|(layer, h)| (layer.to_string(), Percentiles::of(h)))
        .collect();
    if let Some((stop, task)) = live {
        let _ = stop.send(());
        let _ = task.await;
    }
    let mut histograms = take_histograms(&state)?;
    histograms.extend(
        layers
            .into_iter()
            .map(|(layer, h)| (format!("layer-{layer}"), h)),
    );
    Ok((report, histograms))
}

/// The simulator sections of `scenario` an external target does not get (it runs its own
/// configuration; timeline faults are applied through its admin API and are not listed).
fn not_applied(scenario: &Scenario, options: &RunOptions) -> Vec<String> {
    match options.target {
        Some(_) => simulator_sections(scenario),
        None => Vec::new(),
    }
}

/// The sections of `scenario` that configure a simulator, as `[name]`.
fn simulator_sections(scenario: &Scenario) -> Vec<String> {
    let present = SIMULATOR_SECTIONS
        .iter()
        .filter(|s| scenario.simulator.contains_key(**s));
    present.map(|section| format!("[{section}]")).collect()
}

/// The scenario sections that configure a simulator rather than the load.
const SIMULATOR_SECTIONS: [&str; 5] = ["chain", "network", "profiles", "limits", "catalog"];

/// Whether the target answers: ordersim's `/health`, or, for a TMF622 system that has none
/// (404), a one-order list of its product orders.
async fn reachable(client: &TmfClient) -> Result<(), crate::drive::client::ClientError> {
    match client.health().await {
        Err(error) if error.status().is_some() => {
            client.list_product_orders(None, 1, 0).await.map(|_| ())
        }
        answer => answer,
    }
}

/// The audit: the target's own, or, when the target is one process of a split chain, every
/// process's merged with the checks across them. Answers a client for the process holding
/// ROM's resource inventory when that is not the target.
async fn observe_processes(
    client: &TmfClient,
    drained: bool,
    timeout: Duration,
    verdict_info: &mut VerdictInfo,
) -> Option<TmfClient> {
    use crate::observe::{cross, merged, processes};
    let found = processes::discover(client, timeout).await;
    let Some(found) = found.filter(|found| processes::is_split(found)) else {
        verdict_info.audit = verdict::audit(client).await;
        return None;
    };
    let mut each = merged::audit_each(&found, timeout).await;
    let checked = cross::check(&found, drained, timeout).await;
    verdict_info.audit = merged::merge(&each, &checked);
    if let Some(target) = each.first_mut() {
        target.audit.body = None;
    }
    verdict_info.processes = each;
    verdict_info.cross = Some(checked);
    let rom = processes::with_role(&found, "rom")?;
    TmfClient::new(&rom.url, timeout).ok()
}

fn load_length(plan: &scenario::LoadPlan) -> Duration {
    match &plan.model {
        LoadModel::Open { schedule } => schedule.duration(),
        LoadModel::Closed { duration, .. } => *duration,
    }
}

/// The hub listener and/or the poller, for the length of the load and drain.
struct Followers {
    hub_id: Option<String>,
    listener_stop: Option<tokio::sync::oneshot::Sender<()>>,
    listener: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    poll_stop: Option<tokio::sync::watch::Sender<bool>>,
    poller: Option<tokio::task::JoinHandle<()>>,
}

impl Followers {
    async fn start(
        scenario: &Scenario,
        options: &RunOptions,
        client: &TmfClient,
        tracker: &Arc<Mutex<Tracker>>,
        observer: &Arc<dyn Observer>,
    ) -> anyhow::Result<Followers> {
        let mut followers = Followers {
            hub_id: None,
            listener_stop: None,
            listener: None,
            poll_stop: None,
            poller: None,
        };
        match scenario.load.track {
            Track::Events => {
                let bind = format!("{}:0", options.callback_host);
                let listener = tokio::net::TcpListener::bind(&bind)
                    .await
                    .with_context(|| format!("cannot bind the event listener on {bind}"))?;
                let callback = format!("http://{}/events", listener.local_addr()?);
                let (stop, stopped) = tokio::sync::oneshot::channel();
                followers.listener =
                    Some(tracker::serve_listener(listener, observer.clone(), stopped));
                followers.listener_stop = Some(stop);
                let hub = client
                    .register_hub(&callback)
                    .await
                    .context("registering the event listener with the simulator's hub")?;
                followers.hub_id = Some(hub.id);
            }
            Track::Poll => {
                let (stop, stopped) = tokio::sync::watch::channel(false);
                followers.poller = Some(tokio::spawn(tracker::poll_open_orders(
                    client.clone(),
                    Arc::clone(tracker),
                    observer.clone(),
                    scenario.load.poll_interval,
                    10_000,
                    stopped,
                )));
                followers.poll_stop = Some(stop);
            }
        }
        Ok(followers)
    }

    async fn stop(self, client: &TmfClient) {
        if let Some(hub_id) = &self.hub_id {
            let _ = client.delete_hub(hub_id).await;
        }
        if let Some(stop) = self.listener_stop {
            let _ = stop.send(());
        }
        if let Some(listener) = self.listener {
            let _ = listener.await;
        }
        if let Some(stop) = self.poll_stop {
            let _ = stop.send(true);
        }
        if let Some(poller) = self.poller {
            let _ = poller.await;
        }
    }
}

fn assemble(
    scenario: &Scenario,
    state: &RunState,
    load_s: f64,
    cpu_s: Option<f64>,
) -> anyhow::Result<RunReport> {
    let plan = &scenario.load;
    let Ok(mut recorder) = state.recorder.lock() else {
        bail!("metrics poisoned");
    };
    let Ok(tracker) = state.tracker.lock() else {
        bail!("order table poisoned");
    };
    let counters = &state.counters;
    let sends = SendFacts {
        started: counters.started.load(Ordering::Relaxed),
        late: counters.late.load(Ordering::Relaxed),
        dropped: counters.dropped.load(Ordering::Relaxed),
        last_send_s: counters.last_send_us.load(Ordering::Relaxed) as f64 / 1e6,
        interrupted: counters.interrupted.load(Ordering::Relaxed),
        load_s,
        track: match plan.track {
            Track::Events => "events",
            Track::Poll => "poll",
        },
    };
    let events = EventsInfo {
        received: tracker.events.received,
        unparsed: tracker.events.unparsed,
        duplicates: tracker.events.duplicates,
        early: tracker.events.early,
        terminal_expected: tracker.registered,
        terminal_seen: tracker.registered - tracker.open_count() as u64,
        untracked: tracker.events.untracked,
    };
    let open_by_state = tracker.open_by_state();
    let metrics = &mut recorder.metrics;
    let mut report = assemble::assemble(plan, &sends, metrics, open_by_state, events);
    report.loadgen = LoadgenInfo {
        cpu_s,
        cpu_cores: cpu_s.map(|c| c / load_s.max(0.001)),
    };
    Ok(report)
}

/// Resolves at the first Ctrl-C (never, when the signal cannot be listened for).
async fn interrupted() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The first Ctrl-C: no more sends; those in flight get up to `wait` to finish, then the run
/// drains, writes its report and prints its summary as usual, and exits 130. A second Ctrl-C
/// exits at once.
async fn stop_on_interrupt(state: &wall_clock::RunState, wait: Duration) {
    state.counters.interrupted.store(true, Ordering::Relaxed);
    eprintln!(
        "loadgen: interrupted; no more sends, draining (at most {}), then the report. \
         Ctrl-C again to quit now.",
        humantime::format_duration(wait)
    );
    tokio::spawn(async {
        interrupted().await;
        eprintln!("loadgen: interrupted twice; quitting without a report");
        std::process::exit(130);
    });
    let _ = tokio::time::timeout(wait, state.wait_idle()).await;
}

fn take_histograms(state: &RunState) -> anyhow::Result<Histograms> {
    let Ok(recorder) = state.recorder.lock() else {
        bail!("metrics poisoned");
    };
    Ok(histograms_of(&recorder.metrics))
}
