//! Stage one of an order job: which ledger record it is, and the full storefront order.
//!
//! For storefronts whose edits are revisions, a purchase edited after it reached the ERP becomes a *revision*: ledger key
//! `{id}~r2`, `~r3`, ... (the content hash decides which), each with its own history. The
//! injector replaces the whole ERP sales order with revision N (the gateway's `PUT` keyed by
//! the revision number, so a retry applies it once) and closes the superseded ledger record.

use std::collections::HashMap;
use std::sync::Arc;

use selvedge_bluecherry::model::{Customer, FIRST_REVISION};
use selvedge_runtime::rules::orders::{CustomerTerms, StorefrontOrder};
use selvedge_store::{Job, OrderKey, OrderRecord, OrderState};
use serde::Deserialize;

use crate::flows::{ClientServices, FlowError};
use crate::storefronts::StatusRule;

/// What an order job carries (written by the intake).
#[derive(Debug, Clone, Deserialize)]
pub struct OrderJobPayload {
    /// `bigcommerce` or `sparklayer`.
    pub storefront: String,
    /// Storefront order id (Sparklayer: the purchase UUID).
    pub order_id: String,
    /// Sparklayer: hash of the purchase content when it was polled.
    #[serde(default)]
    pub content_hash: Option<String>,
    /// BigCommerce `store/order/statusUpdated`: the status the order moved to.
    #[serde(default)]
    pub new_status_id: Option<i64>,
}

/// An order ready for the plugin.
pub struct Prepared {
    /// The ledger record this job works on.
    pub key: OrderKey,
    /// Revision of the storefront order: 1 for the first content, 2 after the first edit...
    pub revision: u32,
    /// The superseded record, when this is a revision of an injected order.
    pub supersedes: Option<OrderRecord>,
    /// This job's ledger record as prepared (its reference, if one was stored); `None` for
    /// an order the ledger does not know yet (the injection's first write records it).
    pub record: Option<OrderRecord>,
    /// Hash of the content being injected (what a revision is recognised by).
    pub hash: String,
    /// Plugin input.
    pub order: StorefrontOrder,
    /// Time spent in storefront calls.
    pub fetch: std::time::Duration,
    /// Time this stage took for this order (set by the caller).
    pub prepared_in: std::time::Duration,
}

/// Why a job cannot be prepared.
pub enum PrepareOutcome {
    /// Ready for the plugin.
    Ready(Box<Prepared>),
    /// Nothing to do (already injected, or cancelled): the job is complete.
    AlreadyDone(OrderRecord),
    /// The order cannot be read or converted: an exception, never retried.
    Invalid { key: OrderKey, reason: String },
    /// Its status says it is not a sale (declined, cancelled): recorded, never injected.
    Skipped { key: OrderKey, reason: String },
    /// Its status is not decided yet (incomplete checkout): check again later.
    Recheck { key: OrderKey, reason: String },
    /// Cancelled in the storefront after it reached the ERP: a person must act.
    CancelledAfterInjection { record: OrderRecord, reason: String },
    /// Failed for now; retry later.
    Transient(String),
}

impl From<FlowError> for PrepareOutcome {
    fn from(e: FlowError) -> Self {
        PrepareOutcome::Transient(e.to_string())
    }
}

