//! Per-call limits, configurable per client.

use serde::{Deserialize, Serialize};

/// Limits applied to every plugin call. Defaults suit a cycle of ~100k SKU-locations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PluginLimits {
    /// CPU time a call may take, in milliseconds (enforced by epoch deadline).
    pub timeout_ms: u64,
    /// Fuel (about one unit per wasm instruction) a call may burn, when the engine meters
    /// fuel; 0 means no fuel limit.
    pub fuel: u64,
    /// Linear memory a call's instance may grow to, in bytes.
    pub max_memory_bytes: usize,
    /// Size of a call's output, in bytes (strings and list elements counted).
    pub max_output_bytes: usize,
    /// Plugin log bytes a call may write (to the host log and its trace), never more than
    /// `max_output_bytes`: see [`PluginLimits::log_budget_bytes`].
    pub max_trace_bytes: usize,
}

impl PluginLimits {
    /// Bytes of log a call may write. Logging is output the host stores: it is charged
    /// against the output budget as a slice of it, `max_trace_bytes` (64 KiB by default) and
    /// never more than `max_output_bytes`, so a plugin cannot write more to the host log
    /// than it may return. Each line costs its escaped text plus a fixed overhead; past the
    /// budget the call's later lines are dropped and one summary line counts them. Dropping,
    /// not failing, because a log is diagnostics: a chatty plugin's decisions still count.
    pub fn log_budget_bytes(&self) -> usize {
        self.max_trace_bytes.min(self.max_output_bytes)
    }
}

impl Default for PluginLimits {
    fn default() -> Self {
        Self {
            timeout_ms: 2_000,
            fuel: 5_000_000_000,
            max_memory_bytes: 128 << 20,
            max_output_bytes: 16 << 20,
            max_trace_bytes: 64 << 10,
        }
    }
}
