//! B2B on Sparklayer: ERP terms and credit -> `payment_on_account` (see [`crate::flows::b2b`]).

use std::collections::HashMap;

use selvedge_sparklayer::SparklayerClient;
use selvedge_sparklayer::model::PaymentOnAccount;
use serde_json::json;

use crate::flows::b2b::B2bOutcome;
use crate::flows::{ClientServices, ExceptionKind, FlowError};

/// Net terms Sparklayer accepts, in days.
const NET_TERMS_DAYS: std::ops::RangeInclusive<u16> = 7..=90;

pub(super) async fn sync_terms(
    ctx: &ClientServices,
    sl: &SparklayerClient,
    out: &mut B2bOutcome,
) -> Result<(), FlowError> {
    let erp = ctx.erp.list_customers().await?;
    let remote = sl.list_customers().await?;
    let by_code: HashMap<&str, _> = remote
        .iter()
        .filter_map(|c| Some((c.external_id.as_deref()?, c)))
        .collect();
    for c in &erp {
        // Card / web accounts carry no credit: nothing to publish.
        if c.net_days == 0 && c.credit_limit.0 == 0 {
            continue;
        }
        out.customers_read += 1;
        let Some(remote) = by_code.get(c.customer.as_str()) else {
            out.customers_unmatched += 1;
            continue;
        };
        let Some(days) = u16::try_from(c.net_days)
            .ok()
            .filter(|d| NET_TERMS_DAYS.contains(d))
        else {
            out.terms_refused += 1;
            let summary = format!(
                "customer {}: terms {} ({} days) are outside Sparklayer's 7-90 day net terms",
                c.customer, c.terms_code, c.net_days
            );
            ctx.raise(
                ExceptionKind::B2bSync,
                &c.customer,
                summary,
                json!({ "terms": c.terms_code }),
            )
            .await?;
            continue;
        };
        let mut want = PaymentOnAccount::new(c.credit_limit.0, c.balance.0, Some(days));
        // A malformed stored value is simply replaced with the ERP's.
        if let Ok(Some(current)) = remote.payment_on_account() {
            want.extra = current.extra.clone();
            if current == want {
                continue;
            }
        }
        match sl.set_payment_on_account(&remote.id, &want).await {
            Ok(_) => out.terms_updated += 1,
            Err(e) if e.status().is_some_and(|s| s == 400 || s == 422) => {
                out.terms_refused += 1;
                let summary = format!("customer {}: Sparklayer refused the terms: {e}", c.customer);
                ctx.raise(
                    ExceptionKind::B2bSync,
                    &c.customer,
                    summary,
                    json!({ "sparklayer_id": remote.id }),
                )
                .await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
