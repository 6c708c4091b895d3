//! Readable "why": one sentence per recorded decision, built from what was recorded (the
//! buckets counted, the buffer and the rule that set it, the plugin build, the ERP cycle
//! and its lag; for an order, the rules that picked the warehouse, division and terms, or
//! the issues that held it back). A merchandiser reads the sentence; the raw record stays
//! one click (or `--details`) away.

use selvedge_store::Decision;
use serde_json::Value;
use time::OffsetDateTime;
use time::macros::format_description;

/// The sentence for a decision of any flow.
pub fn sentence(d: &Decision) -> String {
    match d.flow.as_str() {
        "inventory" => stock_sentence(d),
        "orders" => order_sentence(d),
        _ => format!(
            "{} decision by plugin {} {} at {}.",
            d.flow,
            d.plugin_id,
            short(&d.plugin_version),
            clock(d.created_at)
        ),
    }
}

fn short(v: &str) -> &str {
    v.get(..7).unwrap_or(v)
}

fn clock(at: OffsetDateTime) -> String {
    at.format(format_description!("[hour]:[minute]:[second] UTC"))
        .unwrap_or_default()
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn has(reasons: &Value, name: &str) -> bool {
    reasons
        .as_array()
        .is_some_and(|r| r.iter().any(|x| x.as_str() == Some(name)))
}

/// `ATS 95 at NJ01 = on hand 96 - open orders 1 (buffer 0, pre-order off), plugin
/// b2c_apparel 64290ba, pushed 95 at 07:52:26 UTC to location 1, ERP cycle 6 (lag 1 min).`
fn stock_sentence(d: &Decision) -> String {
    let r = &d.reason;
    let tail = format!(
        "plugin {} {}, pushed {} at {} to location {}, ERP cycle {} (lag {} min)",
        d.plugin_id,
        short(&d.plugin_version),
        int(&d.value["qty"]),
        clock(d.created_at),
        r["location"].as_str().unwrap_or("-"),
        int(&r["cycle_id"]),
        int(&r["cycle_latency_minutes"]),
    );
    if r["decided_by"].as_str() == Some("selvedge") {
        return format!(
            "Set to 0 by Selvedge, not the plugin: {}; {tail}.",
            r["why"]
                .as_str()
                .unwrap_or("the ERP snapshot no longer lists it")
        );
    }
    let parts: Vec<String> = r["sources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(source_clause)
        .collect();
    if parts.is_empty() {
        return format!("Stock decision; {tail}.");
    }
    format!("{}; {tail}.", parts.join("; "))
}

/// One warehouse row: the buckets the rule counted, the buffer and what set it.
fn source_clause(s: &Value) -> String {
    let b = &s["buckets"];
    let reasons = &s["reasons"];
    let mut terms = vec![];
    if has(reasons, "on_hand_counted") {
        terms.push(format!("on hand {}", int(&b["total_qoh"])));
    }
    for (name, bucket, label) in [
        ("picked_subtracted", "total_pick", "picked"),
        ("open_orders_subtracted", "total_open", "open orders"),
    ] {
        if has(reasons, name) && int(&b[bucket]) != 0 {
            terms.push(format!("- {label} {}", int(&b[bucket])));
        }
    }
    for (name, bucket, label) in [
        (
            "open_work_orders_included",
            "total_prod",
            "open work orders",
        ),
        ("in_transit_included", "in_transit", "in transit"),
    ] {
        if has(reasons, name) {
            terms.push(format!("+ {label} {}", int(&b[bucket])));
        }
    }
    let buffer = int(&s["buffer"]);
    let rule = [
        ("sku_buffer", "the SKU's own buffer"),
        ("fast_mover", "fast mover"),
        ("fixed_buffer", "fixed buffer"),
        ("percent_buffer", "percentage buffer"),
        ("latency_buffer", "lag buffer"),
    ]
    .iter()
    .find(|(name, _)| has(reasons, name))
    .map(|(_, label)| format!(" for {label}"))
    .unwrap_or_default();
    if buffer != 0 {
        terms.push(format!("- buffer {buffer}{rule}"));
    }
    let preorder = if has(reasons, "open_work_orders_included") {
        "pre-order on"
    } else {
        "pre-order off"
    };
    let clamped = if has(reasons, "clamped_at_zero") {
        ", held at 0"
    } else {
        ""
    };
    format!(
        "ATS {} at {} = {} (buffer {buffer}, {preorder}{clamped})",
        int(&s["ats"]),
        s["warehouse"].as_str().unwrap_or("-"),
        if terms.is_empty() {
            "nothing counted".to_string()
        } else {
            terms.join(" ")
        },
    )
}

/// `Sales order to warehouse CA02, division 01, customer WEB001, terms NET30, authorised:
/// warehouse-by-shipping-method (Standard -> CA02); plugin b2c_apparel 64290ba at ...`.
fn order_sentence(d: &Decision) -> String {
    let v = &d.value;
    let why: Vec<String> = d.reason["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let code = r["code"].as_str().unwrap_or("-");
            match r["detail"].as_str().filter(|s| !s.is_empty()) {
                Some(detail) => format!("{code} ({detail})"),
                None => code.to_string(),
            }
        })
        .collect();
    let issues: Vec<String> = d.reason["issues"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| {
            format!(
                "{} {}: {}",
                i["severity"].as_str().unwrap_or("-"),
                i["field"].as_str().unwrap_or("-"),
                i["message"].as_str().unwrap_or("-")
            )
        })
        .collect();
    let by = format!(
        "plugin {} {} at {}",
        d.plugin_id,
        short(&d.plugin_version),
        clock(d.created_at)
    );
    if v.is_null() {
        return format!(
            "No sales order: {}; {by}.",
            if issues.is_empty() {
                "the plugin made none".to_string()
            } else {
                issues.join("; ")
            }
        );
    }
    let mut head = format!(
        "Sales order to warehouse {}, division {}, customer {}",
        v["warehouse"].as_str().unwrap_or("-"),
        v["division"].as_str().unwrap_or("-"),
        v["customer"].as_str().unwrap_or("-")
    );
    if let Some(terms) = v["terms"].as_str() {
        head.push_str(&format!(", terms {terms}"));
    }
    if v["authorised"].as_bool() == Some(true) {
        head.push_str(", authorised");
    }
    if let Some(po) = v["po_number"].as_str() {
        head.push_str(&format!(", PO {po}"));
    }
    if v["review"].as_bool() == Some(true) {
        head.push_str(", flagged for review");
    }
    let mut out = head;
    if !why.is_empty() {
        out.push_str(&format!(" because {}", why.join(", ")));
    }
    if !issues.is_empty() {
        out.push_str(&format!(" (issues: {})", issues.join("; ")));
    }
    format!("{out}; {by}.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decision(flow: &str, reason: Value, value: Value) -> Decision {
        Decision {
            client: "brand".into(),
            flow: flow.into(),
            subject: "TEE".into(),
            plugin_id: "b2c_apparel".into(),
            plugin_version: "64290bafe1d2".into(),
            reason,
            value,
            call_id: None,
            created_at: OffsetDateTime::from_unix_timestamp(
                1_780_000_000 + 7 * 3600 + 52 * 60 + 26,
            )
            .unwrap()
            .replace_time(time::macros::time!(07:52:26)),
        }
    }

    #[test]
    fn a_stock_decision_reads_as_the_sum_the_rule_made() {
        let d = decision(
            "inventory",
            json!({ "cycle_id": 6, "location": "1", "cycle_latency_minutes": 1,
                "sources": [{ "warehouse": "NJ01", "ats": 95, "buffer": 0,
                    "buckets": { "total_qoh": 96, "total_pick": 0, "total_open": 1, "total_prod": 40 },
                    "reasons": ["on_hand_counted", "picked_subtracted", "open_orders_subtracted"] }] }),
            json!({ "qty": 95, "storefront_sku": "TEE" }),
        );
        assert_eq!(
            sentence(&d),
            "ATS 95 at NJ01 = on hand 96 - open orders 1 (buffer 0, pre-order off); plugin \
             b2c_apparel 64290ba, pushed 95 at 07:52:26 UTC to location 1, ERP cycle 6 (lag 1 min)."
        );
    }

    #[test]
    fn a_buffered_preorder_row_names_its_work_orders_and_the_rule_behind_the_buffer() {
        let d = decision(
            "inventory",
            json!({ "cycle_id": 7, "location": "1", "cycle_latency_minutes": 12,
                "sources": [{ "warehouse": "CA02", "ats": 41, "buffer": 2,
                    "buckets": { "total_qoh": 5, "total_pick": 1, "total_open": 1, "total_prod": 40 },
                    "reasons": ["on_hand_counted", "picked_subtracted", "open_orders_subtracted",
                        "open_work_orders_included", "fixed_buffer", "fast_mover"] }] }),
            json!({ "qty": 41 }),
        );
        let s = sentence(&d);
        assert!(
            s.starts_with(
                "ATS 41 at CA02 = on hand 5 - picked 1 - open orders 1 + open work orders 40 - \
                 buffer 2 for fast mover (buffer 2, pre-order on)"
            ),
            "{s}"
        );
    }

    #[test]
    fn an_order_reads_as_where_it_went_and_why_or_what_held_it_back() {
        let d = decision(
            "orders",
            json!({ "reasons": [{ "code": "warehouse-by-shipping-method", "detail": "Standard -> CA02" }], "issues": [] }),
            json!({ "warehouse": "CA02", "division": "01", "customer": "WEB001", "terms": null,
                "authorised": true, "po_number": null, "review": false }),
        );
        assert_eq!(
            sentence(&d),
            "Sales order to warehouse CA02, division 01, customer WEB001, authorised because \
             warehouse-by-shipping-method (Standard -> CA02); plugin b2c_apparel 64290ba at \
             07:52:26 UTC."
        );
        let held = decision(
            "orders",
            json!({ "reasons": [], "issues": [{ "severity": "error", "field": "lines",
                "message": "the order has no lines" }] }),
            Value::Null,
        );
        assert!(
            sentence(&held).starts_with("No sales order: error lines: the order has no lines;"),
            "{}",
            sentence(&held)
        );
    }
}
