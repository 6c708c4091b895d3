//! The injector: claims order jobs, maps them through the client's plugin (one call per
//! batch), and creates each sales order in Blue Cherry exactly once.
//!
//! Exactly once rests on three things: the order ledger is the source of truth (an injected
//! order is never sent again), the external reference is the ERP's idempotency key (a second
//! create answers `Duplicate` with the existing number, which we record), and any attempt
//! after the first (a retry, an ambiguous timeout, a rescued lease after a crash) looks the
//! order up by external reference before it creates anything.

use std::sync::Arc;
use std::time::{Duration, Instant};

use selvedge_bluecherry::BlueCherryError;
use selvedge_bluecherry::model::SalesOrderRequest;
use selvedge_runtime::rules::orders::OrderDecision;
use selvedge_runtime::rules::types::Severity;
use selvedge_store::{Decision, Job, JobState, OrderKey, OrderRecord, Oversell, SoldUnits};
use serde_json::json;
use time::OffsetDateTime;
use tokio::task::JoinSet;

use super::convert;
use super::order_kind;
use super::outcome::{decision_record, issues_json};
use super::prepare::{ErpCustomers, PrepareOutcome, Prepared, prepare};
use super::settings::OrdersSettings;
use crate::flows::{ClientServices, FlowError, legacy_prefix};
use crate::plugins::CallRecorder;
use crate::references;

/// Per-order timings, for measurement (the benchmark subtracts storefront and ERP time).
#[derive(Debug, Clone, Copy)]
pub struct OrderTiming {
    /// When the job was enqueued (webhook acknowledged).
    pub queued_at: OffsetDateTime,
    /// When the order was recorded as injected.
    pub done_at: OffsetDateTime,
    /// Time in storefront reads.
    pub storefront: Duration,
    /// Time in ERP calls.
    pub erp: Duration,
    /// Time waiting for the pacing limiter.
    pub paced: Duration,
    /// This order's share of its batch's plugin call.
    pub plugin: Duration,
    /// From the claim of its batch to done: everything the host did for this order,
    /// including the waits of batching (storefront, ERP and pacing time are inside it).
    pub service: Duration,
    /// This order's own stages (prepare, its share of the plugin call, inject) without the
    /// storefront, ERP and pacing time and without waiting for the rest of its batch.
    pub host: Duration,
    /// Of `host`: the inject stage's store calls (the start and finish writes, the lease
    /// check before the ERP call).
    pub store: Duration,
    /// Of `host`: the prepare stage without the storefront reads.
    pub prepare: Duration,
}

/// Receives one [`OrderTiming`] per injected order.
pub type TimingObserver = Arc<dyn Fn(OrderTiming) + Send + Sync>;

/// What a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Jobs claimed.
    pub claimed: usize,
    /// Orders injected (or found already in the ERP).
    pub injected: usize,
    /// Orders sent to the exception queue.
    pub exceptions: usize,
    /// Jobs scheduled for a retry.
    pub retried: usize,
}

/// One client's order injector: a [`crate::jobs::Worker`] on the job engine.
pub struct Injector {
    pub(super) ctx: ClientServices,
    pub(super) settings: OrdersSettings,
    customers: ErpCustomers,
    observer: Option<TimingObserver>,
}

impl Injector {
    /// An injector for one client. ERP writes are paced by the account's shared limiter
    /// (`ctx.erp_writes`), never by one of the injector's own.
    pub fn new(ctx: ClientServices, settings: OrdersSettings) -> Self {
        Self {
            ctx,
            settings,
            customers: ErpCustomers::default(),
            observer: None,
        }
    }

