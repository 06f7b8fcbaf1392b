//! `loadgen bench-http` against a small axum server on port 0 that counts the requests it
//! answered and the TCP connections it accepted: every answered request is counted exactly
//! once by the bench, keep-alive holds one connection per configured connection, bodies are
//! drained, non-2xx answers count as errors, a server closing connections is survived, and
//! answers that never come end as errors once the grace after the run is over.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::{StatusCode, header};
use axum::routing::get;
use axum::serve::ListenerExt;
use loadgen::http_bench::{self, HttpBench};

const RUN: Duration = Duration::from_millis(200);

#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    connections: AtomicU64,
}

impl Counts {
    fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }
}

async fn start() -> (SocketAddr, Arc<Counts>) {
    let counts = Arc::new(Counts::default());
    let (hit, accepted) = (Arc::clone(&counts), Arc::clone(&counts));
    let count = move || {
        hit.requests.fetch_add(1, Ordering::SeqCst);
    };
    let (health, broken, large) = (count.clone(), count.clone(), count.clone());
    let (closing, hang) = (count.clone(), count);
    let app = axum::Router::new()
        .route("/health", get(move || async move { health() }))
        .route(
            "/broken",
            get(move || async move {
                broken();
                StatusCode::INTERNAL_SERVER_ERROR
            }),
        )
        .route(
            "/large",
            get(move || async move {
                large();
                "x".repeat(64 * 1024)
            }),
        )
        .route(
            "/closing",
            get(move || async move {
                closing();
                ([(header::CONNECTION, "close")], "bye")
            }),
        )
        .route(
            "/hang",
            get(move || async move {
                hang();
                std::future::pending::<()>().await
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let addr = listener.local_addr().expect("local address");
    let listener = listener.tap_io(move |_| {
        accepted.connections.fetch_add(1, Ordering::SeqCst);
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, counts)
}

async fn bench(url: String, connections: usize, threads: usize) -> anyhow::Result<HttpBench> {
    tokio::task::spawn_blocking(move || http_bench::run(&url, connections, threads, RUN))
        .await
        .expect("the bench thread")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_is_counted_once_over_kept_alive_connections() {
    let (addr, counts) = start().await;
    let result = bench(format!("http://{addr}/health"), 6, 2)
        .await
        .expect("bench");
    assert!(result.ok > 0, "{result:?}");
    assert_eq!(result.errors, 0);
    assert_eq!(result.ok, counts.requests());
    assert_eq!(counts.connections(), 6, "one connection each, kept alive");
    assert_eq!(result.threads, 2);
    assert!(result.p50_ms > 0.0 && result.p50_ms <= result.p99_ms);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_bodies_are_drained_and_the_connection_reused() {
    let (addr, counts) = start().await;
    let result = bench(format!("http://{addr}/large"), 3, 1)
        .await
        .expect("bench");
    assert!(result.ok > 0);
    assert_eq!(result.errors, 0);
    assert_eq!(result.ok, counts.requests());
    assert_eq!(counts.connections(), 3);
    assert_eq!(result.threads, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_2xx_answers_are_errors_not_latencies() {
    let (addr, counts) = start().await;
    let result = bench(format!("http://{addr}/broken"), 2, 2)
        .await
        .expect("bench");
    assert_eq!(result.ok, 0);
    assert!(result.errors > 0);
    assert_eq!(result.errors, counts.requests());
    assert_eq!(
        counts.connections(),
        2,
        "an error answer keeps the connection"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_the_server_closes_are_reopened_without_losing_answers() {
    let (addr, counts) = start().await;
    let result = bench(format!("http://{addr}/closing"), 2, 1)
        .await
        .expect("bench");
    assert!(result.ok > 2, "{result:?}");
    assert_eq!(result.errors, 0);
    assert_eq!(result.ok, counts.requests());
    // One connection per answer; each configured connection may also have opened one more
    // just before the deadline and sent nothing on it.
    assert!(counts.connections() >= result.ok);
    assert!(counts.connections() <= result.ok + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_that_never_come_are_errors_and_do_not_hold_the_run() {
    let (addr, counts) = start().await;
    let result = bench(format!("http://{addr}/hang"), 2, 1)
        .await
        .expect("bench");
    assert_eq!(result.ok, 0);
    assert_eq!(result.errors, 2, "one lost request per connection");
    assert_eq!(counts.requests(), 2);
}

#[tokio::test]
async fn a_refused_connection_or_https_fails_the_run() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let addr = closed.local_addr().expect("local address");
    drop(closed);
    let refused = bench(format!("http://{addr}/health"), 2, 1).await;
    assert!(refused.is_err());
    let https = bench(format!("https://{addr}/health"), 2, 1).await;
    assert!(https.is_err());
}
