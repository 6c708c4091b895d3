//! Health, chart series and decision traces.

use reqwest::StatusCode;
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn health_reports_latency_frequency_queue_depth_and_injection_rate() {
    let host = start().await;
    let end = now() - time::Duration::seconds(90);
    let m = Measurements {
        api_calls: Some(12),
        throttled: Some(1),
        erp_cycle_id: Some("42".into()),
        erp_cycle_end: Some(end),
        storefront_updated_at: Some(end + time::Duration::seconds(30)),
        ..Measurements::default()
    };
    run(&host.store, "inventory", RunStatus::Succeeded, m.clone()).await;
    run(&host.store, "inventory", RunStatus::Succeeded, m).await;
    run(
        &host.store,
        "orders",
        RunStatus::Failed,
        Measurements::default(),
    )
    .await;
    for i in 0..3 {
        host.store
            .enqueue(
                NewJob {
                    client: CLIENT.into(),
                    kind: selvedge::flows::orders::order_kind(CLIENT),
                    idempotency_key: format!("o-{i}"),
                    payload: json!({}),
                    run_at: now(),
                    max_attempts: 3,
                },
                now(),
            )
            .await
            .expect("enqueue");
    }
    for (n, end_state) in [
        ("1", OrderState::Injected),
        ("2", OrderState::Injected),
        ("3", OrderState::Injected),
        ("4", OrderState::Exception),
    ] {
        let key = OrderKey::new(CLIENT, "bigcommerce", n);
        host.store
            .record_order_received(&key, "h", now())
            .await
            .expect("received");
        if end_state == OrderState::Injected {
            host.store
                .transition_order(&key, OrderState::Injecting, None, now())
                .await
                .expect("injecting");
            host.store
                .record_injected(
                    &key,
                    &format!("ERP-{n}"),
                    selvedge_store::ErpSnapshot {
                        value_minor: 100,
                        qty: 1,
                    },
                    &[],
                    now(),
                )
                .await
                .expect("injected");
        } else {
            host.store
                .transition_order(&key, OrderState::Exception, Some("rejected"), now())
                .await
                .expect("exception");
        }
    }
    let (status, body) = host.get(&format!("/api/clients/{CLIENT}/health")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let h = &body["health"];
    assert_eq!(h["cycle_latency_secs"].as_f64(), Some(30.0));
    assert_eq!(h["inventory_updates_last_hour"], 2);
    assert_eq!(h["order_queue_depth"], 3);
    assert_eq!(h["orders_injected"], 3);
    assert_eq!(h["orders_failed"], 1);
    assert_eq!(h["injection_success_rate"].as_f64(), Some(0.75));
    assert_eq!(h["last_inventory"]["erp_cycle_id"], "42");
    let orders = h["flows"]
        .as_array()
        .expect("flows")
        .iter()
        .find(|f| f["flow"] == "orders")
        .expect("orders flow");
    assert_eq!(orders["last_run"]["status"], "failed");
    let (status, list) = host.get("/api/clients").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list[0]["id"], CLIENT);
    let (status, _) = host.get("/api/clients/nobody/health").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn series_gives_inventory_lag_and_injection_success_oldest_first() {
    let host = start().await;
    for lag in [10, 20, 40] {
        let end = now() - time::Duration::minutes(5);
        let m = Measurements {
            erp_cycle_end: Some(end),
            storefront_updated_at: Some(end + time::Duration::seconds(lag)),
            ..Measurements::default()
        };
        run(&host.store, "inventory", RunStatus::Succeeded, m).await;
    }
    for (n, ok) in [("1", true), ("2", true), ("3", true), ("4", false)] {
        let key = OrderKey::new(CLIENT, "bigcommerce", n);
        host.store
            .record_order_received(&key, "h", now())
            .await
            .expect("received");
        if ok {
            host.store
                .transition_order(&key, OrderState::Injecting, None, now())
                .await
                .expect("injecting");
            let snapshot = selvedge_store::ErpSnapshot {
                value_minor: 100,
                qty: 1,
            };
            host.store
                .record_injected(&key, &format!("ERP-{n}"), snapshot, &[], now())
                .await
                .expect("injected");
        } else {
            host.store
                .transition_order(&key, OrderState::Exception, Some("rejected"), now())
                .await
                .expect("exception");
        }
    }
    let (status, s) = host
        .get(&format!("/api/clients/{CLIENT}/series?limit=10"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let lags: Vec<f64> = s["inventory_lag"]
        .as_array()
        .expect("lag")
        .iter()
        .filter_map(|p| p["latency_secs"].as_f64())
        .collect();
    assert_eq!(lags, [10.0, 20.0, 40.0]);
    assert_eq!(s["injection"][0]["success_rate"].as_f64(), Some(0.75));
}

#[tokio::test]
async fn why_shows_the_decisions_of_a_sku_and_the_ledger_of_an_order() {
    let host = start().await;
    host.store
        .record_decisions(&[Decision {
            client: CLIENT.into(),
            flow: "inventory".into(),
            subject: "SKU-1".into(),
            plugin_id: "b2c-apparel".into(),
            plugin_version: "abc123".into(),
            reason: json!({"buckets": {"on_hand": 10, "picked": 2}, "buffer": 2, "reasons": ["fixed_buffer"]}),
            value: json!({"NJ01": 6}),
            call_id: None,
            created_at: now(),
        }])
        .await
        .expect("decide");
    let (status, why) = host
        .get(&format!("/api/clients/{CLIENT}/why/sku/SKU-1"))
        .await;
    assert_eq!(status, StatusCode::OK, "{why}");
    assert_eq!(why["decisions"][0]["plugin_version"], "abc123");
    assert_eq!(why["decisions"][0]["reason"]["buffer"], 2);
    assert_eq!(why["decisions"][0]["value"]["NJ01"], 6);

    let key = OrderKey::new(CLIENT, "bigcommerce", "500");
    host.store
        .record_order_received(&key, "h", now())
        .await
        .expect("received");
    host.store
        .transition_order(&key, OrderState::Exception, Some("unknown SKU"), now())
        .await
        .expect("exception");
    raise(&host.store, "order_invalid", "operations", "500", json!({})).await;
    let (status, why) = host
        .get(&format!("/api/clients/{CLIENT}/why/order/500"))
        .await;
    assert_eq!(status, StatusCode::OK, "{why}");
    assert_eq!(why["order"]["state"], "exception");
    assert_eq!(why["order"]["history"][1]["note"], "unknown SKU");
    assert_eq!(why["exceptions"][0]["kind"], "order_invalid");
    let (status, _) = host
        .get(&format!("/api/clients/{CLIENT}/why/sku/NOPE"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
