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

#[test]
fn every_flow_has_its_settings_and_run_and_its_io_in_apply_or_worker() {
    let flows = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/flows");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&flows)
        .expect("flows folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    assert!(
        folders.len() >= 7,
        "the flows are where they were: {folders:?}"
    );
    let mut missing = Vec::new();
    for folder in &folders {
        if !folder.join("mod.rs").is_file() {
            missing.push(format!("{}: no mod.rs", folder.display()));
        }
        if !folder.join("apply.rs").is_file() && !folder.join("worker.rs").is_file() {
            missing.push(format!(
                "{}: neither apply.rs nor worker.rs",
                folder.display()
            ));
        }
    }
    assert!(missing.is_empty(), "flows keep one shape: {missing:#?}");
}

#[test]
fn storefront_catalog_adapters_translate_and_leave_decisions_to_the_flow() {
    let storefronts = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/storefronts");
    let mut offenders = Vec::new();
    for adapter in ["bigcommerce", "sparklayer"] {
        let folder = storefronts.join(adapter);
        let mut files = Vec::new();
        rust_files(&folder, &mut files);
        for file in files.iter().filter(|f| {
            f.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("catalog"))
        }) {
            let text = std::fs::read_to_string(file).expect("readable source");
            // Bindings, exceptions and the decision audit are the flow's.
            for needle in [
                "ctx.raise",
                "upsert_bindings",
                "record_decisions",
                "ClientServices",
            ] {
                if text.contains(needle) {
                    offenders.push(format!("{} names {needle}", file.display()));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}
