//! Shared set-up.

use selvedge_sparklayer::sandbox::{Sandbox, SandboxConfig};
use selvedge_sparklayer::{SparklayerClient, SparklayerConfig};

/// A sandbox with default settings and a client for it.
pub async fn setup() -> (Sandbox, SparklayerClient) {
    setup_with(SandboxConfig::default(), |_| {}).await
}

/// A sandbox with `config` and a client whose config `tweak` adjusted.
pub async fn setup_with(
    config: SandboxConfig,
    tweak: impl FnOnce(&mut SparklayerConfig),
) -> (Sandbox, SparklayerClient) {
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    let mut client_config = sandbox.client_config();
    tweak(&mut client_config);
    let client = SparklayerClient::new(client_config).expect("valid client config");
    (sandbox, client)
}

/// A seeded sandbox (demo customers, price lists, locations) and a client.
pub async fn seeded() -> (Sandbox, SparklayerClient) {
    let (sandbox, client) = setup().await;
    selvedge_sparklayer::sandbox::seed_demo(sandbox.state());
    (sandbox, client)
}
