"""Appointment rows: a type the provider's specialty allows, a conflict-free slot.

``draft_appointment`` books the slot in the :class:`~healthcare_data.scheduling.Scheduler`
it is given (the caller owns the calendars: one per bulk run, or one loaded from the
database per create), so two drafts can never double-book a provider.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from healthcare_data.columns import APPOINTMENT_STATUSES  # noqa: F401 - re-exported
from healthcare_data.dates import age_on
from healthcare_data.errors import BusinessRuleViolation, SchedulingConflictError, UnknownNameError
from healthcare_data.personas import PatientPersona
from healthcare_data.randomness import Randomness
from healthcare_data.reference import APPOINTMENT_TYPES, SPECIALTIES, VISIT_OUTCOMES, VisitOutcomes
from healthcare_data.rows import fast_uuid4
from healthcare_data.rows.providers import VIRTUAL_PRACTICE, business_error, is_virtual
from healthcare_data.rulebook import field_of
from healthcare_data.rules import declared
from healthcare_data.rules.appointments import TELEMEDICINE_TYPE, TYPE_ALLOWED_FOR_SPECIALTY
from healthcare_data.scheduling import (
    Scheduler,
    SchedulingConstraint,
    as_datetime,
    preference_levels,
    recurrence_note,
    resolve_constraints,
    specialties_allowing,
)

APPOINTMENT_COLUMNS: tuple[str, ...] = (
    "id", "uuid", "patient_id", "provider_id", "appointment_date", "duration_minutes",
    "appointment_type", "status", "notes", "created_at", "visit_mode", "tenant_id",
)

# Short visit reasons per appointment-type category (fixed text: no Faker per row).
_REASONS: dict[str, tuple[str, ...]] = {
    "preventive": ("routine preventive care", "screening per age guidelines", "scheduled prevention"),
    "intake": ("establish care", "transfer of care", "new patient intake"),
    "follow_up": ("review of treatment plan", "medication review", "check on progress"),
    "consult": ("referral for evaluation", "second opinion", "specialist assessment"),
    "acute": ("new symptoms", "acute complaint", "same-week concern"),
    "procedure": ("planned procedure", "scheduled diagnostic study", "ordered by referring provider"),
}


_ONE_DAY = timedelta(days=1)


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
            "appointments", key, "appointment_type", TYPE_ALLOWED_FOR_SPECIALTY.name,
            f"Appointment type {appointment_type!r} is not offered by specialty {specialty!r}",
            f"book it with a provider of: {', '.join(fitting)}; or choose one of "
            f"{', '.join(spec.appointment_types)}",
        )


# Bookings are recorded this long before the visit (or today, for visits still ahead).
BOOKING_LEAD = timedelta(days=14)


@dataclass(frozen=True)
class _Kind:
    """What a draft needs of an appointment type, looked up once per type."""

    duration: int
    telemedicine_allowed: bool
    reasons: tuple[str, ...]


@cache
def _kind(appointment_type: str) -> _Kind:
    kind = APPOINTMENT_TYPES.get(appointment_type)
    return _Kind(
        kind.duration_minutes,
        kind.telemedicine_allowed,
        _REASONS.get(kind.category, _REASONS["follow_up"]),
    )


@dataclass(frozen=True)
class _Constraints:
    """Resolved constraints plus what the draft derives from them (telemedicine, notes tail)."""

    cons: tuple[SchedulingConstraint, ...]
    telemedicine: bool
    suffix: str


def _constraints(constraints: str | Iterable[str | SchedulingConstraint]) -> _Constraints:
    """Resolve once per distinct argument (names are registered once, so caching is safe)."""
    key = constraints if isinstance(constraints, str | tuple) else None
    if key is not None:
        try:
            found = _CONSTRAINT_CACHE.get(key)
        except TypeError:  # a tuple holding something unhashable: resolve (and fail) normally
            found, key = None, None
        if found is not None:
            return found
    cons = resolve_constraints(constraints)
    suffix = f"; preferences: {', '.join(c.name for c in cons)}" if cons else ""
    for constraint in cons:
        if constraint.interval_weeks is not None:
            suffix += f"; {recurrence_note(constraint.interval_weeks)}"
    found = _Constraints(cons, any(c.visit_mode == "telemedicine" for c in cons), suffix)
    if key is not None and len(_CONSTRAINT_CACHE) < 4096:
        _CONSTRAINT_CACHE[key] = found
    return found


_CONSTRAINT_CACHE: dict[Any, _Constraints] = {}


def _is_virtual(provider: Any) -> bool:
    """``is_virtual`` without the walk over every practice type for a dict row."""
    if type(provider) is dict:
        name = provider.get("practice_name") or ""
        # Virtual Practice is the only practice type ending in these words (see reference).
        return name.endswith(_VIRTUAL_SUFFIX) or name == VIRTUAL_PRACTICE
    return is_virtual(provider)


_VIRTUAL_SUFFIX = " " + VIRTUAL_PRACTICE


@cache
def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def _birth_date(value: Any) -> date | None:
    if value is None or type(value) is date:
        return value
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _before_birth(serial: int, patient_id: Any, born: date, what: str) -> Exception:
    return business_error(
        "appointments", serial, "appointment_date", declared.AFTER_BIRTH.name,
        f"{what} lies before patient {patient_id}'s date of birth {born}",
        "book the visit on or after the date of birth (move the window start)",
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

    Never before the patient's date of birth: the window starts at the birth date when it
    would start earlier, and a window (or an explicit date) wholly before it raises
    BusinessRuleViolation (rule 'after_birth'). ``created_at`` is the booking time, set
    here so a rerun with the same seed is identical: 14 days before the visit, but never
    after midnight of ``rng.today``.
    """
    if explicit:
        unknown = [k for k in explicit if k not in APPOINTMENT_COLUMNS]
        if unknown:
            raise UnknownNameError("appointment column", unknown[0], APPOINTMENT_COLUMNS)
    resolved = _constraints(constraints)
    cons = resolved.cons
    patient_id: Any
    provider_id: Any
    specialty: Any
    if type(patient) is dict:
        patient_id = patient.get("id")
        born = _birth_date(patient.get("date_of_birth"))
        patient_tenant = patient.get("tenant_id")
    else:
        patient_id = field_of(patient, "id")
        born = _birth_date(field_of(patient, "date_of_birth"))
        patient_tenant = field_of(patient, "tenant_id")
    if type(provider) is dict:
        provider_id = provider.get("id")
        specialty = provider.get("specialty")
        provider_tenant = provider.get("tenant_id")
    else:
        provider_id = field_of(provider, "id")
        specialty = field_of(provider, "specialty")
        provider_tenant = field_of(provider, "tenant_id")
    telemedicine = resolved.telemedicine or _is_virtual(provider)
    today = rng.today
    rand = rng.random
    if appointment_type is None:
        age = None if born is None else age_on(born, today)
        pool = _type_pool(specialty, telemedicine, None if age is None else age < 18)
        if not pool:
            raise business_error(
                "appointments", serial, "appointment_type", TELEMEDICINE_TYPE.name,
                f"Specialty {specialty!r} offers no type that can be held by telemedicine",
                "drop the telemedicine constraint or book a telehealth-capable specialty",
            )
        appointment_type = pool[int(rand.random() * len(pool))]
    else:
        check_type_allowed(appointment_type, specialty, serial)
    kind = _kind(appointment_type)
    if telemedicine and not kind.telemedicine_allowed:
        capable = [n for n, t in APPOINTMENT_TYPES.items() if t.telemedicine_allowed]
        raise business_error(
            "appointments", serial, "visit_mode", TELEMEDICINE_TYPE.name,
            f"Appointment type {appointment_type!r} cannot be held by telemedicine",
            f"use one of {', '.join(capable)}; or book it in person",
        )
    duration = kind.duration
    blockers = ((patient_calendar, patient_id),) if patient_calendar is not None else ()
    if appointment_date is not None:
        start = as_datetime(appointment_date)
        if born is not None and start.date() < born:
            raise _before_birth(serial, patient_id, born, f"Appointment date {start:%Y-%m-%d %H:%M}")
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
        if isinstance(window_start, datetime):
            window_start = window_start.date()
        if born is not None:
            low = window_start or today + _ONE_DAY
            if low < born:
                skipped = (born - low).days
                if skipped >= window_days:
                    raise _before_birth(
                        serial, patient_id, born,
                        f"The whole booking window {low} + {window_days} days",
                    )
                window_start, window_days = born, window_days - skipped
        start = scheduler.find_resolved(
            provider_id, duration, cons, rand, today, window_start, window_days, previous, blockers
        )
        scheduler.occupy(provider_id, start, duration)
    if patient_calendar is not None:
        patient_calendar.occupy(patient_id, start, duration)
    reasons = kind.reasons
    notes = f"{appointment_type}: {reasons[int(rand.random() * len(reasons))]}{resolved.suffix}"
    today_midnight = _midnight(today)
    booked = start - BOOKING_LEAD
    row: dict[str, Any] = {
        "id": serial,
        "uuid": fast_uuid4(rand),
        "patient_id": patient_id,
        "provider_id": provider_id,
        "appointment_date": start,
        "duration_minutes": duration,
        "appointment_type": appointment_type,
        "status": "completed" if start < today_midnight else "scheduled",
        "notes": notes,
        "created_at": booked if booked < today_midnight else today_midnight,
        "visit_mode": "telemedicine" if telemedicine else "in_person",
        "tenant_id": provider_tenant or patient_tenant,
    }
    if explicit:
        row.update(explicit)
    return row


