//! Serving connections: HTTP/1.1 through hyper directly (rather than `axum::serve`, which has
//! no read timeouts), so that slow and hostile clients cannot hold the simulator's sockets.
//!
//! - At most `limits.connections_max` connections are open; one beyond it is answered 503
//!   (TMF Error, `Retry-After`) and closed at once.
//! - Each connection has one deadline at a time, enforced where hyper reads the socket
//!   ([`TimedIo`]): while it waits for a request, `idle_timeout_ms` from the end of the last
//!   response; once a request's first byte arrived, `header_read_timeout_ms` for the whole head
//!   (a client sending a byte at a time gains nothing). Past it the connection is closed.
//! - A request's body is read before the router sees it: a `Content-Length` above
//!   `body_bytes_max` gets 413 before a byte of the body is read; a body that takes longer than
//!   `body_read_timeout_ms` gets 408; both close the connection.
//! - A response write that makes no progress for `send_timeout_ms` (a client that does not
//!   read) closes the connection.
//! - Shutdown stops accepting, lets each connection finish its request, and waits for them.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

use crate::config::Limits;
use crate::http::error::ApiError;

/// The connection limits, from [`Limits`].
#[derive(Copy, Clone, Debug)]
pub struct ConnectionLimits {
    /// Open connections at most.
    pub connections_max: usize,
    /// Time for a request head, from its first byte.
    pub header_read: Duration,
    /// Time for a request body, from the end of its head.
    pub body_read: Duration,
    /// Time a connection may wait for its next request.
    pub idle: Duration,
    /// Time a response write may make no progress.
    pub send: Duration,
    /// Largest body, bytes.
    pub body_bytes_max: usize,
}

