//! The real host as a child process, for the SIGKILL tests: a config folder on free loopback
//! ports (the brand or the wholesaler on the test's sandboxes), `selvedge run --config <dir>` started and
//! checked healthy, and killed with SIGKILL. The data folder lives in the config folder, so a
//! restart with the same folder finds the state the killed host left.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use selvedge_store::Store;
use selvedge_store_sqlite::SqliteStore;
use tempfile::TempDir;

use super::orders::SECRET;
use super::stores::{Backend, TestDb};
use super::wait_until;

/// The brand's client file (`clients/brand.toml`) against these sandboxes: plugin
/// `b2c-apparel`, every shipping method to NJ01, order hooks with [`SECRET`], fast order
/// retries and pacing at 150 a second. A test adds or changes keys before
/// [`HostDir::new`] writes it.
pub fn brand_client(erp_url: &str, bc_url: &str) -> toml::Table {
    format!(
        r#"{head}
[bigcommerce]
base_url = "{bc_url}"
store_hash = "sandbox"
access_token_env = "E2E_BIGCOMMERCE_TOKEN"

[plugin]
example = "b2c-apparel"

[rules]
division = "01"
web_customer = "WEB001"

[mappings.shipping_warehouse]
"Express" = "NJ01"
"*" = "NJ01"

[orders]
webhook_secret_env = "E2E_WEBHOOK_SECRET"
max_attempts = 20
retry_base_ms = 50
retry_max_ms = 500
lease_ms = 2000
idle_poll_ms = 20

[orders.pacing]
max_per_second = 150
burst = 20
"#,
        head = client_head("brand", "bigcommerce", erp_url)
    )
    .parse()
    .expect("the brand's client file parses")
}

/// The wholesaler's client file (`clients/wholesaler.toml`) against these sandboxes, after
/// `examples/clients/harbour-wholesale.toml`: plugin `b2b-wholesale`, the PO number in
/// `PO Number`, stock location `WH-NJ` (and any other) to NJ01 / division 02, fast order
/// retries, pacing at 150 a second, and purchases polled every second (Sparklayer has no order hooks). A test adds or
/// changes keys before [`HostDir::new`] writes it.
pub fn wholesaler_client(erp_url: &str, sl_url: &str) -> toml::Table {
    format!(
        r#"{head}
[sparklayer]
base_url = "{sl_url}"
site_id = "sandbox-site"
client_id = "sandbox-client"
client_secret_env = "E2E_SPARKLAYER_SECRET"
po_number_attribute = "PO Number"

[plugin]
example = "b2b-wholesale"

[rules]
po_field = "PO Number"

[mappings.location_warehouse]
"WH-NJ" = "NJ01/02"
"*" = "NJ01/02"

[orders]
max_attempts = 20
retry_base_ms = 50
retry_max_ms = 500
lease_ms = 2000
idle_poll_ms = 20

[orders.pacing]
max_per_second = 150
burst = 20

[schedules.orders]
cron = "* * * * * *"
"#,
        head = client_head("wholesaler", "sparklayer", erp_url)
    )
    .parse()
    .expect("the wholesaler's client file parses")
}

/// A client file's identity and its ERP (key from `E2E_BLUECHERRY_KEY`, 500 ms timeout).
fn client_head(id: &str, storefront: &str, erp_url: &str) -> String {
    format!(
        r#"id = "{id}"
storefront = "{storefront}"
time_zone = "UTC"

[bluecherry]
base_url = "{erp_url}"
api_key_env = "E2E_BLUECHERRY_KEY"
timeout_ms = 500
"#
    )
}

/// The admin API's bearer token in every host these tests start.
pub const ADMIN_TOKEN: &str = "e2e-admin-token";

/// A config folder: `selvedge.toml` (data folder `data`, webhook and admin listeners on free
/// loopback ports) and one client file. Removed when dropped.
pub struct HostDir {
    dir: TempDir,
    /// The PostgreSQL database the host runs on (`[store] url`); `None`: its SQLite file.
    pg_url: Option<String>,
    /// Keeps a database this folder created.
    _pg: Option<TestDb>,
    /// Port of the webhook listener (which also answers `/healthz`).
    pub webhook: u16,
    /// Port of the admin listener.
    pub admin: u16,
}

impl HostDir {
    /// Writes the folder with `client` as `clients/<its id>.toml`; the host runs on SQLite.
    pub fn new(client: &toml::Table) -> Self {
        Self::on(client, Backend::Sqlite).expect("SQLite needs no cluster")
    }

