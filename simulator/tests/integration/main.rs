//! The crate's integration tests, linked into one binary: one link instead of one per file
//! keeps CI's build small and fast. Each module is one former test file.

mod audit_scope;
mod chain_realtime;
mod chain_support;
mod chain_virtual;
mod cli;
mod contracts;
mod faults_chain;
mod faults_http;
mod faults_network;
mod http_api;
mod http_attributes;
mod http_errors;
mod http_guard;
mod http_hub;
mod http_hub_order;
mod http_orchestration;
mod http_query;
mod http_schema;
mod http_support;
mod jeopardy;
mod lifecycle_actions;
mod lifecycle_audit;
mod lifecycle_cancel;
mod lifecycle_http;
mod lifecycle_proptest;
mod lifecycle_support;
mod overload;
mod overload_process;
mod ownership;
mod process_support;
mod retry_policy;
mod slow_clients;
mod sync_mode;
mod transport_http;
mod transport_split_process;
