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
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from healthcare_data.columns import MEDICATION_SEPARATOR, RECORD_TYPES, record_date_of  # noqa: F401 - re-exported
from healthcare_data.dates import age_or_none
from healthcare_data.errors import UnknownNameError
from healthcare_data.randomness import Randomness
from healthcare_data.reference import CONDITION_BY_CODE, CONDITIONS, Condition, icd10_description
from healthcare_data.rows import fast_uuid4
from healthcare_data.rulebook import field_of
from healthcare_data.scheduling import as_datetime

RECORD_COLUMNS: tuple[str, ...] = (
    "id", "uuid", "patient_id", "provider_id", "appointment_id", "record_type",
    "diagnosis_code", "diagnosis_description", "treatment_notes", "medications",
    "follow_up_required", "record_date",
)

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


_BY_NAME: dict[str, Condition] = {}


def _condition_of(entry: Any) -> Condition | None:
    """A reference Condition from a name, a Condition, or a patient_conditions row."""
    if type(entry) is Condition or isinstance(entry, Condition):
        return entry
    if isinstance(entry, str):
        found = _BY_NAME.get(entry)
        if found is not None:
            return found
        if entry in CONDITIONS:
            # Registries never re-register a name, so remembering the answer is safe.
            found = _BY_NAME[entry] = CONDITIONS.get(entry)
            return found
            return CONDITIONS.get(entry)
        return CONDITION_BY_CODE.get(entry)
    get = entry.get if isinstance(entry, Mapping) else lambda k: getattr(entry, k, None)
    name = get("condition")
    if name in CONDITIONS:
        return CONDITIONS.get(name)
    return CONDITION_BY_CODE.get(get("icd10_code") or "")


@dataclass(frozen=True)
class _Coded:
    """What a record copies from a Condition, computed once per condition."""

    condition: Condition
    description: str
    medications_one: str | None
    medications_all: str | None
    two_medications: bool


def _coded(condition: Condition) -> _Coded:
    """Cached by name; a Condition object not from the reference (same name, other
    content) is computed afresh, so a cache hit can never describe a different condition."""
    found = _CODED.get(condition.name)
    if found is not None and found.condition is condition:
        return found
    meds = condition.medications
    coded = _Coded(
        condition,
        icd10_description(condition.icd10),
        MEDICATION_SEPARATOR.join(meds[:1]) or None,
        MEDICATION_SEPARATOR.join(meds[:2]) or None,
        len(meds) >= 2,
    )
    if found is None:
        _CODED[condition.name] = coded
    return coded


_CODED: dict[str, _Coded] = {}


@cache
def _fallback_pool() -> tuple[Condition, ...]:
    """Any non-chronic acute condition: used only when no condition fits the age."""
    return tuple(c for _, c in CONDITIONS.items() if c.category in ("acute", "childhood") and not c.chronic)


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
    rows (unknown entries are ignored: they have no reference treatment). An age below
    0 (a visit dated before the birth date, which draft_appointment no longer books but
    old or hand-made rows may hold) is treated as age 0 rather than crashing the run.
    """
    if explicit:
        unknown = [k for k in explicit if k not in RECORD_COLUMNS]
        if unknown:
            raise UnknownNameError("medical record column", unknown[0], RECORD_COLUMNS)
    if type(appointment) is dict:
        visit = appointment.get("appointment_date")
        appointment_type = appointment.get("appointment_type") or ""
        patient_id = appointment.get("patient_id")
        provider_id = appointment.get("provider_id")
        appointment_id = appointment.get("id")
    else:
        visit = field_of(appointment, "appointment_date")
        appointment_type = field_of(appointment, "appointment_type") or ""
        patient_id = field_of(appointment, "patient_id")
        provider_id = field_of(appointment, "provider_id")
        appointment_id = field_of(appointment, "id")
    if type(visit) is not datetime:
        visit = as_datetime(visit)
    born = patient.get("date_of_birth") if type(patient) is dict else field_of(patient, "date_of_birth")
    if type(born) is date:  # the common case, without age_on's type dispatch
        age = visit.year - born.year - ((visit.month, visit.day) < (born.month, born.day))
    else:
        known = age_or_none(born, visit.date())
        age = 40 if known is None else known
    age = max(age, 0)
    rand = rng.random
    preventive = _PREVENTIVE.get(appointment_type)
    medications: str | None
    if preventive is not None:
        record_type = preventive[0]
        coded = _coded(CONDITIONS.get(preventive[1] if age >= ADULT_AGE else preventive[2]))
        condition = coded.condition
        medications = coded.medications_all
        chronic = [c for c in (_condition_of(e) for e in conditions) if c is not None and c.chronic]
        follow_up = bool(chronic) and rand.random() < 0.5
        notes = condition.treatment
        if chronic:
            notes += f" Chronic conditions reviewed: {', '.join(c.name for c in chronic)}."
    else:
        record_type = "progress_note"
        history = []
        for entry in conditions:
            c = entry if type(entry) is Condition else _condition_of(entry)
            if c is not None and c.category != "preventive" and c.min_age <= age <= c.max_age:
                history.append(c)
        pool = history or _acute_pool(age) or _fallback_pool()
        coded = _coded(pool[int(rand.random() * len(pool))])
        condition = coded.condition
        two = coded.two_medications and rand.random() >= 0.6
        medications = coded.medications_all if two else coded.medications_one
        follow_up = condition.chronic or rand.random() < 0.3
        notes = condition.treatment
    row: dict[str, Any] = {
        "id": serial,
        "uuid": fast_uuid4(rand),
        "patient_id": patient_id or field_of(patient, "id"),
        "provider_id": provider_id or field_of(provider, "id"),
        "appointment_id": appointment_id,
        "record_type": record_type,
        "diagnosis_code": condition.icd10,
        "diagnosis_description": coded.description,
        "treatment_notes": notes,
        "medications": medications,
        "follow_up_required": follow_up,
        "record_date": visit,
    }
    if explicit:
        row.update(explicit)
    return row
