//! The HTTP/1.1 server: hyper on a small tokio runtime of the emulator's own, with every
//! resource bounded (connections, request heads, bodies in flight) and the fault "drop the
//! connection after reading a request, without sending a byte".
//!
//! hyper parses requests: it caps the head ([`MAX_HEAD`], answering `431`), refuses
//! conflicting `Content-Length` headers (`400`) and closes a connection whose head does not
//! arrive within [`IDLE_TIMEOUT`]. A service that returns an error makes hyper close the
//! connection without writing a response, which is exactly the injected drop.

use std::convert::Infallible;
use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body, Incoming};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::control::{Shared, lock};
use crate::routes;
use crate::wire::{Reply, Request};

/// The largest request head (request line and headers) in bytes; more is answered `431`.
pub const MAX_HEAD: usize = 64 * 1024;
/// The most headers a request may have.
const MAX_HEADERS: usize = 64;
/// A connection is closed when a request head does not arrive within this time, idle
/// keep-alive connections included (longer than clients' usual 90 s pool timeout, so a
/// client never reuses a connection the emulator is closing).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// A request body must arrive within this time once its head has.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Over-cap connections answered `503` at once; beyond this they are closed unanswered.
const MAX_REFUSALS: usize = 64;

/// The running server; dropping it stops the server and closes every connection.
pub(crate) struct Server {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serves `listener` on a runtime of its own thread until the returned [`Server`] drops.
pub(crate) fn spawn(listener: std::net::TcpListener, shared: Arc<Shared>) -> io::Result<Server> {
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(64)
        .thread_name("kinabase-emulator")
        .enable_io()
        .enable_time()
        .build()?;
    let listener = {
        let _entered = runtime.enter();
        TcpListener::from_std(listener)?
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("kinabase-emulator-server".into())
        .spawn(move || {
            runtime.spawn(accept_loop(listener, shared));
            // Ends when the handle sends or is dropped.
            let _ = runtime.block_on(stopped);
            runtime.shutdown_timeout(Duration::from_secs(2));
        })?;
    Ok(Server {
        stop: Some(stop),
        thread: Some(thread),
    })
}

/// The budgets every connection draws from.
struct Limits {
    /// One permit a connection being served.
    connections: Arc<Semaphore>,
    /// One permit an over-cap connection being answered `503`.
    refusals: Arc<Semaphore>,
    /// One permit a KiB of request body being read or handled, so that bodies in flight
    /// (and the JSON parsed from them) stay within twice the largest body.
    body_kib: Arc<Semaphore>,
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let body_budget = shared
        .config
        .max_body
        .max(1)
        .div_ceil(1024)
        .saturating_mul(2);
    let limits = Limits {
        connections: Arc::new(Semaphore::new(shared.config.max_connections.max(1))),
        refusals: Arc::new(Semaphore::new(MAX_REFUSALS)),
        body_kib: Arc::new(Semaphore::new(body_budget.min(Semaphore::MAX_PERMITS))),
    };
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors or a connection reset before accept: back off briefly.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        if let Ok(slot) = Arc::clone(&limits.connections).try_acquire_owned() {
            tokio::spawn(serve(
                stream,
                Arc::clone(&shared),
                Arc::clone(&limits.body_kib),
                slot,
            ));
        } else if let Ok(slot) = Arc::clone(&limits.refusals).try_acquire_owned() {
            tokio::spawn(refuse(stream, shared.config.max_connections, slot));
        }
        // else: dropping the stream closes it.
    }
}

fn builder(idle: Duration) -> http1::Builder {
    let mut b = http1::Builder::new();
    b.timer(TokioTimer::new())
        .header_read_timeout(idle)
        .max_buf_size(2 * MAX_HEAD)
        .max_header_size(MAX_HEAD)
        .max_headers(MAX_HEADERS);
    b
}

/// Serves one keep-alive connection.
async fn serve(
    stream: TcpStream,
    shared: Arc<Shared>,
    body_kib: Arc<Semaphore>,
    _slot: OwnedSemaphorePermit,
) {
    let service =
        service_fn(move |request| respond(request, Arc::clone(&shared), Arc::clone(&body_kib)));
    let _ = builder(IDLE_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// Answers every request of an over-cap connection `503`, then closes it.
async fn refuse(stream: TcpStream, cap: usize, _slot: OwnedSemaphorePermit) {
    let service = service_fn(move |_request| {
        let mut reply = Reply::error(
            503,
            format!(
                "the emulator serves at most {cap} connections at once; close idle ones or retry"
            ),
        );
        reply.headers.push(("Retry-After", "1".into()));
        async move { Ok::<_, Infallible>(response(reply)) }
    });
    let _ = builder(Duration::from_secs(5))
        .keep_alive(false)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// The error that makes hyper close a connection without answering (the injected drop,
/// or a client that went away mid-body).
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped without a response")
    }
}

impl std::error::Error for Dropped {}

async fn respond(
    request: hyper::Request<Incoming>,
    shared: Arc<Shared>,
    body_kib: Arc<Semaphore>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let max = shared.config.max_body;
    // The declared length is checked before a byte of the body is read.
    let hint = body.size_hint();
    if hint.lower() > max as u64 {
        return Ok(response(too_large(max)));
    }
    let expected = hint.upper().map_or(max, |n| (n as usize).min(max));
    let kib = u32::try_from(expected.div_ceil(1024).max(1)).unwrap_or(u32::MAX);
    let permit = body_kib
        .acquire_many_owned(kib)
        .await
        .map_err(|_| Dropped)?;
    let body = match tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, max).collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<LengthLimitError>() => return Ok(response(too_large(max))),
        Ok(Err(_)) => return Err(Dropped),
        Err(_) => {
            return Ok(response(Reply::error(
                408,
                format!(
                    "the request body did not arrive within {} seconds",
                    BODY_TIMEOUT.as_secs()
                ),
            )));
        }
    };
    let request = Request {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        authorization: parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body,
    };
    let delay = lock(&shared.control).delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    // Routes lock the store and may write the data file: off the I/O threads.
    let outcome = tokio::task::spawn_blocking(move || {
        let reply = routes::handle(&request, &shared, started);
        drop(permit);
        reply
    })
    .await;
    match outcome {
        Ok(Some(reply)) => Ok(response(reply)),
        Ok(None) => Err(Dropped),
        Err(_) => Ok(response(Reply::error(
            500,
            "the emulator failed while handling this request",
        ))),
    }
}

fn too_large(max: usize) -> Reply {
    Reply::error(
        413,
        format!("the request body is larger than the emulator's limit of {max} bytes"),
    )
}

fn response(reply: Reply) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = Response::new(Full::new(Bytes::from(reply.body)));
    *r.status_mut() = status;
    let headers = r.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    for (name, value) in reply.headers {
        if let (Ok(name), Ok(value)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            hyper::header::HeaderValue::from_str(&value),
        ) {
            headers.insert(name, value);
        }
    }
    r
}
