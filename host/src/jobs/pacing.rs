//! ERP write pacing, owned by the host: one limiter per Blue Cherry account (base URL and
//! credentials), shared by every worker and every client on that account. Pacing is a promise
//! to the ERP, so two clients on one account, or a webhook worker and a scheduled run of the
//! same client, never each get their own budget. Where several hosts share a store, the
//! account's pace lives in that store (a slot is reserved there before each write), so two
//! hosts never double a client's load on Blue Cherry.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use selvedge_store::Store;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// Paces the ERP writes of one account (GCRA: `rate` per second, `burst` back to back).
pub struct ErpWriteLimiter {
    limiter: Option<DefaultDirectRateLimiter>,
    /// Set where hosts share the store: slots are reserved there instead of in `limiter`.
    shared: Option<SharedPace>,
    rate: u32,
    burst: u32,
    /// Set when the host stops: no write waiting for its turn starts after that.
    stopping: tokio::sync::watch::Sender<bool>,
}

/// The host is stopping: the write was not started (its job is picked up again later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the host is stopping: the ERP write was not started")]
pub struct Stopping;

impl std::fmt::Debug for ErpWriteLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErpWriteLimiter")
            .field("rate", &self.rate)
            .field("burst", &self.burst)
            .finish()
    }
}

/// An account's pace kept in the shared store.
struct SharedPace {
    store: Arc<dyn Store>,
    account: String,
}

impl ErpWriteLimiter {
    /// `rate` writes a second after a burst of `burst` (0 = the rate); rate 0 = unlimited.
    pub fn new(rate: u32, burst: u32) -> Arc<Self> {
        let limiter = NonZeroU32::new(rate).map(|r| {
            let b = NonZeroU32::new(burst).unwrap_or(r);
            RateLimiter::direct(Quota::per_second(r).allow_burst(b))
        });
        Arc::new(Self {
            limiter,
            shared: None,
            rate,
            burst,
            stopping: tokio::sync::watch::channel(false).0,
        })
    }

    /// As [`ErpWriteLimiter::new`], with the pace of `account` kept in `store`, which other
    /// hosts pace the same account through.
    pub fn shared(store: Arc<dyn Store>, account: &str, rate: u32, burst: u32) -> Arc<Self> {
        Arc::new(Self {
            limiter: None,
            shared: (rate > 0).then(|| SharedPace {
                store,
                account: account.to_string(),
            }),
            rate,
            burst: if burst == 0 { rate } else { burst },
            stopping: tokio::sync::watch::channel(false).0,
        })
    }

    /// No pacing (tests and accounts configured with `max_per_second = 0`).
    pub fn unlimited() -> Arc<Self> {
        Self::new(0, 0)
    }

    /// Waits until one more write may go to the ERP; returns how long it waited. Call it
    /// right before the write, so nothing between the wait and the call bunches writes.
    /// Once the host stops, answers [`Stopping`] at once instead: a paced backlog must not
    /// hold a shutdown past its deadline.
    pub async fn until_ready(&self) -> Result<Duration, Stopping> {
        let started = std::time::Instant::now();
        let mut stopping = self.stopping.subscribe();
        if *stopping.borrow() {
            return Err(Stopping);
        }
        if let Some(l) = &self.limiter {
            tokio::select! {
                biased;
                _ = stopping.wait_for(|s| *s) => return Err(Stopping),
                () = l.until_ready() => {}
            }
        }
        if let Some(pace) = &self.shared {
            // The slot is a time measured from before the reservation's round trip: waiting
            // for it from after would make early writes late and bunch them with later ones.
            let asked = tokio::time::Instant::now();
            let wait = self.reserve_shared(pace).await;
            tokio::select! {
                biased;
                _ = stopping.wait_for(|s| *s) => return Err(Stopping),
                () = tokio::time::sleep_until(asked + wait) => {}
            }
        }
        Ok(started.elapsed())
    }

