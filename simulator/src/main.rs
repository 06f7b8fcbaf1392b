//! `simulator`: serves the TMF order chain over HTTP.
//!
//! Exit codes: 0 after a clean shutdown (Ctrl-C), 2 for a bad scenario or command line, 1 for
//! any other failure (e.g. the address is taken).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use std::collections::BTreeMap;

use simulator::config::{ChainTransport, SimConfig};
use simulator::http::Server;
use simulator::layers::LayerId;
use simulator::runtime::transport::Role;

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
    /// The base URL clients reach this API at (e.g. `https://gw.example.com/ordersim`):
    /// every href and `Location` starts with it. Overrides `http.public_url` of the scenario;
    /// default `http://` and the listen address.
    #[arg(long)]
    public_url: Option<String>,
    /// Scenario file (TOML): catalog, network, operation profiles, chain settings, limits,
    /// seed. Without it the built-in scenario runs (one region, one 16×128 OLT, zero latency).
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Which layer this process hosts: com, som, rom, activation, network, or all. A single
    /// layer runs with the HTTP transport and needs the addresses of the layers it calls:
    /// com → --som; som → --rom; rom → --activation --network; activation → --network.
    #[arg(long, default_value = "all")]
    role: Role,
    /// Overrides `chain.transport` of the scenario (`in-process` or `http`); with a single
    /// layer role it is always `http`.
    #[arg(long)]
    transport: Option<String>,
    /// Address (host:port) of the COM process.
    #[arg(long)]
    com: Option<SocketAddr>,
    /// Address of the SOM process.
    #[arg(long)]
    som: Option<SocketAddr>,
    /// Address of the ROM process.
    #[arg(long)]
    rom: Option<SocketAddr>,
    /// Address of the activation process.
    #[arg(long)]
    activation: Option<SocketAddr>,
    /// Address of the network process.
    #[arg(long)]
    network: Option<SocketAddr>,
}

impl Options {
    /// The peers' base URLs by layer.
    fn peers(&self) -> BTreeMap<LayerId, String> {
        [
            (LayerId::Com, self.com),
            (LayerId::Som, self.som),
            (LayerId::Rom, self.rom),
            (LayerId::Activation, self.activation),
            (LayerId::Network, self.network),
        ]
        .into_iter()
        .filter_map(|(layer, address)| address.map(|address| (layer, format!("http://{address}"))))
        .collect()
    }
}

fn main() -> ExitCode {
    let options = Options::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut config = match &options.scenario {
        None => SimConfig::default(),
        Some(path) => match SimConfig::load(path) {
            Ok(config) => config,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(2);
            }
        },
    };
    if let Some(public_url) = &options.public_url {
        config.http.public_url = Some(public_url.clone());
        if let Err(error) = config.validate() {
            eprintln!("error: --public-url: {error}");
            return ExitCode::from(2);
        }
    }
    match options.transport.as_deref() {
        None => {}
        Some("in-process") => config.chain.transport = ChainTransport::InProcess,
        Some("http") => config.chain.transport = ChainTransport::Http,
        Some(other) => {
            eprintln!("error: --transport `{other}`: expected in-process or http");
            return ExitCode::from(2);
        }
    }
    if options.role != Role::All {
        config.chain.transport = ChainTransport::Http;
    }
    let peers = options.peers();
    if let Some(missing) = options.role.needs().iter().find(|l| !peers.contains_key(l)) {
        eprintln!(
            "error: --role {role} needs --{layer}",
            role = options.role.layer().map_or("all", LayerId::as_str),
            layer = missing.as_str()
        );
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(&options, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(options: &Options, config: SimConfig) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(options.listen).await?;
    let name = config.name.clone();
    let server = if config.chain.transport == ChainTransport::Http {
        Server::start_role(config, listener, options.role, options.peers()).await?
    } else {
        Server::start(config, listener).await?
    };
    println!(
        "simulator: scenario `{name}` listening on http://{}",
        server.local_addr
    );
    tokio::signal::ctrl_c().await?;
    server.shutdown().await?;
    Ok(())
}
