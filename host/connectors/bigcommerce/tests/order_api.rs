//! Orders V2 beyond the checkout: every documented list filter, resource links and their
//! sub-resources, counts, the status table and the store clock.

mod common;

use reqwest::Method;
use selvedge_bigcommerce::model::*;
use selvedge_bigcommerce::sandbox::SandboxOrder;
use serde_json::json;

fn ids(orders: &[Order]) -> Vec<i64> {
    orders.iter().map(|o| o.id).collect()
}

/// A checkout with its own email, payment method, channel and quantity.
fn variant_checkout(email: &str, payment: &str, channel: i64, qty: i64) -> SandboxOrder {
    let mut order = common::checkout(&[("FL-NAVY-M", qty)]);
    order.shipping_address.email = email.into();
    order.payment_method = Some(payment.into());
    order.channel_id = Some(channel);
    order
}

#[tokio::test]
async fn orders_list_applies_every_documented_filter() {
    let (sandbox, client) = common::start().await;
    let h = sandbox.handle();
    h.seed(&[common::small_style("FL")]).expect("seed");
    let a = h
        .create_order(&variant_checkout("a@example.com", "Credit Card", 1, 1))
        .expect("a");
    // A second later, so creation dates differ at RFC 2822's precision.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let b = h
        .create_order(&variant_checkout("b@example.com", "Manual", 2, 2))
        .expect("b");
    let c = h
        .create_order(&variant_checkout("c@example.com", "Manual", 1, 3))
        .expect("c");
    let list = |q: OrderQuery| {
        let client = client.clone();
        async move { ids(&client.list_orders(&q).await.expect("list")) }
    };
    let q = OrderQuery::default;
    assert_eq!(list(q()).await, [a, b, c]);
    let max_id = OrderQuery {
        max_id: Some(b),
        ..q()
    };
    assert_eq!(list(max_id).await, [a, b]);
    // Totals: 25.00 x qty + 7.50 shipping.
    let min_total = OrderQuery {
        min_total: Some(Money(5750)),
        ..q()
    };
    assert_eq!(list(min_total).await, [b, c]);
    let max_total = OrderQuery {
        max_total: Some(Money(5750)),
        ..q()
    };
    assert_eq!(list(max_total).await, [a, b]);
    let email = OrderQuery {
        email: Some("B@example.com".into()),
        ..q()
    };
    assert_eq!(list(email).await, [b]);
    let payment = OrderQuery {
        payment_method: Some("Manual".into()),
        ..q()
    };
    assert_eq!(list(payment).await, [b, c]);
    let channel = OrderQuery {
        channel_id: Some(2),
        ..q()
    };
    assert_eq!(list(channel).await, [b]);
    let customer = OrderQuery {
        customer_id: Some(7),
        ..q()
    };
    assert_eq!(list(customer).await, Vec::<i64>::new());
    let first = client.get_order(a).await.expect("a");
    let second = client.get_order(b).await.expect("b");
    let max_created = OrderQuery {
        max_date_created: Some(first.date_created.clone()),
        ..q()
    };
    assert_eq!(list(max_created).await, [a]);
    let min_created = OrderQuery {
        min_date_created: Some(second.date_created.clone()),
        ..q()
    };
    assert_eq!(list(min_created).await, [b, c]);
    let max_modified = OrderQuery {
        max_date_modified: Some(first.date_modified),
        ..q()
    };
    assert_eq!(list(max_modified).await, [a]);
    // ISO 8601 is accepted too.
    let iso = OrderQuery {
        max_date_created: Some("2001-01-01T00:00:00Z".into()),
        ..q()
    };
    assert_eq!(list(iso).await, Vec::<i64>::new());
    // Sorting by a documented key, descending.
    let (status, body) =
        common::raw(&sandbox, Method::GET, "v2", "/orders?sort=id:desc", None).await;
    assert_eq!(status, 200);
    let sorted: Vec<i64> = body
        .as_array()
        .map(|a| a.iter().filter_map(|o| o["id"].as_i64()).collect())
        .unwrap_or_default();
    assert_eq!(sorted, [c, b, a]);
}

