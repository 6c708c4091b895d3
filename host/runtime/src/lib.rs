//! Selvedge plugin runtime: client rules as sandboxed WebAssembly components.
//!
//! - [`Runtime`]: one wasmtime engine (pooling allocator, epoch deadlines, optional fuel),
//!   compiled components cached on disk by content hash and engine, and shared in memory by
//!   every client whose plugin has the same bytes.
//! - [`PluginVersion`]: one compiled, type-checked plugin (pre-instantiated); every call
//!   gets a fresh instance under per-call limits ([`PluginLimits`]).
//! - [`PluginRegistry`]: many clients, each with its plugin; checked hot-swap, rollback,
//!   version history. Every call result carries the version that produced it.
//! - [`fixtures`]: data-driven cases (input JSON -> expected JSON) used by
//!   `selvedge plugin test` and as the gate before a swap.

pub mod bindings;
pub mod cache;
pub mod calls;
pub mod compare;
pub mod context;
pub mod error;
pub mod fixtures;
mod invoke;
pub mod limits;
mod plugin_log;
mod pool;
pub mod recorded;
pub mod registry;
mod runtime;
mod state;
pub mod watch;

pub use bindings::rules;
pub use cache::Origin;
pub use calls::{CallReport, Called, TraceLine};
pub use context::ClientContext;
pub use error::{PluginError, PluginErrorKind};
pub use limits::PluginLimits;
pub use recorded::{CallInput, CallOutput, RecordedError, RecordedInput, run_pooled};
pub use registry::{CallCounts, ClientPlugin, PluginRegistry, SwapError, SwapReport, VersionInfo};
pub use runtime::{PluginVersion, Runtime, RuntimeOptions};
