//! Refused webhook deliveries, per client: counted (Prometheus and in memory, for the
//! dashboard) and logged. A storefront still sending an old secret after a rotation shows
//! up here, not as silently missing orders.

use std::collections::HashMap;
use std::sync::Mutex;

use time::OffsetDateTime;

/// Label and map key of deliveries to a client the host does not know: one bucket, so a
/// caller inventing names cannot grow the metric's label set.
pub const UNKNOWN_CLIENT: &str = "<unknown>";

/// Why a delivery was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No secret header.
    Missing,
    /// A secret header that is not the client's.
    Wrong,
    /// No client of that name takes webhooks.
    UnknownClient,
}

impl Refusal {
    /// Stable name (logs, admin API).
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Missing => "missing secret",
            Refusal::Wrong => "wrong secret",
            Refusal::UnknownClient => "unknown client",
        }
    }
}

/// One client's refused deliveries since the host started.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureStats {
    /// How many.
    pub count: u64,
    /// When the latest was refused.
    pub last_at: OffsetDateTime,
    /// Why the latest was refused.
    pub last_reason: Refusal,
}

/// Refused deliveries of every client, shared by the webhook listener (writes) and the
/// admin API (reads).
#[derive(Debug, Default)]
pub struct AuthFailures(Mutex<HashMap<String, FailureStats>>);

impl AuthFailures {
    /// Counts, logs and meters one refusal. `client` must be a configured client id or
    /// [`UNKNOWN_CLIENT`]; the secret itself is never logged.
    pub fn record(&self, client: &str, reason: Refusal, now: OffsetDateTime) {
        tracing::warn!(
            client,
            reason = reason.as_str(),
            "webhook delivery refused (401)"
        );
        metrics::counter!(crate::metrics::WEBHOOK_UNAUTHORIZED, "client" => client.to_string())
            .increment(1);
        // A poisoned lock only means another recorder panicked mid-update; counts stay usable.
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(client.to_string())
            .and_modify(|s| {
                s.count += 1;
                s.last_at = now;
                s.last_reason = reason;
            })
            .or_insert(FailureStats {
                count: 1,
                last_at: now,
                last_reason: reason,
            });
    }

    /// A client's refusals so far, if any.
    pub fn get(&self, client: &str) -> Option<FailureStats> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(client).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_client_and_keeps_the_latest_reason() {
        let failures = AuthFailures::default();
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let t1 = t0 + time::Duration::seconds(5);
        failures.record("a", Refusal::Missing, t0);
        failures.record("a", Refusal::Wrong, t1);
        failures.record("b", Refusal::Wrong, t0);
        let a = failures.get("a");
        assert_eq!(
            a,
            Some(FailureStats {
                count: 2,
                last_at: t1,
                last_reason: Refusal::Wrong
            })
        );
        assert_eq!(failures.get("b").map(|s| s.count), Some(1));
        assert_eq!(failures.get("c"), None);
    }
}
