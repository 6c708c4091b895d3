//! A BigCommerce store on loopback for tests and demos: the client's endpoints with the
//! documented behaviours (batch caps, 207, 409 duplicate SKU, 422, V2 error arrays, auth,
//! rate-limit headers and 429s, asynchronous inventory, webhooks with retries and duplicates),
//! plus `/sandbox/...` admin routes.

// Handlers return ready-made error responses through `Result`; their size does not matter here.
#![allow(clippy::result_large_err)]

mod admin;
mod batch;
mod catalog;
mod catalog_reads;
mod gate;
mod hooks;
mod inventory;
mod orders;
mod query;
mod refunds;
mod seed;
pub mod state;
mod variants;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use selvedge_connector_kit::SandboxServer;
use selvedge_connector_kit::sandbox::BindError;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::BigCommerceConfig;
pub use admin::{OrderLineInput, SandboxOrder};
pub use seed::{SeedProduct, apparel_catalog};
use state::Store;
pub use state::{Counters, Delivery, Exchange, Fault};

/// The real webhook retry schedule, in seconds.
pub const WEBHOOK_RETRY_SCHEDULE_S: [u64; 11] = [
    60, 180, 300, 600, 900, 1800, 3600, 7200, 21600, 50400, 86400,
];

/// How the sandbox behaves.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SandboxConfig {
    /// Store hash in the URL.
    pub store_hash: String,
    /// Token expected in `X-Auth-Token`.
    pub access_token: String,
    /// Numeric store id sent in webhook payloads.
    pub store_id: String,
    /// Requests allowed per window.
    pub quota: u32,
    /// Window length in milliseconds.
    pub window_ms: u64,
    /// Delay before an inventory adjustment becomes visible, in milliseconds.
    pub inventory_lag_ms: u64,
    /// Multiplier of the webhook retry schedule (1.0 = real seconds; 0.001 = milliseconds).
    pub webhook_time_scale: f64,
    /// A destination answering slower than this counts as failed, in milliseconds.
    pub webhook_timeout_ms: u64,
    /// Probability that a delivered payload is delivered again (same hash).
    pub duplicate_probability: f64,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            store_hash: "sandbox".into(),
            access_token: "sandbox-token".into(),
            store_id: "1001".into(),
            quota: 150,
            window_ms: 30_000,
            inventory_lag_ms: 0,
            webhook_time_scale: 1.0,
            webhook_timeout_ms: 5_000,
            duplicate_probability: 0.0,
        }
    }
}

pub(crate) struct Shared {
    pub(crate) config: SandboxConfig,
    pub(crate) store: Mutex<Store>,
    pub(crate) http: reqwest::Client,
    /// `http://127.0.0.1:PORT` once the server is bound (absolute URLs in V2 resource links).
    pub(crate) base_url: std::sync::OnceLock<String>,
}

/// Handle to the sandbox's state, for tests and the admin routes. Cheap to clone.
#[derive(Clone)]
pub struct SandboxHandle {
    pub(crate) shared: Arc<Shared>,
}

impl SandboxHandle {
    fn new(config: SandboxConfig) -> Self {
        let store = Store::new(config.quota, config.window_ms, config.inventory_lag_ms);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.webhook_timeout_ms))
            .build()
            .unwrap_or_default();
        Self {
            shared: Arc::new(Shared {
                config,
                store: Mutex::new(store),
                http,
                base_url: std::sync::OnceLock::new(),
            }),
        }
    }

    /// Locks the store; a poisoned lock is recovered (the data is test data).
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.shared.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The sandbox config.
    pub fn config(&self) -> &SandboxConfig {
        &self.shared.config
    }

    /// Sets the request quota per window (starts a fresh window).
    pub fn set_quota(&self, quota: u32, window_ms: u64) {
        let mut s = self.store();
        s.quota = quota;
        s.window_ms = window_ms;
        s.window_start = std::time::Instant::now();
        s.window_used = 0;
    }

    /// Sets the delay before inventory adjustments become visible.
    pub fn set_inventory_lag(&self, lag_ms: u64) {
        self.store().inventory_lag_ms = lag_ms;
    }

    /// Injects a fault into the next matching requests.
    pub fn inject_fault(&self, fault: Fault) {
        self.store().faults.push(fault);
    }

    /// The next `n` delivered webhook payloads are each delivered a second time.
    pub fn force_duplicate_deliveries(&self, n: u32) {
        self.store().forced_duplicates += n;
    }

    /// Every API exchange so far.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.store().log.clone()
    }

    /// Forgets the exchange log and counters.
    pub fn clear_log(&self) {
        let mut s = self.store();
        s.log.clear();
        s.counters = Counters::default();
    }

    /// Request counters.
    pub fn counters(&self) -> Counters {
        self.store().counters.clone()
    }

    /// Every webhook delivery attempt so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.store().deliveries.clone()
    }

    /// Loads products (each with size/colour variants) and their stock at the default location.
    pub fn seed(&self, products: &[SeedProduct]) -> Result<Vec<i64>, String> {
        seed::seed(self, products)
    }

    /// Simulates a shopper checkout; fires `store/order/created`. Returns the order id.
    pub fn create_order(&self, order: &SandboxOrder) -> Result<i64, String> {
        admin::create_order(self, order)
    }

    /// Fires a webhook event to every matching active hook.
    pub fn emit(&self, scope: &str, data: Value) {
        hooks::emit(self, scope, data);
    }
}

