//! The TMF652 and TMF640 boundaries driven by a client that uses only what the TMF v4 specs
//! define (no ordersim-specific attribute), in the default in-process mode and over the HTTP
//! transport: a resource order allocates from the network and completes with its resources
//! in the TMF639 inventory; a service is configured and activated, reconfigured by PATCH,
//! terminated by DELETE; unknown specifications are 400s naming them and unknown ids 404s.
//! Every body that comes back validates against the official swagger files.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use simulator::config::{ChainTransport, SimConfig};
use simulator::http::Server;

use crate::http_support::{TMF640, TMF652, TestApp, fast_config, validate, validate_error};

const RESOURCE_ORDERING: &str = "/tmf-api/resourceOrderingManagement/v4";
const ACTIVATION: &str = "/tmf-api/ServiceActivationAndConfiguration/v4";
const RESOURCE_INVENTORY: &str = "/tmf-api/resourceInventory/v4";

/// A client of the simulator: the router without a socket, or HTTP to a server.
enum Client {
    Router(TestApp),
    Http(reqwest::Client, String),
}

impl Client {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        match self {
            Client::Router(app) => {
                let (status, _, body) = app.call(method, path, body).await;
                (status, body)
            }
            Client::Http(client, base) => {
                let method = reqwest::Method::from_bytes(method.as_str().as_bytes())
                    .expect("a method reqwest knows");
                let mut request = client.request(method, format!("{base}{path}"));
                if let Some(body) = body {
                    request = request.json(&body);
                }
                let response = request.send().await.expect("the simulator answers");
                let status = StatusCode::from_u16(response.status().as_u16()).expect("status");
                let text = response.text().await.expect("a body");
                let body = serde_json::from_str(&text).unwrap_or(Value::Null);
                (status, body)
            }
        }
    }

    /// GETs `path` until `done` holds for the body: each wait lets the chain's timers fire
    /// (paused time in-process; a few milliseconds of loopback traffic over HTTP).
    async fn until(&self, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..5_000 {
            let (status, body) = self.call(Method::GET, path, None).await;
            assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
            if done(&body) {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("{path} never reached the state waited for");
    }
}

fn state_is(wanted: &'static [&'static str]) -> impl Fn(&Value) -> bool {
    move |body| wanted.contains(&body["state"].as_str().unwrap_or_default())
}

/// Fails when `value` holds an attribute starting with `@` that TMF does not define.
fn assert_only_tmf_attributes(value: &Value) {
    const TMF: [&str; 4] = ["@type", "@baseType", "@schemaLocation", "@referredType"];
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                assert!(
                    !key.starts_with('@') || TMF.contains(&key.as_str()),
                    "`{key}` is not a TMF attribute in {value}"
                );
                assert_only_tmf_attributes(inner);
            }
        }
        Value::Array(list) => list.iter().for_each(assert_only_tmf_attributes),
        _ => {}
    }
}

/// A fibre access and an IP address in region `north`, as any TMF652 client writes it.
fn resource_order() -> Value {
    let item = |id: &str, specification: &str| {
        json!({
            "id": id,
            "action": "add",
            "@type": "ResourceOrderItem",
            "resourceSpecification": {"id": specification},
            "resource": {
                "@type": "LogicalResource",
                "place": {"id": "north", "name": "north", "role": "region"},
                "resourceCharacteristic": [{"name": "downstreamSpeedMbps", "value": 300}]
            }
        })
    };
    json!({
        "@type": "ResourceOrder",
        "externalId": "foreign-som-1",
        "description": "north build-out",
        "priority": 1,
        "category": "FTTH",
        "name": "north-1",
        "orderType": "provide",
        "requestedStartDate": "2026-12-01T08:00:00Z",
        "note": [{"text": "from a foreign SOM"}],
        "relatedParty": [{"id": "som-team", "role": "requester", "@referredType": "Organization"}],
        "orderItem": [item("1", "onu-slot"), item("2", "vlan-pair"), item("3", "ipv4-address")]
    })
}

