//! Order ledger on SQLite. Every state change and its history row commit together. Its
//! writes run as direct statements on the writer's thread (see `direct.rs`).

use rusqlite::params;
use time::OffsetDateTime;

use super::SqliteStore;
use crate::direct;
use selvedge_store::rows::{self, Columns};
use selvedge_store::timestamp::to_ms;
use selvedge_store::{
    ErpSnapshot, Injection, OrderKey, OrderLedger, OrderRecord, OrderState, Page, SoldUnits,
    StoreError, StoreFuture, Transition,
};

macro_rules! order_cols {
    () => {
        "client, storefront, storefront_order_id, state, erp_order_no, erp_ref, attempts, \
         last_error, payload_hash, erp_value_minor, erp_qty, created_at, updated_at"
    };
}
macro_rules! order_key_where {
    () => {
        " WHERE client = ? AND storefront = ? AND storefront_order_id = ?"
    };
}

/// Days since 1970-01-01 of `at` in UTC.
fn day_number(at: OffsetDateTime) -> i64 {
    at.unix_timestamp().div_euclid(86_400)
}

/// Runs `sql`, which returns the row of the order `key`.
fn order_row(
    conn: &rusqlite::Connection,
    key: &OrderKey,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<OrderRecord, StoreError> {
    direct::query_opt(conn, sql, params, |row| rows::order(row))?.ok_or_else(|| {
        StoreError::NotFound {
            entity: "order",
            key: key.to_string(),
        }
    })
}

fn load(conn: &rusqlite::Connection, key: &OrderKey) -> Result<OrderRecord, StoreError> {
    order_row(
        conn,
        key,
        concat!("SELECT ", order_cols!(), " FROM orders", order_key_where!()),
        params![key.client, key.storefront, key.storefront_order_id],
    )
}

fn add_history(
    conn: &rusqlite::Connection,
    key: &OrderKey,
    from: Option<OrderState>,
    to: OrderState,
    note: Option<&str>,
    at: i64,
) -> Result<(), StoreError> {
    direct::execute(
        conn,
        "INSERT INTO order_history (client, storefront, storefront_order_id, from_state, \
         to_state, note, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![
            key.client,
            key.storefront,
            key.storefront_order_id,
            from.map(OrderState::as_str),
            to.as_str(),
            note,
            at
        ],
    )?;
    Ok(())
}

/// One guarded state change with its history row. With a lease, the change happens only
/// while that lease is its job's current claim (checked in the same transaction).
fn transition(
    conn: &rusqlite::Connection,
    key: &OrderKey,
    to: OrderState,
    note: Option<&str>,
    lease: Option<(selvedge_store::JobLease, &str)>,
    at: i64,
) -> Result<OrderRecord, StoreError> {
    if let Some((lease, _)) = lease {
        let now: Option<(i64, String)> = direct::query_opt(
            conn,
            "SELECT attempts, state FROM jobs WHERE id = ?",
            [lease.job_id],
            |row| Ok((row.int("attempts")?, row.text("state")?)),
        )?;
        let (attempts, state) = now.unwrap_or((0, "missing".into()));
        if attempts != i64::from(lease.attempt) || state != "running" {
            return Err(StoreError::LeaseLost {
                job_id: lease.job_id,
                attempt: lease.attempt,
                current_attempt: u32::try_from(attempts).unwrap_or(0),
                state,
            });
        }
    }
    let current = load(conn, key)?;
    if !current.state.can_go_to(to) {
        return Err(StoreError::InvalidTransition {
            entity: "order",
            key: key.to_string(),
            from: current.state.to_string(),
            to: to.to_string(),
        });
    }
    let record = order_row(
        conn,
        key,
        concat!(
            "UPDATE orders SET state = ?, attempts = attempts + ?, \
             last_error = CASE WHEN ? THEN ? ELSE last_error END, updated_at = ?, \
             erp_ref = COALESCE(erp_ref, ?)",
            order_key_where!(),
            " RETURNING ",
            order_cols!()
        ),
        params![
            to.as_str(),
            i64::from(to == OrderState::Injecting),
            to == OrderState::Exception,
            note,
            at,
            lease.map(|(_, erp_ref)| erp_ref),
            key.client,
            key.storefront,
            key.storefront_order_id
        ],
    )?;
    add_history(conn, key, Some(current.state), to, note, at)?;
    Ok(record)
}

