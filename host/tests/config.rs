//! Config parsing and validation: the examples parse, and bad config fails with a message
//! that names the file, the key and the fix.

use std::path::{Path, PathBuf};

use selvedge::config::{Config, ConfigError, Secrets, StorefrontConfig};
use selvedge::flows::{ExceptionKind, FlowKind};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

const HOST: &str = "data_dir = \"data\"\n";

const CLIENT: &str = r#"
id = "acme"
storefront = "bigcommerce"
time_zone = "Europe/London"

[bluecherry]
base_url = "http://127.0.0.1:1"

[bigcommerce]
base_url = "http://127.0.0.1:2"
store_hash = "h"

[plugin]
example = "b2c-apparel"

[rules]
division = "01"
buffer = 2

[schedules.inventory]
after_erp_cycle = true

[schedules.catalog]
cron = "0 */6 * * *"

[inventory.locations]
NJ01 = "NJ01"
"#;

/// A config folder with `selvedge.toml` and one client file `clients/acme.toml`.
fn folder(host: &str, client: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("selvedge.toml"), host).expect("write host");
    std::fs::create_dir(dir.path().join("clients")).expect("mkdir");
    std::fs::write(dir.path().join("clients/acme.toml"), client).expect("write client");
    dir
}

fn load_err(host: &str, client: &str) -> String {
    let dir = folder(host, client);
    match Config::load(dir.path()) {
        Ok(_) => panic!("config should be refused"),
        Err(err) => err.to_string(),
    }
}

#[test]
fn every_example_config_parses_and_names_its_secrets() {
    let config = Config::load(&examples()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.clients.len(), 2);
    let ids: Vec<&str> = config.clients.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["harbour-wholesale", "northwind-apparel"]);
    assert!(config.host.webhook_listen.ip().is_loopback());
    assert!(config.host.admin_listen.ip().is_loopback());
    for client in &config.clients {
        assert!(
            client.plugin.path.is_file(),
            "{}",
            client.plugin.path.display()
        );
        assert!(client.plugin.fixtures.as_ref().is_some_and(|f| f.is_dir()));
        assert!(!client.compiled_schedules.is_empty());
        match &client.storefront {
            StorefrontConfig::BigCommerce(bc) => {
                assert_eq!(bc.access_token_env, "SELVEDGE_BIGCOMMERCE_ACCESS_TOKEN");
                assert_ne!(bc.config.access_token, "", "placeholder until resolved");
            }
            StorefrontConfig::Sparklayer(sl) => {
                assert_eq!(sl.client_secret_env, "SELVEDGE_SPARKLAYER_CLIENT_SECRET")
            }
        }
    }
    let b2c = &config.clients[1];
    assert_eq!(
        b2c.context.rules.get("preorder_season").map(String::as_str),
        Some("FA26")
    );
    assert_eq!(
        b2c.context
            .rules
            .get("fast_mover_buffer")
            .map(String::as_str),
        Some("2"),
        "numbers become text"
    );
    assert_eq!(b2c.owners.owner(ExceptionKind::DriftOrder), "finance");
    assert!(
        b2c.compiled_schedules
            .iter()
            .any(|s| s.flow == FlowKind::Inventory && s.after_erp_cycle)
    );
}

#[test]
fn a_minimal_client_gets_defaults() {
    let dir = folder(HOST, CLIENT);
    let config = Config::load(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.host.data_dir, dir.path().join("data"));
    assert_eq!(config.host.teams, ["finance", "operations", "ecommerce"]);
    let client = &config.clients[0];
    assert_eq!(client.time_zone_name, "Europe/London");
    assert_eq!(client.schedules.erp_cycle_poll_secs, 30);
    assert_eq!(
        client.owners.owner(ExceptionKind::OrderInvalid),
        "operations"
    );
    assert_eq!(client.bluecherry.api_key_env, "SELVEDGE_BLUECHERRY_API_KEY");
}

