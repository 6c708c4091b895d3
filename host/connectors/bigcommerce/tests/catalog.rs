//! Catalog behaviours against the sandbox over loopback HTTP.

mod common;

use selvedge_bigcommerce::Error;
use selvedge_bigcommerce::model::*;

fn tee(sku: &str) -> NewProduct {
    NewProduct {
        name: format!("Tee {sku}"),
        sku: Some(sku.into()),
        weight: 0.3,
        price: Money(2563),
        inventory_tracking: Some(InventoryTracking::Variant),
        variants: ["S", "M"]
            .iter()
            .map(|size| NewVariant {
                sku: format!("{sku}-NAVY-{size}"),
                option_values: vec![
                    VariantOptionValue::named("Colour", "Navy"),
                    VariantOptionValue::named("Size", *size),
                ],
                ..NewVariant::default()
            })
            .collect(),
        ..NewProduct::default()
    }
}

#[tokio::test]
async fn product_created_with_variants_gets_options_and_lists_by_sku_filters() {
    let (sandbox, client) = common::start().await;
    let created = client.create_product(&tee("T1")).await.expect("create");
    assert_eq!(created.price, Money(2563));
    assert_eq!(created.variants.len(), 2);
    let names: Vec<_> = created
        .options
        .iter()
        .map(|o| o.display_name.as_str())
        .collect();
    assert_eq!(names, ["Colour", "Size"]);
    assert_eq!(created.options[0].option_type, OptionType::Swatch);

    let by_variant_sku = client
        .list_products(&ProductQuery {
            skus: vec!["t1-navy-m".into()],
            include_variants: true,
            ..ProductQuery::default()
        })
        .await
        .expect("sku:in");
    assert_eq!(by_variant_sku.len(), 1);
    assert_eq!(by_variant_sku[0].variants.len(), 2);
    let by_id = client
        .list_products(&ProductQuery {
            ids: vec![created.id],
            ..ProductQuery::default()
        })
        .await
        .expect("id:in");
    assert_eq!(by_id[0].id, created.id);
    assert!(
        by_id[0].variants.is_empty(),
        "variants only with include=variants"
    );
    let none = client
        .list_products(&ProductQuery {
            sku: Some("NOPE".into()),
            ..ProductQuery::default()
        })
        .await
        .expect("sku");
    assert!(none.is_empty());
    drop(sandbox);
}

