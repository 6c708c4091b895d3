//! Plugin versions, swap and rollback.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A client's plugin: active version, what can be rolled back to, and history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PluginView {
    /// Client.
    pub client: String,
    /// Plugin id of the active version.
    pub plugin: Option<String>,
    /// Active version hash.
    pub version: Option<String>,
    /// Label of the active version.
    pub label: Option<String>,
    /// Versions ready for instant rollback, newest first.
    pub previous: Vec<String>,
    /// Activation periods (durable, newest first): a page of `limit` (default 100).
    pub history: Vec<PluginPeriod>,
    /// `before` for the next (older) page of the history; null on the last page.
    #[serde(default)]
    pub history_next: Option<i64>,
    /// Installs, rollbacks and rejected candidates since the host started, oldest first.
    pub events: Vec<PluginEvent>,
}

/// One activation period of a plugin version.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PluginPeriod {
    /// Id of the period (a page cursor).
    #[serde(default)]
    pub id: i64,
    /// Plugin id.
    pub plugin: String,
    /// Version hash.
    pub version: String,
    /// Label.
    pub label: String,
    /// Activated.
    pub activated_at: String,
    /// Why.
    pub reason: String,
    /// Deactivated.
    pub deactivated_at: Option<String>,
    /// Why it stopped.
    pub deactivation_reason: Option<String>,
}

/// A runtime event of the plugin slot.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PluginEvent {
    /// Plugin id.
    pub plugin: String,
    /// Version hash.
    pub version: String,
    /// `installed`, `rolled-back-to`, `rejected`.
    pub event: String,
    /// When, ms since the epoch.
    pub at_unix_ms: u64,
    /// Detail (fixtures passed, why rejected).
    pub detail: String,
}

/// Swap from a file on the host (JSON body); to upload, POST the `.wasm` bytes with
/// `Content-Type: application/wasm` and `?name=&label=` instead.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct SwapRequest {
    /// Path of the `.wasm` on the host.
    pub path: Option<String>,
    /// Label kept in the history.
    pub label: Option<String>,
}

/// What a swap or rollback did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SwapResult {
    /// Client.
    pub client: String,
    /// Plugin id.
    pub plugin: String,
    /// Version replaced.
    pub from: Option<String>,
    /// Version now active.
    pub to: String,
    /// Fixtures the candidate passed.
    pub fixtures_passed: usize,
    /// Time taken, ms.
    pub duration_ms: f64,
}
