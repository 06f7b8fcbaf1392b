//! `loadgen bench-http`: a closed-loop GET hammer (N keep-alive connections, each sending its
//! next request as soon as the previous answer arrived), to compare loadgen's raw HTTP rate with
//! wrk's on the same endpoint and connection count. This measures the client, not a chain.
//!
//! It is built like wrk: a few OS threads, each with its own single-threaded runtime, each
//! driving its share of the connections; every connection is hyper's bare HTTP/1 client over
//! one TCP stream (no pool, no per-request URL parsing), with one request in flight, and the
//! answer's body is drained without being collected. Latencies go into one histogram per
//! connection, merged at the end, so the hot loop shares nothing between connections.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HOST, HeaderValue};
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;

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
    /// OS threads that drove the connections.
    pub threads: usize,
}

impl HttpBench {
    /// Answered requests per second.
    pub fn rate_per_s(&self) -> f64 {
        self.ok as f64 / self.seconds.max(1e-9)
    }
}

/// How long after the end of the run an answer may still arrive before it counts as an error
/// (wrk's default request timeout).
pub const ANSWER_GRACE: Duration = Duration::from_secs(2);

/// Where the requests go: the resolved address, the path sent and the `Host` header.
#[derive(Clone, Debug)]
pub struct Target {
    /// The socket address connected to (the first the host name resolved to).
    pub addr: SocketAddr,
    /// The request target, origin form (`/health?x=1`).
    pub path: Uri,
    /// The `Host` header value (`127.0.0.1:8080`).
    pub host: HeaderValue,
}

impl Target {
    /// Parses an `http://host[:port]/path` URL and resolves its host (once, before the run).
    pub fn parse(url: &str) -> anyhow::Result<Target> {
        let uri: Uri = url.parse().context("parsing the URL")?;
        if uri.scheme_str() != Some("http") {
            bail!("bench-http speaks plain http:// only, not {url}");
        }
        let authority = uri.authority().context("the URL has no host")?;
        let port = authority.port_u16().unwrap_or(80);
        let addr = (authority.host(), port)
            .to_socket_addrs()
            .with_context(|| format!("resolving {}", authority.host()))?
            .next()
            .with_context(|| format!("{} resolves to no address", authority.host()))?;
        let path = uri.path_and_query().map_or("/", |path| path.as_str());
        Ok(Target {
            addr,
            path: path.parse().context("parsing the URL's path")?,
            host: HeaderValue::from_str(authority.as_str()).context("the URL's host")?,
        })
    }

    fn request(&self) -> Request<Empty<Bytes>> {
        let mut request = Request::new(Empty::new());
        *request.uri_mut() = self.path.clone();
        request.headers_mut().insert(HOST, self.host.clone());
        request
    }
}

/// How many of `connections` each of `threads` threads drives: as even as possible, no
/// thread without a connection (so never more threads than connections, and at least one).
pub fn connections_per_thread(connections: usize, threads: usize) -> Vec<usize> {
    let connections = connections.max(1);
    let threads = threads.clamp(1, connections);
    (0..threads)
        .map(|thread| connections / threads + usize::from(thread < connections % threads))
        .collect()
}

/// GETs `url` over `connections` keep-alive connections, spread over `threads` OS threads,
/// for `duration`. Fails if the URL is not `http://` or a connection cannot be opened at the
/// start; a connection that closes later reconnects, and counts an error if it lost a request.
pub fn run(
    url: &str,
    connections: usize,
    threads: usize,
    duration: Duration,
) -> anyhow::Result<HttpBench> {
    let target = Target::parse(url)?;
    let started = Instant::now();
    let deadline = started + duration;
    let shares = connections_per_thread(connections, threads);
    let target = &target;
    let tallies = std::thread::scope(|scope| {
        let workers: Vec<_> = shares
            .iter()
            .copied()
            .map(|count| scope.spawn(move || run_thread(target, count, deadline)))
            .collect();
        workers
            .into_iter()
            .map(|worker| match worker.join() {
                Ok(tally) => tally,
                Err(_) => Err(anyhow::anyhow!("a bench thread panicked")),
            })
            .collect::<anyhow::Result<Vec<Tally>>>()
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let mut all = Tally::new();
    for tally in &tallies {
        all.merge(tally)?;
    }
    Ok(HttpBench {
        ok: all.latency_us.len(),
        errors: all.errors,
        seconds,
        p50_ms: all.latency_us.value_at_quantile(0.5) as f64 / 1_000.0,
        p99_ms: all.latency_us.value_at_quantile(0.99) as f64 / 1_000.0,
        threads: shares.len(),
    })
}

/// Latencies of the 2xx answers and the count of everything else.
struct Tally {
    latency_us: Histogram<u64>,
    errors: u64,
    /// A request was sent and its answer not yet read to the end.
    in_flight: bool,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            latency_us: crate::observe::metrics::latency_histogram(),
            errors: 0,
            in_flight: false,
        }
    }

    fn merge(&mut self, other: &Tally) -> anyhow::Result<()> {
        self.errors += other.errors;
        self.latency_us
            .add(&other.latency_us)
            .context("merging histograms")
    }
}

