//! Alerts: a local receiver gets exactly one Slack-compatible alert per incident, with a link
//! to the dashboard view; a new incident after the old one cleared is alerted again.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use selvedge::alerts::{
    AlertClient, AlertSettings, Alerter, EmailSettings, EmailTls, Mailer, Targets,
};
use selvedge::flows::{FlowKind, Owners};
use selvedge_store::{Measurements, NewException, RunStatus, Store};
use selvedge_store_sqlite::SqliteStore;
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
    let targets = Targets {
        webhooks: teams
            .iter()
            .map(|(team, path)| (team.to_string(), format!("{base}/{path}")))
            .collect::<BTreeMap<_, _>>(),
        ..Targets::default()
    };
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
    let t = Targets {
        webhooks: [(
            "finance".to_string(),
            "https://hooks.example/T000/B000/secret".to_string(),
        )]
        .into(),
        ..Targets::default()
    };
    let shown = format!("{t:?}");
    assert!(
        !shown.contains("secret") && shown.contains("finance"),
        "{shown}"
    );
}

/// A minimal SMTP server: accepts every message and keeps its DATA.
async fn smtp_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mails: Arc<Mutex<Vec<String>>> = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let store = mails.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 localhost ESMTP test\r\n").await;
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            if let Ok(mut m) = store.lock() {
                                m.push(std::mem::take(body));
                            }
                            data = None;
                            let _ = write.write_all(b"250 queued\r\n").await;
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 localhost\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    (port, mails)
}

#[tokio::test]
async fn a_team_with_email_gets_one_mail_per_incident_with_the_dashboard_link() {
    let (port, mails) = smtp_server().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(dir.path().join("s.sqlite"))
            .await
            .expect("store"),
    );
    let mailer = Mailer::new(&EmailSettings {
        smtp_host: "127.0.0.1".into(),
        smtp_port: port,
        tls: EmailTls::None,
        from: "Selvedge <selvedge@example.com>".into(),
        username_env: None,
        password_env: None,
    })
    .expect("mailer");
    let targets = Targets {
        emails: [(
            "finance".to_string(),
            vec!["finance@example.com".to_string()],
        )]
        .into(),
        mailer: Some(mailer),
        ..Targets::default()
    };
    let clients = vec![AlertClient {
        id: "northwind".into(),
        owners: Arc::new(Owners::default()),
        flows: vec![],
    }];
    let alerter = Alerter::new(
        store.clone(),
        clients,
        AlertSettings::default(),
        targets,
        "http://127.0.0.1:8481".into(),
    );
    raise(&store, "refund_failed", "finance", "R-9").await;
    for _ in 0..3 {
        alerter.check_once().await.expect("check");
    }
    let mails = mails.lock().map(|m| m.clone()).unwrap_or_default();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains("To: finance@example.com"), "{}", mails[0]);
    assert!(mails[0].contains("refund_failed"), "{}", mails[0]);
    // The body is quoted-printable: undo soft line breaks and `=` escapes to read the link.
    let body = mails[0].replace("=\n", "").replace("=3D", "=");
    assert!(body.contains("Open in the Selvedge dashboard: http://127.0.0.1:8481/dashboard/#client=northwind&view=exceptions"), "{body}");
}

#[test]
fn admin_and_alert_sections_of_selvedge_toml_parse_strictly() {
    let text = r#"
admin_listen = "127.0.0.1:8481"
[admin]
token_env = "MY_TOKEN"
public_url = "https://selvedge.example.com"
[alerts]
check_interval_secs = 10
max_cycle_latency_secs = 600
max_drift = 3
stale_after_secs = 900
watch_flows = ["inventory"]
sync_owner = "ecommerce"
[alerts.email]
smtp_host = "smtp.example.com"
from = "Selvedge <selvedge@example.com>"
[alerts.teams.finance]
webhook_url_env = "FINANCE_HOOK"
email = ["finance@example.com"]
[alerts.teams.operations]
email = ["ops@example.com"]
"#;
    let host: selvedge::config::HostConfig = toml::from_str(text).expect("parses");
    assert_eq!(host.admin.token_env, "MY_TOKEN");
    assert_eq!(host.alerts.max_drift, 3);
    let email = host.alerts.email.expect("email");
    assert_eq!((email.smtp_port, email.tls), (587, EmailTls::Starttls));
    assert_eq!(
        host.alerts.teams["finance"].webhook_url_env.as_deref(),
        Some("FINANCE_HOOK")
    );
    let defaults: selvedge::config::HostConfig = toml::from_str("").expect("defaults");
    assert_eq!(defaults.admin.token_env, "SELVEDGE_ADMIN_TOKEN");
    assert!(defaults.alerts.enabled && defaults.alerts.teams.is_empty());
    let typo = toml::from_str::<selvedge::config::HostConfig>("[alerts]\nmax_drfit = 1\n");
    assert!(typo.is_err(), "unknown keys are errors");
}
