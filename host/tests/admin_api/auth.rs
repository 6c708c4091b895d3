//! Auth on every path, no CORS, the OpenAPI document, metrics, the dashboard assets.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::support::*;

#[tokio::test]
async fn every_protected_path_refuses_missing_or_wrong_tokens_and_changes_nothing() {
    let host = start().await;
    let id = raise(&host.store, "order_invalid", "operations", "100", json!({})).await;
    let before = host
        .store
        .exception(id)
        .await
        .expect("read")
        .expect("exists");
    let wrong = [
        None,
        Some("Bearer wrong-token".to_string()),
        Some(format!("Bearer {TOKEN}x")),
        Some(format!("Basic {TOKEN}")),
        Some("Bearer ".to_string()),
    ];
    for (method, path) in protected_paths(id) {
        for auth in &wrong {
            let url = format!("{}{path}", host.base);
            let mut req = if method == "GET" {
                host.http.get(&url)
            } else {
                host.http.post(&url)
            };
            req = req.json(&json!({"note": "sneaky", "path": "/tmp/x.wasm"}));
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            let res = req.send().await.expect("send");
            assert_eq!(
                res.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {path} with {auth:?}"
            );
            assert!(res.headers().get("www-authenticate").is_some());
        }
    }
    let after = host
        .store
        .exception(id)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(before, after, "a refused request changed the exception");
    assert!(
        host.registry
            .client(CLIENT)
            .expect("slot")
            .history()
            .is_empty(),
        "a refused request touched the plugin"
    );
}

#[tokio::test]
async fn a_host_without_a_token_refuses_everything() {
    let host = start_with(AdminToken::new(None)).await;
    for auth in ["Bearer ", "Bearer", &format!("Bearer {TOKEN}")] {
        let res = host
            .http
            .get(format!("{}/api/clients", host.base))
            .header("authorization", auth)
            .send()
            .await
            .expect("send");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let body: Value = res.json().await.expect("json");
        assert!(
            body["error"]
                .as_str()
                .is_some_and(|e| e.contains("token_env")),
            "{body}"
        );
    }
    assert_eq!(
        format!("{:?}", AdminToken::new(Some(TOKEN.into()))),
        "AdminToken(<redacted>)"
    );
}

#[tokio::test]
async fn no_cors_headers_are_sent_even_to_a_cross_origin_preflight() {
    let host = start().await;
    let res = host
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/clients", host.base),
        )
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("send");
    assert!(
        res.headers()
            .keys()
            .all(|k| !k.as_str().starts_with("access-control-"))
    );
    let res = host
        .http
        .get(format!("{}/api/clients", host.base))
        .bearer_auth(TOKEN)
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()
            .keys()
            .all(|k| !k.as_str().starts_with("access-control-"))
    );
}

#[tokio::test]
async fn openapi_document_is_generated_open_and_lists_every_path() {
    let host = start().await;
    let res = host
        .http
        .get(format!("{}/api/openapi.json", host.base))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = res.json().await.expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = doc["paths"].as_object().expect("paths");
    for p in [
        "/api/clients",
        "/api/clients/{client}/health",
        "/api/clients/{client}/series",
        "/api/clients/{client}/drift",
        "/api/clients/{client}/plugin",
        "/api/clients/{client}/plugin/swap",
        "/api/clients/{client}/plugin/rollback",
        "/api/clients/{client}/plugin/shadow",
        "/api/clients/{client}/plugin/shadow/{run}/accept",
        "/api/clients/{client}/why/{kind}/{subject}/replay",
        "/api/clients/{client}/buffers",
        "/api/whoami",
        "/api/overview",
        "/api/clients/{client}/pause",
        "/api/clients/{client}/resume",
        "/api/clients/{client}/run/{flow}",
        "/api/audit",
        "/api/clients/{client}/why/sku/{sku}",
        "/api/clients/{client}/why/order/{order}",
        "/api/exceptions",
        "/api/exceptions/summary",
        "/api/exceptions/{id}",
        "/api/exceptions/{id}/retry",
        "/api/exceptions/{id}/resolve",
    ] {
        assert!(paths.contains_key(p), "missing {p}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[tokio::test]
async fn metrics_need_the_token_and_expose_state_gauges() {
    let host = start().await;
    raise(&host.store, "order_invalid", "operations", "1", json!({})).await;
    let res = host
        .http
        .get(format!("{}/metrics", host.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.expect("text");
    assert!(text.contains("selvedge_exceptions{"), "{text}");
    assert!(
        text.contains("selvedge_order_queue_depth{client=\"northwind\"}"),
        "{text}"
    );
    // The exception raised above was a write: the store's group-commit counters moved.
    let counter = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    assert!(counter("selvedge_store_writes_total") >= 1, "{text}");
    assert!(counter("selvedge_store_commits_total") >= 1, "{text}");
    assert!(!text.contains(TOKEN));
}

#[tokio::test]
async fn dashboard_is_served_without_a_token_with_a_strict_csp() {
    let host = start().await;
    let res = host
        .http
        .get(format!("{}/dashboard/", host.base))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    let html = res.text().await.expect("html");
    assert!(html.contains("id=\"token-input\""));
    for asset in ["app.js", "charts.js", "style.css"] {
        let res = host
            .http
            .get(format!("{}/dashboard/{asset}", host.base))
            .send()
            .await
            .expect("send");
        assert_eq!(res.status(), StatusCode::OK, "{asset}");
    }
    let res = host
        .http
        .get(format!("{}/healthz", host.base))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::OK);
}
