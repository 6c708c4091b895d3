//! `selvedge plugin new <name> [--lang python]`: a plugin (a Rust crate, or a Python module
//! built with componentize-py) with a rule, a fixture that passes, and a README.

use std::path::{Path, PathBuf};

use clap::ValueEnum;

use crate::exit::{self, CliError};

/// The language a scaffolded plugin is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// A Rust crate on `plugins/sdk`, built with cargo for wasm32-wasip2.
    Rust,
    /// A Python module on `plugins/sdk-python`, built with componentize-py.
    Python,
}

/// The componentize-py release `scripts/build-python-plugins` pins; scaffolded Python plugins
/// name it in their build script.
pub const COMPONENTIZE_PY_VERSION: &str = "0.18.0";

/// The SDK this binary was built with (the repository's `plugins/sdk` or `plugins/sdk-python`).
fn default_sdk(lang: Lang) -> PathBuf {
    let sdk = match lang {
        Lang::Rust => "../plugins/sdk",
        Lang::Python => "../plugins/sdk-python",
    };
    Path::new(env!("CARGO_MANIFEST_DIR")).join(sdk)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

pub fn new_plugin(name: &str, dir: &Path, sdk: Option<&Path>, lang: Lang) -> Result<u8, CliError> {
    if !valid_name(name) {
        return Err(CliError::bad_input(format!(
            "plugin name {name:?} must start with a lowercase letter and use only a-z, 0-9 and '-'"
        )));
    }
    let root = dir.join(name);
    if root.exists() {
        return Err(CliError::bad_input(format!(
            "{} already exists: pick another name or folder",
            root.display()
        )));
    }
    let sdk = sdk
        .map(Path::to_path_buf)
        .unwrap_or_else(|| default_sdk(lang));
    let sdk = sdk.canonicalize().map_err(|e| {
        let expected = match lang {
            Lang::Rust => "plugins/sdk",
            Lang::Python => "plugins/sdk-python",
        };
        CliError::bad_input(format!(
            "SDK not found at {} ({e}): pass --sdk <path to {expected}>",
            sdk.display()
        ))
    })?;
    match lang {
        Lang::Rust => new_rust(name, &root, &sdk),
        Lang::Python => new_python(name, &root, &sdk),
    }
}

fn write_files(root: &Path, files: &[(&str, String)]) -> Result<(), CliError> {
    for (rel, text) in files {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| CliError::runtime(format!("{}: {e}", parent.display())))?;
        }
        std::fs::write(&path, text)
            .map_err(|e| CliError::runtime(format!("{}: {e}", path.display())))?;
    }
    Ok(())
}

fn new_rust(name: &str, root: &Path, sdk: &Path) -> Result<u8, CliError> {
    let files = [
        ("Cargo.toml", cargo_toml(name, sdk)),
        ("src/lib.rs", LIB_RS.to_string()),
        ("fixtures/context.toml", CONTEXT_TOML.to_string()),
        (
            "fixtures/ats-physical-with-buffer.json",
            FIXTURE.to_string(),
        ),
        ("README.md", readme(name)),
    ];
    write_files(root, &files)?;
    println!("created plugin {name} in {}", root.display());
    println!(
        "build: (cd {} && cargo build --release --target wasm32-wasip2)",
        root.display()
    );
    println!(
        "test:  selvedge plugin test {}/target/wasm32-wasip2/release/{}.wasm {}/fixtures",
        root.display(),
        name.replace('-', "_"),
        root.display()
    );
    Ok(exit::OK)
}

fn cargo_toml(name: &str, sdk: &Path) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

# A standalone crate, not a member of any surrounding workspace.
[workspace]

[lib]
crate-type = ["cdylib"]

[dependencies]
selvedge-plugin-sdk = {{ path = "{sdk}" }}

[profile.release]
opt-level = 3
lto = true
codegen-units = 1
panic = "abort"
strip = true
"#,
        sdk = sdk.display()
    )
}

fn readme(name: &str) -> String {
    format!(
        "# {name}\n\nSelvedge client rule plugin. Implement the rules your client needs in `src/lib.rs` \
         (every `Rules` method has a default), add a fixture case per behaviour in `fixtures/`, then:\n\n\
         ```\ncargo build --release --target wasm32-wasip2\n\
         selvedge plugin test target/wasm32-wasip2/release/{}.wasm fixtures\n```\n",
        name.replace('-', "_")
    )
}

const LIB_RS: &str = r#"//! Client rules. Every `Rules` method has a default, so implement only what the client needs.

use selvedge_plugin_sdk::prelude::*;

struct Client;

impl Rules for Client {
    /// Physical stock (on hand - picked - open orders) less a fixed buffer from config.
    fn compute_ats(_context: StockContext, rows: StockRows) -> Result<AtsRows, String> {
        let buffer = Buffer::Fixed(config::parse_or("buffer_units", 1)?);
        let buckets = Buckets::physical();
        ats::compute(&rows, |row| buckets.available(row).with_sku_buffer_or(row, buffer))
    }
}

