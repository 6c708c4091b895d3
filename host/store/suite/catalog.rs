use selvedge_store::{PushedStock, SkuBinding};

use crate::{at, fresh_store};

fn binding(erp_sku: &str, product: &str) -> SkuBinding {
    SkuBinding {
        client: "acme".into(),
        storefront: "bigcommerce".into(),
        erp_sku: erp_sku.into(),
        product_id: product.into(),
        variant_id: Some(format!("{product}-v")),
        storefront_sku: format!("BC-{erp_sku}"),
        content_hash: None,
        updated_at: at(0),
    }
}

#[tokio::test]
async fn pushed_stock_bulk_upsert_round_trips_100k_rows() {
    let (_dir, store) = fresh_store().await;
    let rows: Vec<PushedStock> = (0..100_000)
        .map(|i| PushedStock {
            sku: format!("SKU-{:06}", i / 4),
            location: format!("L{}", i % 4),
            qty: i64::from(i % 97),
        })
        .collect();
    store
        .upsert_pushed_stock("acme", "bigcommerce", &rows, at(0))
        .await
        .expect("upsert");
    let mut expected = rows.clone();
    expected.sort_by(|a, b| (&a.sku, &a.location).cmp(&(&b.sku, &b.location)));
    assert_eq!(
        store
            .pushed_stock("acme", "bigcommerce")
            .await
            .expect("read"),
        expected
    );

    // Second push: every 10th row changed, plus new rows; the rest must be untouched.
    let mut second: Vec<PushedStock> = rows
        .iter()
        .step_by(10)
        .map(|r| PushedStock {
            qty: r.qty + 1000,
            ..r.clone()
        })
        .collect();
    second.push(PushedStock {
        sku: "NEW".into(),
        location: "L0".into(),
        qty: 7,
    });
    store
        .upsert_pushed_stock("acme", "bigcommerce", &second, at(1))
        .await
        .expect("upsert");
    let stored = store
        .pushed_stock("acme", "bigcommerce")
        .await
        .expect("read");
    assert_eq!(stored.len(), 100_001);
    let changed = stored.iter().filter(|r| r.qty >= 1000).count();
    assert_eq!(changed, 10_000);
    assert!(
        store
            .pushed_stock("acme", "sparklayer")
            .await
            .expect("read")
            .is_empty()
    );
    assert!(
        store
            .pushed_stock("globex", "bigcommerce")
            .await
            .expect("read")
            .is_empty()
    );
}

#[tokio::test]
async fn content_hash_is_kept_while_the_binding_target_is_unchanged() {
    let (_dir, store) = fresh_store().await;
    store
        .upsert_bindings(&[binding("TEE-S", "p1"), binding("TEE-M", "p1")], at(0))
        .await
        .expect("upsert");
    let hashes = [
        ("TEE-S".to_owned(), "h-s".to_owned()),
        ("TEE-M".to_owned(), "h-m".to_owned()),
    ];
    let updated = store
        .set_content_hashes("acme", "bigcommerce", &hashes, at(1))
        .await
        .expect("hash");
    assert_eq!(updated, 2);

    // Same target: hash kept. New product: hash cleared, the new target was never written.
    let mut moved = binding("TEE-M", "p2");
    moved.storefront_sku = "BC-TEE-M2".into();
    store
        .upsert_bindings(&[binding("TEE-S", "p1"), moved], at(2))
        .await
        .expect("upsert");
    let hashes = store
        .content_hashes("acme", "bigcommerce")
        .await
        .expect("hashes");
    assert_eq!(hashes.len(), 1);
    assert_eq!(hashes.get("TEE-S").map(String::as_str), Some("h-s"));

    let by_sf = store
        .binding_by_storefront_sku("acme", "bigcommerce", "BC-TEE-M2")
        .await
        .expect("get")
        .expect("bound");
    assert_eq!(
        (by_sf.erp_sku.as_str(), by_sf.product_id.as_str()),
        ("TEE-M", "p2")
    );
    let by_erp = store
        .binding_by_erp_sku("acme", "bigcommerce", "TEE-S")
        .await
        .expect("get");
    assert_eq!(by_erp.and_then(|b| b.content_hash).as_deref(), Some("h-s"));
    assert_eq!(
        store
            .list_bindings("acme", "bigcommerce")
            .await
            .expect("list")
            .len(),
        2
    );
    assert!(
        store
            .list_bindings("globex", "bigcommerce")
            .await
            .expect("list")
            .is_empty()
    );
}