/// A running sandbox.
pub struct Sandbox {
    server: SandboxServer,
    handle: SandboxHandle,
}

impl Sandbox {
    /// Starts a sandbox on an ephemeral loopback port.
    pub async fn start(config: SandboxConfig) -> Result<Self, BindError> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts a sandbox on `addr` (a fixed port for demos).
    pub async fn start_on(config: SandboxConfig, addr: SocketAddr) -> Result<Self, BindError> {
        let handle = SandboxHandle::new(config);
        let server = SandboxServer::start(router(handle.clone()), addr).await?;
        // Set once, right after binding: a second set cannot happen.
        let _ = handle.shared.base_url.set(server.base_url());
        Ok(Self { server, handle })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The state handle.
    pub fn handle(&self) -> SandboxHandle {
        self.handle.clone()
    }

    /// A client config pointing at this sandbox.
    pub fn client_config(&self) -> BigCommerceConfig {
        let c = self.handle.config();
        BigCommerceConfig::new(
            self.base_url(),
            c.store_hash.clone(),
            c.access_token.clone(),
        )
    }

    /// Stops the server.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// The full router: API routes behind the gate, admin routes open.
pub fn router(handle: SandboxHandle) -> Router {
    let api = Router::new()
        .merge(catalog::routes())
        .merge(variants::routes())
        .merge(inventory::routes())
        .merge(orders::routes())
        .merge(refunds::routes())
        .merge(hooks::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            handle.clone(),
            gate::gate,
        ));
    Router::new()
        .merge(api)
        .merge(admin::routes())
        .with_state(handle)
}

/// JSON response.
pub(crate) fn json_response(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// V3 error `{status, title, type, errors}`.
pub(crate) fn v3_error(status: StatusCode, title: &str, errors: Value) -> Response {
    let ty = format!(
        "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes#{}",
        status.as_u16()
    );
    json_response(
        status,
        json!({"status": status.as_u16(), "title": title, "type": ty, "errors": errors}),
    )
}

/// V3 error as `application/problem+json` (inventory and locations).
pub(crate) fn problem(status: StatusCode, title: &str, errors: Value) -> Response {
    let mut r = v3_error(status, title, errors);
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/problem+json"),
    );
    r
}

/// V2 error: a bare array `[{status, message}]`.
pub(crate) fn v2_error(status: StatusCode, message: &str) -> Response {
    json_response(
        status,
        json!([{"status": status.as_u16(), "message": message}]),
    )
}

/// Parses a JSON body or answers 400 in the given dialect.
pub(crate) fn parse_body(body: &[u8], v2: bool) -> Result<Value, Response> {
    serde_json::from_slice(body).map_err(|e| {
        let msg = format!("The request body is not valid JSON: {e}");
        if v2 {
            v2_error(StatusCode::BAD_REQUEST, &msg)
        } else {
            v3_error(StatusCode::UNPROCESSABLE_ENTITY, &msg, json!({}))
        }
    })
}

/// Standard `meta.pagination` and the page slice.
pub(crate) fn paginate<T: Clone>(items: &[T], page: usize, limit: usize) -> (Vec<T>, Value) {
    let limit = limit.max(1);
    let page = page.max(1);
    let total = items.len();
    let total_pages = total.div_ceil(limit).max(1);
    let slice: Vec<T> = items
        .iter()
        .skip((page - 1) * limit)
        .take(limit)
        .cloned()
        .collect();
    // `previous` and `next` appear only where that page exists, as the spec's examples show.
    let link = |p: usize| Value::String(format!("?page={p}&limit={limit}"));
    let mut links = serde_json::Map::new();
    if page > 1 {
        links.insert("previous".into(), link(page - 1));
    }
    links.insert("current".into(), link(page));
    if page < total_pages {
        links.insert("next".into(), link(page + 1));
    }
    let meta = json!({"pagination": {
        "total": total, "count": slice.len(), "per_page": limit,
        "current_page": page, "total_pages": total_pages, "links": links
    }});
    (slice, meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_a_standard_plan_store() {
        let c = SandboxConfig::default();
        assert_eq!((c.quota, c.window_ms), (150, 30_000));
        assert_eq!(
            WEBHOOK_RETRY_SCHEDULE_S.iter().sum::<u64>(),
            173_040,
            "about 48 h of retries"
        );
    }

    #[test]
    fn pages_carry_standard_pagination_meta() {
        let (slice, meta) = paginate(&[1, 2, 3, 4, 5], 2, 2);
        assert_eq!(slice, vec![3, 4]);
        assert_eq!(meta["pagination"]["total_pages"], 3);
        assert_eq!(meta["pagination"]["current_page"], 2);
        let links = &meta["pagination"]["links"];
        assert_eq!(links["previous"], "?page=1&limit=2");
        assert_eq!(links["current"], "?page=2&limit=2");
        assert_eq!(links["next"], "?page=3&limit=2");
        let (_, last) = paginate(&[1, 2, 3, 4, 5], 3, 2);
        assert!(last["pagination"]["links"].get("next").is_none());
    }
}
