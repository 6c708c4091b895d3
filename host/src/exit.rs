//! Exit codes that mean something to scripts and CI.

use std::process::ExitCode;

/// Everything worked.
pub const OK: u8 = 0;
/// The command ran, and what it checked failed (e.g. a fixture case, a drift finding).
pub const CHECK_FAILED: u8 = 1;
/// Bad usage, config or input file: fix the input and run again.
pub const BAD_INPUT: u8 = 2;
/// A runtime failure outside the user's input (I/O, network, a plugin that cannot load).
pub const RUNTIME_FAILURE: u8 = 3;

/// An error with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

impl CliError {
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self {
            code: BAD_INPUT,
            message: message.into(),
        }
    }

    pub fn runtime(message: impl Into<String>) -> Self {
        Self {
            code: RUNTIME_FAILURE,
            message: message.into(),
        }
    }

    pub fn check_failed(message: impl Into<String>) -> Self {
        Self {
            code: CHECK_FAILED,
            message: message.into(),
        }
    }
}

pub fn code(value: u8) -> ExitCode {
    ExitCode::from(value)
}
