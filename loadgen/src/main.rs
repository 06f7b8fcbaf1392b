//! `loadgen`: runs scenarios against the simulator. Parses the command line, calls
//! [`loadgen::run`] or [`loadgen::compare`], and turns the outcome into the exit code (0 pass, 1 threshold failed,
//! 2 could not run).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

/// Load generator and correctness verdict for ordersim.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and write a report folder.
    Run(RunArgs),
    /// Run the same load against each `[[variants]]` of a scenario (async and sync when it
    /// declares none), a fresh embedded simulator each, and write one side-by-side report.
    Compare(RunArgs),
}

#[derive(clap::Args)]
struct RunArgs {
    /// The scenario file (TOML).
    scenario: PathBuf,
    /// Drive an external simulator at this URL instead of an embedded one (not with compare).
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
}

#[derive(Copy, Clone, ValueEnum)]
enum TrackArg {
    Events,
    Poll,
}

fn options(args: RunArgs) -> loadgen::RunOptions {
    loadgen::RunOptions {
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
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("loadgen: cannot start the runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let code = match cli.command {
        Command::Run(args) => runtime
            .block_on(loadgen::run(options(args)))
            .map(|outcome| outcome.exit_code()),
        Command::Compare(args) => runtime
            .block_on(loadgen::compare(options(args)))
            .map(|outcome| outcome.exit_code()),
    };
    match code {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(error) => {
            eprintln!("loadgen: {error:#}");
            ExitCode::from(2)
        }
    }
}
