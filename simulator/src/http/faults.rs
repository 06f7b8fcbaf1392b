//! Fault injection over REST, `/admin/faults`: create a named fault, replace it, list, read,
//! remove one, reset all, or put a whole set at once (idempotent bulk set-up). Each fault may
//! carry `durationMs`, after which the network removes it by itself, and `delayMs`, before
//! which it waits. Faults and their counters also appear in `/metrics`.
//!
//! | method and path             | answer                                             |
//! |-----------------------------|----------------------------------------------------|
//! | `POST /admin/faults`        | 201 and the fault; 409 if the name is taken        |
//! | `PUT /admin/faults/{name}`  | 201 created or 200 replaced                        |
//! | `PUT /admin/faults`         | 200: the list given replaces every fault            |
//! | `GET /admin/faults`         | 200: every fault                                   |
//! | `GET /admin/faults/{name}`  | 200 or 404                                         |
//! | `DELETE /admin/faults/{name}` | 204 or 404                                       |
//! | `DELETE /admin/faults`      | 200 `{"removed": n}`                                |
//!
//! Changes go to the network layer as messages ([`NetworkInput::Faults`]) and come back as a
//! typed [`FaultAnswer`] or [`FaultRefusal`], like every other request; reads take the
//! network's lock briefly.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::domain::time::Time;
use crate::http::common::AppState;
use crate::http::common::{answer, unexpected};
use crate::http::error::{ApiError, TmfJson};
use crate::http::exposition::{Exposition, labels};
use crate::layers::{Message, Reply};
use crate::network::faults::{
    Fault, FaultError, FaultKind, FaultState, FaultStatus, PutOutcome, TargetSpec, operation_set,
    validate_duration,
};
use crate::network::{FaultAnswer, FaultCommand, FaultRefusal, NetworkInput, OperationKind};
use crate::query;
use crate::runtime::Chain;

/// Most faults one bulk `PUT /admin/faults` may carry (the network's `faults_max` still
/// applies).
pub const BULK_FAULTS_MAX: usize = 1_024;

/// The body of a create or replace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultBody {
    /// The fault's name (optional in `PUT /admin/faults/{name}`, where the path names it).
    #[serde(default)]
    pub name: Option<String>,
    /// `olt:NAME`, `pon:OLT/PORT`, `dslam:NAME`, `pool:REGION/ipv4|multicast|phone`,
    /// `activation`, `region:NAME` or `all`.
    pub target: TargetSpec,
    /// Operation kinds it applies to; absent: all five.
    #[serde(default)]
    pub operations: Option<Vec<OperationKind>>,
    /// What it does.
    pub kind: FaultKind,
    /// How long it lasts, milliseconds; absent: until removed.
    #[serde(default)]
    pub duration_ms: Option<u64>,
    /// How long after now it starts, milliseconds; absent: now.
    #[serde(default)]
    pub delay_ms: Option<u64>,
}

impl FaultBody {
    /// The fault this body describes, starting `delayMs` after `now`.
    pub fn to_fault(&self, name: &str, now: Time) -> Result<Fault, FaultError> {
        let delay = Duration::from_millis(self.delay_ms.unwrap_or(0));
        validate_duration("delayMs", delay)?;
        let duration = self.duration_ms.map(Duration::from_millis);
        if duration == Some(Duration::ZERO) {
            return Err(FaultError::InvalidParameter {
                name: "durationMs",
                value: "0".to_string(),
                reason: "more than 0 (omit it for a fault that lasts until removed)",
            });
        }
        let fault = Fault {
            name: name.to_string(),
            target: self.target.clone(),
            operations: operation_set(self.operations.as_deref())?,
            kind: self.kind.clone(),
            starts_at: now.after(delay),
            duration,
        };
        fault.validate()?;
        Ok(fault)
    }
}

/// The fault routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/faults",
            get(list).post(create).put(replace_all).delete(reset),
        )
        .route(
            "/admin/faults/{name}",
            get(read).put(put_one).delete(remove),
        )
}

