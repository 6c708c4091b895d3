"""Constructors for issues and reasons, and the text helpers messages are built with."""

from __future__ import annotations

from wit_world.imports.types import Issue, Reason, Severity

__all__ = ["error", "review", "warning", "reason", "quote", "eq_ignore_ascii_case"]


def _issue(severity: Severity, code: str, field: str, message: str) -> Issue:
    return Issue(severity=severity, code=code, field=field, message=message)


def error(code: str, field: str, message: str) -> Issue:
    """An issue that stops the record (it goes to the exception queue)."""
    return _issue(Severity.ERROR, code, field, message)


def review(code: str, field: str, message: str) -> Issue:
    """An issue that lets the record through but flags it for a person to review."""
    return _issue(Severity.REVIEW, code, field, message)


def warning(code: str, field: str, message: str) -> Issue:
    """An informational issue."""
    return _issue(Severity.WARNING, code, field, message)


def reason(code: str, detail: str) -> Reason:
    """A short structured reason stored with the decision."""
    return Reason(code=code, detail=detail)


_ESCAPES = {"\t": "\\t", "\r": "\\r", "\n": "\\n", '"': '\\"', "\\": "\\\\", "\0": "\\0"}


def quote(text: str) -> str:
    """`text` in double quotes with escapes, as the Rust SDK's messages write strings (`{:?}`).

    Python and Rust plugins then word their issues identically: `quote('popup "7"')` is
    `"popup \\"7\\""`, where `repr` would give `'popup "7"'`.
    """
    out = ['"']
    for ch in text:
        escaped = _ESCAPES.get(ch)
        if escaped is not None:
            out.append(escaped)
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        else:
            out.append(f"\\u{{{ord(ch):x}}}")
    out.append('"')
    return "".join(out)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def eq_ignore_ascii_case(a: str, b: str) -> bool:
    """True when `a` and `b` are equal with ASCII letters compared case-insensitively."""
    return len(a) == len(b) and a.translate(_ASCII_LOWER) == b.translate(_ASCII_LOWER)
