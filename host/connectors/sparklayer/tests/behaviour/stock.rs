use selvedge_sparklayer::model::{LocationRef, NewStockLocation, StockUpdate};
use selvedge_sparklayer::sandbox::{SandboxConfig, seed_demo};

use crate::common::{seeded, setup_with};

fn row(location: &str, sku: &str, level: i64) -> StockUpdate {
    StockUpdate {
        location: LocationRef::ExternalId(location.into()),
        sku: sku.into(),
        stock_level: level,
        restock_date: None,
        min_stock_level: None,
    }
}

fn small_batches() -> SandboxConfig {
    SandboxConfig {
        max_stock_batch: 10,
        ..SandboxConfig::default()
    }
}

#[tokio::test]
async fn large_stock_input_is_sent_in_chunks_of_the_configured_size() {
    let (sandbox, client) = setup_with(small_batches(), |c| c.stock_batch_size = 10).await;
    seed_demo(sandbox.state());
    let rows: Vec<StockUpdate> = (0..25)
        .map(|i| row("WH-LDN", &format!("SKU-{i:02}"), i))
        .collect();
    let calls = client
        .batch_update_stock(&rows)
        .await
        .expect("all chunks accepted");
    assert_eq!(calls, 3);
    assert_eq!(
        sandbox
            .state()
            .requests_to("POST /api/v1/batch-update-stock"),
        3
    );
    assert_eq!(sandbox.state().stock_row_count(), 25);
    assert_eq!(sandbox.state().stock_level("WH-LDN", "SKU-24"), Some(24));
}

#[tokio::test]
async fn batch_larger_than_the_server_allows_is_refused() {
    let (sandbox, client) = setup_with(small_batches(), |c| c.stock_batch_size = 50).await;
    seed_demo(sandbox.state());
    let rows: Vec<StockUpdate> = (0..25)
        .map(|i| row("WH-LDN", &format!("SKU-{i}"), i))
        .collect();
    let err = client
        .batch_update_stock(&rows)
        .await
        .expect_err("too many rows");
    assert_eq!(err.status(), Some(422));
    assert_eq!(sandbox.state().stock_row_count(), 0);
}

#[tokio::test]
async fn stock_update_overwrites_only_the_pairs_sent() {
    let (sandbox, client) = seeded().await;
    client
        .batch_update_stock(&[row("WH-LDN", "TEE", 5), row("WH-NJ", "TEE", 7)])
        .await
        .expect("first");
    let by_id = sandbox.state().stock_locations()[1].id.clone();
    client
        .batch_update_stock(&[StockUpdate {
            location: LocationRef::Id(by_id),
            sku: "TEE".into(),
            stock_level: 0,
            restock_date: Some("2026-12-01".into()),
            min_stock_level: Some(2),
        }])
        .await
        .expect("second, by Sparklayer id");
    assert_eq!(sandbox.state().stock_level("WH-LDN", "TEE"), Some(5));
    assert_eq!(sandbox.state().stock_level("WH-NJ", "TEE"), Some(0));
}

#[tokio::test]
async fn unknown_stock_location_is_refused_naming_the_row() {
    let (_sandbox, client) = seeded().await;
    let err = client
        .batch_update_stock(&[row("WH-LDN", "TEE", 1), row("WH-NOPE", "TEE", 1)])
        .await
        .expect_err("unknown location");
    assert_eq!(
        err.problem().expect("problem").properties(),
        vec!["[1].stock_location_external_id"]
    );
}

#[tokio::test]
async fn stock_locations_are_created_and_listed() {
    let (_sandbox, client) = seeded().await;
    let created = client
        .create_stock_location(&NewStockLocation {
            name: "Manchester".into(),
            external_id: "WH-MAN".into(),
        })
        .await
        .expect("created");
    let all = client.list_stock_locations().await.expect("listed");
    assert_eq!(all.len(), 3);
    assert!(all.contains(&created));
    let err = client
        .create_stock_location(&NewStockLocation {
            name: "Again".into(),
            external_id: "WH-MAN".into(),
        })
        .await
        .expect_err("external id taken");
    assert_eq!(
        err.problem().expect("problem").properties(),
        vec!["external_id"]
    );
}
