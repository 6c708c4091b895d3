//! The CLI's [`Progress`]: an indicatif bar (position/total, rate, ETA) when stderr is a
//! terminal, plain lines on stderr otherwise (`store copy: 12000/50000 rows (24%)`, at most
//! every few seconds or every tenth of the total, then a final line), nothing with `--json`.
//! Progress never goes to stdout: that is the command's answer.

use std::io::{IsTerminal, Write};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::progress::Progress;

/// A plain line at most this often, besides one per tenth of the total and the final one.
const LINE_EVERY: Duration = Duration::from_secs(5);

/// Draws the progress of one command's long work.
pub struct Reporter {
    mode: Mode,
    stage: Mutex<Option<Stage>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Silent,
    Bar,
    Lines,
}

enum Stage {
    Bar(ProgressBar),
    Lines(Lines),
}

impl Reporter {
    /// For a command: silent with `--json` (whoever reads the JSON is a program), a bar when
    /// stderr is a terminal, plain lines when it is a log or a pipe.
    pub fn for_command(json: bool) -> Self {
        let mode = if json {
            Mode::Silent
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Lines
        };
        Self {
            mode,
            stage: Mutex::new(None),
        }
    }

    /// A stage with nothing to count (waiting on the host's answer): a spinner with the time
    /// taken on a terminal, a line at the start and one at the end otherwise.
    pub fn wait(&self, what: &str) {
        self.start(what, "", None);
        if self.mode == Mode::Lines {
            eprintln!("{what} ...");
        }
    }

