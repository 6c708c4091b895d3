//! The sandbox ERP's books and the operations that change them.
//!
//! Operations change the live books at once; the ATS report only shows them once a cycle
//! has run (see `cycles.rs`), which is how Blue Cherry behaves.

use std::collections::{BTreeMap, HashMap, VecDeque};

use time::OffsetDateTime;

use super::creates::{CreateKind, CreateLog, CreateOutcome};
use super::faults::Faults;
use crate::model::{
    AtsBuckets, AtsSnapshot, CreditMemo, Customer, CycleStatus, FIRST_REVISION, OrderStatus,
    PriceLevel, SalesOrder, SalesOrderLine, SalesOrderRequest, Shipment, Style,
};
use selvedge_connector_kit::sandbox::QuotaWindow;

/// Why the sandbox ERP refused an operation; routes turn it into the documented error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Validation failed on `field`.
    Invalid {
        /// Field at fault.
        field: String,
        /// Message naming the problem.
        message: String,
    },
    /// The external reference is taken by `existing`.
    Duplicate {
        /// Existing document number.
        existing: String,
    },
    /// No such document.
    NotFound(String),
    /// The order is shipped (in part or whole) or cancelled and can no longer be revised.
    Locked {
        /// Message saying why, naming the order.
        message: String,
    },
    /// A revision at or below the current one, with other content.
    StaleRevision {
        /// Message naming the order and both revisions.
        message: String,
        /// The order's current revision.
        current: u32,
    },
}

pub(super) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Refusal {
    Refusal::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// An open work order: `qty` units become on hand after `cycles_left` more cycles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkOrder {
    /// Warehouse receiving it.
    pub warehouse: String,
    /// SKU produced.
    pub sku: String,
    /// Units.
    pub qty: i64,
    /// Cycles until it is received.
    pub cycles_left: u32,
}

/// A sales order plus what only the sandbox tracks about it.
#[derive(Debug, Clone)]
pub struct StoredOrder {
    /// The order as the API shows it.
    pub order: SalesOrder,
    /// Last completed cycle when it was entered (drives auto-ship).
    pub entered_after_cycle: u64,
    /// The content of the current revision as it was sent (the create is revision 1); a
    /// repeated revision must match it to count as a retry.
    pub applied: SalesOrderRequest,
}

/// A sales order request that passed validation, with its codes resolved.
#[derive(Debug)]
pub(super) struct ValidOrder {
    pub(super) division: String,
    pub(super) warehouse: String,
    pub(super) terms: String,
    pub(super) lines: Vec<SalesOrderLine>,
}

/// Catalogue position of a SKU.
#[derive(Debug, Clone, Copy)]
pub struct SkuRef {
    /// Index into `styles`.
    pub style: usize,
    /// Index into that style's `skus`.
    pub sku: usize,
}

