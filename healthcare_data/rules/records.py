"""Medical record rules: record type, ICD-10-CM code and description, medications, age.

The code's validity is the shared ``icd10_valid`` rule (:mod:`healthcare_data.rules.patients`).
Context: ``patient`` (the record's patient row) enables the age and ownership rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from healthcare_data.columns import MEDICATION_SEPARATOR, RECORD_TYPES, record_date_of
from healthcare_data.dates import age_or_none
from healthcare_data.reference import CONDITION_BY_CODE, icd10_description
from healthcare_data.rulebook import Finding, Subject, field_of, field_rule, rule
from healthcare_data.rules.patients import icd10_is_valid
from healthcare_data.violations import BUSINESS, FORMAT


def _code(subject: Subject) -> str | None:
    """The record's diagnosis code when it is a valid ICD-10-CM code (else None)."""
    code = subject.get("diagnosis_code")
    return code if isinstance(code, str) and icd10_is_valid(code) else None


def _condition(subject: Subject) -> Any:
    code = _code(subject)
    return None if code is None else CONDITION_BY_CODE.get(code)


field_rule(
    "record_type_valid",
    "medical_records",
    FORMAT,
    ("record_type",),
    lambda v: v in RECORD_TYPES,
    "record type {value!r} is unknown",
    "use one of: " + ", ".join(RECORD_TYPES),
    "record type is one of " + ", ".join(RECORD_TYPES),
    optional=False,
)


@rule(
    "icd10_description",
    "medical_records",
    BUSINESS,
    ("diagnosis_code", "diagnosis_description"),
    "description {value!r} does not match {code} ({expected!r})",
    "use reference.icd10_description(code)",
)
def _description(subject: Subject) -> Iterable[Finding]:
    """the description is the code's official ICD-10-CM description"""
    code = _code(subject)
    if code is None:
        return
    expected = icd10_description(code)
    if subject.get("diagnosis_description") != expected:
        yield Finding(
            "diagnosis_description",
            {"value": subject.get("diagnosis_description"), "code": code, "expected": expected},
        )


@rule(
    "medications_match_condition",
    "medical_records",
    BUSINESS,
    ("diagnosis_code", "medications"),
    "{foreign} not a treatment of {condition} ({code})",
    "prescribe from: {allowed}",
)
def _medications(subject: Subject) -> Iterable[Finding]:
    """medications are treatments of the coded condition"""
    condition, medications = _condition(subject), subject.get("medications")
    if condition is None or not medications:
        return
    known = set(condition.medications)
    foreign = [m for m in str(medications).split(MEDICATION_SEPARATOR) if m not in known]
    if foreign:
        yield Finding(
            "medications",
            {
                "foreign": ", ".join(foreign),
                "condition": condition.name,
                "code": condition.icd10,
                "allowed": ", ".join(condition.medications) or "nothing",
            },
        )


@rule(
    "diagnosis_fits_age",
    "medical_records",
    BUSINESS,
    ("diagnosis_code", "patient_id"),
    "{condition} ({code}) is implausible at age {age} (expected {low}-{high})",
    "{advice}",
)
def _fits_age(subject: Subject) -> Iterable[Finding]:
    """the diagnosis is plausible at the patient's age on the record date"""
    patient, condition = subject.context.get("patient"), _condition(subject)
    if patient is None or condition is None:
        return
    age = age_or_none(field_of(patient, "date_of_birth"), record_date_of(subject.row))
    if age is not None and not condition.fits_age(age):
        code = condition.icd10
        advice = (
            "Z00.00 for adults, Z00.129 for children"
            if code in ("Z00.00", "Z00.129")
            else "choose a condition that fits the patient's age"
        )
        yield Finding(
            "diagnosis_code",
            {
                "condition": condition.name,
                "code": code,
                "age": age,
                "low": condition.min_age,
                "high": condition.max_age,
                "advice": advice,
            },
        )


@rule(
    "patient_matches",
    "medical_records",
    BUSINESS,
    ("patient_id",),
    "record belongs to another patient",
    "pass the record's own patient",
)
def _patient_matches(subject: Subject) -> Iterable[Finding]:
    """the patient given is the record's own"""
    patient = subject.context.get("patient")
    if patient is None or _condition(subject) is None:
        return
    if field_of(patient, "id") is not None and subject.get("patient_id") != field_of(patient, "id"):
        yield Finding("patient_id", {})


RECORD_ROW_RULES: tuple[str, ...] = (
    "record_type_valid",
    "icd10_valid",
    "icd10_description",
    "medications_match_condition",
    "diagnosis_fits_age",
    "patient_matches",
)
