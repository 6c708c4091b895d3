//! The all-clients overview: one row per client with a state, in trouble first.
//!
//! States, first that applies:
//! - **paused**: an operator paused the client or one of its flows;
//! - **failing**: a flow's latest run failed, or an exception has been unresolved past its
//!   owner team's deadline (`[alerts] exception_deadline_hours`, 24);
//! - **degraded**: unresolved exceptions, inventory lag (ERP cycle end to storefront
//!   updated) above `[alerts] max_cycle_latency_secs`, or order injection success under 99%
//!   over the last 24 h;
//! - **ok**: none of these.
//!
//! Sorted failing, degraded, paused, ok, then by client id.

use std::collections::BTreeMap;
use std::time::Duration;

use selvedge_store::{OrderOutcomes, Pause, RunStatus, SyncRun, TeamExceptions};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// A client's state in the overview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ClientState {
    Failing,
    Degraded,
    Paused,
    Ok,
}

impl ClientState {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "failing" => Some(Self::Failing),
            "degraded" => Some(Self::Degraded),
            "paused" => Some(Self::Paused),
            "ok" => Some(Self::Ok),
            _ => None,
        }
    }
}

/// The thresholds the states are judged by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    pub max_lag: Duration,
    pub exception_deadline: Duration,
    /// Injection success below this over 24 h degrades a client.
    pub min_injection_success: f64,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            max_lag: Duration::from_secs(900),
            exception_deadline: Duration::from_secs(24 * 3600),
            min_injection_success: 0.99,
        }
    }
}

/// What is known of one client.
#[derive(Debug, Default)]
pub struct Facts<'a> {
    pub latest: Vec<&'a SyncRun>,
    pub succeeded: Vec<&'a SyncRun>,
    pub exceptions: Vec<&'a TeamExceptions>,
    pub orders_24h: OrderOutcomes,
    pub pauses: Vec<&'a Pause>,
}

/// One row of the overview.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OverviewRow {
    pub client: String,
    pub storefront: String,
    pub state: ClientState,
    /// Why it is in that state (every finding, not only the first).
    pub reasons: Vec<String>,
    /// Last success per flow (RFC 3339).
    pub last_success: BTreeMap<String, String>,
    /// ERP cycle end to storefront updated, seconds, of the latest successful inventory run.
    pub inventory_lag_secs: Option<f64>,
    /// Injected over injected + failed, last 24 h (none when no order ended).
    pub injection_success_24h: Option<f64>,
    /// Unresolved exceptions per owner team.
    pub exceptions_by_team: BTreeMap<String, u64>,
    pub plugin_version: Option<String>,
}

/// Judges one client.
pub fn judge(
    facts: &Facts<'_>,
    rules: &Rules,
    now: OffsetDateTime,
) -> (ClientState, Vec<String>, Option<f64>, Option<f64>) {
    let mut reasons = Vec::new();
    let mut failing = false;
    let mut degraded = false;
    for run in &facts.latest {
        if run.status == RunStatus::Failed {
            failing = true;
            reasons.push(format!(
                "{} failed: {}",
                run.flow,
                run.error.as_deref().unwrap_or("no error recorded")
            ));
        }
    }
    for e in &facts.exceptions {
        let age = now - e.oldest;
        if age.whole_seconds()
            > i64::try_from(rules.exception_deadline.as_secs()).unwrap_or(i64::MAX)
        {
            failing = true;
            reasons.push(format!(
                "{} exception(s) of {} unresolved for {} h (deadline {} h)",
                e.unresolved,
                e.owner,
                age.whole_hours(),
                rules.exception_deadline.as_secs() / 3600
            ));
        } else {
            degraded = true;
            reasons.push(format!(
                "{} unresolved exception(s) of {}",
                e.unresolved, e.owner
            ));
        }
    }
    let lag = facts
        .succeeded
        .iter()
        .find(|r| r.flow == "inventory")
        .and_then(|r| r.measurements.cycle_latency())
        .map(|d| d.as_seconds_f64());
    if let Some(lag) = lag.filter(|l| *l > rules.max_lag.as_secs_f64()) {
        degraded = true;
        reasons.push(format!(
            "inventory lag {lag:.0} s over {} s",
            rules.max_lag.as_secs()
        ));
    }
    let o = facts.orders_24h;
    let success =
        (o.injected + o.failed > 0).then(|| o.injected as f64 / (o.injected + o.failed) as f64);
    if let Some(rate) = success.filter(|r| *r < rules.min_injection_success) {
        degraded = true;
        reasons.push(format!(
            "order injection {:.1}% over 24 h ({} of {})",
            rate * 100.0,
            o.injected,
            o.injected + o.failed
        ));
    }
    for p in &facts.pauses {
        reasons.insert(
            0,
            format!(
                "paused ({}) by {}",
                if p.flow == selvedge_store::ALL_FLOWS {
                    "all flows"
                } else {
                    p.flow.as_str()
                },
                p.by
            ),
        );
    }
    let state = if !facts.pauses.is_empty() {
        ClientState::Paused
    } else if failing {
        ClientState::Failing
    } else if degraded {
        ClientState::Degraded
    } else {
        ClientState::Ok
    };
    (state, reasons, lag, success)
}

