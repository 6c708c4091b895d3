//! Run control an operator holds: pauses (a client, or one flow of it) and requests to run a
//! flow now. Both are rows every host sharing the store reads, so a pause holds across
//! hosts and restarts, and a run asked of any host runs on the one that owns the client.

use time::OffsetDateTime;

use crate::StoreFuture;

/// Every flow of a client, in [`Pause::flow`].
pub const ALL_FLOWS: &str = "*";

/// A pause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pause {
    /// Client.
    pub client: String,
    /// The flow paused, or [`ALL_FLOWS`].
    pub flow: String,
    /// Who paused it.
    pub by: String,
    /// When.
    pub at: OffsetDateTime,
}

impl Pause {
    /// Whether this pause stops `client`'s `flow`: it names that flow, or all of the
    /// client's flows.
    pub fn stops(&self, client: &str, flow: &str) -> bool {
        self.client == client && (self.flow == flow || self.flow == ALL_FLOWS)
    }

    /// What is paused, for people: the flow's name, or "all flows".
    pub fn what(&self) -> &str {
        if self.flow == ALL_FLOWS {
            "all flows"
        } else {
            &self.flow
        }
    }
}

/// A request to run a flow of a client now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRequest {
    /// Client.
    pub client: String,
    /// Flow.
    pub flow: String,
    /// Who asked.
    pub by: String,
    /// When.
    pub at: OffsetDateTime,
}

/// Pauses and run requests.
pub trait RunControl: Send + Sync {
    /// Pauses a client's flow (or [`ALL_FLOWS`]); pausing again keeps the first pause.
    fn pause<'a>(&'a self, pause: &'a Pause) -> StoreFuture<'a, ()>;

    /// Lifts a pause; false when there was none.
    fn resume<'a>(&'a self, client: &'a str, flow: &'a str) -> StoreFuture<'a, bool>;

    /// Every pause in force.
    fn pauses(&self) -> StoreFuture<'_, Vec<Pause>>;

    /// Asks for a run now (the host owning the client takes it).
    fn request_run<'a>(&'a self, request: &'a RunRequest) -> StoreFuture<'a, ()>;

    /// Takes (and deletes) the run requests of these clients, oldest first: each is taken
    /// by one host only.
    fn take_run_requests<'a>(&'a self, clients: &'a [String]) -> StoreFuture<'a, Vec<RunRequest>>;
}
