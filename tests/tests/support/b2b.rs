//! The B2B wholesaler (`wholesaler`, plugin `b2b-wholesale`) on Sparklayer, as the catalog,
//! inventory and B2B flows find it: no buyers and no catalog until a test adds them.

use selvedge_bluecherry::BlueCherryConfig;

use super::{Harness, Storefront, erp, sl_sandbox};

/// The wholesaler on an ERP with `styles` styles.
pub async fn wholesaler(styles: usize) -> Harness {
    let erp = erp::start(styles).await;
    let erp_config = BlueCherryConfig::new(erp.base_url());
    let sl = start_sl(sl_sandbox::SandboxConfig::default()).await;
    Harness::wire(erp, erp_config, Storefront::Sparklayer(sl)).await
}

/// A Sparklayer sandbox.
pub async fn start_sl(config: sl_sandbox::SandboxConfig) -> sl_sandbox::Sandbox {
    sl_sandbox::Sandbox::start(config)
        .await
        .expect("Sparklayer sandbox")
}
