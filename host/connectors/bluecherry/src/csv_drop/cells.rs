//! Cell readers for report CSVs: each one records a [`CsvRowError`] instead of failing, so
//! one pass over a file reports every bad cell.

use std::collections::HashMap;

use crate::error::CsvRowError;
use crate::model::Cents;
use crate::money::MoneyError;

/// At most this many errors are reported per file; the rest are counted.
const MAX_ERRORS: usize = 50;

/// A parsed header plus the errors found so far.
pub(super) struct Table<'a> {
    pub(super) file: &'a str,
    pub(super) columns: HashMap<String, usize>,
    pub(super) errors: Vec<CsvRowError>,
    pub(super) dropped: usize,
}

impl<'a> Table<'a> {
    pub(super) fn err(&mut self, line: u64, column: &str, problem: impl Into<String>) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(CsvRowError {
                file: self.file.to_string(),
                line,
                column: column.to_string(),
                problem: problem.into(),
            });
        } else {
            self.dropped += 1;
        }
    }

    pub(super) fn has(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }

    pub(super) fn cell<'r>(&self, rec: &'r csv::StringRecord, column: &str) -> &'r str {
        self.columns
            .get(column)
            .and_then(|&i| rec.get(i))
            .map(str::trim)
            .unwrap_or("")
    }

    /// A non-empty text cell.
    pub(super) fn text(&mut self, rec: &csv::StringRecord, line: u64, column: &str) -> String {
        let v = self.cell(rec, column).to_string();
        if v.is_empty() {
            self.err(line, column, "is empty");
        }
        v
    }

    /// A whole quantity; empty means 0, `1,200` and `12.00` are accepted.
    pub(super) fn qty(&mut self, rec: &csv::StringRecord, line: u64, column: &str) -> i64 {
        let raw = self.cell(rec, column);
        if raw.is_empty() {
            return 0;
        }
        let t = raw.replace(',', "");
        let t = match t.split_once('.') {
            Some((w, f)) if f.chars().all(|c| c == '0') => w.to_string(),
            _ => t,
        };
        match t.parse::<i64>() {
            Ok(v) => v,
            Err(_) => {
                self.err(
                    line,
                    column,
                    format!("expected a whole quantity, got `{raw}`"),
                );
                0
            }
        }
    }

    pub(super) fn money(
        &mut self,
        rec: &csv::StringRecord,
        line: u64,
        column: &str,
    ) -> Option<Cents> {
        let raw = self.cell(rec, column);
        if raw.is_empty() {
            return None;
        }
        match export_amount(raw) {
            Ok(c) if c.0 >= 0 => Some(c),
            _ => {
                self.err(
                    line,
                    column,
                    format!("expected a price like 12.50, got `{raw}`"),
                );
                None
            }
        }
    }

    /// A UPC: empty, or 12 to 14 digits.
    pub(super) fn upc(&mut self, rec: &csv::StringRecord, line: u64, column: &str) -> String {
        let v = self.cell(rec, column).to_string();
        let ok = (12..=14).contains(&v.len()) && v.chars().all(|c| c.is_ascii_digit());
        if !v.is_empty() && !ok {
            self.err(line, column, format!("expected 12 to 14 digits, got `{v}`"));
        }
        v
    }

    /// An optional code of exactly `digits` digits (NRF codes).
    pub(super) fn code(
        &mut self,
        rec: &csv::StringRecord,
        line: u64,
        column: &str,
        digits: usize,
    ) -> String {
        let v = self.cell(rec, column).to_string();
        let ok = v.len() == digits && v.chars().all(|c| c.is_ascii_digit());
        if !v.is_empty() && !ok {
            self.err(line, column, format!("expected {digits} digits, got `{v}`"));
        }
        v
    }
}

/// Exports format prices for people: a `$` and thousands separators (`-$1,024.05`). Those are
/// dropped here; what is left is read as strictly as any amount on the wire.
fn export_amount(raw: &str) -> Result<Cents, MoneyError> {
    let t = raw.trim();
    let (sign, rest) = match t.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", t),
    };
    let digits = rest.strip_prefix('$').unwrap_or(rest).replace(',', "");
    format!("{sign}{digits}").parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_amounts_may_carry_a_dollar_sign_and_separators() {
        assert_eq!(export_amount("$1,024.05"), Ok(Cents(102_405)));
        assert_eq!(export_amount("-$3.10"), Ok(Cents(-310)));
        assert_eq!(export_amount("28"), Ok(Cents(2800)));
        assert!(export_amount("1.005").is_err());
        assert!(export_amount("$$5").is_err());
        assert!(export_amount("abc").is_err());
    }
}
