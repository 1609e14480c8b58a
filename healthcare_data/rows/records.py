"""Medical record rows: what the visit found, coded with a real ICD-10-CM code.

The record type follows the appointment type: preventive exams are 'physical_exam'
(Z00.00 adults / Z00.129 children), vaccinations 'immunization' (Z23), everything else a
'progress_note' about one of the patient's conditions (or, when the patient has none
that fits, an acute condition plausible at the patient's age). Diagnosis description,
treatment notes and medications come from the same reference
:class:`~healthcare_data.reference.Condition`, so they are consistent by construction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import cache
from typing import Any

from healthcare_data.errors import UnknownNameError
from healthcare_data.randomness import Randomness
from healthcare_data.reference import CONDITION_BY_CODE, CONDITIONS, Condition, icd10_description
from healthcare_data.rows.appointments import age_on
from healthcare_data.scheduling import as_datetime

RECORD_COLUMNS: tuple[str, ...] = (
    "id", "uuid", "patient_id", "provider_id", "appointment_id", "record_type",
    "diagnosis_code", "diagnosis_description", "treatment_notes", "medications",
    "follow_up_required", "record_date",
)
RECORD_TYPES: tuple[str, ...] = ("physical_exam", "immunization", "progress_note")
MEDICATION_SEPARATOR = "; "

# Appointment type -> (record type, condition for adults, condition for children).
_PREVENTIVE: dict[str, tuple[str, str, str]] = {
    "Annual Physical": ("physical_exam", "General Adult Exam", "Well-Child Exam"),
    "Well-Child Visit": ("physical_exam", "General Adult Exam", "Well-Child Exam"),
    "Vaccination": ("immunization", "Routine Immunization", "Routine Immunization"),
}
ADULT_AGE = 18


def record_type_for(appointment_type: str) -> str:
    """The record type an appointment of ``appointment_type`` produces."""
    entry = _PREVENTIVE.get(appointment_type)
    return entry[0] if entry else "progress_note"


@cache
def _acute_pool(age: int) -> tuple[Condition, ...]:
    return tuple(
        c for _, c in CONDITIONS.items()
        if c.category in ("acute", "childhood") and not c.chronic and c.fits_age(age)
    )


def _condition_of(entry: Any) -> Condition | None:
    """A reference Condition from a name, a Condition, or a patient_conditions row."""
    if isinstance(entry, Condition):
        return entry
    if isinstance(entry, str):
        if entry in CONDITIONS:
            return CONDITIONS.get(entry)
        return CONDITION_BY_CODE.get(entry)
    get = entry.get if isinstance(entry, Mapping) else lambda k: getattr(entry, k, None)
    name = get("condition")
    if name in CONDITIONS:
        return CONDITIONS.get(name)
    return CONDITION_BY_CODE.get(get("icd10_code") or "")


def _value(row: Any, column: str) -> Any:
    if type(row) is dict:
        return row.get(column)
    if isinstance(row, Mapping):
        return row.get(column)
    return getattr(row, column, None)


def draft_medical_record(
    rng: Randomness,
    serial: int,
    patient: Any,
    conditions: Iterable[Any],
    provider: Any,
    appointment: Any,
    **explicit: Any,
) -> dict[str, Any]:
    """Every ``medical_records`` column for the visit ``appointment``.

    ``conditions``: the patient's history as names, Conditions or patient_conditions
    rows (unknown entries are ignored: they have no reference treatment).
    """
    unknown = [k for k in explicit if k not in RECORD_COLUMNS]
    if unknown:
        raise UnknownNameError("medical record column", unknown[0], RECORD_COLUMNS)
    visit = as_datetime(_value(appointment, "appointment_date"))
    appointment_type = _value(appointment, "appointment_type") or ""
    age = age_on(_value(patient, "date_of_birth"), visit.date())
    age = 40 if age is None else age
    preventive = _PREVENTIVE.get(appointment_type)
    medications: str | None
    if preventive is not None:
        record_type = preventive[0]
        condition = CONDITIONS.get(preventive[1] if age >= ADULT_AGE else preventive[2])
        medications = MEDICATION_SEPARATOR.join(condition.medications) or None
        chronic = [c for c in (_condition_of(e) for e in conditions) if c is not None and c.chronic]
        follow_up = bool(chronic) and rng.chance(0.5)
        notes = condition.treatment
        if chronic:
            notes += f" Chronic conditions reviewed: {', '.join(c.name for c in chronic)}."
    else:
        record_type = "progress_note"
        history = [
            c for c in (_condition_of(e) for e in conditions)
            if c is not None and c.category != "preventive" and c.fits_age(age)
        ]
        condition = rng.choice(history) if history else rng.choice(_acute_pool(age))
        count = 1 if len(condition.medications) < 2 or rng.chance(0.6) else 2
        medications = MEDICATION_SEPARATOR.join(condition.medications[:count]) or None
        follow_up = condition.chronic or rng.chance(0.3)
        notes = condition.treatment
    row: dict[str, Any] = {
        "id": serial,
        "uuid": rng.uuid4(),
        "patient_id": _value(appointment, "patient_id") or _value(patient, "id"),
        "provider_id": _value(appointment, "provider_id") or _value(provider, "id"),
        "appointment_id": _value(appointment, "id"),
        "record_type": record_type,
        "diagnosis_code": condition.icd10,
        "diagnosis_description": icd10_description(condition.icd10),
        "treatment_notes": notes,
        "medications": medications,
        "follow_up_required": follow_up,
        "record_date": visit,
    }
    row.update(explicit)
    return row


def record_date_of(record: Any) -> date:
    """The record's date (rows read back may hold a datetime or a string)."""
    value = _value(record, "record_date")
    return value.date() if isinstance(value, datetime) else as_datetime(value).date()
