//! HTTP client for the modelled gateway; implements [`ErpGateway`].
//!
//! Reads retry with jittered backoff on transient errors. Creates are sent once: a timeout
//! after sending is reported as [`BlueCherryError::Ambiguous`] so the caller looks the
//! document up by its external reference before doing anything else. Revisions (PUT) carry
//! their own idempotency key, the revision number, so they retry like reads: re-sending a
//! revision whose answer was lost answers the order as it is and changes nothing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use backon::Retryable;
use reqwest::StatusCode;
use selvedge_connector_kit::RetryPolicy;
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::time::Instant;

use crate::config::BlueCherryConfig;
use crate::error::BlueCherryError;
use crate::gateway::{ErpGateway, GatewayFuture};
use crate::model::{
    AtsSnapshot, CreditMemo, CreditMemoRequest, Customer, CycleStatus, ErrorBody, ErrorDetail,
    Page, PriceLevel, SalesOrder, SalesOrderRequest, SalesOrderRevision, ShipmentPage, Style,
};

/// Typed client of the modelled Blue Cherry gateway.
#[derive(Debug, Clone)]
pub struct BlueCherryClient {
    /// Possibly shared with other clients of the host (one connection pool and TLS config):
    /// the timeout is set per request.
    http: reqwest::Client,
    timeout: Duration,
    base_url: String,
    api_key: String,
    retry: RetryPolicy,
    page_size: usize,
    pacer: Option<Arc<Pacer>>,
}

/// Spaces creates evenly; clones of a client share one pacer.
#[derive(Debug)]
struct Pacer {
    interval: Duration,
    next_slot: Mutex<Option<Instant>>,
}

impl Pacer {
    /// Waits for this caller's slot. Slots are handed out in call order.
    async fn wait(&self) {
        let slot = {
            let mut next = self
                .next_slot
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

type Query = Vec<(&'static str, String)>;

/// What a request was about, so an error answer can name it.
#[derive(Debug, Default, Clone, Copy)]
struct Subject<'a> {
    /// Our reference of the document sent.
    external_ref: Option<&'a str>,
    /// The ERP number of the order revised.
    order_number: Option<&'a str>,
    /// The revision sent.
    revision: Option<u32>,
}

impl BlueCherryClient {
    /// A client for `config`, authenticating with `api_key`.
    pub fn new(
        config: &BlueCherryConfig,
        api_key: impl Into<String>,
    ) -> Result<Self, BlueCherryError> {
        config.validate().map_err(BlueCherryError::Config)?;
        let http = Self::http_client(config)?;
        Self::with_http(config, api_key, http)
    }

    /// An HTTP client with `config`'s connect timeout, to share between every Blue Cherry
    /// client with the same `connect_timeout_ms` (see [`Self::with_http`]).
    pub fn http_client(config: &BlueCherryConfig) -> Result<reqwest::Client, BlueCherryError> {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(config.connect_timeout_ms))
            .build()
            .map_err(|e| BlueCherryError::Config(format!("cannot build HTTP client: {e}")))
    }

    /// A client for `config` sending through `http`, an HTTP client built by
    /// [`Self::http_client`] for the same connect timeout and shared with other clients. The
    /// request timeout, key, retries and pacing stay this client's own.
    pub fn with_http(
        config: &BlueCherryConfig,
        api_key: impl Into<String>,
        http: reqwest::Client,
    ) -> Result<Self, BlueCherryError> {
        config.validate().map_err(BlueCherryError::Config)?;
        Ok(Self {
            http,
            timeout: Duration::from_millis(config.timeout_ms),
            base_url: config.base_url.trim_end_matches('/').to_string(),
            api_key: api_key.into(),
            retry: config.retry,
            page_size: config.page_size,
            pacer: config.max_creates_per_second.map(|n| {
                Arc::new(Pacer {
                    interval: Duration::from_secs(1) / n.max(1),
                    next_slot: Mutex::new(None),
                })
            }),
        })
    }

    /// A client whose API key comes from the variable named by `config.api_key_env`.
    pub fn from_env(config: &BlueCherryConfig) -> Result<Self, BlueCherryError> {
        let key = std::env::var(&config.api_key_env).map_err(|_| {
            BlueCherryError::Config(format!(
                "environment variable {} (bluecherry.api_key_env) is not set",
                config.api_key_env
            ))
        })?;
        Self::new(config, key)
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v1{}", self.base_url, path)
    }

    /// One GET, no retry.
    async fn get_once<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &Query,
    ) -> Result<T, BlueCherryError> {
        let resp = self
            .http
            .get(self.url(path))
            .timeout(self.timeout)
            .bearer_auth(&self.api_key)
            .query(query)
            .send()
            .await
            .map_err(|e| BlueCherryError::Transient(format!("GET {path}: {e}")))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| BlueCherryError::Transient(format!("GET {path}: reading body: {e}")))?;
        if !status.is_success() {
            return Err(error_from_response(status, &bytes, Subject::default()));
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| BlueCherryError::Protocol(format!("GET {path}: {e}")))
    }

