//! Calls on the kit's shared transport: what one request is, the decoding of answers, problem
//! bodies, and creates that look themselves up before a retry. The per-attempt rules (token,
//! 401 refetch, 409 retries) are in `exchange`.

use std::time::Duration;

use reqwest::Method;
pub(crate) use selvedge_connector_kit::http::path_segment as segment;
use selvedge_connector_kit::transport::Answer;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::SparklayerClient;
use super::exchange::ApiCall;
use crate::error::Error;
use crate::model::Problem;

/// One API request, ready to send as often as needed.
pub(crate) struct Call {
    pub(super) method: Method,
    /// Path with segments already encoded.
    pub(super) path: String,
    pub(super) query: Vec<(&'static str, String)>,
    pub(super) body: Option<Vec<u8>>,
    /// Whether a 5xx or a lost answer may be retried blindly (false for creates).
    pub(super) idempotent: bool,
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

    pub(super) fn describe(&self) -> String {
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
    /// Sends `call` through the kit's transport until it succeeds or fails for good; returns
    /// the 2xx answer.
    pub(crate) async fn send(&self, call: &Call) -> Result<Answer, Error> {
        let exchange = ApiCall {
            client: self,
            call,
            token: None,
            forget_token: false,
            refetched: false,
        };
        self.inner.transport.send(exchange).await
    }

    /// Sends `call` and decodes the JSON body.
    pub(crate) async fn send_json<T: DeserializeOwned>(&self, call: &Call) -> Result<T, Error> {
        let answer = self.send(call).await?;
        decode(&answer.body, call.method.as_str(), &call.describe())
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
        let mut waits = self.inner.transport.retry().attempts(Duration::ZERO);
        loop {
            match self.send_json(call).await {
                Err(e) if e.is_ambiguous() => {
                    if let Some(found) = lookup().await? {
                        tracing::info!(path = %call.path, "sparklayer create was applied despite the error");
                        return Ok(found);
                    }
                    match waits.next_wait(None) {
                        Some(delay) => {
                            self.inner.transport.stats().count_retry();
                            tokio::time::sleep(delay).await;
                        }
                        None => return Err(e),
                    }
                }
                other => return other,
            }
        }
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
pub(crate) fn read_problem(answer: &Answer) -> Box<Problem> {
    let status = answer.status.as_u16();
    let reason = answer
        .status
        .canonical_reason()
        .unwrap_or("error")
        .to_owned();
    match serde_json::from_slice::<Problem>(&answer.body) {
        Ok(mut problem) if !problem.title.is_empty() || !problem.errors.is_empty() => {
            problem.status.get_or_insert(status);
            Box::new(problem)
        }
        _ => {
            let text = String::from_utf8_lossy(&answer.body);
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

    fn response(status: u16, body: &'static str) -> Answer {
        Answer {
            status: reqwest::StatusCode::from_u16(status).expect("a valid status"),
            headers: reqwest::header::HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn empty_error_body_becomes_a_problem_with_the_status() {
        let problem = read_problem(&response(502, ""));
        assert_eq!(problem.title, "Bad Gateway");
        assert_eq!(problem.status, Some(502));
        assert_eq!(problem.detail, None);
    }

    #[test]
    fn problem_body_is_parsed_with_its_property_errors() {
        let body = r#"{"title":"Validation Failed","status":422,"errors":[{"code":"invalid","message":"bad","property":"sku"}]}"#;
        let problem = read_problem(&response(422, body));
        assert_eq!(problem.properties(), vec!["sku"]);
        assert_eq!(problem.to_string(), "Validation Failed; sku: bad [invalid]");
    }
}
