"""Row rules for appointments: business hours, type/duration/specialty fit, status and
visit mode. Pure functions of a row (plus the provider row when available).
"""

from __future__ import annotations

from typing import Any

from healthcare_data.reference import APPOINTMENT_TYPES, SPECIALTIES
from healthcare_data.rows.appointments import APPOINTMENT_STATUSES
from healthcare_data.scheduling import BUSINESS_HOURS, VISIT_MODES, as_datetime, specialties_allowing
from healthcare_data.validation.providers import field_of
from healthcare_data.validation.report import BUSINESS, FORMAT, Violation


def check_appointment(appointment: Any, provider: Any = None) -> list[Violation]:
    """Every rule an appointment row must pass; ``provider`` enables the specialty rule."""
    get = lambda column: field_of(appointment, column)  # noqa: E731
    key = get("id")
    out: list[Violation] = []

    def add(field: str, rule: str, message: str, recovery: str, category: str = BUSINESS) -> None:
        out.append(Violation("appointments", key, field, rule, message, recovery, category))

    kind_name = get("appointment_type")
    kind = APPOINTMENT_TYPES.get(kind_name) if kind_name in APPOINTMENT_TYPES else None
    if kind is None:
        add("appointment_type", "type_known", f"unknown appointment type {kind_name!r}",
            f"use one of: {', '.join(APPOINTMENT_TYPES.names())}", FORMAT)
    duration = get("duration_minutes")
    raw_start = get("appointment_date")
    try:
        start = as_datetime(raw_start)
    except (TypeError, ValueError):
        start = None
        add("appointment_date", "date_format", f"appointment_date {raw_start!r} is not a date-time",
            "store an ISO date-time", FORMAT)
    if start is not None and isinstance(duration, int) and not BUSINESS_HOURS.contains(start, duration):
        end = start.hour * 60 + start.minute + duration
        add("appointment_date", "business_hours",
            f"{start:%a %Y-%m-%d %H:%M} + {duration} min (ends {end // 60:02d}:{end % 60:02d}) is "
            f"outside business hours ({BUSINESS_HOURS.describe()})",
            "move it with Scheduler.suggest_alternatives")
    if kind is not None and duration != kind.duration_minutes:
        add("duration_minutes", "duration_matches_type",
            f"{kind_name} lasts {kind.duration_minutes} min, not {duration!r}",
            f"set duration_minutes to {kind.duration_minutes} (scheduling.appointment_duration)")
    status = get("status")
    if status not in APPOINTMENT_STATUSES:
        add("status", "status_valid", f"status {status!r} is not one of {APPOINTMENT_STATUSES}",
            f"use one of: {', '.join(APPOINTMENT_STATUSES)}")
    mode = get("visit_mode") or "in_person"
    if mode not in VISIT_MODES:
        add("visit_mode", "visit_mode_valid", f"visit_mode {mode!r} is not one of {VISIT_MODES}",
            f"use one of: {', '.join(VISIT_MODES)}")
    elif mode == "telemedicine" and kind is not None and not kind.telemedicine_allowed:
        add("visit_mode", "telemedicine_type", f"{kind_name} cannot be held by telemedicine",
            "book it in person or use a telemedicine-capable type (Follow-up, Telehealth Visit, ...)")
    if provider is not None:
        provider_id = field_of(provider, "id")
        if provider_id is not None and get("provider_id") not in (None, provider_id):
            add("provider_id", "provider_matches", "appointment belongs to another provider",
                "pass the appointment's own provider")
        specialty = field_of(provider, "specialty")
        if kind is not None and specialty in SPECIALTIES and not SPECIALTIES.get(specialty).allows(kind_name):
            add("appointment_type", "type_allowed_for_specialty",
                f"{kind_name!r} is not offered by specialty {specialty!r}",
                f"book it with: {', '.join(specialties_allowing(kind_name))}")
    return out
