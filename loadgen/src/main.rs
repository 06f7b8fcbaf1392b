//! `loadgen`: runs scenarios against the simulator. Parses the command line, calls
//! [`loadgen::run`], and turns the outcome into the exit code (0 pass, 1 threshold failed,
//! 2 could not run).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

/// mimalloc: the chain allocates many small, short-lived objects; glibc's allocator spent a
/// quarter of a virtual-time run's instructions in malloc/free.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Load generator and correctness verdict for ordersim.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// GET one URL as fast as N connections allow (compare with wrk on the same endpoint).
    BenchHttp(BenchHttpArgs),
    /// Run the scenario in virtual time once per seed and list the seeds whose audit failed.
    Sweep(SweepArgs),
    /// Run a scenario and write a report folder.
    Run(RunArgs),
    /// Run the same load against each `[[variants]]` of a scenario (async and sync when it
    /// declares none), a fresh embedded simulator each, and write one side-by-side report.
    Compare(RunArgs),
    /// Add, list or clear faults on a running simulator (e.g. during a run).
    #[command(subcommand)]
    Fault(FaultCommand),
}

#[derive(Subcommand)]
enum FaultCommand {
    /// Create or replace a named fault.
    Add(FaultAddArgs),
    /// List the faults with their counters.
    List(TargetArg),
    /// Remove one fault (`--name`) or all of them.
    Clear(FaultClearArgs),
}

#[derive(clap::Args)]
struct TargetArg {
    /// The simulator, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    target: String,
}

#[derive(clap::Args)]
struct FaultClearArgs {
    #[command(flatten)]
    target: TargetArg,
    /// The fault to remove; all of them without it.
    #[arg(long)]
    name: Option<String>,
}

#[derive(clap::Args)]
struct FaultAddArgs {
    #[command(flatten)]
    target: TargetArg,
    /// The fault's name (an existing fault of that name is replaced); every kind but crash
    /// needs one.
    #[arg(long)]
    name: Option<String>,
    /// What it hits: olt:NAME, pon:OLT/PORT, dslam:NAME, pool:REGION/ipv4|multicast|phone,
    /// activation, region:NAME or all; for crash, role:com|som|rom|activation.
    #[arg(long)]
    on: String,
    /// What it does.
    #[arg(long, value_enum)]
    kind: KindArg,
    /// Operation kinds it applies to (comma-separated); all without it.
    #[arg(long, value_delimiter = ',')]
    operations: Option<Vec<String>>,
    /// How long it lasts (e.g. 30s); until cleared without it.
    #[arg(long, value_parser = humantime::parse_duration)]
    duration: Option<Duration>,
    /// error, black-hole, reply-lost: how often, 0..1.
    #[arg(long)]
    probability: Option<f64>,
    /// error: the failure message.
    #[arg(long)]
    reason: Option<String>,
    /// latency: added milliseconds.
    #[arg(long)]
    added_ms: Option<f64>,
    /// latency: upper bound of a uniform extra delay, milliseconds.
    #[arg(long)]
    jitter_ms: Option<f64>,
    /// latency: slowdown factor.
    #[arg(long)]
    factor: Option<f64>,
    /// outage: reboot delay after the duration, milliseconds.
    #[arg(long)]
    reboot_ms: Option<u64>,
    /// pool-pressure: entries to take.
    #[arg(long)]
    shrink_by: Option<u32>,
    /// pool-pressure: entries to leave free.
    #[arg(long)]
    free_left: Option<u32>,
}

