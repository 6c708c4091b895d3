//! Set-up of the order, fulfilment and refund tests (and the order-drop benchmark): the
//! sandboxes on loopback, a SQLite file in a temp dir, the real example plugins, and the
//! host's webhook endpoint served on loopback with hooks registered on BigCommerce.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use selvedge::flows::orders::{self, Injector, IntakeClient, OrdersSettings};
use selvedge::flows::{ClientServices, Owners, StorefrontClient};
use selvedge_bigcommerce::BigCommerceClient;
use selvedge_bigcommerce::Money;
use selvedge_bigcommerce::model::BillingAddress;
use selvedge_bigcommerce::sandbox::{OrderLineInput, SandboxOrder, SeedProduct};
use selvedge_bluecherry::model::{
    AtsSnapshot, CreditMemo, CreditMemoRequest, Customer, CycleStatus, PriceLevel, SalesOrder,
    SalesOrderRequest, ShipmentPage, Style,
};
use selvedge_bluecherry::{BlueCherryClient, BlueCherryConfig, ErpGateway, GatewayFuture};
use selvedge_connector_kit::RetryPolicy;
use selvedge_runtime::{
    ClientContext, ClientPlugin, PluginLimits, PluginRegistry, Runtime, RuntimeOptions,
};
use selvedge_sparklayer::SparklayerClient;
use selvedge_store::{SqliteStore, Store};
use tempfile::TempDir;

pub use selvedge_bigcommerce::sandbox as bc_sandbox;
pub use selvedge_bluecherry::sandbox as erp_sandbox;
pub use selvedge_sparklayer::sandbox as sl_sandbox;

pub const SECRET: &str = "s3cret-hook-value";

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

/// The fixture context of an example plugin, plus test-only entries.
fn context(plugin: &str) -> ClientContext {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins")
        .join(plugin)
        .join("fixtures/context.toml");
    let text = std::fs::read_to_string(&path).expect("fixture context");
    let ctx: ClientContext = toml::from_str(&text).expect("fixture context parses");
    // Sparklayer's stock location ids: WH-NJ is mapped, WH-LDN is not (default warehouse).
    ctx.with_mapping("location_warehouse", "WH-NJ", "NJ01/02")
        .with_rule("po_field", "PO Number")
}

pub async fn plugin(client: &str, name: &str) -> Arc<ClientPlugin> {
    let registry = PluginRegistry::new(runtime());
    let slot = registry.add_client(client, context(name), PluginLimits::default(), None);
    slot.install_file(&selvedge_plugin_artifacts::component(name), None)
        .await
        .expect("plugin installs");
    slot
}

/// Knobs of an environment.
#[derive(Clone)]
pub struct Options {
    /// ERP client timeout (a hung create becomes ambiguous after this).
    pub erp_timeout_ms: u64,
    /// Read retries of the ERP client.
    pub erp_retry: RetryPolicy,
    /// BigCommerce sandbox config.
    pub bc: bc_sandbox::SandboxConfig,
    /// Register the order hooks (off: only the scheduled sweep sees orders).
    pub register_hooks: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            erp_timeout_ms: 2_000,
            erp_retry: RetryPolicy::fast(),
            bc: bc_sandbox::SandboxConfig {
                quota: 10_000_000,
                window_ms: 1_000,
                webhook_time_scale: 0.001,
                ..Default::default()
            },
            register_hooks: true,
        }
    }
}

/// Fast, small settings: retries in milliseconds, no pacing unless a test sets it.
pub fn fast_settings() -> OrdersSettings {
    let mut s = OrdersSettings {
        max_attempts: 4,
        retry_base_ms: 20,
        retry_max_ms: 200,
        lease_ms: 2_000,
        idle_poll_ms: 20,
        ..OrdersSettings::default()
    };
    s.pacing.max_per_second = 0;
    s
}

