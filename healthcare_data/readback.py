"""Read rows back from the database by primary key, as plain dicts.

Assertions run on what the database holds, so a column the ORM never wrote, a value
truncated or converted by the backend (``$350`` -> ``Decimal('350.00')``) is seen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from healthcare_data.db import Database
from healthcare_data.schema import Base


def fetch(
    db: Database, table: str, ids: Iterable[int] | None = None, column: str = "id"
) -> list[dict[str, Any]]:
    """Rows of ``table`` (all, or those whose ``column`` is in ``ids``), ordered by key."""
    t = Base.metadata.tables[table]
    pk = next(iter(t.primary_key.columns))
    query = select(t).order_by(pk)
    if ids is not None:
        wanted = list(ids)
        if not wanted:
            return []
        query = query.where(t.c[column].in_(wanted))
    with db.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def fetch_one(db: Database, table: str, row_id: int) -> dict[str, Any]:
    found = fetch(db, table, [row_id])
    if not found:
        raise AssertionError(f"{table} row id={row_id} is not in the database")
    return found[0]


def patients_with_history(
    db: Database, ids: Iterable[int]
) -> list[tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any] | None]]:
    """(patient, its patient_conditions rows, its patient_profiles row) per id, in id order."""
    ids = list(ids)
    patients = fetch(db, "patients", ids)
    conditions: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in fetch(db, "patient_conditions", ids, column="patient_id"):
        conditions[row["patient_id"]].append(row)
    profiles = {row["patient_id"]: row for row in fetch(db, "patient_profiles", ids, column="patient_id")}
    return [(p, conditions.get(p["id"], []), profiles.get(p["id"])) for p in patients]


def foreign_keys_enforced(db: Database) -> bool:
    """True when the backend enforces foreign keys on the suite's connections."""
    if db.backend != "sqlite":
        return True  # PostgreSQL and MySQL/InnoDB always enforce declared foreign keys
    from sqlalchemy import text

    with db.engine.connect() as conn:
        return bool(conn.execute(text("PRAGMA foreign_keys")).scalar_one())
