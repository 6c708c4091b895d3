//! Webhook behaviours: registration, payload shape, custom headers, retries on the real
//! schedule (time-scaled), deactivation, duplicates.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::receiver::Receiver;
use selvedge_bigcommerce::model::*;
use selvedge_bigcommerce::sandbox::WEBHOOK_RETRY_SCHEDULE_S;
use selvedge_bigcommerce::{BigCommerceClient, SandboxConfig};

async fn register(client: &BigCommerceClient, scope: &str, url: &str) -> Webhook {
    let mut headers = BTreeMap::new();
    headers.insert("X-Selvedge-Secret".to_owned(), "s3cret".to_owned());
    client
        .create_webhook(&NewWebhook {
            scope: scope.into(),
            destination: url.into(),
            is_active: true,
            headers: Some(headers),
        })
        .await
        .expect("register")
}

#[tokio::test]
async fn order_created_is_delivered_with_the_real_payload_shape_and_custom_headers() {
    let (sandbox, client) = common::start().await;
    let rx = Receiver::start(&[]).await;
    let hook = register(&client, "store/order/created", &rx.url()).await;
    assert!(hook.is_active && hook.id > 0);
    assert_eq!(client.list_webhooks().await.expect("list").len(), 1);
    let order_id = common::seeded_order(&sandbox.handle(), "WH", &[("WH-NAVY-S", 1)]);
    let got = rx.wait_for(1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].headers["x-selvedge-secret"], "s3cret");
    let payload: WebhookPayload =
        serde_json::from_value(got[0].body.clone()).expect("payload shape");
    assert_eq!(payload.scope, "store/order/created");
    assert_eq!(payload.store_id, "1001");
    assert_eq!(payload.producer, "stores/sandbox");
    assert_eq!(payload.resource_id(), Some(order_id));
    assert_eq!(payload.data["type"], "order");
    assert_eq!(payload.hash.len(), 64);
    assert!(payload.created_at > 1_700_000_000);
}

#[tokio::test]
async fn failed_delivery_is_retried_on_the_scaled_schedule_with_the_same_hash() {
    let (sandbox, client) = common::start().await; // time scale 0.001: 60 s -> 60 ms
    let rx = Receiver::start(&[500, 999, 200]).await;
    register(&client, "store/order/created", &rx.url()).await;
    common::seeded_order(&sandbox.handle(), "RT", &[("RT-NAVY-S", 1)]);
    let got = rx.wait_for(3).await;
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|r| r.body["hash"] == got[0].body["hash"]));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let d = sandbox.handle().deliveries();
    assert_eq!(
        d.iter().map(|x| (x.attempt, x.status)).collect::<Vec<_>>(),
        vec![(1, Some(500)), (2, None), (3, Some(200))]
    );
    // Gaps follow 60 s and 180 s scaled by 0.001; attempt 2 also spent the 500 ms timeout.
    assert!(d[1].at_ms - d[0].at_ms >= 60 + 500, "{d:?}");
    assert!(d[2].at_ms - d[1].at_ms >= 180, "{d:?}");
}

#[tokio::test]
async fn hook_is_deactivated_after_the_last_scheduled_retry_fails() {
    let config = SandboxConfig {
        webhook_time_scale: 0.000_01,
        ..common::sandbox_config()
    };
    let (sandbox, client) = common::start_with(config).await;
    let rx = Receiver::start(&[503; 12]).await;
    register(&client, "store/order/*", &rx.url()).await;
    common::seeded_order(&sandbox.handle(), "DA", &[("DA-NAVY-S", 1)]);
    let got = rx.wait_for(WEBHOOK_RETRY_SCHEDULE_S.len() + 1).await;
    assert_eq!(got.len(), 12, "first attempt + 11 retries");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let hooks = client.list_webhooks().await.expect("list");
    assert!(
        !hooks[0].is_active,
        "deactivated after the schedule ran out"
    );
    // An inactive hook gets nothing more.
    sandbox
        .handle()
        .create_order(&common::checkout(&[("DA-NAVY-S", 1)]))
        .expect("order");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(rx.received().len(), 12);
    // Reactivated, it receives again.
    let update = WebhookUpdate {
        is_active: Some(true),
        ..WebhookUpdate::default()
    };
    assert!(
        client
            .update_webhook(hooks[0].id, &update)
            .await
            .expect("reactivate")
            .is_active
    );
    sandbox
        .handle()
        .create_order(&common::checkout(&[("DA-NAVY-S", 1)]))
        .expect("order");
    assert_eq!(rx.wait_for(13).await.len(), 13);
}

#[tokio::test]
async fn forced_duplicate_delivery_repeats_the_same_hash() {
    let (sandbox, client) = common::start().await;
    let rx = Receiver::start(&[]).await;
    register(&client, "store/order/created", &rx.url()).await;
    sandbox.handle().force_duplicate_deliveries(1);
    common::seeded_order(&sandbox.handle(), "DU", &[("DU-NAVY-S", 1)]);
    let got = rx.wait_for(2).await;
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].body, got[1].body,
        "a duplicate is the same payload, hash included"
    );
    sandbox
        .handle()
        .create_order(&common::checkout(&[("DU-NAVY-S", 1)]))
        .expect("order");
    let got = rx.wait_for(3).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(rx.received().len(), 3, "only the forced one was duplicated");
    assert_ne!(got[2].body["hash"], got[0].body["hash"]);
}

