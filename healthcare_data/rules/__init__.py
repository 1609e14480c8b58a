"""Every validation rule of the library, defined once as data in :data:`RULES`.

>>> from healthcare_data.rules import RULES, check
>>> RULES.get("email_safe_domain").entities
('patients', 'providers')
>>> [v.rule for v in check("patients", {"email": "x@gmail.com"}, ["email_safe_domain"])]
['email_safe_domain']

The modules below register the rules of each table; named groups of rules (the
feature files' ``valid_demographics``, ``insurance_required``, ...) are in
:mod:`healthcare_data.validation.groups`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from healthcare_data.rulebook import (
    RULES,
    Finding,
    Rule,
    Subject,
    evaluate,
    evaluate_given,
    field_of,
    rules_for,
)
from healthcare_data.rules import (
    appointments,
    claims,
    common,
    declared,
    groups,
    journeys,
    patients,
    providers,
    records,
)
from healthcare_data.violations import Violation

# Business keys that name a row in a violation, per table.
KEYS: dict[str, tuple[str, ...]] = {
    "patients": ("patient_id", "id"),
    "patient_conditions": ("patient_id", "id"),
    "patient_profiles": ("patient_id", "id"),
    "providers": ("npi_number", "id"),
    "appointments": ("id",),
    "medical_records": ("id",),
    "insurance_claims": ("claim_number", "id"),
}


def key_of(entity: str, row: Any) -> object:
    """The business key a violation names the row by (patient_id, npi_number, claim number, id)."""
    for column in KEYS.get(entity, ("id",)):
        value = field_of(row, column)
        if value:
            return value
    return None


def check(
    entity: str,
    row: Any,
    names: Iterable[str] | None = None,
    *,
    today: date | None = None,
    **context: Any,
) -> list[Violation]:
    """Run rules (``names``, else every rule of ``entity``) on one row; context as the rules need it.

    Patient rules read ``persona``/``age``/``payer`` from ``context``; when not given they are
    derived from the row (age needs ``today``).
    """
    chosen = rules_for(entity, names)
    if entity == "patients" and today is not None:
        context = {**patients.patient_context(row, today, context.get("persona")), **context}
    elif entity == "patients":
        context = {"payer": patients.payer_of(row), **context}
    return evaluate(chosen, Subject(entity, row, key_of(entity, row), today, context))


__all__ = [
    "KEYS",
    "RULES",
    "Finding",
    "Rule",
    "Subject",
    "appointments",
    "check",
    "claims",
    "common",
    "declared",
    "groups",
    "journeys",
    "evaluate",
    "evaluate_given",
    "field_of",
    "key_of",
    "patients",
    "providers",
    "records",
    "rules_for",
]
