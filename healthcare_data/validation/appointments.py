"""Row validator for appointments (rules in :mod:`healthcare_data.rules.appointments`)."""

from __future__ import annotations

from typing import Any

from healthcare_data.rules import Subject, evaluate, field_of, rules_for
from healthcare_data.rules.appointments import APPOINTMENT_ROW_RULES
from healthcare_data.violations import Violation

_RULES = rules_for("appointments", APPOINTMENT_ROW_RULES)


def check_appointment(appointment: Any, provider: Any = None) -> list[Violation]:
    """Every rule an appointment row must pass; ``provider`` enables the specialty rule."""
    subject = Subject(
        "appointments", appointment, field_of(appointment, "id"), context={"provider": provider}
    )
    return evaluate(_RULES, subject)
