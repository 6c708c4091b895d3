//! The sandbox-only `/sandbox/...` routes the demo drives over HTTP.

use selvedge_sparklayer::Error;
use selvedge_sparklayer::sandbox::SandboxConfig;
use serde_json::{Value, json};

use crate::common::setup_with;

#[tokio::test]
async fn admin_routes_seed_checkout_edit_inject_faults_and_show_state() {
    let (sandbox, client) =
        setup_with(SandboxConfig::default(), |c| c.max_retry_after_secs = 0).await;
    let http = reqwest::Client::new();
    let base = sandbox.base_url();
    let post = |path: &str, body: Value| http.post(format!("{base}{path}")).json(&body).send();

    assert_eq!(
        post("/sandbox/seed", json!({}))
            .await
            .expect("seed")
            .status(),
        204
    );
    let placed = post(
        "/sandbox/purchases",
        json!({
            "customer_id": "cust_harbour",
            "lines": [{"sku": "TEE-ORG-BLK-M", "quantity": 24, "price_cents": 1080}],
            "payment_method": "pay_on_account",
            "po_number": "PO-9",
            "stock_location_external_id": "WH-NJ"
        }),
    )
    .await
    .expect("checkout");
    assert_eq!(placed.status(), 201);
    let placed: Value = placed.json().await.expect("purchase json");
    assert_eq!(placed["attributes"]["po_number"], "PO-9");
    let id = placed["purchase_identifiers"]["sparklayer"]
        .as_str()
        .expect("id")
        .to_owned();

    let edited: Value = http
        .patch(format!("{base}/sandbox/purchases/{id}"))
        .json(&json!({"status": "processing"}))
        .send()
        .await
        .expect("edit")
        .json()
        .await
        .expect("json");
    assert_eq!(edited["status"], "processing");
    assert_ne!(edited["updated_at"], placed["updated_at"]);

    let fault = post("/sandbox/faults", json!({"server_errors": 1}))
        .await
        .expect("faults");
    assert_eq!(fault.status(), 204);
    client
        .list_stock_locations()
        .await
        .expect("retried past the 503");
    assert_eq!(client.stats().snapshot().server_errors, 1);

    let quota = http
        .put(format!("{base}/sandbox/quota"))
        .json(&json!({"quota": 0, "window_ms": 60_000}))
        .send()
        .await
        .expect("quota");
    assert_eq!(quota.status(), 204);
    let err = client.list_stock_locations().await.expect_err("over quota");
    assert!(
        matches!(
            err,
            Error::Api {
                status: 429,
                retry_after: Some(_),
                ..
            }
        ),
        "{err:?}"
    );
    http.delete(format!("{base}/sandbox/quota"))
        .send()
        .await
        .expect("clear quota");
    client.list_stock_locations().await.expect("quota lifted");

    let state: Value = http
        .get(format!("{base}/sandbox/state"))
        .send()
        .await
        .expect("state")
        .json()
        .await
        .expect("json");
    assert_eq!(state["customers"].as_array().map(Vec::len), Some(3));
    assert_eq!(state["price_lists"].as_array().map(Vec::len), Some(2));
    assert_eq!(state["purchases"][0]["status"], "processing");
    assert!(state["stats"]["requests"].as_u64() > Some(0));

    let lifetime = http
        .put(format!("{base}/sandbox/token-lifetime"))
        .json(&json!({"secs": 0}))
        .send()
        .await
        .expect("lifetime");
    assert_eq!(lifetime.status(), 204);
    post("/sandbox/tokens/expire", json!({}))
        .await
        .expect("expire");
    let err = client
        .list_stock_locations()
        .await
        .expect_err("tokens now die at once");
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
}
