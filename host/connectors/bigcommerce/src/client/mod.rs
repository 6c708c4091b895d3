//! reqwest client for the BigCommerce REST API: auth, self-pacing, 429 waits, retries of
//! idempotent calls, typed errors and call counters. Resource calls live in the submodules.

mod catalog;
mod inventory;
pub mod ops;
mod orders;
pub mod pacing;
mod paging;
mod refunds;
mod reply;
mod webhooks;

pub use catalog::{PRODUCT_BATCH_MAX, VARIANT_BATCH_MAX};
pub use inventory::ADJUSTMENT_MAX_ITEMS;
pub use ops::{Api, Operation};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backon::BackoffBuilder;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::BigCommerceConfig;
use crate::error::Error;
use pacing::PaceState;
use reply::{Reply, map_error};

/// Counters the host exports as metrics. Shared: clone the `Arc` from [`BigCommerceClient::stats`].
#[derive(Debug, Default)]
pub struct ClientStats {
    calls: AtomicU64,
    throttled: AtomicU64,
    retries: AtomicU64,
}

/// A point-in-time copy of [`ClientStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// HTTP requests sent (every attempt).
    pub calls: u64,
    /// 429 answers received.
    pub throttled: u64,
    /// Attempts repeated after a 429, a 5xx or a timeout.
    pub retries: u64,
}

impl ClientStats {
    /// Reads the counters.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            calls: self.calls.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
        }
    }
}

/// One logical call; may be sent several times.
pub(crate) struct Call {
    method: Method,
    api: Api,
    path: String,
    query: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl Call {
    /// A call of `op`, its path parameters filled from `ids` in order.
    pub(crate) fn new(op: Operation, ids: &[i64]) -> Self {
        Self {
            method: op.method(),
            api: op.api(),
            path: op.path(ids),
            query: Vec::new(),
            body: None,
        }
    }

    pub(crate) fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_owned(), value.to_string()));
        self
    }

    /// Adds every pair of `params`.
    pub(crate) fn params(mut self, params: &[(String, String)]) -> Self {
        self.query.extend(params.iter().cloned());
        self
    }

    pub(crate) fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            Error::Config(format!("cannot encode request body for {}: {e}", self.path))
        })?;
        self.body = Some(bytes);
        Ok(self)
    }

    /// GET and PUT may be sent again after a 5xx or timeout; POST creates may not.
    fn idempotent(&self) -> bool {
        matches!(
            self.method,
            Method::GET | Method::PUT | Method::DELETE | Method::HEAD
        )
    }
}

/// Client of one BigCommerce store. Cheap to clone; clones share pacing and counters.
#[derive(Clone)]
pub struct BigCommerceClient {
    /// Possibly shared with other clients of the host (one connection pool and TLS config):
    /// the token, headers and timeout are set per request.
    http: reqwest::Client,
    headers: Arc<HeaderMap>,
    config: Arc<BigCommerceConfig>,
    stats: Arc<ClientStats>,
    pace: Arc<Mutex<PaceState>>,
}

impl std::fmt::Debug for BigCommerceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token stays out of logs.
        f.debug_struct("BigCommerceClient")
            .field("base_url", &self.config.base_url)
            .field("store_hash", &self.config.store_hash)
            .finish()
    }
}

