"""The names analysts may write, read from the registries (``healthcare-data vocabulary``).

Each section is a list of rows for a table: personas, traits, specialties, appointment
types, characteristic tokens, scheduling constraints, validation rules and rule groups.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from healthcare_data.characteristics import CHARACTERISTICS, TOKEN_PATTERNS
from healthcare_data.personas import PERSONAS
from healthcare_data.reference import APPOINTMENT_TYPES, SPECIALTIES
from healthcare_data.rows.providers import TRAITS
from healthcare_data.rules import RULES
from healthcare_data.scheduling import CONSTRAINTS
from healthcare_data.validation.groups import BULK_CONSTRAINTS, GROUPS

Rows = list[dict[str, Any]]


def describe(item: Any) -> str:
    """An item's ``description``, else the first paragraph of its docstring, on one line."""
    text = getattr(item, "description", None) or (inspect.getdoc(item) or "").split("\n\n")[0]
    return " ".join(str(text).split())


def _personas() -> Rows:
    return [
        {
            "persona": name,
            "ages": "{}-{}".format(*p.age_range),
            "insured": "yes" if p.insured else "no",
            "description": p.description,
        }
        for name, p in PERSONAS.items()
    ]


def _specialties() -> Rows:
    return [
        {
            "specialty": name,
            "taxonomy": s.taxonomy,
            "primary care": "yes" if s.primary_care else "no",
            "appointment types": ", ".join(s.appointment_types),
        }
        for name, s in SPECIALTIES.items()
    ]


def _appointment_types() -> Rows:
    return [
        {
            "appointment type": name,
            "minutes": t.duration_minutes,
            "telemedicine": "yes" if t.telemedicine_allowed else "no",
            "category": t.category,
        }
        for name, t in APPOINTMENT_TYPES.items()
    ]


def _tokens() -> Rows:
    rows = [{"token": name, "description": describe(t)} for name, t in CHARACTERISTICS.items()]
    return rows + [{"token": p, "description": "pattern: any ages in the token"} for p in TOKEN_PATTERNS]


def rule_rows() -> Rows:
    """One row per registered rule: name, tables, category, fields read, meaning."""
    return [
        {
            "rule": name,
            "tables": ", ".join(r.entities),
            "category": r.category,
            "reads": ", ".join(r.fields),
            "meaning": r.describe(),
        }
        for name, r in RULES.items()
    ]


def group_rows() -> Rows:
    """One row per named rule group (workflow and bulk): its table and what checks it."""
    rows = [
        {"group": n, "used in": "workflow validation_rules", "table": g.entity, "checked by": g.checked_by}
        for n, g in GROUPS.items()
    ]
    rows += [
        {"group": n, "used in": "bulk constraints", "table": g.entity, "checked by": g.checked_by}
        for n, g in BULK_CONSTRAINTS.items()
    ]
    return rows


SECTIONS: dict[str, Callable[[], Rows]] = {
    "personas": _personas,
    "traits": lambda: [{"trait": name, "description": describe(t)} for name, t in TRAITS.items()],
    "specialties": _specialties,
    "appointment-types": _appointment_types,
    "tokens": _tokens,
    "constraints": lambda: [{"constraint": n, "description": describe(c)} for n, c in CONSTRAINTS.items()],
    "rules": rule_rows,
    "rule-groups": group_rows,
}
