#![doc = include_str!("../README.md")]

pub mod http;
pub mod money;
pub mod pagination;
pub mod retry;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod transport;

pub use money::{Cents, MoneyError, Rounding};
pub use retry::{Attempts, RetryPolicy};
#[cfg(feature = "sandbox")]
pub use sandbox::SandboxServer;
pub use transport::{Answer, Decision, Exchange, Failure, Transport, TransportStats};