def outcome_shares(persona: PatientPersona) -> VisitOutcomes:
    """How ``persona``'s booked visits end: reference/visit_outcomes.toml's row for its
    ``appointment_compliance``."""
    return VISIT_OUTCOMES[persona.behavioral.appointment_compliance]


def visit_outcome(start: datetime, booked: datetime, today: date, shares: VisitOutcomes, draw: float) -> str:
    """The status on ``today`` of a visit at ``start`` booked at ``booked``, from one
    uniform ``draw`` in [0, 1).

    A past visit is 'cancelled' with ``shares.cancelled``, 'no_show' with
    ``shares.no_show``, else 'completed'. Cancellations are spread evenly over the
    booking lead, so a visit still ahead is 'cancelled' already with ``shares.cancelled``
    times the part of its lead that has passed, else 'scheduled' (never a no-show yet).
    The same draw orders the outcomes, so a smaller share only turns visits back into
    attended ones. ``draft_appointment`` gives every booking 'completed'/'scheduled';
    the bulk engine replaces that with this outcome.
    """
    midnight = _midnight(today)
    if start < midnight:
        if draw < shares.cancelled:
            return "cancelled"
        return "no_show" if draw < shares.cancelled + shares.no_show else "completed"
    lead = (start - booked).total_seconds()
    passed = (midnight - booked).total_seconds() / lead if lead > 0 else 0.0
    return "cancelled" if draw < shares.cancelled * passed else "scheduled"


