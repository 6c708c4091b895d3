//! Money on the wire: Sparklayer sends decimal amounts (`12.5`, sometimes `"12.50"`); the
//! model's fields hold `i64` cents so nothing downstream does float arithmetic on money. The
//! reading and writing is the connectors' one money type, [`Cents`]; this module adapts it to
//! `i64` fields. Extra precision is an error, never a rounding ([`Rounding::Never`]).

pub use selvedge_connector_kit::money::{Cents, MoneyError, Rounding};

/// Parses `"12.5"`, `"-3"`, `"0.07"` into cents. Trailing zeros past the cents are accepted
/// (`"1.500"`), any other extra precision is an error rather than a rounding.
pub fn parse_cents(text: &str) -> Result<i64, MoneyError> {
    Cents::parse(text, Rounding::Never).map(|c| c.0)
}

/// Formats cents as a decimal string with two places: `1250` -> `"12.50"`.
pub fn format_cents(cents: i64) -> String {
    Cents(cents).to_string()
}

/// Serde adapter: `i64` cents <-> JSON decimal number (a decimal string is accepted on input).
pub mod cents {
    use selvedge_connector_kit::money::{Cents, as_number};
    use serde::{Deserializer, Serializer};

    /// Writes cents as a JSON number such as `12.5`.
    pub fn serialize<S: Serializer>(cents: &i64, serializer: S) -> Result<S::Ok, S::Error> {
        as_number::serialize(&Cents(*cents), serializer)
    }

    /// Reads a JSON number or decimal string into cents.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
        as_number::deserialize(deserializer).map(|c| c.0)
    }
}

/// Serde adapter for optional amounts.
pub mod cents_opt {
    use selvedge_connector_kit::money::{Cents, as_number_opt};
    use serde::{Deserializer, Serializer};

    /// Writes `None` as `null`.
    pub fn serialize<S: Serializer>(cents: &Option<i64>, serializer: S) -> Result<S::Ok, S::Error> {
        as_number_opt::serialize(&cents.map(Cents), serializer)
    }

    /// Reads `null`/missing as `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<i64>, D::Error> {
        Ok(as_number_opt::deserialize(deserializer)?.map(|c| c.0))
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
        #[derive(serde::Serialize, serde::Deserialize)]
        struct O(#[serde(with = "cents_opt")] Option<i64>);
        for c in [0, 1, 7, 1234, 1999, -250, 123_456_789] {
            let json = serde_json::to_string(&P(c)).expect("serialises");
            let back: P = serde_json::from_str(&json).expect("parses");
            assert_eq!(back.0, c, "{json}");
        }
        assert_eq!(serde_json::to_string(&P(1999)).expect("ok"), "19.99");
        let from_string: P = serde_json::from_str("\"19.90\"").expect("string accepted");
        assert_eq!(from_string.0, 1990);
        assert_eq!(serde_json::to_string(&O(None)).expect("ok"), "null");
        let some: O = serde_json::from_str("12.5").expect("number accepted");
        assert_eq!(some.0, Some(1250));
    }
}
