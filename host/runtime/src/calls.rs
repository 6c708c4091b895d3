//! What a plugin call returns besides its output: the report stamped on every decision.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::recorded::RecordedInput;

/// One structured log line written by the plugin during a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceLine {
    pub level: String,
    pub message: String,
    pub fields: Vec<(String, String)>,
}

/// Measurements and provenance of one plugin call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallReport {
    /// Client the call ran for.
    pub client: String,
    /// Plugin name (file stem).
    pub plugin: String,
    /// Plugin version: SHA-256 of the component bytes, hex.
    pub version: String,
    /// Fuel burnt (about one unit per wasm instruction), when the engine meters fuel.
    pub fuel: Option<u64>,
    /// Peak linear memory of the call's instance, bytes.
    pub peak_memory_bytes: usize,
    /// Wall time of instantiate + call.
    #[serde(with = "duration_us")]
    pub duration: Duration,
    /// Output size counted against the limit, bytes.
    pub output_bytes: usize,
    /// The plugin's log lines, escaped, as written to the host log.
    pub trace: Vec<TraceLine>,
    /// Log lines dropped over the log budget (`PluginLimits::log_budget_bytes`).
    pub trace_dropped: usize,
    /// The call's arguments and the config it could read, for recording (live calls only).
    #[serde(skip)]
    pub recorded: Option<Arc<RecordedInput>>,
}

/// A plugin call's output with its report.
#[derive(Debug, Clone)]
pub struct Called<T> {
    pub output: T,
    pub report: CallReport,
}

mod duration_us {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_micros(u64::deserialize(d)?))
    }
}