#[test]
fn toml_syntax_errors_name_the_file_line_and_column() {
    let err = load_err(
        HOST,
        &CLIENT.replace("store_hash = \"h\"", "store_hash = h\""),
    );
    assert!(err.contains("acme.toml:11:"), "{err}");
    assert!(err.contains("fix:"), "{err}");
}

#[test]
fn an_unknown_key_is_named_with_its_line() {
    let err = load_err(HOST, &CLIENT.replace("time_zone =", "timezone ="));
    assert!(err.contains("acme.toml:4:1"), "{err}");
    assert!(err.contains("unknown field `timezone`"), "{err}");
    let err = load_err("data_dir = \"d\"\nwebhook_port = 1\n", CLIENT);
    assert!(
        err.contains("selvedge.toml:2:1") && err.contains("webhook_port"),
        "{err}"
    );
}

#[test]
fn an_unknown_key_inside_a_connector_section_is_named() {
    let err = load_err(
        HOST,
        &CLIENT.replace(
            "store_hash = \"h\"",
            "store_hash = \"h\"\nstorehash = \"x\"",
        ),
    );
    assert!(
        err.contains("`bigcommerce`") && err.contains("storehash"),
        "{err}"
    );
}

#[test]
fn a_cron_that_does_not_parse_names_the_flow_key() {
    let err = load_err(HOST, &CLIENT.replace("0 */6 * * *", "0 */6 * *"));
    assert!(
        err.contains("acme.toml") && err.contains("`schedules.catalog.cron`"),
        "{err}"
    );
    assert!(err.contains("fix:"), "{err}");
}

#[test]
fn a_schedule_that_can_never_fire_is_refused() {
    let err = load_err(HOST, &CLIENT.replace("after_erp_cycle = true", ""));
    assert!(
        err.contains("`schedules.inventory`") && err.contains("never run"),
        "{err}"
    );
}

#[test]
fn a_plugin_path_that_does_not_exist_is_named() {
    let err = load_err(
        HOST,
        &CLIENT.replace("example = \"b2c-apparel\"", "path = \"plugins/nope.wasm\""),
    );
    assert!(
        err.contains("`plugin.path`") && err.contains("nope.wasm"),
        "{err}"
    );
    let err = load_err(
        HOST,
        &CLIENT.replace("example = \"b2c-apparel\"", "example = \"b2c\""),
    );
    assert!(
        err.contains("`plugin.example`") && err.contains("b2c-apparel, b2b-wholesale"),
        "{err}"
    );
    let err = load_err(
        HOST,
        &CLIENT.replace("[plugin]\n", "[plugin]\nwatch = \"drop\"\n"),
    );
    assert!(
        err.contains("`plugin.watch`") && err.contains("mkdir"),
        "{err}"
    );
}

#[test]
fn an_unknown_owner_team_or_kind_is_refused() {
    let err = load_err(
        HOST,
        &format!("{CLIENT}\n[owners]\norder_invalid = \"warehouse\"\n"),
    );
    assert!(
        err.contains("`owners.order_invalid`") && err.contains("warehouse"),
        "{err}"
    );
    assert!(err.contains("finance, operations, ecommerce"), "{err}");
    let err = load_err(
        HOST,
        &format!("{CLIENT}\n[owners]\norder_lost = \"finance\"\n"),
    );
    assert!(
        err.contains("order_lost") && err.contains("order_invalid"),
        "{err}"
    );
}

#[test]
fn secrets_in_the_file_are_refused() {
    let err = load_err(
        HOST,
        &CLIENT.replace(
            "store_hash = \"h\"",
            "store_hash = \"h\"\naccess_token = \"tok\"",
        ),
    );
    assert!(
        err.contains("`bigcommerce.access_token`") && err.contains("access_token_env"),
        "{err}"
    );
}

