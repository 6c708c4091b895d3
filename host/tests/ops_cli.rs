//! The CLI that mirrors the admin API (`status`, `explain`, `plugin list|swap|rollback`)
//! against a live admin router, and `handover` from the example configs.

use std::path::Path;
use std::sync::Arc;

use selvedge::flows::{FlowKind, Owners};
use selvedge::http::{AdminClient, AdminState, AdminToken, StorefrontStats, admin_router};
use selvedge_runtime::{ClientContext, PluginLimits, PluginRegistry, Runtime, RuntimeOptions};
use selvedge_store::{Decision, Measurements, NewException, RunStatus, Store};
use selvedge_store_sqlite::SqliteStore;
use serde_json::{Value, json};
use time::OffsetDateTime;

const TOKEN: &str = "cli-test-token";
const CLIENT: &str = "northwind";

async fn start() -> (String, Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(dir.path().join("s.sqlite"))
            .await
            .expect("store"),
    );
    let registry = PluginRegistry::new(Runtime::new(RuntimeOptions::default()).expect("runtime"));
    let slot = registry.add_client(
        CLIENT,
        ClientContext::default(),
        PluginLimits::default(),
        None,
    );
    let state = AdminState::for_clients(
        store.clone(),
        registry,
        vec![AdminClient {
            id: CLIENT.into(),
            storefront: "bigcommerce",
            flows: vec![FlowKind::Inventory],
            plugin: slot,
            owners: Arc::new(Owners::default()),
            stats: StorefrontStats::None,
        }],
        AdminToken::new(Some(TOKEN.into())),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, admin_router(state)).await;
    });
    (format!("http://{addr}"), store, dir)
}

async fn selvedge(args: &[&str], url: &str, token: &str) -> (i32, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_selvedge"))
        .args(args)
        .env("SELVEDGE_ADMIN_URL", url)
        .env("SELVEDGE_ADMIN_TOKEN", token)
        .env_remove("SELVEDGE_CONFIG")
        .output()
        .await
        .expect("run selvedge");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_explain_and_plugin_commands_mirror_the_api() {
    let (url, store, _dir) = start().await;
    let now = OffsetDateTime::now_utc();
    let run = store
        .start_run(CLIENT, "inventory", now)
        .await
        .expect("start");
    let m = Measurements {
        erp_cycle_end: Some(now),
        storefront_updated_at: Some(now + time::Duration::seconds(12)),
        ..Measurements::default()
    };
    store
        .finish_run(run, RunStatus::Succeeded, &m, None, now)
        .await
        .expect("finish");

    let (code, out, err) = selvedge(&["status", "--client", CLIENT], &url, TOKEN).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("northwind (bigcommerce)") && out.contains("cycle latency         12.0 s"),
        "{out}"
    );
    // Without --client: the overview, one line per client.
    let (code, out, err) = selvedge(&["status"], &url, TOKEN).await;
    assert_eq!(code, 0, "{out}{err}");
    let line = out
        .lines()
        .find(|l| l.contains("northwind"))
        .unwrap_or_default();
    assert!(line.starts_with("ok") && line.contains("12 s"), "{out}");

    store
        .raise_exception(
            NewException {
                client: CLIENT.into(),
                kind: "order_invalid".into(),
                owner: "operations".into(),
                subject: "9".into(),
                summary: "bad".into(),
                details: json!({}),
            },
            now,
        )
        .await
        .expect("raise");
    let (code, out, _) = selvedge(&["status", "--client", CLIENT, "--json"], &url, TOKEN).await;
    assert_eq!(code, 1, "unresolved exceptions make status exit 1");
    let doc: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc[0]["unresolved_exceptions"], 1);
    let (code, out, _) = selvedge(&["status", "--json"], &url, TOKEN).await;
    assert_eq!(code, 1, "a degraded client makes the overview exit 1");
    let doc: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["rows"][0]["state"], "degraded");
    assert_eq!(doc["rows"][0]["exceptions_by_team"]["operations"], 1);

    let (code, _, err) = selvedge(&["status"], &url, "wrong").await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("refused the admin token"), "{err}");

    store
        .record_decisions(&[Decision {
            client: CLIENT.into(),
            flow: "inventory".into(),
            subject: "SKU-1".into(),
            plugin_id: "b2c-apparel".into(),
            plugin_version: "0123456789abcdef".into(),
            reason: json!({"buffer": 2}),
            value: json!({"NJ01": 5}),
            call_id: None,
            created_at: now,
        }])
        .await
        .expect("decide");
    let (code, out, err) = selvedge(&["explain", "sku", "SKU-1"], &url, TOKEN).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("inventory: Stock decision; plugin b2c-apparel 0123456")
            && !out.contains("\"buffer\":2"),
        "one sentence, the raw record only with --details: {out}"
    );
    let (code, out, err) = selvedge(&["explain", "sku", "SKU-1", "--details"], &url, TOKEN).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"buffer\":2"), "{out}");
    let (code, _, err) = selvedge(&["explain", "order", "404"], &url, TOKEN).await;
    assert_eq!(code, 2, "{err}");

    let b2c = selvedge_plugin_artifacts::b2c_apparel()
        .display()
        .to_string();
    let b2b = selvedge_plugin_artifacts::b2b_wholesale()
        .display()
        .to_string();
    let (code, out, err) = selvedge(
        &["plugin", "swap", CLIENT, &b2c, "--label", "first"],
        &url,
        TOKEN,
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = selvedge(
        &["plugin", "swap", CLIENT, &b2b, "--upload", "--json"],
        &url,
        TOKEN,
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    let swapped: Value = serde_json::from_str(&out).expect("json");
    let (code, out, err) = selvedge(&["plugin", "rollback", CLIENT, "--json"], &url, TOKEN).await;
    assert_eq!(code, 0, "{err}");
    let back: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(back["to"], swapped["from"]);
    let (code, out, _) = selvedge(&["plugin", "list"], &url, TOKEN).await;
    assert_eq!(code, 0);
    assert!(
        out.contains("rollback (admin API)") && out.contains("swap (admin API)"),
        "{out}"
    );
}

#[test]
fn handover_explains_flows_schedules_masters_and_owners_in_plain_english() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_selvedge"))
        .args(["handover", "--config"])
        .arg(&examples)
        .args(["--client", "northwind-apparel"])
        .output()
        .expect("run selvedge");
    let doc = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "# Handover: northwind-apparel",
        "| inventory | Blue Cherry → BigCommerce |",
        "after every Blue Cherry batch cycle",
        "every 30 seconds (`*/30 * * * * *`)",
        "daily at 06:00",
        "| Stock | Blue Cherry |",
        "| Refunds | BigCommerce |",
        "| `order_invalid` | operations |",
        "| `drift_order` | finance |",
        "| NJ01 | NJ01 |",
        "fast_mover_buffer",
    ] {
        assert!(doc.contains(expected), "missing {expected:?} in:\n{doc}");
    }
    assert!(
        !doc.contains("| b2b |"),
        "B2B does not apply to a BigCommerce client"
    );
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_selvedge"))
        .args(["handover", "--config"])
        .arg(&examples)
        .args(["--client", "nobody"])
        .output()
        .expect("run selvedge");
    assert_eq!(bad.status.code(), Some(2));
}
