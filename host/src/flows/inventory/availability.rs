//! What the ERP had available to sell per SKU-location at its last cycle, less what the
//! host injected since: the yardstick an order line is held to at injection (an oversell is
//! a line that took more than was left).
//!
//! Kept in memory by the host that ran the client's last inventory cycle, replaced at every
//! cycle (the cycle is the ERP's own new count). Orders injected on another host of a
//! cluster, or before this host's first cycle, are not checked.

use std::collections::HashMap;
use std::sync::Mutex;

/// One SKU-location at a cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Available {
    /// Units the ERP could still sell (the client's ATS rule before its buffer); below zero
    /// once injected orders took more.
    pub units: i64,
    /// The buffer the storefront's stock was computed with.
    pub buffer: i64,
    /// The plugin rules that set that buffer (`fast_mover`, `sku_buffer`, ...).
    pub rule: String,
}

/// A cycle's availability.
#[derive(Debug, Clone, Default)]
pub struct CycleAvailability {
    pub cycle_id: u64,
    /// Measured lag between an ERP cycle and the storefront push, minutes.
    pub lag_minutes: u32,
    /// (ERP SKU, warehouse) -> availability.
    pub rows: HashMap<(String, String), Available>,
}

/// What an order line found when it took its units.
#[derive(Debug, Clone, PartialEq)]
pub struct Taken {
    /// Availability before the line.
    pub before: Available,
    pub cycle_id: u64,
    pub lag_minutes: u32,
}

/// A client's availability since its last cycle.
#[derive(Debug, Default)]
pub struct Availability(Mutex<Option<CycleAvailability>>);

impl Availability {
    /// A new cycle's count replaces everything before it.
    pub fn replace(&self, cycle: CycleAvailability) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(cycle);
    }

    /// Takes `units` of a SKU-location; `None` when no cycle lists it.
    pub fn take(&self, sku: &str, location: &str, units: i64) -> Option<Taken> {
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let cycle = guard.as_mut()?;
        let row = cycle.rows.get_mut(&(sku.to_owned(), location.to_owned()))?;
        let before = row.clone();
        row.units -= units;
        Some(Taken {
            before,
            cycle_id: cycle.cycle_id,
            lag_minutes: cycle.lag_minutes,
        })
    }
}

/// Reason bits (WIT `ats-reason`) of the rules that set a row's buffer, and of the clamp.
const BUFFER_RULES: [(u16, &str); 5] = [
    (1 << 5, "fixed_buffer"),
    (1 << 6, "percent_buffer"),
    (1 << 7, "sku_buffer"),
    (1 << 9, "fast_mover"),
    (1 << 10, "latency_buffer"),
];
const CLAMPED: u16 = 1 << 8;

/// What the ERP has available per SKU-location at this cycle: the plugin's ATS before its
/// buffer, or, where the buffer ate everything (clamped at zero), the physical stock left.
pub(super) fn at_cycle(
    built: &super::rows::Built,
    ats: &selvedge_runtime::rules::inventory::AtsRows,
    cycle_id: u64,
    lag_minutes: u32,
) -> CycleAvailability {
    let mut cycle = CycleAvailability {
        cycle_id,
        lag_minutes,
        rows: HashMap::with_capacity(built.meta.len()),
    };
    for (i, m) in built.meta.iter().enumerate() {
        let (Some(&a), Some(&buffer), Some(&bits)) =
            (ats.ats.get(i), ats.buffer.get(i), ats.reason.get(i))
        else {
            continue;
        };
        let b = &m.buckets;
        let units = if bits & CLAMPED != 0 {
            b.total_qoh - b.total_pick - b.total_open
        } else {
            i64::from(a) + i64::from(buffer)
        };
        let rule: Vec<&str> = BUFFER_RULES
            .iter()
            .filter(|(bit, _)| bits & bit != 0)
            .map(|(_, name)| *name)
            .collect();
        cycle.rows.insert(
            (m.erp_sku.clone(), m.warehouse.clone()),
            Available {
                units,
                buffer: i64::from(buffer),
                rule: rule.join(","),
            },
        );
    }
    cycle
}
