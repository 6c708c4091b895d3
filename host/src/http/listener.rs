//! How both listeners accept and bound requests: hyper's HTTP/1 connection builder with a
//! header read timeout (axum::serve has none), a request timeout, and a cap on requests in
//! flight. Beyond the cap a request waits for a slot for at most `queue_wait`, then gets 503 +
//! `Retry-After`: a flash-sale burst of webhook deliveries is stored within a second or two
//! when it waits, whereas a refused delivery comes back only on BigCommerce's retry schedule
//! (minutes later, and repeated failures can get a hook deactivated). A waiting request
//! holds its connection and a small future, nothing more: its body is not read yet.
//!
//! HTTP/1 only: the webhook senders and the dashboard speak it, and hyper's protocol sniffing
//! (for h2c) would wait for bytes with no deadline.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::timeout::TimeoutLayer;
use tower::timeout::error::Elapsed;
use tower::{BoxError, ServiceBuilder};

use super::HttpError;

/// Limits of one listener.
#[derive(Debug, Clone, PartialEq)]
pub struct ListenerLimits {
    /// A connection that has not sent a complete request head by then is closed.
    pub header_read_timeout: Duration,
    /// A request not answered by then (body read included) gets 408.
    pub request_timeout: Duration,
    /// Requests handled at once; more wait for a slot.
    pub max_in_flight: usize,
    /// How long a request beyond the cap waits for a slot before it gets 503.
    pub queue_wait: Duration,
}

impl ListenerLimits {
    /// The webhook listener: deliveries are small and stored in milliseconds; BigCommerce
    /// itself gives up on a slow endpoint, so there is no point holding one longer.
    pub const WEBHOOK: Self = Self {
        header_read_timeout: Duration::from_secs(10),
        request_timeout: Duration::from_secs(15),
        max_in_flight: 256,
        queue_wait: Duration::from_secs(10),
    };

    /// The admin listener: a plugin swap compiles and runs fixtures, so its requests get
    /// longer; a handful of operators and one scraper need few slots.
    pub const ADMIN: Self = Self {
        header_read_timeout: Duration::from_secs(10),
        request_timeout: Duration::from_secs(120),
        max_in_flight: 64,
        queue_wait: Duration::from_secs(5),
    };
}

/// `router` behind the request timeout and the in-flight cap.
pub fn bounded(router: Router, limits: &ListenerLimits) -> Router {
    router.layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(|err: BoxError| async move {
                as_http_error(&err)
            }))
            .layer(TimeoutLayer::new(limits.request_timeout))
            .layer(middleware::from_fn_with_state(
                Slots {
                    free: Arc::new(Semaphore::new(limits.max_in_flight)),
                    wait: limits.queue_wait,
                },
                in_flight,
            )),
    )
}

/// The listener's request slots.
#[derive(Clone)]
struct Slots {
    free: Arc<Semaphore>,
    wait: Duration,
}

/// Holds a slot for the request's whole handling; waits up to `wait` for one.
async fn in_flight(State(slots): State<Slots>, request: Request, next: Next) -> Response {
    let Ok(Ok(_slot)) = tokio::time::timeout(slots.wait, slots.free.acquire_owned()).await else {
        return HttpError::Overloaded.into_response();
    };
    next.run(request).await
}

fn as_http_error(err: &BoxError) -> HttpError {
    if err.is::<Elapsed>() {
        HttpError::Timeout
    } else {
        HttpError::Internal {
            message: "the request failed; see the host log",
            internal: err.to_string(),
        }
    }
}

/// Serves `router` on `listener` within `limits` until `stop` completes; then stops
/// accepting and waits for the connections in flight to finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ListenerLimits,
    stop: impl Future<Output = ()>,
) {
    let service = bounded(router, &limits);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(err) => {
                accept_failed(err).await;
                continue;
            }
        };
        let connection = http.serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(service.clone()),
        );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // Timeouts and resets by the peer end up here; they are the peer's business.
            if let Err(err) = connection.await {
                tracing::debug!(%err, "connection closed with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// A failed accept: a connection reset before we took it is nothing; anything else (out of
/// file descriptors) gets a pause so the loop does not spin.
async fn accept_failed(err: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        err.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::warn!(%err, "cannot accept a connection; pausing");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
