//! The B2B wholesaler (`wholesaler`, plugin `b2b-wholesale`) on Sparklayer, as the catalog,
//! inventory and B2B flows find it: no buyers and no catalog until a test adds them.

use selvedge_bluecherry::BlueCherryConfig;
use selvedge_sparklayer::SparklayerClient;
use selvedge_sparklayer::model::{LookupBy, Package, PackageLine};

use super::stores::{Backend, TestDb};
use super::{Harness, Storefront, erp, sl_sandbox};

/// The wholesaler on an ERP with `styles` styles.
pub async fn wholesaler(styles: usize) -> Harness {
    let erp = erp::start(styles).await;
    let erp_config = BlueCherryConfig::new(erp.base_url());
    let sl = start_sl(sl_sandbox::SandboxConfig::default()).await;
    Harness::wire(
        TestDb::fresh(Backend::Sqlite).expect("a SQLite file"),
        erp,
        erp_config,
        Storefront::Sparklayer(sl),
    )
    .await
}

/// A Sparklayer sandbox.
pub async fn start_sl(config: sl_sandbox::SandboxConfig) -> sl_sandbox::Sandbox {
    sl_sandbox::Sandbox::start(config)
        .await
        .expect("Sparklayer sandbox")
}

/// A buyer's return of `lines` added to the purchase, as Sparklayer's admin records it: the
/// purchase read, a `return` package appended, and the whole purchase put back.
pub async fn add_return(sl: &SparklayerClient, purchase_id: &str, lines: &[(&str, u32)]) {
    let mut purchase = sl
        .get_purchase(LookupBy::Sparklayer, purchase_id)
        .await
        .expect("purchase read")
        .expect("purchase");
    purchase.packages.push(return_package(lines));
    sl.replace_purchase(LookupBy::Sparklayer, purchase_id, &purchase)
        .await
        .expect("purchase replaced");
}

/// A received `return` package of `lines`.
pub fn return_package(lines: &[(&str, u32)]) -> Package {
    Package {
        package_type: "return".into(),
        status: Some("received".into()),
        carrier: None,
        tracking_number: None,
        tracking_url: None,
        lines: lines
            .iter()
            .map(|(sku, quantity)| PackageLine {
                sku: (*sku).to_string(),
                quantity: *quantity,
            })
            .collect(),
        extra: Default::default(),
    }
}
