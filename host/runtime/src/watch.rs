//! Hot-swap by dropping a `.wasm` into a client's plugin folder.
//!
//! One loader task polls every watched folder (polling works on every filesystem, including
//! network mounts and container volumes, and a drop is rare). The newest `*.wasm` by
//! modification time is the candidate; a candidate whose hash is already current, or was
//! already rejected, is skipped. Writers should write to a temporary name and rename, so a
//! half-written file is never seen as `*.wasm`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use tokio::task::JoinHandle;

use crate::registry::PluginRegistry;

/// A client's folder to watch.
#[derive(Debug, Clone)]
pub struct WatchedFolder {
    pub client: String,
    pub dir: PathBuf,
}

/// The newest `*.wasm` in `dir`, if any.
pub fn newest_wasm(dir: &Path) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "wasm"))
        .map(|e| {
            let modified = e
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH);
            (modified, e.path())
        })
        .max()
        .map(|(_, p)| p)
}

/// Starts the single loader task. It stops when the returned handle is aborted.
pub fn spawn(
    registry: Arc<PluginRegistry>,
    folders: Vec<WatchedFolder>,
    interval: Duration,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut rejected: BTreeSet<String> = BTreeSet::new();
        let mut ticker = tokio::time::interval(interval);
        loop {
            ticker.tick().await;
            for folder in &folders {
                poll_once(&registry, folder, &mut rejected).await;
            }
        }
    })
}

/// Checks one folder once; installs a new candidate if there is one.
pub async fn poll_once(
    registry: &PluginRegistry,
    folder: &WatchedFolder,
    rejected: &mut BTreeSet<String>,
) {
    let Ok(slot) = registry.client(&folder.client) else {
        return;
    };
    let Some(path) = newest_wasm(&folder.dir) else {
        return;
    };
    let Ok(bytes) = tokio::fs::read(&path).await else {
        return;
    };
    let hash = hex::encode(Sha256::digest(&bytes));
    let current = slot.current().map(|v| v.version.clone());
    if current.as_deref() == Some(hash.as_str()) || rejected.contains(&hash) {
        return;
    }
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "plugin".into());
    match slot
        .install_bytes(&name, bytes, Some(format!("dropped {}", path.display())))
        .await
    {
        Ok(report) => {
            tracing::info!(client = %folder.client, to = %report.to, "hot-swapped plugin from folder")
        }
        Err(err) => {
            tracing::error!(client = %folder.client, %err, "dropped plugin rejected; current version keeps serving");
            rejected.insert(hash);
        }
    }
}
