//! A loopback server that behaves like a Blue Cherry gateway (the modelled contract).
//!
//! Inventory changes only when a batch cycle completes; orders, memos and shipments change
//! the live books at once. Faults are armed over HTTP so black-box tests can use them too.
//!
//! Sandbox-only routes (no API key): `POST /sandbox/cycles/run`,
//! `POST /sandbox/orders/{number}/ship`, `POST /sandbox/orders/{number}/edit`,
//! `POST /sandbox/orders/{number}/cancel`,
//! `PUT|GET|DELETE /sandbox/faults`, `PUT|GET|DELETE /sandbox/quota`
//! (`{"quota": N, "window_ms": M}`: over it, 429 with `Retry-After`, as on the other
//! sandboxes), `GET|DELETE /sandbox/creates` (the create log),
//! `POST /sandbox/work-orders`, `POST /sandbox/inventory/adjust`,
//! `POST /sandbox/styles/{style}/retail`.

pub mod creates;
pub mod cycles;
pub mod faults;
pub mod fulfilment;
pub mod revisions;
pub mod routes;
pub mod seed;
pub mod state;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use selvedge_connector_kit::SandboxServer;
use selvedge_connector_kit::sandbox::BindError;
use selvedge_connector_kit::sandbox::{Quota, QuotaWindow};
use serde::Deserialize;
use time::OffsetDateTime;
use tokio::task::JoinHandle;

pub use creates::{CreateKind, CreateLogEntry, CreateOutcome};
pub use faults::Faults;
pub use state::{Refusal, SandboxState, WorkOrder};

/// State shared by the handlers and the test handle.
pub type Shared = Arc<Mutex<SandboxState>>;

/// Locks the state; a panic in another handler must not wedge the sandbox, so poison is ignored.
pub fn lock(shared: &Shared) -> MutexGuard<'_, SandboxState> {
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How the sandbox ERP behaves.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct SandboxConfig {
    /// Bearer key the `/v1` routes accept.
    pub api_key: String,
    /// Run a batch cycle every this many milliseconds; `None` = only via `POST /sandbox/cycles/run`.
    pub cycle_period_ms: Option<u64>,
    /// Cycles an open work order takes to become on-hand stock.
    pub work_order_cycles: u32,
    /// Ship every order automatically this many cycles after entry; `None` = ship by route only.
    pub auto_ship_after_cycles: Option<u32>,
    /// ATS snapshots kept (older cycle ids answer 404).
    pub snapshot_retention: usize,
    /// Seed of the generated catalogue.
    pub seed: u64,
    /// Number of styles generated.
    pub styles: usize,
    /// Request quota on `/v1` from the start (see [`Sandbox::set_quota`]); `None` = unlimited.
    pub quota: Option<Quota>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            api_key: "sandbox-key".to_string(),
            cycle_period_ms: None,
            work_order_cycles: 3,
            auto_ship_after_cycles: None,
            snapshot_retention: 24,
            seed: 0x5E1_7ED6E,
            styles: 60,
            quota: None,
        }
    }
}

/// A running sandbox. Dropping it stops the server and the cycle scheduler.
pub struct Sandbox {
    server: SandboxServer,
    shared: Shared,
    api_key: String,
    _ticker: Option<AbortOnDrop>,
}

/// Stops the cycle scheduler when the sandbox goes away.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Sandbox {
    /// Seeds the data, completes cycle 1 (so there is a snapshot) and serves on an
    /// ephemeral loopback port.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, BindError> {
        Self::start_on(config, std::net::SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Like [`Sandbox::start`], on `addr` (`selvedge sandbox` uses fixed ports).
    pub async fn start_on(
        config: SandboxConfig,
        addr: std::net::SocketAddr,
    ) -> Result<Sandbox, BindError> {
        let period = config.cycle_period_ms.map(Duration::from_millis);
        let mut state = seed::seeded_state(config.seed, config.styles);
        state.api_key = config.api_key.clone();
        state.work_order_cycles = config.work_order_cycles.max(1);
        state.auto_ship_after_cycles = config.auto_ship_after_cycles;
        state.snapshot_retention = config.snapshot_retention.max(1);
        state.cycle_period = period;
        state.quota = config.quota.map(QuotaWindow::new);
        // Seeded work orders mature `work_order_cycles` cycles after start-up; the start-up
        // cycle below does not count.
        for wo in &mut state.work_orders {
            wo.cycles_left = state.work_order_cycles + 1;
        }
        cycles::run_cycle(&mut state, OffsetDateTime::now_utc(), period);
        let shared: Shared = Arc::new(Mutex::new(state));
        let server = SandboxServer::start(routes::router(shared.clone()), addr).await?;
        let ticker = period.map(|p| AbortOnDrop(tokio::spawn(cycles::ticker(shared.clone(), p))));
        Ok(Sandbox {
            server,
            shared,
            api_key: config.api_key,
            _ticker: ticker,
        })
    }

    /// `http://127.0.0.1:PORT`, to put in [`crate::BlueCherryConfig::base_url`].
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The API key the sandbox accepts.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// Direct access to the ERP's books, for assertions and setup in tests.
    pub fn with_state<R>(&self, f: impl FnOnce(&mut SandboxState) -> R) -> R {
        f(&mut lock(&self.shared))
    }

    /// Runs one batch cycle now and returns its id (same as `POST /sandbox/cycles/run`).
    pub fn run_cycle(&self) -> u64 {
        let mut s = lock(&self.shared);
        let period = s.cycle_period;
        cycles::run_cycle(&mut s, OffsetDateTime::now_utc(), period)
    }

    /// Arms fault modes (same as `PUT /sandbox/faults`).
    pub fn set_faults(&self, faults: Faults) {
        lock(&self.shared).faults = faults;
    }

    /// At most `quota` `/v1` requests per `window_ms`; more get 429 with `Retry-After` (same
    /// as `PUT /sandbox/quota`). Starts a fresh window.
    pub fn set_quota(&self, quota: u32, window_ms: u64) {
        lock(&self.shared).quota = Some(QuotaWindow::new(Quota { quota, window_ms }));
    }

    /// Lifts the quota (same as `DELETE /sandbox/quota`).
    pub fn clear_quota(&self) {
        lock(&self.shared).quota = None;
    }

    /// Every create and revision handled so far, in call order (same as
    /// `GET /sandbox/creates`).
    pub fn creates(&self) -> Vec<CreateLogEntry> {
        lock(&self.shared).creates.entries().to_vec()
    }

    /// Empties the create log; the books keep their documents (same as
    /// `DELETE /sandbox/creates`).
    pub fn clear_creates(&self) {
        lock(&self.shared).creates.clear();
    }

    /// Stops the scheduler and the server.
    pub async fn shutdown(self) {
        drop(self._ticker);
        self.server.shutdown().await;
    }
}
