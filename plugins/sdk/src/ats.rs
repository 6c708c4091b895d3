//! Available-to-sell helpers: bucket selection, buffers, and the column loop.
//!
//! [`compute`] walks a cycle's rows and calls a rule per row with a [`RowView`]; the rule
//! returns a [`Decision`] (units available and units held back, with reason bits).

use crate::inventory::{AtsRows, StockRows};

/// Reason bits recorded per row (see the WIT `ats-rows` documentation).
pub mod reason {
    /// On-hand counted.
    pub const ON_HAND: u16 = 1;
    /// Picked / allocated subtracted.
    pub const PICKED: u16 = 2;
    /// Open orders subtracted.
    pub const OPEN_ORDERS: u16 = 4;
    /// Open work orders included (pre-order).
    pub const WORK_ORDERS: u16 = 8;
    /// In-transit included.
    pub const IN_TRANSIT: u16 = 16;
    /// Fixed buffer applied.
    pub const FIXED_BUFFER: u16 = 32;
    /// Percentage buffer applied.
    pub const PERCENT_BUFFER: u16 = 64;
    /// Per-SKU buffer applied.
    pub const SKU_BUFFER: u16 = 128;
    /// Result clamped at zero.
    pub const CLAMPED: u16 = 256;
    /// Row counted as a fast mover.
    pub const FAST_MOVER: u16 = 512;
    /// Buffer sized from measured ERP cycle latency.
    pub const LATENCY_BUFFER: u16 = 1024;
}

/// One SKU-location row, copied out of the columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowView {
    /// Row index in the batch.
    pub index: usize,
    /// Index into `StockContext::locations`.
    pub location: u16,
    /// Index into `StockContext::categories`.
    pub category: u16,
    /// Index into `StockContext::seasons`.
    pub season: u16,
    /// `Total QOH`.
    pub on_hand: i32,
    /// `Total Pick`.
    pub picked: i32,
    /// `Total Open`.
    pub open_orders: i32,
    /// `Total Ship To WIP`.
    pub ship_to_wip: i32,
    /// `Total Prod`.
    pub open_work_orders: i32,
    /// In transit.
    pub in_transit: i32,
    /// Units sold per week.
    pub weekly_sales: u32,
    /// Per-SKU buffer from config, -1 when none.
    pub sku_buffer: i32,
}

/// Units available for a row and units held back, with reason bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Decision {
    /// Units counted from the buckets.
    pub available: i32,
    /// Units held back.
    pub buffer: i32,
    /// Reason bits ([`reason`]).
    pub reason: u16,
}

impl Decision {
    /// Adds a buffer to this decision.
    #[inline]
    pub fn with_buffer(mut self, buffer: Buffer) -> Self {
        let (units, bit) = buffer.units(self.available);
        if units > 0 {
            self.buffer = self.buffer.saturating_add(units);
            self.reason |= bit;
        }
        self
    }

    /// Uses the row's per-SKU buffer instead of `otherwise` when the client configured one.
    #[inline]
    pub fn with_sku_buffer_or(self, row: &RowView, otherwise: Buffer) -> Self {
        if row.sku_buffer >= 0 {
            self.with_buffer(Buffer::Units(row.sku_buffer, reason::SKU_BUFFER))
        } else {
            self.with_buffer(otherwise)
        }
    }

    /// Marks extra reason bits.
    #[inline]
    pub fn mark(mut self, bits: u16) -> Self {
        self.reason |= bits;
        self
    }
}

/// Which Blue Cherry buckets count towards ATS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buckets {
    /// Subtract `Total Pick`.
    pub subtract_picked: bool,
    /// Subtract `Total Open`.
    pub subtract_open_orders: bool,
    /// Add `Total Prod` (open work orders), for pre-orders.
    pub include_work_orders: bool,
    /// Add in-transit stock.
    pub include_in_transit: bool,
}

impl Buckets {
    /// Physically available stock only: on hand minus picked minus open orders.
    pub const fn physical() -> Self {
        Self {
            subtract_picked: true,
            subtract_open_orders: true,
            include_work_orders: false,
            include_in_transit: false,
        }
    }

    /// The same buckets, with open work orders counted or not.
    pub const fn with_work_orders(mut self, include: bool) -> Self {
        self.include_work_orders = include;
        self
    }

