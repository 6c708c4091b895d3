//! The HTTP edge: both listeners, their state, auth, errors and limits.
//!
//! The admin listener (`admin_listen`, loopback by default):
//! - `/` and `/dashboard/*`: the dashboard page (static, no data: it asks for the token);
//! - `/api/openapi.json`: the OpenAPI document, generated from the handlers' annotations;
//! - `/api/*`: JSON, bearer token required (401 and no change without it);
//! - `/metrics`: Prometheus text, bearer token required too;
//! - `/healthz`: liveness, open.
//!
//! No CORS headers are sent at all: the dashboard is same-origin, and a browser page from
//! elsewhere must not be able to read the API with a token it got hold of.
//!
//! The webhook listener (`webhook_listen`): see [`webhook`]. Both are served by
//! [`listener::serve`] within [`ListenerLimits`]; every error is an [`HttpError`].

pub mod access;
pub mod auth;
pub mod dashboard;
mod error;
pub mod listener;
pub mod model;
pub mod openapi;
mod routes;
mod state;
pub mod webhook;

use axum::Router;
use axum::routing::{get, post};
use serde::Deserialize;

pub use auth::AdminToken;
pub use error::HttpError;
pub use listener::ListenerLimits;
pub use state::{AdminClient, AdminState, StorefrontStats};
pub use webhook::failures::AuthFailures;

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

/// The admin router: dashboard, API, OpenAPI document, metrics. Serve it on the admin listener.
pub fn admin_router(state: AdminState) -> Router {
    // Counters recorded before the first scrape must not be lost.
    let _ = crate::metrics::handle();
    let api = Router::new()
        .route("/api/whoami", get(routes::access::whoami))
        .route("/api/audit", get(routes::access::audit))
        .route("/api/overview", get(routes::overview::overview))
        .route("/api/clients", get(routes::clients::list))
        .route("/api/clients/{client}/health", get(routes::clients::health))
        .route("/api/clients/{client}/pause", post(routes::control::pause))
        .route(
            "/api/clients/{client}/resume",
            post(routes::control::resume),
        )
        .route(
            "/api/clients/{client}/run/{flow}",
            post(routes::control::run_now),
        )
        .route("/api/clients/{client}/jobs", get(routes::jobs::list))
        .route(
            "/api/clients/{client}/jobs/{job}/cancel",
            post(routes::jobs::cancel),
        )
        .route("/api/clients/{client}/resync", post(routes::resync::resync))
        .route(
            "/api/clients/{client}/resync/{job}",
            get(routes::resync::show),
        )
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
        .route(
            "/api/clients/{client}/plugin/shadow",
            post(routes::lifecycle::shadow),
        )
        .route(
            "/api/clients/{client}/plugin/shadow/{run}/accept",
            post(routes::lifecycle::accept),
        )
        .route(
            "/api/clients/{client}/why/{kind}/{subject}/replay",
            get(routes::lifecycle::replay_recorded).post(routes::lifecycle::replay_with),
        )
        .route("/api/clients/{client}/buffers", get(routes::why::buffers))
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
        .route("/metrics", get(routes::metrics::scrape))
        // Uploaded plugins can be large; 64 MiB is far above any real rule plugin.
        .layer(axum::extract::DefaultBodyLimit::max(64 << 20))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::require_token,
        ));
    Router::new()
        .merge(api)
        .route("/api/openapi.json", get(openapi::document))
        .route("/healthz", get(|| async { "ok" }))
        .merge(dashboard::router())
        .with_state(state)
}
