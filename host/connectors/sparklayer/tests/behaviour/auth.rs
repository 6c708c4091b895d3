use std::time::Duration;

use selvedge_sparklayer::Error;
use selvedge_sparklayer::sandbox::SandboxConfig;

use crate::common::{setup, setup_with};

#[tokio::test]
async fn token_is_fetched_once_and_reused_across_calls() {
    let (sandbox, client) = setup().await;
    client.list_stock_locations().await.expect("first call");
    client.list_stock_locations().await.expect("second call");
    assert_eq!(client.stats().snapshot().token_fetches, 1);
    assert_eq!(sandbox.state().stats().tokens_issued, 1);
}

#[tokio::test]
async fn token_expired_early_on_the_server_gets_one_refetch_and_the_call_succeeds() {
    let (sandbox, client) = setup().await;
    client.list_stock_locations().await.expect("first call");
    sandbox.state().expire_all_tokens();
    client
        .list_stock_locations()
        .await
        .expect("refetched token works");
    let stats = client.stats().snapshot();
    assert_eq!(stats.unauthorized, 1);
    assert_eq!(stats.token_fetches, 2);
    assert_eq!(
        sandbox.state().requests_to("GET /api/v1/stock-locations"),
        3
    );
}

#[tokio::test]
async fn second_401_is_a_typed_error_without_looping() {
    // Tokens that are dead on arrival: every API call answers 401.
    let config = SandboxConfig {
        token_lifetime: Duration::ZERO,
        ..SandboxConfig::default()
    };
    let (sandbox, client) = setup_with(config, |_| {}).await;
    let err = client
        .list_stock_locations()
        .await
        .expect_err("401 twice is an error");
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert_eq!(
        sandbox.state().requests_to("GET /api/v1/stock-locations"),
        2
    );
    assert_eq!(client.stats().snapshot().token_fetches, 2);
}

#[tokio::test]
async fn token_near_expiry_is_replaced_before_use_without_a_401() {
    let config = SandboxConfig {
        token_lifetime: Duration::from_secs(1),
        ..SandboxConfig::default()
    };
    let (sandbox, client) = setup_with(config, |_| {}).await;
    client.list_stock_locations().await.expect("first call");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.list_stock_locations().await.expect("second call");
    let stats = client.stats().snapshot();
    assert_eq!(stats.token_fetches, 2);
    assert_eq!(stats.unauthorized, 0);
    assert_eq!(sandbox.state().stats().unauthorized, 0);
}

#[tokio::test]
async fn sandbox_rejects_expired_tokens_and_a_missing_site_id_with_problem_json() {
    let config = SandboxConfig {
        token_lifetime: Duration::from_secs(1),
        ..SandboxConfig::default()
    };
    let (sandbox, _client) = setup_with(config, |_| {}).await;
    let http = reqwest::Client::new();
    let base = sandbox.base_url();
    let token: serde_json::Value = http
        .post(format!("{base}/api/auth/token"))
        .header("Site-Id", "sandbox-site")
        .json(&serde_json::json!({
            "grant_type": "client_credentials",
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret"
        }))
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token json");
    assert_eq!(token["expires_in"], 1);
    let bearer = token["access_token"]
        .as_str()
        .expect("token string")
        .to_owned();
    let get = |site: Option<&str>| {
        let mut req = http
            .get(format!("{base}/api/v1/stock-locations"))
            .bearer_auth(&bearer);
        if let Some(site) = site {
            req = req.header("Site-Id", site);
        }
        req.send()
    };
    assert_eq!(get(Some("sandbox-site")).await.expect("ok").status(), 200);
    let no_site = get(None).await.expect("answer");
    assert_eq!(no_site.status(), 401);
    assert_eq!(
        no_site.headers()["content-type"],
        "application/problem+json"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        get(Some("sandbox-site")).await.expect("answer").status(),
        401
    );
}

#[tokio::test]
async fn wrong_client_secret_is_a_credentials_error() {
    let (_sandbox, client) = setup_with(SandboxConfig::default(), |c| {
        c.client_secret = selvedge_sparklayer::Secret::new("wrong");
    })
    .await;
    let err = client.list_stock_locations().await.expect_err("refused");
    assert!(
        matches!(err, Error::Credentials { status: 401, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn concurrent_calls_share_one_token_fetch() {
    let (sandbox, client) = setup().await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.list_stock_locations().await })
        })
        .collect();
    for task in tasks {
        task.await.expect("task joins").expect("call succeeds");
    }
    assert_eq!(sandbox.state().stats().tokens_issued, 1);
}
