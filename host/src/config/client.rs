//! `clients/<id>.toml`: one client of the host.

use std::path::{Path, PathBuf};

use selvedge_bluecherry::BlueCherryConfig;
use selvedge_runtime::ClientContext;
use serde::Deserialize;

use super::connectors::{self, BigCommerceSection, SparklayerSection};
use super::plugin::{PluginConfig, ResolvedPlugin};
use super::schedule::{CompiledSchedule, Schedules};
use super::{ConfigError, HostConfig};
use crate::flows::b2b::B2bSettings;
use crate::flows::catalog::CatalogSettings;
use crate::flows::fulfilment::FulfilmentSettings;
use crate::flows::inventory::InventorySettings;
use crate::flows::orders::OrdersSettings;
use crate::flows::reconcile::ReconcileSettings;
use crate::flows::refunds::RefundsSettings;
use crate::flows::{FlowKind, Owners};

/// The storefront a client sells through (`storefront = "..."`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StorefrontKind {
    /// BigCommerce (B2C): needs a `[bigcommerce]` section.
    Bigcommerce,
    /// Sparklayer (B2B): needs a `[sparklayer]` section.
    Sparklayer,
}

/// A client file as written. Connector sections stay tables until their secrets are split off.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    /// Client id: lowercase letters, digits and dashes; unique in the host.
    id: String,
    /// Which storefront the client sells through.
    storefront: StorefrontKind,
    /// IANA time zone the cron schedules are read in, e.g. `Europe/London`.
    #[serde(default = "default_time_zone")]
    time_zone: String,
    /// How to reach the client's Blue Cherry gateway.
    bluecherry: toml::Table,
    /// BigCommerce store (when `storefront = "bigcommerce"`).
    #[serde(default)]
    bigcommerce: Option<toml::Table>,
    /// Sparklayer site (when `storefront = "sparklayer"`).
    #[serde(default)]
    sparklayer: Option<toml::Table>,
    /// The rule plugin.
    plugin: PluginConfig,
    /// Scalar settings the plugin reads (`[rules]`).
    #[serde(default)]
    rules: toml::Table,
    /// Mapping tables the plugin reads (`[mappings.<table>]`).
    #[serde(default)]
    mappings: toml::Table,
    /// When each flow runs.
    #[serde(default)]
    schedules: Schedules,
    /// Owner team per exception kind; unlisted kinds use the defaults.
    #[serde(default)]
    owners: Owners,
    /// `[catalog]`: how ERP styles become storefront products.
    #[serde(default)]
    catalog: CatalogSettings,
    /// `[inventory]`: warehouse -> storefront location map and buffers; required when the
    /// inventory flow is scheduled.
    #[serde(default)]
    inventory: Option<InventorySettings>,
    /// `[orders]`: intake, pacing and retries of order injection.
    #[serde(default)]
    orders: OrdersSettings,
    /// `[b2b]`: terms and price lists published to Sparklayer.
    #[serde(default)]
    b2b: B2bSettings,
    /// `[reconciliation]`: which drift checks run, and their tolerances.
    #[serde(default)]
    reconciliation: ReconcileSettings,
    /// `[fulfilment]`: how ERP shipments reach the storefront.
    #[serde(default)]
    fulfilment: FulfilmentSettings,
    /// `[refunds]`: retries of credit-memo creation (BigCommerce clients).
    #[serde(default)]
    refunds: RefundsSettings,
}

fn default_time_zone() -> String {
    "UTC".to_string()
}

/// The storefront connection of a client.
#[derive(Debug, Clone, PartialEq)]
pub enum StorefrontConfig {
    /// `[bigcommerce]`.
    BigCommerce(BigCommerceSection),
    /// `[sparklayer]`.
    Sparklayer(SparklayerSection),
}

