//! The pacing promise checked from the outside: in the ERP's create log, sorted by time, no run
//! of creates may hold more than a token bucket of `burst` refilled at `rate` a second lets
//! through, plus one for the clock of the log (the sandbox stamps a create when it commits it,
//! a little after the host's limiter let it go).

use time::OffsetDateTime;

/// The first pair of creates `(i, j)`, `i < j`, that breaks
/// `j - i + 1 <= burst + rate * (t_j - t_i) + 1`, with `times` sorted ascending; `None` when
/// every pair keeps it.
pub fn pacing_violation(times: &[OffsetDateTime], rate: f64, burst: f64) -> Option<(usize, usize)> {
    debug_assert!(times.is_sorted(), "create times are sorted");
    for i in 0..times.len() {
        for j in i + 1..times.len() {
            let span = (times[j] - times[i]).as_seconds_f64();
            let count = (j - i + 1) as f64;
            if count > burst + rate * span + 1.0 {
                return Some((i, j));
            }
        }
    }
    None
}

/// What a [`pacing_violation`] is, for a failure message: the creates, the time they spanned
/// and what the pacing allowed in it.
pub fn describe_violation(
    times: &[OffsetDateTime],
    (i, j): (usize, usize),
    rate: f64,
    burst: f64,
) -> String {
    let span = (times[j] - times[i]).as_seconds_f64();
    format!(
        "creates {i}..={j} ({} of them) within {:.3} s, where {burst} + {rate} x {:.3} + 1 = {:.2} \
         are allowed",
        j - i + 1,
        span,
        span,
        burst + rate * span + 1.0
    )
}
