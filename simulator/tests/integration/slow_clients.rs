//! Slow and hostile clients (issue 11, finding 8): 500 connections that send their headers a
//! byte at a time or stop half way through a body are each closed after their read timeout,
//! while a normal client's requests all succeed; a `Content-Length` over the limit gets 413
//! before the body is read; connections over `connections_max` get 503; an idle keep-alive
//! connection is closed. Tokio's clock is paused: the timeouts pass in virtual time.

use std::net::SocketAddr;
use std::time::Duration;

use simulator::config::SimConfig;
use simulator::http::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::http_support::{PRODUCT_ORDER, fast_config, fibre_order};

const HEADER_TIMEOUT: Duration = Duration::from_secs(2);
const BODY_TIMEOUT: Duration = Duration::from_secs(3);
/// How often a slow client sends its next byte.
const DRIP: Duration = Duration::from_millis(100);

fn config() -> SimConfig {
    let mut config = fast_config();
    config.limits.header_read_timeout_ms = HEADER_TIMEOUT.as_millis() as u64;
    config.limits.body_read_timeout_ms = BODY_TIMEOUT.as_millis() as u64;
    // The normal client's keep-alive connection must not be closed as idle mid-test.
    config.limits.idle_timeout_ms = 3_600_000;
    config.limits.connections_max = 1_000;
    config
}

async fn start(config: SimConfig) -> (Server, SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let server = Server::start(config, listener).await.expect("starts");
    let address = server.local_addr;
    (server, address)
}

/// What a slow client saw: how long after its first byte the server closed the connection,
/// and what the server sent before closing.
struct Closed {
    after: Duration,
    received: Vec<u8>,
}

/// Sends `opening`, then one more byte of `drip` every [`DRIP`], until the server closes the
/// connection (or 60 s pass, which fails the test).
async fn slow_client(mut stream: TcpStream, opening: Vec<u8>, drip: u8) -> Closed {
    let started = Instant::now();
    stream.write_all(&opening).await.expect("opening bytes");
    let mut received = Vec::new();
    let mut buffer = [0u8; 1_024];
    while started.elapsed() < Duration::from_secs(60) {
        tokio::select! {
            read = stream.read(&mut buffer) => match read {
                Ok(0) | Err(_) => return Closed { after: started.elapsed(), received },
                Ok(count) => received.extend_from_slice(&buffer[..count]),
            },
            () = tokio::time::sleep(DRIP) => {
                if stream.write_all(&[drip]).await.is_err() {
                    return Closed { after: started.elapsed(), received };
                }
            }
        }
    }
    panic!("a slow connection was never closed");
}

fn slowloris_opening() -> Vec<u8> {
    b"GET /health HTTP/1.1\r\nhost: simulator\r\nx-slow: ".to_vec()
}

fn partial_body_opening() -> Vec<u8> {
    format!(
        "POST {PRODUCT_ORDER} HTTP/1.1\r\nhost: simulator\r\ncontent-type: application/json\r\n\
         content-length: 1000\r\n\r\n{{\"productOrderItem\": "
    )
    .into_bytes()
}

#[tokio::test(start_paused = true)]
async fn slow_connections_are_closed_while_a_normal_client_is_served() {
    let (server, address) = start(config()).await;
    let mut slow = JoinSet::new();
    let opened = Instant::now();
    for index in 0..500 {
        let stream = TcpStream::connect(address).await.expect("connect");
        if index % 2 == 0 {
            slow.spawn(async move { (true, slow_client(stream, slowloris_opening(), b'a').await) });
        } else {
            slow.spawn(async move {
                (
                    false,
                    slow_client(stream, partial_body_opening(), b' ').await,
                )
            });
        }
    }
    // Let them all be accepted and drip a few bytes (virtual time: no real wait).
    tokio::time::sleep(Duration::from_millis(500)).await;

    let client = reqwest::Client::new();
    let base = format!("http://{address}");
    // Wall-clock latency of the normal client, printed (not asserted) for the record.
    let mut latencies = Vec::new();
    for index in 0..100 {
        let sent = std::time::Instant::now();
        let response = if index % 2 == 0 {
            client.get(format!("{base}/health")).send().await
        } else {
            client
                .post(format!("{base}{PRODUCT_ORDER}"))
                .json(&fibre_order(&format!("normal-{index}")))
                .send()
                .await
        };
        let response = response.unwrap_or_else(|error| panic!("request {index}: {error}"));
        assert!(
            response.status().is_success(),
            "request {index}: {}",
            response.status()
        );
        latencies.push(sent.elapsed());
    }
    latencies.sort();
    eprintln!(
        "normal client beside 500 slow connections: p50 {:?}, p99 {:?}, max {:?}; \
         virtual time used {:?}",
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 99 / 100],
        latencies[latencies.len() - 1],
        opened.elapsed()
    );
    assert!(
        slow.try_join_next().is_none(),
        "the normal client must have been served while every slow connection was held"
    );

    let (mut headers_closed, mut bodies_closed) = (0, 0);
    while let Some(result) = slow.join_next().await {
        let (slowloris, closed) = result.expect("slow client task");
        let (timeout, kind) = if slowloris {
            headers_closed += 1;
            (HEADER_TIMEOUT, "header")
        } else {
            bodies_closed += 1;
            let response = String::from_utf8_lossy(&closed.received);
            assert!(response.starts_with("HTTP/1.1 408"), "{response}");
            (BODY_TIMEOUT, "body")
        };
        assert!(
            closed.after >= timeout && closed.after <= timeout + Duration::from_secs(1),
            "{kind} closed after {:?}",
            closed.after
        );
    }
    assert_eq!((headers_closed, bodies_closed), (250, 250));
    server.shutdown().await.expect("shutdown");
}