    /// Reports a timing per injected order to `observer`.
    pub fn with_observer(mut self, observer: TimingObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Processes batches until nothing is claimable now; returns the totals.
    pub async fn drain(self: Arc<Self>) -> Result<BatchOutcome, FlowError> {
        let mut total = BatchOutcome::default();
        loop {
            let b = self.clone().run_batch().await?;
            if b.claimed == 0 {
                return Ok(total);
            }
            total.claimed += b.claimed;
            total.injected += b.injected;
            total.exceptions += b.exceptions;
            total.retried += b.retried;
        }
    }

    /// Returns jobs of crashed workers to the queue; a job that used all its claims is
    /// dead and becomes an `order_stuck` exception.
    pub async fn rescue(&self) -> Result<(), FlowError> {
        let now = OffsetDateTime::now_utc();
        let kind = order_kind(&self.ctx.client);
        for job in self.ctx.store.rescue_expired_leases(&[&kind], now).await? {
            if job.state == JobState::Dead {
                let reason = "its worker stopped on every attempt (lease expired)";
                self.stuck(&job, reason).await?;
            }
        }
        Ok(())
    }

    /// Claims one batch and processes it (without heartbeats: the job engine's dispatch is
    /// the production path; this serves one-pass drains and tests).
    pub async fn run_batch(self: Arc<Self>) -> Result<BatchOutcome, FlowError> {
        let now = OffsetDateTime::now_utc();
        let jobs = self
            .ctx
            .store
            .claim(
                &[order_kind(&self.ctx.client).as_str()],
                self.settings.batch_size,
                self.settings.lease(),
                now,
            )
            .await?;
        self.process(jobs).await
    }

    /// Processes claimed jobs: prepare, one plugin call, inject.
    pub async fn process(self: Arc<Self>, jobs: Vec<Job>) -> Result<BatchOutcome, FlowError> {
        let claimed = Instant::now();
        let mut outcome = BatchOutcome {
            claimed: jobs.len(),
            ..BatchOutcome::default()
        };
        if jobs.is_empty() {
            return Ok(outcome);
        }
        // Stage 1: ledger record and full order, concurrently.
        let mut set = JoinSet::new();
        for job in jobs {
            let me = self.clone();
            set.spawn(async move {
                let started = Instant::now();
                let mut prepared = prepare(&me.ctx, &job, &me.customers).await;
                if let PrepareOutcome::Ready(p) = &mut prepared {
                    p.prepared_in = started.elapsed();
                }
                (job, prepared)
            });
        }
        let mut ready: Vec<(Job, Box<Prepared>)> = Vec::new();
        while let Some(joined) = set.join_next().await {
            let Ok((job, prepared)) = joined else {
                continue;
            };
            match prepared {
                PrepareOutcome::Ready(p) => ready.push((job, p)),
                PrepareOutcome::AlreadyDone(rec) => {
                    let result = json!({ "erp_order_no": rec.erp_order_no, "state": rec.state });
                    self.finish(&job, result).await;
                }
                PrepareOutcome::Invalid { key, reason } => {
                    self.invalid(&job, &key, &reason, json!({})).await?;
                    outcome.exceptions += 1;
                }
                PrepareOutcome::Skipped { key, reason } => {
                    tracing::info!(client = %self.ctx.client, order = %key.storefront_order_id, %reason, "order skipped");
                    self.finish(&job, json!({ "skipped": reason })).await;
                }
                PrepareOutcome::Recheck { key, reason } => {
                    self.recheck(&job, &key, &reason).await?;
                    outcome.retried += 1;
                }
                PrepareOutcome::CancelledAfterInjection { record, reason } => {
                    self.cancelled_after_injection(&job, &record, &reason)
                        .await?;
                    outcome.exceptions += 1;
                }
                PrepareOutcome::Transient(e) => {
                    self.retry(&job, None, &e).await?;
                    outcome.retried += 1;
                }
            }
        }
        if ready.is_empty() {
            return Ok(outcome);
        }
        // Stage 2: one plugin call for the batch (one by one if the batch call fails, so a
        // poison order never takes its batch down).
        let started = Instant::now();
        let mapped = match self.map_batch(ready, &mut outcome).await? {
            Some(m) => m,
            None => return Ok(outcome),
        };
        // Each order's share of the plugin time its batch took.
        let batch_len = u32::try_from(mapped.len()).unwrap_or(u32::MAX).max(1);
        let plugin_time = started.elapsed() / batch_len;
        // One write for the calls behind the batch and the decisions that name them.
        let mut recorder = CallRecorder::new();
        let decisions: Vec<Decision> = mapped
            .iter()
            .map(|(_, p, d, report)| {
                recorder.stamp(report, decision_record(&self.ctx.client, report, &p.key, d))
            })
            .collect();
        recorder.save(self.ctx.store.as_ref(), &decisions).await?;
        // Stage 3: inject, concurrently (creates are paced by the limiter).
        let mut set = JoinSet::new();
        let permits = Arc::new(tokio::sync::Semaphore::new(self.settings.concurrency));
        for (job, prepared, decision, _) in mapped {
            let me = self.clone();
            let permits = permits.clone();
            set.spawn(async move {
                let _permit = permits.acquire_owned().await;
                me.inject(&job, *prepared, decision, (plugin_time, claimed))
                    .await
            });
        }
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok(Ok(Injected::Yes)) => outcome.injected += 1,
                Ok(Ok(Injected::Exception)) => outcome.exceptions += 1,
                Ok(Ok(Injected::Retry)) => outcome.retried += 1,
                Ok(Err(e)) => tracing::warn!(error = %e, "order job failed"),
                Err(e) => tracing::error!(error = %e, "order task panicked"),
            }
        }
        Ok(outcome)
    }

    /// Maps the batch through the plugin. If the batch call fails for a reason the order
    /// itself can cause (a trap, a limit, malformed output), each order is mapped alone: the
    /// one that fails goes to the exception queue at once, naming the plugin and version,
    /// and the others go on in this same claim (no attempt lost). Other failures (the
    /// plugin cannot run at all) retry the batch. `None`: nothing left to inject.
    async fn map_batch(
        &self,
        ready: Vec<(Job, Box<Prepared>)>,
        outcome: &mut BatchOutcome,
    ) -> Result<Option<Vec<Mapped>>, FlowError> {
        let inputs = ready.iter().map(|(_, p)| p.order.clone()).collect();
        let error = match self.ctx.plugin.map_orders(inputs).await {
            Ok(called) if called.output.len() == ready.len() => {
                let report = called.report;
                return Ok(Some(
                    ready
                        .into_iter()
                        .zip(called.output)
                        .map(|((job, p), d)| (job, p, d, report.clone()))
                        .collect(),
                ));
            }
            Ok(called) => {
                let e = format!(
                    "plugin answered {} decisions for {} orders",
                    called.output.len(),
                    ready.len()
                );
                return self.plugin_failed(ready, &e, outcome).await.map(|()| None);
            }
            Err(e) => e,
        };
        if !order_can_cause(&error.kind) {
            self.plugin_failed(ready, &error.to_string(), outcome)
                .await?;
            return Ok(None);
        }
        let mut mapped = Vec::with_capacity(ready.len());
        for (job, p) in ready {
            match self.ctx.plugin.map_orders(vec![p.order.clone()]).await {
                Ok(called) if called.output.len() == 1 => {
                    let report = called.report;
                    if let Some(d) = called.output.into_iter().next() {
                        mapped.push((job, p, d, report));
                    }
                }
                Ok(called) => {
                    let e = format!(
                        "plugin answered {} decisions for 1 order",
                        called.output.len()
                    );
                    self.poison(&job, &p.key, &e, None).await?;
                    outcome.exceptions += 1;
                }
                Err(e) if order_can_cause(&e.kind) => {
                    self.poison(&job, &p.key, &e.to_string(), Some(&e)).await?;
                    outcome.exceptions += 1;
                }
                Err(e) => {
                    self.retry(&job, Some(&p.key), &format!("plugin: {e}"))
                        .await?;
                    outcome.retried += 1;
                }
            }
        }
        Ok((!mapped.is_empty()).then_some(mapped))
    }

    async fn plugin_failed(
        &self,
        ready: Vec<(Job, Box<Prepared>)>,
        error: &str,
        outcome: &mut BatchOutcome,
    ) -> Result<(), FlowError> {
        for (job, p) in ready {
            self.retry(&job, Some(&p.key), &format!("plugin: {error}"))
                .await?;
            outcome.retried += 1;
        }
        Ok(())
    }

    async fn inject(
        &self,
        job: &Job,
        p: Prepared,
        decision: OrderDecision,
        (plugin, claimed): (Duration, Instant),
    ) -> Result<Injected, FlowError> {
        let started = Instant::now();
        // The runtime orders decisions by the id each names; a mismatch here is a host bug,
        // and an order never gets another order's decision.
        if decision.order_id != p.order.order_id {
            let reason = format!(
                "the plugin's decision names order {} instead of {}",
                decision.order_id, p.order.order_id
            );
            self.invalid(job, &p.key, &reason, json!({})).await?;
            return Ok(Injected::Exception);
        }
        let errors: Vec<_> = decision
            .issues
            .iter()
            .filter(|i| i.severity == Severity::Error)
            .collect();
        let Some(so) = decision.sales_order.as_ref().filter(|_| errors.is_empty()) else {
            let summary = errors
                .iter()
                .map(|i| format!("{}: {}", i.field, i.message))
                .collect::<Vec<_>>()
                .join("; ");
            let summary = if summary.is_empty() {
                "the plugin made no sales order".to_string()
            } else {
                summary
            };
            self.invalid(job, &p.key, &summary, issues_json(&decision))
                .await?;
            return Ok(Injected::Exception);
        };
        let now = OffsetDateTime::now_utc();
        let candidate = self.reference(&p);
        // Compare-and-set on the lease (a worker whose job was rescued cannot start a write),
        // recording the order and storing the reference before the first ERP call, in one
        // write.
        let store_started = Instant::now();
        let rec = match self
            .ctx
            .store
            .start_injection(&p.key, &p.hash, job.lease(), &candidate, now)
            .await
        {
            Ok(rec) => rec,
            Err(selvedge_store::StoreError::LeaseLost { .. }) => {
                tracing::warn!(client = %self.ctx.client, job_id = job.id, "lease lost before injecting; leaving the order to its new claim");
                return Ok(Injected::Retry);
            }
            Err(e) => return Err(e.into()),
        };
        let request =
            convert::sales_order_request(so, rec.erp_ref.clone().unwrap_or(candidate), now);
        // Paced right before the ERP call, so nothing between the limiter and the create can
        // bunch creates together.
        let paced = match self.ctx.erp_writes.until_ready().await {
            Ok(waited) => waited,
            Err(stopping) => {
                // Not a failure: the job waits for the next start (the ledger's `injecting`
                // makes that attempt look before it creates).
                let outcome = crate::jobs::Outcome::SnoozeUntil {
                    until: OffsetDateTime::now_utc(),
                    note: stopping.to_string(),
                };
                crate::jobs::settle(&*self.ctx.store, job, outcome).await?;
                return Ok(Injected::Retry);
            }
        };
        let mut in_store = store_started.elapsed();
        // The lease is checked again right before the ERP call: a job rescued while this
        // worker waited belongs to another claim now, and only one of them may write.
        let check_started = Instant::now();
        if !self
            .ctx
            .store
            .lease_held(job.lease(), OffsetDateTime::now_utc())
            .await?
        {
            tracing::warn!(client = %self.ctx.client, job_id = job.id, "lease lost before the ERP call; leaving the order to its new claim");
            return Ok(Injected::Retry);
        }
        in_store += check_started.elapsed();
        let erp_started = Instant::now();
        let result = match &p.supersedes {
            Some(previous) => self.revise_once(&request, p.revision, previous).await,
            None => self.create_once(&request, rec.attempts > 1).await,
        };
        let erp = erp_started.elapsed();
        let number = match result {
            Ok(ErpWrite::Done(number)) => number,
            Ok(ErpWrite::Differs { number, difference }) => {
                self.reference_taken(job, &p, &request.external_ref, &number, &difference)
                    .await?;
                return Ok(Injected::Exception);
            }
            Err(e @ BlueCherryError::Rejected { .. }) => {
                let details = json!({ "error": e.to_string(), "issues": issues_json(&decision) });
                self.invalid(job, &p.key, &e.to_string(), details).await?;
                return Ok(Injected::Exception);
            }
            Err(e @ (BlueCherryError::Locked { .. } | BlueCherryError::StaleRevision { .. })) => {
                self.revision_refused(job, &p, &e).await?;
                return Ok(Injected::Exception);
            }
            Err(e) => return self.retry(job, Some(&p.key), &e.to_string()).await,
        };
        let now = OffsetDateTime::now_utc();
        let snapshot = convert::snapshot(&request);
        // A revision re-describes units already counted when the first content went in.
        let sold = match p.supersedes {
            None => convert::sold_units(&request),
            Some(_) => Vec::new(),
        };
        // Earlier revisions close first: one live ledger record per ERP order.
        if let Some(old) = &p.supersedes {
            self.supersede(old, &p.key, p.revision, &number).await?;
        }
        // Review notes before the record that ends the job: a crash in between raises them
        // again on the retry rather than never.
        self.flag_reviews(&p.key, &number, &decision).await?;
        // The ledger's `injected` and the job's completion in one write.
        let done = json!({ "erp_order_no": number });
        let finish_started = Instant::now();
        let finished = self
            .ctx
            .store
            .finish_injection(&p.key, &number, snapshot, &sold, job.lease(), done, now)
            .await?;
        in_store += finish_started.elapsed();
        if finished.job_completed {
            crate::jobs::count_outcome(job, "done");
        } else {
            // Another claim owns the job now; the ledger keeps the order single.
            tracing::warn!(client = %self.ctx.client, job_id = job.id, "order recorded as injected; its job had been claimed again");
        }
        self.check_oversells(&p.key, &sold, now).await;
        if let Some(observe) = &self.observer {
            observe(OrderTiming {
                queued_at: job.created_at,
                done_at: now,
                storefront: p.fetch,
                erp,
                paced,
                plugin,
                service: claimed.elapsed(),
                host: (p.prepared_in + plugin + started.elapsed())
                    .saturating_sub(p.fetch + erp + paced),
                store: in_store,
                prepare: p.prepared_in.saturating_sub(p.fetch),
            });
        }
        Ok(Injected::Yes)
    }

    /// Holds each line of a new ERP order to what the ERP had left of its SKU-location since
    /// the last cycle; lines that took more are stored as oversells, what buffer advice is
    /// sized from. Advice only: a store error is logged, the order stays injected.
    async fn check_oversells(&self, key: &OrderKey, sold: &[SoldUnits], at: OffsetDateTime) {
        let oversells: Vec<Oversell> = sold
            .iter()
            .filter_map(|s| {
                let taken = self.ctx.availability.take(&s.sku, &s.location, s.units)?;
                (s.units > taken.before.units.max(0)).then(|| Oversell {
                    client: self.ctx.client.clone(),
                    sku: s.sku.clone(),
                    location: s.location.clone(),
                    order_id: key.storefront_order_id.clone(),
                    ordered: s.units,
                    available: taken.before.units,
                    buffer: taken.before.buffer,
                    cycle_id: taken.cycle_id,
                    lag_minutes: taken.lag_minutes,
                    rule: taken.before.rule,
                    at,
                })
            })
            .collect();
        if oversells.is_empty() {
            return;
        }
        for o in &oversells {
            tracing::warn!(client = %o.client, sku = %o.sku, location = %o.location,
                order = %o.order_id, ordered = o.ordered, available = o.available,
                "oversell: the order took more than the ERP had left since its last cycle");
        }
        if let Err(e) = self.ctx.store.record_oversells(&oversells).await {
            tracing::warn!(client = %self.ctx.client, error = %e, "oversells not recorded");
        }
    }

    /// The order's ERP reference: the one stored in its ledger, else inherited from the
    /// revision it supersedes, else the legacy one for an order already sent to the ERP
    /// before references were the host's, else a new one. The caller stores it (first
    /// assignment wins) in the same write that moves the order to `injecting`.
    fn reference(&self, p: &Prepared) -> String {
        let key = &p.key;
        if let Some(r) = p.record.as_ref().and_then(|r| r.erp_ref.clone()) {
            return r;
        }
        let legacy = || {
            let prefix = self
                .settings
                .external_ref_prefix
                .as_deref()
                .unwrap_or_else(|| legacy_prefix(&self.ctx));
            references::legacy_order_ref(prefix, &key.storefront_order_id)
        };
        let sent_before = |r: &OrderRecord| r.attempts > 0 || r.erp_order_no.is_some();
        match &p.supersedes {
            Some(prev) if prev.erp_ref.is_some() => prev.erp_ref.clone().unwrap_or_default(),
            Some(prev) if sent_before(prev) => legacy(),
            _ if p.record.as_ref().is_some_and(sent_before) => legacy(),
            _ => references::order_ref(&self.ctx.client, &key.storefront, &key.storefront_order_id),
        }
    }

    /// Replaces the whole ERP order with `revision` of the storefront order; returns the ERP
    /// number. The order is found through the superseded record, or by our external
    /// reference when that record never learned its number (an earlier ambiguous create);
    /// when the ERP has no order at all, this content is simply created.
    async fn revise_once(
        &self,
        request: &SalesOrderRequest,
        revision: u32,
        previous: &OrderRecord,
    ) -> Result<ErpWrite, BlueCherryError> {
        let erp = &self.ctx.erp;
        let number = match &previous.erp_order_no {
            Some(number) => number.clone(),
            None => match erp.find_sales_order(&request.external_ref).await? {
                Some(found) => found.order_number,
                None => return self.create_once(request, true).await,
            },
        };
        // Re-sending the same revision is a no-op in the ERP, so a retry after a lost
        // answer cannot apply it twice.
        let revised = erp.revise_sales_order(&number, revision, request).await?;
        Ok(ErpWrite::Done(revised.order_number))
    }

    /// Creates the order unless the ERP already has it; returns the ERP number. An order
    /// the ERP already holds under our reference is compared with what we would create:
    /// the same content is ours (a retry), other content is never taken as success.
    async fn create_once(
        &self,
        request: &SalesOrderRequest,
        look_first: bool,
    ) -> Result<ErpWrite, BlueCherryError> {
        let erp = &self.ctx.erp;
        if look_first && let Some(found) = erp.find_sales_order(&request.external_ref).await? {
            return Ok(verified(request, &found));
        }
        match erp.create_sales_order(request).await {
            Ok(so) => Ok(ErpWrite::Done(so.order_number)),
            Err(BlueCherryError::Duplicate {
                existing_number, ..
            }) => {
                let existing = erp.get_sales_order(&existing_number).await?;
                Ok(verified(request, &existing))
            }
            // The ERP may have committed: look before anything else happens.
            Err(BlueCherryError::Ambiguous { reason, .. }) => {
                match erp.find_sales_order(&request.external_ref).await? {
                    Some(found) => Ok(verified(request, &found)),
                    None => Err(BlueCherryError::Transient(format!(
                        "ambiguous create, not found afterwards: {reason}"
                    ))),
                }
            }
            Err(e) => Err(e),
        }
    }
}