impl From<FaultRefusal> for ApiError {
    fn from(refusal: FaultRefusal) -> ApiError {
        match refusal {
            FaultRefusal::Fault(error) => error.into(),
            FaultRefusal::Exists { .. } => {
                ApiError::new(StatusCode::CONFLICT, "Conflict", refusal.to_string())
            }
            FaultRefusal::Entry { .. } => ApiError::bad_request(refusal.to_string()),
            FaultRefusal::TooMany { .. } => ApiError::too_many(refusal.to_string()),
        }
    }
}

/// Sends `command` to the network and waits for what it did.
async fn command(state: &AppState, command: FaultCommand) -> Result<FaultAnswer, ApiError> {
    let reply = answer(
        state
            .chain
            .request(|token| {
                Message::Network(NetworkInput::Faults {
                    command,
                    reply_to: Some(token),
                })
            })
            .await,
    )?;
    match reply {
        Reply::Faults(result) => Ok(result?),
        other => Err(unexpected(&other)),
    }
}

/// The answer to a put: its outcome and the fault's JSON as at `now`, when it was asked for.
fn put_answer(answer: FaultAnswer, now: Time) -> Result<(PutOutcome, Value), ApiError> {
    match answer {
        FaultAnswer::Put { outcome, status } => {
            Ok((outcome, fault_json(&status, now, &BTreeMap::new())))
        }
        other => Err(ApiError::internal(format!("unexpected answer {other:?}"))),
    }
}

impl From<FaultError> for ApiError {
    fn from(error: FaultError) -> ApiError {
        match error {
            FaultError::NotFound { .. } => ApiError::not_found(error.to_string()),
            FaultError::TooMany { .. } => ApiError::too_many(error.to_string()),
            other => ApiError::bad_request(other.to_string()),
        }
    }
}

/// The product order behind each hit's subject (an allocation or a TMF640 service), found
/// through the resource order that holds it and its service order: one pass over ROM's
/// retained orders for every subject asked about.
pub fn hit_orders(chain: &Chain, statuses: &[FaultStatus]) -> BTreeMap<String, String> {
    query::hit_orders(&chain.rom(), &chain.som(), statuses)
}

/// The JSON of one fault as listed; `orders` maps hit subjects to product orders.
fn fault_json(status: &FaultStatus, now: Time, orders: &BTreeMap<String, String>) -> Value {
    serde_json::to_value(query::fault_view::fault_view(status, now, orders)).unwrap_or_default()
}

/// Every fault as JSON, hits resolved to product orders.
fn list_json(chain: &Chain, now: Time) -> Value {
    // The network's lock is released before ROM's and SOM's are taken.
    let statuses = chain.network().fault_statuses(now);
    let orders = hit_orders(chain, &statuses);
    let list = statuses
        .iter()
        .map(|status| fault_json(status, now, &orders))
        .collect();
    Value::Array(list)
}

