//! All three sandboxes on loopback with one coherent apparel data set: Blue Cherry's seed
//! (styles x colours x sizes x fits, warehouses NJ01 and CA02, B2B customers on terms) is the
//! master; BigCommerce starts with locations matching the warehouses and an empty catalog
//! (the catalog flow fills it); Sparklayer starts with the warehouses as stock locations and
//! the ERP's B2B customers (terms and price lists arrive through the B2B flow).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use selvedge_bigcommerce::model::{LocationType, NewLocation};
use selvedge_bigcommerce::{
    BigCommerceClient, Sandbox as BigCommerceSandbox, SandboxConfig as BigCommerceSandboxConfig,
};
use selvedge_bluecherry::sandbox::seed::WEB_CUSTOMER;
use selvedge_bluecherry::{Sandbox as BlueCherrySandbox, SandboxConfig as BlueCherrySandboxConfig};
use selvedge_sparklayer::SparklayerClient;
use selvedge_sparklayer::model::{Customer, NewStockLocation};
use selvedge_sparklayer::sandbox::{
    Sandbox as SparklayerSandbox, SandboxConfig as SparklayerSandboxConfig,
};
use serde::Serialize;

/// Default ports, fixed so the example configs work unchanged.
pub mod ports {
    /// Blue Cherry gateway sandbox.
    pub const BLUECHERRY: u16 = 8401;
    /// BigCommerce store sandbox.
    pub const BIGCOMMERCE: u16 = 8402;
    /// Sparklayer site sandbox.
    pub const SPARKLAYER: u16 = 8403;
}

/// The sandboxes' credentials, as the example configs' environment variables expect them.
pub mod credentials {
    /// Blue Cherry API key (env `SELVEDGE_BLUECHERRY_API_KEY`).
    pub const BLUECHERRY_API_KEY: &str = "sandbox-key";
    /// BigCommerce store hash.
    pub const BIGCOMMERCE_STORE_HASH: &str = "sandbox";
    /// BigCommerce token (env `SELVEDGE_BIGCOMMERCE_ACCESS_TOKEN`).
    pub const BIGCOMMERCE_TOKEN: &str = "sandbox-token";
    /// Sparklayer site id.
    pub const SPARKLAYER_SITE_ID: &str = "sandbox-site";
    /// Sparklayer client id.
    pub const SPARKLAYER_CLIENT_ID: &str = "sandbox-client";
    /// Checkout attribute holding the buyer's PO number (the wholesale example reads it).
    pub const SPARKLAYER_PO_ATTRIBUTE: &str = "PO Number";
    /// Sparklayer client secret (env `SELVEDGE_SPARKLAYER_CLIENT_SECRET`).
    pub const SPARKLAYER_CLIENT_SECRET: &str = "sandbox-secret";
    /// Secret the host registers in BigCommerce webhooks' custom header.
    pub const BIGCOMMERCE_WEBHOOK_SECRET: &str = "sandbox-webhook-secret";
    /// Environment variables and values the example configs read.
    pub const ENV: [(&str, &str); 4] = [
        ("SELVEDGE_BLUECHERRY_API_KEY", BLUECHERRY_API_KEY),
        ("SELVEDGE_BIGCOMMERCE_ACCESS_TOKEN", BIGCOMMERCE_TOKEN),
        (
            "SELVEDGE_BIGCOMMERCE_WEBHOOK_SECRET",
            BIGCOMMERCE_WEBHOOK_SECRET,
        ),
        (
            "SELVEDGE_SPARKLAYER_CLIENT_SECRET",
            SPARKLAYER_CLIENT_SECRET,
        ),
    ];
}

