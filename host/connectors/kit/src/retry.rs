//! Retry policy shared by the connectors: exponential backoff with jitter (backon).

use std::time::Duration;

use backon::ExponentialBuilder;
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
