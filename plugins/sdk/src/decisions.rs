//! Constructors for issues and reasons.

use crate::types::{Issue, Reason, Severity};

fn issue(severity: Severity, code: &str, field: &str, message: impl Into<String>) -> Issue {
    Issue {
        severity,
        code: code.to_string(),
        field: field.to_string(),
        message: message.into(),
    }
}

/// An issue that stops the record (it goes to the exception queue).
pub fn error(code: &str, field: &str, message: impl Into<String>) -> Issue {
    issue(Severity::Error, code, field, message)
}

/// An issue that lets the record through but flags it for a person to review.
pub fn review(code: &str, field: &str, message: impl Into<String>) -> Issue {
    issue(Severity::Review, code, field, message)
}

/// An informational issue.
pub fn warning(code: &str, field: &str, message: impl Into<String>) -> Issue {
    issue(Severity::Warning, code, field, message)
}

/// A short structured reason stored with the decision.
pub fn reason(code: &str, detail: impl Into<String>) -> Reason {
    Reason {
        code: code.to_string(),
        detail: detail.into(),
    }
}
