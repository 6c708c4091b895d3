//! Credit-memo ledger on PostgreSQL; mirrors the order ledger (rows locked while changed).

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use super::{PgStore, in_tx, op};
use selvedge_store::refunds::NewRefund;
use selvedge_store::rows::{self};
use selvedge_store::timestamp::to_ms;
use selvedge_store::{
    RefundLedger, RefundRecord, RefundState, StoreError, StoreFuture, Transition,
};

macro_rules! refund_cols {
    () => {
        "client, refund_id, storefront, storefront_order_id, state, memo_no, erp_ref, \
         attempts, last_error, payload_hash, created_at, updated_at"
    };
}

/// The refund, if recorded; `lock` keeps it locked until the transaction ends.
async fn find<'e>(
    executor: impl PgExecutor<'e>,
    client: &str,
    refund_id: &str,
    lock: bool,
) -> Result<Option<RefundRecord>, StoreError> {
    let sql = if lock {
        concat!(
            "SELECT ",
            refund_cols!(),
            " FROM refunds WHERE client = $1 AND refund_id = $2 FOR UPDATE"
        )
    } else {
        concat!(
            "SELECT ",
            refund_cols!(),
            " FROM refunds WHERE client = $1 AND refund_id = $2"
        )
    };
    let row = sqlx::query(sql)
        .bind(client)
        .bind(refund_id)
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(rows::refund).transpose()
}

/// The refund, locked until the transaction ends.
async fn load(
    conn: &mut PgConnection,
    client: &str,
    refund_id: &str,
) -> Result<RefundRecord, StoreError> {
    find(conn, client, refund_id, true)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            entity: "refund",
            key: format!("{client}/{refund_id}"),
        })
}

async fn add_history(
    conn: &mut PgConnection,
    refund: (&str, &str),
    from: Option<RefundState>,
    to: RefundState,
    note: Option<&str>,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO refund_history (client, refund_id, from_state, to_state, note, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(refund.0)
    .bind(refund.1)
    .bind(from.map(RefundState::as_str))
    .bind(to.as_str())
    .bind(note)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl RefundLedger for PgStore {
    fn record_refund_received<'a>(
        &'a self,
        refund: &'a NewRefund,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, RefundRecord> {
        let at = to_ms(at);
        let key = (refund.client.as_str(), refund.refund_id.as_str());
        op(async move {
            in_tx!(self, |conn| {
                let inserted = sqlx::query(
                    "INSERT INTO refunds (client, refund_id, storefront, storefront_order_id, \
                     state, payload_hash, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, 'received', $5, $6, $6) ON CONFLICT DO NOTHING",
                )
                .bind(&refund.client)
                .bind(&refund.refund_id)
                .bind(&refund.storefront)
                .bind(&refund.storefront_order_id)
                .bind(&refund.payload_hash)
                .bind(at)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                if inserted == 1 {
                    add_history(conn, key, None, RefundState::Received, None, at).await?;
                }
                load(conn, key.0, key.1).await
            })
        })
    }

    fn transition_refund<'a>(
        &'a self,
        client: &'a str,
        refund_id: &'a str,
        to: RefundState,
        note: Option<&'a str>,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, RefundRecord> {
        let at = to_ms(at);
        op(async move {
            in_tx!(self, |conn| {
                let current = load(conn, client, refund_id).await?;
                if !current.state.can_go_to(to) {
                    return Err(StoreError::InvalidTransition {
                        entity: "refund",
                        key: format!("{client}/{refund_id}"),
                        from: current.state.to_string(),
                        to: to.to_string(),
                    });
                }
                let row = sqlx::query(concat!(
                    "UPDATE refunds SET state = $1, attempts = attempts + $2, \
                     last_error = CASE WHEN $3 THEN $4 ELSE last_error END, updated_at = $5 \
                     WHERE client = $6 AND refund_id = $7 RETURNING ",
                    refund_cols!()
                ))
                .bind(to.as_str())
                .bind(i64::from(to == RefundState::Posting))
                .bind(to == RefundState::Exception)
                .bind(note)
                .bind(at)
                .bind(client)
                .bind(refund_id)
                .fetch_one(&mut *conn)
                .await?;
                let key = (client, refund_id);
                add_history(conn, key, Some(current.state), to, note, at).await?;
                rows::refund(&row)
            })
        })
    }

    fn record_memo_posted<'a>(
        &'a self,
        client: &'a str,
        refund_id: &'a str,
        memo_no: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, RefundRecord> {
        let at = to_ms(at);
        op(async move {
            in_tx!(self, |conn| {
                let current = load(conn, client, refund_id).await?;
                let holds_it = StoreError::check_erp_number(
                    "refund",
                    format_args!("{client}/{refund_id}"),
                    current.memo_no.as_deref(),
                    memo_no,
                )?;
                if holds_it && current.state == RefundState::Posted {
                    return Ok(current);
                }
                let row = sqlx::query(concat!(
                    "UPDATE refunds SET state = 'posted', memo_no = $1, updated_at = $2 \
                     WHERE client = $3 AND refund_id = $4 RETURNING ",
                    refund_cols!()
                ))
                .bind(memo_no)
                .bind(at)
                .bind(client)
                .bind(refund_id)
                .fetch_one(&mut *conn)
                .await?;
                let note = format!("ERP credit memo {memo_no}");
                let (key, posted) = ((client, refund_id), RefundState::Posted);
                add_history(conn, key, Some(current.state), posted, Some(&note), at).await?;
                rows::refund(&row)
            })
        })
    }

    fn assign_refund_ref<'a>(
        &'a self,
        client: &'a str,
        refund_id: &'a str,
        erp_ref: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, RefundRecord> {
        let at = to_ms(at);
        op(async move {
            // One statement: the first assignment wins even between hosts.
            let row = sqlx::query(concat!(
                "UPDATE refunds SET erp_ref = COALESCE(erp_ref, $1), updated_at = $2 \
                 WHERE client = $3 AND refund_id = $4 RETURNING ",
                refund_cols!()
            ))
            .bind(erp_ref)
            .bind(at)
            .bind(client)
            .bind(refund_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "refund",
                key: format!("{client}/{refund_id}"),
            })?;
            rows::refund(&row)
        })
    }

    fn refund<'a>(
        &'a self,
        client: &'a str,
        refund_id: &'a str,
    ) -> StoreFuture<'a, Option<RefundRecord>> {
        op(find(self.pool(), client, refund_id, false))
    }

    fn refund_history<'a>(
        &'a self,
        client: &'a str,
        refund_id: &'a str,
    ) -> StoreFuture<'a, Vec<Transition<RefundState>>> {
        op(async move {
            let rows: Vec<(Option<String>, String, Option<String>, i64)> = sqlx::query_as(
                "SELECT from_state, to_state, note, at FROM refund_history \
                 WHERE client = $1 AND refund_id = $2 ORDER BY id",
            )
            .bind(client)
            .bind(refund_id)
            .fetch_all(self.pool())
            .await?;
            rows::transitions(rows, RefundState::parse)
        })
    }
}
