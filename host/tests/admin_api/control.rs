//! Run control through the API: pause and resume (stored, shown on the client), run-now
//! requests (refused while paused, unknown flows named), for operators only.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::*;

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
