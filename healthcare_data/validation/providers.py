"""Row validator for providers: the rules of :mod:`healthcare_data.rules.providers` and
the shared contact rules, over one row (dict, Row or ORM object)."""

from __future__ import annotations

from typing import Any

from healthcare_data.rows.providers import practice_type_of, provider_trait_violations
from healthcare_data.rules import Subject, evaluate, field_of, key_of, rules_for
from healthcare_data.rules.providers import PROVIDER_ROW_RULES, address_in_state
from healthcare_data.violations import Violation

__all__ = [
    "address_in_state",
    "check_provider",
    "contact_violations",
    "field_of",
    "unmet_provider_request",
]

_RULES = rules_for("providers", PROVIDER_ROW_RULES)


def contact_violations(provider: Any) -> list[Violation]:
    """The contact rules (phone, e-mail formats and safety) of a stored provider."""
    return [v for v in check_provider(provider) if v.field in ("phone", "email")]


def unmet_provider_request(
    provider: Any, specialty: str, traits: Any = (), practice_type: str | None = None
) -> list[dict[str, Any]]:
    """Rows naming how a stored provider differs from what was asked: specialty, practice type
    (read from the practice name), the traits' demands (provider_trait_violations) and the
    practice rules of check_provider. Empty when it fits."""
    problems = [v.message for v in provider_trait_violations(provider, traits)]
    problems += [
        v.message
        for v in check_provider(provider)
        if v.field in ("specialty", "practice_name", "practice_address")
    ]
    if field_of(provider, "specialty") != specialty:
        problems.append(f"specialty {field_of(provider, 'specialty')!r} != requested {specialty!r}")
    kind = practice_type_of(provider)
    if practice_type and kind != practice_type:
        problems.append(f"practice type {kind!r} != requested {practice_type!r}")
    if not problems:
        return []
    return [
        {
            "id": field_of(provider, "id"),
            "specialty": field_of(provider, "specialty"),
            "practice_name": field_of(provider, "practice_name"),
            "problems": "; ".join(problems),
        }
    ]


def check_provider(provider: Any) -> list[Violation]:
    """Every rule a provider row must pass; an empty list means valid."""
    return evaluate(_RULES, Subject("providers", provider, key_of("providers", provider)))
