//! Batch cycles: the only moment the sandbox's ATS report changes.
//!
//! A cycle matures work orders, posts credit memos (restocking their lines), auto-ships old
//! orders if configured, then freezes the live books into a new snapshot.

use std::time::Duration;

use time::OffsetDateTime;

use super::state::SandboxState;
use super::{Shared, lock};
use crate::model::{AtsRow, AtsSnapshot, MemoStatus, OrderStatus};

/// Runs one cycle at `now` and returns its id.
pub fn run_cycle(s: &mut SandboxState, now: OffsetDateTime, period: Option<Duration>) -> u64 {
    let id = s.cycle.last_cycle_id + 1;
    mature_work_orders(s);
    post_memos(s, now);
    auto_ship(s, id, now);
    let snapshot = snapshot(s, id, now);
    s.snapshots.push_back(snapshot);
    while s.snapshots.len() > s.snapshot_retention.max(1) {
        s.snapshots.pop_front();
    }
    s.cycle.last_cycle_id = id;
    s.cycle.last_completed_at = Some(now);
    s.cycle.next_scheduled_at = period.map(|p| now + p);
    id
}

fn mature_work_orders(s: &mut SandboxState) {
    let mut received = Vec::new();
    s.work_orders.retain_mut(|wo| {
        wo.cycles_left = wo.cycles_left.saturating_sub(1);
        if wo.cycles_left == 0 {
            received.push((wo.warehouse.clone(), wo.sku.clone(), wo.qty));
            false
        } else {
            true
        }
    });
    for (warehouse, sku, qty) in received {
        let b = s.stock.entry((warehouse, sku)).or_default();
        b.total_prod -= qty;
        b.total_qoh += qty;
    }
}

fn post_memos(s: &mut SandboxState, now: OffsetDateTime) {
    let mut restock = Vec::new();
    for memo in s.memos.iter_mut().filter(|m| m.status == MemoStatus::Open) {
        memo.status = MemoStatus::Posted;
        memo.posted_at = Some(now);
        let warehouse = s
            .order_numbers
            .get(&memo.original_order)
            .and_then(|&idx| s.orders.get(idx))
            .map(|o| o.order.warehouse.clone());
        if let Some(w) = warehouse {
            for l in memo.lines.iter().filter(|l| l.restock) {
                restock.push((w.clone(), l.sku.clone(), l.qty));
            }
        }
    }
    for (warehouse, sku, qty) in restock {
        s.stock.entry((warehouse, sku)).or_default().total_qoh += qty;
    }
}

fn auto_ship(s: &mut SandboxState, cycle_id: u64, now: OffsetDateTime) {
    let Some(after) = s.auto_ship_after_cycles else {
        return;
    };
    let due: Vec<String> = s
        .orders
        .iter()
        .filter(|o| o.entered_after_cycle + u64::from(after) <= cycle_id)
        .filter(|o| o.order.status != OrderStatus::Cancelled)
        .filter(|o| o.order.lines.iter().any(|l| l.qty > l.qty_shipped))
        .map(|o| o.order.order_number.clone())
        .collect();
    for number in due {
        let tracking = format!("1Z999AA1{:010}", s.shipments.len() + 1);
        // An order edited below its shipped quantity has nothing left; skipping it is right.
        let _ = s.ship(&number, "UPS", &tracking, None, now);
    }
}

/// Freezes the live books into a snapshot, computing `avail_qoh`.
fn snapshot(s: &SandboxState, cycle_id: u64, now: OffsetDateTime) -> AtsSnapshot {
    let mut rows = Vec::with_capacity(s.stock.len());
    for ((warehouse, sku), b) in &s.stock {
        let Some(r) = s.sku_index.get(sku) else {
            continue;
        };
        let style = &s.styles[r.style];
        let k = &style.skus[r.sku];
        let mut buckets = *b;
        buckets.avail_qoh = (b.total_qoh - b.total_pick - b.total_open).max(0);
        rows.push(AtsRow {
            warehouse: warehouse.clone(),
            division: s.warehouses.get(warehouse).cloned().unwrap_or_default(),
            sku: sku.clone(),
            upc: k.upc.clone(),
            style: style.style.clone(),
            colour: k.colour.clone(),
            size: k.size.clone(),
            dimension: k.dimension.clone(),
            season: style.season.clone(),
            buckets,
        });
    }
    AtsSnapshot {
        cycle_id,
        completed_at: now,
        rows,
    }
}

/// Runs a cycle every `period` until the task is aborted.
pub async fn ticker(shared: Shared, period: Duration) {
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval.tick().await; // the first tick is immediate; start() already ran cycle 1
    loop {
        interval.tick().await;
        {
            let mut s = lock(&shared);
            run_cycle(&mut s, OffsetDateTime::now_utc(), Some(period));
        }
    }
}
