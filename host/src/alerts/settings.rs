//! `[alerts]` in `selvedge.toml`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Targets;
use super::email::Mailer;

/// When to alert, and where each team's alerts go.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AlertSettings {
    /// Run the alerter at all.
    pub enabled: bool,
    /// Seconds between checks.
    pub check_interval_secs: u64,
    /// Alert when the latest inventory cycle took longer than this from ERP cycle end to
    /// storefront updated, seconds.
    pub max_cycle_latency_secs: u64,
    /// Alert when a client has more unresolved drift exceptions (`drift_stock`,
    /// `drift_order`, `sku_missing`) than this.
    pub max_drift: u64,
    /// Alert when one of `watch_flows` has had no successful run for this long, seconds.
    pub stale_after_secs: u64,
    /// Flows whose silence is alerted (only those the client schedules).
    pub watch_flows: Vec<String>,
    /// Team told about slow or stopped syncs.
    pub sync_owner: String,
    /// An exception unresolved for longer than this is past its owner team's deadline: the
    /// overview marks its client failing. Hours.
    pub exception_deadline_hours: u64,
    /// SMTP server for teams that list `email` addresses.
    pub email: Option<EmailSettings>,
    /// Per team: where alerts go.
    pub teams: BTreeMap<String, TeamTarget>,
}

/// `[alerts.email]`: the SMTP server alert mail goes through.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// SMTP server host name.
    pub smtp_host: String,
    /// SMTP port (587 for STARTTLS, 465 for TLS, 25 for a local relay).
    #[serde(default = "default_smtp_port")]
    pub smtp_port: u16,
    /// `starttls` (default), `tls`, or `none` (a relay on the same machine only).
    #[serde(default)]
    pub tls: EmailTls,
    /// Sender, e.g. `Selvedge <selvedge@example.com>`.
    pub from: String,
    /// Environment variable holding the SMTP user name (with `password_env`).
    #[serde(default)]
    pub username_env: Option<String>,
    /// Environment variable holding the SMTP password.
    #[serde(default)]
    pub password_env: Option<String>,
}

fn default_smtp_port() -> u16 {
    587
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EmailTls {
    /// Plain connection upgraded with STARTTLS (required).
    #[default]
    Starttls,
    /// TLS from the first byte.
    Tls,
    /// No encryption.
    None,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            check_interval_secs: 30,
            max_cycle_latency_secs: 900,
            max_drift: 0,
            stale_after_secs: 1_800,
            watch_flows: vec!["inventory".into(), "orders".into()],
            sync_owner: "operations".into(),
            exception_deadline_hours: 24,
            email: None,
            teams: BTreeMap::new(),
        }
    }
}

/// `[alerts.teams.<team>]`: a webhook, email addresses, or both.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TeamTarget {
    /// Environment variable holding the team's incoming-webhook URL (Slack, Mattermost, Teams
    /// workflow, or anything taking `{"text": ...}`); URLs carry a token, so not in files.
    pub webhook_url_env: Option<String>,
    /// Addresses mailed through `[alerts.email]`.
    pub email: Vec<String>,
}

impl AlertSettings {
    /// Reads each team's webhook URL from its environment variable (teams whose variable is
    /// unset are logged and get no webhook) and builds the SMTP sender if any team has email.
    pub fn resolve_targets(&self) -> Targets {
        let mut targets = Targets::default();
        for (team, target) in &self.teams {
            if let Some(env) = &target.webhook_url_env {
                match std::env::var(env) {
                    Ok(url) if url.starts_with("http://") || url.starts_with("https://") => {
                        targets.webhooks.insert(team.clone(), url);
                    }
                    _ => {
                        tracing::warn!(team = %team, env = %env, "alert webhook not set (or not an http(s) URL)")
                    }
                }
            }
            if !target.email.is_empty() {
                targets.emails.insert(team.clone(), target.email.clone());
            }
        }
        if !targets.emails.is_empty() {
            match &self.email {
                Some(settings) => match Mailer::new(settings) {
                    Ok(mailer) => targets.mailer = Some(mailer),
                    Err(err) => tracing::warn!(%err, "alert email disabled"),
                },
                None => tracing::warn!(
                    "teams list alert email addresses but [alerts.email] is missing; no mail is sent"
                ),
            }
        }
        targets
    }
}
