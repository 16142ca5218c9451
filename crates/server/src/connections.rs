//! The HTTP/1.1 server loop: the router behind hyper, with limits on slow and idle clients and a
//! graceful shutdown that ends within a bounded time whatever the clients do.
//!
//! - A request's head must arrive within `header_read` of its first byte (or of the connection's
//!   opening), so a half-sent header cannot hold a connection.
//! - A request, body included, is answered within `request`, so a half-sent body cannot hold a
//!   handler: one with a body gets 408, and a connection whose request is still unanswered a
//!   moment later is closed (which also ends its handler). Only requests with a body pay for a
//!   timer of their own; the rest are watched by their connection's one timer.
//! - A kept-alive connection with nothing to do is closed after `idle`; the same limit closes a
//!   connection whose client stops reading the response.
//! - On shutdown, idle connections close at once and busy ones finish their request; whatever
//!   is left after `shutdown_grace` is dropped.

use crate::admission::{Admission, Place};
use axum::extract::ConnectInfo;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower::ServiceExt;

/// How long clients may take, and how long a shutdown may wait for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// From a request's first byte (or the connection's opening) to the end of its head.
    pub header_read: Duration,
    /// From the end of a request's head to its response, reading the body included.
    pub request: Duration,
    /// A kept-alive connection with no request under way and no byte received.
    pub idle: Duration,
    /// From the shutdown signal to dropping the connections that are still open.
    pub shutdown_grace: Duration,
    /// Requests handled at once; more are answered 503 at once (see [`crate::admission`]).
    pub concurrent_requests: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read: Duration::from_secs(10),
            request: Duration::from_secs(30),
            idle: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(30),
            concurrent_requests: CONCURRENT_REQUESTS_PER_CORE
                * std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
        }
    }
}

/// Requests handled at once per core by default: enough to keep the cores busy through the
/// database's waits, few enough that admitted requests stay fast under ten times the load
/// (measured on 2 cores with 2,000 connections: a p99 under 26 ms at 32 a core, under 51 ms at
/// 64, about 100 ms at 128; `docs/benchmarks.md`).
pub(crate) const CONCURRENT_REQUESTS_PER_CORE: usize = 32;

/// Serves `app` on `listener` until `shutdown` resolves, then shuts down within the grace time.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shed: prometheus_client::metrics::counter::Counter,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let (closing, closing_signal) = watch::channel(false);
    let admission = Admission::new(limits.concurrent_requests, shed);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let connection = (stream, peer, admission.clone());
                    connections.spawn(serve_connection(connection, app.clone(), limits, closing_signal.clone()));
                }
                // Out of descriptors and the like: wait a moment rather than spin.
                Err(err) => {
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = closing.send(true);
    let drained =
        tokio::time::timeout(limits.shutdown_grace, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(open = connections.len(), "shutdown grace time over: dropping the connections left");
        connections.shutdown().await;
    }
    Ok(())
}

async fn serve_connection(
    (stream, peer, admission): (TcpStream, SocketAddr, Admission),
    app: Router,
    limits: ConnectionLimits,
    mut closing: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched { stream, activity: activity.clone() });
    let service_activity = activity.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let in_flight = service_activity.request_started();
        let has_body = !hyper::body::Body::is_end_stream(request.body());
        let admitted = admission.admit(request.uri().path()).map(|place| handle(place, app.clone(), request));
        async move {
            let response = match admitted {
                Err(at_capacity) => Ok(at_capacity.into_response()),
                Ok(handled) if has_body => {
                    tokio::time::timeout(limits.request, handled).await.unwrap_or_else(|_| Ok(request_timeout()))
                }
                Ok(handled) => handled.await,
            };
            drop(in_flight);
            response
        }
    });
    // No timer for hyper: its header timeout would also run while a kept-alive connection idles;
    // the watchdog below times heads and idleness apart instead.
    let connection = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
    tokio::pin!(connection);
    let mut shutting_down = *closing.borrow();
    if shutting_down {
        connection.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(error = %err, "connection ended with an error");
                }
                return;
            }
            changed = closing.changed(), if !shutting_down => {
                shutting_down = true;
                if changed.is_ok() {
                    connection.as_mut().graceful_shutdown();
                }
            }
            () = activity.overdue(limits) => {
                tracing::debug!(%peer, "closing a slow or idle connection");
                return;
            }
        }
    }
}

