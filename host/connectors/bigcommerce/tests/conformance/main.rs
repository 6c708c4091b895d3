//! OpenAPI conformance: everything the client sends and the sandbox answers is checked
//! against BigCommerce's own OpenAPI documents (`shared/specs/bigcommerce`).

#[path = "../common/mod.rs"]
mod common;
mod drive;
mod drive_orders;

use std::collections::BTreeSet;

use common::receiver::Receiver;
use common::spec::{KNOWN_SPEC_DEFECTS, UNDOCUMENTED_OPERATIONS, is_known_defect, undocumented};
use selvedge_bigcommerce::client::Operation;
use selvedge_bigcommerce::sandbox::Exchange;
use serde_json::json;

/// (method, spec template) of every exchange that maps onto a documented operation.
fn covered(exchanges: &[Exchange], specs: &common::spec::Specs) -> BTreeSet<(String, String)> {
    exchanges
        .iter()
        .filter_map(|e| {
            specs
                .operation(&e.api, &e.method, &e.path)
                .map(|op| (e.method.clone(), op.template))
        })
        .collect()
}

/// Every operation of the client's enum was driven: documented ones map onto the spec
/// template the enum names, undocumented ones were called and are still undocumented.
fn assert_every_operation_driven(exchanges: &[Exchange], specs: &common::spec::Specs) {
    let seen = covered(exchanges, specs);
    for op in Operation::ALL {
        let method = op.method().as_str().to_owned();
        if UNDOCUMENTED_OPERATIONS.iter().any(|(u, _)| u == op) {
            let ex = exchanges
                .iter()
                .find(|e| undocumented(e) == Some(*op))
                .unwrap_or_else(|| panic!("{} was not exercised", op.label()));
            assert!(
                specs
                    .check_exchange(ex)
                    .iter()
                    .any(|p| p.contains("no such operation")),
                "{} is documented now: drop it from UNDOCUMENTED_OPERATIONS",
                op.label()
            );
            continue;
        }
        // The enum's template is the spec's own (a typo would map elsewhere or nowhere).
        let in_spec = specs
            .operation(op.api().as_str(), &method, op.template())
            .map(|o| o.template);
        assert_eq!(
            in_spec.as_deref(),
            Some(op.template()),
            "{} is not a spec operation",
            op.label()
        );
        assert!(
            seen.contains(&(method, op.template().to_owned())),
            "{} was not exercised",
            op.label()
        );
    }
}

#[tokio::test]
async fn client_requests_sandbox_responses_and_webhooks_match_the_openapi_specs() {
    let Some(specs) = common::spec::load_or_skip() else {
        return;
    };
    let (sandbox, client) = common::start().await;
    let h = sandbox.handle();
    let receiver = Receiver::start(&[]).await;
    drive::drive(&client, &h, &receiver.url()).await;

    let exchanges = h.exchanges();
    let (tolerated, problems): (Vec<String>, Vec<String>) = exchanges
        .iter()
        .filter(|e| undocumented(e).is_none())
        .flat_map(|e| specs.check_exchange(e))
        .partition(|p| is_known_defect(p));
    // A tolerated defect that no longer shows up means the spec was fixed: drop the entry.
    for (op, needle, _) in KNOWN_SPEC_DEFECTS {
        assert!(
            tolerated
                .iter()
                .any(|p| p.starts_with(op) && p.contains(needle)),
            "known spec defect `{op}` / `{needle}` no longer occurs: remove it"
        );
    }
    assert!(
        problems.is_empty(),
        "{} spec violations:\n{}",
        problems.len(),
        problems.join("\n")
    );

    assert_every_operation_driven(&exchanges, &specs);
    // The undocumented store clock has the shape BigCommerce serves: `{"time": <unix s>}`.
    for ex in exchanges.iter().filter(|e| undocumented(e).is_some()) {
        let time = ex
            .response_body
            .as_ref()
            .and_then(|b| b.get("time"))
            .and_then(serde_json::Value::as_i64);
        assert!(time.is_some_and(|t| t > 1_700_000_000), "{ex:?}");
    }
    let statuses: BTreeSet<u16> = exchanges.iter().map(|e| e.status).collect();
    for s in [200, 201, 204, 207, 404, 409, 413, 422] {
        assert!(
            statuses.contains(&s),
            "no exchange answered {s}: {statuses:?}"
        );
    }

    // Webhooks: order created, status updated (twice), shipment, refund.
    let deliveries = receiver.wait_for(12).await;
    let mut scopes = BTreeSet::new();
    for d in &deliveries {
        assert_eq!(
            d.headers
                .get("x-selvedge-secret")
                .and_then(|v| v.to_str().ok()),
            Some("s3cret")
        );
        if let Some(problems) = specs.check_webhook(&d.body) {
            assert!(problems.is_empty(), "{problems:?}");
            scopes.insert(d.body["scope"].as_str().unwrap_or_default().to_owned());
        }
    }
    for scope in [
        "store/order/created",
        "store/order/statusUpdated",
        "store/shipment/created",
        "store/order/refund/created",
        "store/order/updated",
        "store/sku/inventory/updated",
        "store/product/updated",
    ] {
        assert!(
            scopes.contains(scope),
            "no checked delivery for {scope}: {scopes:?}"
        );
    }
}