/// Everything the sandbox ERP knows.
#[derive(Debug, Default)]
pub struct SandboxState {
    /// Styles with their grids.
    pub styles: Vec<Style>,
    /// SKU -> position.
    pub sku_index: HashMap<String, SkuRef>,
    /// UPC -> SKU.
    pub upc_index: HashMap<String, String>,
    /// Division codes.
    pub divisions: Vec<String>,
    /// Warehouse codes with their division.
    pub warehouses: BTreeMap<String, String>,
    /// Live books per (warehouse, SKU); `avail_qoh` is computed when a snapshot is taken.
    pub stock: BTreeMap<(String, String), AtsBuckets>,
    /// Open work orders.
    pub work_orders: Vec<WorkOrder>,
    /// Sales orders in entry order.
    pub orders: Vec<StoredOrder>,
    /// Order number -> position in `orders` (a real ERP looks orders up by key, not by scan).
    pub(crate) order_numbers: HashMap<String, usize>,
    /// External reference -> positions in `orders`, oldest first (several only while
    /// [`Faults::accept_duplicates`] is armed).
    pub(crate) order_refs: HashMap<String, Vec<usize>>,
    /// Credit memos in entry order.
    pub memos: Vec<CreditMemo>,
    /// Shipments; position + 1 is the cursor value.
    pub shipments: Vec<Shipment>,
    /// Customers.
    pub customers: Vec<Customer>,
    /// Price levels per SKU.
    pub price_levels: Vec<PriceLevel>,
    /// Cycle status as the API shows it.
    pub cycle: CycleStatus,
    /// Most recent snapshots, oldest first.
    pub snapshots: VecDeque<AtsSnapshot>,
    /// Armed fault modes.
    pub faults: Faults,
    /// Request quota on `/v1`, when one is set (`PUT /sandbox/quota`).
    pub quota: Option<QuotaWindow>,
    /// 429s answered because of the quota.
    pub rate_limited: u64,
    /// Every create and revision handled, in call order.
    pub creates: CreateLog,
    /// Cycles a new work order takes to mature.
    pub work_order_cycles: u32,
    /// Ship orders automatically this many cycles after entry.
    pub auto_ship_after_cycles: Option<u32>,
    /// Snapshots kept.
    pub snapshot_retention: usize,
    /// Bearer key the `/v1` routes accept.
    pub api_key: String,
    /// Scheduled cycle period, if any (for `next_scheduled_at`).
    pub cycle_period: Option<std::time::Duration>,
}

impl SandboxState {
    /// Resolves a line's SKU or UPC to the SKU and its UPC.
    fn resolve(
        &self,
        sku: Option<&str>,
        upc: Option<&str>,
        field: &str,
    ) -> Result<(String, String), Refusal> {
        match (sku, upc) {
            (Some(s), _) if !s.is_empty() => match self.sku_index.get(s) {
                Some(r) => Ok((s.to_string(), self.styles[r.style].skus[r.sku].upc.clone())),
                None => Err(invalid(
                    format!("{field}.sku"),
                    format!("unknown SKU `{s}`"),
                )),
            },
            (_, Some(u)) if !u.is_empty() => match self.upc_index.get(u) {
                Some(s) => Ok((s.clone(), u.to_string())),
                None => Err(invalid(
                    format!("{field}.upc"),
                    format!("unknown UPC `{u}`"),
                )),
            },
            _ => Err(invalid(
                format!("{field}.sku"),
                "a line needs a sku or a upc",
            )),
        }
    }

    pub(super) fn bucket(&mut self, warehouse: &str, sku: &str) -> &mut AtsBuckets {
        self.stock
            .entry((warehouse.to_string(), sku.to_string()))
            .or_default()
    }

    /// Index of the order with this number.
    pub fn order_index(&self, order_number: &str) -> Option<usize> {
        self.order_numbers.get(order_number).copied()
    }

