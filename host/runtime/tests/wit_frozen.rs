//! A released WIT version never changes: its files must match the hashes recorded at release.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

fn check_frozen(folder: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../wit")
        .join(folder);
    let recorded = std::fs::read_to_string(dir.join("FROZEN.sha256")).expect("FROZEN.sha256");
    let mut checked = 0;
    for line in recorded.lines().filter(|l| !l.trim().is_empty()) {
        let (hash, file) = line.split_once("  ").expect("`<sha256>  <file>` lines");
        let bytes = std::fs::read(dir.join(file)).expect("frozen file exists");
        assert_eq!(
            hex::encode(Sha256::digest(&bytes)),
            hash,
            "{folder}/{file} changed: released WIT is frozen; add a new version folder"
        );
        checked += 1;
    }
    let on_disk = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "wit"))
        .count();
    assert_eq!(
        checked, on_disk,
        "every .wit file of the release is recorded"
    );
}

#[test]
fn released_wit_v0_1_0_is_unchanged() {
    check_frozen("since_v0.1.0");
}

#[test]
fn released_wit_v0_2_0_is_unchanged() {
    check_frozen("since_v0.2.0");
}
