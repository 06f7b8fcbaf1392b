//! How to send: one function per TMF call over one shared `reqwest::Client`.
//!
//! Every call returns a typed result; a failure is a [`ClientError`] value with a short
//! [`ClientError::kind`] so the metrics can count failures by kind. Nothing here panics or
//! aborts the run on a bad answer. Bodies read from the server are capped.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

/// Base path of the TMF622 product ordering API.
pub const PRODUCT_ORDERING: &str = "/tmf-api/productOrderingManagement/v4";
/// Base path of the TMF639 resource inventory API.
pub const RESOURCE_INVENTORY: &str = "/tmf-api/resourceInventory/v4";

/// Base path of the TMF640 service activation API.
pub const SERVICE_ACTIVATION: &str = "/tmf-api/ServiceActivationAndConfiguration/v4";

/// Largest response body read, bytes.
pub const RESPONSE_BYTES_MAX: usize = 16 * 1024 * 1024;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Could not connect.
    #[error("connect: {0}")]
    Connect(String),
    /// No answer within the request timeout.
    #[error("timeout")]
    Timeout,
    /// The server answered with a non-success status.
    #[error("HTTP {status}: {body}")]
    Status {
        /// The status code.
        status: u16,
        /// The start of the body (a TMF Error, usually).
        body: String,
    },
    /// The answer could not be decoded.
    #[error("decode: {0}")]
    Decode(String),
    /// The body was larger than [`RESPONSE_BYTES_MAX`].
    #[error("response body too large")]
    TooLarge,
    /// Any other transport failure.
    #[error("transport: {0}")]
    Transport(String),
    /// The target is not an `http://` or `https://` URL.
    #[error("{0}")]
    BadUrl(String),
}

/// Checks that `base` is an `http://` or `https://` URL, with a sentence that says the fix.
fn checked_base(base: &str) -> Result<String, ClientError> {
    let url = reqwest::Url::parse(base);
    match url {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(base.trim_end_matches('/').to_string())
        }
        _ if !base.contains("://") => Err(ClientError::BadUrl(format!(
            "`{base}` has no scheme: give the target as `http://{base}`"
        ))),
        _ => Err(ClientError::BadUrl(format!(
            "`{base}` is not an http:// or https:// URL (e.g. `http://127.0.0.1:8080`)"
        ))),
    }
}

impl ClientError {
    /// A short stable name, for counting.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientError::Connect(_) => "connect",
            ClientError::Timeout => "timeout",
            ClientError::Status { .. } => "status",
            ClientError::Decode(_) => "decode",
            ClientError::TooLarge => "too_large",
            ClientError::Transport(_) => "transport",
            ClientError::BadUrl(_) => "bad_url",
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl From<reqwest::Error> for ClientError {
    fn from(error: reqwest::Error) -> Self {
        if error.is_timeout() {
            ClientError::Timeout
        } else if error.is_connect() {
            ClientError::Connect(error.to_string())
        } else if error.is_decode() {
            ClientError::Decode(error.to_string())
        } else {
            ClientError::Transport(error.to_string())
        }
    }
}

/// The id and state of an order, as answered by a create or a GET.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct OrderState {
    /// The order id, e.g. `PO-17`.
    pub id: String,
    /// Its TMF state.
    #[serde(default)]
    pub state: String,
    /// Its notes (a failed order's `FailureNote` says why).
    #[serde(default)]
    pub note: Vec<crate::observe::tracker::NoteView>,
}

impl OrderState {
    /// The failure code the order carries, if any.
    pub fn failure_code(&self) -> Option<&str> {
        crate::observe::tracker::failure_code(&self.note)
    }
}

/// A registered hub listener.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct HubRegistration {
    /// Its id, for the DELETE.
    pub id: String,
}

/// A TMF client for one simulator.
#[derive(Clone, Debug)]
pub struct TmfClient {
    http: reqwest::Client,
    base: String,
}