#[tokio::test]
async fn order_filters_the_sandbox_does_not_apply_or_cannot_parse_are_refused_by_name() {
    let (sandbox, _client) = common::start().await;
    common::seeded_order(&sandbox.handle(), "RF", &[("RF-NAVY-S", 1)]);
    common::checkpoint(&sandbox);
    for (query, name) in [
        ("cart_id=abc", "cart_id"),
        ("external_order_id=X1", "external_order_id"),
        ("include=fees", "include"),
        ("colour=red", "colour"),
        ("min_id=ten", "min_id"),
        ("min_date_created=yesterday", "min_date_created"),
        ("sort=colour:asc", "sort"),
    ] {
        let (status, body) = common::raw(
            &sandbox,
            Method::GET,
            "v2",
            &format!("/orders?{query}"),
            None,
        )
        .await;
        assert_eq!(status, 400, "{query}");
        let message = body[0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(&format!("'{name}'")), "{query}: {body}");
    }
    let (status, _) = common::raw(&sandbox, Method::GET, "v2", "/orders/count?page=2", None).await;
    assert_eq!(status, 400, "count has no paging");
    sandbox.handle().clear_log();
}

#[tokio::test]
async fn order_links_lead_to_its_products_shipping_addresses_and_coupons() {
    let (sandbox, client) = common::start().await;
    let id = common::seeded_order(&sandbox.handle(), "LK", &[("LK-NAVY-M", 2)]);
    let order = client.get_order(id).await.expect("order");
    let http = reqwest::Client::new();
    let token = sandbox.client_config().access_token;
    for (link, sub) in [
        (&order.products, "products"),
        (&order.shipping_addresses, "shipping_addresses"),
        (&order.coupons, "coupons"),
    ] {
        let link = link.as_ref().expect("resource link");
        assert_eq!(link.resource, format!("/orders/{id}/{sub}"));
        assert_eq!(
            link.url,
            format!("{}{}", sandbox.client_config().v2_root(), link.resource)
        );
        let resp = http
            .get(&link.url)
            .header("X-Auth-Token", &token)
            .send()
            .await
            .expect("follow link");
        assert_eq!(resp.status().as_u16(), 200, "{sub}");
    }
    let lines = client.order_products(id).await.expect("lines");
    assert_eq!((lines[0].sku.as_str(), lines[0].quantity), ("LK-NAVY-M", 2));
    let addresses = client
        .order_shipping_addresses(id)
        .await
        .expect("addresses");
    assert_eq!(addresses.len(), 1);
    assert_eq!(addresses[0].street_1, "1 Loom Street");
    assert_eq!(addresses[0].zip, "M1 1AA");
    assert!(client.order_coupons(id).await.expect("coupons").is_empty());
    let (status, body) = common::raw(
        &sandbox,
        Method::GET,
        "v2",
        &format!("/orders/{id}/coupons"),
        None,
    )
    .await;
    assert_eq!((status, body), (200, json!([])));
}

#[tokio::test]
async fn orders_count_per_status_status_table_and_store_clock() {
    let (sandbox, client) = common::start().await;
    let h = sandbox.handle();
    let a = common::seeded_order(&h, "CN", &[("CN-NAVY-S", 1)]);
    h.create_order(&common::checkout(&[("CN-NAVY-M", 1)]))
        .expect("second");
    client.update_order_status(a, 2).await.expect("shipped");
    let count = client
        .count_orders(&OrderQuery::default())
        .await
        .expect("count");
    assert_eq!(count.count, 2);
    let of = |id: i64| {
        count
            .statuses
            .iter()
            .find(|s| s.status.id == id)
            .map(|s| s.count)
    };
    assert_eq!((of(2), of(11), of(0)), (Some(1), Some(1), Some(0)));
    assert_eq!(count.statuses.len(), 15);
    let only_shipped = client
        .count_orders(&OrderQuery {
            status_id: Some(2),
            ..OrderQuery::default()
        })
        .await
        .expect("count");
    assert_eq!(only_shipped.count, 1);
    let statuses = client.order_statuses().await.expect("statuses");
    assert_eq!(statuses.len(), 15);
    assert_eq!(statuses[11].name, "Awaiting Fulfillment");
    assert!(
        statuses[11]
            .system_description
            .contains("payment has been confirmed")
    );
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let clock = client.server_time().await.expect("time");
    assert!((clock - now).abs() <= 2, "{clock} vs {now}");
}