pub struct Env {
    pub dir: TempDir,
    pub store: Arc<SqliteStore>,
    pub erp: erp_sandbox::Sandbox,
    pub bc: Option<bc_sandbox::Sandbox>,
    pub sl: Option<sl_sandbox::Sandbox>,
    pub ctx: ClientServices,
    /// `http://127.0.0.1:PORT/webhooks/bigcommerce/{client}`.
    pub webhook_url: String,
    /// SKUs both the ERP and the storefront know.
    pub skus: Vec<String>,
}

pub async fn erp(options: &Options) -> (erp_sandbox::Sandbox, Arc<dyn ErpGateway>, Vec<String>) {
    let erp = erp_sandbox::Sandbox::start(erp_sandbox::SandboxConfig {
        styles: 6,
        ..Default::default()
    })
    .await
    .expect("ERP sandbox");
    // b2c-apparel marks card orders `authorised`, and the ERP checks authorised orders
    // against credit; the seeded web customer has none. Give it a credit line here (reported
    // upstream: plugin or seed should change).
    erp.with_state(|s| {
        for c in s.customers.iter_mut().filter(|c| c.customer == "WEB001") {
            c.credit_limit = selvedge_bluecherry::model::Cents(1_000_000_000_000);
        }
    });
    let mut config = BlueCherryConfig::new(erp.base_url());
    config.timeout_ms = options.erp_timeout_ms;
    config.retry = options.erp_retry;
    let client = BlueCherryClient::new(&config, erp.api_key()).expect("ERP client");
    // SKUs with stock in NJ01 and no dimension (the BigCommerce seed builds style-colour-size).
    let skus = erp.with_state(|s| {
        s.styles
            .iter()
            .filter(|st| st.dimensions.is_empty())
            .flat_map(|st| st.skus.iter().map(|k| k.sku.clone()))
            .take(40)
            .collect::<Vec<_>>()
    });
    (erp, Arc::new(client), skus)
}

/// Serves the host's webhook endpoint for `client` on loopback; returns the URL.
pub async fn serve_intake(
    client: &str,
    store: Arc<dyn Store>,
    settings: &OrdersSettings,
) -> String {
    let intake = IntakeClient::new(store, SECRET, settings);
    let router = orders::router(HashMap::from([(client.to_string(), intake)]));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}/webhooks/bigcommerce/{client}")
}

/// A B2C brand on BigCommerce (`b2c-apparel`), hooks registered with the secret.
pub async fn b2c(options: Options, settings: &OrdersSettings) -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(
        SqliteStore::open(dir.path().join("state.db"))
            .await
            .expect("store"),
    );
    let (erp, gateway, skus) = erp(&options).await;
    let bc = bc_sandbox::Sandbox::start(options.bc.clone())
        .await
        .expect("BigCommerce sandbox");
    let seed: Vec<SeedProduct> = erp.with_state(|s| {
        s.styles
            .iter()
            .filter(|st| st.dimensions.is_empty())
            .map(|st| SeedProduct {
                name: st.name.clone(),
                style: st.style.clone(),
                price: Money(2800),
                sizes: st.sizes.iter().map(|z| z.code.clone()).collect(),
                colours: st.colours.iter().map(|c| c.code.clone()).collect(),
                stock: 1_000_000,
                custom_fields: vec![],
            })
            .collect()
    });
    bc.handle().seed(&seed).expect("seed");
    let mut config = bc.client_config();
    config.retry = RetryPolicy::fast();
    let client = Arc::new(BigCommerceClient::new(config).expect("BigCommerce client"));
    let webhook_url = serve_intake("brand", store.clone() as Arc<dyn Store>, settings).await;
    if options.register_hooks {
        orders::register_webhooks(&client, &webhook_url, SECRET)
            .await
            .expect("hooks registered");
    }
    let ctx = ClientServices {
        client: "brand".into(),
        store: store.clone() as Arc<dyn Store>,
        erp: gateway,
        storefront: StorefrontClient::BigCommerce(client),
        plugin: plugin("brand", "b2c-apparel").await,
        owners: Arc::new(Owners::default()),
    };
    Env {
        dir,
        store,
        erp,
        bc: Some(bc),
        sl: None,
        ctx,
        webhook_url,
        skus,
    }
}

