//! The latency histograms: order durations per layer and terminal state, element operation
//! latencies per operation and outcome. In virtual time they must agree exactly with the
//! stores (every order's `completionDate - orderDate`) and with the network's operation
//! counts; over HTTP, `/metrics` must expose them as OpenMetrics histograms.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use simulator::config::SimConfig;
use simulator::domain::state::OrderState;
use simulator::domain::time::Time;
use simulator::layers::com::ComInput;
use simulator::layers::{LayerId, Message};
use simulator::network::OperationOutcome;
use simulator::network::profile::Latency;
use simulator::runtime::latency::HistogramSnapshot;
use simulator::runtime::virtual_time::VirtualChain;

use crate::chain_support::fibre;
use crate::http_api::{Sample, parse_exposition};
use crate::http_support::{PRODUCT_ORDER, TestApp, fast_config, fibre_order};

/// Per terminal state: how many orders ended in it and the sum of their durations (µs).
type Ends = BTreeMap<OrderState, (u64, u64)>;

fn ends(orders: impl Iterator<Item = (OrderState, Time, Option<Time>)>) -> Ends {
    let mut ends = Ends::new();
    for (state, received, completed) in orders {
        let completed = completed.expect("a terminal order has its completion date");
        let entry = ends.entry(state).or_default();
        entry.0 += 1;
        entry.1 += completed.since(received).as_micros() as u64;
    }
    ends
}

/// What the order duration histograms of `layer` counted, as [`Ends`].
fn histogram_ends(chain: &VirtualChain, layer: LayerId) -> Ends {
    chain
        .latencies()
        .order_durations()
        .filter(|(of, _, _)| *of == layer)
        .map(|(_, state, snapshot)| {
            let micros = (snapshot.sum_seconds * 1e6).round() as u64;
            (state, (snapshot.count, micros))
        })
        .collect()
}

/// Panics unless every order COM, SOM and ROM hold was timed once, under its terminal state,
/// for exactly its `completionDate - orderDate` (call once the chain drained, with every
/// order still retained).
pub(crate) fn assert_every_order_timed(chain: &VirtualChain) {
    let layers = &chain.layers;
    let com = ends(layers.com.orders().values().map(|order| {
        let order = &**order;
        (order.state, order.order_date, order.completion_date)
    }));
    let som = ends(layers.som.orders().values().map(|order| {
        let order = &**order;
        (order.state, order.order_date, order.completion_date)
    }));
    let rom = ends(layers.rom.orders().values().map(|order| {
        let order = &**order;
        (order.state, order.order_date, order.completion_date)
    }));
    assert_eq!(histogram_ends(chain, LayerId::Com), com, "COM");
    assert_eq!(histogram_ends(chain, LayerId::Som), som, "SOM");
    assert_eq!(histogram_ends(chain, LayerId::Rom), rom, "ROM");
}

#[test]
fn virtual_time_histograms_agree_with_the_stores_and_the_network_counts() {
    let mut config = SimConfig::default();
    config.profiles.default.latency = Latency::Fixed { ms: 5.0 };
    config.profiles.default.failure_probability = 0.1;
    config.profiles.default.timeout_probability = 0.02;
    let mut chain = VirtualChain::new(config).expect("valid config");
    let orders = 60;
    for _ in 0..orders {
        let order = fibre();
        chain.submit(|reply| Message::Com(ComInput::Create { reply, order }));
    }
    chain.run_until_idle();

    assert_every_order_timed(&chain);
    let com = histogram_ends(&chain, LayerId::Com);
    assert_eq!(com.values().map(|(count, _)| count).sum::<u64>(), orders);
    assert!(
        com.len() > 1,
        "10% element failures end some orders otherwise: {com:?}"
    );
    let layers = &chain.layers;

    let timed: BTreeMap<_, HistogramSnapshot> = chain
        .latencies()
        .operation_durations()
        .map(|(kind, outcome, snapshot)| ((kind, outcome), snapshot))
        .collect();
    let mut unanswered = 0;
    for (kind, outcome, count) in layers.network.operation_counts() {
        let snapshot = timed.get(&(kind, outcome));
        if matches!(
            outcome,
            OperationOutcome::BlackHole | OperationOutcome::ReplyLost
        ) {
            assert!(
                snapshot.is_none(),
                "{kind:?} {outcome:?} has no reply to time"
            );
            unanswered += count;
            continue;
        }
        let snapshot = snapshot.unwrap_or_else(|| panic!("{kind:?} {outcome:?} not timed"));
        assert_eq!(snapshot.count, count, "{kind:?} {outcome:?}");
        // Every answer came after the fixed 5 ms.
        let expected = count as f64 * 0.005;
        assert!(
            (snapshot.sum_seconds - expected).abs() < 1e-9,
            "{kind:?} {outcome:?}: {snapshot:?}"
        );
    }
    assert!(unanswered > 0, "2% of calls are black holes");
    assert_eq!(
        timed.len(),
        layers
            .network
            .operation_counts()
            .filter(|(_, outcome, _)| !matches!(
                outcome,
                OperationOutcome::BlackHole | OperationOutcome::ReplyLost
            ))
            .count()
    );
}

