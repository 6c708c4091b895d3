//! Two answers to the same recorded call, compared subject by subject: what a shadow run
//! reports (rows or orders whose decision changes, by how much).

use serde::Serialize;
use serde_json::{Value, json};

use crate::fixtures::{CallKind, reason_names};
use crate::recorded::{CallInput, CallOutput};

/// One subject whose decision differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Changed {
    /// What was decided about: `SKU@LOCATION` for a stock row, the order, refund or style id.
    pub subject: String,
    pub live: Value,
    pub candidate: Value,
    /// Candidate ATS minus live ATS, for a stock row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ats_delta: Option<i64>,
}

/// The comparison of one call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallComparison {
    pub call: CallKind,
    /// Subjects compared (stock rows, orders, refunds, styles; 1 for prices).
    pub subjects: usize,
    pub changed: Vec<Changed>,
}

/// Compares two answers to `input`. `labels` name stock rows (`SKU@LOCATION`) when the
/// recording has them; an answer that is an error compares as a whole.
pub fn compare(
    input: &CallInput,
    labels: &[String],
    live: &Result<CallOutput, String>,
    candidate: &Result<CallOutput, String>,
) -> CallComparison {
    let subjects = subjects_of(input, labels);
    let live_values = live.as_ref().map(|o| values(o, &subjects));
    let candidate_values = candidate.as_ref().map(|o| values(o, &subjects));
    let changed = match (&live_values, &candidate_values) {
        (Ok(l), Ok(c)) => subjects
            .iter()
            .zip(l.iter().zip(c.iter()))
            .filter(|(_, (l, c))| l != c)
            .map(|(subject, (l, c))| Changed {
                subject: subject.clone(),
                live: l.clone(),
                candidate: c.clone(),
                ats_delta: ats_of(c).zip(ats_of(l)).map(|(c, l)| c - l),
            })
            .collect(),
        _ if live_values.is_err() && candidate_values.is_err() && live == candidate => vec![],
        _ => vec![Changed {
            subject: "(the whole call)".into(),
            live: as_value(live),
            candidate: as_value(candidate),
            ats_delta: None,
        }],
    };
    CallComparison {
        call: input.kind(),
        subjects: subjects.len(),
        changed,
    }
}

fn as_value(answer: &Result<CallOutput, String>) -> Value {
    match answer {
        Ok(o) => serde_json::to_value(o).unwrap_or(Value::Null),
        Err(e) => json!({ "error": e }),
    }
}

fn ats_of(v: &Value) -> Option<i64> {
    v.get("ats").and_then(Value::as_i64)
}

/// The subject of every decision the call asks for, in input order.
fn subjects_of(input: &CallInput, labels: &[String]) -> Vec<String> {
    match input {
        CallInput::ComputeAts { rows, .. } => (0..rows.on_hand.len())
            .map(|i| labels.get(i).cloned().unwrap_or_else(|| format!("row {i}")))
            .collect(),
        CallInput::MapOrders { orders } => orders.iter().map(|o| o.order_id.clone()).collect(),
        CallInput::MapStyles { styles } => styles.iter().map(|s| s.style.clone()).collect(),
        CallInput::MapRefunds { refunds } => refunds.iter().map(|r| r.refund_id.clone()).collect(),
        CallInput::MapPrices { .. } => vec!["price lists".into()],
    }
}

/// One JSON value per subject (a missing decision is `null`).
fn values(output: &CallOutput, subjects: &[String]) -> Vec<Value> {
    fn each<T: Serialize>(items: &[T], n: usize) -> Vec<Value> {
        (0..n)
            .map(|i| {
                items
                    .get(i)
                    .and_then(|d| serde_json::to_value(d).ok())
                    .unwrap_or(Value::Null)
            })
            .collect()
    }
    let n = subjects.len();
    match output {
        CallOutput::ComputeAts { ats } => (0..n)
            .map(
                |i| match (ats.ats.get(i), ats.buffer.get(i), ats.reason.get(i)) {
                    (Some(a), Some(b), Some(r)) => {
                        json!({ "ats": a, "buffer": b, "reasons": reason_names(*r) })
                    }
                    _ => Value::Null,
                },
            )
            .collect(),
        CallOutput::MapOrders { decisions } => each(decisions, n),
        CallOutput::MapStyles { decisions } => each(decisions, n),
        CallOutput::MapRefunds { decisions } => each(decisions, n),
        CallOutput::MapPrices { decision } => each(std::slice::from_ref(decision), n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::rules::inventory::{AtsRows, StockContext, StockRows};

    fn stock(n: usize) -> CallInput {
        CallInput::ComputeAts {
            stock: StockContext {
                locations: vec!["NJ01".into()],
                categories: vec![],
                seasons: vec![],
                cycle_latency_minutes: 0,
            },
            rows: StockRows {
                location: vec![0; n],
                category: vec![0; n],
                season: vec![0; n],
                on_hand: vec![10; n],
                picked: vec![0; n],
                open_orders: vec![0; n],
                ship_to_wip: vec![0; n],
                open_work_orders: vec![0; n],
                in_transit: vec![0; n],
                weekly_sales: vec![0; n],
                sku_buffer: vec![-1; n],
            },
        }
    }

    fn answer(ats: &[i32], buffer: &[i32]) -> Result<CallOutput, String> {
        Ok(CallOutput::ComputeAts {
            ats: AtsRows {
                ats: ats.to_vec(),
                buffer: buffer.to_vec(),
                reason: vec![1; ats.len()],
            },
        })
    }

    #[test]
    fn only_the_rows_whose_answer_differs_are_listed_with_their_ats_delta() {
        let labels = vec!["A@NJ01".into(), "B@NJ01".into(), "C@NJ01".into()];
        let diff = compare(
            &stock(3),
            &labels,
            &answer(&[10, 10, 10], &[0, 0, 0]),
            &answer(&[10, 7, 10], &[0, 3, 0]),
        );
        assert_eq!(diff.call, CallKind::ComputeAts);
        assert_eq!(diff.subjects, 3);
        assert_eq!(diff.changed.len(), 1);
        assert_eq!(diff.changed[0].subject, "B@NJ01");
        assert_eq!(diff.changed[0].ats_delta, Some(-3));
        assert_eq!(diff.changed[0].candidate["buffer"], 3);
    }

    #[test]
    fn a_candidate_that_fails_where_the_live_one_answers_is_one_change_naming_the_error() {
        let diff = compare(
            &stock(2),
            &[],
            &answer(&[1, 2], &[0, 0]),
            &Err("trap: unreachable".into()),
        );
        assert_eq!(diff.changed.len(), 1);
        assert_eq!(diff.changed[0].candidate["error"], "trap: unreachable");
        let same = compare(&stock(2), &[], &Err("x".into()), &Err("x".into()));
        assert!(same.changed.is_empty());
    }
}
