//! Every connector follows the template in this crate's README: the files are there, and each
//! holds what the template says it holds. Connectors are found by listing `host/connectors/`,
//! so a new one is checked without being added here.

use std::fs;
use std::path::{Path, PathBuf};

/// The files every connector has (README, "The template").
const FILES: [&str; 6] = [
    "src/lib.rs",
    "src/config.rs",
    "src/error.rs",
    "src/client/mod.rs",
    "src/model/mod.rs",
    "src/sandbox/mod.rs",
];

/// Single-file forms the template replaced: their presence means a connector was not split.
const REPLACED: [&str; 2] = ["src/client.rs", "src/model.rs"];

fn connectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn connectors() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(connectors_dir())
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.join("Cargo.toml").is_file() && !p.ends_with("kit"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = read(&path);
            out.push((path, text));
        }
    }
    out
}

/// Production code lines, numbered: comments may name anything, and unit tests (from the
/// first `#[cfg(test)]` on) may use what production code may not.
fn code(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l))
}

/// Where `needle` occurs in code under `src/` of `crate_dir`, except below the folders in `allowed`.
fn offences(crate_dir: &Path, needle: &str, allowed: &[&str]) -> Vec<String> {
    let src = crate_dir.join("src");
    sources(&src)
        .iter()
        .filter(|(p, _)| !allowed.iter().any(|a| p.starts_with(src.join(a))))
        .flat_map(|(p, text)| {
            code(text)
                .filter(|(_, l)| l.contains(needle))
                .map(|(n, _)| format!("{}:{n}", p.display()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_connectors_are_found() {
    let names: Vec<String> = connectors()
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    for expected in ["bigcommerce", "bluecherry", "sparklayer"] {
        assert!(names.iter().any(|n| n == expected), "{names:?}");
    }
}

#[test]
fn the_readme_documents_every_file_the_check_requires() {
    let readme = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"));
    for file in FILES {
        assert!(
            readme.contains(&format!("`{file}`")),
            "README misses {file}"
        );
    }
}

#[test]
fn every_connector_has_the_template_files_and_no_single_file_forms() {
    for c in connectors() {
        for file in FILES {
            assert!(c.join(file).is_file(), "{} lacks {file}", c.display());
        }
        for file in REPLACED {
            assert!(!c.join(file).exists(), "{} still has {file}", c.display());
        }
    }
}

#[test]
fn the_sandbox_is_compiled_only_with_the_sandbox_feature() {
    for c in connectors() {
        let lib = read(&c.join("src/lib.rs"));
        let lines: Vec<&str> = lib.lines().collect();
        let mut gated = 0;
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim_start();
            if t.starts_with("pub mod sandbox") || t.starts_with("pub use sandbox::") {
                let previous = i.checked_sub(1).and_then(|j| lines.get(j)).copied();
                assert_eq!(
                    previous.map(str::trim),
                    Some(r#"#[cfg(feature = "sandbox")]"#),
                    "{}/src/lib.rs line {}: `{t}` is not behind the sandbox feature",
                    c.display(),
                    i + 1
                );
                gated += 1;
            }
        }
        assert!(gated > 0, "{}: no `pub mod sandbox`", c.display());

        let manifest = read(&c.join("Cargo.toml"));
        let feature = manifest
            .lines()
            .find(|l| l.trim_start().starts_with("sandbox = ["))
            .unwrap_or_else(|| panic!("{}: no sandbox feature", c.display()));
        assert!(
            feature.contains("\"selvedge-connector-kit/sandbox\"")
                && feature.contains("\"dep:axum\""),
            "{}: the sandbox feature must enable kit's sandbox and axum: {feature}",
            c.display()
        );
        assert!(
            manifest.contains("axum = { workspace = true, optional = true }"),
            "{}: axum (the sandbox server) must be optional",
            c.display()
        );
        assert!(
            !manifest
                .lines()
                .any(|l| l.trim_start().starts_with("default =")),
            "{}: the sandbox is off by default: no default features",
            c.display()
        );
        let name = manifest
            .lines()
            .find_map(|l| l.strip_prefix("name = "))
            .map(|n| n.trim_matches('"').to_owned())
            .unwrap_or_default();
        assert!(
            manifest.contains(&format!(
                "{name} = {{ path = \".\", features = [\"sandbox\"] }}"
            )),
            "{}: its own tests reach the sandbox through a dev-dependency on itself",
            c.display()
        );
        // The sandbox's server stays out of the rest of the crate.
        let found = offences(&c, "axum", &["sandbox"]);
        assert!(found.is_empty(), "axum outside the sandbox: {found:?}");
    }
}

#[test]
fn the_error_type_is_named_error() {
    for c in connectors() {
        let error = read(&c.join("src/error.rs"));
        assert!(
            error.contains("pub enum Error {") && error.contains("thiserror::Error"),
            "{}/src/error.rs: the connector's error is `pub enum Error` (thiserror)",
            c.display()
        );
        let lib = read(&c.join("src/lib.rs"));
        let reexported = code(&lib).any(|(_, l)| {
            l.contains("pub use error::Error;")
                || (l.contains("pub use error::{") && l.contains(" Error}")
                    || l.contains(" Error,"))
        });
        assert!(
            reexported,
            "{}/src/lib.rs does not re-export error::Error",
            c.display()
        );
    }
}

#[test]
fn http_clients_are_built_only_in_client() {
    for c in connectors() {
        for needle in ["reqwest::Client::new(", "reqwest::Client::builder("] {
            let found = offences(&c, needle, &["client", "sandbox"]);
            assert!(found.is_empty(), "{needle} outside client/: {found:?}");
        }
    }
}

#[test]
fn every_connector_sends_through_the_kit_transport() {
    for c in connectors() {
        let client = sources(&c.join("src/client"));
        let holds = |needle: &str| {
            client
                .iter()
                .any(|(_, t)| code(t).any(|(_, l)| l.contains(needle)))
        };
        assert!(
            holds("Transport::new("),
            "{}/src/client: no kit Transport",
            c.display()
        );
        assert!(
            holds("impl Exchange for"),
            "{}/src/client: no Exchange (auth and error mapping on the kit transport)",
            c.display()
        );
        // Sending and reading an answer is the transport's; a connector that does it has a
        // request loop of its own again.
        for needle in [".send().await", "parse_retry_after"] {
            let found = offences(&c, needle, &["sandbox"]);
            assert!(found.is_empty(), "{needle}: {found:?}");
        }
    }
}

#[test]
fn no_connector_paces_erp_writes_or_builds_its_own_backoff() {
    for c in connectors() {
        // The host owns the per-account limiter; backoff comes from kit's RetryPolicy.
        for needle in [
            "governor",
            "RateLimiter",
            "max_creates_per_second",
            "ExponentialBuilder",
            "ConstantBuilder",
            "FibonacciBuilder",
        ] {
            let found = offences(&c, needle, &["sandbox"]);
            assert!(found.is_empty(), "{needle}: {found:?}");
        }
        let manifest = read(&c.join("Cargo.toml"));
        assert!(
            !manifest.contains("governor"),
            "{}: a limiter dependency",
            c.display()
        );
    }
}

#[test]
fn money_is_the_kit_type() {
    for c in connectors() {
        for (path, text) in sources(&c.join("src")) {
            if path.file_name().is_some_and(|n| n == "money.rs") {
                assert!(
                    text.contains("selvedge_connector_kit::money"),
                    "{}: a money module must adapt the kit's type, not parse on its own",
                    path.display()
                );
                // Digit-by-digit parsing is what the decimal crate replaced.
                assert!(
                    !code(&text).any(|(_, l)| l.contains("is_ascii_digit")),
                    "{}: hand-parses amounts",
                    path.display()
                );
            }
        }
    }
}