async fn create(
    State(state): State<AppState>,
    TmfJson(body): TmfJson<FaultBody>,
) -> Result<Response, ApiError> {
    let name = body
        .name
        .clone()
        .ok_or_else(|| ApiError::bad_request("a fault needs a `name`"))?;
    let now = state.chain.now();
    let fault = body.to_fault(&name, now)?;
    let done = command(&state, FaultCommand::Create(Box::new(fault))).await?;
    let (_, body) = put_answer(done, now)?;
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

async fn put_one(
    State(state): State<AppState>,
    Path(name): Path<String>,
    TmfJson(body): TmfJson<FaultBody>,
) -> Result<Response, ApiError> {
    if body.name.as_ref().is_some_and(|given| *given != name) {
        return Err(ApiError::bad_request(
            "the body's `name` differs from the path's",
        ));
    }
    let now = state.chain.now();
    let fault = body.to_fault(&name, now)?;
    let done = command(&state, FaultCommand::Put(Box::new(fault))).await?;
    let (outcome, body) = put_answer(done, now)?;
    let status = match outcome {
        PutOutcome::Created => StatusCode::CREATED,
        PutOutcome::Replaced => StatusCode::OK,
    };
    Ok((status, axum::Json(body)).into_response())
}

/// Replaces every fault with the list given: all are checked first, so a bad entry changes
/// nothing; putting the same list twice leaves the same faults.
async fn replace_all(
    State(state): State<AppState>,
    TmfJson(bodies): TmfJson<Vec<FaultBody>>,
) -> Result<Response, ApiError> {
    if bodies.len() > BULK_FAULTS_MAX {
        return Err(ApiError::bad_request(format!(
            "{} faults in one request; at most {BULK_FAULTS_MAX}",
            bodies.len()
        )));
    }
    let now = state.chain.now();
    let mut faults = Vec::with_capacity(bodies.len());
    let mut names = std::collections::BTreeSet::new();
    for (index, body) in bodies.iter().enumerate() {
        let name = body
            .name
            .clone()
            .ok_or_else(|| ApiError::bad_request(format!("fault [{index}] needs a `name`")))?;
        if !names.insert(name.clone()) {
            return Err(ApiError::bad_request(format!(
                "the name `{name}` is used twice"
            )));
        }
        let fault = body
            .to_fault(&name, now)
            .map_err(|error| ApiError::bad_request(format!("fault [{index}]: {error}")))?;
        faults.push(fault);
    }
    command(&state, FaultCommand::ReplaceAll(faults)).await?;
    Ok(axum::Json(list_json(&state.chain, now)).into_response())
}

async fn list(State(state): State<AppState>) -> axum::Json<Value> {
    axum::Json(list_json(&state.chain, state.chain.now()))
}

async fn read(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let now = state.chain.now();
    let status = state.chain.network().fault_status(&name, now);
    let status = status.ok_or(FaultError::NotFound { name })?;
    let orders = hit_orders(&state.chain, std::slice::from_ref(&status));
    Ok(axum::Json(fault_json(&status, now, &orders)))
}

async fn remove(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    command(&state, FaultCommand::Remove(name)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reset(State(state): State<AppState>) -> Result<axum::Json<Value>, ApiError> {
    let removed = match command(&state, FaultCommand::Reset).await? {
        FaultAnswer::Removed(removed) => removed,
        other => return Err(ApiError::internal(format!("unexpected answer {other:?}"))),
    };
    Ok(axum::Json(json!({ "removed": removed })))
}

/// Prometheus label value: backslashes, quotes and newlines escaped.
/// One per-fault metric: name, help text, whether it is a counter, and how to read it.
type Series = (&'static str, &'static str, bool, fn(&FaultStatus) -> u64);

/// Faults in the exposition: how many by state, and per fault the calls it matched and
/// affected and the pool entries it holds.
pub fn fault_metrics(chain: &Chain, out: &mut Exposition) {
    let now = chain.now();
    let statuses = chain.network().fault_statuses(now);
    let states = [
        (FaultState::Scheduled, "scheduled"),
        (FaultState::Active, "active"),
        (FaultState::Rebooting, "rebooting"),
    ];
    out.gauges(
        "faults",
        "Faults the network holds, by state.",
        states.map(|(state, name)| {
            let count = statuses.iter().filter(|s| s.state == state).count() as u64;
            (labels([("state", name)]), count)
        }),
    );
    let series: [Series; 3] = [
        (
            "fault_calls_matched",
            "Calls each fault applied to.",
            true,
            |s| s.calls_matched,
        ),
        (
            "fault_calls_affected",
            "Calls whose outcome or latency each fault changed.",
            true,
            |s| s.calls_affected,
        ),
        (
            "fault_reserved_entries",
            "Pool entries each pool-pressure fault holds.",
            false,
            |s| u64::from(s.reserved_entries),
        ),
    ];
    for (name, help, counter, read) in series {
        let samples = statuses.iter().map(|status| {
            let target = status.fault.target.to_string();
            let fault_labels = labels([
                ("fault", status.fault.name.as_str()),
                ("kind", status.fault.kind.as_str()),
                ("target", &target),
            ]);
            (fault_labels, read(status))
        });
        match counter {
            true => out.counters(name, help, samples),
            false => out.gauges(name, help, samples),
        }
    }
}