    /// Reserves the next slot in the shared store. While the store cannot be reached the
    /// write waits a whole interval per try rather than going unpaced.
    async fn reserve_shared(&self, pace: &SharedPace) -> Duration {
        let interval = Duration::from_millis(1_000 / u64::from(self.rate.max(1)));
        match pace
            .store
            .reserve_erp_write(
                &pace.account,
                self.rate,
                self.burst,
                OffsetDateTime::now_utc(),
            )
            .await
        {
            Ok(wait) => wait,
            Err(e) => {
                tracing::warn!(account = %pace.account, error = %e, "cannot reserve an ERP write slot in the shared store; waiting one interval");
                interval
            }
        }
    }

    /// The host is stopping: writes waiting for their turn give up, and no new one starts.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// Writes per second (0 = unlimited).
    pub fn rate(&self) -> u32 {
        self.rate
    }
}

/// Identifies a Blue Cherry account without keeping its secret: base URL plus a digest of
/// the credentials.
pub fn account_key(base_url: &str, credentials: &str) -> String {
    let digest = Sha256::digest(credentials.as_bytes());
    format!(
        "{}#{}",
        base_url.trim_end_matches('/'),
        hex::encode(&digest[..8])
    )
}

/// The limiters of every account a host writes to.
#[derive(Default)]
pub struct ErpAccounts {
    limiters: Mutex<HashMap<String, Arc<ErpWriteLimiter>>>,
    /// Where hosts share the store: every account's pace lives there.
    shared: Option<Arc<dyn Store>>,
}

impl ErpAccounts {
    /// Accounts paced through `store`, which other hosts share.
    pub fn shared(store: Arc<dyn Store>) -> Self {
        Self {
            limiters: Mutex::default(),
            shared: Some(store),
        }
    }

    /// Stops every account's writes that have not started (see [`ErpWriteLimiter::stop`]).
    pub fn stop_all(&self) {
        let map = match self.limiters.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.values().for_each(|l| l.stop());
    }

    /// The account's limiter, created with `rate` / `burst` by the first client that asks
    /// (`selvedge check` refuses clients on one account whose pacing differs).
    pub fn limiter(&self, account: &str, rate: u32, burst: u32) -> Arc<ErpWriteLimiter> {
        let mut map = match self.limiters.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.entry(account.to_string())
            .or_insert_with(|| match &self.shared {
                Some(store) => ErpWriteLimiter::shared(store.clone(), account, rate, burst),
                None => ErpWriteLimiter::new(rate, burst),
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_on_one_account_share_one_limiter() {
        let accounts = ErpAccounts::default();
        let a = accounts.limiter(&account_key("http://erp/", "key"), 5, 5);
        let b = accounts.limiter(&account_key("http://erp", "key"), 5, 5);
        let other = accounts.limiter(&account_key("http://erp", "other"), 5, 5);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &other));
    }

    #[tokio::test]
    async fn the_burst_goes_at_once_and_the_rest_at_the_rate() {
        let limiter = ErpWriteLimiter::new(20, 2);
        let started = std::time::Instant::now();
        for _ in 0..6 {
            limiter.until_ready().await.expect("not stopping");
        }
        // 2 at once, then 4 more at 20/s: at least 4 x 50 ms (a lower bound, not a deadline).
        assert!(started.elapsed() >= Duration::from_millis(190));
    }

    #[tokio::test]
    async fn a_write_waiting_for_its_turn_gives_up_when_the_host_stops() {
        let limiter = ErpWriteLimiter::new(1, 1);
        limiter.until_ready().await.expect("the burst");
        let waiting = {
            let l = limiter.clone();
            tokio::spawn(async move { l.until_ready().await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        limiter.stop();
        let answer = tokio::time::timeout(Duration::from_millis(500), waiting)
            .await
            .expect("answered long before its 1 s turn")
            .expect("task");
        assert_eq!(answer, Err(Stopping));
        assert_eq!(
            limiter.until_ready().await,
            Err(Stopping),
            "and no new write starts"
        );
    }
}
