//! Helpers shared by the sandbox behaviour tests.
#![allow(dead_code, clippy::unwrap_used)]

use selvedge_bluecherry::model::{AtsRow, Cents, SalesOrderLineRequest, SalesOrderRequest};
use selvedge_bluecherry::sandbox::seed::{DIVISION_ECOM, WAREHOUSE_NJ, WEB_CUSTOMER};
use selvedge_bluecherry::{BlueCherryClient, BlueCherryConfig, Sandbox, SandboxConfig};
use selvedge_connector_kit::RetryPolicy;
use time::macros::date;

pub async fn sandbox(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("sandbox starts")
}

pub fn client(sb: &Sandbox, timeout_ms: u64, retry: RetryPolicy) -> BlueCherryClient {
    let mut cfg = BlueCherryConfig::new(sb.base_url());
    cfg.timeout_ms = timeout_ms;
    cfg.retry = retry;
    cfg.page_size = 50;
    BlueCherryClient::new(&cfg, sb.api_key()).expect("client builds")
}

pub fn order(external_ref: &str, lines: &[(&str, i64)]) -> SalesOrderRequest {
    SalesOrderRequest {
        external_ref: external_ref.to_string(),
        division: Some(DIVISION_ECOM.to_string()),
        warehouse: Some(WAREHOUSE_NJ.to_string()),
        customer: WEB_CUSTOMER.to_string(),
        terms: None,
        po_number: None,
        other_reference: Some("BC#1001".to_string()),
        ship_via: Some("UPSG".to_string()),
        order_date: date!(2026 - 11 - 23),
        ship_date: None,
        cancel_date: None,
        authorised: false,
        tax_amount: Cents(412),
        ship_to: None,
        lines: lines
            .iter()
            .map(|(sku, qty)| SalesOrderLineRequest {
                sku: Some(sku.to_string()),
                upc: None,
                qty: *qty,
                unit_price: Cents(2800),
            })
            .collect(),
    }
}

/// A sandbox-only route, called as a test or an operator would.
pub async fn sandbox_post(sb: &Sandbox, path: &str, body: serde_json::Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/sandbox{path}", sb.base_url()))
        .json(&body)
        .send()
        .await
        .expect("sandbox route answers")
}

pub fn row<'a>(rows: &'a [AtsRow], warehouse: &str, sku: &str) -> &'a AtsRow {
    rows.iter()
        .find(|r| r.warehouse == warehouse && r.sku == sku)
        .expect("row present")
}

/// `n` different SKUs like [`stocked_sku`].
pub async fn stocked_skus(c: &BlueCherryClient, n: usize) -> Vec<String> {
    let snap = c.ats_snapshot(1).await.expect("snapshot 1");
    let skus: Vec<String> = snap
        .rows
        .iter()
        .filter(|r| {
            r.warehouse == WAREHOUSE_NJ && r.buckets.total_qoh > 20 && r.buckets.total_prod == 0
        })
        .map(|r| r.sku.clone())
        .take(n)
        .collect();
    assert_eq!(skus.len(), n, "enough stocked SKUs");
    skus
}

/// A SKU with stock in NJ01 and no open work order, so only the test moves it.
pub async fn stocked_sku(c: &BlueCherryClient) -> String {
    let snap = c.ats_snapshot(1).await.expect("snapshot 1");
    snap.rows
        .iter()
        .find(|r| {
            r.warehouse == WAREHOUSE_NJ && r.buckets.total_qoh > 20 && r.buckets.total_prod == 0
        })
        .expect("a stocked SKU")
        .sku
        .clone()
}

/// A sandbox-only route with any method and an optional JSON body.
pub async fn sandbox_call(
    sb: &Sandbox,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> reqwest::Response {
    let mut req =
        reqwest::Client::new().request(method, format!("{}/sandbox{path}", sb.base_url()));
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.expect("sandbox route answers")
}

/// A `/v1` GET with the sandbox's key, answered as raw JSON (to see exactly what the gateway says).
pub async fn v1_get(sb: &Sandbox, path_and_query: &str) -> serde_json::Value {
    let resp = reqwest::Client::new()
        .get(format!("{}/v1{path_and_query}", sb.base_url()))
        .bearer_auth(sb.api_key())
        .send()
        .await
        .expect("gateway answers");
    assert_eq!(resp.status(), 200, "GET /v1{path_and_query}");
    resp.json().await.expect("JSON body")
}
