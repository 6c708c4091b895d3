//! The dashboard in headless Chromium against a running host (`selvedge run`) and the
//! sandboxes: log in, find an exception, resolve it from the page, see the state change, see
//! a webhook delivery refused for a wrong secret on the client's card, shadow-run a candidate
//! plugin uploaded through the page and accept its differences, save a screenshot
//! (`target/dashboard.png`; `BLESS=1` also copies it to `docs/dashboard.png`).
//!
//! Needs Debian's `chromium`, `node` and `npm install` in `tests/browser/` (`scripts/test` does
//! all three). Without them the test fails when `CI=true` and skips with a message otherwise.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use selvedge::sandbox::{SandboxOptions, Sandboxes, credentials};
use selvedge_store::{Exceptions, JobQueue, NewException, PluginCalls, PushedStockStore};
use selvedge_store_sqlite::SqliteStore;
use serde_json::{Value, json};

const TOKEN: &str = "browser-test-token-7c1e";
const TOKEN_ENV: &str = "SELVEDGE_BROWSER_TEST_ADMIN_TOKEN";
/// What a storefront sends after the secret was rotated without it.
const ROTATED_OUT: &str = "rotated-out-webhook-secret-91b0";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Chromium, node and playwright-core, or why not.
fn prerequisites() -> Result<PathBuf, String> {
    let chromium = std::env::var_os("SELVEDGE_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.exists() {
        return Err(format!(
            "{} not found (apt-get install -y chromium, or run scripts/test)",
            chromium.display()
        ));
    }
    let node = std::process::Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Err("node not found".into());
    }
    if !repo()
        .join("tests/browser/node_modules/playwright-core")
        .is_dir()
    {
        return Err("playwright-core not installed (cd tests/browser && npm install)".into());
    }
    Ok(chromium)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn write_config(dir: &Path, urls: &selvedge::sandbox::SandboxUrls, webhook: u16, admin: u16) {
    std::fs::create_dir_all(dir.join("clients")).expect("mkdir");
    let host = format!(
        "data_dir = \"data\"\nwebhook_listen = \"127.0.0.1:{webhook}\"\nadmin_listen = \"127.0.0.1:{admin}\"\n\
         teams = [\"finance\", \"operations\", \"ecommerce\"]\n\n[admin]\ntoken_env = \"{TOKEN_ENV}\"\n\n[alerts]\nenabled = false\n"
    );
    std::fs::write(dir.join("selvedge.toml"), host).expect("write host");
    let example = std::fs::read_to_string(repo().join("examples/clients/northwind-apparel.toml"))
        .expect("example client");
    let fixtures = repo().join("plugins/b2c-apparel/fixtures");
    // Every stock row a fast mover: the wider-buffer candidate the page shadow-runs then
    // changes the buffer of every row the cycles recorded.
    let client = example
        .replace(
            "fast_mover_weekly_units = 20",
            "fast_mover_weekly_units = 0",
        )
        .replace("http://127.0.0.1:8401", &urls.bluecherry)
        .replace("http://127.0.0.1:8402", &urls.bigcommerce)
        .replace(
            "\"../plugins/b2c-apparel/fixtures\"",
            &format!("{:?}", fixtures.display().to_string()),
        );
    std::fs::write(dir.join("clients/northwind-apparel.toml"), client).expect("write client");
    // A second brand whose Blue Cherry is unreachable: its runs fail, and the overview must
    // list it first.
    let broken = example
        .replace("id = \"northwind-apparel\"", &format!("id = \"{BROKEN}\""))
        .replace("http://127.0.0.1:8401", "http://127.0.0.1:9")
        // Its own webhook secret (the default variable of its id).
        .replace(
            "webhook_secret_env = \"SELVEDGE_BIGCOMMERCE_WEBHOOK_SECRET\"",
            "",
        )
        .replace("http://127.0.0.1:8402", &urls.bigcommerce)
        .replace(
            "\"../plugins/b2c-apparel/fixtures\"",
            &format!("{:?}", fixtures.display().to_string()),
        );
    std::fs::write(dir.join(format!("clients/{BROKEN}.toml")), broken).expect("write client");
}

/// Who accepts the shadow run's differences on the page.
const REVIEWER: &str = "dana (browser test)";

/// The client whose ERP cannot be reached.
const BROKEN: &str = "broken-brand";

