"""Row validator for providers: the rules of :mod:`healthcare_data.rules.providers` and
the shared contact rules, over one row (dict, Row or ORM object)."""

from __future__ import annotations

from typing import Any

from healthcare_data.rules import Subject, evaluate, field_of, key_of, rules_for
from healthcare_data.rules.providers import PROVIDER_ROW_RULES, address_in_state
from healthcare_data.violations import Violation

__all__ = ["address_in_state", "check_provider", "field_of"]

_RULES = rules_for("providers", PROVIDER_ROW_RULES)


def check_provider(provider: Any) -> list[Violation]:
    """Every rule a provider row must pass; an empty list means valid."""
    return evaluate(_RULES, Subject("providers", provider, key_of("providers", provider)))
