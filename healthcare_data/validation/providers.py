"""Row rules for providers: credentials (FORMAT), specialty and practice (BUSINESS),
contact safety (HIPAA). Pure functions of a row, so the whole-database validators and
the factories share them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from healthcare_data import fakes, identifiers
from healthcare_data.reference import PRACTICE_TYPES, SPECIALTIES, licence_format
from healthcare_data.rows.providers import (
    PROVIDER_STATUSES,
    allowed_practice_types,
    practice_location_of,
    practice_type_of,
)
from healthcare_data.validation.report import BUSINESS, FORMAT, HIPAA, Violation

UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
PHONE_FORMAT = re.compile(r"^(?:\(\d{3}\) |\d{3}-)?\d{3}-\d{4}$")


def field_of(row: Any, column: str) -> Any:
    """A column of a dict, Row or ORM object."""
    if isinstance(row, Mapping):
        return row.get(column)
    mapping = getattr(row, "_mapping", None)
    if mapping is not None:
        return mapping.get(column)
    return getattr(row, column, None)


@cache
def _zips_of(state: str) -> dict[str, str]:
    return {p.zip: p.city.lower() for p in fakes.places_in(state)}


def address_in_state(city: str | None, state: str | None, zip_code: str | None) -> bool:
    """Fast check that a ZIP is a real ZIP of ``state`` and belongs to ``city``."""
    if not (city and state and zip_code):
        return False
    known = _zips_of(state).get(zip_code)
    return known is not None and (known == city.lower() or fakes.address_is_consistent(city, state, zip_code))


def check_provider(provider: Any) -> list[Violation]:
    """Every rule a provider row must pass; an empty list means valid."""
    get = lambda column: field_of(provider, column)  # noqa: E731
    key = get("npi_number") or get("id")
    out: list[Violation] = []

    def add(field: str, rule: str, message: str, recovery: str, category: str) -> None:
        out.append(Violation("providers", key, field, rule, message, recovery, category))

    npi = get("npi_number")
    if not isinstance(npi, str) or not identifiers.NPI_PATTERN.match(npi):
        add("npi_number", "npi_format", f"NPI {npi!r} is not 10 digits starting with 1 or 2",
            "generate the NPI with identifiers.npi(serial)", FORMAT)
    elif not identifiers.is_valid_npi(npi):
        add("npi_number", "npi_check_digit",
            f"NPI {npi!r} has check digit {npi[9]}, expected {identifiers.npi_check_digit(npi[:9])} "
            "(Luhn over 80840 + first nine digits)",
            "recompute the last digit with identifiers.npi_check_digit", FORMAT)

    city, state, zip_code = practice_location_of(provider)
    licence = get("license_number")
    if licence is None:
        add("license_number", "licence_present", "provider has no licence number",
            "derive one with identifiers.licence_number(serial, state)", FORMAT)
    elif not identifiers.is_valid_licence_number(licence, state):
        where = f"state {state}" if state else "any known state"
        pattern = licence_format(state).pattern.pattern if state else "see reference/licences.toml"
        add("license_number", "licence_format",
            f"licence {licence!r} does not match the format of {where} ({pattern})",
            "derive it with identifiers.licence_number(serial, practice state)", FORMAT)

    uuid = get("uuid")
    if not isinstance(uuid, str) or not UUID_PATTERN.match(uuid):
        add("uuid", "uuid_format", f"uuid {uuid!r} is not a version-4 UUID", "use rng.uuid4()", FORMAT)

    for column in ("first_name", "last_name"):
        if not get(column):
            add(column, "required", f"{column} is empty", f"set a {column}", FORMAT)

    email = get("email")
    if email is not None:
        if not isinstance(email, str) or not fakes.EMAIL_PATTERN.match(email):
            add("email", "email_format", f"email {email!r} is not a valid address",
                "use dr.<lastname>.NN@example.org", FORMAT)
        elif not fakes.is_safe_email(email):
            add("email", "email_safe_domain",
                f"email {email!r} is on a deliverable domain (could reach a real person)",
                f"use a reserved domain: {', '.join(fakes.SAFE_EMAIL_DOMAINS)}", HIPAA)
    phone = get("phone")
    if phone is not None:
        if not isinstance(phone, str) or not PHONE_FORMAT.match(phone):
            add("phone", "phone_format", f"phone {phone!r} is not (AAA) NNN-NNNN",
                "use fakes.phone(rng, area_code)", FORMAT)
        elif not fakes.is_safe_phone(phone):
            add("phone", "phone_fictional_range",
                f"phone {phone!r} is outside the fictional 555-0100..0199 range",
                "use fakes.phone(rng, area_code)", HIPAA)

    specialty = get("specialty")
    if specialty not in SPECIALTIES:
        add("specialty", "specialty_known", f"unknown specialty {specialty!r}",
            f"use one of: {', '.join(SPECIALTIES.names())}", BUSINESS)
    else:
        kind = practice_type_of(provider)
        allowed = allowed_practice_types(specialty)
        if kind is None:
            add("practice_name", "practice_type_known",
                f"practice name {get('practice_name')!r} names no practice type",
                f"end it with one of: {', '.join(PRACTICE_TYPES)}", BUSINESS)
        elif kind not in allowed:
            add("practice_name", "practice_type_for_specialty",
                f"practice type {kind!r} does not fit specialty {specialty!r}",
                f"use one of: {', '.join(allowed)}", BUSINESS)
        if kind != "Virtual Practice" and kind is not None and not address_in_state(city, state, zip_code):
            add("practice_address", "practice_address_consistent",
                f"practice address {get('practice_address')!r} has no real city/state/ZIP",
                "draw it with fakes.place(rng, state)", BUSINESS)
    status = get("status")
    if status is not None and status not in PROVIDER_STATUSES:
        add("status", "status_valid", f"status {status!r} is not one of {PROVIDER_STATUSES}",
            f"use one of: {', '.join(PROVIDER_STATUSES)}", BUSINESS)
    return out
