use selvedge_sparklayer::Error;
use selvedge_sparklayer::model::{Customer, Metafield, PaymentOnAccount};
use selvedge_sparklayer::sandbox::{Checkout, CheckoutLine};

use crate::common::seeded;

#[tokio::test]
async fn payment_on_account_terms_are_read_and_written_keeping_other_metafields() {
    let (sandbox, client) = seeded().await;
    let terms = client
        .payment_on_account("cust_harbour")
        .await
        .expect("read")
        .expect("has terms");
    assert_eq!(
        (
            terms.credit_limit_cents,
            terms.balance_cents,
            terms.net_terms_days
        ),
        (500_000, 125_000, Some(30))
    );
    let updated = client
        .set_payment_on_account(
            "cust_harbour",
            &PaymentOnAccount::new(750_000, 99_999, Some(45)),
        )
        .await
        .expect("write");
    assert!(
        updated.metafield("price_lists").is_some(),
        "other metafields kept"
    );
    let read_back = client
        .payment_on_account("cust_harbour")
        .await
        .expect("read")
        .expect("terms");
    assert_eq!(
        (
            read_back.credit_limit_cents,
            read_back.balance_cents,
            read_back.net_terms_days
        ),
        (750_000, 99_999, Some(45))
    );
    let stored = sandbox.state().customer("cust_harbour").expect("customer");
    assert!(
        stored
            .metafield("payment_on_account")
            .expect("field")
            .value
            .contains("999.99")
    );
}

#[tokio::test]
async fn net_terms_outside_7_to_90_days_are_refused_naming_the_property() {
    let (_sandbox, client) = seeded().await;
    let err = client
        .set_payment_on_account("cust_harbour", &PaymentOnAccount::new(1, 0, Some(120)))
        .await
        .expect_err("120 days refused");
    assert_eq!(
        err.problem().expect("problem").properties(),
        vec!["metafields[0].value.net_terms"]
    );
}

#[tokio::test]
async fn customer_without_terms_or_unknown_is_none() {
    let (_sandbox, client) = seeded().await;
    assert_eq!(
        client.payment_on_account("cust_pier").await.expect("read"),
        None
    );
    assert_eq!(
        client
            .payment_on_account("cust_nobody")
            .await
            .expect("read"),
        None
    );
    assert_eq!(client.list_customers().await.expect("list").len(), 3);
}

#[tokio::test]
async fn malformed_terms_are_a_decode_error_naming_the_field() {
    let (sandbox, client) = seeded().await;
    sandbox.state().add_customer(Customer {
        id: "cust_bad".into(),
        external_id: None,
        email: None,
        name: None,
        customer_group: None,
        metafields: vec![Metafield {
            namespace: "sparklayer".into(),
            key: "payment_on_account".into(),
            value: r#"{"credit_limit": "12.345", "balance": 0}"#.into(),
        }],
        extra: Default::default(),
    });
    let err = client
        .payment_on_account("cust_bad")
        .await
        .expect_err("bad decimal");
    match err {
        Error::Decode { message, .. } => {
            assert!(message.contains("credit_limit"), "{message}");
            assert!(message.contains("more than 2 decimal places"), "{message}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn pay_on_account_checkout_adds_to_the_balance_and_is_refused_over_the_limit() {
    let (sandbox, client) = seeded().await;
    let order = |price_cents| Checkout {
        customer_id: "cust_northfield".into(),
        lines: vec![CheckoutLine {
            sku: "HOOD-NVY-L".into(),
            quantity: 10,
            price_cents,
        }],
        payment_method: "pay_on_account".into(),
        po_number: None,
        stock_location_external_id: None,
        currency_code: None,
    };
    sandbox
        .state()
        .checkout(order(10_000))
        .expect("within the limit");
    let terms = client
        .payment_on_account("cust_northfield")
        .await
        .expect("read")
        .expect("terms");
    assert_eq!(terms.balance_cents, 100_000);
    let refused = sandbox
        .state()
        .checkout(order(20_000))
        .expect_err("over the 2500.00 limit");
    assert_eq!(refused.status, 422);
}
