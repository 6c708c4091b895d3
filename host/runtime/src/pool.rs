//! Permits for the pooling allocator's instance slots, one per slot.
//!
//! The pool has a fixed number of slots and fails an instantiation when they are all in use
//! instead of waiting. So everything that instantiates a plugin in the host's runtime (live
//! calls, and the fixture runs that gate a swap) first takes a permit: a call beyond the pool
//! waits for a slot rather than failing itself or making another call fail.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::PluginErrorKind;

/// The instance slots of one runtime's pool.
pub(crate) struct PoolPermits {
    semaphore: Arc<Semaphore>,
}

/// A held instance slot, given back when dropped.
pub(crate) struct PoolPermit {
    _held: OwnedSemaphorePermit,
}

/// Why work could not run in the pool.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PoolError {
    #[error("the instance pool is closed")]
    Closed,
    #[error("call task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl From<PoolError> for PluginErrorKind {
    fn from(error: PoolError) -> Self {
        match error {
            PoolError::Closed => PluginErrorKind::Instantiate(error.to_string()),
            PoolError::Task(_) => PluginErrorKind::Trap(error.to_string()),
        }
    }
}

impl PoolPermits {
    pub fn new(slots: usize) -> Self {
        Self {
            semaphore: Arc::new(Semaphore::new(slots)),
        }
    }

    /// Waits for a free slot (first come, first served).
    pub async fn acquire(&self) -> Result<PoolPermit, PoolError> {
        let permit = self.semaphore.clone().acquire_owned().await;
        permit
            .map(|held| PoolPermit { _held: held })
            .map_err(|_| PoolError::Closed)
    }

    /// Slots no call holds right now.
    pub fn idle(&self) -> usize {
        self.semaphore.available_permits()
    }
}

impl PoolPermit {
    /// Runs `work` on a blocking thread, holding the slot until `work` is done: the permit
    /// moves into the task, so it outlives a caller that stops waiting for the result.
    pub async fn run<R: Send + 'static>(
        self,
        work: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, PoolError> {
        let result = tokio::task::spawn_blocking(move || {
            let result = work();
            drop(self);
            result
        })
        .await?;
        Ok(result)
    }
}
