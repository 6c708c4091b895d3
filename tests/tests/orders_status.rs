//! Order status on every path: a declined or cancelled order never becomes an ERP sales
//! order however it arrives, an incomplete one goes in once BigCommerce says it is placed,
//! and one cancelled after it reached the ERP goes to a person. Webhooks with an impossible
//! order id or from another store are refused with the field named.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::time::Duration;

use selvedge::flows::orders::{WEBHOOK_SECRET_HEADER, order_kind};
use selvedge_bigcommerce::sandbox::{OrderLineInput, SandboxOrder};
use selvedge_store::{ExceptionFilter, JobState, OrderKey, OrderState, Page};
use serde_json::json;
use support::orders::*;
use support::{Harness, wait_until};

fn order_with_status(env: &Harness, sku: &str, status_id: Option<i64>) -> i64 {
    env.bc()
        .handle()
        .create_order(&SandboxOrder {
            shipping_address: address(),
            shipping_method: "Express".into(),
            products: vec![OrderLineInput {
                sku: sku.into(),
                quantity: 1,
                price: None,
            }],
            status_id,
            ..SandboxOrder::default()
        })
        .expect("checkout")
}

async fn job_state(env: &Harness, id: i64) -> Option<(JobState, Option<serde_json::Value>)> {
    env.store
        .job_by_key("brand", &order_kind("brand"), &format!("bigcommerce:{id}"))
        .await
        .unwrap()
        .map(|j| (j.state, j.result))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declined_and_cancelled_webhook_orders_never_become_erp_orders() {
    let settings = fast_settings();
    let env = b2c(Options::default(), &settings).await;
    let sku = env.skus[0].clone();
    let declined = order_with_status(&env, &sku, Some(6));
    let cancelled = order_with_status(&env, &sku, Some(5));
    let placed = order_with_status(&env, &sku, None);
    let _stop = env.start_injector(settings);
    let settled = wait_until(Duration::from_secs(10), || async {
        let mut done = 0;
        for id in [declined, cancelled, placed] {
            if matches!(job_state(&env, id).await, Some((JobState::Done, _))) {
                done += 1;
            }
        }
        done == 3
    })
    .await;
    assert!(settled, "all three webhook jobs finished");
    assert_eq!(
        env.erp_orders().len(),
        1,
        "only the placed order reached the ERP"
    );
    for (id, why) in [(declined, "declined"), (cancelled, "cancelled")] {
        let (_, result) = job_state(&env, id).await.unwrap();
        let skipped = result.unwrap()["skipped"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            skipped.contains(why),
            "order {id} recorded as skipped: {skipped}"
        );
        let key = OrderKey::new("brand", "bigcommerce", &id.to_string());
        let ledger = env.store.order(&key).await.unwrap();
        assert!(
            ledger.is_none_or(|r| r.erp_order_no.is_none()),
            "no ERP number for order {id}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incomplete_order_is_injected_once_its_status_update_arrives() {
    let mut settings = fast_settings();
    // Rechecks far apart: only the status update can bring the order in within the test.
    settings.retry_base_ms = 60_000;
    settings.retry_max_ms = 60_000;
    let env = b2c(Options::default(), &settings).await;
    let sku = env.skus[0].clone();
    let id = order_with_status(&env, &sku, Some(0));
    let _stop = env.start_injector(settings);
    let rechecking = wait_until(Duration::from_secs(10), || async {
        env.store
            .job_by_key("brand", &order_kind("brand"), &format!("bigcommerce:{id}"))
            .await
            .unwrap()
            .is_some_and(|j| j.snoozes >= 1 && j.state == JobState::Queued)
    })
    .await;
    assert!(rechecking, "the incomplete order waits for a recheck");
    assert!(env.erp_orders().is_empty(), "not injected while incomplete");
    // Checkout completes: BigCommerce moves it to Awaiting Fulfillment and sends statusUpdated.
    env.bc_client().update_order_status(id, 11).await.unwrap();
    let injected = wait_until(Duration::from_secs(10), || async {
        env.erp_orders().len() == 1
    })
    .await;
    assert!(
        injected,
        "the status update re-armed the same job and it was injected"
    );
    let done = wait_until(Duration::from_secs(10), || async {
        matches!(job_state(&env, id).await, Some((JobState::Done, _)))
    })
    .await;
    assert!(done, "the same job ended done");
    // Another status change later re-arms the job, but the order is in the ERP once.
    env.bc_client().update_order_status(id, 9).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(env.erp_orders().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_cancelled_after_injection_goes_to_its_owner_and_the_erp_order_stays() {
    let settings = fast_settings();
    let env = b2c(Options::default(), &settings).await;
    let sku = env.skus[0].clone();
    let id = order_with_status(&env, &sku, None);
    let _stop = env.start_injector(settings);
    assert!(
        wait_until(Duration::from_secs(10), || async {
            env.erp_orders().len() == 1
        })
        .await
    );
    env.bc_client().update_order_status(id, 5).await.unwrap();
    let filter = ExceptionFilter {
        client: Some("brand".into()),
        kind: Some("drift_order".into()),
        ..ExceptionFilter::default()
    };
    let raised = wait_until(Duration::from_secs(10), || async {
        !env.store
            .list_exceptions(&filter, Page::default())
            .await
            .unwrap()
            .is_empty()
    })
    .await;
    assert!(raised, "a drift_order exception for the cancelled order");
    let found = env
        .store
        .list_exceptions(&filter, Page::default())
        .await
        .unwrap();
    assert_eq!(found[0].subject, id.to_string());
    assert!(
        found[0].summary.contains("cancelled"),
        "{}",
        found[0].summary
    );
    let key = OrderKey::new("brand", "bigcommerce", &id.to_string());
    assert_eq!(
        env.store.order(&key).await.unwrap().map(|r| r.state),
        Some(OrderState::Injected),
        "the integration does not touch an ERP order that may be picking"
    );
    assert_eq!(env.erp_orders().len(), 1);
}

#[tokio::test]
async fn impossible_order_ids_and_foreign_producers_are_refused_naming_the_field() {
    let settings = fast_settings();
    let env = b2c(
        Options {
            register_hooks: false,
            ..Options::default()
        },
        &settings,
    )
    .await;
    let http = reqwest::Client::new();
    let send = |body: serde_json::Value| {
        http.post(env.webhook_url())
            .header(WEBHOOK_SECRET_HEADER, SECRET)
            .json(&body)
            .send()
    };
    let payload = |scope: &str, data: serde_json::Value, producer: &str| {
        json!({ "scope": scope, "store_id": "1001", "data": data, "hash": "h",
                "created_at": 1_763_880_000, "producer": producer })
    };
    for id in [0, -7] {
        let r = send(payload(
            "store/order/created",
            json!({ "type": "order", "id": id }),
            "stores/sandbox",
        ))
        .await
        .unwrap();
        assert_eq!(r.status(), 400, "order id {id}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains("data.id"),
            "{body}"
        );
    }
    let r = send(payload(
        "store/order/created",
        json!({ "type": "order", "id": 101 }),
        "stores/someone-else",
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("producer"),
        "{body}"
    );
    let r = send(payload(
        "store/order/statusUpdated",
        json!({ "type": "order", "id": 101, "status": {} }),
        "stores/sandbox",
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("new_status_id"),
        "{body}"
    );
    assert_eq!(
        env.queue_depth(&order_kind("brand")).await,
        0,
        "nothing stored"
    );
}
