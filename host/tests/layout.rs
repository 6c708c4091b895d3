//! The tree keeps its shape: flows see storefronts only through their ports.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_flow_imports_a_storefront_connector_crate() {
    let flows = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/flows");
    let mut files = Vec::new();
    rust_files(&flows, &mut files);
    assert!(
        files.len() > 20,
        "the flows are where they were: {}",
        files.len()
    );
    let mut offenders = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable source");
        for needle in [
            "selvedge_bigcommerce",
            "selvedge_sparklayer",
            "StorefrontClient",
        ] {
            if text.contains(needle) {
                offenders.push(format!("{} names {needle}", file.display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "flows must use crate::storefronts ports: {offenders:#?}"
    );
}
