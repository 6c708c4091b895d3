//! Builds every component in `plugins/` (release, wasm32-wasip2) so tests, benches and the
//! demo always run plugins built from the current source.

use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest_dir.join("../..");
    let plugins = root.join("plugins");
    for watched in [
        "sdk",
        "b2c-apparel",
        "b2b-wholesale",
        "test-guests",
        "Cargo.toml",
        "Cargo.lock",
        ".cargo",
    ] {
        println!("cargo:rerun-if-changed={}", plugins.join(watched).display());
    }
    println!("cargo:rerun-if-changed={}", root.join("wit").display());

    ensure_target();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target_dir = plugins.join("target");
    let status = Command::new(cargo)
        .args(["build", "--release", "--target", TARGET, "--manifest-path"])
        .arg(plugins.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        // Run inside plugins/ so its .cargo/config.toml (guest rustflags) applies.
        .current_dir(&plugins)
        // The outer build's settings are not the guests' (clippy wrapper, host target dir).
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!(
            "building the plugins in {} failed ({s}); see the errors above",
            plugins.display()
        ),
        Err(e) => panic!("cannot run cargo to build the plugins: {e}"),
    }
    let out = target_dir.join(TARGET).join("release");
    println!(
        "cargo:rustc-env=SELVEDGE_PLUGIN_DIR={}",
        canonical(&out).display()
    );
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

/// Installs the wasm32-wasip2 target with rustup when the toolchain lacks it.
fn ensure_target() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    if Path::new(&sysroot)
        .join("lib/rustlib")
        .join(TARGET)
        .is_dir()
    {
        return;
    }
    let _ = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status();
}
