//! The shipped Grafana dashboard (`dashboards/ordersim-grafana.json`) asks only for metrics
//! that exist: every `loadgen_*` and `ordersim_*` name in its queries is one that loadgen's
//! live exposition or a real simulator's `/metrics` (started on 127.0.0.1:0) declares.

use std::collections::BTreeSet;

use serde_json::Value;
use simulator::config::SimConfig;
use simulator::http::Server;

/// The sample names an exposition declares: gauges as named, counters with `_total`,
/// histograms with `_bucket`, `_sum` and `_count`.
fn declared(exposition: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in exposition.lines() {
        let mut words = line
            .strip_prefix("# TYPE ")
            .unwrap_or("")
            .split_whitespace();
        let (Some(name), Some(kind)) = (words.next(), words.next()) else {
            continue;
        };
        let suffixes: &[&str] = match kind {
            "counter" => &["_total"],
            "histogram" => &["_bucket", "_sum", "_count"],
            _ => &[""],
        };
        names.extend(suffixes.iter().map(|suffix| format!("{name}{suffix}")));
    }
    names
}

/// Every metric name of the two prefixes in `expr`.
fn asked(expr: &str) -> Vec<String> {
    let words = expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'));
    let ours = |word: &&str| word.starts_with("loadgen_") || word.starts_with("ordersim_");
    words.filter(ours).map(str::to_string).collect()
}

/// Posts a fibre order and waits (bounded) until it has ended.
async fn complete_one_order(base: &str) {
    let orders = format!("{base}/tmf-api/productOrderingManagement/v4/productOrder");
    let order = serde_json::json!({"productOrderItem": [{"id": "1", "action": "add",
        "productOffering": {"id": "fibre-broadband"},
        "product": {"productCharacteristic": [{"name": "region", "value": "north"}]}}]});
    let http = reqwest::Client::new();
    let created: Value = http
        .post(&orders)
        .json(&order)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().expect("an order id").to_string();
    for _ in 0..1_000 {
        let order: Value = http
            .get(format!("{orders}/{id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if order["state"] == "completed" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{id} never completed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_query_names_a_metric_that_is_exposed() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../dashboards/ordersim-grafana.json"
    );
    let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = Server::start(SimConfig::default(), listener).await.unwrap();
    let base = format!("http://{}", server.local_addr);
    // A family without samples is left out of an exposition: run one order first.
    complete_one_order(&base).await;
    let simulator = reqwest::get(format!("{base}/metrics")).await.unwrap();
    let simulator = simulator.text().await.unwrap();
    let metrics = loadgen::observe::metrics::Metrics::default();
    let loadgen = loadgen::observe::live::render(&metrics, 0, 0, 0, 0);
    let mut exposed = declared(&simulator);
    exposed.extend(declared(&loadgen));
    assert!(exposed.contains("loadgen_e2e_seconds_bucket") && exposed.contains("ordersim_orders"));

    let panels = dashboard["panels"].as_array().expect("panels");
    assert!(panels.len() >= 10);
    let mut queries = 0;
    for panel in panels {
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"].as_str().expect("expr");
            let names = asked(expr);
            assert!(
                !names.is_empty(),
                "`{expr}` names no ordersim or loadgen metric"
            );
            for name in names {
                assert!(exposed.contains(&name), "`{expr}`: {name} is not exposed");
            }
            queries += 1;
        }
    }
    assert!(queries >= 15);
}
