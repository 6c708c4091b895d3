//! Catalog V3 reads and the fidelity fixes found by BigCommerce's Python client and a Singer
//! tap: variant stock written through the variant batch, pagination links, product and variant
//! reads, and documented filters the sandbox does not apply refused by name.

mod common;

use reqwest::Method;
use selvedge_bigcommerce::model::*;
use serde_json::json;

#[tokio::test]
async fn variant_batch_applies_inventory_level_to_the_answer_and_read_back() {
    let (sandbox, client) = common::start().await;
    let ids = sandbox
        .handle()
        .seed(&[common::small_style("IL")])
        .expect("seed");
    let variants = client.product_variants(ids[0]).await.expect("variants");
    let target = variants
        .iter()
        .find(|v| v.sku == "IL-NAVY-M")
        .expect("variant");
    assert_eq!(target.inventory_level, Some(10));
    let update = VariantUpdate {
        id: target.id,
        inventory_level: Some(37),
        ..VariantUpdate::default()
    };
    let report = client.update_variants(&[update]).await.expect("batch");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.succeeded[0].inventory_level, Some(37));
    let read_back = client
        .list_variants(&VariantQuery {
            sku: Some("IL-NAVY-M".into()),
            ..VariantQuery::default()
        })
        .await
        .expect("read back");
    assert_eq!(read_back[0].inventory_level, Some(37));
    let items = client
        .inventory_items(&InventoryQuery {
            variant_ids: vec![target.id],
            location_ids: vec![1],
            ..InventoryQuery::default()
        })
        .await
        .expect("items");
    assert_eq!(items[0].locations[0].total_inventory_onhand, 37);
}

#[tokio::test]
async fn variant_batch_refuses_a_field_it_does_not_apply_and_changes_nothing() {
    let (sandbox, client) = common::start().await;
    let ids = sandbox
        .handle()
        .seed(&[common::small_style("WF")])
        .expect("seed");
    let variant = client.product_variants(ids[0]).await.expect("variants")[0].clone();
    let body = json!([{"id": variant.id, "inventory_level": 3, "weight": 2.5}]);
    let (status, answer) =
        common::raw(&sandbox, Method::PUT, "v3", "/catalog/variants", Some(body)).await;
    assert_eq!(status, 422);
    let why = answer["errors"][variant.id.to_string()]
        .as_str()
        .unwrap_or_default();
    assert!(why.contains("weight"), "{answer}");
    let after = client.product_variants(ids[0]).await.expect("variants");
    assert_eq!(after[0].inventory_level, variant.inventory_level);
}

#[tokio::test]
async fn v3_pages_link_to_the_previous_and_next_pages() {
    let (sandbox, _client) = common::start().await;
    let h = sandbox.handle();
    for style in ["P1", "P2", "P3"] {
        h.seed(&[common::small_style(style)]).expect("seed");
    }
    let links = |page: u32| {
        let sandbox = &sandbox;
        async move {
            let path = format!("/catalog/products?page={page}&limit=1");
            let (status, body) = common::raw(sandbox, Method::GET, "v3", &path, None).await;
            assert_eq!(status, 200);
            body["meta"]["pagination"]["links"].clone()
        }
    };
    assert_eq!(
        links(1).await,
        json!({"current": "?page=1&limit=1", "next": "?page=2&limit=1"})
    );
    assert_eq!(
        links(2).await,
        json!({"previous": "?page=1&limit=1", "current": "?page=2&limit=1", "next": "?page=3&limit=1"})
    );
    assert_eq!(
        links(3).await,
        json!({"previous": "?page=2&limit=1", "current": "?page=3&limit=1"})
    );
}

