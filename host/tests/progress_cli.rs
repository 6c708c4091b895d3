//! Progress of long CLI work: `selvedge run --config <dir> <client> catalog|inventory` (a
//! catalog's first sync, a full push) against the sandboxes. With stderr a pipe, the progress
//! is plain lines that end at the total; with `--json`, stdout is one JSON object and no
//! progress is drawn at all.

use std::path::Path;
use std::process::{Command, Output};

use selvedge::sandbox::{SandboxOptions, SandboxUrls, Sandboxes, credentials};
use serde_json::Value;

const CLIENT: &str = "northwind-apparel";
const STYLES: usize = 40;

/// The example B2C client against these sandboxes, pushing every row on every run.
fn config_for(urls: &SandboxUrls) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    std::fs::copy(
        examples.join("selvedge.toml"),
        dir.path().join("selvedge.toml"),
    )
    .expect("copy");
    std::fs::create_dir(dir.path().join("clients")).expect("mkdir");
    let text = std::fs::read_to_string(examples.join("clients/northwind-apparel.toml"))
        .expect("read")
        .replace("http://127.0.0.1:8401", &urls.bluecherry)
        .replace("http://127.0.0.1:8402", &urls.bigcommerce)
        .replace(
            "../plugins/",
            &format!("{}/../plugins/", env!("CARGO_MANIFEST_DIR")),
        )
        // The same cycle pushed whole each run: the second run has as much to push as the first.
        .replace(
            "[inventory]\n",
            "[inventory]\nfull_push = true\nrepush_cycle = true\n",
        );
    std::fs::write(dir.path().join("clients/northwind-apparel.toml"), text).expect("write");
    dir
}

fn run_once(dir: &Path, flow: &str, json: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_selvedge"));
    cmd.arg("run")
        .arg("--config")
        .arg(dir)
        .args([CLIENT, flow])
        .envs(credentials::ENV)
        .env("SELVEDGE_LOG", "error")
        .env_remove("SELVEDGE_CONFIG");
    if json {
        cmd.arg("--json");
    }
    // `output()` pipes stderr: not a terminal, so progress comes as plain lines.
    cmd.output().expect("run selvedge")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `(done, total)` of each progress line of `stage` on stderr, in order.
fn progress_lines(stderr: &str, stage: &str) -> Vec<(u64, u64)> {
    let prefix = format!("{stage}: ");
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(|rest| {
            let counts = rest.split_whitespace().next().expect("counts");
            let (done, total) = counts.split_once('/').expect("done/total");
            (done.parse().expect("done"), total.parse().expect("total"))
        })
        .collect()
}

#[test]
fn a_one_off_run_on_a_pipe_prints_progress_lines_ending_at_the_total_and_json_stays_pure() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let sandboxes = rt
        .block_on(Sandboxes::start(&SandboxOptions {
            bluecherry_port: 0,
            bigcommerce_port: 0,
            sparklayer_port: 0,
            cycle_period: None,
            styles: STYLES,
            ..SandboxOptions::default()
        }))
        .expect("sandboxes");
    let dir = config_for(&sandboxes.urls());

    // The catalog's first sync: every style, counted as it goes.
    let out = run_once(dir.path(), "catalog", false);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let lines = progress_lines(&stderr, "catalog sync");
    let styles = STYLES as u64;
    assert_eq!(lines.last(), Some(&(styles, styles)), "{stderr}");
    assert!(
        stderr
            .lines()
            .last()
            .is_some_and(|l| l.starts_with(&format!(
                "catalog sync: {STYLES}/{STYLES} styles (100%) in "
            ))),
        "{stderr}"
    );
    assert!(
        stdout.starts_with(&format!("{CLIENT} catalog: {STYLES} styles read")),
        "{stdout}"
    );

    // A full push: lines only go forward, never past the total, and the last says N/N.
    let out = run_once(dir.path(), "inventory", false);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let lines = progress_lines(&stderr, "inventory push");
    let &(pushed, total) = lines.last().expect("a final progress line");
    assert!(pushed > 0 && pushed == total, "{stderr}");
    assert!(
        lines.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 == total),
        "{stderr}"
    );

    // The same push with --json: stdout is exactly one JSON object, stderr has no progress.
    let out = run_once(dir.path(), "inventory", true);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let doc: Value = serde_json::from_str(&stdout).expect("stdout is one JSON document");
    assert_eq!(doc["status"], "succeeded", "{doc}");
    assert_eq!(doc["flow"], "inventory", "{doc}");
    assert_eq!(doc["measurements"]["changed"], pushed, "{doc}");
    assert!(doc["run_id"].as_i64().is_some(), "{doc}");
    assert!(
        progress_lines(&stderr, "inventory push").is_empty(),
        "{stderr}"
    );

    // A flow that does not exist is bad input, named with the ones that do.
    let out = run_once(dir.path(), "stock", false);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("inventory"),
        "{}",
        text(&out.stderr)
    );

    rt.block_on(sandboxes.shutdown());
}
