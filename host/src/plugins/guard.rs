//! Auto-rollback: a version change is watched until the new version has made enough live
//! calls to judge. If it failed more often than the version it replaced (on this host), by
//! more than the client's margin, the host rolls back by itself, raises a `plugin_error`
//! exception for the plugin's owner team and says why. Every host judges what it runs; a
//! rollback on one is recorded as the desired version and followed by the others.

use selvedge_runtime::CallCounts;
use selvedge_store::NewException;
use serde_json::json;
use time::OffsetDateTime;

use super::{ChangeError, PluginChanges};
use crate::config::AutoRollback;
use crate::exceptions::ExceptionKind;

/// A client's guard settings and who owns its plugin's exceptions.
#[derive(Debug, Clone)]
pub struct Guard {
    pub settings: AutoRollback,
    pub owner: String,
}

/// A version change under watch.
#[derive(Debug, Clone)]
pub(super) struct Watched {
    new: String,
    old: String,
    /// The replaced version's calls on this host when it was replaced.
    old_counts: CallCounts,
    /// The new version's calls before the change (a version can come back).
    new_baseline: CallCounts,
}

/// A rollback the guard made.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoRolledBack {
    pub client: String,
    pub from: String,
    pub to: String,
    pub why: String,
}

impl PluginChanges {
    /// Starts watching `client`'s change from `old` to the version it runs now.
    pub(super) fn watch_change(&self, client: &str, old: Option<String>) {
        let (Some(old), Ok(slot)) = (old, self.slot(client)) else {
            return;
        };
        let Some(new) = slot.current().map(|v| v.version.clone()) else {
            return;
        };
        let guarded = self
            .guards
            .get(client)
            .is_some_and(|g| g.settings.calls > 0);
        if new == old || !guarded {
            return;
        }
        let watched = Watched {
            old_counts: slot.call_counts(&old),
            new_baseline: slot.call_counts(&new),
            new,
            old,
        };
        self.watched
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(client.to_owned(), watched);
    }

    /// Stops watching `client` (a deliberate rollback, or a new change replaces the watch).
    pub(super) fn unwatch(&self, client: &str) {
        self.watched
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(client);
    }

    /// Judges every watched change that has made enough calls; rolls back the ones that
    /// fail too often. Returns the rollbacks made.
    pub async fn check_guards(&self) -> Result<Vec<AutoRolledBack>, ChangeError> {
        let watched: Vec<(String, Watched)> = self
            .watched
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(c, w)| (c.clone(), w.clone()))
            .collect();
        let mut rolled_back = Vec::new();
        for (client, w) in watched {
            let (Some(guard), Ok(slot)) = (self.guards.get(&client), self.slot(&client)) else {
                continue;
            };
            if slot.current().map(|v| v.version.clone()).as_deref() != Some(w.new.as_str()) {
                self.unwatch(&client);
                continue;
            }
            let new_counts = slot.call_counts(&w.new).since(w.new_baseline);
            if new_counts.calls < u64::from(guard.settings.calls) {
                continue;
            }
            self.unwatch(&client);
            let (old_rate, new_rate) = (w.old_counts.failure_rate(), new_counts.failure_rate());
            if new_rate <= old_rate + guard.settings.margin {
                tracing::info!(%client, version = %w.new, calls = new_counts.calls, failures = new_counts.failures, "plugin version passed its auto-rollback guard");
                continue;
            }
            let why = format!(
                "{} of the first {} calls of version {} failed ({:.1}%) against {:.1}% of {} calls of version {} before it (allowed rise {:.1} points)",
                new_counts.failures,
                new_counts.calls,
                short(&w.new),
                new_rate * 100.0,
                old_rate * 100.0,
                w.old_counts.calls,
                short(&w.old),
                guard.settings.margin * 100.0
            );
            let reason = format!("auto-rollback: {why}");
            let report = self.rollback(&client, &reason).await?;
            tracing::error!(%client, from = %w.new, to = %report.to, %why, "plugin rolled back automatically");
            metrics::counter!("selvedge_plugin_auto_rollbacks_total", "client" => client.clone())
                .increment(1);
            self.store
                .raise_exception(
                    NewException {
                        client: client.clone(),
                        kind: ExceptionKind::PluginError.as_str().to_owned(),
                        owner: guard.owner.clone(),
                        subject: format!("plugin {}", short(&w.new)),
                        summary: format!("plugin rolled back automatically: {why}"),
                        details: json!({
                            "rolled_back": w.new,
                            "restored": report.to,
                            "new_calls": new_counts.calls,
                            "new_failures": new_counts.failures,
                            "old_calls": w.old_counts.calls,
                            "old_failures": w.old_counts.failures,
                            "margin": guard.settings.margin,
                        }),
                    },
                    OffsetDateTime::now_utc(),
                )
                .await?;
            rolled_back.push(AutoRolledBack {
                client,
                from: w.new,
                to: report.to,
                why,
            });
        }
        Ok(rolled_back)
    }
}

fn short(version: &str) -> &str {
    version.get(..12).unwrap_or(version)
}
