//! Plugin swap (path, upload) and rollback.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_swap_by_path_and_by_upload_then_rollback_are_recorded() {
    let host = start().await;
    let b2c = selvedge_plugin_artifacts::b2c_apparel();
    let b2b = selvedge_plugin_artifacts::b2b_wholesale();
    let (status, first) = host
        .post(
            &format!("/api/clients/{CLIENT}/plugin/swap"),
            json!({"path": b2c.display().to_string(), "label": "v1"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["from"], Value::Null);
    let bytes = std::fs::read(&b2b).expect("read plugin");
    let res = host
        .http
        .post(format!(
            "{}/api/clients/{CLIENT}/plugin/swap?name=b2b-wholesale&label=v2",
            host.base
        ))
        .bearer_auth(TOKEN)
        .header("content-type", "application/wasm")
        .body(bytes)
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::OK);
    let second: Value = res.json().await.expect("json");
    assert_eq!(second["from"], first["to"]);
    let (status, back) = host
        .post(&format!("/api/clients/{CLIENT}/plugin/rollback"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert_eq!(back["to"], first["to"]);
    let (status, view) = host.get(&format!("/api/clients/{CLIENT}/plugin")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["version"], first["to"]);
    let reasons: Vec<&str> = view["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["reason"].as_str())
        .collect();
    assert_eq!(
        reasons,
        [
            "rollback (admin API)",
            "swap (admin API)",
            "swap (admin API)"
        ]
    );
    let events: Vec<&str> = view["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert_eq!(events, ["installed", "installed", "rolled-back-to"]);

    let (status, err) = host
        .post(
            &format!("/api/clients/{CLIENT}/plugin/swap"),
            json!({"path": "/nonexistent/x.wasm"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let (status, _) = host
        .post(&format!("/api/clients/{CLIENT}/plugin/swap"), json!({}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, view_after) = host.get(&format!("/api/clients/{CLIENT}/plugin")).await;
    assert_eq!(
        view_after["version"], first["to"],
        "a refused candidate replaced the plugin"
    );
}

#[tokio::test]
async fn rollback_without_a_previous_version_is_a_conflict() {
    let host = start().await;
    let (status, _) = host
        .post(&format!("/api/clients/{CLIENT}/plugin/rollback"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}