selvedge_plugin_sdk::export_rules!(Client);
"#;

const CONTEXT_TOML: &str = r#"# Rule settings and mapping tables these fixtures run with.
[rules]
buffer_units = 1
"#;

const FIXTURE: &str = r#"{
  "description": "Physical stock less a one-unit buffer",
  "call": "compute-ats",
  "input": {
    "rows": [
      { "sku": "10010-BLK-M", "location": "NJ01", "category": "Tops", "season": "SP25", "on_hand": 5, "picked": 1 }
    ]
  },
  "expected": [
    { "ats": 3, "buffer": 1, "reasons": ["on-hand", "picked", "open-orders", "fixed-buffer"] }
  ]
}
"#;

/// The WIT folder next to a Python SDK in this repository's layout (`plugins/sdk-python` ->
/// `wit/since_v0.2.0`).
fn wit_for(sdk: &Path) -> PathBuf {
    sdk.join("../../wit/since_v0.2.0")
}

fn new_python(name: &str, root: &Path, sdk: &Path) -> Result<u8, CliError> {
    let module = name.replace('-', "_");
    let wit = wit_for(sdk);
    let wit = wit.canonicalize().map_err(|e| {
        CliError::bad_input(format!(
            "the WIT folder {} next to the Python SDK is missing ({e}): pass --sdk <path to plugins/sdk-python>",
            wit.display()
        ))
    })?;
    let rules = format!("{module}.py");
    let files = [
        (rules.as_str(), PYTHON_RULES.to_string()),
        ("build.sh", python_build_sh(&module, sdk, &wit)),
        (".gitignore", "*.wasm\n__pycache__/\n".to_string()),
        ("fixtures/context.toml", CONTEXT_TOML.to_string()),
        (
            "fixtures/ats-physical-with-buffer.json",
            FIXTURE.to_string(),
        ),
        ("README.md", python_readme(name, &module)),
    ];
    write_files(root, &files)?;
    make_executable(&root.join("build.sh"))?;
    println!("created Python plugin {name} in {}", root.display());
    println!(
        "build: pip install componentize-py=={COMPONENTIZE_PY_VERSION} && {}/build.sh",
        root.display()
    );
    println!(
        "test:  selvedge plugin test {root}/{module}.wasm {root}/fixtures",
        root = root.display()
    );
    Ok(exit::OK)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), CliError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| CliError::runtime(format!("{}: {e}", path.display())))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<(), CliError> {
    Ok(())
}

fn python_build_sh(module: &str, sdk: &Path, wit: &Path) -> String {
    format!(
        r#"#!/bin/sh
# Builds {module}.wasm: this folder's module and the Selvedge Python SDK, as one component of
# the selvedge:rules/client-rules world. Needs componentize-py {COMPONENTIZE_PY_VERSION}
# (pip install componentize-py=={COMPONENTIZE_PY_VERSION}); $COMPONENTIZE_PY names another binary.
set -eu
cd "$(dirname "$0")"
"${{COMPONENTIZE_PY:-componentize-py}}" -d '{wit}' -w client-rules \
    componentize {module} -p . -p '{sdk}' -o {module}.wasm
"#,
        wit = wit.display(),
        sdk = sdk.display(),
    )
}

fn python_readme(name: &str, module: &str) -> String {
    format!(
        "# {name}\n\nSelvedge client rule plugin in Python. Implement the rules your client needs in \
         `{module}.py` (every `Rules` method has a default), add a fixture case per behaviour in \
         `fixtures/`, then build it with componentize-py {COMPONENTIZE_PY_VERSION} and test it:\n\n\
         ```\npip install componentize-py=={COMPONENTIZE_PY_VERSION}\n\
         ./build.sh    # componentize-py -d <wit> -w client-rules componentize {module} -p . -p <sdk-python> -o {module}.wasm\n\
         selvedge plugin test {module}.wasm fixtures\n```\n\n\
         A Python component is about 40 MB and compiles in seconds (cached afterwards); see \
         \"Python plugins\" in Selvedge's docs/plugins.md for its costs.\n"
    )
}

const PYTHON_RULES: &str = r#""""Client rules. Every `Rules` method has a default, so implement only what the client needs."""

from __future__ import annotations

from selvedge_plugin_sdk import Rules, config, export_rules
from selvedge_plugin_sdk.ats import Buckets, Buffer, compute_columns
from wit_world.exports.inventory import AtsRows, StockContext, StockRows


@export_rules
class Client(Rules):
    def compute_ats(self, context: StockContext, rows: StockRows) -> AtsRows:
        """Physical stock (on hand - picked - open orders) less a fixed buffer from config;
        a SKU's own buffer wins."""
        buffer = Buffer.fixed(config.parse_or("buffer_units", 1, config.i32))
        return compute_columns(rows, Buckets.physical(), [buffer])
"#;
