//! OpenAPI conformance: everything the client sends and the sandbox answers is checked
//! against BigCommerce's own OpenAPI documents (`shared/specs/bigcommerce`).

mod common;

use std::collections::BTreeSet;

use common::receiver::Receiver;
use selvedge_bigcommerce::BigCommerceClient;
use selvedge_bigcommerce::model::*;
use selvedge_bigcommerce::sandbox::{Exchange, SandboxHandle};
use serde_json::json;

/// Every operation the sync flows use, as (method, spec template).
const OPERATIONS: &[(&str, &str)] = &[
    ("GET", "/catalog/products"),
    ("POST", "/catalog/products"),
    ("PUT", "/catalog/products"),
    ("POST", "/catalog/products/{product_id}/options"),
    ("POST", "/catalog/products/{product_id}/variants"),
    ("PUT", "/catalog/variants"),
    ("PUT", "/inventory/adjustments/absolute"),
    ("GET", "/inventory/items"),
    ("GET", "/inventory/locations"),
    ("POST", "/inventory/locations"),
    ("GET", "/orders"),
    ("GET", "/orders/{order_id}"),
    ("PUT", "/orders/{order_id}"),
    ("GET", "/orders/{order_id}/products"),
    ("GET", "/orders/{order_id}/shipping_addresses"),
    ("POST", "/orders/{order_id}/shipments"),
    ("GET", "/orders/{order_id}/shipments"),
    ("GET", "/orders/payment_actions/refunds"),
    ("GET", "/orders/payment_actions/refunds/{refund_id}"),
    ("POST", "/orders/{order_id}/payment_actions/refunds"),
    ("POST", "/hooks"),
    ("GET", "/hooks"),
];

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
async fn drive(client: &BigCommerceClient, h: &SandboxHandle, hook_url: &str) {
    let mut headers = std::collections::BTreeMap::new();
    headers.insert("X-Selvedge-Secret".to_owned(), "s3cret".to_owned());
    for scope in ["store/order/*", "store/shipment/created"] {
        let hook = NewWebhook {
            scope: scope.into(),
            destination: hook_url.into(),
            is_active: true,
            headers: Some(headers.clone()),
        };
        client.create_webhook(&hook).await.expect("hook");
    }
    client.list_webhooks().await.expect("hooks");
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

    let order_id = h
        .create_order(&common::checkout(&[("CT1-NAVY-M", 2), ("CT1-NAVY-L", 1)]))
        .expect("order");
    client
        .list_orders(&OrderQuery {
            min_date_modified: Some("Thu, 01 Jan 2026 00:00:00 +0000".into()),
            ..OrderQuery::default()
        })
        .await
        .expect("orders");
    client
        .list_orders(&OrderQuery {
            status_id: Some(11),
            min_id: Some(1),
            ..OrderQuery::default()
        })
        .await
        .expect("orders");
    client.get_order(order_id).await.expect("order");
    let lines = client.order_products(order_id).await.expect("lines");
    let addresses = client
        .order_shipping_addresses(order_id)
        .await
        .expect("addresses");
    client
        .list_shipments(order_id)
        .await
        .expect("no shipments: 204");
    client
        .update_order_status(order_id, 9)
        .await
        .expect("status");
    let shipment = NewShipment {
        order_address_id: addresses[0].id,
        tracking_number: "1Z999".into(),
        shipping_provider: Some("ups".into()),
        tracking_carrier: Some("ups".into()),
        comments: Some("first parcel".into()),
        items: vec![ShipmentItem {
            order_product_id: lines[0].id,
            product_id: None,
            quantity: 1,
        }],
        ..NewShipment::default()
    };
    client
        .create_shipment(order_id, &shipment)
        .await
        .expect("shipment");
    client.list_shipments(order_id).await.expect("shipments");
    let line = &lines[1];
    let refund = NewRefund {
        items: vec![
            NewRefundItem::product(line.id, 1),
            NewRefundItem::shipping(addresses[0].id, Money(250)),
        ],
        payments: vec![NewRefundPayment {
            provider_id: "storecredit".into(),
            amount: Money(line.price_inc_tax.cents() + 250),
            offline: true,
        }],
    };
    let refund = client
        .create_refund(order_id, &refund)
        .await
        .expect("refund");
    client.get_refund(refund.id).await.expect("refund");
    client
        .list_refunds(&RefundQuery {
            order_ids: vec![order_id],
            created_min: Some("2026-01-01T00:00:00Z".into()),
        })
        .await
        .expect("refunds");

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

/// Places where BigCommerce's spec contradicts its own endpoint description. Each entry:
/// (operation, substring of the violation, why it is tolerated). Anything else fails.
const KNOWN_SPEC_DEFECTS: &[(&str, &str, &str)] = &[(
    "POST /v3/catalog/products ",
    "is a required property at `/variants/",
    "`variants[]` reuses productVariant_Full, which requires `id` and `product_id`; neither exists \
     before the create, and the operation's description says variants are created from this array",
)];

fn is_known_defect(problem: &str) -> bool {
    KNOWN_SPEC_DEFECTS
        .iter()
        .any(|(op, needle, _)| problem.starts_with(op) && problem.contains(needle))
}

fn covered(exchanges: &[Exchange], specs: &common::spec::Specs) -> BTreeSet<(String, String)> {
    exchanges
        .iter()
        .filter_map(|e| {
            specs
                .operation(&e.api, &e.method, &e.path)
                .map(|op| (e.method.clone(), op.template))
        })
        .collect()
}

#[tokio::test]
async fn client_requests_sandbox_responses_and_webhooks_match_the_openapi_specs() {
    let Some(specs) = common::spec::load_or_skip() else {
        return;
    };
    let (sandbox, client) = common::start().await;
    let h = sandbox.handle();
    let receiver = Receiver::start(&[]).await;
    drive(&client, &h, &receiver.url()).await;

    let exchanges = h.exchanges();
    let problems: Vec<String> = exchanges
        .iter()
        .flat_map(|e| specs.check_exchange(e))
        .filter(|p| !is_known_defect(p))
        .collect();
    assert!(
        problems.is_empty(),
        "{} spec violations:\n{}",
        problems.len(),
        problems.join("\n")
    );

    let seen = covered(&exchanges, &specs);
    for (method, template) in OPERATIONS {
        assert!(
            seen.contains(&((*method).to_owned(), (*template).to_owned())),
            "{method} {template} was not exercised"
        );
    }
    let statuses: BTreeSet<u16> = exchanges.iter().map(|e| e.status).collect();
    for s in [200, 201, 204, 207, 404, 409, 413, 422] {
        assert!(
            statuses.contains(&s),
            "no exchange answered {s}: {statuses:?}"
        );
    }

    // Webhooks: order created, status updated (twice), shipment, refund.
    let deliveries = receiver.wait_for(6).await;
    let mut scopes = BTreeSet::new();
    for d in &deliveries {
        assert_eq!(
            d.headers
                .get("x-selvedge-secret")
                .and_then(|v| v.to_str().ok()),
            Some("s3cret")
        );
        if let Some(problems) = specs.check_webhook(&d.body) {
            assert!(problems.is_empty(), "{problems:?}");
            scopes.insert(d.body["scope"].as_str().unwrap_or_default().to_owned());
        }
    }
    for scope in [
        "store/order/created",
        "store/order/statusUpdated",
        "store/shipment/created",
        "store/order/refund/created",
        "store/order/updated",
    ] {
        assert!(
            scopes.contains(scope),
            "no checked delivery for {scope}: {scopes:?}"
        );
    }
}

fn exchange(method: &str, api: &str, path: &str, status: u16, body: serde_json::Value) -> Exchange {
    Exchange {
        method: method.into(),
        api: api.into(),
        path: path.into(),
        route: String::new(),
        query: Vec::new(),
        request_body: None,
        status,
        content_type: Some("application/json".into()),
        response_body: Some(body),
    }
}

#[test]
fn checker_accepts_a_conforming_exchange_and_rejects_a_price_sent_as_string() {
    let Some(specs) = common::spec::load_or_skip() else {
        return;
    };
    let good = exchange(
        "GET",
        "v3",
        "/catalog/products",
        200,
        json!({"data": [{"id": 1, "name": "Tee", "type": "physical", "price": 25.63}], "meta": {}}),
    );
    assert_eq!(specs.check_exchange(&good), Vec::<String>::new());
    let bad = exchange(
        "GET",
        "v3",
        "/catalog/products",
        200,
        json!({"data": [{"id": 1, "name": "Tee", "type": "physical", "price": "25.63"}], "meta": {}}),
    );
    let problems = specs.check_exchange(&bad);
    assert!(problems.iter().any(|p| p.contains("price")), "{problems:?}");
}

#[test]
fn checker_rejects_an_undeclared_query_parameter_and_a_non_integer_id_filter() {
    let Some(specs) = common::spec::load_or_skip() else {
        return;
    };
    let mut ex = exchange(
        "GET",
        "v3",
        "/catalog/products",
        200,
        json!({"data": [], "meta": {}}),
    );
    ex.query = vec![
        ("colour".into(), "red".into()),
        ("id:in".into(), "1,x".into()),
    ];
    let problems = specs.check_exchange(&ex);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`colour` is not declared")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("`x` is not a integer")),
        "{problems:?}"
    );
}

