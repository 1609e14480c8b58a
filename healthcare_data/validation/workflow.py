"""Checks of a workflow created step by step: dependency order, references, stored amounts.

Each function reads the created rows back from the database and returns the problems
as table rows (empty when the workflow is right), so pytest and the acceptance suite
judge the same thing. The rows are :class:`healthcare_data.entities.WorkflowRow`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from healthcare_data.db import Database
from healthcare_data.readback import fetch_one
from healthcare_data.schema import Base
from healthcare_data.validation.runner import run_all, violation_rows

CONSISTENCY_VALIDATORS = ("format_validation", "business_rules", "compliance_check", "referential_integrity")


class CreatedRow(Protocol):
    """What the checks read of a created row (``entities.WorkflowRow`` has it)."""

    @property
    def step(self) -> int: ...
    @property
    def entity(self) -> str: ...
    @property
    def table(self) -> str: ...
    @property
    def row_id(self) -> int: ...
    @property
    def refs(self) -> Mapping[str, int]: ...


def dependency_order_problems(db: Database, created: Sequence[CreatedRow]) -> list[dict[str, Any]]:
    """Stored foreign keys (tenants aside) not pointing at a row created by an earlier step."""
    created_at = {(r.table, r.row_id): r.step for r in created}
    problems = []
    for result in created:
        table = Base.metadata.tables[result.table]
        row = fetch_one(db, table.name, result.row_id)
        for fk in table.foreign_keys:
            value, parent = row[fk.parent.name], fk.column.table.name
            if value is None or parent == "tenants":
                continue
            parent_step = created_at.get((parent, value))
            if parent_step is None or parent_step >= result.step:
                problems.append(
                    {
                        "step": result.step,
                        "entity": result.entity,
                        "column": fk.parent.name,
                        "references": f"{parent} {value}",
                        "parent created at step": parent_step,
                    }
                )
    return problems


def cross_reference_problems(db: Database, created: Sequence[CreatedRow]) -> list[dict[str, Any]]:
    """Stored ``<link>_id`` columns differing from the ids of the rows each step referenced."""
    problems = []
    for result in created:
        row = fetch_one(db, result.table, result.row_id)
        for link, referenced in result.refs.items():
            stored = row.get(f"{link}_id", "<no such column>")
            if stored != referenced:
                problems.append(
                    {
                        "step": result.step,
                        "entity": result.entity,
                        "column": f"{link}_id",
                        "expected": referenced,
                        "stored": stored,
                    }
                )
    return problems


def consistency_problems(
    db: Database, today: date, created: Sequence[CreatedRow], amounts: Mapping[int, Decimal]
) -> list[dict[str, Any]]:
    """Claim amounts not stored exactly (``amounts``: step -> Decimal asked for, e.g. 350.00), violations
    of the format, business, compliance and integrity validators, and created tables left empty."""
    problems: list[dict[str, Any]] = []
    for result in created:
        amount = amounts.get(result.step)
        if amount is not None:
            stored = fetch_one(db, result.table, result.row_id)["claim_amount"]
            if not isinstance(stored, Decimal) or stored != amount or str(stored) != str(amount):
                problems.append(
                    {"step": result.step, "column": "claim_amount", "expected": amount, "stored": stored}
                )
    problems += violation_rows(run_all(db, today, names=list(CONSISTENCY_VALIDATORS)))
    counts = db.counts()
    problems += [{"table": r.table, "problem": "no rows stored"} for r in created if counts[r.table] < 1]
    return problems
