//! The orders half of the conformance drive: checkout and API orders, lists, counts, statuses,
//! the clock, status updates, shipments and refunds.

use selvedge_bigcommerce::BigCommerceClient;
use selvedge_bigcommerce::model::*;
use selvedge_bigcommerce::sandbox::SandboxHandle;

use crate::common;

/// Drives every order operation on product `tee_id` (whose variants are `own`); returns an
/// order id and a line of it for the error cases.
pub async fn orders(
    client: &BigCommerceClient,
    h: &SandboxHandle,
    tee_id: i64,
    own: &[Variant],
) -> (i64, OrderProduct) {
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
    let navy_l = own
        .iter()
        .find(|v| v.sku == "CT1-NAVY-L")
        .expect("variant L");
    let posted = client
        .create_order(&NewOrder {
            status_id: Some(11),
            customer_id: Some(42),
            billing_address: common::address(),
            shipping_addresses: vec![NewOrderAddress {
                address: common::address(),
                shipping_method: Some("UPS Ground".into()),
            }],
            products: vec![
                NewOrderProduct {
                    product_id: Some(tee_id),
                    variant_id: Some(navy_l.id),
                    quantity: 1,
                    ..NewOrderProduct::default()
                },
                NewOrderProduct {
                    name: Some("Gift wrap".into()),
                    quantity: 1,
                    price_inc_tax: Some(Money(300)),
                    price_ex_tax: Some(Money(250)),
                    ..NewOrderProduct::default()
                },
            ],
            external_id: Some("ERP-1".into()),
            payment_method: Some("Manual".into()),
            ..NewOrder::default()
        })
        .await
        .expect("order created over the API");
    client.order_coupons(posted.id).await.expect("no coupons");
    let counted = client
        .count_orders(&OrderQuery {
            status_id: Some(11),
            ..OrderQuery::default()
        })
        .await
        .expect("count");
    assert_eq!(counted.count, 2);
    assert_eq!(client.order_statuses().await.expect("statuses").len(), 15);
    client.server_time().await.expect("store clock");
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
    let line = lines[1].clone();
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
    (order_id, line)
}