#[test]
fn checker_rejects_a_request_body_missing_required_fields_and_an_undeclared_status() {
    let Some(specs) = common::spec::load_or_skip() else {
        return;
    };
    let mut ex = exchange(
        "POST",
        "v3",
        "/catalog/products",
        200,
        json!({"data": {"id": 1, "name": "x"}, "meta": {}}),
    );
    ex.request_body = Some(json!({"name": "x"}));
    let problems = specs.check_exchange(&ex);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("request body") && p.contains("price")),
        "{problems:?}"
    );
    let ex = exchange("GET", "v3", "/inventory/items", 418, json!({}));
    assert!(
        specs
            .check_exchange(&ex)
            .iter()
            .any(|p| p.contains("418 is not declared"))
    );
}

#[test]
fn checker_rejects_v2_money_as_number_and_v2_error_shape_on_v2_order() {
    let Some(specs) = common::spec::load_or_skip() else {
        return;
    };
    let ok = exchange(
        "GET",
        "v2",
        "/orders/5",
        200,
        json!({"id": 5, "total_inc_tax": "25.6300", "billing_address": {"zip": "1"}}),
    );
    assert_eq!(specs.check_exchange(&ok), Vec::<String>::new());
    let bad = exchange(
        "GET",
        "v2",
        "/orders/5",
        200,
        json!({"id": 5, "total_inc_tax": 25.63, "billing_address": {"zip": "1"}}),
    );
    assert!(!specs.check_exchange(&bad).is_empty());
}

#[test]
fn checker_rejects_a_webhook_payload_with_a_wrong_type_or_missing_field() {
    let Some(specs) = common::spec::load_or_skip() else {
        return;
    };
    let good = json!({"scope": "store/order/refund/created", "store_id": "1001", "hash": "ab", "created_at": 1, "producer": "stores/x",
        "data": {"type": "order", "id": 7, "refund": {"refund_id": 3}}});
    assert_eq!(specs.check_webhook(&good), Some(vec![]));
    let mut bad = good.clone();
    bad["data"]["refund"]["refund_id"] = json!("three");
    assert!(!specs.check_webhook(&bad).unwrap_or_default().is_empty());
    let mut missing = good;
    missing.as_object_mut().map(|o| o.remove("hash"));
    assert!(!specs.check_webhook(&missing).unwrap_or_default().is_empty());
}
