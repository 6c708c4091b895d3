//! What one BigCommerce call adds to the kit's transport: the token and headers of each
//! attempt, the reaction to the store's `X-Rate-Limit-*` headers, and the typed errors.
//!
//! The reaction is not a pacer of our own: it has no rate of its own and only follows what the
//! store reports about its window (requests left, reset time), so a call waits when the store
//! says the window is spent rather than when it would be answered 429.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use selvedge_connector_kit::http::json_body;
use selvedge_connector_kit::transport::{Answer, Decision, Exchange, Failure};

use super::{Api, BigCommerceClient, Call, pacing, reply::map_error};
use crate::error::Error;

/// One call in flight: its client, its 429 count.
pub(super) struct BcExchange<'a> {
    client: &'a BigCommerceClient,
    call: &'a Call,
    url: String,
    throttled: u32,
}

impl<'a> BcExchange<'a> {
    pub(super) fn new(client: &'a BigCommerceClient, call: &'a Call) -> Self {
        let root = match call.api {
            Api::V2 => client.config.v2_root(),
            Api::V3 => client.config.v3_root(),
        };
        Self {
            client,
            call,
            url: format!("{root}{}", call.path),
            throttled: 0,
        }
    }

    /// Waits while the store's window, as its headers last told, is used up.
    async fn pace(&self) {
        let rl = self.client.config.rate_limit;
        loop {
            let wait = match self.client.pace.lock() {
                Ok(mut p) => p.acquire(
                    i64::from(rl.reserve),
                    Duration::from_millis(rl.reset_margin_ms),
                ),
                Err(_) => None,
            };
            match wait {
                Some(w) => {
                    tracing::debug!(
                        wait_ms = u64::try_from(w.as_millis()).unwrap_or(u64::MAX),
                        "bigcommerce: window used up, pacing"
                    );
                    tokio::time::sleep(w).await;
                }
                None => return,
            }
        }
    }
}

impl Exchange for BcExchange<'_> {
    type Error = Error;

    fn describe(&self) -> String {
        format!("{} {}", self.call.method, self.call.path)
    }

    fn idempotent(&self) -> bool {
        self.call.idempotent()
    }

    async fn request(&mut self) -> Result<RequestBuilder, Error> {
        self.pace().await;
        let client = self.client;
        let req = client
            .http
            .request(self.call.method.clone(), &self.url)
            .headers(HeaderMap::clone(&client.headers))
            .timeout(Duration::from_millis(client.config.timeout_ms))
            .query(&self.call.query);
        Ok(json_body(req, self.call.body.as_deref()))
    }

    fn observe(&mut self, headers: &HeaderMap) {
        if let Ok(mut p) = self.client.pace.lock() {
            p.observe(headers);
        }
    }

    fn lost(&mut self, source: &reqwest::Error, default: Decision) -> Decision {
        if let Ok(mut p) = self.client.pace.lock() {
            p.release();
        }
        // Timeouts, failed connections and requests that could not be sent; anything else
        // (a redirect loop, a body reqwest cannot read) would fail the same way again.
        let transient = source.is_timeout() || source.is_connect() || source.is_request();
        if transient { default } else { Decision::Stop }
    }

    fn refused(&mut self, answer: &Answer, default: Decision) -> Decision {
        if answer.status != StatusCode::TOO_MANY_REQUESTS {
            return default;
        }
        // BigCommerce says when its window reopens; that wait, not the backoff, applies, and
        // the request was not processed, so any method may be sent again.
        let rl = self.client.config.rate_limit;
        self.throttled += 1;
        let wait =
            pacing::throttle_wait(&answer.headers) + Duration::from_millis(rl.reset_margin_ms);
        if self.throttled >= rl.max_throttled_attempts
            || wait > Duration::from_millis(rl.max_wait_ms)
        {
            return Decision::Stop;
        }
        if let Ok(mut p) = self.client.pace.lock() {
            p.block_for(wait);
        }
        Decision::Wait(wait)
    }

    fn fail(self, failure: Failure, attempts: u32) -> Error {
        let method = self.call.method.to_string();
        let path = self.call.path.clone();
        match failure {
            Failure::Lost { source, .. } => Error::Transport {
                method,
                path,
                attempts,
                source,
            },
            Failure::Refused(answer) if answer.status == StatusCode::TOO_MANY_REQUESTS => {
                Error::RateLimited {
                    method,
                    path,
                    attempts,
                }
            }
            Failure::Refused(answer) => {
                map_error(answer.status, &answer.body, method, path, attempts)
            }
        }
    }
}
