//! Refused webhook deliveries, per client: counted (Prometheus and in memory, for the
//! dashboard) and logged. A storefront still sending an old secret after a rotation shows
//! up here, not as silently missing orders.

use std::collections::HashMap;
use std::sync::Mutex;

use time::OffsetDateTime;

/// At most one warning per client this often: a caller hammering the endpoint must not be
/// able to flood the log (the counts stay exact).
const WARN_EVERY: time::Duration = time::Duration::seconds(10);

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
    /// When the latest warning was logged, and refusals since then not logged.
    logged: (OffsetDateTime, u64),
}

/// Refused deliveries of every client, shared by the webhook listener (writes) and the
/// admin API (reads).
#[derive(Debug, Default)]
pub struct AuthFailures(Mutex<HashMap<String, FailureStats>>);

impl AuthFailures {
    /// Counts, logs and meters one refusal. `client` must be a configured client id or
    /// [`UNKNOWN_CLIENT`]; the secret itself is never logged.
    pub fn record(&self, client: &str, reason: Refusal, now: OffsetDateTime) {
        metrics::counter!(crate::metrics::WEBHOOK_UNAUTHORIZED, "client" => client.to_string())
            .increment(1);
        let unlogged = {
            // A poisoned lock only means another recorder panicked mid-update; counts stay usable.
            let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
            let stats = map.entry(client.to_string()).or_insert(FailureStats {
                count: 0,
                last_at: now,
                last_reason: reason,
                logged: (OffsetDateTime::UNIX_EPOCH, 0),
            });
            stats.count += 1;
            stats.last_at = now;
            stats.last_reason = reason;
            if now - stats.logged.0 >= WARN_EVERY {
                let unlogged = stats.logged.1;
                stats.logged = (now, 0);
                Some(unlogged)
            } else {
                stats.logged.1 += 1;
                None
            }
        };
        if let Some(unlogged) = unlogged {
            tracing::warn!(
                client,
                reason = reason.as_str(),
                refused_since_last_warning = unlogged,
                "webhook delivery refused (401)"
            );
        }
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
        let a = failures
            .get("a")
            .map(|s| (s.count, s.last_at, s.last_reason));
        assert_eq!(a, Some((2, t1, Refusal::Wrong)));
        assert_eq!(failures.get("b").map(|s| s.count), Some(1));
        assert_eq!(failures.get("c"), None);
    }

    #[test]
    fn warnings_are_throttled_but_counts_are_not() {
        let failures = AuthFailures::default();
        let t0 = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        for i in 0..5 {
            failures.record("a", Refusal::Wrong, t0 + time::Duration::seconds(i));
        }
        let a = failures.get("a");
        // The first was logged, the next four wait for the next warning.
        assert_eq!(a.as_ref().map(|s| (s.count, s.logged)), Some((5, (t0, 4))));
        failures.record("a", Refusal::Wrong, t0 + WARN_EVERY);
        let a = failures.get("a");
        assert_eq!(a.map(|s| s.logged), Some((t0 + WARN_EVERY, 0)));
    }
}
