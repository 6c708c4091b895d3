//! A plugin's log lines during one call: charged against the call's log budget and escaped,
//! so a plugin can neither flood the host's log nor forge lines in it.
//!
//! Each line kept goes both to the host log (a `tracing` event whose text is a field, never
//! the format string) and to the call's trace, so the trace is exactly what the host logged.
//! Once a line does not fit the budget, it and every later line of the call are dropped and
//! counted; [`PluginLog::finish`] then writes one summary line with the count.

use std::sync::Arc;

use crate::bindings::v0_1_0::selvedge::rules::host::LogLevel;
use crate::calls::TraceLine;

/// Bytes charged for every line on top of its text: an empty message still makes a host log
/// line (timestamp, level, client, plugin), so a loop of empty logs must run out too.
pub(crate) const LINE_OVERHEAD_BYTES: usize = 32;

/// One call's plugin log.
pub(crate) struct PluginLog {
    client: String,
    plugin: Arc<str>,
    budget_bytes: usize,
    used_bytes: usize,
    /// Lines kept, escaped, in the order the plugin wrote them.
    pub lines: Vec<TraceLine>,
    /// Lines dropped over the budget.
    pub dropped_lines: usize,
    /// Bytes of text (message, field names and values, as the plugin sent them) dropped.
    dropped_bytes: usize,
    summarised: bool,
}

impl PluginLog {
    pub fn new(client: String, plugin: Arc<str>, budget_bytes: usize) -> Self {
        Self {
            client,
            plugin,
            budget_bytes,
            used_bytes: 0,
            lines: Vec::new(),
            dropped_lines: 0,
            dropped_bytes: 0,
            summarised: false,
        }
    }

    /// Logs one line of the plugin if it fits the budget; otherwise counts it as dropped.
    pub fn write(&mut self, level: LogLevel, message: String, fields: Vec<(String, String)>) {
        let sent_bytes = text_bytes(&message, &fields);
        // Cut for good once over: a log with holes in it would mislead more than a cut one.
        if self.dropped_lines > 0 {
            self.drop_line(sent_bytes);
            return;
        }
        let line = TraceLine {
            level: level_name(level).to_string(),
            message: escape(message),
            fields: fields
                .into_iter()
                .map(|(k, v)| (escape(k), escape(v)))
                .collect(),
        };
        let size = charged_bytes(&line);
        if self.used_bytes.saturating_add(size) > self.budget_bytes {
            self.drop_line(sent_bytes);
            return;
        }
        self.used_bytes += size;
        self.emit(level, &line);
        self.lines.push(line);
    }

    /// Writes the one summary line of what was dropped, if anything was (once per call).
    pub fn finish(&mut self) {
        if self.dropped_lines == 0 || self.summarised {
            return;
        }
        self.summarised = true;
        tracing::warn!(
            client = %self.client,
            plugin = %self.plugin,
            dropped_bytes = self.dropped_bytes,
            dropped_lines = self.dropped_lines,
            budget_bytes = self.budget_bytes,
            "{} bytes of plugin log dropped",
            self.dropped_bytes
        );
    }

    fn drop_line(&mut self, sent_bytes: usize) {
        self.dropped_lines += 1;
        self.dropped_bytes = self.dropped_bytes.saturating_add(sent_bytes);
    }

    fn emit(&self, level: LogLevel, line: &TraceLine) {
        // `tracing` needs the level at compile time: one event per level, same fields.
        macro_rules! event {
            ($level:expr) => {
                tracing::event!(
                    $level,
                    client = %self.client,
                    plugin = %self.plugin,
                    plugin_message = %line.message,
                    fields = ?line.fields,
                    "plugin log"
                )
            };
        }
        match level {
            LogLevel::Debug => event!(tracing::Level::DEBUG),
            LogLevel::Info => event!(tracing::Level::INFO),
            LogLevel::Warn => event!(tracing::Level::WARN),
            LogLevel::Error => event!(tracing::Level::ERROR),
        }
    }
}

fn level_name(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Debug => "debug",
        LogLevel::Info => "info",
        LogLevel::Warn => "warn",
        LogLevel::Error => "error",
    }
}

fn text_bytes(message: &str, fields: &[(String, String)]) -> usize {
    fields.iter().fold(message.len(), |n, (k, v)| {
        n.saturating_add(k.len() + v.len())
    })
}

/// What a kept line costs: its escaped text, as written to the log, plus the line overhead.
fn charged_bytes(line: &TraceLine) -> usize {
    text_bytes(&line.message, &line.fields).saturating_add(LINE_OVERHEAD_BYTES)
}

/// Characters a log file or terminal may show as a line break, use to rewrite what is on
/// screen, or use to reorder text: control characters (newline, carriage return, escape
/// sequences, NEL), the Unicode line and paragraph separators, and bidirectional overrides.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every such character written as a Rust escape (`\n`, `\u{1b}`); quotes and
/// backslashes are left alone so ordinary messages read as written.
fn escape(text: String) -> String {
    if !text.chars().any(needs_escape) {
        return text;
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if needs_escape(c) {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(budget_bytes: usize) -> PluginLog {
        PluginLog::new("acme".into(), Arc::from("p@1"), budget_bytes)
    }

    #[test]
    fn line_breaks_and_control_characters_are_escaped_not_written() {
        let escaped = escape("a\nb\r\nc\u{1b}[2J\u{2028}d\u{202E}e".to_string());
        assert_eq!(escaped, "a\\nb\\r\\nc\\u{1b}[2J\\u{2028}d\\u{202e}e");
        assert!(!escaped.chars().any(needs_escape));
        assert_eq!(
            escape("it's \"fine\" \\o/ é".to_string()),
            "it's \"fine\" \\o/ é"
        );
    }

    #[test]
    fn lines_past_the_budget_are_dropped_and_counted_and_the_log_stays_cut() {
        let mut log = log(100);
        log.write(LogLevel::Info, "x".repeat(40), vec![]);
        log.write(
            LogLevel::Info,
            "y".repeat(40),
            vec![("k".into(), "v".into())],
        );
        // Would fit on its own, but the log was cut at the line before.
        log.write(LogLevel::Info, String::new(), vec![]);
        assert_eq!(log.lines.len(), 1);
        assert_eq!(log.dropped_lines, 2);
        assert_eq!(log.dropped_bytes, 42);
    }

    #[test]
    fn empty_lines_still_use_up_the_budget() {
        let mut log = log(10 * LINE_OVERHEAD_BYTES);
        for _ in 0..1_000 {
            log.write(LogLevel::Debug, String::new(), vec![]);
        }
        assert_eq!(log.lines.len(), 10);
        assert_eq!(log.dropped_lines, 990);
    }

    #[test]
    fn escaping_is_charged_as_written() {
        let mut log = log(LINE_OVERHEAD_BYTES + 4);
        // Two bytes of text, but `\u{0}\u{0}` in the log: over a budget of four.
        log.write(LogLevel::Info, "\0\0".to_string(), vec![]);
        assert!(log.lines.is_empty());
        assert_eq!(log.dropped_lines, 1);
    }
}
