//! Access tokens: `POST /api/auth/token`, cached until shortly before they expire.

use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use selvedge_connector_kit::transport::{Answer, Decision, Exchange, Failure};

use super::SparklayerClient;
use super::stats::Counter;

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

/// The token request on the kit's transport: retried after transport errors, 5xx and 429
/// (it creates nothing, so a repeat is harmless); any other refusal is `Credentials`.
struct TokenCall<'a> {
    client: &'a SparklayerClient,
    body: &'a TokenRequest,
}

impl Exchange for TokenCall<'_> {
    type Error = Error;

    fn describe(&self) -> String {
        format!("POST {TOKEN_PATH}")
    }

    fn idempotent(&self) -> bool {
        true
    }

    async fn request(&mut self) -> Result<reqwest::RequestBuilder, Error> {
        let config = self.client.config();
        self.client.inner.stats.bump(Counter::TokenFetch);
        Ok(self
            .client
            .request_builder(
                reqwest::Method::POST,
                format!("{}{TOKEN_PATH}", config.base_url),
            )
            .header("Site-Id", &config.site_id)
            .json(self.body))
    }

    fn refused(&mut self, answer: &Answer, default: Decision) -> Decision {
        // A 5xx may say when to come back; a token request is safe to repeat.
        if answer.status.is_server_error() {
            Decision::Backoff(answer.retry_after())
        } else {
            default
        }
    }

    fn fail(self, failure: Failure, attempts: u32) -> Error {
        let answer = match failure {
            Failure::Lost { source, .. } => {
                return Error::Transport {
                    method: "POST".into(),
                    path: TOKEN_PATH.into(),
                    attempts,
                    source,
                };
            }
            Failure::Refused(answer) => answer,
        };
        let status = answer.status.as_u16();
        let retry_after = answer.retry_after();
        let max_wait = Duration::from_secs(self.client.config().max_retry_after_secs);
        let transient =
            status >= 500 || (status == 429 && retry_after.is_none_or(|ra| ra <= max_wait));
        let problem = read_problem(&answer);
        if transient {
            Error::Api {
                method: "POST".into(),
                path: TOKEN_PATH.into(),
                status,
                problem,
                attempts,
                retry_after,
            }
        } else {
            Error::Credentials { status, problem }
        }
    }
}

async fn fetch(client: &SparklayerClient) -> Result<Cached, Error> {
    let config = client.config();
    let body = TokenRequest {
        grant_type: "client_credentials".to_owned(),
        client_id: config.client_id.clone(),
        client_secret: config.client_secret.expose().to_owned(),
    };
    let call = TokenCall {
        client,
        body: &body,
    };
    let answer = client.inner.transport.send(call).await?;
    let parsed: TokenResponse = super::transport::decode(&answer.body, "POST", TOKEN_PATH)?;
    // Clamped: the value comes from the network and feeds Instant arithmetic.
    let lifetime = Duration::from_secs(parsed.expires_in.min(MAX_TOKEN_LIFETIME_SECS));
    // Refresh early, but never so early that a short-lived token is useless.
    let margin = Duration::from_secs(config.token_refresh_margin_secs).min(lifetime / 2);
    Ok(Cached {
        token: parsed.access_token,
        refresh_at: Instant::now() + lifetime - margin,
    })
}
