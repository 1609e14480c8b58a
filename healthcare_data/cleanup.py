"""Watching a cleanup: which tables were emptied, in which order, and whether it failed.

``observe_deletes`` listens to the statements the library sends, so the order checked
is the order the database saw, not the order a function claims. :func:`observed_reset`
runs ``Database.reset()`` under it; the ``*_problems`` functions say what went wrong
as table rows (empty when the cleanup was right).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

from healthcare_data.db import Database
from healthcare_data.schema import Base

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


def observed_reset(db: Database) -> CleanupRun:
    """``db.reset()`` with the DELETE statements it sends recorded in order; an error is kept, not raised."""
    run = CleanupRun(db.counts(), db.sequence_positions())
    with observe_deletes(db.engine) as deleted:
        try:
            run.reported = db.reset()
        except Exception as exc:  # noqa: BLE001 - kept for the caller to report
            run.error = exc
    run.deleted = list(deleted)
    return run


def deletion_order_problems(deleted: list[str]) -> list[dict[str, Any]]:
    """Foreign keys whose child table was not emptied before its parent (by the observed order)."""
    position = {name: i for i, name in enumerate(deleted)}
    problems = []
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            parent = fk.column.table.name
            child_at, parent_at = position.get(table.name), position.get(parent)
            if child_at is None or parent_at is None or child_at > parent_at:
                problems.append(
                    {
                        "child": table.name,
                        "child deleted at": child_at,
                        "parent": parent,
                        "parent deleted at": parent_at,
                    }
                )
    return problems


def sequence_problems(before: dict[str, int], after: dict[str, int]) -> list[dict[str, Any]]:
    """Id sequences that do not restart at 1 after the cleanup."""
    return [
        {"table": t, "next id before": before.get(t), "next id after": n} for t, n in after.items() if n != 1
    ]


def tables_left_undeleted(run: CleanupRun) -> list[str]:
    """Tables that held rows before the cleanup and received no DELETE."""
    return [t for t, n in run.counts_before.items() if n and t not in run.deleted]
