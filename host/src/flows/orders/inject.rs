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

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use selvedge_bluecherry::BlueCherryError;
use selvedge_bluecherry::model::SalesOrderRequest;
use selvedge_runtime::rules::orders::OrderDecision;
use selvedge_runtime::rules::types::Severity;
use selvedge_store::{Decision, Job, JobState, OrderRecord, OrderState};
use serde_json::json;
use time::OffsetDateTime;
use tokio::task::JoinSet;

use super::convert;
use super::order_kind;
use super::outcome::{decision_record, issues_json};
use super::prepare::{ErpCustomers, PrepareOutcome, Prepared, prepare};
use super::settings::OrdersSettings;
use crate::flows::{ClientServices, FlowError};

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

/// One client's order injector. Share it behind an `Arc`; run [`Injector::work`].
pub struct Injector {
    pub(super) ctx: ClientServices,
    pub(super) settings: OrdersSettings,
    limiter: Option<DefaultDirectRateLimiter>,
    customers: ErpCustomers,
    observer: Option<TimingObserver>,
}

impl Injector {
    /// An injector with the client's pacing (GCRA: `max_per_second`, `burst`).
    pub fn new(ctx: ClientServices, settings: OrdersSettings) -> Self {
        let limiter = std::num::NonZeroU32::new(settings.pacing.max_per_second).map(|rate| {
            let burst = std::num::NonZeroU32::new(settings.pacing.burst).unwrap_or(rate);
            RateLimiter::direct(Quota::per_second(rate).allow_burst(burst))
        });
        Self {
            ctx,
            settings,
            limiter,
            customers: ErpCustomers::default(),
            observer: None,
        }
    }

    /// Reports a timing per injected order to `observer`.
    pub fn with_observer(mut self, observer: TimingObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Claims and processes batches until `shutdown` turns true; rescues expired leases
    /// (jobs of crashed workers) every half lease.
    pub async fn work(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let rescue_every = self.settings.lease() / 2;
        let mut last_rescue = Instant::now() - rescue_every;
        while !*shutdown.borrow() {
            if last_rescue.elapsed() >= rescue_every {
                last_rescue = Instant::now();
                if let Err(e) = self.rescue().await {
                    tracing::warn!(client = %self.ctx.client, error = %e, "lease rescue failed");
                }
            }
            let claimed = match self.clone().run_batch().await {
                Ok(outcome) => outcome.claimed,
                Err(e) => {
                    tracing::warn!(client = %self.ctx.client, error = %e, "order batch failed");
                    0
                }
            };
            if claimed == 0 {
                let idle = Duration::from_millis(self.settings.idle_poll_ms);
                tokio::select! {
                    _ = tokio::time::sleep(idle) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
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

    /// Claims one batch and processes it.
    pub async fn run_batch(self: Arc<Self>) -> Result<BatchOutcome, FlowError> {
        let now = OffsetDateTime::now_utc();
        let claimed = Instant::now();
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
                PrepareOutcome::Transient(e) => {
                    self.retry(&job, None, &e).await?;
                    outcome.retried += 1;
                }
            }
        }
        if ready.is_empty() {
            return Ok(outcome);
        }
        // Stage 2: one plugin call for the batch.
        let started = Instant::now();
        let inputs = ready.iter().map(|(_, p)| p.order.clone()).collect();
        let called = match self.ctx.plugin.map_orders(inputs).await {
            Ok(c) if c.output.len() == ready.len() => c,
            Ok(c) => {
                let e = format!(
                    "plugin answered {} decisions for {}",
                    c.output.len(),
                    ready.len()
                );
                return self.plugin_failed(ready, &e, outcome).await;
            }
            Err(e) => return self.plugin_failed(ready, &e.to_string(), outcome).await,
        };
        // Each order's share of the one call its batch made.
        let batch_len = u32::try_from(ready.len()).unwrap_or(u32::MAX).max(1);
        let plugin_time = started.elapsed() / batch_len;
        let report = called.report;
        let decisions: Vec<Decision> = ready
            .iter()
            .zip(&called.output)
            .map(|((_, p), d)| decision_record(&self.ctx.client, &report, &p.key, d))
            .collect();
        self.ctx.store.record_decisions(&decisions).await?;
        // Stage 3: inject, concurrently (creates are paced by the limiter).
        let mut set = JoinSet::new();
        let permits = Arc::new(tokio::sync::Semaphore::new(self.settings.concurrency));
        for ((job, prepared), decision) in ready.into_iter().zip(called.output) {
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

    async fn plugin_failed(
        &self,
        ready: Vec<(Job, Box<Prepared>)>,
        error: &str,
        mut outcome: BatchOutcome,
    ) -> Result<BatchOutcome, FlowError> {
        for (job, p) in ready {
            self.retry(&job, Some(&p.key), &format!("plugin: {error}"))
                .await?;
            outcome.retried += 1;
        }
        Ok(outcome)
    }

    async fn inject(
        &self,
        job: &Job,
        p: Prepared,
        decision: OrderDecision,
        (plugin, claimed): (Duration, Instant),
    ) -> Result<Injected, FlowError> {
        let started = Instant::now();
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
        let request = convert::sales_order_request(so, so.external_ref.clone(), now);
        let rec = self
            .ctx
            .store
            .transition_order(
                &p.key,
                OrderState::Injecting,
                None,
                OffsetDateTime::now_utc(),
            )
            .await?;
        // Paced right before the ERP call, so nothing between the limiter and the create can
        // bunch creates together.
        let paced_from = Instant::now();
        if let Some(limiter) = &self.limiter {
            limiter.until_ready().await;
        }
        let paced = paced_from.elapsed();
        let erp_started = Instant::now();
        let result = match &p.supersedes {
            Some(previous) => self.revise_once(&request, p.revision, previous).await,
            None => self.create_once(&request, rec.attempts > 1).await,
        };
        let erp = erp_started.elapsed();
        let number = match result {
            Ok(number) => number,
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
        self.ctx
            .store
            .record_injected(&p.key, &number, snapshot, &sold, now)
            .await?;
        self.flag_reviews(&p.key, &number, &decision).await?;
        if let Some(old) = &p.supersedes {
            self.supersede(old, &p.key, p.revision, &number).await?;
        }
        self.finish(job, json!({ "erp_order_no": number })).await;
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
            });
        }
        Ok(Injected::Yes)
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
    ) -> Result<String, BlueCherryError> {
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
        Ok(revised.order_number)
    }

    /// Creates the order unless the ERP already has it; returns the ERP number.
    async fn create_once(
        &self,
        request: &SalesOrderRequest,
        look_first: bool,
    ) -> Result<String, BlueCherryError> {
        let erp = &self.ctx.erp;
        if look_first && let Some(found) = erp.find_sales_order(&request.external_ref).await? {
            return Ok(found.order_number);
        }
        match erp.create_sales_order(request).await {
            Ok(so) => Ok(so.order_number),
            Err(BlueCherryError::Duplicate {
                existing_number, ..
            }) => Ok(existing_number),
            // The ERP may have committed: look before anything else happens.
            Err(BlueCherryError::Ambiguous { reason, .. }) => {
                match erp.find_sales_order(&request.external_ref).await? {
                    Some(found) => Ok(found.order_number),
                    None => Err(BlueCherryError::Transient(format!(
                        "ambiguous create, not found afterwards: {reason}"
                    ))),
                }
            }
            Err(e) => Err(e),
        }
    }
}

/// How one order of a batch ended.
pub(super) enum Injected {
    Yes,
    Exception,
    Retry,
}