async fn resource_order_completes(client: &Client) {
    let (status, created) = client
        .call(
            Method::POST,
            &format!("{RESOURCE_ORDERING}/resourceOrder"),
            Some(resource_order()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    validate(TMF652, "ResourceOrder", &created);
    assert_only_tmf_attributes(&created);
    assert_eq!(created["state"], "acknowledged");
    let path = format!(
        "{RESOURCE_ORDERING}/resourceOrder/{}",
        created["id"].as_str().expect("id")
    );
    let order = client
        .until(&path, state_is(&["completed", "failed", "partial"]))
        .await;
    assert_eq!(order["state"], "completed", "{order}");
    validate(TMF652, "ResourceOrder", &order);
    assert_only_tmf_attributes(&order);
    assert_eq!(order["externalId"], "foreign-som-1");
    // Every header attribute the client wrote is kept, returned and filterable, and a PATCH
    // of one merges into them.
    for key in [
        "description",
        "priority",
        "category",
        "name",
        "orderType",
        "requestedStartDate",
    ] {
        assert_eq!(order[key], resource_order()[key], "{key}: {order}");
    }
    assert_eq!(order["note"][0]["text"], "from a foreign SOM");
    assert_eq!(order["relatedParty"][0]["id"], "som-team");
    let filtered = format!("{RESOURCE_ORDERING}/resourceOrder?category=FTTH&orderType=provide");
    let (status, found) = client.call(Method::GET, &filtered, None).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    let change = json!({"category": "B2B", "expectedCompletionDate": "2026-12-02T08:00:00Z"});
    let (status, patched) = client.call(Method::PATCH, &path, Some(change)).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    validate(TMF652, "ResourceOrder", &patched);
    assert_eq!(patched["category"], "B2B");
    assert_eq!(patched["expectedCompletionDate"], "2026-12-02T08:00:00Z");
    assert_eq!(patched["name"], "north-1", "the rest stays");
    for bad in [
        json!({"startDate": "yesterday"}),
        json!({"priority": "high"}),
    ] {
        let (status, error) = client.call(Method::PATCH, &path, Some(bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        validate_error(&error, 400);
    }
    for item in order["orderItem"].as_array().expect("items") {
        assert_eq!(item["state"], "completed", "{item}");
        let id = item["resource"]["id"]
            .as_str()
            .expect("an allocated resource");
        let (status, resource) = client
            .call(
                Method::GET,
                &format!("{RESOURCE_INVENTORY}/resource/{id}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{resource}");
        assert_eq!(resource["resourceStatus"], "available", "{resource}");
        assert_eq!(
            resource["resourceSpecification"]["id"],
            item["resourceSpecification"]["id"]
        );
    }
    let (status, error) = client
        .call(
            Method::POST,
            &format!("{RESOURCE_ORDERING}/resourceOrder"),
            Some(json!({"orderItem": [{"action": "add",
                "resourceSpecification": {"id": "warp-core"},
                "resource": {"place": {"name": "north", "role": "region"}}}]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    validate_error(&error, 400);
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("warp-core"),
        "{error}"
    );
}

async fn resource_order_cancels(client: &Client) {
    let (status, created) = client
        .call(
            Method::POST,
            &format!("{RESOURCE_ORDERING}/resourceOrder"),
            Some(resource_order()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id");
    let (status, cancel) = client
        .call(
            Method::POST,
            &format!("{RESOURCE_ORDERING}/cancelResourceOrder"),
            Some(json!({"resourceOrder": {"id": id}, "cancellationReason": "changed mind"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{cancel}");
    validate(TMF652, "CancelResourceOrder", &cancel);
    let path = format!("{RESOURCE_ORDERING}/resourceOrder/{id}");
    let order = client
        .until(
            &path,
            state_is(&["completed", "failed", "partial", "cancelled"]),
        )
        .await;
    assert!(
        ["cancelled", "completed"].contains(&order["state"].as_str().unwrap_or_default()),
        "{order}"
    );
}

/// An RFS on an OLT, as any TMF640 client writes it.
fn service() -> Value {
    json!({
        "@type": "Service",
        "name": "foreign-rfs-1",
        "state": "active",
        "serviceSpecification": {"id": "gpon-access"},
        "serviceCharacteristic": [
            {"name": "olt", "value": "olt-north-1"},
            {"name": "ponPort", "value": 1},
            {"name": "onuId", "value": 7},
            {"name": "downstreamSpeedMbps", "value": 100}
        ]
    })
}

fn speed(service: &Value) -> Value {
    let listed = service["serviceCharacteristic"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    listed
        .into_iter()
        .find(|c| c["name"] == "downstreamSpeedMbps")
        .map(|c| c["value"].clone())
        .unwrap_or(Value::Null)
}

async fn service_lifecycle(client: &Client) {
    let collection = format!("{ACTIVATION}/service");
    let (status, created) = client
        .call(Method::POST, &collection, Some(service()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    validate(TMF640, "Service", &created);
    assert_only_tmf_attributes(&created);
    let path = format!("{collection}/{}", created["id"].as_str().expect("id"));
    let active = client
        .until(&path, state_is(&["active", "terminated"]))
        .await;
    assert_eq!(active["state"], "active", "{active}");
    validate(TMF640, "Service", &active);
    assert_eq!(active["name"], "foreign-rfs-1");

    // A PATCH is checked whole against Service_Update: an empty one answers the service as it
    // is; a wrong type anywhere, or an attribute activation does not keep, is a 400 naming it.
    let (status, same) = client.call(Method::PATCH, &path, Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{same}");
    assert_eq!(same["id"], active["id"]);
    validate(TMF640, "Service", &same);
    for (bad, named) in [
        (json!({"hasStarted": "soon"}), "hasStarted"),
        (json!({"description": "nowhere to keep it"}), "description"),
    ] {
        let (status, error) = client.call(Method::PATCH, &path, Some(bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        validate_error(&error, 400);
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains(named), "{message}");
    }
    let change = json!({"serviceCharacteristic": [{"name": "downstreamSpeedMbps", "value": 250}]});
    let (status, patched) = client.call(Method::PATCH, &path, Some(change)).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    validate(TMF640, "Service", &patched);
    let reconfigured = client
        .until(&path, |body| {
            body["state"] == "active" && speed(body) == json!(250)
        })
        .await;
    validate(TMF640, "Service", &reconfigured);

    let (status, body) = client.call(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let terminated = client.until(&path, state_is(&["terminated"])).await;
    validate(TMF640, "Service", &terminated);
    let (status, error) = client
        .call(Method::PATCH, &path, Some(json!({"state": "active"})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    validate_error(&error, 409);

    let (status, error) = client
        .call(
            Method::POST,
            &collection,
            Some(json!({"state": "active", "serviceSpecification": {"id": "flux-capacitor"}})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    validate_error(&error, 400);
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("flux-capacitor")
    );
    // An attribute activation would not keep is refused by name, not dropped.
    let mut kept_nowhere = service();
    kept_nowhere["description"] = json!("written nowhere");
    let (status, refused) = client
        .call(Method::POST, &collection, Some(kept_nowhere))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    let message = refused["message"].as_str().unwrap_or_default();
    assert!(message.contains("`description`"), "{message}");
}

async fn unknown_ids_are_404(client: &Client) {
    let unknown = format!("{ACTIVATION}/service/ACT-999");
    for (method, body) in [
        (Method::PATCH, Some(json!({"state": "active"}))),
        (Method::PATCH, Some(json!({"state": "terminated"}))),
        (Method::PATCH, Some(json!({}))),
        (Method::DELETE, None),
        (Method::GET, None),
    ] {
        let (status, error) = client.call(method.clone(), &unknown, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {unknown}: {error}");
        validate_error(&error, 404);
    }
    let (status, error) = client
        .call(
            Method::GET,
            &format!("{RESOURCE_ORDERING}/resourceOrder/RO-999"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
    validate_error(&error, 404);
}

#[tokio::test(start_paused = true)]
async fn tmf652_and_tmf640_boundaries_in_process() {
    let client = Client::Router(TestApp::start(fast_config()));
    resource_order_completes(&client).await;
    resource_order_cancels(&client).await;
    service_lifecycle(&client).await;
    unknown_ids_are_404(&client).await;
}

#[tokio::test]
async fn tmf652_and_tmf640_boundaries_over_the_http_transport() {
    let mut config: SimConfig = fast_config();
    config.chain.transport = ChainTransport::Http;
    config.profiles.default.latency = simulator::network::profile::Latency::Fixed { ms: 1.0 };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind simulator");
    let server = Server::start(config, listener).await.expect("starts");
    let base = format!("http://{}", server.local_addr);
    let client = Client::Http(reqwest::Client::new(), base);
    resource_order_completes(&client).await;
    service_lifecycle(&client).await;
    unknown_ids_are_404(&client).await;
    let stats = server.chain.transport_stats().expect("an HTTP transport");
    assert_eq!(stats.failed, 0, "no transport call refused: {stats:?}");
    server.shutdown().await.expect("stops");
}
