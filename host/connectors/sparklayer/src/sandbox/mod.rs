//! A loopback server that behaves like Sparklayer, for tests and the demo.
//!
//! It implements the API routes the client uses (tokens that expire, 401s, problem+json errors,
//! 422s naming the property) and sandbox-only admin routes under `/sandbox/...`:
//!
//! | Route | Does |
//! |---|---|
//! | `GET /sandbox/state` | everything stored, as JSON |
//! | `GET /sandbox/stats` | request counters |
//! | `POST /sandbox/faults` | [`FaultPlan`]: next N 429 (with `Retry-After`), 5xx, 409, applied-then-502 |
//! | `PUT` / `DELETE /sandbox/quota` | [`Quota`]: at most N requests per window, then 429 |
//! | `PUT /sandbox/token-lifetime` | `{"secs": 1}`: lifetime of tokens issued from now on |
//! | `POST /sandbox/tokens/expire` | expires every token issued so far |
//! | `POST /sandbox/purchases` | [`Checkout`]: a B2B buyer places an order |
//! | `PATCH /sandbox/purchases/{sparklayer_id}` | [`PurchaseEdit`]: the order is edited in Sparklayer |
//! | `POST /sandbox/customers` | adds a customer |
//! | `POST /sandbox/seed` | loads the demo data ([`seed_demo`]) |

mod admin;
mod buyer;
mod faults;
mod problem;
mod routes;
mod seed;
mod state;

use std::net::SocketAddr;
use std::time::Duration;

use selvedge_connector_kit::sandbox::BindError;
use selvedge_connector_kit::{RetryPolicy, SandboxServer};

pub use buyer::{Checkout, CheckoutLine, PurchaseEdit};
pub use faults::{FaultPlan, Quota};
pub use problem::SandboxError;
pub use seed::{
    DEMO_CUSTOMERS, DEMO_LOCATIONS, DEMO_PRICE_LISTS, DemoCustomer, DemoPriceList, DemoTiers,
    seed_demo,
};
pub use state::{PriceListRecord, SandboxState, SandboxStats, StockRow};

use crate::config::SparklayerConfig;

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Site-Id every request must carry.
    pub site_id: String,
    /// Client id the token route accepts.
    pub client_id: String,
    /// Client secret the token route accepts.
    pub client_secret: String,
    /// Lifetime of issued tokens (Sparklayer: 3600 s; tests use about 1 s).
    pub token_lifetime: Duration,
    /// Checkout attribute the PO number is stored under.
    pub po_number_attribute: String,
    /// Most rows one `batch-update-stock` call may carry.
    pub max_stock_batch: usize,
    /// Optional request quota.
    pub quota: Option<Quota>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            site_id: "sandbox-site".to_owned(),
            client_id: "sandbox-client".to_owned(),
            client_secret: "sandbox-secret".to_owned(),
            token_lifetime: Duration::from_secs(3600),
            po_number_attribute: "po_number".to_owned(),
            max_stock_batch: 1000,
            quota: None,
        }
    }
}

/// A running sandbox; dropping it stops the server.
pub struct Sandbox {
    server: SandboxServer,
    state: SandboxState,
}

impl Sandbox {
    /// Starts on an ephemeral loopback port.
    pub async fn start(config: SandboxConfig) -> Result<Self, BindError> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts on `addr` (the demo uses a fixed port).
    pub async fn start_on(config: SandboxConfig, addr: SocketAddr) -> Result<Self, BindError> {
        let state = SandboxState::new(config);
        let router = routes::api(state.clone()).merge(admin::routes(state.clone()));
        let server = SandboxServer::start(router, addr).await?;
        Ok(Self { server, state })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The data, fault and token controls.
    pub fn state(&self) -> &SandboxState {
        &self.state
    }

    /// A client config for this sandbox, with fast retries.
    pub fn client_config(&self) -> SparklayerConfig {
        let store = self.state.lock();
        let mut config = SparklayerConfig::new(
            self.base_url(),
            store.config.site_id.clone(),
            store.config.client_id.clone(),
            store.config.client_secret.clone(),
        );
        config.retry = RetryPolicy::fast();
        config.po_number_attribute = store.config.po_number_attribute.clone();
        config
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}