/// Reads until the server closes the connection.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let _ = stream.read_to_end(&mut received).await;
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test(start_paused = true)]
async fn an_oversized_content_length_gets_413_before_the_body_is_sent() {
    let (server, address) = start(config()).await;
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let started = Instant::now();
    let head = format!(
        "POST {PRODUCT_ORDER} HTTP/1.1\r\nhost: simulator\r\ncontent-type: application/json\r\n\
         content-length: 10000000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    let response = read_to_close(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("\"code\":\"413\""), "{response}");
    // Answered at once, not after waiting for a body that never comes.
    assert!(started.elapsed() < BODY_TIMEOUT, "{:?}", started.elapsed());
    server.shutdown().await.expect("shutdown");
}

#[tokio::test(start_paused = true)]
async fn connections_over_the_bound_get_503_and_a_freed_slot_serves_again() {
    let mut config = config();
    config.limits.connections_max = 4;
    let (server, address) = start(config).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut stream = TcpStream::connect(address).await.expect("connect");
        stream
            .write_all(b"GET /health HTTP/1.1\r\n")
            .await
            .expect("byte");
        held.push(stream);
    }
    // Let the server accept the four.
    tokio::time::sleep(Duration::from_millis(10)).await;
    let mut refused = TcpStream::connect(address).await.expect("connect");
    let response = read_to_close(&mut refused).await;
    assert!(response.starts_with("HTTP/1.1 503"), "{response}");
    assert!(response.contains("retry-after: 1"), "{response}");

    drop(held.pop());
    let mut served = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let mut stream = TcpStream::connect(address).await.expect("connect");
        stream
            .write_all(b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .expect("request");
        if read_to_close(&mut stream).await.starts_with("HTTP/1.1 200") {
            served = true;
            break;
        }
    }
    assert!(served, "a freed connection slot was never reused");
    drop(held);
    server.shutdown().await.expect("shutdown");
}

#[tokio::test(start_paused = true)]
async fn an_idle_keep_alive_connection_is_closed() {
    let mut config = config();
    config.limits.idle_timeout_ms = 5_000;
    let (server, address) = start(config).await;
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("request");
    let mut buffer = [0u8; 1_024];
    let count = stream.read(&mut buffer).await.expect("response");
    assert!(buffer[..count].starts_with(b"HTTP/1.1 200"));
    let idle_from = Instant::now();
    let _ = read_to_close(&mut stream).await;
    let idle = idle_from.elapsed();
    assert!(
        idle >= Duration::from_secs(5) && idle <= Duration::from_secs(6),
        "{idle:?}"
    );
    server.shutdown().await.expect("shutdown");
}

/// A client that pipelines requests and never reads the answers fills the socket buffers; the
/// server's stalled write times out and the connection's slot is freed for others.
#[tokio::test(start_paused = true)]
async fn a_client_that_never_reads_is_closed_when_writes_stall() {
    let mut config = config();
    config.limits.connections_max = 1;
    config.limits.send_timeout_ms = 5_000;
    let (server, address) = start(config).await;
    let stream = TcpStream::connect(address).await.expect("connect");
    let (_reader, mut writer) = stream.into_split();
    let request = "GET /tmf-api/productCatalogManagement/v4/productSpecification HTTP/1.1\r\n\
                   host: x\r\n\r\n"
        .repeat(64);
    // Writes until the server stops reading (its writes are stalled), then stops.
    let pipeline = tokio::spawn(async move {
        for _ in 0..100_000 {
            if writer.write_all(request.as_bytes()).await.is_err() {
                break;
            }
        }
        writer
    });
    let mut served = false;
    for _ in 0..1_000 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut stream = TcpStream::connect(address).await.expect("connect");
        stream
            .write_all(b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .expect("request");
        if read_to_close(&mut stream).await.starts_with("HTTP/1.1 200") {
            served = true;
            break;
        }
    }
    assert!(served, "the non-reading connection kept its slot");
    pipeline.abort();
    server.shutdown().await.expect("shutdown");
}
