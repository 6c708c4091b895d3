//! Alerts: a local receiver gets exactly one Slack-compatible alert per incident, with a link
//! to the dashboard view; a new incident after the old one cleared is alerted again.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use selvedge::alerts::{AlertClient, AlertSettings, Alerter, Targets};
use selvedge::flows::{FlowKind, Owners};
use selvedge_store::{Measurements, NewException, RunStatus, SqliteStore, Store};
use serde_json::{Value, json};
use time::OffsetDateTime;

type Inbox = Arc<Mutex<Vec<(String, Value)>>>;

/// A receiver per team path; answers 500 to `/flaky` the first time.
async fn receiver() -> (String, Inbox) {
    let inbox: Inbox = Arc::default();
    async fn take(
        State(inbox): State<Inbox>,
        uri: axum::http::Uri,
        Json(body): Json<Value>,
    ) -> StatusCode {
        let Ok(mut seen) = inbox.lock() else {
            return StatusCode::INTERNAL_SERVER_ERROR;
        };
        let path = uri.path().to_string();
        if path == "/flaky" && !seen.iter().any(|(p, _)| p == "/flaky-refused") {
            seen.push(("/flaky-refused".into(), body));
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
        seen.push((path, body));
        StatusCode::OK
    }
    let app = axum::Router::new()
        .route("/{team}", post(take))
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), inbox)
}

