//! Tools of the chaos tests (kill -9 at random points): a seeded random sequence that a failing
//! run prints and a rerun replays, and a watch on a host process's `/healthz` that tells a kill
//! during start-up from one after it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::host_process::answers_healthz;

/// splitmix64: a small seeded sequence (the tests take no `rand` dependency).
pub struct Rng(u64);

impl Rng {
    /// Seeded from the environment variable `var` when it is set (to replay a run), from the
    /// clock otherwise; returns the seed too, for the log.
    pub fn from_env(var: &str) -> (Self, u64) {
        let seed = std::env::var(var)
            .ok()
            .map(|s| {
                s.parse()
                    .unwrap_or_else(|_| panic!("{var} is a number, got {s:?}"))
            })
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
        (Self(seed), seed)
    }

    /// The next value of the sequence.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Probes a host process's `/healthz` from its spawn on; set once the host has answered.
pub struct HealthWatch {
    answered: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl HealthWatch {
    /// Starts probing the webhook listener on `port` (start it right after the spawn).
    pub fn start(port: u16) -> Self {
        let answered = Arc::new(AtomicBool::new(false));
        let flag = answered.clone();
        // Ends when the host answers, or when the watch is dropped at the kill.
        let task = tokio::spawn(async move {
            while !answers_healthz(port).await {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            flag.store(true, Ordering::SeqCst);
        });
        Self { answered, task }
    }

    /// Whether the host has answered `/healthz` since the watch started.
    pub fn answered(&self) -> bool {
        self.answered.load(Ordering::SeqCst)
    }
}

impl Drop for HealthWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}
