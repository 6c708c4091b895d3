//! `selvedge plugin test|new`: what a plugin author sees, and the exit codes scripts rely on.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn selvedge(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_selvedge"))
        .args(args)
        .output()
        .expect("run selvedge")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `selvedge plugin new <name> --dir <dir>` with `extra` arguments; the new plugin's folder.
fn plugin_new(dir: &Path, name: &str, extra: &[&str]) -> (Output, PathBuf) {
    let dir_arg = dir.display().to_string();
    let mut args = vec!["plugin", "new", name, "--dir", &dir_arg];
    args.extend_from_slice(extra);
    (selvedge(&args), dir.join(name))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn b2c() -> String {
    selvedge_plugin_artifacts::b2c_apparel()
        .display()
        .to_string()
}

fn b2c_fixtures() -> String {
    repo()
        .join("plugins/b2c-apparel/fixtures")
        .display()
        .to_string()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

/// A copy of the b2c fixtures in which `ats-buckets-preorder-buffers` expects 99 where the
/// plugin computes 7; returns the folder and that case's file.
fn fixtures_with_a_wrong_expectation() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(Path::new(&b2c_fixtures()), dir.path());
    let case = dir.path().join("ats-buckets-preorder-buffers.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&case).expect("read")).expect("json");
    json["expected"][0]["ats"] = serde_json::json!(99);
    std::fs::write(&case, serde_json::to_string_pretty(&json).expect("ser")).expect("write");
    (dir, case)
}

#[test]
fn passing_fixtures_exit_0_and_report_each_case() {
    let out = selvedge(&["plugin", "test", &b2c(), &b2c_fixtures()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("PASS ats-buckets-preorder-buffers"), "{t}");
    assert!(t.contains("fixtures: 5 passed, 0 failed"), "{t}");
    assert!(t.contains("peak memory") && t.contains("fuel "), "{t}");
}

#[test]
fn a_failing_case_exits_1_with_a_readable_diff() {
    let (dir, _case) = fixtures_with_a_wrong_expectation();
    let out = selvedge(&["plugin", "test", &b2c(), &dir.path().display().to_string()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("FAIL ats-buckets-preorder-buffers"), "{t}");
    assert!(
        t.contains("-    \"ats\": 99") && t.contains("+    \"ats\": 7"),
        "{t}"
    );
    assert!(t.contains("fixtures: 4 passed, 1 failed"), "{t}");
}

#[test]
fn a_cold_run_compiles_and_the_warm_run_after_it_compiles_nothing() {
    let cache = tempfile::tempdir().expect("tempdir");
    let cache_dir = cache.path().display().to_string();
    let run = || {
        let out = selvedge(&[
            "plugin",
            "test",
            &b2c(),
            &b2c_fixtures(),
            "--json",
            "--cache-dir",
            &cache_dir,
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        doc["load"]["origin"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(run(), "compiled");
    assert_eq!(run(), "cache");
    let human = selvedge(&[
        "plugin",
        "test",
        &b2c(),
        &b2c_fixtures(),
        "--cache-dir",
        &cache_dir,
    ]);
    assert!(
        text(&human).contains("loaded from the compile cache in"),
        "{}",
        text(&human)
    );
}

#[test]
fn bless_rewrites_the_failing_case_and_reports_it_blessed_not_failed() {
    let (dir, case) = fixtures_with_a_wrong_expectation();
    let untouched = dir.path().join("catalog-style-grids.json");
    let before = std::fs::metadata(&untouched)
        .and_then(|m| m.modified())
        .ok();
    let fixtures = dir.path().display().to_string();
    let out = selvedge(&["plugin", "test", &b2c(), &fixtures, "--bless"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("BLESSED ats-buckets-preorder-buffers"), "{t}");
    assert!(t.contains("fixtures: 4 passed, 0 failed"), "{t}");
    assert!(
        t.contains("blessed 1 case(s)") && t.contains("ats-buckets-preorder-buffers"),
        "{t}"
    );
    let blessed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&case).expect("read")).expect("json");
    assert_eq!(blessed["expected"][0]["ats"], 7);
    assert_eq!(
        std::fs::metadata(&untouched)
            .and_then(|m| m.modified())
            .ok(),
        before,
        "a passing case is not rewritten"
    );
    let again = selvedge(&["plugin", "test", &b2c(), &fixtures]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
}

#[test]
fn json_output_carries_fuel_memory_and_time_per_case() {
    let out = selvedge(&["plugin", "test", &b2c(), &b2c_fixtures(), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(doc["failed"], 0);
    let cases = doc["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 5);
    for case in cases {
        assert!(case["report"]["fuel"].as_u64().unwrap_or(0) > 0, "{case}");
        assert!(
            case["report"]["peak_memory_bytes"].as_u64().unwrap_or(0) > 0,
            "{case}"
        );
        assert!(case["report"]["duration"].as_u64().is_some(), "{case}");
    }
}

#[test]
fn a_plugin_for_another_world_exits_2_naming_the_problem() {
    let wrong = selvedge_plugin_artifacts::test_guest("wrong-world")
        .display()
        .to_string();
    let out = selvedge(&["plugin", "test", &wrong, &b2c_fixtures()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("does not target the selvedge:rules/client-rules@0.2.0 (or @0.1.0 for plugins built before 0.2.0) world"),
        "{t}"
    );
}

#[test]
fn the_runner_enforces_production_limits() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("bomb.json"),
        r#"{"call": "compute-ats", "input": {"rows": [{"sku": "A", "location": "L", "on_hand": 1}]}, "expected": []}"#,
    )
    .expect("write");
    let bomb = selvedge_plugin_artifacts::test_guest("memory-bomb")
        .display()
        .to_string();
    let out = selvedge(&[
        "plugin",
        "test",
        &bomb,
        &dir.path().display().to_string(),
        "--max-memory-mib",
        "16",
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("exceeded its memory limit of 16777216 bytes"),
        "{t}"
    );
}

#[test]
fn plugin_new_scaffolds_a_plugin_whose_fixture_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, root) = plugin_new(dir.path(), "acme-apparel", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .current_dir(&root)
        // Reuse the guest workspace's compiled SDK and wit-bindgen.
        .env("CARGO_TARGET_DIR", repo().join("plugins/target"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("cargo build");
    assert!(build.status.success(), "{}", text(&build));
    let wasm = repo().join("plugins/target/wasm32-wasip2/release/acme_apparel.wasm");
    let out = selvedge(&[
        "plugin",
        "test",
        &wasm.display().to_string(),
        &root.join("fixtures").display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // A name that is not a crate name is refused before anything is written.
    let (bad, _) = plugin_new(dir.path(), "Acme Apparel!", &[]);
    assert_eq!(bad.status.code(), Some(2));
}

fn b2b_fixtures() -> String {
    repo()
        .join("plugins/b2b-wholesale/fixtures")
        .display()
        .to_string()
}

/// `plugin test --json` of `plugin` on `fixtures`: exit code and each case's name -> actual output.
fn actual_outputs(plugin: &str, fixtures: &str) -> (Option<i32>, Vec<(String, serde_json::Value)>) {
    let out = selvedge(&["plugin", "test", plugin, fixtures, "--json"]);
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    let cases = doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_owned(),
                c["actual"].clone(),
            )
        })
        .collect();
    (out.status.code(), cases)
}

#[test]
fn the_python_port_of_b2b_wholesale_passes_the_rust_plugins_fixtures_with_identical_output() {
    let Some(python) = selvedge_plugin_artifacts::python_component_or_skip(
        "b2b-wholesale-py",
        "the_python_port_of_b2b_wholesale_passes_the_rust_plugins_fixtures",
    ) else {
        return;
    };
    let python = python.display().to_string();
    let out = selvedge(&["plugin", "test", &python, &b2b_fixtures()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("fixtures: 3 passed, 0 failed"), "{t}");
    let rust = selvedge_plugin_artifacts::b2b_wholesale()
        .display()
        .to_string();
    let (rust_code, rust_cases) = actual_outputs(&rust, &b2b_fixtures());
    let (python_code, python_cases) = actual_outputs(&python, &b2b_fixtures());
    assert_eq!((rust_code, python_code), (Some(0), Some(0)));
    assert_eq!(rust_cases.len(), 3);
    assert_eq!(
        python_cases, rust_cases,
        "the Python and Rust plugins decide alike"
    );
}

#[test]
fn the_scaffold_and_the_build_script_pin_one_componentize_py() {
    let script = std::fs::read_to_string(repo().join("scripts/build-python-plugins"))
        .expect("scripts/build-python-plugins");
    let pin = format!(
        "COMPONENTIZE_PY_VERSION={}\n",
        selvedge_plugin_artifacts::COMPONENTIZE_PY_VERSION
    );
    assert!(script.contains(&pin), "the script pins {pin:?}");
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, root) = plugin_new(dir.path(), "pin-check", &["--lang", "python"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let install = format!(
        "pip install componentize-py=={}",
        selvedge_plugin_artifacts::COMPONENTIZE_PY_VERSION
    );
    assert!(readme.contains(&install), "{readme}");
}

#[test]
fn plugin_new_lang_python_scaffolds_a_module_that_builds_and_passes_its_fixture() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, root) = plugin_new(dir.path(), "acme-py", &["--lang", "python"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for file in [
        "acme_py.py",
        "build.sh",
        "README.md",
        "fixtures/context.toml",
    ] {
        assert!(root.join(file).is_file(), "{file} scaffolded");
    }
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    assert!(readme.contains("componentize-py -d"), "{readme}");
    let Some(componentize_py) = selvedge_plugin_artifacts::componentize_py() else {
        let message = "componentize-py is not installed: run scripts/build-python-plugins";
        assert!(
            !selvedge_plugin_artifacts::in_ci(),
            "{message} (CI=true: not skipping)"
        );
        eprintln!("skipped the build of the scaffolded Python plugin: {message}");
        return;
    };
    let build = Command::new(root.join("build.sh"))
        .env("COMPONENTIZE_PY", componentize_py)
        .output()
        .expect("build.sh runs");
    assert!(build.status.success(), "{}", text(&build));
    let wasm = root.join("acme_py.wasm").display().to_string();
    let fixtures = root.join("fixtures").display().to_string();
    let out = selvedge(&["plugin", "test", &wasm, &fixtures]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("PASS ats-physical-with-buffer"), "{t}");
    // The rule reads its config: a 3-unit buffer makes the expectation (1 unit) fail.
    std::fs::write(
        root.join("fixtures/context.toml"),
        "[rules]\nbuffer_units = 3\n",
    )
    .expect("context.toml");
    let out = selvedge(&["plugin", "test", &wasm, &fixtures]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}