fn alerts_to(inbox: &Inbox, path: &str) -> Vec<String> {
    inbox
        .lock()
        .map(|v| {
            v.iter()
                .filter(|(p, _)| p == path)
                .filter_map(|(_, b)| b["text"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

async fn setup(
    settings: AlertSettings,
    teams: &[(&str, &str)],
) -> (Arc<dyn Store>, Alerter, Inbox, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(dir.path().join("s.sqlite"))
            .await
            .expect("store"),
    );
    let (base, inbox) = receiver().await;
    let targets = Targets(
        teams
            .iter()
            .map(|(team, path)| (team.to_string(), format!("{base}/{path}")))
            .collect::<BTreeMap<_, _>>(),
    );
    let clients = vec![AlertClient {
        id: "northwind".into(),
        owners: Arc::new(Owners::default()),
        flows: vec![FlowKind::Inventory],
    }];
    let alerter = Alerter::new(
        store.clone(),
        clients,
        settings,
        targets,
        "http://127.0.0.1:8481".into(),
    );
    (store, alerter, inbox, dir)
}

async fn raise(store: &Arc<dyn Store>, kind: &str, owner: &str, subject: &str) -> i64 {
    store
        .raise_exception(
            NewException {
                client: "northwind".into(),
                kind: kind.into(),
                owner: owner.into(),
                subject: subject.into(),
                summary: format!("{kind} {subject}"),
                details: json!({}),
            },
            OffsetDateTime::now_utc(),
        )
        .await
        .expect("raise")
        .exception
        .id
}

#[tokio::test]
async fn one_incident_is_one_alert_to_its_owner_team_and_a_new_incident_alerts_again() {
    let (store, alerter, inbox, _dir) = setup(
        AlertSettings::default(),
        &[
            ("operations", "operations"),
            ("finance", "finance"),
            ("ecommerce", "ecommerce"),
        ],
    )
    .await;
    let first = raise(&store, "order_invalid", "operations", "1001").await;
    alerter.check_once().await.expect("check");
    raise(&store, "order_invalid", "operations", "1002").await;
    raise(&store, "order_invalid", "operations", "1001").await; // seen again: same exception
    for _ in 0..3 {
        alerter.check_once().await.expect("check");
    }
    let ops = alerts_to(&inbox, "/operations");
    assert_eq!(ops.len(), 1, "{ops:?}");
    assert!(
        ops[0].contains("order_invalid") && ops[0].contains("[northwind]"),
        "{}",
        ops[0]
    );
    assert!(
        ops[0].contains("<http://127.0.0.1:8481/dashboard/#client=northwind&view=exceptions&owner=operations&kind=order_invalid|"),
        "{}",
        ops[0]
    );
    assert!(alerts_to(&inbox, "/finance").is_empty() && alerts_to(&inbox, "/ecommerce").is_empty());

    // The incident ends when nothing of that kind is unresolved; the next one is new.
    let filter = selvedge_store::ExceptionFilter::default();
    for e in store
        .list_exceptions(&filter, selvedge_store::Page::default())
        .await
        .expect("list")
    {
        store
            .resolve_exception(e.id, "ana", "fixed", OffsetDateTime::now_utc())
            .await
            .expect("resolve");
    }
    alerter.check_once().await.expect("check");
    assert_eq!(alerts_to(&inbox, "/operations").len(), 1);
    let _ = first;
    raise(&store, "order_invalid", "operations", "1003").await;
    alerter.check_once().await.expect("check");
    alerter.check_once().await.expect("check");
    assert_eq!(alerts_to(&inbox, "/operations").len(), 2);
}

#[tokio::test]
async fn drift_over_the_threshold_latency_and_a_stopped_sync_alert_once_each() {
    let settings = AlertSettings {
        max_drift: 1,
        max_cycle_latency_secs: 60,
        stale_after_secs: 0,
        sync_owner: "operations".into(),
        ..AlertSettings::default()
    };
    let (store, alerter, inbox, _dir) = setup(
        settings,
        &[("operations", "operations"), ("ecommerce", "ecommerce")],
    )
    .await;
    raise(&store, "drift_stock", "ecommerce", "SKU-1").await;
    alerter.check_once().await.expect("check");
    assert!(
        alerts_to(&inbox, "/ecommerce").is_empty(),
        "one drift finding is within the threshold"
    );
    raise(&store, "drift_stock", "ecommerce", "SKU-2").await;
    let end = OffsetDateTime::now_utc() - time::Duration::hours(2);
    let run = store
        .start_run("northwind", "inventory", end)
        .await
        .expect("start");
    let m = Measurements {
        erp_cycle_end: Some(end),
        storefront_updated_at: Some(end + time::Duration::seconds(600)),
        ..Measurements::default()
    };
    store
        .finish_run(run, RunStatus::Succeeded, &m, None, end)
        .await
        .expect("finish");
    for _ in 0..3 {
        alerter.check_once().await.expect("check");
    }
    let eco = alerts_to(&inbox, "/ecommerce");
    assert_eq!(eco.len(), 1, "{eco:?}");
    assert!(
        eco[0].contains("drift: 2") && eco[0].contains("view=drift"),
        "{}",
        eco[0]
    );
    let ops = alerts_to(&inbox, "/operations");
    assert_eq!(ops.len(), 2, "{ops:?}");
    assert!(
        ops.iter().any(|t| t.contains("cycle latency 600 s")),
        "{ops:?}"
    );
    assert!(
        ops.iter()
            .any(|t| t.contains("inventory sync has not run successfully")),
        "{ops:?}"
    );
}

#[tokio::test]
async fn a_refused_delivery_is_retried_and_then_sent_once() {
    let (store, alerter, inbox, _dir) =
        setup(AlertSettings::default(), &[("operations", "flaky")]).await;
    raise(&store, "order_stuck", "operations", "77").await;
    let first = alerter.check_once().await.expect("check");
    assert!(first.is_empty(), "the receiver refused it");
    let second = alerter.check_once().await.expect("check");
    assert_eq!(second.len(), 1);
    alerter.check_once().await.expect("check");
    assert_eq!(alerts_to(&inbox, "/flaky").len(), 1);
}

#[test]
fn targets_never_show_webhook_urls_in_debug() {
    let t = Targets(
        [(
            "finance".to_string(),
            "https://hooks.example/T000/B000/secret".to_string(),
        )]
        .into(),
    );
    let shown = format!("{t:?}");
    assert!(
        !shown.contains("secret") && shown.contains("finance"),
        "{shown}"
    );
}
