"""Appointment rules: business hours, type/duration/specialty fit, visit mode.

Context: ``provider`` (the appointment's provider row) enables the specialty rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from healthcare_data.reference import APPOINTMENT_TYPES, SPECIALTIES
from healthcare_data.rulebook import Finding, Subject, field_of, rule
from healthcare_data.scheduling import BUSINESS_HOURS, VISIT_MODES, as_datetime, specialties_allowing
from healthcare_data.violations import BUSINESS, FORMAT


def _kind(subject: Subject) -> Any:
    name = subject.get("appointment_type")
    return APPOINTMENT_TYPES.get(name) if name in APPOINTMENT_TYPES else None


def _start(subject: Subject) -> Any:
    try:
        return as_datetime(subject.get("appointment_date"))
    except (TypeError, ValueError):
        return None


@rule(
    "type_known",
    "appointments",
    FORMAT,
    ("appointment_type",),
    "unknown appointment type {value!r}",
    "use one of: " + ", ".join(APPOINTMENT_TYPES.names()),
)
def _type_known(subject: Subject) -> Iterable[Finding]:
    """the appointment type is in reference/appointment_types.toml"""
    if _kind(subject) is None:
        yield Finding("appointment_type", {"value": subject.get("appointment_type")})


@rule(
    "date_format",
    "appointments",
    FORMAT,
    ("appointment_date",),
    "appointment_date {value!r} is not a date-time",
    "store an ISO date-time",
)
def _date_format(subject: Subject) -> Iterable[Finding]:
    """the appointment date is a date-time"""
    if _start(subject) is None:
        yield Finding("appointment_date", {"value": subject.get("appointment_date")})


@rule(
    "business_hours",
    "appointments",
    BUSINESS,
    ("appointment_date", "duration_minutes"),
    "{start:%a %Y-%m-%d %H:%M} + {duration} min (ends {end}) is outside business hours ({hours})",
    "move it with Scheduler.suggest_alternatives",
)
def _business_hours(subject: Subject) -> Iterable[Finding]:
    """the visit starts and ends inside business hours"""
    start, duration = _start(subject), subject.get("duration_minutes")
    if start is not None and isinstance(duration, int) and not BUSINESS_HOURS.contains(start, duration):
        end = start.hour * 60 + start.minute + duration
        values = {
            "start": start,
            "duration": duration,
            "end": f"{end // 60:02d}:{end % 60:02d}",
            "hours": BUSINESS_HOURS.describe(),
        }
        yield Finding("appointment_date", values)


@rule(
    "duration_matches_type",
    "appointments",
    BUSINESS,
    ("appointment_type", "duration_minutes"),
    "{kind} lasts {minutes} min, not {value!r}",
    "set duration_minutes to {minutes} (scheduling.appointment_duration)",
)
def _duration(subject: Subject) -> Iterable[Finding]:
    """the duration is the appointment type's"""
    kind = _kind(subject)
    duration = subject.get("duration_minutes")
    if kind is not None and duration != kind.duration_minutes:
        yield Finding(
            "duration_minutes", {"kind": kind.name, "minutes": kind.duration_minutes, "value": duration}
        )


@rule(
    "visit_mode_valid",
    "appointments",
    BUSINESS,
    ("visit_mode",),
    "visit_mode {value!r} is not one of " + ", ".join(VISIT_MODES),
    "use one of: " + ", ".join(VISIT_MODES),
)
def _mode(subject: Subject) -> Iterable[Finding]:
    """the visit mode is in person or telemedicine"""
    mode = subject.get("visit_mode") or "in_person"
    if mode not in VISIT_MODES:
        yield Finding("visit_mode", {"value": mode})


@rule(
    "telemedicine_type",
    "appointments",
    BUSINESS,
    ("visit_mode", "appointment_type"),
    "{value} cannot be held by telemedicine",
    "book it in person or use a telemedicine-capable type (Follow-up, Telehealth Visit, ...)",
)
def _telemedicine(subject: Subject) -> Iterable[Finding]:
    """a telemedicine visit has a type that can be held by video"""
    kind = _kind(subject)
    if subject.get("visit_mode") == "telemedicine" and kind is not None and not kind.telemedicine_allowed:
        yield Finding("visit_mode", {"value": kind.name})


@rule(
    "provider_matches",
    "appointments",
    BUSINESS,
    ("provider_id",),
    "appointment belongs to another provider",
    "pass the appointment's own provider",
)
def _provider_matches(subject: Subject) -> Iterable[Finding]:
    """the provider given is the appointment's own"""
    provider = subject.context.get("provider")
    if provider is None:
        return
    provider_id = field_of(provider, "id")
    if provider_id is not None and subject.get("provider_id") not in (None, provider_id):
        yield Finding("provider_id", {})


@rule(
    "type_allowed_for_specialty",
    "appointments",
    BUSINESS,
    ("appointment_type", "provider_id"),
    "{value!r} is not offered by specialty {specialty!r}",
    "book it with: {allowed}",
)
def _type_for_specialty(subject: Subject) -> Iterable[Finding]:
    """the provider's specialty offers the appointment type"""
    provider = subject.context.get("provider")
    kind = _kind(subject)
    if provider is None or kind is None:
        return
    specialty = field_of(provider, "specialty")
    if specialty in SPECIALTIES and not SPECIALTIES.get(specialty).allows(kind.name):
        allowed = ", ".join(specialties_allowing(kind.name))
        yield Finding("appointment_type", {"value": kind.name, "specialty": specialty, "allowed": allowed})


APPOINTMENT_ROW_RULES: tuple[str, ...] = (
    "type_known",
    "date_format",
    "business_hours",
    "duration_matches_type",
    "status_valid",
    "visit_mode_valid",
    "telemedicine_type",
    "provider_matches",
    "type_allowed_for_specialty",
)

# Rules the appointment draft refuses input by (names through the objects, not strings).
TYPE_ALLOWED_FOR_SPECIALTY = _type_for_specialty
TELEMEDICINE_TYPE = _telemedicine
