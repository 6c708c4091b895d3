//! Money on the wire: Sparklayer sends decimal amounts (`12.5`, sometimes `"12.50"`); our types hold
//! integer cents so nothing downstream does float arithmetic on money.

use std::fmt;

/// Why a wire amount could not be read as cents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not a plain decimal number (exponents, letters, empty).
    #[error("`{0}` is not a decimal amount like 12.50")]
    NotDecimal(String),
    /// More precision than cents, which would silently round.
    #[error("`{0}` has more than 2 decimal places")]
    TooPrecise(String),
    /// Too large for i64 cents.
    #[error("`{0}` is out of range")]
    OutOfRange(String),
}

/// Parses `"12.5"`, `"-3"`, `"0.07"` into cents. Trailing zeros past the cents are accepted
/// (`"1.500"`), any other extra precision is an error rather than a rounding.
pub fn parse_cents(text: &str) -> Result<i64, MoneyError> {
    let raw = text.trim();
    let (negative, digits) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw.strip_prefix('+').unwrap_or(raw)),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && frac.is_empty() || !all_digits(whole) || !all_digits(frac) {
        return Err(MoneyError::NotDecimal(text.to_owned()));
    }
    let (cents_part, rest) = frac.split_at(frac.len().min(2));
    if rest.bytes().any(|b| b != b'0') {
        return Err(MoneyError::TooPrecise(text.to_owned()));
    }
    let out_of_range = || MoneyError::OutOfRange(text.to_owned());
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| out_of_range())?
    };
    let cents: i64 = format!("{cents_part:0<2}")
        .parse()
        .map_err(|_| out_of_range())?;
    let value = whole
        .checked_mul(100)
        .and_then(|v| v.checked_add(cents))
        .ok_or_else(out_of_range)?;
    Ok(if negative { -value } else { value })
}

/// Formats cents as a decimal string with two places: `1250` -> `"12.50"`.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Largest magnitude that survives the trip through an f64 JSON number exactly.
const MAX_EXACT_CENTS: i64 = 1 << 52;

/// Serde adapter: `i64` cents <-> JSON decimal number (a decimal string is accepted on input).
pub mod cents {
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    use super::*;

    /// Writes cents as a JSON number such as `12.5`.
    pub fn serialize<S: Serializer>(cents: &i64, serializer: S) -> Result<S::Ok, S::Error> {
        if cents.abs() > MAX_EXACT_CENTS {
            return Err(S::Error::custom(format!(
                "amount of {cents} cents is too large to send exactly"
            )));
        }
        // The shortest f64 representation of "12.34" prints back as 12.34.
        let value: f64 = format_cents(*cents)
            .parse()
            .map_err(|_| S::Error::custom("amount does not format as a decimal"))?;
        serializer.serialize_f64(value)
    }

    /// Reads a JSON number or decimal string into cents.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let text = match &value {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s.clone(),
            other => {
                return Err(D::Error::custom(format!(
                    "expected a decimal amount, found {other}"
                )));
            }
        };
        parse_cents(&text).map_err(D::Error::custom)
    }
}

/// Serde adapter for optional amounts.
pub mod cents_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `None` as `null`.
    pub fn serialize<S: Serializer>(cents: &Option<i64>, serializer: S) -> Result<S::Ok, S::Error> {
        match cents {
            Some(c) => super::cents::serialize(c, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads `null`/missing as `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<i64>, D::Error> {
        #[derive(Deserialize)]
        struct Wrap(#[serde(with = "super::cents")] i64);
        Ok(Option::<Wrap>::deserialize(deserializer)?.map(|w| w.0))
    }
}

/// Cents shown as a decimal, for messages.
pub struct Cents(pub i64);

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_cents(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_to_exact_cents() {
        assert_eq!(parse_cents("12.5"), Ok(1250));
        assert_eq!(parse_cents("12.34"), Ok(1234));
        assert_eq!(parse_cents("0.07"), Ok(7));
        assert_eq!(parse_cents("-3"), Ok(-300));
        assert_eq!(parse_cents(".5"), Ok(50));
        assert_eq!(parse_cents("1.500"), Ok(150));
    }

    #[test]
    fn extra_precision_and_garbage_are_errors_not_roundings() {
        assert_eq!(
            parse_cents("1.005"),
            Err(MoneyError::TooPrecise("1.005".into()))
        );
        assert!(matches!(parse_cents("1e3"), Err(MoneyError::NotDecimal(_))));
        assert!(matches!(parse_cents(""), Err(MoneyError::NotDecimal(_))));
        assert!(matches!(parse_cents("."), Err(MoneyError::NotDecimal(_))));
        assert!(matches!(
            parse_cents("99999999999999999999"),
            Err(MoneyError::OutOfRange(_))
        ));
    }

    #[test]
    fn cents_round_trip_through_json_numbers() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct P(#[serde(with = "cents")] i64);
        for c in [0, 1, 7, 1234, 1999, -250, 123_456_789] {
            let json = serde_json::to_string(&P(c)).expect("serialises");
            let back: P = serde_json::from_str(&json).expect("parses");
            assert_eq!(back.0, c, "{json}");
        }
        assert_eq!(serde_json::to_string(&P(1999)).expect("ok"), "19.99");
        let from_string: P = serde_json::from_str("\"19.90\"").expect("string accepted");
        assert_eq!(from_string.0, 1990);
    }
}
