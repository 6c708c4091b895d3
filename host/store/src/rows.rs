//! Decoding stored rows into the contract's records, for every backend.
//!
//! Both schemas store the same columns with the same meaning (text, BIGINT/INTEGER numbers,
//! unix-millisecond timestamps, JSON as text), so the decoders are written once against
//! [`Columns`], which any sqlx row whose driver decodes `String` and `i64` implements. A
//! backend selects the columns a decoder names. Nothing read is unwrapped: a value that does
//! not fit is [`StoreError::Corrupt`].

use serde_json::Value;

use crate::timestamp::{from_ms, from_ms_opt};
use crate::{
    ApiToken, AuditEntry, AuditRecord, Decision, DecisionRecord, ErpSnapshot, ExceptionRecord,
    ExceptionState, Job, JobState, NewShadowRun, OrderKey, OrderRecord, OrderState, Oversell,
    Pause, PluginCall, PluginCallSummary, PluginComponent, PluginVersionRecord, RefundRecord,
    RefundState, RunRequest, RunStatus, ShadowRun, SkuBinding, StoreError, SyncRun, Transition,
};

/// Named columns of a result row, as text or integers.
pub trait Columns {
    /// A non-null text column.
    fn text(&self, column: &str) -> Result<String, StoreError>;
    /// A nullable text column.
    fn text_opt(&self, column: &str) -> Result<Option<String>, StoreError>;
    /// A non-null integer column.
    fn int(&self, column: &str) -> Result<i64, StoreError>;
    /// A nullable integer column.
    fn int_opt(&self, column: &str) -> Result<Option<i64>, StoreError>;
    /// A non-null binary column.
    fn bytes(&self, column: &str) -> Result<Vec<u8>, StoreError>;
}

impl<R> Columns for R
where
    R: sqlx::Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    String: sqlx::Type<R::Database> + for<'r> sqlx::Decode<'r, R::Database>,
    i64: sqlx::Type<R::Database> + for<'r> sqlx::Decode<'r, R::Database>,
    Vec<u8>: sqlx::Type<R::Database> + for<'r> sqlx::Decode<'r, R::Database>,
{
    fn text(&self, column: &str) -> Result<String, StoreError> {
        Ok(self.try_get(column)?)
    }

    fn text_opt(&self, column: &str) -> Result<Option<String>, StoreError> {
        Ok(self.try_get(column)?)
    }

    fn bytes(&self, column: &str) -> Result<Vec<u8>, StoreError> {
        Ok(self.try_get(column)?)
    }

    fn int(&self, column: &str) -> Result<i64, StoreError> {
        Ok(self.try_get(column)?)
    }

    fn int_opt(&self, column: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.try_get(column)?)
    }
}

/// Encodes a JSON value for a text column.
pub fn json_text(value: &Value) -> Result<String, StoreError> {
    Ok(serde_json::to_string(value)?)
}

/// Decodes a text column holding JSON; `what` names it in the error.
pub fn parse_json(text: &str, what: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Reads a non-negative counter that fits `u32`.
pub fn count_u32(value: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} = {value}")))
}

/// Reads a non-negative count.
pub fn count_u64(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} = {value}")))
}

/// A job: `id, client, kind, idempotency_key, payload, state, attempts, max_attempts,
/// snoozes, run_at, lease_until, last_error, result, created_at, updated_at`.
pub fn job(row: &impl Columns) -> Result<Job, StoreError> {
    let id = row.int("id")?;
    let what = |field: &str| format!("job {id} {field}");
    Ok(Job {
        id,
        client: row.text("client")?,
        kind: row.text("kind")?,
        idempotency_key: row.text("idempotency_key")?,
        payload: parse_json(&row.text("payload")?, &what("payload"))?,
        state: JobState::parse(&row.text("state")?)?,
        attempts: count_u32(row.int("attempts")?, &what("attempts"))?,
        max_attempts: count_u32(row.int("max_attempts")?, &what("max_attempts"))?,
        snoozes: count_u32(row.int("snoozes")?, &what("snoozes"))?,
        run_at: from_ms(row.int("run_at")?)?,
        lease_until: from_ms_opt(row.int_opt("lease_until")?)?,
        last_error: row.text_opt("last_error")?,
        result: row
            .text_opt("result")?
            .map(|r| parse_json(&r, &what("result")))
            .transpose()?,
        created_at: from_ms(row.int("created_at")?)?,
        updated_at: from_ms(row.int("updated_at")?)?,
    })
}

