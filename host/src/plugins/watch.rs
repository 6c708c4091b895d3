//! Hot-swap by dropping a `.wasm` into a client's plugin folder.
//!
//! One task polls every watched folder (polling works on every filesystem, including network
//! mounts and container volumes, and a drop is rare). The newest `*.wasm` by modification
//! time is the candidate, and only while the store has never seen its build: a file already
//! decided about (installed, then rolled back from) is never installed again by the folder,
//! so a rollback holds. Writers should write to a temporary name and rename, so a
//! half-written file is never seen as `*.wasm`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use selvedge_runtime::watch::{WatchedFolder, newest_wasm};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{NewBuild, PluginChanges, Ticks, digest_of};

/// Polls `folders` every `every` until `stop`.
pub fn spawn_folder_watch(
    changes: Arc<PluginChanges>,
    folders: Vec<WatchedFolder>,
    every: Duration,
    stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut rejected = BTreeSet::new();
        let mut ticks = Ticks::new(every, stop);
        while ticks.next().await {
            for folder in &folders {
                poll_folder(&changes, folder, &mut rejected).await;
            }
        }
    })
}

/// Checks one folder once and installs its candidate, if there is a new one. Builds that
/// failed their checks are remembered in `rejected` and not tried again.
pub async fn poll_folder(
    changes: &PluginChanges,
    folder: &WatchedFolder,
    rejected: &mut BTreeSet<String>,
) {
    let Some(path) = newest_wasm(&folder.dir) else {
        return;
    };
    let Ok(bytes) = tokio::fs::read(&path).await else {
        return;
    };
    let digest = digest_of(&bytes);
    if rejected.contains(&digest) {
        return;
    }
    match changes.store.plugin_component(&digest).await {
        Ok(None) => {}
        Ok(Some(_)) => return,
        Err(err) => {
            tracing::warn!(client = %folder.client, %err, "cannot tell whether the dropped plugin is new; trying again");
            return;
        }
    }
    let label = format!("dropped {}", path.display());
    let source = format!("folder {}", path.display());
    let build = NewBuild::from_file(&path, bytes, label, source);
    match changes
        .install(&folder.client, build, "hot reload (folder)")
        .await
    {
        Ok(report) => {
            tracing::info!(client = %folder.client, to = %report.to, "hot-swapped plugin from folder")
        }
        Err(err @ super::ChangeError::Swap(_)) => {
            tracing::error!(client = %folder.client, %err, "dropped plugin rejected; current version keeps serving");
            rejected.insert(digest);
        }
        // Not recorded: the follower puts the desired version back, and the next poll retries.
        Err(err) => {
            tracing::warn!(client = %folder.client, %err, "dropped plugin not recorded; trying again")
        }
    }
}
