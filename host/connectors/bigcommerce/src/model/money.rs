//! Money as integer cents. Orders V2 send decimal strings ("25.6300"); catalog and refunds V3
//! send JSON numbers. Both parse into [`Money`]; each is written back in its own form. The
//! reading and formatting is the connectors' one money type (`selvedge_connector_kit::money`).

use std::fmt;
use std::str::FromStr;

use selvedge_connector_kit::money::{Cents, MoneyError as KitMoneyError, Rounding};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount in cents of the store currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub i64);

/// A money value BigCommerce sent that is not a decimal amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid money amount `{input}`: {reason}")]
pub struct MoneyError {
    /// The text as received.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl MoneyError {
    /// The kit's reading error, in this connector's words.
    fn from_kit(input: &str, e: &KitMoneyError) -> Self {
        let reason = match e {
            KitMoneyError::NotDecimal(_) => "not a decimal number",
            KitMoneyError::TooPrecise(_) => "more precise than a cent",
            KitMoneyError::OutOfRange(_) => "too large",
        };
        MoneyError {
            input: input.to_owned(),
            reason,
        }
    }
}

impl Money {
    /// Zero cents.
    pub const ZERO: Money = Money(0);

    /// From whole cents.
    pub fn from_cents(cents: i64) -> Self {
        Money(cents)
    }

    /// The amount in cents.
    pub fn cents(self) -> i64 {
        self.0
    }

    /// Parses a decimal string such as `"25.6300"` or `"-3.5"`. Digits past the cent are rounded
    /// half away from zero, since V2 tax-inclusive prices carry four decimals.
    pub fn parse_decimal(input: &str) -> Result<Self, MoneyError> {
        Cents::parse(input, Rounding::HalfAwayFromZero)
            .map(|c| Money(c.0))
            .map_err(|e| MoneyError::from_kit(input, &e))
    }

    /// Converts a JSON number (catalog and refunds V3) into cents, rounding to the nearest cent.
    pub fn from_f64(value: f64) -> Result<Self, MoneyError> {
        Cents::from_f64(value, Rounding::HalfAwayFromZero)
            .map(|c| Money(c.0))
            .map_err(|e| MoneyError::from_kit(&value.to_string(), &e))
    }

    /// Four-decimal string as Orders V2 writes it: `"25.6300"`.
    pub fn to_decimal_string(self) -> String {
        Cents(self.0).with_places(4)
    }

    /// The amount as a JSON number (V3 fields typed `number`).
    pub fn to_f64(self) -> f64 {
        Cents(self.0).to_f64()
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&Cents(self.0), f)
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse_decimal(s)
    }
}

/// Default form: the V2 decimal string.
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_decimal_string())
    }
}

/// Accepts a decimal string or a JSON number; anything else is a clear error.
impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MoneyVisitor;
        impl Visitor<'_> for MoneyVisitor {
            type Value = Money;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal amount as a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Money, E> {
                Money::parse_decimal(v).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Money, E> {
                Money::from_f64(v).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Money, E> {
                v.checked_mul(100)
                    .map(Money)
                    .ok_or_else(|| E::custom("amount too large"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Money, E> {
                i64::try_from(v)
                    .ok()
                    .and_then(|v| v.checked_mul(100))
                    .map(Money)
                    .ok_or_else(|| E::custom("amount too large"))
            }
        }
        d.deserialize_any(MoneyVisitor)
    }
}

/// `#[serde(with = "as_number")]` for V3 fields typed `number`.
pub mod as_number {
    use super::Money;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the amount as a JSON number.
    pub fn serialize<S: Serializer>(m: &Money, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(m.to_f64())
    }

    /// Reads a number or a decimal string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        Money::deserialize(d)
    }
}

/// `#[serde(with = "opt_number")]` for optional V3 number fields.
pub mod opt_number {
    use super::Money;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the amount as a JSON number (`None` is skipped by the field attribute).
    pub fn serialize<S: Serializer>(m: &Option<Money>, s: S) -> Result<S::Ok, S::Error> {
        match m {
            Some(m) => s.serialize_f64(m.to_f64()),
            None => s.serialize_none(),
        }
    }

    /// Reads a number, a decimal string or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Money>, D::Error> {
        Option::<Money>::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_decimal_strings_parse_to_cents_and_round_trip() {
        assert_eq!(Money::parse_decimal("25.6300"), Ok(Money(2563)));
        assert_eq!(Money::parse_decimal("0"), Ok(Money(0)));
        assert_eq!(Money::parse_decimal("-3.5"), Ok(Money(-350)));
        assert_eq!(Money::parse_decimal("8.3350"), Ok(Money(834)));
        assert_eq!(Money(2563).to_decimal_string(), "25.6300");
        assert_eq!(Money(-5).to_decimal_string(), "-0.0500");
    }

    #[test]
    fn garbage_money_is_a_clear_error() {
        for bad in ["", "abc", "1.2.3", "12,50", "-", "99999999999999999999"] {
            let e = Money::parse_decimal(bad).err();
            assert!(e.is_some(), "{bad:?} should fail");
        }
        let e = serde_json::from_str::<Money>("\"ten\"")
            .err()
            .map(|e| e.to_string());
        assert!(e.unwrap_or_default().contains("invalid money amount `ten`"));
        assert!(serde_json::from_str::<Money>("true").is_err());
    }

    #[test]
    fn json_numbers_parse_to_cents() {
        assert_eq!(
            serde_json::from_str::<Money>("25.63").ok(),
            Some(Money(2563))
        );
        assert_eq!(serde_json::from_str::<Money>("40").ok(), Some(Money(4000)));
    }
}
