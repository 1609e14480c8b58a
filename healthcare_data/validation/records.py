"""Row validator for medical records (rules in :mod:`healthcare_data.rules.records`)."""

from __future__ import annotations

from typing import Any

from healthcare_data.rules import Subject, evaluate, field_of, rules_for
from healthcare_data.rules.records import RECORD_ROW_RULES
from healthcare_data.violations import Violation

_RULES = rules_for("medical_records", RECORD_ROW_RULES)


def check_medical_record(record: Any, patient: Any = None) -> list[Violation]:
    """Every rule a medical record row must pass; ``patient`` enables the age rules."""
    return evaluate(
        _RULES, Subject("medical_records", record, field_of(record, "id"), context={"patient": patient})
    )
