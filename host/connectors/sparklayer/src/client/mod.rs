//! The Sparklayer API client: token handling, retries and one method per operation.
//!
//! Operations live in one file per API area (`pricing`, `stock`, `purchases`, `customers`,
//! `sync_log`); every request goes through the kit's shared transport, with `exchange` (API
//! calls) and `auth` (the token request) saying what is Sparklayer's own.

mod auth;
mod customers;
mod exchange;
mod pricing;
mod purchases;
mod stats;
mod stock;
mod sync_log;
mod transport;

use std::sync::Arc;
use std::time::Duration;

use selvedge_connector_kit::Transport;

pub use purchases::{PurchaseQuery, UPDATED_SINCE_PARAM};
pub use stats::{ClientStats, StatsSnapshot};

use crate::config::SparklayerConfig;
use crate::error::Error;

/// `User-Agent` of every request, so Sparklayer support can find our traffic.
const USER_AGENT: &str = concat!("selvedge-sparklayer/", env!("CARGO_PKG_VERSION"));

/// A cheap-to-clone handle to one Sparklayer site.
#[derive(Clone)]
pub struct SparklayerClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: SparklayerConfig,
    /// Possibly shared with other clients of the host: headers and timeout go on each request.
    http: reqwest::Client,
    auth: auth::TokenCache,
    /// Retries (kit `Attempts`), waits and the shared counters.
    transport: Transport,
    stats: Arc<ClientStats>,
}

impl SparklayerClient {
    /// Validates `config` and builds the HTTP client; makes no request.
    pub fn new(config: SparklayerConfig) -> Result<Self, Error> {
        config.validate()?;
        let http = reqwest::Client::builder()
            .build()
            .map_err(Error::HttpClient)?;
        Self::with_http(config, http)
    }

    /// Validates `config`; requests go through `http`, an HTTP client shared with other
    /// clients of the host (no default headers or timeout of its own). Token, counters and
    /// timeout stay this client's own. Makes no request.
    pub fn with_http(config: SparklayerConfig, http: reqwest::Client) -> Result<Self, Error> {
        config.validate()?;
        let transport = Transport::new(
            "sparklayer",
            config.retry,
            Duration::from_secs(config.max_retry_after_secs),
        );
        let stats = Arc::new(ClientStats::new(transport.stats()));
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                http,
                auth: auth::TokenCache::default(),
                transport,
                stats,
            }),
        })
    }

    /// A request with this client's user agent and timeout (the HTTP client may be shared).
    pub(crate) fn request_builder(
        &self,
        method: reqwest::Method,
        url: String,
    ) -> reqwest::RequestBuilder {
        self.inner
            .http
            .request(method, url)
            .header(reqwest::header::USER_AGENT, USER_AGENT)
            .timeout(self.inner.config.timeout())
    }

    /// Counters for metrics (calls, 429s, retries, token fetches), shared with every clone.
    pub fn stats(&self) -> Arc<ClientStats> {
        Arc::clone(&self.inner.stats)
    }

    /// The config this client was built with.
    pub fn config(&self) -> &SparklayerConfig {
        &self.inner.config
    }
}

impl std::fmt::Debug for SparklayerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SparklayerClient")
            .field("base_url", &self.inner.config.base_url)
            .field("site_id", &self.inner.config.site_id)
            .finish_non_exhaustive()
    }
}
