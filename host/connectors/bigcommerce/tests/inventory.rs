//! Inventory behaviours: request caps, grouping by location, asynchronous visibility, locations.

mod common;

use std::time::Duration;

use selvedge_bigcommerce::Error;
use selvedge_bigcommerce::model::*;

fn location(code: &str) -> NewLocation {
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

#[tokio::test]
async fn adjustments_are_grouped_by_location_and_sent_in_requests_of_at_most_2000() {
    let (sandbox, client) = common::start().await;
    let h = sandbox.handle();
    // 400 styles x 6 variants = 2,400 SKUs.
    let styles: Vec<_> = (0..400)
        .map(|i| common::small_style(&format!("S{i:03}")))
        .collect();
    h.seed(&styles).expect("seed");
    let wh = client
        .create_location(&location("WH2"))
        .await
        .expect("location");
    let skus: Vec<String> = styles
        .iter()
        .flat_map(|s| {
            s.colours
                .iter()
                .flat_map(move |c| s.sizes.iter().map(move |z| s.variant_sku(c, z)))
        })
        .collect();
    let mut items: Vec<AbsoluteAdjustment> = Vec::new();
    for (i, sku) in skus.iter().enumerate() {
        // Interleave locations so grouping has work to do.
        items.push(AbsoluteAdjustment {
            location_id: 1,
            item: ItemRef::Sku(sku.clone()),
            quantity: (i % 7) as i64,
        });
        if i % 2 == 0 {
            items.push(AbsoluteAdjustment {
                location_id: wh.id,
                item: ItemRef::Sku(sku.clone()),
                quantity: 5,
            });
        }
    }
    assert_eq!(items.len(), 3_600);
    h.clear_log();
    let txs = client
        .set_inventory_absolute(Some("ERP sync"), &items)
        .await
        .expect("adjust");
    assert_eq!(txs.len(), 3, "2,400 at location 1 -> 2; 1,200 at WH2 -> 1");
    let puts = h.exchanges();
    for ex in &puts {
        let body = ex.request_body.as_ref().expect("body");
        let lines = body["items"].as_array().expect("items");
        assert!(lines.len() <= 2_000);
        let first = &lines[0]["location_id"];
        assert!(
            lines.iter().all(|l| &l["location_id"] == first),
            "one location per request"
        );
        assert_eq!(ex.status, 200);
    }
    let read = client
        .inventory_items(&InventoryQuery {
            skus: vec![skus[8].clone()],
            ..InventoryQuery::default()
        })
        .await
        .expect("items");
    let at = |loc: i64| {
        read[0]
            .locations
            .iter()
            .find(|l| l.location_id == loc)
            .map(|l| l.total_inventory_onhand)
    };
    assert_eq!(at(1), Some(1));
    assert_eq!(at(wh.id), Some(5));
}

#[tokio::test]
async fn sandbox_refuses_more_than_2000_items_in_one_adjustment() {
    let (sandbox, _client) = common::start().await;
    let cfg = sandbox.client_config();
    let items: Vec<_> = (0..2_001)
        .map(|i| serde_json::json!({"location_id": 1, "sku": format!("X{i}"), "quantity": 1}))
        .collect();
    let r = reqwest::Client::new()
        .put(format!("{}/inventory/adjustments/absolute", cfg.v3_root()))
        .header("X-Auth-Token", &cfg.access_token)
        .json(&serde_json::json!({"reason": "too many", "items": items}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
}

#[tokio::test]
async fn adjustment_becomes_visible_only_after_the_configured_lag() {
    let (sandbox, client) = common::start().await;
    let h = sandbox.handle();
    h.seed(&[common::small_style("LAG")]).expect("seed");
    h.set_inventory_lag(600);
    let sku = "LAG-NAVY-M".to_owned();
    client
        .set_inventory_absolute(
            None,
            &[AbsoluteAdjustment {
                location_id: 1,
                item: ItemRef::Sku(sku.clone()),
                quantity: 99,
            }],
        )
        .await
        .expect("adjust");
    let q = InventoryQuery {
        skus: vec![sku.clone()],
        location_ids: vec![1],
        ..InventoryQuery::default()
    };
    let before = client.inventory_items(&q).await.expect("read");
    assert_eq!(
        before[0].locations[0].available_to_sell, 10,
        "old value right after the write"
    );
    tokio::time::sleep(Duration::from_millis(650)).await;
    let after = client.inventory_items(&q).await.expect("read");
    assert_eq!(after[0].locations[0].available_to_sell, 99);
    // The catalog shows the default location only.
    let products = client
        .list_products(&ProductQuery {
            skus: vec![sku],
            include_variants: true,
            ..ProductQuery::default()
        })
        .await
        .expect("list");
    let v = products[0]
        .variants
        .iter()
        .find(|v| v.sku == "LAG-NAVY-M")
        .expect("variant");
    assert_eq!(v.inventory_level, Some(99));
}

#[tokio::test]
async fn adjustment_for_unknown_location_or_sku_is_refused_whole() {
    let (sandbox, client) = common::start().await;
    sandbox
        .handle()
        .seed(&[common::small_style("UNK")])
        .expect("seed");
    let bad_location = [AbsoluteAdjustment {
        location_id: 99,
        item: ItemRef::Sku("UNK-NAVY-S".into()),
        quantity: 1,
    }];
    match client.set_inventory_absolute(None, &bad_location).await {
        Err(Error::Validation {
            status: 422,
            fields,
            ..
        }) => assert!(fields.keys().any(|k| k.contains("location_id"))),
        other => panic!("expected 422, got {other:?}"),
    }
    let items = [
        AbsoluteAdjustment {
            location_id: 1,
            item: ItemRef::Sku("UNK-NAVY-S".into()),
            quantity: 3,
        },
        AbsoluteAdjustment {
            location_id: 1,
            item: ItemRef::Sku("NOPE".into()),
            quantity: 3,
        },
    ];
    assert!(client.set_inventory_absolute(None, &items).await.is_err());
    let read = client
        .inventory_items(&InventoryQuery {
            skus: vec!["UNK-NAVY-S".into()],
            ..InventoryQuery::default()
        })
        .await
        .expect("read");
    assert_eq!(
        read[0].locations[0].total_inventory_onhand, 10,
        "nothing applied"
    );
}

#[tokio::test]
async fn locations_can_be_created_and_listed_and_codes_are_unique() {
    let (_sandbox, client) = common::start().await;
    let wh = client
        .create_location(&location("ERP-01"))
        .await
        .expect("create");
    assert!(wh.id > 1 && wh.managed_by_external_source);
    let all = client.list_locations().await.expect("list");
    assert_eq!(all.iter().map(|l| l.id).collect::<Vec<_>>(), vec![1, wh.id]);
    assert!(matches!(
        client.create_location(&location("ERP-01")).await,
        Err(Error::Validation { .. })
    ));
}

#[tokio::test]
async fn a_created_location_keeps_its_address_and_the_documented_filters_apply() {
    let (sandbox, client) = common::start().await;
    let sent = location("ERP-02");
    let wh = client.create_location(&sent).await.expect("create");
    // The address and time zone are stored, not dropped.
    assert_eq!(wh.address.as_ref(), Some(&sent.address));
    assert_eq!(wh.time_zone.as_deref(), Some(sent.time_zone.as_str()));
    for (query, expected) in [
        ("managed_by_external_source=true", vec![wh.id]),
        ("is_default=true", vec![1]),
        ("is_default=false", vec![wh.id]),
        ("type_id:in=PHYSICAL", vec![1, wh.id]),
        ("type_id:in=VIRTUAL", vec![]),
    ] {
        let path = format!("/inventory/locations?{query}");
        let (status, body) = common::raw(&sandbox, reqwest::Method::GET, "v3", &path, None).await;
        assert_eq!(status, 200, "{query}");
        let ids: Vec<i64> = body["data"]
            .as_array()
            .map(|a| a.iter().filter_map(|l| l["id"].as_i64()).collect())
            .unwrap_or_default();
        assert_eq!(ids, expected, "{query}");
    }
}

#[tokio::test]
async fn inventory_items_page_through_more_than_one_thousand() {
    let (sandbox, client) = common::start().await;
    let styles: Vec<_> = (0..200)
        .map(|i| common::small_style(&format!("I{i:03}")))
        .collect();
    sandbox.handle().seed(&styles).expect("seed");
    sandbox.handle().clear_log();
    let items = client
        .inventory_items(&InventoryQuery::default())
        .await
        .expect("items");
    assert_eq!(items.len(), 1_200);
    assert_eq!(sandbox.handle().exchanges().len(), 2);
}
