//! Run control through the API: pause and resume (stored, shown on the client), run-now
//! requests (refused while paused, unknown flows named), for operators only.

use reqwest::StatusCode;
use serde_json::json;

use super::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_client_shows_as_paused_refuses_run_now_and_runs_again_once_resumed() {
    let host = start().await;
    let (status, body) = host
        .post(&format!("/api/clients/{CLIENT}/pause"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["flow"].as_str(), body["outcome"].as_str()),
        (Some("*"), Some("paused"))
    );
    let (_, summary) = host.get(&format!("/api/clients/{CLIENT}/health")).await;
    assert_eq!(summary["paused"][0]["flow"], "*");
    assert_eq!(summary["paused"][0]["by"], "bootstrap");
    // Stored: another host (or this one restarted) reads the same pause.
    assert_eq!(host.store.pauses().await.unwrap().len(), 1);

    let (status, body) = host
        .post(&format!("/api/clients/{CLIENT}/run/inventory"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|m| m.contains("is paused")),
        "{body}"
    );
    let (status, body) = host
        .post(&format!("/api/clients/{CLIENT}/run/b2b"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|m| m.contains("no flow `b2b`") && m.contains("inventory")),
        "{body}"
    );

    let (status, body) = host
        .post(&format!("/api/clients/{CLIENT}/resume"), json!({}))
        .await;
    assert_eq!(
        (status, body["outcome"].as_str()),
        (StatusCode::OK, Some("resumed"))
    );
    let (_, again) = host
        .post(&format!("/api/clients/{CLIENT}/resume"), json!({}))
        .await;
    assert_eq!(again["outcome"], "not-paused");
    let (status, body) = host
        .post(&format!("/api/clients/{CLIENT}/run/inventory"), json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let taken = host
        .store
        .take_run_requests(&[CLIENT.to_string()])
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(
        (taken[0].flow.as_str(), taken[0].by.as_str()),
        ("inventory", "bootstrap")
    );

    // One flow only.
    let (_, body) = host
        .post(
            &format!("/api/clients/{CLIENT}/pause"),
            json!({ "flow": "orders" }),
        )
        .await;
    assert_eq!(body["flow"], "orders");
    let (status, _) = host
        .post(&format!("/api/clients/{CLIENT}/run/inventory"), json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "inventory is not paused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_puts_the_failing_client_first_and_filters_and_pages_on_the_server() {
    use selvedge_store::Measurements;
    let host = start_clients(
        AdminToken::new(Some(TOKEN.into())),
        selvedge::http::ListenerLimits::ADMIN,
        &["alpha", "bravo", "charlie", "delta"],
    )
    .await;
    let store = &host.store;
    // alpha: fine; bravo: its orders run failed; charlie: an open exception; delta: paused.
    for (client, ok) in [("alpha", true), ("bravo", false), ("charlie", true)] {
        let id = store.start_run(client, "orders", now()).await.unwrap();
        let (status, error) = if ok {
            (RunStatus::Succeeded, None)
        } else {
            (RunStatus::Failed, Some("Blue Cherry answered 503"))
        };
        store
            .finish_run(id, status, &Measurements::default(), error, now())
            .await
            .unwrap();
    }
    store
        .raise_exception(
            NewException {
                client: "charlie".into(),
                kind: "refund_failed".into(),
                owner: "finance".into(),
                subject: "R-9".into(),
                summary: "memo refused".into(),
                details: json!({}),
            },
            now(),
        )
        .await
        .unwrap();
    let (status, _) = host.post("/api/clients/delta/pause", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    // bravo's next run is under way: its last finished run still failed.
    store.start_run("bravo", "orders", now()).await.unwrap();

    let (status, page) = host.get("/api/overview").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let order: Vec<(&str, &str)> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["client"].as_str().unwrap(), r["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        order,
        [
            ("bravo", "failing"),
            ("charlie", "degraded"),
            ("delta", "paused"),
            ("alpha", "ok")
        ]
    );
    assert_eq!(
        page["rows"][0]["reasons"][0],
        "orders failed: Blue Cherry answered 503"
    );
    assert_eq!(page["rows"][1]["exceptions_by_team"]["finance"], 1);
    assert!(page["rows"][3]["last_success"]["orders"].is_string());
    assert_eq!(page["counts"]["failing"], 1);

    let (_, finance) = host.get("/api/overview?team=finance").await;
    assert_eq!(finance["total"], 1);
    assert_eq!(finance["rows"][0]["client"], "charlie");
    let (_, text) = host.get("/api/overview?q=ALP").await;
    assert_eq!(text["rows"][0]["client"], "alpha");
    let (_, ok) = host.get("/api/overview?state=ok").await;
    assert_eq!(ok["total"], 1);
    let (_, first) = host.get("/api/overview?limit=2").await;
    assert_eq!(
        (
            first["total"].as_u64(),
            first["rows"].as_array().map(Vec::len)
        ),
        (Some(4), Some(2))
    );
    assert_eq!(first["next_offset"], 2);
    let (_, second) = host.get("/api/overview?limit=2&offset=2").await;
    assert_eq!(second["rows"][0]["client"], "delta");
    assert!(second["next_offset"].is_null());
    let (status, body) = host.get("/api/overview?state=broken").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|m| m.contains("unknown state `broken`"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_job_is_listed_and_cancelled_with_who_and_why_and_a_running_one_is_not() {
    use selvedge::flows::orders::order_kind;
    let host = start().await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let job = host
            .store
            .enqueue(
                NewJob {
                    client: CLIENT.into(),
                    kind: order_kind(CLIENT),
                    idempotency_key: format!("bigcommerce:{n}"),
                    payload: json!({ "storefront": "bigcommerce", "order_id": n.to_string() }),
                    run_at: now(),
                    max_attempts: 3,
                },
                now(),
            )
            .await
            .unwrap()
            .job;
        ids.push(job.id);
    }
    let (status, page) = host
        .get(&format!("/api/clients/{CLIENT}/jobs?state=queued&limit=2"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["jobs"][0]["id"], ids[2], "newest first: {page}");
    assert_eq!(page["jobs"][0]["key"], "bigcommerce:2");
    assert_eq!(page["next"], ids[1]);

    let (status, body) = host
        .post(
            &format!("/api/clients/{CLIENT}/jobs/{}/cancel", ids[0]),
            json!({ "note": "test order" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "cancelled");
    assert_eq!(body["last_error"], "cancelled by bootstrap: test order");
    let (status, body) = host
        .post(
            &format!("/api/clients/{CLIENT}/jobs/{}/cancel", ids[0]),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|m| m.contains("is cancelled")),
        "{body}"
    );
    // Claimed by a worker: its worker's to finish.
    let claimed = host
        .store
        .claim(
            &[order_kind(CLIENT).as_str()],
            1,
            std::time::Duration::from_secs(60),
            now(),
        )
        .await
        .unwrap();
    let (status, body) = host
        .post(
            &format!("/api/clients/{CLIENT}/jobs/{}/cancel", claimed[0].id),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|m| m.contains("is running"))
    );
    let (status, body) = host
        .post(
            &format!("/api/clients/{CLIENT}/jobs/999999/cancel"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].as_str().is_some_and(|m| m.contains("999999")));
    let (status, _) = host
        .get(&format!("/api/clients/{CLIENT}/jobs?state=stuck"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, cancelled) = host
        .get(&format!("/api/clients/{CLIENT}/jobs?state=cancelled"))
        .await;
    assert_eq!(cancelled["jobs"].as_array().map(Vec::len), Some(1));
}
