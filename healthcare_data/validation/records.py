"""Row rules for medical records: real ICD-10-CM code, matching description, medications
consistent with the coded condition, age-appropriate preventive codes.
"""

from __future__ import annotations

from typing import Any

from healthcare_data.reference import CONDITION_BY_CODE, icd10_description, is_valid_icd10
from healthcare_data.rows.appointments import age_on
from healthcare_data.rows.records import MEDICATION_SEPARATOR, RECORD_TYPES, record_date_of
from healthcare_data.validation.providers import field_of
from healthcare_data.validation.report import BUSINESS, FORMAT, Violation


def check_medical_record(record: Any, patient: Any = None) -> list[Violation]:
    """Every rule a medical record row must pass; ``patient`` enables the age rules."""
    get = lambda column: field_of(record, column)  # noqa: E731
    key = get("id")
    out: list[Violation] = []

    def add(field: str, rule: str, message: str, recovery: str, category: str = BUSINESS) -> None:
        out.append(Violation("medical_records", key, field, rule, message, recovery, category))

    record_type = get("record_type")
    if record_type not in RECORD_TYPES:
        add("record_type", "record_type_valid", f"record type {record_type!r} is unknown",
            f"use one of: {', '.join(RECORD_TYPES)}", FORMAT)
    code = get("diagnosis_code")
    if code is None:
        return out
    if not isinstance(code, str) or not is_valid_icd10(code):
        add("diagnosis_code", "icd10_valid", f"{code!r} is not a billable ICD-10-CM code",
            "use a code from reference/conditions.toml", FORMAT)
        return out
    expected = icd10_description(code)
    if get("diagnosis_description") != expected:
        add("diagnosis_description", "icd10_description",
            f"description {get('diagnosis_description')!r} does not match {code} ({expected!r})",
            "use reference.icd10_description(code)")
    condition = CONDITION_BY_CODE.get(code)
    medications = get("medications")
    if condition is not None and medications:
        known = set(condition.medications)
        foreign = [m for m in str(medications).split(MEDICATION_SEPARATOR) if m not in known]
        if foreign:
            add("medications", "medications_match_condition",
                f"{', '.join(foreign)} not a treatment of {condition.name} ({code})",
                f"prescribe from: {', '.join(condition.medications) or 'nothing'}")
    if patient is not None and condition is not None:
        age = age_on(field_of(patient, "date_of_birth"), record_date_of(record))
        if age is not None and not condition.fits_age(age):
            add("diagnosis_code", "diagnosis_fits_age",
                f"{condition.name} ({code}) is implausible at age {age} "
                f"(expected {condition.min_age}-{condition.max_age})",
                "Z00.00 for adults, Z00.129 for children" if code in ("Z00.00", "Z00.129")
                else "choose a condition that fits the patient's age")
        if field_of(patient, "id") is not None and get("patient_id") != field_of(patient, "id"):
            add("patient_id", "patient_matches", "record belongs to another patient",
                "pass the record's own patient")
    return out