/// How to start the sandboxes.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Interface to bind; loopback unless told otherwise.
    pub host: IpAddr,
    /// Blue Cherry port (0 = any free port).
    pub bluecherry_port: u16,
    /// BigCommerce port.
    pub bigcommerce_port: u16,
    /// Sparklayer port.
    pub sparklayer_port: u16,
    /// Run an ERP batch cycle this often; `None` = only on request.
    pub cycle_period: Option<Duration>,
    /// Ship ERP orders automatically this many cycles after entry.
    pub auto_ship_after_cycles: Option<u32>,
    /// Styles in the Blue Cherry seed.
    pub styles: usize,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            bluecherry_port: ports::BLUECHERRY,
            bigcommerce_port: ports::BIGCOMMERCE,
            sparklayer_port: ports::SPARKLAYER,
            cycle_period: Some(Duration::from_secs(60)),
            auto_ship_after_cycles: None,
            styles: 60,
        }
    }
}

/// Why the sandboxes could not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// A port is taken.
    #[error(
        "{system} sandbox: {source} (is another `selvedge sandbox` running? pass --{system}-port 0 for any free port)"
    )]
    Bind {
        /// Which sandbox.
        system: &'static str,
        /// The bind error.
        #[source]
        source: selvedge_connector_kit::sandbox::BindError,
    },
    /// Seeding through a sandbox's API failed.
    #[error("seeding {system}: {message}")]
    Seed {
        /// Which sandbox.
        system: &'static str,
        /// What failed.
        message: String,
    },
}

/// The sandboxes' URLs (`selvedge sandbox --json` prints this).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct SandboxUrls {
    /// Blue Cherry gateway base URL.
    pub bluecherry: String,
    /// BigCommerce API host.
    pub bigcommerce: String,
    /// Sparklayer API base URL.
    pub sparklayer: String,
}

/// What was seeded, for the start-up banner.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SeedSummary {
    /// Styles in the ERP.
    pub styles: usize,
    /// SKUs in the ERP.
    pub skus: usize,
    /// ERP warehouses (= storefront locations).
    pub warehouses: Vec<String>,
    /// B2B customers (ERP and Sparklayer).
    pub customers: usize,
}

/// The three running sandboxes.
pub struct Sandboxes {
    /// Blue Cherry.
    pub bluecherry: BlueCherrySandbox,
    /// BigCommerce.
    pub bigcommerce: BigCommerceSandbox,
    /// Sparklayer.
    pub sparklayer: SparklayerSandbox,
    /// What was seeded.
    pub seed: SeedSummary,
}

impl Sandboxes {
    /// Starts and seeds all three.
    pub async fn start(options: &SandboxOptions) -> Result<Sandboxes, SandboxError> {
        let addr = |port| SocketAddr::new(options.host, port);
        let bluecherry = BlueCherrySandbox::start_on(
            BlueCherrySandboxConfig {
                api_key: credentials::BLUECHERRY_API_KEY.into(),
                cycle_period_ms: options
                    .cycle_period
                    .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                auto_ship_after_cycles: options.auto_ship_after_cycles,
                styles: options.styles,
                ..BlueCherrySandboxConfig::default()
            },
            addr(options.bluecherry_port),
        )
        .await
        .map_err(|source| SandboxError::Bind {
            system: "bluecherry",
            source,
        })?;
        let bigcommerce = BigCommerceSandbox::start_on(
            BigCommerceSandboxConfig {
                store_hash: credentials::BIGCOMMERCE_STORE_HASH.into(),
                access_token: credentials::BIGCOMMERCE_TOKEN.into(),
                // Real webhook retries take minutes; a demo wants seconds.
                webhook_time_scale: 0.01,
                ..BigCommerceSandboxConfig::default()
            },
            addr(options.bigcommerce_port),
        )
        .await
        .map_err(|source| SandboxError::Bind {
            system: "bigcommerce",
            source,
        })?;
        let sparklayer = SparklayerSandbox::start_on(
            SparklayerSandboxConfig {
                site_id: credentials::SPARKLAYER_SITE_ID.into(),
                client_id: credentials::SPARKLAYER_CLIENT_ID.into(),
                client_secret: credentials::SPARKLAYER_CLIENT_SECRET.into(),
                po_number_attribute: credentials::SPARKLAYER_PO_ATTRIBUTE.into(),
                ..SparklayerSandboxConfig::default()
            },
            addr(options.sparklayer_port),
        )
        .await
        .map_err(|source| SandboxError::Bind {
            system: "sparklayer",
            source,
        })?;
        let (warehouses, customers, styles, skus) = bluecherry.with_state(|s| {
            // The web account carries card-paid B2C orders, which arrive `authorised`; the
            // sandbox checks authorised orders against credit, so give it room.
            for c in s
                .customers
                .iter_mut()
                .filter(|c| c.customer == WEB_CUSTOMER)
            {
                c.credit_limit = selvedge_bluecherry::money::Cents(1_000_000_000);
            }
            let warehouses: Vec<String> = s.warehouses.keys().cloned().collect();
            let b2b: Vec<_> = s
                .customers
                .iter()
                .filter(|c| c.customer != WEB_CUSTOMER)
                .cloned()
                .collect();
            (warehouses, b2b, s.styles.len(), s.sku_index.len())
        });
        seed_bigcommerce(&bigcommerce, &warehouses).await?;
        seed_sparklayer(&sparklayer, &warehouses, &customers).await?;
        Ok(Sandboxes {
            bluecherry,
            bigcommerce,
            sparklayer,
            seed: SeedSummary {
                styles,
                skus,
                warehouses,
                customers: customers.len(),
            },
        })
    }