#[tokio::test]
async fn product_and_variants_are_readable_with_their_documented_filters() {
    let (sandbox, client) = common::start().await;
    let ids = sandbox
        .handle()
        .seed(&[common::small_style("RD"), common::small_style("RE")])
        .expect("seed");
    let product = client.get_product(ids[0], true, true).await.expect("one");
    assert_eq!(product.variants.len(), 6);
    assert_eq!(product.options.len(), 2);
    let bare = client.get_product(ids[0], false, false).await.expect("one");
    assert!(bare.variants.is_empty() && bare.options.is_empty());
    assert!(matches!(
        client.get_product(999_999, false, false).await,
        Err(selvedge_bigcommerce::Error::NotFound { .. })
    ));
    // Used to answer 405.
    let own = client.product_variants(ids[0]).await.expect("variants");
    assert_eq!(own.len(), 6);
    assert!(own.iter().all(|v| v.product_id == ids[0]));
    let all = client
        .list_variants(&VariantQuery::default())
        .await
        .expect("all");
    assert_eq!(all.len(), 12);
    let of_second = client
        .list_variants(&VariantQuery {
            product_ids: vec![ids[1]],
            ..VariantQuery::default()
        })
        .await
        .expect("by product");
    assert!(of_second.len() == 6 && of_second.iter().all(|v| v.product_id == ids[1]));
    let one = client
        .list_variants(&VariantQuery {
            id: Some(own[0].id),
            ..VariantQuery::default()
        })
        .await
        .expect("by id");
    assert_eq!(one.len(), 1);
    // Sparse fieldsets: `id` plus what was asked for.
    let path = format!("/catalog/products/{}/variants?include_fields=sku", ids[0]);
    let (status, body) = common::raw(&sandbox, Method::GET, "v3", &path, None).await;
    assert_eq!(status, 200);
    let first = body["data"][0].as_object().cloned().unwrap_or_default();
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["id", "sku"]);
}

#[tokio::test]
async fn documented_filters_the_sandbox_does_not_apply_are_refused_by_name() {
    let (sandbox, _client) = common::start().await;
    sandbox
        .handle()
        .seed(&[common::small_style("NF")])
        .expect("seed");
    common::checkpoint(&sandbox);
    for (api, path, name) in [
        ("v3", "/catalog/products?categories:in=5", "categories:in"),
        ("v3", "/catalog/products?include=images", "include"),
        ("v3", "/catalog/products?limit=many", "limit"),
        ("v3", "/catalog/variants?exclude_ids=1", "exclude_ids"),
        ("v3", "/catalog/products?id:in=1,x", "id:in"),
        (
            "v3",
            "/inventory/items?location_code:in=WH",
            "location_code:in",
        ),
        ("v3", "/hooks?channel_id=1", "channel_id"),
        (
            "v3",
            "/orders/payment_actions/refunds?created:min=soon",
            "created:min",
        ),
    ] {
        let (status, body) = common::raw(&sandbox, Method::GET, api, path, None).await;
        assert_eq!(status, 400, "{path}");
        assert!(body["errors"].get(name).is_some(), "{path}: {body}");
    }
    sandbox.handle().clear_log();
}

#[tokio::test]
async fn documented_body_fields_the_sandbox_does_not_store_are_refused_by_name() {
    let (sandbox, client) = common::start().await;
    let ids = sandbox
        .handle()
        .seed(&[common::small_style("BF")])
        .expect("seed");
    common::checkpoint(&sandbox);
    let new = json!({"name": "Scarf", "type": "physical", "weight": 1, "price": 9, "description": "<p>warm</p>"});
    let (status, body) =
        common::raw(&sandbox, Method::POST, "v3", "/catalog/products", Some(new)).await;
    assert_eq!(status, 422);
    assert!(body["errors"].get("description").is_some(), "{body}");
    let update = json!([{"id": ids[0], "meta_keywords": ["wool"]}]);
    let (status, body) = common::raw(
        &sandbox,
        Method::PUT,
        "v3",
        "/catalog/products",
        Some(update),
    )
    .await;
    assert_eq!(status, 422);
    let why = body["errors"][ids[0].to_string()]
        .as_str()
        .unwrap_or_default();
    assert!(why.contains("meta_keywords"), "{body}");
    let adjust = json!({"items": [{"location_id": 1, "sku": "BF-NAVY-S", "quantity": 4, "bin_picking_number": "A1"}]});
    let (status, body) = common::raw(
        &sandbox,
        Method::PUT,
        "v3",
        "/inventory/adjustments/absolute",
        Some(adjust),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["errors"].get("items[0].bin_picking_number").is_some(),
        "{body}"
    );
    sandbox.handle().clear_log();
    // Nothing was applied.
    let products = client
        .list_products(&ProductQuery::default())
        .await
        .expect("list");
    assert_eq!(products.len(), 1);
    let stock = client
        .list_variants(&VariantQuery {
            sku: Some("BF-NAVY-S".into()),
            ..VariantQuery::default()
        })
        .await
        .expect("variant");
    assert_eq!(stock[0].inventory_level, Some(10));
}
