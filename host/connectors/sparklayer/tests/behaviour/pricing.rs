use selvedge_sparklayer::model::{BatchSkuPricing, PriceList, SkuPricing, TierPrice};
use selvedge_sparklayer::sandbox::SandboxConfig;

use crate::common::{seeded, setup_with};

fn list(slug: &str) -> PriceList {
    PriceList {
        slug: slug.into(),
        name: format!("List {slug}"),
        currency_code: "GBP".into(),
        source: Some("bluecherry".into()),
        tax_inclusive_display: Some(false),
        rules: Vec::new(),
    }
}

fn sku(sku: &str, tiers: &[(u32, i64)]) -> SkuPricing {
    SkuPricing {
        sku: sku.into(),
        display_tax_rate: Some(20.0),
        pricing: tiers
            .iter()
            .map(|&(quantity, price_cents)| TierPrice {
                quantity,
                price_cents,
                unit_of_measure: None,
            })
            .collect(),
    }
}

#[tokio::test]
async fn price_lists_are_created_read_and_listed_across_pages() {
    let (sandbox, client) =
        setup_with(SandboxConfig::default(), |c| c.price_list_page_size = 2).await;
    for slug in ["a-list", "b-list", "c-list"] {
        let created = client
            .create_price_list(&list(slug))
            .await
            .expect("created");
        assert_eq!(created, list(slug));
    }
    let fetched = client
        .get_price_list("b-list")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(fetched, list("b-list"));
    assert_eq!(client.get_price_list("missing").await.expect("get"), None);
    let all = client.list_price_lists().await.expect("listed");
    let slugs: Vec<_> = all.iter().map(|l| l.slug.as_str()).collect();
    assert_eq!(slugs, ["a-list", "b-list", "c-list"]);
    assert_eq!(sandbox.state().requests_to("GET /api/v2/price-lists"), 2);
}

#[tokio::test]
async fn duplicate_slug_is_a_validation_error_naming_slug() {
    let (_sandbox, client) = seeded().await;
    let err = client
        .create_price_list(&list("trade-gbp"))
        .await
        .expect_err("slug taken");
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.problem().expect("problem").properties(), vec!["slug"]);
}

#[tokio::test]
async fn tier_update_replaces_the_tiers_of_the_skus_sent_only() {
    let (sandbox, client) = seeded().await;
    client
        .update_pricing("trade-gbp", &[sku("CAP-RED", &[(12, 800), (1, 999)])])
        .await
        .expect("first update");
    client
        .update_pricing("trade-gbp", &[sku("CAP-RED", &[(1, 950)])])
        .await
        .expect("second update");
    let cap = sandbox
        .state()
        .tiers("trade-gbp", "CAP-RED")
        .expect("cap tiers");
    assert_eq!(cap.len(), 1);
    assert_eq!((cap[0].quantity, cap[0].price_cents), (1, 950));
    // A SKU not sent keeps its seeded tiers.
    let tee = sandbox
        .state()
        .tiers("trade-gbp", "TEE-ORG-BLK-M")
        .expect("tee tiers");
    assert_eq!(tee.len(), 3);
}

#[tokio::test]
async fn prices_travel_as_decimals_and_come_back_as_exact_cents() {
    let (sandbox, client) = seeded().await;
    client
        .update_pricing(
            "trade-gbp",
            &[sku("SOCK-3PK", &[(1, 1999), (6, 1), (24, 10)])],
        )
        .await
        .expect("update");
    let tiers = sandbox
        .state()
        .tiers("trade-gbp", "SOCK-3PK")
        .expect("tiers");
    let cents: Vec<i64> = tiers.iter().map(|t| t.price_cents).collect();
    assert_eq!(cents, [1999, 1, 10]);
}

#[tokio::test]
async fn sub_cent_wire_price_is_refused_naming_the_property() {
    let (sandbox, client) = seeded().await;
    // Only a raw request can send a price our types cannot express.
    drop(client);
    let http = reqwest::Client::new();
    let base = sandbox.base_url();
    let token: serde_json::Value = http
        .post(format!("{base}/api/auth/token"))
        .header("Site-Id", "sandbox-site")
        .json(&serde_json::json!({"grant_type": "client_credentials", "client_id": "sandbox-client", "client_secret": "sandbox-secret"}))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let response = http
        .patch(format!("{base}/api/v1/price-lists/trade-gbp/pricing"))
        .header("Site-Id", "sandbox-site")
        .bearer_auth(token["access_token"].as_str().expect("token"))
        .json(&serde_json::json!([{"sku": "X", "pricing": [{"quantity": 1, "price": 1.005}]}]))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 422);
    let problem: serde_json::Value = response.json().await.expect("problem json");
    assert_eq!(problem["errors"][0]["property"], "[0].pricing[0].price");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("more than 2 decimal places")
    );
}

#[tokio::test]
async fn batch_pricing_updates_several_lists_and_an_unknown_list_changes_nothing() {
    let (sandbox, client) = seeded().await;
    let entry = |slug: &str, price| BatchSkuPricing {
        price_list_slug: slug.into(),
        item: sku("CAP-RED", &[(1, price)]),
    };
    client
        .batch_update_pricing(&[entry("trade-gbp", 900), entry("wholesale-usd", 1100)])
        .await
        .expect("batch");
    assert_eq!(
        sandbox
            .state()
            .tiers("wholesale-usd", "CAP-RED")
            .map(|t| t[0].price_cents),
        Some(1100)
    );
    let err = client
        .batch_update_pricing(&[entry("trade-gbp", 1), entry("nope", 2)])
        .await
        .expect_err("unknown list");
    assert_eq!(
        err.problem().expect("problem").properties(),
        vec!["[1].price_list_slug"]
    );
    assert_eq!(
        sandbox
            .state()
            .tiers("trade-gbp", "CAP-RED")
            .map(|t| t[0].price_cents),
        Some(900)
    );
}