fn exchange(method: &str, api: &str, path: &str, status: u16, body: serde_json::Value) -> Exchange {
    Exchange {
        method: method.into(),
        api: api.into(),
        path: path.into(),
        route: String::new(),
        query: Vec::new(),
        request_body: None,
        status,
        content_type: Some("application/json".into()),
        response_body: Some(body),
    }
}

#[test]
fn checker_accepts_a_conforming_exchange_and_rejects_a_price_sent_as_string() {
    let Some(specs) = common::spec::load_or_skip() else {
        return;
    };
    let good = exchange(
        "GET",
        "v3",
        "/catalog/products",
        200,
        json!({"data": [{"id": 1, "name": "Tee", "type": "physical", "price": 25.63}], "meta": {}}),
    );
    assert_eq!(specs.check_exchange(&good), Vec::<String>::new());
    let bad = exchange(
        "GET",
        "v3",
        "/catalog/products",
        200,
        json!({"data": [{"id": 1, "name": "Tee", "type": "physical", "price": "25.63"}], "meta": {}}),
    );
    let problems = specs.check_exchange(&bad);
    assert!(problems.iter().any(|p| p.contains("price")), "{problems:?}");
}

#[test]
fn checker_rejects_an_undeclared_query_parameter_and_a_non_integer_id_filter() {
    let Some(specs) = common::spec::load_or_skip() else {
        return;
    };
    let mut ex = exchange(
        "GET",
        "v3",
        "/catalog/products",
        200,
        json!({"data": [], "meta": {}}),
    );
    ex.query = vec![
        ("colour".into(), "red".into()),
        ("id:in".into(), "1,x".into()),
    ];
    let problems = specs.check_exchange(&ex);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`colour` is not declared")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("`x` is not a integer")),
        "{problems:?}"
    );
}

#[test]
fn checker_rejects_a_request_body_missing_required_fields_and_an_undeclared_status() {
    let Some(specs) = common::spec::load_or_skip() else {
        return;
    };
    let mut ex = exchange(
        "POST",
        "v3",
        "/catalog/products",
        200,
        json!({"data": {"id": 1, "name": "x"}, "meta": {}}),
    );
    ex.request_body = Some(json!({"name": "x"}));
    let problems = specs.check_exchange(&ex);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("request body") && p.contains("price")),
        "{problems:?}"
    );
    let ex = exchange("GET", "v3", "/inventory/items", 418, json!({}));
    assert!(
        specs
            .check_exchange(&ex)
            .iter()
            .any(|p| p.contains("418 is not declared"))
    );
}

#[test]
fn checker_rejects_v2_money_as_number_and_v2_error_shape_on_v2_order() {
    let Some(specs) = common::spec::load_or_skip() else {
        return;
    };
    let ok = exchange(
        "GET",
        "v2",
        "/orders/5",
        200,
        json!({"id": 5, "total_inc_tax": "25.6300", "billing_address": {"zip": "1"}}),
    );
    assert_eq!(specs.check_exchange(&ok), Vec::<String>::new());
    let bad = exchange(
        "GET",
        "v2",
        "/orders/5",
        200,
        json!({"id": 5, "total_inc_tax": 25.63, "billing_address": {"zip": "1"}}),
    );
    assert!(!specs.check_exchange(&bad).is_empty());
}

#[test]
fn checker_rejects_a_webhook_payload_with_a_wrong_type_or_missing_field() {
    let Some(specs) = common::spec::load_or_skip() else {
        return;
    };
    let good = json!({"scope": "store/order/refund/created", "store_id": "1001", "hash": "ab", "created_at": 1, "producer": "stores/x",
        "data": {"type": "order", "id": 7, "refund": {"refund_id": 3}}});
    assert_eq!(specs.check_webhook(&good), Some(vec![]));
    let mut bad = good.clone();
    bad["data"]["refund"]["refund_id"] = json!("three");
    assert!(!specs.check_webhook(&bad).unwrap_or_default().is_empty());
    let mut missing = good;
    missing.as_object_mut().map(|o| o.remove("hash"));
    assert!(!specs.check_webhook(&missing).unwrap_or_default().is_empty());
}

#[test]
fn checker_rejects_query_values_outside_the_declared_enum() {
    let Some(specs) = common::spec::load_or_skip() else {
        return;
    };
    let mut ok = exchange("GET", "v2", "/orders", 200, json!([]));
    ok.query = vec![("sort".into(), "date_modified:asc".into())];
    assert_eq!(specs.check_exchange(&ok), Vec::<String>::new());
    let mut bad = ok.clone();
    bad.query = vec![("sort".into(), "colour:asc".into())];
    assert!(!specs.check_exchange(&bad).is_empty());
    let mut bad = exchange(
        "GET",
        "v3",
        "/catalog/products",
        200,
        json!({"data": [], "meta": {}}),
    );
    bad.query = vec![("include".into(), "variants,sparkles".into())];
    let problems = specs.check_exchange(&bad);
    assert!(
        problems.iter().any(|p| p.contains("sparkles")),
        "{problems:?}"
    );
}

#[test]
#[should_panic(expected = "CI=true but the BigCommerce OpenAPI specs are missing")]
fn missing_specs_fail_under_ci() {
    common::spec::load_from(None, true);
}

#[test]
fn missing_specs_outside_ci_skip() {
    assert!(common::spec::load_from(None, false).is_none());
}