    /// Units these buckets make available for `row`.
    #[inline]
    pub fn available(&self, row: &RowView) -> Decision {
        let mut units = row.on_hand;
        let mut bits = reason::ON_HAND;
        if self.subtract_picked {
            units = units.saturating_sub(row.picked);
            bits |= reason::PICKED;
        }
        if self.subtract_open_orders {
            units = units.saturating_sub(row.open_orders);
            bits |= reason::OPEN_ORDERS;
        }
        if self.include_work_orders {
            units = units.saturating_add(row.open_work_orders.max(0));
            bits |= reason::WORK_ORDERS;
        }
        if self.include_in_transit {
            units = units.saturating_add(row.in_transit.max(0));
            bits |= reason::IN_TRANSIT;
        }
        Decision {
            available: units,
            buffer: 0,
            reason: bits,
        }
    }
}

/// Units held back from the storefront.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Buffer {
    /// No buffer.
    None,
    /// A fixed number of units.
    Fixed(i32),
    /// A percentage of the available units, rounded up.
    Percent(u32),
    /// Units with an explicit reason bit (e.g. latency-sized buffers).
    Units(i32, u16),
}

impl Buffer {
    /// Units this buffer holds back from `available`, and its reason bit.
    #[inline]
    pub fn units(self, available: i32) -> (i32, u16) {
        match self {
            Buffer::None => (0, 0),
            Buffer::Fixed(n) => (n.max(0), reason::FIXED_BUFFER),
            Buffer::Percent(p) => {
                if available <= 0 || p == 0 {
                    return (0, reason::PERCENT_BUFFER);
                }
                let held = (i64::from(available) * i64::from(p) + 99) / 100;
                (held.min(i64::from(i32::MAX)) as i32, reason::PERCENT_BUFFER)
            }
            Buffer::Units(n, bit) => (n.max(0), bit),
        }
    }
}

/// Runs `decide` over every row and builds the result columns.
///
/// Fails when the input columns disagree in length (the host never sends that, but a
/// plugin must not index out of bounds on bad input).
pub fn compute(
    rows: &StockRows,
    mut decide: impl FnMut(&RowView) -> Decision,
) -> Result<AtsRows, String> {
    let n = rows.on_hand.len();
    let columns = [
        ("location", rows.location.len()),
        ("category", rows.category.len()),
        ("season", rows.season.len()),
        ("picked", rows.picked.len()),
        ("open-orders", rows.open_orders.len()),
        ("ship-to-wip", rows.ship_to_wip.len()),
        ("open-work-orders", rows.open_work_orders.len()),
        ("in-transit", rows.in_transit.len()),
        ("weekly-sales", rows.weekly_sales.len()),
        ("sku-buffer", rows.sku_buffer.len()),
    ];
    if let Some((name, len)) = columns.iter().find(|(_, len)| *len != n) {
        return Err(format!("column `{name}` has {len} rows, `on-hand` has {n}"));
    }
    // Re-slice every column to exactly `n` so the compiler drops the per-row bounds checks.
    let (location, category, season) =
        (&rows.location[..n], &rows.category[..n], &rows.season[..n]);
    let (on_hand, picked, open_orders) = (
        &rows.on_hand[..n],
        &rows.picked[..n],
        &rows.open_orders[..n],
    );
    let (ship_to_wip, open_work_orders) = (&rows.ship_to_wip[..n], &rows.open_work_orders[..n]);
    let (in_transit, weekly_sales, sku_buffer) = (
        &rows.in_transit[..n],
        &rows.weekly_sales[..n],
        &rows.sku_buffer[..n],
    );
    // Write into pre-sized columns (no per-row capacity checks).
    let mut ats = vec![0i32; n];
    let mut buffer = vec![0i32; n];
    let mut reasons = vec![0u16; n];
    for (index, ((out_ats, out_buffer), out_reason)) in ats
        .iter_mut()
        .zip(buffer.iter_mut())
        .zip(reasons.iter_mut())
        .enumerate()
    {
        let row = RowView {
            index,
            location: location[index],
            category: category[index],
            season: season[index],
            on_hand: on_hand[index],
            picked: picked[index],
            open_orders: open_orders[index],
            ship_to_wip: ship_to_wip[index],
            open_work_orders: open_work_orders[index],
            in_transit: in_transit[index],
            weekly_sales: weekly_sales[index],
            sku_buffer: sku_buffer[index],
        };
        let d = decide(&row);
        let net = d.available.saturating_sub(d.buffer);
        *out_ats = net.max(0);
        *out_reason = if net < 0 {
            d.reason | reason::CLAMPED
        } else {
            d.reason
        };
        *out_buffer = d.buffer;
    }
    Ok(AtsRows {
        ats,
        buffer,
        reason: reasons,
    })
}

/// Index of `name` in a context list (e.g. a season code), compared case-insensitively.
pub fn index_of(list: &[String], name: &str) -> Option<u16> {
    list.iter()
        .position(|s| s.eq_ignore_ascii_case(name))
        .and_then(|i| u16::try_from(i).ok())
}
