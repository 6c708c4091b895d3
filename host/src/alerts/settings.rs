//! `[alerts]` in `selvedge.toml`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Targets;

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
    /// Per team: where alerts go.
    pub teams: BTreeMap<String, TeamTarget>,
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
            teams: BTreeMap::new(),
        }
    }
}

/// `[alerts.teams.<team>]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TeamTarget {
    /// Environment variable holding the team's incoming-webhook URL (Slack, Mattermost, Teams
    /// workflow, or anything taking `{"text": ...}`); URLs carry a token, so not in files.
    pub webhook_url_env: String,
}

impl AlertSettings {
    /// Reads each team's webhook URL from its environment variable; teams whose variable is
    /// unset are logged and skipped.
    pub fn resolve_targets(&self) -> Targets {
        let mut out = BTreeMap::new();
        for (team, target) in &self.teams {
            match std::env::var(&target.webhook_url_env) {
                Ok(url) if url.starts_with("http://") || url.starts_with("https://") => {
                    out.insert(team.clone(), url);
                }
                _ => {
                    tracing::warn!(team = %team, env = %target.webhook_url_env, "alert webhook not set (or not an http(s) URL); this team gets no alerts")
                }
            }
        }
        Targets(out)
    }
}
