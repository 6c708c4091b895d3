//! Config errors: every message names the file, the key and the fix.

use std::path::{Path, PathBuf};

/// Why a config directory cannot be used. Maps to exit code 2 (bad input).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file or folder could not be read.
    #[error("{}: cannot read: {source}\n  fix: {fix}", path.display())]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
        /// What to do about it.
        fix: String,
    },
    /// TOML syntax or shape error (unknown key, wrong type, missing key).
    #[error("{}:{line}:{column}: {message}\n  fix: {fix}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the offending key or value (0 when unknown).
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message (names the key).
        message: String,
        /// What to do about it.
        fix: String,
    },
    /// A value that parsed but cannot work.
    #[error("{}: `{key}` {problem}\n  fix: {fix}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Dotted key, e.g. `schedules.inventory.cron`.
        key: String,
        /// What is wrong.
        problem: String,
        /// What to do about it.
        fix: String,
    },
}

impl ConfigError {
    /// A value error in `path` at `key`.
    pub fn invalid(
        path: &Path,
        key: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        ConfigError::Invalid {
            path: path.to_path_buf(),
            key: key.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    /// A TOML error in `path` whose text is `text`, located by the error's span.
    pub fn parse(path: &Path, text: &str, err: &toml::de::Error) -> Self {
        let (line, column) = err
            .span()
            .map(|span| line_col(text, span.start))
            .unwrap_or((0, 0));
        let message = err.message().trim().to_string();
        let fix = if message.contains("unknown field") {
            "remove the key or correct its spelling (the message lists the keys allowed here)"
        } else if message.contains("missing field") {
            "add the key (see examples/ for a complete file)"
        } else if message.contains("invalid type") || message.contains("invalid value") {
            "give the value the type shown in the message"
        } else {
            "correct the TOML syntax at that position"
        };
        ConfigError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message,
            fix: fix.to_string(),
        }
    }

    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            ConfigError::Read { path, .. }
            | ConfigError::Parse { path, .. }
            | ConfigError::Invalid { path, .. } => path,
        }
    }
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::line_col;

    #[test]
    fn offsets_map_to_one_based_lines_and_columns() {
        assert_eq!(line_col("a = 1\nbb = 2\n", 0), (1, 1));
        assert_eq!(line_col("a = 1\nbb = 2\n", 7), (2, 2));
    }
}
