//! The simulator's configuration: the simulator half of a scenario file, validated.
//!
//! A scenario file (TOML) holds the whole experiment; the simulator reads `seed`, `[chain]`,
//! `[limits]`, `[network]`, `[profiles]` and `[catalog]` and leaves `[load]` and
//! `[thresholds]` to loadgen (it accepts them without reading them). The `[[faults]]`
//! timeline ([`FaultSpec`]) is validated here (names, ranges, targets against the network) and
//! applied by loadgen during the run through `/admin/faults`. Unknown keys anywhere
//! are errors, reported with the file, line and column.

use std::fmt;
use std::net::Ipv4Addr;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::domain::catalog::{Catalog, CatalogConfig, CatalogError};
use crate::network::faults::FaultSpec;
use crate::network::profile::OperationProfile;

pub mod access;
mod locate;
mod retry;
#[cfg(test)]
mod tests;
mod validate;

pub use access::{Access, AdminToken};
pub use retry::{RetryConfig, RetryPolicy};

/// Why a configuration cannot be used. Every variant names where the problem is.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The text is not TOML, or does not fit the schema (unknown key, wrong type).
    #[error("{origin}:{line}:{column}: {message}")]
    Syntax {
        /// The file (or other origin) of the text.
        origin: String,
        /// Line of the problem, from 1.
        line: usize,
        /// Column of the problem (characters), from 1.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A value is well-formed but not acceptable.
    #[error("{origin}{}: {key}: {message}", place(*.at))]
    Invalid {
        /// The file (or other origin) of the configuration.
        origin: String,
        /// Line and column (from 1) of the value in the text, when it is written there.
        at: Option<(usize, usize)>,
        /// The key path, e.g. `network.regions[0].ipv4_cidr`.
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// The `[catalog]` section does not hang together.
    #[error("{origin}: {source}")]
    Catalog {
        /// The file (or other origin) of the configuration.
        origin: String,
        /// The catalog's complaint, naming the entry.
        #[source]
        source: CatalogError,
    },
}

/// Origin named in errors from [`SimConfig::validate`], which does not know the file.
const ORIGIN_UNKNOWN: &str = "configuration";

impl SimConfig {
    /// Parses and validates a scenario's text; `origin` (usually the file name) names it in
    /// errors. Unknown keys are errors; `[load]` and `[thresholds]` are accepted and ignored;
    /// `[[faults]]` is validated but not applied.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<SimConfig, ConfigError> {
        let config: SimConfig = toml::from_str(text).map_err(|error| {
            let (line, column) = error
                .span()
                .map_or((1, 1), |span| line_and_column(text, span.start));
            ConfigError::Syntax {
                origin: origin.to_string(),
                line,
                column,
                message: error.message().trim_end().to_string(),
            }
        })?;
        config.validate_in(origin).map_err(|error| match error {
            ConfigError::Invalid {
                origin,
                key,
                message,
                ..
            } => ConfigError::Invalid {
                at: locate::locate(text, &key),
                origin,
                key,
                message,
            },
            other => other,
        })?;
        Ok(config)
    }

    /// Reads, parses and validates a scenario file.
    pub fn load(path: &Path) -> Result<SimConfig, ConfigError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: origin.clone(),
            source,
        })?;
        SimConfig::from_toml_str(&text, &origin)
    }

    /// Checks what the types cannot: ranges, uniqueness, CIDRs and the catalog's references.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_in(ORIGIN_UNKNOWN)
    }

    fn validate_in(&self, origin: &str) -> Result<(), ConfigError> {
        validate::config(self).map_err(|problem| ConfigError::Invalid {
            origin: origin.to_string(),
            at: None,
            key: problem.key,
            message: problem.message,
        })?;
        Catalog::from_config(&self.catalog).map_err(|source| ConfigError::Catalog {
            origin: origin.to_string(),
            source,
        })?;
        Ok(())
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            name: default_name(),
            description: String::new(),
            seed: default_seed(),
            chain: ChainConfig::default(),
            limits: Limits::default(),
            http: HttpConfig::default(),
            network: NetworkConfig::default(),
            profiles: ProfilesConfig::default(),
            catalog: CatalogConfig::default(),
            load: None,
            thresholds: None,
            faults: Vec::new(),
            access: Access::default(),
        }
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
/// `:line:column` when `at` is known, else nothing.
fn place(at: Option<(usize, usize)>) -> String {
    at.map_or_else(String::new, |(line, column)| format!(":{line}:{column}"))
}

fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let (mut line, mut column) = (1, 1);
    for (index, character) in text.char_indices() {
        if index >= offset {
            break;
        }
        if character == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

/// An IPv4 prefix, `a.b.c.d/len`, with the host bits zero.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Cidr {
    /// The network address.
    pub network: Ipv4Addr,
    /// The prefix length.
    pub prefix_len: u8,
}

