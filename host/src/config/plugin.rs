//! `[plugin]` in a client file: which rule plugin the client runs, and under what limits.

use std::path::{Path, PathBuf};

use selvedge_runtime::PluginLimits;
use serde::Deserialize;

use super::ConfigError;

/// Example plugins built with this binary, usable as `example = "<name>"`.
pub const EXAMPLES: [&str; 2] = ["b2c-apparel", "b2b-wholesale"];

/// The client's rule plugin.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PluginConfig {
    /// Path of the plugin component (`.wasm`), relative to the config folder.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Instead of `path`: one of the example plugins built with this binary
    /// (`b2c-apparel`, `b2b-wholesale`).
    #[serde(default)]
    pub example: Option<String>,
    /// Folder watched for hot-swap: the newest `.wasm` dropped there replaces the running
    /// version once it passes the fixtures. Relative to the config folder.
    #[serde(default)]
    pub watch: Option<PathBuf>,
    /// Fixture cases every candidate must pass before it is swapped in (also at start).
    #[serde(default)]
    pub fixtures: Option<PathBuf>,
    /// Per-call limits (CPU time, fuel, memory, output size).
    #[serde(default)]
    pub limits: PluginLimits,
    /// Guard on every version change: roll back by itself when the new version fails more
    /// often than the one it replaced.
    #[serde(default)]
    pub auto_rollback: AutoRollback,
    /// A new build goes live (admin swap, folder drop) only after a shadow run of it on
    /// the client's recorded calls changed nothing, or a person accepted its differences.
    #[serde(default)]
    pub require_shadow: bool,
}

/// `[plugin.auto_rollback]`: after a swap, the new version's first `calls` live calls are
/// compared with the replaced version's record on this host; if the new failure rate (traps,
/// limits, malformed output) exceeds the old one by more than `margin`, the host rolls back
/// and raises a `plugin_error` exception for its owner team.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AutoRollback {
    /// Live calls of the new version to judge it by; 0 turns the guard off.
    pub calls: u32,
    /// Allowed rise of the failure rate, as a fraction (0.05 = 5 points).
    pub margin: f64,
}

impl Default for AutoRollback {
    fn default() -> Self {
        Self {
            calls: 100,
            margin: 0.05,
        }
    }
}

/// `[plugin]` with paths resolved and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedPlugin {
    /// The component to load at start.
    pub path: PathBuf,
    /// Folder watched for hot-swap.
    pub watch: Option<PathBuf>,
    /// Fixture folder.
    pub fixtures: Option<PathBuf>,
    /// Per-call limits.
    pub limits: PluginLimits,
    /// The guard on version changes.
    pub auto_rollback: AutoRollback,
    /// Swaps need a clean or accepted shadow run first.
    pub require_shadow: bool,
}

impl PluginConfig {
    /// Resolves paths against `base` (the config folder) and checks they exist.
    pub fn resolve(&self, file: &Path, base: &Path) -> Result<ResolvedPlugin, ConfigError> {
        let path = match (&self.path, &self.example) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::invalid(
                    file,
                    "plugin",
                    "has both `path` and `example`",
                    "keep one of them",
                ));
            }
            (None, None) => {
                return Err(ConfigError::invalid(
                    file,
                    "plugin",
                    "names no plugin",
                    "set `path = \"plugins/acme.wasm\"` or `example = \"b2c-apparel\"`",
                ));
            }
            (Some(path), None) => base.join(path),
            (None, Some(name)) if EXAMPLES.contains(&name.as_str()) => {
                selvedge_plugin_artifacts::component(name)
            }
            (None, Some(name)) => {
                return Err(ConfigError::invalid(
                    file,
                    "plugin.example",
                    format!("`{name}` is not an example plugin"),
                    format!(
                        "use one of {}, or `path` for your own plugin",
                        EXAMPLES.join(", ")
                    ),
                ));
            }
        };
        if !path.is_file() {
            return Err(ConfigError::invalid(
                file,
                if self.path.is_some() {
                    "plugin.path"
                } else {
                    "plugin.example"
                },
                format!("points at {}, which does not exist", path.display()),
                "build the plugin (`cargo build --target wasm32-wasip2 --release` in its crate) or correct the path",
            ));
        }
        let watch = self.watch.as_ref().map(|w| base.join(w));
        if let Some(dir) = &watch
            && !dir.is_dir()
        {
            return Err(ConfigError::invalid(
                file,
                "plugin.watch",
                format!("points at {}, which is not a folder", dir.display()),
                format!("create it (`mkdir -p {}`) or remove the key", dir.display()),
            ));
        }
        let fixtures = self.fixtures.as_ref().map(|f| base.join(f));
        if let Some(dir) = &fixtures
            && !dir.is_dir()
        {
            return Err(ConfigError::invalid(
                file,
                "plugin.fixtures",
                format!("points at {}, which is not a folder", dir.display()),
                "point it at the plugin's fixture cases or remove the key",
            ));
        }
        if self.limits.timeout_ms == 0
            || self.limits.max_memory_bytes == 0
            || self.limits.max_output_bytes == 0
        {
            return Err(ConfigError::invalid(
                file,
                "plugin.limits",
                "has a zero timeout_ms, max_memory_bytes or max_output_bytes",
                "leave a limit out to use its default, or give it a positive value",
            ));
        }
        if !(0.0..=1.0).contains(&self.auto_rollback.margin) {
            return Err(ConfigError::invalid(
                file,
                "plugin.auto_rollback.margin",
                format!("is {}, not a fraction", self.auto_rollback.margin),
                "give the allowed rise of the failure rate between 0 and 1 (0.05 = 5 points)",
            ));
        }
        Ok(ResolvedPlugin {
            path,
            watch,
            fixtures,
            limits: self.limits,
            auto_rollback: self.auto_rollback,
            require_shadow: self.require_shadow,
        })
    }
}
