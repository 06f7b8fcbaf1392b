//! The processes of a chain, found from the target: each ordersim process answers
//! `GET /admin/peers` with its role (`com` … `network`, or `all`) and the layer processes it
//! calls, so following them breadth first from the COM process finds every process of a
//! split chain. At most [`PROCESSES_MAX`] are followed. A target that does not answer (not
//! ordersim, or an admin route that is guarded) gives `None`: nothing is assumed of it.

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::drive::client::{ClientError, TmfClient};

/// The most processes discovery follows.
pub const PROCESSES_MAX: usize = 16;

/// One process of the chain.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Process {
    /// What it runs: a layer (`com`, `som`, `rom`, `activation`, `network`) or `all`.
    pub role: String,
    /// Its base URL.
    pub url: String,
    /// Why it could not be asked, when it could not (its role is then the one its caller
    /// gave it).
    pub error: Option<String>,
}

/// `GET /admin/peers`.
#[derive(Debug, Deserialize)]
pub struct PeersAnswer {
    /// The process's role.
    pub role: String,
    /// The processes it calls.
    #[serde(default)]
    pub peers: Vec<Peer>,
}

/// One process another calls.
#[derive(Debug, Deserialize)]
pub struct Peer {
    /// Its role.
    pub role: String,
    /// Its base URL.
    pub url: String,
}

/// The processes reachable from `target` through `/admin/peers`, the target first; `None`
/// when the target does not answer it.
pub async fn discover(target: &TmfClient, timeout: Duration) -> Option<Vec<Process>> {
    let first = target.peers().await.ok()?;
    let mut found = vec![Process {
        role: first.role,
        url: target.base().to_string(),
        error: None,
    }];
    let mut queue: VecDeque<Peer> = first.peers.into();
    while let Some(peer) = queue.pop_front() {
        if found.len() >= PROCESSES_MAX {
            break;
        }
        let url = peer.url.trim_end_matches('/').to_string();
        if found.iter().any(|process| process.url == url) {
            continue;
        }
        match ask(&url, timeout).await {
            Ok(answer) => {
                found.push(Process {
                    role: answer.role,
                    url,
                    error: None,
                });
                queue.extend(answer.peers);
            }
            Err(error) => found.push(Process {
                role: peer.role,
                url,
                error: Some(error.to_string()),
            }),
        }
    }
    Some(found)
}

async fn ask(url: &str, timeout: Duration) -> Result<PeersAnswer, ClientError> {
    TmfClient::new(url, timeout)?.peers().await
}

/// Whether `processes` are a split chain (layers in processes of their own), as opposed to
/// one process running every layer.
pub fn is_split(processes: &[Process]) -> bool {
    processes.iter().any(|process| process.role != "all")
}

/// The first process running `role`.
pub fn with_role<'a>(processes: &'a [Process], role: &str) -> Option<&'a Process> {
    processes
        .iter()
        .find(|process| process.role == role && process.error.is_none())
}