impl Ipv4Cidr {
    /// Shortest prefix accepted (a /8 is already 16 million addresses).
    pub const PREFIX_LEN_MIN: u8 = 8;
    /// Longest prefix accepted (a /30 still has two host addresses).
    pub const PREFIX_LEN_MAX: u8 = 30;

    /// Parses `a.b.c.d/len` with `len` in 8..=30 and no host bits set.
    pub fn parse(text: &str) -> Result<Ipv4Cidr, String> {
        let (address, length) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not a CIDR: expected `a.b.c.d/len`"))?;
        let network: Ipv4Addr = address
            .parse()
            .map_err(|_| format!("`{address}` in `{text}` is not an IPv4 address"))?;
        let prefix_len: u8 = length
            .parse()
            .map_err(|_| format!("`{length}` in `{text}` is not a prefix length"))?;
        if !(Self::PREFIX_LEN_MIN..=Self::PREFIX_LEN_MAX).contains(&prefix_len) {
            return Err(format!(
                "prefix length /{prefix_len} in `{text}` is outside /{}../{}",
                Self::PREFIX_LEN_MIN,
                Self::PREFIX_LEN_MAX
            ));
        }
        let cidr = Ipv4Cidr {
            network,
            prefix_len,
        };
        if u32::from(network) & !cidr.mask() != 0 {
            return Err(format!(
                "`{text}` has host bits set; the network address is {}/{prefix_len}",
                Ipv4Addr::from(u32::from(network) & cidr.mask())
            ));
        }
        Ok(cidr)
    }

    /// The netmask as a number.
    pub fn mask(self) -> u32 {
        u32::MAX
            .checked_shl(32 - u32::from(self.prefix_len))
            .unwrap_or(0)
    }

    /// How many addresses the prefix spans (network and broadcast included).
    pub fn size(self) -> u64 {
        1u64 << (32 - u32::from(self.prefix_len))
    }

    /// First and last address as numbers.
    pub fn range(self) -> (u32, u32) {
        let first = u32::from(self.network);
        (first, first | !self.mask())
    }

    /// Whether the two prefixes share an address.
    pub fn overlaps(self, other: Ipv4Cidr) -> bool {
        let (a_first, a_last) = self.range();
        let (b_first, b_last) = other.range();
        a_first <= b_last && b_first <= a_last
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}", self.network, self.prefix_len)
    }
}

/// The whole simulator configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimConfig {
    /// A short name for reports.
    #[serde(default = "default_name")]
    pub name: String,
    /// What the scenario is for.
    #[serde(default)]
    pub description: String,
    /// The run's seed: every random choice in the simulator derives from it.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// How the chain is orchestrated.
    #[serde(default)]
    pub chain: ChainConfig,
    /// Bounds on every queue, map and body.
    #[serde(default)]
    pub limits: Limits,
    /// How the API presents itself (its public base URL).
    #[serde(default)]
    pub http: HttpConfig,
    /// Regions, OLTs, DSLAMs and pools.
    #[serde(default)]
    pub network: NetworkConfig,
    /// Element operation profiles.
    #[serde(default)]
    pub profiles: ProfilesConfig,
    /// The product catalog; the built-in one when absent.
    #[serde(default)]
    pub catalog: CatalogConfig,
    /// loadgen's section; accepted and ignored here.
    #[serde(default, skip_serializing)]
    pub load: Option<toml::Value>,
    /// loadgen's section; accepted and ignored here.
    #[serde(default, skip_serializing)]
    pub thresholds: Option<toml::Value>,
    /// The fault timeline: validated here, applied by loadgen during the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultSpec>,
    /// Who may call the operator and internal routes; from the command line or a test, never
    /// from the scenario file.
    #[serde(skip)]
    pub access: Access,
}

fn default_name() -> String {
    "builtin".to_string()
}

const fn default_seed() -> u64 {
    1
}

/// Sync or async orchestration.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChainMode {
    /// POST answers 201 acknowledged at once; parents advance on children's events.
    #[default]
    Async,
    /// POST answers when the whole chain finished or timed out.
    Sync,
}