#[tokio::test]
async fn duplicate_probability_one_duplicates_every_delivery() {
    let config = SandboxConfig {
        duplicate_probability: 1.0,
        ..common::sandbox_config()
    };
    let (sandbox, client) = common::start_with(config).await;
    let rx = Receiver::start(&[]).await;
    register(&client, "store/order/created", &rx.url()).await;
    common::seeded_order(&sandbox.handle(), "DP", &[("DP-NAVY-S", 1)]);
    assert_eq!(rx.wait_for(2).await.len(), 2);
    assert!(sandbox.handle().deliveries().iter().any(|d| d.duplicate));
}

#[tokio::test]
async fn status_shipment_and_refund_events_carry_their_ids() {
    let (sandbox, client) = common::start().await;
    let rx = Receiver::start(&[]).await;
    register(&client, "store/order/statusUpdated", &rx.url()).await;
    register(&client, "store/order/refund/created", &rx.url()).await;
    register(&client, "store/shipment/created", &rx.url()).await;
    let id = common::seeded_order(&sandbox.handle(), "EV", &[("EV-NAVY-S", 2)]);
    client
        .update_order_status(id, OrderStatus::AwaitingShipment.id())
        .await
        .expect("status");
    let line = client.order_products(id).await.expect("lines").remove(0);
    let address = client
        .order_shipping_addresses(id)
        .await
        .expect("addr")
        .remove(0);
    let shipment = client
        .create_shipment(
            id,
            &NewShipment {
                order_address_id: address.id,
                tracking_number: "T1".into(),
                items: vec![ShipmentItem {
                    order_product_id: line.id,
                    product_id: None,
                    quantity: 1,
                }],
                ..NewShipment::default()
            },
        )
        .await
        .expect("ship");
    let refund = client
        .create_refund(
            id,
            &NewRefund {
                items: vec![NewRefundItem::product(line.id, 1)],
                payments: vec![NewRefundPayment {
                    provider_id: "custom".into(),
                    amount: Money(2500),
                    offline: true,
                }],
            },
        )
        .await
        .expect("refund");
    // statusUpdated x3 (9, partially shipped, partially refunded), shipment, refund.
    let got = rx.wait_for(5).await;
    let by_scope = |scope: &str| {
        got.iter()
            .filter(|r| r.body["scope"] == scope)
            .map(|r| r.body.clone())
            .collect::<Vec<_>>()
    };
    let status = by_scope("store/order/statusUpdated");
    assert_eq!(status.len(), 3);
    assert!(status.iter().any(|s| s["data"]["status"]
        == serde_json::json!({"previous_status_id": 11, "new_status_id": 9})));
    let ship = by_scope("store/shipment/created");
    assert_eq!(
        (
            ship[0]["data"]["id"].as_i64(),
            ship[0]["data"]["orderId"].as_i64()
        ),
        (Some(shipment.id), Some(id))
    );
    let refunds = by_scope("store/order/refund/created");
    assert_eq!(refunds[0]["data"]["id"].as_i64(), Some(id));
    assert_eq!(
        refunds[0]["data"]["refund"]["refund_id"].as_i64(),
        Some(refund.id)
    );
}

#[tokio::test]
async fn webhook_with_a_bad_scope_or_destination_is_refused() {
    let (_sandbox, client) = common::start().await;
    let bad = NewWebhook {
        scope: "orders".into(),
        destination: "https://x.example/h".into(),
        is_active: true,
        headers: None,
    };
    assert!(matches!(
        client.create_webhook(&bad).await,
        Err(selvedge_bigcommerce::Error::Validation { .. })
    ));
    let bad = NewWebhook {
        scope: "store/order/created".into(),
        destination: "not a url".into(),
        is_active: true,
        headers: None,
    };
    assert!(client.create_webhook(&bad).await.is_err());
}

#[tokio::test]
async fn stock_changes_fire_sku_inventory_updated_once_visible() {
    let (sandbox, client) = common::start().await;
    let h = sandbox.handle();
    h.seed(&[common::small_style("SK")]).expect("seed");
    h.set_inventory_lag(500);
    let rx = Receiver::start(&[]).await;
    register(&client, "store/sku/inventory/updated", &rx.url()).await;
    let adjust = AbsoluteAdjustment {
        location_id: 1,
        item: ItemRef::Sku("SK-NAVY-M".into()),
        quantity: 33,
    };
    client
        .set_inventory_absolute(None, &[adjust])
        .await
        .expect("adjust");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(rx.received().is_empty(), "not before the change is visible");
    let got = rx.wait_for(1).await;
    let inv = &got[0].body["data"]["inventory"];
    assert_eq!(
        (inv["method"].as_str(), inv["value"].as_i64()),
        (Some("absolute"), Some(33))
    );
    h.create_order(&common::checkout(&[("SK-NAVY-M", 2)]))
        .expect("order");
    let got = rx.wait_for(2).await;
    assert_eq!(got[1].body["data"]["inventory"]["value"], -2);
    assert_eq!(got[1].body["data"]["inventory"]["method"], "relative");
}
