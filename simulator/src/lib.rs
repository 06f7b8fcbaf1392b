//! ordersim's simulator: an in-memory TM Forum order chain over a simulated access network.
//!
//! A product order (TMF622, layer `com`) decomposes through the catalog (TMF620/633/634) into
//! a service order (TMF641, `som`), then resource orders (TMF652, `rom`) that allocate ONU
//! slots, VLAN pairs and IP addresses from the `network`, then TMF640 activations
//! (`activation`) that configure and activate the services on the elements. Results land in the
//! inventories (TMF637/638/639, `inventory`). Each layer is a pure state machine
//! ([`layers::Layer`]); a runtime ([`runtime`]) carries out its effects; [`http`] translates
//! TMF JSON; [`audit`] checks that a run left the network consistent.
//!
//! Modules:
//! - [`domain`]: time, ids, state tables, catalog and decomposition (pure);
//! - [`layers`]: the message protocol and the order layers (pure);
//! - [`network`]: elements, pools, operation profiles (pure);
//! - [`config`]: the scenario's simulator half;
//! - [`runtime`]: the in-process real-time runtime;
//! - [`http`]: the TMF REST API, hubs and operator endpoints;
//! - [`query`]: the typed read API over the stores, and TMF630 query parameters (pure);
//! - [`audit`]: the correctness oracle.

pub mod audit;
pub mod config;
pub mod domain;
pub mod http;
pub mod layers;
pub mod network;
pub mod query;
pub mod runtime;
pub mod tmf;