    fn stage(&self) -> MutexGuard<'_, Option<Stage>> {
        // A panic while drawing leaves nothing worth protecting: keep reporting.
        self.stage.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Progress for Reporter {
    fn start(&self, what: &str, unit: &str, total: Option<u64>) {
        self.finish();
        let stage = match self.mode {
            Mode::Silent => return,
            Mode::Bar => Stage::Bar(bar(what, unit, total)),
            Mode::Lines => Stage::Lines(Lines::new(what, unit, total, Instant::now())),
        };
        *self.stage() = Some(stage);
    }

    fn advance(&self, n: u64) {
        match self.stage().as_mut() {
            Some(Stage::Bar(bar)) => bar.inc(n),
            Some(Stage::Lines(lines)) => {
                if let Some(line) = lines.advance(n, Instant::now()) {
                    print_line(&line);
                }
            }
            None => {}
        }
    }

    fn finish(&self) {
        match self.stage().take() {
            Some(Stage::Bar(bar)) => bar.finish(),
            Some(Stage::Lines(lines)) => print_line(&lines.last(Instant::now())),
            None => {}
        }
    }
}

impl Drop for Reporter {
    /// A command that stops on an error still says how far it got.
    fn drop(&mut self) {
        self.finish();
    }
}

fn print_line(line: &str) {
    let mut err = std::io::stderr().lock();
    // Progress is best effort: a closed stderr must not fail the work.
    let _ = writeln!(err, "{line}");
}

fn bar(what: &str, unit: &str, total: Option<u64>) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    let template = match (total, unit) {
        (Some(_), _) => format!(
            "{{msg}} [{{bar:30}}] {{human_pos}}/{{human_len}} {unit} {{per_sec}} ETA {{eta}}"
        ),
        (None, "") => "{spinner} {msg} {elapsed}".to_string(),
        (None, _) => format!("{{spinner}} {{msg}} {{human_pos}} {unit} {{per_sec}} {{elapsed}}"),
    };
    bar.set_style(
        ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// One stage as plain lines: which positions are worth a line.
#[derive(Debug)]
struct Lines {
    what: String,
    unit: String,
    total: Option<u64>,
    pos: u64,
    started: Instant,
    printed_at: Instant,
    /// Tenths of the total already announced.
    tenths: u64,
}

impl Lines {
    fn new(what: &str, unit: &str, total: Option<u64>, now: Instant) -> Self {
        Self {
            what: what.to_string(),
            unit: unit.to_string(),
            total,
            pos: 0,
            started: now,
            printed_at: now,
            tenths: 0,
        }
    }

    /// Moves `n` on; the line to print now, if one is due. The end itself is left to
    /// [`Lines::last`], so the total is said once.
    fn advance(&mut self, n: u64, now: Instant) -> Option<String> {
        self.pos = self.pos.saturating_add(n);
        let tenths = match self.total {
            Some(total) if total > 0 => self.pos.min(total).saturating_mul(10) / total,
            _ => 0,
        };
        let at_end = self.total.is_some_and(|t| self.pos >= t);
        let due = tenths > self.tenths || now.duration_since(self.printed_at) >= LINE_EVERY;
        self.tenths = self.tenths.max(tenths);
        if !due || at_end {
            return None;
        }
        self.printed_at = now;
        Some(self.line())
    }

    /// The final line: how far it got and how long it took.
    fn last(&self, now: Instant) -> String {
        let took = now.duration_since(self.started).as_secs_f64();
        if self.unit.is_empty() {
            return format!("{}: done in {took:.1} s", self.what);
        }
        format!("{} in {took:.1} s", self.line())
    }

    fn line(&self) -> String {
        match self.total {
            Some(total) => {
                let percent = (self.pos.min(total) * 100)
                    .checked_div(total)
                    .unwrap_or(100);
                format!(
                    "{}: {}/{total} {} ({percent}%)",
                    self.what, self.pos, self.unit
                )
            }
            None => format!("{}: {} {}", self.what, self.pos, self.unit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn plain_lines_come_once_per_tenth_then_a_final_line_at_the_total() {
        let t0 = Instant::now();
        let mut lines = Lines::new("store copy", "rows", Some(50_000), t0);
        let mut printed = Vec::new();
        // 500 rows a batch, all within the same second: only tenths are due.
        for _ in 0..100 {
            printed.extend(lines.advance(500, t0));
        }
        assert_eq!(printed.len(), 9, "{printed:?}");
        assert_eq!(printed[0], "store copy: 5000/50000 rows (10%)");
        assert_eq!(printed[8], "store copy: 45000/50000 rows (90%)");
        assert_eq!(
            lines.last(t0 + secs(3)),
            "store copy: 50000/50000 rows (100%) in 3.0 s"
        );
    }

    #[test]
    fn a_slow_stage_gets_a_line_every_few_seconds_between_tenths() {
        let t0 = Instant::now();
        let mut lines = Lines::new("inventory push", "rows", Some(1_000), t0);
        assert_eq!(
            lines.advance(10, t0 + secs(1)),
            None,
            "too soon, under a tenth"
        );
        assert_eq!(
            lines.advance(10, t0 + secs(6)).as_deref(),
            Some("inventory push: 20/1000 rows (2%)")
        );
        assert_eq!(
            lines.advance(10, t0 + secs(7)),
            None,
            "5 s since the last line"
        );
        assert_eq!(
            lines.advance(100, t0 + secs(8)).as_deref(),
            Some("inventory push: 130/1000 rows (13%)"),
            "a tenth crossed"
        );
    }

    #[test]
    fn an_unknown_total_counts_on_and_the_end_is_said_once() {
        let t0 = Instant::now();
        let mut lines = Lines::new("catalog sync", "styles", None, t0);
        assert_eq!(lines.advance(7, t0), None);
        assert_eq!(
            lines.advance(3, t0 + secs(5)).as_deref(),
            Some("catalog sync: 10 styles")
        );
        let mut whole = Lines::new("x", "rows", Some(4), t0);
        let printed: Vec<String> = (0..4).filter_map(|_| whole.advance(1, t0)).collect();
        assert!(
            printed.iter().all(|l| !l.contains("4/4")),
            "the total is left to the final line: {printed:?}"
        );
        assert_eq!(whole.last(t0), "x: 4/4 rows (100%) in 0.0 s");
    }

    #[test]
    fn an_empty_stage_is_complete() {
        let t0 = Instant::now();
        let lines = Lines::new("inventory push", "rows", Some(0), t0);
        assert_eq!(lines.last(t0), "inventory push: 0/0 rows (100%) in 0.0 s");
    }
}
