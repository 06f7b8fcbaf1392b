//! The TMF REST API over a running [`Chain`]: thin axum handlers that translate TMF JSON to
//! layer messages and store reads, plus the hubs and the operator endpoints.
//!
//! Modules: [`error`] (the one error type and the JSON extractor), [`dto`] (TMF JSON ⇄
//! domain, one file per API), [`query`] (TMF630 filters, fields and sort, pure), [`list`]
//! (lists walked in bounded slices of a store, paging), one router per TMF API
//! ([`product_ordering`], [`service_ordering`], [`resource_ordering`], [`cancel_ordering`]
//! for TMF641/652 cancel requests, [`activation`],
//! [`inventory`], [`catalog`]), [`hub`] (subscriptions and event delivery), [`admin`]
//! (health, audit, and [`exposition`] for `/metrics`), [`restart`] (a layer crash), [`faults`]
//! (fault injection),
//! [`snapshot`] (event payloads), [`edge`] (trailing slashes and `--role` refusals, before
//! routing), [`guard`] (admin token, canonical paths) and [`serve`] (connections: timeouts and
//! bounds).

pub mod activation;
pub mod admin;
pub mod cancel_ordering;
pub mod catalog;
pub mod common;
pub mod dto;
pub mod edge;
pub mod error;
pub mod exposition;
pub mod faults;
pub mod guard;
pub mod hub;
pub mod inventory;
pub mod list;
pub mod listener;
pub mod orchestration;
pub mod peer;
pub mod product_ordering;
pub mod resource_ordering;
pub mod restart;
pub mod serve;
pub mod service_ordering;
pub mod snapshot;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::error_handling::HandleErrorLayer;
use axum::extract::DefaultBodyLimit;
use axum::{Router, middleware};
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;

use crate::config::{ChainTransport, SimConfig};
use crate::http::common::AppState;
use crate::http::dto::{PRODUCT_ORDERING, RESOURCE_ORDERING, SERVICE_ACTIVATION, SERVICE_ORDERING};
use crate::http::error::ApiError;
use crate::runtime::Chain;
use crate::runtime::transport::{Role, TransportSetup};

pub use hub::Hub;

/// The whole API over `chain`, with `hub` serving the subscriptions. Bounded by the chain's
/// limits: bodies over `body_bytes_max` get 413, requests beyond `http_concurrency_max` in
/// flight get 503; both with TMF Error bodies. A trailing slash is ignored, and a `--role`
/// process answers 404 for the APIs of layers it does not run (see [`edge`]). With an admin
/// token configured, `/admin/*`, the fault API and the transport routes need it (401
/// otherwise); paths with escaped unreserved characters get 404.
pub fn app(chain: Chain, hub: Hub) -> Router {
    let role = chain.role();
    let routes =
        routes(chain, hub).layer(axum::middleware::from_fn_with_state(role, edge::role_gate));
    // The path is rewritten before routing: a router whose only route is its fallback.
    Router::new().fallback_service(tower::util::MapRequest::new(
        routes,
        edge::strip_trailing_slash,
    ))
}

fn routes(chain: Chain, hub: Hub) -> Router {
    let limits = chain.config().limits.clone();
    let overload = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(|error: tower::BoxError| async move {
            tracing::debug!(%error, "request shed");
            ApiError::overloaded("the simulator is serving its maximum of concurrent requests")
        }))
        .load_shed()
        .layer(GlobalConcurrencyLimitLayer::new(
            limits.http_concurrency_max.max(1),
        ));
    let http_transport = chain.config().chain.transport == ChainTransport::Http;
    let mut guarded = Router::new()
        .merge(admin::admin_routes())
        .merge(faults::routes())
        .merge(orchestration::routes());
    if http_transport {
        guarded = guarded.merge(peer::routes());
    }
    let token = chain.config().access.admin_token.clone();
    let guarded = guarded.route_layer(middleware::from_fn_with_state(
        token,
        guard::require_admin_token,
    ));
    let mut router = Router::new()
        .nest(PRODUCT_ORDERING, product_ordering::routes())
        .nest(SERVICE_ORDERING, service_ordering::routes())
        .nest(RESOURCE_ORDERING, resource_ordering::routes())
        .nest(SERVICE_ACTIVATION, activation::routes())
        .merge(inventory::routes())
        .merge(catalog::routes())
        .merge(admin::routes())
        .merge(guarded);
    if http_transport {
        router = router.merge(peer::listener_routes());
    }
    router
        .fallback(error::not_found_fallback)
        .method_not_allowed_fallback(error::method_not_allowed_fallback)
        .layer(DefaultBodyLimit::max(limits.body_bytes_max))
        .layer(overload)
        .layer(middleware::from_fn(guard::canonical_path))
        .with_state(AppState { chain, hub })
}

