//! The webhook endpoint: authenticated by the hook's secret header, strict about the body,
//! acknowledged only after the job is stored, de-duplicated by order id.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use selvedge::flows::orders::{WEBHOOK_SECRET_HEADER, order_kind, refund_kind};
use serde_json::json;
use support::orders::*;
use support::wait_until;

fn payload(scope: &str, data: serde_json::Value) -> serde_json::Value {
    json!({ "scope": scope, "store_id": "1001", "data": data, "hash": "abc",
            "created_at": 1_763_880_000, "producer": "stores/sandbox" })
}

#[tokio::test]
async fn wrong_or_missing_webhook_secret_is_401_and_stores_nothing() {
    let settings = fast_settings();
    let env = b2c(Options::default(), &settings).await;
    let http = reqwest::Client::new();
    let body = payload(
        "store/order/created",
        json!({ "type": "order", "id": 4242 }),
    );
    let missing = http
        .post(env.webhook_url())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 401);
    let wrong = http
        .post(env.webhook_url())
        .header(WEBHOOK_SECRET_HEADER, "not-the-secret")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let other_client = env.webhook_url().replace("/brand", "/someone-else");
    let unknown = http
        .post(&other_client)
        .header(WEBHOOK_SECRET_HEADER, SECRET)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        unknown.status(),
        401,
        "an unknown client looks like a wrong secret"
    );
    assert_eq!(env.queue_depth(&order_kind("brand")).await, 0);
    assert!(
        env.store
            .job_by_key("brand", &order_kind("brand"), "bigcommerce:4242")
            .await
            .unwrap()
            .is_none()
    );
    // The right secret is accepted, and a second delivery is the same job.
    for _ in 0..2 {
        let ok = http
            .post(env.webhook_url())
            .header(WEBHOOK_SECRET_HEADER, SECRET)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
    }
    assert_eq!(env.queue_depth(&order_kind("brand")).await, 1);
}

#[tokio::test]
async fn malformed_webhook_is_400_naming_the_problem_and_stores_nothing() {
    let settings = fast_settings();
    let env = b2c(Options::default(), &settings).await;
    let http = reqwest::Client::new();
    let cases = [
        ("{not json".to_string(), "invalid webhook payload"),
        (
            json!({ "scope": "store/order/created" }).to_string(),
            "missing field",
        ),
        (
            payload("store/order/created", json!({ "type": "order" })).to_string(),
            "data.id",
        ),
        (
            payload(
                "store/order/refund/created",
                json!({ "type": "order", "id": 7 }),
            )
            .to_string(),
            "refund_id",
        ),
    ];
    for (body, expected) in cases {
        let answer = http
            .post(env.webhook_url())
            .header(WEBHOOK_SECRET_HEADER, SECRET)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400, "{body}");
        let text = answer.text().await.unwrap();
        assert!(text.contains(expected), "{body} -> {text}");
    }
    assert_eq!(env.queue_depth(&order_kind("brand")).await, 0);
    assert_eq!(env.queue_depth(&refund_kind("brand")).await, 0);
}

#[tokio::test]
async fn hooks_are_registered_once_with_the_secret_header() {
    let settings = fast_settings();
    let env = b2c(Options::default(), &settings).await;
    // `b2c` registered them already: a second start creates nothing.
    let created = env
        .ctx
        .storefront
        .orders()
        .unwrap()
        .register_webhooks(env.webhook_url(), SECRET)
        .await
        .unwrap();
    assert_eq!(created, 0);
    let hooks = env.bc_client().list_webhooks().await.unwrap();
    // Created, status updated, refund created.
    assert_eq!(hooks.len(), 3);
    for hook in hooks {
        let headers = hook.headers.expect("headers");
        assert_eq!(
            headers.get(WEBHOOK_SECRET_HEADER).map(String::as_str),
            Some(SECRET)
        );
    }
    // A real checkout is delivered with the header and queued.
    let sku = env.skus[0].clone();
    let id = env.checkout("Express", &[(&sku, 1)]);
    let queued = wait_until(std::time::Duration::from_secs(5), || async {
        env.store
            .job_by_key("brand", &order_kind("brand"), &format!("bigcommerce:{id}"))
            .await
            .unwrap()
            .is_some()
    })
    .await;
    assert!(queued);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_missed_by_webhooks_is_injected_by_the_scheduled_sweep() {
    let settings = fast_settings();
    let options = Options {
        register_hooks: false,
        ..Options::default()
    };
    let env = b2c(options, &settings).await;
    let first = selvedge::flows::orders::run_and_drain(&env.ctx, &settings)
        .await
        .unwrap();
    assert!(
        first.summary.contains("starts from now"),
        "{}",
        first.summary
    );
    // BigCommerce dates have whole seconds: let the clock move past the cursor.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let sku = env.skus[0].clone();
    let id = env.checkout("Express", &[(&sku, 1)]);
    let report = selvedge::flows::orders::run_and_drain(&env.ctx, &settings)
        .await
        .unwrap();
    assert!(
        report.summary.contains("1 orders injected"),
        "{}",
        report.summary
    );
    assert_eq!(
        env.erp_orders(),
        vec![(format!("brand:bc:{id}"), env.erp_orders()[0].1.clone())]
    );
    // Sweeping again finds the same order and does nothing more.
    selvedge::flows::orders::run_and_drain(&env.ctx, &settings)
        .await
        .unwrap();
    assert_eq!(env.erp_orders().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pick_cycle_pacing_holds_orders_until_the_next_pick_cycle() {
    let mut settings = fast_settings();
    settings.pacing.mode = selvedge::flows::orders::PacingMode::PickCycles;
    settings.pacing.pick_cycles = vec!["0 6,14 * * *".into()];
    settings.pacing.time_zone = "America/New_York".into();
    let env = b2c(Options::default(), &settings).await;
    let sku = env.skus[0].clone();
    let id = env.checkout("Express", &[(&sku, 1)]);
    let key = format!("bigcommerce:{id}");
    let kind = order_kind("brand");
    let queued = wait_until(std::time::Duration::from_secs(5), || async {
        env.store
            .job_by_key("brand", &kind, &key)
            .await
            .unwrap()
            .is_some()
    })
    .await;
    assert!(queued);
    let job = env
        .store
        .job_by_key("brand", &kind, &key)
        .await
        .unwrap()
        .expect("job");
    let next = settings
        .pacing
        .next_pick(job.created_at)
        .unwrap()
        .expect("a cycle");
    assert_eq!(job.run_at, next, "released at the next pick cycle");
    selvedge::flows::orders::run_and_drain(&env.ctx, &settings)
        .await
        .unwrap();
    assert!(
        env.erp_orders().is_empty(),
        "nothing injected before the cycle"
    );
}
