"""Row validator for patients, their medical history and their profile.

``check_patient`` returns violations, it never raises: the validation runner counts
them over a whole database, the ``PatientBuilder`` raises a typed error carrying them.
Every rule it runs is defined once in :mod:`healthcare_data.rules.patients` (and the
shared contact rules); this module only decides which rows and context they see.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any

from healthcare_data.personas import PERSONAS, PatientPersona, get_persona
from healthcare_data.rules import Subject, evaluate, rules_for
from healthcare_data.rules.patients import (
    CONDITION_RULES,
    DRAWN_PATIENT_COLUMNS,
    PATIENT_ROW_RULES,
    PERSONA_DEFAULT_RULES,
    PERSONA_RULES,
    PROFILE_RULES,
    age_recovery,
    icd10_is_valid,
    patient_context,
    persona_profile_defaults,
    personas_for_age,
)
from healthcare_data.violations import Violation

__all__ = [
    "DRAWN_PATIENT_COLUMNS",
    "age_recovery",
    "check_patient",
    "check_persona_defaults",
    "icd10_is_valid",
    "persona_profile_defaults",
    "personas_for_age",
]

_ROW = rules_for("patients", PATIENT_ROW_RULES)
_CONDITIONS = rules_for("patient_conditions", CONDITION_RULES)
_PERSONA = rules_for("patients", PERSONA_RULES)
_PERSONA_KNOWN = rules_for("patient_profiles", PROFILE_RULES)
_DEFAULTS = rules_for("patients", PERSONA_DEFAULT_RULES)


def check_patient(
    patient: Mapping[str, Any],
    conditions: Sequence[Mapping[str, Any]] = (),
    profile: Mapping[str, Any] | None = None,
    *,
    today: date,
    persona: PatientPersona | None = None,
) -> list[Violation]:
    """Every format, business and HIPAA rule a patient row (with history and profile) must meet.

    Persona rules use ``persona`` when given (e.g. a custom persona not in the registry),
    else the registered persona named in ``profile['persona']``.
    """
    key = patient.get("patient_id") or patient.get("id")
    chosen = persona
    persona_name = profile.get("persona") if profile is not None else None
    if chosen is None and persona_name in PERSONAS:
        chosen = PERSONAS.get(persona_name)
    context = patient_context(patient, today, chosen)
    context["profile"] = profile or {}
    out = evaluate(_ROW, Subject("patients", patient, key, today, context))
    for row in conditions:
        out.extend(evaluate(_CONDITIONS, Subject("patient_conditions", row, key, today, context)))
    if persona is None and profile is not None:
        out.extend(evaluate(_PERSONA_KNOWN, Subject("patient_profiles", profile, key, today, context)))
    if chosen is not None:
        out.extend(evaluate(_PERSONA, Subject("patients", patient, key, today, context)))
    return out


def check_persona_defaults(
    patient: Mapping[str, Any],
    profile: Mapping[str, Any] | None,
    persona: PatientPersona | str | None = None,
    explicit: Collection[tuple[str, str]] = (),
) -> list[Violation]:
    """Violations where a stored patient's unspecified fields do not follow its persona.

    ``persona`` defaults to the one recorded in ``profile``. ``explicit`` holds the
    ``(table, column)`` pairs the caller set on purpose (e.g. ``("patients", "email")``);
    those are not expected to carry the persona's default.
    """
    profile = profile or {}
    if persona is None:
        persona = profile.get("persona")
        if persona is None:
            raise ValueError("no persona given and the profile records none; pass persona=")
    context = {"persona": get_persona(persona), "explicit": frozenset(explicit), "profile": profile}
    return evaluate(_DEFAULTS, Subject("patients", patient, patient.get("patient_id"), None, context))
