//! Catalog flow end to end: Blue Cherry sandbox -> b2c-apparel plugin -> BigCommerce sandbox.

use crate::support;

use std::collections::BTreeSet;

use selvedge::flows::catalog::{self, CatalogSettings};
use selvedge_bigcommerce::model::{Availability, ProductQuery};
use selvedge_bluecherry::model::{Colour, Sku};
use support::Harness;
use support::b2c::brand;
use time::OffsetDateTime;

/// The SKUs of every variant on BigCommerce.
async fn variant_skus(h: &Harness) -> BTreeSet<String> {
    let query = ProductQuery {
        include_variants: true,
        ..ProductQuery::default()
    };
    let products = h.bc_client().list_products(&query).await.expect("products");
    products
        .iter()
        .flat_map(|p| p.variants.iter().map(|v| v.sku.clone()))
        .collect()
}

/// Requests that wrote something (anything but GET).
fn writes(h: &Harness) -> Vec<String> {
    h.bc()
        .handle()
        .exchanges()
        .into_iter()
        .filter(|e| e.method != "GET")
        .map(|e| format!("{} {}", e.method, e.path))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn styles_become_products_with_their_grid_and_a_second_run_writes_nothing() {
    let h = brand(12).await;
    let styles = h.erp.with_state(|s| s.styles.clone());
    let report = catalog::run(&h.ctx, &CatalogSettings::default())
        .await
        .expect("catalog run");
    assert_eq!(report.measurements.records, Some(12), "{}", report.summary);

    let query = ProductQuery {
        include_variants: true,
        include_options: true,
        ..ProductQuery::default()
    };
    let products = h.bc_client().list_products(&query).await.expect("products");
    assert_eq!(products.len(), styles.len());
    for style in &styles {
        let p = products
            .iter()
            .find(|p| p.sku == style.style)
            .unwrap_or_else(|| panic!("no product for {}", style.style));
        let want: BTreeSet<&str> = style.skus.iter().map(|k| k.sku.as_str()).collect();
        let got: BTreeSet<&str> = p.variants.iter().map(|v| v.sku.as_str()).collect();
        assert_eq!(got, want, "variants of {}", style.style);
        let options: BTreeSet<&str> = p.options.iter().map(|o| o.display_name.as_str()).collect();
        let mut expected = BTreeSet::from(["Colour", "Size"]);
        if !style.dimensions.is_empty() {
            expected.insert("Fit");
        }
        assert_eq!(options, expected, "options of {}", style.style);
        let preorder = style.season == "FA26";
        assert_eq!(
            p.availability == Availability::Preorder,
            preorder,
            "availability of {}",
            style.style
        );
        for v in &p.variants {
            assert_eq!(
                v.option_values.len(),
                expected.len(),
                "{} has a value for every option",
                v.sku
            );
        }
    }
    let bindings = h.store_bindings().await;
    let sku_count: usize = styles.iter().map(|s| s.skus.len()).sum();
    assert_eq!(
        bindings.iter().filter(|b| b.variant_id.is_some()).count(),
        sku_count,
        "every SKU is bound to its variant"
    );
    let decisions = h
        .ctx
        .store
        .latest_decisions("brand", Some("catalog"), &styles[0].style, 5)
        .await
        .expect("decisions");
    let version = h.ctx.plugin.current().expect("plugin").version.clone();
    assert!(
        decisions
            .iter()
            .any(|d| d.decision.plugin_version == version),
        "decision stamped with the plugin version"
    );

    h.bc().handle().clear_log();
    let again = catalog::run(&h.ctx, &CatalogSettings::default())
        .await
        .expect("second run");
    assert_eq!(
        writes(&h),
        Vec::<String>::new(),
        "second run wrote: {}",
        again.summary
    );
    assert_eq!(again.measurements.changed, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_style_is_batch_updated_and_nothing_else_is_written() {
    let h = brand(6).await;
    catalog::run(&h.ctx, &CatalogSettings::default())
        .await
        .expect("first run");
    let (style, skus) = h.erp.with_state(|s| {
        let st = &mut s.styles[2];
        st.prices.retail.0 += 500;
        st.updated_at = OffsetDateTime::now_utc();
        (st.style.clone(), st.skus.len())
    });
    h.bc().handle().clear_log();
    let report = catalog::run(&h.ctx, &CatalogSettings::default())
        .await
        .expect("second run");
    let w = writes(&h);
    assert_eq!(
        w.iter()
            .filter(|p| p.as_str() == "PUT /catalog/products")
            .count(),
        1,
        "{w:?}"
    );
    assert_eq!(
        w.iter()
            .filter(|p| p.as_str() == "PUT /catalog/variants")
            .count(),
        skus.div_ceil(50),
        "{w:?}"
    );
    assert_eq!(
        w.len(),
        1 + skus.div_ceil(50),
        "only the changed style is written: {w:?}"
    );
    assert_eq!(
        report.measurements.extra.get("products_updated"),
        Some(&1.into()),
        "{}",
        report.summary
    );
    let p = h
        .bc_client()
        .list_products(&ProductQuery {
            sku: Some(style),
            ..ProductQuery::default()
        })
        .await
        .expect("product");
    assert!(p.iter().any(|p| p.price.cents() > 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_grid_values_become_sku_unmapped_exceptions_never_broken_skus() {
    let h = brand(6).await;
    catalog::run(&h.ctx, &CatalogSettings::default())
        .await
        .expect("first run");
    let before = variant_skus(&h).await;
    // Style 0 gains a colour the BigCommerce product has no option value for; style 1 gains
    // a SKU in a size outside its scale (the plugin refuses the style).
    let (new_skus, refused_style) = h.erp.with_state(|s| {
        let now = OffsetDateTime::now_utc();
        let st = &mut s.styles[0];
        st.colours.push(Colour {
            code: "777".into(),
            name: "Teal".into(),
            nrf_colour: "777".into(),
        });
        let mut added = Vec::new();
        for (i, size) in st.sizes.clone().iter().enumerate() {
            let dimension = st.dimensions.first().cloned();
            let sku = selvedge_bluecherry::model::sku_code(
                &st.style,
                "777",
                &size.code,
                dimension.as_deref(),
            );
            st.skus.push(Sku {
                sku: sku.clone(),
                colour: "777".into(),
                size: size.code.clone(),
                dimension,
                upc: format!("0841299{:05}", i),
                nrf_size: size.nrf_size.clone(),
                nrf_colour: "777".into(),
            });
            added.push(sku);
        }
        st.updated_at = now;
        let other = &mut s.styles[1];
        let mut odd = other.skus[0].clone();
        odd.size = "9XL".into();
        odd.sku = selvedge_bluecherry::model::sku_code(
            &other.style,
            &odd.colour,
            "9XL",
            odd.dimension.as_deref(),
        );
        odd.upc = "084129988888".into();
        other.skus.push(odd);
        other.updated_at = now;
        let refused = other.style.clone();
        s.reindex();
        (added, refused)
    });
    catalog::run(&h.ctx, &CatalogSettings::default())
        .await
        .expect("second run");

    let after = variant_skus(&h).await;
    assert_eq!(
        after, before,
        "no variant was created for a SKU the product cannot carry"
    );
    let open = h.exceptions("sku_unmapped").await;
    for sku in &new_skus {
        let e = open
            .iter()
            .find(|e| &e.subject == sku)
            .unwrap_or_else(|| panic!("no exception for {sku}: {open:#?}"));
        assert!(e.summary.contains("Teal"), "{}", e.summary);
        assert_eq!(e.owner, "ecommerce");
    }
    let refused = open
        .iter()
        .find(|e| e.subject == refused_style)
        .expect("the refused style has an exception");
    assert!(refused.summary.contains("9XL"), "{}", refused.summary);
}

impl Harness {
    async fn store_bindings(&self) -> Vec<selvedge_store::SkuBinding> {
        self.ctx
            .store
            .list_bindings("brand", "bigcommerce")
            .await
            .expect("bindings")
    }
}
