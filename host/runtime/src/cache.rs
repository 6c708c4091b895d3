//! Compiled-component cache on disk, keyed by the component's content hash and the engine.
//!
//! Only files this module wrote are ever deserialized: the key covers the exact bytes and
//! the engine's compatibility hash, and wasmtime itself rejects artifacts from another version.

use std::hash::{Hash, Hasher};
use std::path::Path;

use wasmtime::Engine;
use wasmtime::component::Component;

/// A stable key for the engine's compilation settings.
pub(crate) fn engine_key(engine: &Engine) -> String {
    // DefaultHasher::new() uses fixed keys, so the key is stable across runs of one build.
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// The component for `bytes`: from the cache when present, else compiled and cached.
pub(crate) fn load_or_compile(
    engine: &Engine,
    engine_key: &str,
    cache_dir: Option<&Path>,
    content_hash: &str,
    bytes: &[u8],
) -> Result<Component, String> {
    let Some(dir) = cache_dir else {
        return Component::from_binary(engine, bytes).map_err(|e| format!("{e:#}"));
    };
    let path = dir.join(format!("{content_hash}-{engine_key}.cwasm"));
    if path.is_file() {
        match deserialize(engine, &path) {
            Ok(component) => return Ok(component),
            Err(err) => {
                tracing::warn!(path = %path.display(), %err, "ignoring unusable cache entry")
            }
        }
    }
    let compiled = engine
        .precompile_component(bytes)
        .map_err(|e| format!("{e:#}"))?;
    if let Err(err) = write_atomically(dir, &path, &compiled) {
        tracing::warn!(path = %path.display(), %err, "cannot write compiled plugin cache");
    }
    deserialize_fresh(engine, &compiled)
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, path: &Path) -> Result<Component, String> {
    // SAFETY: the file was produced by `precompile_component` of an engine with the same
    // compatibility hash (it is in the file name) and written atomically by this module.
    unsafe { Component::deserialize_file(engine, path) }.map_err(|e| format!("{e:#}"))
}

#[allow(unsafe_code)]
fn deserialize_fresh(engine: &Engine, compiled: &[u8]) -> Result<Component, String> {
    // SAFETY: `compiled` was produced just now by this engine's `precompile_component`.
    unsafe { Component::deserialize(engine, compiled) }.map_err(|e| format!("{e:#}"))
}

fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
