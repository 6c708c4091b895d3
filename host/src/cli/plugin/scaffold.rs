//! `selvedge plugin new <name>`: a plugin crate with a rule, a fixture that passes, and a README.

use std::path::{Path, PathBuf};

use crate::exit::{self, CliError};

/// The SDK this binary was built with (the repository's `plugins/sdk`).
fn default_sdk() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/sdk")
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

pub fn new_plugin(name: &str, dir: &Path, sdk: Option<&Path>) -> Result<u8, CliError> {
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
    let sdk = sdk.map(Path::to_path_buf).unwrap_or_else(default_sdk);
    let sdk = sdk.canonicalize().map_err(|e| {
        CliError::bad_input(format!(
            "SDK not found at {} ({e}): pass --sdk <path to plugins/sdk>",
            sdk.display()
        ))
    })?;
    let files = [
        ("Cargo.toml", cargo_toml(name, &sdk)),
        ("src/lib.rs", LIB_RS.to_string()),
        ("fixtures/context.toml", CONTEXT_TOML.to_string()),
        (
            "fixtures/ats-physical-with-buffer.json",
            FIXTURE.to_string(),
        ),
        ("README.md", readme(name)),
    ];
    for (rel, text) in files {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| CliError::runtime(format!("{}: {e}", parent.display())))?;
        }
        std::fs::write(&path, text)
            .map_err(|e| CliError::runtime(format!("{}: {e}", path.display())))?;
    }
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
