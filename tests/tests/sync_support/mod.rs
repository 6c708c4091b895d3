//! Shared set-up of the sync-flow tests and the inventory benchmark: the three sandboxes on
//! loopback, a SQLite store in a temp dir, and a client plugin built from `plugins/`.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use selvedge::flows::{ClientServices, FlowReport, Owners, StorefrontClient};
use selvedge_bigcommerce::BigCommerceClient;
use selvedge_bigcommerce::model::{LocationAddress, LocationType, NewLocation};
use selvedge_bluecherry::{BlueCherryClient, BlueCherryConfig, ErpGateway};
use selvedge_runtime::{
    ClientContext, ClientPlugin, PluginLimits, PluginRegistry, Runtime, RuntimeOptions,
};
use selvedge_sparklayer::SparklayerClient;
use selvedge_store::{RunStatus, SqliteStore, Store, SyncRuns};
use tempfile::TempDir;
use time::OffsetDateTime;

pub use selvedge_bigcommerce::sandbox as bc_sandbox;
pub use selvedge_bluecherry::sandbox as erp_sandbox;
pub use selvedge_sparklayer::sandbox as sl_sandbox;

/// One engine for the whole test binary; compiled components are cached on disk.
fn runtime() -> Arc<Runtime> {
    static RUNTIME: OnceLock<Arc<Runtime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache");
            Runtime::new(RuntimeOptions {
                cache_dir: Some(cache),
                max_concurrent_calls: 4,
                ..RuntimeOptions::default()
            })
            .expect("wasm engine")
        })
        .clone()
}

/// The rule settings the example plugin's fixtures run with.
fn context(plugin: &str) -> ClientContext {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins")
        .join(plugin)
        .join("fixtures/context.toml");
    let text = std::fs::read_to_string(&path).expect("fixture context");
    toml::from_str(&text).expect("fixture context parses")
}

/// Installs an example plugin for `client`.
pub async fn plugin(client: &str, name: &str) -> Arc<ClientPlugin> {
    let registry = PluginRegistry::new(runtime());
    let slot = registry.add_client(
        client,
        context(name),
        PluginLimits {
            timeout_ms: 30_000,
            ..PluginLimits::default()
        },
        None,
    );
    let path = selvedge_plugin_artifacts::component(name);
    slot.install_file(&path, None)
        .await
        .expect("plugin installs");
    slot
}

/// A client wired to sandboxes.
pub struct Harness {
    _dir: TempDir,
    pub store: Arc<SqliteStore>,
    pub erp: erp_sandbox::Sandbox,
    pub bc: Option<bc_sandbox::Sandbox>,
    pub sl: Option<sl_sandbox::Sandbox>,
    pub ctx: ClientServices,
}

async fn base(
    styles: usize,
) -> (
    TempDir,
    Arc<SqliteStore>,
    erp_sandbox::Sandbox,
    Arc<dyn ErpGateway>,
) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(
        SqliteStore::open(dir.path().join("state.db"))
            .await
            .expect("store"),
    );
    let erp = erp_sandbox::Sandbox::start(erp_sandbox::SandboxConfig {
        styles,
        ..Default::default()
    })
    .await
    .expect("ERP sandbox");
    let client = BlueCherryClient::new(&BlueCherryConfig::new(erp.base_url()), erp.api_key())
        .expect("ERP client");
    (dir, store, erp, Arc::new(client))
}

/// A B2C brand on BigCommerce with the `b2c-apparel` plugin.
pub async fn b2c(styles: usize, bc_config: bc_sandbox::SandboxConfig) -> Harness {
    let (dir, store, erp, gateway) = base(styles).await;
    let bc = bc_sandbox::Sandbox::start(bc_config)
        .await
        .expect("BigCommerce sandbox");
    let mut config = bc.client_config();
    config.retry = selvedge_connector_kit::RetryPolicy::fast();
    let client = Arc::new(BigCommerceClient::new(config).expect("BigCommerce client"));
    let ctx = ClientServices {
        client: "brand".into(),
        store: store.clone() as Arc<dyn Store>,
        erp: gateway,
        storefront: StorefrontClient::BigCommerce(client),
        plugin: plugin("brand", "b2c-apparel").await,
        owners: Arc::new(Owners::default()),
    };
    Harness {
        _dir: dir,
        store,
        erp,
        bc: Some(bc),
        sl: None,
        ctx,
    }
}

/// A B2B wholesaler on Sparklayer with the `b2b-wholesale` plugin.
pub async fn b2b(styles: usize) -> Harness {
    let (dir, store, erp, gateway) = base(styles).await;
    let sl = sl_sandbox::Sandbox::start(sl_sandbox::SandboxConfig::default())
        .await
        .expect("Sparklayer sandbox");
    let client = Arc::new(SparklayerClient::new(sl.client_config()).expect("Sparklayer client"));
    let ctx = ClientServices {
        client: "wholesaler".into(),
        store: store.clone() as Arc<dyn Store>,
        erp: gateway,
        storefront: StorefrontClient::Sparklayer(client),
        plugin: plugin("wholesaler", "b2b-wholesale").await,
        owners: Arc::new(Owners::default()),
    };
    Harness {
        _dir: dir,
        store,
        erp,
        bc: None,
        sl: Some(sl),
        ctx,
    }
}

impl Harness {
    pub fn bc(&self) -> &bc_sandbox::Sandbox {
        self.bc.as_ref().expect("a BigCommerce client")
    }

    pub fn sl(&self) -> &sl_sandbox::Sandbox {
        self.sl.as_ref().expect("a Sparklayer client")
    }

    pub fn bc_client(&self) -> &BigCommerceClient {
        match &self.ctx.storefront {
            StorefrontClient::BigCommerce(c) => c,
            StorefrontClient::Sparklayer(_) => panic!("not a BigCommerce client"),
        }
    }

    /// Creates a BigCommerce location with this code; returns its id.
    pub async fn add_bc_location(&self, code: &str) -> i64 {
        let new = NewLocation {
            code: code.into(),
            label: format!("Warehouse {code}"),
            enabled: true,
            type_id: LocationType::Physical,
            managed_by_external_source: false,
            time_zone: "America/New_York".into(),
            address: LocationAddress::default(),
        };
        self.bc_client()
            .create_location(&new)
            .await
            .expect("location")
            .id
    }

    /// Opens extra ERP warehouses stocked like `NJ01` (quantities shifted by the warehouse
    /// number), so one SKU has stock at several locations.
    pub fn add_erp_warehouses(&self, codes: &[&str]) {
        self.erp.with_state(|s| {
            let nj: Vec<_> = s
                .stock
                .iter()
                .filter(|((w, _), _)| w == "NJ01")
                .map(|((_, k), b)| (k.clone(), *b))
                .collect();
            for (n, code) in codes.iter().enumerate() {
                s.warehouses.insert(code.to_string(), "01".into());
                for (sku, b) in &nj {
                    let mut b = *b;
                    b.total_qoh += n as i64 + 1;
                    s.stock.insert((code.to_string(), sku.clone()), b);
                }
            }
        });
    }

    /// Runs a flow the way the scheduler does: inside a sync run record, so the next inventory
    /// run sees the measured latency.
    pub async fn run_recorded<F, Fut>(&self, flow: &str, f: F) -> FlowReport
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<FlowReport, selvedge::flows::FlowError>>,
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
