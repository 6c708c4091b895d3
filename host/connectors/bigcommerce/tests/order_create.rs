//! `POST /v2/orders`: catalog and custom lines priced, stock taken, shipping address kept,
//! `store/order/created` fired; fields the sandbox does not model refused by name.

mod common;

use common::receiver::Receiver;
use reqwest::Method;
use selvedge_bigcommerce::Error;
use selvedge_bigcommerce::model::*;
use serde_json::json;

#[tokio::test]
async fn an_order_created_over_the_api_is_priced_takes_stock_and_fires_created() {
    let (sandbox, client) = common::start().await;
    let h = sandbox.handle();
    let rx = Receiver::start(&[]).await;
    client
        .create_webhook(&NewWebhook {
            scope: "store/order/created".into(),
            destination: rx.url(),
            is_active: true,
            headers: None,
        })
        .await
        .expect("hook");
    let product_ids = h.seed(&[common::small_style("AP")]).expect("seed");
    let product = client
        .get_product(product_ids[0], true, true)
        .await
        .expect("product");
    let navy_l = product
        .variants
        .iter()
        .find(|v| v.sku == "AP-NAVY-L")
        .expect("variant");
    // The same variant named by its option values rather than its id.
    let options: Vec<NewOrderProductOption> = navy_l
        .option_values
        .iter()
        .map(|ov| NewOrderProductOption {
            id: ov.option_id.unwrap_or_default(),
            value: ov.id.unwrap_or_default().to_string(),
        })
        .collect();
    let mut shipping = common::address();
    shipping.street_1 = "9 Dock Road".into();
    let new = NewOrder {
        customer_id: Some(42),
        billing_address: common::address(),
        shipping_addresses: vec![NewOrderAddress {
            address: shipping,
            shipping_method: Some("DPD Next Day".into()),
        }],
        products: vec![
            NewOrderProduct {
                product_id: Some(product.id),
                variant_id: Some(navy_l.id),
                quantity: 2,
                ..NewOrderProduct::default()
            },
            NewOrderProduct {
                product_id: Some(product.id),
                product_options: options,
                quantity: 1,
                price_inc_tax: Some(Money(2000)),
                price_ex_tax: Some(Money(1800)),
                ..NewOrderProduct::default()
            },
        ],
        shipping_cost_inc_tax: Some(Money(500)),
        external_id: Some("ERP-77".into()),
        ..NewOrder::default()
    };
    let order = client.create_order(&new).await.expect("created");
    assert_eq!(order.status_id, OrderStatus::Pending.id());
    assert_eq!(order.external_id.as_deref(), Some("ERP-77"));
    assert_eq!(order.total_inc_tax, Money(2 * 2500 + 2000 + 500));
    assert_eq!(order.total_ex_tax, Money(2 * 2500 + 1800 + 500));
    let lines = client.order_products(order.id).await.expect("lines");
    assert!(lines.iter().all(|l| l.variant_id == navy_l.id));
    let addresses = client
        .order_shipping_addresses(order.id)
        .await
        .expect("addresses");
    assert_eq!(addresses[0].street_1, "9 Dock Road");
    assert_eq!(addresses[0].shipping_method, "DPD Next Day");
    let stock = client
        .product_variants(product.id)
        .await
        .expect("variants")
        .into_iter()
        .find(|v| v.id == navy_l.id)
        .and_then(|v| v.inventory_level);
    assert_eq!(stock, Some(10 - 3));
    let got = rx.wait_for(1).await;
    assert_eq!(got[0].body["scope"], "store/order/created");
    assert_eq!(got[0].body["data"]["id"], order.id);
}

