//! Targeted re-sync: one order, one SKU(-location) or one style, asked for by a person and
//! done now, through the job engine (`resync/<client>` jobs, keyed by target, so two clicks
//! on the same target while it waits are one job).
//!
//! - **SKU**: its rows of the latest ERP cycle go through the plugin and are pushed, changed or
//!   not ([`inventory::one`](crate::flows::inventory::one));
//! - **style**: read from the ERP, mapped by the plugin, every product and variant written
//!   again ([`catalog::resync_style`](crate::flows::catalog::resync_style));
//! - **order**: one the ledger holds as injected answers "already in Blue Cherry as <number>"
//!   and nothing is sent; one the storefront's status rules skip says why; otherwise its one
//!   injection job (the key webhooks and sweeps use) is queued or re-armed, never a second
//!   one, and the injector's exactly-once rules apply as always.

use std::sync::Arc;
use std::time::Duration;

use selvedge_store::{Job, JobState, NewJob, OrderKey, OrderState, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::catalog::CatalogSettings;
use super::inventory::InventorySettings;
use super::orders::OrdersSettings;
use super::orders::sweep::InjectionJob;
use super::{ClientServices, FlowError, FlowKind};
use crate::jobs::kinds::{backoff, resync_kind};
use crate::jobs::{Outcome, WorkOutcome, Worker, settle};
use crate::scheduler::BoxFuture;
use crate::storefronts::StatusRule;

/// Claims a re-sync job gets before it gives up (ERP or storefront unreachable).
const ATTEMPTS: u32 = 3;

/// What to re-sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "target", rename_all = "snake_case", deny_unknown_fields)]
pub enum Target {
    /// A storefront order, by the storefront's id.
    Order { order_id: String },
    /// An ERP SKU, at every location or at one (warehouse code or storefront location).
    Sku {
        sku: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<String>,
    },
    /// An ERP style.
    Style { style: String },
}

impl Target {
    /// The flow the target belongs to (a pause of that flow refuses the re-sync).
    pub fn flow(&self) -> FlowKind {
        match self {
            Target::Order { .. } => FlowKind::Orders,
            Target::Sku { .. } => FlowKind::Inventory,
            Target::Style { .. } => FlowKind::Catalog,
        }
    }

    /// The job's idempotency key: one pending re-sync per target.
    fn key(&self) -> String {
        match self {
            Target::Order { order_id } => format!("order:{order_id}"),
            Target::Sku {
                sku,
                location: Some(l),
            } => format!("sku:{sku}@{l}"),
            Target::Sku {
                sku,
                location: None,
            } => format!("sku:{sku}"),
            Target::Style { style } => format!("style:{style}"),
        }
    }

    /// The target in words.
    pub fn describe(&self) -> String {
        match self {
            Target::Order { order_id } => format!("order {order_id}"),
            Target::Sku {
                sku,
                location: Some(l),
            } => format!("SKU {sku} at {l}"),
            Target::Sku {
                sku,
                location: None,
            } => format!("SKU {sku}"),
            Target::Style { style } => format!("style {style}"),
        }
    }
}

/// How a re-sync ended (or where it stands).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A SKU's quantities were pushed.
    Pushed,
    /// A style's products and variants were written again.
    Synced,
    /// The order was injected now.
    Injected,
    /// The order was already in Blue Cherry: nothing was sent.
    AlreadyInjected,
    /// The storefront's status rules do not make the order a sale (yet).
    Skipped,
    /// Waiting: in the queue, or the order's injection job is (paced).
    Queued,
    /// The order went to the exception queue.
    Exception,
    /// No such order, SKU, location or style.
    NotFound,
    /// The re-sync failed on every attempt.
    Failed,
}

/// The answer of a re-sync, as the API, CLI and dashboard show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub status: Status,
    /// One sentence for a person.
    pub message: String,
    /// What was pushed or written, the ERP number, the job ids.
    #[serde(default)]
    pub details: Value,
}

impl Answer {
    fn new(status: Status, message: impl Into<String>, details: Value) -> Self {
        Self {
            status,
            message: message.into(),
            details,
        }
    }
}

