use std::time::{Duration, Instant};

use selvedge_sparklayer::Error;
use selvedge_sparklayer::model::{NewStockLocation, PriceList, SkuPricing, TierPrice};
use selvedge_sparklayer::sandbox::{FaultPlan, Quota, SandboxConfig};

use crate::common::{seeded, setup, setup_with};

fn tiers(sku: &str, price_cents: i64) -> Vec<SkuPricing> {
    vec![SkuPricing {
        sku: sku.into(),
        display_tax_rate: None,
        pricing: vec![TierPrice {
            quantity: 1,
            price_cents,
            unit_of_measure: None,
        }],
    }]
}

fn list(slug: &str) -> PriceList {
    PriceList {
        slug: slug.into(),
        name: slug.to_uppercase(),
        currency_code: "GBP".into(),
        source: None,
        tax_inclusive_display: None,
        rules: Vec::new(),
    }
}

#[tokio::test]
async fn rate_limit_is_honoured_by_waiting_at_least_retry_after() {
    let (sandbox, client) = setup().await;
    sandbox.state().inject(FaultPlan {
        rate_limits: 1,
        retry_after_secs: 1,
        ..FaultPlan::default()
    });
    let started = Instant::now();
    client
        .list_stock_locations()
        .await
        .expect("succeeds after the wait");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let stats = client.stats().snapshot();
    assert_eq!((stats.rate_limited, stats.retries), (1, 1));
}

#[tokio::test]
async fn retry_after_longer_than_the_cap_is_returned_instead_of_slept() {
    let (sandbox, client) =
        setup_with(SandboxConfig::default(), |c| c.max_retry_after_secs = 0).await;
    sandbox.state().inject(FaultPlan {
        rate_limits: 1,
        retry_after_secs: 30,
        ..FaultPlan::default()
    });
    let started = Instant::now();
    let err = client
        .list_stock_locations()
        .await
        .expect_err("429 surfaces");
    assert!(started.elapsed() < Duration::from_secs(5));
    match err {
        Error::Api {
            status: 429,
            retry_after,
            ..
        } => {
            assert_eq!(retry_after, Some(Duration::from_secs(30)));
        }
        other => panic!("expected a 429 error, got {other:?}"),
    }
}

#[tokio::test]
async fn concurrent_update_conflicts_are_retried() {
    let (sandbox, client) = seeded().await;
    sandbox.state().inject(FaultPlan {
        conflicts: 2,
        ..FaultPlan::default()
    });
    client
        .update_pricing("trade-gbp", &tiers("CAP-RED", 900))
        .await
        .expect("succeeds after two 409s");
    assert_eq!(
        sandbox
            .state()
            .tiers("trade-gbp", "CAP-RED")
            .map(|t| t[0].price_cents),
        Some(900)
    );
    assert_eq!(client.stats().snapshot().conflicts, 2);
    assert_eq!(sandbox.state().stats().conflicts, 2);
}

#[tokio::test]
async fn server_error_burst_is_retried_for_idempotent_calls() {
    let (sandbox, client) = seeded().await;
    sandbox.state().inject(FaultPlan {
        server_errors: 3,
        ..FaultPlan::default()
    });
    let locations = client
        .list_stock_locations()
        .await
        .expect("succeeds after 3 x 503");
    assert_eq!(locations.len(), 2);
    assert_eq!(
        sandbox.state().requests_to("GET /api/v1/stock-locations"),
        4
    );
    assert_eq!(client.stats().snapshot().server_errors, 3);
}

#[tokio::test]
async fn server_errors_beyond_the_retry_budget_surface_as_a_typed_error() {
    let (sandbox, client) = setup().await;
    sandbox.state().inject(FaultPlan {
        server_errors: 50,
        ..FaultPlan::default()
    });
    let err = client
        .list_stock_locations()
        .await
        .expect_err("budget runs out");
    assert!(
        matches!(
            err,
            Error::Api {
                status: 503,
                attempts: 5,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert_eq!(
        sandbox.state().requests_to("GET /api/v1/stock-locations"),
        5
    );
}

#[tokio::test]
async fn create_applied_before_a_5xx_is_found_not_posted_again() {
    let (sandbox, client) = setup().await;
    sandbox.state().inject(FaultPlan {
        applied_then_failed: 1,
        ..FaultPlan::default()
    });
    let created = client
        .create_price_list(&list("trade-eur"))
        .await
        .expect("found by slug");
    assert_eq!(created.slug, "trade-eur");
    assert_eq!(sandbox.state().requests_to("POST /api/v1/price-lists"), 1);
    assert_eq!(sandbox.state().price_list_count(), 1);
}

#[tokio::test]
async fn create_refused_with_a_5xx_is_looked_up_then_posted_again() {
    let (sandbox, client) = setup().await;
    sandbox.state().inject(FaultPlan {
        server_errors: 1,
        ..FaultPlan::default()
    });
    let location = client
        .create_stock_location(&NewStockLocation {
            name: "Leeds".into(),
            external_id: "WH-LDS".into(),
        })
        .await
        .expect("created on the second POST");
    assert_eq!(location.external_id.as_deref(), Some("WH-LDS"));
    assert_eq!(
        sandbox.state().requests_to("POST /api/v1/stock-locations"),
        2
    );
    assert_eq!(
        sandbox.state().requests_to("GET /api/v1/stock-locations"),
        1
    );
    assert_eq!(sandbox.state().stock_locations().len(), 1);
}

#[tokio::test]
async fn request_quota_answers_429_and_the_client_waits_for_the_window() {
    let config = SandboxConfig {
        quota: Some(Quota {
            quota: 2,
            window_ms: 1_000,
        }),
        ..SandboxConfig::default()
    };
    let (sandbox, client) = setup_with(config, |_| {}).await;
    for _ in 0..3 {
        client
            .list_stock_locations()
            .await
            .expect("every call ends well");
    }
    assert!(client.stats().snapshot().rate_limited >= 1);
    assert!(sandbox.state().stats().rate_limited >= 1);
}

#[tokio::test]
async fn validation_problem_names_the_property_and_is_not_retried() {
    let (sandbox, client) = seeded().await;
    let err = client
        .update_pricing("trade-gbp", &tiers("CAP-RED", -5))
        .await
        .expect_err("negative price refused");
    assert_eq!(err.status(), Some(422));
    let problem = err.problem().expect("problem body");
    assert_eq!(problem.properties(), vec!["[0].pricing[0].price"]);
    assert_eq!(problem.title, "Validation Failed");
    assert!(!err.is_transient());
    assert_eq!(
        sandbox
            .state()
            .requests_to("PATCH /api/v1/price-lists/{slug}/pricing"),
        1
    );
}