/// One client, parsed and checked.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The file it came from (named in every later error).
    pub file: PathBuf,
    /// Client id.
    pub id: String,
    /// IANA name of the client's time zone.
    pub time_zone_name: String,
    /// The client's time zone.
    pub time_zone: jiff::tz::TimeZone,
    /// Blue Cherry gateway.
    pub bluecherry: BlueCherryConfig,
    /// Storefront connection.
    pub storefront: StorefrontConfig,
    /// Rule plugin, paths resolved.
    pub plugin: ResolvedPlugin,
    /// `[rules]` and `[mappings.*]` as the plugin sees them.
    pub context: ClientContext,
    /// Schedules as written.
    pub schedules: Schedules,
    /// Schedules compiled (cron parsed).
    pub compiled_schedules: Vec<CompiledSchedule>,
    /// Owner team per exception kind.
    pub owners: Owners,
    /// `[catalog]`.
    pub catalog: CatalogSettings,
    /// `[inventory]` (defaults when the section is absent and the flow is not scheduled).
    pub inventory: InventorySettings,
    /// `[orders]`.
    pub orders: OrdersSettings,
    /// `[fulfilment]`.
    pub fulfilment: FulfilmentSettings,
    /// `[refunds]`.
    pub refunds: RefundsSettings,
    /// `[b2b]`.
    pub b2b: B2bSettings,
    /// `[reconciliation]`.
    pub reconciliation: ReconcileSettings,
}

impl ClientConfig {
    /// `bigcommerce` or `sparklayer`.
    pub fn storefront_kind_name(&self) -> &'static str {
        kind_name(self.storefront_kind())
    }

    /// Which storefront this client uses.
    pub fn storefront_kind(&self) -> StorefrontKind {
        match self.storefront {
            StorefrontConfig::BigCommerce(_) => StorefrontKind::Bigcommerce,
            StorefrontConfig::Sparklayer(_) => StorefrontKind::Sparklayer,
        }
    }
}

/// Parses and checks one client file; `base` resolves relative paths.
pub fn parse(
    file: &Path,
    text: &str,
    base: &Path,
    host: &HostConfig,
) -> Result<ClientConfig, ConfigError> {
    let raw: RawClient = toml::from_str(text).map_err(|e| ConfigError::parse(file, text, &e))?;
    check_id(file, &raw.id)?;
    let time_zone = jiff::tz::TimeZone::get(&raw.time_zone).map_err(|e| {
        ConfigError::invalid(
            file,
            "time_zone",
            format!("`{}` is not a known IANA time zone ({e})", raw.time_zone),
            "use a name such as \"Europe/London\" or \"America/New_York\"",
        )
    })?;
    let bluecherry = connectors::bluecherry(file, raw.bluecherry)?;
    let storefront = match (raw.storefront, raw.bigcommerce, raw.sparklayer) {
        (StorefrontKind::Bigcommerce, Some(table), None) => {
            StorefrontConfig::BigCommerce(connectors::bigcommerce(file, table)?)
        }
        (StorefrontKind::Sparklayer, None, Some(table)) => {
            StorefrontConfig::Sparklayer(connectors::sparklayer(file, table)?)
        }
        (kind, _, _) => {
            let (want, other) = match kind {
                StorefrontKind::Bigcommerce => ("bigcommerce", "sparklayer"),
                StorefrontKind::Sparklayer => ("sparklayer", "bigcommerce"),
            };
            return Err(ConfigError::invalid(
                file,
                "storefront",
                format!("is \"{want}\", which needs a [{want}] section and no [{other}] section"),
                format!("add [{want}] (and remove [{other}]), or change `storefront`"),
            ));
        }
    };
    let plugin = raw.plugin.resolve(file, base)?;
    let context = context(file, raw.rules, raw.mappings)?;
    let compiled_schedules = raw.schedules.compile(file)?;
    check_flows_apply(file, raw.storefront, &compiled_schedules)?;
    for (kind, team) in &raw.owners.0 {
        if !host.teams.iter().any(|t| t == team) {
            return Err(ConfigError::invalid(
                file,
                format!("owners.{}", kind.as_str()),
                format!("names the team `{team}`, which selvedge.toml does not list"),
                format!(
                    "use one of {} or add `{team}` to `teams` in selvedge.toml",
                    host.teams.join(", ")
                ),
            ));
        }
    }
    raw.orders.validate().map_err(|problem| {
        ConfigError::invalid(file, "orders", problem, "correct the [orders] section")
    })?;
    let mut orders = raw.orders;
    if orders.webhook_secret_env.is_empty() {
        // Each client its own secret: whoever reads one client's hooks must not be able to
        // sign deliveries for another.
        orders.webhook_secret_env = default_webhook_secret_env(&raw.id);
    }
    let erp_timeout = std::time::Duration::from_millis(bluecherry.timeout_ms);
    for (key, lease) in [
        ("orders.lease_ms", orders.lease()),
        ("refunds.lease_ms", raw.refunds.lease()),
    ] {
        // Heartbeats come every third of a lease: a lease must outlast one ERP call plus one
        // heartbeat interval, or a slow call could be rescued and run twice.
        if lease <= erp_timeout + lease / 3 {
            return Err(ConfigError::invalid(
                file,
                key,
                format!(
                    "{} ms does not outlast one Blue Cherry call ({} ms timeout) plus a heartbeat interval (a third of the lease)",
                    lease.as_millis(),
                    erp_timeout.as_millis()
                ),
                format!("set {key} above {} ms", erp_timeout.as_millis() * 3 / 2 + 1),
            ));
        }
    }
    let inventory_scheduled = compiled_schedules
        .iter()
        .any(|s| s.flow == FlowKind::Inventory);
    let inventory = raw.inventory.unwrap_or_default();
    inventory.validate().map_err(|problem| {
        ConfigError::invalid(
            file,
            "inventory.missing_max_percent",
            problem,
            "set a percentage from 0 to 100 (default 20)",
        )
    })?;
    if inventory_scheduled && inventory.locations.is_empty() {
        return Err(ConfigError::invalid(
            file,
            "inventory.locations",
            "is empty, but the inventory flow is scheduled: no stock would be published",
            "add [inventory.locations] mapping ERP warehouses to storefront locations, e.g. NJ01 = \"NJ01\"",
        ));
    }
    Ok(ClientConfig {
        file: file.to_path_buf(),
        id: raw.id,
        time_zone_name: raw.time_zone,
        time_zone,
        bluecherry,
        storefront,
        plugin,
        context,
        schedules: raw.schedules,
        compiled_schedules,
        owners: raw.owners,
        catalog: raw.catalog,
        inventory,
        orders,
        fulfilment: raw.fulfilment,
        refunds: raw.refunds,
        b2b: raw.b2b,
        reconciliation: raw.reconciliation,
    })
}

