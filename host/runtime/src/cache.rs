//! Compiled-component cache on disk, keyed by the component's content hash and the engine,
//! shared by the host, `selvedge plugin test` and `selvedge check`.
//!
//! An entry is `MAGIC`, the SHA-256 of the compiled artifact recorded when it was compiled,
//! then the artifact. The digest is checked before anything is deserialized, so a truncated,
//! half-copied or bit-rotten entry is recompiled instead of loaded; wasmtime itself rejects
//! artifacts of another version or engine configuration. Entries unused for
//! [`KEEP_UNUSED`] are deleted whenever a new entry is written.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Start of every cache entry (format version 1).
const MAGIC: &[u8; 8] = b"SVCWASM1";
/// Bytes before the artifact: magic and digest.
const HEADER: usize = MAGIC.len() + 32;
/// Entries not loaded for this long are removed.
pub const KEEP_UNUSED: Duration = Duration::from_secs(30 * 24 * 3600);

/// Where a loaded plugin's compiled code came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Already compiled in this process (another client or an earlier load).
    Memory,
    /// Read from the on-disk cache.
    Cache,
    /// Compiled now (and written to the cache, if there is one).
    Compiled,
}

impl Origin {
    /// Human words for it, e.g. "compiled".
    pub fn describe(self) -> &'static str {
        match self {
            Origin::Memory => "already compiled in this process",
            Origin::Cache => "loaded from the compile cache",
            Origin::Compiled => "compiled",
        }
    }
}

/// The cache folder everyone shares unless told otherwise: `$SELVEDGE_PLUGIN_CACHE`, else
/// `$XDG_CACHE_HOME/selvedge/plugin-cache`, else `$HOME/.cache/selvedge/plugin-cache`;
/// `None` when none of them is set.
pub fn default_dir() -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("SELVEDGE_PLUGIN_CACHE") {
        return Some(PathBuf::from(dir));
    }
    let base = var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("selvedge").join("plugin-cache"))
}

/// A stable key for the engine's compilation settings.
pub(crate) fn engine_key(engine: &Engine) -> String {
    // DefaultHasher::new() uses fixed keys, so the key is stable across runs of one build.
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// The component for `bytes`: from the cache when a sound entry is there, else compiled and
/// cached.
pub(crate) fn load_or_compile(
    engine: &Engine,
    engine_key: &str,
    cache_dir: Option<&Path>,
    content_hash: &str,
    bytes: &[u8],
) -> Result<(Component, Origin), String> {
    let Some(dir) = cache_dir else {
        let component = Component::from_binary(engine, bytes).map_err(|e| format!("{e:#}"))?;
        return Ok((component, Origin::Compiled));
    };
    let path = dir.join(format!("{content_hash}-{engine_key}.cwasm"));
    if path.is_file() {
        match read_entry(engine, &path) {
            Ok(component) => {
                touch(&path);
                return Ok((component, Origin::Cache));
            }
            Err(err) => {
                tracing::warn!(path = %path.display(), %err, "ignoring unusable cache entry; compiling again")
            }
        }
    }
    let compiled = engine
        .precompile_component(bytes)
        .map_err(|e| format!("{e:#}"))?;
    if let Err(err) = write_entry(dir, &path, &compiled) {
        tracing::warn!(path = %path.display(), %err, "cannot write compiled plugin cache");
    }
    prune(dir, KEEP_UNUSED);
    let component = deserialize(engine, &compiled)?;
    Ok((component, Origin::Compiled))
}

/// Reads an entry, checks its digest, then deserializes the artifact.
fn read_entry(engine: &Engine, path: &Path) -> Result<Component, String> {
    let entry = std::fs::read(path).map_err(|e| e.to_string())?;
    let (header, artifact) = entry
        .split_at_checked(HEADER)
        .ok_or("shorter than its header")?;
    if &header[..MAGIC.len()] != MAGIC {
        return Err("not a cache entry of this format".into());
    }
    if header[MAGIC.len()..] != Sha256::digest(artifact)[..] {
        return Err("the artifact does not match the digest recorded when it was compiled".into());
    }
    deserialize(engine, artifact)
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, artifact: &[u8]) -> Result<Component, String> {
    // SAFETY: `artifact` is what this engine configuration's `precompile_component` produced:
    // either just now, or read back from an entry whose SHA-256 matches the digest recorded
    // when it was compiled, under a name carrying the engine's compatibility key.
    unsafe { Component::deserialize(engine, artifact) }.map_err(|e| format!("{e:#}"))
}

/// Writes an entry under a unique temporary name, then renames it into place, so readers
/// see a whole entry or none (also when two loads of one build race).
fn write_entry(dir: &Path, path: &Path, artifact: &[u8]) -> std::io::Result<()> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    std::fs::create_dir_all(dir)?;
    let mut entry = Vec::with_capacity(HEADER + artifact.len());
    entry.extend_from_slice(MAGIC);
    entry.extend_from_slice(&Sha256::digest(artifact));
    entry.extend_from_slice(artifact);
    let unique = NEXT.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{unique}", std::process::id()));
    std::fs::write(&tmp, entry)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Marks an entry used now, so pruning keeps it.
fn touch(path: &Path) {
    if let Ok(file) = std::fs::File::options().write(true).open(path) {
        let _ = file.set_modified(SystemTime::now());
    }
}

/// Deletes entries (and leftover temporary files) not used for `keep`.
pub fn prune(dir: &Path, keep: Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let cutoff = SystemTime::now().checked_sub(keep);
    let mut removed = 0;
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let ours = path
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| x == "cwasm" || x.starts_with("tmp"));
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .zip(cutoff)
            .is_some_and(|(modified, cutoff)| modified < cutoff);
        if ours && old && std::fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}
