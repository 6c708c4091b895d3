//! Waiting on BigCommerce's own window, as its rate-limit headers report it. Not a pacer with a
//! rate of its own (that would be the host's limiter's job): it only follows the store.

use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;

/// `X-Rate-Limit-Requests-Left` (header lookups are case-insensitive).
pub const REQUESTS_LEFT: &str = "x-rate-limit-requests-left";
/// `X-Rate-Limit-Time-Reset-Ms`.
pub const TIME_RESET_MS: &str = "x-rate-limit-time-reset-ms";
/// `X-Rate-Limit-Time-Window-Ms`.
pub const TIME_WINDOW_MS: &str = "x-rate-limit-time-window-ms";
/// `X-Rate-Limit-Requests-Quota`.
pub const REQUESTS_QUOTA: &str = "x-rate-limit-requests-quota";
/// `X-Retry-After` (seconds).
pub const RETRY_AFTER: &str = "x-retry-after";

/// Two resets closer than this belong to the same window.
const SAME_WINDOW_SLACK: Duration = Duration::from_millis(100);

fn header_i64(headers: &HeaderMap, name: &str) -> Option<i64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// What the last responses said about the current window, shared by every call of a client.
#[derive(Debug, Default)]
pub(crate) struct PaceState {
    left: Option<i64>,
    reset_at: Option<Instant>,
    /// Requests sent and not yet answered: a header's count may not include them yet.
    in_flight: i64,
}

impl PaceState {
    /// Takes a slot of the window, or says how long to wait for the next window.
    pub(crate) fn acquire(&mut self, reserve: i64, margin: Duration) -> Option<Duration> {
        let now = Instant::now();
        match (self.left, self.reset_at) {
            (_, Some(reset_at)) if now >= reset_at => {
                // A new window: unknown until the next response tells.
                self.left = None;
                self.reset_at = None;
            }
            (Some(left), Some(reset_at)) if left <= reserve => {
                return Some(reset_at - now + margin);
            }
            (Some(left), _) => self.left = Some(left - 1),
            _ => {}
        }
        self.in_flight += 1;
        None
    }

    /// A request taken with [`acquire`](Self::acquire) got no response (transport error).
    pub(crate) fn release(&mut self) {
        self.in_flight = (self.in_flight - 1).max(0);
    }

    /// Records the headers of a response.
    pub(crate) fn observe(&mut self, headers: &HeaderMap) {
        self.release();
        let now = Instant::now();
        let reset_at = header_i64(headers, TIME_RESET_MS)
            .map(|r| now + Duration::from_millis(r.max(0).unsigned_abs()));
        let Some(left) = header_i64(headers, REQUESTS_LEFT) else {
            return;
        };
        // Conservative: the other requests in flight may not be counted in this header yet.
        let left = left - self.in_flight;
        // Concurrent answers arrive out of order: within one window the lowest count is the truth.
        let same_window = matches!((self.reset_at, reset_at), (Some(old), Some(new)) if new < old + SAME_WINDOW_SLACK);
        self.left = Some(match self.left {
            Some(known) if same_window => known.min(left),
            _ => left,
        });
        if let Some(reset_at) = reset_at {
            self.reset_at = Some(reset_at);
        }
    }

    /// After a 429: nothing more until `wait` has passed.
    pub(crate) fn block_for(&mut self, wait: Duration) {
        self.left = Some(0);
        self.reset_at = Some(Instant::now() + wait);
    }
}

/// How long a 429 asks us to wait: the longer of the reset and `X-Retry-After`.
pub(crate) fn throttle_wait(headers: &HeaderMap) -> Duration {
    let reset_ms = header_i64(headers, TIME_RESET_MS)
        .unwrap_or(0)
        .max(0)
        .unsigned_abs();
    let retry_ms = header_i64(headers, RETRY_AFTER)
        .unwrap_or(0)
        .max(0)
        .unsigned_abs()
        .saturating_mul(1000);
    let ms = reset_ms.max(retry_ms);
    // Neither header: never hammer, wait a second.
    Duration::from_millis(if ms == 0 { 1000 } else { ms })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn throttle_wait_takes_the_longer_of_reset_and_retry_after() {
        let mut h = HeaderMap::new();
        h.insert(
            "X-Rate-Limit-Time-Reset-Ms",
            HeaderValue::from_static("1500"),
        );
        h.insert("x-retry-after", HeaderValue::from_static("3"));
        assert_eq!(throttle_wait(&h), Duration::from_millis(3000));
        h.insert("x-retry-after", HeaderValue::from_static("1"));
        assert_eq!(throttle_wait(&h), Duration::from_millis(1500));
    }

    #[test]
    fn exhausted_window_waits_until_reset() {
        let mut p = PaceState::default();
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-requests-left", HeaderValue::from_static("1"));
        h.insert(
            "x-rate-limit-time-reset-ms",
            HeaderValue::from_static("10000"),
        );
        p.observe(&h);
        assert_eq!(p.acquire(0, Duration::ZERO), None);
        let wait = p.acquire(0, Duration::ZERO);
        assert!(wait.is_some_and(|w| w > Duration::from_millis(9000)));
    }
}

#[cfg(test)]
mod in_flight_tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn requests_still_in_flight_are_subtracted_from_the_reported_left() {
        let mut p = PaceState::default();
        // Four requests go out before any answer is known.
        for _ in 0..4 {
            assert_eq!(p.acquire(0, Duration::ZERO), None);
        }
        let mut h = HeaderMap::new();
        h.insert(REQUESTS_LEFT, HeaderValue::from_static("3"));
        h.insert(TIME_RESET_MS, HeaderValue::from_static("10000"));
        p.observe(&h);
        // 3 left minus the 3 others still in flight: nothing to spend until the reset.
        assert!(p.acquire(0, Duration::ZERO).is_some());
    }
}