#[tokio::test]
async fn listing_with_options_pages_by_ten_and_returns_everything() {
    let (sandbox, client) = common::start().await;
    let styles: Vec<_> = (0..23)
        .map(|i| common::small_style(&format!("P{i:02}")))
        .collect();
    sandbox.handle().seed(&styles).expect("seed");
    sandbox.handle().clear_log();
    let all = client
        .list_products(&ProductQuery {
            include_options: true,
            include_variants: true,
            ..ProductQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(all.len(), 23);
    assert!(
        all.iter()
            .all(|p| p.variants.len() == 6 && p.options.len() == 2)
    );
    assert_eq!(
        sandbox.handle().exchanges().len(),
        3,
        "23 products at 10 per page"
    );
}

#[tokio::test]
async fn duplicate_sku_is_a_conflict_case_insensitively_across_products_and_variants() {
    let (_sandbox, client) = common::start().await;
    client.create_product(&tee("DUP")).await.expect("first");
    // Same as a variant SKU of another product, in another case.
    let clash = NewProduct {
        name: "Clash".into(),
        sku: Some("dup-navy-s".into()),
        weight: 1.0,
        price: Money(100),
        ..NewProduct::default()
    };
    match client.create_product(&clash).await {
        Err(Error::Conflict { fields, .. }) => assert!(fields.contains_key("sku")),
        other => panic!("expected 409 conflict, got {other:?}"),
    }
    // And a variant SKU equal to another product's SKU.
    let mut second = tee("OTHER");
    second.variants[0].sku = "Dup".into();
    assert!(matches!(
        client.create_product(&second).await,
        Err(Error::Conflict { .. })
    ));
}

#[tokio::test]
async fn product_without_required_fields_is_a_422_with_field_messages() {
    let (sandbox, _client) = common::start().await;
    let cfg = sandbox.client_config();
    let resp = reqwest::Client::new()
        .post(format!("{}/catalog/products", cfg.v3_root()))
        .header("X-Auth-Token", &cfg.access_token)
        .json(&serde_json::json!({"name": "No price", "type": "physical"}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 422);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["status"], 422);
    assert!(
        body["errors"]["price"].is_string() && body["errors"]["weight"].is_string(),
        "{body}"
    );
    assert!(body["title"].is_string() && body["type"].is_string());
    // The request broke the spec on purpose: keep it out of the conformance check.
    sandbox.handle().clear_log();
}

#[tokio::test]
async fn validation_error_reaches_the_caller_typed_with_fields() {
    let (sandbox, client) = common::start().await;
    let bad = NewProduct {
        name: String::new(),
        weight: 1.0,
        price: Money(100),
        ..NewProduct::default()
    };
    match client.create_product(&bad).await {
        Err(Error::Validation {
            status: 422,
            fields,
            ..
        }) => assert!(fields.contains_key("name")),
        other => panic!("expected 422, got {other:?}"),
    }
    // The empty name broke the spec on purpose: keep it out of the conformance check.
    sandbox.handle().clear_log();
}

#[tokio::test]
async fn product_batches_are_split_at_ten_so_no_413_is_hit() {
    let (sandbox, client) = common::start().await;
    let styles: Vec<_> = (0..25)
        .map(|i| common::small_style(&format!("B{i:02}")))
        .collect();
    let ids = sandbox.handle().seed(&styles).expect("seed");
    sandbox.handle().clear_log();
    let updates: Vec<_> = ids
        .iter()
        .map(|&id| ProductUpdate {
            id,
            price: Some(Money(3000)),
            ..ProductUpdate::default()
        })
        .collect();
    let report = client.update_products(&updates).await.expect("batch");
    assert_eq!(report.succeeded.len(), 25);
    assert!(report.failed.is_empty());
    assert!(report.succeeded.iter().all(|p| p.price == Money(3000)));
    let puts: Vec<_> = sandbox
        .handle()
        .exchanges()
        .into_iter()
        .filter(|e| e.method == "PUT")
        .collect();
    assert_eq!(puts.len(), 3);
    assert!(puts.iter().all(|e| {
        e.status == 200
            && e.request_body
                .as_ref()
                .and_then(|b| b.as_array())
                .is_some_and(|a| a.len() <= 10)
    }));
}

#[tokio::test]
async fn sandbox_refuses_eleven_products_and_fifty_one_variants_with_413() {
    let (sandbox, _client) = common::start().await;
    let cfg = sandbox.client_config();
    let http = reqwest::Client::new();
    for (path, n, ok) in [("/catalog/products", 11, 10), ("/catalog/variants", 51, 50)] {
        for (count, status) in [(n, 413), (ok, 422)] {
            let body: Vec<_> = (0..count)
                .map(|i| serde_json::json!({"id": 900_000 + i}))
                .collect();
            let r = http
                .put(format!("{}{path}", cfg.v3_root()))
                .header("X-Auth-Token", &cfg.access_token)
                .json(&body)
                .send()
                .await
                .expect("send");
            // At the cap the batch is accepted for processing (and fails only on unknown ids).
            assert_eq!(r.status().as_u16(), status, "{path} with {count}");
        }
    }
}

#[tokio::test]
async fn partial_product_batch_reports_which_ids_succeeded_and_why_others_failed() {
    let (sandbox, client) = common::start().await;
    let ids = sandbox
        .handle()
        .seed(&[common::small_style("PA"), common::small_style("PB")])
        .expect("seed");
    let updates = vec![
        ProductUpdate {
            id: ids[0],
            name: Some("Renamed".into()),
            ..ProductUpdate::default()
        },
        ProductUpdate {
            id: ids[1],
            sku: Some("pa-navy-s".into()),
            ..ProductUpdate::default()
        },
        ProductUpdate {
            id: 777_777,
            name: Some("Ghost".into()),
            ..ProductUpdate::default()
        },
    ];
    let report = client.update_products(&updates).await.expect("207");
    assert_eq!(
        report.succeeded.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![ids[0]]
    );
    assert_eq!(report.succeeded[0].name, "Renamed");
    let mut failed: Vec<_> = report
        .failed
        .iter()
        .map(|f| (f.id, f.reason.clone()))
        .collect();
    failed.sort();
    assert_eq!(failed.len(), 2);
    assert!(failed[0].1.contains("already in use"), "{failed:?}");
    assert!(failed[1].1.contains("not found"), "{failed:?}");
    assert!(sandbox.handle().exchanges().iter().any(|e| e.status == 207));
}

#[tokio::test]
async fn variant_batches_are_split_at_fifty_and_a_bad_batch_fails_its_items_only() {
    let (sandbox, client) = common::start().await;
    let styles: Vec<_> = (0..20)
        .map(|i| common::small_style(&format!("V{i:02}")))
        .collect();
    sandbox.handle().seed(&styles).expect("seed");
    let products = client
        .list_products(&ProductQuery {
            include_variants: true,
            ..ProductQuery::default()
        })
        .await
        .expect("list");
    let mut updates: Vec<_> = products
        .iter()
        .flat_map(|p| &p.variants)
        .map(|v| VariantUpdate {
            id: v.id,
            price: Some(Money(1999)),
            purchasing_disabled: Some(true),
            ..VariantUpdate::default()
        })
        .collect();
    assert_eq!(updates.len(), 120);
    updates.push(VariantUpdate {
        id: 888_888,
        ..VariantUpdate::default()
    });
    sandbox.handle().clear_log();
    let report = client.update_variants(&updates).await.expect("batches");
    // 121 items -> 50 + 50 + 21; the last batch holds the unknown id and is refused whole.
    assert_eq!(sandbox.handle().exchanges().len(), 3);
    assert_eq!(report.succeeded.len(), 100);
    assert_eq!(report.failed.len(), 21);
    assert!(report.failed.iter().all(|f| f.status == 422));
    let unknown = report
        .failed
        .iter()
        .find(|f| f.id == 888_888)
        .expect("named");
    assert!(unknown.reason.contains("not found"), "{unknown:?}");
    assert!(
        report
            .succeeded
            .iter()
            .all(|v| v.price == Some(Money(1999)) && v.purchasing_disabled)
    );
}

#[tokio::test]
async fn option_then_variant_can_be_added_to_an_existing_product() {
    let (_sandbox, client) = common::start().await;
    let p = client
        .create_product(&NewProduct {
            name: "Scarf".into(),
            sku: Some("SCF".into()),
            weight: 0.2,
            price: Money(3500),
            ..NewProduct::default()
        })
        .await
        .expect("product");
    let option = client
        .create_option(
            p.id,
            &NewOption {
                display_name: "Colour".into(),
                option_type: OptionType::Swatch,
                sort_order: None,
                option_values: vec![OptionValue {
                    label: "Red".into(),
                    value_data: Some(serde_json::json!({"colors": ["#ff0000"]})),
                    ..OptionValue::default()
                }],
            },
        )
        .await
        .expect("option");
    let red = option.option_values[0].id.expect("id");
    let v = client
        .create_variant(
            p.id,
            &NewVariant {
                sku: "SCF-RED".into(),
                price: Some(Money(3600)),
                option_values: vec![VariantOptionValue::ids(option.id, red)],
                ..NewVariant::default()
            },
        )
        .await
        .expect("variant");
    assert_eq!(v.product_id, p.id);
    assert_eq!(v.option_values[0].label.as_deref(), Some("Red"));
    assert_eq!(v.calculated_price, Some(Money(3600)));
    let dup = client
        .create_variant(
            p.id,
            &NewVariant {
                sku: "scf-red".into(),
                option_values: vec![VariantOptionValue::ids(option.id, red)],
                ..NewVariant::default()
            },
        )
        .await;
    assert!(matches!(dup, Err(Error::Conflict { .. })));
    let missing = client
        .create_variant(
            424_242,
            &NewVariant {
                sku: "X".into(),
                option_values: vec![VariantOptionValue::ids(1, 1)],
                ..NewVariant::default()
            },
        )
        .await;
    assert!(matches!(missing, Err(Error::NotFound { .. })));
}

#[tokio::test]
async fn apparel_seed_has_size_and_colour_variants_for_the_demo() {
    let (sandbox, client) = common::start().await;
    let ids = sandbox
        .handle()
        .seed(&selvedge_bigcommerce::sandbox::apparel_catalog())
        .expect("seed");
    assert_eq!(ids.len(), 5);
    let products = client
        .list_products(&ProductQuery {
            include_variants: true,
            include_options: true,
            ..ProductQuery::default()
        })
        .await
        .expect("list");
    let tee = products.iter().find(|p| p.sku == "TEE100").expect("tee");
    assert_eq!(tee.variants.len(), 15);
    assert!(tee.variants.iter().any(|v| v.sku == "TEE100-NAVY-XL"));
    assert_eq!(tee.inventory_level, 15 * 40);
    assert_eq!(tee.custom_fields[0].value, "SS26");
}

#[tokio::test]
async fn long_sku_lists_are_split_and_products_found_twice_are_kept_once() {
    let (sandbox, client) = common::start().await;
    let styles: Vec<_> = (0..30)
        .map(|i| common::small_style(&format!("L{i:02}")))
        .collect();
    sandbox.handle().seed(&styles).expect("seed");
    // 180 variant SKUs of 30 products: four `sku:in` chunks, most products in two of them.
    let skus: Vec<String> = styles
        .iter()
        .flat_map(|s| {
            s.colours
                .iter()
                .flat_map(move |c| s.sizes.iter().map(move |z| s.variant_sku(c, z)))
        })
        .collect();
    sandbox.handle().clear_log();
    let found = client
        .list_products(&ProductQuery {
            skus,
            ..ProductQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(found.len(), 30);
    assert_eq!(sandbox.handle().exchanges().len(), 4);
}
