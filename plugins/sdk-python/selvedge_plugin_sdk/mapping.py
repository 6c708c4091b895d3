"""Mapping tables from the client's config (`[mappings.<name>]`), fetched once per call."""

from __future__ import annotations

from typing import Iterable

from wit_world.imports import host

__all__ = ["Table"]


def _key(key: str) -> str:
    return key.strip().lower()


class Table:
    """A client mapping table, e.g. shipping method -> warehouse. Keys compare case-insensitively."""

    __slots__ = ("name", "_entries")

    def __init__(self, name: str, pairs: Iterable[tuple[str, str]] = ()) -> None:
        """Builds a table from pairs (for tests and derived tables); see `Table.load`."""
        self.name = name
        self._entries = {_key(k): v for k, v in pairs}

    @classmethod
    def load(cls, name: str) -> Table:
        """Fetches the table `name` from the host (empty when the client has none)."""
        return cls(name, host.mapping_table(name))

    def get(self, key: str) -> str | None:
        """The value for `key` (case-insensitive), if mapped."""
        return self._entries.get(_key(key))

    def get_or_default(self, key: str) -> tuple[str, bool] | None:
        """The mapped value for `key`, or the table's `*` entry as a default.

        The boolean says whether `key` itself was mapped; None when neither is.
        """
        value = self.get(key)
        if value is not None:
            return value, True
        default = self.get("*")
        return None if default is None else (default, False)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: str) -> bool:
        return _key(key) in self._entries