/// Polls each order until it is terminal; time is paused, so each sleep only lets the chain's
/// timers fire (no wall-clock wait).
async fn until_all_terminal(app: &TestApp, hrefs: &[String]) {
    for href in hrefs {
        let mut polls = 0;
        loop {
            let (_, order) = app.get_ok(href).await;
            let state = order["state"].as_str().unwrap_or_default();
            if OrderState::parse(state).is_some_and(OrderState::is_terminal) {
                break;
            }
            polls += 1;
            assert!(polls < 10_000, "{href} never reached a terminal state");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

fn label<'a>(sample: &'a Sample, key: &str) -> Option<&'a str> {
    sample
        .1
        .iter()
        .find(|(name, _)| name == key)
        .map(|(_, value)| value.as_str())
}

/// The `_count` per `group` label value of histogram `family`, after checking that every
/// series has `_sum`, and cumulative `_bucket`s ending with `+Inf` equal to its `_count`.
fn histogram_counts(samples: &[Sample], family: &str, group: &str) -> BTreeMap<String, u64> {
    let series_key = |sample: &Sample| {
        let mut labels: Vec<_> = sample.1.iter().filter(|(key, _)| key != "le").collect();
        labels.sort();
        format!("{labels:?}")
    };
    let mut counts = BTreeMap::new();
    let mut checked = 0;
    for count in samples
        .iter()
        .filter(|sample| sample.0 == format!("{family}_count"))
    {
        let key = series_key(count);
        let of_series = |suffix: &str| {
            let name = format!("{family}_{suffix}");
            samples
                .iter()
                .filter(|sample| sample.0 == name && series_key(sample) == key)
                .collect::<Vec<_>>()
        };
        let sum = of_series("sum");
        assert_eq!(sum.len(), 1, "{family} {key}: one _sum");
        assert!(sum[0].2 >= 0.0);
        let buckets = of_series("bucket");
        assert_eq!(buckets.len(), 16, "{family} {key}: 15 bounds and +Inf");
        assert!(
            buckets.windows(2).all(|pair| pair[0].2 <= pair[1].2),
            "{family} {key}: buckets are cumulative"
        );
        let last = buckets.last().expect("buckets");
        assert_eq!(label(last, "le"), Some("+Inf"));
        assert_eq!(last.2, count.2, "{family} {key}: +Inf bucket == _count");
        let value = label(count, group).expect("group label").to_string();
        *counts.entry(value).or_default() += count.2 as u64;
        checked += 1;
    }
    assert!(checked > 0, "no {family} series");
    counts
}

#[tokio::test(start_paused = true)]
async fn metrics_expose_order_and_element_latency_histograms() {
    let app = TestApp::start(fast_config());
    let orders = 3;
    let mut hrefs = Vec::new();
    for index in 0..orders {
        let request = fibre_order(&format!("histogram-{index}"));
        let (status, _, created) = app.call(Method::POST, PRODUCT_ORDER, Some(request)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        hrefs.push(created["href"].as_str().expect("href").to_string());
    }
    // COM ends an order on SOM's news and SOM on ROM's: once COM's are terminal, all are.
    until_all_terminal(&app, &hrefs).await;
    let (_, metrics) = app.get_ok("/metrics").await;
    let text = metrics.as_str().expect("text");
    for line in [
        "# TYPE ordersim_order_duration_seconds histogram\n",
        "# UNIT ordersim_order_duration_seconds seconds\n",
        "# TYPE ordersim_element_operation_duration_seconds histogram\n",
        "# UNIT ordersim_element_operation_duration_seconds seconds\n",
    ] {
        assert!(text.contains(line), "{line} missing from\n{text}");
    }
    let samples = parse_exposition(text);

    let orders_by_layer = histogram_counts(&samples, "ordersim_order_duration_seconds", "layer");
    assert_eq!(orders_by_layer.get("com"), Some(&orders), "{text}");
    assert_eq!(orders_by_layer.get("som"), Some(&orders), "{text}");
    let resource_orders = app.chain.rom().orders().len() as u64;
    assert!(resource_orders >= orders);
    assert_eq!(orders_by_layer.get("rom"), Some(&resource_orders), "{text}");
    let completed = samples.iter().find(|sample| {
        sample.0 == "ordersim_order_duration_seconds_sum"
            && label(sample, "layer") == Some("com")
            && label(sample, "state") == Some("completed")
    });
    // Each order waited at least for its element calls of 5 ms each.
    assert!(
        completed.is_some_and(|sample| sample.2 >= orders as f64 * 0.005),
        "{completed:?}"
    );

    let by_operation = histogram_counts(
        &samples,
        "ordersim_element_operation_duration_seconds",
        "operation",
    );
    for operation in ["allocate", "configure", "activate"] {
        assert!(
            by_operation.get(operation).is_some_and(|count| *count > 0),
            "{operation}: {by_operation:?}"
        );
    }
    // Each series counts exactly the operations the counter family counts.
    for count in samples
        .iter()
        .filter(|sample| sample.0 == "ordersim_element_operation_duration_seconds_count")
    {
        let (operation, outcome) = (label(count, "operation"), label(count, "outcome"));
        let counted = samples.iter().find(|sample| {
            sample.0 == "ordersim_network_operations_total"
                && label(sample, "kind") == operation
                && label(sample, "outcome") == outcome
        });
        assert_eq!(counted.map(|sample| sample.2), Some(count.2), "{count:?}");
    }
}
