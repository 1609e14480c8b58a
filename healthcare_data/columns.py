"""What rows hold and how to read it back: statuses, record types, practice types, places.

A leaf of the package: the row drafts (:mod:`healthcare_data.rows`) write these values
and the rules (:mod:`healthcare_data.rules`) read them, so both import them from here
and the rules never need the drafts.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from healthcare_data import fakes
from healthcare_data.reference import (
    PRACTICE_TYPES,
    SPECIALTIES,
    TELEHEALTH_VISIT,
    VIRTUAL_PRACTICE,
    Specialty,
)
from healthcare_data.rulebook import field_of
from healthcare_data.scheduling import as_datetime

PATIENT_STATUSES: tuple[str, ...] = ("active", "inactive", "deceased")
PROVIDER_STATUSES: tuple[str, ...] = ("active", "inactive", "retired", "suspended")
APPOINTMENT_STATUSES: tuple[str, ...] = ("scheduled", "completed", "cancelled", "no_show")
CLAIM_STATUSES: tuple[str, ...] = ("submitted", "processed", "paid", "denied")
PROCESSED_STATUSES = frozenset({"processed", "paid", "denied"})
RECORD_TYPES: tuple[str, ...] = ("physical_exam", "immunization", "progress_note")
MEDICATION_SEPARATOR = "; "
TELEHEALTH_TYPE = TELEHEALTH_VISIT


# --- places the generator draws ----------------------------------------------------------

_PLACE_BY_ZIP: dict[str, fakes.Place] = {}
_PLACES_BY_CITY: dict[str, list[fakes.Place]] = {}


def _index_places() -> None:
    """Index every place the generator can draw by ZIP and by city (once, about half a second)."""
    if _PLACE_BY_ZIP:
        return
    for state in fakes.STATES.options:
        for p in fakes.places_in(state):
            _PLACE_BY_ZIP[p.zip] = p
            _PLACES_BY_CITY.setdefault(p.city.lower(), []).append(p)


def place_for_zip(zip_code: str) -> fakes.Place | None:
    """The place of a ZIP code: the generator's own places first, then the full ZIP database."""
    _index_places()
    return _PLACE_BY_ZIP.get(zip_code) or fakes.place_for_zip(zip_code)


def places_named(city: str) -> list[fakes.Place]:
    """Every generated place whose city is ``city`` (case-insensitive), in any state."""
    _index_places()
    return _PLACES_BY_CITY.get(city.lower(), [])



# --- a provider row read back ------------------------------------------------------------

def allowed_practice_types(specialty: str | Specialty) -> tuple[str, ...]:
    """Practice types fitting ``specialty`` (derived from its cited evidence in the reference loader)."""
    spec = SPECIALTIES.get(specialty) if isinstance(specialty, str) else specialty
    return spec.allowed_practice_types


_PRACTICE_TYPES_LONGEST_FIRST = sorted(PRACTICE_TYPES, key=len, reverse=True)
_ADDRESS_TAIL = re.compile(r",\s*([^,]+),\s*([A-Z]{2})\s+(\d{5})$")
_VIRTUAL_STATE = re.compile(r"licensed in ([A-Z]{2})\)")


def practice_type_of(provider: Any) -> str | None:
    """The practice type a provider row was drafted with (from the practice name suffix)."""
    name = field_of(provider, "practice_name") or ""
    for kind in _PRACTICE_TYPES_LONGEST_FIRST:
        if name.endswith(" " + kind) or name == kind:
            return kind
    return None


def practice_location_of(provider: Any) -> tuple[str | None, str | None, str | None]:
    """(city, state, zip) of the practice address; (None, state, None) for virtual care."""
    address = field_of(provider, "practice_address") or ""
    match = _ADDRESS_TAIL.search(address)
    if match:
        return match.group(1).strip(), match.group(2), match.group(3)
    virtual = _VIRTUAL_STATE.search(address)
    if virtual:
        return None, virtual.group(1), None
    return None, None, None


def practice_state_of(provider: Any) -> str | None:
    """The state of the practice (the license state)."""
    return practice_location_of(provider)[1]


def is_virtual(provider: Any) -> bool:
    """True for a provider who sees patients by telemedicine only."""
    return practice_type_of(provider) == VIRTUAL_PRACTICE


def offers_telemedicine(provider: Any) -> bool:
    """True when the provider can hold video visits (virtual practice or telehealth specialty)."""
    if is_virtual(provider):
        return True
    specialty = field_of(provider, "specialty")
    return specialty in SPECIALTIES and SPECIALTIES.get(specialty).telehealth



# --- a record row read back --------------------------------------------------------------


def record_date_of(record: Any) -> date:
    """The record's date (rows read back may hold a datetime or a string)."""
    value = field_of(record, "record_date")
    return value.date() if isinstance(value, datetime) else as_datetime(value).date()
