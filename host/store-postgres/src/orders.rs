//! Order ledger on PostgreSQL. Every state change and its history row commit together; a
//! change reads the order `FOR UPDATE`, so two hosts moving one order take turns.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use super::{PgStore, in_tx, op};
use selvedge_store::rows::{self};
use selvedge_store::timestamp::to_ms;
use selvedge_store::{
    ErpSnapshot, Injection, JobLease, OrderKey, OrderLedger, OrderRecord, OrderState, Page,
    SoldUnits, StoreError, StoreFuture, Transition,
};

macro_rules! order_cols {
    () => {
        "client, storefront, storefront_order_id, state, erp_order_no, erp_ref, attempts, \
         last_error, payload_hash, erp_value_minor, erp_qty, created_at, updated_at"
    };
}
macro_rules! order_key_where {
    () => {
        " WHERE client = $1 AND storefront = $2 AND storefront_order_id = $3"
    };
}

/// Days since 1970-01-01 of `at` in UTC.
fn day_number(at: OffsetDateTime) -> i64 {
    at.unix_timestamp().div_euclid(86_400)
}

/// The order, if recorded; `lock` keeps it locked until the transaction ends.
async fn find<'e>(
    executor: impl PgExecutor<'e>,
    key: &OrderKey,
    lock: bool,
) -> Result<Option<OrderRecord>, StoreError> {
    let sql = if lock {
        concat!(
            "SELECT ",
            order_cols!(),
            " FROM orders",
            order_key_where!(),
            " FOR UPDATE"
        )
    } else {
        concat!("SELECT ", order_cols!(), " FROM orders", order_key_where!())
    };
    let row = sqlx::query(sql)
        .bind(&key.client)
        .bind(&key.storefront)
        .bind(&key.storefront_order_id)
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(rows::order).transpose()
}

/// The order, locked until the transaction ends.
async fn load(conn: &mut PgConnection, key: &OrderKey) -> Result<OrderRecord, StoreError> {
    find(conn, key, true)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            entity: "order",
            key: key.to_string(),
        })
}