#[derive(Copy, Clone, ValueEnum)]
enum KindArg {
    Latency,
    Error,
    BlackHole,
    ReplyLost,
    Outage,
    PoolPressure,
    /// Restart a layer without its state (POST /admin/layers/{layer}/restart).
    Crash,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The scenario file (TOML).
    scenario: PathBuf,
    /// Drive an external simulator at this URL instead of an embedded one.
    #[arg(long)]
    target: Option<String>,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Override the load with a constant rate, orders per second.
    #[arg(long)]
    rate: Option<f64>,
    /// Override the load's duration (e.g. 30s, 5m).
    #[arg(long, value_parser = humantime::parse_duration)]
    duration: Option<Duration>,
    /// How to follow orders to their end.
    #[arg(long, value_enum)]
    track: Option<TrackArg>,
    /// Where report folders are created.
    #[arg(long, default_value = "reports")]
    out: PathBuf,
    /// No progress line, no summary.
    #[arg(long)]
    quiet: bool,
    /// Address loadgen's event listener binds and gives the simulator as callback host.
    #[arg(long, default_value = "127.0.0.1")]
    callback_host: String,
    /// Drive the simulator's virtual-time runtime (simulated time, exactly reproducible from
    /// the seed) instead of HTTP; latencies in the report are simulated. It runs the chain
    /// in-process, so it cannot drive a --target.
    #[arg(long, conflicts_with = "target")]
    virtual_time: bool,
    /// With --virtual-time: run twice and compare the event-log hashes; on a difference, name
    /// the first event that differs.
    #[arg(long, requires = "virtual_time")]
    check_determinism: bool,
    /// Draw the `vary` knobs of the scenario's faults from the seed, as `loadgen sweep` does
    /// (the replay command of a failing seed sets it).
    #[arg(long)]
    vary_faults: bool,
    /// When the output is not a terminal (CI, a log file): print a progress line this often
    /// (e.g. 10s, 1m; 0s for none).
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    progress_every: Duration,
    /// Serve Prometheus metrics of the run on this address while it goes (`GET /metrics`:
    /// sends, in flight, outcomes, latency histograms per operation), e.g. 127.0.0.1:9464.
    #[arg(long, conflicts_with = "virtual_time")]
    metrics_listen: Option<std::net::SocketAddr>,
}

/// `loadgen bench-http --connections 32 --threads 2 --duration 10s URL`.
#[derive(clap::Args)]
struct BenchHttpArgs {
    /// The URL to GET, e.g. http://127.0.0.1:8080/health.
    url: String,
    /// Concurrent connections (each sends its next request when the answer arrived).
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// How long to run.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "10s")]
    duration: Duration,
    /// OS threads driving the connections, each with its own event loop, like wrk's `-t`
    /// (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
}

/// `loadgen sweep --virtual-time --seeds 1..500 SCENARIO`.
#[derive(clap::Args)]
struct SweepArgs {
    /// The scenario file.
    scenario: PathBuf,
    /// Seeds to run, e.g. `1..500` (inclusive).
    #[arg(long, value_parser = loadgen::drive::sweep::parse_seeds)]
    seeds: std::ops::RangeInclusive<u64>,
    /// Required: sweeps run in virtual time.
    #[arg(long, required = true)]
    virtual_time: bool,
}

#[derive(Copy, Clone, ValueEnum)]
enum TrackArg {
    Events,
    Poll,
}

/// Logs (loadgen's and an embedded simulator's) go to stderr, filtered by `RUST_LOG`
/// (default `warn`, so that progress output stays readable).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let command = match cli.command {
        Command::Sweep(args) => return sweep(args),
        Command::BenchHttp(args) => return bench_http(args),
        other => other,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("loadgen: cannot start the runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Sweep(_) | Command::BenchHttp(_) => ExitCode::from(2),
        Command::Run(args) => run(&runtime, args, false),
        Command::Compare(args) => run(&runtime, args, true),
        Command::Fault(command) => match runtime.block_on(fault(command)) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("loadgen: {error:#}");
                ExitCode::from(2)
            }
        },
    }
}

/// `loadgen fault …`: what to print, or why it failed.
async fn fault(command: FaultCommand) -> anyhow::Result<String> {
    let client = |target: &TargetArg| {
        loadgen::drive::client::TmfClient::new(&target.target, Duration::from_secs(10))
    };
    match command {
        FaultCommand::List(target) => {
            let faults = client(&target)?.list_faults().await?;
            Ok(loadgen::drive::faults::render_list(&faults))
        }
        FaultCommand::Clear(args) => {
            let client = client(&args.target)?;
            match args.name {
                Some(name) => {
                    if client.delete_fault(&name).await? {
                        return Ok(format!("removed {name}\n"));
                    }
                    let faults = client.list_faults().await?;
                    let names = faults.iter().filter_map(|fault| fault["name"].as_str());
                    let names: Vec<&str> = names.collect();
                    let names = match names.is_empty() {
                        true => "there are none".to_string(),
                        false => format!("the faults are: {}", names.join(", ")),
                    };
                    anyhow::bail!("no fault named `{name}`; {names}")
                }
                None => Ok(format!("removed {} faults\n", client.reset_faults().await?)),
            }
        }
        FaultCommand::Add(args) if matches!(args.kind, KindArg::Crash) => {
            let layer =
                loadgen::drive::faults::crash_layer(&args.on).map_err(anyhow::Error::msg)?;
            let answer = client(&args.target)?.restart_layer(layer).await?;
            Ok(format!("{answer}\n"))
        }
        FaultCommand::Add(args) => {
            let body = add_body(&args)?;
            let name = args.name.as_deref();
            let name = name.ok_or_else(|| anyhow::anyhow!("this kind needs --name"))?;
            let answer = client(&args.target)?.put_fault(name, &body).await?;
            Ok(loadgen::drive::faults::render_list(&[answer]))
        }
    }
}

