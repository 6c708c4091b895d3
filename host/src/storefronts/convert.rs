//! Shared pieces of the adapters' storefront -> plugin conversions.
//!
//! Everything here reads data that came from outside: no panics, a [`ConvertError`] naming
//! the field instead.

use selvedge_runtime::rules::orders::PaymentKind;
use selvedge_runtime::rules::types::Address;

/// A storefront record that cannot become a plugin input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct ConvertError {
    /// The field at fault, e.g. `products[2].quantity`.
    pub field: String,
    /// What is wrong.
    pub problem: String,
}

pub(super) fn bad(field: impl Into<String>, problem: impl Into<String>) -> ConvertError {
    ConvertError {
        field: field.into(),
        problem: problem.into(),
    }
}

pub(super) fn quantity(field: String, qty: i64) -> Result<u32, ConvertError> {
    u32::try_from(qty).map_err(|_| bad(field, format!("quantity {qty} is out of range")))
}

/// Payment method names -> the plugin's kinds (BigCommerce names are free text).
pub(super) fn payment_kind(method: &str) -> PaymentKind {
    let m = method.to_ascii_lowercase();
    if m.contains("account") {
        PaymentKind::PayOnAccount
    } else if m.contains("invoice") {
        PaymentKind::Invoice
    } else if m.contains("card") || m.contains("paypal") || m.contains("stripe") {
        PaymentKind::Card
    } else {
        PaymentKind::Other
    }
}

pub(super) fn empty_address() -> Address {
    Address {
        name: String::new(),
        company: String::new(),
        street1: String::new(),
        street2: String::new(),
        city: String::new(),
        state: String::new(),
        zip: String::new(),
        country: String::new(),
        phone: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_names_map_to_kinds() {
        assert_eq!(payment_kind("Credit Card"), PaymentKind::Card);
        assert_eq!(payment_kind("pay_on_account"), PaymentKind::PayOnAccount);
        assert_eq!(payment_kind("invoice"), PaymentKind::Invoice);
        assert_eq!(payment_kind("Cash on Delivery"), PaymentKind::Other);
    }
}