/// Queues a re-sync of `target` for `client` asked by `by`, or joins the one already waiting.
pub async fn request(
    store: &dyn Store,
    client: &str,
    target: &Target,
    by: &str,
) -> Result<Job, StoreError> {
    let now = OffsetDateTime::now_utc();
    let payload = json!({ "target": target, "by": by });
    let mut key = target.key();
    loop {
        let enqueued = store
            .enqueue(
                NewJob {
                    client: client.to_owned(),
                    kind: resync_kind(client),
                    idempotency_key: key.clone(),
                    payload: payload.clone(),
                    run_at: now,
                    max_attempts: ATTEMPTS,
                },
                now,
            )
            .await?;
        return match enqueued.job.state {
            _ if enqueued.created => Ok(enqueued.job),
            JobState::Done | JobState::Dead => {
                store
                    .rearm(enqueued.job.id, now, ATTEMPTS, Some(payload), now)
                    .await
            }
            JobState::Queued | JobState::Running => Ok(enqueued.job),
            // Nothing re-arms a cancelled job: a new request is a new job after it.
            JobState::Cancelled => {
                key = format!("{}#after-{}", target.key(), enqueued.job.id);
                continue;
            }
        };
    }
}

/// Waits up to `wait` for re-sync job `id` (and for an order, its injection job) and says
/// where it stands.
pub async fn answer(store: &dyn Store, id: i64, wait: Duration) -> Result<Answer, StoreError> {
    let deadline = tokio::time::Instant::now() + wait;
    let job = settled(store, id, deadline).await?;
    let Some(job) = job else {
        return Ok(Answer::new(
            Status::Queued,
            format!("re-sync job {id} is still waiting"),
            json!({ "job": id }),
        ));
    };
    match job.state {
        JobState::Dead => {
            let error = job.last_error.unwrap_or_default();
            return Ok(Answer::new(
                Status::Failed,
                format!("the re-sync failed: {error}"),
                json!({ "job": id }),
            ));
        }
        JobState::Cancelled => {
            let why = job.last_error.unwrap_or_default();
            return Ok(Answer::new(
                Status::Skipped,
                format!("re-sync job {id} was cancelled ({why})"),
                json!({ "job": id }),
            ));
        }
        _ => {}
    }
    let answer: Answer = match job
        .result
        .clone()
        .and_then(|r| serde_json::from_value(r).ok())
    {
        Some(a) => a,
        None => {
            return Ok(Answer::new(
                Status::Failed,
                format!("re-sync job {id} finished without an answer"),
                json!({ "job": id }),
            ));
        }
    };
    let Some(order_job) = answer.details.get("order_job").and_then(Value::as_i64) else {
        return Ok(answer);
    };
    let order = answer
        .details
        .get("order_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    Ok(match settled(store, order_job, deadline).await? {
        None => answer,
        Some(j) => order_answer(&order, &j, id),
    })
}

/// The injection job's end, in the re-sync's words.
fn order_answer(order: &str, job: &Job, resync: i64) -> Answer {
    let details = json!({ "job": resync, "order_job": job.id, "order_id": order });
    if job.state == JobState::Cancelled {
        let why = job.last_error.clone().unwrap_or_default();
        return Answer::new(
            Status::Skipped,
            format!("order {order} stays out of Blue Cherry: its injection was cancelled ({why})"),
            details,
        );
    }
    if job.state == JobState::Dead {
        let why = job.last_error.clone().unwrap_or_default();
        return Answer::new(
            Status::Exception,
            format!("order {order} went to the exception queue: {why}"),
            details,
        );
    }
    let result = job.result.clone().unwrap_or(Value::Null);
    if let Some(no) = result.get("erp_order_no").and_then(Value::as_str) {
        let mut details = details;
        details["erp_order_no"] = json!(no);
        return Answer::new(
            Status::Injected,
            format!("order {order} is in Blue Cherry as {no}"),
            details,
        );
    }
    if let Some(why) = result.get("skipped").and_then(Value::as_str) {
        return Answer::new(
            Status::Skipped,
            format!("order {order} stays skipped: {why}"),
            details,
        );
    }
    Answer::new(
        Status::Queued,
        format!("order {order} is queued for injection (job {})", job.id),
        details,
    )
}

