//! HTTP client for the modelled gateway; implements [`ErpGateway`](crate::ErpGateway).
//!
//! Reads retry with jittered backoff on transient errors. Creates are sent once: a timeout
//! after sending is reported as [`Error::Ambiguous`] so the caller looks the
//! document up by its external reference before doing anything else. Revisions (PUT) carry
//! their own idempotency key, the revision number, so they retry like reads: re-sending a
//! revision whose answer was lost answers the order as it is and changes nothing.
//!
//! Creates are not paced here: the host paces ERP writes with one limiter per account
//! (`selvedge::jobs::pacing`), shared by every client on that account.
//!
//! One file per resource (`catalog`, `inventory`, `orders`, `memos`, `shipments`); the wire
//! mechanics (GET/POST/PUT, paging, error mapping) live in `transport`, on the kit's shared
//! transport.

mod catalog;
mod gateway;
mod inventory;
mod memos;
mod orders;
mod shipments;
mod transport;

use std::sync::Arc;
use std::time::Duration;

use selvedge_connector_kit::Transport;
use selvedge_connector_kit::transport::TransportStats;
// Document numbers come from the ERP, not from us.
use selvedge_connector_kit::http::path_segment;

use crate::config::BlueCherryConfig;
use crate::error::Error;

/// Typed client of the modelled Blue Cherry gateway.
#[derive(Debug, Clone)]
pub struct BlueCherryClient {
    /// Possibly shared with other clients of the host (one connection pool and TLS config):
    /// the timeout is set per request.
    http: reqwest::Client,
    timeout: Duration,
    base_url: String,
    api_key: String,
    /// Retries (kit `Attempts`) and call counters.
    transport: Transport,
    page_size: usize,
}

type Query = Vec<(&'static str, String)>;

/// What a request was about, so an error answer can name it.
#[derive(Debug, Default, Clone, Copy)]
struct Subject<'a> {
    /// Our reference of the document sent.
    external_ref: Option<&'a str>,
    /// The ERP number of the order revised.
    order_number: Option<&'a str>,
    /// The revision sent.
    revision: Option<u32>,
}

impl BlueCherryClient {
    /// A client for `config`, authenticating with `api_key`.
    pub fn new(config: &BlueCherryConfig, api_key: impl Into<String>) -> Result<Self, Error> {
        config.validate().map_err(Error::Config)?;
        let http = Self::http_client(config)?;
        Self::with_http(config, api_key, http)
    }

    /// An HTTP client with `config`'s connect timeout, to share between every Blue Cherry
    /// client with the same `connect_timeout_ms` (see [`Self::with_http`]).
    pub fn http_client(config: &BlueCherryConfig) -> Result<reqwest::Client, Error> {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(config.connect_timeout_ms))
            .build()
            .map_err(|e| Error::Config(format!("cannot build HTTP client: {e}")))
    }

    /// A client for `config` sending through `http`, an HTTP client built by
    /// [`Self::http_client`] for the same connect timeout and shared with other clients. The
    /// request timeout, key and retries stay this client's own.
    pub fn with_http(
        config: &BlueCherryConfig,
        api_key: impl Into<String>,
        http: reqwest::Client,
    ) -> Result<Self, Error> {
        config.validate().map_err(Error::Config)?;
        Ok(Self {
            http,
            timeout: Duration::from_millis(config.timeout_ms),
            base_url: config.base_url.trim_end_matches('/').to_string(),
            api_key: api_key.into(),
            transport: Transport::new(
                "bluecherry",
                config.retry,
                Duration::from_secs(config.max_retry_after_secs),
            ),
            page_size: config.page_size,
        })
    }

    /// A client whose API key comes from the variable named by `config.api_key_env`.
    pub fn from_env(config: &BlueCherryConfig) -> Result<Self, Error> {
        let key = std::env::var(&config.api_key_env).map_err(|_| {
            Error::Config(format!(
                "environment variable {} (bluecherry.api_key_env) is not set",
                config.api_key_env
            ))
        })?;
        Self::new(config, key)
    }

    /// Call counters (requests, 429s, retries), shared with every clone.
    pub fn stats(&self) -> Arc<TransportStats> {
        self.transport.stats()
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v1{}", self.base_url, path)
    }
}
