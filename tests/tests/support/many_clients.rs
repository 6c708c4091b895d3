//! Many clients on one real host, for the shutdown test and the density bench: a config folder
//! ([`HostDir`]) holding N client files, each with its own id and its own webhook secret (the
//! per-client default variable `SELVEDGE_WEBHOOK_SECRET_<ID>`), and the host started with
//! every one of those secrets, stopped with SIGTERM, its exit code, stop time and resident
//! memory read.
//!
//! [`HostDir::start`] passes one shared webhook secret and keeps the child to itself (it only
//! kills it), so this module starts the same binary with the same sandbox secrets itself.

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::host_process::HostDir;
use super::wait_until;

/// Bearer token of the admin API of a host started here.
pub const ADMIN_TOKEN: &str = "many-clients-admin-token";

/// The variable holding `id`'s webhook secret when its file names none (the host's default).
pub fn secret_env(id: &str) -> String {
    selvedge::config::default_webhook_secret_env(id)
}

/// `id`'s webhook secret.
pub fn secret(id: &str) -> String {
    format!("hook-secret-of-{id}")
}

/// Ids `c000`, `c001`, ...
pub fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("c{i:03}")).collect()
}

/// A config folder with one client file per id: `template` with its `id` replaced and its
/// `[orders] webhook_secret_env` removed (so each client uses its own default variable).
pub struct ManyClients {
    /// The folder, its ports and store.
    pub dir: HostDir,
    /// Client ids, in file order.
    pub ids: Vec<String>,
}

impl ManyClients {
    /// Writes `n` copies of `template`; `host_toml` is appended to `selvedge.toml` (e.g. a
    /// `[jobs]` section).
    pub fn new(template: &toml::Table, n: usize, host_toml: &str) -> Self {
        let ids = ids(n);
        let client = |id: &str| {
            let mut t = template.clone();
            t.insert("id".into(), toml::Value::String(id.into()));
            if let Some(orders) = t.get_mut("orders").and_then(toml::Value::as_table_mut) {
                orders.remove("webhook_secret_env");
            }
            t
        };
        let dir = HostDir::new(&client(&ids[0]));
        for id in &ids[1..] {
            std::fs::write(
                dir.path().join(format!("clients/{id}.toml")),
                toml::to_string(&client(id)).expect("client file serialises"),
            )
            .expect("client file written");
        }
        if !host_toml.is_empty() {
            let path = dir.path().join("selvedge.toml");
            let mut text = std::fs::read_to_string(&path).expect("selvedge.toml read");
            text.push('\n');
            text.push_str(host_toml);
            std::fs::write(&path, text).expect("selvedge.toml written");
        }
        Self { dir, ids }
    }

    /// Starts `selvedge run --config <folder>` with the sandboxes' secrets, every client's
    /// webhook secret and the admin token, and waits up to `ready` until it answers
    /// `/healthz`. `None` if it did not. The host's log goes to this process's stderr when
    /// `MANY_CLIENTS_LOG` is set (to the level, e.g. `info`); `HOST_BIN` runs another build of the `selvedge`
    /// binary (a bench comparing a change with the build before it).
    pub async fn start(&self, ready: Duration) -> Option<Host> {
        let binary = std::env::var_os("HOST_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_selvedge-e2e-host").into());
        let mut command = Command::new(binary);
        command
            .args(["run", "--config"])
            .arg(self.dir.path())
            .env("E2E_BLUECHERRY_KEY", "sandbox-key")
            .env("E2E_BIGCOMMERCE_TOKEN", "sandbox-token")
            .env("SELVEDGE_BLUECHERRY_API_KEY", "sandbox-key")
            .env("SELVEDGE_BIGCOMMERCE_ACCESS_TOKEN", "sandbox-token")
            .env("SELVEDGE_ADMIN_TOKEN", ADMIN_TOKEN)
            .env(
                "SELVEDGE_LOG",
                std::env::var("MANY_CLIENTS_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("MANY_CLIENTS_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            });
        for id in &self.ids {
            command.env(secret_env(id), secret(id));
        }
        let child = command.spawn().expect("host starts");
        let started = Instant::now();
        let mut host = Host {
            child,
            admin: self.dir.admin,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .expect("HTTP client"),
            started_in: Duration::ZERO,
        };
        let url = format!("http://127.0.0.1:{}/healthz", self.dir.webhook);
        let probe = reqwest::Client::builder()
            .timeout(Duration::from_millis(250))
            .build()
            .expect("HTTP client");
        let up = wait_until(ready, || async {
            probe
                .get(&url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        })
        .await;
        host.started_in = started.elapsed();
        up.then_some(host)
    }
}

