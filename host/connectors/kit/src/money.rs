//! The one money type of every connector: integer cents, read and written through
//! `rust_decimal` so no float and no hand-rolled digit arithmetic ever touches a price.
//!
//! On the wire amounts come as decimal strings (`"12.50"`, Blue Cherry; BigCommerce V2's
//! `"25.6300"`) or JSON numbers (`12.5`, Sparklayer; BigCommerce V3). [`Cents`] reads both.
//! Digits past the cent are an error ([`Rounding::Never`]) unless the API is known to send
//! them on purpose, where the caller asks for [`Rounding::HalfAwayFromZero`].

use std::fmt;
use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount in cents (minor units) of the document's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cents(pub i64);

/// What to do with digits past the cent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// They must be zeros (`1.500`); anything else is [`MoneyError::TooPrecise`], never a
    /// silent rounding.
    Never,
    /// Round half away from zero (BigCommerce V2 tax-inclusive prices carry four places).
    HalfAwayFromZero,
}

/// Why a wire amount could not be read as cents. Each names the text as received.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not a plain decimal number (exponents, letters, separators, empty).
    #[error("`{0}` is not a decimal amount like 12.50")]
    NotDecimal(String),
    /// More precision than cents, which would silently round.
    #[error("`{0}` has more than 2 decimal places")]
    TooPrecise(String),
    /// Too large for i64 cents.
    #[error("`{0}` is out of range")]
    OutOfRange(String),
}

/// Largest magnitude that survives the trip through an f64 JSON number exactly.
pub const MAX_EXACT_CENTS: i64 = 1 << 52;

impl Cents {
    /// Zero.
    pub const ZERO: Cents = Cents(0);

    /// `self * qty`, saturating rather than wrapping on absurd input.
    pub fn times(self, qty: i64) -> Cents {
        Cents(self.0.saturating_mul(qty))
    }

    /// Parses a plain decimal: optional sign, digits, optional point and digits (`12`, `-3.5`,
    /// `.07`, `25.6300`).
    pub fn parse(text: &str, rounding: Rounding) -> Result<Cents, MoneyError> {
        let t = text.trim();
        let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
        // rust_decimal also reads `1_000`; a price carries digits and one point only.
        let plain = digits.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        if !plain || !digits.bytes().any(|b| b.is_ascii_digit()) {
            return Err(MoneyError::NotDecimal(text.to_owned()));
        }
        let value = Decimal::from_str_exact(t).map_err(|e| match e {
            rust_decimal::Error::ExceedsMaximumPossibleValue
            | rust_decimal::Error::LessThanMinimumPossibleValue
            | rust_decimal::Error::Underflow => MoneyError::OutOfRange(text.to_owned()),
            _ => MoneyError::NotDecimal(text.to_owned()),
        })?;
        Self::from_decimal(value, rounding).map_err(|e| e.naming(text))
    }

    /// Cents of `value`. Errors name the decimal; [`Cents::parse`] renames them to the input.
    pub fn from_decimal(value: Decimal, rounding: Rounding) -> Result<Cents, MoneyError> {
        let out_of_range = || MoneyError::OutOfRange(value.to_string());
        let cents = value
            .checked_mul(Decimal::ONE_HUNDRED)
            .ok_or_else(out_of_range)?;
        let whole = match rounding {
            Rounding::Never if !cents.fract().is_zero() => {
                return Err(MoneyError::TooPrecise(value.to_string()));
            }
            Rounding::Never => cents,
            Rounding::HalfAwayFromZero => {
                cents.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
            }
        };
        whole.to_i64().map(Cents).ok_or_else(out_of_range)
    }

    /// Cents of a JSON number. Its shortest text (`19.99`, never `19.989999...`) is what the
    /// sender wrote, so that is what is read.
    pub fn from_f64(value: f64, rounding: Rounding) -> Result<Cents, MoneyError> {
        if !value.is_finite() {
            return Err(MoneyError::NotDecimal(value.to_string()));
        }
        Self::parse(&value.to_string(), rounding)
    }

