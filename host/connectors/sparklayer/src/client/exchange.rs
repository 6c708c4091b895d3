//! What a Sparklayer API call adds to the kit's transport: a bearer token and `Site-Id` on each
//! attempt, one token refetch on a 401, 409s and 5xx retried after their `Retry-After`, and the
//! typed errors.

use reqwest::RequestBuilder;
use selvedge_connector_kit::http::json_body;
use selvedge_connector_kit::transport::{Answer, Decision, Exchange, Failure};

use super::SparklayerClient;
use super::stats::Counter;
use super::transport::{Call, read_problem};
use crate::error::Error;

/// One API call in flight.
pub(super) struct ApiCall<'a> {
    pub(super) client: &'a SparklayerClient,
    pub(super) call: &'a Call,
    /// The token of the last attempt.
    pub(super) token: Option<String>,
    /// The last attempt's token was answered 401: forget it before the next attempt.
    pub(super) forget_token: bool,
    /// A fresh token was already fetched after a 401 (once per call).
    pub(super) refetched: bool,
}

impl Exchange for ApiCall<'_> {
    type Error = Error;

    fn describe(&self) -> String {
        format!("{} {}", self.call.method, self.call.describe())
    }

    fn idempotent(&self) -> bool {
        self.call.idempotent
    }

    async fn request(&mut self) -> Result<RequestBuilder, Error> {
        let auth = &self.client.inner.auth;
        if std::mem::take(&mut self.forget_token)
            && let Some(stale) = &self.token
        {
            auth.invalidate(stale).await;
        }
        let token = auth.token(self.client).await?;
        let config = &self.client.inner.config;
        let call = self.call;
        let mut request = self
            .client
            .request_builder(
                call.method.clone(),
                format!("{}{}", config.base_url, call.path),
            )
            .bearer_auth(&token)
            .header("Site-Id", &config.site_id);
        self.token = Some(token);
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        Ok(json_body(request, call.body.as_deref()))
    }

    fn refused(&mut self, answer: &Answer, default: Decision) -> Decision {
        let stats = &self.client.inner.stats;
        match answer.status.as_u16() {
            401 => {
                stats.bump(Counter::Unauthorized);
                if self.refetched {
                    return Decision::Stop;
                }
                // The token expired or was revoked early: one fresh token, one more try.
                self.refetched = true;
                self.forget_token = true;
                Decision::Again
            }
            // Someone else wrote the same record: Sparklayer asks us to try again.
            409 => {
                stats.bump(Counter::Conflict);
                Decision::Backoff(answer.retry_after())
            }
            s if s >= 500 => {
                stats.bump(Counter::ServerError);
                if self.call.idempotent {
                    Decision::Backoff(answer.retry_after())
                } else {
                    Decision::Stop
                }
            }
            _ => default,
        }
    }

    fn fail(self, failure: Failure, attempts: u32) -> Error {
        let method = self.call.method.to_string();
        let path = self.call.describe();
        match failure {
            Failure::Lost { source, .. } => Error::Transport {
                method,
                path,
                attempts,
                source,
            },
            Failure::Refused(answer) if answer.status.as_u16() == 401 => Error::Unauthorized {
                method,
                path,
                problem: read_problem(&answer),
            },
            Failure::Refused(answer) => Error::Api {
                method,
                path,
                status: answer.status.as_u16(),
                problem: read_problem(&answer),
                attempts,
                retry_after: answer.retry_after(),
            },
        }
    }
}