impl ConnectionLimits {
    /// The connection limits of `limits`.
    pub fn from_limits(limits: &Limits) -> ConnectionLimits {
        ConnectionLimits {
            connections_max: limits.connections_max.max(1),
            header_read: Duration::from_millis(limits.header_read_timeout_ms),
            body_read: Duration::from_millis(limits.body_read_timeout_ms),
            idle: Duration::from_millis(limits.idle_timeout_ms),
            send: Duration::from_millis(limits.send_timeout_ms),
            body_bytes_max: limits.body_bytes_max,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` says so, then waits for open connections.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    mut shutdown: watch::Receiver<bool>,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.connections_max));
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Accept errors (e.g. out of file descriptors) are transient: keep serving.
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            refuse(&stream);
            continue;
        };
        let (router, shutdown) = (router.clone(), shutdown.clone());
        tokio::spawn(async move {
            connection(stream, router, limits, shutdown).await;
            drop(slot);
        });
    }
    // Every slot back means every connection has ended.
    let all = u32::try_from(limits.connections_max).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    Ok(())
}

/// Answers a connection over `connections_max` with 503 and drops it. A single non-blocking
/// write: a fresh socket's send buffer takes the few hundred bytes, and a refused client must
/// not cost a task.
fn refuse(stream: &TcpStream) {
    let body = ApiError::overloaded("the simulator holds its maximum of open connections")
        .body()
        .to_string();
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.try_write(response.as_bytes());
}

/// Serves one connection until it ends, times out, or shutdown finishes its last request.
async fn connection(
    stream: TcpStream,
    router: Router,
    limits: ConnectionLimits,
    mut shutdown: watch::Receiver<bool>,
) {
    let phase = Arc::new(Mutex::new(Phase::Idle(Instant::now())));
    let io = TokioIo::new(TimedIo::new(stream, Arc::clone(&phase), limits));
    let service = hyper::service::service_fn(move |request| {
        let (router, phase) = (router.clone(), Arc::clone(&phase));
        async move { Ok::<_, Infallible>(respond(router, request, limits, &phase).await) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The head's deadline is TimedIo's (from the first byte, not from the last response).
    builder.keep_alive(true).header_read_timeout(None);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => log_end(result),
        _ = shutdown.changed() => {
            connection.as_mut().graceful_shutdown();
            log_end(connection.await);
        }
    }
}

fn log_end(result: Result<(), hyper::Error>) {
    if let Err(error) = result {
        tracing::debug!(%error, "connection ended");
    }
}

/// Reads the body under its limits, then hands the request to the router.
async fn respond(
    router: Router,
    request: Request<Incoming>,
    limits: ConnectionLimits,
    phase: &Mutex<Phase>,
) -> Response<Body> {
    set(phase, Phase::Busy);
    let response = match read_body(request, limits).await {
        Ok(request) => match router.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        },
        Err(refusal) => closing(refusal),
    };
    set(phase, Phase::Idle(Instant::now()));
    response
}

/// The request with its body read into memory, or the error that ends the connection.
async fn read_body(
    request: Request<Incoming>,
    limits: ConnectionLimits,
) -> Result<Request<Body>, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Payload Too Large",
            format!(
                "the body is over limits.body_bytes_max ({} bytes)",
                limits.body_bytes_max
            ),
        )
    };
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limits.body_bytes_max as u64) {
        return Err(too_large());
    }
    let read = Limited::new(body, limits.body_bytes_max).collect();
    match tokio::time::timeout(limits.body_read, read).await {
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "Request Timeout",
            format!(
                "the body was not received within limits.body_read_timeout_ms ({} ms)",
                limits.body_read.as_millis()
            ),
        )),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(error)) => Err(ApiError::bad_request(format!(
            "the body could not be read: {error}"
        ))),
        Ok(Ok(collected)) => Ok(Request::from_parts(parts, Body::from(collected.to_bytes()))),
    }
}

/// `refusal` as a response that closes the connection (the rest of its body is unread).
fn closing(refusal: ApiError) -> Response<Body> {
    let mut response = refusal.into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Where a connection is, which says which deadline applies to its reads.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for a request since the instant (the connection opened or answered).
    Idle(Instant),
    /// Reading a request head whose first byte arrived at the instant.
    Head(Instant),
    /// A request is being served; its body read has its own deadline.
    Busy,
}

fn set(phase: &Mutex<Phase>, next: Phase) {
    // A poisoned lock means a panic elsewhere while setting a Copy value: the value is whole.
    *phase.lock().unwrap_or_else(|poison| poison.into_inner()) = next;
}

/// A socket whose reads fail with `TimedOut` past the connection's current deadline, and whose
/// writes fail once they have made no progress for `limits.send`.
struct TimedIo {
    stream: TcpStream,
    phase: Arc<Mutex<Phase>>,
    limits: ConnectionLimits,
    sleep: Pin<Box<Sleep>>,
    /// Since when writes have been pending without progress (None while they progress).
    write_stalled: Option<Instant>,
    write_sleep: Pin<Box<Sleep>>,
}

impl TimedIo {
    fn new(stream: TcpStream, phase: Arc<Mutex<Phase>>, limits: ConnectionLimits) -> TimedIo {
        let sleep = Box::pin(tokio::time::sleep(limits.idle));
        let write_sleep = Box::pin(tokio::time::sleep(limits.send));
        TimedIo {
            stream,
            phase,
            limits,
            sleep,
            write_stalled: None,
            write_sleep,
        }
    }

    /// Passes a write's result on, failing a write that has stalled past `limits.send`.
    fn watch_write<T>(
        &mut self,
        cx: &mut Context<'_>,
        result: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if result.is_ready() {
            self.write_stalled = None;
            return result;
        }
        let deadline = *self.write_stalled.get_or_insert_with(Instant::now) + self.limits.send;
        if self.write_sleep.deadline() != deadline {
            self.write_sleep.as_mut().reset(deadline);
        }
        match self.write_sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "client too slow: it does not read its responses",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The deadline of the current phase (None while a request is served).
    fn deadline(&self, phase: Phase) -> Option<Instant> {
        match phase {
            Phase::Idle(since) => Some(since + self.limits.idle),
            Phase::Head(since) => Some(since + self.limits.header_read),
            Phase::Busy => None,
        }
    }
}

impl AsyncRead for TimedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let phase = *this
            .phase
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if let Phase::Idle(_) = phase
                    && buf.filled().len() > before
                {
                    set(&this.phase, Phase::Head(Instant::now()));
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => {
                let Some(deadline) = this.deadline(phase) else {
                    return Poll::Pending;
                };
                if this.sleep.deadline() != deadline {
                    this.sleep.as_mut().reset(deadline);
                }
                match this.sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "client too slow: read deadline passed",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl AsyncWrite for TimedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.watch_write(cx, result)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.stream).poll_flush(cx);
        this.watch_write(cx, result)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.watch_write(cx, result)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
