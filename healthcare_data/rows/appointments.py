"""Appointment rows: a type the provider's specialty allows, a conflict-free slot.

``draft_appointment`` books the slot in the :class:`~healthcare_data.scheduling.Scheduler`
it is given (the caller owns the calendars: one per bulk run, or one loaded from the
database per create), so two drafts can never double-book a provider.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import cache
from typing import Any

from healthcare_data.errors import SchedulingConflictError, UnknownNameError
from healthcare_data.randomness import Randomness
from healthcare_data.reference import APPOINTMENT_TYPES, SPECIALTIES
from healthcare_data.rows.providers import business_error, is_virtual
from healthcare_data.scheduling import (
    Scheduler,
    SchedulingConstraint,
    as_datetime,
    recurrence_note,
    resolve_constraints,
    specialties_allowing,
)

APPOINTMENT_COLUMNS: tuple[str, ...] = (
    "id", "uuid", "patient_id", "provider_id", "appointment_date", "duration_minutes",
    "appointment_type", "status", "notes", "created_at", "visit_mode", "tenant_id",
)
APPOINTMENT_STATUSES: tuple[str, ...] = ("scheduled", "completed", "cancelled", "no_show")

# Short visit reasons per appointment-type category (fixed text: no Faker per row).
_REASONS: dict[str, tuple[str, ...]] = {
    "preventive": ("routine preventive care", "screening per age guidelines", "scheduled prevention"),
    "intake": ("establish care", "transfer of care", "new patient intake"),
    "follow_up": ("review of treatment plan", "medication review", "check on progress"),
    "consult": ("referral for evaluation", "second opinion", "specialist assessment"),
    "acute": ("new symptoms", "acute complaint", "same-week concern"),
    "procedure": ("planned procedure", "scheduled diagnostic study", "ordered by referring provider"),
}


def _value(row: Any, column: str) -> Any:
    if type(row) is dict:
        return row.get(column)
    if isinstance(row, Mapping):
        return row.get(column)
    return getattr(row, column, None)


def age_on(date_of_birth: Any, on: date) -> int | None:
    """Age in whole years on ``on`` (None when the birth date is unknown)."""
    if date_of_birth is None:
        return None
    born = date_of_birth if isinstance(date_of_birth, date) else date.fromisoformat(str(date_of_birth)[:10])
    if isinstance(born, datetime):
        born = born.date()
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@cache
def _type_pool(specialty: str, telemedicine: bool, child: bool | None) -> tuple[str, ...]:
    spec = SPECIALTIES.get(specialty)
    pool = []
    for name in spec.appointment_types:
        kind = APPOINTMENT_TYPES.get(name)
        if telemedicine and not kind.telemedicine_allowed:
            continue
        if child is False and name == "Well-Child Visit":
            continue
        pool.append(name)
    return tuple(pool)


def check_type_allowed(appointment_type: str, specialty: str, key: object = None) -> None:
    """Raise BusinessRuleViolation if ``specialty`` may not take ``appointment_type``."""
    APPOINTMENT_TYPES.get(appointment_type)  # UnknownNameError for a typo
    spec = SPECIALTIES.get(specialty)
    if not spec.allows(appointment_type):
        fitting = specialties_allowing(appointment_type)
        raise business_error(
            "appointments", key, "appointment_type", "type_allowed_for_specialty",
            f"Appointment type {appointment_type!r} is not offered by specialty {specialty!r}",
            f"book it with a provider of: {', '.join(fitting)}; or choose one of "
            f"{', '.join(spec.appointment_types)}",
        )


def draft_appointment(
    rng: Randomness,
    serial: int,
    patient: Any,
    provider: Any,
    scheduler: Scheduler,
    appointment_type: str | None = None,
    constraints: str | Iterable[str | SchedulingConstraint] = (),
    window_start: date | datetime | None = None,
    window_days: int = 182,
    previous: datetime | None = None,
    appointment_date: datetime | None = None,
    patient_calendar: Scheduler | None = None,
    **explicit: Any,
) -> dict[str, Any]:
    """Every ``appointments`` column; books the slot in ``scheduler``.

    ``appointment_date`` books that exact time (SchedulingConflictError with alternatives
    if taken or outside business hours); otherwise a slot satisfying ``constraints`` is
    drawn in the window. Past appointments are 'completed', future ones 'scheduled'.
    ``patient_calendar`` (a Scheduler keyed by patient id) keeps the patient from being
    booked twice at the same time as well.
    """
    unknown = [k for k in explicit if k not in APPOINTMENT_COLUMNS]
    if unknown:
        raise UnknownNameError("appointment column", unknown[0], APPOINTMENT_COLUMNS)
    cons = resolve_constraints(constraints)
    provider_id = _value(provider, "id")
    specialty = _value(provider, "specialty")
    telemedicine = is_virtual(provider) or any(c.visit_mode == "telemedicine" for c in cons)
    today = rng.today
    if appointment_type is None:
        age = age_on(_value(patient, "date_of_birth"), today)
        pool = _type_pool(specialty, telemedicine, None if age is None else age < 18)
        if not pool:
            raise business_error(
                "appointments", serial, "appointment_type", "telemedicine_type",
                f"Specialty {specialty!r} offers no type that can be held by telemedicine",
                "drop the telemedicine constraint or book a telehealth-capable specialty",
            )
        appointment_type = rng.choice(pool)
    else:
        check_type_allowed(appointment_type, specialty, serial)
    kind = APPOINTMENT_TYPES.get(appointment_type)
    if telemedicine and not kind.telemedicine_allowed:
        capable = [n for n, t in APPOINTMENT_TYPES.items() if t.telemedicine_allowed]
        raise business_error(
            "appointments", serial, "visit_mode", "telemedicine_type",
            f"Appointment type {appointment_type!r} cannot be held by telemedicine",
            f"use one of {', '.join(capable)}; or book it in person",
        )
    duration = kind.duration_minutes
    patient_id = _value(patient, "id")
    blockers = ((patient_calendar, patient_id),) if patient_calendar is not None else ()
    if appointment_date is not None:
        start = as_datetime(appointment_date)
        if (
            patient_calendar is not None
            and scheduler.is_free(provider_id, start, duration)
            and not patient_calendar.is_free(patient_id, start, duration)
        ):
            raise SchedulingConflictError(
                f"Patient {patient_id} already has an appointment at {start:%a %Y-%m-%d %H:%M}",
                scheduler.suggest_alternatives(provider_id, start, duration, blockers=blockers),
            )
        scheduler.book(provider_id, start, duration)
    else:
        start = scheduler.find_slot(
            provider_id, duration, cons, rng, window_start, window_days, previous, today, blockers
        )
        scheduler.occupy(provider_id, start, duration)
    if patient_calendar is not None:
        patient_calendar.occupy(patient_id, start, duration)
    notes = f"{appointment_type}: {rng.choice(_REASONS.get(kind.category, _REASONS['follow_up']))}"
    if cons:
        notes += f"; preferences: {', '.join(c.name for c in cons)}"
    for constraint in cons:
        if constraint.interval_weeks is not None:
            notes += f"; {recurrence_note(constraint.interval_weeks)}"
    row: dict[str, Any] = {
        "id": serial,
        "uuid": rng.uuid4(),
        "patient_id": patient_id,
        "provider_id": provider_id,
        "appointment_date": start,
        "duration_minutes": duration,
        "appointment_type": appointment_type,
        "status": "completed" if start.date() < today else "scheduled",
        "notes": notes,
        "visit_mode": "telemedicine" if telemedicine else "in_person",
        "tenant_id": _value(provider, "tenant_id") or _value(patient, "tenant_id"),
    }
    row.update(explicit)
    return row
