"""Provider rows: one fast, seeded draft function and the provider traits as data.

``draft_provider`` is shared by :class:`~healthcare_data.factories.ProviderFactory` and the
bulk engine. It draws nothing from Faker at run time (names and places come from
``fakes``' precomputed tables), derives NPI and license number from the serial (the
row's primary key), and keeps practice name, practice type, address and license state
consistent with each other, so a validator can read them back from the database:

* practice name: ``"<Prefix> <Specialty> <Practice type>"`` ("Lakeview Cardiology
  Hospital"); :func:`practice_type_of` recovers the type from the suffix.
* practice address: ``"<street>, <city>, <ST> <ZIP>"`` (a real ZIP of the license
  state), prefixed by the affiliated hospital for hospital-based providers; virtual
  practices write ``"Virtual care — telehealth only (licensed in ST)"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from healthcare_data import fakes, identifiers
from healthcare_data.columns import (  # noqa: F401 - re-exported for callers of rows.providers
    PROVIDER_STATUSES,
    TELEHEALTH_TYPE,
    VIRTUAL_PRACTICE,
    allowed_practice_types,
    is_virtual,
    offers_telemedicine,
    practice_location_of,
    practice_state_of,
    practice_type_of,
)
from healthcare_data.errors import BusinessRuleViolation, UnknownNameError
from healthcare_data.randomness import Randomness
from healthcare_data.reference import PRACTICE_TYPES, SPECIALTIES, SPECIALTY_SOURCES, Specialty
from healthcare_data.registry import Registry
from healthcare_data.rulebook import field_of
from healthcare_data.rules import declared
from healthcare_data.traits import Trait, resolve_traits
from healthcare_data.violations import BUSINESS, ValidationReport, Violation

PROVIDER_COLUMNS: tuple[str, ...] = (
    "id",
    "uuid",
    "npi_number",
    "first_name",
    "last_name",
    "specialty",
    "license_number",
    "phone",
    "email",
    "practice_name",
    "practice_address",
    "status",
    "created_at",
    "tenant_id",
)
PROVIDER_EMAIL_DOMAIN = "example.org"

# Neutral place-like prefixes for practice names (half the names use the city instead).
PRACTICE_PREFIXES: tuple[str, ...] = (
    "Lakeview", "Riverside", "Summit", "Northside", "Cedar Grove", "Parkview", "Oak Hill",
    "Harbor", "Meadowbrook", "Valley", "Pinecrest", "Westside", "Eastgate", "Hillcrest",
    "Brookside", "Fairview", "Maple Ridge", "Willow Creek", "Sunrise", "Prairie",
)
HOSPITAL_SUFFIXES: tuple[str, ...] = (
    "Memorial Hospital", "General Hospital", "Regional Medical Center", "Community Hospital",
)

# --- traits ---------------------------------------------------------------------------
# params read by draft_provider:
#   specialty: attribute -> value a specialty must have (reference Specialty fields; the
#     hospital_based and telehealth fields are derived from cited figures in specialties.toml)
#   practice_type: the practice type the trait imposes
#   preferred_practice_type: used when the specialty allows it and nothing else decides
#   hospital_affiliation / virtual: how the practice address is written
TRAITS: Registry[Trait] = Registry("provider trait")
for _trait in (
    Trait(
        "primary_care",
        "primary-care specialty (Internal/Family Medicine, Pediatrics, ...); books the longer "
        "preventive templates (45-minute annual physicals, 60-minute new-patient visits)",
        params={"specialty": {"primary_care": True}, "visit_length": "extended"},
    ),
    Trait(
        "specialist",
        "non-primary-care specialty; specialty-practice naming and higher visit fees",
        params={"specialty": {"primary_care": False}, "preferred_practice_type": "Specialty Practice"},
    ),
    Trait(
        "hospital_based",
        "specialty whose cited figures place it in hospitals, working in a Hospital; the "
        "affiliated hospital is named in the practice address",
        params={
            "specialty": {"hospital_based": True},
            "practice_type": "Hospital",
            "hospital_affiliation": True,
        },
    ),
    Trait(
        "telemedicine",
        "specialty whose cited figures show telehealth use at least the all-physician share: a "
        "Virtual Practice whose address marks virtual care (licensed in the license state)",
        params={"specialty": {"telehealth": True}, "practice_type": VIRTUAL_PRACTICE, "virtual": True},
    ),
):
    TRAITS.register(_trait.name, _trait)


def business_error(
    entity: str, key: object, field: str, rule: str, message: str, recovery: str
) -> BusinessRuleViolation:
    """A BusinessRuleViolation carrying a one-violation report (drafts refusing input)."""
    violation = Violation(entity, key, field, rule, message, recovery, BUSINESS)
    return BusinessRuleViolation(ValidationReport(f"{entity} draft", 1, [violation]), message)


def _clash(specialty: Specialty, traits: Sequence[Trait]) -> tuple[Trait, str] | None:
    """The first trait ``specialty`` contradicts and the specialty attribute it wants, or None."""
    for trait in traits:
        for attribute, wanted in trait.params.get("specialty", {}).items():
            if getattr(specialty, attribute) != wanted:
                return trait, attribute
    return None


def _specialty_fits(specialty: Specialty, traits: Sequence[Trait]) -> str | None:
    """The name of the first trait ``specialty`` contradicts, or None."""
    clash = _clash(specialty, traits)
    return None if clash is None else clash[0].name


@cache
def specialties_for(traits: tuple[Trait, ...]) -> tuple[str, ...]:
    """Specialties compatible with every trait (the pool a default specialty is drawn from).

    Without traits the "Telemedicine" practice line is left out: it is drawn only when
    the telemedicine trait or the specialty itself asks for it.
    """
    names = tuple(
        name
        for name, specialty in SPECIALTIES.items()
        if _specialty_fits(specialty, traits) is None
        and (name != "Telemedicine" or any(t.params.get("virtual") for t in traits))
    )
    return names


def _choose_specialty(rng: Randomness, specialty: str | None, traits: tuple[Trait, ...]) -> Specialty:
    if specialty is None:
        pool = specialties_for(traits)
        if not pool:
            names = ", ".join(t.name for t in traits)
            raise business_error(
                "providers", None, "traits", declared.TRAITS_COMPATIBLE.name,
                f"No specialty satisfies every trait of [{names}]",
                "drop one of the contradicting traits (e.g. primary_care with specialist)",
            )
        return SPECIALTIES.get(rng.choice(pool))
    spec = SPECIALTIES.get(specialty)
    clash = _clash(spec, traits)
    if clash is not None:
        trait, attribute = clash
        fitting = ", ".join(specialties_for((trait,)))
        evidence = spec.evidence_for(attribute)
        why = f" ({evidence.describe(SPECIALTY_SOURCES)})" if evidence else ""
        raise business_error(
            "providers", None, "specialty", declared.TRAIT_SPECIALTY_COMPATIBLE.name,
            f"Specialty {specialty!r} is incompatible with trait {trait.name!r}{why}",
            f"use a specialty fitting {trait.name!r}: {fitting}; or drop the trait",
        )
    return spec


def _choose_practice_type(
    rng: Randomness, spec: Specialty, traits: tuple[Trait, ...], practice_type: str | None
) -> str:
    imposed = {t.params["practice_type"]: t.name for t in traits if "practice_type" in t.params}
    if len(imposed) > 1:
        pairs = ", ".join(f"{name} -> {kind!r}" for kind, name in imposed.items())
        raise business_error(
            "providers", None, "practice_type", declared.TRAITS_COMPATIBLE.name,
            f"Traits impose different practice types ({pairs})",
            "combine traits that agree on the practice type",
        )
    if practice_type is not None:
        if practice_type not in PRACTICE_TYPES:
            raise UnknownNameError("practice type", practice_type, PRACTICE_TYPES)
        if imposed and practice_type not in imposed:
            kind, name = next(iter(imposed.items()))
            raise business_error(
                "providers", None, "practice_type", declared.TRAIT_PRACTICE_TYPE.name,
                f"Practice type {practice_type!r} contradicts trait {name!r}, which needs {kind!r}",
                f"use practice type {kind!r} or drop the trait",
            )
        return practice_type
    if imposed:
        return next(iter(imposed))
    for trait in traits:
        preferred = trait.params.get("preferred_practice_type")
        if preferred in spec.practice_types:
            return str(preferred)
    return rng.choice(spec.practice_types)


def draft_provider(
    rng: Randomness,
    serial: int,
    specialty: str | None = None,
    traits: str | Iterable[str | Trait] = (),
    practice_type: str | None = None,
    state: str | None = None,
    **explicit: Any,
) -> dict[str, Any]:
    """Every ``providers`` column for the ``serial``-th provider.

    ``explicit`` column values win over drafted ones (unknown column names raise).
    ``practice_type`` may be any known practice type when given explicitly; otherwise it
    is one the specialty (or a trait) allows. ``created_at`` is midnight of ``rng.today``
    (as for patients), so a rerun with the same seed is identical.
    """
    unknown = [k for k in explicit if k not in PROVIDER_COLUMNS]
    if unknown:
        raise UnknownNameError("provider column", unknown[0], PROVIDER_COLUMNS)
    resolved = resolve_traits(TRAITS, traits)
    spec = _choose_specialty(rng, specialty, resolved)
    kind = _choose_practice_type(rng, spec, resolved, practice_type)
    if state is None:
        state = fakes.state(rng)
    place = fakes.place(rng, state)
    first = fakes.first_name(rng, "female" if rng.random.random() < 0.5 else "male")
    last = fakes.last_name(rng)
    prefix = place.city if rng.random.random() < 0.5 else rng.choice(PRACTICE_PREFIXES)
    street = fakes.street(rng)
    if kind == VIRTUAL_PRACTICE:
        address = f"Virtual care — telehealth only (licensed in {state})"
    else:
        address = f"{street}, {place.city}, {place.state} {place.zip}"
        if any(t.params.get("hospital_affiliation") for t in resolved):
            address = f"{prefix} {rng.choice(HOSPITAL_SUFFIXES)}, {address}"
    local = re.sub(r"[^a-z]", "", last.lower()) or "provider"
    row: dict[str, Any] = {
        "id": serial,
        "uuid": rng.uuid4(),
        "npi_number": identifiers.npi(serial),
        "first_name": first,
        "last_name": last,
        "specialty": spec.name,
        "license_number": identifiers.license_number(serial, state),
        "phone": fakes.phone(rng, place.area_code),
        "email": f"dr.{local}.{rng.randint(1, 99):02d}@{PROVIDER_EMAIL_DOMAIN}",
        "practice_name": f"{prefix} {spec.name} {kind}",
        "practice_address": address,
        "status": "active",
        "created_at": datetime.combine(rng.today, datetime.min.time()),
        "tenant_id": None,
    }
    row.update(explicit)
    return row


# --- does a stored provider fit its traits? ------------------------------------------------


def provider_trait_violations(provider: Any, traits: str | Iterable[str | Trait]) -> list[Violation]:
    """What in a provider row (mapping or model) contradicts ``traits``; empty when it fits.

    Read back from the row alone: the specialty must have what the traits ask of it (the
    test :func:`draft_provider` applies), the practice type (from the practice name) the one
    a trait imposes, and the address written the way the trait says (hospital named, virtual).
    """
    resolved = resolve_traits(TRAITS, traits)
    if not resolved:
        return []
    names = [t.name for t in resolved]
    key = field_of(provider, "npi_number")
    out: list[Violation] = []

    def add(field: str, rule: str, message: str, recovery: str) -> None:
        out.append(Violation("providers", key, field, rule, message, recovery, BUSINESS))

    specialty = field_of(provider, "specialty")
    pool = specialties_for(resolved)
    if specialty not in SPECIALTIES or _specialty_fits(SPECIALTIES.get(specialty), resolved) is not None:
        add(
            "specialty",
            declared.TRAIT_SPECIALTY_COMPATIBLE.name,
            f"specialty {specialty!r} does not fit traits {names}",
            f"use one of {', '.join(pool) or '(none: the traits contradict each other)'}",
        )
    kind = practice_type_of(provider)
    imposed = sorted({str(t.params["practice_type"]) for t in resolved if "practice_type" in t.params})
    if imposed and kind not in imposed:
        add(
            "practice_name",
            declared.TRAIT_PRACTICE_TYPE.name,
            f"practice type {kind!r} (from the practice name) is not {' / '.join(imposed)}, "
            f"which traits {names} impose",
            f"draft the provider with practice type {imposed[0]!r}",
        )
    address = str(field_of(provider, "practice_address") or "")
    if any(t.params.get("hospital_affiliation") for t in resolved):
        hospital = address.split(",", 1)[0]
        if not hospital.endswith(HOSPITAL_SUFFIXES):
            add(
                "practice_address",
                declared.TRAIT_HOSPITAL_AFFILIATION.name,
                f"practice address {address!r} does not name the affiliated hospital",
                f"start the address with the hospital ('... {HOSPITAL_SUFFIXES[0]}, <street>, ...')",
            )
    if any(t.params.get("virtual") for t in resolved):
        if not (address.startswith("Virtual care") and practice_location_of(provider)[1]):
            add(
                "practice_address",
                declared.TRAIT_VIRTUAL_ADDRESS.name,
                f"practice address {address!r} does not mark virtual care with a license state",
                "write 'Virtual care — telehealth only (licensed in ST)'",
            )
    return out


def provider_fits_traits(provider: Any, traits: str | Iterable[str | Trait]) -> bool:
    """True when nothing in the provider row contradicts ``traits`` (see provider_trait_violations)."""
    return not provider_trait_violations(provider, traits)