    /// Their URLs.
    pub fn urls(&self) -> SandboxUrls {
        SandboxUrls {
            bluecherry: self.bluecherry.base_url(),
            bigcommerce: self.bigcommerce.base_url(),
            sparklayer: self.sparklayer.base_url(),
        }
    }

    /// Stops all three.
    pub async fn shutdown(self) {
        self.bluecherry.shutdown().await;
        self.bigcommerce.shutdown().await;
        self.sparklayer.shutdown().await;
    }
}

/// One BigCommerce location per ERP warehouse, its code being the warehouse code.
async fn seed_bigcommerce(
    sandbox: &BigCommerceSandbox,
    warehouses: &[String],
) -> Result<(), SandboxError> {
    let err = |e: selvedge_bigcommerce::Error| SandboxError::Seed {
        system: "bigcommerce",
        message: e.to_string(),
    };
    let client = BigCommerceClient::new(sandbox.client_config()).map_err(err)?;
    let existing = client.list_locations().await.map_err(err)?;
    for code in warehouses {
        if existing.iter().any(|l| &l.code == code) {
            continue;
        }
        let location = NewLocation {
            code: code.clone(),
            label: format!("Warehouse {code}"),
            enabled: true,
            type_id: LocationType::Physical,
            managed_by_external_source: true,
            time_zone: "America/New_York".into(),
            ..NewLocation::default()
        };
        client.create_location(&location).await.map_err(err)?;
    }
    Ok(())
}

/// Stock locations for the warehouses and the ERP's customers, keyed by customer number.
async fn seed_sparklayer(
    sandbox: &SparklayerSandbox,
    warehouses: &[String],
    customers: &[selvedge_bluecherry::model::Customer],
) -> Result<(), SandboxError> {
    let err = |e: selvedge_sparklayer::Error| SandboxError::Seed {
        system: "sparklayer",
        message: e.to_string(),
    };
    let client = SparklayerClient::new(sandbox.client_config()).map_err(err)?;
    for code in warehouses {
        let location = NewStockLocation {
            name: format!("Warehouse {code}"),
            external_id: code.clone(),
        };
        client.create_stock_location(&location).await.map_err(err)?;
    }
    for c in customers {
        sandbox.state().add_customer(Customer {
            id: format!("cust_{}", c.customer.to_lowercase()),
            external_id: Some(c.customer.clone()),
            email: Some(format!("buyer@{}.example", c.customer.to_lowercase())),
            name: Some(c.name.clone()),
            customer_group: Some(
                if c.terms_code == "CC" {
                    "wholesale"
                } else {
                    "trade"
                }
                .into(),
            ),
            metafields: Vec::new(),
            extra: serde_json::Map::new(),
        });
    }
    Ok(())
}
