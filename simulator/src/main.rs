//! `simulator`: serves the TMF order chain over HTTP.
//!
//! Exit codes: 0 after a clean shutdown (Ctrl-C), 2 for a bad scenario or command line, 1 for
//! any other failure (e.g. the address is taken).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use simulator::config::SimConfig;
use simulator::http::Server;

/// mimalloc: the chain allocates many small, short-lived objects; glibc's allocator spent a
/// quarter of a virtual-time run's instructions in malloc/free.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// In-memory TM Forum order chain (TMF622 → TMF641 → TMF652 → TMF640) over a simulated access
/// network, served over HTTP.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Options {
    /// Address to listen on; port 0 picks a free port (printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Scenario file (TOML): catalog, network, operation profiles, chain settings, limits,
    /// seed. Without it the built-in scenario runs (one region, one 16×128 OLT, zero latency).
    #[arg(long)]
    scenario: Option<PathBuf>,
}

fn main() -> ExitCode {
    let options = Options::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = match &options.scenario {
        None => SimConfig::default(),
        Some(path) => match SimConfig::load(path) {
            Ok(config) => config,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(2);
            }
        },
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(options.listen, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(listen: SocketAddr, config: SimConfig) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let name = config.name.clone();
    let server = Server::start(config, listener).await?;
    println!(
        "simulator: scenario `{name}` listening on http://{}",
        server.local_addr
    );
    tokio::signal::ctrl_c().await?;
    server.shutdown().await?;
    Ok(())
}