/// Shoppers buy published variants, so the injection chart has orders (best effort: the
/// page is tested either way).
async fn place_orders(sandboxes: &Sandboxes) -> Vec<String> {
    use selvedge_bigcommerce::model::{BillingAddress, ProductQuery};
    use selvedge_bigcommerce::sandbox::{OrderLineInput, SandboxOrder};
    let Ok(bc) =
        selvedge_bigcommerce::BigCommerceClient::new(sandboxes.bigcommerce.client_config())
    else {
        return Vec::new();
    };
    let query = ProductQuery {
        include_variants: true,
        ..ProductQuery::default()
    };
    let skus: Vec<String> = match bc.list_products(&query).await {
        Ok(products) => products
            .iter()
            .flat_map(|p| p.variants.iter().map(|v| v.sku.clone()))
            .take(8)
            .collect(),
        Err(_) => return Vec::new(),
    };
    for (i, sku) in skus.iter().enumerate().take(4) {
        let order = SandboxOrder {
            shipping_address: BillingAddress {
                first_name: "Ada".into(),
                last_name: "Shopper".into(),
                street_1: "12 Mercer St".into(),
                city: "New York".into(),
                state: "New York".into(),
                zip: "10013".into(),
                country: "United States".into(),
                country_iso2: "US".into(),
                email: "ada@example.com".into(),
                ..BillingAddress::default()
            },
            shipping_method: if i % 2 == 0 { "Express" } else { "Standard" }.into(),
            products: vec![OrderLineInput {
                sku: sku.clone(),
                quantity: 1,
                price: None,
            }],
            ..SandboxOrder::default()
        };
        let _ = sandboxes.bigcommerce.handle().create_order(&order);
    }
    skus
}

