//! Revisions of open sales orders sent by the host, and cancellations made inside the ERP.
//!
//! A revision replaces the header and lines of an order nothing of which has shipped. The
//! revision number is the idempotency key: the current revision sent again with the same
//! content answers the order as it is, so a client may re-send a revision whose answer it lost.

use time::OffsetDateTime;

use super::creates::{CreateKind, CreateOutcome};
use super::state::{Refusal, SandboxState, StoredOrder, ValidOrder, invalid, merchandise_total};
use crate::model::{OrderStatus, SalesOrder, SalesOrderRequest};

impl SandboxState {
    /// Applies `req` as `revision` of order `order_number`.
    ///
    /// Checks run in this order: unknown number, foreign `external_ref`, revision 0, a
    /// repeated revision (answered as is when its content matches, stale otherwise), a locked
    /// order, then the same validation as a create.
    pub fn revise_order(
        &mut self,
        order_number: &str,
        revision: u32,
        req: SalesOrderRequest,
        now: OffsetDateTime,
    ) -> Result<SalesOrder, Refusal> {
        let idx = self
            .order_index(order_number)
            .ok_or_else(|| Refusal::NotFound(format!("order {order_number}")))?;
        let stored = &self.orders[idx];
        if req.external_ref != stored.order.external_ref {
            return Err(invalid(
                "external_ref",
                format!(
                    "order {order_number} carries external_ref `{}`, not `{}`",
                    stored.order.external_ref, req.external_ref
                ),
            ));
        }
        if revision == 0 {
            return Err(invalid(
                "revision",
                "revision must be 1 or more (the create is revision 1)",
            ));
        }
        let current = stored.order.revision;
        if revision <= current {
            if revision == current && stored.applied == req {
                // A retry of the revision already applied: nothing changes.
                let order = stored.order.clone();
                self.creates.record(
                    CreateKind::Revision,
                    &order.external_ref,
                    &order.order_number,
                    CreateOutcome::Unchanged,
                    Some(revision),
                );
                return Ok(order);
            }
            return Err(Refusal::StaleRevision {
                message: format!(
                    "order {order_number} is at revision {current}; revision {revision} with \
                     other content is stale"
                ),
                current,
            });
        }
        if let Some(why) = lock_reason(stored) {
            return Err(Refusal::Locked {
                message: format!(
                    "order {order_number} cannot be revised: {why}; change it inside Blue Cherry"
                ),
            });
        }
        let ValidOrder {
            division,
            warehouse,
            terms,
            lines,
        } = self.validate_order(&req)?;

        // Nothing has shipped (else it would be locked), so every unit of the old lines is open.
        let old = self.orders[idx].order.clone();
        for l in &old.lines {
            self.bucket(&old.warehouse, &l.sku).total_open -= l.qty - l.qty_shipped;
        }
        for l in &lines {
            self.bucket(&warehouse, &l.sku).total_open += l.qty;
        }
        let stored = &mut self.orders[idx];
        stored.applied = req.clone();
        let order = &mut stored.order;
        order.revision = revision;
        order.division = division;
        order.warehouse = warehouse;
        order.customer = req.customer;
        order.terms = terms;
        order.po_number = req.po_number;
        order.other_reference = req.other_reference;
        order.ship_via = req.ship_via;
        order.order_date = req.order_date;
        order.ship_date = req.ship_date;
        order.cancel_date = req.cancel_date;
        order.authorised = req.authorised;
        order.tax_amount = req.tax_amount;
        order.ship_to = req.ship_to;
        order.merchandise_total = merchandise_total(&lines);
        order.lines = lines;
        order.updated_at = now;
        let order = order.clone();
        self.creates.record(
            CreateKind::Revision,
            &order.external_ref,
            &order.order_number,
            CreateOutcome::Revised,
            Some(revision),
        );
        Ok(order)
    }

    /// A cancellation made by a user inside the ERP: what is still open is released.
    /// Cancelling a cancelled order answers it as it is.
    pub fn cancel_order(
        &mut self,
        order_number: &str,
        now: OffsetDateTime,
    ) -> Result<SalesOrder, Refusal> {
        let idx = self
            .order_index(order_number)
            .ok_or_else(|| Refusal::NotFound(format!("order {order_number}")))?;
        let order = self.orders[idx].order.clone();
        match order.status {
            OrderStatus::Cancelled => return Ok(order),
            OrderStatus::Shipped => {
                return Err(invalid(
                    "status",
                    format!("order {order_number} is fully shipped: nothing left to cancel"),
                ));
            }
            OrderStatus::Open | OrderStatus::PartiallyShipped => {}
        }
        for l in &order.lines {
            self.bucket(&order.warehouse, &l.sku).total_open -= l.qty - l.qty_shipped;
        }
        let order = &mut self.orders[idx].order;
        order.status = OrderStatus::Cancelled;
        order.updated_at = now;
        Ok(order.clone())
    }
}

/// Why an order can no longer take a revision, if it cannot.
fn lock_reason(stored: &StoredOrder) -> Option<String> {
    let order = &stored.order;
    let shipped: i64 = order.lines.iter().map(|l| l.qty_shipped).sum();
    let ordered: i64 = order.lines.iter().map(|l| l.qty).sum();
    match order.status {
        OrderStatus::Cancelled => Some("it is cancelled".to_string()),
        OrderStatus::Shipped => Some(format!("it is fully shipped ({shipped} units)")),
        _ if shipped > 0 => Some(format!(
            "it is partially shipped ({shipped} of {ordered} units)"
        )),
        _ => None,
    }
}
