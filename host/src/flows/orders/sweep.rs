//! The scheduled orders run: reads the orders the storefront lists as changed since the
//! cursor and queues each one, whichever storefront it is (behind [`OrderSource`]).
//!
//! The job key is the one the webhook uses (`<storefront>:<id>`), so an order seen both ways
//! is one job; storefronts whose edits become ERP revisions add the content hash
//! (`<storefront>:<id>:<hash>`): an edit is a new job, a re-read is not. The cursor
//! (inclusive) is saved only after every job is committed.

use selvedge_store::{JobState, NewJob, OrderKey, OrderState};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::OrdersOutcome;
use super::settings::OrdersSettings;
use crate::flows::{ClientServices, FlowError};
use crate::jobs::kinds::order_kind;
use crate::storefronts::{ListedOrder, OrderSource, StatusRule};

fn rfc3339(t: OffsetDateTime) -> Result<String, FlowError> {
    t.format(&Rfc3339)
        .map_err(|e| FlowError::Invalid(e.to_string()))
}

/// Queues every order changed since the cursor. A new client whose storefront starts from
/// now (a store's history must not be injected) only sets the cursor on its first run.
pub async fn run(
    ctx: &ClientServices,
    settings: &OrdersSettings,
) -> Result<OrdersOutcome, FlowError> {
    let source = ctx.storefront.orders()?;
    let cursor_name = source.cursor_name();
    let now = OffsetDateTime::now_utc();
    let stored = ctx.store.cursor(&ctx.client, cursor_name).await?;
    if stored.is_none() && source.first_poll_starts_now() {
        let from = now.replace_nanosecond(0).unwrap_or(now);
        ctx.store
            .set_cursor(&ctx.client, cursor_name, &rfc3339(from)?, now)
            .await?;
        return Ok(OrdersOutcome {
            started_from_now: true,
            ..OrdersOutcome::default()
        });
    }
    let since = stored
        .as_deref()
        .and_then(|c| OffsetDateTime::parse(c, &Rfc3339).ok());
    let listed = source.changed_since(since).await?;
    let run_at = settings
        .pacing
        .release_at(now)
        .map_err(FlowError::Invalid)?;
    let (mut seen, mut queued) = (0u64, 0u64);
    let mut cursor = since;
    for order in &listed {
        cursor = cursor.max(order.modified_at);
        match order.status {
            StatusRule::Inject => {}
            // Incomplete orders come back once modified.
            StatusRule::Recheck => continue,
            // Declined and cancelled orders are not sales; one the ERP already holds is a
            // person's to act on.
            StatusRule::Skip(reason) => {
                let key = OrderKey::new(&ctx.client, ctx.storefront.name(), &order.id);
                if let Some(rec) = ctx.store.order(&key).await?
                    && rec.state == OrderState::Injected
                {
                    super::outcome::report_cancelled_after_injection(ctx, &rec, reason).await?;
                }
                continue;
            }
        }
        seen += 1;
        queued += enqueue(ctx, source, settings, order, run_at, now).await?;
    }
    if let Some(c) = cursor.filter(|c| Some(*c) != since) {
        // Whole seconds, rounded down: inclusive, and what every storefront's dates hold.
        let c = c.replace_nanosecond(0).unwrap_or(c);
        ctx.store
            .set_cursor(&ctx.client, cursor_name, &rfc3339(c)?, now)
            .await?;
    }
    Ok(OrdersOutcome {
        read: listed.len() as u64,
        placed: seen,
        queued,
        ..OrdersOutcome::default()
    })
}

/// An order's injection job, keyed `<storefront>:<id>`, with the content hash where edits
/// are revisions (an edit is a new job, a re-read is not). Webhooks, sweeps and re-syncs
/// build the same key, so they can only ever meet on one job.
pub(crate) struct InjectionJob<'a> {
    pub storefront: &'a str,
    pub id: &'a str,
    pub content_hash: Option<&'a str>,
    pub revisions: bool,
}

impl InjectionJob<'_> {
    /// The job for `client`, claimable from `run_at`.
    pub(crate) fn new_job(&self, client: &str, run_at: OffsetDateTime, attempts: u32) -> NewJob {
        let (storefront, id) = (self.storefront, self.id);
        let (idempotency_key, payload) = match (self.content_hash, self.revisions) {
            (Some(hash), true) => (
                format!("{storefront}:{id}:{}", hash.get(..16).unwrap_or(hash)),
                json!({ "storefront": storefront, "order_id": id, "content_hash": hash }),
            ),
            _ => (
                format!("{storefront}:{id}"),
                json!({ "storefront": storefront, "order_id": id }),
            ),
        };
        NewJob {
            client: client.to_owned(),
            kind: order_kind(client),
            idempotency_key,
            payload,
            run_at,
            max_attempts: attempts,
        }
    }
}

/// Queues one listed order; returns 1 when a job was created or re-armed.
async fn enqueue(
    ctx: &ClientServices,
    source: &dyn OrderSource,
    settings: &OrdersSettings,
    order: &ListedOrder,
    run_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<u64, FlowError> {
    let job = InjectionJob {
        storefront: ctx.storefront.name(),
        id: &order.id,
        content_hash: order.content_hash.as_deref(),
        revisions: source.edits_are_revisions(),
    };
    let enqueued = ctx
        .store
        .enqueue(job.new_job(&ctx.client, run_at, settings.max_attempts), now)
        .await?;
    if enqueued.created {
        return Ok(1);
    }
    // Content seen before but changed since that job finished (an edit back to it,
    // A -> B -> A): the same job again; the worker compares with the latest revision.
    let job = &enqueued.job;
    if order.content_hash.is_some()
        && job.state == JobState::Done
        && order.modified_at.is_some_and(|t| t > job.updated_at)
    {
        ctx.store
            .rearm(job.id, run_at, settings.max_attempts, None, now)
            .await?;
        return Ok(1);
    }
    Ok(0)
}
