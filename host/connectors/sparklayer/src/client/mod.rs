//! The Sparklayer API client: token handling, retries and one method per operation.
//!
//! Operations live in one file per API area (`pricing`, `stock`, `purchases`, `customers`,
//! `sync_log`); `transport` holds the single request loop every operation goes through.

mod auth;
mod customers;
mod pricing;
mod purchases;
mod stats;
mod stock;
mod sync_log;
mod transport;

use std::sync::Arc;

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
    http: reqwest::Client,
    auth: auth::TokenCache,
    stats: Arc<ClientStats>,
}

impl SparklayerClient {
    /// Validates `config` and builds the HTTP client; makes no request.
    pub fn new(config: SparklayerConfig) -> Result<Self, Error> {
        config.validate()?;
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(config.timeout())
            .build()
            .map_err(Error::HttpClient)?;
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                http,
                auth: auth::TokenCache::default(),
                stats: Arc::new(ClientStats::default()),
            }),
        })
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
