//! The chain as five processes (`simulator --role …` on 127.0.0.1:0), each hosting one layer
//! and talking to the others over TMF REST and hub callbacks: twenty fibre orders posted to
//! the COM process all complete, the work is really spread over the processes, and no
//! transport call failed. The children are killed when the test ends, pass or fail.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use axum::Json;
use axum::routing::post;
use serde_json::{Value, json};

const ORDERS: usize = 20;
pub(crate) const PRODUCT_ORDERING: &str = "/tmf-api/productOrderingManagement/v4";
const SERVICE_ORDERING: &str = "/tmf-api/serviceOrdering/v4";
const RESOURCE_ORDERING: &str = "/tmf-api/resourceOrderingManagement/v4";

/// A child simulator; killed (and reaped) on drop.
pub(crate) struct Layer {
    child: Child,
    pub(crate) address: String,
    // Held so that the child never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
}

impl Drop for Layer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `simulator --role role` with `peers` (`--layer address`) and reads the address it
/// prints on stdout.
fn start(role: &str, peers: &[(&str, &Layer)]) -> Layer {
    start_on("127.0.0.1:0", role, peers, &[])
}

/// As [`start`], listening on `listen`, with `extra` arguments.
pub(crate) fn start_on(
    listen: &str,
    role: &str,
    peers: &[(&str, &Layer)],
    extra: &[&str],
) -> Layer {
    let mut command = Command::new(env!("CARGO_BIN_EXE_simulator"));
    command
        .args(["--listen", listen, "--role", role])
        .args(extra);
    for (name, layer) in peers {
        command.arg(format!("--{name}")).arg(&layer.address);
    }
    let mut child = command
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("simulator starts");
    let stdout = child.stdout.take().expect("stdout piped");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let read = reader.read_line(&mut line);
        let _ = sender.send((read.map(|_| line), reader));
    });
    let started = receiver.recv_timeout(Duration::from_secs(30));
    let Ok((Ok(line), reader)) = started else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("--role {role} printed no address");
    };
    let address = line
        .trim()
        .rsplit("http://")
        .next()
        .filter(|address| address.contains(':'))
        .map(str::to_string);
    let Some(address) = address else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("--role {role} printed `{line}`, not an address");
    };
    Layer {
        child,
        address,
        _stdout: reader,
    }
}

pub(crate) fn fibre_order(index: usize) -> Value {
    json!({
        "externalId": format!("split-{index}"),
        "productOrderItem": [{
            "id": "1", "action": "add",
            "productOffering": {"id": "fibre-broadband"},
            "product": {"productCharacteristic": [{"name": "region", "value": "north"}]}
        }]
    })
}

/// A listener on 127.0.0.1:0 forwarding (order id, state) of every product order event.
async fn start_listener() -> (
    String,
    tokio::sync::mpsc::UnboundedReceiver<(String, String)>,
) {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/listener",
        post(move |Json(event): Json<Value>| {
            let sender = sender.clone();
            async move {
                let order = &event["event"]["productOrder"];
                if let (Some(id), Some(state)) = (order["id"].as_str(), order["state"].as_str()) {
                    let _ = sender.send((id.to_string(), state.to_string()));
                }
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind listener");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/listener"), receiver)
}

pub(crate) async fn get(client: &reqwest::Client, url: String) -> Value {
    client
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|error| panic!("GET {url}: {error}"))
        .json()
        .await
        .unwrap_or_else(|error| panic!("GET {url}: {error}"))
}

#[test]
fn twenty_fibre_orders_complete_across_five_processes() {
    let network = start("network", &[]);
    let activation = start("activation", &[("network", &network)]);
    let rom = start("rom", &[("activation", &activation), ("network", &network)]);
    let som = start("som", &[("rom", &rom)]);
    let com = start("com", &[("som", &som)]);
    let layers = [&com, &som, &rom, &activation, &network];

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let base = format!("http://{}", com.address);
        let (callback, mut events) = start_listener().await;
        let response = client
            .post(format!("{base}{PRODUCT_ORDERING}/hub"))
            .json(&json!({"callback": callback, "query": "eventType=ProductOrderStateChangeEvent"}))
            .send()
            .await
            .expect("subscribe");
        assert_eq!(response.status(), 201);

        let mut states: BTreeMap<String, Option<String>> = BTreeMap::new();
        for index in 0..ORDERS {
            let response = client
                .post(format!("{base}{PRODUCT_ORDERING}/productOrder"))
                .json(&fibre_order(index))
                .send()
                .await
                .expect("post");
            assert_eq!(response.status(), 201, "order {index}");
            let order: Value = response.json().await.expect("json");
            states.insert(order["id"].as_str().expect("id").to_string(), None);
        }
        let terminal = ["completed", "failed", "partial", "cancelled", "rejected"];
        let mut open = ORDERS;
        let waited = tokio::time::timeout(Duration::from_secs(30), async {
            while open > 0 {
                let (id, state) = events.recv().await.expect("listener alive");
                if terminal.contains(&state.as_str())
                    && let Some(slot) = states.get_mut(&id)
                    && slot.is_none()
                {
                    *slot = Some(state);
                    open -= 1;
                }
            }
        })
        .await;
        assert!(waited.is_ok(), "{open} orders never ended: {states:?}");
        assert!(
            states.values().all(|s| s.as_deref() == Some("completed")),
            "{states:?}"
        );

        // Each layer's orders live in its own process only.
        let som_orders = get(
            &client,
            format!("http://{}{SERVICE_ORDERING}/serviceOrder", som.address),
        )
        .await;
        assert_eq!(
            som_orders.as_array().map(Vec::len),
            Some(ORDERS),
            "{som_orders}"
        );
        // The COM process does not run SOM: it says so, and where to ask, rather than `[]`.
        let com_side = client
            .get(format!("{base}{SERVICE_ORDERING}/serviceOrder/"))
            .send()
            .await
            .expect("answers");
        assert_eq!(com_side.status(), 404);
        let error: Value = com_side.json().await.expect("a TMF Error");
        assert_eq!(error["status"], "404", "{error}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains("--role som"), "{error}");
        let rom_orders = get(
            &client,
            format!("http://{}{RESOURCE_ORDERING}/resourceOrder", rom.address),
        )
        .await;
        let rom_orders = rom_orders.as_array().cloned().unwrap_or_default();
        assert!(rom_orders.len() >= ORDERS, "{rom_orders:?}");
        assert!(rom_orders.iter().all(|order| order["state"] == "completed"));

        for layer in layers {
            let stats = get(
                &client,
                format!("http://{}/transport/v1/stats", layer.address),
            )
            .await;
            assert_eq!(stats["failed"], 0, "{}: {stats}", layer.address);
        }
    });
}

#[test]
fn a_single_layer_role_needs_the_addresses_of_the_layers_it_calls() {
    let output = Command::new(env!("CARGO_BIN_EXE_simulator"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--role",
            "rom",
            "--activation",
            "127.0.0.1:9",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("simulator runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--role rom needs --network"), "{stderr}");

    let output = Command::new(env!("CARGO_BIN_EXE_simulator"))
        .args(["--listen", "127.0.0.1:0", "--role", "router"])
        .stdin(Stdio::null())
        .output()
        .expect("simulator runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}
