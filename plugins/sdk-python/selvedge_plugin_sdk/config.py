"""The client's `[rules]` config values, read through the host, and the host's log."""

from __future__ import annotations

import re
from typing import Callable, Iterable, Mapping, TypeVar, Union

from wit_world.imports import host
from wit_world.imports.host import LogLevel

from .decisions import quote
from .errors import RuleError

__all__ = ["get", "parse_or", "string_or", "u32", "i32", "log", "LogLevel"]

T = TypeVar("T")

_UNSIGNED = re.compile(r"\+?[0-9]+")
_SIGNED = re.compile(r"[+-]?[0-9]+")


def get(key: str) -> str | None:
    """The raw value for `key`, if the client's config sets it."""
    return host.config_value(key)


def string_or(key: str, default: str) -> str:
    """The value for `key`, or `default` when unset."""
    value = get(key)
    return default if value is None else value


def _whole(text: str, pattern: re.Pattern[str], low: int, high: int) -> int:
    # Only ASCII digits with an optional sign, as Rust's integer parsing accepts: Python's
    # int() would also take underscores, spaces and other scripts' digits.
    if not pattern.fullmatch(text):
        raise ValueError(text)
    value = int(text)
    if not low <= value <= high:
        raise ValueError(text)
    return value


def u32(text: str) -> int:
    """Parses a whole number in 0..=4294967295 (raises `ValueError` otherwise)."""
    return _whole(text, _UNSIGNED, 0, 2**32 - 1)


def i32(text: str) -> int:
    """Parses a whole number in the s32 range (raises `ValueError` otherwise)."""
    return _whole(text, _SIGNED, -(2**31), 2**31 - 1)


def parse_or(key: str, default: T, parse: Callable[[str], T]) -> T:
    """The value for `key` parsed with `parse` (e.g. `u32`), `default` when unset.

    Raises `RuleError` naming the key when `parse` rejects the value (with `ValueError`).
    """
    raw = get(key)
    if raw is None:
        return default
    try:
        return parse(raw.strip())
    except ValueError:
        raise RuleError(f"config value `{key}` = {quote(raw)} is not valid") from None


Fields = Union[Mapping[str, str], Iterable[tuple[str, str]]]


def log(level: LogLevel, message: str, fields: Fields = ()) -> None:
    """Writes a structured log line to the host (it shows in the call's trace)."""
    pairs = fields.items() if isinstance(fields, Mapping) else fields
    host.log(level, message, [(str(k), str(v)) for k, v in pairs])