/// A B2B wholesaler on Sparklayer (`b2b-wholesale`) whose buyer `cust_c10001` is ERP
/// customer `C10001` with pay-on-account terms.
pub async fn b2b(options: Options) -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(
        SqliteStore::open(dir.path().join("state.db"))
            .await
            .expect("store"),
    );
    let (erp, gateway, skus) = erp(&options).await;
    let sl = sl_sandbox::Sandbox::start(sl_sandbox::SandboxConfig {
        po_number_attribute: "PO Number".into(),
        ..Default::default()
    })
    .await
    .expect("Sparklayer sandbox");
    // Stock locations WH-LDN and WH-NJ (and the demo buyers, unused here).
    sl_sandbox::seed_demo(sl.state());
    let terms = selvedge_sparklayer::model::PaymentOnAccount::new(10_000_000, 0, Some(30));
    sl.state()
        .add_customer(selvedge_sparklayer::model::Customer {
            id: "cust_c10001".into(),
            external_id: Some("C10001".into()),
            email: Some("buyer@c10001.example".into()),
            name: Some("Harbor Outfitters".into()),
            customer_group: Some("trade".into()),
            metafields: vec![selvedge_sparklayer::model::Metafield {
                namespace: "sparklayer".into(),
                key: "payment_on_account".into(),
                value: serde_json::to_string(&terms).expect("terms json"),
            }],
            extra: Default::default(),
        });
    let client = Arc::new(SparklayerClient::new(sl.client_config()).expect("Sparklayer client"));
    let ctx = ClientServices {
        client: "wholesaler".into(),
        store: store.clone() as Arc<dyn Store>,
        erp: gateway,
        storefront: StorefrontClient::Sparklayer(client),
        plugin: plugin("wholesaler", "b2b-wholesale").await,
        owners: Arc::new(Owners::default()),
    };
    Env {
        dir,
        store,
        erp,
        bc: None,
        sl: Some(sl),
        ctx,
        webhook_url: String::new(),
        skus,
    }
}

impl Env {
    pub fn bc(&self) -> &bc_sandbox::Sandbox {
        self.bc.as_ref().expect("BigCommerce")
    }

    pub fn bc_client(&self) -> &BigCommerceClient {
        match &self.ctx.storefront {
            StorefrontClient::BigCommerce(c) => c,
            StorefrontClient::Sparklayer(_) => panic!("not a BigCommerce client"),
        }
    }

    pub fn sl(&self) -> &sl_sandbox::Sandbox {
        self.sl.as_ref().expect("Sparklayer")
    }

    /// A shopper checkout on BigCommerce (fires `store/order/created`).
    pub fn checkout(&self, shipping_method: &str, lines: &[(&str, i64)]) -> i64 {
        self.bc()
            .handle()
            .create_order(&SandboxOrder {
                shipping_address: address(),
                shipping_method: shipping_method.into(),
                products: lines
                    .iter()
                    .map(|(sku, quantity)| OrderLineInput {
                        sku: (*sku).to_string(),
                        quantity: *quantity,
                        price: None,
                    })
                    .collect(),
                ..SandboxOrder::default()
            })
            .expect("checkout")
    }

    /// Runs the injector in the background until the returned sender is dropped or set.
    pub fn start_injector(&self, settings: OrdersSettings) -> tokio::sync::watch::Sender<bool> {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let injector = Arc::new(Injector::new(self.ctx.clone(), settings));
        tokio::spawn(injector.work(rx));
        tx
    }

    /// ERP sales orders: (external_ref, order_number).
    pub fn erp_orders(&self) -> Vec<(String, String)> {
        self.erp.with_state(|s| {
            s.orders
                .iter()
                .map(|o| (o.order.external_ref.clone(), o.order.order_number.clone()))
                .collect()
        })
    }
}

