//! Set-up shared by every end-to-end test and both benches: the sandboxes on loopback, a fresh
//! store (SQLite in a temp dir, or a database on the PostgreSQL test cluster), a client's example plugin from `plugins/`, and the `ClientServices` a
//! flow runs with, wired one way for every test.
//!
//! - [`runtime`]: the wasm engine and an example plugin with its fixture context.
//! - [`erp`]: the Blue Cherry sandbox, and what tests write straight into it.
//! - [`b2c`]: the brand on BigCommerce, as the catalog, inventory and reconcile flows find it.
//! - [`b2b`]: the wholesaler on Sparklayer, likewise.
//! - [`burst`]: order bursts with statuses that are not sales, as the ERP's create log sees them.
//! - [`chaos`]: a seeded random sequence and a `/healthz` watch, for the kill -9 harness.
//! - [`orders`]: either client trading: storefront on sale, webhook intake, the orders flow's knobs.
//! - [`probe_erp`]: an ERP gateway that counts creates and fails credit memos on demand.
//! - [`host_process`]: the real host as a child process, for the SIGKILL tests.
//! - [`memos`]: credit memos under SIGKILL: the ERP's memos, kills while a create hangs, the ledger.
//! - [`many_clients`]: 100 clients on one real host, stopped with SIGTERM (shutdown test, density bench).
//! - [`pacing`]: the pacing promise checked on the ERP's create log.
//! - [`stores`]: a fresh SQLite file or PostgreSQL database for a test.
//!
//! The benches include this folder with `#[path = "../tests/support/mod.rs"]`.
// The test binary (tests/main.rs) and each bench are crates of their own; each uses only part of this module.
#![allow(dead_code)]

pub mod b2b;
pub mod b2c;
pub mod burst;
pub mod chaos;
pub mod erp;
pub mod host_process;
pub mod many_clients;
pub mod memos;
pub mod orders;
pub mod pacing;
pub mod probe_erp;
pub mod runtime;
pub mod stores;

use std::sync::Arc;
use std::time::{Duration, Instant};

use selvedge::flows::{ClientServices, FlowError, FlowReport, Owners};
use selvedge::storefronts::bigcommerce::BigCommerce;
use selvedge::storefronts::sparklayer::Sparklayer;
use selvedge_bigcommerce::BigCommerceClient;
use selvedge_bluecherry::{BlueCherryClient, BlueCherryConfig};
use selvedge_connector_kit::RetryPolicy;
use selvedge_sparklayer::SparklayerClient;
use selvedge_store::{
    Decision, ExceptionFilter, ExceptionRecord, Page, PushedStock, RunStatus, Store,
};
use time::OffsetDateTime;

pub use selvedge_bigcommerce::sandbox as bc_sandbox;
pub use selvedge_bluecherry::sandbox as erp_sandbox;
pub use selvedge_sparklayer::sandbox as sl_sandbox;

/// One client wired to its sandboxes: built by [`b2c`], [`b2b`] or [`orders`].
pub struct Harness {
    /// Holds the database (a SQLite file) for as long as the harness lives.
    _db: stores::TestDb,
    pub store: Arc<dyn Store>,
    pub erp: erp_sandbox::Sandbox,
    bc: Option<bc_sandbox::Sandbox>,
    sl: Option<sl_sandbox::Sandbox>,
    /// What the flows run with.
    pub ctx: ClientServices,
    /// Up to 40 SKUs of the ERP's styles without a fit dimension: what [`orders::b2c`] puts on
    /// sale, and what the order tests buy.
    pub skus: Vec<String>,
    /// Set where the host's webhook endpoint is served ([`orders::b2c`]).
    webhook_url: Option<String>,
    /// The connector client behind `ctx.storefront` (tests read the storefront with it).
    bc_api: Option<Arc<BigCommerceClient>>,
    sl_api: Option<Arc<SparklayerClient>>,
}

/// The storefront sandbox a client sells on; it decides the client and its example plugin.
enum Storefront {
    /// The brand, `b2c-apparel`.
    BigCommerce(bc_sandbox::Sandbox),
    /// The wholesaler, `b2b-wholesale`.
    Sparklayer(sl_sandbox::Sandbox),
}

impl Harness {
    /// Another handle on the harness's database (a second pool, as another host has).
    pub async fn open_store_again(&self) -> Arc<dyn Store> {
        self._db.open().await
    }

