//! A Python plugin in production: the real host (`selvedge run --config <dir>`) with the B2B
//! wholesaler on Sparklayer configured with `plugins/b2b-wholesale-py` (built by
//! `scripts/build-python-plugins`) polls buyers' purchases and injects them into the Blue
//! Cherry sandbox, warehouse and division by stock location, terms and PO from the plugin.
//! Skips when the Python component is not built (fails under `CI=true`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::time::Duration;

use selvedge_bluecherry::model::{Cents, SalesOrder};
use support::erp::{order_by_ref as erp_order, plain_styles};
use support::host_process::{ADMIN_TOKEN, HostDir, wholesaler_client};
use support::orders::{b2b_checkout, start_erp, start_wholesale_sl};
use support::{admin_json, wait_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_on_the_python_plugin_injects_b2b_orders_by_location_into_blue_cherry() {
    let Some(python) = selvedge_plugin_artifacts::python_component_or_skip(
        "b2b-wholesale-py",
        "a_host_on_the_python_plugin_injects_b2b_orders_by_location_into_blue_cherry",
    ) else {
        return;
    };
    let erp = start_erp().await;
    let sl = start_wholesale_sl().await;
    let skus: Vec<String> = erp.with_state(|s| {
        plain_styles(s)
            .flat_map(|st| st.skus.iter().map(|k| k.sku.clone()))
            .take(3)
            .collect()
    });
    assert_eq!(skus.len(), 3, "the ERP seed has plain SKUs");

    let mut client = wholesaler_client(&erp.base_url(), &sl.base_url());
    let mut plugin = toml::Table::new();
    plugin.insert("path".into(), python.display().to_string().into());
    client.insert("plugin".into(), plugin.into());
    // WH-NJ -> NJ01/02 comes with the client file; London stock ships from CA02.
    client
        .get_mut("mappings")
        .and_then(|m| m.get_mut("location_warehouse"))
        .and_then(toml::Value::as_table_mut)
        .expect("the client file maps locations")
        .insert("WH-LDN".into(), "CA02/02".into());
    let dir = HostDir::new(&client);
    let _host = dir.start("the host starts on the Python plugin").await;

    let view = admin_json(
        &reqwest::Client::new(),
        dir.admin,
        ADMIN_TOKEN,
        "/api/clients/wholesaler/plugin",
    )
    .await
    .expect("the admin API answers");
    assert_eq!(
        view["plugin"].as_str(),
        Some("b2b_wholesale_py"),
        "the host runs the Python build: {view}"
    );

    let purchase = |location: &str, lines: &[(&str, u32)]| {
        sl.state()
            .checkout(b2b_checkout(location, lines))
            .expect("checkout")
            .purchase_identifiers
            .sparklayer
            .expect("purchase id")
    };
    let nj = purchase("WH-NJ", &[(&skus[0], 3), (&skus[1], 1)]);
    let ldn = purchase("WH-LDN", &[(&skus[2], 5)]);
    let (nj_ref, ldn_ref) = (
        format!("wholesaler:sl:{nj}"),
        format!("wholesaler:sl:{ldn}"),
    );
    let both = wait_until(Duration::from_secs(90), || async {
        erp_order(&erp, &nj_ref).is_some() && erp_order(&erp, &ldn_ref).is_some()
    })
    .await;
    assert!(
        both,
        "both purchases reach Blue Cherry through the Python plugin"
    );

    let nj_order = erp_order(&erp, &nj_ref).expect("WH-NJ order");
    let ldn_order = erp_order(&erp, &ldn_ref).expect("WH-LDN order");
    assert_eq!(
        (nj_order.warehouse.as_str(), nj_order.division.as_str()),
        ("NJ01", "02")
    );
    assert_eq!(
        (ldn_order.warehouse.as_str(), ldn_order.division.as_str()),
        ("CA02", "02")
    );
    let lines = |o: &SalesOrder| {
        o.lines
            .iter()
            .map(|l| (l.sku.clone(), l.qty, l.unit_price))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        lines(&nj_order),
        vec![
            (skus[0].clone(), 3, Cents(1_400)),
            (skus[1].clone(), 1, Cents(1_400))
        ]
    );
    assert_eq!(lines(&ldn_order), vec![(skus[2].clone(), 5, Cents(1_400))]);
    for order in [&nj_order, &ldn_order] {
        assert_eq!(order.customer, "C10001");
        assert!(order.authorised, "pay on account lands authorised");
        assert_eq!(order.po_number.as_deref(), Some("PO-7781"));
        assert_eq!(order.other_reference.as_deref(), Some("PO-7781"));
    }
}
