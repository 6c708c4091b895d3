//! The gateway's request quota: over it the sandbox answers 429 with `Retry-After`, set the
//! same way as on the BigCommerce and Sparklayer sandboxes (`PUT /sandbox/quota`), and the
//! client waits at least that long before it reads again.
// A failed unwrap in a test is a test failure with its message; that is what we want here.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::Method;
use selvedge_bluecherry::{BlueCherryClient, BlueCherryConfig, Error, SandboxConfig};
use selvedge_connector_kit::RetryPolicy;
use selvedge_connector_kit::sandbox::Quota;
use serde_json::json;

#[tokio::test]
async fn over_the_quota_the_gateway_answers_429_with_retry_after() {
    let sb = sandbox(SandboxConfig::default()).await;
    let set = sandbox_call(
        &sb,
        Method::PUT,
        "/quota",
        Some(json!({"quota": 1, "window_ms": 60_000})),
    )
    .await;
    assert_eq!(set.status(), 200);
    let http = reqwest::Client::new();
    let get = || {
        http.get(format!("{}/v1/cycles/status", sb.base_url()))
            .bearer_auth(sb.api_key())
            .send()
    };
    assert_eq!(get().await.unwrap().status(), 200);
    let over = get().await.unwrap();
    assert_eq!(over.status(), 429);
    let secs: u64 = over.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((59..=60).contains(&secs), "Retry-After {secs}");
    let body: serde_json::Value = over.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    let seen = sandbox_call(&sb, Method::GET, "/quota", None).await;
    let seen: serde_json::Value = seen.json().await.unwrap();
    assert_eq!(seen["quota"], json!({"quota": 1, "window_ms": 60_000}));
    assert_eq!(seen["rate_limited"], 1);

    let lifted = sandbox_call(&sb, Method::DELETE, "/quota", None).await;
    assert_eq!(lifted.status(), 204);
    assert_eq!(get().await.unwrap().status(), 200);
}

#[tokio::test]
async fn the_client_waits_out_retry_after_and_then_reads() {
    let sb = sandbox(SandboxConfig::default()).await;
    // Backoff alone (5-50 ms) would come back long before the window ends.
    let c = client(&sb, 5_000, RetryPolicy::fast());
    c.cycle_status().await.unwrap();
    sb.set_quota(1, 1_000);
    c.cycle_status().await.unwrap();
    let started = Instant::now();
    let status = c.cycle_status().await.unwrap();
    assert!(status.last_cycle_id >= 1);
    // Retry-After is whole seconds, rounded up: at least a second.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(sb.with_state(|s| s.rate_limited), 1);
}

#[tokio::test]
async fn a_wait_longer_than_the_cap_and_a_create_come_back_rate_limited() {
    let sb = sandbox(SandboxConfig::default()).await;
    let mut cfg = BlueCherryConfig::new(sb.base_url());
    cfg.retry = RetryPolicy::fast();
    cfg.max_retry_after_secs = 5;
    let c = BlueCherryClient::new(&cfg, sb.api_key()).unwrap();
    let sku = stocked_sku(&c).await;
    sb.set_quota(0, 60_000);

    let started = Instant::now();
    let err = c.cycle_status().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "did not wait 60 s"
    );
    match &err {
        Error::RateLimited { retry_after, .. } => {
            assert!(
                retry_after.is_some_and(|ra| ra > Duration::from_secs(55)),
                "{err:?}"
            );
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert!(err.is_transient());

    // A create refused for the quota was not committed: transient, not ambiguous.
    let err = c
        .create_sales_order(&order("BC-QUOTA", &[(&sku, 1)]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    sb.clear_quota();
    assert!(c.find_sales_order("BC-QUOTA").await.unwrap().is_none());
}

#[tokio::test]
async fn unknown_quota_and_fault_fields_are_refused_by_name() {
    let sb = sandbox(SandboxConfig::default()).await;
    for (path, body, field) in [
        (
            "/quota",
            json!({"quota": 1, "window_ms": 10, "burst": 2}),
            "burst",
        ),
        (
            "/quota",
            json!({"requests": 1, "window_secs": 10}),
            "requests",
        ),
        (
            "/faults",
            json!({"fail_next": 1, "fail_nxt": 2}),
            "fail_nxt",
        ),
    ] {
        let resp = sandbox_call(&sb, Method::PUT, path, Some(body)).await;
        assert_eq!(resp.status(), 422, "{path}");
        let text = resp.text().await.unwrap();
        assert!(text.contains(&format!("`{field}`")), "{path}: {text}");
    }
    assert!(sb.with_state(|s| s.quota.is_none()));
    assert_eq!(sb.with_state(|s| s.faults.fail_next), 0);
}

#[tokio::test]
async fn a_quota_in_the_sandbox_config_holds_from_the_start() {
    let sb = sandbox(SandboxConfig {
        quota: Some(Quota {
            quota: 0,
            window_ms: 60_000,
        }),
        ..SandboxConfig::default()
    })
    .await;
    let resp = reqwest::Client::new()
        .get(format!("{}/v1/cycles/status", sb.base_url()))
        .bearer_auth(sb.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().contains_key("retry-after"));
}