    /// The one place a client is wired: a fresh store of `db`'s backend, an ERP client built
    /// from `erp_config`, the storefront client (BigCommerce's with fast retries) and the
    /// client's example plugin.
    async fn wire(
        db: stores::TestDb,
        erp: erp_sandbox::Sandbox,
        erp_config: BlueCherryConfig,
        storefront: Storefront,
    ) -> Self {
        let store = db.open().await;
        let gateway = BlueCherryClient::new(&erp_config, erp.api_key()).expect("ERP client");
        let (client, plugin, storefront, bc, sl, bc_api, sl_api) = match storefront {
            Storefront::BigCommerce(bc) => {
                let mut config = bc.client_config();
                config.retry = RetryPolicy::fast();
                let client = Arc::new(BigCommerceClient::new(config).expect("BigCommerce client"));
                let storefront: Arc<dyn selvedge::storefronts::Storefront> =
                    Arc::new(BigCommerce::new(client.clone()));
                (
                    "brand",
                    "b2c-apparel",
                    storefront,
                    Some(bc),
                    None,
                    Some(client),
                    None,
                )
            }
            Storefront::Sparklayer(sl) => {
                let client =
                    Arc::new(SparklayerClient::new(sl.client_config()).expect("Sparklayer client"));
                let storefront: Arc<dyn selvedge::storefronts::Storefront> =
                    Arc::new(Sparklayer::new(client.clone()));
                (
                    "wholesaler",
                    "b2b-wholesale",
                    storefront,
                    None,
                    Some(sl),
                    None,
                    Some(client),
                )
            }
        };
        let ctx = ClientServices {
            client: client.into(),
            store: store.clone(),
            erp: Arc::new(gateway),
            storefront,
            plugin: runtime::plugin(client, plugin).await,
            owners: Arc::new(Owners::default()),
            // Tests that pace set their own limiter.
            erp_writes: selvedge::jobs::pacing::ErpWriteLimiter::unlimited(),
            availability: Default::default(),
        };
        let skus = erp.with_state(|s| {
            erp::plain_styles(s)
                .flat_map(|st| st.skus.iter().map(|k| k.sku.clone()))
                .take(40)
                .collect()
        });
        Self {
            _db: db,
            store,
            erp,
            bc,
            sl,
            ctx,
            skus,
            webhook_url: None,
            bc_api,
            sl_api,
        }
    }

    pub fn bc(&self) -> &bc_sandbox::Sandbox {
        self.bc.as_ref().expect("a BigCommerce client")
    }

    pub fn sl(&self) -> &sl_sandbox::Sandbox {
        self.sl.as_ref().expect("a Sparklayer client")
    }

    pub fn bc_client(&self) -> &BigCommerceClient {
        self.bc_api.as_deref().expect("a BigCommerce client")
    }

    pub fn sl_client(&self) -> &SparklayerClient {
        self.sl_api.as_deref().expect("a Sparklayer client")
    }

    /// This client's exceptions of `kind`, in every state (the first page: 100).
    pub async fn exceptions(&self, kind: &str) -> Vec<ExceptionRecord> {
        let filter = ExceptionFilter {
            client: Some(self.ctx.client.clone()),
            kind: Some(kind.into()),
            ..ExceptionFilter::default()
        };
        self.ctx
            .store
            .list_exceptions(&filter, Page::default())
            .await
            .expect("exceptions")
    }

    /// The stock the inventory flow recorded as pushed to this client's storefront.
    pub async fn pushed_stock(&self) -> Vec<PushedStock> {
        self.ctx
            .store
            .pushed_stock(&self.ctx.client, self.ctx.storefront.name())
            .await
            .expect("pushed")
    }

    /// The last decision `flow` recorded for this client about `subject`.
    pub async fn last_decision(&self, flow: &str, subject: &str) -> Decision {
        let mut latest = self
            .ctx
            .store
            .latest_decisions(&self.ctx.client, Some(flow), subject, 1)
            .await
            .expect("decisions");
        latest
            .pop()
            .unwrap_or_else(|| panic!("no {flow} decision about {subject}"))
            .decision
    }

    /// Runs a flow the way the scheduler does: inside a sync run record, so the next inventory
    /// run sees the measured latency.
    pub async fn run_recorded<F, Fut>(&self, flow: &str, f: F) -> FlowReport
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<FlowReport, FlowError>>,
    {
        let id = self
            .store
            .start_run(&self.ctx.client, flow, OffsetDateTime::now_utc())
            .await
            .expect("start run");
        let report = f().await.unwrap_or_else(|e| panic!("{flow} failed: {e}"));
        self.store
            .finish_run(
                id,
                RunStatus::Succeeded,
                &report.measurements,
                None,
                OffsetDateTime::now_utc(),
            )
            .await
            .expect("finish run");
        report
    }
}

/// Polls `check` until it holds or `timeout` passes; returns whether it held.
pub async fn wait_until<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < timeout {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check().await
}

/// `GET` of a host's admin API on `admin_port` with `token`, as JSON; `None` when the host
/// did not answer or the body is not JSON.
pub async fn admin_json(
    http: &reqwest::Client,
    admin_port: u16,
    token: &str,
    path: &str,
) -> Option<serde_json::Value> {
    http.get(format!("http://127.0.0.1:{admin_port}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()
}

/// `POST` of JSON to a host's admin API on `admin_port` with `token`: the status and the JSON
/// body (`Null` when the body is not JSON).
pub async fn admin_post(
    admin_port: u16,
    token: &str,
    path: &str,
    body: serde_json::Value,
) -> (reqwest::StatusCode, serde_json::Value) {
    let res = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{admin_port}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("the admin API answers");
    let status = res.status();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}
