"""The one exception a rule raises on purpose."""

from __future__ import annotations

__all__ = ["RuleError"]


class RuleError(Exception):
    """A rule cannot decide (bad config, inconsistent input).

    Raised from `Rules.compute_ats`, it fails the whole cycle with its message, as the Rust
    SDK's `Err(String)` does. Any other exception is a bug: the call traps and the host
    reports it with the traceback.
    """