#[test]
fn an_unknown_time_zone_and_a_mismatched_storefront_are_refused() {
    let err = load_err(HOST, &CLIENT.replace("Europe/London", "Europe/Atlantis"));
    assert!(
        err.contains("`time_zone`") && err.contains("Atlantis"),
        "{err}"
    );
    let err = load_err(
        HOST,
        &CLIENT.replace(
            "storefront = \"bigcommerce\"",
            "storefront = \"sparklayer\"",
        ),
    );
    assert!(
        err.contains("`storefront`") && err.contains("[sparklayer]"),
        "{err}"
    );
    let err = load_err(
        HOST,
        &format!("{CLIENT}\n[schedules.b2b]\ncron = \"0 * * * *\"\n"),
    );
    assert!(err.contains("`schedules.b2b`"), "{err}");
}

#[test]
fn a_missing_secret_names_the_environment_variable() {
    let dir = folder(
        HOST,
        &CLIENT.replace(
            "store_hash = \"h\"",
            "store_hash = \"h\"\naccess_token_env = \"ACME_TOKEN_NOT_SET_ANYWHERE\"",
        ),
    );
    let config = Config::load(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let StorefrontConfig::BigCommerce(bc) = &config.clients[0].storefront else {
        panic!("bigcommerce")
    };
    let err = bc
        .resolve(&Secrets::from_env(), &config.clients[0].file)
        .expect_err("unset");
    let text = err.to_string();
    assert!(matches!(err, ConfigError::Invalid { .. }));
    assert!(
        text.contains("ACME_TOKEN_NOT_SET_ANYWHERE") && text.contains("export"),
        "{text}"
    );
    let resolved = bc
        .resolve(
            &Secrets::from_env().with("ACME_TOKEN_NOT_SET_ANYWHERE", "tok"),
            &config.clients[0].file,
        )
        .expect("override");
    assert_eq!(resolved.access_token, "tok");
}

#[test]
fn duplicate_client_ids_and_an_empty_clients_folder_are_refused() {
    let dir = folder(HOST, CLIENT);
    std::fs::write(dir.path().join("clients/acme-2.toml"), CLIENT).expect("write");
    let err = Config::load(dir.path()).expect_err("duplicate").to_string();
    assert!(
        err.contains("acme-2.toml") && err.contains("acme.toml") && err.contains("`id`"),
        "{err}"
    );
    std::fs::remove_file(dir.path().join("clients/acme-2.toml")).expect("rm");
    std::fs::remove_file(dir.path().join("clients/acme.toml")).expect("rm");
    let err = Config::load(dir.path()).expect_err("empty").to_string();
    assert!(err.contains("no client files"), "{err}");
}

#[test]
fn a_scheduled_flow_needs_its_settings_and_flow_settings_are_checked() {
    let err = load_err(HOST, &CLIENT.replace("NJ01 = \"NJ01\"", ""));
    assert!(err.contains("`inventory.locations`"), "{err}");
    let err = load_err(
        HOST,
        &format!("{CLIENT}\n[orders.pacing]\nmode = \"pick_cycles\"\n"),
    );
    assert!(
        err.contains("`orders`") && err.contains("pick_cycles"),
        "{err}"
    );
    let err = load_err(HOST, &format!("{CLIENT}\n[catalog]\nvisibel = true\n"));
    assert!(err.contains("visibel"), "{err}");
}

#[test]
fn a_missing_max_percent_above_100_is_refused_and_names_the_key() {
    let with = |percent: u32| {
        CLIENT.replace(
            "[inventory.locations]",
            &format!("[inventory]\nmissing_max_percent = {percent}\n\n[inventory.locations]"),
        )
    };
    let err = load_err(HOST, &with(101));
    assert!(
        err.contains("acme.toml") && err.contains("`inventory.missing_max_percent`"),
        "{err}"
    );
    assert!(err.contains("101") && err.contains("fix:"), "{err}");
    let dir = folder(HOST, &with(100));
    let config = Config::load(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.clients[0].inventory.missing_max_percent, 100);
}

/// A folder with `acme` (from [`CLIENT`]) and a second client file made from it.
fn two_clients(second: &str) -> tempfile::TempDir {
    let dir = folder(HOST, CLIENT);
    std::fs::write(dir.path().join("clients/beta.toml"), second).expect("write beta");
    dir
}

#[test]
fn every_client_gets_its_own_webhook_secret_variable_by_default() {
    let dir = two_clients(&CLIENT.replace("id = \"acme\"", "id = \"beta-shop\""));
    let config = Config::load(dir.path()).expect("loads");
    let envs: Vec<&str> = config
        .clients
        .iter()
        .map(|c| c.orders.webhook_secret_env.as_str())
        .collect();
    assert_eq!(
        envs,
        vec![
            "SELVEDGE_WEBHOOK_SECRET_ACME",
            "SELVEDGE_WEBHOOK_SECRET_BETA_SHOP"
        ]
    );
}

#[test]
fn two_clients_sharing_a_webhook_secret_are_refused_naming_both() {
    let shared = "\n[orders]\nwebhook_secret_env = \"ONE_SECRET\"\n";
    let dir = folder(HOST, &format!("{CLIENT}{shared}"));
    let beta = CLIENT.replace("id = \"acme\"", "id = \"beta\"");
    std::fs::write(
        dir.path().join("clients/beta.toml"),
        format!("{beta}{shared}"),
    )
    .expect("write beta");
    let err = Config::load(dir.path()).expect_err("refused").to_string();
    assert!(
        err.contains("orders.webhook_secret_env")
            && err.contains("ONE_SECRET")
            && err.contains("acme")
            && err.contains("beta"),
        "{err}"
    );
}

#[test]
fn clients_on_one_blue_cherry_account_must_agree_on_pacing() {
    let dir = two_clients(&format!(
        "{}\n[orders.pacing]\nmax_per_second = 9\nburst = 9\n",
        CLIENT.replace("id = \"acme\"", "id = \"beta\"")
    ));
    let err = Config::load(dir.path()).expect_err("refused").to_string();
    assert!(
        err.contains("orders.pacing") && err.contains("same Blue Cherry account"),
        "{err}"
    );
    // On another account the same pacing difference is fine.
    let dir = two_clients(&format!(
        "{}\n[orders.pacing]\nmax_per_second = 9\nburst = 9\n",
        CLIENT
            .replace("id = \"acme\"", "id = \"beta\"")
            .replace("http://127.0.0.1:1", "http://127.0.0.1:7")
    ));
    Config::load(dir.path()).expect("another account");
}

#[test]
fn a_lease_that_does_not_outlast_an_erp_call_is_refused() {
    let err = load_err(
        HOST,
        &CLIENT.replace(
            "[bluecherry]\nbase_url = \"http://127.0.0.1:1\"",
            "[bluecherry]\nbase_url = \"http://127.0.0.1:1\"\ntimeout_ms = 30000\n\n[orders]\nlease_ms = 20000",
        ),
    );
    assert!(
        err.contains("orders.lease_ms") && err.contains("30000 ms timeout"),
        "{err}"
    );
}

#[test]
fn two_webhook_secret_variables_holding_the_same_value_are_refused_at_start() {
    let dir = two_clients(&CLIENT.replace("id = \"acme\"", "id = \"beta\""));
    let config = Config::load(dir.path()).expect("distinct variable names load");
    let secrets = Secrets::from_env()
        .with("SELVEDGE_BLUECHERRY_API_KEY", "k")
        .with("SELVEDGE_BIGCOMMERCE_ACCESS_TOKEN", "t")
        .with("SELVEDGE_WEBHOOK_SECRET_ACME", "same-value")
        .with("SELVEDGE_WEBHOOK_SECRET_BETA", "same-value");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let err = match rt.block_on(selvedge::app::App::build(config, &secrets)) {
        Ok(_) => panic!("a shared secret value must be refused"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("same secret") && err.contains("acme"), "{err}");
}