/// What an ERP write ended with.
enum ErpWrite {
    /// The ERP holds our content as this order.
    Done(String),
    /// Our reference is already on an ERP order with other content.
    Differs { number: String, difference: String },
}

fn verified(
    request: &SalesOrderRequest,
    existing: &selvedge_bluecherry::model::SalesOrder,
) -> ErpWrite {
    match references::sales_order_differs(request, existing) {
        None => ErpWrite::Done(existing.order_number.clone()),
        Some(difference) => ErpWrite::Differs {
            number: existing.order_number.clone(),
            difference,
        },
    }
}

/// An order mapped by the plugin, with the report of the call that mapped it.
type Mapped = (
    Job,
    Box<Prepared>,
    OrderDecision,
    selvedge_runtime::CallReport,
);

/// Plugin failures an order's content can cause (so mapping it alone finds the culprit).
fn order_can_cause(kind: &selvedge_runtime::PluginErrorKind) -> bool {
    use selvedge_runtime::PluginErrorKind as K;
    matches!(
        kind,
        K::Trap(_)
            | K::Timeout { .. }
            | K::FuelExhausted { .. }
            | K::MemoryLimit { .. }
            | K::OutputTooLarge { .. }
            | K::Malformed(_)
            | K::Rule(_)
    )
}

/// How one order of a batch ended.
pub(super) enum Injected {
    Yes,
    Exception,
    Retry,
}

impl crate::jobs::Worker for Injector {
    fn batch_size(&self) -> u32 {
        self.settings.batch_size
    }

    fn lease(&self) -> Duration {
        self.settings.lease()
    }

    fn work(
        self: Arc<Self>,
        jobs: Vec<Job>,
    ) -> crate::scheduler::BoxFuture<'static, Result<crate::jobs::WorkOutcome, FlowError>> {
        Box::pin(async move {
            let b = self.process(jobs).await?;
            Ok(crate::jobs::WorkOutcome {
                claimed: b.claimed,
                done: b.injected,
                exceptions: b.exceptions,
                retried: b.retried,
            })
        })
    }

    fn dead(
        self: Arc<Self>,
        job: Job,
    ) -> crate::scheduler::BoxFuture<'static, Result<(), FlowError>> {
        Box::pin(async move {
            self.stuck(&job, "its worker stopped on every attempt (lease expired)")
                .await
        })
    }
}
