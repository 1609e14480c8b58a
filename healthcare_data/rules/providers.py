"""Provider rules: credentials (FORMAT), specialty and practice (BUSINESS).

Contact rules (phone, e-mail) are the shared ones of :mod:`healthcare_data.rules.common`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from healthcare_data import fakes, identifiers
from healthcare_data.columns import (
    VIRTUAL_PRACTICE,
    allowed_practice_types,
    practice_location_of,
    practice_type_of,
)
from healthcare_data.reference import PRACTICE_TYPES, SPECIALTIES, license_format
from healthcare_data.rulebook import Finding, Subject, rule
from healthcare_data.violations import BUSINESS, FORMAT


@cache
def _zips_of(state: str) -> dict[str, str]:
    return {p.zip: p.city.lower() for p in fakes.places_in(state)}


def address_in_state(city: str | None, state: str | None, zip_code: str | None) -> bool:
    """Fast check that a ZIP is a real ZIP of ``state`` and belongs to ``city``."""
    if not (city and state and zip_code):
        return False
    known = _zips_of(state).get(zip_code)
    return known is not None and (known == city.lower() or fakes.address_is_consistent(city, state, zip_code))


@rule(
    "npi_format",
    "providers",
    FORMAT,
    ("npi_number",),
    "NPI {value!r} is not 10 digits starting with 1 or 2",
    "generate the NPI with identifiers.npi(serial)",
)
def _npi_format(subject: Subject) -> Iterable[Finding]:
    """NPI is 10 digits starting with 1 or 2"""
    npi = subject.get("npi_number")
    if not isinstance(npi, str) or not identifiers.NPI_PATTERN.match(npi):
        yield Finding("npi_number", {"value": npi})


@rule(
    "npi_check_digit",
    "providers",
    FORMAT,
    ("npi_number",),
    "NPI {value!r} has check digit {digit}, expected {expected} (Luhn over 80840 + first nine digits)",
    "recompute the last digit with identifiers.npi_check_digit",
)
def _npi_digit(subject: Subject) -> Iterable[Finding]:
    """NPI check digit (Luhn over 80840 + the first nine digits)"""
    npi = subject.get("npi_number")
    if isinstance(npi, str) and identifiers.NPI_PATTERN.match(npi) and not identifiers.is_valid_npi(npi):
        yield Finding(
            "npi_number", {"value": npi, "digit": npi[9], "expected": identifiers.npi_check_digit(npi[:9])}
        )


@rule(
    "license_present",
    "providers",
    FORMAT,
    ("license_number",),
    "provider has no license number",
    "derive one with identifiers.license_number(serial, state)",
)
def _license_present(subject: Subject) -> Iterable[Finding]:
    """the provider has a license number"""
    if subject.get("license_number") is None:
        yield Finding("license_number", {})


@rule(
    "license_format",
    "providers",
    FORMAT,
    ("license_number", "practice_address"),
    "license {value!r} does not match the format of {where} ({pattern})",
    "derive it with identifiers.license_number(serial, practice state)",
)
def _license_format(subject: Subject) -> Iterable[Finding]:
    """the license number has the format of the practice state"""
    license = subject.get("license_number")
    state = practice_location_of(subject.row)[1]
    if license is not None and not identifiers.is_valid_license_number(license, state):
        where = f"state {state}" if state else "any known state"
        pattern = license_format(state).pattern.pattern if state else "see reference/licenses.toml"
        yield Finding("license_number", {"value": license, "where": where, "pattern": pattern})


@rule(
    "specialty_known",
    "providers",
    BUSINESS,
    ("specialty",),
    "unknown specialty {value!r}",
    "use one of: " + ", ".join(SPECIALTIES.names()),
)
def _specialty_known(subject: Subject) -> Iterable[Finding]:
    """the specialty is in reference/specialties.toml"""
    if subject.get("specialty") not in SPECIALTIES:
        yield Finding("specialty", {"value": subject.get("specialty")})


@rule(
    "practice_type_known",
    "providers",
    BUSINESS,
    ("practice_name",),
    "practice name {value!r} names no practice type",
    "end it with one of: " + ", ".join(PRACTICE_TYPES),
)
def _practice_known(subject: Subject) -> Iterable[Finding]:
    """the practice name ends with a practice type"""
    if subject.get("specialty") in SPECIALTIES and practice_type_of(subject.row) is None:
        yield Finding("practice_name", {"value": subject.get("practice_name")})


@rule(
    "practice_type_for_specialty",
    "providers",
    BUSINESS,
    ("practice_name", "specialty"),
    "practice type {value!r} does not fit specialty {specialty!r}",
    "use one of: {allowed}",
)
def _practice_fits(subject: Subject) -> Iterable[Finding]:
    """the practice type is one the specialty practises in (reference/specialties.toml)"""
    specialty = subject.get("specialty")
    if specialty not in SPECIALTIES:
        return
    kind = practice_type_of(subject.row)
    allowed = allowed_practice_types(specialty)
    if kind is not None and kind not in allowed:
        yield Finding("practice_name", {"value": kind, "specialty": specialty, "allowed": ", ".join(allowed)})


@rule(
    "practice_address_consistent",
    "providers",
    BUSINESS,
    ("practice_address",),
    "practice address {value!r} has no real city/state/ZIP",
    "draw it with fakes.place(rng, state)",
)
def _practice_address(subject: Subject) -> Iterable[Finding]:
    """an in-person practice has a real city/state/ZIP"""
    if subject.get("specialty") not in SPECIALTIES:
        return
    kind = practice_type_of(subject.row)
    if (
        kind is not None
        and kind != VIRTUAL_PRACTICE
        and not address_in_state(*practice_location_of(subject.row))
    ):
        yield Finding("practice_address", {"value": subject.get("practice_address")})


PROVIDER_ROW_RULES: tuple[str, ...] = (
    "npi_format",
    "npi_check_digit",
    "license_present",
    "license_format",
    "uuid_format",
    "required",
    "email_format",
    "email_safe_domain",
    "phone_format",
    "phone_safe_range",
    "specialty_known",
    "practice_type_known",
    "practice_type_for_specialty",
    "practice_address_consistent",
    "status_valid",
)
