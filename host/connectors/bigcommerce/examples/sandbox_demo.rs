//! Runs a BigCommerce sandbox with the apparel demo catalog and one shopper order.
//!
//! `cargo run -p selvedge-bigcommerce --example sandbox_demo -- 127.0.0.1:8650`
//! then point a client at `http://127.0.0.1:8650` (store hash `sandbox`, token `sandbox-token`).

use std::net::SocketAddr;

use selvedge_bigcommerce::model::{BillingAddress, Money, OrderQuery};
use selvedge_bigcommerce::sandbox::{OrderLineInput, SandboxOrder, apparel_catalog};
use selvedge_bigcommerce::{BigCommerceClient, Sandbox, SandboxConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8650".into())
        .parse()?;
    let sandbox = Sandbox::start_on(SandboxConfig::default(), addr).await?;
    let h = sandbox.handle();
    h.seed(&apparel_catalog())?;
    let order = SandboxOrder {
        customer_id: 1,
        shipping_address: BillingAddress {
            first_name: "Ada".into(),
            city: "Leeds".into(),
            zip: "LS1".into(),
            country_iso2: "GB".into(),
            ..BillingAddress::default()
        },
        shipping_method: "UPS Ground".into(),
        shipping_cost: Money::from_cents(750),
        products: vec![OrderLineInput {
            sku: "TEE100-NAVY-M".into(),
            quantity: 2,
            price: None,
        }],
        ..SandboxOrder::default()
    };
    h.create_order(&order)?;
    let client = BigCommerceClient::new(sandbox.client_config())?;
    let orders = client.list_orders(&OrderQuery::default()).await?;
    println!(
        "BigCommerce sandbox on {} (store hash `sandbox`, token `sandbox-token`)",
        sandbox.base_url()
    );
    let total = orders.first().map(|o| o.total_inc_tax).unwrap_or_default();
    println!(
        "seeded {} products; {} order(s); first total {total}",
        apparel_catalog().len(),
        orders.len()
    );
    println!(
        "try: curl -H 'X-Auth-Token: sandbox-token' {}/stores/sandbox/v2/orders",
        sandbox.base_url()
    );
    println!(
        "admin: curl {}/sandbox/counters   (Ctrl-C to stop)",
        sandbox.base_url()
    );
    tokio::signal::ctrl_c().await?;
    sandbox.shutdown().await;
    Ok(())
}
