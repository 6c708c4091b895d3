//! Alerts to owner teams: when exceptions of a team's kinds appear, when drift or cycle
//! latency crosses a threshold, or when a sync stops running.
//!
//! A periodic check computes the set of *incidents* that hold now (one per client and
//! condition, e.g. "northwind has open `order_invalid` exceptions"). An incident is alerted
//! once, when it first holds; it is forgotten when it stops holding, so the next occurrence
//! is a new incident. The alerted set is kept in the store (a cursor per client), so a restart
//! does not alert again. A delivery that fails is retried at the next check: teams get
//! at-least-once delivery, and exactly one alert per incident when their receiver answers 2xx.

mod email;
mod incidents;
mod settings;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use selvedge_store::Store;
use time::OffsetDateTime;

pub use email::Mailer;
pub use incidents::Incident;
pub use settings::{AlertSettings, EmailSettings, EmailTls, TeamTarget};

use crate::app::App;
use crate::flows::{FlowKind, Owners};

/// Name of the per-client cursor holding the alerted incident keys.
const CURSOR: &str = "alerts.incidents";

/// Why a check could not run.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] selvedge_store::StoreError),
}

/// What the alerter watches of one client.
#[derive(Clone)]
pub struct AlertClient {
    /// Client id.
    pub id: String,
    /// Owner team per exception kind.
    pub owners: Arc<Owners>,
    /// Flows with a schedule.
    pub flows: Vec<FlowKind>,
}

/// Where each team's alerts go, secrets resolved (webhook URLs carry a token, so they come
/// from the environment, not from files). `Debug` hides the URLs.
#[derive(Clone, Default)]
pub struct Targets {
    /// Team -> incoming-webhook URL.
    pub webhooks: BTreeMap<String, String>,
    /// Team -> email addresses.
    pub emails: BTreeMap<String, Vec<String>>,
    /// SMTP sender for the addresses.
    pub mailer: Option<Mailer>,
}

impl std::fmt::Debug for Targets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let webhooks: Vec<String> = self
            .webhooks
            .keys()
            .map(|team| format!("{team}: <redacted>"))
            .collect();
        f.debug_struct("Targets")
            .field("webhooks", &webhooks)
            .field("emails", &self.emails)
            .field("mailer", &self.mailer)
            .finish()
    }
}

/// The alerter.
pub struct Alerter {
    store: Arc<dyn Store>,
    clients: Vec<AlertClient>,
    settings: AlertSettings,
    targets: Targets,
    dashboard_url: String,
    http: reqwest::Client,
    started_at: OffsetDateTime,
}

impl Alerter {
    /// An alerter over a store; `dashboard_url` is the base of the links in alerts.
    pub fn new(
        store: Arc<dyn Store>,
        clients: Vec<AlertClient>,
        settings: AlertSettings,
        targets: Targets,
        dashboard_url: String,
    ) -> Self {
        Self {
            store,
            clients,
            settings,
            targets,
            dashboard_url: dashboard_url.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            started_at: OffsetDateTime::now_utc(),
        }
    }

    /// From the running host: targets from the environment variables `[alerts.teams.*]` name.
    pub fn from_app(app: &App) -> Self {
        let settings = app.config.host.alerts.clone();
        let targets = settings.resolve_targets();
        let host = &app.config.host;
        let dashboard = host
            .admin
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", host.admin_listen));
        let clients = app
            .clients
            .iter()
            .map(|c| AlertClient {
                id: c.config.id.clone(),
                owners: c.services.owners.clone(),
                flows: c.config.compiled_schedules.iter().map(|s| s.flow).collect(),
            })
            .collect();
        Self::new(app.store.clone(), clients, settings, targets, dashboard)
    }

