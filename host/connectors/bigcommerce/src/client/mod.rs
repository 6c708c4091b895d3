//! reqwest client for the BigCommerce REST API. Requests go through the kit's shared
//! [`Transport`] (retries, waits, call counters); `exchange` holds what is BigCommerce's own:
//! the token, the reaction to the `X-Rate-Limit-*` headers and the typed errors. Resource
//! calls live in the submodules.

mod catalog;
mod exchange;
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

pub use selvedge_connector_kit::transport::{StatsSnapshot, TransportStats as ClientStats};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue, USER_AGENT};
use selvedge_connector_kit::Transport;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::BigCommerceConfig;
use crate::error::Error;
use pacing::PaceState;
use reply::Reply;

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
    /// Retries and counters; a 429 is read by `exchange` from BigCommerce's own headers.
    transport: Transport,
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
        let transport = Transport::new(
            "bigcommerce",
            config.retry,
            Duration::from_millis(config.rate_limit.max_wait_ms),
        );
        Ok(Self {
            http,
            headers: Arc::new(headers),
            config: Arc::new(config),
            transport,
            pace: Arc::default(),
        })
    }

    /// Shared call counters (calls, 429s, retries).
    pub fn stats(&self) -> Arc<ClientStats> {
        self.transport.stats()
    }

    /// The config in use.
    pub fn config(&self) -> &BigCommerceConfig {
        &self.config
    }

    /// Sends a call through the shared transport; returns 2xx replies only.
    pub(crate) async fn send(&self, call: &Call) -> Result<Reply, Error> {
        let answer = self
            .transport
            .send(exchange::BcExchange::new(self, call))
            .await?;
        Ok(Reply {
            status: answer.status,
            body: answer.body,
            method: call.method.to_string(),
            path: call.path.clone(),
        })
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
