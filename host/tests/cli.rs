//! The `selvedge` binary: help, config errors and exit codes, `sandbox --json`, and the
//! exceptions round trip.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use selvedge_store::{Exceptions, FailAction, JobQueue, NewException, NewJob};
use selvedge_store_sqlite::SqliteStore;
use serde_json::Value;

fn selvedge(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_selvedge"))
        .args(args)
        .env_remove("SELVEDGE_CONFIG")
        .output()
        .expect("run selvedge")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

#[test]
fn help_lists_every_command() {
    let out = selvedge(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for cmd in [
        "run",
        "check",
        "sandbox",
        "demo",
        "exceptions",
        "plugin",
        "store",
    ] {
        assert!(help.contains(cmd), "{cmd} missing from:\n{help}");
    }
    for sub in [
        &["run", "--help"][..],
        &["demo", "--help"],
        &["sandbox", "--help"],
        &["exceptions", "--help"],
        &["exceptions", "resolve", "--help"],
    ] {
        let out = selvedge(sub);
        assert!(out.status.success(), "{sub:?}: {}", text(&out.stderr));
    }
}

#[test]
fn check_accepts_the_examples() {
    let out = selvedge(&["check", "--config", &examples().display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("northwind-apparel") && stdout.contains("harbour-wholesale"),
        "{stdout}"
    );
}

/// A copy of the examples with one client file edited.
fn broken_examples(edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp");
    std::fs::copy(
        examples().join("selvedge.toml"),
        dir.path().join("selvedge.toml"),
    )
    .expect("copy");
    std::fs::create_dir(dir.path().join("clients")).expect("mkdir");
    let text =
        std::fs::read_to_string(examples().join("clients/northwind-apparel.toml")).expect("read");
    let text = edit(text).replace(
        "../plugins/",
        &format!("{}/../plugins/", env!("CARGO_MANIFEST_DIR")),
    );
    std::fs::write(dir.path().join("clients/northwind-apparel.toml"), text).expect("write");
    dir
}

#[test]
fn bad_config_exits_2_naming_file_key_and_fix_before_anything_starts() {
    let dir =
        broken_examples(|t| t.replace("cron = \"*/10 * * * * *\"", "cron = \"every ten seconds\""));
    for cmd in ["check", "run"] {
        let out = selvedge(&[cmd, "--config", &dir.path().display().to_string()]);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(err.contains("northwind-apparel.toml"), "{err}");
        assert!(err.contains("schedules.fulfilment.cron"), "{err}");
        assert!(err.contains("fix:"), "{err}");
    }
    assert!(!dir.path().join("data").exists(), "no state was created");
}

#[test]
fn a_missing_secret_fails_check_with_exit_2_naming_the_variable() {
    let ok = Command::new(env!("CARGO_BIN_EXE_selvedge"))
        .args(["check", "--secrets", "--config"])
        .arg(examples())
        .envs(selvedge::sandbox::credentials::ENV)
        .output()
        .expect("run selvedge");
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let dir = broken_examples(|t| {
        t.replace(
            "SELVEDGE_BIGCOMMERCE_ACCESS_TOKEN",
            "NORTHWIND_TOKEN_NOT_SET",
        )
    });
    // Every other secret is set, so the error is about the renamed one.
    let out = Command::new(env!("CARGO_BIN_EXE_selvedge"))
        .args(["check", "--secrets", "--config"])
        .arg(dir.path())
        .envs(selvedge::sandbox::credentials::ENV)
        .output()
        .expect("run selvedge");
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("NORTHWIND_TOKEN_NOT_SET") && err.contains("export"),
        "{err}"
    );
}

#[test]
fn sandbox_json_prints_urls_that_answer() {
    let child = Command::new(env!("CARGO_BIN_EXE_selvedge"))
        .args([
            "sandbox",
            "--json",
            "--bluecherry-port",
            "0",
            "--bigcommerce-port",
            "0",
            "--sparklayer-port",
            "0",
            "--styles",
            "12",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // Stops the sandboxes however the test ends.
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().expect("stdout");
    let mut line = String::new();
    let read = BufReader::new(stdout).read_line(&mut line);
    {
        assert!(read.is_ok_and(|n| n > 0), "no output");
        let doc: Value = serde_json::from_str(&line).expect("json");
        let get = |url: String, header: (&str, &str)| -> (u16, String) {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("rt");
            rt.block_on(async move {
                let resp = reqwest::Client::new()
                    .get(url)
                    .header(header.0, header.1)
                    .send()
                    .await
                    .expect("answers");
                (
                    resp.status().as_u16(),
                    resp.text().await.unwrap_or_default(),
                )
            })
        };
        let url = |k: &str| doc[k].as_str().expect(k).to_string();
        let (status, body) = get(
            format!("{}/v1/cycles/status", url("bluecherry")),
            ("authorization", "Bearer sandbox-key"),
        );
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("last_cycle_id"), "{body}");
        let (status, body) = get(
            format!(
                "{}/stores/sandbox/v3/inventory/locations",
                url("bigcommerce")
            ),
            ("x-auth-token", "sandbox-token"),
        );
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains("NJ01") && body.contains("CA02"),
            "locations match the ERP warehouses: {body}"
        );
        let (status, body) = get(
            format!("{}/sandbox/state", url("sparklayer")),
            ("accept", "application/json"),
        );
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("NJ01"), "{body}");
        assert!(
            doc["seed"]["skus"].as_u64().is_some_and(|n| n > 100),
            "{doc}"
        );
    }
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn exceptions_round_trip_list_show_retry_resolve() {
    let dir = tempfile::tempdir().expect("temp");
    std::fs::write(dir.path().join("selvedge.toml"), "data_dir = \"data\"\n").expect("host file");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let store = SqliteStore::open(dir.path().join("data/selvedge.sqlite"))
            .await
            .expect("store");
        // An order job that gave up: retry must queue its work again.
        let now = time::OffsetDateTime::now_utc();
        let job = NewJob {
            client: "acme".into(),
            kind: "order.inject".into(),
            idempotency_key: "1042".into(),
            payload: serde_json::json!({"order_id": "1042"}),
            run_at: now,
            max_attempts: 1,
        };
        let job = store.enqueue(job, now).await.expect("enqueue").job;
        let claimed = store
            .claim(
                &["order.inject"],
                1,
                std::time::Duration::from_secs(60),
                now,
            )
            .await
            .expect("claim");
        store
            .fail(claimed[0].lease(), "ERP down", FailAction::GiveUp, now)
            .await
            .expect("give up");
        store
            .raise_exception(
                NewException {
                    client: "acme".into(),
                    kind: "order_invalid".into(),
                    owner: "operations".into(),
                    subject: "bigcommerce/1042".into(),
                    summary: "missing division".into(),
                    details: serde_json::json!({"order": 1042, "job": job.id}),
                },
                time::OffsetDateTime::now_utc(),
            )
            .await
            .expect("raise");
        store.close().await;
    });
    let config = dir.path().display().to_string();
    let json = |args: &[&str]| -> Value {
        let mut all = args.to_vec();
        all.extend(["--config", &config, "--json"]);
        let out = selvedge(&all);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let list = json(&["exceptions", "list"]);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let id = list[0]["id"].as_i64().expect("id").to_string();
    assert_eq!(list[0]["summary"], "missing division");
    let shown = json(&["exceptions", "show", &id]);
    assert_eq!(shown["history"][0]["action"], "raised", "{shown}");
    let retried = json(&[
        "exceptions",
        "retry",
        &id,
        "--note",
        "division fixed in ERP",
        "--actor",
        "sam",
    ]);
    assert_eq!(retried["state"], "retrying", "{retried}");
    let note = retried["history"][1]["note"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        note.contains("division fixed in ERP") && note.contains("re-armed"),
        "{note}"
    );
    let depth = rt.block_on(async {
        let store = SqliteStore::open(dir.path().join("data/selvedge.sqlite"))
            .await
            .expect("store");
        let depth = store
            .queue_depth("acme", "order.inject")
            .await
            .expect("depth");
        store.close().await;
        depth
    });
    assert_eq!(depth, 1, "the dead order job was queued again");
    let resolved = json(&[
        "exceptions",
        "resolve",
        &id,
        "--note",
        "re-entered by hand",
        "--actor",
        "sam",
    ]);
    assert_eq!(resolved["state"], "resolved");
    let actions: Vec<&str> = resolved["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["action"].as_str())
        .collect();
    assert_eq!(actions, ["raised", "retrying", "resolved"]);
    assert_eq!(
        json(&["exceptions", "list"]).as_array().map(Vec::len),
        Some(0),
        "resolved ones are hidden by default"
    );
    assert_eq!(
        json(&["exceptions", "list", "--state", "all"])
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let human = selvedge(&["exceptions", "show", &id, "--config", &config]);
    let human = text(&human.stdout);
    assert!(
        human.contains("reason   missing division") && human.contains("re-entered by hand"),
        "{human}"
    );
    let missing = selvedge(&["exceptions", "show", "999", "--config", &config]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn demo_starts_everything_and_stops_by_itself() {
    let out = Command::new(env!("CARGO_BIN_EXE_selvedge"))
        .args([
            "demo",
            "--duration",
            "8",
            "--cycle-secs",
            "2",
            "--step-secs",
            "2",
        ])
        .env("SELVEDGE_LOG", "error")
        .output()
        .expect("run demo");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("demo: sandboxes up"), "{stdout}");
    assert!(
        stdout.contains("northwind-apparel (bigcommerce)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("demo: now"),
        "activity is reported: {stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains("catalog"), "flow runs are shown: {stderr}");
}

#[cfg(unix)]
#[test]
fn the_host_stops_cleanly_on_sigterm() {
    let child = Command::new(env!("CARGO_BIN_EXE_selvedge"))
        .args(["demo", "--cycle-secs", "2"])
        .env("SELVEDGE_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    // Wait until the host runs, then ask it to stop the way a service manager does.
    let started = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.contains("host starting"));
    assert!(started, "the demo never started its host");
    std::thread::sleep(std::time::Duration::from_secs(2));
    let pid = child.0.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(sent.success());
    let mut status = None;
    for _ in 0..300 {
        if let Ok(Some(s)) = child.0.try_wait() {
            status = Some(s);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let status = status.expect("the host did not stop within 30 s of SIGTERM");
    assert!(status.success(), "exit status {status}");
}

/// `store status` and `store migrate` as JSON.
fn store_json(cmd: &str, dir: &Path) -> (Option<i32>, Value) {
    let out = selvedge(&[
        "store",
        cmd,
        "--config",
        &dir.display().to_string(),
        "--json",
    ]);
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), json)
}

#[test]
fn store_status_reads_without_creating_migrate_applies_and_a_newer_schema_exits_3() {
    let dir = broken_examples(|t| t);
    let file = dir.path().join("data/selvedge.sqlite");
    let (code, status) = store_json("status", dir.path());
    assert_eq!(code, Some(0), "{status}");
    assert_eq!(status["applied"], Value::Null);
    let known = status["known"].as_i64().expect("known version");
    assert_eq!(status["pending"].as_i64(), Some(known));
    assert!(!file.exists(), "status never creates the store");

    let (code, migrated) = store_json("migrate", dir.path());
    assert_eq!(code, Some(0), "{migrated}");
    assert_eq!(migrated["applied_migrations"].as_i64(), Some(known));
    let (_, status) = store_json("status", dir.path());
    assert_eq!(status["applied"].as_i64(), Some(known));
    assert_eq!(status["pending"].as_i64(), Some(0));
    let (_, again) = store_json("migrate", dir.path());
    assert_eq!(
        again["applied_migrations"].as_i64(),
        Some(0),
        "a second migrate is a no-op"
    );

    // A newer Selvedge migrated this file: status says so and exits 3; `check` fails too.
    let conn = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
             c.execute(\"INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) VALUES (?, 'future', CURRENT_TIMESTAMP, 1, x'00', 0)\", (int(sys.argv[2]),)); c.commit()",
            &file.display().to_string(),
            &(known + 1).to_string(),
        ])
        .status()
        .expect("python3 runs");
    assert!(conn.success());
    let (code, status) = store_json("status", dir.path());
    assert_eq!(code, Some(3), "{status}");
    assert_eq!(status["too_new"], Value::Bool(true));
    let out = selvedge(&["check", "--config", &dir.path().display().to_string()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("newer than this binary knows"),
        "{}",
        text(&out.stderr)
    );
}
