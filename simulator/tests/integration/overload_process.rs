//! Overload of a real simulator process (issue 11): 64 clients post product orders with no
//! pause into inboxes of 16 messages, far past what the chain can take. The process must shed with 503 + `Retry-After` + a TMF Error, never wedge: after the
//! load every accepted order ends, `/admin/audit` is clean, a new order is accepted, and the
//! process's peak RSS stays under a bound. Outcomes are asserted, never timings (the one
//! deadline only turns a wedge into a failure instead of a hang).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::http_support::{PRODUCT_ORDER, fibre_order, validate_error};
use crate::process_support;

const CLIENTS: usize = 64;
const ORDERS_PER_CLIENT: usize = 40;
/// Peak resident memory the process may reach (a debug build holding a few thousand orders
/// needs a few tens of MB; a queue that grew with the offered load would pass it).
const RSS_PEAK_MAX_KB: u64 = 256 * 1024;
const WEDGE_DEADLINE: Duration = Duration::from_secs(120);

/// Tiny inboxes (16), 20 ms per element operation: 64 clients without pause overflow them.
const SCENARIO: &str = r#"
seed = 11
[limits]
inbox_capacity = 16
timers_max = 4096
[[network.regions]]
name = "north"
ipv4_cidr = "10.0.0.0/16"
olts = [{ name = "olt-north-1", pon_ports = 16, onus_per_port = 128 }]
[profiles.default]
latency = { distribution = "fixed", ms = 20.0 }
"#;

/// Peak resident set of `pid` in kB (`VmHWM`).
fn rss_peak_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[derive(Default)]
struct Tally {
    accepted: AtomicUsize,
    shed: AtomicUsize,
    other: AtomicUsize,
}

async fn client(http: reqwest::Client, url: String, index: usize, tally: Arc<Tally>) {
    for order in 0..ORDERS_PER_CLIENT {
        let body = fibre_order(&format!("load-{index}-{order}"));
        let response = http.post(&url).json(&body).send().await.expect("answered");
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").cloned();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        match status {
            201 => tally.accepted.fetch_add(1, Ordering::Relaxed),
            503 => {
                assert_eq!(retry_after.as_ref().map(|v| v.as_bytes()), Some(&b"1"[..]));
                validate_error(&body, 503);
                tally.shed.fetch_add(1, Ordering::Relaxed)
            }
            _ => tally.other.fetch_add(1, Ordering::Relaxed),
        };
    }
}

/// Product orders not yet in a terminal state.
async fn open_orders(http: &reqwest::Client, base: &str) -> usize {
    let url = format!(
        "{base}{PRODUCT_ORDER}?state=acknowledged,inProgress,pending,held,assessingCancellation,pendingCancellation&fields=id&limit=1000"
    );
    let list: Value = http
        .get(url)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    list.as_array().map_or(usize::MAX, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_driven_far_past_saturation_sheds_and_recovers_clean() {
    let dir = std::env::temp_dir().join(format!("ordersim-overload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let scenario = dir.join("overload.toml");
    std::fs::File::create(&scenario)
        .and_then(|mut file| file.write_all(SCENARIO.as_bytes()))
        .expect("scenario written");
    let scenario = scenario.to_str().expect("a UTF-8 path");
    let process = process_support::start(&["--scenario", scenario]);
    let http = reqwest::Client::new();
    let url = format!("{}{PRODUCT_ORDER}", process.base);
    let tally = Arc::new(Tally::default());
    let clients: Vec<_> = (0..CLIENTS)
        .map(|index| tokio::spawn(client(http.clone(), url.clone(), index, tally.clone())))
        .collect();
    for client in clients {
        client.await.expect("client ran");
    }
    let (accepted, shed) = (
        tally.accepted.load(Ordering::Relaxed),
        tally.shed.load(Ordering::Relaxed),
    );
    assert_eq!(tally.other.load(Ordering::Relaxed), 0, "only 201 or 503");
    assert!(accepted > 0 && shed > 0, "accepted {accepted}, shed {shed}");

    let deadline = tokio::time::Instant::now() + WEDGE_DEADLINE;
    loop {
        let open = open_orders(&http, &process.base).await;
        if open == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{open} accepted orders never ended"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let audit: Value = http
        .get(format!("{}/admin/audit", process.base))
        .send()
        .await
        .expect("audit")
        .json()
        .await
        .expect("json");
    assert_eq!(audit["ok"], true, "{audit}");
    // A new order is accepted once the timeouts of the last element calls have fired (they
    // count against `timers_max`): a client that honours `Retry-After` gets in.
    loop {
        let after = http
            .post(&url)
            .json(&fibre_order("after"))
            .send()
            .await
            .expect("answered");
        match after.status().as_u16() {
            201 => break,
            503 if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            status => panic!("{status}: {}", after.text().await.unwrap_or_default()),
        }
    }
    let peak = rss_peak_kb(process.child.id());
    assert!(peak < RSS_PEAK_MAX_KB, "peak RSS {peak} kB");
    println!("accepted {accepted}, shed {shed}, peak RSS {peak} kB");
}
