//! Access tokens: `POST /api/auth/token`, cached until shortly before they expire.

use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::SparklayerClient;
use super::stats::Counter;
use selvedge_connector_kit::http::parse_retry_after;

use super::transport::read_problem;
use crate::error::Error;
use crate::model::{TokenRequest, TokenResponse};

const TOKEN_PATH: &str = "/api/auth/token";
/// Longest token lifetime we believe (Sparklayer issues 3600 s tokens).
const MAX_TOKEN_LIFETIME_SECS: u64 = 86_400;

#[derive(Default)]
pub(crate) struct TokenCache {
    // One lock for read and fetch: concurrent callers wait for a single token request.
    slot: Mutex<Option<Cached>>,
}

struct Cached {
    token: String,
    refresh_at: Instant,
}

impl TokenCache {
    /// A token valid for a while yet, fetching one if needed.
    pub(crate) async fn token(&self, client: &SparklayerClient) -> Result<String, Error> {
        let mut slot = self.slot.lock().await;
        if let Some(cached) = slot.as_ref()
            && Instant::now() < cached.refresh_at
        {
            return Ok(cached.token.clone());
        }
        let fresh = fetch(client).await?;
        let token = fresh.token.clone();
        *slot = Some(fresh);
        Ok(token)
    }

    /// Forgets `used` after a 401, unless another caller already replaced it.
    pub(crate) async fn invalidate(&self, used: &str) {
        let mut slot = self.slot.lock().await;
        if slot.as_ref().is_some_and(|c| c.token == used) {
            *slot = None;
        }
    }
}

async fn fetch(client: &SparklayerClient) -> Result<Cached, Error> {
    let config = client.config();
    let stats = &client.inner.stats;
    let url = format!("{}{TOKEN_PATH}", config.base_url);
    let body = TokenRequest {
        grant_type: "client_credentials".to_owned(),
        client_id: config.client_id.clone(),
        client_secret: config.client_secret.expose().to_owned(),
    };
    let max_wait = Duration::from_secs(config.max_retry_after_secs);
    let mut waits = config.retry.attempts(max_wait);
    let mut attempts = 0;
    loop {
        attempts += 1;
        stats.bump(Counter::Call);
        stats.bump(Counter::TokenFetch);
        let sent = client
            .request_builder(reqwest::Method::POST, url.clone())
            .header("Site-Id", &config.site_id)
            .json(&body)
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(source) => match waits.next_wait(None) {
                Some(delay) => {
                    stats.bump(Counter::Retry);
                    tokio::time::sleep(delay).await;
                    continue;
                }
                None => {
                    return Err(Error::Transport {
                        method: "POST".into(),
                        path: TOKEN_PATH.into(),
                        attempts,
                        source,
                    });
                }
            },
        };
        let status = response.status().as_u16();
        if response.status().is_success() {
            let bytes = response.bytes().await.map_err(|source| Error::Transport {
                method: "POST".into(),
                path: TOKEN_PATH.into(),
                attempts,
                source,
            })?;
            let parsed: TokenResponse = super::transport::decode(&bytes, "POST", TOKEN_PATH)?;
            // Clamped: the value comes from the network and feeds Instant arithmetic.
            let lifetime = Duration::from_secs(parsed.expires_in.min(MAX_TOKEN_LIFETIME_SECS));
            // Refresh early, but never so early that a short-lived token is useless.
            let margin = Duration::from_secs(config.token_refresh_margin_secs).min(lifetime / 2);
            return Ok(Cached {
                token: parsed.access_token,
                refresh_at: Instant::now() + lifetime - margin,
            });
        }
        let retry_after = parse_retry_after(response.headers());
        let problem = read_problem(response, status).await;
        let transient =
            status >= 500 || (status == 429 && retry_after.is_none_or(|ra| ra <= max_wait));
        if status == 429 {
            stats.bump(Counter::RateLimited);
        }
        match waits.next_wait(retry_after).filter(|_| transient) {
            Some(wait) => {
                stats.bump(Counter::Retry);
                tokio::time::sleep(wait).await;
            }
            None if transient => {
                return Err(Error::Api {
                    method: "POST".into(),
                    path: TOKEN_PATH.into(),
                    status,
                    problem,
                    attempts,
                    retry_after,
                });
            }
            None => return Err(Error::Credentials { status, problem }),
        }
    }
}
