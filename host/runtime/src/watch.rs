//! Plugin folders: which `.wasm` in a client's folder is the candidate for a hot-swap. The
//! host's folder watch decides whether to install it (it must be a build the store has not
//! seen) and records the change.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

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
