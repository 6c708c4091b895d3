//! The wire mechanics every resource shares, on the kit's transport: GET with retry, offset
//! paging, look-up by external reference, POST once, PUT with retry, and the mapping of error
//! answers. A 429's `Retry-After` is the floor of the wait; one longer than
//! `max_retry_after_secs` is not waited out here but handed to the caller, who retries the job
//! later.

use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use selvedge_connector_kit::http::json_body;
use selvedge_connector_kit::pagination::{Next, collect_pages};
use selvedge_connector_kit::transport::{Answer, Decision, Exchange, Failure};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{BlueCherryClient, Query, Subject};
use crate::error::Error;
use crate::model::{ErrorBody, ErrorDetail, Page};

/// How a request may be repeated, which decides what a lost answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A GET: retried while transient.
    Read,
    /// A POST create: sent once; a lost answer after sending is [`Error::Ambiguous`].
    Create,
    /// A PUT revision: retried like a read (the revision number is its idempotency key).
    Revision,
}

/// One Blue Cherry call on the kit's transport: bearer key, timeout, error mapping.
struct Call<'a> {
    client: &'a BlueCherryClient,
    kind: Kind,
    path: &'a str,
    query: Query,
    body: Option<Vec<u8>>,
    subject: Subject<'a>,
}

impl<'a> Call<'a> {
    fn new(client: &'a BlueCherryClient, kind: Kind, path: &'a str) -> Self {
        Self {
            client,
            kind,
            path,
            query: Query::new(),
            body: None,
            subject: Subject::default(),
        }
    }

    fn json<B: Serialize>(mut self, body: &B) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            Error::Protocol(format!("cannot encode the body of {}: {e}", self.path))
        })?;
        self.body = Some(bytes);
        Ok(self)
    }

    fn verb(&self) -> &'static str {
        match self.kind {
            Kind::Read => "GET",
            Kind::Create => "POST",
            Kind::Revision => "PUT",
        }
    }
}

impl Exchange for Call<'_> {
    type Error = Error;

    fn describe(&self) -> String {
        format!("{} {}", self.verb(), self.path)
    }

    fn idempotent(&self) -> bool {
        self.kind != Kind::Create
    }

    async fn request(&mut self) -> Result<RequestBuilder, Error> {
        let c = self.client;
        let method = match self.kind {
            Kind::Read => Method::GET,
            Kind::Create => Method::POST,
            Kind::Revision => Method::PUT,
        };
        let mut req = c
            .http
            .request(method, c.url(self.path))
            .timeout(c.timeout)
            .bearer_auth(&c.api_key);
        if !self.query.is_empty() {
            req = req.query(&self.query);
        }
        Ok(json_body(req, self.body.as_deref()))
    }

    fn refused(&mut self, _answer: &Answer, default: Decision) -> Decision {
        // Creates are never re-sent by the client, not even after a 429: the job that sent
        // it reschedules with the gateway's `Retry-After` and the host's pacing.
        if self.kind == Kind::Create {
            Decision::Stop
        } else {
            default
        }
    }

    fn fail(self, failure: Failure, _attempts: u32) -> Error {
        let (verb, path) = (self.verb(), self.path);
        match failure {
            Failure::Refused(answer) => error_from_response(
                answer.status,
                &answer.body,
                answer.retry_after(),
                self.subject,
            ),
            Failure::Lost {
                source,
                reading_body,
            } => {
                let what = match (reading_body, self.kind) {
                    (false, _) => format!("{verb} {path}: {source}"),
                    (true, Kind::Read) => format!("{verb} {path}: reading body: {source}"),
                    (true, _) => format!("{verb} {path}: reading answer: {source}"),
                };
                // A create that reached the ERP may be committed; one refused at connect was not.
                if self.kind == Kind::Create && (reading_body || !source.is_connect()) {
                    Error::Ambiguous {
                        external_ref: self.subject.external_ref.unwrap_or_default().to_string(),
                        reason: what,
                    }
                } else {
                    Error::Transient(what)
                }
            }
        }
    }
}

impl BlueCherryClient {
    /// A GET, retried by the transport while the error is transient.
    pub(super) async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: Query,
    ) -> Result<T, Error> {
        let mut call = Call::new(self, Kind::Read, path);
        call.query = query;
        let answer = self.transport.send(call).await?;
        serde_json::from_slice(&answer.body)
            .map_err(|e| Error::Protocol(format!("GET {path}: {e}")))
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
        let mut call = Call::new(self, Kind::Create, path).json(body)?;
        call.subject.external_ref = Some(external_ref);
        let answer = self.transport.send(call).await?;
        // A 2xx we cannot read still means committed; the caller finds it by reference.
        serde_json::from_slice(&answer.body).map_err(|e| Error::Ambiguous {
            external_ref: external_ref.to_string(),
            reason: format!("POST {path}: unreadable 2xx answer: {e}"),
        })
    }

    /// A PUT, retried by the transport while the error is transient. A lost answer is
    /// `Transient`, not `Ambiguous`: the body carries its own idempotency key (the revision),
    /// so sending it again cannot apply it twice.
    pub(super) async fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        subject: Subject<'_>,
    ) -> Result<T, Error> {
        let mut call = Call::new(self, Kind::Revision, path).json(body)?;
        call.subject = subject;
        let answer = self.transport.send(call).await?;
        // Sending it again would only get the same body back, so this is not transient.
        serde_json::from_slice(&answer.body).map_err(|e| {
            Error::Protocol(format!(
                "PUT {path}: unreadable 2xx answer (the change was applied): {e}"
            ))
        })
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
