//! Orders V2, shipments and refunds against the sandbox.

mod common;

use selvedge_bigcommerce::Error;
use selvedge_bigcommerce::model::*;

#[tokio::test]
async fn checkout_order_carries_lines_options_address_method_and_custom_fields() {
    let (sandbox, client) = common::start().await;
    let id = common::seeded_order(
        &sandbox.handle(),
        "OR",
        &[("OR-NAVY-M", 2), ("OR-BLACK-L", 1)],
    );
    let order = client.get_order(id).await.expect("order");
    assert_eq!(order.status_id, OrderStatus::AwaitingFulfillment.id());
    assert_eq!(order.status, "Awaiting Fulfillment");
    assert_eq!(order.subtotal_inc_tax, Money(7500));
    assert_eq!(
        order.total_inc_tax,
        Money(8250),
        "3 x 25.00 + 7.50 shipping"
    );
    assert_eq!(order.customer_id, 42);
    assert_eq!(order.customer_message, "Please gift wrap");
    assert!(
        order.modified_at().is_some(),
        "RFC 2822 date: {}",
        order.date_modified
    );
    let lines = client.order_products(id).await.expect("lines");
    assert_eq!(lines.len(), 2);
    let m = lines.iter().find(|l| l.sku == "OR-NAVY-M").expect("line");
    assert_eq!((m.quantity, m.price_inc_tax), (2, Money(2500)));
    let opts: Vec<_> = m
        .product_options
        .iter()
        .map(|o| (o.display_name.as_str(), o.display_value.as_str()))
        .collect();
    assert_eq!(opts, [("Colour", "Navy"), ("Size", "M")]);
    let addresses = client
        .order_shipping_addresses(id)
        .await
        .expect("addresses");
    assert_eq!(addresses[0].shipping_method, "UPS Ground");
    assert_eq!(addresses[0].form_fields[0].value, "PO-1234");
    assert_eq!(m.order_address_id, addresses[0].id);
    // Money travels as decimal strings on V2.
    let raw = sandbox
        .handle()
        .exchanges()
        .into_iter()
        .find(|e| e.path == format!("/orders/{id}"))
        .expect("exchange");
    assert_eq!(raw.response_body.expect("body")["total_inc_tax"], "82.5000");
}

