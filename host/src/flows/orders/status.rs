//! Which storefront order statuses reach the ERP: one list per storefront, applied on every
//! path (webhook, status update, sweep), so an order the shop declined never becomes an ERP
//! sales order whichever way it arrived.

/// What to do with an order in a given status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusRule {
    /// A sale: inject it.
    Inject,
    /// Not decided yet (checkout not finished): check again later, up to a limit.
    Recheck,
    /// Never a sale: record why and do not inject.
    Skip(&'static str),
}

/// BigCommerce order statuses (`status_id`, V2 orders API).
pub fn bigcommerce(status_id: i64) -> StatusRule {
    match status_id {
        0 => StatusRule::Recheck,
        5 => StatusRule::Skip("cancelled in BigCommerce (status 5)"),
        6 => StatusRule::Skip("declined in BigCommerce (status 6)"),
        // Pending, awaiting payment/fulfilment/shipment/pickup, shipped, completed, manual
        // verification, disputed, (partially) refunded: a placed order.
        1..=4 | 7..=14 => StatusRule::Inject,
        _ => StatusRule::Skip("unknown BigCommerce order status"),
    }
}

/// Sparklayer purchase statuses: everything but `cancelled` is a placed order.
pub fn sparklayer(status: Option<&str>) -> StatusRule {
    match status {
        Some("cancelled") => StatusRule::Skip("cancelled in Sparklayer"),
        _ => StatusRule::Inject,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declined_cancelled_and_incomplete_orders_are_not_sales() {
        assert!(matches!(bigcommerce(5), StatusRule::Skip(_)));
        assert!(matches!(bigcommerce(6), StatusRule::Skip(_)));
        assert_eq!(bigcommerce(0), StatusRule::Recheck);
        assert!(matches!(bigcommerce(99), StatusRule::Skip(_)));
        for placed in [1, 7, 9, 11, 12] {
            assert_eq!(bigcommerce(placed), StatusRule::Inject, "status {placed}");
        }
        assert!(matches!(sparklayer(Some("cancelled")), StatusRule::Skip(_)));
        assert_eq!(sparklayer(Some("submitted")), StatusRule::Inject);
    }
}
