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
    /// Run the scenario in virtual time once per seed and list the seeds whose audit failed.
    Sweep(SweepArgs),
    /// Run a scenario and write a report folder.
    Run(RunArgs),
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
    /// the seed) instead of HTTP; latencies in the report are simulated.
    #[arg(long)]
    virtual_time: bool,
    /// With --virtual-time: run twice and compare the event-log hashes; on a difference, name
    /// the first event that differs.
    #[arg(long, requires = "virtual_time")]
    check_determinism: bool,
}

/// `loadgen sweep --virtual-time --seeds 1..500 SCENARIO`.
#[derive(clap::Args)]
struct SweepArgs {
    /// The scenario file.
    scenario: PathBuf,
    /// Seeds to run, e.g. `1..500` (inclusive).
    #[arg(long, value_parser = loadgen::sweep::parse_seeds)]
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let args = match cli.command {
        Command::Run(args) => args,
        Command::Sweep(args) => return sweep(args),
    };
    let options = loadgen::RunOptions {
        scenario: args.scenario,
        target: args.target,
        seed: args.seed,
        rate_per_s: args.rate,
        duration: args.duration,
        track: args.track.map(|t| match t {
            TrackArg::Events => loadgen::scenario::Track::Events,
            TrackArg::Poll => loadgen::scenario::Track::Poll,
        }),
        out: args.out,
        quiet: args.quiet,
        callback_host: args.callback_host,
        virtual_time: args.virtual_time,
        check_determinism: args.check_determinism,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("loadgen: cannot start the runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(loadgen::run(options)) {
        Ok(outcome) => ExitCode::from(u8::try_from(outcome.exit_code()).unwrap_or(1)),
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
    let outcome = loadgen::sweep::sweep(&args.scenario, args.seeds, |seed, ok| {
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
