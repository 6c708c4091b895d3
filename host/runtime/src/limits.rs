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
    /// Trace (plugin log) bytes kept per call; the rest is counted, not stored.
    pub max_trace_bytes: usize,
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