    /// One check: alerts every incident that newly holds; returns those delivered.
    pub async fn check_once(&self) -> Result<Vec<Incident>, AlertError> {
        let now = OffsetDateTime::now_utc();
        let mut delivered = Vec::new();
        for client in &self.clients {
            let holding = incidents::evaluate(
                self.store.as_ref(),
                client,
                &self.settings,
                &self.dashboard_url,
                self.started_at,
                now,
            )
            .await?;
            let alerted = self.alerted(&client.id).await?;
            let mut keep: BTreeSet<String> = BTreeSet::new();
            for incident in holding {
                if alerted.contains(&incident.key) {
                    keep.insert(incident.key.clone());
                    continue;
                }
                if self.send(&incident).await {
                    keep.insert(incident.key.clone());
                    delivered.push(incident);
                }
            }
            // Keys no longer holding are dropped: that incident is over.
            if keep != alerted {
                let value = serde_json::to_string(&keep).unwrap_or_else(|_| "[]".into());
                self.store
                    .set_cursor(&client.id, CURSOR, &value, now)
                    .await?;
            }
        }
        Ok(delivered)
    }

    async fn alerted(&self, client: &str) -> Result<BTreeSet<String>, AlertError> {
        let saved = self.store.cursor(client, CURSOR).await?;
        // A corrupt value only costs repeated alerts, never a stopped alerter.
        Ok(saved
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default())
    }

    /// Delivers to every team of the incident, by webhook and by email; true when every
    /// target took it. A team without any target is logged and counts as delivered, so it is
    /// not retried forever.
    async fn send(&self, incident: &Incident) -> bool {
        let mut ok = true;
        for team in &incident.teams {
            let webhook = self.targets.webhooks.get(team);
            let emails = self
                .targets
                .emails
                .get(team)
                .filter(|_| self.targets.mailer.is_some());
            if webhook.is_none() && emails.is_none() {
                tracing::warn!(team = %team, key = %incident.key, text = %incident.text, "alert for a team without a webhook or email");
                continue;
            }
            if let Some(url) = webhook {
                ok &= self.post(team, url, incident).await;
            }
            if let (Some(to), Some(mailer)) = (emails, &self.targets.mailer) {
                match mailer.send(to, incident).await {
                    Ok(()) => {
                        metrics::counter!("selvedge_alerts_sent_total", "team" => team.clone(), "via" => "email").increment(1);
                        tracing::info!(team = %team, key = %incident.key, "alert mailed");
                    }
                    Err(err) => {
                        ok = false;
                        tracing::warn!(team = %team, %err, "alert mail failed; retrying at the next check");
                    }
                }
            }
        }
        ok
    }

    async fn post(&self, team: &str, url: &str, incident: &Incident) -> bool {
        let body = serde_json::json!({ "text": incident.slack_text() });
        match self.http.post(url).json(&body).send().await {
            Ok(res) if res.status().is_success() => {
                metrics::counter!("selvedge_alerts_sent_total", "team" => team.to_string(), "via" => "webhook").increment(1);
                tracing::info!(team = %team, key = %incident.key, "alert sent");
                true
            }
            Ok(res) => {
                tracing::warn!(team = %team, status = %res.status(), "alert webhook refused the alert; retrying at the next check");
                false
            }
            Err(err) => {
                // reqwest errors may include the URL, which carries the webhook's token.
                let err = err.without_url();
                tracing::warn!(team = %team, %err, "alert webhook unreachable; retrying at the next check");
                false
            }
        }
    }

    /// Checks every `check_interval_secs` until `stop` turns true.
    pub fn spawn(
        self: Arc<Self>,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let every = Duration::from_secs(self.settings.check_interval_secs.max(1));
        tokio::spawn(async move {
            loop {
                if let Err(err) = self.check_once().await {
                    tracing::warn!(%err, "alert check failed");
                }
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = stop.wait_for(|s| *s) => break,
                }
            }
        })
    }
}

/// Starts the alerter of a running host, unless `[alerts] enabled = false`.
pub fn spawn_for(
    app: &App,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    if !app.config.host.alerts.enabled {
        return None;
    }
    Some(Arc::new(Alerter::from_app(app)).spawn(stop))
}
