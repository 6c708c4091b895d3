//! The one request loop every connector sends through: an attempt, its answer, and whether to
//! try again. Waits come from [`Attempts`] (jittered backoff, a 429's `Retry-After` as the
//! floor); the connector keeps its auth (it builds each attempt's request), its own reading of
//! an answer (an [`Exchange`] may override the transport's default decision) and its error
//! type (it maps the final [`Failure`]). The transport never paces: pacing of ERP writes is
//! the host's per-account limiter, passed in by the host.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};

use crate::http::parse_retry_after;
use crate::retry::{Attempts, RetryPolicy};

/// Counters of one client's requests, for metrics. Shared by every clone of the client.
#[derive(Debug, Default)]
pub struct TransportStats {
    calls: AtomicU64,
    throttled: AtomicU64,
    retries: AtomicU64,
}

/// A point-in-time copy of [`TransportStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// HTTP requests sent (every attempt).
    pub calls: u64,
    /// 429 answers received.
    pub throttled: u64,
    /// Attempts repeated after a 429, a 5xx or a transport error.
    pub retries: u64,
}

impl TransportStats {
    /// Reads the counters.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            calls: self.calls.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
        }
    }

    /// Counts a retry decided above the transport (a create looked up, then sent again).
    pub fn count_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }
}

/// An answer, whatever its status, with its body read.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Vec<u8>,
}

impl Answer {
    /// The standard `Retry-After`, when present and readable.
    pub fn retry_after(&self) -> Option<Duration> {
        parse_retry_after(&self.headers)
    }
}

/// Why a call ended without a 2xx.
#[derive(Debug)]
pub enum Failure {
    /// No whole answer: the request was not sent, timed out, or the body could not be read.
    Lost {
        /// The reqwest error.
        source: reqwest::Error,
        /// True when the status came back but the body did not (the server acted on it).
        reading_body: bool,
    },
    /// A non-2xx answer the exchange did not (or could no longer) retry.
    Refused(Answer),
}

/// What to do after an attempt that did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Retry after the policy's next wait, at least this long; ends when the policy is spent.
    Backoff(Option<Duration>),
    /// Retry after exactly this wait, outside the policy (the server said when its window opens).
    Wait(Duration),
    /// Send again at once, not counted as a retry (e.g. with fresh credentials).
    Again,
    /// Give up: the call fails with this attempt's [`Failure`].
    Stop,
}

/// One logical call as the connector sees it. The transport asks it for each attempt's request
/// and lets it overrule the default decision after a failed attempt.
pub trait Exchange: Send {
    /// The connector's error.
    type Error;

    /// `METHOD path`, for logs.
    fn describe(&self) -> String;

    /// Whether a 5xx or a lost answer may be retried blindly (false for creates).
    fn idempotent(&self) -> bool;

    /// The request of the next attempt: auth, headers, timeout and body are the connector's.
    fn request(&mut self) -> impl Future<Output = Result<RequestBuilder, Self::Error>> + Send;

    /// Every answer's headers, 2xx included, before any decision.
    fn observe(&mut self, _headers: &HeaderMap) {}

    /// After an attempt that got no whole answer; `default` is the transport's decision.
    fn lost(&mut self, _source: &reqwest::Error, default: Decision) -> Decision {
        default
    }

    /// After a non-2xx answer; `default` is the transport's decision.
    fn refused(&mut self, _answer: &Answer, default: Decision) -> Decision {
        default
    }

    /// The connector's error for a call that ended with `failure` after `attempts` attempts.
    fn fail(self, failure: Failure, attempts: u32) -> Self::Error;
}

/// The shared transport of one client: its retry policy and its counters.
#[derive(Debug, Clone)]
pub struct Transport {
    connector: &'static str,
    retry: RetryPolicy,
    max_retry_after: Duration,
    stats: Arc<TransportStats>,
}

impl Transport {
    /// A transport for `connector` (named in logs). A 429 asking for longer than
    /// `max_retry_after` is not waited out here: the call fails and the caller reschedules.
    pub fn new(connector: &'static str, retry: RetryPolicy, max_retry_after: Duration) -> Self {
        Self {
            connector,
            retry,
            max_retry_after,
            stats: Arc::default(),
        }
    }

    /// The counters, shared with every clone of this transport.
    pub fn stats(&self) -> Arc<TransportStats> {
        Arc::clone(&self.stats)
    }

    /// The retry policy in use.
    pub fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// The waits of one call under this transport's policy.
    pub fn attempts(&self) -> Attempts {
        self.retry.attempts(self.max_retry_after)
    }

    /// Sends `exchange` until it answers 2xx or fails for good.
    pub async fn send<X: Exchange>(&self, mut exchange: X) -> Result<Answer, X::Error> {
        let mut waits = self.attempts();
        let mut attempts: u32 = 0;
        loop {
            let request = exchange.request().await?;
            attempts += 1;
            self.stats.calls.fetch_add(1, Ordering::Relaxed);
            let (decision, failure) = match receive(request).await {
                Ok(answer) => {
                    exchange.observe(&answer.headers);
                    if answer.status.is_success() {
                        return Ok(answer);
                    }
                    let default = self.default_for(&answer, &exchange);
                    (exchange.refused(&answer, default), Failure::Refused(answer))
                }
                Err((source, reading_body)) => {
                    let default = if exchange.idempotent() {
                        Decision::Backoff(None)
                    } else {
                        Decision::Stop
                    };
                    let decision = exchange.lost(&source, default);
                    let failure = Failure::Lost {
                        source,
                        reading_body,
                    };
                    (decision, failure)
                }
            };
            let wait = match decision {
                Decision::Again => continue,
                Decision::Stop => None,
                Decision::Wait(wait) => Some(wait),
                Decision::Backoff(floor) => waits.next_wait(floor),
            };
            let Some(wait) = wait else {
                return Err(exchange.fail(failure, attempts));
            };
            tracing::warn!(
                connector = self.connector,
                call = %exchange.describe(),
                failure = %Summary(&failure),
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "retrying"
            );
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(wait).await;
        }
    }

    /// The decision for a non-2xx answer unless the exchange knows better: a 429 waits at
    /// least its `Retry-After` (one beyond `max_retry_after` is the caller's to wait out), a
    /// 5xx is retried when the call is idempotent, anything else is final.
    fn default_for(&self, answer: &Answer, exchange: &impl Exchange) -> Decision {
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            self.stats.throttled.fetch_add(1, Ordering::Relaxed);
            let asked = answer.retry_after();
            if asked.is_some_and(|ra| ra > self.max_retry_after) {
                return Decision::Stop;
            }
            return Decision::Backoff(asked);
        }
        if answer.status.is_server_error() && exchange.idempotent() {
            return Decision::Backoff(None);
        }
        Decision::Stop
    }
}

/// Sends one request and reads the whole answer; an error says whether it came while reading
/// the body.
async fn receive(request: RequestBuilder) -> Result<Answer, (reqwest::Error, bool)> {
    let response = request.send().await.map_err(|e| (e, false))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(|e| (e, true))?;
    Ok(Answer {
        status,
        headers,
        body: body.to_vec(),
    })
}

/// A failure in one log field.
struct Summary<'a>(&'a Failure);

impl std::fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Failure::Lost { source, .. } => write!(f, "{source}"),
            Failure::Refused(answer) => write!(f, "HTTP {}", answer.status.as_u16()),
        }
    }
}