/// Without a configured `http.public_url`, hrefs start with `http://` and the listener's
/// address.
fn default_public_url(
    config: &mut SimConfig,
    listener: &tokio::net::TcpListener,
) -> std::io::Result<()> {
    if config.http.public_url.is_none() {
        config.http.public_url = Some(format!("http://{}", listener.local_addr()?));
    }
    Ok(())
}

/// A simulator serving HTTP on a bound listener.
pub struct Server {
    /// Where it listens.
    pub local_addr: SocketAddr,
    /// The chain it serves.
    pub chain: Chain,
    /// The hubs (subscriptions and delivery counters).
    pub hub: Hub,
    shutdown: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Builds the chain from `config` and serves it on `listener` (bind port 0 in tests);
    /// with `chain.transport = "http"`, as `--role all` (see [`Server::start_role`]).
    pub async fn start(
        mut config: SimConfig,
        listener: tokio::net::TcpListener,
    ) -> anyhow::Result<Server> {
        default_public_url(&mut config, &listener)?;
        if config.chain.transport == ChainTransport::Http {
            return Server::start_role(config, listener, Role::All, Default::default()).await;
        }
        let hub = Hub::new(&config.limits);
        let chain = Chain::start(config, Arc::new(hub.clone()))?;
        hub.set_clock(chain.clock());
        Server::serve(listener, chain, hub)
    }

    /// Serves `setup.role`'s layer of an HTTP-transport chain on `listener`: as
    /// [`Server::start`], then subscribes on the hubs of its layers' children. `setup` is
    /// built from the listener's address (see [`TransportSetup::new`]).
    pub async fn start_role(
        mut config: SimConfig,
        listener: tokio::net::TcpListener,
        role: Role,
        peers: std::collections::BTreeMap<crate::layers::LayerId, String>,
    ) -> anyhow::Result<Server> {
        config.chain.transport = ChainTransport::Http;
        default_public_url(&mut config, &listener)?;
        let local_addr = listener.local_addr()?;
        let setup = TransportSetup::new(role, format!("http://{local_addr}"), peers)?
            .with_admin_token(config.access.admin_token.clone());
        let hub = Hub::new(&config.limits);
        let chain = Chain::start_with(config, Arc::new(hub.clone()), Some(setup.clone()))?;
        hub.set_clock(chain.clock());
        let renew = std::time::Duration::from_millis(chain.config().chain.subscription_renew_ms);
        let server = Server::serve(listener, chain, hub)?;
        crate::runtime::transport::subscribe_to_children(&setup).await?;
        let reconciles = match role {
            Role::Rom => Some(crate::layers::LayerId::Rom),
            Role::Activation => Some(crate::layers::LayerId::Activation),
            _ => None,
        };
        if let Some(reconcile) = reconciles.and_then(crate::layers::reconcile_input) {
            // A ROM or activation process starts without state, so it may be one restarted
            // after a crash: it reconciles with the layers around it (ROM: the network,
            // activation and SOM's inventory; activation: the network and ROM's inventory).
            // A first start finds nothing of a former life and changes nothing.
            server.chain.deliver_local(reconcile).await;
        }
        let stop = server.shutdown.subscribe();
        tokio::spawn(crate::runtime::transport::renew_subscriptions(
            setup, renew, stop,
        ));
        Ok(server)
    }

    fn serve(listener: tokio::net::TcpListener, chain: Chain, hub: Hub) -> anyhow::Result<Server> {
        let local_addr = listener.local_addr()?;
        let router = app(chain.clone(), hub.clone());
        let limits = serve::ConnectionLimits::from_limits(&chain.config().limits);
        let (shutdown, signal) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(serve::serve(listener, router, limits, signal));
        tracing::info!(%local_addr, "simulator serving");
        Ok(Server {
            local_addr,
            chain,
            hub,
            shutdown,
            task,
        })
    }

    /// The hubs (for delivery counters).
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Stops serving, waits for the server task to end, and stops event delivery.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.shutdown.send(true);
        let result = self.task.await.unwrap_or(Ok(()));
        self.hub.close();
        result
    }
}
