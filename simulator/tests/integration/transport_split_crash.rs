//! Issue 11, finding 2, across five processes: `kill -9` of the ROM process mid-run, restarted
//! at once on the same address. Every product order ends; the restarted ROM reconciles over
//! HTTP (the network's allocations, TMF640's active services, SOM's TMF638), so a product
//! completed before the crash can still be ceased, and at the end the network holds exactly
//! the resources of the active TMF640 services: nothing leaked, nothing configured on a value
//! given back. The same for the activation process: it reconciles with the network's element
//! configurations and ROM's TMF639.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};

use crate::transport_split_process::{Layer, PRODUCT_ORDERING, fibre_order, get, start_on};

const SERVICE_ACTIVATION: &str = "/tmf-api/ServiceActivationAndConfiguration/v4";
const ALLOCATIONS: &str = "/network/v1/allocation";
const CONFIGURATIONS: &str = "/network/v1/configuration";
const RESOURCE_INVENTORY: &str = "/tmf-api/resourceInventory/v4";
const TERMINAL: [&str; 5] = ["completed", "failed", "partial", "cancelled", "rejected"];

/// Short deadlines, so that a lost child is found within seconds.
const CRASH_SCENARIO: &str = r#"
seed = 5
[chain]
com_child_deadline_ms = 4000
som_child_deadline_ms = 2000
child_answer_ms = 1000
subscription_renew_ms = 500
[profiles.default]
latency = { distribution = "fixed", ms = 50.0 }
"#;

/// The five processes.
struct Chain {
    network: Layer,
    /// `None` while it is down.
    activation: Option<Layer>,
    /// `None` while it is down.
    rom: Option<Layer>,
    som: Layer,
    com: Layer,
}

fn start_chain(extra: &[&str]) -> Chain {
    let network = start_on("127.0.0.1:0", "network", &[], extra);
    let activation = start_on("127.0.0.1:0", "activation", &[("network", &network)], extra);
    let rom_peers = [("activation", &activation), ("network", &network)];
    let rom = start_on("127.0.0.1:0", "rom", &rom_peers, extra);
    let som = start_on("127.0.0.1:0", "som", &[("rom", &rom)], extra);
    let com = start_on("127.0.0.1:0", "com", &[("som", &som)], extra);
    Chain {
        network,
        activation: Some(activation),
        rom: Some(rom),
        som,
        com,
    }
}

/// A product order that ceases `product`.
fn cease(product: &str) -> Value {
    json!({
        "productOrderItem": [{
            "id": "1", "action": "delete",
            "productOffering": {"id": "fibre-broadband"},
            "product": {"id": product}
        }]
    })
}

