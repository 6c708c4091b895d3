//! Stop signals: Ctrl-C, SIGTERM, or a time limit. Installed first thing in a command, so a
//! signal that arrives while the host is still starting (opening the store, compiling
//! plugins) stops it cleanly instead of killing the process mid-write.

use std::time::Duration;

/// Listeners for the signals that stop the host. Create inside a tokio runtime.
pub struct StopSignals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    /// Installs the handlers now; signals received from here on are kept until [`Self::wait`].
    pub fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Self {
                term: signal(SignalKind::terminate()).ok(),
                interrupt: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            Self {}
        }
    }

    /// Resolves on SIGTERM, Ctrl-C, or after `limit` (none = no time limit).
    pub async fn wait(&mut self, limit: Option<Duration>) {
        let timer = async {
            match limit {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        #[cfg(unix)]
        {
            let term = recv_or_pending(self.term.as_mut());
            let interrupt = recv_or_pending(self.interrupt.as_mut());
            tokio::select! {
                _ = term => {}
                _ = interrupt => {}
                _ = timer => {}
            }
        }
        #[cfg(not(unix))]
        {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = timer => {}
            }
        }
    }
}

impl StopSignals {
    /// After the first stop: the next SIGTERM or Ctrl-C exits the process at once with
    /// code 130, for an operator who will not wait for the grace period.
    pub fn exit_on_next(self) {
        let mut me = self;
        tokio::spawn(async move {
            me.wait(None).await;
            eprintln!("second stop signal: exiting now");
            std::process::exit(130);
        });
    }
}

#[cfg(unix)]
async fn recv_or_pending(signal: Option<&mut tokio::signal::unix::Signal>) {
    match signal {
        Some(s) => {
            s.recv().await;
        }
        // No handler could be installed: only the other signals (or the timer) stop us.
        None => std::future::pending().await,
    }
}