    /// A GET retried with jittered backoff while the error is transient.
    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: Query,
    ) -> Result<T, BlueCherryError> {
        (|| self.get_once::<T>(path, &query))
            .retry(self.retry.backoff())
            .when(BlueCherryError::is_transient)
            .notify(|err, delay| {
                tracing::warn!(%err, ?delay, path, "Blue Cherry read failed, retrying");
            })
            .await
    }

    /// Every page of an offset-paged list.
    async fn get_all<T: DeserializeOwned>(
        &self,
        path: &str,
        query: Query,
    ) -> Result<Vec<T>, BlueCherryError> {
        let mut all = Vec::new();
        let mut offset = 0usize;
        loop {
            let mut q = query.clone();
            q.push(("offset", offset.to_string()));
            q.push(("limit", self.page_size.to_string()));
            let page: Page<T> = self.get(path, q).await?;
            all.extend(page.items);
            match page.next_offset {
                Some(next) if next > offset => offset = next,
                Some(next) => {
                    return Err(BlueCherryError::Protocol(format!(
                        "{path}: next_offset {next} does not advance past {offset}"
                    )));
                }
                None => return Ok(all),
            }
        }
    }

    /// A document looked up by external reference: zero or one.
    async fn find_one<T: DeserializeOwned>(
        &self,
        path: &str,
        external_ref: &str,
    ) -> Result<Option<T>, BlueCherryError> {
        let page: Page<T> = self
            .get(path, vec![("external_ref", external_ref.to_string())])
            .await?;
        let mut items = page.items;
        if items.len() > 1 {
            return Err(BlueCherryError::Protocol(format!(
                "{path}: {} documents carry external reference {external_ref}",
                items.len()
            )));
        }
        Ok(items.pop())
    }

    /// One POST of a create; never retried.
    async fn create<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        external_ref: &str,
    ) -> Result<T, BlueCherryError> {
        if let Some(p) = &self.pacer {
            p.wait().await;
        }
        let ambiguous = |reason: String| BlueCherryError::Ambiguous {
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
                    BlueCherryError::Transient(format!("POST {path}: {e}"))
                } else {
                    ambiguous(format!("POST {path}: {e}"))
                }
            })?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| ambiguous(format!("POST {path}: reading answer: {e}")))?;
        if !status.is_success() {
            let subject = Subject {
                external_ref: Some(external_ref),
                ..Subject::default()
            };
            return Err(error_from_response(status, &bytes, subject));
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
    ) -> Result<T, BlueCherryError> {
        let resp = self
            .http
            .put(self.url(path))
            .timeout(self.timeout)
            .bearer_auth(&self.api_key)
            .json(body)
            .send()
            .await
            .map_err(|e| BlueCherryError::Transient(format!("PUT {path}: {e}")))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| BlueCherryError::Transient(format!("PUT {path}: reading answer: {e}")))?;
        if !status.is_success() {
            return Err(error_from_response(status, &bytes, subject));
        }
        // Sending it again would only get the same body back, so this is not transient.
        serde_json::from_slice(&bytes).map_err(|e| {
            BlueCherryError::Protocol(format!(
                "PUT {path}: unreadable 2xx answer (the change was applied): {e}"
            ))
        })
    }

    /// A PUT retried with jittered backoff while the error is transient.
    async fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        subject: Subject<'_>,
    ) -> Result<T, BlueCherryError> {
        (|| self.put_once::<B, T>(path, body, subject))
            .retry(self.retry.backoff())
            .when(BlueCherryError::is_transient)
            .notify(|err, delay| {
                tracing::warn!(%err, ?delay, path, "Blue Cherry revision failed, retrying");
            })
            .await
    }
}