pub fn address() -> BillingAddress {
    BillingAddress {
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        street_1: "1 Main St".into(),
        city: "Newark".into(),
        state: "NJ".into(),
        zip: "07102".into(),
        country: "United States".into(),
        country_iso2: "US".into(),
        email: "ada@example.com".into(),
        ..BillingAddress::default()
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

/// The ERP as it is, counting creates; the first `memo_failures` credit-memo creates meet a
/// 503 from the sandbox (armed over HTTP just before each create, so only creates fail).
pub struct ProbeErp {
    inner: Arc<dyn ErpGateway>,
    faults_url: String,
    /// Credit-memo creates still to fail.
    pub memo_failures: AtomicU32,
    /// Sales-order creates sent.
    pub order_creates: AtomicU32,
    /// Credit-memo creates sent.
    pub memo_creates: AtomicU32,
    /// When each sales-order create was sent.
    pub order_create_times: std::sync::Mutex<Vec<Instant>>,
}

impl ProbeErp {
    pub fn new(inner: Arc<dyn ErpGateway>, erp_base_url: &str) -> Arc<Self> {
        Arc::new(Self {
            inner,
            faults_url: format!("{erp_base_url}/sandbox/faults"),
            memo_failures: AtomicU32::new(0),
            order_creates: AtomicU32::new(0),
            memo_creates: AtomicU32::new(0),
            order_create_times: std::sync::Mutex::default(),
        })
    }
}

impl ErpGateway for ProbeErp {
    fn list_styles(&self, since: Option<time::OffsetDateTime>) -> GatewayFuture<'_, Vec<Style>> {
        self.inner.list_styles(since)
    }
    fn cycle_status(&self) -> GatewayFuture<'_, CycleStatus> {
        self.inner.cycle_status()
    }
    fn ats_snapshot(&self, cycle_id: u64) -> GatewayFuture<'_, AtsSnapshot> {
        self.inner.ats_snapshot(cycle_id)
    }
    fn create_sales_order<'a>(&'a self, o: &'a SalesOrderRequest) -> GatewayFuture<'a, SalesOrder> {
        self.order_creates.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut times) = self.order_create_times.lock() {
            times.push(Instant::now());
        }
        self.inner.create_sales_order(o)
    }
    fn find_sales_order<'a>(&'a self, r: &'a str) -> GatewayFuture<'a, Option<SalesOrder>> {
        self.inner.find_sales_order(r)
    }
    fn get_sales_order<'a>(&'a self, n: &'a str) -> GatewayFuture<'a, SalesOrder> {
        self.inner.get_sales_order(n)
    }
    fn revise_sales_order<'a>(
        &'a self,
        n: &'a str,
        revision: u32,
        o: &'a SalesOrderRequest,
    ) -> GatewayFuture<'a, SalesOrder> {
        self.inner.revise_sales_order(n, revision, o)
    }
    fn list_shipments<'a>(
        &'a self,
        c: Option<&'a str>,
        l: usize,
    ) -> GatewayFuture<'a, ShipmentPage> {
        self.inner.list_shipments(c, l)
    }
    fn create_credit_memo<'a>(&'a self, m: &'a CreditMemoRequest) -> GatewayFuture<'a, CreditMemo> {
        Box::pin(async move {
            self.memo_creates.fetch_add(1, Ordering::SeqCst);
            let fail = self
                .memo_failures
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if fail {
                let body = serde_json::json!({ "fail_next": 1, "fail_status": 503 });
                let http = reqwest::Client::new();
                http.put(&self.faults_url)
                    .json(&body)
                    .send()
                    .await
                    .expect("faults armed");
            }
            self.inner.create_credit_memo(m).await
        })
    }
    fn find_credit_memo<'a>(&'a self, r: &'a str) -> GatewayFuture<'a, Option<CreditMemo>> {
        self.inner.find_credit_memo(r)
    }
    fn list_customers(&self) -> GatewayFuture<'_, Vec<Customer>> {
        self.inner.list_customers()
    }
    fn list_price_levels<'a>(&'a self, l: Option<&'a str>) -> GatewayFuture<'a, Vec<PriceLevel>> {
        self.inner.list_price_levels(l)
    }
}
