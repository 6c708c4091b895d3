//! The wire mechanics every resource shares: GET with retry, offset paging, look-up by
//! external reference, POST once, PUT with retry, and the mapping of error answers.

use std::future::Future;
use std::time::Duration;

use reqwest::StatusCode;
use selvedge_connector_kit::http::parse_retry_after;
use selvedge_connector_kit::pagination::{Next, collect_pages};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{BlueCherryClient, Query, Subject};
use crate::error::Error;
use crate::model::{ErrorBody, ErrorDetail, Page};

impl BlueCherryClient {
    /// One GET, no retry.
    async fn get_once<T: DeserializeOwned>(&self, path: &str, query: &Query) -> Result<T, Error> {
        let resp = self
            .http
            .get(self.url(path))
            .timeout(self.timeout)
            .bearer_auth(&self.api_key)
            .query(query)
            .send()
            .await
            .map_err(|e| Error::Transient(format!("GET {path}: {e}")))?;
        let status = resp.status();
        let retry_after = parse_retry_after(resp.headers());
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| Error::Transient(format!("GET {path}: reading body: {e}")))?;
        if !status.is_success() {
            return Err(error_from_response(
                status,
                &bytes,
                retry_after,
                Subject::default(),
            ));
        }
        serde_json::from_slice(&bytes).map_err(|e| Error::Protocol(format!("GET {path}: {e}")))
    }

    /// A GET retried with jittered backoff while the error is transient.
    pub(super) async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: Query,
    ) -> Result<T, Error> {
        self.retried("read", path, || self.get_once::<T>(path, &query))
            .await
    }

    /// Every page of an offset-paged list.
    pub(super) async fn get_all<T: DeserializeOwned>(
        &self,
        path: &str,
        query: Query,
    ) -> Result<Vec<T>, Error> {
        let fetch = |offset: usize| {
            let mut q = query.clone();
            q.push(("offset", offset.to_string()));
            q.push(("limit", self.page_size.to_string()));
            async move {
                let page: Page<T> = self.get(path, q).await?;
                Ok((page.items, page.next_offset.map_or(Next::Done, Next::At)))
            }
        };
        let stuck = |offset, next| {
            Error::Protocol(format!(
                "{path}: next_offset {next} does not advance past {offset}"
            ))
        };
        collect_pages(0, fetch, stuck).await
    }

    /// A document looked up by external reference: zero or one.
    pub(super) async fn find_one<T: DeserializeOwned>(
        &self,
        path: &str,
        external_ref: &str,
    ) -> Result<Option<T>, Error> {
        let page: Page<T> = self
            .get(path, vec![("external_ref", external_ref.to_string())])
            .await?;
        let mut items = page.items;
        if items.len() > 1 {
            return Err(Error::Protocol(format!(
                "{path}: {} documents carry external reference {external_ref}",
                items.len()
            )));
        }
        Ok(items.pop())
    }

    /// One POST of a create; never retried.
    pub(super) async fn create<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        external_ref: &str,
    ) -> Result<T, Error> {
        let ambiguous = |reason: String| Error::Ambiguous {
            external_ref: external_ref.to_string(),
            reason,
        };
        let resp = self
            .http
            .post(self.url(path))
            .timeout(self.timeout)
            .bearer_auth(&self.api_key)
            .json(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_connect() {
                    // Never reached the ERP: nothing can have been committed.
                    Error::Transient(format!("POST {path}: {e}"))
                } else {
                    ambiguous(format!("POST {path}: {e}"))
                }
            })?;
        let status = resp.status();
        let retry_after = parse_retry_after(resp.headers());
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| ambiguous(format!("POST {path}: reading answer: {e}")))?;
        if !status.is_success() {
            let subject = Subject {
                external_ref: Some(external_ref),
                ..Subject::default()
            };
            return Err(error_from_response(status, &bytes, retry_after, subject));
        }
        // A 2xx we cannot read still means committed; the caller finds it by reference.
        serde_json::from_slice(&bytes)
            .map_err(|e| ambiguous(format!("POST {path}: unreadable 2xx answer: {e}")))
    }

    /// One PUT. A lost answer is `Transient`, not `Ambiguous`: the body carries its own
    /// idempotency key (the revision), so sending it again cannot apply it twice.
    async fn put_once<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        subject: Subject<'_>,
    ) -> Result<T, Error> {
        let resp = self
            .http
            .put(self.url(path))
            .timeout(self.timeout)
            .bearer_auth(&self.api_key)
            .json(body)
            .send()
            .await
            .map_err(|e| Error::Transient(format!("PUT {path}: {e}")))?;
        let status = resp.status();
        let retry_after = parse_retry_after(resp.headers());
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| Error::Transient(format!("PUT {path}: reading answer: {e}")))?;
        if !status.is_success() {
            return Err(error_from_response(status, &bytes, retry_after, subject));
        }
        // Sending it again would only get the same body back, so this is not transient.
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::Protocol(format!(
                "PUT {path}: unreadable 2xx answer (the change was applied): {e}"
            ))
        })
    }

    /// A PUT retried with jittered backoff while the error is transient.
    pub(super) async fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        subject: Subject<'_>,
    ) -> Result<T, Error> {
        self.retried("revision", path, || {
            self.put_once::<B, T>(path, body, subject)
        })
        .await
    }

    /// Runs `once` again while it fails transiently and the policy allows. A 429's
    /// `Retry-After` is the floor of the wait; one longer than `max_retry_after_secs` is not
    /// waited out here but handed to the caller, who retries the job later.
    async fn retried<T, F, Fut>(&self, what: &str, path: &str, once: F) -> Result<T, Error>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let mut waits = self.retry.attempts(self.max_retry_after);
        loop {
            let err = match once().await {
                Err(err) if err.is_transient() => err,
                done => return done,
            };
            let asked = err.retry_after();
            if asked.is_some_and(|ra| ra > self.max_retry_after) {
                return Err(err);
            }
            let Some(wait) = waits.next_wait(asked) else {
                return Err(err);
            };
            tracing::warn!(%err, ?wait, path, "Blue Cherry {what} failed, retrying");
            tokio::time::sleep(wait).await;
        }
    }
}