/// Runs a request to its end in a task of its own, which holds the request's place until then.
///
/// A client that goes away (or a connection closed for being slow) drops the future that waits
/// for the answer, not the work: a store operation is never cut off halfway. Cut off, `sqlx`'s
/// `begin` (between sending `BEGIN` and reading its answer) returns its connection to the pool
/// inside a transaction, where the next request's writes would wait uncommitted.
fn handle(
    place: Place,
    app: Router,
    request: hyper::Request<Incoming>,
) -> impl Future<Output = Result<Response, std::convert::Infallible>> {
    let handled = tokio::spawn(async move {
        let _place = place;
        app.oneshot(request).await
    });
    async move {
        match handled.await {
            Ok(response) => response,
            // The handler panicked, or the runtime is shutting down.
            Err(_) => Ok(StatusCode::INTERNAL_SERVER_ERROR.into_response()),
        }
    }
}

/// What a connection is doing, for its watchdog: times are milliseconds since it opened.
struct Activity {
    opened: Instant,
    requests_in_flight: AtomicUsize,
    /// When the request under way started.
    request_started: AtomicU64,
    /// When the connection last had nothing to do (opening, or its last response).
    idle_since: AtomicU64,
    /// When the first byte after `idle_since` arrived, plus one (0: none yet).
    head_started: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        // A new connection is expected to send its request head at once.
        Activity {
            opened: Instant::now(),
            requests_in_flight: AtomicUsize::new(0),
            request_started: AtomicU64::new(0),
            idle_since: AtomicU64::new(0),
            head_started: AtomicU64::new(1),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn bytes_received(&self) {
        if self.requests_in_flight.load(Ordering::Acquire) == 0 && self.head_started.load(Ordering::Acquire) == 0 {
            let _ = self.head_started.compare_exchange(0, self.now() + 1, Ordering::AcqRel, Ordering::Acquire);
        }
    }

    fn request_started(self: &Arc<Self>) -> InFlight {
        self.request_started.store(self.now(), Ordering::Release);
        self.requests_in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_started.store(0, Ordering::Release);
        InFlight(self.clone())
    }

    /// Resolves when the connection has gone past a limit: its request head is late, it has
    /// been idle too long, or its request is still unanswered a second after the request timeout
    /// (the second leaves room for the 408 of a request with a body).
    async fn overdue(&self, limits: ConnectionLimits) {
        loop {
            let deadline = if self.requests_in_flight.load(Ordering::Acquire) > 0 {
                self.request_started.load(Ordering::Acquire) + millis(limits.request) + 1000
            } else {
                match self.head_started.load(Ordering::Acquire) {
                    0 => self.idle_since.load(Ordering::Acquire) + millis(limits.idle),
                    started => started - 1 + millis(limits.header_read),
                }
            };
            let now = self.now();
            if now >= deadline {
                return;
            }
            tokio::time::sleep(Duration::from_millis(deadline - now)).await;
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX / 2)
}

/// The answer to a request whose body did not arrive in time.
fn request_timeout() -> axum::response::Response {
    use axum::response::IntoResponse;
    crate::error::ApiError::new(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        "The request was not completed in time.",
    )
    .into_response()
}

/// A request being handled; dropping it marks the connection idle when it was the last.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let activity = &self.0;
        activity.idle_since.store(activity.now(), Ordering::Release);
        activity.requests_in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A TCP stream that tells its connection's [`Activity`] when bytes arrive.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.bytes_received();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
