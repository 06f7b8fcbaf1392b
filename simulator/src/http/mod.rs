//! The TMF REST API over a running [`Chain`]: thin axum handlers that translate TMF JSON to
//! layer messages and store reads, plus the hubs and the operator endpoints.

pub mod snapshot;

use std::net::SocketAddr;

use crate::config::SimConfig;
use crate::runtime::Chain;

/// A simulator serving HTTP on a bound listener.
pub struct Server {
    /// Where it listens.
    pub local_addr: SocketAddr,
    /// The chain it serves.
    pub chain: Chain,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Builds the chain from `config` and serves it on `listener` (bind port 0 in tests).
    pub async fn start(
        config: SimConfig,
        listener: tokio::net::TcpListener,
    ) -> anyhow::Result<Server> {
        let _ = (config, listener);
        todo!("http helper")
    }

    /// Stops serving and waits for the server task to end.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.shutdown.send(());
        self.task.await.unwrap_or(Ok(()))
    }
}