impl TmfClient {
    /// A client for `base` (e.g. `http://127.0.0.1:8080`) with a per-request timeout.
    pub fn new(base: &str, request_timeout: Duration) -> Result<TmfClient, ClientError> {
        let base = checked_base(base)?;
        let http = reqwest::Client::builder()
            .timeout(request_timeout)
            .pool_max_idle_per_host(usize::MAX)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        Ok(TmfClient { http, base })
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `POST /productOrder` with a ready body; answers the created order's id and state.
    pub async fn create_product_order(&self, body: Vec<u8>) -> Result<OrderState, ClientError> {
        let url = format!("{}{PRODUCT_ORDERING}/productOrder", self.base);
        let response = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?;
        decode(response).await
    }

    /// `POST /cancelProductOrder` for `order_id`; answers the cancel request's JSON.
    pub async fn cancel_product_order(&self, order_id: &str) -> Result<Value, ClientError> {
        let url = format!("{}{PRODUCT_ORDERING}/cancelProductOrder", self.base);
        let body = serde_json::json!({
            "productOrder": {"id": order_id},
            "cancellationReason": "loadgen cancel",
        });
        decode(self.http.post(url).json(&body).send().await?).await
    }

    /// `GET /productOrder/{id}`.
    pub async fn get_product_order(&self, order_id: &str) -> Result<Value, ClientError> {
        let url = format!("{}{PRODUCT_ORDERING}/productOrder/{order_id}", self.base);
        decode(self.http.get(url).send().await?).await
    }

    /// `GET /productOrder?state=..&limit=..&offset=..`; answers the page and `X-Total-Count`.
    pub async fn list_product_orders(
        &self,
        state: Option<&str>,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<Value>, Option<u64>), ClientError> {
        let mut url = format!(
            "{}{PRODUCT_ORDERING}/productOrder?limit={limit}&offset={offset}",
            self.base
        );
        if let Some(state) = state {
            url.push_str("&state=");
            url.push_str(state);
        }
        let response = self.http.get(url).send().await?;
        let total = total_count(&response);
        Ok((decode(response).await?, total))
    }

    /// `POST /hub`: registers `callback` for product order state changes.
    pub async fn register_hub(&self, callback: &str) -> Result<HubRegistration, ClientError> {
        let url = format!("{}{PRODUCT_ORDERING}/hub", self.base);
        let body = serde_json::json!({
            "callback": callback,
            "query": "eventType=ProductOrderStateChangeEvent",
        });
        decode(self.http.post(url).json(&body).send().await?).await
    }

    /// `DELETE /hub/{id}`.
    pub async fn delete_hub(&self, hub_id: &str) -> Result<(), ClientError> {
        let url = format!("{}{PRODUCT_ORDERING}/hub/{hub_id}", self.base);
        let response = self.http.delete(url).send().await?;
        check_status(response).await.map(|_| ())
    }

    /// `GET /health`.
    pub async fn health(&self) -> Result<(), ClientError> {
        let url = format!("{}/health", self.base);
        check_status(self.http.get(url).send().await?)
            .await
            .map(|_| ())
    }

    /// `GET /admin/audit`.
    pub async fn audit(&self) -> Result<simulator::audit::AuditRead, ClientError> {
        let url = format!("{}/admin/audit", self.base);
        decode(self.http.get(url).send().await?).await
    }

    /// `PUT /admin/faults/{name}`: creates or replaces a fault; answers its JSON.
    pub async fn put_fault(&self, name: &str, body: &Value) -> Result<Value, ClientError> {
        let url = format!("{}/admin/faults/{name}", self.base);
        decode(self.http.put(url).json(body).send().await?).await
    }

    /// `POST /admin/layers/{layer}/restart`: restarts a layer without its state (a crash).
    pub async fn restart_layer(&self, layer: &str) -> Result<Value, ClientError> {
        let url = format!("{}/admin/layers/{layer}/restart", self.base);
        decode(self.http.post(url).send().await?).await
    }

    /// `GET /admin/faults`: every fault the simulator holds, with its counters.
    pub async fn list_faults(&self) -> Result<Vec<Value>, ClientError> {
        let url = format!("{}/admin/faults", self.base);
        decode(self.http.get(url).send().await?).await
    }

    /// `DELETE /admin/faults/{name}`: whether there was such a fault (a fault already gone
    /// is not an error).
    pub async fn delete_fault(&self, name: &str) -> Result<bool, ClientError> {
        let url = format!("{}/admin/faults/{name}", self.base);
        match check_status(self.http.delete(url).send().await?).await {
            Ok(_) => Ok(true),
            Err(ClientError::Status { status: 404, .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// `DELETE /admin/faults`: removes every fault; answers how many there were.
    pub async fn reset_faults(&self) -> Result<u64, ClientError> {
        let url = format!("{}/admin/faults", self.base);
        let answer: Value = decode(self.http.delete(url).send().await?).await?;
        Ok(answer.get("removed").and_then(Value::as_u64).unwrap_or(0))
    }

    /// `GET /admin/workers`: each layer's worker slots and queue.
    pub async fn workers(&self) -> Result<Value, ClientError> {
        let url = format!("{}/admin/workers", self.base);
        decode(self.http.get(url).send().await?).await
    }

    /// `GET /admin/timeline/{id}`: where one product order spent its time, layer by layer.
    pub async fn timeline(&self, order_id: &str) -> Result<Value, ClientError> {
        let url = format!("{}/admin/timeline/{order_id}", self.base);
        decode(self.http.get(url).send().await?).await
    }

    /// `GET /admin/peers`: this process's role and the layer processes it calls.
    pub async fn peers(&self) -> Result<crate::observe::processes::PeersAnswer, ClientError> {
        let url = format!("{}/admin/peers", self.base);
        decode(self.http.get(url).send().await?).await
    }

    /// Reads the listing at `path` (a JSON array, paged by `offset` and `limit`) page by page,
    /// handing each entry to `each`; at most `max` entries, and an error sentence when the
    /// listing could not be read whole (a call failed, or it holds more than `max`).
    pub async fn for_each_page(
        &self,
        path: &str,
        page: usize,
        max: usize,
        mut each: impl FnMut(Value),
    ) -> Result<(), String> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut offset = 0;
        loop {
            let url = format!("{}{path}{separator}offset={offset}&limit={page}", self.base);
            let answer = async { decode::<Vec<Value>>(self.http.get(url).send().await?).await };
            let entries = answer
                .await
                .map_err(|error| format!("GET {path} on {}: {error}", self.base))?;
            let read = entries.len();
            entries.into_iter().for_each(&mut each);
            offset += read;
            if read < page {
                return Ok(());
            }
            if offset >= max {
                return Err(format!("{path} on {} lists more than {max}", self.base));
            }
        }
    }

    /// `GET /resource?limit=..&offset=..` of the resource inventory.
    pub async fn list_resources(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<Value>, Option<u64>), ClientError> {
        let url = format!(
            "{}{RESOURCE_INVENTORY}/resource?limit={limit}&offset={offset}",
            self.base
        );
        let response = self.http.get(url).send().await?;
        let total = total_count(&response);
        Ok((decode(response).await?, total))
    }
}

fn total_count(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get("x-total-count")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

async fn check_status(response: reqwest::Response) -> Result<Vec<u8>, ClientError> {
    let status = response.status();
    let bytes = read_capped(response).await?;
    if status.is_success() {
        Ok(bytes)
    } else {
        let shown = bytes.len().min(512);
        Err(ClientError::Status {
            status: status.as_u16(),
            body: String::from_utf8_lossy(bytes.get(..shown).unwrap_or_default()).into_owned(),
        })
    }
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, ClientError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if bytes.len() + chunk.len() > RESPONSE_BYTES_MAX {
            return Err(ClientError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

async fn decode<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, ClientError> {
    let bytes = check_status(response).await?;
    serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode(e.to_string()))
}
