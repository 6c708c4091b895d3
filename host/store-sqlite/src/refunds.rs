//! Credit-memo ledger on SQLite; mirrors the order ledger (direct writes, see `direct.rs`).

use rusqlite::params;
use time::OffsetDateTime;

use super::SqliteStore;
use crate::direct;
use selvedge_store::refunds::NewRefund;
use selvedge_store::rows;
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

fn load(
    conn: &rusqlite::Connection,
    client: &str,
    refund_id: &str,
) -> Result<RefundRecord, StoreError> {
    direct::query_opt(
        conn,
        concat!(
            "SELECT ",
            refund_cols!(),
            " FROM refunds WHERE client = ? AND refund_id = ?"
        ),
        params![client, refund_id],
        |row| rows::refund(row),
    )?
    .ok_or_else(|| StoreError::NotFound {
        entity: "refund",
        key: format!("{client}/{refund_id}"),
    })
}

fn add_history(
    conn: &rusqlite::Connection,
    client: &str,
    refund_id: &str,
    from: Option<RefundState>,
    to: RefundState,
    note: Option<&str>,
    at: i64,
) -> Result<(), StoreError> {
    direct::execute(
        conn,
        "INSERT INTO refund_history (client, refund_id, from_state, to_state, note, at) \
         VALUES (?, ?, ?, ?, ?, ?)",
        params![
            client,
            refund_id,
            from.map(RefundState::as_str),
            to.as_str(),
            note,
            at
        ],
    )?;
    Ok(())
}

impl RefundLedger for SqliteStore {
    fn record_refund_received<'a>(
        &'a self,
        refund: &'a NewRefund,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, RefundRecord> {
        let refund = refund.clone();
        let at = to_ms(at);
        Box::pin(self.write_direct(move |conn| {
            let inserted = direct::execute(
                conn,
                "INSERT INTO refunds (client, refund_id, storefront, storefront_order_id, state, \
                 payload_hash, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, 'received', ?5, ?6, ?6) ON CONFLICT DO NOTHING",
                params![
                    refund.client,
                    refund.refund_id,
                    refund.storefront,
                    refund.storefront_order_id,
                    refund.payload_hash,
                    at
                ],
            )?;
            let (client, id) = (&refund.client, &refund.refund_id);
            if inserted == 1 {
                add_history(conn, client, id, None, RefundState::Received, None, at)?;
            }
            load(conn, client, id)
        }))
    }

    fn transition_refund<'a>(
        &'a self,
        client: &'a str,
        refund_id: &'a str,
        to: RefundState,
        note: Option<&'a str>,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, RefundRecord> {
        let (client, refund_id, note) = (
            client.to_owned(),
            refund_id.to_owned(),
            note.map(str::to_owned),
        );
        let at = to_ms(at);
        Box::pin(self.write_direct(move |conn| {
            let (client, refund_id, note) = (client.as_str(), refund_id.as_str(), note.as_deref());
            let current = load(conn, client, refund_id)?;
            if !current.state.can_go_to(to) {
                return Err(StoreError::InvalidTransition {
                    entity: "refund",
                    key: format!("{client}/{refund_id}"),
                    from: current.state.to_string(),
                    to: to.to_string(),
                });
            }
            direct::execute(
                conn,
                "UPDATE refunds SET state = ?, attempts = attempts + ?, \
                 last_error = CASE WHEN ? THEN ? ELSE last_error END, updated_at = ? \
                 WHERE client = ? AND refund_id = ?",
                params![
                    to.as_str(),
                    i64::from(to == RefundState::Posting),
                    to == RefundState::Exception,
                    note,
                    at,
                    client,
                    refund_id
                ],
            )?;
            add_history(conn, client, refund_id, Some(current.state), to, note, at)?;
            load(conn, client, refund_id)
        }))
    }

    fn record_memo_posted<'a>(
        &'a self,
        client: &'a str,
        refund_id: &'a str,
        memo_no: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, RefundRecord> {
        let (client, refund_id, memo_no) =
            (client.to_owned(), refund_id.to_owned(), memo_no.to_owned());
        let at = to_ms(at);
        Box::pin(self.write_direct(move |conn| {
            let (client, refund_id, memo_no) =
                (client.as_str(), refund_id.as_str(), memo_no.as_str());
            let current = load(conn, client, refund_id)?;
            let holds_it = StoreError::check_erp_number(
                "refund",
                format_args!("{client}/{refund_id}"),
                current.memo_no.as_deref(),
                memo_no,
            )?;
            if holds_it && current.state == RefundState::Posted {
                return Ok(current);
            }
            direct::execute(
                conn,
                "UPDATE refunds SET state = 'posted', memo_no = ?, updated_at = ? \
                 WHERE client = ? AND refund_id = ?",
                params![memo_no, at, client, refund_id],
            )?;
            let note = format!("ERP credit memo {memo_no}");
            let posted = RefundState::Posted;
            let from = Some(current.state);
            add_history(conn, client, refund_id, from, posted, Some(&note), at)?;
            load(conn, client, refund_id)
        }))
    }

    fn assign_refund_ref<'a>(
        &'a self,
        client: &'a str,
        refund_id: &'a str,
        erp_ref: &'a str,
        at: OffsetDateTime,
    ) -> StoreFuture<'a, RefundRecord> {
        let (client, refund_id, erp_ref) =
            (client.to_owned(), refund_id.to_owned(), erp_ref.to_owned());
        let at = to_ms(at);
        Box::pin(self.write_direct(move |conn| {
            direct::execute(
                conn,
                "UPDATE refunds SET erp_ref = COALESCE(erp_ref, ?), updated_at = ? \
                 WHERE client = ? AND refund_id = ?",
                params![erp_ref, at, client, refund_id],
            )?;
            load(conn, &client, &refund_id)
        }))
    }

    fn refund<'a>(
        &'a self,
        client: &'a str,
        refund_id: &'a str,
    ) -> StoreFuture<'a, Option<RefundRecord>> {
        Box::pin(async move {
            let row = sqlx::query(concat!(
                "SELECT ",
                refund_cols!(),
                " FROM refunds WHERE client = ? AND refund_id = ?"
            ))
            .bind(client)
            .bind(refund_id)
            .fetch_optional(self.reader())
            .await?;
            row.as_ref().map(rows::refund).transpose()
        })
    }

    fn refund_history<'a>(
        &'a self,
        client: &'a str,
        refund_id: &'a str,
    ) -> StoreFuture<'a, Vec<Transition<RefundState>>> {
        Box::pin(async move {
            let rows: Vec<(Option<String>, String, Option<String>, i64)> = sqlx::query_as(
                "SELECT from_state, to_state, note, at FROM refund_history \
                 WHERE client = ? AND refund_id = ? ORDER BY id",
            )
            .bind(client)
            .bind(refund_id)
            .fetch_all(self.reader())
            .await?;
            rows::transitions(rows, RefundState::parse)
        })
    }
}