def persona_of(patient: Any) -> str | None:
    """The persona recorded for a patient: a ``persona`` key, else its profile's (dict or ORM)."""
    found = field_of(patient, "persona")
    if found is None:
        profile = field_of(patient, "profile")
        found = None if profile is None else field_of(profile, "persona")
    return found


def book_appointment(
    rng: Randomness,
    serial: int,
    patient: Any,
    provider: Any,
    scheduler: Scheduler,
    *,
    persona: PatientPersona | str | None = None,
    constraints: str | Iterable[str | SchedulingConstraint] | None = None,
    patient_calendar: Scheduler | None = None,
    window_start: date | datetime | None = None,
    window_days: int = 182,
    levels: Sequence[tuple[str, ...]] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Book one appointment: THE booking path of the factories and the bulk engine.

    Which constraints: explicit ``constraints`` win (no fallback); otherwise the
    persona's scheduling preferences (``persona``, else the patient row's ``persona``),
    falling back level by level as :func:`scheduling.preference_levels` says when a
    calendar is full or the specialty has no fitting type; otherwise none. Day rules
    ('routine', 'urgent') apply when the window lies in the future. ``levels`` lets a
    caller that books many visits pass the precomputed levels. ``patient_calendar``
    (a Scheduler keyed by patient id) keeps the patient from being booked twice.
    The last level's error is raised when every level fails.
    """
    if constraints is not None:
        chosen: Sequence[Any] = (constraints,)
    elif options.get("appointment_date") is not None:
        chosen = ((),)  # an exact time asked for: preferences do not move it
    elif levels is not None:
        chosen = levels
    else:
        persona = persona if persona is not None else persona_of(patient)
        if persona is None:
            chosen = ((),)
        else:
            start = window_start.date() if isinstance(window_start, datetime) else window_start
            chosen = preference_levels(persona, start is None or start > rng.today)
    error: Exception | None = None
    for level in chosen:
        try:
            return draft_appointment(
                rng, serial, patient, provider, scheduler, constraints=level, window_start=window_start,
                window_days=window_days, patient_calendar=patient_calendar, **options,
            )
        except (SchedulingConflictError, BusinessRuleViolation) as exc:
            error = exc
    assert error is not None
    raise error
