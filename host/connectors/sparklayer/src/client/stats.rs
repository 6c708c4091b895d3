//! Call counters for metrics: the kit transport's (calls, 429s, retries) and Sparklayer's own.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use selvedge_connector_kit::TransportStats;
use serde::Serialize;

/// Counters updated by every request; read them with [`ClientStats::snapshot`].
#[derive(Debug, Default)]
pub struct ClientStats {
    /// Calls, 429s and retries, counted by the shared transport.
    transport: Arc<TransportStats>,
    token_fetches: AtomicU64,
    server_errors: AtomicU64,
    conflicts: AtomicU64,
    unauthorized: AtomicU64,
}

/// A point-in-time copy of [`ClientStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    /// HTTP requests sent, token requests included.
    pub calls: u64,
    /// Token requests sent.
    pub token_fetches: u64,
    /// 429 answers received.
    pub rate_limited: u64,
    /// Requests repeated after a 5xx, 409, 429 or transport error.
    pub retries: u64,
    /// 5xx answers received.
    pub server_errors: u64,
    /// 409 answers received.
    pub conflicts: u64,
    /// 401 answers received on API calls.
    pub unauthorized: u64,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Counter {
    TokenFetch,
    ServerError,
    Conflict,
    Unauthorized,
}

impl ClientStats {
    /// Counters beside `transport`'s.
    pub(crate) fn new(transport: Arc<TransportStats>) -> Self {
        Self {
            transport,
            ..Self::default()
        }
    }

    pub(crate) fn bump(&self, counter: Counter) {
        let cell = match counter {
            Counter::TokenFetch => &self.token_fetches,
            Counter::ServerError => &self.server_errors,
            Counter::Conflict => &self.conflicts,
            Counter::Unauthorized => &self.unauthorized,
        };
        cell.fetch_add(1, Ordering::Relaxed);
    }

    /// Current values.
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let shared = self.transport.snapshot();
        StatsSnapshot {
            calls: shared.calls,
            token_fetches: get(&self.token_fetches),
            rate_limited: shared.throttled,
            retries: shared.retries,
            server_errors: get(&self.server_errors),
            conflicts: get(&self.conflicts),
            unauthorized: get(&self.unauthorized),
        }
    }
}