/// Maps a non-2xx answer to the error the flows act on.
fn error_from_response(
    status: StatusCode,
    bytes: &[u8],
    retry_after: Option<Duration>,
    subject: Subject<'_>,
) -> Error {
    let detail = serde_json::from_slice::<ErrorBody>(bytes)
        .ok()
        .map(|b| b.error);
    let message = detail
        .as_ref()
        .map(|d| d.message.clone())
        .unwrap_or_else(|| String::from_utf8_lossy(bytes).chars().take(300).collect());
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::Unauthorized,
        StatusCode::NOT_FOUND => Error::NotFound(message),
        StatusCode::CONFLICT => conflict(detail, message, subject),
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
            let (code, field) = detail
                .map(|d| (d.code, d.field))
                .unwrap_or_else(|| ("validation_failed".to_string(), None));
            Error::Rejected {
                code,
                message,
                field,
            }
        }
        // Over the request quota: nothing was done; wait at least what the gateway asks.
        StatusCode::TOO_MANY_REQUESTS => Error::RateLimited {
            retry_after,
            message,
        },
        // The contract says a 5xx commits nothing, so it is retryable like a 429.
        s if s.is_server_error() => Error::Transient(format!("HTTP {}: {message}", s.as_u16())),
        s => Error::Protocol(format!("HTTP {}: {message}", s.as_u16())),
    }
}

/// A 409 names its conflict in `code`: a duplicate create, a stale revision or a locked order.
fn conflict(detail: Option<ErrorDetail>, message: String, subject: Subject<'_>) -> Error {
    let order_number = || subject.order_number.unwrap_or_default().to_string();
    let Some(detail) = detail else {
        return Error::Protocol(format!("409 without an error body: {message}"));
    };
    match (
        detail.code.as_str(),
        detail.current_revision,
        detail.existing_number,
    ) {
        ("order_locked", _, _) => Error::Locked {
            order_number: order_number(),
            reason: message,
        },
        ("stale_revision", Some(current), _) => Error::StaleRevision {
            order_number: order_number(),
            sent: subject.revision.unwrap_or_default(),
            current,
        },
        ("stale_revision", None, _) => Error::Protocol(format!(
            "409 stale_revision without current_revision: {message}"
        )),
        (_, _, Some(existing_number)) => Error::Duplicate {
            external_ref: subject.external_ref.unwrap_or_default().to_string(),
            existing_number,
        },
        (code, _, None) => {
            Error::Protocol(format!("409 {code} without existing_number: {message}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_409_becomes_duplicate_with_the_existing_number() {
        let body = br#"{"error":{"code":"duplicate_external_ref","message":"taken","existing_number":"SO-7"}}"#;
        let subject = Subject {
            external_ref: Some("BC-1"),
            ..Subject::default()
        };
        let err = error_from_response(StatusCode::CONFLICT, body, None, subject);
        assert!(
            matches!(err, Error::Duplicate { ref existing_number, .. } if existing_number == "SO-7")
        );
    }

    #[test]
    fn a_409_on_a_revision_becomes_locked_or_stale_by_its_code() {
        let subject = Subject {
            external_ref: Some("BC-1"),
            order_number: Some("SO-7"),
            revision: Some(2),
        };
        let locked =
            br#"{"error":{"code":"order_locked","message":"order SO-7 is partially shipped"}}"#;
        let err = error_from_response(StatusCode::CONFLICT, locked, None, subject);
        assert!(
            matches!(err, Error::Locked { ref order_number, ref reason } if order_number == "SO-7" && reason.contains("partially shipped")),
            "{err:?}"
        );
        let stale = br#"{"error":{"code":"stale_revision","message":"at 3","current_revision":3}}"#;
        let err = error_from_response(StatusCode::CONFLICT, stale, None, subject);
        assert!(
            matches!(
                err,
                Error::StaleRevision {
                    sent: 2,
                    current: 3,
                    ..
                }
            ),
            "{err:?}"
        );
        let no_current = br#"{"error":{"code":"stale_revision","message":"at 3"}}"#;
        let err = error_from_response(StatusCode::CONFLICT, no_current, None, subject);
        assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    }

    #[test]
    fn a_5xx_without_a_json_body_is_transient() {
        let err = error_from_response(
            StatusCode::BAD_GATEWAY,
            b"<html>bad gateway</html>",
            None,
            Subject::default(),
        );
        assert!(err.is_transient(), "{err:?}");
    }

    #[test]
    fn a_429_is_rate_limited_with_the_wait_asked_for() {
        let body = br#"{"error":{"code":"rate_limited","message":"over quota"}}"#;
        let wait = Some(Duration::from_secs(2));
        let err = error_from_response(
            StatusCode::TOO_MANY_REQUESTS,
            body,
            wait,
            Subject::default(),
        );
        assert!(err.is_transient(), "{err:?}");
        assert_eq!(err.retry_after(), wait);
        assert_eq!(
            err.to_string(),
            "Blue Cherry over its request quota: over quota"
        );
    }
}
