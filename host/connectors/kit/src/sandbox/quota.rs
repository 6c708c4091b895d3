//! The request quota every sandbox can be given: `PUT /sandbox/quota {"quota": N, "window_ms": M}`
//! (and `DELETE` to lift it). Requests over the quota get 429 with `Retry-After`.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// At most `quota` API requests per `window_ms`; more get 429 until the window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    /// Requests allowed per window.
    pub quota: u32,
    /// Window length in milliseconds.
    pub window_ms: u64,
}

/// A quota being counted.
#[derive(Debug, Clone)]
pub struct QuotaWindow {
    quota: Quota,
    window_start: Instant,
    used: u32,
}

impl QuotaWindow {
    /// Starts a fresh window now.
    pub fn new(quota: Quota) -> Self {
        Self {
            quota,
            window_start: Instant::now(),
            used: 0,
        }
    }

    /// The quota being counted.
    pub fn quota(&self) -> Quota {
        self.quota
    }

    /// Counts one request; `Err(wait)` when over the quota, with the time left in the window.
    pub fn take(&mut self) -> Result<(), Duration> {
        let window = Duration::from_millis(self.quota.window_ms);
        if self.window_start.elapsed() >= window {
            self.window_start = Instant::now();
            self.used = 0;
        }
        if self.used >= self.quota.quota {
            return Err(window.saturating_sub(self.window_start.elapsed()));
        }
        self.used += 1;
        Ok(())
    }
}

/// `Retry-After` is whole seconds: round up, so a client that waits it out never comes back
/// before the window has ended.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_allows_its_quota_then_says_how_long_to_wait() {
        let mut w = QuotaWindow::new(Quota {
            quota: 2,
            window_ms: 60_000,
        });
        assert_eq!(w.take(), Ok(()));
        assert_eq!(w.take(), Ok(()));
        let wait = w.take().err().unwrap_or_default();
        assert!(wait > Duration::from_secs(59) && wait <= Duration::from_secs(60));
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::ZERO), 0);
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1_200)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
    }

    #[test]
    fn unknown_fields_are_refused_by_name() {
        let err = serde_json::from_str::<Quota>(r#"{"quota":1,"window_ms":10,"burst":3}"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("unknown field `burst`"), "{err}");
    }
}
