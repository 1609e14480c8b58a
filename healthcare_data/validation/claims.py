"""Row validator for insurance claims (rules in :mod:`healthcare_data.rules.claims`)."""

from __future__ import annotations

from typing import Any

from healthcare_data.rules import Subject, evaluate, key_of, rules_for
from healthcare_data.rules.claims import CLAIM_ROW_RULES
from healthcare_data.violations import Violation

_RULES = rules_for("insurance_claims", CLAIM_ROW_RULES)


def check_claim(claim: Any, appointment: Any = None) -> list[Violation]:
    """Every rule a claim row must pass; ``appointment`` adds 'submitted after the visit'."""
    subject = Subject(
        "insurance_claims", claim, key_of("insurance_claims", claim), context={"appointment": appointment}
    )
    return evaluate(_RULES, subject)
