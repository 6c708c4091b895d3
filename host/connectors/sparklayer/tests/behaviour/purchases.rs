use selvedge_sparklayer::model::{LookupBy, Package, PackageLine, Purchase};
use selvedge_sparklayer::sandbox::{
    Checkout, CheckoutLine, PurchaseEdit, SandboxConfig, seed_demo,
};

use crate::common::{seeded, setup_with};

fn checkout(customer: &str, payment: &str, po: Option<&str>) -> Checkout {
    Checkout {
        customer_id: customer.into(),
        lines: vec![
            CheckoutLine {
                sku: "TEE-ORG-BLK-M".into(),
                quantity: 12,
                price_cents: 1080,
            },
            CheckoutLine {
                sku: "HOOD-NVY-L".into(),
                quantity: 2,
                price_cents: 3200,
            },
        ],
        payment_method: payment.into(),
        po_number: po.map(Into::into),
        stock_location_external_id: Some("WH-LDN".into()),
        currency_code: None,
    }
}

fn sparklayer_id(p: &Purchase) -> String {
    p.purchase_identifiers
        .sparklayer
        .clone()
        .expect("sparklayer id")
}

#[tokio::test]
async fn pay_on_account_checkout_is_polled_with_its_po_number_unpaid() {
    let (sandbox, client) = seeded().await;
    sandbox
        .state()
        .checkout(checkout("cust_harbour", "pay_on_account", Some("PO-7781")))
        .expect("checkout");
    let polled = client.poll_purchases(None).await.expect("poll");
    assert_eq!(polled.len(), 1);
    let order = &polled[0];
    assert_eq!(
        order.po_number(&client.config().po_number_attribute),
        Some("PO-7781")
    );
    assert!(order.is_pay_on_account());
    assert_eq!(order.payment_status.as_deref(), Some("unpaid"));
    assert_eq!(order.total_cents, Some(12 * 1080 + 2 * 3200));
    assert_eq!(order.stock_location_external_id.as_deref(), Some("WH-LDN"));
    assert_eq!(
        order
            .customer
            .as_ref()
            .and_then(|c| c.external_id.as_deref()),
        Some("HARB01")
    );
    assert!(order.updated_at.is_some());
}

#[tokio::test]
async fn purchase_edited_in_sparklayer_reappears_after_the_cursor() {
    let (sandbox, client) = seeded().await;
    let first = sandbox
        .state()
        .checkout(checkout("cust_harbour", "card", None))
        .expect("first");
    sandbox
        .state()
        .checkout(checkout("cust_pier", "card", None))
        .expect("second");
    let seen = client.poll_purchases(None).await.expect("poll");
    let cursor = seen
        .iter()
        .filter_map(|p| p.updated_at)
        .max()
        .expect("cursor");
    let edited = sandbox
        .state()
        .edit_purchase(
            &sparklayer_id(&first),
            PurchaseEdit {
                po_number: Some("PO-LATE".into()),
                ..PurchaseEdit::default()
            },
        )
        .expect("edit");
    assert!(edited.updated_at.expect("stamp") > cursor);
    let changed = client
        .poll_purchases(Some(cursor))
        .await
        .expect("poll since");
    // The cursor is inclusive: the boundary purchase comes again, plus the edited one.
    assert_eq!(changed.len(), 2);
    let again = changed
        .iter()
        .find(|p| p.purchase_identifiers == first.purchase_identifiers)
        .expect("edited one");
    assert_eq!(again.po_number("po_number"), Some("PO-LATE"));
}

#[tokio::test]
async fn polling_pages_with_limit_and_offset_until_a_short_page() {
    let (sandbox, client) =
        setup_with(SandboxConfig::default(), |c| c.purchases_page_limit = 2).await;
    seed_demo(sandbox.state());
    for _ in 0..5 {
        sandbox
            .state()
            .checkout(checkout("cust_pier", "card", None))
            .expect("checkout");
    }
    let all = client.poll_purchases(None).await.expect("poll");
    assert_eq!(all.len(), 5);
    let mut ids: Vec<_> = all.iter().map(sparklayer_id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 5, "no purchase twice, none skipped");
    assert_eq!(sandbox.state().requests_to("GET /api/v1/purchases"), 3);
}