/// An order: `client, storefront, storefront_order_id, state, erp_order_no, erp_ref,
/// attempts, last_error, payload_hash, erp_value_minor, erp_qty, created_at, updated_at`.
pub fn order(row: &impl Columns) -> Result<OrderRecord, StoreError> {
    let key = OrderKey {
        client: row.text("client")?,
        storefront: row.text("storefront")?,
        storefront_order_id: row.text("storefront_order_id")?,
    };
    let value = row.int_opt("erp_value_minor")?;
    let qty = row.int_opt("erp_qty")?;
    Ok(OrderRecord {
        state: OrderState::parse(&row.text("state")?)?,
        erp_order_no: row.text_opt("erp_order_no")?,
        erp_ref: row.text_opt("erp_ref")?,
        attempts: count_u32(row.int("attempts")?, &format!("order {key} attempts"))?,
        last_error: row.text_opt("last_error")?,
        payload_hash: row.text("payload_hash")?,
        erp_snapshot: value
            .zip(qty)
            .map(|(value_minor, qty)| ErpSnapshot { value_minor, qty }),
        created_at: from_ms(row.int("created_at")?)?,
        updated_at: from_ms(row.int("updated_at")?)?,
        key,
    })
}

/// A refund: `client, refund_id, storefront, storefront_order_id, state, memo_no, erp_ref,
/// attempts, last_error, payload_hash, created_at, updated_at`.
pub fn refund(row: &impl Columns) -> Result<RefundRecord, StoreError> {
    let refund_id = row.text("refund_id")?;
    Ok(RefundRecord {
        client: row.text("client")?,
        storefront: row.text("storefront")?,
        storefront_order_id: row.text_opt("storefront_order_id")?,
        state: RefundState::parse(&row.text("state")?)?,
        memo_no: row.text_opt("memo_no")?,
        erp_ref: row.text_opt("erp_ref")?,
        attempts: count_u32(
            row.int("attempts")?,
            &format!("refund {refund_id} attempts"),
        )?,
        last_error: row.text_opt("last_error")?,
        payload_hash: row.text("payload_hash")?,
        created_at: from_ms(row.int("created_at")?)?,
        updated_at: from_ms(row.int("updated_at")?)?,
        refund_id,
    })
}

/// Ledger history rows `(from_state, to_state, note, at)`, in the order given.
pub fn transitions<S>(
    rows: Vec<(Option<String>, String, Option<String>, i64)>,
    parse: fn(&str) -> Result<S, StoreError>,
) -> Result<Vec<Transition<S>>, StoreError> {
    rows.into_iter()
        .map(|(from, to, note, at)| {
            Ok(Transition {
                from: from.as_deref().map(parse).transpose()?,
                to: parse(&to)?,
                note,
                at: from_ms(at)?,
            })
        })
        .collect()
}

/// An exception: `id, client, kind, owner, subject, summary, details, state, occurrences,
/// created_at, updated_at, last_seen`.
pub fn exception(row: &impl Columns) -> Result<ExceptionRecord, StoreError> {
    let id = row.int("id")?;
    Ok(ExceptionRecord {
        id,
        client: row.text("client")?,
        kind: row.text("kind")?,
        owner: row.text("owner")?,
        subject: row.text("subject")?,
        summary: row.text("summary")?,
        details: parse_json(&row.text("details")?, &format!("exception {id} details"))?,
        state: ExceptionState::parse(&row.text("state")?)?,
        occurrences: count_u32(
            row.int("occurrences")?,
            &format!("exception {id} occurrences"),
        )?,
        created_at: from_ms(row.int("created_at")?)?,
        updated_at: from_ms(row.int("updated_at")?)?,
        last_seen: from_ms(row.int("last_seen")?)?,
    })
}