/// The job once done or dead, polled until `deadline`; `None` if it is still waiting.
async fn settled(
    store: &dyn Store,
    id: i64,
    deadline: tokio::time::Instant,
) -> Result<Option<Job>, StoreError> {
    loop {
        if let Some(job) = store.job(id).await?
            && matches!(
                job.state,
                JobState::Done | JobState::Dead | JobState::Cancelled
            )
        {
            return Ok(Some(job));
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One client's re-sync worker on the job engine.
pub struct ResyncWorker {
    ctx: ClientServices,
    inventory: InventorySettings,
    catalog: CatalogSettings,
    orders: OrdersSettings,
}

impl ResyncWorker {
    /// A worker with the client's flow settings.
    pub fn new(
        ctx: ClientServices,
        inventory: InventorySettings,
        catalog: CatalogSettings,
        orders: OrdersSettings,
    ) -> Self {
        Self {
            ctx,
            inventory,
            catalog,
            orders,
        }
    }

    async fn run(&self, target: &Target) -> Result<Answer, FlowError> {
        match target {
            Target::Sku { sku, location } => self.sku(sku, location.as_deref()).await,
            Target::Style { style } => self.style(style).await,
            Target::Order { order_id } => self.order(order_id).await,
        }
    }

    async fn sku(&self, sku: &str, location: Option<&str>) -> Result<Answer, FlowError> {
        let done =
            super::inventory::one::resync_sku(&self.ctx, &self.inventory, sku, location).await?;
        Ok(match done {
            Err(missing) => Answer::new(Status::NotFound, missing.to_string(), Value::Null),
            Ok(r) => {
                let lines: Vec<String> = r
                    .pushed
                    .iter()
                    .map(|l| match l.previous {
                        Some(p) => format!("{} at {}: {} (was {p})", l.sku, l.location, l.qty),
                        None => format!("{} at {}: {}", l.sku, l.location, l.qty),
                    })
                    .collect();
                Answer::new(
                    Status::Pushed,
                    format!(
                        "SKU {sku} pushed from ERP cycle {}: {}",
                        r.cycle_id,
                        lines.join("; ")
                    ),
                    json!(r),
                )
            }
        })
    }

    async fn style(&self, style: &str) -> Result<Answer, FlowError> {
        Ok(
            match super::catalog::resync_style(&self.ctx, &self.catalog, style).await? {
                None => Answer::new(
                    Status::NotFound,
                    format!("Blue Cherry has no style `{style}`"),
                    Value::Null,
                ),
                Some(o) => {
                    let refused = o.styles_rejected + o.skus_rejected;
                    let message = if refused > 0 {
                        format!(
                            "style {style} re-synced with {refused} refusal(s): see the exception queue"
                        )
                    } else {
                        format!(
                            "style {style} re-synced: {} product(s) created, {} updated; {} variant(s) created, {} updated; {} SKU(s) bound",
                            o.products_created,
                            o.products_updated,
                            o.variants_created,
                            o.variants_updated,
                            o.skus_bound
                        )
                    };
                    Answer::new(Status::Synced, message, json!(o))
                }
            },
        )
    }

    async fn order(&self, id: &str) -> Result<Answer, FlowError> {
        let source = self.ctx.storefront.orders()?;
        let storefront = self.ctx.storefront.name();
        // Where edits are revisions, the ledger's latest revision and the storefront's content
        // are compared by the injector; elsewhere an injected order is final.
        if !source.edits_are_revisions() {
            let key = OrderKey::new(&self.ctx.client, storefront, id);
            if let Some(rec) = self.ctx.store.order(&key).await?
                && rec.state == OrderState::Injected
            {
                let no = rec.erp_order_no.unwrap_or_default();
                return Ok(Answer::new(
                    Status::AlreadyInjected,
                    format!("already in Blue Cherry as {no}"),
                    json!({ "order_id": id, "erp_order_no": no }),
                ));
            }
        }
        let Some(fetched) = source.fetch(id).await? else {
            return Ok(Answer::new(
                Status::NotFound,
                format!("{storefront} has no order `{id}`"),
                Value::Null,
            ));
        };
        match fetched.status {
            StatusRule::Inject => {}
            StatusRule::Skip(why) => {
                return Ok(Answer::new(
                    Status::Skipped,
                    format!("order {id} stays skipped: {why}"),
                    json!({ "order_id": id }),
                ));
            }
            StatusRule::Recheck => {
                return Ok(Answer::new(
                    Status::Skipped,
                    format!(
                        "order {id} is not placed yet (checkout unfinished): it is injected once the storefront marks it placed"
                    ),
                    json!({ "order_id": id }),
                ));
            }
        }
        let job = InjectionJob {
            storefront,
            id,
            content_hash: Some(&fetched.content_hash),
            revisions: source.edits_are_revisions(),
        };
        let now = OffsetDateTime::now_utc();
        let attempts = self.orders.max_attempts;
        // Now, not at the client's next release: a person asked for this order.
        let enqueued = self
            .ctx
            .store
            .enqueue(job.new_job(&self.ctx.client, now, attempts), now)
            .await?;
        let job = match enqueued.job.state {
            _ if enqueued.created => enqueued.job,
            JobState::Running => enqueued.job,
            JobState::Cancelled => {
                let why = enqueued.job.last_error.unwrap_or_default();
                return Ok(Answer::new(
                    Status::Skipped,
                    format!(
                        "order {id} stays out of Blue Cherry: its injection was cancelled ({why})"
                    ),
                    json!({ "order_id": id, "cancelled_job": enqueued.job.id }),
                ));
            }
            JobState::Queued | JobState::Done | JobState::Dead => {
                self.ctx
                    .store
                    .rearm(enqueued.job.id, now, attempts, None, now)
                    .await?
            }
        };
        Ok(Answer::new(
            Status::Queued,
            format!("order {id} queued for injection (job {})", job.id),
            json!({ "order_id": id, "order_job": job.id }),
        ))
    }
}

impl Worker for ResyncWorker {
    fn batch_size(&self) -> u32 {
        4
    }

    fn lease(&self) -> Duration {
        Duration::from_secs(120)
    }

    fn work(self: Arc<Self>, jobs: Vec<Job>) -> BoxFuture<'static, Result<WorkOutcome, FlowError>> {
        Box::pin(async move {
            let mut out = WorkOutcome {
                claimed: jobs.len(),
                ..WorkOutcome::default()
            };
            for job in jobs {
                let target: Result<Target, _> = job
                    .payload
                    .get("target")
                    .cloned()
                    .map(serde_json::from_value)
                    .unwrap_or_else(|| Err(serde::de::Error::missing_field("target")));
                let outcome = match target {
                    Err(e) => Outcome::GiveUp {
                        error: format!("not a re-sync target: {e}"),
                    },
                    Ok(target) => match self.run(&target).await {
                        Ok(answer) => {
                            tracing::info!(client = %self.ctx.client, target = %target.describe(), status = ?answer.status, "re-synced");
                            out.done += 1;
                            Outcome::Done(json!(answer))
                        }
                        Err(e) if job.attempts_used() < job.max_attempts => {
                            out.retried += 1;
                            Outcome::RetryAfter {
                                delay: backoff(500, 10_000, job.attempts),
                                error: e.to_string(),
                            }
                        }
                        Err(e) => Outcome::GiveUp {
                            error: e.to_string(),
                        },
                    },
                };
                if let Err(e) = settle(&*self.ctx.store, &job, outcome).await {
                    tracing::warn!(job_id = job.id, error = %e, "cannot settle a re-sync job");
                }
            }
            Ok(out)
        })
    }

    fn dead(self: Arc<Self>, job: Job) -> BoxFuture<'static, Result<(), FlowError>> {
        // The person who asked reads the failure in the answer; nothing to file.
        Box::pin(async move {
            tracing::warn!(client = %self.ctx.client, job_id = job.id, error = ?job.last_error, "re-sync gave up");
            Ok(())
        })
    }
}