/// Chain orchestration settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChainConfig {
    /// Sync or async.
    pub mode: ChainMode,
    /// Worker slots per layer.
    pub workers: u32,
    /// How long a layer waits for an element operation's reply before giving up.
    pub element_timeout_ms: u64,
    /// Probability that a new product order fails a check after acknowledgement (e.g. a credit
    /// check) and ends `rejected`.
    pub rejected_probability: f64,
    /// Probability that a new product order is held (credit check).
    pub held_probability: f64,
    /// How long a held order stays held before it resumes.
    pub held_resume_ms: u64,
    /// Probability that a new product order is pending (site survey).
    pub pending_probability: f64,
    /// How long a pending order waits before it resumes.
    pub pending_resume_ms: u64,
    /// Liveness bound: with faults healed, every order should be terminal within this.
    pub liveness_bound_ms: u64,
    /// Sync mode: how long a layer waits for the layer below to finish an order before it
    /// gives up, fails its own order and compensates whatever the layer below still does.
    pub call_timeout_ms: u64,
    /// How a layer reaches the next one: in-process inboxes or TMF REST and hub callbacks.
    #[serde(default)]
    pub transport: ChainTransport,
    /// Retry policies of the layers that call elements (`[chain.retry.rom]`,
    /// `[chain.retry.activation]`).
    pub retry: RetryConfig,
    /// Async mode: how long COM waits for its service order before it asks SOM for the
    /// order's state (jeopardy); a child that is alive re-arms the deadline.
    pub com_child_deadline_ms: u64,
    /// Async mode: the same for each resource order SOM creates (shorter than COM's, so a lost
    /// resource order is found by SOM, whose own order COM then finds alive and failing).
    pub som_child_deadline_ms: u64,
    /// Async mode, in-process transport: the same for the TMF640 services of each resource
    /// order ROM activates (shorter than SOM's, so a lost activation is found by ROM first).
    pub rom_child_deadline_ms: u64,
    /// HTTP transport: how often a process renews its subscriptions on its children's hubs
    /// (an idempotent POST), so a child whose process restarted is heard from again.
    pub subscription_renew_ms: u64,
    /// How long a parent waits for the answer to that question; without one, or when the
    /// child's layer does not know the order, the parent fails it as `childLost` and
    /// compensates.
    pub child_answer_ms: u64,
}

/// How messages between layers travel (see `runtime::transport`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChainTransport {
    /// Each layer's bounded inbox in this process.
    #[default]
    InProcess,
    /// Each layer calls the next layer's TMF REST API over loopback and hears back through
    /// the hub subscriptions it registered.
    Http,
}

impl Default for ChainConfig {
    fn default() -> Self {
        ChainConfig {
            mode: ChainMode::Async,
            workers: 64,
            element_timeout_ms: 2_000,
            rejected_probability: 0.0,
            held_probability: 0.0,
            held_resume_ms: 1_000,
            pending_probability: 0.0,
            pending_resume_ms: 1_000,
            liveness_bound_ms: 60_000,
            call_timeout_ms: 10_000,
            transport: ChainTransport::InProcess,
            retry: RetryConfig::default(),
            com_child_deadline_ms: 60_000,
            som_child_deadline_ms: 30_000,
            rom_child_deadline_ms: 20_000,
            subscription_renew_ms: 5_000,
            child_answer_ms: 10_000,
        }
    }
}

/// How the API presents itself to clients.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// The base URL clients reach the API at (`scheme://host[:port][/prefix]`): every `href`,
    /// and the `Location` of a create, starts with it. Absent: `http://` and the address the
    /// simulator listens on (`--public-url` overrides it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
}

/// The public base URL when none is configured and no listener is known (the CLI's default
/// listen address).
pub const PUBLIC_URL_DEFAULT: &str = "http://127.0.0.1:8080";

impl HttpConfig {
    /// The public base URL without a trailing slash.
    pub fn public_url(&self) -> &str {
        self.public_url
            .as_deref()
            .unwrap_or(PUBLIC_URL_DEFAULT)
            .trim_end_matches('/')
    }
}

