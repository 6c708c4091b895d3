//! Shared helpers of the sandbox-backed tests.
#![allow(dead_code)]

pub mod receiver;
pub mod schema;
pub mod spec;

use selvedge_bigcommerce::model::{BillingAddress, FormField, Money};
use selvedge_bigcommerce::sandbox::{OrderLineInput, SandboxHandle, SandboxOrder, SeedProduct};
use selvedge_bigcommerce::{BigCommerceClient, BigCommerceConfig, Sandbox, SandboxConfig};
use selvedge_connector_kit::RetryPolicy;

/// Sandbox config for tests: generous quota, fast webhook retries.
pub fn sandbox_config() -> SandboxConfig {
    SandboxConfig {
        quota: 10_000,
        window_ms: 30_000,
        webhook_time_scale: 0.001,
        webhook_timeout_ms: 500,
        ..SandboxConfig::default()
    }
}

/// A test's sandbox: when the test ends (without panicking), every exchange it recorded is
/// checked against the OpenAPI specs, so each behaviour test is a conformance test too.
/// A test that sends a deliberately invalid request clears the log after it.
pub struct Checked(Sandbox);

impl std::ops::Deref for Checked {
    type Target = Sandbox;
    fn deref(&self) -> &Sandbox {
        &self.0
    }
}

impl Drop for Checked {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            spec::assert_conforms(&self.0.handle().exchanges());
        }
    }
}

/// Checks what was recorded so far, then forgets it: call it before a request that breaks
/// the spec on purpose, and clear the log after that request.
pub fn checkpoint(sandbox: &Sandbox) {
    spec::assert_conforms(&sandbox.handle().exchanges());
    sandbox.handle().clear_log();
}

/// Starts a sandbox and a client with fast retries.
pub async fn start() -> (Checked, BigCommerceClient) {
    start_with(sandbox_config()).await
}

pub async fn start_with(config: SandboxConfig) -> (Checked, BigCommerceClient) {
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    let client = client_for(&sandbox, |_| {});
    (Checked(sandbox), client)
}

pub fn client_for(
    sandbox: &Sandbox,
    tweak: impl FnOnce(&mut BigCommerceConfig),
) -> BigCommerceClient {
    let mut cfg = sandbox.client_config();
    cfg.retry = RetryPolicy::fast();
    cfg.timeout_ms = 2_000;
    tweak(&mut cfg);
    BigCommerceClient::new(cfg).expect("client builds")
}

/// Sends a request straight to the sandbox API (`api` is `v2` or `v3`; `path` may carry a
/// query string) and returns the status and the JSON body (`Null` when there is none).
pub async fn raw(
    sandbox: &Sandbox,
    method: reqwest::Method,
    api: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let cfg = sandbox.client_config();
    let root = if api == "v2" {
        cfg.v2_root()
    } else {
        cfg.v3_root()
    };
    let mut req = reqwest::Client::new()
        .request(method, format!("{root}{path}"))
        .header("X-Auth-Token", &cfg.access_token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.expect("sandbox answers");
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.expect("body");
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

/// One small style: TST-{colour}-{size}.
pub fn small_style(style: &str) -> SeedProduct {
    SeedProduct {
        name: format!("Test style {style}"),
        style: style.to_owned(),
        price: Money(2500),
        sizes: vec!["S".into(), "M".into(), "L".into()],
        colours: vec!["Navy".into(), "Black".into()],
        stock: 10,
        custom_fields: vec![("season".into(), "SS26".into())],
    }
}

pub fn address() -> BillingAddress {
    BillingAddress {
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        street_1: "1 Loom Street".into(),
        city: "Manchester".into(),
        state: "Greater Manchester".into(),
        zip: "M1 1AA".into(),
        country: "United Kingdom".into(),
        country_iso2: "GB".into(),
        email: "ada@example.com".into(),
        ..BillingAddress::default()
    }
}

/// A checkout of `lines` (sku, qty) with UPS Ground shipping at 7.50.
pub fn checkout(lines: &[(&str, i64)]) -> SandboxOrder {
    SandboxOrder {
        customer_id: 42,
        shipping_address: address(),
        shipping_method: "UPS Ground".into(),
        shipping_cost: Money(750),
        products: lines
            .iter()
            .map(|(sku, q)| OrderLineInput {
                sku: (*sku).into(),
                quantity: *q,
                price: None,
            })
            .collect(),
        customer_message: "Please gift wrap".into(),
        form_fields: vec![FormField {
            name: "PO number".into(),
            value: "PO-1234".into(),
        }],
        ..SandboxOrder::default()
    }
}

/// Seeds one style and places one order for it; returns the order id.
pub fn seeded_order(h: &SandboxHandle, style: &str, lines: &[(&str, i64)]) -> i64 {
    h.seed(&[small_style(style)]).expect("seed");
    h.create_order(&checkout(lines)).expect("order")
}
