//! The credit-memo side of a refund: plugin input from the storefront refund, the ERP
//! request from the plugin's memo, the create that never duplicates, and the audit record.

use selvedge_bluecherry::BlueCherryError;
use selvedge_bluecherry::model::{
    Cents, CreditMemo, CreditMemoLineRequest, CreditMemoRequest, SalesOrder,
};
use selvedge_runtime::rules::returns::{self, Refund, RefundDecision};
use selvedge_store::Decision;
use serde_json::json;
use time::OffsetDateTime;

use crate::flows::ClientServices;
use crate::references;

/// Adds the ERP side to the storefront's refund: the original ERP order's number,
/// customer, warehouse and division.
pub fn with_erp_order(
    mut refund: Refund,
    erp_no: Option<String>,
    sales_order: Option<&SalesOrder>,
) -> Refund {
    refund.sales_order = erp_no;
    refund.customer = sales_order.map(|s| s.customer.clone()).unwrap_or_default();
    refund.warehouse = sales_order.map(|s| s.warehouse.clone()).unwrap_or_default();
    refund.division = sales_order.map(|s| s.division.clone()).unwrap_or_default();
    refund
}

/// The ERP create from the plugin's memo under the host's reference `erp_ref`; the unit
/// credit is the line amount over its units.
pub fn memo_request(
    memo: &returns::CreditMemo,
    erp_no: Option<&str>,
    erp_ref: String,
) -> CreditMemoRequest {
    CreditMemoRequest {
        external_ref: erp_ref,
        customer: memo.customer.clone(),
        original_order: memo
            .sales_order
            .clone()
            .or(erp_no.map(str::to_string))
            .unwrap_or_default(),
        reason: Some(memo.reason_code.clone()),
        tax_amount: Cents(memo.tax),
        lines: memo
            .lines
            .iter()
            .filter(|l| l.quantity > 0)
            .map(|l| CreditMemoLineRequest {
                sku: l.sku.clone(),
                qty: i64::from(l.quantity),
                unit_price: Cents(l.amount / i64::from(l.quantity)),
                restock: l.restock,
            })
            .collect(),
    }
}

/// Creates the memo unless the ERP has it: `Duplicate` and `Ambiguous` are answered by a
/// lookup by external reference, never by a second create.
pub async fn create_once(
    ctx: &ClientServices,
    request: &CreditMemoRequest,
) -> Result<CreditMemo, BlueCherryError> {
    let missing =
        |reason: String| BlueCherryError::Transient(format!("memo not found after: {reason}"));
    // Paced by the account's shared limiter, right before the write.
    ctx.erp_writes
        .until_ready()
        .await
        .map_err(|stopping| BlueCherryError::Transient(stopping.to_string()))?;
    match ctx.erp.create_credit_memo(request).await {
        Ok(m) => Ok(m),
        Err(BlueCherryError::Duplicate {
            existing_number, ..
        }) => ctx
            .erp
            .find_credit_memo(&request.external_ref)
            .await?
            .ok_or_else(|| missing(existing_number))
            .and_then(|m| verified(request, m).map_err(BlueCherryError::Protocol)),
        Err(BlueCherryError::Ambiguous { reason, .. }) => ctx
            .erp
            .find_credit_memo(&request.external_ref)
            .await?
            .ok_or_else(|| missing(reason))
            .and_then(|m| verified(request, m).map_err(BlueCherryError::Protocol)),
        Err(e) => Err(e),
    }
}

/// A memo the ERP already holds under our reference is ours only with our content; other
/// content is never taken as success.
pub fn verified(request: &CreditMemoRequest, existing: CreditMemo) -> Result<CreditMemo, String> {
    match references::memo_differs(request, &existing) {
        None => Ok(existing),
        Some(difference) => Err(format!(
            "credit memo {} already carries reference {} with other content ({difference})",
            existing.memo_number, request.external_ref
        )),
    }
}

/// The audit record of a refund decision (restock included).
pub fn decision_record(
    client: &str,
    report: &selvedge_runtime::CallReport,
    refund_id: &str,
    d: &RefundDecision,
) -> Decision {
    Decision {
        client: client.to_string(),
        flow: "refunds".into(),
        subject: refund_id.to_string(),
        plugin_id: report.plugin.clone(),
        plugin_version: report.version.clone(),
        reason: json!({
            "reasons": d.reasons.iter().map(|r| json!({ "code": r.code, "detail": r.detail })).collect::<Vec<_>>(),
            "issues": d.issues.iter().map(|i| json!({ "code": i.code, "field": i.field, "message": i.message })).collect::<Vec<_>>(),
        }),
        value: json!({
            "memo": d.memo.as_ref().map(|m| json!({ "reason_code": m.reason_code, "total": m.total })),
            "restock": d.restock.iter().map(|r| json!({ "sku": r.sku, "warehouse": r.warehouse, "quantity": r.quantity })).collect::<Vec<_>>(),
        }),
        call_id: None,
        created_at: OffsetDateTime::now_utc(),
    }
}