async fn add_history(
    conn: &mut PgConnection,
    key: &OrderKey,
    from: Option<OrderState>,
    to: OrderState,
    note: Option<&str>,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO order_history (client, storefront, storefront_order_id, from_state, \
         to_state, note, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&key.client)
    .bind(&key.storefront)
    .bind(&key.storefront_order_id)
    .bind(from.map(OrderState::as_str))
    .bind(to.as_str())
    .bind(note)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Refuses unless `lease` is its job's current claim. The job row stays share-locked until
/// the transaction ends, so no rescue or new claim can slip in before the change commits.
async fn check_lease(conn: &mut PgConnection, lease: JobLease) -> Result<(), StoreError> {
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT attempts, state FROM jobs WHERE id = $1 FOR SHARE")
            .bind(lease.job_id)
            .fetch_optional(&mut *conn)
            .await?;
    let (attempts, state) = row.unwrap_or((0, "missing".into()));
    if attempts == i64::from(lease.attempt) && state == "running" {
        return Ok(());
    }
    Err(StoreError::LeaseLost {
        job_id: lease.job_id,
        attempt: lease.attempt,
        current_attempt: u32::try_from(attempts).unwrap_or(0),
        state,
    })
}

/// One guarded state change with its history row. With a lease, the change happens only
/// while that lease is its job's current claim (checked in the same transaction).
async fn transition(
    conn: &mut PgConnection,
    key: &OrderKey,
    to: OrderState,
    note: Option<&str>,
    lease: Option<(JobLease, &str)>,
    at: i64,
) -> Result<OrderRecord, StoreError> {
    if let Some((lease, _)) = lease {
        check_lease(conn, lease).await?;
    }
    let current = load(conn, key).await?;
    if !current.state.can_go_to(to) {
        return Err(StoreError::InvalidTransition {
            entity: "order",
            key: key.to_string(),
            from: current.state.to_string(),
            to: to.to_string(),
        });
    }
    let row = sqlx::query(concat!(
        "UPDATE orders SET state = $4, attempts = attempts + $5, \
         last_error = CASE WHEN $6 THEN $7 ELSE last_error END, updated_at = $8, \
         erp_ref = COALESCE(erp_ref, $9)",
        order_key_where!(),
        " RETURNING ",
        order_cols!()
    ))
    .bind(&key.client)
    .bind(&key.storefront)
    .bind(&key.storefront_order_id)
    .bind(to.as_str())
    .bind(i64::from(to == OrderState::Injecting))
    .bind(to == OrderState::Exception)
    .bind(note)
    .bind(at)
    .bind(lease.map(|(_, erp_ref)| erp_ref))
    .fetch_one(&mut *conn)
    .await?;
    add_history(conn, key, Some(current.state), to, note, at).await?;
    rows::order(&row)
}

/// Records a received order unless the ledger knows it; returns the record, locked.
async fn received(
    conn: &mut PgConnection,
    key: &OrderKey,
    payload_hash: &str,
    at: i64,
) -> Result<OrderRecord, StoreError> {
    // DO NOTHING: a re-delivery racing the first one waits for it and adds nothing.
    let inserted = sqlx::query(
        "INSERT INTO orders (client, storefront, storefront_order_id, state, \
         payload_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, 'received', $4, $5, $5) ON CONFLICT DO NOTHING",
    )
    .bind(&key.client)
    .bind(&key.storefront)
    .bind(&key.storefront_order_id)
    .bind(payload_hash)
    .bind(at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        add_history(conn, key, None, OrderState::Received, None, at).await?;
    }
    load(conn, key).await
}

/// Records that the ERP holds the order as `erp_order_no` and counts the units sold.
async fn injected(
    conn: &mut PgConnection,
    key: &OrderKey,
    erp_order_no: &str,
    snapshot: ErpSnapshot,
    sold: &[SoldUnits],
    at: OffsetDateTime,
) -> Result<OrderRecord, StoreError> {
    let (day, at) = (day_number(at), to_ms(at));
    let current = load(conn, key).await?;
    let holds_it =
        StoreError::check_erp_number("order", key, current.erp_order_no.as_deref(), erp_order_no)?;
    if holds_it && current.state == OrderState::Injected {
        return Ok(current);
    }
    if current.state == OrderState::Cancelled {
        return Err(StoreError::InvalidTransition {
            entity: "order",
            key: key.to_string(),
            from: current.state.to_string(),
            to: OrderState::Injected.to_string(),
        });
    }
    let row = sqlx::query(concat!(
        "UPDATE orders SET state = 'injected', erp_order_no = $4, \
         erp_value_minor = $5, erp_qty = $6, updated_at = $7",
        order_key_where!(),
        " RETURNING ",
        order_cols!()
    ))
    .bind(&key.client)
    .bind(&key.storefront)
    .bind(&key.storefront_order_id)
    .bind(erp_order_no)
    .bind(snapshot.value_minor)
    .bind(snapshot.qty)
    .bind(at)
    .fetch_one(&mut *conn)
    .await?;
    for line in sold {
        sqlx::query(
            "INSERT INTO units_sold (client, sku, location, day, units) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (client, sku, location, day) \
             DO UPDATE SET units = units_sold.units + excluded.units",
        )
        .bind(&key.client)
        .bind(&line.sku)
        .bind(&line.location)
        .bind(day)
        .bind(line.units)
        .execute(&mut *conn)
        .await?;
    }
    let note = format!("ERP order {erp_order_no}");
    let injected = OrderState::Injected;
    add_history(conn, key, Some(current.state), injected, Some(&note), at).await?;
    rows::order(&row)
}

impl OrderLedger for PgStore {
    fn record_order_received<'a>(
        &'a self,
        key: &'a OrderKey,
        payload_hash: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, OrderRecord> {
        let at = to_ms(at);
        op(async move { in_tx!(self, |conn| received(conn, key, payload_hash, at).await) })
    }

    fn transition_order<'a>(
        &'a self,
        key: &'a OrderKey,
        to: OrderState,
        note: Option<&'a str>,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, OrderRecord> {
        let at = to_ms(at);
        op(async move { in_tx!(self, |conn| transition(conn, key, to, note, None, at).await) })
    }

    fn order_by_erp_ref<'a>(
        &'a self,
        client: &'a str,
        erp_ref: &'a str,
    ) -> StoreFuture<'a, Option<OrderRecord>> {
        op(async move {
            let row = sqlx::query(concat!(
                "SELECT ",
                order_cols!(),
                " FROM orders WHERE client = $1 AND erp_ref = $2 \
                 ORDER BY state = 'cancelled', updated_at DESC LIMIT 1"
            ))
            .bind(client)
            .bind(erp_ref)
            .fetch_optional(self.pool())
            .await?;
            row.as_ref().map(rows::order).transpose()
        })
    }

    fn start_injection<'a>(
        &'a self,
        key: &'a OrderKey,
        payload_hash: &'a str,
        lease: JobLease,
        erp_ref: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, OrderRecord> {
        let at = to_ms(at);
        op(async move {
            in_tx!(self, |conn| {
                received(conn, key, payload_hash, at).await?;
                let fence = Some((lease, erp_ref));
                transition(conn, key, OrderState::Injecting, None, fence, at).await
            })
        })
    }

    fn record_injected<'a>(
        &'a self,
        key: &'a OrderKey,
        erp_order_no: &'a str,
        snapshot: ErpSnapshot,
        sold: &'a [SoldUnits],
        at: OffsetDateTime,
    ) -> StoreFuture<'a, OrderRecord> {
        op(async move {
            in_tx!(self, |conn| injected(
                conn,
                key,
                erp_order_no,
                snapshot,
                sold,
                at
            )
            .await)
        })
    }

    fn finish_injection<'a>(
        &'a self,
        key: &'a OrderKey,
        erp_order_no: &'a str,
        snapshot: ErpSnapshot,
        sold: &'a [SoldUnits],
        lease: JobLease,
        result: serde_json::Value,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, Injection> {
        op(async move {
            in_tx!(self, |conn| {
                let record = injected(conn, key, erp_order_no, snapshot, sold, at).await?;
                // A lost lease leaves the record standing: the ERP holds the order.
                let job_completed = match crate::jobs::complete_in(conn, lease, &result, at).await {
                    Ok(_) => true,
                    Err(StoreError::LeaseLost { .. }) => false,
                    Err(e) => return Err(e),
                };
                Ok(Injection {
                    record,
                    job_completed,
                })
            })
        })
    }

    fn units_sold_since<'a>(
        &'a self,
        client: &'a str,
        since: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<SoldUnits>> {
        op(async move {
            // SUM of BIGINT is NUMERIC in PostgreSQL.
            let rows: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT sku, location, SUM(units)::bigint FROM units_sold \
                 WHERE client = $1 AND day >= $2 GROUP BY sku, location ORDER BY sku, location",
            )
            .bind(client)
            .bind(day_number(since))
            .fetch_all(self.pool())
            .await?;
            Ok(rows
                .into_iter()
                .map(|(sku, location, units)| SoldUnits {
                    sku,
                    location,
                    units,
                })
                .collect())
        })
    }

    fn order<'a>(&'a self, key: &'a OrderKey) -> StoreFuture<'a, Option<OrderRecord>> {
        op(find(self.pool(), key, false))
    }

    fn order_history<'a>(
        &'a self,
        key: &'a OrderKey,
    ) -> StoreFuture<'a, Vec<Transition<OrderState>>> {
        op(async move {
            let rows: Vec<(Option<String>, String, Option<String>, i64)> = sqlx::query_as(concat!(
                "SELECT from_state, to_state, note, at FROM order_history",
                order_key_where!(),
                " ORDER BY id"
            ))
            .bind(&key.client)
            .bind(&key.storefront)
            .bind(&key.storefront_order_id)
            .fetch_all(self.pool())
            .await?;
            rows::transitions(rows, OrderState::parse)
        })
    }

    fn orders_in_state<'a>(
        &'a self,
        client: &'a str,
        state: OrderState,
        page: Page,
    ) -> StoreFuture<'a, Vec<OrderRecord>> {
        op(async move {
            let rows = sqlx::query(concat!(
                "SELECT ",
                order_cols!(),
                " FROM orders WHERE client = $1 AND state = $2 \
                 ORDER BY updated_at, storefront, storefront_order_id LIMIT $3 OFFSET $4"
            ))
            .bind(client)
            .bind(state.as_str())
            .bind(i64::from(page.limit))
            .bind(i64::from(page.offset))
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(rows::order).collect()
        })
    }
}