#[tokio::test]
async fn orders_list_by_modified_date_and_status_with_paging() {
    let (sandbox, client) = common::start().await;
    let h = sandbox.handle();
    h.seed(&[common::small_style("PG")]).expect("seed");
    let mut ids = Vec::new();
    for _ in 0..260 {
        ids.push(
            h.create_order(&common::checkout(&[("PG-NAVY-S", 1)]))
                .expect("order"),
        );
    }
    let all = client
        .list_orders(&OrderQuery {
            min_date_modified: Some("2020-01-01T00:00:00Z".into()),
            ..OrderQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(all.len(), 260, "two pages of 250");
    client
        .update_order_status(ids[5], OrderStatus::Cancelled.id())
        .await
        .expect("status");
    let cancelled = client
        .list_orders(&OrderQuery {
            status_id: Some(5),
            ..OrderQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(
        cancelled.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![ids[5]]
    );
    let cursor = cancelled[0].date_modified.clone();
    let since = client
        .list_orders(&OrderQuery {
            min_date_modified: Some(cursor),
            ..OrderQuery::default()
        })
        .await
        .expect("list");
    assert!(since.iter().any(|o| o.id == ids[5]));
    let future = client
        .list_orders(&OrderQuery {
            min_date_modified: Some("Fri, 01 Jan 2100 00:00:00 +0000".into()),
            ..OrderQuery::default()
        })
        .await
        .expect("list");
    assert!(future.is_empty());
}

#[tokio::test]
async fn missing_order_is_a_typed_not_found_from_a_v2_error_array() {
    let (sandbox, client) = common::start().await;
    match client.get_order(999).await {
        Err(Error::NotFound { message, .. }) => assert!(message.contains("not found"), "{message}"),
        other => panic!("expected 404, got {other:?}"),
    }
    let body = sandbox.handle().exchanges()[0]
        .response_body
        .clone()
        .expect("body");
    assert_eq!(body[0]["status"], 404);
}

#[tokio::test]
async fn partial_then_full_shipment_moves_status_and_refuses_overshipping() {
    let (sandbox, client) = common::start().await;
    let id = common::seeded_order(&sandbox.handle(), "SH", &[("SH-NAVY-M", 2)]);
    assert!(client.list_shipments(id).await.expect("204").is_empty());
    let line = client.order_products(id).await.expect("lines").remove(0);
    let address = client
        .order_shipping_addresses(id)
        .await
        .expect("addr")
        .remove(0);
    let ship = |qty| NewShipment {
        order_address_id: address.id,
        tracking_number: "1Z999AA10123456784".into(),
        shipping_provider: Some("ups".into()),
        items: vec![ShipmentItem {
            order_product_id: line.id,
            product_id: None,
            quantity: qty,
        }],
        ..NewShipment::default()
    };
    let first = client.create_shipment(id, &ship(1)).await.expect("partial");
    assert_eq!(first.shipping_method, "UPS Ground");
    assert_eq!(
        client.get_order(id).await.expect("order").status_id,
        OrderStatus::PartiallyShipped.id()
    );
    client.create_shipment(id, &ship(1)).await.expect("rest");
    let order = client.get_order(id).await.expect("order");
    assert_eq!(
        (order.status_id, order.items_shipped),
        (OrderStatus::Shipped.id(), 2)
    );
    assert!(matches!(
        client.create_shipment(id, &ship(1)).await,
        Err(Error::Validation { status: 400, .. })
    ));
    let long = NewShipment {
        tracking_number: "X".repeat(51),
        ..ship(1)
    };
    // A 51-character tracking number breaks the spec on purpose.
    common::checkpoint(&sandbox);
    assert!(client.create_shipment(id, &long).await.is_err());
    sandbox.handle().clear_log();
    assert_eq!(client.list_shipments(id).await.expect("list").len(), 2);
}

#[tokio::test]
async fn refunds_are_listed_by_order_and_date_and_cannot_exceed_what_was_paid() {
    let (sandbox, client) = common::start().await;
    let id = common::seeded_order(&sandbox.handle(), "RF", &[("RF-NAVY-M", 2)]);
    let line = client.order_products(id).await.expect("lines").remove(0);
    let address = client
        .order_shipping_addresses(id)
        .await
        .expect("addr")
        .remove(0);
    let refund = client
        .create_refund(
            id,
            &NewRefund {
                items: vec![
                    NewRefundItem::product(line.id, 1),
                    NewRefundItem::shipping(address.id, Money(750)),
                ],
                payments: vec![NewRefundPayment {
                    provider_id: "storecredit".into(),
                    amount: Money(3250),
                    offline: true,
                }],
            },
        )
        .await
        .expect("refund");
    assert_eq!(refund.total_amount, Money(3250));
    let order = client.get_order(id).await.expect("order");
    assert_eq!(
        (order.status_id, order.refunded_amount),
        (OrderStatus::PartiallyRefunded.id(), Money(3250))
    );
    let listed = client
        .list_refunds(&RefundQuery {
            order_ids: vec![id],
            created_min: None,
        })
        .await
        .expect("list");
    assert_eq!(
        listed.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![refund.id]
    );
    let later = client
        .list_refunds(&RefundQuery {
            order_ids: vec![],
            created_min: Some("2100-01-01T00:00:00Z".into()),
        })
        .await
        .expect("list");
    assert!(later.is_empty());
    let one = client.get_refund(refund.id).await.expect("get");
    assert_eq!(one.items.len(), 2);
    assert_eq!(
        one.items[1].requested_amount,
        Some(Money(750)),
        "two-decimal string parsed to cents"
    );
    let over = NewRefund {
        items: vec![NewRefundItem::product(line.id, 2)],
        payments: vec![NewRefundPayment {
            provider_id: "storecredit".into(),
            amount: Money(5000),
            offline: true,
        }],
    };
    match client.create_refund(id, &over).await {
        Err(Error::Validation {
            status: 422,
            fields,
            ..
        }) => assert!(fields.contains_key("items"), "{fields:?}"),
        other => panic!("expected 422, got {other:?}"),
    }
    let mismatch = NewRefund {
        items: vec![NewRefundItem::product(line.id, 1)],
        payments: vec![NewRefundPayment {
            provider_id: "storecredit".into(),
            amount: Money(1),
            offline: true,
        }],
    };
    assert!(matches!(
        client.create_refund(id, &mismatch).await,
        Err(Error::Validation { .. })
    ));
}

#[tokio::test]
async fn bad_money_from_the_api_is_a_decode_error_not_a_panic() {
    let (sandbox, client) = common::start().await;
    // A raw server answering garbage money where V2 sends decimal strings.
    let router = axum::Router::new().route(
        "/stores/sandbox/v2/orders/1",
        axum::routing::get(|| async {
            axum::Json(serde_json::json!({"id": 1, "status_id": 1, "total_inc_tax": "12,50"}))
        }),
    );
    let server = selvedge_connector_kit::SandboxServer::start_local(router)
        .await
        .expect("bind");
    let mut cfg = sandbox.client_config();
    cfg.base_url = server.base_url();
    let bad = selvedge_bigcommerce::BigCommerceClient::new(cfg).expect("client");
    match bad.get_order(1).await {
        Err(Error::Decode { message, .. }) => assert!(
            message.contains("invalid money amount `12,50`"),
            "{message}"
        ),
        other => panic!("expected a decode error, got {other:?}"),
    }
    drop(client);
}