/// Reads the job, finds its ledger record and fetches the order through the storefront's
/// [`OrderSource`](crate::storefronts::OrderSource).
pub async fn prepare(ctx: &ClientServices, job: &Job, customers: &ErpCustomers) -> PrepareOutcome {
    let storefront = ctx.storefront.name();
    let payload: OrderJobPayload = match serde_json::from_value(job.payload.clone()) {
        Ok(p) => p,
        Err(e) => {
            let key = OrderKey::new(&ctx.client, storefront, &job.idempotency_key);
            return PrepareOutcome::Invalid {
                key,
                reason: format!("job payload unreadable: {e}"),
            };
        }
    };
    let base = OrderKey::new(&ctx.client, &payload.storefront, &payload.order_id);
    if payload.storefront != storefront {
        let other = &payload.storefront;
        return PrepareOutcome::Invalid {
            key: base,
            reason: format!("a {other} order for a {storefront} client"),
        };
    }
    let source = match ctx.storefront.orders() {
        Ok(source) => source,
        Err(e) => {
            return PrepareOutcome::Invalid {
                key: base,
                reason: e.to_string(),
            };
        }
    };
    let id = payload.order_id.as_str();
    // An order injected once (no revisions): nothing to fetch, unless a status update asks
    // whether it was cancelled since (read from the storefront, not the delivery: deliveries
    // can arrive out of order).
    let mut known = None;
    if !source.edits_are_revisions() {
        match ctx.store.order(&base).await {
            Ok(Some(rec)) if matches!(rec.state, OrderState::Injected | OrderState::Cancelled) => {
                if rec.state == OrderState::Injected && payload.new_status_id.is_some() {
                    match source.status(id).await {
                        Ok(StatusRule::Skip(reason)) => {
                            return PrepareOutcome::CancelledAfterInjection {
                                record: rec,
                                reason: reason.to_string(),
                            };
                        }
                        Ok(_) => {}
                        Err(e) if e.is_transient() => {
                            return PrepareOutcome::Transient(e.to_string());
                        }
                        Err(e) => {
                            tracing::warn!(order = id, error = %e, "cannot read an injected order's new status");
                        }
                    }
                }
                return PrepareOutcome::AlreadyDone(rec);
            }
            Ok(rec) => known = rec,
            Err(e) => return PrepareOutcome::Transient(e.to_string()),
        }
    }
    let started = std::time::Instant::now();
    let fetched = match source.fetch(id).await {
        Ok(Some(f)) => f,
        Ok(None) => {
            return PrepareOutcome::Invalid {
                key: base,
                reason: format!("the order no longer exists in {storefront}"),
            };
        }
        Err(e) if e.is_transient() => return PrepareOutcome::Transient(e.to_string()),
        Err(e) => {
            return PrepareOutcome::Invalid {
                key: base,
                reason: format!("cannot read the order: {e}"),
            };
        }
    };
    // The status as the storefront has it now, whichever path brought the order here.
    match fetched.status {
        StatusRule::Inject => {}
        StatusRule::Recheck => {
            return PrepareOutcome::Recheck {
                key: base,
                reason: format!("order {id} is still incomplete"),
            };
        }
        StatusRule::Skip(reason) => {
            return match ctx.store.order(&base).await {
                Ok(Some(record)) if record.state == OrderState::Injected => {
                    PrepareOutcome::CancelledAfterInjection {
                        record,
                        reason: reason.to_string(),
                    }
                }
                Ok(_) => PrepareOutcome::Skipped {
                    key: base,
                    reason: reason.to_string(),
                },
                Err(e) => PrepareOutcome::Transient(e.to_string()),
            };
        }
    }
    let mut order = fetched.order;
    // Blue Cherry is master for terms and credit: the buyer's come from its customer master.
    if let Some(code) = order.erp_customer.clone() {
        match customers.get(ctx).await {
            Ok(map) => order.terms = map.get(&code).map(terms),
            Err(e) => return PrepareOutcome::Transient(e.to_string()),
        }
    }
    let fetch = started.elapsed();
    let hash = fetched.content_hash;
    let now = time::OffsetDateTime::now_utc();
    if !source.edits_are_revisions() {
        // No write here: the injection's first write records the order as received.
        return PrepareOutcome::Ready(Box::new(Prepared {
            key: base,
            revision: FIRST_REVISION,
            supersedes: None,
            record: known,
            hash,
            order,
            fetch,
            prepared_in: std::time::Duration::ZERO,
        }));
    }
    let (key, revision, supersedes) = match revision(ctx, &base, &hash).await {
        Ok(r) => r,
        Err(e) => return PrepareOutcome::Transient(e.to_string()),
    };
    match ctx.store.record_order_received(&key, &hash, now).await {
        Ok(rec) if matches!(rec.state, OrderState::Injected | OrderState::Cancelled) => {
            PrepareOutcome::AlreadyDone(rec)
        }
        Ok(record) => PrepareOutcome::Ready(Box::new(Prepared {
            key,
            revision,
            supersedes,
            record: Some(record),
            hash,
            order,
            fetch,
            prepared_in: std::time::Duration::ZERO,
        })),
        Err(e) => PrepareOutcome::Transient(e.to_string()),
    }
}

/// The buyer's terms and credit from the ERP customer master.
fn terms(c: &Customer) -> CustomerTerms {
    CustomerTerms {
        customer: c.customer.clone(),
        terms_code: c.terms_code.clone(),
        net_days: c.net_days,
        credit_limit: c.credit_limit.0,
        balance: c.balance.0,
    }
}

/// The ledger record for this content. Only the latest revision counts: the same content
/// as the latest is that record; anything else (an edit back to an earlier content too:
/// A -> B -> A is a third revision) is the next revision, superseding the latest.
async fn revision(
    ctx: &ClientServices,
    base: &OrderKey,
    hash: &str,
) -> Result<(OrderKey, u32, Option<OrderRecord>), FlowError> {
    let key_of = |n: u32| {
        if n == FIRST_REVISION {
            base.clone()
        } else {
            let id = format!("{}~r{n}", base.storefront_order_id);
            OrderKey::new(&base.client, &base.storefront, &id)
        }
    };
    let mut records: Vec<OrderRecord> = Vec::new();
    for n in FIRST_REVISION..=MAX_REVISIONS {
        match ctx.store.order(&key_of(n)).await? {
            Some(rec) => records.push(rec),
            None => break,
        }
    }
    let count = u32::try_from(records.len()).unwrap_or(MAX_REVISIONS);
    let Some(latest) = records.pop() else {
        return Ok((base.clone(), FIRST_REVISION, None));
    };
    if latest.payload_hash == hash {
        // This content is the latest revision: its record, superseding the one before.
        return Ok((latest.key.clone(), count, records.pop()));
    }
    if count >= MAX_REVISIONS {
        return Err(FlowError::Invalid(format!(
            "order {} has {MAX_REVISIONS} revisions; edit it in the ERP",
            base.storefront_order_id
        )));
    }
    Ok((key_of(count + 1), count + 1, Some(latest)))
}

/// Revisions of one storefront order the host will follow.
const MAX_REVISIONS: u32 = 1_000;

/// ERP customers by number.
type CustomerMap = Arc<HashMap<String, Customer>>;

/// The ERP customer master (terms, credit), read once a minute at most.
#[derive(Default)]
pub struct ErpCustomers {
    cache: tokio::sync::Mutex<Option<(std::time::Instant, CustomerMap)>>,
}

impl ErpCustomers {
    /// The customers by number, refreshed when older than a minute.
    pub async fn get(&self, ctx: &ClientServices) -> Result<CustomerMap, FlowError> {
        let mut cache = self.cache.lock().await;
        if let Some((at, map)) = cache.as_ref()
            && at.elapsed() < std::time::Duration::from_secs(60)
        {
            return Ok(map.clone());
        }
        let map: HashMap<String, Customer> = ctx
            .erp
            .list_customers()
            .await?
            .into_iter()
            .map(|c| (c.customer.clone(), c))
            .collect();
        let map = Arc::new(map);
        *cache = Some((std::time::Instant::now(), map.clone()));
        Ok(map)
    }
}
