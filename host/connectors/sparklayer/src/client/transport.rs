//! The one request loop: auth headers, a single token refetch on 401, retries with jitter on
//! 5xx (idempotent calls only), 429 (after `Retry-After`) and 409, problem bodies as typed errors.

use std::time::Duration;

use reqwest::{Method, Response};
use selvedge_connector_kit::http::parse_retry_after;
pub(crate) use selvedge_connector_kit::http::path_segment as segment;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::SparklayerClient;
use super::stats::Counter;
use crate::error::Error;
use crate::model::Problem;

/// One API request, ready to send as often as needed.
pub(crate) struct Call {
    method: Method,
    /// Path with segments already encoded.
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    /// Whether a 5xx or a lost answer may be retried blindly (false for creates).
    idempotent: bool,
}

impl Call {
    pub(crate) fn new(method: Method, path: String) -> Self {
        let idempotent = method != Method::POST;
        Self {
            method,
            path,
            query: Vec::new(),
            body: None,
            idempotent,
        }
    }

    pub(crate) fn query(mut self, key: &'static str, value: impl ToString) -> Self {
        self.query.push((key, value.to_string()));
        self
    }

    pub(crate) fn json(mut self, body: &impl Serialize) -> Result<Self, Error> {
        self.body = Some(serde_json::to_vec(body).map_err(|e| Error::Encode(e.to_string()))?);
        Ok(self)
    }

    /// Marks a POST that overwrites (batch updates) as safe to repeat.
    pub(crate) fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    fn describe(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let q: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{}?{}", self.path, q.join("&"))
    }
}

/// A list whose next page does not move forward: the server would hand us the same page again.
pub(crate) fn pages_stuck(path: &str, current: u32, next: u32) -> Error {
    Error::Decode {
        method: "GET".into(),
        path: path.into(),
        at: "pagination".into(),
        message: format!("the next page ({next}) does not follow {current}"),
    }
}

impl SparklayerClient {
    /// Sends `call` until it succeeds or fails for good; returns the 2xx response.
    pub(crate) async fn send(&self, call: &Call) -> Result<Response, Error> {
        let stats = &self.inner.stats;
        let max_retry_after = Duration::from_secs(self.inner.config.max_retry_after_secs);
        let mut waits = self.inner.config.retry.attempts(max_retry_after);
        let mut refetched_token = false;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let token = self.inner.auth.token(self).await?;
            stats.bump(Counter::Call);
            let response = match self.request(call, &token).send().await {
                Ok(r) => r,
                Err(source) => match waits.next_wait(None).filter(|_| call.idempotent) {
                    Some(delay) => {
                        tracing::debug!(path = %call.path, %source, "sparklayer transport error, retrying");
                        stats.bump(Counter::Retry);
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    None => {
                        return Err(Error::Transport {
                            method: call.method.to_string(),
                            path: call.describe(),
                            attempts,
                            source,
                        });
                    }
                },
            };
            let status = response.status().as_u16();
            if response.status().is_success() {
                return Ok(response);
            }
            let retry_after = parse_retry_after(response.headers());
            let problem = read_problem(response, status).await;
            let retryable = match status {
                401 => {
                    stats.bump(Counter::Unauthorized);
                    if refetched_token {
                        return Err(Error::Unauthorized {
                            method: call.method.to_string(),
                            path: call.describe(),
                            problem,
                        });
                    }
                    // The token expired or was revoked early: one fresh token, one more try.
                    refetched_token = true;
                    self.inner.auth.invalidate(&token).await;
                    continue;
                }
                429 => {
                    stats.bump(Counter::RateLimited);
                    retry_after.is_none_or(|ra| ra <= max_retry_after)
                }
                409 => {
                    stats.bump(Counter::Conflict);
                    true
                }
                s if s >= 500 => {
                    stats.bump(Counter::ServerError);
                    call.idempotent
                }
                _ => false,
            };
            // Retry-After is a floor; the backoff delay on top keeps clients apart.
            match waits.next_wait(retry_after).filter(|_| retryable) {
                Some(wait) => {
                    tracing::debug!(path = %call.path, status, ?wait, "sparklayer call retried");
                    stats.bump(Counter::Retry);
                    tokio::time::sleep(wait).await;
                }
                None => {
                    return Err(Error::Api {
                        method: call.method.to_string(),
                        path: call.describe(),
                        status,
                        problem,
                        attempts,
                        retry_after,
                    });
                }
            }
        }
    }

