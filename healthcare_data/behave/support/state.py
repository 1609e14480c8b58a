"""What scenarios remember between steps: the ledger of created rows and ``need``.

Steps record the primary keys they created (with the labels a later ``Then`` checks
against, e.g. the persona asked for); ``Then`` steps read those rows back from the
database by key, never trusting the objects a ``When`` step built in memory.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CreatedRow:
    table: str
    id: int
    labels: dict[str, Any] = field(default_factory=dict)
    step: int | None = None  # the workflow step (or table row) that created it


@dataclass
class Created:
    """Rows the scenario created, per table, in creation order."""

    rows: list[CreatedRow] = field(default_factory=list)

    def add(self, table: str, row_id: int, step: int | None = None, **labels: Any) -> CreatedRow:
        entry = CreatedRow(table, int(row_id), dict(labels), step)
        self.rows.append(entry)
        return entry

    def add_all(self, table: str, objects: Any, step: int | None = None, **labels: Any) -> None:
        """Record every created object (anything with an ``id``) with the same labels."""
        for obj in objects:
            self.add(table, obj.id, step, **labels)

    def add_ids(self, table: str, ids: list[int], **labels: Any) -> None:
        """Record every id of ``ids`` with the same labels."""
        for row_id in ids:
            self.add(table, row_id, **labels)

    def add_each(self, table: str, made: dict[str, Any], label: str) -> None:
        """Record each created object of ``made`` labelled ``label=<its key>`` (one per persona, ...)."""
        for value, obj in made.items():
            self.add(table, obj.id, **{label: value})

    def of(self, table: str, **labels: Any) -> list[CreatedRow]:
        return [
            r for r in self.rows if r.table == table and all(r.labels.get(k) == v for k, v in labels.items())
        ]

    def ids(self, table: str, **labels: Any) -> list[int]:
        return [r.id for r in self.of(table, **labels)]

    def by_table(self) -> dict[str, list[CreatedRow]]:
        grouped: dict[str, list[CreatedRow]] = defaultdict(list)
        for r in self.rows:
            grouped[r.table].append(r)
        return dict(grouped)

    def __len__(self) -> int:
        return len(self.rows)


def need(context: Any, attribute: str, hint: str) -> Any:
    """``context.<attribute>``, or a failure saying which earlier step provides it."""
    value = getattr(context, attribute, None)
    if value is None:
        raise AssertionError(f"This step needs context.{attribute}, which is set by a step like: {hint}")
    return value
