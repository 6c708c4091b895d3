//! After the sale: the warehouse ships, and refunds come back as credit memos.

use time::OffsetDateTime;

use super::creates::{CreateKind, CreateOutcome};
use super::state::{Refusal, SandboxState, invalid};
use crate::model::{
    Cents, CreditMemo, CreditMemoRequest, MemoStatus, OrderStatus, Shipment, ShipmentLine,
};

impl SandboxState {
    /// Enters a credit memo; it posts (and restocks) at the next cycle.
    ///
    /// A reference already in use is refused, naming the first memo that carries it, unless
    /// `accept_duplicates` is armed. Both outcomes go to the create log.
    pub fn create_memo(&mut self, req: CreditMemoRequest) -> Result<CreditMemo, Refusal> {
        if req.external_ref.trim().is_empty() {
            return Err(invalid("external_ref", "external_ref is required"));
        }
        if !self.faults.accept_duplicates
            && let Some(m) = self
                .memos
                .iter()
                .find(|m| m.external_ref == req.external_ref)
        {
            let existing = m.memo_number.clone();
            self.creates.record(
                CreateKind::CreditMemo,
                &req.external_ref,
                &existing,
                CreateOutcome::DuplicateRefused,
                None,
            );
            return Err(Refusal::Duplicate { existing });
        }
        let Some(idx) = self.order_index(&req.original_order) else {
            return Err(invalid(
                "original_order",
                format!("unknown order `{}`", req.original_order),
            ));
        };
        let order = &self.orders[idx].order;
        if order.customer != req.customer {
            return Err(invalid(
                "customer",
                format!(
                    "order {} belongs to customer {}, not {}",
                    order.order_number, order.customer, req.customer
                ),
            ));
        }
        if req.lines.is_empty() {
            return Err(invalid("lines", "a credit memo needs at least one line"));
        }
        for (i, l) in req.lines.iter().enumerate() {
            if !order.lines.iter().any(|ol| ol.sku == l.sku) {
                return Err(invalid(
                    format!("lines[{i}].sku"),
                    format!("SKU `{}` is not on order {}", l.sku, order.order_number),
                ));
            }
            if l.qty <= 0 {
                return Err(invalid(
                    format!("lines[{i}].qty"),
                    format!("qty must be above 0, got {}", l.qty),
                ));
            }
        }
        let lines_total: i64 = req.lines.iter().map(|l| l.unit_price.times(l.qty).0).sum();
        let memo = CreditMemo {
            memo_number: format!("CM-{}", 500_001 + self.memos.len()),
            external_ref: req.external_ref,
            customer: req.customer,
            original_order: req.original_order,
            status: MemoStatus::Open,
            posted_at: None,
            tax_amount: req.tax_amount,
            total: Cents(lines_total + req.tax_amount.0),
            lines: req.lines,
        };
        self.memos.push(memo.clone());
        self.creates.record(
            CreateKind::CreditMemo,
            &memo.external_ref,
            &memo.memo_number,
            CreateOutcome::Created,
            None,
        );
        Ok(memo)
    }

    /// The warehouse ships `lines` of an order (everything still open when `None`).
    pub fn ship(
        &mut self,
        order_number: &str,
        carrier: &str,
        tracking: &str,
        lines: Option<Vec<ShipmentLine>>,
        now: OffsetDateTime,
    ) -> Result<Shipment, Refusal> {
        let idx = self
            .order_index(order_number)
            .ok_or_else(|| Refusal::NotFound(format!("order {order_number}")))?;
        let order = &self.orders[idx].order;
        if order.status == OrderStatus::Cancelled {
            return Err(invalid(
                "status",
                format!("order {order_number} is cancelled"),
            ));
        }
        let lines = match lines {
            Some(l) => l,
            None => order
                .lines
                .iter()
                .filter(|l| l.qty > l.qty_shipped)
                .map(|l| ShipmentLine {
                    sku: l.sku.clone(),
                    qty: l.qty - l.qty_shipped,
                })
                .collect(),
        };
        if lines.is_empty() {
            return Err(invalid(
                "lines",
                format!("nothing left to ship on {order_number}"),
            ));
        }
        for (i, s) in lines.iter().enumerate() {
            let remaining: i64 = order
                .lines
                .iter()
                .filter(|l| l.sku == s.sku)
                .map(|l| l.qty - l.qty_shipped)
                .sum();
            if s.qty <= 0 || s.qty > remaining {
                return Err(invalid(
                    format!("lines[{i}].qty"),
                    format!("cannot ship {} of `{}`: {remaining} open", s.qty, s.sku),
                ));
            }
        }
        let warehouse = order.warehouse.clone();
        let external_ref = order.external_ref.clone();
        for s in &lines {
            let mut left = s.qty;
            for l in self.orders[idx]
                .order
                .lines
                .iter_mut()
                .filter(|l| l.sku == s.sku)
            {
                let take = left.min(l.qty - l.qty_shipped);
                l.qty_shipped += take;
                left -= take;
            }
            let b = self.bucket(&warehouse, &s.sku);
            b.total_qoh -= s.qty;
            b.total_open -= s.qty;
        }
        let order = &mut self.orders[idx].order;
        order.status = if order.lines.iter().all(|l| l.qty_shipped >= l.qty) {
            OrderStatus::Shipped
        } else {
            OrderStatus::PartiallyShipped
        };
        order.updated_at = now;
        let shipment = Shipment {
            shipment_number: format!("PT-{}", 700_001 + self.shipments.len()),
            order_number: order_number.to_string(),
            external_ref,
            carrier: carrier.to_string(),
            tracking: tracking.to_string(),
            shipped_at: now,
            lines,
        };
        self.shipments.push(shipment.clone());
        Ok(shipment)
    }
}
