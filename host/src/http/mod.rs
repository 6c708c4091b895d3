//! The admin HTTP API and the dashboard, on their own listener (`admin_listen`, loopback by
//! default), apart from the storefront webhook endpoint.
//!
//! - `/` and `/dashboard/*`: the dashboard page (static, no data: it asks for the token);
//! - `/api/openapi.json`: the OpenAPI document, generated from the handlers' annotations;
//! - `/api/*`: JSON, bearer token required (401 and no change without it);
//! - `/metrics`: Prometheus text, bearer token required too;
//! - `/healthz`: liveness, open.
//!
//! No CORS headers are sent at all: the dashboard is same-origin, and a browser page from
//! elsewhere must not be able to read the API with a token it got hold of.

pub mod auth;
mod error;
pub mod model;
pub mod openapi;
mod routes;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use selvedge_runtime::{ClientPlugin, PluginRegistry};
use selvedge_store::Store;
use serde::Deserialize;

pub use auth::AdminToken;
pub use error::ApiError;

use crate::app::App;
use crate::flows::{FlowKind, Owners};

/// `[admin]` in `selvedge.toml`: how the admin API and dashboard are protected and linked.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AdminSettings {
    /// Environment variable holding the bearer token of the admin API, the dashboard and
    /// `/metrics`. When it is unset the API refuses every request (401).
    pub token_env: String,
    /// Base URL people reach the dashboard at (used in alert links); defaults to
    /// `http://<admin_listen>`.
    pub public_url: Option<String>,
}

impl Default for AdminSettings {
    fn default() -> Self {
        Self {
            token_env: "SELVEDGE_ADMIN_TOKEN".into(),
            public_url: None,
        }
    }
}

/// Connector call counters of a client's storefront, read live.
#[derive(Clone)]
pub enum StorefrontStats {
    /// The client's storefront, which counts its calls.
    Live(Arc<dyn crate::storefronts::Storefront>),
    /// Not available (tests).
    None,
}

impl StorefrontStats {
    /// (calls, throttled, retries) so far.
    pub fn read(&self) -> (u64, u64, u64) {
        match self {
            StorefrontStats::Live(s) => {
                let c = s.calls();
                (c.calls, c.throttled, c.retries)
            }
            StorefrontStats::None => (0, 0, 0),
        }
    }
}

/// What the admin API knows of one client.
#[derive(Clone)]
pub struct AdminClient {
    /// Client id.
    pub id: String,
    /// `bigcommerce` or `sparklayer`.
    pub storefront: &'static str,
    /// Flows with a schedule.
    pub flows: Vec<FlowKind>,
    /// The client's plugin slot (swap, rollback, in-memory history).
    pub plugin: Arc<ClientPlugin>,
    /// Owner team per exception kind.
    pub owners: Arc<Owners>,
    /// Storefront call counters.
    pub stats: StorefrontStats,
}

/// Shared state of the admin router. Build it with [`AdminState::from_app`].
#[derive(Clone)]
pub struct AdminState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Every client's plugin slot.
    pub registry: Arc<PluginRegistry>,
    /// Clients in config order.
    pub clients: Arc<Vec<AdminClient>>,
    /// Bearer token.
    pub token: AdminToken,
}

impl AdminState {
    /// From the running host; the token is read from the environment variable in `[admin]`.
    pub fn from_app(app: &App) -> Self {
        let token = AdminToken::from_env(&app.config.host.admin.token_env);
        if !token.is_set() {
            tracing::warn!(
                env = %app.config.host.admin.token_env,
                "admin token not set: the admin API and dashboard will refuse every request"
            );
        }
        Self::with_token(app, token)
    }

    /// From the running host with a given token.
    pub fn with_token(app: &App, token: AdminToken) -> Self {
        let clients = app
            .clients
            .iter()
            .map(|c| AdminClient {
                id: c.config.id.clone(),
                storefront: c.services.storefront.name(),
                flows: c.config.compiled_schedules.iter().map(|s| s.flow).collect(),
                plugin: c.services.plugin.clone(),
                owners: c.services.owners.clone(),
                stats: StorefrontStats::Live(c.services.storefront.clone()),
            })
            .collect();
        Self {
            store: app.store.clone(),
            registry: app.registry.clone(),
            clients: Arc::new(clients),
            token,
        }
    }

    /// A client by id, or 404.
    pub fn client(&self, id: &str) -> Result<&AdminClient, ApiError> {
        self.clients
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| ApiError::not_found(format!("no client `{id}`")))
    }
}

/// The admin router: dashboard, API, OpenAPI document, metrics. Serve it on the admin listener.
pub fn admin_router(state: AdminState) -> Router {
    let api = Router::new()
        .route("/api/clients", get(routes::clients::list))
        .route("/api/clients/{client}/health", get(routes::clients::health))
        .route("/api/clients/{client}/series", get(routes::series::series))
        .route("/api/clients/{client}/drift", get(routes::clients::drift))
        .route("/api/clients/{client}/plugin", get(routes::plugins::show))
        .route(
            "/api/clients/{client}/plugin/swap",
            post(routes::plugins::swap),
        )
        .route(
            "/api/clients/{client}/plugin/rollback",
            post(routes::plugins::rollback),
        )
        .route("/api/clients/{client}/why/sku/{sku}", get(routes::why::sku))
        .route(
            "/api/clients/{client}/why/order/{order}",
            get(routes::why::order),
        )
        .route("/api/exceptions", get(routes::exceptions::list))
        .route("/api/exceptions/summary", get(routes::exceptions::summary))
        .route("/api/exceptions/{id}", get(routes::exceptions::show))
        .route(
            "/api/exceptions/{id}/retry",
            post(routes::exceptions::retry),
        )
        .route(
            "/api/exceptions/{id}/resolve",
            post(routes::exceptions::resolve),
        )
        .route("/metrics", get(crate::metrics::scrape))
        // Uploaded plugins can be large; 64 MiB is far above any real rule plugin.
        .layer(axum::extract::DefaultBodyLimit::max(64 << 20))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ));
    Router::new()
        .merge(api)
        .route("/api/openapi.json", get(openapi::document))
        .route("/healthz", get(|| async { "ok" }))
        .merge(crate::dashboard::router())
        .with_state(state)
}
