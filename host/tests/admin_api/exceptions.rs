//! The exception queue and the drift report.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::support::*;

#[tokio::test]
async fn exceptions_are_grouped_listed_shown_retried_and_resolved_with_history() {
    let host = start().await;
    let a = raise(
        &host.store,
        "order_invalid",
        "operations",
        "100",
        json!({"reason": "bad address"}),
    )
    .await;
    let _b = raise(&host.store, "order_invalid", "operations", "101", json!({})).await;
    let c = raise(&host.store, "drift_stock", "ecommerce", "SKU-1", json!({})).await;

    let (_, groups) = host
        .get(&format!("/api/exceptions/summary?client={CLIENT}"))
        .await;
    let ops = groups
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["owner"] == "operations")
        .expect("operations");
    assert_eq!(ops["total"], 2);
    assert_eq!(ops["kinds"][0]["kind"], "order_invalid");

    let (_, list) = host.get("/api/exceptions?owner=ecommerce").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["id"], c);
    let (status, _) = host.get("/api/exceptions?state=bogus").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, retried) = host
        .post(
            &format!("/api/exceptions/{a}/retry"),
            json!({"note": "address fixed", "actor": "ana"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{retried}");
    assert_eq!(retried["detail"]["exception"]["state"], "retrying");
    assert_eq!(retried["requeued_job"], Value::Null);

    let (status, refused) = host
        .post(
            &format!("/api/exceptions/{a}/resolve"),
            json!({"note": "  "}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(
        host.store
            .exception(a)
            .await
            .expect("read")
            .expect("exists")
            .0
            .state
            .as_str(),
        "retrying"
    );

    let (status, resolved) = host
        .post(
            &format!("/api/exceptions/{a}/resolve"),
            json!({"note": "re-entered by hand", "actor": "ana"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(resolved["exception"]["state"], "resolved");
    let actions: Vec<&str> = resolved["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["action"].as_str())
        .collect();
    assert_eq!(actions, ["raised", "retrying", "resolved"]);
    assert_eq!(resolved["history"][2]["actor"], "ana");

    let (status, _) = host
        .post(&format!("/api/exceptions/{a}/retry"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, shown) = host.get(&format!("/api/exceptions/{a}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["exception"]["details"]["reason"], "bad address");
    let (status, _) = host.get("/api/exceptions/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = host
        .post("/api/exceptions/999999/resolve", json!({"note": "x"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn retry_of_an_exception_from_a_dead_job_rearms_that_same_job() {
    let host = start().await;
    let job = host
        .store
        .enqueue(
            NewJob {
                client: CLIENT.into(),
                kind: "order.inject".into(),
                idempotency_key: "order-7".into(),
                payload: json!({"order": 7}),
                run_at: now(),
                max_attempts: 1,
            },
            now(),
        )
        .await
        .expect("enqueue")
        .job;
    let claimed = host
        .store
        .claim(
            &["order.inject"],
            1,
            std::time::Duration::from_secs(60),
            now(),
        )
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    host.store
        .fail(
            claimed[0].lease(),
            "ERP down",
            selvedge_store::FailAction::GiveUp,
            now(),
        )
        .await
        .expect("fail");
    let id = raise(
        &host.store,
        "order_stuck",
        "operations",
        "7",
        json!({"job": job.id}),
    )
    .await;
    let (status, out) = host
        .post(&format!("/api/exceptions/{id}/retry"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let rearmed = out["requeued_job"].as_i64().expect("requeued");
    // The same job, with its one idempotency key: never a second job for the same work.
    assert_eq!(rearmed, job.id);
    let stored = host.store.job(job.id).await.expect("read").expect("job");
    assert_eq!(stored.state, selvedge_store::JobState::Queued);
    assert!(
        stored.max_attempts > stored.attempts_used(),
        "it has attempts again"
    );
    assert!(
        out["detail"]["history"][1]["note"]
            .as_str()
            .is_some_and(|n| n.contains(&rearmed.to_string()))
    );
}

#[tokio::test]
async fn drift_report_counts_the_latest_reconciliation_and_lists_sku_exceptions() {
    let host = start().await;
    let mut m = Measurements::default();
    m.extra.insert("order_drift".into(), 1.into());
    m.extra.insert("stock_drift".into(), 4.into());
    m.extra.insert("sku_missing".into(), 2.into());
    run(&host.store, "reconciliation", RunStatus::Succeeded, m).await;
    raise(&host.store, "drift_stock", "ecommerce", "SKU-1", json!({})).await;
    raise(&host.store, "sku_unmapped", "ecommerce", "SKU-9", json!({})).await;
    raise(&host.store, "order_invalid", "operations", "1", json!({})).await;
    let (status, d) = host.get(&format!("/api/clients/{CLIENT}/drift")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            d["order_drift"].as_u64(),
            d["stock_drift"].as_u64(),
            d["sku_missing"].as_u64()
        ),
        (Some(1), Some(4), Some(2))
    );
    let kinds: Vec<&str> = d["exceptions"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["drift_stock", "sku_unmapped"]);
}