/// A SKU binding: `client, storefront, erp_sku, product_id, variant_id, storefront_sku,
/// content_hash, updated_at`.
pub fn binding(row: &impl Columns) -> Result<SkuBinding, StoreError> {
    Ok(SkuBinding {
        client: row.text("client")?,
        storefront: row.text("storefront")?,
        erp_sku: row.text("erp_sku")?,
        product_id: row.text("product_id")?,
        variant_id: row.text_opt("variant_id")?,
        storefront_sku: row.text("storefront_sku")?,
        content_hash: row.text_opt("content_hash")?,
        updated_at: from_ms(row.int("updated_at")?)?,
    })
}

/// A plugin activation period: `id, client, plugin, version_hash, label, activated_at,
/// reason, deactivated_at, deactivation_reason`.
pub fn plugin_version(row: &impl Columns) -> Result<PluginVersionRecord, StoreError> {
    Ok(PluginVersionRecord {
        id: row.int("id")?,
        client: row.text("client")?,
        plugin: row.text("plugin")?,
        version_hash: row.text("version_hash")?,
        label: row.text("label")?,
        activated_at: from_ms(row.int("activated_at")?)?,
        reason: row.text("reason")?,
        deactivated_at: from_ms_opt(row.int_opt("deactivated_at")?)?,
        deactivation_reason: row.text_opt("deactivation_reason")?,
    })
}

/// A stored plugin component: `digest, plugin, bytes, source, stored_at`.
pub fn plugin_component(row: &impl Columns) -> Result<PluginComponent, StoreError> {
    Ok(PluginComponent {
        digest: row.text("digest")?,
        plugin: row.text("plugin")?,
        bytes: row.bytes("bytes")?,
        source: row.text("source")?,
        stored_at: from_ms(row.int("stored_at")?)?,
    })
}

/// A sync run: `id, client, flow, started_at, finished_at, status, measurements, error`.
pub fn sync_run(row: &impl Columns) -> Result<SyncRun, StoreError> {
    let id = row.int("id")?;
    Ok(SyncRun {
        id,
        client: row.text("client")?,
        flow: row.text("flow")?,
        started_at: from_ms(row.int("started_at")?)?,
        finished_at: from_ms_opt(row.int_opt("finished_at")?)?,
        status: RunStatus::parse(&row.text("status")?)?,
        measurements: serde_json::from_str(&row.text("measurements")?)
            .map_err(|e| StoreError::Corrupt(format!("run {id} measurements: {e}")))?,
        error: row.text_opt("error")?,
    })
}

/// A decision: `id, client, flow, subject, plugin_id, plugin_version, reason, value,
/// call_id, created_at`.
pub fn decision(row: &impl Columns) -> Result<DecisionRecord, StoreError> {
    let id = row.int("id")?;
    Ok(DecisionRecord {
        id,
        decision: Decision {
            client: row.text("client")?,
            flow: row.text("flow")?,
            subject: row.text("subject")?,
            plugin_id: row.text("plugin_id")?,
            plugin_version: row.text("plugin_version")?,
            reason: parse_json(&row.text("reason")?, &format!("decision {id} reason"))?,
            value: parse_json(&row.text("value")?, &format!("decision {id} value"))?,
            call_id: row.text_opt("call_id")?,
            created_at: from_ms(row.int("created_at")?)?,
        },
    })
}

/// A recorded plugin call: `id, client, flow, call, plugin_id, plugin_version, input, labels,
/// created_at`.
pub fn plugin_call(row: &impl Columns) -> Result<PluginCall, StoreError> {
    let id = row.text("id")?;
    let labels = parse_json(&row.text("labels")?, &format!("plugin call {id} labels"))?;
    let labels: Vec<String> = serde_json::from_value(labels)
        .map_err(|e| StoreError::Corrupt(format!("plugin call {id} labels: {e}")))?;
    Ok(PluginCall {
        client: row.text("client")?,
        flow: row.text("flow")?,
        call: row.text("call")?,
        plugin_id: row.text("plugin_id")?,
        plugin_version: row.text("plugin_version")?,
        input: row.text("input")?,
        labels,
        created_at: from_ms(row.int("created_at")?)?,
        id,
    })
}

