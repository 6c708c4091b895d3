//! The sandbox's `/sandbox/...` admin routes, driven over HTTP as a demo script would.

mod common;

use serde_json::{Value, json};

#[tokio::test]
async fn admin_routes_seed_order_tune_and_report_over_http() {
    let (sandbox, client) = common::start().await;
    let base = sandbox.base_url();
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut req = http.request(method, format!("{base}{path}"));
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send()
    };

    let seeded = call(reqwest::Method::POST, "/sandbox/seed/apparel", None)
        .await
        .expect("seed");
    assert_eq!(seeded.status().as_u16(), 201);
    let ids: Value = seeded.json().await.expect("json");
    assert_eq!(ids["product_ids"].as_array().map(Vec::len), Some(5));

    let custom = json!([{"name": "Beanie", "style": "BEA1", "price": "18.0000", "sizes": ["OS"], "colours": ["Red"], "stock": 3}]);
    assert_eq!(
        call(reqwest::Method::POST, "/sandbox/seed", Some(custom))
            .await
            .expect("seed")
            .status()
            .as_u16(),
        201
    );

    let order = json!({
        "customer_id": 7,
        "shipping_address": {"first_name": "Ada", "street_1": "1 Loom St", "city": "Leeds", "zip": "LS1", "country_iso2": "GB"},
        "shipping_method": "Royal Mail Tracked",
        "shipping_cost": "4.9500",
        "products": [{"sku": "TEE100-NAVY-M", "quantity": 2}, {"sku": "BEA1-RED-OS", "quantity": 1}],
        "customer_message": "Leave with neighbour",
        "form_fields": [{"name": "Gift", "value": "yes"}]
    });
    let created = call(reqwest::Method::POST, "/sandbox/orders", Some(order))
        .await
        .expect("order");
    assert_eq!(created.status().as_u16(), 201);
    let order_id = created.json::<Value>().await.expect("json")["id"]
        .as_i64()
        .expect("id");
    let got = client.get_order(order_id).await.expect("order");
    assert_eq!(got.total_inc_tax.cents(), 2 * 2400 + 1800 + 495);
    let bad = call(reqwest::Method::POST, "/sandbox/orders", Some(json!({"shipping_address": {}, "shipping_method": "x", "products": [{"sku": "NOPE", "quantity": 1}]}))).await.expect("order");
    assert_eq!(bad.status().as_u16(), 422);

    assert_eq!(
        call(
            reqwest::Method::PUT,
            "/sandbox/inventory_lag",
            Some(json!({"lag_ms": 5}))
        )
        .await
        .expect("lag")
        .status()
        .as_u16(),
        204
    );
    let fault = json!({"status": 503, "count": 1, "method": "GET", "path_contains": "/orders"});
    assert_eq!(
        call(reqwest::Method::POST, "/sandbox/faults", Some(fault))
            .await
            .expect("fault")
            .status()
            .as_u16(),
        204
    );
    client
        .get_order(order_id)
        .await
        .expect("retried past the injected 503");
    assert_eq!(
        call(
            reqwest::Method::POST,
            "/sandbox/duplicates",
            Some(json!({"count": 1}))
        )
        .await
        .expect("dup")
        .status()
        .as_u16(),
        204
    );
    assert_eq!(
        call(
            reqwest::Method::PUT,
            "/sandbox/quota",
            Some(json!({"quota": 1, "window_ms": 60000}))
        )
        .await
        .expect("quota")
        .status()
        .as_u16(),
        204
    );
    let cfg = sandbox.client_config();
    let throttled = |_: ()| {
        http.get(format!("{}/inventory/locations", cfg.v3_root()))
            .header("X-Auth-Token", &cfg.access_token)
            .send()
    };
    assert_eq!(throttled(()).await.expect("first").status().as_u16(), 200);
    assert_eq!(throttled(()).await.expect("second").status().as_u16(), 429);

    let counters: Value = call(reqwest::Method::GET, "/sandbox/counters", None)
        .await
        .expect("counters")
        .json()
        .await
        .expect("json");
    assert_eq!(counters["throttled"], 1);
    assert_eq!(
        counters["requests"]["GET /stores/{store_hash}/v2/orders/{order_id}"],
        3
    );
    let log: Value = call(reqwest::Method::GET, "/sandbox/requests", None)
        .await
        .expect("log")
        .json()
        .await
        .expect("json");
    let statuses: Vec<i64> = log
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["status"].as_i64())
        .collect();
    assert_eq!(statuses, vec![200, 503, 200, 200, 429]);
    assert_eq!(
        call(reqwest::Method::DELETE, "/sandbox/requests", None)
            .await
            .expect("clear")
            .status()
            .as_u16(),
        204
    );
    let log: Value = call(reqwest::Method::GET, "/sandbox/requests", None)
        .await
        .expect("log")
        .json()
        .await
        .expect("json");
    assert_eq!(log.as_array().map(Vec::len), Some(0));
    let deliveries: Value = call(reqwest::Method::GET, "/sandbox/deliveries", None)
        .await
        .expect("deliveries")
        .json()
        .await
        .expect("json");
    assert!(deliveries.is_array());
    let strict = call(
        reqwest::Method::PUT,
        "/sandbox/quota",
        Some(json!({"quota": 1, "typo": 2})),
    )
    .await
    .expect("quota");
    assert!(
        strict.status().is_client_error(),
        "admin bodies reject unknown fields"
    );
}