/// Every bound, each with a documented default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Admission bound of each layer's inbox (messages): while any inbox holds this many,
    /// callers' requests are refused with 503 and `Retry-After` (load shedding). Messages
    /// between layers are never refused or waited on, so the chain cannot wedge on a cycle of
    /// full inboxes; their number is bounded by what admitted orders still owe. The default,
    /// 256, is the bound that sheds before latency explodes (README: "Overload").
    pub inbox_capacity: usize,
    /// Messages the real-time runtime's timer holds for later delivery (element latencies,
    /// timeouts): while this many are pending, callers' requests are refused like a full inbox.
    pub timers_max: usize,
    /// Non-terminal orders per layer; over it a create gets 503.
    pub open_orders_max: usize,
    /// Terminal orders retained per layer for GETs and the audit; older ones are evicted.
    pub retained_orders_max: usize,
    /// Items in one order.
    pub items_per_order_max: usize,
    /// Request body size, bytes.
    pub body_bytes_max: usize,
    /// Hub subscriptions per API.
    pub hub_subscriptions_max: usize,
    /// Undelivered events queued per subscriber; beyond it events are dropped and counted.
    pub hub_queue_capacity: usize,
    /// Delivery attempts per event.
    pub hub_delivery_attempts_max: u32,
    /// Largest `limit` a list request may ask for.
    pub list_limit_max: usize,
    /// Requests being served at once; beyond it 503.
    pub http_concurrency_max: usize,
    /// Open client connections; a connection beyond it is answered 503 and closed at once,
    /// so slow clients cannot take every socket.
    pub connections_max: usize,
    /// How long a client may take to send a request's headers (from the connection's first
    /// byte, or from the end of the previous request); then the connection is closed.
    pub header_read_timeout_ms: u64,
    /// How long a client may take to send a request's body once its headers arrived; then
    /// the request gets 408 and the connection is closed.
    pub body_read_timeout_ms: u64,
    /// How long a keep-alive connection may stay idle between requests before it is closed.
    pub idle_timeout_ms: u64,
    /// How long writing a response may make no progress (a client that does not read)
    /// before the connection is closed.
    pub send_timeout_ms: u64,
    /// Whether hub callbacks may go to non-loopback addresses.
    pub allow_external_callbacks: bool,
    /// Faults the network holds at once (`/admin/faults` and the scenario timeline).
    pub faults_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            inbox_capacity: 256,
            timers_max: 4_194_304,
            open_orders_max: 100_000,
            retained_orders_max: 200_000,
            items_per_order_max: 16,
            body_bytes_max: 64 * 1024,
            hub_subscriptions_max: 64,
            hub_queue_capacity: 100_000,
            hub_delivery_attempts_max: 5,
            list_limit_max: 1_000,
            http_concurrency_max: 4_096,
            connections_max: 10_000,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 30_000,
            idle_timeout_ms: 60_000,
            send_timeout_ms: 30_000,
            allow_external_callbacks: false,
            faults_max: crate::network::faults::FAULTS_MAX_DEFAULT,
        }
    }
}

/// The access network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkConfig {
    /// Regions, each with its pools and elements.
    pub regions: Vec<RegionConfig>,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            regions: vec![RegionConfig {
                name: "north".to_string(),
                ipv4_cidr: "10.0.0.0/16".to_string(),
                phone_first: 3_120_000_000,
                phone_count: 100_000,
                multicast_vlan: 4_000,
                multicast_members_max: 100_000,
                olts: vec![OltConfig {
                    name: "olt-north-1".to_string(),
                    pon_ports: 16,
                    onus_per_port: 128,
                    s_vlan_first: 100,
                }],
                dslams: vec![DslamConfig {
                    name: "dslam-north-1".to_string(),
                    ports: 1_024,
                }],
            }],
        }
    }
}

/// One region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionConfig {
    /// Its name (the `region` characteristic of an order).
    pub name: String,
    /// Its IPv4 pool, e.g. `10.1.0.0/16`.
    pub ipv4_cidr: String,
    /// First telephone number of its VoIP range.
    #[serde(default)]
    pub phone_first: u64,
    /// How many numbers the range holds.
    #[serde(default)]
    pub phone_count: u32,
    /// The IPTV multicast VLAN id.
    #[serde(default = "default_multicast_vlan")]
    pub multicast_vlan: u16,
    /// Most IPTV members the multicast VLAN takes.
    #[serde(default)]
    pub multicast_members_max: u32,
    /// Its OLTs.
    #[serde(default)]
    pub olts: Vec<OltConfig>,
    /// Its DSLAMs.
    #[serde(default)]
    pub dslams: Vec<DslamConfig>,
}

const fn default_multicast_vlan() -> u16 {
    4_000
}

/// One OLT.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OltConfig {
    /// Its name.
    pub name: String,
    /// PON ports (GPON: 16).
    pub pon_ports: u16,
    /// ONU slots per PON port (GPON: up to 128).
    pub onus_per_port: u16,
    /// S-VLAN of PON port 0; port p uses `s_vlan_first + p`.
    #[serde(default = "default_s_vlan_first")]
    pub s_vlan_first: u16,
}

const fn default_s_vlan_first() -> u16 {
    100
}

/// One DSLAM.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DslamConfig {
    /// Its name.
    pub name: String,
    /// Subscriber ports.
    pub ports: u16,
}

/// Operation profiles: `default` for every kind, overridden per kind.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProfilesConfig {
    /// Applies to every kind not overridden.
    pub default: OperationProfile,
    /// Override for allocate.
    pub allocate: Option<OperationProfile>,
    /// Override for release.
    pub release: Option<OperationProfile>,
    /// Override for configure.
    pub configure: Option<OperationProfile>,
    /// Override for activate.
    pub activate: Option<OperationProfile>,
    /// Override for deactivate.
    pub deactivate: Option<OperationProfile>,
}