/// Percent-encodes one path segment (document numbers come from the ERP, not from us).
fn path_segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Maps a non-2xx answer to the error the flows act on.
fn error_from_response(status: StatusCode, bytes: &[u8], subject: Subject<'_>) -> BlueCherryError {
    let detail = serde_json::from_slice::<ErrorBody>(bytes)
        .ok()
        .map(|b| b.error);
    let message = detail
        .as_ref()
        .map(|d| d.message.clone())
        .unwrap_or_else(|| String::from_utf8_lossy(bytes).chars().take(300).collect());
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => BlueCherryError::Unauthorized,
        StatusCode::NOT_FOUND => BlueCherryError::NotFound(message),
        StatusCode::CONFLICT => conflict(detail, message, subject),
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
            let (code, field) = detail
                .map(|d| (d.code, d.field))
                .unwrap_or_else(|| ("validation_failed".to_string(), None));
            BlueCherryError::Rejected {
                code,
                message,
                field,
            }
        }
        // The contract says a 5xx commits nothing, so it is retryable like a 429.
        s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => {
            BlueCherryError::Transient(format!("HTTP {}: {message}", s.as_u16()))
        }
        s => BlueCherryError::Protocol(format!("HTTP {}: {message}", s.as_u16())),
    }
}

/// A 409 names its conflict in `code`: a duplicate create, a stale revision or a locked order.
fn conflict(detail: Option<ErrorDetail>, message: String, subject: Subject<'_>) -> BlueCherryError {
    let order_number = || subject.order_number.unwrap_or_default().to_string();
    let Some(detail) = detail else {
        return BlueCherryError::Protocol(format!("409 without an error body: {message}"));
    };
    match (
        detail.code.as_str(),
        detail.current_revision,
        detail.existing_number,
    ) {
        ("order_locked", _, _) => BlueCherryError::Locked {
            order_number: order_number(),
            reason: message,
        },
        ("stale_revision", Some(current), _) => BlueCherryError::StaleRevision {
            order_number: order_number(),
            sent: subject.revision.unwrap_or_default(),
            current,
        },
        ("stale_revision", None, _) => BlueCherryError::Protocol(format!(
            "409 stale_revision without current_revision: {message}"
        )),
        (_, _, Some(existing_number)) => BlueCherryError::Duplicate {
            external_ref: subject.external_ref.unwrap_or_default().to_string(),
            existing_number,
        },
        (code, _, None) => {
            BlueCherryError::Protocol(format!("409 {code} without existing_number: {message}"))
        }
    }
}

