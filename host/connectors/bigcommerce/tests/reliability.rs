//! Throttling, retries and faults: the client waits on 429, retries idempotent calls on 5xx and
//! timeouts, never re-sends a create, and paces itself under the quota.

mod common;

use std::time::{Duration, Instant};

use selvedge_bigcommerce::Error;
use selvedge_bigcommerce::model::*;
use selvedge_bigcommerce::sandbox::Fault;

fn fault(status: u16, count: u32, method: &str, path: &str) -> Fault {
    Fault {
        status,
        count,
        method: Some(method.into()),
        path_contains: Some(path.into()),
        delay_ms: None,
    }
}

async fn raw_get(sandbox: &selvedge_bigcommerce::Sandbox) -> reqwest::Response {
    let cfg = sandbox.client_config();
    reqwest::Client::new()
        .get(format!("{}/inventory/locations", cfg.v3_root()))
        .header("X-Auth-Token", &cfg.access_token)
        .send()
        .await
        .expect("raw")
}

#[tokio::test]
async fn rate_limit_headers_come_on_every_answer_and_429_adds_retry_after() {
    let (sandbox, _client) = common::start().await;
    sandbox.handle().set_quota(1, 2_000);
    let ok = raw_get(&sandbox).await;
    assert_eq!(ok.status().as_u16(), 200);
    for h in [
        "X-Rate-Limit-Time-Window-Ms",
        "X-Rate-Limit-Time-Reset-Ms",
        "X-Rate-Limit-Requests-Quota",
        "X-Rate-Limit-Requests-Left",
    ] {
        assert!(ok.headers().contains_key(h), "missing {h}");
    }
    assert_eq!(ok.headers()["x-rate-limit-requests-left"], "0");
    let throttled = raw_get(&sandbox).await;
    assert_eq!(throttled.status().as_u16(), 429);
    assert_eq!(throttled.headers()["x-retry-after"], "2");
    assert_eq!(sandbox.handle().counters().throttled, 1);
}

#[tokio::test]
async fn throttled_call_waits_for_the_window_reset_then_succeeds() {
    let (sandbox, client) = common::start().await;
    sandbox.handle().set_quota(3, 1_000);
    // Another app on the store spends the shared quota.
    for _ in 0..3 {
        raw_get(&sandbox).await;
    }
    let started = Instant::now();
    let locations = client
        .list_locations()
        .await
        .expect("succeeds after waiting");
    let waited = started.elapsed();
    assert_eq!(locations.len(), 1);
    let stats = client.stats().snapshot();
    assert_eq!((stats.calls, stats.throttled, stats.retries), (2, 1, 1));
    assert!(
        waited >= Duration::from_millis(400),
        "waited only {waited:?}: retried too early"
    );
    assert!(waited < Duration::from_millis(2_500), "waited {waited:?}");
}

#[tokio::test]
async fn client_gives_up_after_the_configured_number_of_429s() {
    let (sandbox, _client) = common::start().await;
    sandbox.handle().set_quota(0, 100);
    let client = common::client_for(&sandbox, |c| c.rate_limit.max_throttled_attempts = 3);
    match client.list_locations().await {
        Err(Error::RateLimited { attempts: 3, .. }) => {}
        other => panic!("expected RateLimited after 3 attempts, got {other:?}"),
    }
    assert_eq!(client.stats().snapshot().throttled, 3);
}

#[tokio::test]
async fn pacing_keeps_a_sequential_caller_under_quota_with_zero_429s() {
    let (sandbox, client) = common::start().await;
    sandbox.handle().set_quota(20, 1_000);
    let started = Instant::now();
    for _ in 0..100 {
        client.list_locations().await.expect("call");
    }
    let took = started.elapsed();
    let stats = client.stats().snapshot();
    eprintln!(
        "100 calls at 20/1s: {took:?}, 429s hit: {}",
        stats.throttled
    );
    assert_eq!(stats.throttled, 0);
    assert_eq!(sandbox.handle().counters().throttled, 0);
    assert_eq!(stats.calls, 100);
    assert!(
        took >= Duration::from_millis(3_900),
        "100 calls at 20/s need 4 resets: {took:?}"
    );
}

