"""Watching a cleanup: which tables were emptied, in which order, and whether it failed.

``observe_deletes`` listens to the statements the library sends, so the order the
suite checks is the order the database saw, not the order a function claims.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

_DELETE = re.compile(
    r"^\s*(?:DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+\"?([A-Za-z_][A-Za-z0-9_]*)\"?", re.IGNORECASE
)


@dataclass
class CleanupRun:
    counts_before: dict[str, int]
    sequences_before: dict[str, int]
    deleted: list[str] = field(default_factory=list)  # tables, in the order the database saw
    reported: list[str] = field(default_factory=list)  # what the library says it emptied
    error: BaseException | None = None


@contextmanager
def observe_deletes(engine: Engine) -> Iterator[list[str]]:
    """Collect the table of every DELETE/TRUNCATE sent through ``engine``, in order."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        match = _DELETE.match(statement)
        if match:
            seen.append(match.group(1))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
