//! `loadgen bench-http`: a closed-loop GET hammer (N connections, each sending its next
//! request as soon as the previous answer arrived), to compare loadgen's raw HTTP rate with
//! wrk's on the same endpoint and connection count. This measures the client, not a chain.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;

/// What a bench-http run measured.
#[derive(Clone, Debug)]
pub struct HttpBench {
    /// Requests answered 2xx.
    pub ok: u64,
    /// Requests that failed or answered otherwise.
    pub errors: u64,
    /// Wall seconds measured.
    pub seconds: f64,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub p99_ms: f64,
}

impl HttpBench {
    /// Answered requests per second.
    pub fn rate_per_s(&self) -> f64 {
        self.ok as f64 / self.seconds.max(1e-9)
    }
}

/// GETs `url` over `connections` connections for `duration`.
pub async fn run(url: &str, connections: usize, duration: Duration) -> anyhow::Result<HttpBench> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .tcp_nodelay(true)
        .build()
        .context("building the HTTP client")?;
    let url = reqwest::Url::parse(url).context("parsing the URL")?;
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections.max(1) {
        let (client, url, errors) = (client.clone(), url.clone(), Arc::clone(&errors));
        tasks.push(tokio::spawn(async move {
            let mut histogram = crate::metrics::latency_histogram();
            while Instant::now() < deadline {
                let sent = Instant::now();
                let answer = client.get(url.clone()).send().await;
                let ok = match answer {
                    Ok(response) => {
                        response.status().is_success() && response.bytes().await.is_ok()
                    }
                    Err(_) => false,
                };
                if ok {
                    histogram.saturating_record(crate::metrics::micros(sent.elapsed()));
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            histogram
        }));
    }
    let mut all = crate::metrics::latency_histogram();
    for task in tasks {
        let histogram = task.await.context("a bench task failed")?;
        all.add(&histogram).context("merging histograms")?;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(HttpBench {
        ok: all.len(),
        errors: errors.load(Ordering::Relaxed),
        seconds,
        p50_ms: all.value_at_quantile(0.5) as f64 / 1_000.0,
        p99_ms: all.value_at_quantile(0.99) as f64 / 1_000.0,
    })
}