    /// The orders carrying `external_ref`, oldest first.
    pub fn orders_with_ref<'a>(
        &'a self,
        external_ref: &str,
    ) -> impl Iterator<Item = &'a SalesOrder> {
        self.order_refs
            .get(external_ref)
            .into_iter()
            .flatten()
            .filter_map(|&idx| self.orders.get(idx).map(|o| &o.order))
    }

    /// Enters a sales order; its quantities count as open orders from now on.
    ///
    /// A reference already in use is refused, naming the first order that carries it, unless
    /// [`Faults::accept_duplicates`] is armed. Both outcomes go to the create log.
    pub fn create_order(
        &mut self,
        req: SalesOrderRequest,
        now: OffsetDateTime,
    ) -> Result<SalesOrder, Refusal> {
        if req.external_ref.trim().is_empty() {
            return Err(invalid("external_ref", "external_ref is required"));
        }
        let taken = (!self.faults.accept_duplicates)
            .then(|| self.orders_with_ref(&req.external_ref).next())
            .flatten()
            .map(|o| o.order_number.clone());
        if let Some(existing) = taken {
            self.creates.record(
                CreateKind::SalesOrder,
                &req.external_ref,
                &existing,
                CreateOutcome::DuplicateRefused,
                None,
            );
            return Err(Refusal::Duplicate { existing });
        }
        let ValidOrder {
            division,
            warehouse,
            terms,
            lines,
        } = self.validate_order(&req)?;
        for l in &lines {
            self.bucket(&warehouse, &l.sku).total_open += l.qty;
        }
        let applied = req.clone();
        let order = SalesOrder {
            order_number: format!("SO-{}", 100_001 + self.orders.len()),
            external_ref: req.external_ref,
            status: OrderStatus::Open,
            revision: FIRST_REVISION,
            division,
            warehouse,
            customer: req.customer,
            terms,
            po_number: req.po_number,
            other_reference: req.other_reference,
            ship_via: req.ship_via,
            order_date: req.order_date,
            ship_date: req.ship_date,
            cancel_date: req.cancel_date,
            authorised: req.authorised,
            tax_amount: req.tax_amount,
            ship_to: req.ship_to,
            merchandise_total: merchandise_total(&lines),
            lines,
            updated_at: now,
        };
        let idx = self.orders.len();
        self.order_numbers.insert(order.order_number.clone(), idx);
        self.order_refs
            .entry(order.external_ref.clone())
            .or_default()
            .push(idx);
        self.orders.push(StoredOrder {
            order: order.clone(),
            entered_after_cycle: self.cycle.last_cycle_id,
            applied,
        });
        self.creates.record(
            CreateKind::SalesOrder,
            &order.external_ref,
            &order.order_number,
            CreateOutcome::Created,
            None,
        );
        Ok(order)
    }

    /// The checks a create and a revision share: header codes, customer, lines and credit.
    pub(super) fn validate_order(&self, req: &SalesOrderRequest) -> Result<ValidOrder, Refusal> {
        let division = match req.division.as_deref().map(str::trim) {
            None | Some("") => return Err(invalid("division", "division is required")),
            Some(d) if !self.divisions.iter().any(|x| x == d) => {
                return Err(invalid("division", format!("unknown division `{d}`")));
            }
            Some(d) => d.to_string(),
        };
        let warehouse = match req.warehouse.as_deref().map(str::trim) {
            None | Some("") => return Err(invalid("warehouse", "warehouse is required")),
            Some(w) if !self.warehouses.contains_key(w) => {
                return Err(invalid("warehouse", format!("unknown warehouse `{w}`")));
            }
            Some(w) => w.to_string(),
        };
        let Some(customer) = self.customers.iter().find(|c| c.customer == req.customer) else {
            return Err(invalid(
                "customer",
                format!("unknown customer `{}`", req.customer),
            ));
        };
        let terms = req
            .terms
            .clone()
            .unwrap_or_else(|| customer.terms_code.clone());
        if req.lines.is_empty() {
            return Err(invalid("lines", "an order needs at least one line"));
        }
        let mut lines = Vec::with_capacity(req.lines.len());
        for (i, l) in req.lines.iter().enumerate() {
            let field = format!("lines[{i}]");
            let (sku, upc) = self.resolve(l.sku.as_deref(), l.upc.as_deref(), &field)?;
            if l.qty <= 0 {
                return Err(invalid(
                    format!("{field}.qty"),
                    format!("qty must be above 0, got {}", l.qty),
                ));
            }
            if l.unit_price.0 < 0 {
                return Err(invalid(
                    format!("{field}.unit_price"),
                    "unit_price cannot be negative",
                ));
            }
            lines.push(SalesOrderLine {
                line_no: u32::try_from(i + 1).unwrap_or(u32::MAX),
                sku,
                upc,
                qty: l.qty,
                qty_shipped: 0,
                unit_price: l.unit_price,
            });
        }
        let total = merchandise_total(&lines).0 + req.tax_amount.0;
        let open_credit = customer.credit_limit.0 - customer.balance.0;
        if req.authorised && total > open_credit {
            // Blue Cherry is master for credit: an authorised on-account order must fit.
            return Err(invalid(
                "authorised",
                format!(
                    "credit limit exceeded for {}: {} available, order is {}",
                    customer.customer,
                    crate::model::Cents(open_credit),
                    crate::model::Cents(total)
                ),
            ));
        }
        Ok(ValidOrder {
            division,
            warehouse,
            terms,
            lines,
        })
    }

    /// An edit made by a user inside the ERP (creates drift from the storefront).
    pub fn edit_order_line(
        &mut self,
        order_number: &str,
        line_no: u32,
        qty: Option<i64>,
        unit_price: Option<crate::model::Cents>,
        now: OffsetDateTime,
    ) -> Result<SalesOrder, Refusal> {
        let idx = self
            .order_index(order_number)
            .ok_or_else(|| Refusal::NotFound(format!("order {order_number}")))?;
        let warehouse = self.orders[idx].order.warehouse.clone();
        let order = &mut self.orders[idx].order;
        if order.status == OrderStatus::Cancelled {
            return Err(invalid(
                "status",
                format!("order {order_number} is cancelled"),
            ));
        }
        let Some(line) = order.lines.iter_mut().find(|l| l.line_no == line_no) else {
            return Err(invalid(
                "line_no",
                format!("order {order_number} has no line {line_no}"),
            ));
        };
        let mut open_delta = 0;
        if let Some(q) = qty {
            if q < line.qty_shipped {
                return Err(invalid(
                    "qty",
                    format!("{} already shipped", line.qty_shipped),
                ));
            }
            open_delta = q - line.qty;
            line.qty = q;
        }
        if let Some(p) = unit_price {
            line.unit_price = p;
        }
        let sku = line.sku.clone();
        order.merchandise_total = merchandise_total(&order.lines);
        order.updated_at = now;
        let out = order.clone();
        self.bucket(&warehouse, &sku).total_open += open_delta;
        Ok(out)
    }

    /// A physical count or receipt outside any order (shows at the next cycle).
    pub fn adjust_on_hand(
        &mut self,
        warehouse: &str,
        sku: &str,
        delta: i64,
    ) -> Result<(), Refusal> {
        if !self.warehouses.contains_key(warehouse) {
            return Err(invalid(
                "warehouse",
                format!("unknown warehouse `{warehouse}`"),
            ));
        }
        if !self.sku_index.contains_key(sku) {
            return Err(invalid("sku", format!("unknown SKU `{sku}`")));
        }
        self.bucket(warehouse, sku).total_qoh += delta;
        Ok(())
    }

    /// Opens a work order maturing after `cycles` (the configured default when `None`).
    pub fn add_work_order(
        &mut self,
        warehouse: &str,
        sku: &str,
        qty: i64,
        cycles: Option<u32>,
    ) -> Result<(), Refusal> {
        self.adjust_on_hand(warehouse, sku, 0)?;
        if qty <= 0 {
            return Err(invalid("qty", "qty must be above 0"));
        }
        self.bucket(warehouse, sku).total_prod += qty;
        self.work_orders.push(WorkOrder {
            warehouse: warehouse.to_string(),
            sku: sku.to_string(),
            qty,
            cycles_left: cycles.unwrap_or(self.work_order_cycles).max(1),
        });
        Ok(())
    }

    /// Rebuilds the SKU and UPC indexes after the catalogue changed.
    pub fn reindex(&mut self) {
        self.sku_index.clear();
        self.upc_index.clear();
        for (si, style) in self.styles.iter().enumerate() {
            for (ki, sku) in style.skus.iter().enumerate() {
                self.sku_index
                    .insert(sku.sku.clone(), SkuRef { style: si, sku: ki });
                self.upc_index.insert(sku.upc.clone(), sku.sku.clone());
            }
        }
    }
}

pub(super) fn merchandise_total(lines: &[SalesOrderLine]) -> crate::model::Cents {
    crate::model::Cents(lines.iter().map(|l| l.unit_price.times(l.qty).0).sum())
}