#[tokio::test]
async fn full_replace_round_trip_sets_status_and_shipment_and_keeps_unknown_fields() {
    let (sandbox, client) = seeded().await;
    let placed = sandbox
        .state()
        .checkout(checkout("cust_northfield", "invoice", Some("PO-1")))
        .expect("checkout");
    let id = sparklayer_id(&placed);
    let mut order = client
        .get_purchase(LookupBy::Sparklayer, &id)
        .await
        .expect("get")
        .expect("exists");
    order.purchase_identifiers.internal = Some("SO-5001".into());
    order.status = Some("shipped".into());
    order.packages.push(Package {
        package_type: "shipment".into(),
        status: Some("shipped".into()),
        carrier: Some("DPD".into()),
        tracking_number: Some("15501234".into()),
        tracking_url: None,
        lines: vec![PackageLine {
            sku: "TEE-ORG-BLK-M".into(),
            quantity: 12,
        }],
        extra: Default::default(),
    });
    let replaced = client
        .replace_purchase(LookupBy::Sparklayer, &id, &order)
        .await
        .expect("replace");
    assert_eq!(replaced.status.as_deref(), Some("shipped"));
    assert_eq!(replaced.packages, order.packages);
    assert_eq!(
        replaced.extra.get("channel"),
        Some(&serde_json::json!("b2b_portal"))
    );
    assert_eq!(replaced.created_at, order.created_at);
    assert!(replaced.updated_at > order.updated_at);
    let by_internal = client
        .get_purchase(LookupBy::Internal, "SO-5001")
        .await
        .expect("get")
        .expect("found by our id");
    assert_eq!(by_internal, replaced);
    assert_eq!(sandbox.state().purchases().len(), 1);
}

#[tokio::test]
async fn put_with_an_unknown_identifier_creates_then_replaces() {
    let (sandbox, client) = seeded().await;
    let template = sandbox
        .state()
        .checkout(checkout("cust_pier", "card", None))
        .expect("checkout");
    let mut order = template.clone();
    order.purchase_identifiers = Default::default();
    let created = client
        .replace_purchase(LookupBy::Internal, "SO-9", &order)
        .await
        .expect("created");
    assert!(created.purchase_identifiers.sparklayer.is_some());
    assert_ne!(
        created.purchase_identifiers.sparklayer,
        template.purchase_identifiers.sparklayer
    );
    order.status = Some("completed".into());
    let replaced = client
        .replace_purchase(LookupBy::Internal, "SO-9", &order)
        .await
        .expect("replaced");
    assert_eq!(
        replaced.purchase_identifiers.sparklayer,
        created.purchase_identifiers.sparklayer
    );
    assert_eq!(sandbox.state().purchases().len(), 2);
}

#[tokio::test]
async fn shipping_a_sku_not_on_the_order_is_refused_naming_the_property() {
    let (sandbox, client) = seeded().await;
    let mut order = sandbox
        .state()
        .checkout(checkout("cust_pier", "card", None))
        .expect("checkout");
    order.packages.push(Package {
        package_type: "shipment".into(),
        status: None,
        carrier: None,
        tracking_number: None,
        tracking_url: None,
        lines: vec![PackageLine {
            sku: "NOT-ORDERED".into(),
            quantity: 1,
        }],
        extra: Default::default(),
    });
    let err = client
        .replace_purchase(LookupBy::Sparklayer, &sparklayer_id(&order), &order)
        .await
        .expect_err("refused");
    assert_eq!(
        err.problem().expect("problem").properties(),
        vec!["packages[0].lines[0].sku"]
    );
}

#[tokio::test]
async fn unknown_purchase_is_none() {
    let (_sandbox, client) = seeded().await;
    assert_eq!(
        client
            .get_purchase(LookupBy::Visible, "SL-404")
            .await
            .expect("get"),
        None
    );
}

#[tokio::test]
async fn put_by_our_order_number_with_sparklayer_id_in_the_body_replaces_that_purchase() {
    let (sandbox, client) = seeded().await;
    let mut order = sandbox
        .state()
        .checkout(checkout("cust_harbour", "card", None))
        .expect("checkout");
    order.purchase_identifiers.internal = Some("SO-77".into());
    order.status = Some("processing".into());
    let replaced = client
        .replace_purchase(LookupBy::Internal, "SO-77", &order)
        .await
        .expect("replace");
    assert_eq!(replaced.purchase_identifiers, order.purchase_identifiers);
    assert_eq!(sandbox.state().purchases().len(), 1, "no duplicate order");
}

#[tokio::test]
async fn a_package_saved_after_a_read_is_missing_from_that_read_and_in_the_next() {
    let (sandbox, client) = seeded().await;
    let placed = sandbox
        .state()
        .checkout(checkout("cust_harbour", "invoice", None))
        .expect("checkout");
    let id = sparklayer_id(&placed);
    let returned = Package {
        package_type: "return".into(),
        status: Some("received".into()),
        carrier: None,
        tracking_number: None,
        tracking_url: None,
        lines: vec![PackageLine {
            sku: "HOOD-NVY-L".into(),
            quantity: 1,
        }],
        extra: Default::default(),
    };
    sandbox.state().add_package_after_next_read(&id, returned);
    let first = client
        .get_purchase(LookupBy::Sparklayer, &id)
        .await
        .expect("read")
        .expect("purchase");
    assert!(first.packages.is_empty(), "{:?}", first.packages);
    let second = client
        .get_purchase(LookupBy::Sparklayer, &id)
        .await
        .expect("read")
        .expect("purchase");
    assert_eq!(second.packages.len(), 1);
    assert_eq!(second.packages[0].package_type, "return");
    assert!(second.updated_at > first.updated_at);
}