/// Records a received order unless the ledger knows it.
fn received(
    conn: &rusqlite::Connection,
    key: &OrderKey,
    payload_hash: &str,
    at: i64,
) -> Result<(), StoreError> {
    let inserted = direct::execute(
        conn,
        "INSERT INTO orders (client, storefront, storefront_order_id, state, \
         payload_hash, created_at, updated_at) \
         VALUES (?1, ?2, ?3, 'received', ?4, ?5, ?5) ON CONFLICT DO NOTHING",
        params![
            key.client,
            key.storefront,
            key.storefront_order_id,
            payload_hash,
            at
        ],
    )?;
    if inserted == 1 {
        add_history(conn, key, None, OrderState::Received, None, at)?;
    }
    Ok(())
}

/// Records that the ERP holds the order as `erp_order_no` and counts the units sold.
fn injected(
    conn: &rusqlite::Connection,
    key: &OrderKey,
    erp_order_no: &str,
    snapshot: ErpSnapshot,
    sold: &[SoldUnits],
    at: OffsetDateTime,
) -> Result<OrderRecord, StoreError> {
    let (day, at) = (day_number(at), to_ms(at));
    let current = load(conn, key)?;
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
    let record = order_row(
        conn,
        key,
        concat!(
            "UPDATE orders SET state = 'injected', erp_order_no = ?, erp_value_minor = ?, \
             erp_qty = ?, updated_at = ?",
            order_key_where!(),
            " RETURNING ",
            order_cols!()
        ),
        params![
            erp_order_no,
            snapshot.value_minor,
            snapshot.qty,
            at,
            key.client,
            key.storefront,
            key.storefront_order_id
        ],
    )?;
    for line in sold {
        direct::execute(
            conn,
            "INSERT INTO units_sold (client, sku, location, day, units) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (client, sku, location, day) \
             DO UPDATE SET units = units + excluded.units",
            params![key.client, line.sku, line.location, day, line.units],
        )?;
    }
    let note = format!("ERP order {erp_order_no}");
    add_history(
        conn,
        key,
        Some(current.state),
        OrderState::Injected,
        Some(&note),
        at,
    )?;
    Ok(record)
}

impl OrderLedger for SqliteStore {
    fn record_order_received<'a>(
        &'a self,
        key: &'a OrderKey,
        payload_hash: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, OrderRecord> {
        let (key, payload_hash, at) = (key.clone(), payload_hash.to_owned(), to_ms(at));
        Box::pin(self.write_direct(move |conn| {
            received(conn, &key, &payload_hash, at)?;
            load(conn, &key)
        }))
    }

