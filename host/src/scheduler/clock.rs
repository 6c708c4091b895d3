//! Time for the scheduler: the system clock in production, a manual clock in tests so
//! schedule behaviour is checked without waiting and without timing assertions.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use jiff::Timestamp;

/// A boxed `Send` future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Reads the time and sleeps until a time.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Timestamp;
    /// Resolves once `now() >= at` (possibly later, never earlier).
    fn sleep_until(&self, at: Timestamp) -> BoxFuture<'_, ()>;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }

    fn sleep_until(&self, at: Timestamp) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            // Re-check after waking: a suspended machine or a clock step may wake us early.
            loop {
                let left = at.duration_since(Timestamp::now());
                match std::time::Duration::try_from(left) {
                    Ok(d) if !d.is_zero() => tokio::time::sleep(d).await,
                    _ => return,
                }
            }
        })
    }
}

/// A clock that moves only when told to ([`ManualClock::advance`]).
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Timestamp>,
    tick: tokio::sync::watch::Sender<Timestamp>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: Timestamp) -> Self {
        Self {
            now: Mutex::new(start),
            tick: tokio::sync::watch::Sender::new(start),
        }
    }

    /// Moves time forward and wakes every sleeper whose time has come.
    pub fn advance(&self, by: std::time::Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        let step = jiff::SignedDuration::try_from(by).unwrap_or(jiff::SignedDuration::MAX);
        *now = now.saturating_add(step).unwrap_or(*now);
        self.tick.send_replace(*now);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sleep_until(&self, at: Timestamp) -> BoxFuture<'_, ()> {
        let mut rx = self.tick.subscribe();
        Box::pin(async move {
            loop {
                if *rx.borrow_and_update() >= at {
                    return;
                }
                if rx.changed().await.is_err() {
                    // The clock is gone: nothing will ever wake us; park forever.
                    std::future::pending::<()>().await;
                }
            }
        })
    }
}