    /// Sends `call` and decodes the JSON body.
    pub(crate) async fn send_json<T: DeserializeOwned>(&self, call: &Call) -> Result<T, Error> {
        let response = self.send(call).await?;
        let bytes = response.bytes().await.map_err(|source| Error::Transport {
            method: call.method.to_string(),
            path: call.describe(),
            attempts: 1,
            source,
        })?;
        decode(&bytes, call.method.as_str(), &call.describe())
    }

    /// Sends `call` and ignores the body.
    pub(crate) async fn send_unit(&self, call: &Call) -> Result<(), Error> {
        self.send(call).await.map(drop)
    }

    /// Like [`send_json`](Self::send_json) but a 404 is `None`.
    pub(crate) async fn send_json_opt<T: DeserializeOwned>(
        &self,
        call: &Call,
    ) -> Result<Option<T>, Error> {
        match self.send_json(call).await {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sends a create (a POST that is not safe to repeat). After a 5xx or a lost answer the
    /// create may have been applied anyway, so `lookup` (by our own key) runs before any retry.
    pub(crate) async fn create_or_find<T, L, F>(&self, call: &Call, lookup: L) -> Result<T, Error>
    where
        T: DeserializeOwned,
        L: Fn() -> F,
        F: Future<Output = Result<Option<T>, Error>>,
    {
        let mut waits = self.inner.config.retry.attempts(Duration::ZERO);
        loop {
            match self.send_json(call).await {
                Err(e) if e.is_ambiguous() => {
                    if let Some(found) = lookup().await? {
                        tracing::info!(path = %call.path, "sparklayer create was applied despite the error");
                        return Ok(found);
                    }
                    match waits.next_wait(None) {
                        Some(delay) => {
                            self.inner.stats.bump(Counter::Retry);
                            tokio::time::sleep(delay).await;
                        }
                        None => return Err(e),
                    }
                }
                other => return other,
            }
        }
    }

    fn request(&self, call: &Call, token: &str) -> reqwest::RequestBuilder {
        let config = &self.inner.config;
        let mut request = self
            .request_builder(
                call.method.clone(),
                format!("{}{}", config.base_url, call.path),
            )
            .bearer_auth(token)
            .header("Site-Id", &config.site_id);
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        if let Some(body) = &call.body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        request
    }
}

/// Decodes a JSON body, naming the JSON path of the first bad value.
pub(crate) fn decode<T: DeserializeOwned>(
    bytes: &[u8],
    method: &str,
    path: &str,
) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| Error::Decode {
        method: method.to_owned(),
        path: path.to_owned(),
        at: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

/// The problem body of an error answer; one is made up when the body is empty or not a problem.
pub(crate) async fn read_problem(response: Response, status: u16) -> Box<Problem> {
    let reason = response
        .status()
        .canonical_reason()
        .unwrap_or("error")
        .to_owned();
    let bytes = response.bytes().await.unwrap_or_default();
    match serde_json::from_slice::<Problem>(&bytes) {
        Ok(mut problem) if !problem.title.is_empty() || !problem.errors.is_empty() => {
            problem.status.get_or_insert(status);
            Box::new(problem)
        }
        _ => {
            let text = String::from_utf8_lossy(&bytes);
            let snippet: String = text.trim().chars().take(300).collect();
            Box::new(Problem {
                title: reason,
                status: Some(status),
                detail: (!snippet.is_empty()).then_some(snippet),
                ..Problem::default()
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &'static str) -> Response {
        let http = axum::http::Response::builder()
            .status(status)
            .body(body)
            .expect("response builds");
        Response::from(http)
    }

    #[tokio::test]
    async fn empty_error_body_becomes_a_problem_with_the_status() {
        let problem = read_problem(response(502, ""), 502).await;
        assert_eq!(problem.title, "Bad Gateway");
        assert_eq!(problem.status, Some(502));
        assert_eq!(problem.detail, None);
    }

    #[tokio::test]
    async fn problem_body_is_parsed_with_its_property_errors() {
        let body = r#"{"title":"Validation Failed","status":422,"errors":[{"code":"invalid","message":"bad","property":"sku"}]}"#;
        let problem = read_problem(response(422, body), 422).await;
        assert_eq!(problem.properties(), vec!["sku"]);
        assert_eq!(problem.to_string(), "Validation Failed; sku: bad [invalid]");
    }
}