/// Every product order, once `count` exist and all have ended (30 s at most).
async fn orders_once_ended(client: &reqwest::Client, com: &str, count: usize) -> Vec<Value> {
    let url = format!("{com}{PRODUCT_ORDERING}/productOrder?limit=100");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let list = get(client, url.clone()).await;
        let list = list.as_array().cloned().unwrap_or_default();
        let state = |o: &Value| o["state"].as_str().unwrap_or_default().to_string();
        let open = list
            .iter()
            .filter(|o| !TERMINAL.contains(&state(o).as_str()));
        let open: Vec<String> = open.map(|o| format!("{} {}", o["id"], state(o))).collect();
        if list.len() == count && open.is_empty() {
            return list;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {count} orders never ended: {open:?}",
            open.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// (allocations the network holds, resources of TMF640's active services), once they agree
/// (30 s at most: terminations and releases of a former life's orders take a few steps).
async fn holdings_once_settled(client: &reqwest::Client, chain: &Chain) -> (usize, usize) {
    let network = format!("http://{}{ALLOCATIONS}", chain.network.address);
    let activation = format!(
        "http://{}{SERVICE_ACTIVATION}/service?state=active&limit=1000",
        chain.activation.as_ref().expect("activation runs").address
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let held = get(client, network.clone()).await;
        let held = held.as_array().map_or(0, Vec::len);
        let services = get(client, activation.clone()).await;
        let services = services.as_array().cloned().unwrap_or_default();
        let in_use: usize = (services.iter())
            .map(|s| s["supportingResource"].as_array().map_or(0, Vec::len))
            .sum();
        if held == in_use || tokio::time::Instant::now() >= deadline {
            return (held, in_use);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every process's own `/admin/audit` is clean (each runs the checks it can make alone; the
/// cross-process ones are this file's assertions on allocations and configurations).
async fn assert_audits_clean(client: &reqwest::Client, chain: &Chain) {
    let processes = [
        Some(&chain.network),
        chain.activation.as_ref(),
        chain.rom.as_ref(),
        Some(&chain.som),
        Some(&chain.com),
    ];
    for process in processes.into_iter().flatten() {
        let audit = get(client, format!("http://{}/admin/audit", process.address)).await;
        assert_eq!(audit["ok"], true, "{}: {audit}", process.address);
    }
}

/// Writes `text` as a scenario file for this test process; the `--scenario` arguments.
fn scenario_args(name: &str, text: &str) -> [String; 2] {
    let dir = std::env::temp_dir().join(format!("ordersim-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let scenario = dir.join("crash.toml");
    std::fs::write(&scenario, text).expect("scenario written");
    let path = scenario.to_str().expect("UTF-8 path").to_string();
    ["--scenario".to_string(), path]
}

/// A client of the COM process, blocking on its own runtime.
struct Driver {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    com: String,
}

impl Driver {
    fn new(com: &Layer) -> Driver {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let com = format!("http://{}", com.address);
        Driver {
            runtime,
            client,
            com,
        }
    }

    /// POSTs a product order; it must be accepted.
    fn post(&self, body: Value) {
        let request = (self.client)
            .post(format!("{}{PRODUCT_ORDERING}/productOrder", self.com))
            .json(&body);
        self.runtime.block_on(async move {
            let response = request.send().await.expect("post");
            assert_eq!(response.status(), 201, "{body}");
        });
    }

    /// Every product order, once `count` exist and all have ended.
    fn orders_once_ended(&self, count: usize) -> Vec<Value> {
        (self.runtime).block_on(orders_once_ended(&self.client, &self.com, count))
    }
}

/// The n of an order posted as [`fibre_order`]`(n)`.
fn order_index(order: &Value) -> Option<usize> {
    let id = order["externalId"].as_str()?.strip_prefix("split-")?;
    id.parse().ok()
}

#[test]
fn after_rom_is_killed_every_order_ends_ceases_work_and_nothing_leaks() {
    let extra = scenario_args("rom-crash", CRASH_SCENARIO);
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let mut chain = start_chain(&extra);
    let driver = Driver::new(&chain.com);
    let post = |body| driver.post(body);

    // Products in service before the crash.
    (0..4).for_each(|index| post(fibre_order(index)));
    let before = driver.orders_once_ended(4);
    let products: Vec<String> = (before.iter())
        .filter(|o| o["state"] == "completed")
        .filter_map(|o| o["productOrderItem"][0]["product"]["id"].as_str())
        .map(str::to_string)
        .collect();
    assert_eq!(products.len(), 4, "{before:?}");

    // ROM dies with orders in flight (50 ms per element step), orders arrive while it is
    // down, and it comes back on its address, now told where SOM is.
    (4..14).for_each(|index| post(fibre_order(index)));
    let killed = chain.rom.take().expect("ROM runs");
    let address = killed.address.clone();
    drop(killed); // kill -9

    (14..18).for_each(|index| post(fibre_order(index)));
    let activation = chain.activation.as_ref().expect("activation runs");
    let peers = [
        ("activation", activation),
        ("network", &chain.network),
        ("som", &chain.som),
    ];
    chain.rom = Some(start_on(&address, "rom", &peers, &extra));
    (18..24).for_each(|index| post(fibre_order(index)));
    // Two products completed before the crash are ceased after it: the new ROM knows their
    // resources again.
    products[..2]
        .iter()
        .for_each(|product| post(cease(product)));

    let orders = driver.orders_once_ended(26);
    for order in &orders {
        match order["state"].as_str() {
            Some("completed") => {}
            Some("failed") => {
                let notes = order["note"].to_string();
                assert!(
                    notes.contains("childLost"),
                    "a failed order says why: {order}"
                );
            }
            other => panic!("unexpected state {other:?}: {order}"),
        }
    }
    let ceases = orders
        .iter()
        .filter(|o| o["productOrderItem"][0]["action"] == "delete");
    let ceases: Vec<&Value> = ceases.collect();
    assert_eq!(ceases.len(), 2);
    assert!(
        ceases.iter().all(|o| o["state"] == "completed"),
        "ceases of products from before the crash complete: {ceases:?}"
    );
    let completed_after = (orders.iter())
        .filter(|o| order_index(o).is_some_and(|n| n >= 18))
        .filter(|o| o["state"] == "completed")
        .count();
    assert!(completed_after > 0, "the new ROM serves: {orders:?}");

    let (held, in_use) = (driver.runtime).block_on(holdings_once_settled(&driver.client, &chain));
    assert_eq!(
        held, in_use,
        "the network holds {held} allocations; active TMF640 services use {in_use}"
    );
    assert!(held > 0, "products in service hold resources");
    (driver.runtime).block_on(assert_audits_clean(&driver.client, &chain));
}

/// As [`CRASH_SCENARIO`], with ROM watching its activations closely.
const ACTIVATION_CRASH_SCENARIO: &str = r#"
seed = 6
[chain]
com_child_deadline_ms = 6000
som_child_deadline_ms = 4000
rom_child_deadline_ms = 1500
child_answer_ms = 1000
subscription_renew_ms = 500
[profiles.default]
latency = { distribution = "fixed", ms = 50.0 }
"#;

/// The ids of what a listing at `url` names: `pick` reads them from each entry.
async fn listed_ids(
    client: &reqwest::Client,
    url: String,
    pick: impl Fn(&Value) -> Vec<String>,
) -> BTreeSet<String> {
    let listed = get(client, url).await;
    let listed = listed.as_array().cloned().unwrap_or_default();
    listed.iter().flat_map(pick).collect()
}

/// What the processes hold of TMF640 services: (configured on the network's elements,
/// `active` in TMF640, configuring one of ROM's TMF639 resources in service).
async fn service_holdings(
    client: &reqwest::Client,
    chain: &Chain,
) -> (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>) {
    let network = format!("http://{}{CONFIGURATIONS}", chain.network.address);
    let configured = listed_ids(client, network, |entry| {
        vec![format!("ACT-{}", entry["service"])]
    });
    let activation = chain.activation.as_ref().expect("activation runs");
    let active = format!(
        "http://{}{SERVICE_ACTIVATION}/service?state=active&limit=1000",
        activation.address
    );
    let active = listed_ids(client, active, |service| {
        vec![service["id"].as_str().unwrap_or_default().to_string()]
    });
    let rom = chain.rom.as_ref().expect("ROM runs");
    let in_service = format!(
        "http://{}{RESOURCE_INVENTORY}/resource?resourceStatus=available&limit=1000",
        rom.address
    );
    let in_service = listed_ids(client, in_service, |resource| {
        let related = resource["relatedEntity"].as_array().cloned();
        let related = related.unwrap_or_default().into_iter();
        let services = related.filter(|entry| entry["role"] == "activation");
        services
            .filter_map(|entry| entry["id"].as_str().map(str::to_string))
            .collect()
    });
    (configured.await, active.await, in_service.await)
}

/// [`service_holdings`] once configurations and ROM's view agree with TMF640 (30 s at most:
/// the reconciliation waits an element timeout, and deactivations take a step each).
async fn service_holdings_once_settled(
    client: &reqwest::Client,
    chain: &Chain,
) -> (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (configured, active, in_service) = service_holdings(client, chain).await;
        let settled = configured.is_subset(&active) && active == in_service;
        if settled || tokio::time::Instant::now() >= deadline {
            return (configured, active, in_service);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `kill -9` of the activation process mid-run, restarted on its address with ROM's: ROM's
/// jeopardy question (a TMF630 search of TMF640 by `relatedEntity.id`) finds the lost services
/// unknown, so their orders end `childLost`; the rest, and the orders sent after the restart,
/// complete. The restarted process reconciles: services of products in service before the
/// crash are known again, so ceasing two of them completes and deactivates them; every other
/// configuration of the former life is deactivated. Before, over HTTP ROM never asked, and
/// those orders stayed `inProgress`; and the element configurations of the lost services
/// stayed for ever.
#[test]
fn after_activation_is_killed_every_order_ends_and_configurations_follow() {
    let extra = scenario_args("activation-crash", ACTIVATION_CRASH_SCENARIO);
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let mut chain = start_chain(&extra);
    let driver = Driver::new(&chain.com);
    let post = |index| driver.post(fibre_order(index));
    (0..4).for_each(post);
    let before = driver.orders_once_ended(4);
    let products: Vec<String> = (before.iter())
        .filter(|o| o["state"] == "completed")
        .filter_map(|o| o["productOrderItem"][0]["product"]["id"].as_str())
        .map(str::to_string)
        .collect();
    assert_eq!(products.len(), 4, "{before:?}");

    (4..14).for_each(post);
    let killed = chain.activation.take().expect("activation runs");
    let address = killed.address.clone();
    drop(killed); // kill -9
    let rom = chain.rom.as_ref().expect("ROM runs");
    let peers = [("network", &chain.network), ("rom", rom)];
    chain.activation = Some(start_on(&address, "activation", &peers, &extra));
    (14..20).for_each(post);
    products[..2]
        .iter()
        .for_each(|product| driver.post(cease(product)));

    let orders = driver.orders_once_ended(22);
    let lost = orders.iter().filter(|o| o["state"] == "failed");
    for order in lost {
        // Lost with the process, or an allocate that waited too long on ROM's sequential
        // transport lane behind calls retried against the dead process.
        let notes = order["note"].to_string();
        assert!(
            notes.contains("childLost") || notes.contains("elementTimeout"),
            "a failed order says why: {order}"
        );
    }
    assert!(
        orders
            .iter()
            .all(|o| ["completed", "failed"].contains(&o["state"].as_str().unwrap_or(""))),
        "{orders:?}"
    );
    let after = orders.iter().filter(|o| {
        order_index(o).is_some_and(|n| n >= 14) || o["productOrderItem"][0]["action"] == "delete"
    });
    assert!(
        after.clone().all(|o| o["state"] == "completed"),
        "orders after the restart, and ceases of products from before, complete: {:?}",
        after.collect::<Vec<_>>()
    );

    let (configured, active, in_service) =
        (driver.runtime).block_on(service_holdings_once_settled(&driver.client, &chain));
    assert!(
        configured.is_subset(&active),
        "only active services are configured on elements: configured {configured:?}, \
         active {active:?}"
    );
    assert_eq!(
        active, in_service,
        "TMF640's active services are those ROM has in service"
    );
    assert!(!configured.is_empty(), "products in service are configured");
    (driver.runtime).block_on(assert_audits_clean(&driver.client, &chain));
}
