//! Buffer advice: from the oversells seen at injection, the measured lag between an ERP
//! cycle and the storefront push, and each SKU-location's sales velocity, the buffer that
//! would have kept the storefront from selling what the ERP no longer had. Advice only: the
//! host never applies it (buffers are the plugin's rules and the client's config).

use std::collections::BTreeMap;

use selvedge_store::{Oversell, SoldUnits};
use selvedge_store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// Advice for one SKU-location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BufferAdvice {
    pub sku: String,
    pub location: String,
    /// Order lines that took more than the ERP had left.
    pub oversells: usize,
    /// The most units sold beyond the ERP's stock between two cycles.
    pub worst_cycle_short: i64,
    /// The buffer the storefront's stock was computed with at the last oversell.
    pub current_buffer: i64,
    /// Units sold per day over the last 7 days.
    pub velocity_per_day: f64,
    /// Measured cycle-to-storefront lag at the last oversell, minutes.
    pub lag_minutes: u32,
    /// Units expected to sell during one lag at that velocity.
    pub sold_during_lag: f64,
    /// The buffer that would have prevented the oversells seen (and covers one lag's
    /// sales).
    pub recommended_buffer: i64,
    /// The plugin rules that set the current buffer (`fast_mover`, `sku_buffer`, ...).
    pub rule: String,
    /// One sentence for a merchandiser.
    pub why: String,
}

/// Advice for one plugin rule: the buffer that covers every SKU it sets the buffer of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleAdvice {
    /// The rule (`fast_mover`, ...; `none` for SKUs no buffer rule applied to).
    pub rule: String,
    /// SKU-locations with oversells under the rule.
    pub skus: usize,
    pub recommended_buffer: i64,
}

/// Advice from a client's oversells over the last `days` days (one SKU's when `sku` is
/// given) and its sales over the last 7.
pub async fn for_client(
    store: &dyn Store,
    client: &str,
    sku: Option<&str>,
    days: u32,
) -> Result<Vec<BufferAdvice>, StoreError> {
    let now = OffsetDateTime::now_utc();
    let oversells = store
        .oversells_since(client, sku, now - time::Duration::days(i64::from(days)))
        .await?;
    if oversells.is_empty() {
        return Ok(Vec::new());
    }
    let sold = store
        .units_sold_since(client, now - time::Duration::days(7))
        .await?;
    Ok(advise(&oversells, &sold))
}

/// Advice per SKU-location with oversells, worst first. `sold_7d` is units sold per
/// SKU-location over the last 7 days.
pub fn advise(oversells: &[Oversell], sold_7d: &[SoldUnits]) -> Vec<BufferAdvice> {
    let mut sold: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for s in sold_7d {
        *sold.entry((&s.sku, &s.location)).or_default() += s.units;
    }
    let mut by_key: BTreeMap<(&str, &str), Vec<&Oversell>> = BTreeMap::new();
    for o in oversells {
        by_key.entry((&o.sku, &o.location)).or_default().push(o);
    }
    let mut advice: Vec<BufferAdvice> = by_key
        .into_iter()
        .map(|((sku, location), seen)| {
            // Once the ERP's count is gone every further unit is short, so a cycle's
            // shortfall is the sum of its lines' shorts.
            let mut per_cycle: BTreeMap<u64, i64> = BTreeMap::new();
            for o in &seen {
                *per_cycle.entry(o.cycle_id).or_default() += o.short();
            }
            let worst = per_cycle.values().copied().max().unwrap_or(0);
            let last = seen[seen.len() - 1];
            let velocity = sold.get(&(sku, location)).copied().unwrap_or(0) as f64 / 7.0;
            let during_lag = velocity * f64::from(last.lag_minutes) / 1440.0;
            let recommended = (last.buffer + worst).max(during_lag.ceil() as i64);
            let why = format!(
                "{n} order line(s) took {short} unit(s) more than Blue Cherry had for {sku} at \
                 {location} (at most {worst} in one cycle) with a buffer of {buffer}; at \
                 {velocity:.1} sold a day and a {lag} min lag ({during_lag:.1} units), a buffer \
                 of {recommended} would have kept them off the storefront",
                n = seen.len(),
                short = seen.iter().map(|o| o.short()).sum::<i64>(),
                buffer = last.buffer,
                lag = last.lag_minutes,
            );
            BufferAdvice {
                sku: sku.to_owned(),
                location: location.to_owned(),
                oversells: seen.len(),
                worst_cycle_short: worst,
                current_buffer: last.buffer,
                velocity_per_day: velocity,
                lag_minutes: last.lag_minutes,
                sold_during_lag: during_lag,
                recommended_buffer: recommended,
                rule: if last.rule.is_empty() {
                    "none".into()
                } else {
                    last.rule.clone()
                },
                why,
            }
        })
        .collect();
    advice.sort_by(|a, b| {
        (b.recommended_buffer - b.current_buffer)
            .cmp(&(a.recommended_buffer - a.current_buffer))
            .then_with(|| (&a.sku, &a.location).cmp(&(&b.sku, &b.location)))
    });
    advice
}

/// Advice per buffer rule: the largest recommendation among the SKUs the rule covers.
pub fn by_rule(advice: &[BufferAdvice]) -> Vec<RuleAdvice> {
    let mut rules: BTreeMap<&str, RuleAdvice> = BTreeMap::new();
    for a in advice {
        let r = rules.entry(&a.rule).or_insert_with(|| RuleAdvice {
            rule: a.rule.clone(),
            skus: 0,
            recommended_buffer: 0,
        });
        r.skus += 1;
        r.recommended_buffer = r.recommended_buffer.max(a.recommended_buffer);
    }
    rules.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    fn line(order: &str, ordered: i64, available: i64, cycle: u64) -> Oversell {
        Oversell {
            client: "brand".into(),
            sku: "TEE-M".into(),
            location: "NJ01".into(),
            order_id: order.into(),
            ordered,
            available,
            buffer: 0,
            cycle_id: cycle,
            lag_minutes: 90,
            rule: String::new(),
            at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn three_oversells_in_one_cycle_get_the_cycles_whole_shortfall_as_buffer() {
        // 1 unit left; three orders of 2: short 1, then 2 and 2 (nothing left).
        let seen = [line("1", 2, 1, 7), line("2", 2, -1, 7), line("3", 2, -3, 7)];
        let advice = advise(&seen, &[]);
        assert_eq!(advice.len(), 1);
        let a = &advice[0];
        assert_eq!((a.oversells, a.worst_cycle_short), (3, 5));
        assert_eq!(a.recommended_buffer, 5);
        // With that buffer the storefront would have shown max(1 - 5, 0) = 0 units.
        assert_eq!((1 - a.recommended_buffer).max(0), 0);
        assert!(
            a.why.contains("3 order line(s) took 5 unit(s) more"),
            "{}",
            a.why
        );
        assert_eq!(by_rule(&advice)[0].rule, "none");
    }

    #[test]
    fn a_fast_seller_with_a_long_lag_gets_at_least_one_lags_sales() {
        let seen = [line("1", 1, 0, 3)];
        let sold = [SoldUnits {
            sku: "TEE-M".into(),
            location: "NJ01".into(),
            units: 7 * 48, // 48 a day
        }];
        let a = &advise(&seen, &sold)[0];
        assert_eq!(a.velocity_per_day, 48.0);
        assert_eq!(a.sold_during_lag, 3.0, "90 minutes at 2 an hour");
        assert_eq!(
            a.recommended_buffer, 3,
            "one lag's sales beat the 1-unit shortfall"
        );
    }
}
