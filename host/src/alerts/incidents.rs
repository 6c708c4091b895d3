//! Which incidents hold now, computed from the store.

use std::collections::{BTreeMap, BTreeSet};

use selvedge_store::{ExceptionFilter, ExceptionState, Page, Store};
use time::OffsetDateTime;

use super::{AlertClient, AlertError, AlertSettings};
use crate::flows::ExceptionKind;

/// Kinds counted as drift (alerted by threshold, not one incident per kind).
const DRIFT: [ExceptionKind; 3] = [
    ExceptionKind::DriftStock,
    ExceptionKind::DriftOrder,
    ExceptionKind::SkuMissing,
];

/// A condition that holds now; alerted once while it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// Identity: the same condition on the same client has the same key.
    pub key: String,
    /// Client.
    pub client: String,
    /// Teams told.
    pub teams: Vec<String>,
    /// Plain-text message.
    pub text: String,
    /// Dashboard view of it.
    pub link: String,
}

impl Incident {
    /// Slack mrkdwn: the message and a link.
    pub fn slack_text(&self) -> String {
        format!(
            "{} <{}|Open in the Selvedge dashboard>",
            self.text, self.link
        )
    }
}

fn link(base: &str, client: &str, view: &str, extra: &[(&str, &str)]) -> String {
    let mut out = format!("{base}/dashboard/#client={}&view={view}", encode(client));
    for (k, v) in extra {
        out.push_str(&format!("&{k}={}", encode(v)));
    }
    out
}

/// Percent-encodes what is not safe in a URL fragment value.
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every incident holding for one client.
pub async fn evaluate(
    store: &dyn Store,
    client: &AlertClient,
    settings: &AlertSettings,
    base: &str,
    started_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<Vec<Incident>, AlertError> {
    let id = client.id.as_str();
    let mut out = Vec::new();
    // Unresolved exceptions per (owner, kind).
    let mut counts: BTreeMap<(String, String), u64> = BTreeMap::new();
    for state in [ExceptionState::Open, ExceptionState::Retrying] {
        for c in store.exception_counts(Some(id), state).await? {
            *counts.entry((c.owner, c.kind)).or_default() += c.count;
        }
    }
    let drift_kinds: BTreeSet<&str> = DRIFT.iter().map(|k| k.as_str()).collect();
    let mut drift_total = 0;
    let mut drift_teams = BTreeSet::new();
    for ((owner, kind), count) in &counts {
        if drift_kinds.contains(kind.as_str()) {
            drift_total += count;
            drift_teams.insert(owner.clone());
            continue;
        }
        // The most recently seen one gives the example in the message.
        let filter = ExceptionFilter {
            client: Some(id.into()),
            state: None,
            owner: Some(owner.clone()),
            kind: Some(kind.clone()),
        };
        let latest = store
            .list_exceptions(
                &filter,
                Page {
                    limit: 1,
                    offset: 0,
                },
            )
            .await?;
        let example = latest
            .first()
            .map(|e| format!(" Latest: {} — {}.", e.subject, e.summary))
            .unwrap_or_default();
        out.push(Incident {
            key: format!("exceptions:{kind}"),
            client: id.into(),
            teams: vec![owner.clone()],
            text: format!("[{id}] {count} unresolved `{kind}` exception(s) for {owner}.{example}"),
            link: link(base, id, "exceptions", &[("owner", owner), ("kind", kind)]),
        });
    }
    if drift_total > settings.max_drift {
        out.push(Incident {
            key: "drift".into(),
            client: id.into(),
            teams: drift_teams.into_iter().collect(),
            text: format!("[{id}] drift: {drift_total} unresolved drift / missing-SKU finding(s) (threshold {}).", settings.max_drift),
            link: link(base, id, "drift", &[]),
        });
    }
    if let Some(run) = store.last_successful_run(id, "inventory").await?
        && let Some(latency) = run.measurements.cycle_latency()
        && latency.whole_seconds()
            > i64::try_from(settings.max_cycle_latency_secs).unwrap_or(i64::MAX)
    {
        out.push(Incident {
            key: "latency:inventory".into(),
            client: id.into(),
            teams: vec![settings.sync_owner.clone()],
            text: format!(
                "[{id}] inventory cycle latency {:.0} s (ERP cycle end → storefront updated) is above {} s.",
                latency.as_seconds_f64(),
                settings.max_cycle_latency_secs
            ),
            link: link(base, id, "health", &[]),
        });
    }
    for flow in &client.flows {
        if !settings.watch_flows.iter().any(|f| f == flow.as_str()) {
            continue;
        }
        let last = store
            .last_successful_run(id, flow.as_str())
            .await?
            .and_then(|r| r.finished_at);
        // Never succeeded: count from when the alerter started watching.
        let since = last.unwrap_or(started_at);
        let silent = now - since;
        if silent.whole_seconds() > i64::try_from(settings.stale_after_secs).unwrap_or(i64::MAX) {
            let when = last
                .map(|l| format!("last success {}", crate::http::model::rfc3339(l)))
                .unwrap_or_else(|| "no success since the host started".into());
            out.push(Incident {
                key: format!("stale:{flow}"),
                client: id.into(),
                teams: vec![settings.sync_owner.clone()],
                text: format!(
                    "[{id}] the {flow} sync has not run successfully for {} min ({when}).",
                    silent.whole_minutes()
                ),
                link: link(base, id, "health", &[]),
            });
        }
    }
    Ok(out)
}
