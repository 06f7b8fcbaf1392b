//! Shared helpers of the HTTP tests: validating JSON against the official TMF Swagger 2
//! definitions copied in `tests/tmf/`, and sample domain entities to render.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use serde_json::{Value, json};

/// TMF622 product ordering.
pub const TMF622: &str = "TMF622-ProductOrder-v4.0.0.swagger.json";
/// TMF641 service ordering.
pub const TMF641: &str = "TMF641-ServiceOrdering-v4.1.0.swagger.json";
/// TMF652 resource ordering.
pub const TMF652: &str = "TMF652-ResourceOrder-v4.0.0.swagger.json";
/// TMF640 service activation.
pub const TMF640: &str = "TMF640-ServiceActivation-v4.0.0.swagger.json";

/// Loads a copied spec file.
pub fn spec(file: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/tmf")
        .join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{file} is not JSON: {error}"))
}

/// `format: uri` (RFC 3986): an absolute URI, i.e. a scheme and `:`; hrefs must not be
/// relative references such as `/tmf-api/...`.
fn absolute_uri(text: &str) -> bool {
    reqwest::Url::parse(text).is_ok() && !text.chars().any(char::is_whitespace)
}

/// Validates `instance` against `#/definitions/{definition}` of `file` (draft 4, formats
/// checked), panicking with every violation.
pub fn validate(file: &str, definition: &str, instance: &Value) {
    let spec = spec(file);
    let definitions = spec
        .get("definitions")
        .cloned()
        .unwrap_or_else(|| panic!("{file} has no definitions"));
    assert!(
        definitions.get(definition).is_some(),
        "{file} has no definition {definition}"
    );
    let schema = json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "$ref": format!("#/definitions/{definition}"),
        "definitions": definitions,
    });
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .with_format("uri", absolute_uri)
        .build(&schema)
        .unwrap_or_else(|error| panic!("{file}#{definition} does not compile: {error}"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{definition} ({file}) violated:\n{}\ninstance: {}",
        errors.join("\n"),
        serde_json::to_string_pretty(instance).unwrap_or_default()
    );
}

/// Validates a TMF Error body and its status.
pub fn validate_error(body: &Value, status: u16) {
    validate(TMF622, "Error", body);
    assert_eq!(body["code"], status.to_string(), "{body}");
    assert_eq!(body["status"], status.to_string(), "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use simulator::config::SimConfig;
use simulator::http::{Hub, app};
use simulator::runtime::Chain;
use tower::ServiceExt;

/// A chain with fast, failure-free elements, its hub and the router over them.
pub struct TestApp {
    /// The router (called with `oneshot`).
    pub router: Router,
    /// The chain behind it.
    pub chain: Chain,
    /// Its hub.
    pub hub: Hub,
}

/// A configuration with 5 ms element operations and no failures.
pub fn fast_config() -> SimConfig {
    let mut config = SimConfig::default();
    config.profiles.default.latency = simulator::network::profile::Latency::Fixed { ms: 5.0 };
    config.profiles.default.failure_probability = 0.0;
    config
}

impl TestApp {
    /// Starts a chain with `config` (needs a tokio runtime).
    pub fn start(config: SimConfig) -> TestApp {
        let hub = Hub::new(&config.limits);
        let chain = Chain::start(config, Arc::new(hub.clone())).expect("chain starts");
        hub.set_clock(chain.clock());
        TestApp {
            router: app(chain.clone(), hub.clone()),
            chain,
            hub,
        }
    }

    /// Sends a request with a raw body and content type; returns status, headers and JSON
    /// body (`Null` when empty).
    pub async fn raw(
        &self,
        method: Method,
        uri: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let request = request.body(Body::from(body)).expect("request builds");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body reads");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        (status, headers, body)
    }

    /// Sends `body` as JSON (or nothing).
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        body: Option<Value>,
    ) -> (StatusCode, HeaderMap, Value) {
        match body {
            Some(body) => {
                let bytes = serde_json::to_vec(&body).expect("serializes");
                self.raw(method, uri, Some("application/json"), bytes).await
            }
            None => self.raw(method, uri, None, Vec::new()).await,
        }
    }

    /// GETs `uri` and expects 200.
    pub async fn get_ok(&self, uri: &str) -> (HeaderMap, Value) {
        let (status, headers, body) = self.call(Method::GET, uri, None).await;
        assert_eq!(status, StatusCode::OK, "GET {uri}: {body}");
        (headers, body)
    }
}

/// A fibre broadband order in region `north`.
pub fn fibre_order(external_id: &str) -> Value {
    json!({
        "externalId": external_id,
        "@type": "ProductOrder",
        "productOrderItem": [{
            "id": "1",
            "action": "add",
            "@type": "ProductOrderItem",
            "productOffering": {"id": "fibre-broadband"},
            "product": {"@type": "Product", "productCharacteristic": [
                {"name": "region", "value": "north"},
                {"name": "downstreamSpeedMbps", "value": 500}
            ]}
        }]
    })
}

/// The TMF622 product order collection.
pub const PRODUCT_ORDER: &str = "/tmf-api/productOrderingManagement/v4/productOrder";