async fn get(http: &reqwest::Client, url: &str) -> Option<Value> {
    let res = http.get(url).bearer_auth(TOKEN).send().await.ok()?;
    if !res.status().is_success() {
        return None;
    }
    res.json().await.ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_resolves_an_exception_from_the_page_against_a_running_host() {
    let chromium = match prerequisites() {
        Ok(c) => c,
        Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("browser test cannot run in CI: {why}")
        }
        Err(why) => {
            eprintln!("SKIPPED dashboard browser test: {why}");
            return;
        }
    };
    let sandboxes = Sandboxes::start(&SandboxOptions {
        bluecherry_port: 0,
        bigcommerce_port: 0,
        sparklayer_port: 0,
        cycle_period: Some(Duration::from_secs(3)),
        styles: 12,
        ..SandboxOptions::default()
    })
    .await
    .expect("sandboxes");
    let sandboxes = Arc::new(sandboxes);
    let dir = tempfile::tempdir().expect("tempdir");
    let (admin_port, webhook_port) = (free_port(), free_port());
    write_config(dir.path(), &sandboxes.urls(), webhook_port, admin_port);

    let log = dir.path().join("host.log");
    let log_file = std::fs::File::create(&log).expect("log file");
    let mut host = tokio::process::Command::new(env!("CARGO_BIN_EXE_selvedge"));
    host.args(["--log-format", "json", "run", "--config"])
        .arg(dir.path())
        .args(["--duration", "240"]);
    for (name, value) in credentials::ENV {
        host.env(name, value);
    }
    let mut host = host
        .env(TOKEN_ENV, TOKEN)
        .env(
            "SELVEDGE_WEBHOOK_SECRET_BROKEN_BRAND",
            "broken-brand-secret",
        )
        .env("SELVEDGE_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::from(log_file))
        .kill_on_drop(true)
        .spawn()
        .expect("start selvedge run");

    let base = format!("http://127.0.0.1:{admin_port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    while get(&http, &format!("{base}/api/clients")).await.is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the host did not come up"
        );
        if let Ok(Some(status)) = host.try_wait() {
            panic!("selvedge run exited early: {status}");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Let a few inventory cycles land so the page has health and a chart to show.
    let health = format!("{base}/api/clients/northwind-apparel/series");
    while started.elapsed() < Duration::from_secs(60) {
        let lag = get(&http, &health)
            .await
            .and_then(|s| s["inventory_lag"].as_array().map(Vec::len))
            .unwrap_or(0);
        if lag >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let skus = place_orders(&sandboxes).await;
    // A SKU the host has a decision trace for, for the page's "why" view.
    let mut why_sku = None;
    for sku in &skus {
        if get(
            &http,
            &format!("{base}/api/clients/northwind-apparel/why/sku/{sku}"),
        )
        .await
        .is_some()
        {
            why_sku = Some(sku.clone());
            break;
        }
    }
    let series = format!("{base}/api/clients/northwind-apparel/series");
    let waiting = Instant::now();
    while waiting.elapsed() < Duration::from_secs(30) {
        let done = get(&http, &series)
            .await
            .and_then(|s| s["injection"].as_array().map(Vec::len))
            .unwrap_or(0);
        if done > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Trigger an exception as a flow does (the host's own store, shared through SQLite WAL).
    let store = SqliteStore::open(dir.path().join("data/selvedge.sqlite"))
        .await
        .expect("store");
    let raised = store
        .raise_exception(
            NewException {
                client: "northwind-apparel".into(),
                kind: "drift_stock".into(),
                owner: "ecommerce".into(),
                subject: "NW-TEE-BLK-M".into(),
                summary: "BigCommerce shows 7 at NJ01, Blue Cherry says 4".into(),
                details: json!({"sku": "NW-TEE-BLK-M", "location": "NJ01", "storefront": 7, "expected": 4}),
            },
            time::OffsetDateTime::now_utc(),
        )
        .await
        .expect("raise")
        .exception;

    // A storefront still sending a rotated-out secret: refused, and shown on the client's card.
    let refused = http
        .post(format!(
            "http://127.0.0.1:{webhook_port}/webhooks/bigcommerce/northwind-apparel"
        ))
        .header(selvedge::flows::orders::WEBHOOK_SECRET_HEADER, ROTATED_OUT)
        .body("{}")
        .send()
        .await
        .expect("webhook delivery");
    assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);

    // A viewer token made the way an operator makes one: the page must show it no write
    // control, and the API must refuse a write forged with it.
    let made = tokio::process::Command::new(env!("CARGO_BIN_EXE_selvedge"))
        .args([
            "token", "create", "ana", "--role", "viewer", "--json", "--config",
        ])
        .arg(dir.path())
        .output()
        .await
        .expect("selvedge token create");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let made: Value = serde_json::from_slice(&made.stdout).expect("token json");
    let viewer = made["token"].as_str().expect("token").to_string();

    // The broken brand's first runs have failed before the page opens.
    let overview = format!("{base}/api/overview?state=failing");
    let failing_seen = Instant::now();
    while get(&http, &overview)
        .await
        .and_then(|o| o["rows"][0]["client"].as_str().map(|c| c == BROKEN))
        != Some(true)
    {
        assert!(
            failing_seen.elapsed() < Duration::from_secs(90),
            "the unreachable brand never showed as failing"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // An order job waiting for tomorrow's release: the page lists it and cancels it.
    let held = store
        .enqueue(
            selvedge_store::NewJob {
                client: "northwind-apparel".into(),
                kind: selvedge::flows::orders::order_kind("northwind-apparel"),
                idempotency_key: "bigcommerce:held-by-browser-test".into(),
                payload: json!({ "storefront": "bigcommerce", "order_id": "held-by-browser-test" }),
                run_at: time::OffsetDateTime::now_utc() + time::Duration::days(1),
                max_attempts: 3,
            },
            time::OffsetDateTime::now_utc(),
        )
        .await
        .expect("enqueue")
        .job;

    // The "why" SKU's stock edited by hand on the storefront: the page's re-sync must put
    // back what the host computes from the ERP's last cycle.
    let drifted = match why_sku.as_deref() {
        Some(sku) => Some(drift_storefront_stock(&sandboxes, &store, sku).await),
        None => None,
    };

    // The page's shadow run needs recorded calls: the cycles above recorded theirs.
    let recorded = store
        .recent_plugin_calls("northwind-apparel", "compute-ats", 3)
        .await
        .expect("read");
    assert!(!recorded.is_empty(), "no inventory cycle recorded its call");
    let candidate = selvedge_plugin_artifacts::test_guest("wider-buffer");
    assert!(candidate.is_file(), "{} not built", candidate.display());

    let shot = repo().join("target/dashboard.png");
    std::fs::create_dir_all(repo().join("target")).expect("target dir");
    let out = tokio::process::Command::new("node")
        .arg(repo().join("tests/browser/dashboard.mjs"))
        .env(
            "DASHBOARD_URL",
            format!("{base}/dashboard/#client=northwind-apparel"),
        )
        .env("ADMIN_TOKEN", TOKEN)
        .env("EXCEPTION_ID", raised.id.to_string())
        .env("SCREENSHOT", &shot)
        .env("CHROMIUM", &chromium)
        .env("WHY_SKU", why_sku.as_deref().unwrap_or(""))
        .env("RESYNC_SKU", why_sku.as_deref().unwrap_or(""))
        .env("HELD_JOB", held.id.to_string())
        .env("WEBHOOK_AUTH_FAILURES", "1")
        .env("VIEWER_TOKEN", &viewer)
        .env("OVERVIEW_FIRST", BROKEN)
        .env("SHADOW_CANDIDATE", &candidate)
        .env("SHADOW_BY", REVIEWER)
        .output()
        .await
        .expect("run node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "browser script failed:\n{text}");
    check_shadow_run(&store, &text).await;

    let held = store.job(held.id).await.expect("read").expect("exists");
    assert_eq!(
        (held.state.as_str(), held.last_error.as_deref()),
        ("cancelled", Some("cancelled by bootstrap: not for the ERP")),
        "the page cancelled the held job"
    );
    if let Some((sku, location)) = &drifted {
        let job = store
            .job_by_key(
                "northwind-apparel",
                &selvedge::jobs::kinds::resync_kind("northwind-apparel"),
                &format!("sku:{sku}"),
            )
            .await
            .expect("read")
            .expect("the page asked the host for a re-sync");
        assert_eq!(
            job.result.as_ref().map(|r| r["status"].clone()),
            Some(json!("pushed"))
        );
        let pushed = pushed_qty(&store, sku, *location).await;
        assert_eq!(
            storefront_on_hand(&sandboxes, sku, *location).await,
            Some(pushed),
            "the storefront sells what the host pushed for {sku}"
        );
        assert_ne!(pushed, DRIFTED, "the hand edit is gone");
    }

    let (record, history) = store
        .exception(raised.id)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(record.state.as_str(), "resolved");
    let last = history.last().expect("history");
    assert_eq!(
        (last.action.as_str(), last.actor.as_str()),
        ("resolved", "bootstrap (dashboard)")
    );
    assert_eq!(
        last.note.as_deref(),
        Some("restocked and re-pushed (browser test)")
    );
    assert!(shot.is_file(), "no screenshot at {}", shot.display());
    if std::env::var("BLESS").is_ok_and(|v| v == "1") {
        std::fs::copy(&shot, repo().join("docs/dashboard.png")).expect("copy screenshot to docs/");
    }
    store.close().await;
    let _ = host.start_kill();
    let _ = host.wait().await;
    // The host logged at info level in JSON while the page used the token: no secret in it.
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        logged.contains("\"level\":\"INFO\""),
        "expected JSON logs, got:\n{logged}"
    );
    for (name, secret) in credentials::ENV
        .iter()
        .copied()
        .chain([(TOKEN_ENV, TOKEN), ("the refused secret", ROTATED_OUT)])
    {
        assert!(!logged.contains(secret), "the log shows {name}");
    }
    // The refusal is logged with the client and the reason.
    assert!(
        logged
            .lines()
            .any(|l| l.contains("webhook delivery refused")
                && l.contains("northwind-apparel")
                && l.contains("wrong secret")
                && l.contains("\"level\":\"WARN\"")),
        "no warning for the refused delivery:\n{logged}"
    );
    if let Ok(s) = Arc::try_unwrap(sandboxes) {
        s.shutdown().await;
    }
}

/// What the page showed of its shadow run (the script's `shadow report:` line) is the run the
/// host stored: per rule the same counts; every recorded stock row changed (all are fast
/// movers, and the candidate keeps one more unit of their buffer), nothing else did; and
/// the run is accepted under the reviewer's name.
async fn check_shadow_run(store: &SqliteStore, script_output: &str) {
    let shown: Value = script_output
        .lines()
        .find_map(|l| l.strip_prefix("shadow report: "))
        .map(|json| serde_json::from_str(json).expect("shadow report json"))
        .unwrap_or_else(|| panic!("the script printed no shadow report:\n{script_output}"));
    let run_id = shown["run_id"].as_i64().expect("run id");
    let stored = store
        .shadow_runs("northwind-apparel", None, 20)
        .await
        .expect("read")
        .into_iter()
        .find(|r| r.id == run_id)
        .unwrap_or_else(|| panic!("the page shows run #{run_id}, the store has no such run"));
    assert_eq!(stored.accepted_by.as_deref(), Some(REVIEWER));
    assert!(stored.clears(), "an accepted run clears its candidate");
    let rules = stored.run.report["rules"].as_array().expect("rules");
    let page_rules = shown["rules"].as_array().expect("rules shown");
    assert_eq!(page_rules.len(), rules.len(), "one row per rule");
    for (page, rule) in page_rules.iter().zip(rules) {
        for field in ["call", "calls", "subjects", "changed"] {
            assert_eq!(page[field], rule[field], "{field} of {}", rule["call"]);
        }
        assert!(
            rule["calls"].as_u64().is_some_and(|n| n <= 3),
            "3 calls per rule"
        );
        if rule["call"] == "compute-ats" {
            let changed = rule["changed"].as_u64().unwrap_or(0);
            assert!(changed > 0, "the wider buffer changed no stock row");
            assert_eq!(
                rule["subjects"].as_u64(),
                Some(changed),
                "every row changed"
            );
            let delta = &rule["ats_delta"];
            assert!(delta["max"].as_i64().is_some_and(|m| m <= 0), "{delta}");
            assert!(delta["min"].as_i64().is_some_and(|m| m >= -1), "{delta}");
        } else {
            assert_eq!(page["changed"], 0, "{} changed", rule["call"]);
        }
    }
    assert_eq!(
        page_rules
            .iter()
            .filter_map(|r| r["changed"].as_u64())
            .sum::<u64>(),
        stored.run.changed
    );
    // The first changed rows, each with the buffer the candidate adds.
    let examples = shown["examples"].as_array().expect("examples shown");
    let stored_examples = rules[0]["examples"].as_array().expect("examples");
    assert_eq!(examples.len(), stored_examples.len());
    for (row, example) in examples.iter().zip(stored_examples) {
        assert_eq!(row[0], "compute-ats");
        assert_eq!(row[1], example["subject"]);
        assert!(
            row[2].as_str().is_some_and(|l| l.contains("buffer 2")),
            "{row}"
        );
        assert!(
            row[3].as_str().is_some_and(|c| c.contains("buffer 3")),
            "{row}"
        );
    }
}

/// On-hand written by hand on the storefront before the page's re-sync.
const DRIFTED: i64 = 4242;

/// What the host last pushed for `sku` at BigCommerce location `location`.
async fn pushed_qty(store: &SqliteStore, sku: &str, location: i64) -> i64 {
    store
        .pushed_stock("northwind-apparel", "bigcommerce")
        .await
        .expect("read")
        .into_iter()
        .find(|p| p.sku == sku && p.location == location.to_string())
        .map(|p| p.qty)
        .unwrap_or_else(|| panic!("the host pushed no stock for {sku} at {location}"))
}

/// Sets `sku`'s on-hand at the first location the host pushed it to as someone editing the
/// store would; returns that location.
async fn drift_storefront_stock(
    sandboxes: &Sandboxes,
    store: &SqliteStore,
    sku: &str,
) -> (String, i64) {
    use selvedge_bigcommerce::model::{AbsoluteAdjustment, ItemRef};
    let location = store
        .pushed_stock("northwind-apparel", "bigcommerce")
        .await
        .expect("read")
        .into_iter()
        .find(|p| p.sku == sku)
        .and_then(|p| p.location.parse::<i64>().ok())
        .unwrap_or_else(|| panic!("the host pushed no stock for {sku}"));
    let bc = selvedge_bigcommerce::BigCommerceClient::new(sandboxes.bigcommerce.client_config())
        .expect("BigCommerce client");
    let item = AbsoluteAdjustment {
        location_id: location,
        item: ItemRef::Sku(sku.to_string()),
        quantity: DRIFTED,
    };
    bc.set_inventory_absolute(Some("hand edit"), &[item])
        .await
        .expect("stock set");
    assert_eq!(
        storefront_on_hand(sandboxes, sku, location).await,
        Some(DRIFTED)
    );
    (sku.to_string(), location)
}

/// `sku`'s on-hand at BigCommerce location `location`.
async fn storefront_on_hand(sandboxes: &Sandboxes, sku: &str, location: i64) -> Option<i64> {
    use selvedge_bigcommerce::model::InventoryQuery;
    let bc = selvedge_bigcommerce::BigCommerceClient::new(sandboxes.bigcommerce.client_config())
        .expect("BigCommerce client");
    bc.inventory_items(&InventoryQuery::default())
        .await
        .expect("items")
        .into_iter()
        .filter(|i| i.identity.sku == sku)
        .flat_map(|i| i.locations)
        .find(|l| l.location_id == location)
        .map(|l| l.total_inventory_onhand)
}