#[tokio::test]
async fn an_api_order_with_an_unmodelled_or_missing_field_is_refused_by_name() {
    let (sandbox, client) = common::start().await;
    sandbox
        .handle()
        .seed(&[common::small_style("BD")])
        .expect("seed");
    common::checkpoint(&sandbox);
    let line = json!({"name": "Mug", "quantity": 1, "price_inc_tax": 5, "price_ex_tax": 4});
    let billing = json!({"first_name": "Ada", "zip": "M1 1AA"});
    for (body, name) in [
        (
            json!({"billing_address": billing, "products": [line], "fees": []}),
            "fees",
        ),
        (
            json!({"billing_address": billing, "products": [line], "consignments": {}}),
            "consignments",
        ),
        (json!({"products": [line]}), "billing_address"),
        (
            json!({"billing_address": {"first_name": "Ada"}, "products": [line]}),
            "billing_address.zip",
        ),
        (
            json!({"billing_address": billing, "products": []}),
            "products",
        ),
        (
            json!({"billing_address": billing, "products": [{"name": "Mug", "quantity": 1, "price_inc_tax": 5}]}),
            "products[0].price_ex_tax",
        ),
        (
            json!({"billing_address": billing, "products": [{"product_id": 1, "quantity": 1, "wrapping_id": 3}]}),
            "products[0].wrapping_id",
        ),
        (
            json!({"billing_address": billing, "products": [{"product_id": 999999, "quantity": 1}]}),
            "products[0].product_id",
        ),
        (
            json!({"billing_address": billing, "products": [line], "status_id": 99}),
            "status_id",
        ),
        (
            json!({"billing_address": billing, "products": [{"product_id": 1, "variant_id": 2, "quantity": 1, "product_options": [{"id": 1, "value": "2"}]}]}),
            "products[0].product_options",
        ),
    ] {
        let (status, answer) =
            common::raw(&sandbox, Method::POST, "v2", "/orders", Some(body.clone())).await;
        assert_eq!(status, 400, "{body}");
        let message = answer[0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(&format!("'{name}'")), "{body}: {answer}");
    }
    sandbox.handle().clear_log();
    assert_eq!(
        client
            .count_orders(&OrderQuery::default())
            .await
            .expect("count")
            .count,
        0,
        "nothing was created"
    );
    // The client surfaces the refusal as a typed validation error.
    let bad = NewOrder {
        billing_address: BillingAddress::default(),
        products: vec![NewOrderProduct {
            name: Some("Mug".into()),
            quantity: 1,
            price_inc_tax: Some(Money(500)),
            price_ex_tax: Some(Money(400)),
            ..NewOrderProduct::default()
        }],
        ..NewOrder::default()
    };
    let err = client.create_order(&bad).await.err();
    assert!(
        matches!(&err, Some(Error::Validation { message, .. }) if message.contains("billing_address.zip")),
        "{err:?}"
    );
    sandbox.handle().clear_log();
}

#[tokio::test]
async fn a_query_parameter_on_a_write_or_a_single_order_read_is_refused_by_name() {
    let (sandbox, _client) = common::start().await;
    let id = common::seeded_order(&sandbox.handle(), "QW", &[("QW-NAVY-S", 1)]);
    common::checkpoint(&sandbox);
    let body = json!({"billing_address": {"zip": "1"}, "products": [{"name": "Mug", "quantity": 1, "price_inc_tax": 5, "price_ex_tax": 4}]});
    let single = format!("/orders/{id}?include=consignments");
    for (method, path, body) in [
        (Method::POST, "/orders?include=fees", Some(body)),
        (Method::GET, single.as_str(), None),
    ] {
        let (status, answer) = common::raw(&sandbox, method, "v2", path, body).await;
        assert_eq!(status, 400, "{path}");
        let message = answer[0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("'include'"), "{path}: {answer}");
    }
    let (status, answer) = common::raw(
        &sandbox,
        Method::PUT,
        "v3",
        "/catalog/products?include_fields=sku",
        Some(json!([])),
    )
    .await;
    assert_eq!(status, 400);
    assert!(answer["errors"].get("include_fields").is_some(), "{answer}");
    sandbox.handle().clear_log();
}