/// Resident memory of a process, from `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    /// `VmRSS`, KiB.
    pub rss_kib: u64,
    /// `VmHWM` (peak RSS), KiB.
    pub hwm_kib: u64,
}

/// How a host ended after SIGTERM.
#[derive(Debug, Clone, Copy)]
pub struct Stopped {
    /// Signal -> exit.
    pub after: Duration,
    /// Its exit status (`None`: still running at the limit, then killed).
    pub status: Option<ExitStatus>,
}

/// A running host. Dropping it kills it, so a failed assertion leaves no process behind.
pub struct Host {
    child: Child,
    admin: u16,
    http: reqwest::Client,
    /// Spawn -> answering `/healthz`.
    pub started_in: Duration,
}

impl Host {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (through `kill`, no unsafe code here).
    pub fn sigterm(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM sent to {}", self.pid());
    }

    /// Sends SIGTERM and waits up to `limit` for the exit (then SIGKILL).
    pub async fn stop(&mut self, limit: Duration) -> Stopped {
        let sent = Instant::now();
        self.sigterm();
        self.wait_exit(sent, limit).await
    }

    /// Waits until the process exits or `limit` after `since` passes (then SIGKILL).
    pub async fn wait_exit(&mut self, since: Instant, limit: Duration) -> Stopped {
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return Stopped {
                    after: since.elapsed(),
                    status: Some(status),
                };
            }
            if since.elapsed() > limit {
                self.child.kill().ok();
                self.child.wait().ok();
                return Stopped {
                    after: since.elapsed(),
                    status: None,
                };
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Its exit status if it has exited (no wait, no signal).
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Resident memory now.
    pub fn memory(&self) -> Memory {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        Memory {
            rss_kib: field("VmRSS:"),
            hwm_kib: field("VmHWM:"),
        }
    }

    /// Threads of the process now.
    pub fn threads(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/task", self.pid()))
            .map(|d| d.count())
            .unwrap_or(0)
    }

    /// `GET /api/clients`: every client with its health.
    async fn clients(&self) -> Option<Vec<serde_json::Value>> {
        let clients =
            super::admin_json(&self.http, self.admin, ADMIN_TOKEN, "/api/clients").await?;
        clients.as_array().cloned()
    }

    /// Every client's flows that have a run recorded, from the admin API
    /// (`GET /api/clients`): (client id, flows with a latest run). `None` if the API did
    /// not answer.
    pub async fn flows_run(&self) -> Option<Vec<(String, Vec<String>)>> {
        let clients = self.clients().await?;
        Some(
            clients
                .iter()
                .map(|c| {
                    let id = c["id"].as_str().unwrap_or_default().to_string();
                    let flows = c["health"]["flows"]
                        .as_array()
                        .map(|fs| {
                            fs.iter()
                                .filter(|f| !f["last_run"].is_null())
                                .filter_map(|f| f["flow"].as_str().map(String::from))
                                .collect()
                        })
                        .unwrap_or_default();
                    (id, flows)
                })
                .collect(),
        )
    }

    /// Orders (waiting to be injected, injected) summed over every client, from the admin API.
    pub async fn orders(&self) -> Option<(u64, u64)> {
        let clients = self.clients().await?;
        Some(clients.iter().fold((0, 0), |(w, i), c| {
            let health = &c["health"];
            (
                w + health["order_queue_depth"].as_u64().unwrap_or(0),
                i + health["orders_injected"].as_u64().unwrap_or(0),
            )
        }))
    }

    /// Clients that have not yet run every one of `flows` (all clients if the API is down).
    pub async fn clients_missing(&self, flows: &[&str]) -> Option<usize> {
        let run = self.flows_run().await?;
        Some(
            run.iter()
                .filter(|(_, ran)| !flows.iter().all(|f| ran.iter().any(|r| r == f)))
                .count(),
        )
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        // Already reaped after an exit: both fail harmlessly.
        self.child.kill().ok();
        self.child.wait().ok();
    }
}
