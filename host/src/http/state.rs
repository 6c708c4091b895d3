//! Shared state of the admin router: the store, the plugin slots, the clients, the token,
//! and the webhook refusals the dashboard shows.

use std::sync::Arc;

use selvedge_runtime::{ClientPlugin, PluginRegistry};
use selvedge_store::Store;

use super::webhook::failures::AuthFailures;
use super::{AdminToken, HttpError};
use crate::app::App;
use crate::flows::{FlowKind, Owners};

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
    /// Plugin swaps and rollbacks, recorded for every host.
    pub plugins: Arc<crate::plugins::PluginChanges>,
    /// Clients in config order.
    pub clients: Arc<Vec<AdminClient>>,
    /// Bearer token.
    pub token: AdminToken,
    /// Refused webhook deliveries, shared with the webhook listener.
    pub webhook_auth: Arc<AuthFailures>,
    /// Thresholds the overview judges clients by.
    pub overview_rules: crate::overview::Rules,
    /// This host's view of the pauses: read again as soon as one is made or lifted here, so
    /// "paused" is true on this host when the call returns (other hosts read it within their
    /// control interval).
    pub pauses: Option<Arc<crate::control::Pauses>>,
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
            plugins: app.plugins.clone(),
            clients: Arc::new(clients),
            token,
            webhook_auth: Arc::default(),
            overview_rules: crate::overview::Rules {
                max_lag: std::time::Duration::from_secs(
                    app.config.host.alerts.max_cycle_latency_secs,
                ),
                exception_deadline: std::time::Duration::from_secs(
                    app.config
                        .host
                        .alerts
                        .exception_deadline_hours
                        .saturating_mul(3600),
                ),
                ..crate::overview::Rules::default()
            },
            pauses: None,
        }
    }

    /// Reads `pauses` again after each pause or resume made through this API.
    pub fn with_pauses(mut self, pauses: Arc<crate::control::Pauses>) -> Self {
        self.pauses = Some(pauses);
        self
    }

    /// Over a store and plugin registry without a whole host (tools and tests): plugin
    /// changes are recorded in `store` for the given clients.
    pub fn for_clients(
        store: Arc<dyn Store>,
        registry: Arc<PluginRegistry>,
        clients: Vec<AdminClient>,
        token: AdminToken,
    ) -> Self {
        let plugins = crate::plugins::PluginChanges::new(
            store.clone(),
            registry.clone(),
            clients.iter().map(|c| c.id.clone()),
        );
        Self {
            store,
            registry,
            plugins: Arc::new(plugins),
            clients: Arc::new(clients),
            token,
            webhook_auth: Arc::default(),
            overview_rules: crate::overview::Rules::default(),
            pauses: None,
        }
    }

    /// After a pause or resume: this host's engine and scheduler see it before the call
    /// answers (a failed read leaves it to the control loop, within a second).
    pub async fn pauses_changed(&self) {
        if let Some(p) = &self.pauses
            && let Err(e) = p.refresh().await
        {
            tracing::warn!(error = %e, "cannot read the pauses again; the control loop will");
        }
    }

    /// A client by id, or 404.
    pub fn client(&self, id: &str) -> Result<&AdminClient, HttpError> {
        self.clients
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| HttpError::not_found(format!("no client `{id}`")))
    }
}