    /// The exact decimal amount (`1250` cents is `12.50`).
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// The amount as a JSON number; exact up to [`MAX_EXACT_CENTS`].
    pub fn to_f64(self) -> f64 {
        // Both operands are exact and IEEE division rounds once: the nearest f64 to the amount.
        self.0 as f64 / 100.0
    }

    /// The amount with `places` decimals (at least 2): `Cents(2563).with_places(4)` is
    /// `"25.6300"`.
    pub fn with_places(self, places: u32) -> String {
        let mut d = self.to_decimal();
        d.rescale(places.max(2));
        d.to_string()
    }
}

impl MoneyError {
    /// The same error naming `text` (what was received) instead of an intermediate form.
    fn naming(self, text: &str) -> MoneyError {
        let text = text.to_owned();
        match self {
            MoneyError::NotDecimal(_) => MoneyError::NotDecimal(text),
            MoneyError::TooPrecise(_) => MoneyError::TooPrecise(text),
            MoneyError::OutOfRange(_) => MoneyError::OutOfRange(text),
        }
    }
}

/// Two places: `12.50`, `-0.07`.
impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.with_places(2))
    }
}

/// Strict: [`Rounding::Never`].
impl FromStr for Cents {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cents::parse(s, Rounding::Never)
    }
}

/// A decimal string with two places (`"12.50"`), so no float is involved on either side.
impl Serialize for Cents {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A decimal string or a JSON number, [`Rounding::Never`].
impl<'de> Deserialize<'de> for Cents {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize(d, Rounding::Never)
    }
}

/// Reads a decimal string or a JSON number with `rounding`; anything else is a clear error.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D, rounding: Rounding) -> Result<Cents, D::Error> {
    d.deserialize_any(AmountVisitor(rounding))
}

struct AmountVisitor(Rounding);