/// A recorded call without its input: `id, flow, call, plugin_id, plugin_version,
/// created_at`.
pub fn plugin_call_summary(row: &impl Columns) -> Result<PluginCallSummary, StoreError> {
    Ok(PluginCallSummary {
        id: row.text("id")?,
        flow: row.text("flow")?,
        call: row.text("call")?,
        plugin_id: row.text("plugin_id")?,
        plugin_version: row.text("plugin_version")?,
        created_at: from_ms(row.int("created_at")?)?,
    })
}

/// A shadow run: `id, client, candidate, live, calls, changed, report, accepted_by,
/// accepted_at, created_at`.
pub fn shadow_run(row: &impl Columns) -> Result<ShadowRun, StoreError> {
    let id = row.int("id")?;
    Ok(ShadowRun {
        id,
        run: NewShadowRun {
            client: row.text("client")?,
            candidate: row.text("candidate")?,
            live: row.text("live")?,
            calls: count_u64(row.int("calls")?, "shadow_runs.calls")?,
            changed: count_u64(row.int("changed")?, "shadow_runs.changed")?,
            report: parse_json(&row.text("report")?, &format!("shadow run {id} report"))?,
            created_at: from_ms(row.int("created_at")?)?,
        },
        accepted_by: row.text_opt("accepted_by")?,
        accepted_at: from_ms_opt(row.int_opt("accepted_at")?)?,
    })
}

/// An oversell: `client, sku, location, order_id, ordered, available, buffer, cycle_id,
/// lag_minutes, rule, at`.
pub fn oversell(row: &impl Columns) -> Result<Oversell, StoreError> {
    Ok(Oversell {
        client: row.text("client")?,
        sku: row.text("sku")?,
        location: row.text("location")?,
        order_id: row.text("order_id")?,
        ordered: row.int("ordered")?,
        available: row.int("available")?,
        buffer: row.int("buffer")?,
        cycle_id: count_u64(row.int("cycle_id")?, "oversells.cycle_id")?,
        lag_minutes: u32::try_from(row.int("lag_minutes")?)
            .map_err(|e| StoreError::Corrupt(format!("oversells.lag_minutes: {e}")))?,
        rule: row.text("rule")?,
        at: from_ms(row.int("at")?)?,
    })
}

fn text_list(row: &impl Columns, column: &str) -> Result<Vec<String>, StoreError> {
    let text = row.text(column)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

/// An API token: `name, hash, role, clients, teams, created_at, expires_at, revoked_at`.
pub fn api_token(row: &impl Columns) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        name: row.text("name")?,
        hash: row.text("hash")?,
        role: row.text("role")?,
        clients: text_list(row, "clients")?,
        teams: text_list(row, "teams")?,
        created_at: from_ms(row.int("created_at")?)?,
        expires_at: from_ms_opt(row.int_opt("expires_at")?)?,
        revoked_at: from_ms_opt(row.int_opt("revoked_at")?)?,
    })
}

/// An audit entry: `id, actor, action, client, target, status, at`.
pub fn audit(row: &impl Columns) -> Result<AuditRecord, StoreError> {
    Ok(AuditRecord {
        id: row.int("id")?,
        entry: AuditEntry {
            actor: row.text("actor")?,
            action: row.text("action")?,
            client: row.text_opt("client")?,
            target: row.text("target")?,
            status: u16::try_from(row.int("status")?)
                .map_err(|e| StoreError::Corrupt(format!("audit_log.status: {e}")))?,
            at: from_ms(row.int("at")?)?,
        },
    })
}

/// A pause: `client, flow, paused_by, paused_at`.
pub fn pause(row: &impl Columns) -> Result<Pause, StoreError> {
    Ok(Pause {
        client: row.text("client")?,
        flow: row.text("flow")?,
        by: row.text("paused_by")?,
        at: from_ms(row.int("paused_at")?)?,
    })
}

/// A run request: `client, flow, requested_by, at`.
pub fn run_request(row: &impl Columns) -> Result<RunRequest, StoreError> {
    Ok(RunRequest {
        client: row.text("client")?,
        flow: row.text("flow")?,
        by: row.text("requested_by")?,
        at: from_ms(row.int("at")?)?,
    })
}
