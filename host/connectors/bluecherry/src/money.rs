//! Money as integer cents; on the wire a decimal string with two places (`"12.50"`).
//!
//! Strings, not JSON numbers, so no float ever touches a price on either side.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount of money in cents of the order's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cents(pub i64);

/// A money string that is not a decimal with at most two places.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an amount like 12.50")]
pub struct BadAmount(pub String);

impl Cents {
    /// Zero.
    pub const ZERO: Cents = Cents(0);

    /// `self * qty`, saturating rather than wrapping on absurd input.
    pub fn times(self, qty: i64) -> Cents {
        Cents(self.0.saturating_mul(qty))
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl FromStr for Cents {
    type Err = BadAmount;

    /// Accepts `12`, `12.5`, `12.50`, `-3.10`, and a leading `$` as exports sometimes carry one.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadAmount(s.to_string());
        let t = s.trim();
        let (neg, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let t = t.strip_prefix('$').unwrap_or(t).replace(',', "");
        let (whole, frac) = match t.split_once('.') {
            Some((w, f)) => (w, f),
            None => (t.as_str(), ""),
        };
        let digits = |x: &str| x.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 2 {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
            _ => frac.parse().map_err(|_| bad())?,
        };
        let cents = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(frac))
            .ok_or_else(bad)?;
        Ok(Cents(if neg { -cents } else { cents }))
    }
}

impl Serialize for Cents {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cents {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_two_places() {
        assert_eq!("12.5".parse::<Cents>(), Ok(Cents(1250)));
        assert_eq!("$1,024.05".parse::<Cents>(), Ok(Cents(102_405)));
        assert_eq!("-0.07".parse::<Cents>(), Ok(Cents(-7)));
        assert_eq!(Cents(-7).to_string(), "-0.07");
        assert_eq!(Cents(102_405).to_string(), "1024.05");
    }

    #[test]
    fn rejects_three_places_and_letters() {
        assert!("1.005".parse::<Cents>().is_err());
        assert!("abc".parse::<Cents>().is_err());
        assert!("".parse::<Cents>().is_err());
    }
}