impl BigCommerceClient {
    /// Builds a client after validating the config.
    pub fn new(config: BigCommerceConfig) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| Error::Config(format!("cannot build HTTP client: {e}")))?;
        Self::with_http(config, http)
    }

    /// Builds a client after validating the config, sending through `http`: an HTTP client
    /// shared with other clients of the host (no default headers or timeout of its own).
    /// Pacing, counters, token and timeout stay this client's own.
    pub fn with_http(config: BigCommerceConfig, http: reqwest::Client) -> Result<Self, Error> {
        config.validate().map_err(Error::Config)?;
        let mut headers = HeaderMap::new();
        let token = HeaderValue::from_str(&config.access_token).map_err(|_| {
            Error::Config("bigcommerce.access_token has characters not allowed in a header".into())
        })?;
        headers.insert("X-Auth-Token", token);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("selvedge-bigcommerce/", env!("CARGO_PKG_VERSION"))),
        );
        Ok(Self {
            http,
            headers: Arc::new(headers),
            config: Arc::new(config),
            stats: Arc::default(),
            pace: Arc::default(),
        })
    }

    /// Shared call counters (calls, 429s, retries).
    pub fn stats(&self) -> Arc<ClientStats> {
        Arc::clone(&self.stats)
    }

    /// The config in use.
    pub fn config(&self) -> &BigCommerceConfig {
        &self.config
    }

    fn url(&self, call: &Call) -> String {
        let root = match call.api {
            Api::V2 => self.config.v2_root(),
            Api::V3 => self.config.v3_root(),
        };
        format!("{root}{}", call.path)
    }

    async fn pace(&self) {
        let rl = self.config.rate_limit;
        loop {
            let wait = match self.pace.lock() {
                Ok(mut p) => p.acquire(
                    i64::from(rl.reserve),
                    Duration::from_millis(rl.reset_margin_ms),
                ),
                Err(_) => None,
            };
            match wait {
                Some(w) => {
                    tracing::debug!(
                        wait_ms = w.as_millis() as u64,
                        "bigcommerce: window used up, pacing"
                    );
                    tokio::time::sleep(w).await;
                }
                None => return,
            }
        }
    }

    /// Sends a call, handling pacing, 429 waits and retries; returns 2xx replies only.
    pub(crate) async fn send(&self, call: &Call) -> Result<Reply, Error> {
        let method = call.method.to_string();
        let path = call.path.clone();
        let url = self.url(call);
        let mut backoff = self.config.retry.backoff().build();
        let mut attempts: u32 = 0;
        let mut throttled: u32 = 0;
        loop {
            self.pace().await;
            attempts += 1;
            self.stats.calls.fetch_add(1, Ordering::Relaxed);
            let mut req = self
                .http
                .request(call.method.clone(), &url)
                .headers(HeaderMap::clone(&self.headers))
                .timeout(Duration::from_millis(self.config.timeout_ms))
                .query(&call.query);
            if let Some(body) = &call.body {
                req = req
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let outcome = match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    match resp.bytes().await {
                        Ok(bytes) => Ok((status, headers, bytes.to_vec())),
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(e),
            };
            let (status, headers, body) = match outcome {
                Ok(parts) => parts,
                Err(source) => {
                    if let Ok(mut p) = self.pace.lock() {
                        p.release();
                    }
                    let transient =
                        source.is_timeout() || source.is_connect() || source.is_request();
                    if transient
                        && call.idempotent()
                        && let Some(delay) = backoff.next()
                    {
                        tracing::warn!(%method, %path, error = %source, "bigcommerce: transport error, retrying");
                        self.stats.retries.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(Error::Transport {
                        method,
                        path,
                        attempts,
                        source,
                    });
                }
            };
            if let Ok(mut p) = self.pace.lock() {
                p.observe(&headers);
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                self.stats.throttled.fetch_add(1, Ordering::Relaxed);
                throttled += 1;
                let wait = pacing::throttle_wait(&headers)
                    + Duration::from_millis(self.config.rate_limit.reset_margin_ms);
                if throttled >= self.config.rate_limit.max_throttled_attempts
                    || wait > Duration::from_millis(self.config.rate_limit.max_wait_ms)
                {
                    return Err(Error::RateLimited {
                        method,
                        path,
                        attempts,
                    });
                }
                if let Ok(mut p) = self.pace.lock() {
                    p.block_for(wait);
                }
                tracing::info!(%method, %path, wait_ms = wait.as_millis() as u64, "bigcommerce: 429, waiting for the window");
                self.stats.retries.fetch_add(1, Ordering::Relaxed);
                // The request was not processed, so any method may be sent again.
                tokio::time::sleep(wait).await;
                continue;
            }
            if status.is_server_error()
                && call.idempotent()
                && let Some(delay) = backoff.next()
            {
                tracing::warn!(%method, %path, status = status.as_u16(), "bigcommerce: server error, retrying");
                self.stats.retries.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(delay).await;
                continue;
            }
            if status.is_success() {
                return Ok(Reply {
                    status,
                    body,
                    method,
                    path,
                });
            }
            return Err(map_error(status, &body, method, path, attempts));
        }
    }

    /// Sends and decodes a JSON answer.
    pub(crate) async fn fetch<T: DeserializeOwned>(&self, call: Call) -> Result<T, Error> {
        self.send(&call).await?.decode()
    }
}

/// Joins ids for an `:in` filter.
pub(crate) fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}