impl Visitor<'_> for AmountVisitor {
    type Value = Cents;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal amount as a string or a number")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Cents, E> {
        Cents::parse(v, self.0).map_err(E::custom)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Cents, E> {
        Cents::from_f64(v, self.0).map_err(E::custom)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Cents, E> {
        v.checked_mul(100)
            .map(Cents)
            .ok_or_else(|| E::custom(MoneyError::OutOfRange(v.to_string())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Cents, E> {
        i64::try_from(v)
            .ok()
            .and_then(|v| v.checked_mul(100))
            .map(Cents)
            .ok_or_else(|| E::custom(MoneyError::OutOfRange(v.to_string())))
    }
}

/// `#[serde(with = "as_number")]`: a JSON number (`12.5`) out, a number or string in.
pub mod as_number {
    use serde::ser::Error as _;
    use serde::{Deserializer, Serializer};

    use super::{Cents, MAX_EXACT_CENTS, Rounding};

    /// Writes the amount as a JSON number; refuses one an f64 cannot carry exactly.
    pub fn serialize<S: Serializer>(cents: &Cents, s: S) -> Result<S::Ok, S::Error> {
        if cents.0.abs() > MAX_EXACT_CENTS {
            return Err(S::Error::custom(format!(
                "amount of {} cents is too large to send exactly",
                cents.0
            )));
        }
        s.serialize_f64(cents.to_f64())
    }

    /// Reads a number or a decimal string, [`Rounding::Never`].
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Cents, D::Error> {
        super::deserialize(d, Rounding::Never)
    }
}

/// `#[serde(with = "as_number_opt")]`: [`as_number`] for optional amounts (`null` is `None`).
pub mod as_number_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Cents;

    /// Writes `None` as `null`.
    pub fn serialize<S: Serializer>(cents: &Option<Cents>, s: S) -> Result<S::Ok, S::Error> {
        match cents {
            Some(c) => super::as_number::serialize(c, s),
            None => s.serialize_none(),
        }
    }

    /// Reads `null` as `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cents>, D::Error> {
        #[derive(Deserialize)]
        struct Wrap(#[serde(with = "super::as_number")] Cents);
        Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_to_exact_cents() {
        let p = |s| Cents::parse(s, Rounding::Never);
        assert_eq!(p("12.5"), Ok(Cents(1250)));
        assert_eq!(p("12.34"), Ok(Cents(1234)));
        assert_eq!(p("0.07"), Ok(Cents(7)));
        assert_eq!(p("-3"), Ok(Cents(-300)));
        assert_eq!(p("+3"), Ok(Cents(300)));
        assert_eq!(p(".5"), Ok(Cents(50)));
        assert_eq!(p("1.500"), Ok(Cents(150)));
        assert_eq!(p(" 1024.05 "), Ok(Cents(102_405)));
    }

    #[test]
    fn extra_precision_and_garbage_are_errors_naming_the_input() {
        let p = |s| Cents::parse(s, Rounding::Never);
        assert_eq!(p("1.005"), Err(MoneyError::TooPrecise("1.005".into())));
        for bad in [
            "1e3", "", ".", "-", "abc", "1.2.3", "12,50", "1_000", "$5", "- 5",
        ] {
            assert_eq!(p(bad), Err(MoneyError::NotDecimal(bad.into())), "{bad:?}");
        }
        assert_eq!(
            p("99999999999999999999"),
            Err(MoneyError::OutOfRange("99999999999999999999".into()))
        );
        assert_eq!(
            p("1.005").map_err(|e| e.to_string()),
            Err("`1.005` has more than 2 decimal places".to_string())
        );
    }

    #[test]
    fn rounding_is_half_away_from_zero_when_asked() {
        let p = |s| Cents::parse(s, Rounding::HalfAwayFromZero);
        assert_eq!(p("25.6300"), Ok(Cents(2563)));
        assert_eq!(p("8.3350"), Ok(Cents(834)));
        assert_eq!(p("8.3349"), Ok(Cents(833)));
        assert_eq!(p("-8.335"), Ok(Cents(-834)));
    }

    #[test]
    fn prints_two_places_or_more() {
        assert_eq!(Cents(-7).to_string(), "-0.07");
        assert_eq!(Cents(102_405).to_string(), "1024.05");
        assert_eq!(Cents(0).to_string(), "0.00");
        assert_eq!(Cents(2563).with_places(4), "25.6300");
        assert_eq!(Cents(-5).with_places(4), "-0.0500");
    }

    #[test]
    fn json_strings_and_numbers_both_read() {
        #[derive(Serialize, Deserialize)]
        struct N(#[serde(with = "as_number")] Cents);
        for c in [0, 1, 7, 1234, 1999, -250, 123_456_789] {
            let json = serde_json::to_string(&N(Cents(c))).expect("serialises");
            let back: N = serde_json::from_str(&json).expect("parses");
            assert_eq!(back.0, Cents(c), "{json}");
        }
        assert_eq!(
            serde_json::to_string(&N(Cents(1999))).ok().as_deref(),
            Some("19.99")
        );
        assert_eq!(
            serde_json::to_string(&Cents(1250)).ok().as_deref(),
            Some("\"12.50\"")
        );
        assert_eq!(
            serde_json::from_str::<Cents>("\"19.90\"").ok(),
            Some(Cents(1990))
        );
        assert_eq!(serde_json::from_str::<Cents>("40").ok(), Some(Cents(4000)));
        let err = serde_json::from_str::<Cents>("19.999")
            .err()
            .map(|e| e.to_string());
        assert!(
            err.unwrap_or_default()
                .contains("`19.999` has more than 2 decimal places")
        );
        assert!(serde_json::from_str::<Cents>("true").is_err());
        assert!(serde_json::to_string(&N(Cents(MAX_EXACT_CENTS + 1))).is_err());
    }
}
