//! Drives the client through every operation it has, happy paths first, then the documented
//! error answers, so the sandbox records one exchange of each kind (orders in `drive_orders`).

use selvedge_bigcommerce::BigCommerceClient;
use selvedge_bigcommerce::model::*;
use selvedge_bigcommerce::sandbox::SandboxHandle;
use serde_json::json;

fn new_location(code: &str) -> NewLocation {
    NewLocation {
        code: code.into(),
        label: format!("Warehouse {code}"),
        enabled: true,
        type_id: LocationType::Physical,
        managed_by_external_source: true,
        time_zone: "Europe/London".into(),
        address: LocationAddress {
            address1: "2 Mill Lane".into(),
            city: "Leeds".into(),
            state: "West Yorkshire".into(),
            zip: "LS1 1AA".into(),
            email: "wh@example.com".into(),
            geo_coordinates: GeoCoordinates {
                latitude: 53.8,
                longitude: -1.55,
            },
            country_code: "GBR".into(),
        },
    }
}

/// Drives the client through every operation, happy paths first, then documented errors.
pub async fn drive(client: &BigCommerceClient, h: &SandboxHandle, hook_url: &str) {
    let mut headers = std::collections::BTreeMap::new();
    headers.insert("X-Selvedge-Secret".to_owned(), "s3cret".to_owned());
    for scope in [
        "store/order/*",
        "store/shipment/created",
        "store/sku/*",
        "store/product/updated",
    ] {
        let hook = NewWebhook {
            scope: scope.into(),
            destination: hook_url.into(),
            is_active: true,
            headers: Some(headers.clone()),
        };
        client.create_webhook(&hook).await.expect("hook");
    }
    let hooks = client.list_webhooks().await.expect("hooks");
    let update = WebhookUpdate {
        is_active: Some(true),
        ..WebhookUpdate::default()
    };
    client
        .update_webhook(hooks[0].id, &update)
        .await
        .expect("hook update");
    let wh = client
        .create_location(&new_location("WH2"))
        .await
        .expect("location");
    client.list_locations().await.expect("locations");

    let tee = NewProduct {
        name: "Conformance Tee".into(),
        product_type: ProductType::Physical,
        sku: Some("CT1".into()),
        weight: 0.3,
        price: Money(2563),
        sale_price: Some(Money(1999)),
        inventory_tracking: Some(InventoryTracking::Variant),
        is_visible: Some(true),
        availability: Some(Availability::Available),
        custom_fields: vec![CustomField {
            id: None,
            name: "season".into(),
            value: "SS26".into(),
        }],
        variants: vec![
            NewVariant {
                sku: "CT1-NAVY-M".into(),
                option_values: vec![
                    VariantOptionValue::named("Colour", "Navy"),
                    VariantOptionValue::named("Size", "M"),
                ],
                ..NewVariant::default()
            },
            NewVariant {
                sku: "CT1-NAVY-L".into(),
                price: Some(Money(2800)),
                option_values: vec![
                    VariantOptionValue::named("Colour", "Navy"),
                    VariantOptionValue::named("Size", "L"),
                ],
                ..NewVariant::default()
            },
        ],
        ..NewProduct::default()
    };
    let tee = client.create_product(&tee).await.expect("product");
    let simple = NewProduct {
        name: "Conformance Cap".into(),
        sku: Some("CC1".into()),
        weight: 0.1,
        price: Money(1500),
        ..NewProduct::default()
    };
    let cap = client
        .create_product(&simple)
        .await
        .expect("simple product");
    let sock = NewProduct {
        name: "Conformance Sock".into(),
        sku: Some("CS1".into()),
        weight: 0.1,
        price: Money(500),
        ..NewProduct::default()
    };
    let sock = client.create_product(&sock).await.expect("simple product");
    let option = NewOption {
        display_name: "Size".into(),
        option_type: OptionType::Rectangles,
        sort_order: Some(0),
        option_values: vec![OptionValue {
            label: "One size".into(),
            sort_order: 0,
            ..OptionValue::default()
        }],
    };
    let option = client.create_option(cap.id, &option).await.expect("option");
    let value_id = option.option_values[0].id.expect("value id");
    let variant = NewVariant {
        sku: "CC1-OS".into(),
        option_values: vec![VariantOptionValue::ids(option.id, value_id)],
        ..NewVariant::default()
    };
    let variant = client
        .create_variant(cap.id, &variant)
        .await
        .expect("variant");
    let shown = client
        .get_product(tee.id, true, true)
        .await
        .expect("one product");
    assert_eq!(shown.variants.len(), 2);
    let own = client
        .product_variants(tee.id)
        .await
        .expect("product variants");
    assert_eq!(own.len(), 2);
    let by_product = client
        .list_variants(&VariantQuery {
            product_ids: vec![tee.id, cap.id],
            ..VariantQuery::default()
        })
        .await
        .expect("variants");
    assert!(by_product.len() >= 3, "{by_product:?}");
    client
        .list_products(&ProductQuery {
            sku: Some("CT1".into()),
            ..ProductQuery::default()
        })
        .await
        .expect("by sku");
    client
        .list_products(&ProductQuery {
            skus: vec!["CT1".into(), "CC1".into()],
            include_variants: true,
            include_options: true,
            ..ProductQuery::default()
        })
        .await
        .expect("by skus");
    client
        .list_products(&ProductQuery {
            ids: vec![tee.id, cap.id],
            include_variants: true,
            ..ProductQuery::default()
        })
        .await
        .expect("by ids");
    let update = ProductUpdate {
        id: tee.id,
        price: Some(Money(2700)),
        is_visible: Some(false),
        ..ProductUpdate::default()
    };
    client.update_products(&[update]).await.expect("batch");
    let vu = VariantUpdate {
        id: variant.id,
        price: Some(Money(1600)),
        purchasing_disabled: Some(false),
        ..VariantUpdate::default()
    };
    client.update_variants(&[vu]).await.expect("variant batch");
    let items = vec![
        AbsoluteAdjustment {
            location_id: 1,
            item: ItemRef::Sku("CT1-NAVY-M".into()),
            quantity: 12,
        },
        AbsoluteAdjustment {
            location_id: wh.id,
            item: ItemRef::VariantId(variant.id),
            quantity: 3,
        },
        AbsoluteAdjustment {
            location_id: 1,
            item: ItemRef::ProductId(sock.id),
            quantity: 0,
        },
    ];
    client
        .set_inventory_absolute(Some("ERP sync"), &items)
        .await
        .expect("adjust");
    client
        .inventory_items(&InventoryQuery {
            skus: vec!["CT1-NAVY-M".into()],
            location_ids: vec![1, wh.id],
            ..InventoryQuery::default()
        })
        .await
        .expect("items");
    client
        .inventory_items(&InventoryQuery {
            variant_ids: vec![variant.id],
            ..InventoryQuery::default()
        })
        .await
        .expect("items");

    let (order_id, line) = crate::drive_orders::orders(client, h, tee.id, &own).await;

    // Documented errors, through the client.
    let dup = NewProduct {
        name: "Dup".into(),
        sku: Some("ct1-navy-m".into()),
        weight: 1.0,
        price: Money(100),
        ..NewProduct::default()
    };
    assert!(matches!(
        client.create_product(&dup).await,
        Err(selvedge_bigcommerce::Error::Conflict { .. })
    ));
    let partial = [
        ProductUpdate {
            id: tee.id,
            name: Some("Tee v2".into()),
            ..ProductUpdate::default()
        },
        ProductUpdate {
            id: 999_999,
            name: Some("ghost".into()),
            ..ProductUpdate::default()
        },
    ];
    let report = client.update_products(&partial).await.expect("207");
    assert_eq!(report.failed.len(), 1);
    let bad_variant = [VariantUpdate {
        id: 999_999,
        price: Some(Money(1)),
        ..VariantUpdate::default()
    }];
    assert_eq!(
        client
            .update_variants(&bad_variant)
            .await
            .expect("422 per item")
            .failed
            .len(),
        1
    );
    let bad_stock = [AbsoluteAdjustment {
        location_id: 77,
        item: ItemRef::Sku("CT1-NAVY-M".into()),
        quantity: 1,
    }];
    assert!(
        client
            .set_inventory_absolute(None, &bad_stock)
            .await
            .is_err()
    );
    assert!(matches!(
        client.get_order(424_242).await,
        Err(selvedge_bigcommerce::Error::NotFound { .. })
    ));
    let too_much = NewRefund {
        items: vec![NewRefundItem::product(line.id, 99)],
        payments: vec![NewRefundPayment {
            provider_id: "storecredit".into(),
            amount: Money(1),
            offline: true,
        }],
    };
    assert!(matches!(
        client.create_refund(order_id, &too_much).await,
        Err(selvedge_bigcommerce::Error::Validation { .. })
    ));
    // Batch caps, sent raw since the client never exceeds them.
    let http = reqwest::Client::new();
    let cfg = client.config();
    for (path, n) in [("/catalog/products", 11), ("/catalog/variants", 51)] {
        let body: Vec<_> = (0..n).map(|i| json!({"id": tee.id + i})).collect();
        let r = http
            .put(format!("{}{path}", cfg.v3_root()))
            .header("X-Auth-Token", &cfg.access_token)
            .json(&body)
            .send()
            .await
            .expect("raw");
        assert_eq!(r.status().as_u16(), 413);
    }
}
