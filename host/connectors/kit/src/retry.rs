//! Retry policy shared by the connectors: exponential backoff with jitter (backon), and the
//! waits of one call ([`Attempts`]) with a server's `Retry-After` as a floor.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use serde::Deserialize;

/// How a connector retries an idempotent call after a 5xx or a timeout.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RetryPolicy {
    /// Attempts after the first one.
    pub max_retries: usize,
    /// Delay before the first retry, in milliseconds; doubles each time.
    pub base_delay_ms: u64,
    /// Upper bound for one delay, in milliseconds.
    pub max_delay_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            base_delay_ms: 200,
            max_delay_ms: 10_000,
        }
    }
}

impl RetryPolicy {
    /// A fast policy for tests against local sandboxes.
    pub fn fast() -> Self {
        Self {
            max_retries: 4,
            base_delay_ms: 5,
            max_delay_ms: 50,
        }
    }

    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            base_delay_ms: 0,
            max_delay_ms: 0,
        }
    }

    /// The backon builder for this policy, always with jitter.
    pub fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(self.base_delay_ms))
            .with_max_delay(Duration::from_millis(
                self.max_delay_ms.max(self.base_delay_ms),
            ))
            .with_max_times(self.max_retries)
            .with_jitter()
    }
}

/// The waits of one call's retries: the policy's jittered backoff, with a server's
/// `Retry-After` as a floor. Every connector's request loop takes its waits from here, so a
/// 429 is honoured the same way everywhere.
#[derive(Debug)]
pub struct Attempts {
    backoff: backon::ExponentialBackoff,
    max_retry_after: Duration,
}

impl RetryPolicy {
    /// The waits for one call; a `Retry-After` longer than `max_retry_after` is cut to it.
    pub fn attempts(&self, max_retry_after: Duration) -> Attempts {
        Attempts {
            backoff: self.backoff().build(),
            max_retry_after,
        }
    }
}

impl Attempts {
    /// How long to wait before the next attempt, or `None` once the policy is spent.
    /// `retry_after` (what the server asked for) is a floor; the jittered delay on top keeps
    /// clients that were told the same instant apart.
    pub fn next_wait(&mut self, retry_after: Option<Duration>) -> Option<Duration> {
        let delay = self.backoff.next()?;
        Some(retry_after.map_or(delay, |ra| {
            ra.min(self.max_retry_after).saturating_add(delay)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_a_capped_floor_and_the_policy_still_ends() {
        let policy = RetryPolicy {
            max_retries: 2,
            base_delay_ms: 1,
            max_delay_ms: 1,
        };
        let mut attempts = policy.attempts(Duration::from_secs(2));
        let first = attempts.next_wait(Some(Duration::from_secs(1)));
        assert!(
            first.is_some_and(|w| w >= Duration::from_secs(1) && w < Duration::from_millis(1_100))
        );
        let capped = attempts.next_wait(Some(Duration::from_secs(60)));
        assert!(
            capped.is_some_and(|w| w >= Duration::from_secs(2) && w < Duration::from_millis(2_100))
        );
        assert_eq!(attempts.next_wait(None), None);
    }
}