    /// As [`HostDir::new`], with the host's store on `backend`; `None` when PostgreSQL has
    /// no test cluster outside CI (the test then skips).
    pub fn on(client: &toml::Table, backend: Backend) -> Option<Self> {
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(TestDb::fresh(Backend::Postgres)?),
        };
        let url = pg
            .as_ref()
            .and_then(TestDb::postgres_url)
            .map(str::to_owned);
        let store = url
            .as_ref()
            .map(|url| format!("\n[store]\nurl = \"{url}\"\n"))
            .unwrap_or_default();
        let mut dir = Self::write(client, &store);
        dir.pg_url = url;
        dir._pg = pg;
        Some(dir)
    }

    /// One host of a cluster: its own folder, the shared database at `url`, host id `id`
    /// and a membership and run lease of `lease_ms`.
    pub fn in_cluster(client: &toml::Table, url: &str, id: &str, lease_ms: u64) -> Self {
        let mut dir = Self::write(
            client,
            &format!(
                "\n[store]\nurl = \"{url}\"\n\n[cluster]\nhost_id = \"{id}\"\nlease_ms = {lease_ms}\n"
            ),
        );
        dir.pg_url = Some(url.to_owned());
        dir
    }

    /// The folder: `selvedge.toml` (with `host_toml` appended) and the client file.
    fn write(client: &toml::Table, host_toml: &str) -> Self {
        let store = host_toml;
        let dir = tempfile::tempdir().expect("temp dir");
        let (webhook, admin) = (free_port(), free_port());
        std::fs::create_dir_all(dir.path().join("clients")).expect("clients folder");
        std::fs::write(
            dir.path().join("selvedge.toml"),
            format!(
                "data_dir = \"data\"\nwebhook_listen = \"127.0.0.1:{webhook}\"\n\
                 admin_listen = \"127.0.0.1:{admin}\"\n{store}"
            ),
        )
        .expect("selvedge.toml written");
        let id = client
            .get("id")
            .and_then(toml::Value::as_str)
            .expect("the client file has an id");
        std::fs::write(
            dir.path().join(format!("clients/{id}.toml")),
            toml::to_string(client).expect("client file serialises"),
        )
        .expect("client file written");
        Self {
            dir,
            pg_url: None,
            _pg: None,
            webhook,
            admin,
        }
    }

    /// Appends `text` (TOML) to `selvedge.toml`, e.g. a `[plugins]` table.
    pub fn add_host_toml(&self, text: &str) {
        let file = self.dir.path().join("selvedge.toml");
        let mut host = std::fs::read_to_string(&file).expect("selvedge.toml read");
        host.push_str(text);
        std::fs::write(&file, host).expect("selvedge.toml written");
    }

    /// The admin API's base URL.
    pub fn admin_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.admin)
    }

    /// The plugin version the host runs for `client`, as its admin API says; `None` when
    /// the host does not answer.
    pub async fn plugin_version(&self, client: &str) -> Option<String> {
        let path = format!("/api/clients/{client}/plugin");
        let view =
            super::admin_json(&reqwest::Client::new(), self.admin, ADMIN_TOKEN, &path).await?;
        view["version"].as_str().map(str::to_owned)
    }

    /// Uploads `build` as `client`'s plugin through the admin API and returns the swap
    /// result; panics when the host refuses it.
    pub async fn swap_plugin(&self, client: &str, build: Vec<u8>) -> serde_json::Value {
        let res = reqwest::Client::new()
            .post(format!(
                "{}/api/clients/{client}/plugin/swap",
                self.admin_url()
            ))
            .bearer_auth(ADMIN_TOKEN)
            .header("content-type", "application/wasm")
            .body(build)
            .send()
            .await
            .expect("the admin API answers");
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        assert!(status.is_success(), "swap refused ({status}): {body}");
        serde_json::from_str(&body).expect("a swap result")
    }

    /// The config folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The host's SQLite file (`<data_dir>/selvedge.sqlite`).
    pub fn store_path(&self) -> PathBuf {
        self.dir.path().join("data/selvedge.sqlite")
    }

    /// The host's store, opened beside the host (SQLite WAL and PostgreSQL both allow it).
    pub async fn open_store(&self) -> Arc<dyn Store> {
        match &self.pg_url {
            Some(url) => Arc::new(
                selvedge_store_postgres::PgStore::open_url(url)
                    .await
                    .expect("open the host's PostgreSQL store"),
            ),
            None => Arc::new(
                SqliteStore::open(self.store_path())
                    .await
                    .expect("open the host's SQLite store"),
            ),
        }
    }

    /// Starts `selvedge run --config <this folder>` with the sandboxes' secrets in its
    /// environment and waits (up to 60 s) until it answers `/healthz`; `what` names the start
    /// in the failure message.
    pub async fn start(&self, what: &str) -> HostProcess {
        let host = self.spawn();
        assert!(healthy(self.webhook).await, "{what}");
        host
    }

    /// Starts `selvedge run --config <this folder>` as [`HostDir::start`] does, but returns at
    /// once, before the host answers `/healthz`: for a kill during start-up.
    pub fn spawn(&self) -> HostProcess {
        let child = Command::new(env!("CARGO_BIN_EXE_selvedge-e2e-host"))
            .args(["run", "--config"])
            .arg(self.path())
            .env("E2E_BLUECHERRY_KEY", "sandbox-key")
            .env("E2E_BIGCOMMERCE_TOKEN", "sandbox-token")
            .env("E2E_SPARKLAYER_SECRET", "sandbox-secret")
            .env("E2E_WEBHOOK_SECRET", SECRET)
            .env("SELVEDGE_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("SELVEDGE_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("host starts");
        HostProcess { child }
    }

    /// Whether the host answers `/healthz` now (one probe of at most 250 ms).
    pub async fn answers_healthz(&self) -> bool {
        answers_healthz(self.webhook).await
    }

    /// Waits up to `timeout` for the host to answer `/healthz`; returns whether it did.
    pub async fn wait_healthy(&self, timeout: Duration) -> bool {
        wait_until(timeout, || self.answers_healthz()).await
    }
}

/// A running host. Dropping it kills it too, so a failed assertion leaves no process behind.
pub struct HostProcess {
    child: Child,
}

impl HostProcess {
    /// SIGKILL (no shutdown hook runs, nothing is flushed), then reaps the process.
    pub fn sigkill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for HostProcess {
    fn drop(&mut self) {
        // Already reaped after `sigkill`: both fail harmlessly.
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Whether a host answers `/healthz` on `port` now (one probe of at most 250 ms; the listener
/// is bound early in start-up, so a probe may wait in its backlog until the host serves).
pub async fn answers_healthz(port: u16) -> bool {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(250))
        .build()
        .expect("HTTP client");
    client
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

async fn healthy(port: u16) -> bool {
    wait_until(Duration::from_secs(60), || async {
        reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await
}