/// One OS thread: a single-threaded runtime driving `connections` connections.
fn run_thread(target: &Target, connections: usize, deadline: Instant) -> anyhow::Result<Tally> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .context("starting a bench runtime")?;
    runtime.block_on(async {
        let tasks: Vec<_> = (0..connections)
            .map(|_| tokio::spawn(drive_connection(target.clone(), deadline)))
            .collect();
        let mut all = Tally::new();
        for task in tasks {
            all.merge(&task.await.context("a bench connection failed")??)?;
        }
        Ok(all)
    })
}

/// One connection's closed loop until `deadline`, reconnecting after a failure. An answer
/// still outstanding [`ANSWER_GRACE`] after the deadline counts as an error.
async fn drive_connection(target: Target, deadline: Instant) -> anyhow::Result<Tally> {
    let mut tally = Tally::new();
    let give_up = tokio::time::sleep_until((deadline + ANSWER_GRACE).into());
    tokio::pin!(give_up);
    let mut first = true;
    while Instant::now() < deadline {
        let opened = tokio::select! {
            opened = connect(target.addr) => opened,
            () = &mut give_up => Err(anyhow::anyhow!("connecting to {} timed out", target.addr)),
        };
        let (mut sender, connection) = match opened {
            Ok(opened) => opened,
            Err(error) if first => return Err(error),
            Err(_) => {
                tally.errors += 1;
                continue;
            }
        };
        first = false;
        // The connection future and the request loop run in this one task: a response wakes
        // no other task and crosses no thread. When the connection ends first (the server
        // closed it), the loop still reads what had arrived, then stops on the closed channel.
        let gave_up = {
            let exchange = exchange_until(&mut sender, &target, deadline, &mut tally);
            tokio::pin!(exchange);
            tokio::select! {
                biased;
                () = &mut exchange => false,
                _ = connection => {
                    exchange.await;
                    false
                }
                () = &mut give_up => true,
            }
        };
        // A connection that closed between two requests lost nothing; one that closed or
        // failed while a request was out lost that request.
        if std::mem::take(&mut tally.in_flight) {
            tally.errors += 1;
        }
        if gave_up {
            break;
        }
    }
    Ok(tally)
}

async fn connect(
    addr: SocketAddr,
) -> anyhow::Result<(
    SendRequest<Empty<Bytes>>,
    http1::Connection<TokioIo<tokio::net::TcpStream>, Empty<Bytes>>,
)> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true).context("setting TCP_NODELAY")?;
    http1::handshake(TokioIo::new(stream))
        .await
        .context("the HTTP/1 handshake")
}

/// Sends one request after the other on `sender` until `deadline`; returns early when the
/// connection can no longer carry a request, with `tally.in_flight` set if a request was lost.
async fn exchange_until(
    sender: &mut SendRequest<Empty<Bytes>>,
    target: &Target,
    deadline: Instant,
    tally: &mut Tally,
) {
    loop {
        let sent = Instant::now();
        if sent >= deadline || sender.ready().await.is_err() {
            return;
        }
        tally.in_flight = true;
        let Ok(response) = sender.send_request(target.request()).await else {
            return;
        };
        let success = response.status().is_success();
        let mut body = response.into_body();
        while let Some(frame) = body.frame().await {
            if frame.is_err() {
                return;
            }
        }
        tally.in_flight = false;
        if success {
            tally
                .latency_us
                .saturating_record(crate::observe::metrics::micros(sent.elapsed()));
        } else {
            tally.errors += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_spread_evenly_and_no_thread_is_idle() {
        assert_eq!(connections_per_thread(32, 2), vec![16, 16]);
        assert_eq!(connections_per_thread(5, 2), vec![3, 2]);
        assert_eq!(connections_per_thread(2, 8), vec![1, 1]);
        assert_eq!(connections_per_thread(0, 0), vec![1]);
        assert_eq!(connections_per_thread(7, 3).iter().sum::<usize>(), 7);
    }

    #[test]
    fn target_keeps_host_port_path_and_query() -> anyhow::Result<()> {
        let target = Target::parse("http://127.0.0.1:8080/health?probe=1")?;
        assert_eq!(target.addr, "127.0.0.1:8080".parse()?);
        assert_eq!(target.path, "/health?probe=1");
        assert_eq!(target.host, "127.0.0.1:8080");
        let request = target.request();
        assert_eq!(request.uri(), "/health?probe=1");
        assert_eq!(request.headers()[HOST], "127.0.0.1:8080");
        Ok(())
    }

    #[test]
    fn target_defaults_to_port_80_and_root_path() -> anyhow::Result<()> {
        let target = Target::parse("http://127.0.0.1")?;
        assert_eq!(target.addr, "127.0.0.1:80".parse()?);
        assert_eq!(target.path, "/");
        Ok(())
    }

    #[test]
    fn target_refuses_other_schemes_and_garbage() {
        assert!(Target::parse("https://127.0.0.1/health").is_err());
        assert!(Target::parse("127.0.0.1:8080/health").is_err());
        assert!(Target::parse("http://").is_err());
    }
}
