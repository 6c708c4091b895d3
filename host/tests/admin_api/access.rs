//! Named tokens: each role does what it may and gets 403 naming the missing role or scope for
//! the rest (the handler never runs); revoked and expired tokens get 401; every write leaves
//! one audit row with the token's name and the answer.

use reqwest::StatusCode;
use selvedge::http::access::token_hash;
use selvedge_store::ApiToken;
use serde_json::{Value, json};

use super::support::*;

async fn token(host: &Host, name: &str, role: &str, clients: &[&str], teams: &[&str]) -> String {
    let secret = format!("svt_test_{name}");
    host.store
        .create_token(&ApiToken {
            name: name.into(),
            hash: token_hash(&secret),
            role: role.into(),
            clients: clients.iter().map(|c| c.to_string()).collect(),
            teams: teams.iter().map(|t| t.to_string()).collect(),
            created_at: now(),
            expires_at: None,
            revoked_at: None,
        })
        .await
        .expect("token");
    secret
}

async fn call(host: &Host, token: &str, method: &str, path: &str) -> (StatusCode, Value) {
    let url = format!("{}{path}", host.base);
    let req = match method {
        "GET" => host.http.get(url),
        _ => host
            .http
            .post(url)
            .json(&json!({ "note": "done by the test" })),
    };
    let res = req.bearer_auth(token).send().await.expect("send");
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_does_what_it_may_and_is_refused_the_rest_by_name_and_every_write_is_audited() {
    let host = start().await;
    let viewer = token(&host, "ana-viewer", "viewer", &[], &[]).await;
    let finance = token(&host, "finance-ops", "operator", &[CLIENT], &["finance"]).await;
    let metrics = token(&host, "prometheus", "metrics", &[], &[]).await;
    let elsewhere = token(&host, "globex-viewer", "viewer", &["globex"], &[]).await;
    let refund = raise(&host.store, "refund_failed", "finance", "R-1", json!({})).await;
    let stock = raise(&host.store, "sku_missing", "merch", "SKU-1", json!({})).await;

    let (status, me) = call(&host, &viewer, "GET", "/api/whoami").await;
    assert_eq!(
        (status, me["role"].as_str()),
        (StatusCode::OK, Some("viewer"))
    );
    assert_eq!(
        call(&host, &viewer, "GET", "/api/clients").await.0,
        StatusCode::OK
    );
    let (status, body) = call(
        &host,
        &viewer,
        "POST",
        &format!("/api/exceptions/{refund}/resolve"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["error"].as_str().is_some_and(
            |m| m.contains("`ana-viewer` (role viewer)") && m.contains("needs role operator")
        ),
        "{body}"
    );
    let (status, body) = call(
        &host,
        &viewer,
        "POST",
        &format!("/api/clients/{CLIENT}/plugin/rollback"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|m| m.contains("needs role admin"))
    );

    // The finance operator resolves its team's exception, not another team's.
    let (status, body) = call(
        &host,
        &finance,
        "POST",
        &format!("/api/exceptions/{refund}/resolve"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["exception"]["state"], "resolved", "{body}");
    let (status, body) = call(
        &host,
        &finance,
        "POST",
        &format!("/api/exceptions/{stock}/resolve"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|m| m.contains("owner team(s) finance"))
    );
    let (_, list) = call(&host, &finance, "GET", "/api/exceptions?state=all").await;
    let ids: Vec<i64> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["id"].as_i64())
        .collect();
    assert_eq!(ids, [refund], "only its team's exceptions are listed");

    // A token for another client sees no client here and is refused this one by name.
    let (_, clients) = call(&host, &elsewhere, "GET", "/api/clients").await;
    assert_eq!(clients, json!([]));
    let (status, body) = call(
        &host,
        &elsewhere,
        "GET",
        &format!("/api/clients/{CLIENT}/health"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|m| m.contains("not `northwind`"))
    );

    // The metrics scope reads /metrics and nothing else.
    assert_eq!(
        call(&host, &metrics, "GET", "/metrics").await.0,
        StatusCode::OK
    );
    assert_eq!(
        call(&host, &metrics, "GET", "/api/clients").await.0,
        StatusCode::FORBIDDEN
    );

    // Revoked: 401 from then on.
    assert!(host.store.revoke_token("ana-viewer", now()).await.unwrap());
    assert_eq!(
        call(&host, &viewer, "GET", "/api/clients").await.0,
        StatusCode::UNAUTHORIZED
    );

    // Every write, allowed or refused, left one row naming its token; reads left none.
    let (status, audit) = host.get("/api/audit").await;
    assert_eq!(status, StatusCode::OK);
    let rows: Vec<(String, String, u64)> = audit["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["actor"].as_str().unwrap_or_default().to_string(),
                e["action"].as_str().unwrap_or_default().to_string(),
                e["status"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "finance-ops".into(),
                "POST /api/exceptions/{id}/resolve".into(),
                403
            ),
            (
                "finance-ops".into(),
                "POST /api/exceptions/{id}/resolve".into(),
                200
            ),
            (
                "ana-viewer".into(),
                "POST /api/clients/{client}/plugin/rollback".into(),
                403
            ),
            (
                "ana-viewer".into(),
                "POST /api/exceptions/{id}/resolve".into(),
                403
            ),
        ],
        "newest first"
    );
    // The audit log is the admin's.
    assert_eq!(
        call(&host, &finance, "GET", "/api/audit").await.0,
        StatusCode::FORBIDDEN
    );
}