fn check_id(file: &Path, id: &str) -> Result<(), ConfigError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            file,
            "id",
            format!("`{id}` is not a client id"),
            "use lowercase letters, digits and dashes, e.g. \"acme-apparel\"",
        ))
    }
}

/// B2B publishing targets Sparklayer only (refunds come from both: BigCommerce refunds and
/// Sparklayer returns).
fn check_flows_apply(
    file: &Path,
    kind: StorefrontKind,
    schedules: &[CompiledSchedule],
) -> Result<(), ConfigError> {
    let misplaced = match kind {
        StorefrontKind::Bigcommerce => (
            FlowKind::B2b,
            "the B2B flow publishes terms and price lists to Sparklayer",
        ),
        StorefrontKind::Sparklayer => return Ok(()),
    };
    if schedules.iter().any(|s| s.flow == misplaced.0) {
        return Err(ConfigError::invalid(
            file,
            format!("schedules.{}", misplaced.0),
            format!(
                "does not apply to a {} client: {}",
                kind_name(kind),
                misplaced.1
            ),
            format!("remove [schedules.{}]", misplaced.0),
        ));
    }
    Ok(())
}

fn kind_name(kind: StorefrontKind) -> &'static str {
    match kind {
        StorefrontKind::Bigcommerce => "bigcommerce",
        StorefrontKind::Sparklayer => "sparklayer",
    }
}

/// Builds the plugin context with the runtime's own rules for scalars.
fn context(
    file: &Path,
    rules: toml::Table,
    mappings: toml::Table,
) -> Result<ClientContext, ConfigError> {
    let mut table = toml::Table::new();
    table.insert("rules".into(), toml::Value::Table(rules));
    table.insert("mappings".into(), toml::Value::Table(mappings));
    toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| {
        ConfigError::invalid(
            file,
            "rules / mappings",
            e.message().trim().to_string(),
            "[rules] holds text, number or boolean values; each [mappings.<table>] maps text to text",
        )
    })
}

/// `SELVEDGE_WEBHOOK_SECRET_<ID>`: the per-client default of `[orders] webhook_secret_env`.
pub fn default_webhook_secret_env(id: &str) -> String {
    let id: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("SELVEDGE_WEBHOOK_SECRET_{id}")
}