    fn transition_order<'a>(
        &'a self,
        key: &'a OrderKey,
        to: OrderState,
        note: Option<&'a str>,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, OrderRecord> {
        let (key, note, at) = (key.clone(), note.map(str::to_owned), to_ms(at));
        Box::pin(
            self.write_direct(move |conn| transition(conn, &key, to, note.as_deref(), None, at)),
        )
    }

    fn order_by_erp_ref<'a>(
        &'a self,
        client: &'a str,
        erp_ref: &'a str,
    ) -> StoreFuture<'a, Option<OrderRecord>> {
        Box::pin(async move {
            let row = sqlx::query(concat!(
                "SELECT ",
                order_cols!(),
                " FROM orders WHERE client = ? AND erp_ref = ? \
                 ORDER BY state = 'cancelled', updated_at DESC LIMIT 1"
            ))
            .bind(client)
            .bind(erp_ref)
            .fetch_optional(self.reader())
            .await?;
            row.as_ref().map(rows::order).transpose()
        })
    }

    fn start_injection<'a>(
        &'a self,
        key: &'a OrderKey,
        payload_hash: &'a str,
        lease: selvedge_store::JobLease,
        erp_ref: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, OrderRecord> {
        let (key, payload_hash, erp_ref) =
            (key.clone(), payload_hash.to_owned(), erp_ref.to_owned());
        let at = to_ms(at);
        Box::pin(self.write_direct(move |conn| {
            received(conn, &key, &payload_hash, at)?;
            let fence = Some((lease, erp_ref.as_str()));
            transition(conn, &key, OrderState::Injecting, None, fence, at)
        }))
    }

    fn record_injected<'a>(
        &'a self,
        key: &'a OrderKey,
        erp_order_no: &'a str,
        snapshot: ErpSnapshot,
        sold: &'a [SoldUnits],
        at: OffsetDateTime,
    ) -> StoreFuture<'a, OrderRecord> {
        let (key, erp_order_no, sold) = (key.clone(), erp_order_no.to_owned(), sold.to_vec());
        Box::pin(
            self.write_direct(move |conn| injected(conn, &key, &erp_order_no, snapshot, &sold, at)),
        )
    }

    fn finish_injection<'a>(
        &'a self,
        key: &'a OrderKey,
        erp_order_no: &'a str,
        snapshot: ErpSnapshot,
        sold: &'a [SoldUnits],
        lease: selvedge_store::JobLease,
        result: serde_json::Value,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, Injection> {
        let (key, erp_order_no, sold) = (key.clone(), erp_order_no.to_owned(), sold.to_vec());
        Box::pin(self.write_direct(move |conn| {
            let record = injected(conn, &key, &erp_order_no, snapshot, &sold, at)?;
            // A lost lease leaves the record standing: the ERP holds the order.
            let job_completed = match crate::jobs::complete_in(conn, lease, &result, at) {
                Ok(_) => true,
                Err(StoreError::LeaseLost { .. }) => false,
                Err(e) => return Err(e),
            };
            Ok(Injection {
                record,
                job_completed,
            })
        }))
    }

    fn units_sold_since<'a>(
        &'a self,
        client: &'a str,
        since: OffsetDateTime,
    ) -> StoreFuture<'a, Vec<SoldUnits>> {
        Box::pin(async move {
            let rows: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT sku, location, SUM(units) FROM units_sold WHERE client = ? AND day >= ? \
                 GROUP BY sku, location ORDER BY sku, location",
            )
            .bind(client)
            .bind(day_number(since))
            .fetch_all(self.reader())
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
        Box::pin(async move {
            let row = sqlx::query(concat!(
                "SELECT ",
                order_cols!(),
                " FROM orders",
                order_key_where!()
            ))
            .bind(&key.client)
            .bind(&key.storefront)
            .bind(&key.storefront_order_id)
            .fetch_optional(self.reader())
            .await?;
            row.as_ref().map(rows::order).transpose()
        })
    }

    fn order_history<'a>(
        &'a self,
        key: &'a OrderKey,
    ) -> StoreFuture<'a, Vec<Transition<OrderState>>> {
        Box::pin(async move {
            let rows: Vec<(Option<String>, String, Option<String>, i64)> = sqlx::query_as(concat!(
                "SELECT from_state, to_state, note, at FROM order_history",
                order_key_where!(),
                " ORDER BY id"
            ))
            .bind(&key.client)
            .bind(&key.storefront)
            .bind(&key.storefront_order_id)
            .fetch_all(self.reader())
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
        Box::pin(async move {
            let rows = sqlx::query(concat!(
                "SELECT ",
                order_cols!(),
                " FROM orders WHERE client = ? AND state = ? \
                 ORDER BY updated_at, storefront, storefront_order_id LIMIT ? OFFSET ?"
            ))
            .bind(client)
            .bind(state.as_str())
            .bind(i64::from(page.limit))
            .bind(i64::from(page.offset))
            .fetch_all(self.reader())
            .await?;
            rows.iter().map(rows::order).collect()
        })
    }
}
