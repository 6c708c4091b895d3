//! Call counters for metrics.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Counters updated by every request; read them with [`ClientStats::snapshot`].
#[derive(Debug, Default)]
pub struct ClientStats {
    calls: AtomicU64,
    token_fetches: AtomicU64,
    rate_limited: AtomicU64,
    retries: AtomicU64,
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
    Call,
    TokenFetch,
    RateLimited,
    Retry,
    ServerError,
    Conflict,
    Unauthorized,
}

impl ClientStats {
    pub(crate) fn bump(&self, counter: Counter) {
        let cell = match counter {
            Counter::Call => &self.calls,
            Counter::TokenFetch => &self.token_fetches,
            Counter::RateLimited => &self.rate_limited,
            Counter::Retry => &self.retries,
            Counter::ServerError => &self.server_errors,
            Counter::Conflict => &self.conflicts,
            Counter::Unauthorized => &self.unauthorized,
        };
        cell.fetch_add(1, Ordering::Relaxed);
    }

    /// Current values.
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            calls: get(&self.calls),
            token_fetches: get(&self.token_fetches),
            rate_limited: get(&self.rate_limited),
            retries: get(&self.retries),
            server_errors: get(&self.server_errors),
            conflicts: get(&self.conflicts),
            unauthorized: get(&self.unauthorized),
        }
    }
}