/// Rows in trouble first (failing, degraded, paused, ok), then by client id.
pub fn sort(rows: &mut [OverviewRow]) {
    rows.sort_by(|a, b| a.state.cmp(&b.state).then_with(|| a.client.cmp(&b.client)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use selvedge_store::Measurements;

    fn run(flow: &str, status: RunStatus, error: Option<&str>) -> SyncRun {
        SyncRun {
            id: 1,
            client: "acme".into(),
            flow: flow.into(),
            started_at: OffsetDateTime::UNIX_EPOCH,
            finished_at: Some(OffsetDateTime::UNIX_EPOCH),
            status,
            measurements: Measurements::default(),
            error: error.map(str::to_string),
        }
    }

    #[test]
    fn each_state_follows_its_documented_rule() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(3);
        let rules = Rules::default();
        assert_eq!(judge(&Facts::default(), &rules, now).0, ClientState::Ok);

        let failed = run("orders", RunStatus::Failed, Some("ERP down"));
        let facts = Facts {
            latest: vec![&failed],
            ..Facts::default()
        };
        let (state, reasons, ..) = judge(&facts, &rules, now);
        assert_eq!(state, ClientState::Failing);
        assert_eq!(reasons, ["orders failed: ERP down"]);

        let fresh = TeamExceptions {
            client: "acme".into(),
            owner: "finance".into(),
            unresolved: 2,
            oldest: now - time::Duration::hours(1),
        };
        let facts = Facts {
            exceptions: vec![&fresh],
            ..Facts::default()
        };
        assert_eq!(judge(&facts, &rules, now).0, ClientState::Degraded);
        let old = TeamExceptions {
            oldest: now - time::Duration::hours(30),
            ..fresh.clone()
        };
        let facts = Facts {
            exceptions: vec![&old],
            ..Facts::default()
        };
        let (state, reasons, ..) = judge(&facts, &rules, now);
        assert_eq!(state, ClientState::Failing);
        assert!(
            reasons[0].contains("unresolved for 30 h (deadline 24 h)"),
            "{reasons:?}"
        );

        let facts = Facts {
            orders_24h: OrderOutcomes {
                injected: 98,
                failed: 2,
            },
            ..Facts::default()
        };
        let (state, reasons, _, success) = judge(&facts, &rules, now);
        assert_eq!((state, success), (ClientState::Degraded, Some(0.98)));
        assert!(reasons[0].starts_with("order injection 98.0%"));

        let pause = Pause {
            client: "acme".into(),
            flow: "*".into(),
            by: "ana".into(),
            at: now,
        };
        let facts = Facts {
            pauses: vec![&pause],
            latest: vec![&failed],
            ..Facts::default()
        };
        let (state, reasons, ..) = judge(&facts, &rules, now);
        assert_eq!(state, ClientState::Paused);
        assert_eq!(reasons[0], "paused (all flows) by ana");
    }
}