fn add_body(args: &FaultAddArgs) -> anyhow::Result<serde_json::Value> {
    use loadgen::drive::faults::{KindFlags, KindName, kind_from_flags};
    let name = match args.kind {
        KindArg::Latency => KindName::Latency,
        KindArg::Error => KindName::Error,
        KindArg::BlackHole => KindName::BlackHole,
        KindArg::ReplyLost => KindName::ReplyLost,
        KindArg::Outage => KindName::Outage,
        KindArg::PoolPressure => KindName::PoolPressure,
        KindArg::Crash => anyhow::bail!("a crash is not a network fault"),
    };
    let flags = KindFlags {
        probability: args.probability,
        reason: args.reason.clone(),
        added_ms: args.added_ms,
        jitter_ms: args.jitter_ms,
        factor: args.factor,
        reboot_ms: args.reboot_ms,
        shrink_by: args.shrink_by,
        free_left: args.free_left,
    };
    let kind = kind_from_flags(name, &flags).map_err(anyhow::Error::msg)?;
    let mut body = serde_json::json!({"target": args.on, "kind": kind});
    if let Some(operations) = &args.operations {
        body["operations"] = serde_json::json!(operations);
    }
    if let Some(duration) = args.duration {
        body["durationMs"] =
            serde_json::json!(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX));
    }
    Ok(body)
}

fn run(runtime: &tokio::runtime::Runtime, args: RunArgs, compare: bool) -> ExitCode {
    let options = loadgen::RunOptions {
        scenario: args.scenario,
        target: args.target,
        seed: args.seed,
        rate_per_s: args.rate,
        duration: args.duration,
        track: args.track.map(|t| match t {
            TrackArg::Events => loadgen::plan::scenario::Track::Events,
            TrackArg::Poll => loadgen::plan::scenario::Track::Poll,
        }),
        out: args.out,
        quiet: args.quiet,
        callback_host: args.callback_host,
        virtual_time: args.virtual_time,
        check_determinism: args.check_determinism,
        vary_faults: args.vary_faults,
        progress_every: args.progress_every,
        metrics_listen: args.metrics_listen,
    };
    let code = if compare {
        runtime
            .block_on(loadgen::compare(options))
            .map(|outcome| outcome.exit_code())
    } else {
        runtime
            .block_on(loadgen::run(options))
            .map(|outcome| outcome.exit_code())
    };
    match code {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(error) => {
            eprintln!("loadgen: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn sweep(args: SweepArgs) -> ExitCode {
    let _ = args.virtual_time;
    let total = args.seeds.end() - args.seeds.start() + 1;
    let started = std::time::Instant::now();
    let outcome = loadgen::drive::sweep::sweep(&args.scenario, args.seeds, |seed, ok| {
        if !ok {
            eprintln!("seed {seed}: FAILED");
        }
    });
    match outcome {
        Ok(outcome) => {
            println!(
                "sweep: {} seeds, {} orders, {} failed, {:.1} s",
                outcome.seeds,
                outcome.orders,
                outcome.failed.len(),
                started.elapsed().as_secs_f64()
            );
            for failed in &outcome.failed {
                println!(
                    "  seed {}: {}\n    replay: {}",
                    failed.seed, failed.why, failed.replay
                );
            }
            let _ = total;
            ExitCode::from(u8::from(!outcome.failed.is_empty()))
        }
        Err(error) => {
            eprintln!("loadgen: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn bench_http(args: BenchHttpArgs) -> ExitCode {
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    match loadgen::http_bench::run(&args.url, args.connections, threads, args.duration) {
        Ok(bench) => {
            println!(
                "bench-http {}: {} connections, {} threads, {:.0} requests/s ({} ok, {} errors in {:.1} s), p50 {:.2} ms, p99 {:.2} ms",
                args.url,
                args.connections,
                bench.threads,
                bench.rate_per_s(),
                bench.ok,
                bench.errors,
                bench.seconds,
                bench.p50_ms,
                bench.p99_ms
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("loadgen: {error:#}");
            ExitCode::from(2)
        }
    }
}