impl ErpGateway for BlueCherryClient {
    fn list_styles(&self, changed_since: Option<OffsetDateTime>) -> GatewayFuture<'_, Vec<Style>> {
        Box::pin(async move {
            let mut query = Query::new();
            if let Some(t) = changed_since {
                let t = t
                    .format(&Rfc3339)
                    .map_err(|e| BlueCherryError::Config(format!("changed_since: {e}")))?;
                query.push(("changed_since", t));
            }
            self.get_all("/styles", query).await
        })
    }

    fn cycle_status(&self) -> GatewayFuture<'_, CycleStatus> {
        Box::pin(self.get("/cycles/status", Query::new()))
    }

    fn ats_snapshot(&self, cycle_id: u64) -> GatewayFuture<'_, AtsSnapshot> {
        Box::pin(async move { self.get(&format!("/ats/{cycle_id}"), Query::new()).await })
    }

    fn create_sales_order<'a>(
        &'a self,
        order: &'a SalesOrderRequest,
    ) -> GatewayFuture<'a, SalesOrder> {
        Box::pin(self.create("/sales-orders", order, &order.external_ref))
    }

    fn find_sales_order<'a>(
        &'a self,
        external_ref: &'a str,
    ) -> GatewayFuture<'a, Option<SalesOrder>> {
        Box::pin(self.find_one("/sales-orders", external_ref))
    }

    fn get_sales_order<'a>(&'a self, order_number: &'a str) -> GatewayFuture<'a, SalesOrder> {
        Box::pin(async move {
            let path = format!("/sales-orders/{}", path_segment(order_number));
            self.get(&path, Query::new()).await
        })
    }

    fn revise_sales_order<'a>(
        &'a self,
        order_number: &'a str,
        revision: u32,
        order: &'a SalesOrderRequest,
    ) -> GatewayFuture<'a, SalesOrder> {
        Box::pin(async move {
            let path = format!("/sales-orders/{}", path_segment(order_number));
            // One clone per revision keeps a single wire type for client and sandbox.
            let body = SalesOrderRevision {
                revision,
                order: order.clone(),
            };
            let subject = Subject {
                external_ref: Some(&order.external_ref),
                order_number: Some(order_number),
                revision: Some(revision),
            };
            self.put(&path, &body, subject).await
        })
    }

    fn list_shipments<'a>(
        &'a self,
        cursor: Option<&'a str>,
        limit: usize,
    ) -> GatewayFuture<'a, ShipmentPage> {
        Box::pin(async move {
            let mut query = vec![("limit", limit.to_string())];
            if let Some(c) = cursor {
                query.push(("since", c.to_string()));
            }
            self.get("/shipments", query).await
        })
    }

    fn create_credit_memo<'a>(
        &'a self,
        memo: &'a CreditMemoRequest,
    ) -> GatewayFuture<'a, CreditMemo> {
        Box::pin(self.create("/credit-memos", memo, &memo.external_ref))
    }

    fn find_credit_memo<'a>(
        &'a self,
        external_ref: &'a str,
    ) -> GatewayFuture<'a, Option<CreditMemo>> {
        Box::pin(self.find_one("/credit-memos", external_ref))
    }

    fn list_customers(&self) -> GatewayFuture<'_, Vec<Customer>> {
        Box::pin(self.get_all("/customers", Query::new()))
    }

    fn list_price_levels<'a>(
        &'a self,
        level: Option<&'a str>,
    ) -> GatewayFuture<'a, Vec<PriceLevel>> {
        Box::pin(async move {
            let query = level
                .map(|l| vec![("level", l.to_string())])
                .unwrap_or_default();
            self.get_all("/price-levels", query).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(path_segment("SO-100001"), "SO-100001");
        assert_eq!(path_segment("SO/1 2"), "SO%2F1%202");
    }

    #[test]
    fn a_409_becomes_duplicate_with_the_existing_number() {
        let body = br#"{"error":{"code":"duplicate_external_ref","message":"taken","existing_number":"SO-7"}}"#;
        let subject = Subject {
            external_ref: Some("BC-1"),
            ..Subject::default()
        };
        let err = error_from_response(StatusCode::CONFLICT, body, subject);
        assert!(
            matches!(err, BlueCherryError::Duplicate { ref existing_number, .. } if existing_number == "SO-7")
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
        let err = error_from_response(StatusCode::CONFLICT, locked, subject);
        assert!(
            matches!(err, BlueCherryError::Locked { ref order_number, ref reason } if order_number == "SO-7" && reason.contains("partially shipped")),
            "{err:?}"
        );
        let stale = br#"{"error":{"code":"stale_revision","message":"at 3","current_revision":3}}"#;
        let err = error_from_response(StatusCode::CONFLICT, stale, subject);
        assert!(
            matches!(
                err,
                BlueCherryError::StaleRevision {
                    sent: 2,
                    current: 3,
                    ..
                }
            ),
            "{err:?}"
        );
        let no_current = br#"{"error":{"code":"stale_revision","message":"at 3"}}"#;
        let err = error_from_response(StatusCode::CONFLICT, no_current, subject);
        assert!(matches!(err, BlueCherryError::Protocol(_)), "{err:?}");
    }

    #[test]
    fn a_5xx_without_a_json_body_is_transient() {
        let err = error_from_response(
            StatusCode::BAD_GATEWAY,
            b"<html>bad gateway</html>",
            Subject::default(),
        );
        assert!(err.is_transient(), "{err:?}");
    }
}
