"""Whole-database facts about seeded journeys, for tests and acceptance sentences.

Each function answers one question a sentence asks ("every journey follows its state
machine", "the segments follow the proportions") from the stored rows, so a step is a
call and an assertion, and a pytest user can ask the same question.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import func, select

from healthcare_data.journeys.definitions import REGISTRATION, Definitions
from healthcare_data.journeys.drugs import fits_diagnosis
from healthcare_data.journeys.rules import check_database
from healthcare_data.rules.groups import JOURNEY_GROUP_RULES
from healthcare_data.schema import Base
from healthcare_data.validation.report import Violation

#: Sentence-level groups of journey rules (rules.groups; ``journey_consistency`` is all of them).
RULE_GROUPS = JOURNEY_GROUP_RULES


def violations(
    db: Any, today: date, group: str | None = None, definitions: Definitions | None = None
) -> list[Violation]:
    """Journey-rule violations of the database (all rules, or one of :data:`RULE_GROUPS`)."""
    names = RULE_GROUPS[group] if group is not None else None
    with db.engine.connect() as conn:
        return check_database(conn, today, definitions, names=names).violations


def state_counts(db: Any) -> Counter[str]:
    """How many journeys entered each state (a step counted once per journey)."""
    steps = Base.metadata.tables["journey_steps"]
    query = select(steps.c.step, func.count(func.distinct(steps.c.journey_id))).group_by(steps.c.step)
    with db.engine.connect() as conn:
        return Counter({step: n for step, n in conn.execute(query)})


def segment_shares(db: Any) -> dict[str, float]:
    """Share of registered patients in each activity segment."""
    journeys = Base.metadata.tables["care_journeys"]
    query = (
        select(journeys.c.segment, func.count())
        .where(journeys.c.journey == REGISTRATION)
        .group_by(journeys.c.segment)
    )
    with db.engine.connect() as conn:
        counts = dict(conn.execute(query).all())
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()} if total else {}


def journey_path(db: Any, journey_id: int) -> list[str]:
    """The states a stored journey went through, in order (repeated states once)."""
    steps = Base.metadata.tables["journey_steps"]
    query = select(steps.c.step).where(steps.c.journey_id == journey_id).order_by(steps.c.seq)
    with db.engine.connect() as conn:
        names = [row[0] for row in conn.execute(query)]
    return [s for k, s in enumerate(names) if k == 0 or s != names[k - 1]]


def passes_through(path: list[str], states: list[str]) -> bool:
    """True when ``states`` occur in ``path`` in this order (other states may lie between)."""
    remaining = iter(path)
    return all(any(step == state for step in remaining) for state in states)


def journey_rows(db: Any, journey_id: int, table: str) -> list[dict[str, Any]]:
    """The rows of ``table`` a stored journey's steps touched."""
    steps = Base.metadata.tables["journey_steps"]
    target = Base.metadata.tables[table]
    ids = select(steps.c.entity_id).where(steps.c.journey_id == journey_id, steps.c.entity == table)
    with db.engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(select(target).where(target.c.id.in_(ids)).order_by(target.c.id)).mappings()
        ]


def segments_off(
    shares: dict[str, float], expected: dict[str, float], tolerance: float
) -> list[tuple[str, float]]:
    """(segment, share) of the expected segments whose share is off by more than ``tolerance``."""
    off = {k: shares.get(k, 0.0) for k in expected}
    return [(k, share) for k, share in off.items() if abs(share - expected[k]) > tolerance]


def prescriptions_not_treating(rows: list[dict[str, Any]], code: str) -> list[tuple[str, str]]:
    """(rxnorm_code, diagnosis_code) of the prescriptions not for ``code`` or whose drug does not treat it."""
    return [
        (p["rxnorm_code"], p["diagnosis_code"])
        for p in rows
        if p["diagnosis_code"] != code or not fits_diagnosis(p["rxnorm_code"], code)
    ]


__all__ = [
    "RULE_GROUPS",
    "prescriptions_not_treating",
    "journey_path",
    "journey_rows",
    "passes_through",
    "segment_shares",
    "segments_off",
    "state_counts",
    "violations",
]