#[tokio::test]
async fn pacing_holds_for_concurrent_callers_sharing_a_client() {
    let (sandbox, client) = common::start().await;
    sandbox.handle().set_quota(20, 1_000);
    let started = Instant::now();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                for _ in 0..25 {
                    client.list_locations().await.expect("call");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    let stats = client.stats().snapshot();
    eprintln!(
        "100 concurrent calls at 20/1s: {:?}, 429s hit: {}",
        started.elapsed(),
        stats.throttled
    );
    assert_eq!(sandbox.handle().counters().throttled, stats.throttled);
    assert_eq!(
        stats.throttled, 0,
        "pacing let concurrent callers overrun the window"
    );
}

#[tokio::test]
async fn five_xx_burst_on_a_get_is_retried_until_it_succeeds() {
    let (sandbox, client) = common::start().await;
    sandbox
        .handle()
        .inject_fault(fault(503, 3, "GET", "/inventory/locations"));
    let locations = client.list_locations().await.expect("retried");
    assert_eq!(locations.len(), 1);
    let stats = client.stats().snapshot();
    assert_eq!((stats.calls, stats.retries), (4, 3));
}

#[tokio::test]
async fn five_xx_on_a_put_is_retried_but_a_longer_burst_surfaces_as_server_error() {
    let (sandbox, client) = common::start().await;
    let order = common::seeded_order(&sandbox.handle(), "RP", &[("RP-NAVY-S", 1)]);
    sandbox
        .handle()
        .inject_fault(fault(502, 1, "PUT", "/orders/"));
    assert_eq!(
        client
            .update_order_status(order, 9)
            .await
            .expect("retried")
            .status_id,
        9
    );
    sandbox
        .handle()
        .inject_fault(fault(500, 10, "PUT", "/orders/"));
    match client.update_order_status(order, 10).await {
        Err(Error::Server {
            status: 500,
            attempts: 5,
            ..
        }) => {}
        other => panic!("expected Server after 1 + 4 retries, got {other:?}"),
    }
}

#[tokio::test]
async fn five_xx_on_a_create_is_not_retried() {
    let (sandbox, client) = common::start().await;
    sandbox
        .handle()
        .inject_fault(fault(500, 1, "POST", "/catalog/products"));
    let new = NewProduct {
        name: "Once".into(),
        sku: Some("ONCE".into()),
        weight: 1.0,
        price: Money(100),
        ..NewProduct::default()
    };
    match client.create_product(&new).await {
        Err(Error::Server {
            status: 500,
            attempts: 1,
            ..
        }) => {}
        other => panic!("expected a single failed attempt, got {other:?}"),
    }
    let posts = sandbox
        .handle()
        .exchanges()
        .iter()
        .filter(|e| e.method == "POST")
        .count();
    assert_eq!(posts, 1, "a create must never be re-sent blindly");
    assert_eq!(client.stats().snapshot().retries, 0);
}

#[tokio::test]
async fn timeout_on_a_get_is_retried_but_a_timed_out_create_is_reported_not_resent() {
    let (sandbox, _client) = common::start().await;
    let client = common::client_for(&sandbox, |c| c.timeout_ms = 150);
    let slow = |method: &str, path: &str| Fault {
        delay_ms: Some(400),
        ..fault(200, 1, method, path)
    };
    sandbox
        .handle()
        .inject_fault(slow("GET", "/inventory/locations"));
    assert_eq!(client.list_locations().await.expect("retried").len(), 1);
    assert_eq!(client.stats().snapshot().retries, 1);

    sandbox.handle().inject_fault(slow("POST", "/hooks"));
    let hook = NewWebhook {
        scope: "store/order/created".into(),
        destination: "https://example.invalid/h".into(),
        is_active: true,
        headers: None,
    };
    let err = client.create_webhook(&hook).await.expect_err("times out");
    assert!(
        matches!(err, Error::Transport { attempts: 1, .. }),
        "{err:?}"
    );
    assert!(err.is_transient());
}

#[tokio::test]
async fn wrong_token_is_a_typed_401_with_rate_limit_headers() {
    let (sandbox, _client) = common::start().await;
    let client = common::client_for(&sandbox, |c| c.access_token = "wrong".into());
    match client.get_order(1).await {
        Err(Error::Unauthorized { status: 401, .. }) => {}
        other => panic!("expected 401, got {other:?}"),
    }
    let ex = sandbox.handle().exchanges();
    assert_eq!(ex[0].status, 401);
    assert!(
        ex[0].response_body.as_ref().is_some_and(|b| b.is_array()),
        "V2 errors are arrays"
    );
}
